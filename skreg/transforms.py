"""The links of the update chain, and the update rule of every optimizer.

One training step turns the gradient of the data loss into new parameters
through a chain of small transforms, always in this order::

    smooth penalty gradients -> direction (the optimizer's rule and moments,
    times the learning rate) -> decoupled weight decay (weights only) ->
    apply -> proximal steps (L1, group lasso) -> constraints (max-norm)

The order is the meaning: an L2 penalty enters *before* the direction (so an
adaptive rule divides it by its second moment), decoupled weight decay enters
*after* it (so it does not); that is the whole difference between Adam with
``alpha`` and AdamW. Each link has ``init(params) -> state`` and
``update(updates, state, params, context) -> (updates, state)``.

For speed, links work in place: ``updates`` starts as the gradient buffer and
each link may rewrite it; the state arrays are updated in place; a link that
decays, applies or projects works on ``params`` directly. ``context`` carries
the step's learning rate ``lr``, its count ``t`` (from 1), how many leading
coordinates of ``params`` are weights (``n_weights``; the others are biases,
which are never penalized or decayed), scratch buffers, and the step size each
coordinate took (``context.step``, set by the direction link: a number, or an
array of per-coordinate steps), which the proximal links scale by.

The optimizers' direction links (their update rules) live in
:mod:`skreg.rules`.
"""

import numpy as np

from .schedules import strength_factor


class StepContext:
    """What the links of one step share (see the module docstring).

    Parameters
    ----------
    lr : float
        The learning rate of this step.
    t : int
        The step count, from 1.
    n_weights : int
        How many leading coordinates of the parameters are weights.
    scratch : list of ndarray
        Buffers of the parameters' size and dtype, free for the links.
    want_step : bool
        Whether a later link needs ``step`` (a proximal step is on).
    progress : float, default=0.0
        Share of the fit's planned steps taken before this one (see
        :mod:`skreg.schedules`), which scheduled links read.
    """

    __slots__ = ("lr", "t", "n_weights", "scratch", "want_step", "step", "progress")

    def __init__(self, lr, t, n_weights, scratch, want_step, progress=0.0):
        self.lr = lr
        self.t = t
        self.n_weights = n_weights
        self.scratch = scratch
        self.want_step = want_step
        self.step = None
        self.progress = progress


class Link:
    """A link of the update chain: stateless unless it says otherwise."""

    slots = ()  # names of its state arrays, each shaped like the parameters
    elementwise = True  # acts on each coordinate alone (can run in chunks)

    def init(self, params):
        """Zero state arrays shaped like ``params``, by slot name."""
        return {name: np.zeros_like(params) for name in self.slots}

    def update(self, updates, state, params, context):
        """Transform ``updates`` (see the module docstring)."""
        raise NotImplementedError


# -- the chain's fixed links ----------------------------------------------------
class _PenaltyLink(Link):
    """A link that acts for a penalty (see :mod:`skreg.penalties`)."""

    def __init__(self, penalty):
        self.penalty = penalty


class AddPenaltyGradient(_PenaltyLink):
    """Add the gradient of a penalty's smooth part to the weights' gradient."""

    def update(self, updates, state, params, context):
        n = context.n_weights
        if n:
            self.penalty.add_gradient(params[:n], updates[:n])
        return updates, state


class DecoupledDecay(Link):
    """``theta -= lr * weight_decay * s(p) * theta`` on the weights, from the
    weights before the step (the direction was taken there).

    Parameters
    ----------
    weight_decay : float
        Decay rate, multiplied by the learning rate of each step.
    schedule : {"constant", "flat_cosine"}, default="constant"
        ``s(p)`` of the step's training progress ``p`` (see
        :mod:`skreg.schedules`): 1 throughout, or 1 for the first half of the
        planned steps and a half cosine down to 0 after.
    """

    def __init__(self, weight_decay, schedule="constant"):
        self.weight_decay = float(weight_decay)
        self.schedule = schedule

    def factor(self, lr, progress=0.0):
        """The multiplier of the weights at learning rate ``lr`` and training
        progress ``progress``."""
        if self.schedule == "constant":
            return 1.0 - lr * self.weight_decay
        return 1.0 - lr * self.weight_decay * strength_factor(self.schedule, progress)

    def update(self, updates, state, params, context):
        n = context.n_weights
        if n and self.weight_decay:
            params[:n] *= self.factor(context.lr, context.progress)
        return updates, state


class ApplyUpdates(Link):
    """``theta += updates``."""

    def update(self, updates, state, params, context):
        params += updates
        return updates, state


class ProximalStep(_PenaltyLink):
    """A penalty's elementwise proximal step, scaled by the step taken."""

    def update(self, updates, state, params, context):
        n = context.n_weights
        if n:
            step = context.step
            self.penalty.prox(params[:n], step[:n] if np.ndim(step) else step)
        return updates, state
