"""Max-norm: a bound on each hidden unit's incoming weight vector, and its
link of the update chain."""

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


class MaxNorm:
    """The max-norm link of the update chain: after every step, each hidden
    unit's incoming weights are projected into the ball of radius
    ``max_norm`` (the output layer is left alone).

    Parameters
    ----------
    max_norm : float
        The bound on each column's L2 norm.
    """

    elementwise = False  # acts on whole columns
    needs_steps = False

    def __init__(self, max_norm):
        self.max_norm = max_norm

    def apply(self, buffers, steps, lr, optimizer_state):
        """Project the hidden layers' weight matrices of ``buffers``."""
        for W in buffers.coefs[:-1]:
            apply_max_norm(W, self.max_norm)
