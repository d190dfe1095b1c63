"""The validation split for early stopping.

Rows are grouped by content (identical ``(x, y)`` rows form one group) and
every group lands wholly in training or wholly in validation, so a duplicated
row can never leak from the training set into the validation set. Groups are
taken in a random order (drawn from the estimator's generator) until their
total sample weight reaches ``validation_fraction`` of the weight of their
stratum: one stratum per class for single-label classification, one in all
otherwise. At least one group of each stratum stays in training.

The validation set holds at least two groups (two distinct rows), as
scikit-learn's MLP requires two validation rows: if ``validation_fraction``
of the distinct rows with non-zero weight is below two (``ceil(fraction * m)
< 2``, scikit-learn's rounding of a test size), or the strata cannot give up
two groups, the split raises scikit-learn's "The validation set is too small"
``ValueError``. When the weights round the chosen set below two groups (one
heavy group first in the order), the next groups in the order are added.

Because groups are sized by weight, a row with integer weight ``k`` and ``k``
copies of that row give the same split.
"""

import math

import numpy as np

from ._hashing import draw_stream_key, mix


def validation_split(keys, sample_weight, validation_fraction, rng, strata=None):
    """Return ``(train_indices, validation_indices)``.

    Parameters
    ----------
    keys : ndarray of uint64
        Content key of each row (of X and y together).
    sample_weight : ndarray
        Weight of each row.
    validation_fraction : float
        Share of each stratum's weight to put in validation.
    rng : numpy.random.Generator
        Source of the random order of the groups.
    strata : ndarray or None
        Stratum (class index) of each row, or None for a single stratum.
    """
    n = keys.shape[0]
    if strata is None:
        strata = np.zeros(n, dtype=np.intp)
    group_keys, group_of_row = np.unique(keys, return_inverse=True)
    group_of_row = group_of_row.ravel()
    n_groups = group_keys.shape[0]
    group_weight = np.bincount(group_of_row, weights=sample_weight, minlength=n_groups)
    group_stratum = np.empty(n_groups, dtype=np.intp)
    group_stratum[group_of_row] = strata
    with np.errstate(over="ignore"):
        order_key = mix(group_keys ^ draw_stream_key(rng))

    eligible = group_weight > 0
    _check_size(int(eligible.sum()), validation_fraction, n)
    in_validation = np.zeros(n_groups, dtype=bool)
    spare = []  # groups that could join validation, one per stratum kept back
    for stratum in np.unique(group_stratum):
        members = np.flatnonzero((group_stratum == stratum) & eligible)
        if members.size < 2:
            continue
        members = members[np.argsort(order_key[members], kind="stable")]
        weights = group_weight[members]
        target = validation_fraction * weights.sum()
        before = np.concatenate(([0.0], np.cumsum(weights)[:-1]))
        chosen = before + weights / 2 <= target
        chosen[-1] = False  # keep at least one group in training
        in_validation[members[chosen]] = True
        spare.extend(members[~chosen][:-1])
    missing = _MIN_VALIDATION_GROUPS - int(in_validation.sum())
    if missing > 0:
        spare = sorted(spare, key=lambda g: order_key[g])
        if len(spare) < missing:
            _check_size(0, validation_fraction, n, strata_limit=True)
        in_validation[spare[:missing]] = True
    val_rows = in_validation[group_of_row]
    return np.flatnonzero(~val_rows), np.flatnonzero(val_rows)


_MIN_VALIDATION_GROUPS = 2


def _check_size(n_distinct, validation_fraction, n, strata_limit=False):
    """Raise scikit-learn's error when the validation set would hold fewer
    than two distinct rows."""
    if strata_limit or math.ceil(validation_fraction * n_distinct) < _MIN_VALIDATION_GROUPS:
        detail = (
            "at least one distinct sample (of each class, for a classifier) "
            "stays in training, which leaves fewer than 2 to validate on"
            if strata_limit
            else f"validation_fraction={validation_fraction} of the {n_distinct} "
            "distinct samples with non-zero weight sets aside fewer than 2"
        )
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' or "
            f"the size of your dataset. early_stopping=True validates on at least "
            f"2 distinct samples (identical rows count once); here {detail} "
            f"(n_samples={n})."
        )
