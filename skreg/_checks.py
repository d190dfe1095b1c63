"""Input checks whose messages name the offending input, the warning that
keeps predictions from being NaN or infinite in silence, the one that
keeps a fit that learned nothing from ending in silence, and the one on
inputs whose columns were not scaled."""

import os
import sys
import warnings
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.exceptions import ConvergenceWarning

from sklearn.utils.multiclass import check_classification_targets

from ._compat import check_sample_weight
from .preprocessing import FeatureScaleWarning


@contextmanager
def named_input_errors(names):
    """Make numpy's conversion error name the input it comes from, and keep
    numpy quiet while scikit-learn checks arrays that hold inf or overflow
    when cast (its own error names the array)."""
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            yield
    except ValueError as exc:
        if "could not convert" in str(exc):
            raise ValueError(f"{names} must hold numbers only; {exc}") from exc
        raise


def check_dense_y(y):
    """A sparse y is refused by name (numpy's own error does not say which
    input it is about)."""
    if sp.issparse(y):
        raise ValueError(
            f"y must be a dense array; got a sparse {type(y).__name__}. Pass "
            "y.toarray() (a multilabel indicator matrix too)."
        )


def check_labels(y):
    """Classification targets, with errors that name ``y``: labels of a
    supported kind, none missing, all of types that sort together."""
    if y.dtype.kind == "O":
        missing = np.flatnonzero([label is None for label in np.ravel(y)])
        if missing.size:
            raise ValueError(
                f"y contains None (in {missing.size} place(s), the first at flat "
                f"index {missing[0]}): every sample needs a label."
            )
    try:
        check_classification_targets(y)
    except TypeError as exc:
        kinds = sorted({type(label).__name__ for label in np.ravel(y)})
        raise ValueError(
            f"y has labels of types that cannot be sorted together ({', '.join(kinds)}): "
            f"{exc}. Use labels of one kind (all strings or all numbers)."
        ) from exc


