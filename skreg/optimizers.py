"""Optimizers: settings objects that name a chain of update transforms.

An optimizer object holds settings only (``get_params``/``set_params``, so it
can be cloned and searched with ``GridSearchCV`` as ``optimizer__beta_1``).
:meth:`Optimizer.transforms` turns the settings into the links of the update
chain (see :mod:`skreg.transforms`; every rule and its compiled twin live in
:mod:`skreg.rules`): its direction rule, followed by decoupled weight decay for
:class:`AdamW` and :class:`SGDW`. The state (moment estimates, step count) is
created by :meth:`Optimizer.init_state` and lives with the fitted model, which
is what lets ``partial_fit`` and ``warm_start`` continue it.

:class:`LBFGS` is not a chain: it minimizes the full-batch objective with
scipy and takes no stochastic steps.
"""

from numbers import Integral, Real

from scipy.optimize import minimize
from sklearn.base import BaseEstimator

from ._compat import Interval, StrOptions, validate_params
from ._update import run_on_arrays
from .rules import AdadeltaRule, AdagradRule, AdamRule, MomentumRule, RMSpropRule, SGDRule
from .schedules import STRENGTH_SCHEDULES
from .transforms import ApplyUpdates, DecoupledDecay

_DECAY = [Interval(Real, 0, 1, closed="left")]  # a fraction kept per step, in [0, 1)
_EPSILON = [Interval(Real, 0, None, closed="neither")]  # > 0: 0/0 where g = 0 otherwise
_WEIGHT_DECAY = [Interval(Real, 0, None, closed="left")]
_WEIGHT_DECAY_SCHEDULE = [StrOptions(set(STRENGTH_SCHEDULES))]


class Optimizer(BaseEstimator):
    """Base class of the stochastic optimizers: settings that name a chain.

    Subclasses define :meth:`rule` (the direction link, from
    :mod:`skreg.rules`) and ``default_learning_rate``; those with a
    decoupled weight decay set ``weight_decay`` (and may set
    ``weight_decay_schedule``).
    """

    default_learning_rate = 1e-3
    is_stochastic = True

    def rule(self):
        """The direction link of this optimizer (see :mod:`skreg.rules`)."""
        raise NotImplementedError

    def transforms(self):
        """The optimizer's links of the update chain, in order.

        Returns
        -------
        list of Link
            The direction rule, then decoupled weight decay where the
            optimizer has a positive ``weight_decay``, on its
            ``weight_decay_schedule``.
        """
        links = [self.rule()]
        weight_decay = float(getattr(self, "weight_decay", 0.0) or 0.0)
        if weight_decay:
            schedule = getattr(self, "weight_decay_schedule", "constant")
            links.append(DecoupledDecay(weight_decay, schedule))
        return links

    @property
    def slots(self):
        """Names of the per-parameter state arrays of its links, all starting
        at zero."""
        return tuple(name for link in self.transforms() for name in link.slots)

    def init_state(self, params):
        """Fresh state for a list of parameter arrays.

        Parameters
        ----------
        params : list of ndarray
            The parameters the state is for; each state array matches one.

        Returns
        -------
        state : dict
            ``{"t": 0}`` plus one list of zero arrays per name in ``slots``.

        Raises
        ------
        ValueError
            If a setting is invalid (named, with its allowed values).
        """
        validate_params(self)
        links = self.transforms()
        per_param = [{k: v for link in links for k, v in link.init(p).items()} for p in params]
        state = {"t": 0}
        for name in self.slots:
            state[name] = [slots[name] for slots in per_param]
        return state

    def update(self, params, grads, state, lr, is_weight, return_steps=False, progress=0.0):
        """Take one step in place on ``params`` and ``state``.

        Parameters
        ----------
        params, grads : list of ndarray
            Parameters and their gradients; ``grads`` may be overwritten.
        state : dict
            As returned by :meth:`init_state`; updated in place.
        lr : float
            Learning rate of this step.
        is_weight : list of bool
            Which parameters are weight matrices (the others are biases,
            which decoupled weight decay leaves alone).
        return_steps : bool
            If True, return the step size taken per parameter (a number, or
            an array of per-coordinate steps for adaptive optimizers), which is
            the scale of the proximal steps.
        progress : float, default=0.0
            Share of the planned training steps taken before this one, which
            a ``weight_decay_schedule`` reads (see :mod:`skreg.schedules`).
            The estimators pass it to their built-in chain; an object that
            wraps this optimizer and calls ``update`` without it gets the
            strength of the start, ``weight_decay`` itself.

        Returns
        -------
        steps : list or None
        """
        state["t"] += 1
        links = [*self.transforms(), ApplyUpdates()]
        steps = run_on_arrays(
            links, params, grads, state, float(lr), state["t"], is_weight, return_steps,
            float(progress),
        )
        return steps if return_steps else None


