"""Monte-Carlo dropout (Gal & Ghahramani 2016): predictions with the training
masks switched on, repeated ``mc_samples`` times.

The masks of dropout, input dropout and DropConnect are used; Gaussian input
noise is not. Masks come from the rows' content keys and a generator derived
from the generator the estimator passes in (derived from the fitted model's
seed), so the same model gives the same MC predictions for the same row,
whatever else is in ``X``.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._checks import named_input_errors
from ._settings import dropout_rates
from ._compat import validate_data
from ._hashing import row_keys
from .network import forward
from .noise import layer_masks, perturb_inputs


def mc_raw_outputs(est, X, rng):
    """Raw network outputs of ``est.mc_samples`` stochastic passes over ``X``,
    with masks drawn from ``rng``.

    Raises
    ------
    ValueError
        If the model has no dropout, input dropout or DropConnect: every pass
        would be the same and the spread would say nothing about uncertainty.
    """
    check_is_fitted(est)
    n_hidden = len(est.coefs_) - 1
    dropout = dropout_rates(est, n_hidden)
    if not (any(dropout) or est.input_dropout or est.dropconnect):
        raise ValueError(
            "MC-dropout predictions need dropout, input_dropout or dropconnect > 0; "
            "this model has none, so every pass would be identical. Refit with a "
            "dropout rate or use the plain prediction."
        )
    with named_input_errors("X"):
        X = validate_data(
            est, X, reset=False, accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
        )
    keys = row_keys(X)
    outputs = []
    for _ in range(est.mc_samples):
        X_in = perturb_inputs(X, keys, est.input_dropout, 0.0, rng)
        unit_masks, weight_masks = layer_masks(
            est.coefs_, keys, dropout, est.dropconnect, rng
        )
        with np.errstate(over="ignore", invalid="ignore"):  # callers warn
            result = forward(
                est.coefs_, est.intercepts_, X_in, est.activation, unit_masks, weight_masks
            )
        outputs.append(result.raw_output)
    return outputs
