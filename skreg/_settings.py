"""What the estimator's parameters mean together: each one checked against
the others once per fit, and resolved into the settings the training loop
reads (optimizer object, penalty, dropout rate per layer, learning rate,
batch size, validation scorer)."""

from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np
from sklearn.metrics import get_scorer

from ._compat import validate_params
from .optimizers import OPTIMIZERS
from .penalties import ElasticNet

_REGULARIZED_BY_NOISE = ("dropout", "input_dropout", "dropconnect", "noise_std")


def is_stochastic(est):
    """False when ``est.optimizer`` is L-BFGS (no mini-batches, no partial_fit)."""
    opt = est.optimizer
    opt = OPTIMIZERS[opt] if isinstance(opt, str) else opt
    return getattr(opt, "is_stochastic", True)


def validation_scorer(scoring):
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


def hidden_sizes(est):
    """``hidden_layer_sizes`` as a list of positive ints."""
    sizes = est.hidden_layer_sizes
    sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
    if not all(isinstance(s, Integral) and s >= 1 for s in sizes):
        raise ValueError(
            "hidden_layer_sizes must be a tuple of positive integers (or () for "
            f"no hidden layer); got {est.hidden_layer_sizes!r}."
        )
    return [int(s) for s in sizes]


def dropout_rates(est, n_hidden):
    """One dropout rate per hidden layer, from a number or a sequence."""
    rates = est.dropout
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


def optimizer_object(est):
    """A validated optimizer object for ``est.optimizer`` (a name or an object)."""
    opt = est.optimizer
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


def resolve_settings(est, n_hidden):
    """Check the rules that involve several parameters; return the
    settings the training loop works with."""
    optimizer = optimizer_object(est)
    dropout = dropout_rates(est, n_hidden)
    if n_hidden == 0 and (np.any(np.asarray(est.dropout) > 0) or est.max_norm is not None):
        raise ValueError(
            "dropout and max_norm act on hidden units, but hidden_layer_sizes=() "
            "has none; add a hidden layer or leave them at their defaults."
        )
    if not optimizer.is_stochastic:
        noisy = [name for name in _REGULARIZED_BY_NOISE if np.any(getattr(est, name))]
        if noisy:
            raise ValueError(
                f"optimizer='lbfgs' trains on the full batch without noise; it "
                f"cannot be used with {', '.join(noisy)} > 0. Use a stochastic "
                "optimizer such as 'adam'."
            )
        if est.l1_ratio > 0 and est.alpha > 0:
            raise ValueError(
                "l1_ratio > 0 needs the proximal step of a stochastic optimizer "
                "to give exact zeros; optimizer='lbfgs' cannot take it. Use "
                "optimizer='adam' (or another stochastic optimizer), or l1_ratio=0."
            )
        if est.max_norm is not None:
            raise ValueError(
                "max_norm is applied after each stochastic step; optimizer='lbfgs' "
                "takes none and would ignore it. Use a stochastic optimizer such "
                "as 'adam', or max_norm=None."
            )
    lr = est.learning_rate_init
    if not optimizer.is_stochastic:
        lr = None  # L-BFGS takes no steps of a set size: nothing to schedule
    elif lr == "auto":
        lr = optimizer.default_learning_rate
        if n_hidden == 0:
            lr *= 10.0  # a convex linear model takes larger steps safely
    scorer = validation_scorer(est.scoring)
    batch_size = est.batch_size

    def batch_size_for(n):
        if batch_size == "auto":
            return min(200, n)
        return min(batch_size, n)

    return SimpleNamespace(
        optimizer=optimizer,
        penalty=ElasticNet(est.alpha, est.l1_ratio),
        dropout=dropout,
        input_dropout=est.input_dropout,
        dropconnect=est.dropconnect,
        noise_std=est.noise_std,
        max_norm=est.max_norm,
        scorer=scorer,
        batch_size=batch_size_for,
        learning_rate=lr,
        is_weight=[True] * (n_hidden + 1) + [False] * (n_hidden + 1),
    )
