"""Transformers that prepare numeric inputs for a multi-layer perceptron.

A network trains well when every input column has a scale of about one and no
value lies far outside the bulk of its column. :class:`SmoothClipScaler`
gets there robustly (median and inter-quantile range, then a smooth bound on
the values); :class:`PeriodicFeatures` then adds sines and cosines of each
scaled column at fixed random frequencies, which lets a small network fit
functions that vary quickly along a feature. Both are scikit-learn
transformers: they go in a :class:`~sklearn.pipeline.Pipeline` before
:class:`~skreg.MLPClassifier` or :class:`~skreg.MLPRegressor`. See
:ref:`preprocessing`.

:class:`FeatureScaleWarning` is what the estimators emit at fit time when the
columns of ``X`` have scales so different that such a step is missing.
"""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy import stats
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._compat import Interval, check_feature_names_in, validate_data, validate_params

__all__ = [
    "FeatureScaleWarning", "PeriodicFeatures", "SmoothClipScaler", "smooth_clip", "smooth_unclip",
]

FLOAT_DTYPES = (np.float64, np.float32)


class FeatureScaleWarning(UserWarning):
    """The columns of ``X`` given to a fit have very different scales.

    Emitted by :class:`~skreg.MLPClassifier` and :class:`~skreg.MLPRegressor`
    when the standard deviations of two non-constant columns differ by more
    than a factor of 1000: one learning rate and one initial weight scale
    cannot suit both, and the penalty acts on them unevenly. Scale the inputs
    in a pipeline (:class:`~sklearn.preprocessing.StandardScaler` or
    :class:`SmoothClipScaler`), or silence the warning with
    ``warnings.filterwarnings("ignore", category=FeatureScaleWarning)`` where
    the scales are meant.
    """


def smooth_clip(x, clip):
    """``x / sqrt(1 + (x / clip)**2)``, elementwise, without overflow.

    Close to ``x`` for ``|x|`` well below ``clip``, strictly increasing, and
    bounded by ``clip`` in absolute value (``+-inf`` maps to ``+-clip``).

    Parameters
    ----------
    x : ndarray
        Values (NaN stays NaN).
    clip : float
        The bound, > 0.

    Returns
    -------
    ndarray
        The clipped values, in ``x``'s dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.preprocessing import smooth_clip
    >>> smooth_clip(np.array([0.0, 1.0, 4.0, -1e300]), 3.0)
    array([ 0.       ,  0.9486833,  2.4      , -3.       ])
    """
    x = np.asarray(x)
    # clip * x / hypot(clip, x) is the same value; hypot does not overflow
    with np.errstate(invalid="ignore"):
        ratio = x / np.hypot(x.dtype.type(clip), x)
    ratio = np.where(np.isinf(x), np.sign(x), ratio)
    return (clip * ratio).astype(x.dtype, copy=False)


def smooth_unclip(y, clip):
    """The inverse of :func:`smooth_clip`: ``y / sqrt(1 - (y / clip)**2)``.

    Defined for ``|y| < clip``; ``|y| >= clip`` gives ``+-inf`` (the limit).

    Parameters
    ----------
    y : ndarray
        Values (NaN stays NaN).
    clip : float
        The bound, > 0.

    Returns
    -------
    ndarray
        The values ``x`` with ``smooth_clip(x, clip) == y``, in ``y``'s dtype.
    """
    y = np.asarray(y)
    u = y / y.dtype.type(clip)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = y / np.sqrt((1 - u) * (1 + u))
    x = np.where(np.abs(u) >= 1, np.copysign(np.inf, y), x)
    return x.astype(y.dtype, copy=False)


def _canonical(X):
    """A sparse X as a copy with its duplicate entries summed (each stored
    value is then a whole entry); a dense X as it is."""
    if sp.issparse(X):
        X = X.copy()
        X.sum_duplicates()
    return X


def _per_entry(X, column_values):
    """``column_values`` repeated for each stored entry of a CSR or CSC X."""
    if X.format == "csr":
        return column_values[X.indices]
    return np.repeat(column_values, np.diff(X.indptr))


