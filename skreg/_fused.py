"""Optional compiled kernels (numba): the update step, and access to the
others (row keys, dropout masks, ReLU layers; see :mod:`skreg._fused_kernels`).

The update step does the L2 gradient, the optimizer rule and the L1 prox in
one pass over the flat parameter vector. The numpy path
(:meth:`skreg._training.Trainer._update`) runs the three as a chain of
in-place ufuncs over cache-sized chunks, about 14 passes per coordinate for
Adam. Where numba imports, the kernels do the same arithmetic, in the same
order and in the parameters' own dtype, once per coordinate, in one vectorized
loop, split over the cores with ``numba.prange`` for vectors of 16 MB and
more. They are compiled on first use (and cached on disk, ``cache=True``),
without ``fastmath``, so the results match the numpy path to rounding (in
practice they are usually bit for bit the same).

Set the environment variable ``SKREG_DISABLE_NUMBA=1`` to force the numpy
path; it is read when a fit starts (the ReLU kernels, the update step) or when
a mask or row keys are drawn.

Layout of the flat vectors (see :class:`skreg.network.Workspace`): the
``n_weights`` weight coordinates first, then the biases. The L2 gradient, the
L1 prox and AdamW's decoupled decay act on the weights only.
"""

import os
import threading

import numpy as np

from .optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    AdamW,
    Momentum,
    Nadam,
    Nesterov,
    RMSprop,
)

# some of numba's threading layers (workqueue) must not be entered from two
# threads at once; a fit that finds the kernels busy takes the numpy path
_LOCK = threading.Lock()

# below this many bytes of parameters one thread does the whole vector: a
# parallel loop costs 100-200 us to start (workqueue layer, 2 cores), and one
# thread runs the vectorized loop over a 4 MB vector in about that time; from
# 16 MB on, two threads win (memory bandwidth). Measured, see benchmarks/README.
_PARALLEL_MIN_BYTES = 16 << 20


def enabled():
    """Whether the compiled step may be used in this process.

    Returns
    -------
    bool
        True where ``SKREG_DISABLE_NUMBA`` is unset or false (``""``, ``"0"``,
        ``"false"``, ``"no"``) and the kernels import (numba is installed).
    """
    flag = os.environ.get("SKREG_DISABLE_NUMBA", "").strip().lower()
    return flag in ("", "0", "false", "no") and _kernels() is not None


_KERNELS = []


def _kernels():
    """The module of compiled kernels, imported on first use (numba takes
    about a second to import), or None without numba."""
    if not _KERNELS:
        try:
            from . import _fused_kernels
        except ImportError:
            _fused_kernels = None
        _KERNELS.append(_fused_kernels)
    return _KERNELS[0]


def compiled_kernels():
    """The module of compiled kernels, or None where numba is unavailable or
    disabled (see :func:`enabled`). Only its single-threaded kernels may be
    called directly; the parallel ones go through :func:`run_kernel` or
    :class:`FusedStep`."""
    return _kernels() if enabled() else None


def run_kernel(name, *args):
    """Run the compiled kernel ``name`` of :mod:`skreg._fused_kernels`.

    Returns
    -------
    bool
        Whether it ran: False where numba is unavailable or disabled, or the
        kernels are busy in another thread (the caller then takes its numpy
        path).
    """
    if not enabled() or not _LOCK.acquire(blocking=False):
        return False
    try:
        getattr(_kernels(), name)(*args)
    finally:
        _LOCK.release()
    return True


_ADAM_FAMILY = {Adam: False, Nadam: True, AdamW: False}
_SGD_FAMILY = {SGD: 0, Momentum: 1, Nesterov: 2}
_RMS_FAMILY = {Adagrad: 0, RMSprop: 1, Adadelta: 2}
FUSED_OPTIMIZERS = tuple(_ADAM_FAMILY) + tuple(_SGD_FAMILY) + tuple(_RMS_FAMILY)


