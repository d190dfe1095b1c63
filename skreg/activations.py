"""Hidden-layer activations: a forward function and its derivative.

Each forward function works in place on the pre-activation array and returns it.
Each derivative function multiplies ``delta`` in place by the derivative,
written in terms of the activation's *output* ``a`` (so the pre-activations
need not be kept).
"""

import numpy as np
from scipy.special import expit


def _identity(z):
    return z


def _identity_grad(a, delta):
    return delta


def _logistic(z):
    return expit(z, out=z)


def _logistic_grad(a, delta):
    delta *= a
    delta *= 1.0 - a
    return delta


def _tanh(z):
    return np.tanh(z, out=z)


def _tanh_grad(a, delta):
    factor = np.multiply(a, a)
    np.subtract(1.0, factor, out=factor)
    delta *= factor
    return delta


def _relu(z):
    return np.maximum(z, 0, out=z)


def _relu_grad(a, delta):
    # a multiplication by the 0/1 mask is ~10x faster than ``delta[a <= 0] = 0``
    np.multiply(delta, a > 0, out=delta)
    return delta


ACTIVATIONS = {
    "identity": (_identity, _identity_grad),
    "logistic": (_logistic, _logistic_grad),
    "tanh": (_tanh, _tanh_grad),
    "relu": (_relu, _relu_grad),
}