class SGD(Optimizer):
    """Plain stochastic gradient descent: ``theta <- theta - lr * g``.

    Examples
    --------
    >>> from skreg import MLPRegressor
    >>> from skreg.optimizers import SGD
    >>> MLPRegressor(optimizer=SGD(), learning_rate_init=0.05)
    MLPRegressor(learning_rate_init=0.05, optimizer=SGD())
    """

    _parameter_constraints = {}
    default_learning_rate = 0.01

    def rule(self):
        """Plain gradient descent (see :mod:`skreg.rules`)."""
        return SGDRule()


class Momentum(Optimizer):
    """Heavy-ball momentum: ``v <- momentum * v - lr * g; theta <- theta + v``.

    Parameters
    ----------
    momentum : float, default=0.9
        Fraction of the previous velocity kept, in [0, 1).
    """

    slots = ("velocity",)
    _parameter_constraints = {"momentum": _DECAY}
    default_learning_rate = 0.01

    def __init__(self, momentum=0.9):
        self.momentum = momentum

    def rule(self):
        """Heavy-ball momentum (see :mod:`skreg.rules`)."""
        return MomentumRule(self.momentum)


class Nesterov(Optimizer):
    """Nesterov accelerated gradient in stored-parameter form.

    ``v_new <- momentum * v - lr * g; theta <- theta + momentum * v_new - lr * g``

    Parameters
    ----------
    momentum : float, default=0.9
        Fraction of the previous velocity kept, in [0, 1).
    """

    slots = ("velocity",)
    _parameter_constraints = {"momentum": _DECAY}
    default_learning_rate = 0.01

    def __init__(self, momentum=0.9):
        self.momentum = momentum

    def rule(self):
        """Nesterov's look-ahead momentum (see :mod:`skreg.rules`)."""
        return MomentumRule(self.momentum, nesterov=True)


class Adagrad(Optimizer):
    """Adagrad: ``G <- G + g^2; theta <- theta - lr * g / (sqrt(G) + epsilon)``.

    Parameters
    ----------
    epsilon : float, default=1e-10
        Added to the denominator for numerical stability.
    """

    slots = ("sum_sq",)
    _parameter_constraints = {"epsilon": _EPSILON}
    default_learning_rate = 0.01

    def __init__(self, epsilon=1e-10):
        self.epsilon = epsilon

    def rule(self):
        """Adagrad's rule (see :mod:`skreg.rules`)."""
        return AdagradRule(self.epsilon)


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012), with the paper's rule at ``learning_rate_init=1``.

    ``E[g^2] <- rho E[g^2] + (1 - rho) g^2``;
    ``d <- -sqrt(E[d^2] + eps) / sqrt(E[g^2] + eps) * g``;
    ``E[d^2] <- rho E[d^2] + (1 - rho) d^2``; ``theta <- theta + lr * d``.

    Parameters
    ----------
    rho : float, default=0.95
        Decay of the running averages.
    epsilon : float, default=1e-6
        Added inside both square roots.
    """

    slots = ("mean_sq_grad", "mean_sq_delta")
    _parameter_constraints = {"rho": _DECAY, "epsilon": _EPSILON}
    default_learning_rate = 1.0

    def __init__(self, rho=0.95, epsilon=1e-6):
        self.rho = rho
        self.epsilon = epsilon

    def rule(self):
        """Adadelta's rule (see :mod:`skreg.rules`)."""
        return AdadeltaRule(self.rho, self.epsilon)


