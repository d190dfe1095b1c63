"""The elastic-net penalty on weight matrices (never on biases).

    R(W) = alpha * ((1 - l1_ratio) / 2 * ||W||_F^2 + l1_ratio * ||W||_1)

The L2 part is smooth and enters the gradient; the L1 part is applied by a
proximal soft-threshold after each optimizer step, which sets weights to
exactly zero (a subgradient step would only make them oscillate around zero).
"""

import numpy as np

from .optimizers import _blocks


class ElasticNet:
    """Elastic-net penalty with strength ``alpha`` and mixing ``l1_ratio``.

    Parameters
    ----------
    alpha : float
        Penalty strength; it does not depend on the number of samples.
    l1_ratio : float
        0 is pure L2 (ridge), 1 is pure L1 (lasso).

    Examples
    --------
    >>> import numpy as np
    >>> pen = ElasticNet(alpha=1.0, l1_ratio=1.0)
    >>> W = np.array([[0.5, -2.0]])
    >>> pen.prox(W, 1.0)
    array([[ 0., -1.]])
    """

    def __init__(self, alpha, l1_ratio=0.0):
        self.alpha = alpha
        self.l1_ratio = l1_ratio

    @property
    def l2_strength(self):
        return self.alpha * (1.0 - self.l1_ratio)

    @property
    def l1_strength(self):
        return self.alpha * self.l1_ratio

    def value(self, coefs):
        """Penalty value summed over the weight matrices ``coefs``."""
        total = 0.0
        for W in coefs:
            if self.l2_strength:
                total += 0.5 * self.l2_strength * float(np.vdot(W, W))
            if self.l1_strength:
                total += self.l1_strength * float(np.abs(W).sum())
        return total

    def add_gradient(self, W, grad):
        """Add the gradient of the L2 part to ``grad`` in place."""
        strength = float(self.l2_strength)
        if strength:
            for (W_, grad_), (tmp,) in _blocks(1, W, grad):
                np.multiply(W_, strength, out=tmp)
                grad_ += tmp
        return grad

    def prox(self, W, step):
        """Soft-threshold ``W`` in place by ``step * alpha * l1_ratio``.

        ``step`` is the step size the optimizer took: a number, or an array of
        per-coordinate step sizes for adaptive optimizers.
        """
        strength = float(self.l1_strength)
        if not strength:
            return W
        if np.ndim(step) == 0:
            threshold = step * strength
            for (W_,), (clipped,) in _blocks(1, W):
                np.maximum(W_, -threshold, out=clipped)
                self._subtract_clipped(W_, clipped, threshold)
        else:
            if np.shape(step) != W.shape:
                step = np.broadcast_to(step, W.shape)
            for (W_, step_), (clipped, threshold) in _blocks(2, W, step):
                np.multiply(step_, strength, out=threshold)
                np.negative(threshold, out=clipped)
                np.maximum(W_, clipped, out=clipped)
                self._subtract_clipped(W_, clipped, threshold)
        return W

    @staticmethod
    def _subtract_clipped(W, clipped, threshold):
        # sign(W) * max(|W| - threshold, 0), written W - clip(W, -threshold,
        # threshold): the same numbers (exactly 0 inside the threshold) with
        # vectorized min/max in place of copysign
        np.minimum(clipped, threshold, out=clipped)
        W -= clipped
