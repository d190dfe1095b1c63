"""The feed-forward network: parameters, forward pass and backward pass.

Parameters are two lists of plain arrays, ``coefs`` (``(fan_in, fan_out)``
weight matrices) and ``intercepts`` (bias vectors), exactly the fitted
attributes ``coefs_`` and ``intercepts_``.
"""

import numpy as np
import scipy.sparse as sp

from . import _accel
from .activations import ACTIVATIONS
from .initializers import draw_weights


def init_parameters(layer_sizes, init, rng, dtype):
    """Random weights and zero biases for ``layer_sizes`` = [n_in, ..., n_out]."""
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        coefs.append(draw_weights(init, fan_in, fan_out, rng, dtype))
        intercepts.append(np.zeros(fan_out, dtype=dtype))
    return coefs, intercepts


#: the least probability the output biases of a classifier start from: a
#: class without weight in the data starts at log(1e-3), not at -inf
PRIOR_FLOOR = 1e-3


def constant_output_bias(out_activation, Y, sample_weight):
    """The output biases whose prediction is the weighted mean of ``Y``.

    With zero weights in the hidden-to-output connections the network then
    predicts the best constant of the canonical-link loss: the target mean
    (identity output), the log of the mean (exp output), the log of the
    class frequencies (softmax) or the logit of each output's positive rate
    (logistic). Frequencies are clipped to ``[PRIOR_FLOOR, 1 - PRIOR_FLOOR]``
    (logistic) or from below at ``PRIOR_FLOOR`` (softmax), and a non-positive
    mean of an exp output gives 0.

    Parameters
    ----------
    out_activation : {"identity", "exp", "softmax", "logistic"}
    Y : ndarray of shape (n_samples, n_outputs)
        The training targets (one-hot or soft for the classifiers).
    sample_weight : ndarray of shape (n_samples,)

    Returns
    -------
    bias : ndarray of shape (n_outputs,), float64
    """
    weights = np.asarray(sample_weight, dtype=np.float64)
    means = weights @ np.asarray(Y, dtype=np.float64) / weights.sum()
    if out_activation == "identity":
        return means
    if out_activation == "exp":
        return np.log(np.where(means > 0, means, 1.0))
    if out_activation == "softmax":
        return np.log(np.maximum(means, PRIOR_FLOOR))
    p = np.clip(means, PRIOR_FLOOR, 1.0 - PRIOR_FLOOR)
    return np.log(p) - np.log1p(-p)


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


def _build_bias_relu(numba):
    @numba.njit(error_model="numpy")
    def bias_relu(z, b, positive):
        """``z = maximum(z + b, 0)`` in place and ``positive = z > 0``."""
        n, d = z.shape
        for i in range(n):
            for j in range(d):
                v = z[i, j] + b[j]
                v = 0.0 if v < 0 else v  # keeps NaN and -0.0, as np.maximum
                z[i, j] = v
                positive[i, j] = v > 0

    return bias_relu


def _build_relu_backward(numba):
    @numba.njit(error_model="numpy")
    def relu_backward(delta, positive, mask, has_mask, bias_grad):
        """``delta *= mask`` (if ``has_mask``), ``delta *= positive``, and the
        column sums of the result into ``bias_grad``."""
        n, d = delta.shape
        one, zero = delta.dtype.type(1), delta.dtype.type(0)
        for j in range(d):
            bias_grad[j] = zero
        if has_mask:
            for i in range(n):
                for j in range(d):
                    v = (delta[i, j] * mask[i, j]) * (one if positive[i, j] else zero)
                    delta[i, j] = v
                    bias_grad[j] += v
        else:
            for i in range(n):
                for j in range(d):
                    v = delta[i, j] * (one if positive[i, j] else zero)
                    delta[i, j] = v
                    bias_grad[j] += v

    return relu_backward


class _Activation:
    """A hidden layer's activation in the training passes (numpy)."""

    def __init__(self, name):
        self.act, self.act_grad = ACTIVATIONS[name]

    def forward(self, ws, z, b, layer):
        z += b
        self.act(z)

    def backward(self, ws, delta, W, h, mask, layer, bias_grad):
        """The hidden layer's delta from the next layer's, and its bias gradient."""
        out = ws.extra("delta", layer, h.shape, ws.dtype)
        delta = np.matmul(delta, W.T, out=out)
        if mask is not None:
            delta *= mask
        self.act_grad(h, delta)
        np.sum(delta, axis=0, out=bias_grad)
        return delta


class _Relu:
    """ReLU keeps the booleans of ``h > 0`` (a byte per entry) and writes the
    delta over the hidden output; compiled kernels where numba is in use."""

    def __init__(self):
        self.bias_relu = _accel.compiled(_build_bias_relu)
        self.relu_backward = _accel.compiled(_build_relu_backward)

    def forward(self, ws, z, b, layer):
        positive = ws.extra("positive", layer, z.shape, bool)
        if self.bias_relu is not None:
            self.bias_relu(z, b, positive)
            return
        z += b
        np.maximum(z, 0, out=z)
        np.greater(z, 0, out=positive)

    def backward(self, ws, delta, W, h, mask, layer, bias_grad):
        positive = ws.extra("positive", layer, h.shape, bool)
        delta = np.matmul(delta, W.T, out=h)
        if self.relu_backward is not None:
            has_mask = mask is not None
            self.relu_backward(delta, positive, mask if has_mask else delta, has_mask, bias_grad)
            return delta
        if mask is not None:
            delta *= mask
        np.multiply(delta, positive, out=delta)
        np.sum(delta, axis=0, out=bias_grad)
        return delta


