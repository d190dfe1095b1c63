"""The plain backward pass, kept as the tests' reference.

It allocates every array and follows the chain rule layer by layer, with no
buffers and no compiled kernels; the finite-difference tests check it, and
the training passes (:class:`skreg.network.Workspace`) are checked against it.
"""

import numpy as np
import scipy.sparse as sp

from skreg.activations import ACTIVATIONS


def backward(coefs, result, delta, activation, unit_masks=None, weight_masks=None):
    """Gradients of the data loss given ``delta = dloss/draw_output`` and a
    :class:`skreg.network.ForwardResult`; returns ``(coef_grads,
    intercept_grads)``."""
    act_grad = ACTIVATIONS[activation][1]
    n_layers = len(coefs)
    coef_grads = [None] * n_layers
    intercept_grads = [None] * n_layers
    for layer in range(n_layers - 1, -1, -1):
        a = result.inputs[layer]
        grad = a.T @ delta
        if sp.issparse(grad):
            grad = grad.toarray()
        W = coefs[layer]
        if weight_masks is not None and weight_masks[layer] is not None:
            grad *= weight_masks[layer]
            W = W * weight_masks[layer]
        coef_grads[layer] = np.asarray(grad)
        intercept_grads[layer] = delta.sum(axis=0)
        if layer > 0:
            delta = delta @ W.T
            if unit_masks is not None and unit_masks[layer - 1] is not None:
                delta *= unit_masks[layer - 1]
            act_grad(result.hidden[layer - 1], delta)
    return coef_grads, intercept_grads