class FusedStep:
    """The compiled update of one fit: the flat buffers and the kernel.

    Parameters
    ----------
    optimizer : Optimizer
        One of ``FUSED_OPTIMIZERS`` (exact type).
    params, grads : ndarray of shape (n_params,)
        The flat, contiguous parameter and gradient vectors, float32 or
        float64, weights first.
    slots : dict of str to ndarray
        The flat optimizer state vectors, by slot name.
    n_weights : int
        How many leading coordinates are weights.
    """

    def __init__(self, optimizer, params, grads, slots, n_weights):
        self.optimizer = optimizer
        self.params = params
        self.grads = grads
        self.slots = [slots[name] for name in optimizer.slots]
        self.n_weights = int(n_weights)
        self.dtype = params.dtype
        self.parallel = params.nbytes >= _PARALLEL_MIN_BYTES
        self._dummy = np.zeros(1, params.dtype)

    @classmethod
    def create(cls, optimizer, params, grads, slots, n_weights):
        """A :class:`FusedStep`, or None where the compiled path does not apply.

        Parameters
        ----------
        optimizer, params, grads, slots, n_weights
            As for the class.

        Returns
        -------
        FusedStep or None
            None when numba is unavailable or disabled, the optimizer is not a
            built-in elementwise rule, or the buffers are not contiguous
            float32/float64 vectors of one dtype.
        """
        if not enabled() or type(optimizer) not in FUSED_OPTIMIZERS:
            return None
        arrays = [params, grads] + [slots[name] for name in optimizer.slots]
        dtype = params.dtype
        if dtype not in (np.float32, np.float64) or any(
            a.dtype != dtype or a.ndim != 1 or a.size != params.size or not a.flags.c_contiguous
            for a in arrays
        ):
            return None
        return cls(optimizer, params, grads, slots, n_weights)

    def __call__(self, lr, t, l2, l1):
        """One step in place: L2 gradient, update rule, L1 prox.

        Parameters
        ----------
        lr : float
            Learning rate of this step.
        t : int
            Step count, starting at 1 (already incremented).
        l2, l1 : float
            Strengths of the L2 and L1 parts of the penalty.

        Returns
        -------
        bool
            False if the kernels are busy in another thread (nothing was
            done; the caller takes the numpy path).
        """
        # only the parallel loop enters the threading layer and needs the lock
        if self.parallel and not _LOCK.acquire(blocking=False):
            return False
        try:
            self._run(float(lr), int(t), float(l2), float(l1))
        finally:
            if self.parallel:
                _LOCK.release()
        return True

    def _run(self, lr, t, l2, l1):
        opt = self.optimizer
        kind = type(opt)
        kernels = _kernels()
        p, g, n_w, par = self.params, self.grads, self.n_weights, self.parallel
        with_l2, with_l1 = _switch(l2), _switch(l1)
        if kind in _ADAM_FAMILY:
            b1, b2 = float(opt.beta_1), float(opt.beta_2)
            wd = float(opt.weight_decay) if kind is AdamW else 0.0
            c = np.array(
                [b1, 1.0 - b1, b2, 1.0 - b2, 1.0 - b2**t, float(opt.epsilon),
                 1.0 - b1**t, lr, l2, l1, 1.0 - lr * wd],
                dtype=self.dtype,
            )
            m, v = self.slots
            nadam = _switch(_ADAM_FAMILY[kind])
            kernels._adam_kernel(p, g, m, v, n_w, c, nadam, with_l2, with_l1, _switch(wd), par)
        elif kind in _SGD_FAMILY:
            mode = _SGD_FAMILY[kind]
            momentum = float(opt.momentum) if mode else 0.0
            step = lr / (1.0 - momentum) if mode else lr  # the prox step of optimizers.py
            threshold = step * l1
            c = np.array([momentum, lr, l2, -threshold, threshold], dtype=self.dtype)
            v = self.slots[0] if mode else self._dummy
            kernels._sgd_kernel(
                p, g, v, n_w, c, _switch(mode), _switch(mode == 2), with_l2, with_l1, par
            )
        else:
            mode = _RMS_FAMILY[kind]
            rho = float(opt.rho) if mode else 0.0
            c = np.array([rho, 1.0 - rho, float(opt.epsilon), lr, l2, l1], dtype=self.dtype)
            s1 = self.slots[0]
            s2 = self.slots[1] if mode == 2 else self._dummy
            kernels._rms_kernel(
                p, g, s1, s2, n_w, c, _switch(mode == 0), _switch(mode == 2), with_l2, with_l1, par
            )


def _switch(on):
    """A kernel switch: True when on, None when off (see _fused_kernels)."""
    return True if on else None
