"""What the estimator's parameters mean together: each one checked against
the others once per fit, and resolved into the immutable :class:`Settings`
the training loop reads (optimizer object, penalties and the update chain,
dropout rate per layer, learning rate, batch size, validation scorer)."""

import functools
from dataclasses import dataclass
from types import MethodType
from numbers import Integral, Real

import numpy as np
from sklearn.metrics import get_scorer

from ._compat import validate_params
from ._custom import CustomOptimizerStep
from .constraints import MaxNorm
from .optimizers import OPTIMIZERS
from .penalties import ElasticNet, GroupLasso
from .schedules import PER_STEP, strength_factor
from .transforms import AddPenaltyGradient, ApplyUpdates

_REGULARIZED_BY_NOISE = ("dropout", "input_dropout", "dropconnect", "noise_std", "mixup_alpha")


def takes_steps(optimizer):
    """False for L-BFGS (a name, class or object): no mini-batches, no update
    chain, no partial_fit. A custom optimizer object takes steps."""
    optimizer = OPTIMIZERS[optimizer] if isinstance(optimizer, str) else optimizer
    return getattr(optimizer, "is_stochastic", True)


def is_stochastic(est):
    """False when ``est.optimizer`` is L-BFGS (no mini-batches, no partial_fit)."""
    return takes_steps(est.optimizer)


class PartialFitRefused(AttributeError, ValueError):
    """``partial_fit`` asked of an estimator with ``early_stopping=True``.

    A ``ValueError`` with scikit-learn's message, as scikit-learn's MLP
    raises; and an ``AttributeError``, so that ``hasattr(est, "partial_fit")``
    is False in that configuration and tools that feed batches see no
    ``partial_fit`` (as with L-BFGS).
    """


def refuse_partial_fit_with_early_stopping(est):
    """Raise :class:`PartialFitRefused` when ``est.early_stopping`` is on."""
    if est.early_stopping:
        raise PartialFitRefused("partial_fit does not support early_stopping=True")


class partial_fit_method:
    """Decorator of ``partial_fit``: available with a stochastic optimizer
    and without early stopping (one epoch on new rows has no validation
    split to stop on)."""

    def __init__(self, fn):
        self.fn = fn
        functools.update_wrapper(self, fn)

    def __get__(self, obj, owner=None):
        if obj is None:
            return self.fn
        if not is_stochastic(obj):
            raise AttributeError(
                f"This {type(obj).__name__!r} has no attribute 'partial_fit' "
                "(L-BFGS trains on the full batch)"
            )
        refuse_partial_fit_with_early_stopping(obj)
        return MethodType(self.fn, obj)


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
            value = scorer(est, X, y, sample_weight=sample_weight)
        except (ValueError, TypeError) as exc:
            raise type(exc)(
                f"scoring={scoring!r} failed on the validation set: {exc}"
            ) from exc
        if isinstance(value, (bool, np.bool_)) or not (
            isinstance(value, Real) or (isinstance(value, np.ndarray) and value.ndim == 0
                                        and value.dtype.kind in "iuf")
        ):
            raise TypeError(
                f"scoring={scoring!r} must return a number (higher is better); it "
                f"returned {value!r} of type {type(value).__name__}."
            )
        return float(value)

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


def fresh_optimizer_state(optimizer, params):
    """The optimizer's initial state for ``params`` (``{"t": 0}`` for L-BFGS,
    which keeps none)."""
    if not takes_steps(optimizer):
        return {"t": 0}
    return optimizer.init_state(params)


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
    name = type(opt).__name__
    steps = callable(getattr(opt, "init_state", None)) and callable(getattr(opt, "update", None))
    stochastic = getattr(opt, "is_stochastic", None)
    if stochastic is None and not steps:
        raise TypeError(
            f"optimizer={name}() has no is_stochastic attribute: set is_stochastic = False "
            "on an object that minimizes the full-batch objective with minimize() (as "
            "LBFGS), or give it init_state() and update() to take stochastic steps."
        )
    if stochastic is not None and not isinstance(stochastic, (bool, np.bool_)):
        raise TypeError(f"optimizer={name}().is_stochastic must be True or False; "
                        f"got {stochastic!r}.")
    if stochastic and not steps:
        raise TypeError(f"optimizer={name}() has is_stochastic = True but no "
                        "init_state() and update() methods to take the steps.")
    if stochastic is False and not callable(getattr(opt, "minimize", None)):
        raise TypeError(f"optimizer={name}() has is_stochastic = False but no "
                        "minimize() method.")
    return opt


