"""Learning-rate schedules, with scikit-learn's names and meanings.

They apply to every stochastic optimizer (not only SGD, unlike scikit-learn).

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

L-BFGS has no learning rate (``initial=None``): a plateau always stops it.
"""

MIN_ADAPTIVE_RATE = 1e-6


class LearningRateSchedule:
    """The current learning rate and how it changes between epochs.

    Parameters
    ----------
    kind : {"constant", "invscaling", "adaptive"}
        The schedule.
    initial : float or None
        ``learning_rate_init``; None for an optimizer without a learning rate.
    power_t : float, default=0.5
        Exponent of ``"invscaling"``.
    current : float or None, default=None
        The rate to continue from (``warm_start``, ``partial_fit``); defaults to
        ``initial``.

    Examples
    --------
    >>> schedule = LearningRateSchedule("adaptive", 1e-3)
    >>> schedule.on_plateau(), schedule.current
    (True, 0.0002)
    """

    def __init__(self, kind, initial, power_t=0.5, current=None):
        self.kind = kind
        self.initial = initial
        self.power_t = power_t
        self.current = initial if current is None else current

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
