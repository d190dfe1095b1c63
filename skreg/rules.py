"""The update rule of every optimizer: the direction link of the update
chain (see :mod:`skreg.transforms`).

Every rule is written twice, side by side: a numpy method (the readable
reference, elementwise and in place) and a per-coordinate function
(``coordinate``) that ``skreg._update`` compiles with numba into one pass
over all parameters, with the same arithmetic in the same order and dtype. The
rule's constants travel by name (``kernel_constants``).

The rules (``g`` the gradient, ``lr`` the learning rate, ``t`` the step)::

    SGD       theta -= lr g
    Momentum  v = momentum v - lr g;  theta += v
    Nesterov  v = momentum v - lr g;  theta += momentum v - lr g
    Adagrad   G += g^2;  theta -= lr g / (sqrt(G) + eps)
    RMSprop   E = rho E + (1 - rho) g^2;  theta -= lr g / (sqrt(E) + eps)
    Adadelta  E = rho E + (1 - rho) g^2;  d = sqrt((D + eps) / (E + eps)) g;
              D = rho D + (1 - rho) d^2;  theta -= lr d
    Adam      m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
              theta -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
    Nadam     as Adam with (b1 m + (1 - b1) g) / (1 - b1^t) in place of m_hat

The step each coordinate took, which the proximal links use: ``lr`` for SGD,
``lr / (1 - momentum)`` for the momentum rules (the step once the velocity has
settled, which is what makes the L1 prox converge to the lasso solution), and
the per-coordinate factor in front of ``g`` for the adaptive rules.
"""

from collections import namedtuple

import numpy as np

from .transforms import Link

class Rule(Link):
    """An optimizer's direction: writes the increment ``-lr * direction``
    into the updates and sets ``context.step``.

    Subclasses define ``direction`` (numpy), ``coordinate`` (the same rule for
    one coordinate, compiled by numba) and ``kernel_constants``.
    """

    scalar_step = False  # the step is one number for all coordinates

    def update(self, updates, state, params, context):
        updates, context.step = self.direction(updates, state, context)
        return updates, state

    def direction(self, g, state, context):
        """Return ``(increment, step)``; may overwrite ``g``."""
        raise NotImplementedError

    def step_size(self, lr):
        """The step of a rule with ``scalar_step``."""
        raise NotImplementedError


SGDConstants = namedtuple("SGDConstants", "lr")


def _sgd_coordinate(g, s1, s2, i, c):
    return -(g * c.lr), c.lr


class SGDRule(Rule):
    """Plain gradient descent."""

    scalar_step = True
    coordinate = staticmethod(_sgd_coordinate)

    def direction(self, g, state, context):
        g *= -context.lr
        return g, context.lr

    def step_size(self, lr):
        return lr

    def kernel_constants(self, lr, t, dtype):
        return SGDConstants(dtype.type(lr))


MomentumConstants = namedtuple("MomentumConstants", "momentum lr")


def _momentum_coordinate(g, s1, s2, i, c):
    v = s1[i] * c.momentum - g * c.lr
    s1[i] = v
    return v, c.lr


def _nesterov_coordinate(g, s1, s2, i, c):
    g = g * c.lr
    v = s1[i] * c.momentum - g
    s1[i] = v
    return v * c.momentum - g, c.lr


class MomentumRule(Rule):
    """Heavy-ball momentum; ``nesterov=True`` takes the look-ahead step."""

    slots = ("velocity",)
    scalar_step = True

    def __init__(self, momentum, nesterov=False):
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.coordinate = _nesterov_coordinate if nesterov else _momentum_coordinate

    def direction(self, g, state, context):
        v = state["velocity"]
        g *= context.lr
        v *= self.momentum
        v -= g
        if not self.nesterov:
            return v, self.step_size(context.lr)
        increment = np.multiply(v, self.momentum, out=context.scratch[0])
        increment -= g
        return increment, self.step_size(context.lr)

    def step_size(self, lr):
        return lr / (1.0 - self.momentum)

    def kernel_constants(self, lr, t, dtype):
        return MomentumConstants(dtype.type(self.momentum), dtype.type(lr))


RMSConstants = namedtuple("RMSConstants", "rho one_minus_rho epsilon lr")


def _adagrad_coordinate(g, s1, s2, i, c):
    e = s1[i] + g * g
    s1[i] = e
    step = c.lr / (np.sqrt(e) + c.epsilon)
    return -(g * step), step


def _rmsprop_coordinate(g, s1, s2, i, c):
    e = s1[i] * c.rho + (g * c.one_minus_rho) * g
    s1[i] = e
    step = c.lr / (np.sqrt(e) + c.epsilon)
    return -(g * step), step


def _adadelta_coordinate(g, s1, s2, i, c):
    e = s1[i] * c.rho + (g * c.one_minus_rho) * g
    s1[i] = e
    scale = np.sqrt((s2[i] + c.epsilon) / (e + c.epsilon))
    d = g * scale
    s2[i] = s2[i] * c.rho + (d * c.one_minus_rho) * d
    return -(d * c.lr), scale * c.lr


class _SquaredGradientRule(Rule):
    """Shared constants of the rules that divide by a root of squared gradients."""

    rho = 0.0

    def kernel_constants(self, lr, t, dtype):
        rho = self.rho
        return RMSConstants(dtype.type(rho), dtype.type(1.0 - rho), dtype.type(self.epsilon),
                            dtype.type(lr))

    def _scale_gradient(self, g, squares, denominator, context):
        """``g *= -lr / (sqrt(squares) + epsilon)``; the step ``lr /
        (sqrt(squares) + epsilon)`` (in ``denominator``) when asked for."""
        np.sqrt(squares, out=denominator)
        denominator += self.epsilon
        np.divide(-context.lr, denominator, out=denominator)
        g *= denominator
        if not context.want_step:
            return g, None
        return g, np.negative(denominator, out=denominator)


