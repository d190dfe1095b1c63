"""Losses, each paired with the output activation (inverse link) it is used with.

Every loss works on the raw network output ``z`` (the last layer's
pre-activation), so its value is computed stably from ``z`` and its gradient
with respect to ``z`` has the simple form ``prediction - y`` (scaled by the
number of outputs for the regression losses, which are averaged over outputs).
"""

import numpy as np
from scipy.special import expit, logsumexp, softmax, xlogy


class _Loss:
    def per_sample_and_gradient(self, y, z):
        """Per-sample loss and, written over ``z``, the gradient ``dloss/dz``.

        Returns ``(per_sample, z)``; one pass where the loss allows it.
        """
        per_sample = self.per_sample(y, z)
        return per_sample, self.raw_gradient(y, z, out=z)


class SquaredError(_Loss):
    """Half squared error averaged over outputs, identity output."""

    name = "squared_error"
    out_activation = "identity"

    def predict(self, z):
        return z

    def per_sample(self, y, z):
        return 0.5 * np.mean((z - y) ** 2, axis=1)

    def raw_gradient(self, y, z, out):
        np.subtract(z, y, out=out)
        if z.shape[1] > 1:
            out /= z.shape[1]
        return out

    def per_sample_and_gradient(self, y, z):
        np.subtract(z, y, out=z)
        per_sample = np.einsum("ij,ij->i", z, z)
        per_sample *= 0.5 / z.shape[1]
        if z.shape[1] > 1:
            z /= z.shape[1]
        return per_sample, z


class PoissonDeviance(_Loss):
    """Half Poisson deviance averaged over outputs, log link (exp output)."""

    name = "poisson"
    out_activation = "exp"

    def predict(self, z):
        return np.exp(z, out=z)

    def per_sample(self, y, z):
        return np.mean(np.exp(z) - y * z + xlogy(y, y) - y, axis=1)

    def raw_gradient(self, y, z, out):
        np.exp(z, out=out)
        out -= y
        if z.shape[1] > 1:
            out /= z.shape[1]
        return out


class SoftmaxCrossEntropy(_Loss):
    """Multiclass cross-entropy with a softmax output."""

    name = "log_loss"
    out_activation = "softmax"

    def predict(self, z):
        return softmax(z, axis=1)

    def per_sample(self, y, z):
        return logsumexp(z, axis=1) - np.sum(y * z, axis=1)

    def raw_gradient(self, y, z, out):
        z_max = z.max(axis=1, keepdims=True)
        np.subtract(z, z_max, out=out)
        np.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        out -= y
        return out

    def per_sample_and_gradient(self, y, z):
        # log-sum-exp and the softmax share the shifted exponentials
        z_max = z.max(axis=1, keepdims=True)
        y_dot_z = np.einsum("ij,ij->i", y, z)
        z -= z_max
        np.exp(z, out=z)
        total = z.sum(axis=1, keepdims=True)
        z /= total
        z -= y
        per_sample = np.log(total[:, 0])
        per_sample += z_max[:, 0]
        per_sample -= y_dot_z
        return per_sample, z


class LogisticCrossEntropy(_Loss):
    """Binary cross-entropy per output with a logistic output (binary, multilabel)."""

    name = "log_loss"
    out_activation = "logistic"

    def predict(self, z):
        return expit(z)

    def per_sample(self, y, z):
        return np.sum(np.logaddexp(0, z) - y * z, axis=1)

    def raw_gradient(self, y, z, out):
        expit(z, out=out)
        out -= y
        return out


LOSSES = {
    "squared_error": SquaredError,
    "poisson": PoissonDeviance,
}
