"""The compiled kernels (numba, see skreg/_accel.py) against the numpy code.

* The update chain: every built-in optimizer, float32 and float64, with the
  L2, L1 and group-lasso penalties and max-norm on or off, on parameters
  large enough for the parallel loop and small enough for the serial one,
  over 300 steps: the compiled pass (skreg/_update.py) equals the numpy chain
  of skreg/transforms.py and skreg/rules.py bit for bit.
* AdamW and SGDW decay the weights only.
* End to end: fits with numba and with ``SKREG_DISABLE_NUMBA=1`` give the same
  coefficients; the compiled step is really taken (and not when disabled).
* Fits in two threads at once, through the parallel loop, equal fits one
  after the other.
* The compiled row keys and dropout masks equal numpy's bit for bit, and so
  do fits with dropout.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification

pytest.importorskip("numba")

from skreg import MLPClassifier, MLPRegressor, _accel, _update  # noqa: E402
from skreg._hashing import (  # noqa: E402
    _build_bernoulli16_fill,
    _build_row_key_sums,
    rounded_rate16,
    row_keys,
)
from skreg._state import TrainingBuffers  # noqa: E402
from skreg.constraints import MaxNorm  # noqa: E402
from skreg.noise import dropout_mask  # noqa: E402
from skreg.optimizers import (  # noqa: E402
    SGD,
    SGDW,
    Adadelta,
    Adagrad,
    Adam,
    AdamW,
    Momentum,
    Nadam,
    Nesterov,
    RMSprop,
)
from skreg.penalties import ElasticNet, GroupLasso  # noqa: E402
from skreg.transforms import ApplyUpdates  # noqa: E402

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
    "sgdw": SGDW(weight_decay=0.05),
}


@pytest.fixture
def numba_on(monkeypatch):
    monkeypatch.delenv("SKREG_DISABLE_NUMBA", raising=False)


def _chain(opt, penalties, max_norm=None):
    links = []
    for penalty in penalties:
        links += [link for link in penalty.links() if type(link).__name__ == "AddPenaltyGradient"]
    links += [*opt.transforms(), ApplyUpdates()]
    for penalty in penalties:
        links += [link for link in penalty.links() if type(link).__name__ != "AddPenaltyGradient"]
    if max_norm is not None:
        links.append(MaxNorm(max_norm))
    return links


def _buffers(shapes, dtype, opt, rng):
    coefs = [rng.normal(scale=0.1, size=s).astype(dtype) for s in shapes]
    intercepts = [rng.normal(scale=0.1, size=s[1]).astype(dtype) for s in shapes]
    slots = {name: [np.zeros_like(a) for a in coefs + intercepts] for name in opt.slots}
    buffers = TrainingBuffers(coefs, intercepts, slots)
    grads = np.empty_like(buffers.params)
    buffers.attach_grads(grads, None)
    return buffers


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize(
    "alpha, l1_ratio, group_alpha", [(1e-2, 0.0, 0.0), (6e-3, 0.5, 1e-2)]
)
@pytest.mark.parametrize("shapes", [[(150, 200), (200, 20)], [(20, 20), (20, 3)]])
def test_kernel_equals_numpy_chain(monkeypatch, dtype, name, alpha, l1_ratio, group_alpha,
                                   shapes):
    """The compiled pass gives the numpy chain's numbers bit for bit, in the
    parallel loop and the serial one, for 100 steps."""
    monkeypatch.setattr(_update, "PARALLEL_MIN_BYTES", 100_000)  # both loops on small data
    opt = OPTIMIZERS[name]
    penalties = [ElasticNet(alpha, l1_ratio), GroupLasso(group_alpha)]
    links = _chain(opt, penalties, max_norm=1.0)
    runs = {}
    for mode in ("numba", "numpy"):
        monkeypatch.setenv("SKREG_DISABLE_NUMBA", "1" if mode == "numpy" else "0")
        rng = np.random.default_rng(0)
        buffers = _buffers(shapes, np.dtype(dtype), opt, rng)
        update = _update.FlatUpdate(links, buffers)
        assert (update.compiled is not None) == (mode == "numba")
        if mode == "numba":
            assert update.compiled.parallel == (buffers.params.nbytes >= 100_000)
        lr = 0.3 if name == "adadelta" else 1e-2
        for t in range(1, 101):
            buffers.grads[...] = rng.normal(size=buffers.params.size) + 0.5 * buffers.params
            update(lr, t)
        runs[mode] = buffers
    np.testing.assert_array_equal(runs["numba"].params, runs["numpy"].params)
    for s in opt.slots:
        np.testing.assert_array_equal(runs["numba"].slots[s], runs["numpy"].slots[s])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["adamw", "sgdw"])
def test_decoupled_decay_acts_on_weights_only(numba_on, dtype, name):
    opt = {"adamw": AdamW(weight_decay=0.1), "sgdw": SGDW(weight_decay=0.1)}[name]
    buffers = _buffers([(200, 200), (200, 100)], np.dtype(dtype), opt, np.random.default_rng(0))
    buffers.params[...] = 1.0
    buffers.grads[...] = 0.0
    update = _update.FlatUpdate(_chain(opt, []), buffers)
    assert update.compiled is not None
    update(0.5, 1)
    n = buffers.n_weights
    np.testing.assert_array_equal(buffers.params[:n], dtype(1.0 - 0.5 * 0.1))
    np.testing.assert_array_equal(buffers.params[n:], 1.0)


def test_compiled_pass_not_applicable(numba_on, monkeypatch):
    rng = np.random.default_rng(0)
    links = _chain(Adam(), [])
    buffers = _buffers([(5, 4)], np.dtype(np.float64), Adam(), rng)
    assert _update.FlatUpdate(links, buffers).compiled is not None
    # mixed dtypes: the numpy path
    buffers.slots["m"] = buffers.slots["m"].astype(np.float32)
    assert _update.FlatUpdate(links, buffers).compiled is None
    monkeypatch.setenv("SKREG_DISABLE_NUMBA", "1")
    assert not _accel.enabled()
    buffers = _buffers([(5, 4)], np.dtype(np.float64), Adam(), rng)
    assert _update.FlatUpdate(links, buffers).compiled is None


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
    call = _update.CompiledUpdate.__call__
    monkeypatch.setattr(
        _update.CompiledUpdate, "__call__", lambda self, *a: calls.append(1) or call(self, *a)
    )
    lr = 1e-2 if name == "nesterov" else 1e-3
    params = {"alpha": 1e-3, "l1_ratio": 0.5, "group_alpha": 1e-3, "learning_rate_init": lr}
    fused = _fit(name, dtype, False, monkeypatch, **params)
    assert len(calls) == 8 * 10  # 10 batches per epoch, 8 epochs
    plain = _fit(name, dtype, True, monkeypatch, **params)
    assert len(calls) == 80  # not taken when disabled
    for a, b in zip(fused.coefs_ + fused.intercepts_, plain.coefs_ + plain.intercepts_):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(fused.loss_curve_, plain.loss_curve_)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fits_in_threads(numba_on, monkeypatch):
    """Fits in two threads at once, with the parallel loop taken (its lock
    sends a fit that finds it busy to the numpy path), equal serial fits."""
    monkeypatch.setattr(_update, "PARALLEL_MIN_BYTES", 1 << 16)
    parallel_calls = []
    run = _accel.run_parallel
    monkeypatch.setattr(
        _accel, "run_parallel", lambda *a: parallel_calls.append(1) or run(*a)
    )
    X, y = make_classification(n_samples=400, n_features=30, random_state=1)
    ests = [
        MLPRegressor(hidden_layer_sizes=(1200,), max_iter=3, random_state=seed, alpha=1e-3,
                     l1_ratio=0.3, tol=0.0, n_iter_no_change=1000)
        for seed in range(4)
    ]
    serial = [e.__class__(**e.get_params()).fit(X, y) for e in ests]
    n_serial = len(parallel_calls)
    assert n_serial >= 4 * 3 * 2  # every step of every fit entered the parallel loop
    with ThreadPoolExecutor(2) as pool:
        threaded = list(pool.map(lambda e: e.fit(X, y), ests))
    assert len(parallel_calls) > n_serial
    for a, b in zip(threaded, serial):
        for u, v in zip(a.coefs_, b.coefs_):
            np.testing.assert_array_equal(u, v)


# -- compiled hashing: row keys and dropout masks, bit for bit ----------------


def _both_paths(monkeypatch, compute):
    """``compute()`` with the compiled kernels and with numpy, and how many
    times the hashing kernels ran in each."""
    ran = []
    monkeypatch.delenv("SKREG_DISABLE_NUMBA", raising=False)
    for builder in (_build_row_key_sums, _build_bernoulli16_fill):
        kernel = _accel.compiled(builder)
        monkeypatch.setitem(
            _accel._COMPILED, builder, lambda *a, _k=kernel: ran.append(1) or _k(*a)
        )
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
