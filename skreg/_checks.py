"""Input checks whose messages name the offending input, and the warning
that keeps predictions from being NaN or infinite in silence."""

import warnings
from contextlib import contextmanager

import numpy as np

from ._compat import check_sample_weight


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
