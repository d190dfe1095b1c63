"""Weight initializers: one variance-scaling rule and its named presets.

A weight matrix of shape ``(fan_in, fan_out)`` is drawn with variance
``scale / n`` where ``n`` is ``fan_in``, ``fan_out`` or their mean, from a
uniform distribution on ``[-sqrt(3 * var), sqrt(3 * var)]`` or a normal
distribution. The presets:

==================  ===============================  ===========================
preset              variance                         uniform bound
==================  ===============================  ===========================
``glorot_*``        ``2 / (fan_in + fan_out)``       ``sqrt(6 / (fan_in + fan_out))``
``he_*``            ``2 / fan_in``                   ``sqrt(6 / fan_in)``
``lecun_*``         ``1 / fan_in``                   ``sqrt(3 / fan_in)``
==================  ===============================  ===========================

Hidden biases always start at zero (as in Keras): the random weights already
break the symmetry between units. The estimators start the output biases at
the best constant prediction of the training targets (the class log-prior or
the target mean). (scikit-learn's MLP also draws its biases from the
Glorot uniform distribution; skreg does not, whatever ``init`` is.)

``init="data"`` starts from the training data instead
(:func:`data_dependent_init`): normal weights rescaled so that every unit's
pre-activation has standard deviation one on the training rows, and hidden
biases that put each unit's kink at a random point among the rows.
"""

from numbers import Real

import numpy as np
import scipy.sparse as sp

from .activations import ACTIVATIONS

_MODES = {"fan_in", "fan_out", "fan_avg"}
_DISTRIBUTIONS = {"uniform", "normal"}


class VarianceScaling:
    """Draw weights with variance ``scale / n`` (``n`` set by ``mode``).

    Parameters
    ----------
    scale : float
        Numerator of the variance; positive and finite.
    mode : {"fan_in", "fan_out", "fan_avg"}
        Which fan divides ``scale``; ``"fan_avg"`` uses ``(fan_in + fan_out) / 2``.
    distribution : {"uniform", "normal"}
        Shape of the distribution. Both have the same variance.

    Examples
    --------
    >>> import numpy as np
    >>> init = VarianceScaling(2.0, "fan_in", "normal")  # He normal
    >>> init(4, 3, np.random.default_rng(0)).shape
    (4, 3)
    """

    def __init__(self, scale, mode, distribution):
        if isinstance(scale, (bool, np.bool_)) or not isinstance(scale, Real) or not (
            0 < scale < np.inf
        ):
            raise ValueError(
                f"VarianceScaling: scale must be a positive finite number; got {scale!r}."
            )
        if mode not in _MODES:
            raise ValueError(
                f"VarianceScaling: mode must be one of {sorted(_MODES)}; got {mode!r}."
            )
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"VarianceScaling: distribution must be one of {sorted(_DISTRIBUTIONS)}; "
                f"got {distribution!r}."
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution

    def variance(self, fan_in, fan_out):
        """Return the variance of one weight for a layer of this shape."""
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[
            self.mode
        ]
        return self.scale / max(n, 1)

    def __call__(self, fan_in, fan_out, rng):
        var = self.variance(fan_in, fan_out)
        if self.distribution == "uniform":
            bound = np.sqrt(3.0 * var)
            return rng.uniform(-bound, bound, size=(fan_in, fan_out))
        return rng.normal(0.0, np.sqrt(var), size=(fan_in, fan_out))

    def __repr__(self):
        return (
            f"VarianceScaling(scale={self.scale}, mode={self.mode!r}, "
            f"distribution={self.distribution!r})"
        )


INITIALIZERS = {
    "glorot_uniform": VarianceScaling(1.0, "fan_avg", "uniform"),
    "glorot_normal": VarianceScaling(1.0, "fan_avg", "normal"),
    "he_uniform": VarianceScaling(2.0, "fan_in", "uniform"),
    "he_normal": VarianceScaling(2.0, "fan_in", "normal"),
    "lecun_uniform": VarianceScaling(1.0, "fan_in", "uniform"),
    "lecun_normal": VarianceScaling(1.0, "fan_in", "normal"),
}


#: the ``init`` value that starts from the training data (see data_dependent_init)
DATA_INIT = "data"

#: rows of the training data that data_dependent_init looks at, at most
DATA_INIT_ROWS = 4096

