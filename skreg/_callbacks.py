"""scikit-learn's callback API (:mod:`sklearn.callback`, scikit-learn >= 1.9).

A fit is one task with one subtask per epoch (per iteration for L-BFGS).
Callbacks set with ``est.set_callbacks(...)``, or propagated from a
meta-estimator such as :class:`~sklearn.pipeline.Pipeline` or
:class:`~sklearn.model_selection.GridSearchCV`, see each epoch begin and end;
an ``on_fit_task_end`` hook that returns True stops training after that epoch.

On an older scikit-learn, which has no ``sklearn.callback``, the mixin below is
an empty class, ``with_callbacks`` does nothing and :class:`FitCallbacks`
never calls anything: everything else works as before.

Only public names of ``sklearn.callback`` are used here (the mixin's
``_init_callback_context`` is the documented entry point for estimators
outside scikit-learn).
"""

try:
    from sklearn.callback import CallbackSupportMixin, with_callbacks

    CALLBACKS_AVAILABLE = True
except ImportError:  # scikit-learn < 1.9
    CALLBACKS_AVAILABLE = False

    class CallbackSupportMixin:
        """Stand-in for ``sklearn.callback.CallbackSupportMixin``: no callbacks."""

    def with_callbacks(method):
        """Stand-in for ``sklearn.callback.with_callbacks``: returns ``method``."""
        return method


class FitCallbacks:
    """Call the callback hooks of one fit: the fit task and its epochs.

    The first epoch's task begins when this object is created; each
    :meth:`end_epoch` ends the running epoch and begins the next one unless
    training stops or ``n_epochs`` epochs have begun. :meth:`end_fit` ends an
    epoch task that was begun but never run (L-BFGS converging on its own, or
    a diverged epoch) as an empty task, then ends the fit task.

    Parameters
    ----------
    estimator : BaseMLP
        The estimator being fitted.
    X, y : array-like
        The training data of this fit (without the validation rows).
    sample_weight : ndarray
        Weights of the training rows.
    n_epochs : int
        Most epochs (iterations) this fit can run.
    attributes : callable
        Returns the fitted attributes of the model as training left them so
        far (from the training state, not the estimator).
    """

    def __init__(self, estimator, X, y, sample_weight, n_epochs, attributes):
        self.est = estimator
        self.attributes = attributes
        self.data = {"X": X, "y": y, "metadata": {"sample_weight": sample_weight}}
        self.n_epochs = n_epochs
        self.n_begun = 0
        self.epoch_ctx = None
        self.ctx = None
        if not hasattr(estimator, "_init_callback_context"):
            return
        self.ctx = estimator._init_callback_context(max_subtasks=n_epochs)
        self.ctx.call_on_fit_task_begin(estimator=estimator, **self.data)
        self._begin_epoch()

    def _state(self):
        """Fitted attributes of the model as it stands (copies: training goes
        on in place)."""
        attributes = self.attributes()
        state = {
            "coefs_": [W.copy() for W in attributes["coefs_"]],
            "intercepts_": [b.copy() for b in attributes["intercepts_"]],
            "n_iter_": attributes["n_iter_"],
            "loss_curve_": list(attributes["loss_curve_"]),
        }
        if attributes["validation_scores_"] is not None:
            state["validation_scores_"] = list(attributes["validation_scores_"])
        return state

    def _begin_epoch(self):
        self.n_begun += 1
        self.epoch_ctx = self.ctx.subcontext(task_name="epoch")
        self.epoch_ctx.call_on_fit_task_begin(
            estimator=self.est, reconstruction_attributes=self._state, **self.data
        )

    def end_epoch(self, stop):
        """End the running epoch; return True if training stops (``stop``, or a
        callback asking for it)."""
        if self.epoch_ctx is None:
            return stop
        stop = bool(
            self.epoch_ctx.call_on_fit_task_end(
                estimator=self.est, reconstruction_attributes=self._state, **self.data
            )
            or stop
        )
        self.epoch_ctx = None
        if not stop and self.n_begun < self.n_epochs:
            self._begin_epoch()
        return stop

    def end_fit(self):
        """End a left-over epoch task (as an empty task) and the fit task."""
        if self.ctx is None:
            return
        if self.epoch_ctx is not None:
            self.epoch_ctx.call_on_fit_task_end(estimator=self.est)
            self.epoch_ctx = None
        self.ctx.call_on_fit_task_end(
            estimator=self.est, reconstruction_attributes={}, **self.data
        )
