"""The switch for the optional compiled kernels (numba).

A leaf module: it imports nothing from skreg. Each compiled kernel of skreg is
written beside the numpy code it replaces, as a *builder*: a function that
takes the ``numba`` module and returns the compiled function. :func:`compiled`
calls a builder once per process and keeps the result, so numba is imported,
and a kernel compiled, only when skreg first needs it, never on import.

* ``SKREG_DISABLE_NUMBA=1`` (any value but ``0``/``false``/``no``) forces the numpy code; it is
  read on every call, so a test or a user can switch between the two paths
  within one process. The compiled kernels give the numpy code's numbers.
* Parallel kernels (``numba.prange``) go through :func:`run_parallel`. It
  chooses numba's ``workqueue`` threading layer the first time skreg starts a
  parallel loop, unless the user chose a layer: the default OpenMP layer's idle
  threads spin and slowed BLAS down 3-10x on two cores (benchmarks/README.md).
  Some layers must not be entered from two threads at once, so a parallel
  kernel runs under a lock; a caller that finds it busy takes the numpy path.
"""

import importlib.util
import os
import threading

_ON_VALUES = ("", "0", "false", "no")  # values of SKREG_DISABLE_NUMBA that keep numba on
_LOCK = threading.Lock()
_COMPILED = {}
_NUMBA = []


def _numba():
    """The numba module, imported on first use, or None where it is missing."""
    if not _NUMBA:
        module = None
        if importlib.util.find_spec("numba") is not None:
            try:
                import numba as module
            except ImportError:  # pragma: no cover - a broken numba install
                module = None
        _NUMBA.append(module)
    return _NUMBA[0]


def enabled():
    """Whether compiled kernels may be used now.

    Returns
    -------
    bool
        True where ``SKREG_DISABLE_NUMBA`` is unset or false (``""``, ``"0"``,
        ``"false"``, ``"no"``) and numba imports.
    """
    flag = os.environ.get("SKREG_DISABLE_NUMBA", "").strip().lower()
    return flag in _ON_VALUES and _numba() is not None


def compiled(builder):
    """The kernel that ``builder(numba)`` compiles, or None when disabled.

    Parameters
    ----------
    builder : callable
        Takes the numba module and returns a compiled function; called once
        per process (and per builder).

    Returns
    -------
    callable or None
    """
    if not enabled():
        return None
    kernel = _COMPILED.get(builder)
    if kernel is None:
        kernel = _COMPILED[builder] = builder(_numba())
    return kernel


def _choose_threading_layer():
    numba = _numba()
    if "NUMBA_THREADING_LAYER" not in os.environ and numba.config.THREADING_LAYER == "default":
        numba.config.THREADING_LAYER = "workqueue"


def run_parallel(kernel, *args):
    """Run a parallel ``kernel(*args)`` under the lock.

    Returns
    -------
    bool
        False (and nothing ran) when another thread is inside a parallel
        kernel; the caller then takes its numpy path.
    """
    if not _LOCK.acquire(blocking=False):
        return False
    try:
        _choose_threading_layer()
        kernel(*args)
    finally:
        _LOCK.release()
    return True
