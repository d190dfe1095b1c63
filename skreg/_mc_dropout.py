"""Monte-Carlo dropout (Gal & Ghahramani 2016): predictions with the training
masks switched on, repeated ``mc_samples`` times.

The masks of dropout, input dropout and DropConnect are used, at the rates of
the model's last training call (``fit`` or ``partial_fit``), which the
estimator stores: changing ``dropout``, ``input_dropout`` or ``dropconnect``
with ``set_params`` afterwards changes the MC predictions only once the model
trains with the new rates. Under ``dropout_schedule="flat_cosine"`` the
stored rates are the base rates as given, not the scheduled rates of the
last steps (which reach 0 at the end of the planned training, where every
pass would be the same). Gaussian input noise is not used. Masks come from
the rows' content keys and a generator derived from the fitted model's seed,
so the same model gives the same MC predictions for the same row, whatever
else is in ``X``.

The passes run over blocks of rows small enough that the outputs of all
passes over one block stay within :data:`MEMORY_BUDGET` bytes; every block
sees the same masks, so the result does not depend on the blocks.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._checks import named_input_errors
from ._compat import validate_data, validate_params
from ._hashing import row_keys
from .network import forward
from .noise import layer_masks, perturb_inputs

#: the most passes ``mc_samples`` asks for: the standard error of the MC mean
#: is then 0.3% of the passes' spread, and a persisted model cannot ask a
#: machine for an endless prediction
MAX_MC_SAMPLES = 100_000

#: bytes of pass outputs held at once (the passes over one block of rows)
MEMORY_BUDGET = 2**27


def training_rates(settings):
    """The rates MC dropout uses, from a fit's settings: ``(dropout per
    hidden layer, input_dropout, dropconnect)``."""
    return (tuple(settings.dropout), float(settings.input_dropout), float(settings.dropconnect))


def mc_pass_blocks(est, X, make_rng):
    """Yield, per block of rows of ``X``, the list of raw network outputs of
    ``est.mc_samples`` stochastic passes over the block; ``make_rng()``
    gives the generator of the masks (the same one for every block).

    Raises
    ------
    ValueError
        If a parameter is invalid (they are checked on every call, as
        ``set_params`` may have changed them), or if the model was trained
        without dropout, input dropout and DropConnect: every pass would be
        the same and the spread would say nothing about uncertainty.
    """
    check_is_fitted(est)
    validate_params(est)
    dropout, input_dropout, dropconnect = est._mc_rates
    if not (any(dropout) or input_dropout or dropconnect):
        raise ValueError(
            "MC-dropout predictions need dropout, input_dropout or dropconnect > 0 "
            "in training; this model was trained with none, so every pass would be "
            "identical. Refit with a dropout rate or use the plain prediction."
        )
    with named_input_errors("X"):
        X = validate_data(
            est, X, reset=False, accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
        )
    keys = row_keys(X)
    if sp_format := getattr(X, "format", None):
        X = X.tocsr() if sp_format != "csr" else X
    per_row = est.mc_samples * est.n_outputs_ * np.dtype(np.float64).itemsize
    block = max(1, MEMORY_BUDGET // per_row)
    for start in range(0, X.shape[0], block):
        rows = slice(start, start + block)
        yield _passes(est, X[rows], keys[rows], dropout, input_dropout, dropconnect, make_rng())


def _passes(est, X, keys, dropout, input_dropout, dropconnect, rng):
    outputs = []
    for _ in range(est.mc_samples):
        X_in = perturb_inputs(X, keys, input_dropout, 0.0, rng)
        unit_masks, weight_masks = layer_masks(est.coefs_, keys, dropout, dropconnect, rng)
        with np.errstate(over="ignore", invalid="ignore"):  # callers warn
            result = forward(
                est.coefs_, est.intercepts_, X_in, est.activation, unit_masks, weight_masks
            )
        outputs.append(result.raw_output)
    return outputs
