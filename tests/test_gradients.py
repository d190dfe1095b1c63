"""The gradient of the full objective against finite differences, and the
losses against scikit-learn's metrics."""

import numpy as np
import pytest
from sklearn.metrics import log_loss, mean_poisson_deviance, mean_squared_error

from skreg import MLPClassifier, MLPRegressor
from skreg.losses import (
    LogisticCrossEntropy,
    PoissonDeviance,
    SoftmaxCrossEntropy,
    SquaredError,
)
from reference_passes import backward
from skreg.network import forward, init_parameters
from skreg.penalties import ElasticNet

ACTIVATIONS = ["identity", "logistic", "tanh", "relu", "selu"]


def _targets(loss_name, n, rng):
    if loss_name == "squared_error":
        return SquaredError(), rng.normal(size=(n, 2))
    if loss_name == "poisson":
        return PoissonDeviance(), rng.poisson(2.0, size=(n, 2)).astype(float)
    if loss_name == "softmax":
        Y = np.eye(3)[rng.integers(0, 3, n)]
        return SoftmaxCrossEntropy(), Y
    if loss_name == "binary":
        return LogisticCrossEntropy(), rng.integers(0, 2, (n, 1)).astype(float)
    return LogisticCrossEntropy(), rng.integers(0, 2, (n, 3)).astype(float)  # multilabel


def objective(coefs, intercepts, X, Y, sw, loss, activation, penalty):
    """J = sum_i s_i loss_i / sum_i s_i + penalty(W), written out directly."""
    z = forward(coefs, intercepts, X, activation).raw_output
    return loss.per_sample(Y, z) @ sw / sw.sum() + penalty.value(coefs)


def analytic_gradient(coefs, intercepts, X, Y, sw, loss, activation, penalty):
    result = forward(coefs, intercepts, X, activation)
    z = result.raw_output.copy()
    delta = loss.raw_gradient(Y, z, out=np.empty_like(z)) * (sw / sw.sum())[:, None]
    coef_grads, intercept_grads = backward(coefs, result, delta, activation)
    for W, g in zip(coefs, coef_grads):
        penalty.add_gradient(W, g)
    return coef_grads + intercept_grads


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss_name", ["squared_error", "poisson", "softmax", "binary", "multilabel"])
@pytest.mark.parametrize("hidden", [(), (5,), (4, 3)])
def test_gradient_matches_finite_differences(activation, loss_name, hidden):
    rng = np.random.default_rng(0)
    n, d = 12, 4
    X = rng.normal(size=(n, d))
    loss, Y = _targets(loss_name, n, rng)
    sw = rng.uniform(0.1, 3.0, size=n)
    sw[3] = 0.0  # a zero weight too
    coefs, intercepts = init_parameters([d, *hidden, Y.shape[1]], "glorot_normal", rng, np.float64)
    for b in intercepts:
        b += rng.normal(scale=0.1, size=b.shape)
    penalty = ElasticNet(alpha=0.3, l1_ratio=0.0)
    args = (X, Y, sw, loss, activation, penalty)
    grads = analytic_gradient(coefs, intercepts, *args)
    params = coefs + intercepts
    eps = 1e-6
    for p, g in zip(params, grads):
        numeric = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + eps
            up = objective(coefs, intercepts, *args)
            p[idx] = old - eps
            down = objective(coefs, intercepts, *args)
            p[idx] = old
            numeric[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-8)


def test_penalty_part_of_gradient_is_alpha_times_weights():
    """With l1_ratio=0 the penalty adds exactly alpha * W to the weight
    gradients, and nothing to the bias gradients."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(8, 3))
    loss, Y = _targets("squared_error", 8, rng)
    sw = np.ones(8)
    coefs, intercepts = init_parameters([3, 4, 2], "glorot_uniform", rng, np.float64)
    plain = analytic_gradient(coefs, intercepts, X, Y, sw, loss, "tanh", ElasticNet(0.0))
    pen = analytic_gradient(coefs, intercepts, X, Y, sw, loss, "tanh", ElasticNet(0.7))
    for W, g0, g1 in zip(coefs, plain[:2], pen[:2]):
        np.testing.assert_allclose(g1 - g0, 0.7 * W, rtol=1e-12, atol=1e-15)
    for g0, g1 in zip(plain[2:], pen[2:]):
        np.testing.assert_array_equal(g0, g1)


@pytest.mark.parametrize("Estimator, y_kind", [(MLPRegressor, "reg"), (MLPClassifier, "clf")])
def test_lbfgs_ends_at_a_stationary_point_of_the_independent_objective(Estimator, y_kind):
    """End to end: the estimator's reported loss is the objective computed
    here, and at L-BFGS's solution the finite-difference gradient of that
    objective vanishes."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3))
    if y_kind == "reg":
        y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=40)
        loss, Y = SquaredError(), y[:, None]
    else:
        y = (X[:, 0] + 0.3 * rng.normal(size=40) > 0).astype(int)
        loss, Y = LogisticCrossEntropy(), y[:, None].astype(float)
    sw = rng.uniform(0.5, 2.0, size=40)
    est = Estimator(
        hidden_layer_sizes=(3,), activation="tanh", alpha=0.05, optimizer="lbfgs",
        max_iter=2000, tol=1e-12, random_state=0,
        **({"normalize_y": False} if y_kind == "reg" else {}),
    ).fit(X, y, sample_weight=sw)
    penalty = ElasticNet(0.05)
    J = objective(est.coefs_, est.intercepts_, X, Y, sw, loss, "tanh", penalty)
    assert est.loss_ == pytest.approx(J, rel=1e-10)
    params = est.coefs_ + est.intercepts_
    eps = 1e-6
    worst = 0.0
    for p in params:
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + eps
            up = objective(est.coefs_, est.intercepts_, X, Y, sw, loss, "tanh", penalty)
            p[idx] = old - eps
            down = objective(est.coefs_, est.intercepts_, X, Y, sw, loss, "tanh", penalty)
            p[idx] = old
            worst = max(worst, abs(up - down) / (2 * eps))
    assert worst < 1e-4


