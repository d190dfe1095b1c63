"""The estimator shared by MLPClassifier and MLPRegressor: parameters, their
validation, and the fit/partial_fit plumbing.

Subclasses supply the target handling (``_encode_targets``), the loss
(``_make_loss``) and the prediction methods.
"""

import warnings
from contextlib import contextmanager
from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import get_scorer
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._callbacks import CallbackSupportMixin, with_callbacks
from ._compat import (
    HasMethods,
    Interval,
    StrOptions,
    check_sample_weight,
    validate_data,
    validate_params,
)
from ._hashing import row_keys
from ._monitor import EpochMonitor
from ._split import validation_split
from ._training import Trainer
from .activations import ACTIVATIONS
from .initializers import INITIALIZERS
from .network import forward, init_parameters
from .optimizers import OPTIMIZERS
from .penalties import ElasticNet
from .schedules import LearningRateSchedule

_REGULARIZED_BY_NOISE = ("dropout", "input_dropout", "dropconnect", "noise_std")


def _is_stochastic(est):
    opt = est.optimizer
    opt = OPTIMIZERS[opt] if isinstance(opt, str) else opt
    return getattr(opt, "is_stochastic", True)


@contextmanager
def _named_input_errors(names):
    """Make numpy's conversion error name the input it comes from, and keep
    numpy quiet while scikit-learn checks arrays that hold inf or overflow
    when cast (its own error names the array)."""
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            yield
    except ValueError as exc:
        if "could not convert" in str(exc):
            raise ValueError(f"{names} must hold numbers only; {exc}") from exc
        raise


def warn_if_not_finite(predictions):
    """Predictions are never NaN or infinite without a warning."""
    bad = ~np.isfinite(predictions).reshape(predictions.shape[0], -1).all(axis=1)
    if bad.any():
        warnings.warn(
            f"The predictions are NaN or infinite for {bad.sum()} of "
            f"{predictions.shape[0]} rows of X: the network's output overflows "
            "there (values of X far outside the training range, or training "
            "diverged).",
            RuntimeWarning,
            stacklevel=3,
        )


def _validation_scorer(scoring):
    """The scorer for ``scoring`` (None for "loss"); its errors name ``scoring``."""
    if scoring == "loss":
        return None
    try:
        scorer = get_scorer(scoring)
    except ValueError as exc:
        raise ValueError(f"scoring={scoring!r} is neither 'loss' nor a scorer: {exc}") from exc

    def score(est, X, y, sample_weight=None):
        try:
            return scorer(est, X, y, sample_weight=sample_weight)
        except (ValueError, TypeError) as exc:
            raise type(exc)(
                f"scoring={scoring!r} failed on the validation set: {exc}"
            ) from exc

    return score


