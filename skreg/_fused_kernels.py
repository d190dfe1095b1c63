"""Compiled kernels of :mod:`skreg._fused` (imported only when numba is used).

Update steps. Each kernel does, per coordinate of the flat vectors and in one
pass, the L2 gradient (weights only), the update rule with the operations of
:mod:`skreg.optimizers` in the same order and the parameters' dtype, and the
L1 soft threshold with that coordinate's step (weights only). No fastmath.

Switches (``l2``, ``l1``, ``decay``, the variant of a family) are passed as
None (off) or True (on) and tested with ``is not None``: numba compiles one
version per combination with the branch decided at compile time, which lets
LLVM vectorize the loop (a run-time boolean in the loop body kept it scalar,
4-7x slower). ``error_model="numpy"`` for the same reason: a division by zero
gives inf/nan, as in numpy, instead of a check per division.

Hashing. :func:`_row_key_sums` and :func:`_bernoulli16_fill` compute, in one
pass per entry and bit for bit, what :func:`skreg._hashing.row_keys` (dense
input) and :func:`skreg._hashing.bernoulli16` compute with numpy ufuncs.
"""

import os

import numba
import numpy as np
from numba import njit, prange

from ._hashing import _GOLDEN, _M1, _M2, _S27, _S30, _S31

# numba's default layer on Linux is GNU OpenMP, whose idle threads spin after
# each parallel loop and then take the cores from OpenBLAS's threads: a fit with
# 2 BLAS threads on 2 cores ran 3-10x slower. The workqueue layer sleeps
# instead. Only chosen where the user has not chosen a layer (numba reads the
# setting when its first parallel loop runs, process-wide); skreg never enters
# the kernels from two threads at once (skreg._fused._LOCK).
if "NUMBA_THREADING_LAYER" not in os.environ and numba.config.THREADING_LAYER == "default":
    numba.config.THREADING_LAYER = "workqueue"


@njit(cache=True, inline="always", error_model="numpy")
def _prox_array(p, i, step, l1):
    # soft threshold by step * l1: p - clip(p, -threshold, threshold)
    threshold = step * l1
    clipped = -threshold
    if p[i] > clipped:
        clipped = p[i]
    if clipped > threshold:
        clipped = threshold
    p[i] -= clipped


@njit(cache=True, inline="always", error_model="numpy")
def _adam_one(p, g, m, v, i, c, nadam, l2, l1, decay):
    b1, one_b1, b2, one_b2 = c[0], c[1], c[2], c[3]
    bias2, eps, correction, lr = c[4], c[5], c[6], c[7]
    gi = g[i]
    if l2 is not None:
        gi += p[i] * c[8]
    if decay is not None:
        p[i] *= c[10]
    mi = m[i] * b1 + gi * one_b1
    m[i] = mi
    vi = v[i] * b2 + (gi * one_b2) * gi
    v[i] = vi
    denom = np.sqrt(vi / bias2) + eps
    if nadam is not None:
        direction = (mi * b1 + gi * one_b1) / correction
        direction /= denom
        p[i] -= direction * lr
    else:
        p[i] -= (mi / (denom * correction)) * lr
    if l1 is not None:
        _prox_array(p, i, lr / denom, c[9])


@njit(cache=True, parallel=True, error_model="numpy")
def _adam_kernel(p, g, m, v, n_weights, c, nadam, l2, l1, decay, parallel):
    """Adam, Nadam and AdamW; ``c`` holds beta_1, 1 - beta_1, beta_2,
    1 - beta_2, 1 - beta_2**t, epsilon, 1 - beta_1**t, lr, the L2 and L1
    strengths and the decay factor 1 - lr * weight_decay."""
    if parallel:
        for i in prange(n_weights):
            _adam_one(p, g, m, v, i, c, nadam, l2, l1, decay)
    else:
        for i in range(n_weights):
            _adam_one(p, g, m, v, i, c, nadam, l2, l1, decay)
    for i in range(n_weights, p.shape[0]):
        _adam_one(p, g, m, v, i, c, nadam, None, None, None)


@njit(cache=True, inline="always", error_model="numpy")
def _sgd_one(p, g, v, i, c, momentum_on, nesterov, l2, l1):
    momentum, lr = c[0], c[1]
    gi = g[i]
    if l2 is not None:
        gi += p[i] * c[2]
    gi *= lr
    if momentum_on is None:  # SGD
        p[i] -= gi
    else:
        vi = v[i] * momentum - gi
        v[i] = vi
        if nesterov is None:  # Momentum
            p[i] += vi
        else:  # Nesterov
            p[i] += vi * momentum
            p[i] -= gi
    if l1 is not None:
        # the threshold is the same number for every coordinate
        clipped = c[3]  # -threshold
        if p[i] > clipped:
            clipped = p[i]
        if clipped > c[4]:
            clipped = c[4]
        p[i] -= clipped


@njit(cache=True, parallel=True, error_model="numpy")
def _sgd_kernel(p, g, v, n_weights, c, momentum_on, nesterov, l2, l1, parallel):
    """SGD, Momentum (``momentum_on``) and Nesterov (both switches); ``c``
    holds the momentum, lr, the L2 strength and -/+ the L1 threshold."""
    if parallel:
        for i in prange(n_weights):
            _sgd_one(p, g, v, i, c, momentum_on, nesterov, l2, l1)
    else:
        for i in range(n_weights):
            _sgd_one(p, g, v, i, c, momentum_on, nesterov, l2, l1)
    for i in range(n_weights, p.shape[0]):
        _sgd_one(p, g, v, i, c, momentum_on, nesterov, None, None)


