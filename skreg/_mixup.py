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

import scipy.sparse as sp


def mix_batch(X, Y, sample_weight, alpha, rng):
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

    Returns
    -------
    X, Y, sample_weight : new arrays of the input dtypes
    """
    lam = float(rng.beta(alpha, alpha))
    partner = rng.permutation(X.shape[0])
    rest = 1.0 - lam
    if sp.issparse(X):
        X = X.tocsr()
        X_mixed = X * lam + X[partner] * rest
    else:
        X_mixed = lam * X + rest * X[partner]
    return X_mixed, lam * Y + rest * Y[partner], lam * sample_weight + rest * sample_weight[partner]
