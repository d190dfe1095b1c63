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

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator

from ._compat import Interval

_DECAY = [Interval(Real, 0, 1, closed="left")]  # a fraction kept per step, in [0, 1)
_EPSILON = [Interval(Real, 0, None, closed="neither")]  # > 0: 0/0 where g = 0 otherwise

_BLOCK_BYTES = 1 << 17


def _blocks(n_scratch, *arrays):
    """Yield ``(views, scratch)``: matching pieces of ``arrays`` and
    ``n_scratch`` buffers of the same size and dtype.

    Large contiguous arrays are visited in blocks of about 128 KiB each, so
    the chain of in-place operations of an update rule runs in cache and no
    full-size temporary is made; other arrays come whole, with whole-size
    scratch buffers. The arithmetic is the same either way.
    """
    first = arrays[0]
    size = first.size
    block = max(_BLOCK_BYTES // first.itemsize, 1)
    if size <= block or not all(a.flags.c_contiguous for a in arrays):
        yield arrays, [np.empty_like(first) for _ in range(n_scratch)]
        return
    flat = [a.reshape(-1) for a in arrays]
    scratch = [np.empty(block, dtype=first.dtype) for _ in range(n_scratch)]
    for start in range(0, size, block):
        stop = min(start + block, size)
        yield [f[start:stop] for f in flat], [b[: stop - start] for b in scratch]


class Optimizer(BaseEstimator):
    """Base class: subclasses define ``slots``, ``default_learning_rate`` and
    ``_step``.

    ``slots`` names the per-parameter state arrays, all starting at zero.
    """

    slots = ()
    default_learning_rate = 1e-3
    is_stochastic = True

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
        """
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
        lr = float(lr)
        slots = self.slots
        steps = []
        for i, (p, g) in enumerate(zip(params, grads)):
            slot = {name: state[name][i] for name in slots}
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

    _parameter_constraints = {}
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
    _parameter_constraints = {"momentum": _DECAY}
    default_learning_rate = 0.01

    def __init__(self, momentum=0.9):
        self.momentum = momentum

    def _step(self, p, g, slot, lr, t, is_weight, return_step):
        v = slot["velocity"]
        v *= float(self.momentum)
        g *= lr
        v -= g
        p += v
        # the step the optimizer takes once the velocity has settled, which
        # is what the L1 prox must use to converge to the lasso solution
        return lr / (1.0 - float(self.momentum))


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

    def _step(self, p, g, slot, lr, t, is_weight, return_step):
        momentum = float(self.momentum)
        for (p_, g_, v), (tmp,) in _blocks(1, p, g, slot["velocity"]):
            g_ *= lr
            v *= momentum
            v -= g_
            np.multiply(v, momentum, out=tmp)
            p_ += tmp
            p_ -= g_
        return lr / (1.0 - momentum)  # as for Momentum


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

    def _step(self, p, g, slot, lr, t, is_weight, return_step):
        eps = float(self.epsilon)
        for (p_, g_, G), (scale,) in _blocks(1, p, g, slot["sum_sq"]):
            np.multiply(g_, g_, out=scale)
            G += scale
            np.sqrt(G, out=scale)
            scale += eps
            np.divide(lr, scale, out=scale)
            g_ *= scale
            p_ -= g_
            if return_step:
                g_[...] = scale
        return g if return_step else None


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

    def _step(self, p, g, slot, lr, t, is_weight, return_step):
        rho, eps = float(self.rho), float(self.epsilon)
        blocks = _blocks(2, p, g, slot["mean_sq_grad"], slot["mean_sq_delta"])
        for (p_, d, Eg, Ed), (scale, tmp) in blocks:
            Eg *= rho
            np.multiply(d, 1.0 - rho, out=tmp)
            tmp *= d
            Eg += tmp
            np.add(Eg, eps, out=tmp)
            np.add(Ed, eps, out=scale)
            scale /= tmp
            np.sqrt(scale, out=scale)
            d *= scale  # the gradient becomes d; the step is -d
            Ed *= rho
            np.multiply(d, 1.0 - rho, out=tmp)
            tmp *= d
            Ed += tmp
            d *= lr
            p_ -= d
            if return_step:
                np.multiply(scale, lr, out=d)
        return g if return_step else None


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

    def _step(self, p, g, slot, lr, t, is_weight, return_step):
        rho, eps = float(self.rho), float(self.epsilon)
        for (p_, g_, E), (scale,) in _blocks(1, p, g, slot["mean_sq"]):
            E *= rho
            np.multiply(g_, 1.0 - rho, out=scale)
            scale *= g_
            E += scale
            np.sqrt(E, out=scale)
            scale += eps
            np.divide(lr, scale, out=scale)
            g_ *= scale
            p_ -= g_
            if return_step:
                g_[...] = scale
        return g if return_step else None


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

    def _moments(self, g, m, v, tmp):
        """Update the moments ``m`` and ``v`` with ``g`` in place."""
        b1, b2 = float(self.beta_1), float(self.beta_2)
        m *= b1
        np.multiply(g, 1.0 - b1, out=tmp)
        m += tmp
        v *= b2
        np.multiply(g, 1.0 - b2, out=tmp)
        tmp *= g
        v += tmp

    def _denominator(self, v, t, out):
        """``sqrt(v_hat) + epsilon`` into ``out``."""
        np.divide(v, 1.0 - float(self.beta_2) ** t, out=out)
        np.sqrt(out, out=out)
        out += float(self.epsilon)
        return out

    def _step(self, p, g, slot, lr, t, is_weight, return_step):
        correction = 1.0 - float(self.beta_1) ** t
        for (p_, g_, m, v), (tmp,) in _blocks(1, p, g, slot["m"], slot["v"]):
            self._moments(g_, m, v, tmp)
            denom = self._denominator(v, t, out=g_)
            np.multiply(denom, correction, out=tmp)
            np.divide(m, tmp, out=tmp)  # the direction m_hat / (sqrt(v_hat) + eps)
            tmp *= lr
            p_ -= tmp
            if return_step:
                np.divide(lr, denom, out=denom)
        return g if return_step else None


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

    def _step(self, p, g, slot, lr, t, is_weight, return_step):
        b1 = float(self.beta_1)
        correction = 1.0 - b1**t
        for (p_, g_, m, v), (tmp,) in _blocks(1, p, g, slot["m"], slot["v"]):
            self._moments(g_, m, v, tmp)
            np.multiply(g_, 1.0 - b1, out=tmp)
            np.multiply(m, b1, out=g_)
            g_ += tmp
            g_ /= correction
            denom = self._denominator(v, t, out=tmp)
            g_ /= denom  # the direction
            g_ *= lr
            p_ -= g_
            if return_step:
                np.divide(lr, denom, out=g_)
        return g if return_step else None


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
    """

    _parameter_constraints = {
        **Adam._parameter_constraints,
        "weight_decay": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-8, weight_decay=0.01):
        super().__init__(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
        self.weight_decay = weight_decay

    def _step(self, p, g, slot, lr, t, is_weight, return_step):
        if is_weight and self.weight_decay:
            # g was taken at the pre-step weights, so decaying them first is
            # theta - lr * (direction + weight_decay * theta), theta pre-step
            p *= 1.0 - lr * float(self.weight_decay)
        return super()._step(p, g, slot, lr, t, is_weight, return_step)


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

    _parameter_constraints = {"max_fun": [Interval(Integral, 1, None, closed="left")]}
    is_stochastic = False
    default_learning_rate = None

    def __init__(self, max_fun=15000):
        self.max_fun = max_fun

    def update(self, params, grads, state, lr, is_weight, return_steps=False):
        """Not available: L-BFGS runs through ``scipy.optimize.minimize``.

        Parameters
        ----------
        params, grads, state, lr, is_weight, return_steps : object
            As for :meth:`Optimizer.update`; always raises ``TypeError``.
        """
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
