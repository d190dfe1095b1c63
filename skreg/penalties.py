"""Penalties on the weights (never on the biases), and the protocol they share.

A penalty is a small object with

* ``value(coefs)``: its value on the list of weight matrices;
* ``add_gradient(W, grad)``: the gradient of its smooth part, added in place
  (a no-op for a penalty without one);
* ``prox(W, step)``: the proximal step of its non-smooth part, in place, with
  the step the optimizer took (a number, or per-coordinate steps);
* ``is_smooth``: True when it has no non-smooth part (L-BFGS, which takes no
  proximal steps, refuses the others through this flag, naming the estimator
  parameter in ``parameter``);
* ``links()``: the links of the update chain it adds (a gradient link before
  the direction, a proximal link after the update), told which parameters it
  acts on: all weight coordinates for :class:`ElasticNet`, the rows of the
  first weight matrix for :class:`GroupLasso`.

The objective is the weighted mean data loss plus the sum of the penalties::

    alpha * sum_l ((1 - l1_ratio) / 2 ||W_l||_F^2 + l1_ratio ||W_l||_1)
      + group_alpha * sum_j ||W_1[j, :]||_2
"""

import numpy as np

from .transforms import AddPenaltyGradient, ProximalStep

_BLOCK_BYTES = 1 << 17


def _blocks(n_scratch, *arrays):
    """Yield ``(views, scratch)``: matching pieces of ``arrays`` and
    ``n_scratch`` buffers of the same size and dtype, in blocks of about
    128 KiB for large contiguous arrays (whole arrays otherwise)."""
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


class ElasticNet:
    """Elastic-net penalty with strength ``alpha`` and mixing ``l1_ratio``.

    The L2 part is smooth and enters the gradient; the L1 part is applied by
    a proximal soft-threshold after each step, which sets weights to exactly
    zero (a subgradient step would only make them oscillate around zero).

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

    parameter = "l1_ratio"  # the estimator parameter that adds the non-smooth part

    def __init__(self, alpha, l1_ratio=0.0):
        self.alpha = alpha
        self.l1_ratio = l1_ratio

    @property
    def l2_strength(self):
        """``alpha * (1 - l1_ratio)``."""
        return self.alpha * (1.0 - self.l1_ratio)

    @property
    def l1_strength(self):
        """``alpha * l1_ratio``."""
        return self.alpha * self.l1_ratio

    @property
    def is_smooth(self):
        """True without an L1 part."""
        return not self.l1_strength


    def links(self):
        """The gradient link (with an L2 part) and the prox link (with L1)."""
        links = []
        if self.l2_strength:
            links.append(AddPenaltyGradient(self))
        if self.l1_strength:
            links.append(ProximalStep(self))
        return links

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


def row_steps(step, shape):
    """The step each row of a weight matrix took: the harmonic mean of its
    coordinates' steps (a number stays a number).

    The harmonic mean follows the coordinates that moved least. A coordinate
    whose gradient has faded gets a huge step from an adaptive rule
    (``lr / (sqrt(v) + eps)`` with ``v`` near 0); an arithmetic mean would
    follow it and zero every row, the harmonic mean is barely moved by it.
    """
    if np.ndim(step) == 0:
        return step
    steps = np.reshape(step, shape)
    with np.errstate(divide="ignore"):
        inverse = np.reciprocal(steps, dtype=np.float64)
    return shape[1] / inverse.sum(axis=1)


class GroupLasso:
    """Group lasso on the input features: one group per row of the first
    weight matrix (all the weights leaving one feature).

    ``R(W) = group_alpha * sum_j ||W_1[j, :]||_2``, applied by its proximal
    step, the block soft-threshold ``w <- w * max(0, 1 - step * group_alpha /
    ||w||)``, with the step the row took (:func:`row_steps`). A row that
    reaches zero removes its feature from the model.

    Parameters
    ----------
    group_alpha : float
        Strength of the penalty.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[3.0, 4.0], [0.3, 0.4]])
    >>> GroupLasso(1.0).prox(W, 1.0)
    array([[2.4, 3.2],
           [0. , 0. ]])
    """

    elementwise = False  # the link acts on whole rows
    needs_steps = True

    parameter = "group_alpha"  # the estimator parameter that switches it on

    def __init__(self, group_alpha):
        self.group_alpha = group_alpha

    @property
    def is_smooth(self):
        """True when switched off."""
        return not self.group_alpha


    def links(self):
        """The prox link, on the rows of the first weight matrix."""
        return [self] if self.group_alpha else []

    def value(self, coefs):
        """``group_alpha`` times the sum of the row norms of ``coefs[0]``."""
        if not self.group_alpha or not coefs:
            return 0.0
        return self.group_alpha * float(np.sqrt(np.einsum("ij,ij->i", coefs[0], coefs[0])).sum())

    def add_gradient(self, W, grad):
        """No smooth part: ``grad`` is returned unchanged."""
        return grad

    def prox(self, W, step):
        """Block soft-threshold the rows of ``W`` in place (see the class)."""
        norms = np.sqrt(np.einsum("ij,ij->i", W, W))
        threshold = row_steps(step, W.shape) * self.group_alpha
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(norms > threshold, 1.0 - threshold / norms, 0.0)
        W *= scale[:, None].astype(W.dtype, copy=False)
        return W

    def apply(self, buffers, steps, lr, optimizer_state):
        """The chain's call: the prox on the first layer, after the update;
        ``steps`` is a number or the per-coordinate steps, the first layer's
        first."""
        W = buffers.coefs[0]
        if np.ndim(steps):
            steps = np.ravel(steps)[: W.size]
        self.prox(W, steps)
