"""Running the update chain over the parameters: numpy in cache-sized
chunks, or one compiled pass.

The links of :mod:`skreg.transforms` that act on each coordinate alone run
chunk by chunk (about 128 KiB each), so every chunk is read from memory once
and all the links work on it in cache; the arithmetic per coordinate is the
same whatever the chunking. Links that need whole rows or columns of a layer
(group lasso, max-norm) run afterwards on the per-layer views.

Where numba is in use (:mod:`skreg._accel`) and the elementwise part of the
chain is built from the known links, one compiled kernel does it all in one
pass per coordinate: the smooth penalty's gradient, the rule, decoupled decay,
the update and the L1 prox, with the numpy links' arithmetic.
"""

import numpy as np

from . import _accel
from .penalties import ElasticNet
from .rules import Rule
from .transforms import (
    AddPenaltyGradient,
    ApplyUpdates,
    DecoupledDecay,
    ProximalStep,
    StepContext,
)

CHUNK_BYTES = 1 << 17
_N_SCRATCH = 2


def chunk_bounds(size, itemsize):
    """``(start, stop)`` pairs cutting ``size`` coordinates into chunks."""
    step = max(CHUNK_BYTES // itemsize, 1)
    return [(start, min(start + step, size)) for start in range(0, size, step)]


def make_chunks(params, grads, slots, n_weights):
    """Matching cache-sized pieces of flat, contiguous buffers:
    ``(params, grads, slots, scratch, n_weights)`` per chunk, with scratch
    buffers shared by all chunks and the count of leading weight coordinates
    in each chunk. A non-contiguous array is one chunk, with whole scratch."""
    if not all(a.flags.c_contiguous for a in (params, grads, *slots.values())):
        scratch = [np.empty_like(params) for _ in range(_N_SCRATCH)]
        return [(params, grads, slots, scratch, n_weights)]
    params, grads = params.reshape(-1), grads.reshape(-1)
    slots = {name: a.reshape(-1) for name, a in slots.items()}
    bounds = chunk_bounds(params.size, params.itemsize)
    width = bounds[0][1] - bounds[0][0] if bounds else 0
    scratch = [np.empty(width, params.dtype) for _ in range(_N_SCRATCH)]
    return [
        (
            params[a:b],
            grads[a:b],
            {name: s[a:b] for name, s in slots.items()},
            [s[: b - a] for s in scratch],
            min(max(n_weights - a, 0), b - a),
        )
        for a, b in bounds
    ]


def run_chunks(links, chunks, lr, t, want_step, keep_steps, progress=0.0):
    """Run elementwise ``links`` over ``chunks`` (see :func:`make_chunks`) at
    training progress ``progress`` (see :mod:`skreg.schedules`).

    Returns the step taken where ``keep_steps``: a number, or True once the
    per-coordinate steps are left in each chunk's gradient piece (free once
    the update is applied); None otherwise.
    """
    step = None
    for p, g, slots, scratch, n_weights in chunks:
        context = StepContext(lr, t, n_weights, scratch, want_step, progress)
        updates = g
        for link in links:
            updates, slots = link.update(updates, slots, p, context)
        if keep_steps:
            step = context.step
            if np.ndim(step):
                if step is not g:
                    np.copyto(g, step)
                step = True
    return step


def run_on_arrays(links, params, grads, state, lr, t, is_weight, want_steps, progress=0.0):
    """Run elementwise ``links`` on parameter arrays one by one, at training
    progress ``progress``.

    ``state`` maps slot names to lists of arrays (one per parameter). Returns
    the step each array took (a number, or ``grads[i]`` filled with the
    per-coordinate steps) when ``want_steps``, else None.
    """
    names = [name for name in state if name != "t"]
    steps = []
    for i, (p, g) in enumerate(zip(params, grads)):
        slots = {name: state[name][i] for name in names}
        chunks = make_chunks(p, g, slots, p.size if is_weight[i] else 0)
        step = run_chunks(links, chunks, lr, t, want_steps, want_steps, progress)
        steps.append(g if step is True else step)
    return steps


class FlatUpdate:
    """The update chain of one fit, over flat parameter buffers.

    Parameters
    ----------
    links : list of Link
        The whole chain in order; the elementwise links run first, chunk by
        chunk, then the others on the per-layer views.
    buffers : TrainingBuffers
        The flat parameters, gradients and optimizer state of the fit.
    """

    def __init__(self, links, buffers):
        self.elementwise = [link for link in links if link.elementwise]
        self.structured = [link for link in links if not link.elementwise]
        self.buffers = buffers
        # the structured links that scale by the step get it kept in the
        # gradient buffer; the elementwise prox reads it from the context
        self.keep_steps = any(getattr(link, "needs_steps", False) for link in self.structured)
        self.want_step = self.keep_steps or any(isinstance(link, ProximalStep) for link in links)
        self.chunks = make_chunks(buffers.params, buffers.grads, buffers.slots, buffers.n_weights)
        self.compiled = CompiledUpdate.create(self.elementwise, buffers, self.keep_steps)

    def __call__(self, lr, t, optimizer_state=None, progress=0.0):
        """One step with learning rate ``lr`` and step count ``t``;
        ``optimizer_state`` is a custom optimizer's own state dict and
        ``progress`` the share of the fit's planned steps taken before this
        one (the scheduled weight decay reads it)."""
        if not self.elementwise:
            steps = None
        elif self.compiled is None or not self.compiled(lr, t, progress):
            steps = run_chunks(
                self.elementwise, self.chunks, lr, t, self.want_step, self.keep_steps, progress
            )
            if steps is True:
                steps = self.buffers.grads
        else:
            steps = self.compiled.steps(lr)
        for link in self.structured:
            result = link.apply(self.buffers, steps, lr, optimizer_state)
            if result is not None:
                steps = result


# -- the compiled pass -----------------------------------------------------------
# below this many bytes of parameters one thread does the whole vector: a
# parallel loop costs 100-200 us to start (workqueue layer, 2 cores), and one
# thread runs the vectorized loop over a 4 MB vector in about that time; from
# 16 MB on, two threads win (memory bandwidth). Measured, see benchmarks/README.
PARALLEL_MIN_BYTES = 16 << 20


def _build_update_kernel(numba, coordinate):
    """Compile the one-pass update for the rule ``coordinate``.

    Switches (``l2``, ``decay``, ``l1``, ``threshold``, ``keep_step``) are a
    number or None; numba compiles one loop per combination with the branches
    decided at compile time, which lets LLVM vectorize it. No fastmath, and
    numpy's error model (a division by zero gives inf/nan, unchecked).
    """
    opts = {"error_model": "numpy"}
    rule = numba.njit(inline="always", **opts)(coordinate)

    @numba.njit(inline="always", **opts)
    def soft_threshold(p, i, limit):
        # p - clip(p, -limit, limit)
        clipped = -limit
        if p[i] > clipped:
            clipped = p[i]
        if clipped > limit:
            clipped = limit
        p[i] -= clipped

    @numba.njit(inline="always", **opts)
    def one(p, g, s1, s2, i, c, l2, decay, l1, threshold, keep_step):
        gi = g[i]
        if l2 is not None:
            gi += p[i] * l2
        increment, step = rule(gi, s1, s2, i, c)
        if decay is not None:
            p[i] *= decay
        p[i] += increment
        if threshold is not None:  # one threshold for all coordinates
            soft_threshold(p, i, threshold)
        if l1 is not None:  # the coordinate's own step (never with threshold)
            soft_threshold(p, i, step * l1)
        if keep_step is not None:
            g[i] = step

    @numba.njit(parallel=True, **opts)
    def kernel(p, g, s1, s2, n_weights, c, l2, decay, l1, threshold, keep_step, parallel):
        if parallel:
            for i in numba.prange(n_weights):
                one(p, g, s1, s2, i, c, l2, decay, l1, threshold, keep_step)
        else:
            for i in range(n_weights):
                one(p, g, s1, s2, i, c, l2, decay, l1, threshold, keep_step)
        for i in range(n_weights, p.shape[0]):
            one(p, g, s1, s2, i, c, None, None, None, None, None)

    return kernel


_BUILDERS = {}


def _builder(coordinate):
    """One builder per rule function, so :func:`skreg._accel.compiled`
    compiles each rule once per process."""
    if coordinate not in _BUILDERS:
        _BUILDERS[coordinate] = lambda numba: _build_update_kernel(numba, coordinate)
    return _BUILDERS[coordinate]


class CompiledUpdate:
    """The elementwise links of a chain as one compiled kernel call."""

    def __init__(self, kernel, rule, buffers, l2, decay, l1, keep_step):
        self.kernel = kernel
        self.rule = rule
        self.buffers = buffers
        self.dtype = buffers.params.dtype
        self.l2, self.decay, self.l1, self.keep_step = l2, decay, l1, keep_step
        self.parallel = buffers.params.nbytes >= PARALLEL_MIN_BYTES
        slots = [buffers.slots[name] for name in rule.slots]
        dummy = np.zeros(1, self.dtype)
        self.s1 = slots[0] if slots else dummy
        self.s2 = slots[1] if len(slots) > 1 else dummy

    @classmethod
    def create(cls, links, buffers, keep_step):
        """A :class:`CompiledUpdate`, or None where the compiled pass does not
        apply (numba off, an unknown link, buffers not contiguous float32/64
        vectors of one dtype)."""
        if not _accel.enabled():
            return None
        parts = _compilable_parts(links)
        if parts is None or not buffers.one_dtype():
            return None
        rule, l2, decay, l1 = parts
        kernel = _accel.compiled(_builder(rule.coordinate))
        return cls(kernel, rule, buffers, l2, decay, l1, keep_step)

    def _scalar(self, value):
        return None if value is None else self.dtype.type(value)

    def __call__(self, lr, t, progress=0.0):
        """One step at training progress ``progress``; False (nothing done) if
        the kernels are busy elsewhere."""
        b, rule = self.buffers, self.rule
        l1, threshold = self.l1, None
        if l1 is not None and rule.scalar_step:
            # the same threshold for every coordinate, computed as numpy does
            l1, threshold = None, rule.step_size(lr) * l1
        args = (
            b.params, b.grads, self.s1, self.s2, b.n_weights,
            rule.kernel_constants(lr, t, self.dtype),
            self._scalar(self.l2),
            None if self.decay is None else self._scalar(self.decay.factor(lr, progress)),
            self._scalar(l1), self._scalar(threshold),
            True if self.keep_step else None,
        )
        if self.parallel:
            return _accel.run_parallel(self.kernel, *args, True)
        self.kernel(*args, False)
        return True

    def steps(self, lr):
        """The steps the last call took, for the structured links."""
        if self.rule.scalar_step:
            return self.rule.step_size(lr)
        return self.buffers.grads


def _compilable_parts(links):
    """``(rule, l2, decay, l1)`` where ``links`` are [penalty gradient] ->
    rule -> [decoupled decay] -> apply -> [prox] of the built-in kinds."""
    rule = l2 = decay = l1 = None
    expected = iter(("gradient", "rule", "decay", "apply", "prox"))
    for link in links:
        kind = _kind(link)
        if kind is None:
            return None
        for wanted in expected:
            if wanted == kind:
                break
        else:
            return None
        if kind == "gradient":
            l2 = link.penalty.l2_strength
        elif kind == "rule":
            rule = link
        elif kind == "decay":
            decay = link if link.weight_decay else None
        elif kind == "prox":
            l1 = link.penalty.l1_strength
    if rule is None or getattr(rule, "coordinate", None) is None:
        return None
    return rule, l2 or None, decay, l1 or None


def _kind(link):
    """The part of the compiled pass ``link`` is, or None. The kernel knows
    the elastic net's L2 gradient and L1 soft threshold only."""
    if type(link) is AddPenaltyGradient and type(link.penalty) is ElasticNet:
        return "gradient"
    if isinstance(link, Rule):
        return "rule"
    if type(link) is DecoupledDecay:
        return "decay"
    if type(link) is ApplyUpdates:
        return "apply"
    if type(link) is ProximalStep and type(link.penalty) is ElasticNet:
        return "prox"
    return None
