"""The training loops: mini-batches for stochastic optimizers, full batch for
L-BFGS. Both share the forward/backward pass, the objective and the
end-of-epoch monitor.

Per mini-batch, data flows one way::

    batch -> input noise/dropout -> forward (dropout, DropConnect) -> loss
          <- backward <- + L2 gradient -> optimizer step -> L1 prox -> max-norm
"""

import warnings

import numpy as np
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

from .constraints import apply_max_norm
from .network import backward, forward, pack, unpack
from .noise import layer_masks, perturb_inputs


def _diverged_message(est):
    return (
        f"Training diverged at epoch {est.n_iter_}: the loss became NaN or "
        "infinite. The weights of the last finite epoch are kept. Lower "
        "learning_rate_init (or use a stronger alpha / max_norm)."
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

    # -- shared pieces -------------------------------------------------------
    @property
    def params(self):
        return self.est.coefs_ + self.est.intercepts_

    def _loss_and_delta(self, Y, z, sample_weight, normalizer):
        """Weighted data-loss sum and ``dJ/dz``; overwrites ``z``."""
        loss_sum = float(self.loss.per_sample(Y, z) @ sample_weight)
        delta = self.loss.raw_gradient(Y, z, out=z)
        delta *= (sample_weight / normalizer)[:, None]
        return loss_sum, delta

    def _add_penalty_gradient(self, coef_grads):
        for W, grad in zip(self.est.coefs_, coef_grads):
            self.cfg.penalty.add_gradient(W, grad)

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
        X_in = perturb_inputs(X, keys, cfg.input_dropout, cfg.noise_std, self.rng)
        unit_masks, weight_masks = layer_masks(
            est.coefs_, keys, cfg.dropout, cfg.dropconnect, self.rng
        )
        result = forward(
            est.coefs_, est.intercepts_, X_in, est.activation, unit_masks, weight_masks
        )
        loss_sum, delta = self._loss_and_delta(
            Y, result.raw_output, sample_weight, normalizer
        )
        coef_grads, intercept_grads = backward(
            est.coefs_, result, delta, est.activation, unit_masks, weight_masks
        )
        self._add_penalty_gradient(coef_grads)
        with_prox = bool(cfg.penalty.l1_strength)
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
                cfg.penalty.prox(W, step)
        if cfg.max_norm is not None:
            for W in est.coefs_[:-1]:
                apply_max_norm(W, cfg.max_norm)
        return loss_sum

    def _epoch(self, X, Y, sample_weight, keys):
        n = X.shape[0]
        batch_size = self.cfg.batch_size(n)
        total_weight = sample_weight.sum()
        order = None
        if self.est.shuffle and batch_size < n:
            order = self.rng.permutation(n)
        lr = self.cfg.schedule.current
        loss_sum = 0.0
        for start in range(0, n, batch_size):
            rows = slice(start, start + batch_size)
            if order is not None:
                rows = order[rows]
            sw = sample_weight[rows]
            normalizer = total_weight * sw.shape[0] / n
            loss_sum += self._batch_step(X[rows], Y[rows], sw, keys[rows], normalizer, lr)
            if not np.isfinite(loss_sum):
                return np.inf
        return loss_sum / total_weight

    def fit_stochastic(self, X, Y, sample_weight, keys, n_epochs, monitor, validation):
        """Run up to ``n_epochs`` epochs; return why training ended."""
        est, cfg = self.est, self.cfg
        for _ in range(n_epochs):
            snapshot = [p.copy() for p in self.params]
            loss = self._epoch(X, Y, sample_weight, keys)
            est.n_iter_ += 1
            est.t_ += X.shape[0]
            if np.isfinite(loss):
                loss += cfg.penalty.value(est.coefs_)
            if not np.isfinite(loss) or not all(np.isfinite(p).all() for p in self.params):
                for p, old in zip(self.params, snapshot):
                    p[...] = old
                monitor.restore_best()
                warnings.warn(_diverged_message(est), ConvergenceWarning)
                return "diverged"
            cfg.schedule.end_epoch(est.t_)
            score = self.validation_score(*validation) if validation else None
            self._report(loss, score)
            if monitor.end_epoch(loss, score):
                return "converged"
        return "max_iter"

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

        def objective(theta):
            for p, value in zip(params, unpack(theta, params)):
                p[...] = value
            result = forward(est.coefs_, est.intercepts_, X, est.activation)
            loss_sum, delta = self._loss_and_delta(
                Y, result.raw_output, sample_weight, total_weight
            )
            coef_grads, intercept_grads = backward(
                est.coefs_, result, delta, est.activation
            )
            self._add_penalty_gradient(coef_grads)
            value = loss_sum / total_weight + cfg.penalty.value(est.coefs_)
            return value, pack(coef_grads + intercept_grads).astype(np.float64)

        def callback(intermediate_result):
            est.n_iter_ += 1
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
        for p, value in zip(params, unpack(result.x, params)):
            p[...] = value
        if not np.isfinite(result.fun):
            warnings.warn(_diverged_message(est), ConvergenceWarning)
            return "diverged"
        if result.status == 1 and result.nit >= max_iter:
            return "max_iter"
        if result.status == 1:
            warnings.warn(
                f"L-BFGS stopped after max_fun={cfg.optimizer.max_fun} loss "
                "evaluations before converging.",
                ConvergenceWarning,
            )
        return "converged"
