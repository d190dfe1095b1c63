"""The validation split for early stopping.

Rows are grouped by content (identical ``(x, y)`` rows form one group) and
every group lands wholly in training or wholly in validation, so a duplicated
row can never leak from the training set into the validation set. Groups are
taken in a random order (drawn from the estimator's generator) until their
total sample weight reaches ``validation_fraction`` of the weight of their
stratum: one stratum per class for single-label classification, one in all
otherwise. At least one group of each stratum stays in training.

Because groups are sized by weight, a row with integer weight ``k`` and ``k``
copies of that row give the same split.
"""

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

    in_validation = np.zeros(n_groups, dtype=bool)
    fallback = []  # first group of each stratum that could give one up
    for stratum in np.unique(group_stratum):
        members = np.flatnonzero((group_stratum == stratum) & (group_weight > 0))
        if members.size < 2:
            continue
        members = members[np.argsort(order_key[members], kind="stable")]
        weights = group_weight[members]
        target = validation_fraction * weights.sum()
        before = np.concatenate(([0.0], np.cumsum(weights)[:-1]))
        chosen = before + weights / 2 <= target
        chosen[-1] = False  # keep at least one group in training
        in_validation[members[chosen]] = True
        fallback.append(members[0])
    if not in_validation.any():
        if not fallback:
            raise ValueError(
                "early_stopping=True needs a validation set, but the data has too "
                "few distinct samples with non-zero weight to set one aside "
                f"(n_samples={n}). Use more samples or early_stopping=False."
            )
        first = min(fallback, key=lambda g: order_key[g])
        in_validation[first] = True
    val_rows = in_validation[group_of_row]
    return np.flatnonzero(~val_rows), np.flatnonzero(val_rows)
