"""The training loops over a :class:`skreg._state.TrainingState`: mini-batches
for stochastic optimizers, full batch for L-BFGS. Both share the passes, the
objective and the end-of-epoch monitor; neither reads the estimator.

When a schedule changes something from one mini-batch to the next (a
per-step learning-rate schedule or a warm-up, scheduled dropout rates or
weight decay; see :mod:`skreg.schedules`), each step gets its training
progress from a :class:`skreg.schedules.StepClock` and its rates from it.
Otherwise every step of an epoch runs at the epoch's learning rate.

Per mini-batch, data flows one way::

    batch -> mixup -> input noise/dropout -> forward (dropout, DropConnect) -> loss
          <- backward <- update chain (see skreg.transforms)
"""

import math
import warnings
from contextlib import nullcontext

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from ._mixup import MixupBuffers, mix_batch
from ._update import FlatUpdate
from .network import Workspace, forward, pack, unpack
from .noise import layer_masks, perturb_inputs
from .schedules import StepClock

# an epoch whose loss exceeds the best one by this factor has diverged, even
# while the loss is still a finite number
_EXPLOSION_FACTOR = 1e6


def diverged_message(state, stochastic=True):
    """The warning of a diverged fit."""
    kept = "the weights before that epoch are kept" if state.loss_curve else (
        "no epoch finished, so the initial weights are kept"
    )
    advice = (
        "Lower learning_rate_init, scale the features (StandardScaler), or "
        "bound the weights with max_norm."
        if stochastic
        else "Scale the features (StandardScaler) or use a stronger alpha."
    )
    return (
        f"Training diverged at epoch {state.n_iter}: the loss became NaN, "
        f"infinite or exploded; {kept}. {advice}"
    )


class Passes:
    """The forward/backward passes and the data loss of one fit.

    Parameters
    ----------
    settings : Settings
    state : TrainingState
    loss : object
        One of the losses of :mod:`skreg.losses`.
    dtype : dtype
        The dtype of the data.
    """

    def __init__(self, settings, state, loss, dtype):
        self.settings = settings
        self.state = state
        self.loss = loss
        buffers = state.buffers
        ws_dtype = np.result_type(dtype, buffers.params.dtype)
        self.workspace = Workspace(buffers.coefs, ws_dtype, settings.activation)
        buffers.attach_grads(self.workspace.flat_grads, self.workspace.grads)

    def loss_and_gradients(self, X, Y, sample_weight, normalizer, masks=(None, None)):
        """Weighted data-loss sum; the gradients are left in the workspace."""
        coefs = self.state.buffers.coefs
        ws = self.workspace
        z = ws.forward(coefs, self.state.buffers.intercepts, X, *masks)
        per_sample, delta = self.loss.per_sample_and_gradient(Y, z)
        loss_sum = float(per_sample @ sample_weight)
        delta *= (sample_weight / normalizer)[:, None]
        ws.backward(coefs, delta, *masks)
        return loss_sum

    def raw_output(self, X):
        """The plain network's raw output on ``X``."""
        b = self.state.buffers
        return forward(b.coefs, b.intercepts, X, self.settings.activation).raw_output

    def validation_loss(self, X, Y, sample_weight):
        """The weighted mean data loss on ``X``."""
        z = self.raw_output(X)
        return float(self.loss.per_sample(Y, z) @ sample_weight / sample_weight.sum())

    def output_is_finite(self, X, chunk_rows=4096):
        """Whether the predictions on ``X`` are all finite."""
        with np.errstate(all="ignore"):
            for start in range(0, X.shape[0], chunk_rows):
                z = self.raw_output(X[start : start + chunk_rows])
                if not np.isfinite(self.loss.predict(z)).all():
                    return False
        return True


def batches(X, Y, sample_weight, keys, batch_size, order):
    """Yield ``(X_rows, Y_rows, weights, keys)`` per mini-batch, in ``order``
    (None: as stored). Dense rows are gathered into reused buffers."""
    n = X.shape[0]
    gather = order is not None and not sp.issparse(X)
    if gather:
        X_batch = np.empty((batch_size, *X.shape[1:]), X.dtype)
        Y_batch = np.empty((batch_size, *Y.shape[1:]), Y.dtype)
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        if order is None:
            rows = slice(start, stop)
            X_rows, Y_rows = X[rows], Y[rows]
        else:
            rows = order[start:stop]
            if gather:
                m = stop - start
                X_rows = np.take(X, rows, axis=0, out=X_batch[:m], mode="clip")
                Y_rows = np.take(Y, rows, axis=0, out=Y_batch[:m], mode="clip")
            else:
                X_rows, Y_rows = X[rows], Y[rows]
        yield X_rows, Y_rows, sample_weight[rows], None if keys is None else keys[rows]


