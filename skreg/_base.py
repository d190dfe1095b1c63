"""The estimator shared by MLPClassifier and MLPRegressor: parameters, their
validation, and the fit/partial_fit plumbing.

Subclasses supply the target handling (``_encode_targets``), the loss
(``_make_loss``) and the prediction methods.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._averaging import WeightAverage
from ._callbacks import CallbackSupportMixin, FitCallbacks, with_callbacks
from ._checks import (
    check_dense_y, check_network_fits_in_memory, checked_sample_weight, named_input_errors,
    physical_memory, training_memory, warn_if_not_finite, warn_if_nothing_learned,
    warn_if_scales_differ,
)
from ._compat import HasMethods, Interval, Options, StrOptions, validate_data, validate_params
from ._hashing import row_keys
from ._mc_dropout import MAX_MC_SAMPLES, mc_pass_blocks, training_rates
from ._monitor import EpochMonitor
from ._settings import (
    fresh_optimizer_state, hidden_sizes, refuse_partial_fit_with_early_stopping, resolve_settings,
)
from ._split import validation_split
from ._state import TrainingState
from ._training import Passes, StochasticStep, fit_lbfgs, fit_stochastic
from .activations import ACTIVATIONS
from .initializers import DATA_INIT, INITIALIZERS, data_dependent_init
from .network import constant_output_bias, forward, init_parameters
from .optimizers import OPTIMIZERS
from .schedules import PER_EPOCH, PER_STEP, STRENGTH_SCHEDULES


class BaseMLP(CallbackSupportMixin, BaseEstimator):
    """Shared implementation; use :class:`MLPClassifier` or :class:`MLPRegressor`."""

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "group_alpha": [Interval(Real, 0, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "dropconnect": [Interval(Real, 0, 1, closed="left")],
        "noise_std": [Interval(Real, 0, None, closed="left")],
        "mixup_alpha": [Interval(Real, 0, None, closed="left")],
        "max_norm": [Interval(Real, 0, None, closed="neither"), None],
        "init": [StrOptions(set(INITIALIZERS) | {DATA_INIT}), callable],
        "optimizer": [
            StrOptions(set(OPTIMIZERS)),
            HasMethods(["init_state", "update"]),
            HasMethods(["minimize"]),
        ],
        "learning_rate_init": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "learning_rate": [StrOptions({*PER_EPOCH, *PER_STEP})],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "warmup": [Interval(Real, 0, 1, closed="left")],
        "dropout_schedule": [StrOptions(set(STRENGTH_SCHEDULES))],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state", np.random.Generator],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_steps_no_change": [Interval(Integral, 0, None, closed="left")],
        "average": [
            "boolean",
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="neither"),
        ],
        "scoring": [str, callable],
        "mc_samples": [Interval(Integral, 2, MAX_MC_SAMPLES, closed="both")],
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
        group_alpha=0.0,
        dropout=0.0,
        input_dropout=0.0,
        dropconnect=0.0,
        noise_std=0.0,
        mixup_alpha=0.0,
        max_norm=None,
        init="glorot_uniform",
        optimizer="adam",
        learning_rate_init="auto",
        learning_rate="constant",
        power_t=0.5,
        warmup=0.0,
        dropout_schedule="constant",
        batch_size="auto",
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        n_steps_no_change=0,
        average=False,
        scoring="loss",
        mc_samples=50,
        verbose=0,
        warm_start=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.group_alpha = group_alpha
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.dropconnect = dropconnect
        self.noise_std = noise_std
        self.mixup_alpha = mixup_alpha
        self.max_norm = max_norm
        self.init = init
        self.optimizer = optimizer
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.power_t = power_t
        self.warmup = warmup
        self.dropout_schedule = dropout_schedule
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_steps_no_change = n_steps_no_change
        self.average = average
        self.scoring = scoring
        self.mc_samples = mc_samples
        self.verbose = verbose
        self.warm_start = warm_start

    # -- settings ------------------------------------------------------------
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

    def _mc_generator(self):
        """The generator of MC-dropout masks: fixed for a fitted model."""
        return np.random.default_rng([self._seed, 2**32 + self._n_calls])

    def _mc_blocks(self, X):
        """Per block of rows of X, the raw outputs of ``mc_samples`` passes
        with the training masks on (see :mod:`skreg._mc_dropout`)."""
        return mc_pass_blocks(self, X, self._mc_generator)

    def _mc_raw_outputs(self, X):
        """Raw outputs of ``mc_samples`` passes over all of X."""
        return [np.concatenate(rows) for rows in zip(*self._mc_blocks(X))]

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
        """One epoch over the given data, all of it used for training."""
        validate_params(self)  # also after set_params on a fitted model
        # (also reached by an unbound call, past partial_fit_method's check)
        refuse_partial_fit_with_early_stopping(self)
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    @with_callbacks
    def _fit(self, X, y, sample_weight, incremental, classes=None):
        first_call = not hasattr(self, "coefs_") or not (incremental or self.warm_start)
        X, y, encoded, strata, sample_weight = self._validate_training_data(
            X, y, sample_weight, first_call, incremental, classes, transform=False
        )
        hidden = hidden_sizes(self)
        settings = resolve_settings(self, len(hidden))
        # after the checks: a refused fit leaves a fitted model's scaling alone
        Y = self._training_targets(encoded, sample_weight, first_call)
        rng = self._next_rng(fresh=first_call)
        self._mc_rates = training_rates(settings)
        if first_call:
            warn_if_scales_differ(X, getattr(self, "feature_names_in_", None))
            self._check_memory([X.shape[1], *hidden, Y.shape[1]], settings, X)
            self._init_network([X.shape[1], *hidden, Y.shape[1]], settings, rng, X.dtype)
            if isinstance(self.init, str) and self.init == DATA_INIT:
                data_dependent_init(self.coefs_, self.intercepts_, X, self.activation, rng)
            self.intercepts_[-1][...] = self._initial_output_bias(Y, sample_weight)
        else:
            self._check_continuation(X, Y, hidden, settings)
        loss = self._make_loss()
        self.out_activation_ = loss.out_activation
        state = self._hand_in(settings, first_call, incremental)

        use_validation = self.early_stopping and not incremental
        needs_keys = use_validation or settings.needs_row_keys
        # keyed on the encoded targets: the same rows get the same keys
        # whatever the targets' standardization rounds to
        keys = row_keys(X, encoded) if needs_keys else np.zeros(X.shape[0], dtype=np.uint64)
        del encoded
        validation = None
        if use_validation:
            (X, y, Y, sample_weight, keys), validation = self._set_aside_validation(
                X, y, Y, sample_weight, keys, rng, strata
            )
        n_epochs = 1 if incremental else self.max_iter
        callbacks = FitCallbacks(self, X, y, sample_weight, n_epochs, state.fitted_attributes)
        monitor = EpochMonitor(settings, state, validation is not None, callbacks)
        passes = Passes(settings, state, loss, X.dtype)
        validate = self._validation_score(passes, validation)
        # The loops check the loss and the weights after every epoch and
        # report divergence with a ConvergenceWarning; numpy's overflow
        # warnings from inside the computation would only repeat it obscurely.
        first_epoch = state.n_iter
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if settings.is_stochastic:
                step = StochasticStep(passes, rng)
                reason = fit_stochastic(
                    step, X, Y, sample_weight, keys, n_epochs, monitor, validate
                )
            else:
                reason = fit_lbfgs(passes, X, Y, sample_weight, monitor, validate)
        monitor.restore_best()
        self._keep_average(state, settings, monitor.kept_best)
        monitor.end_fit()
        epochs = state.n_iter - first_epoch - monitor.extra_epochs
        if reason == "converged" and epochs <= self.n_iter_no_change + 2:
            with np.errstate(all="ignore"):  # it diverged, if not finite: warned already
                trained = passes.validation_loss(X, Y, sample_weight)
            warn_if_nothing_learned(loss, Y, sample_weight, trained)
        self._copy_out(state)
        # a learning rate planned to decay to zero at max_iter ends there by design
        planned = (settings.is_stochastic and settings.learning_rate is not None
                   and settings.schedule in PER_STEP)
        if reason == "max_iter" and not incremental and not planned:
            warnings.warn(
                f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached "
                "and the optimization has not converged yet."
                if settings.is_stochastic
                else f"L-BFGS reached max_iter={self.max_iter} before converging.",
                ConvergenceWarning,
            )
        return self

    def _set_aside_validation(self, X, y, Y, sample_weight, keys, rng, strata):
        """``(training rows, validation rows)`` of the early-stopping split."""
        train, val = validation_split(keys, sample_weight, self.validation_fraction, rng, strata)
        validation = (X[val], y[val], Y[val], sample_weight[val])
        return (X[train], y[train], Y[train], sample_weight[train], keys[train]), validation

    def _hand_in(self, settings, first_call, incremental):
        """The training state of this fit, from the fitted attributes; the
        estimator's ``coefs_``/``intercepts_`` become views of its buffers,
        so scorers and callbacks see the weights as they train.

        A first fit starts the history (``loss_curve_``, ``validation_scores_``);
        every ``fit`` call, warm-started or not, starts its own epoch count,
        best loss and best validation score, so that a warm-started fit with
        other settings is judged on its own; ``partial_fit`` calls continue
        them. With early stopping the validation score is what is tracked and
        ``best_loss_`` is None; without it the validation attributes are None.
        """
        early_stopping = self.early_stopping and not incremental
        if first_call or not hasattr(self, "loss_curve_"):
            self.loss_curve_ = []
            self.validation_scores_ = None
        if first_call or not incremental:
            self.n_iter_ = 0
            self.best_loss_ = None if early_stopping else np.inf
            self.best_validation_score_ = -np.inf if early_stopping else None
            if not early_stopping:
                self.validation_scores_ = None
            elif self.validation_scores_ is None:
                self.validation_scores_ = []
        elif self.best_loss_ is None:
            self.best_loss_ = np.inf
        # a continued fit starts from the raw iterate of an averaged one
        stored = None if first_call else getattr(self, "_average_state", None)
        start = (self.coefs_, self.intercepts_) if stored is None else (
            stored["coefs"], stored["intercepts"]
        )
        averaged = [*self.coefs_, *self.intercepts_]
        state = TrainingState.start(
            *start,
            self._optimizer_state,
            settings.slot_names,
            counters={
                "n_iter": self.n_iter_,
                "samples_seen": self.t_,
                "learning_rate": self._learning_rate,
            },
            history={
                "loss_curve": self.loss_curve_,
                "best_loss": self.best_loss_,
                "validation_scores": self.validation_scores_,
                "best_validation_score": self.best_validation_score_,
                "loss": getattr(self, "loss_", None),
            },
        )
        # the views replace the arrays handed in, which are freed
        self.coefs_, self.intercepts_ = state.buffers.coefs, state.buffers.intercepts
        self._optimizer_state = state.optimizer_state_out()
        if settings.average is not None:
            # partial_fit continues the same average; a fit starts its own
            same = stored is not None and tuple(stored["average"]) == settings.average
            resume = incremental and same and stored["count"] > 0
            state.average = WeightAverage(
                settings.average,
                state.buffers.params,
                np.concatenate([a.ravel() for a in averaged]) if resume else None,
                stored["count"] if resume else 0,
            )
        return state

    def _keep_average(self, state, settings, restored_best):
        """At the end of a fit: the averaged weights become the fitted ones,
        and the raw iterate (with the count of the average) is kept for
        ``partial_fit`` and ``warm_start`` to continue from."""
        if state.average is None:
            if hasattr(self, "_average_state"):
                del self._average_state
            return
        raw, count = state.average.finish(restored_best)
        coefs, intercepts = state.buffers.layers_of(raw)
        kind, setting = settings.average
        self._average_state = {
            "average": [kind, setting],
            "count": count,
            "coefs": coefs,
            "intercepts": intercepts,
        }

    def _copy_out(self, state):
        """Set the fitted attributes from the training state."""
        for name, value in state.fitted_attributes().items():
            if name != "loss_" or value is not None:
                setattr(self, name, value)
        self._optimizer_state = state.optimizer_state_out()
        self._learning_rate = state.learning_rate

    def _validation_score(self, passes, validation):
        """The function the loops call for a validation score (None without
        a validation set): the negated validation loss, or the scorer's value
        of this estimator (whose weights are the training state's)."""
        if validation is None:
            return lambda: None
        X, y, Y, sample_weight = validation
        scorer = passes.settings.scorer
        if scorer is None:
            return lambda: -passes.validation_loss(X, Y, sample_weight)
        return lambda: scorer(self, X, y, sample_weight=sample_weight)

    def _validate_training_data(self, X, y, sample_weight, first_call, incremental, classes,
                                transform=True):
        """Checked X and y, the training targets Y (in X's dtype), the strata
        of the validation split and the sample weights. ``transform=False``
        gives the encoded targets before :meth:`_training_targets`."""
        is_classifier = hasattr(self, "_encode_targets_classifier")
        check_dense_y(y)
        with named_input_errors("X" if is_classifier else "X and y"):
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
            sample_weight = self._weighted_by_class(sample_weight, X, y, strata, incremental)
            sample_weight = checked_sample_weight(sample_weight, X)
        if transform:
            Y = self._training_targets(Y, sample_weight, first_call)
        return X, y, Y, strata, sample_weight

    def _training_targets(self, Y, sample_weight, first_call):
        """The targets the network trains on, from the encoded ``Y``
        (subclasses smooth or standardize them; ``first_call`` fits what
        the transform learns from the data)."""
        return Y

    def _initial_output_bias(self, Y, sample_weight):
        """The output layer's starting biases: the raw output of the best
        constant prediction of the training targets ``Y`` (see
        :func:`skreg.network.constant_output_bias`)."""
        loss = self._make_loss()
        return constant_output_bias(loss.out_activation, Y, sample_weight)

    def _weighted_by_class(self, sample_weight, X, y, strata, incremental):
        """The sample weights times the class weights (classifiers)."""
        return sample_weight

    def _check_memory(self, layer_sizes, settings, X):
        """Refuse a network too large for this machine's memory before
        allocating it (see :func:`skreg._checks.training_memory`)."""
        lbfgs = not settings.is_stochastic
        n_slots = 2 if settings.slot_names is None else len(settings.slot_names)
        if settings.average is not None:
            # the average, the raw iterate while it is swapped out, the best
            # epoch's raw iterate and the EMA's copy at the start of an epoch
            n_slots += 4
        rows = X.shape[0] if lbfgs else settings.batch_size_for(X.shape[0])
        needed = training_memory(layer_sizes, X.dtype.itemsize, n_slots, rows, lbfgs)
        check_network_fits_in_memory(self.hidden_layer_sizes, needed, physical_memory())

    def _init_network(self, layer_sizes, settings, rng, dtype):
        """Fresh weights, optimizer state and counters."""
        self.coefs_, self.intercepts_ = init_parameters(layer_sizes, self.init, rng, dtype)
        self.n_layers_ = len(layer_sizes)
        self.n_outputs_ = layer_sizes[-1]
        self.n_iter_ = 0
        self.t_ = 0
        self._optimizer_state = fresh_optimizer_state(
            settings.optimizer, self.coefs_ + self.intercepts_
        )
        self._learning_rate = settings.learning_rate

    def _check_continuation(self, X, Y, hidden, settings):
        """partial_fit and warm_start continue the fitted network: the data
        and the architecture must match it; a new optimizer starts afresh."""
        if self.coefs_[0].shape[0] != X.shape[1] or self.n_outputs_ != Y.shape[1]:
            raise ValueError("X or y do not match the shape of the fitted network.")
        fitted = [W.shape[1] for W in self.coefs_[:-1]]
        if fitted != hidden:
            raise ValueError(
                f"hidden_layer_sizes={self.hidden_layer_sizes!r} differs from the "
                f"fitted network's hidden layers {tuple(fitted)}, which partial_fit "
                "and warm_start continue. Use warm_start=False for a new network."
            )
        if set(self._optimizer_state) != set(fresh_optimizer_state(settings.optimizer, [])):
            self._optimizer_state = fresh_optimizer_state(
                settings.optimizer, self.coefs_ + self.intercepts_
            )

    # -- prediction helpers ----------------------------------------------------
    def _raw_output(self, X, warn=True):
        check_is_fitted(self)
        with named_input_errors("X"):
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

    def _data_loss(self, X, y, sample_weight=None):
        """The weighted mean data loss (no penalty) of the fitted model on
        ``(X, y)``: the training objective's first term on other rows."""
        z = self._raw_output(X)
        y = np.asarray(y)
        if y.shape[0] != z.shape[0]:
            raise ValueError(f"X has {z.shape[0]} rows but y has {y.shape[0]}.")
        with named_input_errors("y"):
            Y, _ = self._encode_targets(y, False, True, None)
            sample_weight = checked_sample_weight(sample_weight, z)
        Y = self._training_targets(Y.astype(z.dtype, copy=False), sample_weight, False)
        per_sample = self._make_loss().per_sample(Y, z)
        return float(per_sample @ sample_weight / sample_weight.sum())

    # -- reporting ------------------------------------------------------------
    @property
    def sparsity_(self):
        """Fraction of weights that are exactly zero, one entry per layer."""
        check_is_fitted(self)
        return [float(np.mean(W == 0)) for W in self.coefs_]

    @property
    def used_features_(self):
        """Boolean mask of the input features with a non-zero outgoing weight.

        With ``group_alpha > 0`` (or ``l1_ratio > 0``) the proximal steps zero
        whole rows of the first weight matrix; the features of those rows no
        longer affect predictions.
        """
        check_is_fitted(self)
        return np.any(self.coefs_[0] != 0, axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        return tags