class AdagradRule(_SquaredGradientRule):
    """Adagrad: the sum of squared gradients scales each coordinate."""

    slots = ("sum_sq",)
    coordinate = staticmethod(_adagrad_coordinate)

    def __init__(self, epsilon):
        self.epsilon = float(epsilon)

    def direction(self, g, state, context):
        G, scale = state["sum_sq"], context.scratch[0]
        np.multiply(g, g, out=scale)
        G += scale
        return self._scale_gradient(g, G, scale, context)


class RMSpropRule(_SquaredGradientRule):
    """RMSprop: a running mean of squared gradients scales each coordinate."""

    slots = ("mean_sq",)
    coordinate = staticmethod(_rmsprop_coordinate)

    def __init__(self, rho, epsilon):
        self.rho = float(rho)
        self.epsilon = float(epsilon)

    def direction(self, g, state, context):
        E, scale = state["mean_sq"], context.scratch[0]
        E *= self.rho
        np.multiply(g, 1.0 - self.rho, out=scale)
        scale *= g
        E += scale
        return self._scale_gradient(g, E, scale, context)


class AdadeltaRule(_SquaredGradientRule):
    """Adadelta (Zeiler 2012); ``lr = 1`` is the paper's rule."""

    slots = ("mean_sq_grad", "mean_sq_delta")
    coordinate = staticmethod(_adadelta_coordinate)

    def __init__(self, rho, epsilon):
        self.rho = float(rho)
        self.epsilon = float(epsilon)

    def direction(self, d, state, context):
        rho, eps = self.rho, self.epsilon
        Eg, Ed = state["mean_sq_grad"], state["mean_sq_delta"]
        scale, tmp = context.scratch[0], context.scratch[1]
        Eg *= rho
        np.multiply(d, 1.0 - rho, out=tmp)
        tmp *= d
        Eg += tmp
        np.add(Eg, eps, out=tmp)
        np.add(Ed, eps, out=scale)
        scale /= tmp
        np.sqrt(scale, out=scale)
        d *= scale  # the gradient becomes d
        Ed *= rho
        np.multiply(d, 1.0 - rho, out=tmp)
        tmp *= d
        Ed += tmp
        d *= -context.lr
        step = np.multiply(scale, context.lr, out=tmp) if context.want_step else None
        return d, step


AdamConstants = namedtuple(
    "AdamConstants",
    "beta_1 one_minus_beta_1 beta_2 one_minus_beta_2 correction_2 epsilon correction_1 lr",
)


def _adam_coordinate(g, m, v, i, c):
    mi = m[i] * c.beta_1 + g * c.one_minus_beta_1
    m[i] = mi
    vi = v[i] * c.beta_2 + (g * c.one_minus_beta_2) * g
    v[i] = vi
    denominator = np.sqrt(vi / c.correction_2) + c.epsilon
    return -((mi / (denominator * c.correction_1)) * c.lr), c.lr / denominator


def _nadam_coordinate(g, m, v, i, c):
    mi = m[i] * c.beta_1 + g * c.one_minus_beta_1
    m[i] = mi
    vi = v[i] * c.beta_2 + (g * c.one_minus_beta_2) * g
    v[i] = vi
    denominator = np.sqrt(vi / c.correction_2) + c.epsilon
    direction = (mi * c.beta_1 + g * c.one_minus_beta_1) / c.correction_1
    direction /= denominator
    return -(direction * c.lr), c.lr / denominator


class AdamRule(Rule):
    """Adam's bias-corrected moments; ``nesterov=True`` is Nadam's step."""

    slots = ("m", "v")

    def __init__(self, beta_1, beta_2, epsilon, nesterov=False):
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.nesterov = bool(nesterov)
        self.coordinate = _nadam_coordinate if nesterov else _adam_coordinate

    def kernel_constants(self, lr, t, dtype):
        b1, b2 = self.beta_1, self.beta_2
        values = (b1, 1.0 - b1, b2, 1.0 - b2, 1.0 - b2**t, self.epsilon, 1.0 - b1**t, lr)
        return AdamConstants(*(dtype.type(x) for x in values))

    def _moments(self, g, m, v, tmp):
        b1, b2 = self.beta_1, self.beta_2
        m *= b1
        np.multiply(g, 1.0 - b1, out=tmp)
        m += tmp
        v *= b2
        np.multiply(g, 1.0 - b2, out=tmp)
        tmp *= g
        v += tmp

    def _denominator(self, v, t, out):
        """``sqrt(v_hat) + epsilon`` into ``out``."""
        np.divide(v, 1.0 - self.beta_2**t, out=out)
        np.sqrt(out, out=out)
        out += self.epsilon
        return out

    def direction(self, g, state, context):
        m, v, tmp = state["m"], state["v"], context.scratch[0]
        lr, t = context.lr, context.t
        correction = 1.0 - self.beta_1**t
        self._moments(g, m, v, tmp)
        if self.nesterov:
            b1 = self.beta_1
            np.multiply(g, 1.0 - b1, out=tmp)
            np.multiply(m, b1, out=g)
            g += tmp
            g /= correction
            denominator = self._denominator(v, t, out=tmp)
            g /= denominator
            g *= -lr
            step = np.divide(lr, denominator, out=denominator) if context.want_step else None
            return g, step
        denominator = self._denominator(v, t, out=g)
        np.multiply(denominator, correction, out=tmp)
        np.divide(m, tmp, out=tmp)
        tmp *= -lr
        step = np.divide(lr, denominator, out=denominator) if context.want_step else None
        return tmp, step