class BaseMLP(CallbackSupportMixin, BaseEstimator):
    """Shared implementation; use :class:`MLPClassifier` or :class:`MLPRegressor`."""

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "dropconnect": [Interval(Real, 0, 1, closed="left")],
        "noise_std": [Interval(Real, 0, None, closed="left")],
        "max_norm": [Interval(Real, 0, None, closed="neither"), None],
        "init": [StrOptions(set(INITIALIZERS)), callable],
        "optimizer": [StrOptions(set(OPTIMIZERS)), HasMethods(["init_state", "update"])],
        "learning_rate_init": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state", np.random.Generator],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "scoring": [str, callable],
        "mc_samples": [Interval(Integral, 2, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        alpha=1e-4,
        l1_ratio=0.0,
        dropout=0.0,
        input_dropout=0.0,
        dropconnect=0.0,
        noise_std=0.0,
        max_norm=None,
        init="glorot_uniform",
        optimizer="adam",
        learning_rate_init="auto",
        learning_rate="constant",
        power_t=0.5,
        batch_size="auto",
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        scoring="loss",
        mc_samples=50,
        verbose=0,
        warm_start=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.dropconnect = dropconnect
        self.noise_std = noise_std
        self.max_norm = max_norm
        self.init = init
        self.optimizer = optimizer
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.power_t = power_t
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.scoring = scoring
        self.mc_samples = mc_samples
        self.verbose = verbose
        self.warm_start = warm_start

    # -- settings ------------------------------------------------------------
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if not all(isinstance(s, Integral) and s >= 1 for s in sizes):
            raise ValueError(
                "hidden_layer_sizes must be a tuple of positive integers (or () for "
                f"no hidden layer); got {self.hidden_layer_sizes!r}."
            )
        return [int(s) for s in sizes]

    def _dropout_rates(self, n_hidden):
        rates = self.dropout
        if isinstance(rates, Real):
            return [float(rates)] * n_hidden
        rates = [float(r) for r in np.ravel(rates)]
        if len(rates) != n_hidden:
            raise ValueError(
                f"dropout must be a number or one rate per hidden layer; got "
                f"{len(rates)} rates for {n_hidden} hidden layers."
            )
        if not all(0.0 <= r < 1.0 for r in rates):
            raise ValueError(f"dropout rates must be in [0, 1); got {rates}.")
        return rates

    def _optimizer_object(self):
        opt = self.optimizer
        if isinstance(opt, str):
            return OPTIMIZERS[opt]()
        if isinstance(opt, type):
            raise TypeError(
                f"optimizer must be a name or an optimizer object such as "
                f"{opt.__name__}(); got the class {opt.__name__} itself."
            )
        if hasattr(opt, "_parameter_constraints"):
            validate_params(opt)
        return opt

    def _resolve_settings(self, n_hidden):
        """Check the rules that involve several parameters; return the
        settings the training loop works with."""
        optimizer = self._optimizer_object()
        dropout = self._dropout_rates(n_hidden)
        if n_hidden == 0 and (np.any(np.asarray(self.dropout) > 0) or self.max_norm is not None):
            raise ValueError(
                "dropout and max_norm act on hidden units, but hidden_layer_sizes=() "
                "has none; add a hidden layer or leave them at their defaults."
            )
        if not optimizer.is_stochastic:
            noisy = [name for name in _REGULARIZED_BY_NOISE if np.any(getattr(self, name))]
            if noisy:
                raise ValueError(
                    f"optimizer='lbfgs' trains on the full batch without noise; it "
                    f"cannot be used with {', '.join(noisy)} > 0. Use a stochastic "
                    "optimizer such as 'adam'."
                )
            if self.l1_ratio > 0 and self.alpha > 0:
                raise ValueError(
                    "l1_ratio > 0 needs the proximal step of a stochastic optimizer "
                    "to give exact zeros; optimizer='lbfgs' cannot take it. Use "
                    "optimizer='adam' (or another stochastic optimizer), or l1_ratio=0."
                )
            if self.max_norm is not None:
                raise ValueError(
                    "max_norm is applied after each stochastic step; optimizer='lbfgs' "
                    "takes none and would ignore it. Use a stochastic optimizer such "
                    "as 'adam', or max_norm=None."
                )
        lr = self.learning_rate_init
        if not optimizer.is_stochastic:
            lr = None  # L-BFGS takes no steps of a set size: nothing to schedule
        elif lr == "auto":
            lr = optimizer.default_learning_rate
            if n_hidden == 0:
                lr *= 10.0  # a convex linear model takes larger steps safely
        scorer = _validation_scorer(self.scoring)
        batch_size = self.batch_size

        def batch_size_for(n):
            if batch_size == "auto":
                return min(200, n)
            return min(batch_size, n)

        return SimpleNamespace(
            optimizer=optimizer,
            penalty=ElasticNet(self.alpha, self.l1_ratio),
            dropout=dropout,
            input_dropout=self.input_dropout,
            dropconnect=self.dropconnect,
            noise_std=self.noise_std,
            max_norm=self.max_norm,
            scorer=scorer,
            batch_size=batch_size_for,
            learning_rate=lr,
            is_weight=[True] * (n_hidden + 1) + [False] * (n_hidden + 1),
        )

    def _next_rng(self, fresh):
        """The generator for this call, derived from ``random_state``.

        A fresh fit draws a new seed from ``random_state``; later calls
        (``partial_fit``, ``warm_start``) continue with a call counter, so the
        whole sequence is reproducible and the fitted state stays plain numbers.
        """
        if fresh or not hasattr(self, "_seed"):
            rs = self.random_state
            if rs is None:
                self._seed = int(np.random.SeedSequence().entropy % 2**63)
            elif isinstance(rs, Integral):
                self._seed = int(rs)
            elif isinstance(rs, np.random.Generator):
                self._seed = int(rs.integers(2**63))
            else:
                self._seed = int(check_random_state(rs).randint(2**31 - 1))
            self._n_calls = 0
        self._n_calls += 1
        return np.random.default_rng([self._seed, self._n_calls])

    # -- fitting ---------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data X and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 input trains in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples; the loss is their weighted mean.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        validate_params(self)
        return self._fit(X, y, sample_weight, incremental=False)

    def _partial_fit(self, X, y, sample_weight, classes=None):
        """One epoch over the given data; ``early_stopping`` is not used."""
        if not hasattr(self, "coefs_"):
            validate_params(self)
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    @with_callbacks
    def _fit(self, X, y, sample_weight, incremental, classes=None):
        first_call = not hasattr(self, "coefs_") or not (incremental or self.warm_start)
        is_classifier = hasattr(self, "_encode_targets_classifier")
        with _named_input_errors("X" if is_classifier else "X and y"):
            X, y = validate_data(
                self,
                X,
                y,
                reset=first_call,
                accept_sparse=["csr", "csc"],
                dtype=[np.float64, np.float32],
                multi_output=True,
                y_numeric=not is_classifier,
            )
            Y, strata = self._encode_targets(y, first_call, incremental, classes)
            Y = Y.astype(X.dtype, copy=False)
            if not np.isfinite(Y).all():
                raise ValueError(f"y has values too large for X's dtype {X.dtype}.")
            sample_weight = check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        if not sample_weight.sum() > 0:
            raise ValueError("sample_weight must contain at least one non-zero weight.")
        top = sample_weight.max()
        if not 1e-10 <= top <= 1e10:
            # only the ratios of the weights matter (the loss is their weighted
            # mean); extreme ones would make the weighted sums overflow
            sample_weight = sample_weight / top
        sample_weight = sample_weight.astype(X.dtype, copy=False)

        hidden = self._hidden_sizes()
        cfg = self._resolve_settings(len(hidden))
        rng = self._next_rng(fresh=first_call)
        if first_call:
            layer_sizes = [X.shape[1], *hidden, Y.shape[1]]
            self.coefs_, self.intercepts_ = init_parameters(
                layer_sizes, self.init, rng, X.dtype
            )
            self.n_layers_ = len(layer_sizes)
            self.n_outputs_ = Y.shape[1]
            self.n_iter_ = 0
            self.t_ = 0
            self._optimizer_state = cfg.optimizer.init_state(
                self.coefs_ + self.intercepts_
            )
            self._learning_rate = cfg.learning_rate
        elif self.coefs_[0].shape[0] != X.shape[1] or self.n_outputs_ != Y.shape[1]:
            raise ValueError("X or y do not match the shape of the fitted network.")
        else:
            fitted = [W.shape[1] for W in self.coefs_[:-1]]
            if fitted != hidden:
                raise ValueError(
                    f"hidden_layer_sizes={self.hidden_layer_sizes!r} differs from the "
                    f"fitted network's hidden layers {tuple(fitted)}, which partial_fit "
                    "and warm_start continue. Use warm_start=False for a new network."
                )
            if set(self._optimizer_state) != set(cfg.optimizer.init_state([])):
                # the optimizer was changed: its state starts afresh
                self._optimizer_state = cfg.optimizer.init_state(
                    self.coefs_ + self.intercepts_
                )
        self.out_activation_ = self._make_loss().out_activation

        schedule = LearningRateSchedule(
            self.learning_rate,
            cfg.learning_rate,
            self.power_t,
            current=None if first_call else self._learning_rate,
        )
        cfg.schedule = schedule
        trainer = Trainer(self, cfg, self._make_loss(), rng)
        monitor = EpochMonitor(self, schedule)
        monitor.start(reset_history=first_call)

        use_validation = self.early_stopping and not incremental
        needs_keys = use_validation or any(cfg.dropout) or self.input_dropout or self.noise_std
        keys = row_keys(X, Y) if needs_keys else np.zeros(X.shape[0], dtype=np.uint64)
        validation = None
        if use_validation:
            train, val = validation_split(
                keys, sample_weight, self.validation_fraction, rng, strata
            )
            validation = (X[val], y[val], Y[val], sample_weight[val])
            X, Y, sample_weight, keys = X[train], Y[train], sample_weight[train], keys[train]

        monitor.begin_fit(
            X, y if validation is None else y[train], sample_weight,
            n_epochs=1 if incremental else self.max_iter,
        )
        # The trainer checks the loss and the weights after every epoch and
        # reports divergence with a ConvergenceWarning; numpy's overflow
        # warnings from inside the computation would only repeat it obscurely.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if cfg.optimizer.is_stochastic:
                n_epochs = 1 if incremental else self.max_iter
                reason = trainer.fit_stochastic(
                    X, Y, sample_weight, keys, n_epochs, monitor, validation
                )
            else:
                reason = trainer.fit_lbfgs(
                    X, Y, sample_weight, self.max_iter, monitor, validation
                )
        self._learning_rate = schedule.current
        if use_validation:
            monitor.restore_best()
        monitor.end_fit()
        if reason == "max_iter" and not incremental:
            warnings.warn(
                f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached "
                "and the optimization has not converged yet."
                if cfg.optimizer.is_stochastic
                else f"L-BFGS reached max_iter={self.max_iter} before converging.",
                ConvergenceWarning,
            )
        return self

    # -- prediction helpers ----------------------------------------------------
    def _raw_output(self, X, warn=True):
        check_is_fitted(self)
        with _named_input_errors("X"):
            X = validate_data(
                self, X, reset=False, accept_sparse=["csr", "csc"],
                dtype=[np.float64, np.float32],
            )
        with np.errstate(over="ignore", invalid="ignore"):
            z = forward(self.coefs_, self.intercepts_, X, self.activation).raw_output
            if X.dtype == np.float32 and not np.isfinite(z).all():
                # float32 overflowed: the same network in float64
                coefs = [W.astype(np.float64) for W in self.coefs_]
                intercepts = [b.astype(np.float64) for b in self.intercepts_]
                z = forward(coefs, intercepts, X.astype(np.float64), self.activation).raw_output
        if warn:
            warn_if_not_finite(z)
        return z

    # -- reporting ------------------------------------------------------------
    @property
    def sparsity_(self):
        """Fraction of weights that are exactly zero, one entry per layer."""
        check_is_fitted(self)
        return [float(np.mean(W == 0)) for W in self.coefs_]

    @property
    def used_features_(self):
        """Boolean mask of the input features with a non-zero outgoing weight.

        With ``l1_ratio > 0`` the proximal step zeroes whole rows of the first
        weight matrix; the features of those rows no longer affect predictions.
        """
        check_is_fitted(self)
        return np.any(self.coefs_[0] != 0, axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        return tags
