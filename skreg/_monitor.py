"""End-of-epoch bookkeeping: loss curve, validation scores, patience, best
weights and the learning-rate schedule's reaction to a plateau.

All of it is stored on the estimator as plain attributes, so ``warm_start``,
``partial_fit`` and pickling see the same history. The monitor also calls the
hooks of scikit-learn's callbacks (see :mod:`skreg._callbacks`) for the fit
and for each epoch.
"""

import numpy as np

from ._callbacks import FitCallbacks


class EpochMonitor:
    """Decide after each epoch whether training goes on.

    Parameters
    ----------
    estimator : BaseMLP
        Holds the history attributes, which this object updates.
    schedule : LearningRateSchedule
        Asked what to do when progress stalls.
    """

    def __init__(self, estimator, schedule):
        self.est = estimator
        self.schedule = schedule

    def start(self, reset_history):
        """Start a fit: fresh patience, and fresh history unless continuing."""
        est = self.est
        if reset_history or not hasattr(est, "loss_curve_"):
            est.loss_curve_ = []
            est.best_loss_ = np.inf
            est.validation_scores_ = [] if est.early_stopping else None
            est.best_validation_score_ = -np.inf if est.early_stopping else None
        if est.early_stopping and est.validation_scores_ is None:
            est.validation_scores_ = []
            est.best_validation_score_ = -np.inf
        est._no_improvement_count = 0
        # the weights kept are the best of *this* fit: a warm-started fit
        # (whose split and penalty may differ) does not compete with the
        # previous fit's best score, whose weights are gone
        self.best_score = -np.inf
        self.best_params = None
        self.callbacks = None

    def begin_fit(self, X, y, sample_weight, n_epochs):
        """Start the callbacks' fit task and its first epoch.

        Parameters
        ----------
        X, y, sample_weight : array-like
            The training rows of this fit, as the callbacks should see them.
        n_epochs : int
            Most epochs (L-BFGS: iterations) this fit can run.
        """
        self.callbacks = FitCallbacks(self.est, X, y, sample_weight, n_epochs)

    def end_fit(self):
        """End the callbacks' fit task (after the best weights are restored)."""
        if self.callbacks is not None:
            self.callbacks.end_fit()

    def end_epoch(self, loss, validation_score=None):
        """Record an epoch; return True if training should stop."""
        stop = self._record(loss, validation_score)
        if self.callbacks is not None:
            stop = self.callbacks.end_epoch(stop)
        return stop

    def _record(self, loss, validation_score):
        est = self.est
        est.loss_curve_.append(float(loss))
        est.loss_ = float(loss)
        if validation_score is not None:
            score = float(validation_score)
            est.validation_scores_.append(score)
            improved = score > self.best_score + est.tol
            if score > self.best_score:
                self.best_score = score
                est.best_validation_score_ = score
                self.best_params = (
                    [W.copy() for W in est.coefs_],
                    [b.copy() for b in est.intercepts_],
                )
        else:
            improved = loss < est.best_loss_ - est.tol
        est.best_loss_ = min(est.best_loss_, float(loss))
        est._no_improvement_count = 0 if improved else est._no_improvement_count + 1
        if est._no_improvement_count < est.n_iter_no_change:
            return False
        est._no_improvement_count = 0
        return not self.schedule.on_plateau()

    def restore_best(self):
        """Put the weights of the best validation epoch back in place."""
        if self.best_params is None:
            return
        for W, best in zip(self.est.coefs_, self.best_params[0]):
            W[...] = best
        for b, best in zip(self.est.intercepts_, self.best_params[1]):
            b[...] = best