@dataclass(frozen=True)
class Settings:
    """Everything a fit reads, resolved once from the estimator's parameters
    and never changed afterwards.

    ``links`` is the update chain (see :mod:`skreg.transforms`) for a
    stochastic optimizer, and empty for L-BFGS. ``slot_names`` names the
    optimizer's state arrays; None for a custom optimizer object, whose state
    dict is kept as it is.
    """

    optimizer: object
    penalties: tuple
    links: tuple
    activation: str
    dropout: tuple
    input_dropout: float
    dropconnect: float
    noise_std: float
    scorer: object
    batch_size: object
    learning_rate: object
    schedule: str
    power_t: float
    max_iter: int
    shuffle: bool
    tol: float
    n_iter_no_change: float  # an int, or np.inf for no patience limit
    early_stopping: bool
    validation_fraction: float
    verbose: int
    slot_names: object
    # schedules within a fit (see skreg.schedules)
    warmup: float = 0.0
    dropout_schedule: str = "constant"
    n_steps_no_change: int = 0
    average: object = None  # None, ("swa", first epoch) or ("ema", decay)
    mixup_alpha: float = 0.0

    @property
    def is_stochastic(self):
        """False for L-BFGS."""
        return takes_steps(self.optimizer)

    @property
    def noisy_layers(self):
        """Whether dropout or DropConnect masks are drawn per batch."""
        return any(self.dropout) or bool(self.dropconnect)

    @property
    def needs_row_keys(self):
        """Whether per-sample noise is drawn from the rows' content keys."""
        return any(self.dropout) or bool(self.input_dropout or self.noise_std)

    @property
    def scheduled_noise(self):
        """Whether the dropout rates follow a schedule within the fit."""
        return self.dropout_schedule != "constant" and (
            any(self.dropout) or bool(self.input_dropout or self.dropconnect)
        )

    @property
    def steps_scheduled(self):
        """Whether anything changes from one mini-batch step to the next: the
        learning rate (a per-step schedule or a warm-up), the dropout rates or
        a decoupled weight decay (see :mod:`skreg.schedules`)."""
        per_step_rate = self.learning_rate is not None and (
            self.schedule in PER_STEP or bool(self.warmup)
        )
        scheduled_decay = any(
            getattr(link, "schedule", "constant") != "constant" for link in self.links
        )
        return per_step_rate or self.scheduled_noise or scheduled_decay

    def noise_rates(self, progress):
        """``(dropout per hidden layer, input_dropout, dropconnect)`` of the
        step at training progress ``progress``."""
        factor = strength_factor(self.dropout_schedule, progress)
        return (
            tuple(rate * factor for rate in self.dropout),
            self.input_dropout * factor,
            self.dropconnect * factor,
        )

    def batch_size_for(self, n):
        """The mini-batch size for ``n`` training rows."""
        return min(200 if self.batch_size == "auto" else self.batch_size, n)

    def penalty_value(self, coefs):
        """The value of all penalties on the weight matrices ``coefs``."""
        return sum(penalty.value(coefs) for penalty in self.penalties)


def _refuse_with_lbfgs(est, penalties):
    """L-BFGS trains on the full batch with smooth objectives only."""
    noisy = [name for name in _REGULARIZED_BY_NOISE if np.any(getattr(est, name))]
    if noisy:
        raise ValueError(
            f"optimizer='lbfgs' trains on the full batch without noise; it "
            f"cannot be used with {', '.join(noisy)} > 0. Use a stochastic "
            "optimizer such as 'adam'."
        )
    for penalty in penalties:
        if not penalty.is_smooth:
            raise ValueError(
                f"{penalty.parameter} > 0 needs the proximal step of a stochastic "
                "optimizer to give exact zeros; optimizer='lbfgs' cannot take it. "
                "Use optimizer='adam' (or another stochastic optimizer), or "
                f"{penalty.parameter}=0."
            )
    if est.max_norm is not None:
        raise ValueError(
            "max_norm is applied after each stochastic step; optimizer='lbfgs' "
            "takes none and would ignore it. Use a stochastic optimizer such "
            "as 'adam', or max_norm=None."
        )


