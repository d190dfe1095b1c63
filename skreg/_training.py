"""The training loops: mini-batches for stochastic optimizers, full batch for
L-BFGS. Both share the forward/backward pass, the objective and the
end-of-epoch monitor.

Per mini-batch, data flows one way::

    batch -> input noise/dropout -> forward (dropout, DropConnect) -> loss
          <- backward <- + L2 gradient -> optimizer step -> L1 prox -> max-norm
"""

import math
import warnings
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

from . import _fused
from .constraints import apply_max_norm
from .network import Workspace, forward, pack, unpack
from .noise import layer_masks, perturb_inputs
from .optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    AdamW,
    Momentum,
    Nadam,
    Nesterov,
    Optimizer,
    RMSprop,
    _BLOCK_BYTES,
)

# update rules that act on each coordinate alone, whatever the array's shape
_ELEMENTWISE_OPTIMIZERS = (SGD, Momentum, Nesterov, Adagrad, Adadelta, RMSprop, Adam, Nadam, AdamW)
# the chunk of the parameter vector that the penalty, the optimizer step and
# the L1 prox work on in turn (the optimizers' own block size)
_CHUNK_BYTES = _BLOCK_BYTES


# an epoch whose loss exceeds the best one by this factor has diverged, even
# while the loss is still a finite number
_EXPLOSION_FACTOR = 1e6


def _diverged_message(est, stochastic=True):
    kept = "the weights before that epoch are kept" if est.loss_curve_ else (
        "no epoch finished, so the initial weights are kept"
    )
    advice = (
        "Lower learning_rate_init, scale the features (StandardScaler), or "
        "bound the weights with max_norm."
        if stochastic
        else "Scale the features (StandardScaler) or use a stronger alpha."
    )
    return (
        f"Training diverged at epoch {est.n_iter_}: the loss became NaN, "
        f"infinite or exploded; {kept}. {advice}"
    )