def _columns(X):
    """The columns of a dense array or of a CSC matrix as dense 1-d arrays
    (a sparse column with its implicit zeros)."""
    for j in range(X.shape[1]):
        if sp.issparse(X):
            column = np.zeros(X.shape[0], dtype=X.dtype)
            stored = X.data[X.indptr[j]:X.indptr[j + 1]]
            column[: stored.size] = stored  # the order does not matter here
            yield column
        else:
            yield X[:, j]


class SmoothClipScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Robust scaling followed by a smooth clip of every column.

    Each column is centered on its median and divided by its inter-quantile
    range (by default the distance between the 25th and 75th percentiles),
    then passed through ``z / sqrt(1 + (z / clip)**2)``: values near the
    center are left almost unchanged and outliers are squashed into
    ``(-clip, clip)``. This is the input preprocessing of RealMLP (Holzmüller
    et al., 2024), with its ``clip=3``. See :ref:`preprocessing`.

    Parameters
    ----------
    quantile_range : tuple of two floats, default=(25.0, 75.0)
        The percentiles ``(q_min, q_max)``, with ``0 <= q_min < q_max <= 100``,
        whose distance is the scale of a column. A column whose two
        percentiles coincide is scaled by half its range ``(max - min) / 2``
        instead, and a constant column by 1.
    clip : float > 0 or None, default=3.0
        The bound of the smooth clip. None switches the clip off (robust
        scaling only).
    with_centering : bool, default=True
        Subtract the median. Sparse input needs ``with_centering=False``
        (centering would make it dense); it is then only scaled and clipped,
        which keeps its zeros.
    unit_variance : bool, default=False
        Divide the inter-quantile range by that of a standard normal
        distribution (1.349 for the default range; the half-range used for
        a column whose two percentiles coincide is kept), so that a normally
        distributed column comes out with unit variance before the clip, as
        after :class:`~sklearn.preprocessing.StandardScaler`. The clip then
        acts at ``clip`` standard deviations instead of ``clip``
        inter-quartile ranges. (As in
        :class:`~sklearn.preprocessing.RobustScaler`'s ``unit_variance``.)

    Attributes
    ----------
    center_ : ndarray of shape (n_features,) or None
        The median of each column (NaN ignored), or None without centering.
    scale_ : ndarray of shape (n_features,)
        What each centered column is divided by.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Names of the features seen during fit, when ``X`` has string column
        names.

    See Also
    --------
    sklearn.preprocessing.RobustScaler : The same scaling, without the clip.
    PeriodicFeatures : Periodic features of scaled columns.

    Notes
    -----
    NaN is ignored when the statistics are computed and kept by
    ``transform`` (as :class:`~sklearn.preprocessing.RobustScaler` does); the
    estimators refuse it, so impute it before them.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.preprocessing import SmoothClipScaler
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0], [100.0]])
    >>> scaler = SmoothClipScaler().fit(X)
    >>> scaler.center_, scaler.scale_
    (array([3.]), array([2.]))
    >>> scaler.transform(X).ravel().round(3)
    array([-0.949, -0.493,  0.   ,  0.493,  2.994])
    """

    _parameter_constraints = {
        "quantile_range": [tuple],
        "clip": [Interval(Real, 0, None, closed="neither"), None],
        "with_centering": ["boolean"],
        "unit_variance": ["boolean"],
    }

    def __init__(self, quantile_range=(25.0, 75.0), clip=3.0, with_centering=True,
                 unit_variance=False):
        self.quantile_range = quantile_range
        self.clip = clip
        self.with_centering = with_centering
        self.unit_variance = unit_variance

    def _check_quantile_range(self):
        q = self.quantile_range
        ok = len(q) == 2 and all(isinstance(v, Real) and not isinstance(v, bool) for v in q)
        if not (ok and 0 <= q[0] < q[1] <= 100):
            raise ValueError(
                "quantile_range must be a tuple of two numbers (q_min, q_max) with "
                f"0 <= q_min < q_max <= 100; got {q!r}."
            )

    def fit(self, X, y=None):
        """Compute the median and the scale of each column.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; NaN is ignored. Sparse input needs
            ``with_centering=False``.
        y : None
            Ignored.

        Returns
        -------
        self : SmoothClipScaler
            The fitted scaler.
        """
        validate_params(self)
        self._check_quantile_range()
        X = _canonical(validate_data(
            self, X, accept_sparse="csc", dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan"
        ))
        if self.with_centering and sp.issparse(X):
            raise ValueError(
                "SmoothClipScaler cannot center sparse input (it would become dense): "
                "use with_centering=False, or pass X.toarray()."
            )
        normal_range = 1.0
        if self.unit_variance:
            low_q, high_q = np.asarray(self.quantile_range, dtype=float) / 100.0
            normal_range = float(stats.norm.ppf(high_q) - stats.norm.ppf(low_q))
        centers, scales = [], []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            for column in _columns(X):
                column = column.astype(np.float64)
                low, median, high = np.nanpercentile(
                    column, [self.quantile_range[0], 50.0, self.quantile_range[1]]
                )
                scale = (high - low) / normal_range
                if not scale > 0:  # two equal quantiles, or an all-NaN column
                    scale = (np.nanmax(column) - np.nanmin(column)) / 2
                centers.append(median if np.isfinite(median) else 0.0)
                scales.append(scale if scale > 0 and np.isfinite(scale) else 1.0)
        self.center_ = np.array(centers) if self.with_centering else None
        self.scale_ = np.array(scales)
        return self

    def transform(self, X):
        """Center, scale and smoothly clip ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data with the columns seen in fit; NaN is kept.

        Returns
        -------
        X_new : {ndarray, sparse matrix} of shape (n_samples, n_features)
            The transformed data, in ``X``'s float dtype (sparse stays sparse).
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=FLOAT_DTYPES,
            ensure_all_finite="allow-nan", reset=False,
        )
        if sp.issparse(X):
            if self.center_ is not None:
                raise ValueError(
                    "SmoothClipScaler cannot center sparse input: fit it with "
                    "with_centering=False, or pass X.toarray()."
                )
            X = _canonical(X)
            X.data = self._clip(X.data / _per_entry(X, self.scale_.astype(X.dtype)))
            return X
        if self.center_ is not None:
            X = X - self.center_.astype(X.dtype)
        with np.errstate(over="ignore"):
            return self._clip(X / self.scale_.astype(X.dtype))

    def _clip(self, Z):
        return Z if self.clip is None else smooth_clip(Z, self.clip)

    def inverse_transform(self, X):
        """Undo :meth:`transform`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Transformed data. Values at or beyond ``+-clip`` (never produced
            by ``transform`` up to rounding) map to ``+-inf``.

        Returns
        -------
        X_original : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Data in the original units.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=FLOAT_DTYPES,
            ensure_all_finite="allow-nan", reset=False,
        )
        unclip = (lambda Z: Z) if self.clip is None else (lambda Z: smooth_unclip(Z, self.clip))
        if sp.issparse(X):
            X = _canonical(X)
            X.data = unclip(X.data) * _per_entry(X, self.scale_.astype(X.dtype))
            if self.center_ is not None:
                X = X.toarray() + self.center_.astype(X.dtype)
            return X
        X = unclip(X) * self.scale_.astype(X.dtype)
        if self.center_ is not None:
            X = X + self.center_.astype(X.dtype)
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = not self.with_centering
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _generator(random_state):
    """One numpy Generator from ``random_state`` (int, RandomState,
    Generator or None for fresh entropy); the global state is never used."""
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return np.random.default_rng(int(random_state.integers(2**63)))
    if isinstance(random_state, Integral):
        return np.random.default_rng(int(random_state))
    return np.random.default_rng(int(check_random_state(random_state).randint(2**31 - 1)))


class PeriodicFeatures(TransformerMixin, BaseEstimator):
    """Sines and cosines of each column at fixed random frequencies.

    For every input column ``x`` and each of its ``n_frequencies`` frequencies
    ``w_k``, drawn once in :meth:`fit` from a normal distribution with standard
    deviation ``sigma``, the output holds ``cos(2 pi w_k x)`` and
    ``sin(2 pi w_k x)``, after ``x`` itself when ``include_original``. These
    are the periodic embeddings of Gorishniy et al. (2022) with the
    frequencies fixed instead of learned, as in random Fourier features; they
    let a network fit functions that vary quickly along one feature. See
    :ref:`preprocessing`.

    The frequencies suit inputs of scale one: put the transformer after a
    scaler (:class:`SmoothClipScaler` or
    :class:`~sklearn.preprocessing.StandardScaler`) in a pipeline.

    Parameters
    ----------
    n_frequencies : int >= 1, default=16
        Frequencies per input column; each gives two output columns.
    sigma : float > 0, default=0.1
        Standard deviation of the frequencies (in cycles per unit of the
        input). Larger values give faster oscillations, which fit sharper
        effects and overfit sooner. The default is the initial scale of
        RealMLP's learned frequencies.
    include_original : bool, default=True
        Keep each input column in front of its periodic features.
    random_state : int, RandomState, Generator or None, default=None
        Seed of the frequencies. An int gives the same frequencies on every
        fit.

    Attributes
    ----------
    frequencies_ : ndarray of shape (n_features, n_frequencies)
        The frequencies ``w`` of each input column.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Names of the features seen during fit, when ``X`` has string column
        names.

    See Also
    --------
    SmoothClipScaler : The scaling to put in front.
    sklearn.kernel_approximation.RBFSampler : Random Fourier features of
        all columns together.

    Notes
    -----
    The output columns of input column ``x0`` are, in order, ``x0`` (with
    ``include_original``), ``x0_cos0`` ... ``x0_cos{K-1}`` and ``x0_sin0``
    ... ``x0_sin{K-1}``, then those of ``x1``, and so on. Sparse input is
    refused (the cosines of zero are not zero).

    Examples
    --------
    >>> import numpy as np
    >>> from skreg.preprocessing import PeriodicFeatures
    >>> X = np.array([[0.0, 0.5], [1.0, -0.5]])
    >>> periodic = PeriodicFeatures(n_frequencies=2, random_state=0).fit(X)
    >>> periodic.transform(X).shape
    (2, 10)
    >>> periodic.get_feature_names_out()[:5].tolist()
    ['x0', 'x0_cos0', 'x0_cos1', 'x0_sin0', 'x0_sin1']
    """

    _parameter_constraints = {
        "n_frequencies": [Interval(Integral, 1, None, closed="left")],
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "include_original": ["boolean"],
        "random_state": ["random_state", np.random.Generator],
    }

    def __init__(self, n_frequencies=16, sigma=0.1, include_original=True, random_state=None):
        self.n_frequencies = n_frequencies
        self.sigma = sigma
        self.include_original = include_original
        self.random_state = random_state

    def fit(self, X, y=None):
        """Draw the frequencies of each column.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (only its number of columns and their names are
            used).
        y : None
            Ignored.

        Returns
        -------
        self : PeriodicFeatures
            The fitted transformer.
        """
        validate_params(self)
        X = validate_data(self, X, dtype=FLOAT_DTYPES)
        rng = _generator(self.random_state)
        self.frequencies_ = self.sigma * rng.standard_normal((X.shape[1], self.n_frequencies))
        return self

    def transform(self, X):
        """The periodic features of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with the columns seen in fit.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features * (2 * n_frequencies + include_original))
            The features, grouped by input column, in ``X``'s float dtype.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=FLOAT_DTYPES, reset=False)
        angle = X[:, :, None] * (2 * np.pi * self.frequencies_).astype(X.dtype)
        parts = [np.cos(angle), np.sin(angle)]
        if self.include_original:
            parts.insert(0, X[:, :, None])
        return np.concatenate(parts, axis=2).reshape(X.shape[0], -1)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Names of the input columns; by default ``feature_names_in_``, or
            ``x0``, ``x1``, ... when fit saw no names.

        Returns
        -------
        feature_names_out : ndarray of str
            ``name``, ``name_cos0``, ..., ``name_sin{K-1}`` per input column.
        """
        check_is_fitted(self, "n_features_in_")
        names = check_feature_names_in(self, input_features)
        suffixes = [f"cos{k}" for k in range(self.n_frequencies)]
        suffixes += [f"sin{k}" for k in range(self.n_frequencies)]
        out = []
        for name in names:
            if self.include_original:
                out.append(str(name))
            out.extend(f"{name}_{suffix}" for suffix in suffixes)
        return np.asarray(out, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
