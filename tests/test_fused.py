"""The compiled update step (skreg/_fused.py) against the numpy path.

* Kernel level: every fused optimizer, float32 and float64, with the L2 and
  L1 parts of the penalty on or off, on vectors large enough for the parallel
  loop and small enough for the serial one, over 300 steps, against the
  optimizers' own numpy ``_step`` plus ``ElasticNet.add_gradient``/``prox``
  applied to the weights and the biases apart (as ``Trainer._update`` does).
* AdamW decays the weights only.
* End to end: fits with numba and with ``SKREG_DISABLE_NUMBA=1`` give the same
  coefficients; the compiled step is really taken (and not when disabled).
* Fits in two threads at once equal fits one after the other.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.datasets import make_classification

pytest.importorskip("numba")

from skreg import MLPClassifier, MLPRegressor, _fused  # noqa: E402
from skreg.optimizers import (  # noqa: E402
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    AdamW,
    Momentum,
    Nadam,
    Nesterov,
    RMSprop,
)
from skreg.penalties import ElasticNet  # noqa: E402

OPTIMIZERS = {
    "sgd": SGD(),
    "momentum": Momentum(momentum=0.8),
    "nesterov": Nesterov(momentum=0.9),
    "adagrad": Adagrad(),
    "rmsprop": RMSprop(rho=0.8),
    "adadelta": Adadelta(),
    "adam": Adam(beta_1=0.85),
    "nadam": Nadam(),
    "adamw": AdamW(weight_decay=0.05),
}
RTOL = {np.float32: 1e-6, np.float64: 1e-12}


@pytest.fixture
def numba_on(monkeypatch):
    monkeypatch.delenv("SKREG_DISABLE_NUMBA", raising=False)


def _numpy_step(opt, p, g, slots, n_weights, lr, t, penalty):
    """The numpy path of ``Trainer._update`` on whole vectors: weights and
    biases as two parameters (L2, prox and AdamW's decay on the weights)."""
    parts = [(slice(0, n_weights), True), (slice(n_weights, p.size), False)]
    for part, is_weight in parts:
        p_, g_ = p[part], g[part]
        slot = {name: buf[part] for name, buf in slots.items()}
        prox = is_weight and bool(penalty.l1_strength)
        if is_weight and penalty.l2_strength:
            penalty.add_gradient(p_, g_)
        step = opt._step(p_, g_, slot, lr, t, is_weight, prox)
        if prox:
            penalty.prox(p_, step)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("l2, l1", [(0.0, 0.0), (1e-2, 0.0), (3e-3, 3e-3)])
@pytest.mark.parametrize("size", [(40_000, 300), (500, 20)])  # parallel, serial loop
def test_kernel_matches_numpy(numba_on, dtype, name, l2, l1, size):
    opt = OPTIMIZERS[name]
    n_weights, n_biases = size
    n = n_weights + n_biases
    rng = np.random.default_rng(0)
    p0 = rng.normal(scale=0.1, size=n).astype(dtype)
    alpha = l1 + l2
    penalty = ElasticNet(alpha, l1 / alpha if alpha else 0.0)
    p_ref, p_fused = p0.copy(), p0.copy()
    slots_ref = {s: np.zeros(n, dtype) for s in opt.slots}
    slots_fused = {s: np.zeros(n, dtype) for s in opt.slots}
    g_fused = np.empty(n, dtype)
    step = _fused.FusedStep.create(opt, p_fused, g_fused, slots_fused, n_weights)
    assert step is not None
    assert step.parallel == (n >= _fused._PARALLEL_MIN)
    lr = 0.3 if name == "adadelta" else 1e-2
    for t in range(1, 301):
        g = (rng.normal(size=n) + 0.5 * p_ref.astype(np.float64)).astype(dtype)
        g_fused[...] = g
        _numpy_step(opt, p_ref, g, slots_ref, n_weights, lr, t, penalty)
        assert step(lr, t, penalty.l2_strength, penalty.l1_strength)
    rtol = RTOL[dtype]
    scale = np.abs(p_ref).max()
    np.testing.assert_allclose(p_fused, p_ref, rtol=rtol, atol=rtol * scale)
    for s in opt.slots:
        np.testing.assert_allclose(
            slots_fused[s], slots_ref[s], rtol=rtol, atol=rtol * np.abs(slots_ref[s]).max()
        )
    if l1:  # the prox has set weights to exactly zero, as the numpy path did
        assert np.array_equal(p_ref[:n_weights] == 0, p_fused[:n_weights] == 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adamw_decays_weights_only(numba_on, dtype):
    n_weights, n = 40_000, 40_100
    p = np.ones(n, dtype)
    g = np.zeros(n, dtype)
    slots = {"m": np.zeros(n, dtype), "v": np.zeros(n, dtype)}
    step = _fused.FusedStep.create(AdamW(weight_decay=0.1), p, g, slots, n_weights)
    assert step(0.5, 1, 0.0, 0.0)
    np.testing.assert_array_equal(p[:n_weights], dtype(1.0 - 0.5 * 0.1))
    np.testing.assert_array_equal(p[n_weights:], 1.0)


def test_not_applicable(numba_on, monkeypatch):
    p = np.zeros(10)
    slots = {"m": np.zeros(10), "v": np.zeros(10)}
    assert _fused.FusedStep.create(Adam(), p, p.copy(), slots, 5) is not None
    # mixed dtypes, non-contiguous buffers, integer parameters: the numpy path
    slots = {"m": np.zeros(10, np.float32), "v": np.zeros(10)}
    assert _fused.FusedStep.create(Adam(), p, p.copy(), slots, 5) is None
    slots = {"m": np.zeros(20)[::2], "v": np.zeros(10)}
    assert _fused.FusedStep.create(Adam(), p, p.copy(), slots, 5) is None
    q = np.zeros(10, np.int64)
    assert _fused.FusedStep.create(SGD(), q, q.copy(), {}, 5) is None
    monkeypatch.setenv("SKREG_DISABLE_NUMBA", "1")
    assert not _fused.enabled()
    assert _fused.FusedStep.create(SGD(), p, p.copy(), {}, 5) is None


def _fit(name, dtype, disable, monkeypatch, **params):
    if disable:
        monkeypatch.setenv("SKREG_DISABLE_NUMBA", "1")
    else:
        monkeypatch.delenv("SKREG_DISABLE_NUMBA", raising=False)
    X, y = make_classification(
        n_samples=600, n_features=40, n_informative=10, n_classes=3, random_state=0
    )
    est = MLPClassifier(
        hidden_layer_sizes=(200,), optimizer=name, max_iter=8, batch_size=64,
        random_state=0, tol=0.0, n_iter_no_change=1000, **params,
    )
    return est.fit(X.astype(dtype), y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["adam", "adamw", "nesterov", "rmsprop"])
def test_fit_matches_numpy_path(monkeypatch, dtype, name):
    calls = []
    run = _fused.FusedStep._run
    monkeypatch.setattr(
        _fused.FusedStep, "_run", lambda self, *a: calls.append(1) or run(self, *a)
    )
    lr = 1e-2 if name == "nesterov" else 1e-3
    params = {"alpha": 1e-3, "l1_ratio": 0.5, "learning_rate_init": lr}
    fused = _fit(name, dtype, False, monkeypatch, **params)
    assert len(calls) == 8 * 10  # 10 batches per epoch, 8 epochs
    plain = _fit(name, dtype, True, monkeypatch, **params)
    assert len(calls) == 80  # not taken when disabled
    rtol = RTOL[dtype] * 100  # rounding differences grow a little through training
    for a, b in zip(fused.coefs_ + fused.intercepts_, plain.coefs_ + plain.intercepts_):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(b).max())
    np.testing.assert_allclose(fused.loss_curve_, plain.loss_curve_, rtol=rtol)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fits_in_threads(numba_on):
    X, y = make_classification(n_samples=400, n_features=30, random_state=1)
    ests = [
        MLPRegressor(hidden_layer_sizes=(1200,), max_iter=3, random_state=seed, alpha=1e-3,
                     l1_ratio=0.3, tol=0.0, n_iter_no_change=1000)
        for seed in range(4)
    ]
    serial = [e.__class__(**e.get_params()).fit(X, y) for e in ests]
    with ThreadPoolExecutor(2) as pool:
        threaded = list(pool.map(lambda e: e.fit(X, y), ests))
    for a, b in zip(threaded, serial):
        for u, v in zip(a.coefs_, b.coefs_):
            np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-14)
