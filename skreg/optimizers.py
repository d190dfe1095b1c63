"""Optimizers as settings objects with pure update rules.

An optimizer object holds settings only (``get_params``/``set_params``, so it
can be cloned and searched with ``GridSearchCV`` as ``optimizer__beta_1``).
Its state (moment estimates, step count) is created by :meth:`init_state`,
lives on the fitted estimator, and is passed to :meth:`update` on every step,
which is what lets ``partial_fit`` and ``warm_start`` continue it.

Update rules follow ``reference.md``; ``g`` is the gradient of the objective
(data loss plus the L2 part of the penalty), ``lr`` the learning rate of the
current step and ``t`` the step count, starting at 1.
"""

import numpy as np
from sklearn.base import BaseEstimator


class Optimizer(BaseEstimator):
    """Base class: subclasses define ``slots``, ``default_learning_rate`` and
    ``_step``.

    ``slots`` names the per-parameter state arrays, all starting at zero.
    """

    slots = ()
    default_learning_rate = 1e-3
    is_stochastic = True

    def init_state(self, params):
        """Fresh state for the list of parameter arrays ``params``."""
        state = {"t": 0}
        for name in self.slots:
            state[name] = [np.zeros_like(p) for p in params]
        return state

    def update(self, params, grads, state, lr, is_weight, return_steps=False):
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
            Which parameters are weight matrices (the others are biases).
        return_steps : bool
            If True, return the step size taken per parameter (a number, or
            an array of per-coordinate steps for adaptive optimizers), which is
            the scale of the L1 proximal step.

        Returns
        -------
        steps : list or None
        """
        state["t"] += 1
        t = state["t"]
        steps = []
        for i, (p, g) in enumerate(zip(params, grads)):
            slot = {name: state[name][i] for name in self.slots}
            steps.append(self._step(p, g, slot, lr, t, is_weight[i], return_steps))
        return steps if return_steps else None

    def _step(self, p, g, slot, lr, t, is_weight, return_step):
        raise NotImplementedError


class SGD(Optimizer):
    """Plain stochastic gradient descent: ``theta <- theta - lr * g``.

    Examples
    --------
    >>> from skreg import MLPRegressor
    >>> from skreg.optimizers import SGD
    >>> MLPRegressor(optimizer=SGD(), learning_rate_init=0.05)  # doctest: +SKIP
    """

    default_learning_rate = 0.01

    def _step(self, p, g, slot, lr, t, is_weight, return_step):
        g *= lr
        p -= g
        return lr


class Momentum(Optimizer):
    """Heavy-ball momentum: ``v <- momentum * v - lr * g; theta <- theta + v``.

    Parameters
    ----------
    momentum : float, default=0.9
        Fraction of the previous velocity kept, in [0, 1).
    """

    slots = ("velocity",)
    default_learning_rate = 0.01

    def __init__(self, momentum=0.9):
        self.momentum = momentum

    def _step(self, p, g, slot, lr, t, is_weight, return_step):
        v = slot["velocity"]
        v *= self.momentum
        g *= lr
        v -= g
        p += v
        return lr


class Nesterov(Optimizer):
    """Nesterov accelerated gradient in stored-parameter form.

    ``v_new <- momentum * v - lr * g; theta <- theta + momentum * v_new - lr * g``

    Parameters
    ----------
    momentum : float, default=0.9
        Fraction of the previous velocity kept, in [0, 1).
    """

    slots = ("velocity",)
    default_learning_rate = 0.01

    def __init__(self, momentum=0.9):
        self.momentum = momentum

    def _step(self, p, g, slot, lr, t, is_weight, return_step):
        v = slot["velocity"]
        g *= lr
        v *= self.momentum
        v -= g
        p += self.momentum * v
        p -= g
        return lr


class Adagrad(Optimizer):
    """Adagrad: ``G <- G + g^2; theta <- theta - lr * g / (sqrt(G) + epsilon)``.

    Parameters
    ----------
    epsilon : float, default=1e-10
        Added to the denominator for numerical stability.
    """

    slots = ("sum_sq",)
    default_learning_rate = 0.01

    def __init__(self, epsilon=1e-10):
        self.epsilon = epsilon

    def _step(self, p, g, slot, lr, t, is_weight, return_step):
        G = slot["sum_sq"]
        G += g * g
        scale = np.sqrt(G)
        scale += self.epsilon
        np.divide(lr, scale, out=scale)
        g *= scale
        p -= g
        return scale if return_step else None


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
    default_learning_rate = 1.0

    def __init__(self, rho=0.95, epsilon=1e-6):
        self.rho = rho
        self.epsilon = epsilon

    def _step(self, p, g, slot, lr, t, is_weight, return_step):
        Eg, Ed = slot["mean_sq_grad"], slot["mean_sq_delta"]
        Eg *= self.rho
        Eg += (1.0 - self.rho) * g * g
        scale = np.sqrt((Ed + self.epsilon) / (Eg + self.epsilon))
        d = scale * g  # the step is -d
        Ed *= self.rho
        Ed += (1.0 - self.rho) * d * d
        d *= lr
        p -= d
        if return_step:
            scale *= lr
            return scale
        return None


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
    default_learning_rate = 1e-3

    def __init__(self, rho=0.9, epsilon=1e-8):
        self.rho = rho
        self.epsilon = epsilon

    def _step(self, p, g, slot, lr, t, is_weight, return_step):
        E = slot["mean_sq"]
        E *= self.rho
        E += (1.0 - self.rho) * g * g
        scale = np.sqrt(E)
        scale += self.epsilon
        np.divide(lr, scale, out=scale)
        g *= scale
        p -= g
        return scale if return_step else None


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
    default_learning_rate = 1e-3

    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _moments(self, g, slot, t):
        """Update the moments; return the per-coordinate ``lr``-free step
        scale ``1 / (sqrt(v_hat) + eps)`` and the bias correction of m."""
        m, v = slot["m"], slot["v"]
        m *= self.beta_1
        m += (1.0 - self.beta_1) * g
        v *= self.beta_2
        v += (1.0 - self.beta_2) * g * g
        denom = np.sqrt(v / (1.0 - self.beta_2**t))
        denom += self.epsilon
        return denom, 1.0 - self.beta_1**t

    def _direction(self, g, slot, t):
        denom, correction = self._moments(g, slot, t)
        direction = slot["m"] / (correction * denom)
        return direction, denom

    def _step(self, p, g, slot, lr, t, is_weight, return_step):
        direction, denom = self._direction(g, slot, t)
        direction *= lr
        p -= direction
        if return_step:
            np.divide(lr, denom, out=denom)
            return denom
        return None


class Nadam(Adam):
    """Nadam (Dozat 2016): Adam with a Nesterov-style first moment.

    Steps with ``(beta_1 * m_hat + (1 - beta_1) * g / (1 - beta_1^t)) /
    (sqrt(v_hat) + epsilon)``. Parameters as for :class:`Adam`.
    """

    def _direction(self, g, slot, t):
        denom, correction = self._moments(g, slot, t)
        direction = (self.beta_1 * slot["m"] + (1.0 - self.beta_1) * g) / correction
        direction /= denom
        return direction, denom


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter 2019): Adam plus decoupled weight decay.

    After the Adam step, weights (not biases) shrink by
    ``theta <- theta - lr * weight_decay * theta``. Unlike an L2 penalty
    (``alpha``), this decay is not divided by ``sqrt(v_hat)``.

    Parameters
    ----------
    beta_1, beta_2, epsilon : float
        As for :class:`Adam`.
    weight_decay : float, default=0.01
        Decoupled decay rate, multiplied by the learning rate.
    """

    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-8, weight_decay=0.01):
        super().__init__(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
        self.weight_decay = weight_decay

    def _step(self, p, g, slot, lr, t, is_weight, return_step):
        step = super()._step(p, g, slot, lr, t, is_weight, return_step)
        if is_weight and self.weight_decay:
            p *= 1.0 - lr * self.weight_decay
        return step


class LBFGS(Optimizer):
    """Full-batch L-BFGS through ``scipy.optimize.minimize(method="L-BFGS-B")``.

    Deterministic; it cannot be combined with dropout, DropConnect, input
    noise or an L1 penalty (``l1_ratio > 0``), which all need stochastic or
    proximal steps. ``max_iter`` of the estimator bounds the iterations.

    Parameters
    ----------
    max_fun : int, default=15000
        Maximum number of loss evaluations.
    """

    is_stochastic = False
    default_learning_rate = None

    def __init__(self, max_fun=15000):
        self.max_fun = max_fun

    def update(self, params, grads, state, lr, is_weight, return_steps=False):
        raise TypeError("LBFGS does not take stochastic steps.")


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
    "LBFGS",
]
