"""The feed-forward network: parameters, forward pass and backward pass.

Parameters are two lists of plain arrays, ``coefs`` (``(fan_in, fan_out)``
weight matrices) and ``intercepts`` (bias vectors), exactly the fitted
attributes ``coefs_`` and ``intercepts_``.
"""

import numpy as np
import scipy.sparse as sp

from ._fused import compiled_kernels
from .activations import ACTIVATIONS
from .initializers import draw_weights


def init_parameters(layer_sizes, init, rng, dtype):
    """Random weights and zero biases for ``layer_sizes`` = [n_in, ..., n_out]."""
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        coefs.append(draw_weights(init, fan_in, fan_out, rng, dtype))
        intercepts.append(np.zeros(fan_out, dtype=dtype))
    return coefs, intercepts


class ForwardResult:
    """What the backward pass needs from one forward pass.

    Attributes
    ----------
    inputs : list of arrays
        Input of each layer as the layer saw it (after noise and dropout).
    hidden : list of arrays
        Output of each hidden activation before dropout.
    raw_output : ndarray
        Pre-activation of the output layer.
    """

    __slots__ = ("inputs", "hidden", "raw_output")

    def __init__(self, inputs, hidden, raw_output):
        self.inputs = inputs
        self.hidden = hidden
        self.raw_output = raw_output


def forward(coefs, intercepts, X, activation, unit_masks=None, weight_masks=None):
    """Run the network on ``X`` and return a :class:`ForwardResult`.

    Parameters
    ----------
    unit_masks : list or None
        ``unit_masks[l]`` multiplies the output of hidden layer ``l`` (dropout);
        None entries mean no mask.
    weight_masks : list or None
        ``weight_masks[l]`` multiplies ``coefs[l]`` (DropConnect).
    """
    act = ACTIVATIONS[activation][0]
    n_layers = len(coefs)
    inputs, hidden = [X], []
    a = X
    for layer, (W, b) in enumerate(zip(coefs, intercepts)):
        if weight_masks is not None and weight_masks[layer] is not None:
            W = W * weight_masks[layer]
        z = a @ W
        z += b
        if layer == n_layers - 1:
            return ForwardResult(inputs, hidden, z)
        h = act(z)
        hidden.append(h)
        if unit_masks is not None and unit_masks[layer] is not None:
            a = h * unit_masks[layer]
        else:
            a = h
        inputs.append(a)
    return ForwardResult(inputs, hidden, X)  # no layers: unreachable in practice


def predict_raw(coefs, intercepts, X, activation):
    """Raw output (last pre-activation) of the plain network."""
    return forward(coefs, intercepts, X, activation).raw_output


def backward(coefs, result, delta, activation, unit_masks=None, weight_masks=None):
    """Gradients of the data loss given ``delta = dloss/draw_output``.

    Returns ``(coef_grads, intercept_grads)``. No gradient is computed for the
    network's input.
    """
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