class StochasticStep:
    """One mini-batch: noise, passes, the update chain.

    Parameters
    ----------
    passes : Passes
    rng : numpy.random.Generator
        The one source of randomness of the fit.
    """

    def __init__(self, passes, rng):
        self.passes = passes
        self.settings = passes.settings
        self.state = passes.state
        self.rng = rng
        self.update = FlatUpdate(self.settings.links, self.state.buffers)
        self.mask_buffers = None  # dropout masks, reused across batches
        self.mixup_buffers = MixupBuffers()
        average = self.state.average
        # the exponential moving average is updated after every step
        self.after_step = average.after_step if average is not None and average.per_step else None

    def reserve(self, batch_size):
        """Dropout-mask buffers for mini-batches of up to ``batch_size`` rows."""
        if not any(self.settings.dropout):
            return
        if self.mask_buffers is not None and (
            max(len(b) for b in self.mask_buffers if b is not None) >= batch_size
        ):
            return
        coefs = self.state.buffers.coefs
        self.mask_buffers = [
            np.empty((batch_size, W.shape[1]), coefs[0].dtype) if rate else None
            for W, rate in zip(coefs[:-1], self.settings.dropout)
        ]

    def __call__(self, X, Y, sample_weight, keys, normalizer, lr, progress=None):
        """Train on one mini-batch; return its weighted data-loss sum.

        ``progress`` (the share of the planned steps taken before this one)
        is given when a schedule acts within the epoch; the scheduled dropout
        rates and weight decay read it.
        """
        s, state = self.settings, self.state
        if s.mixup_alpha:
            X, Y, sample_weight = mix_batch(
                X, Y, sample_weight, s.mixup_alpha, self.rng, self.mixup_buffers
            )
        dropout, input_dropout, dropconnect = s.dropout, s.input_dropout, s.dropconnect
        if progress is not None and s.scheduled_noise:
            dropout, input_dropout, dropconnect = s.noise_rates(progress)
        if input_dropout or s.noise_std:
            X = perturb_inputs(X, keys, input_dropout, s.noise_std, self.rng)
        masks = (None, None)
        if s.noisy_layers:
            masks = layer_masks(
                state.buffers.coefs, keys, dropout, dropconnect, self.rng, self.mask_buffers
            )
        loss_sum = self.passes.loss_and_gradients(X, Y, sample_weight, normalizer, masks)
        state.step += 1
        self.update(lr, state.step, state.optimizer_state, progress or 0.0)
        if self.after_step is not None:
            self.after_step()
        return loss_sum

    def epoch(self, X, Y, sample_weight, keys, lr, schedule=None, clock=None):
        """One pass over the data; the mean objective's data part, or inf.

        Every step runs at the rate ``lr``, unless a ``clock``
        (:class:`skreg.schedules.StepClock`, started for this epoch) is given:
        then each step runs at ``schedule.rate_at(progress)`` with its own
        progress.
        """
        n = X.shape[0]
        batch_size = self.settings.batch_size_for(n)
        order = None
        if self.settings.shuffle and batch_size < n:
            order = self.rng.permutation(n)
        self.reserve(batch_size)
        total_weight = sample_weight.sum()
        keys = keys if self.settings.needs_row_keys else None
        loss_sum = 0.0
        parts = batches(X, Y, sample_weight, keys, batch_size, order)
        for b, (X_rows, Y_rows, sw, batch_keys) in enumerate(parts):
            normalizer = total_weight * sw.shape[0] / n
            if clock is None:
                loss_sum += self(X_rows, Y_rows, sw, batch_keys, normalizer, lr)
            else:
                progress = clock.progress(b)
                loss_sum += self(
                    X_rows, Y_rows, sw, batch_keys, normalizer, schedule.rate_at(progress),
                    progress,
                )
            if not math.isfinite(loss_sum):
                return np.inf
        return loss_sum / total_weight


class DivergenceGuard:
    """Catches a diverged epoch and puts finite weights back.

    Keeps the weights at the start of each epoch; without early stopping it
    also keeps, in the state's best-weights buffer, those at the start of the
    epoch with the lowest loss so far.
    """

    def __init__(self, state, passes, keeps_best):
        self.state = state
        self.passes = passes
        self.keeps_best = keeps_best
        self.snapshot = np.empty_like(state.buffers.params)
        self.best_loss = np.inf

    def start_epoch(self):
        """Remember the weights at the start of the epoch."""
        np.copyto(self.snapshot, self.state.buffers.params)

    def diverged(self, loss):
        """Whether the epoch that ended with ``loss`` diverged."""
        exploded = self.best_loss < np.inf and loss > _EXPLOSION_FACTOR * max(self.best_loss, 1e-12)
        return exploded or not np.isfinite(loss) or not np.isfinite(self.state.buffers.params).all()

    def record(self, loss):
        """A finite epoch: keep its start if its loss is the lowest so far."""
        if loss < self.best_loss:
            self.best_loss = loss
            if self.keeps_best:
                self.state.keep_best(self.snapshot)

    def recover(self, X):
        """Put the epoch-start weights back, or the best epoch's start if the
        former already overflow on ``X``."""
        np.copyto(self.state.buffers.params, self.snapshot)
        if self.keeps_best and self.state.has_best and not self.passes.output_is_finite(X):
            self.state.restore_best()


