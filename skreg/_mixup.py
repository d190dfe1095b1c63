"""Mixup (Zhang et al. 2018, "mixup: Beyond Empirical Risk Minimization"):
train on convex combinations of pairs of rows of a mini-batch.

Per mini-batch one weight ``lam ~ Beta(a, a)`` is drawn and the rows are
paired with a random permutation ``p`` of the batch; row ``i`` becomes
``lam * row_i + (1 - lam) * row_p(i)`` for the inputs, the training targets
(one-hot, smoothed or continuous) and the sample weights alike. As ``p`` is
a permutation, the batch's total weight is unchanged. One ``lam`` per batch
is the paper's choice: it costs one draw, and the mixed batch is a single
point on the segment between the batch and its permutation.
"""

import numpy as np
import scipy.sparse as sp


def mix_batch(X, Y, sample_weight, alpha, rng, buffers=None):
    """The mixed mini-batch ``(X, Y, sample_weight)``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_rows, n_features)
        A sparse batch stays sparse (its mixed rows hold the union of the
        pair's non-zeros).
    Y : ndarray of shape (n_rows, n_outputs)
    sample_weight : ndarray of shape (n_rows,)
    alpha : float
        The Beta distribution's parameter, > 0.
    rng : numpy.random.Generator
        Draws ``lam`` first, then the permutation.
    buffers : MixupBuffers or None, default=None
        Arrays a dense ``X`` is mixed in, reused from batch to batch (the
        returned ``X`` is then a view of them, valid until the next call).

    Returns
    -------
    X, Y, sample_weight : arrays of the input dtypes
    """
    lam = float(rng.beta(alpha, alpha))
    partner = rng.permutation(X.shape[0])
    rest = 1.0 - lam
    if sp.issparse(X):
        X = X.tocsr()
        X_mixed = X * lam + X[partner] * rest
    else:
        mixed, scratch = (None, None) if buffers is None else buffers.get(X)
        # the same products and sum as ``lam * X + rest * X[partner]``, in place
        X_mixed = np.take(X, partner, axis=0, out=mixed)
        X_mixed *= rest
        X_mixed += np.multiply(X, lam, out=scratch)
    return X_mixed, lam * Y + rest * Y[partner], lam * sample_weight + rest * sample_weight[partner]


class MixupBuffers:
    """Two arrays per batch shape, kept for the next batches: the mixed rows
    and the scaled rows added to them."""

    def __init__(self):
        self._arrays = None

    def get(self, X):
        """Views of the buffers for a dense batch shaped like ``X``."""
        n = X.shape[0]
        arrays = self._arrays
        if (arrays is None or arrays[0].dtype != X.dtype
                or arrays[0].shape[1:] != X.shape[1:] or arrays[0].shape[0] < n):
            arrays = self._arrays = (np.empty_like(X), np.empty_like(X))
        return arrays[0][:n], arrays[1][:n]
