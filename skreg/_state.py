"""The training state of one fit, apart from the estimator.

The estimator hands its parameters, optimizer state and history in
(:meth:`TrainingState.start`), the loops and the monitor work on this object
only, and the estimator copies its fitted attributes out at the end
(:meth:`TrainingState.fitted_attributes`).

Parameters live in one flat buffer (the weights of every layer, then the
biases), and ``coefs``/``intercepts`` are per-layer views of it; the optimizer
state has one flat buffer per slot laid out the same way. The update chain
works on the flat buffers, everything else on the views.
"""

import numpy as np


def _flat_copy(arrays, dtype):
    """One buffer holding ``arrays`` one after another, and views of it
    shaped like them."""
    flat = np.empty(sum(a.size for a in arrays), dtype)
    views, start = [], 0
    for a in arrays:
        view = flat[start : start + a.size].reshape(a.shape)
        view[...] = a
        views.append(view)
        start += a.size
    return flat, views


class TrainingBuffers:
    """Flat parameters and optimizer state, with per-layer views.

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        The network's parameters (copied into the flat buffer).
    slots : dict of str to list of ndarray
        The optimizer's state arrays per slot name (copied likewise).
    """

    def __init__(self, coefs, intercepts, slots):
        n_layers = len(coefs)
        self.params, views = _flat_copy(coefs + intercepts, coefs[0].dtype)
        self.coefs, self.intercepts = views[:n_layers], views[n_layers:]
        self.n_weights = sum(W.size for W in coefs)
        self.slots, self.slot_views = {}, {}
        for name, arrays in slots.items():
            self.slots[name], self.slot_views[name] = _flat_copy(arrays, arrays[0].dtype)
        self.grads = None  # the workspace's flat gradient buffer: see attach_grads
        self.grad_layers = None

    def attach_grads(self, grads, grad_layers):
        """Use the workspace's flat gradient buffer and its per-layer views."""
        self.grads, self.grad_layers = grads, grad_layers

    def one_dtype(self):
        """Whether all flat buffers are contiguous float32/float64 of one dtype."""
        arrays = [self.params, self.grads, *self.slots.values()]
        dtype = self.params.dtype
        return dtype in (np.float32, np.float64) and all(
            a is not None and a.dtype == dtype and a.flags.c_contiguous for a in arrays
        )

    @property
    def layers(self):
        """All per-layer parameter views: weights, then biases."""
        return self.coefs + self.intercepts

    def layers_of(self, flat):
        """``flat`` (laid out like ``params``) cut into arrays shaped like
        the weights and like the biases: ``(coefs, intercepts)``."""
        arrays, start = [], 0
        for view in self.layers:
            arrays.append(flat[start : start + view.size].reshape(view.shape))
            start += view.size
        n_layers = len(self.coefs)
        return arrays[:n_layers], arrays[n_layers:]


class TrainingState:
    """Parameters, optimizer state, counters, history and best weights.

    Attributes
    ----------
    buffers : TrainingBuffers
    step : int
        Optimizer steps taken (the ``t`` of the update rules).
    n_iter : int
        Epochs run (L-BFGS: iterations), over all fits continued.
    samples_seen : int
        Training rows seen.
    learning_rate : float or None
        The current learning rate of the schedule.
    loss_curve, validation_scores : list
        The history (``validation_scores`` is None without early stopping).
    best_loss, best_validation_score : float
    no_improvement_count : int
        Epochs since the monitored quantity last improved by ``tol``.
    best : ndarray or None
        A flat copy of the parameters kept as the best so far.
    average : WeightAverage or None
        The running average of the parameters (``average``), if any.
    """

    def __init__(self, buffers, optimizer_state, counters, history, custom_optimizer=False):
        self.buffers = buffers
        self.custom_optimizer = custom_optimizer
        self.optimizer_state = optimizer_state  # non-slot entries, e.g. a custom optimizer's
        self.step = counters["step"]
        self.n_iter = counters["n_iter"]
        self.samples_seen = counters["samples_seen"]
        self.learning_rate = counters["learning_rate"]
        self.loss_curve = list(history["loss_curve"])
        self.best_loss = history["best_loss"]
        self.validation_scores = history["validation_scores"]
        self.best_validation_score = history["best_validation_score"]
        self.loss = history.get("loss")
        self.no_improvement_count = 0
        self.best = None
        self.has_best = False
        self.average = None

    @classmethod
    def start(cls, coefs, intercepts, optimizer_state, slot_names, counters, history):
        """A state from the estimator's parameters and saved optimizer state.

        Slots named in ``slot_names`` become flat buffers and ``"t"`` the step
        count; any other entry of ``optimizer_state`` is kept as it is (a
        custom optimizer's state dict, which counts its own steps, is kept
        whole: pass ``slot_names=None``).
        """
        custom = slot_names is None
        slots = {} if custom else {name: optimizer_state[name] for name in slot_names}
        buffers = TrainingBuffers(coefs, intercepts, slots)
        skip = set(slots) if custom else {*slots, "t"}
        others = {k: v for k, v in optimizer_state.items() if k not in skip}
        counters = {**counters, "step": 0 if custom else optimizer_state.get("t", 0)}
        return cls(buffers, others, counters, history, custom_optimizer=custom)

    # -- best weights --------------------------------------------------------
    def keep_best(self, params=None):
        """Keep a copy of ``params`` (flat; default the current ones) as best."""
        if self.best is None:
            self.best = np.empty_like(self.buffers.params)
        np.copyto(self.best, self.buffers.params if params is None else params)
        self.has_best = True

    def restore_best(self):
        """Put the kept best weights back, if any; return whether it did."""
        if self.has_best:
            np.copyto(self.buffers.params, self.best)
        return self.has_best

    # -- out to the estimator ------------------------------------------------
    def optimizer_state_out(self):
        """The optimizer state as the estimator stores it: ``{"t": step,
        slot: [per-layer arrays]}``."""
        if self.custom_optimizer:
            return self.optimizer_state
        state = {"t": self.step, **self.optimizer_state}
        for name, views in self.buffers.slot_views.items():
            state[name] = views
        return state

    def fitted_attributes(self):
        """The public fitted attributes this state determines."""
        return {
            "coefs_": self.buffers.coefs,
            "intercepts_": self.buffers.intercepts,
            "n_iter_": self.n_iter,
            "t_": self.samples_seen,
            "loss_curve_": self.loss_curve,
            "best_loss_": self.best_loss,
            "validation_scores_": self.validation_scores,
            "best_validation_score_": self.best_validation_score,
            "loss_": self.loss,
        }