#: rows whose convex combination places each hidden unit's kink
DATA_INIT_POINTS = 5


def data_dependent_init(coefs, intercepts, X, activation, rng):
    """Rescale drawn weights and set the hidden biases from the training data.

    Layer by layer, on up to ``DATA_INIT_ROWS`` (4096) rows of ``X`` (drawn
    without replacement when there are more): each unit's incoming weights
    are divided by the standard deviation of its pre-activation over the
    rows, so every pre-activation starts with standard deviation one; then
    each hidden unit's bias is set to minus a convex combination of its
    (rescaled) pre-activations at ``DATA_INIT_POINTS`` (5) random rows, with
    weights drawn from a flat Dirichlet distribution, so the unit's kink
    passes through a point inside the data. The output layer's weights are
    rescaled the same way; its biases are left to the caller. This is the
    ``"std"`` weight and ``"he+5"`` bias initialization of RealMLP
    (Holzmueller, Grinsztajn and Steinwart 2024, "Better by default: strong
    pre-tuned MLPs and boosted trees on tabular data"). Sample weights are
    not used. Works in place.

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        The network's weights (as drawn) and biases, changed in place.
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        The training inputs.
    activation : str
        The hidden layers' activation (``"relu"``, ``"selu"``, ...).
    rng : numpy.random.Generator
        Draws the rows and the convex combinations.
    """
    act = ACTIVATIONS[activation][0]
    n = X.shape[0]
    if n > DATA_INIT_ROWS:
        X = X[np.sort(rng.choice(n, DATA_INIT_ROWS, replace=False))]
        n = DATA_INIT_ROWS
    H = X
    for layer, (W, b) in enumerate(zip(coefs, intercepts)):
        Z = np.asarray(H @ W)
        std = Z.std(axis=0)
        # a unit constant on the rows (up to rounding) keeps its weights
        constant = ~(std > 1e-7 * np.abs(Z).max(axis=0, initial=0.0)) | ~np.isfinite(std)
        std[constant] = 1.0
        W /= std.astype(W.dtype)
        Z /= std.astype(Z.dtype)
        if layer == len(coefs) - 1:
            return
        fan_out = W.shape[1]
        rows = rng.integers(0, n, size=(fan_out, DATA_INIT_POINTS))
        weights = rng.exponential(1.0, size=(fan_out, DATA_INIT_POINTS))
        weights /= weights.sum(axis=1, keepdims=True)
        points = Z[rows, np.arange(fan_out)[:, None]]
        b[...] = -(points * weights).sum(axis=1)
        Z += b
        H = act(Z)


def draw_weights(init, fan_in, fan_out, rng, dtype):
    """Draw one weight matrix with ``init`` (a preset name or a callable).

    A callable is called as ``init(fan_in, fan_out, rng)`` and must return an
    array of shape ``(fan_in, fan_out)`` with finite values.
    """
    if isinstance(init, str) and init == DATA_INIT:
        init = "lecun_normal"  # rescaled from the data afterwards
    draw = INITIALIZERS[init] if isinstance(init, str) else init
    W = draw(fan_in, fan_out, rng)
    if sp.issparse(W):
        raise TypeError(
            f"init must return a dense array of shape (fan_in, fan_out); got a sparse "
            f"{type(W).__name__}. Return W.toarray()."
        )
    W = np.asarray(W)
    if W.dtype.kind not in "iuf":
        raise TypeError(
            f"init must return an array of real numbers; got dtype {W.dtype} "
            f"(first value {W.flat[0]!r})." if W.size else
            f"init must return an array of real numbers; got dtype {W.dtype}."
        )
    if W.shape != (fan_in, fan_out):
        raise ValueError(
            f"init must return an array of shape (fan_in, fan_out) = "
            f"({fan_in}, {fan_out}); got shape {W.shape}."
        )
    if not np.all(np.isfinite(W)):
        raise ValueError("init returned non-finite weights.")
    with np.errstate(over="ignore"):
        cast = np.ascontiguousarray(W, dtype=dtype)
    if not np.all(np.isfinite(cast)):
        raise ValueError(
            f"init returned weights too large for X's dtype {np.dtype(dtype)} (largest "
            f"magnitude {float(np.max(np.abs(W))):.3g}); scale them down."
        )
    return cast