class RMSprop(Optimizer):
    """RMSprop: ``E[g^2] <- rho E[g^2] + (1 - rho) g^2;
    theta <- theta - lr * g / (sqrt(E[g^2]) + epsilon)``.

    Parameters
    ----------
    rho : float, default=0.9
        Decay of the running average of squared gradients.
    epsilon : float, default=1e-8
        Added to the denominator.
    """

    slots = ("mean_sq",)
    _parameter_constraints = {"rho": _DECAY, "epsilon": _EPSILON}
    default_learning_rate = 1e-3

    def __init__(self, rho=0.9, epsilon=1e-8):
        self.rho = rho
        self.epsilon = epsilon

    def rule(self):
        """RMSprop's rule (see :mod:`skreg.rules`)."""
        return RMSpropRule(self.rho, self.epsilon)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias-corrected moments.

    Parameters
    ----------
    beta_1 : float, default=0.9
        Decay of the first-moment estimate, in [0, 1).
    beta_2 : float, default=0.999
        Decay of the second-moment estimate, in [0, 1).
    epsilon : float, default=1e-8
        Added to the denominator.
    """

    slots = ("m", "v")
    _parameter_constraints = {"beta_1": _DECAY, "beta_2": _DECAY, "epsilon": _EPSILON}
    default_learning_rate = 1e-3

    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def rule(self):
        """Adam's bias-corrected moments (see :mod:`skreg.rules`)."""
        return AdamRule(self.beta_1, self.beta_2, self.epsilon)