@njit(cache=True, inline="always", error_model="numpy")
def _rms_one(p, g, s1, s2, i, c, adagrad, adadelta, l2, l1):
    rho, one_rho, eps, lr = c[0], c[1], c[2], c[3]
    gi = g[i]
    if l2 is not None:
        gi += p[i] * c[4]
    if adadelta is not None:  # Adadelta: s1 = E[g^2], s2 = E[d^2]
        e = s1[i] * rho + (gi * one_rho) * gi
        s1[i] = e
        scale = np.sqrt((s2[i] + eps) / (e + eps))
        d = gi * scale
        s2[i] = s2[i] * rho + (d * one_rho) * d
        p[i] -= d * lr
        step = scale * lr
    else:
        if adagrad is not None:  # Adagrad: s1 = sum of g^2
            e = s1[i] + gi * gi
        else:  # RMSprop: s1 = E[g^2]
            e = s1[i] * rho + (gi * one_rho) * gi
        s1[i] = e
        step = lr / (np.sqrt(e) + eps)
        p[i] -= gi * step
    if l1 is not None:
        _prox_array(p, i, step, c[5])


@njit(cache=True, parallel=True, error_model="numpy")
def _rms_kernel(p, g, s1, s2, n_weights, c, adagrad, adadelta, l2, l1, parallel):
    """Adagrad, RMSprop (neither switch) and Adadelta; ``c`` holds rho,
    1 - rho, epsilon, lr and the L2 and L1 strengths."""
    if parallel:
        for i in prange(n_weights):
            _rms_one(p, g, s1, s2, i, c, adagrad, adadelta, l2, l1)
    else:
        for i in range(n_weights):
            _rms_one(p, g, s1, s2, i, c, adagrad, adadelta, l2, l1)
    for i in range(n_weights, p.shape[0]):
        _rms_one(p, g, s1, s2, i, c, adagrad, adadelta, None, None)


# -- hashing (the definitions and constants are those of skreg._hashing) ------
_U16, _U32, _U48 = np.uint64(16), np.uint64(32), np.uint64(48)
_LOW16 = np.uint64(0xFFFF)


@njit(cache=True, inline="always", error_model="numpy")
def _mix64(x):
    # skreg._hashing.mix on one uint64, compiled
    x ^= x >> _S30
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    x ^= x >> _S31
    return x


@njit(cache=True, parallel=True, error_model="numpy")
def _row_key_sums(X, salts, mixed_salts, out):
    """``out[i] = sum_j mix(bits(X[i, j] + 0.0) ^ salts[j]) - mixed_salts[j]``
    (wrapping uint64 arithmetic), for a C-contiguous float32/float64 ``X``."""
    n, d = X.shape
    for i in prange(n):
        row = np.empty(d, np.float64)
        for j in range(d):
            row[j] = X[i, j] + 0.0  # float32 converts exactly; -0.0 becomes 0.0
        bits = row.view(np.uint64)
        acc = np.uint64(0)
        for j in range(d):
            acc += _mix64(bits[j] ^ salts[j]) - mixed_salts[j]
        out[i] = acc


@njit(cache=True, error_model="numpy")
def _bernoulli16_fill(keys, stream_key, threshold, values, out):
    """``out[i, j] = values[1]`` where 16-bit piece ``j % 4`` (least
    significant first) of the mixed word ``(keys[i] ^ stream_key) +
    (j // 4 + 1) * golden`` is at least ``threshold``, else ``values[0]``.
    One thread: a mini-batch's mask is too little work to share."""
    n, d = out.shape
    full = d // 4
    off, on = values[0], values[1]
    for i in range(n):
        base = keys[i] ^ stream_key
        word = np.uint64(0)
        for w in range(full):
            word += _GOLDEN
            x = _mix64(base + word)
            c = 4 * w
            out[i, c] = on if (x & _LOW16) >= threshold else off
            out[i, c + 1] = on if ((x >> _U16) & _LOW16) >= threshold else off
            out[i, c + 2] = on if ((x >> _U32) & _LOW16) >= threshold else off
            out[i, c + 3] = on if (x >> _U48) >= threshold else off
        if 4 * full < d:
            word += _GOLDEN
            x = _mix64(base + word)
            for c in range(4 * full, d):
                out[i, c] = on if (x & _LOW16) >= threshold else off
                x >>= _U16


# -- ReLU layers of the training passes (see skreg.network.Workspace) ---------
@njit(cache=True, error_model="numpy")
def _bias_relu(z, b, positive):
    """``z = maximum(z + b, 0)`` in place and ``positive = z > 0``, row by
    row (one thread)."""
    n, d = z.shape
    for i in range(n):
        for j in range(d):
            v = z[i, j] + b[j]
            v = 0.0 if v < 0 else v  # keeps NaN and -0.0, as np.maximum
            z[i, j] = v
            positive[i, j] = v > 0


@njit(cache=True, error_model="numpy")
def _relu_backward(delta, positive, mask, has_mask, bias_grad):
    """``delta *= mask`` (dropout, if ``has_mask``), then ``delta *=
    positive``, and the column sums of the result into ``bias_grad`` (one
    thread)."""
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
