"""Learning-rate schedules, and the schedules of regularization strengths.

They apply to every stochastic optimizer (not only SGD, unlike scikit-learn).

Per epoch, with scikit-learn's names and meanings:

* ``"constant"``: ``learning_rate_init`` throughout; training stops at the
  first plateau.
* ``"invscaling"``: ``learning_rate_init`` during the first epoch, then after
  every epoch ``learning_rate_init / (t + 1) ** power_t`` with ``t`` the number
  of samples seen so far (``t_``); training stops at the first plateau.
* ``"adaptive"``: constant while the monitored quantity improves. At a plateau
  (no improvement by ``tol`` for ``n_iter_no_change`` epochs) training stops if
  the rate is already at or below 1e-6; otherwise the rate is divided by 5 and
  training goes on. This is scikit-learn's rule exactly: the last plateau is
  spent at the first rate below 1e-6 (e.g. ``1e-3 / 5**5 = 3.2e-7``).

Per mini-batch step, as functions of the training progress ``p``: the share
of the planned steps (``max_iter`` epochs times the mini-batches per epoch)
taken before the step, from 0 at the first step towards 1:

* ``"cosine"``: ``learning_rate_init * (1 + cos(pi p)) / 2``, from the initial
  rate down to 0 (:func:`cosine`).
* ``"coslog4"``: ``learning_rate_init * (1 - cos(2 pi log2(1 + 15 p))) / 2``,
  four cycles that each rise from 0 to the initial rate and fall back to 0,
  each twice as long as the one before (:func:`coslog`).
* ``warmup``: a fraction ``w`` of the planned steps over which any of the
  rates above is multiplied by ``p / w`` (a linear ramp from 0).

Regularization strengths (dropout rates, decoupled weight decay) take
``"constant"`` or ``"flat_cosine"``: the base value for the first half of the
planned steps, then a half cosine down to 0 (:func:`flat_cosine`).

Past the planned steps (``partial_fit`` beyond ``max_iter`` calls) the
progress stays at 1, where every per-step schedule is 0.

L-BFGS has no learning rate (``initial=None``): a plateau always stops it.
"""

import math

MIN_ADAPTIVE_RATE = 1e-6

#: the learning-rate schedules that change the rate between epochs only
PER_EPOCH = ("constant", "invscaling", "adaptive")
#: the learning-rate schedules that set the rate of every step
PER_STEP = ("cosine", "coslog4")
#: the schedules of regularization strengths
STRENGTH_SCHEDULES = ("constant", "flat_cosine")


def cosine(progress):
    """``(1 + cos(pi p)) / 2``: 1 at the start, 1/2 halfway, 0 at the end.

    The decay of stochastic gradient descent with warm restarts (Loshchilov &
    Hutter 2017), here over one cycle.

    Parameters
    ----------
    progress : float
        Share of the planned steps taken, clipped to [0, 1].

    Returns
    -------
    float

    Examples
    --------
    >>> cosine(0.0), cosine(0.5), cosine(1.0)
    (1.0, 0.5, 0.0)
    """
    progress = min(max(progress, 0.0), 1.0)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def coslog(progress, n_cycles=4):
    """Cosine cycles of geometrically growing length, each from 0 up to 1
    and back to 0: ``(1 - cos(2 pi log2(1 + (2**n_cycles - 1) p))) / 2``.

    Cycle ``k`` (from 1) ends where ``log2(1 + (2**n - 1) p) = k``, i.e. at
    ``p = (2**k - 1) / (2**n - 1)``, and peaks halfway through in the log
    scale. This is the ``"coslog4"`` schedule of RealMLP (Holzmueller et al.
    2024) for ``n_cycles=4``: cycles end at 1/15, 3/15, 7/15 and 1.

    Parameters
    ----------
    progress : float
        Share of the planned steps taken, clipped to [0, 1].
    n_cycles : int, default=4
        Number of cycles.

    Returns
    -------
    float

    Examples
    --------
    >>> coslog(0.0), coslog(1 / 15), round(coslog((2**0.5 - 1) / 15), 12), coslog(1.0)
    (0.0, 0.0, 1.0, 0.0)
    """
    progress = min(max(progress, 0.0), 1.0)
    cycles = math.log2(1.0 + (2.0**n_cycles - 1.0) * progress)
    return 0.5 * (1.0 - math.cos(2.0 * math.pi * cycles))