class Nadam(Adam):
    """Nadam (Dozat 2016): Adam with a Nesterov-style first moment.

    Steps with ``(beta_1 * m_hat + (1 - beta_1) * g / (1 - beta_1^t)) /
    (sqrt(v_hat) + epsilon)``.

    Parameters
    ----------
    beta_1 : float, default=0.9
        Decay of the first-moment estimate, in [0, 1).
    beta_2 : float, default=0.999
        Decay of the second-moment estimate, in [0, 1).
    epsilon : float, default=1e-8
        Added to the denominator.
    """

    def rule(self):
        """Adam's moments with Nesterov's step (see :mod:`skreg.rules`)."""
        return AdamRule(self.beta_1, self.beta_2, self.epsilon, nesterov=True)


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter 2019): Adam plus decoupled weight decay.

    Weights (not biases) also decay in proportion to their value before the
    step (the paper's Algorithm 2, line 12; torch.optim.AdamW and optax do
    the same): ``theta <- theta - lr * (m_hat / (sqrt(v_hat) + epsilon)
    + weight_decay * theta)``. Unlike an L2 penalty (``alpha``), the decay is
    not divided by ``sqrt(v_hat)``; with plain SGD the two would coincide.

    Parameters
    ----------
    beta_1, beta_2, epsilon : float
        As for :class:`Adam`.
    weight_decay : float, default=0.01
        Decoupled decay rate, multiplied by the learning rate.
    weight_decay_schedule : {"constant", "flat_cosine"}, default="constant"
        How the decay rate changes over the planned steps of a fit (``max_iter``
        epochs): ``"constant"`` keeps ``weight_decay``; ``"flat_cosine"`` keeps
        it for the first half, then lowers it along a half cosine to 0 at the
        end, step by step (RealMLP's schedule; see :mod:`skreg.schedules`).

    Examples
    --------
    >>> from skreg import MLPClassifier
    >>> from skreg.optimizers import AdamW
    >>> MLPClassifier(optimizer=AdamW(weight_decay=0.02, weight_decay_schedule="flat_cosine"))
    MLPClassifier(optimizer=AdamW(weight_decay=0.02, weight_decay_schedule='flat_cosine'))
    """

    _parameter_constraints = {
        **Adam._parameter_constraints,
        "weight_decay": _WEIGHT_DECAY,
        "weight_decay_schedule": _WEIGHT_DECAY_SCHEDULE,
    }

    def __init__(
        self, beta_1=0.9, beta_2=0.999, epsilon=1e-8, weight_decay=0.01,
        weight_decay_schedule="constant",
    ):
        super().__init__(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
        self.weight_decay = weight_decay
        self.weight_decay_schedule = weight_decay_schedule


class SGDW(SGD):
    """Plain SGD plus decoupled weight decay.

    ``theta <- theta - lr * (g + weight_decay * theta)`` with ``theta`` the
    weights before the step (biases do not decay). With plain SGD this is the
    same update as an L2 penalty ``alpha = weight_decay`` (up to rounding):
    the decay sits after the direction and the L2 gradient before it, and
    plain SGD's direction is the gradient itself. The two differ in what they
    report: ``alpha`` is part of the objective in ``loss_curve_``, the decay
    is not.

    Parameters
    ----------
    weight_decay : float, default=0.01
        Decoupled decay rate, multiplied by the learning rate.
    weight_decay_schedule : {"constant", "flat_cosine"}, default="constant"
        As for :class:`AdamW`.
    """

    _parameter_constraints = {
        "weight_decay": _WEIGHT_DECAY,
        "weight_decay_schedule": _WEIGHT_DECAY_SCHEDULE,
    }

    def __init__(self, weight_decay=0.01, weight_decay_schedule="constant"):
        self.weight_decay = weight_decay
        self.weight_decay_schedule = weight_decay_schedule


class LBFGS(BaseEstimator):
    """Full-batch L-BFGS through ``scipy.optimize.minimize(method="L-BFGS-B")``.

    Not a chain of stochastic steps: it minimizes the whole objective on the
    full batch. Deterministic; it cannot be combined with dropout,
    DropConnect, input noise, max-norm or a non-smooth penalty (``l1_ratio >
    0``, ``group_alpha > 0``), which all need stochastic or proximal steps.
    ``max_iter`` of the estimator bounds the iterations.

    Parameters
    ----------
    max_fun : int, default=15000
        Maximum number of loss evaluations.
    """

    _parameter_constraints = {"max_fun": [Interval(Integral, 1, None, closed="left")]}
    is_stochastic = False
    default_learning_rate = None

    def __init__(self, max_fun=15000):
        self.max_fun = max_fun

    def minimize(self, objective, x0, max_iter, tol, callback):
        """Run L-BFGS-B from ``x0``.

        Parameters
        ----------
        objective : callable
            ``objective(x) -> (value, gradient)``, float64.
        x0 : ndarray
            The starting point, float64.
        max_iter : int
            Most iterations.
        tol : float
            scipy's ``gtol``.
        callback : callable
            Called after each iteration with scipy's intermediate result; it
            may raise ``StopIteration`` to stop.

        Returns
        -------
        scipy.optimize.OptimizeResult
        """
        validate_params(self)
        return minimize(
            objective,
            x0,
            jac=True,
            method="L-BFGS-B",
            callback=callback,
            options={"maxiter": max_iter, "maxfun": self.max_fun, "gtol": tol},
        )


OPTIMIZERS = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": Adagrad,
    "adadelta": Adadelta,
    "rmsprop": RMSprop,
    "adam": Adam,
    "nadam": Nadam,
    "adamw": AdamW,
    "sgdw": SGDW,
    "lbfgs": LBFGS,
}

__all__ = [
    "Optimizer",
    "SGD",
    "Momentum",
    "Nesterov",
    "Adagrad",
    "Adadelta",
    "RMSprop",
    "Adam",
    "Nadam",
    "AdamW",
    "SGDW",
    "LBFGS",
]