class Trainer:
    """Trains the network stored on ``est`` (its ``coefs_``/``intercepts_``).

    Parameters
    ----------
    est : BaseMLP
        The estimator whose parameters and optimizer state are trained.
    cfg : types.SimpleNamespace
        The estimator's settings resolved for this fit (see ``BaseMLP``).
    loss : object
        One of the losses of :mod:`skreg.losses`.
    rng : numpy.random.Generator
        The one source of randomness for this fit.
    """

    def __init__(self, est, cfg, loss, rng):
        self.est = est
        self.cfg = cfg
        self.loss = loss
        self.rng = rng
        self.n_layers = len(est.coefs_)
        self.workspace = None
        self._noisy_layers = any(cfg.dropout) or bool(cfg.dropconnect)
        self._flat = None
        self._mask_buffers = None  # dropout masks of a mini-batch, reused across batches

    # -- shared pieces -------------------------------------------------------
    @property
    def params(self):
        return self.est.coefs_ + self.est.intercepts_

    def _workspace(self, X):
        """The buffers of this fit's passes (the dtype of the data and weights)."""
        coefs = self.est.coefs_
        self.workspace = Workspace(coefs, np.result_type(X.dtype, coefs[0].dtype))
        return self.workspace

    def _flatten(self, ws):
        """Make the parameters and the optimizer state views of one contiguous
        buffer each, laid out like ``ws.flat_grads`` (weights, then biases),
        and cut the buffers into cache-sized chunks for :meth:`_update`.

        Returns None (and changes nothing) where the update rule is not known
        to act on each coordinate alone (a user's optimizer class) or the
        dtypes differ; the loop then updates array by array.
        """
        est, opt = self.est, self.cfg.optimizer
        if type(opt) not in _ELEMENTWISE_OPTIMIZERS or type(opt).update is not Optimizer.update:
            return None
        params = self.params
        state = est._optimizer_state
        groups = [params] + [state[name] for name in opt.slots]
        for group in groups:
            if len(group) != len(params) or any(
                a.dtype != ws.dtype or a.shape != p.shape for a, p in zip(group, params)
            ):
                return None

        def flat(arrays):
            buf = np.empty(ws.n_params, ws.dtype)
            views = ws.param_views(buf)
            for view, a in zip(views, arrays):
                view[...] = a
            return buf, views

        buf, views = flat(params)
        est.coefs_, est.intercepts_ = views[: self.n_layers], views[self.n_layers :]
        slots = {}
        for name in opt.slots:
            slots[name], state[name] = flat(state[name])
        # chunks of about _CHUNK_BYTES; (start, stop, n_weights_in_chunk, is_weight).
        # AdamW treats weights and biases apart, so its chunks do not straddle them.
        n, n_w = ws.n_params, ws.n_weights
        size = max(_CHUNK_BYTES // ws.dtype.itemsize, 1)
        bounds = [(0, n_w, True), (n_w, n, False)] if type(opt) is AdamW else [(0, n, True)]
        chunks = [
            (start, min(start + size, stop), min(max(n_w - start, 0), size), is_weight)
            for lo, stop, is_weight in bounds
            for start in range(lo, stop, size)
        ]
        return SimpleNamespace(
            params=buf,
            grads=ws.flat_grads,
            slots=slots,
            # the compiled one-pass step where numba is there (else None)
            fused=_fused.FusedStep.create(opt, buf, ws.flat_grads, slots, n_w),
            chunks=[
                (buf[a:b], ws.flat_grads[a:b], {k: v[a:b] for k, v in slots.items()}, k, w)
                for a, b, k, w in chunks
            ],
        )

    def _update(self, coef_grads, intercept_grads, lr):
        """L2 gradient, optimizer step and L1 prox on all parameters.

        With flat parameters the three run chunk by chunk, so each chunk is
        read from memory once and the three steps work on it in cache; every
        coordinate sees the same arithmetic as in the array-by-array order.
        Where numba is available (and ``SKREG_DISABLE_NUMBA`` is not set) a
        compiled kernel of :mod:`skreg._fused` does all three in one pass.
        """
        est, cfg = self.est, self.cfg
        penalty = cfg.penalty
        with_prox = bool(penalty.l1_strength)
        flat = self._flat
        if flat is None:
            self._add_penalty_gradient(coef_grads)
            steps = cfg.optimizer.update(
                self.params,
                coef_grads + intercept_grads,
                est._optimizer_state,
                lr,
                cfg.is_weight,
                return_steps=with_prox,
            )
            if with_prox:
                for W, step in zip(est.coefs_, steps):
                    penalty.prox(W, step)
            return
        # Optimizer.update, unrolled over the chunks (the built-in rules are
        # elementwise and use the base class's update)
        opt = cfg.optimizer
        state = est._optimizer_state
        state["t"] += 1
        t = state["t"]
        lr = float(lr)
        if flat.fused is not None and flat.fused(lr, t, penalty.l2_strength, penalty.l1_strength):
            return
        with_l2 = bool(penalty.l2_strength)
        for p, g, slot, n_weights, is_weight in flat.chunks:
            if with_l2 and n_weights:
                penalty.add_gradient(p[:n_weights], g[:n_weights])
            prox = with_prox and n_weights
            step = opt._step(p, g, slot, lr, t, is_weight, prox)
            if prox:
                penalty.prox(p[:n_weights], step[:n_weights] if np.ndim(step) else step)

    def _loss_and_delta(self, Y, z, sample_weight, normalizer):
        """Weighted data-loss sum and ``dJ/dz``; overwrites ``z``."""
        per_sample, delta = self.loss.per_sample_and_gradient(Y, z)
        loss_sum = float(per_sample @ sample_weight)
        delta *= (sample_weight / normalizer)[:, None]
        return loss_sum, delta

    def _add_penalty_gradient(self, coef_grads):
        penalty = self.cfg.penalty
        if penalty.l2_strength:
            for W, grad in zip(self.est.coefs_, coef_grads):
                penalty.add_gradient(W, grad)

    def validation_score(self, X, y, Y, sample_weight):
        """Higher is better: the negated validation loss, or a scorer's value."""
        est = self.est
        if self.cfg.scorer is None:
            z = forward(est.coefs_, est.intercepts_, X, est.activation).raw_output
            loss = self.loss.per_sample(Y, z) @ sample_weight / sample_weight.sum()
            return -float(loss)
        return self.cfg.scorer(est, X, y, sample_weight=sample_weight)

    # -- stochastic optimizers ---------------------------------------------
    def _batch_step(self, X, Y, sample_weight, keys, normalizer, lr):
        est, cfg = self.est, self.cfg
        coefs = est.coefs_
        if cfg.input_dropout or cfg.noise_std:
            X = perturb_inputs(X, keys, cfg.input_dropout, cfg.noise_std, self.rng)
        unit_masks = weight_masks = None
        if self._noisy_layers:
            unit_masks, weight_masks = layer_masks(
                coefs, keys, cfg.dropout, cfg.dropconnect, self.rng, self._mask_buffers
            )
        ws = self.workspace
        z = ws.forward(coefs, est.intercepts_, X, est.activation, unit_masks, weight_masks)
        loss_sum, delta = self._loss_and_delta(Y, z, sample_weight, normalizer)
        coef_grads, intercept_grads = ws.backward(
            coefs, delta, est.activation, unit_masks, weight_masks
        )
        self._update(coef_grads, intercept_grads, lr)
        if cfg.max_norm is not None:
            for W in coefs[:-1]:
                apply_max_norm(W, cfg.max_norm)
        return loss_sum

    def _epoch(self, X, Y, sample_weight, keys):
        cfg = self.cfg
        n = X.shape[0]
        batch_size = cfg.batch_size(n)
        total_weight = sample_weight.sum()
        order = None
        if self.est.shuffle and batch_size < n:
            order = self.rng.permutation(n)
        needs_keys = self._noisy_layers or cfg.input_dropout or cfg.noise_std
        gather = order is not None and not sp.issparse(X)
        if gather:
            X_batch = np.empty((batch_size, *X.shape[1:]), X.dtype)
            Y_batch = np.empty((batch_size, *Y.shape[1:]), Y.dtype)
        if any(cfg.dropout) and (
            self._mask_buffers is None
            or max(len(b) for b in self._mask_buffers if b is not None) < batch_size
        ):
            coefs = self.est.coefs_
            self._mask_buffers = [
                np.empty((batch_size, W.shape[1]), coefs[0].dtype) if rate else None
                for W, rate in zip(coefs[:-1], cfg.dropout)
            ]
        lr = cfg.schedule.current
        loss_sum = 0.0
        batch_keys = None
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
            sw = sample_weight[rows]
            if needs_keys:
                batch_keys = keys[rows]
            normalizer = total_weight * sw.shape[0] / n
            loss_sum += self._batch_step(X_rows, Y_rows, sw, batch_keys, normalizer, lr)
            if not math.isfinite(loss_sum):
                return np.inf
        return loss_sum / total_weight

    def fit_stochastic(self, X, Y, sample_weight, keys, n_epochs, monitor, validation):
        """Run up to ``n_epochs`` epochs; return why training ended."""
        est, cfg = self.est, self.cfg
        self._flat = self._flatten(self._workspace(X))
        snapshot = [np.empty_like(p) for p in self.params]  # start of this epoch
        best = [np.empty_like(p) for p in self.params]  # start of the best epoch
        best_loss = np.inf
        for _ in range(n_epochs):
            for old, p in zip(snapshot, self.params):
                np.copyto(old, p)
            loss = self._epoch(X, Y, sample_weight, keys)
            est.n_iter_ += 1
            est.t_ += X.shape[0]
            if np.isfinite(loss):
                loss += cfg.penalty.value(est.coefs_)
            exploded = best_loss < np.inf and loss > _EXPLOSION_FACTOR * max(best_loss, 1e-12)
            if (
                exploded
                or not np.isfinite(loss)
                or not all(np.isfinite(p).all() for p in self.params)
            ):
                self._keep_finite_weights(X, snapshot, best if best_loss < np.inf else None)
                monitor.restore_best()
                if not est.loss_curve_:
                    est.loss_ = np.inf
                warnings.warn(_diverged_message(est), ConvergenceWarning)
                return "diverged"
            if loss < best_loss:
                best_loss = loss
                for kept, old in zip(best, snapshot):
                    np.copyto(kept, old)
            cfg.schedule.end_epoch(est.t_)
            score = self.validation_score(*validation) if validation else None
            self._report(loss, score)
            if monitor.end_epoch(loss, score):
                return "converged"
        return "max_iter"

    def _keep_finite_weights(self, X, snapshot, best):
        """After a divergence: put the epoch-start weights back, or those of
        the best epoch's start if the former already overflow on ``X``."""
        for p, old in zip(self.params, snapshot):
            np.copyto(p, old)
        if best is None or self._output_is_finite(X):
            return
        for p, old in zip(self.params, best):
            np.copyto(p, old)

    def _output_is_finite(self, X, chunk_rows=4096):
        est = self.est
        with np.errstate(all="ignore"):
            for start in range(0, X.shape[0], chunk_rows):
                z = forward(
                    est.coefs_, est.intercepts_, X[start : start + chunk_rows], est.activation
                ).raw_output
                if not np.isfinite(self.loss.predict(z)).all():
                    return False
        return True

    def _report(self, loss, score):
        if self.est.verbose:
            line = f"Epoch {self.est.n_iter_}, loss = {loss:.8f}"
            if score is not None:
                line += f", validation score = {score:.8f}"
            print(line)

    # -- L-BFGS ------------------------------------------------------------
    def fit_lbfgs(self, X, Y, sample_weight, max_iter, monitor, validation):
        """Minimize the full-batch objective with scipy's L-BFGS-B."""
        est, cfg = self.est, self.cfg
        params = self.params
        total_weight = sample_weight.sum()

        ws = self._workspace(X)

        def objective(theta):
            for p, value in zip(params, unpack(theta, params)):
                p[...] = value
            z = ws.forward(est.coefs_, est.intercepts_, X, est.activation)
            loss_sum, delta = self._loss_and_delta(Y, z, sample_weight, total_weight)
            coef_grads, intercept_grads = ws.backward(est.coefs_, delta, est.activation)
            self._add_penalty_gradient(coef_grads)
            value = loss_sum / total_weight + cfg.penalty.value(est.coefs_)
            return value, pack(coef_grads + intercept_grads).astype(np.float64)

        last_finite = pack(params).astype(np.float64)

        def callback(intermediate_result):
            est.n_iter_ += 1
            if np.isfinite(intermediate_result.fun):
                last_finite[...] = intermediate_result.x
            for p, value in zip(params, unpack(intermediate_result.x, params)):
                p[...] = value
            score = self.validation_score(*validation) if validation else None
            self._report(intermediate_result.fun, score)
            if monitor.end_epoch(intermediate_result.fun, score):
                raise StopIteration

        result = minimize(
            objective,
            pack(params).astype(np.float64),
            jac=True,
            method="L-BFGS-B",
            callback=callback,
            options={"maxiter": max_iter, "maxfun": cfg.optimizer.max_fun, "gtol": est.tol},
        )
        if not (np.isfinite(result.fun) and np.isfinite(result.x).all()):
            # keep the last iterate the callback saw finite (or the start)
            for p, value in zip(params, unpack(last_finite, params)):
                p[...] = value
            if not est.loss_curve_:
                est.loss_ = np.inf
            warnings.warn(_diverged_message(est, stochastic=False), ConvergenceWarning)
            return "diverged"
        for p, value in zip(params, unpack(result.x, params)):
            p[...] = value
        if result.status == 1 and result.nit >= max_iter:
            return "max_iter"
        if result.status == 1:
            warnings.warn(
                f"L-BFGS stopped after max_fun={cfg.optimizer.max_fun} loss "
                "evaluations before converging.",
                ConvergenceWarning,
            )
        return "converged"