def test_losses_match_sklearn_metrics():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(30, 3))
    labels = rng.integers(0, 3, 30)
    Y = np.eye(3)[labels]
    probs = SoftmaxCrossEntropy().predict(z)
    assert SoftmaxCrossEntropy().per_sample(Y, z).mean() == pytest.approx(
        log_loss(labels, probs, labels=[0, 1, 2])
    )
    yb = rng.integers(0, 2, 30)
    pb = LogisticCrossEntropy().predict(z[:, :1])
    assert LogisticCrossEntropy().per_sample(yb[:, None], z[:, :1]).mean() == pytest.approx(
        log_loss(yb, pb.ravel())
    )
    yr = rng.normal(size=(30, 2))
    assert SquaredError().per_sample(yr, z[:, :2]).mean() == pytest.approx(
        0.5 * mean_squared_error(yr, z[:, :2])
    )
    yp = rng.poisson(1.5, size=30).astype(float)
    mu = PoissonDeviance().predict(z[:, :1].copy())
    assert PoissonDeviance().per_sample(yp[:, None], z[:, :1]).mean() == pytest.approx(
        0.5 * mean_poisson_deviance(yp, mu.ravel())
    )


def test_loss_values_are_stable_for_huge_logits():
    z = np.array([[1000.0, -1000.0, 0.0]])
    Y = np.array([[0.0, 1.0, 0.0]])
    assert SoftmaxCrossEntropy().per_sample(Y, z)[0] == pytest.approx(2000.0)
    zb = np.array([[800.0]])
    assert LogisticCrossEntropy().per_sample(np.array([[0.0]]), zb)[0] == pytest.approx(800.0)
    assert LogisticCrossEntropy().per_sample(np.array([[1.0]]), zb)[0] == pytest.approx(0.0)


@pytest.mark.parametrize("numba", ["on", "off"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "selu"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_workspace_passes_equal_plain_passes(monkeypatch, numba, activation, dtype):
    """The training passes (preallocated buffers; compiled ReLU kernels where
    numba is in use) give the gradients of the plain, checked passes, also
    with dropout masks and for a smaller batch after a larger one."""
    if numba == "on":
        pytest.importorskip("numba")
        monkeypatch.delenv("SKREG_DISABLE_NUMBA", raising=False)
    else:
        monkeypatch.setenv("SKREG_DISABLE_NUMBA", "1")
    from skreg import _accel
    from skreg.network import Workspace, _build_bias_relu

    rng = np.random.default_rng(5)
    coefs, intercepts = init_parameters([6, 9, 7, 3], "he_uniform", rng, dtype)
    for b in intercepts:
        b += rng.normal(scale=0.3, size=b.shape).astype(dtype)
    ws = Workspace(coefs, dtype, activation)
    assert (_accel.compiled(_build_bias_relu) is not None) == (numba == "on")
    for n_rows, with_masks in [(20, False), (20, True), (13, True), (20, False)]:
        X = rng.normal(size=(n_rows, 6)).astype(dtype)
        masks = None
        if with_masks:
            masks = [(rng.random((n_rows, k)) > 0.4).astype(dtype) / dtype(0.6) for k in (9, 7)]
        expected = forward(coefs, intercepts, X, activation, masks)
        delta = rng.normal(size=(n_rows, 3)).astype(dtype)
        want = backward(coefs, expected, delta.copy(), activation, masks)

        z = ws.forward(coefs, intercepts, X, masks)
        np.testing.assert_array_equal(z, expected.raw_output)
        z[...] = delta
        coef_grads, intercept_grads = ws.backward(coefs, z, masks)
        for got, ref in zip(coef_grads + intercept_grads, want[0] + want[1]):
            assert got.dtype == dtype
            np.testing.assert_allclose(got, ref, rtol=1e-5 if dtype == np.float32 else 1e-12)