def physical_memory():
    """Bytes of physical memory of this machine, or None where unknown."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def training_memory(layer_sizes, itemsize, n_slots, batch_rows, lbfgs=False):
    """Bytes a fit of a network with ``layer_sizes`` (input and output
    included) allocates: the parameters, their gradients, the divergence
    snapshot and best-weights copy, ``n_slots`` optimizer-state arrays per
    parameter (L-BFGS: scipy's 10 float64 correction pairs and a few float64
    vectors instead), and the activations, gradients and dropout masks of one
    mini-batch of ``batch_rows`` rows."""
    n_params = sum((a + 1) * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
    per_param = (4 + n_slots) * itemsize + (25 * 8 if lbfgs else 0)
    return n_params * per_param + 3 * batch_rows * sum(layer_sizes[1:]) * itemsize


def check_network_fits_in_memory(hidden_layer_sizes, needed, limit):
    """Refuse, naming ``hidden_layer_sizes``, a network whose training needs
    more than ``limit`` bytes (None: no limit)."""
    if limit is not None and needed > limit:
        raise ValueError(
            f"hidden_layer_sizes={hidden_layer_sizes!r} needs about "
            f"{needed / 2**30:.3g} GiB to train (weights, gradients, optimizer state "
            f"and one mini-batch's activations), more than this machine's "
            f"{limit / 2**30:.3g} GiB of memory. Use smaller hidden layers (or a "
            "smaller batch_size)."
        )


def checked_sample_weight(sample_weight, X):
    """Non-negative weights with a positive sum, in X's dtype.

    Only the ratios of the weights matter (the loss is their weighted mean),
    so extreme weights are rescaled by their maximum to keep the weighted
    sums from overflowing.
    """
    sample_weight = check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )
    if not sample_weight.sum() > 0:
        raise ValueError("sample_weight must contain at least one non-zero weight.")
    top = sample_weight.max()
    if not 1e-10 <= top <= 1e10:
        sample_weight = sample_weight / top
    return sample_weight.astype(X.dtype, copy=False)


def warn_if_not_finite(predictions):
    """Predictions are never NaN or infinite without a warning."""
    bad = ~np.isfinite(predictions).reshape(predictions.shape[0], -1).all(axis=1)
    if bad.any():
        warnings.warn(
            f"The predictions are NaN or infinite for {bad.sum()} of "
            f"{predictions.shape[0]} rows of X: the network's output overflows "
            "there (values of X far outside the training range, or training "
            "diverged).",
            RuntimeWarning,
            stacklevel=3,
        )


def _constant_raw_output(out_activation, means):
    """The raw output whose prediction is ``means`` (the best constant model
    of the canonical-link losses)."""
    tiny = np.finfo(np.float64).tiny
    if out_activation == "identity":
        return means
    if out_activation == "logistic":
        means = np.clip(means, 1e-15, 1 - 1e-15)
        return np.log(means) - np.log1p(-means)
    return np.log(np.maximum(means, tiny))  # exp and softmax


def warn_if_nothing_learned(loss, Y, sample_weight, trained_loss):
    """Warn when a fit that stopped for a tolerance reason ends with a
    weighted mean training loss ``trained_loss`` no better than that of
    predicting the mean of the targets (the class prior, for a classifier):
    typically an unscaled target or features that make the first steps
    useless and the relative-improvement tests pass at once."""
    Y = np.asarray(Y, dtype=np.float64)
    weights = np.asarray(sample_weight, dtype=np.float64)
    with np.errstate(all="ignore"):
        means = weights @ Y / weights.sum()
        z = np.broadcast_to(_constant_raw_output(loss.out_activation, means), Y.shape)
        baseline = float(loss.per_sample(Y, np.array(z)) @ weights / weights.sum())
    if not (np.isfinite(trained_loss) and np.isfinite(baseline)):
        return
    if trained_loss < baseline - 1e-6 * abs(baseline):
        return
    what = "the class prior" if loss.name == "log_loss" else "the mean of y"
    advice = "the features (StandardScaler)" if loss.name == "log_loss" else (
        "the target (MLPRegressor's normalize_y=True) and the features"
    )
    warnings.warn(
        f"Training stopped early with a training loss ({trained_loss:.6g}) no better "
        f"than predicting {what} ({baseline:.6g}). "
        f"Values of a large scale make the steps useless and the tolerance tests "
        f"pass at once; scale {advice}. A strong alpha has the same effect.",
        ConvergenceWarning,
        stacklevel=4,
    )


SCALE_RATIO_LIMIT = 1e3
# Scaled inputs have spreads of order one or below: next to them, a column of
# a much smaller spread is nearly constant (e.g. a periodic feature at a
# frequency close to zero), not unscaled. Only a column spread wider than this
# makes a ratio above the limit a sign of missing scaling.
SCALE_WIDEST_MIN = 10.0


def column_stds(X, block_bytes=1 << 18):
    """The standard deviation of each column of X, and the largest absolute
    value of each column (1 for an all-zero one).

    Computed in float64 on the columns divided by those maxima, which keeps
    the squares from overflowing; a dense X is read in blocks of rows (no
    copy of it), a CSR or CSC X through its stored values (never made
    dense); a block's float64 temporaries stay near ``block_bytes``."""
    n = X.shape[0]
    block_rows = max(1, block_bytes // (8 * max(X.shape[1], 1)))
    if sp.issparse(X):
        X = X.tocsr(copy=True)
        X.sum_duplicates()
        values = X.data.astype(np.float64)
        columns = X.indices
        top = np.zeros(X.shape[1])
        np.maximum.at(top, columns, np.abs(values))
        top[top == 0] = 1.0
        values = values / top[columns]
        mean = np.bincount(columns, values, minlength=X.shape[1]) / n
        n_zeros = n - np.bincount(columns, minlength=X.shape[1])
        squares = np.bincount(columns, (values - mean[columns]) ** 2, minlength=X.shape[1])
        var = (squares + n_zeros * mean**2) / n
        return np.sqrt(var) * top, top
    top = np.zeros(X.shape[1])
    total = np.zeros(X.shape[1])
    for start in range(0, n, block_rows):
        block = np.abs(X[start:start + block_rows], dtype=np.float64)
        top = np.maximum(top, block.max(axis=0, initial=0.0))
    top[top == 0] = 1.0
    for start in range(0, n, block_rows):
        total += (X[start:start + block_rows] / top).sum(axis=0, dtype=np.float64)
    mean = total / n
    squares = np.zeros(X.shape[1])
    for start in range(0, n, block_rows):
        block = X[start:start + block_rows] / top  # the block's one temporary
        block -= mean
        np.square(block, out=block)
        squares += block.sum(axis=0, dtype=np.float64)
    return np.sqrt(squares / n) * top, top


def warn_if_scales_differ(X, feature_names=None):
    """Warn (:class:`skreg.preprocessing.FeatureScaleWarning`) when the
    standard deviations of two non-constant columns of X differ by more
    than ``SCALE_RATIO_LIMIT`` and the widest spread is above
    ``SCALE_WIDEST_MIN``: the inputs were not scaled. A column whose spread is
    at the rounding level of its values counts as constant."""
    if X.shape[0] < 2 or X.shape[1] < 2:
        return
    stds, top = column_stds(X)
    varying = np.flatnonzero(stds > 16 * np.finfo(X.dtype).eps * top)
    if varying.size < 2:
        return
    widest = varying[np.argmax(stds[varying])]
    narrowest = varying[np.argmin(stds[varying])]
    ratio = stds[widest] / stds[narrowest]
    if not (ratio > SCALE_RATIO_LIMIT and stds[widest] > SCALE_WIDEST_MIN):
        return

    def name(j):
        return f"column {j}" if feature_names is None else f"column {j} ({feature_names[j]!r})"

    warnings.warn(
        f"The standard deviations of the features of X differ by a factor of "
        f"{ratio:.3g}: {stds[widest]:.3g} in {name(widest)}, {stds[narrowest]:.3g} in "
        f"{name(narrowest)}. A network trains poorly on unscaled inputs; scale them "
        "in a pipeline, e.g. make_pipeline(StandardScaler(), model) or "
        "make_pipeline(skreg.preprocessing.SmoothClipScaler(), model).",
        FeatureScaleWarning,
        stacklevel=_caller_stacklevel(),
    )


def _caller_stacklevel():
    """The ``stacklevel`` of a warning raised by the caller of this function
    that points at the first frame outside skreg and scikit-learn: the
    user's ``fit`` (or ``Pipeline.fit``) call, however deep the estimator's
    fit methods are nested."""
    inside = tuple(
        os.path.dirname(os.path.abspath(path)) + os.sep for path in (__file__, sklearn.__file__)
    )
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_code.co_filename.startswith(inside):
        frame, level = frame.f_back, level + 1
    return level
