"""Content hashes of rows and counter-based random numbers derived from them.

Two rows with the same values get the same 64-bit key. The validation split
and the per-sample noise (dropout masks, input noise) are functions of these
keys and of numbers drawn from the estimator's generator, so

* identical rows always fall on the same side of the validation split (no
  duplicate leaks from training into validation), and
* a sample with integer weight ``k`` trains exactly like ``k`` copies of it,
  also with noise-based regularizers switched on.

The mixing function is the finalizer of SplitMix64 (Steele, Lea & Flood 2014),
computed with numpy's wrapping ``uint64`` arithmetic, so results are exact and
independent of the order of operations.
"""

import numpy as np
import scipy.sparse as sp

from . import _accel

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


_BLOCK = 1 << 14  # uint64 entries processed at a time (128 KiB), so the work stays in cache


def _mix_block(x, tmp):
    np.right_shift(x, _S30, out=tmp)
    x ^= tmp
    x *= _M1
    np.right_shift(x, _S27, out=tmp)
    x ^= tmp
    x *= _M2
    np.right_shift(x, _S31, out=tmp)
    x ^= tmp


def _mix_one(x):
    """SplitMix64 finalizer of one uint64 (numpy scalar; numba compiles it
    too, see :func:`_build_mix64`)."""
    x ^= x >> _S30
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    x ^= x >> _S31
    return x


def mix(x):
    """SplitMix64 finalizer of a uint64 array, in place; returns ``x``."""
    if not isinstance(x, np.ndarray) or x.ndim == 0:
        return _mix_one(x)
    if x.size <= _BLOCK or not x.flags.c_contiguous:
        _mix_block(x, np.empty_like(x))
        return x
    flat = x.reshape(-1)
    tmp = np.empty(_BLOCK, dtype=np.uint64)
    for start in range(0, flat.size, _BLOCK):
        block = flat[start : start + _BLOCK]
        _mix_block(block, tmp[: block.size])
    return x


def _column_salts(n_columns):
    return mix(np.arange(1, n_columns + 1, dtype=np.uint64) * _GOLDEN)


def _entry_terms(values, salts, mixed_salts=None):
    """Hash contribution of entries; exactly 0 for entries equal to 0."""
    # + 0.0 turns -0.0 into 0.0; float32 values convert exactly
    bits = np.add(values, 0.0, dtype=np.float64).view(np.uint64)
    with np.errstate(over="ignore"):
        bits ^= salts
        mix(bits)
        bits -= mix(salts.copy()) if mixed_salts is None else mixed_salts
    return bits


# -- compiled twins (numba, see skreg._accel): the same numbers in one pass ----
def _build_mix64(numba):
    return numba.njit(inline="always", error_model="numpy")(_mix_one)


def _build_row_key_sums(numba):
    mix64 = _build_mix64(numba)

    @numba.njit(parallel=True, error_model="numpy")
    def row_key_sums(X, salts, mixed_salts, out):
        """``out[i] = sum_j mix(bits(X[i, j] + 0.0) ^ salts[j]) - mixed_salts[j]``
        (wrapping uint64 arithmetic), for a C-contiguous float ``X``."""
        n, d = X.shape
        for i in numba.prange(n):
            row = np.empty(d, np.float64)
            for j in range(d):
                row[j] = X[i, j] + 0.0  # float32 converts exactly; -0.0 becomes 0.0
            bits = row.view(np.uint64)
            acc = np.uint64(0)
            for j in range(d):
                acc += mix64(bits[j] ^ salts[j]) - mixed_salts[j]
            out[i] = acc

    return row_key_sums


_U16, _U32, _U48 = np.uint64(16), np.uint64(32), np.uint64(48)
_LOW16 = np.uint64(0xFFFF)


def _build_bernoulli16_fill(numba):
    mix64 = _build_mix64(numba)

    @numba.njit(error_model="numpy")
    def bernoulli16_fill(keys, stream_key, threshold, values, out):
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
                x = mix64(base + word)
                c = 4 * w
                out[i, c] = on if (x & _LOW16) >= threshold else off
                out[i, c + 1] = on if ((x >> _U16) & _LOW16) >= threshold else off
                out[i, c + 2] = on if ((x >> _U32) & _LOW16) >= threshold else off
                out[i, c + 3] = on if (x >> _U48) >= threshold else off
            if 4 * full < d:
                word += _GOLDEN
                x = mix64(base + word)
                for c in range(4 * full, d):
                    out[i, c] = on if (x & _LOW16) >= threshold else off
                    x >>= _U16

    return bernoulli16_fill


def _compiled_row_keys(X, salts, mixed_salts, keys):
    """The dense sums of :func:`row_keys` by the compiled kernel, where numba
    is in use and ``X`` is a C-contiguous float array; returns whether it ran."""
    if X.dtype not in (np.float32, np.float64) or not X.flags.c_contiguous or X.size < _BLOCK:
        return False
    kernel = _accel.compiled(_build_row_key_sums)
    return kernel is not None and _accel.run_parallel(kernel, X, salts, mixed_salts, keys)


