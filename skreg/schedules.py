"""Learning-rate schedules, with scikit-learn's names and meanings.

* ``"constant"``: ``learning_rate_init`` throughout.
* ``"invscaling"``: after every epoch, ``learning_rate_init / (t + 1) ** power_t``
  with ``t`` the number of samples seen so far.
* ``"adaptive"``: constant while the monitored quantity improves; each time it
  fails to improve by ``tol`` for ``n_iter_no_change`` epochs the rate is
  divided by 5, and training stops once it falls below 1e-6.
"""

MIN_ADAPTIVE_RATE = 1e-6


class LearningRateSchedule:
    """The current learning rate and how it changes between epochs."""

    def __init__(self, kind, initial, power_t=0.5, current=None):
        self.kind = kind
        self.initial = initial
        self.power_t = power_t
        self.current = initial if current is None else current

    def end_epoch(self, samples_seen):
        """Update the rate after an epoch of a stochastic optimizer."""
        if self.kind == "invscaling":
            self.current = self.initial / (samples_seen + 1) ** self.power_t

    def on_plateau(self):
        """React to a stall; return True if training should go on."""
        if self.kind != "adaptive":
            return False
        self.current /= 5.0
        return self.current > MIN_ADAPTIVE_RATE
