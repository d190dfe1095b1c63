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
* The compiled row keys and dropout masks equal numpy's bit for bit, and so
  do fits with dropout.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification

pytest.importorskip("numba")

from skreg import MLPClassifier, MLPRegressor, _fused  # noqa: E402
from skreg._hashing import rounded_rate16, row_keys  # noqa: E402
from skreg.noise import dropout_mask  # noqa: E402
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
def test_kernel_matches_numpy(numba_on, monkeypatch, dtype, name, l2, l1, size):
    monkeypatch.setattr(_fused, "_PARALLEL_MIN_BYTES", 100_000)  # both loops on small data
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
    assert step.parallel == (n >= 1000)
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


# -- compiled hashing: row keys and dropout masks, bit for bit ----------------


def _both_paths(monkeypatch, compute):
    """``compute()`` with the compiled kernels and with numpy, and how many
    times the hashing kernels ran in each."""
    ran = []
    kernels = _fused._kernels()
    for name in ("_row_key_sums", "_bernoulli16_fill"):
        kernel = getattr(kernels, name)
        monkeypatch.setattr(
            kernels, name, lambda *a, _k=kernel, _n=name: ran.append(_n) or _k(*a)
        )
    monkeypatch.delenv("SKREG_DISABLE_NUMBA", raising=False)
    compiled = compute()
    n_compiled = len(ran)
    monkeypatch.setenv("SKREG_DISABLE_NUMBA", "1")
    plain = compute()
    return compiled, plain, n_compiled, len(ran) - n_compiled


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_keys_kernel_matches_numpy(monkeypatch, dtype):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(700, 37)).astype(dtype)
    X[X > 0.8] = 0.0  # exact zeros contribute nothing
    X[1, :5] = -0.0  # and -0.0 hashes as 0.0
    X[2] = X[3]
    X[4, 0] = np.finfo(dtype).max
    X[5, 1] = np.finfo(dtype).tiny / 4  # subnormal
    y = rng.integers(0, 3, size=700)

    compiled, plain, n_compiled, n_plain = _both_paths(monkeypatch, lambda: row_keys(X, y))
    assert n_compiled == 1 and n_plain == 0
    np.testing.assert_array_equal(compiled, plain)
    assert compiled[2] == compiled[3] or y[2] != y[3]
    assert len(np.unique(compiled)) == len(np.unique(np.column_stack([X, y]), axis=0))
    # the same keys from a non-contiguous copy (numpy path) and from sparse input
    np.testing.assert_array_equal(row_keys(np.asfortranarray(X), y), compiled)
    np.testing.assert_array_equal(row_keys(sp.csr_array(X), y), compiled)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_units", [1, 3, 4, 5, 63, 256])
@pytest.mark.parametrize("rate", [0.1, 0.5, 0.97])
def test_dropout_mask_kernel_matches_numpy(monkeypatch, dtype, n_units, rate):
    keys = np.random.default_rng(1).integers(0, 2**64, size=300, dtype=np.uint64)

    def masks():
        rng = np.random.default_rng(2)
        out = np.full((320, n_units), np.nan, dtype)  # a buffer with spare rows
        written = dropout_mask(keys, n_units, rate, rng, dtype, out=out[:300])
        assert np.isnan(out[300:]).all()
        return written, dropout_mask(keys, n_units, rate, rng, dtype)

    (a, b), (c, d), n_compiled, n_plain = _both_paths(monkeypatch, masks)
    assert n_compiled == 2 and n_plain == 0
    for compiled, plain in ((a, c), (b, d)):
        assert compiled.dtype == plain.dtype == dtype
        np.testing.assert_array_equal(compiled, plain)
    kept = a > 0
    np.testing.assert_array_equal(a[kept], dtype(1 / (1 - rounded_rate16(rate))))
    assert not np.array_equal(a, b)  # a fresh stream key per call


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_fit_matches_numpy_path(monkeypatch, dtype):
    X, y = make_classification(n_samples=500, n_features=40, random_state=3)
    X = X.astype(dtype)

    def fit():
        return MLPClassifier(
            hidden_layer_sizes=(64, 32), dropout=[0.5, 0.2], input_dropout=0.1,
            optimizer="sgd", max_iter=4, batch_size=50, random_state=0,
            tol=0.0, n_iter_no_change=1000,
        ).fit(X, y)

    compiled, plain, n_compiled, n_plain = _both_paths(monkeypatch, fit)
    assert n_plain == 0
    # row keys once, then per batch one mask per hidden layer and the inputs
    assert n_compiled == 1 + 4 * 10 * 3
    for a, b in zip(compiled.coefs_ + compiled.intercepts_, plain.coefs_ + plain.intercepts_):
        np.testing.assert_array_equal(a, b)