def flat_cosine(progress):
    """1 for the first half, then a half cosine from 1 down to 0.

    ``1`` for ``p <= 1/2``, ``(1 + cos(pi (2 p - 1))) / 2`` after: RealMLP's
    ``flat_cos`` schedule of the dropout rate and the weight decay
    (Holzmueller et al. 2024).

    Parameters
    ----------
    progress : float
        Share of the planned steps taken, clipped to [0, 1].

    Returns
    -------
    float

    Examples
    --------
    >>> flat_cosine(0.25), flat_cosine(0.5), flat_cosine(0.75), flat_cosine(1.0)
    (1.0, 1.0, 0.5, 0.0)
    """
    progress = min(max(progress, 0.0), 1.0)
    if progress <= 0.5:
        return 1.0
    return 0.5 * (1.0 + math.cos(math.pi * (2.0 * progress - 1.0)))


def strength_factor(schedule, progress):
    """The multiplier of a regularization strength under ``schedule``
    (``"constant"``: 1; ``"flat_cosine"``: :func:`flat_cosine`)."""
    return 1.0 if schedule == "constant" else flat_cosine(progress)


def warmup_factor(warmup, progress):
    """``min(1, p / warmup)``: a linear ramp from 0 over the first ``warmup``
    share of the planned steps (Goyal et al. 2017); 1 for ``warmup=0``."""
    if not warmup:
        return 1.0
    return min(1.0, max(progress, 0.0) / warmup)


class LearningRateSchedule:
    """The current learning rate and how it changes between epochs and steps.

    Parameters
    ----------
    kind : {"constant", "invscaling", "adaptive", "cosine", "coslog4"}
        The schedule.
    initial : float or None
        ``learning_rate_init``; None for an optimizer without a learning rate.
    power_t : float, default=0.5
        Exponent of ``"invscaling"``.
    current : float or None, default=None
        The rate to continue from (``warm_start``, ``partial_fit``); defaults to
        ``initial``. The per-step schedules start from ``initial`` at every
        ``fit`` and leave ``current`` alone.
    warmup : float, default=0.0
        Share of the planned steps over which the rate ramps up linearly
        from 0, in [0, 1).

    Examples
    --------
    >>> schedule = LearningRateSchedule("adaptive", 1e-3)
    >>> schedule.on_plateau(), schedule.current
    (True, 0.0002)
    >>> round(LearningRateSchedule("cosine", 0.1, warmup=0.2).rate_at(0.1), 6)
    0.048776
    """

    def __init__(self, kind, initial, power_t=0.5, current=None, warmup=0.0):
        self.kind = kind
        self.initial = initial
        self.power_t = power_t
        self.current = initial if current is None else current
        self.warmup = warmup

    @property
    def per_step(self):
        """Whether the rate changes within an epoch (a per-step schedule or a
        warm-up); False without a learning rate (L-BFGS)."""
        return self.initial is not None and (self.kind in PER_STEP or bool(self.warmup))

    def rate_at(self, progress):
        """The rate of the step taken at ``progress`` (the share of the
        planned steps taken before it)."""
        if self.kind == "cosine":
            rate = self.initial * cosine(progress)
        elif self.kind == "coslog4":
            rate = self.initial * coslog(progress, 4)
        else:
            rate = self.current
        if self.warmup:
            rate *= warmup_factor(self.warmup, progress)
        return rate

    def end_epoch(self, samples_seen):
        """Update the rate after an epoch; ``samples_seen`` counts all epochs."""
        if self.kind == "invscaling" and self.initial is not None:
            self.current = self.initial / (samples_seen + 1) ** self.power_t

    def on_plateau(self):
        """React to a stall; return True if training should go on."""
        if self.kind != "adaptive" or self.current is None:
            return False
        if self.current <= MIN_ADAPTIVE_RATE:
            return False
        self.current /= 5.0
        return True


class StepClock:
    """Where each mini-batch step of a fit sits among the planned steps.

    The planned steps are ``max_iter`` epochs of ``steps_per_epoch``
    mini-batches. Step ``b`` of the epoch that starts after ``epochs_done``
    epochs is step ``epochs_done * steps_per_epoch + b`` (from 0), and its
    progress is that number over the planned steps, at most 1.

    Parameters
    ----------
    steps_per_epoch : int
        Mini-batches per epoch.
    max_iter : int
        Planned epochs.

    Examples
    --------
    >>> clock = StepClock(steps_per_epoch=4, max_iter=5)
    >>> clock.start_epoch(2)
    >>> clock.progress(0), clock.progress(3)
    (0.4, 0.55)
    """

    def __init__(self, steps_per_epoch, max_iter):
        self.planned = steps_per_epoch * max_iter
        self.steps_per_epoch = steps_per_epoch
        self.first = 0

    def start_epoch(self, epochs_done):
        """Start the epoch that follows ``epochs_done`` epochs."""
        self.first = epochs_done * self.steps_per_epoch

    def progress(self, batch):
        """The progress at the ``batch``-th step (from 0) of the epoch."""
        return min((self.first + batch) / self.planned, 1.0)