def averaging(est, optimizer):
    """What ``est.average`` asks for: None (off), ``("swa", k)`` (the mean of
    the weights at the end of every epoch from epoch ``k`` on) or
    ``("ema", decay)`` (an exponential moving average after every step)."""
    average = est.average
    if isinstance(average, (bool, np.bool_)):
        spec = ("swa", 1) if average else None
    elif isinstance(average, Integral) and average >= 1:
        spec = ("swa", int(average))
    elif isinstance(average, Real) and 0.0 < average < 1.0:
        spec = ("ema", float(average))
    else:
        raise ValueError(
            "average must be False, True, an int k >= 1 (the mean of the weights "
            "at the end of each epoch from epoch k on) or a float in (0, 1) (the "
            f"decay of an exponential moving average); got {average!r}."
        )
    if spec is not None and not takes_steps(optimizer):
        raise ValueError(
            f"average={average!r} averages the weights along the steps of a "
            "stochastic optimizer; optimizer='lbfgs' takes none. Use a stochastic "
            "optimizer such as 'adam', or average=False."
        )
    return spec


def _learning_rate(est, optimizer, n_hidden):
    lr = est.learning_rate_init
    if not takes_steps(optimizer):
        return None  # L-BFGS takes no steps of a set size: nothing to schedule
    if lr == "auto":
        if not isinstance(getattr(optimizer, "default_learning_rate", None), Real):
            raise TypeError(
                f"learning_rate_init='auto' takes the optimizer's default_learning_rate, "
                f"which optimizer={type(optimizer).__name__}() does not define; pass "
                "learning_rate_init as a number."
            )
        lr = optimizer.default_learning_rate
        if n_hidden == 0:
            lr *= 10.0  # a convex linear model takes larger steps safely
    return lr


def _chain(optimizer, penalties, max_norm):
    """The update chain: smooth penalty gradients -> the optimizer's links
    -> apply -> proximal steps -> constraints."""
    if not takes_steps(optimizer):
        return ()
    gradients, proxes = [], []
    for penalty in penalties:
        for link in penalty.links():
            (gradients if isinstance(link, AddPenaltyGradient) else proxes).append(link)
    if hasattr(optimizer, "transforms"):
        links = [*gradients, *optimizer.transforms(), ApplyUpdates(), *proxes]
    else:  # an object with init_state/update of its own
        structured = [link for link in proxes if not link.elementwise]
        links = [CustomOptimizerStep(optimizer, penalties, bool(structured)), *structured]
    if max_norm is not None:
        links.append(MaxNorm(max_norm))
    return tuple(links)


def resolve_settings(est, n_hidden):
    """Check the rules that involve several parameters; return the
    :class:`Settings` of this fit."""
    optimizer = optimizer_object(est)
    dropout = dropout_rates(est, n_hidden)
    if n_hidden == 0 and (np.any(np.asarray(est.dropout) > 0) or est.max_norm is not None):
        raise ValueError(
            "dropout and max_norm act on hidden units, but hidden_layer_sizes=() "
            "has none; add a hidden layer or leave them at their defaults."
        )
    penalties = (ElasticNet(est.alpha, est.l1_ratio), GroupLasso(est.group_alpha))
    if not takes_steps(optimizer):
        _refuse_with_lbfgs(est, penalties)
    if hasattr(optimizer, "transforms"):
        slot_names = tuple(optimizer.slots)
    else:  # L-BFGS keeps no slots; a custom optimizer keeps its own state dict
        slot_names = None if takes_steps(optimizer) else ()
    return Settings(
        optimizer=optimizer,
        penalties=penalties,
        links=_chain(optimizer, penalties, est.max_norm),
        activation=est.activation,
        dropout=tuple(dropout),
        input_dropout=est.input_dropout,
        dropconnect=est.dropconnect,
        noise_std=est.noise_std,
        scorer=validation_scorer(est.scoring),
        batch_size=est.batch_size,
        learning_rate=_learning_rate(est, optimizer, n_hidden),
        schedule=est.learning_rate,
        power_t=est.power_t,
        max_iter=est.max_iter,
        shuffle=est.shuffle,
        tol=est.tol,
        n_iter_no_change=est.n_iter_no_change,
        early_stopping=est.early_stopping,
        validation_fraction=est.validation_fraction,
        verbose=est.verbose,
        slot_names=slot_names,
        warmup=float(est.warmup),
        dropout_schedule=est.dropout_schedule,
        n_steps_no_change=est.n_steps_no_change,
        average=averaging(est, optimizer),
        mixup_alpha=float(est.mixup_alpha),
    )