class Workspace:
    """Buffers for training passes, reused from one mini-batch to the next.

    The forward pass writes each layer's pre-activation into a preallocated
    ``(n_rows, fan_out)`` buffer and applies the activation in place; the
    backward pass writes the gradients into one flat buffer (weights, then
    biases, the layout of the training state's buffers) and each
    hidden layer's delta into a ``(n_rows, fan_in)`` buffer (for ReLU the
    buffer of the hidden output itself). Buffers are sized for the largest
    batch; a smaller batch uses their first rows. The arithmetic is that of
    :func:`skreg.network.forward`.

    Where numba is in use (``skreg._accel``), ReLU layers take compiled
    kernels that do in one pass what numpy does in several, with the same
    results: bias, ReLU and the booleans of ``h > 0`` in the forward pass;
    dropout mask, ReLU derivative and bias gradient in the backward pass.

    Parameters
    ----------
    coefs : list of ndarray
        The weight matrices; only their shapes are kept.
    dtype : dtype
        The dtype of the passes (the result type of the data and the weights).
    activation : str
        The hidden layers' activation.
    """

    def __init__(self, coefs, dtype, activation="relu"):
        self.dtype = np.dtype(dtype)
        self.shapes = [W.shape for W in coefs]
        self.n_weights = sum(fan_in * fan_out for fan_in, fan_out in self.shapes)
        shapes = self.shapes + [(fan_out,) for _, fan_out in self.shapes]
        self.n_params = sum(int(np.prod(shape)) for shape in shapes)
        # the gradients of all parameters (weights first) in one buffer
        self.flat_grads = np.empty(self.n_params, self.dtype)
        self.grads, start = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            self.grads.append(self.flat_grads[start : start + size].reshape(shape))
            start += size
        self.coef_grads = self.grads[: len(coefs)]
        self.intercept_grads = self.grads[len(coefs) :]
        self.activation = _Relu() if activation == "relu" else _Activation(activation)
        self.masked_coefs = [None] * len(coefs)
        self.inputs = [None] * len(coefs)
        self._capacity = 0
        self._full = {}

    def _reserve(self, n_rows):
        """Buffers for at least ``n_rows`` rows (the batch size of the fit)."""
        if n_rows > self._capacity:
            self._full = {
                "z": [np.empty((n_rows, fan_out), self.dtype) for _, fan_out in self.shapes],
                "delta": [None] * len(self.shapes),
                "positive": [None] * len(self.shapes),
                "dropped": [None] * len(self.shapes),
            }
            self._capacity = n_rows

    def extra(self, kind, layer, shape, dtype):
        """The first rows of a buffer made on first use (dropout outputs,
        booleans of the ReLU derivative, deltas of other activations)."""
        buffers = self._full[kind]
        if buffers[layer] is None:
            buffers[layer] = np.empty((self._capacity, *shape[1:]), dtype)
        return buffers[layer][: shape[0]]

    def forward(self, coefs, intercepts, X, unit_masks=None, weight_masks=None):
        """Forward pass on the mini-batch ``X``; return the raw output.

        The returned array is a buffer of the workspace, which the caller may
        overwrite (with ``dloss/draw_output`` for :meth:`backward`).
        """
        self._reserve(X.shape[0])
        last = len(coefs) - 1
        a = X
        for layer, (W, b) in enumerate(zip(coefs, intercepts)):
            if weight_masks is not None and weight_masks[layer] is not None:
                if self.masked_coefs[layer] is None:
                    self.masked_coefs[layer] = np.empty(W.shape, self.dtype)
                W = np.multiply(W, weight_masks[layer], out=self.masked_coefs[layer])
            self.inputs[layer] = a
            z = self._full["z"][layer][: X.shape[0]]
            if sp.issparse(a):
                z[...] = a @ W
            else:
                np.matmul(a, W, out=z)
            if layer == last:
                z += b
                return z
            self.activation.forward(self, z, b, layer)
            if unit_masks is not None and unit_masks[layer] is not None:
                dropped = self.extra("dropped", layer, z.shape, self.dtype)
                a = np.multiply(z, unit_masks[layer], out=dropped)
            else:
                a = z
        return X  # no layers: unreachable in practice

    def backward(self, coefs, delta, unit_masks=None, weight_masks=None):
        """Gradients of the data loss after :meth:`forward`, given ``delta =
        dloss/draw_output`` (which is overwritten).

        Returns ``(coef_grads, intercept_grads)``, lists of workspace buffers
        that the caller may overwrite until the next call. No gradient is
        computed for the network's input.
        """
        n_rows = delta.shape[0]
        np.sum(delta, axis=0, out=self.intercept_grads[-1])
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
            if layer == 0:
                break
            h = self._full["z"][layer - 1][:n_rows]
            mask = None if unit_masks is None else unit_masks[layer - 1]
            delta = self.activation.backward(
                self, delta, W, h, mask, layer - 1, self.intercept_grads[layer - 1]
            )
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
