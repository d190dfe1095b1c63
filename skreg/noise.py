"""Noise-based regularizers, used in training only.

* Dropout (inverted): ``h * m / (1 - p)``, ``m ~ Bernoulli(1 - p)`` per unit and
  sample, so the expected activation is unchanged and prediction uses the
  plain network.
* DropConnect: one Bernoulli mask on each weight matrix per mini-batch (the
  cheap common approximation of the per-example masks of Wan et al. 2013),
  scaled by ``1 / (1 - p)``.
* Gaussian input noise: ``x + eps``, ``eps ~ N(0, noise_std^2)`` drawn afresh for
  every mini-batch.

Per-sample noise is drawn from the rows' content keys (see ``_hashing``) and a
key from the estimator's generator, so identical rows in one mini-batch share
their noise and a weight of ``k`` is exactly ``k`` copies of a row.
"""

import numpy as np
import scipy.sparse as sp

from ._hashing import bernoulli16_fill, draw_stream_key, rounded_rate16, uniform


def dropout_mask(keys, n_units, rate, rng, dtype, out=None):
    """Inverted-dropout multipliers, shape ``(len(keys), n_units)``.

    Units are kept with probability ``1 - rate``, ``rate`` rounded to a
    multiple of ``2**-16`` (``skreg._hashing``), and kept
    units are scaled by ``1 / (1 - rounded rate)``, so the expected mask is
    exactly 1. ``out``, if given, is the array (of that shape and ``dtype``)
    to write into.
    """
    dtype = np.dtype(dtype)
    if out is None:
        out = np.empty((len(keys), n_units), dtype)
    scale = 1.0 / (1.0 - rounded_rate16(rate))
    return bernoulli16_fill(keys, draw_stream_key(rng), rate, scale, out)


def dropconnect_mask(shape, rate, rng, dtype):
    """One inverted DropConnect mask for a weight matrix of ``shape``."""
    mask = (rng.random(shape) >= rate).astype(dtype)
    mask *= dtype.type(1.0 / (1.0 - rate))
    return mask


def gaussian_noise(keys, n_features, std, rng, dtype):
    """Normal noise with standard deviation ``std`` (Box-Muller transform)."""
    u1 = uniform(keys, n_features, draw_stream_key(rng))
    u2 = uniform(keys, n_features, draw_stream_key(rng))
    np.subtract(1.0, u1, out=u1)  # in (0, 1]
    np.log(u1, out=u1)
    u1 *= -2.0
    np.sqrt(u1, out=u1)
    u2 *= 2.0 * np.pi
    np.cos(u2, out=u2)
    u1 *= u2
    u1 *= std
    return u1.astype(dtype, copy=False)


def perturb_inputs(X, keys, input_dropout, noise_std, rng):
    """Apply input dropout and Gaussian input noise to a mini-batch.

    A sparse batch is made dense first (noise fills every entry).
    """
    if not (input_dropout or noise_std):
        return X
    if sp.issparse(X):
        X = X.toarray()
    if input_dropout:
        X = X * dropout_mask(keys, X.shape[1], input_dropout, rng, X.dtype)
    if noise_std:
        X = X + gaussian_noise(keys, X.shape[1], noise_std, rng, X.dtype)
    return X


def layer_masks(coefs, keys, dropout, dropconnect, rng, buffers=None):
    """Masks for one pass: ``(unit_masks, weight_masks)`` for :func:`skreg.network.forward`.

    ``dropout`` holds one rate per hidden layer; either list is None when its
    regularizer is off. ``buffers``, if given, holds per hidden layer a 2-D
    array with at least ``len(keys)`` rows to write that layer's dropout
    mask into (the first rows are used), or None.
    """
    dtype = coefs[0].dtype
    unit_masks = weight_masks = None
    if any(dropout):
        if buffers is None:
            buffers = [None] * len(dropout)
        unit_masks = [
            dropout_mask(
                keys, W.shape[1], rate, rng, dtype, None if buf is None else buf[: len(keys)]
            )
            if rate
            else None
            for W, rate, buf in zip(coefs[:-1], dropout, buffers)
        ]
    if dropconnect:
        weight_masks = [dropconnect_mask(W.shape, dropconnect, rng, dtype) for W in coefs]
    return unit_masks, weight_masks