def fit_stochastic(step, X, Y, sample_weight, keys, n_epochs, monitor, validate):
    """Run up to ``n_epochs`` epochs; return why training ended
    (``"converged"``, ``"max_iter"`` or ``"diverged"``).

    ``validate()`` returns the validation score of the current weights, or
    None without a validation set. With weight averaging the epoch's end (the
    validation score, the best weights, the callbacks) sees the averaged
    weights, while training goes on from the raw iterate.

    The schedules that act per step run over ``settings.max_iter`` epochs of
    the training rows' mini-batches; the position of a step among them counts
    the epochs of this fit so far (``state.n_iter``: reset by ``fit``,
    continued by ``partial_fit``). Stopping early ends a schedule before its
    end.
    """
    state, settings = step.state, step.settings
    average = state.average
    guard = DivergenceGuard(state, step.passes, keeps_best=not monitor.validating)
    clock = None
    if settings.steps_scheduled:
        n = X.shape[0]
        clock = StepClock(math.ceil(n / settings.batch_size_for(n)), settings.max_iter)
    for _ in range(n_epochs):
        guard.start_epoch()
        if clock is not None:
            clock.start_epoch(state.n_iter)
        if average is not None:
            average.start_epoch()
        loss = step.epoch(
            X, Y, sample_weight, keys, monitor.schedule.current, monitor.schedule, clock
        )
        state.n_iter += 1
        state.samples_seen += X.shape[0]
        if np.isfinite(loss):
            loss += settings.penalty_value(state.buffers.coefs)
        if guard.diverged(loss):
            guard.recover(X)
            if average is not None:
                average.recover()
            monitor.restore_best()
            if not state.loss_curve:
                state.loss = np.inf
            warnings.warn(diverged_message(state), ConvergenceWarning)
            return "diverged"
        guard.record(loss)
        monitor.schedule.end_epoch(state.samples_seen)
        if average is not None:
            average.end_epoch(state.n_iter)
        with average.swapped_in() if average is not None else nullcontext():
            stop = monitor.end_epoch(loss, validate())
        if stop:
            return "converged"
    return "max_iter"


def fit_lbfgs(passes, X, Y, sample_weight, monitor, validate):
    """Minimize the full-batch objective with the optimizer's L-BFGS."""
    state, settings = passes.state, passes.settings
    params = state.buffers.layers
    total_weight = sample_weight.sum()
    ws = passes.workspace

    def objective(theta):
        for p, value in zip(params, unpack(theta, params)):
            p[...] = value
        loss_sum = passes.loss_and_gradients(X, Y, sample_weight, total_weight)
        for penalty in settings.penalties:
            for W, grad in zip(state.buffers.coefs, ws.coef_grads):
                penalty.add_gradient(W, grad)
        value = loss_sum / total_weight + settings.penalty_value(state.buffers.coefs)
        return value, pack(ws.coef_grads + ws.intercept_grads).astype(np.float64)

    last_finite = pack(params).astype(np.float64)

    def callback(intermediate_result):
        state.n_iter += 1
        if np.isfinite(intermediate_result.fun):
            last_finite[...] = intermediate_result.x
        for p, value in zip(params, unpack(intermediate_result.x, params)):
            p[...] = value
        if monitor.end_epoch(intermediate_result.fun, validate()):
            raise StopIteration

    optimizer = settings.optimizer
    result = optimizer.minimize(
        objective, pack(params).astype(np.float64), settings.max_iter, settings.tol, callback
    )
    if not (np.isfinite(result.fun) and np.isfinite(result.x).all()):
        # keep the last iterate the callback saw finite (or the start)
        for p, value in zip(params, unpack(last_finite, params)):
            p[...] = value
        if not state.loss_curve:
            state.loss = np.inf
        warnings.warn(diverged_message(state, stochastic=False), ConvergenceWarning)
        return "diverged"
    for p, value in zip(params, unpack(result.x, params)):
        p[...] = value
    if result.status == 1 and result.nit >= settings.max_iter:
        return "max_iter"
    if result.status == 1:
        warnings.warn(
            f"L-BFGS stopped after max_fun={optimizer.max_fun} loss "
            "evaluations before converging.",
            ConvergenceWarning,
        )
    return "converged"