class Workspace:
    """Buffers for training passes, reused from one mini-batch to the next.

    The forward pass writes each layer's pre-activation into a preallocated
    ``(n_rows, fan_out)`` buffer and applies the activation in place; the
    backward pass writes the gradients into one flat buffer (weights, then
    biases) and each hidden layer's delta into a ``(n_rows, fan_in)`` buffer:
    for ReLU the buffer of the hidden output itself, once the booleans of
    ``h > 0`` are kept (a byte per entry instead of a float). Buffers
    are sized for the largest batch; a smaller batch uses their first rows.
    The arithmetic is that of :func:`forward` and :func:`backward`.

    Where numba is in use (see :mod:`skreg._fused`), ReLU layers take compiled
    kernels that do in one pass what numpy does in several, with the same
    results: bias, ReLU and the booleans of ``h > 0`` in the forward pass;
    dropout mask, ReLU derivative and bias gradient in the backward pass.

    Parameters
    ----------
    coefs : list of ndarray
        The weight matrices; only their shapes are kept.
    dtype : dtype
        The dtype of the passes (the result type of the data and the weights).
    """

    _MAX_SIZES = 4

    def __init__(self, coefs, dtype):
        self.dtype = np.dtype(dtype)
        self.shapes = [W.shape for W in coefs]
        self.param_shapes = self.shapes + [(shape[1],) for shape in self.shapes]
        self.n_params = sum(int(np.prod(shape)) for shape in self.param_shapes)
        self.n_weights = sum(fan_in * fan_out for fan_in, fan_out in self.shapes)
        # the gradients of all parameters (weights first) in one buffer
        self.flat_grads = np.empty(self.n_params, self.dtype)
        grads = self.param_views(self.flat_grads)
        self.coef_grads = grads[: len(coefs)]
        self.intercept_grads = grads[len(coefs) :]
        self.masked_coefs = [None] * len(coefs)
        self.inputs = [None] * len(coefs)
        self._capacity = 0
        self._by_rows = {}
        self._rows = None
        self._kernels = compiled_kernels()

    def param_views(self, flat):
        """Views of the vector ``flat`` shaped like the weights, then the biases."""
        views, start = [], 0
        for shape in self.param_shapes:
            size = int(np.prod(shape))
            views.append(flat[start : start + size].reshape(shape))
            start += size
        return views

    def _buffers(self, n_rows):
        """Buffers for ``n_rows`` rows: views of the first rows of buffers
        sized for the largest batch seen (the last, smaller batch of an epoch
        shares them)."""
        if n_rows > self._capacity:
            dt = self.dtype
            self._full = {
                "z": [np.empty((n_rows, fan_out), dt) for _, fan_out in self.shapes],
                "delta": [None] * (len(self.shapes) - 1),
                "positive": [None] * (len(self.shapes) - 1),
                "dropped": [None] * len(self.shapes),
            }
            self._capacity = n_rows
            self._by_rows = {}
        bufs = self._by_rows.get(n_rows)
        if bufs is None:
            full = self._full
            bufs = {"z": [b[:n_rows] for b in full["z"]]}
            if len(self._by_rows) >= self._MAX_SIZES:
                self._by_rows.pop(next(iter(self._by_rows)))
            self._by_rows[n_rows] = bufs
        return bufs

    def _extra(self, kind, layer, shape, dtype):
        """The first rows of a buffer made on first use (dropout outputs,
        booleans of the ReLU derivative, deltas of other activations)."""
        buffers = self._full[kind]
        if buffers[layer] is None:
            buffers[layer] = np.empty((self._capacity, *shape[1:]), dtype)
        return buffers[layer][: shape[0]]

    def forward(self, coefs, intercepts, X, activation, unit_masks=None, weight_masks=None):
        """Forward pass on the mini-batch ``X``; return the raw output.

        The returned array is a buffer of the workspace, which the caller may
        overwrite (with ``dloss/draw_output`` for :meth:`backward`).
        """
        act = ACTIVATIONS[activation][0]
        relu_kernel = self._kernels is not None and activation == "relu"
        bufs = self._buffers(X.shape[0])
        self._rows = bufs
        zs, inputs = bufs["z"], self.inputs
        last = len(coefs) - 1
        a = X
        for layer, (W, b) in enumerate(zip(coefs, intercepts)):
            if weight_masks is not None and weight_masks[layer] is not None:
                if self.masked_coefs[layer] is None:
                    self.masked_coefs[layer] = np.empty(W.shape, self.dtype)
                W = np.multiply(W, weight_masks[layer], out=self.masked_coefs[layer])
            inputs[layer] = a
            z = zs[layer]
            if sp.issparse(a):
                z[...] = a @ W
            else:
                np.matmul(a, W, out=z)
            if layer == last:
                z += b
                return z
            if relu_kernel:
                positive = self._extra("positive", layer, z.shape, bool)
                self._kernels._bias_relu(z, b, positive)
            else:
                z += b
                act(z)
            if unit_masks is not None and unit_masks[layer] is not None:
                dropped = self._extra("dropped", layer, z.shape, self.dtype)
                a = np.multiply(z, unit_masks[layer], out=dropped)
            else:
                a = z
        return X  # no layers: unreachable in practice

    def backward(self, coefs, delta, activation, unit_masks=None, weight_masks=None):
        """Gradients of the data loss after :meth:`forward`, given ``delta =
        dloss/draw_output`` (which is overwritten).

        Returns ``(coef_grads, intercept_grads)``, lists of workspace buffers
        that the caller may overwrite until the next call. No gradient is
        computed for the network's input.
        """
        act_grad = ACTIVATIONS[activation][1]
        relu = activation == "relu"
        kernels = self._kernels if relu else None
        zs = self._rows["z"]
        bias_grad_done = False  # True once a kernel wrote this layer's bias gradient
        for layer in range(len(coefs) - 1, -1, -1):
            a = self.inputs[layer]
            grad = self.coef_grads[layer]
            if sp.issparse(a):
                product = a.T @ delta
                grad[...] = product.toarray() if sp.issparse(product) else product
            else:
                np.matmul(a.T, delta, out=grad)
            W = coefs[layer]
            if weight_masks is not None and weight_masks[layer] is not None:
                grad *= weight_masks[layer]
                W = self.masked_coefs[layer]
            if not bias_grad_done:
                np.sum(delta, axis=0, out=self.intercept_grads[layer])
            bias_grad_done = False
            if layer == 0:
                break
            h = zs[layer - 1]  # the hidden output, only needed for the derivative
            mask = None if unit_masks is None else unit_masks[layer - 1]
            if kernels is not None:
                # h > 0 was kept by the forward kernel
                positive = self._extra("positive", layer - 1, h.shape, bool)
                delta = np.matmul(delta, W.T, out=h)
                has_mask = mask is not None
                kernels._relu_backward(
                    delta, positive, mask if has_mask else delta, has_mask,
                    self.intercept_grads[layer - 1],
                )
                bias_grad_done = True
                continue
            if relu:
                # the derivative needs only where h > 0: keep that as
                # booleans and write the delta over h
                positive = self._extra("positive", layer - 1, h.shape, bool)
                np.greater(h, 0, out=positive)
                delta = np.matmul(delta, W.T, out=h)
            else:
                out = self._extra("delta", layer - 1, h.shape, self.dtype)
                delta = np.matmul(delta, W.T, out=out)
            if mask is not None:
                delta *= mask
            if relu:
                np.multiply(delta, positive, out=delta)
            else:
                act_grad(h, delta)
        self.inputs[:] = [None] * len(coefs)
        return self.coef_grads, self.intercept_grads


def pack(arrays):
    """Flatten a list of arrays into one vector (for L-BFGS)."""
    return np.concatenate([a.ravel() for a in arrays])


def unpack(vector, like):
    """Split ``vector`` into arrays shaped like those in ``like``."""
    out, start = [], 0
    for a in like:
        out.append(vector[start : start + a.size].reshape(a.shape))
        start += a.size
    return out
