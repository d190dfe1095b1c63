"""Weight averaging (``average``): a running average of the parameters kept
beside the raw iterate the optimizer moves.

Two averages, both of the flat parameter buffer (weights and biases):

* stochastic weight averaging, ``("swa", k)``: the plain mean of the
  parameters at the end of the epochs ``k, k + 1, ...`` of a fit (one update
  per epoch);
* an exponential moving average, ``("ema", decay)``: after every optimizer
  step, ``average = decay * average + (1 - decay) * params`` (the first
  average is the parameters after the first step).

Both updates are ``average = (1 - w) * average + w * params`` with
``w = 1 / n`` for the n-th epoch averaged, or ``w = 1 - decay``, done in
place: with numba, one compiled pass over the two buffers; without it, chunk
by chunk (cache-sized chunks, as the update chain's, with one small scratch
buffer). Either way there is no allocation, and the numbers are the same.
The averaged parameters are swapped into the parameter buffer whenever the
model is looked at during training (validation score, best weights,
callbacks) and at the end of the fit; training itself goes on from the raw
iterate.
"""

from contextlib import contextmanager

import numpy as np

from . import _accel
from ._update import chunk_bounds


def _build_mix(numba):
    """The compiled average update: one pass, the numpy code's numbers (the
    same two products and one sum per entry, in the parameters' dtype)."""

    @numba.njit(nogil=True)
    def mix(values, params, keep, weight):
        for i in range(values.size):
            values[i] = values[i] * keep + params[i] * weight

    return mix


class WeightAverage:
    """The average of one fit's parameters.

    Parameters
    ----------
    spec : tuple
        ``("swa", first_epoch)`` or ``("ema", decay)``.
    params : ndarray
        The flat, contiguous parameter buffer the optimizer updates.
    values : ndarray or None
        An average to continue (same layout as ``params``), or None to start
        afresh.
    count : int
        How many updates ``values`` already holds (0 to start afresh).
    """

    def __init__(self, spec, params, values=None, count=0):
        self.kind, setting = spec
        self.first_epoch = setting if self.kind == "swa" else 1
        self.decay = setting if self.kind == "ema" else None
        self.params = params
        self.values = np.empty_like(params)
        self.count = int(count) if values is not None else 0
        if self.count:
            self.values[...] = values
        self.stash = np.empty_like(params)  # the raw iterate while swapped out
        self.swapped = False
        self._bounds = chunk_bounds(params.size, params.itemsize)
        width = self._bounds[0][1] - self._bounds[0][0] if self._bounds else 0
        self._scratch = np.empty(width, params.dtype)
        self._kernel = _accel.compiled(_build_mix)  # None: the numpy chunks
        self._epoch_start = None  # (values, count) at the start of the epoch
        self.best_raw = None  # the raw iterate of the best epoch
        self.best_count = 0

    @property
    def per_step(self):
        """Whether the average is updated after every optimizer step (EMA)."""
        return self.kind == "ema"

    def _mix(self, weight):
        """``values = (1 - weight) * values + weight * params``, in place;
        the first update copies ``params``."""
        self.count += 1
        if self.count == 1:
            np.copyto(self.values, self.params)
            return
        keep = 1.0 - weight
        if self._kernel is not None:
            dtype = self.values.dtype.type
            self._kernel(self.values, self.params, dtype(keep), dtype(weight))
            return
        for start, stop in self._bounds:
            scratch = self._scratch[: stop - start]
            np.multiply(self.params[start:stop], weight, out=scratch)
            values = self.values[start:stop]
            values *= keep
            values += scratch

    def after_step(self):
        """The EMA update after an optimizer step."""
        self._mix(1.0 - self.decay)

    def end_epoch(self, epoch):
        """The SWA update at the end of epoch ``epoch`` (counted from 1)."""
        if self.kind == "swa" and epoch >= self.first_epoch:
            self._mix(1.0 / (self.count + 1))

    # -- divergence ------------------------------------------------------------
    def start_epoch(self):
        """Remember the average at the start of an epoch (EMA), which a
        diverged epoch would spoil."""
        if self.kind != "ema":
            return
        if self._epoch_start is None:
            self._epoch_start = [np.empty_like(self.values), 0]
        np.copyto(self._epoch_start[0], self.values)
        self._epoch_start[1] = self.count

    def recover(self):
        """Put the average of the start of the epoch back (EMA)."""
        if self._epoch_start is not None:
            np.copyto(self.values, self._epoch_start[0])
            self.count = self._epoch_start[1]

    # -- looking at the averaged model -------------------------------------------
    @contextmanager
    def swapped_in(self):
        """The averaged parameters in the parameter buffer for the duration
        (the raw ones if nothing has been averaged yet)."""
        if not self.count or self.swapped:
            yield
            return
        np.copyto(self.stash, self.params)
        np.copyto(self.params, self.values)
        self.swapped = True
        try:
            yield
        finally:
            np.copyto(self.params, self.stash)
            self.swapped = False

    def raw(self):
        """The raw iterate (wherever it is)."""
        return self.stash if self.swapped else self.params

    def keep_best(self):
        """Remember the raw iterate and the count of the epoch kept as best."""
        if self.best_raw is None:
            self.best_raw = np.empty_like(self.params)
        np.copyto(self.best_raw, self.raw())
        self.best_count = self.count

    def finish(self, restored_best):
        """End of the fit: leave the averaged parameters in the parameter
        buffer; return the raw iterate to continue from (a copy) and the
        count of the average.

        ``restored_best``: the buffer already holds the best epoch's
        (averaged) parameters, and its raw iterate is the one to keep. An
        average that is not finite (a diverged fit) is dropped.
        """
        if restored_best and self.best_raw is not None:
            return self.best_raw.copy(), self.best_count
        raw = self.params.copy()
        if self.count and np.isfinite(self.values).all():
            np.copyto(self.params, self.values)
            return raw, self.count
        return raw, 0
