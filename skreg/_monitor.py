"""End-of-epoch bookkeeping: loss curve, validation scores, patience, best
weights, the learning-rate schedule's reaction to a plateau, the verbose
line, and the hooks of scikit-learn's callbacks (see :mod:`skreg._callbacks`).

Everything it records goes into the :class:`skreg._state.TrainingState`; the
estimator copies it out at the end of the fit.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .schedules import LearningRateSchedule


class EpochMonitor:
    """Decide after each epoch whether training goes on.

    Parameters
    ----------
    settings : Settings
        The fit's settings (tol, patience, early stopping, verbosity,
        schedule).
    state : TrainingState
        Holds the history this object updates.
    validating : bool
        Whether a validation score comes with each epoch.
    callbacks : FitCallbacks or None
        The callback hooks of this fit.
    """

    def __init__(self, settings, state, validating, callbacks=None):
        self.settings = settings
        self.state = state
        self.validating = validating
        self.callbacks = callbacks
        self.schedule = LearningRateSchedule(
            settings.schedule, settings.learning_rate, settings.power_t,
            current=state.learning_rate, warmup=settings.warmup,
        )
        # the weights kept are the best of *this* fit: a warm-started fit
        # (whose split and penalty may differ) does not compete with the
        # previous fit's best score, whose weights are gone
        self.best_score = -np.inf
        self.kept_best = False
        self.warned_unscored = False
        state.no_improvement_count = 0
        # the validation patience also covers n_steps_no_change optimizer
        # steps (stochastic optimizers): counted from the last improvement
        self.min_steps = (
            settings.n_steps_no_change if validating and settings.is_stochastic else 0
        )
        self.step_of_improvement = state.step
        self.extra_epochs = 0

    def end_epoch(self, loss, validation_score=None):
        """Record an epoch; return True if training should stop."""
        self._report(loss, validation_score)
        stop = self._record(loss, validation_score)
        if self.callbacks is not None:
            stop = self.callbacks.end_epoch(stop)
        return stop

    def end_fit(self):
        """Note the schedule's rate and end the callbacks' fit task."""
        self.state.learning_rate = self.schedule.current
        if self.callbacks is not None:
            self.callbacks.end_fit()

    def _report(self, loss, score):
        # scikit-learn's MLP lines, so that logs read the same
        if self.settings.verbose:
            print("Iteration %d, loss = %.8f" % (self.state.n_iter, loss))
            if score is not None:
                print("Validation score: %f" % score)

    def _record(self, loss, validation_score):
        state, tol = self.state, self.settings.tol
        state.loss_curve.append(float(loss))
        state.loss = float(loss)
        if validation_score is not None:
            score = float(validation_score)
            state.validation_scores.append(score)
            improved = score > self.best_score + tol
            if score > self.best_score:
                self.best_score = score
                state.best_validation_score = score
                state.keep_best()
                if state.average is not None:
                    state.average.keep_best()
                self.kept_best = True
        else:
            improved = loss < state.best_loss - tol
            state.best_loss = min(state.best_loss, float(loss))
        if validation_score is not None and np.isnan(score):
            return self._unscored_epoch()
        if improved:
            state.no_improvement_count = 0
            self.step_of_improvement = state.step
        else:
            state.no_improvement_count += 1
        if not self.patience_ran_out():
            return False
        # the epochs the step rule added to n_iter_no_change
        self.extra_epochs = state.no_improvement_count - self.settings.n_iter_no_change
        state.no_improvement_count = 0
        self.step_of_improvement = state.step
        return not self.schedule.on_plateau()

    def patience_ran_out(self):
        """Whether the monitored quantity has not improved for
        ``n_iter_no_change`` epochs and, with a validation set and a
        stochastic optimizer, for ``n_steps_no_change`` optimizer steps."""
        state = self.state
        return (
            state.no_improvement_count >= self.settings.n_iter_no_change
            and state.step - self.step_of_improvement >= self.min_steps
        )

    def _unscored_epoch(self):
        """A NaN validation score: warn once, and do not count the epoch
        toward stopping (nor keep its weights as the best)."""
        if not self.warned_unscored:
            self.warned_unscored = True
            warnings.warn(
                f"The validation score is NaN at epoch {self.state.n_iter}: the "
                "scoring parameter cannot score the validation set (e.g. 'roc_auc' "
                "on a validation set with one class, or a scorer returning NaN). "
                "Epochs without a score do not count toward n_iter_no_change and "
                "their weights are not kept as the best; choose another scoring, "
                "or a larger validation_fraction.",
                ConvergenceWarning,
                stacklevel=4,
            )
        return False

    def restore_best(self):
        """Put the weights of the best validation epoch back in place."""
        if self.kept_best:
            self.state.restore_best()