def row_keys(X, y=None, chunk_rows=None):
    """One uint64 key per row of ``X`` (and of ``y`` when given).

    Dense and sparse representations of the same matrix give the same keys,
    also for a sparse matrix with duplicate stored entries (whose sums are
    hashed, on a copy).
    """
    n, d = X.shape
    salts = _column_salts(d)
    keys = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        if sp.issparse(X):
            X = sp.csr_array(X)
            if not X.has_canonical_format:
                X = X.copy()
                X.sum_duplicates()
            terms = _entry_terms(X.data, salts[X.indices])
            row_of_entry = np.repeat(np.arange(n), np.diff(X.indptr))
            np.add.at(keys, row_of_entry, terms)
        else:
            mixed_salts = mix(salts.copy())
            if not _compiled_row_keys(X, salts, mixed_salts, keys):
                if chunk_rows is None:
                    chunk_rows = max(1, _BLOCK // max(d, 1))
                for start in range(0, n, chunk_rows):
                    block = X[start : start + chunk_rows]
                    terms = _entry_terms(block, salts, mixed_salts)
                    np.sum(terms, axis=1, dtype=np.uint64, out=keys[start : start + chunk_rows])
        if y is not None:
            y2 = np.asarray(y, dtype=np.float64).reshape(n, -1)
            y_salts = mix(_column_salts(y2.shape[1]) ^ _GOLDEN)
            keys += _entry_terms(y2, y_salts).sum(axis=1, dtype=np.uint64)
    return mix(keys)


def draw_stream_key(rng):
    """A fresh 64-bit key from the estimator's generator."""
    return rng.integers(0, 2**64, dtype=np.uint64, endpoint=False)


def random_bits(keys, n_columns, stream_key):
    """Random uint64 words, shape ``(len(keys), n_columns)``.

    Entry ``(i, j)`` depends only on ``keys[i]``, ``j`` and ``stream_key``.
    """
    with np.errstate(over="ignore"):
        cols = np.arange(1, n_columns + 1, dtype=np.uint64) * _GOLDEN
        x = (keys ^ stream_key)[:, None] + cols[None, :]
        return mix(x)


def uniform(keys, n_columns, stream_key):
    """Uniform float64 numbers in [0, 1), shape ``(len(keys), n_columns)``."""
    x = random_bits(keys, n_columns, stream_key)
    x >>= _S11
    out = x.astype(np.float64)
    out *= 2.0**-53
    return out


def bernoulli(keys, n_columns, stream_key, p):
    """Boolean array that is True with probability ``1 - p`` per entry."""
    threshold = np.uint64(min(int(p * 2.0**64), 2**64 - 1))
    return random_bits(keys, n_columns, stream_key) >= threshold


def _rate_in_16_bits(p):
    return min(round(p * 2.0**16), 2**16 - 1)


def rounded_rate16(p):
    """The probability :func:`bernoulli16` actually uses for ``p``."""
    return _rate_in_16_bits(p) / 2.0**16


def bernoulli16(keys, n_columns, stream_key, p):
    """Boolean array that is True with probability ``1 - p`` per entry, with
    ``p`` rounded to a multiple of ``2**-16``; a quarter of the cost of
    :func:`bernoulli`.

    Each 64-bit word of :func:`random_bits` gives four 16-bit numbers: entry
    ``(i, j)`` is decided by piece ``j % 4`` (least significant first) of
    word ``j // 4`` of row ``i``, so it depends only on ``keys[i]``, ``j`` and
    ``stream_key``, as for :func:`bernoulli`.
    """
    threshold = np.uint16(_rate_in_16_bits(p))
    words = random_bits(keys, -(-n_columns // 4), stream_key)
    pieces = words.astype("<u8", copy=False).view("<u2")
    return pieces[:, :n_columns] >= threshold


def bernoulli16_fill(keys, stream_key, p, value, out):
    """Write ``value`` where :func:`bernoulli16` is True and 0 elsewhere, into
    the 2-D float array ``out`` (one row per key); returns ``out``.

    Uses the compiled kernel where numba is in use, else numpy; the result is
    the same.
    """
    n_columns = out.shape[1]
    if out.flags.c_contiguous and out.dtype in (np.float32, np.float64):
        kernel = _accel.compiled(_build_bernoulli16_fill)
        if kernel is not None:  # a single-threaded kernel: called directly
            threshold = np.uint64(_rate_in_16_bits(p))
            values = np.array([0.0, value], dtype=out.dtype)
            kernel(keys, np.uint64(stream_key), threshold, values, out)
            return out
    keep = bernoulli16(keys, n_columns, stream_key, p)
    return np.multiply(keep, out.dtype.type(value), out=out)
