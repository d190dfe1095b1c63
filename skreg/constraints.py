"""Max-norm: a bound on each hidden unit's incoming weight vector."""

import numpy as np


def apply_max_norm(W, max_norm):
    """Project each column of ``W`` (one unit's incoming weights) into the
    L2 ball of radius ``max_norm``, in place.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[3.0, 0.1], [4.0, 0.0]])
    >>> apply_max_norm(W, 1.0)
    array([[0.6, 0.1],
           [0.8, 0. ]])
    """
    norms = np.sqrt(np.einsum("ij,ij->j", W, W))
    too_long = norms > max_norm
    if np.any(too_long):
        W[:, too_long] *= max_norm / norms[too_long]
    return W
