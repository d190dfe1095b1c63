"""The schedules that act within a fit, step by step: ``learning_rate="cosine"``
and ``"coslog4"``, ``warmup``, ``dropout_schedule`` and the optimizers'
``weight_decay_schedule``.

Each is checked against its closed form at given steps, then inside real
fits: the rate every step receives, the dropout rates every step draws its
masks with, the decayed weights against a hand-written reference optimizer,
the compiled update against numpy, and the continuation rules of
``partial_fit`` and ``warm_start``.
"""

import math
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skreg import MLPClassifier, MLPClassifierCV, MLPRegressor, MLPRegressorCV, _training
from skreg.optimizers import OPTIMIZERS, SGD, SGDW, AdamW
from skreg.schedules import (
    LearningRateSchedule,
    StepClock,
    coslog,
    cosine,
    flat_cosine,
    warmup_factor,
)

STOCHASTIC = [name for name in OPTIMIZERS if name != "lbfgs"]


# -- closed forms ----------------------------------------------------------------


def test_cosine_closed_form():
    assert cosine(0.0) == 1.0
    assert cosine(0.5) == pytest.approx(0.5, abs=1e-16)
    assert cosine(1.0) == 0.0
    for p in (0.1, 0.25, 0.6, 0.9):
        assert cosine(p) == pytest.approx(0.5 * (1 + math.cos(math.pi * p)), rel=1e-15)
    assert cosine(0.25) == pytest.approx((1 + 2**-0.5) / 2, rel=1e-15)
    # clipped outside the plan
    assert cosine(1.7) == 0.0 and cosine(-0.2) == 1.0


def test_coslog4_restarts_and_peaks():
    """Four cycles: each starts at 0 where log2(1 + 15 p) is an integer
    (p = 0, 1/15, 3/15, 7/15; the last ends at p = 1) and peaks at 1 where
    it is an integer plus 1/2; the cycles double in length."""
    ends = [(2**k - 1) / 15 for k in range(5)]
    assert ends == [0.0, 1 / 15, 3 / 15, 7 / 15, 1.0]
    for p in ends:
        assert coslog(p) == pytest.approx(0.0, abs=1e-15)
    peaks = [(2 ** (k + 0.5) - 1) / 15 for k in range(4)]
    for p in peaks:
        assert coslog(p) == pytest.approx(1.0, rel=1e-14)
    lengths = np.diff(ends)
    np.testing.assert_allclose(lengths[1:] / lengths[:-1], 2.0, rtol=1e-14)
    # in between: the closed form
    for p in (0.03, 0.1, 0.3, 0.8):
        expected = 0.5 * (1 - math.cos(2 * math.pi * math.log2(1 + 15 * p)))
        assert coslog(p) == pytest.approx(expected, rel=1e-14)
    # fewer cycles: two cycles end at 1/3 and 1
    assert coslog(1 / 3, n_cycles=2) == pytest.approx(0.0, abs=1e-15)
    assert coslog(1.5) == coslog(1.0)


def test_flat_cosine_closed_form():
    for p in (0.0, 0.2, 0.4999, 0.5):
        assert flat_cosine(p) == 1.0
    assert flat_cosine(0.75) == pytest.approx(0.5, rel=1e-15)
    assert flat_cosine(0.625) == pytest.approx((1 + 2**-0.5) / 2, rel=1e-15)
    assert flat_cosine(1.0) == 0.0
    for p in (0.55, 0.8, 0.99):
        assert flat_cosine(p) == pytest.approx(
            0.5 * (1 + math.cos(math.pi * (p - 0.5) / 0.5)), rel=1e-14
        )
    assert flat_cosine(2.0) == 0.0


@pytest.mark.parametrize("kind", ["constant", "cosine", "coslog4", "invscaling", "adaptive"])
def test_warmup_ramps_any_schedule_linearly_from_zero(kind):
    """The rate at progress p is the schedule's times min(1, p / warmup):
    0 at the start, the schedule's own value from the end of the warm-up."""
    shape = {"cosine": cosine, "coslog4": coslog}.get(kind, lambda p: 1.0)
    schedule = LearningRateSchedule(kind, 0.2, warmup=0.25)
    assert schedule.per_step
    assert schedule.rate_at(0.0) == 0.0
    for p in (0.05, 0.1, 0.2):
        assert schedule.rate_at(p) == pytest.approx(0.2 * shape(p) * p / 0.25, rel=1e-14)
    for p in (0.25, 0.5, 0.9):  # from the warm-up's end on: the schedule itself
        assert schedule.rate_at(p) == pytest.approx(0.2 * shape(p), rel=1e-14)
    assert warmup_factor(0.0, 0.0) == 1.0 and warmup_factor(0.1, 0.05) == 0.5


def test_per_step_schedule_values():
    schedule = LearningRateSchedule("cosine", 0.1)
    assert schedule.per_step
    assert schedule.rate_at(0.0) == 0.1
    assert schedule.rate_at(0.5) == pytest.approx(0.05, rel=1e-15)
    assert schedule.rate_at(1.0) == 0.0
    # the per-epoch schedules leave the rate to `current` within an epoch
    constant = LearningRateSchedule("constant", 0.1)
    assert not constant.per_step
    assert constant.rate_at(0.7) == 0.1
    # without a learning rate (L-BFGS) nothing is scheduled
    assert not LearningRateSchedule("cosine", None, warmup=0.5).per_step


def test_step_clock():
    clock = StepClock(steps_per_epoch=3, max_iter=4)
    assert clock.planned == 12
    clock.start_epoch(0)
    assert [clock.progress(b) for b in range(3)] == [0.0, 1 / 12, 2 / 12]
    clock.start_epoch(3)
    assert [clock.progress(b) for b in range(3)] == [9 / 12, 10 / 12, 11 / 12]
    clock.start_epoch(5)  # past the plan (partial_fit): stays at the end
    assert clock.progress(0) == 1.0


# -- the rate each step receives in a fit -----------------------------------------


class RecordingOptimizer(BaseEstimator):
    """Delegates to ``optimizer`` and appends the rate of every step to ``log``."""

    def __init__(self, optimizer, log):
        self.optimizer = optimizer
        self.log = log

    @property
    def is_stochastic(self):
        return True

    @property
    def default_learning_rate(self):
        return self.optimizer.default_learning_rate

    def init_state(self, params):
        return self.optimizer.init_state(params)

    def update(self, params, grads, state, lr, is_weight, return_steps=False):
        self.log.append(lr)
        return self.optimizer.update(params, grads, state, lr, is_weight, return_steps)


def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=n)
    return X, y


def _expected_rates(lr0, kind, warmup, planned, n_steps=None):
    shape = {"cosine": cosine, "coslog4": coslog, "constant": lambda p: 1.0}[kind]
    n_steps = planned if n_steps is None else n_steps
    rates = []
    for k in range(n_steps):
        p = min(k / planned, 1.0)
        ramp = min(1.0, p / warmup) if warmup else 1.0
        rates.append(lr0 * shape(p) * ramp)
    return np.array(rates)


# 60 rows in batches of 20: 3 steps per epoch, 5 epochs planned = 15 steps
FIT = dict(hidden_layer_sizes=(4,), batch_size=20, max_iter=5, tol=0.0, n_iter_no_change=100,
           random_state=0)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", STOCHASTIC)
@pytest.mark.parametrize(
    "kind, warmup", [("cosine", 0.0), ("cosine", 0.2), ("coslog4", 0.0), ("constant", 0.4)]
)
def test_every_step_gets_its_scheduled_rate(name, kind, warmup):
    X, y = _data()
    log = []
    lr0 = 0.01
    MLPRegressor(
        optimizer=RecordingOptimizer(OPTIMIZERS[name](), log), learning_rate=kind,
        warmup=warmup, learning_rate_init=lr0, **FIT,
    ).fit(X, y)
    assert len(log) == 15
    np.testing.assert_allclose(log, _expected_rates(lr0, kind, warmup, 15), rtol=1e-14, atol=0)
    if kind == "coslog4":
        # restarts at steps 1 and 3 (p = 1/15, 3/15), and at step 7 (7/15)
        assert log[0] == 0.0
        for k in (1, 3, 7):
            assert log[k] == pytest.approx(0.0, abs=1e-18)
        assert max(log) > 0.9 * lr0


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_warmup_multiplies_invscaling_within_each_epoch():
    """invscaling keeps its rate per epoch; the warm-up ramps it per step."""
    X, y = _data()
    log = []
    lr0, power_t = 0.01, 0.5
    MLPRegressor(
        optimizer=RecordingOptimizer(SGD(), log), learning_rate="invscaling", power_t=power_t,
        warmup=0.5, learning_rate_init=lr0, **FIT,
    ).fit(X, y)
    epoch_rates = [lr0] + [lr0 / (60 * e + 1) ** power_t for e in range(1, 5)]
    expected = [
        epoch_rates[k // 3] * min(1.0, (k / 15) / 0.5) for k in range(15)
    ]
    np.testing.assert_allclose(log, expected, rtol=1e-14, atol=0)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_early_stopping_ends_the_planned_schedule_sooner():
    """The schedule runs over max_iter epochs of the training rows (those left
    after the validation split); early stopping ends it partway."""
    X, y = _data(n=80)
    log = []
    lr0 = 0.01
    est = MLPRegressor(
        (4,), optimizer=RecordingOptimizer(OPTIMIZERS["adam"](), log),
        learning_rate="cosine", warmup=0.1, learning_rate_init=lr0, batch_size=20,
        max_iter=50, early_stopping=True, validation_fraction=0.25, tol=1e9,
        n_iter_no_change=2, random_state=0,
    ).fit(X, y)
    assert est.n_iter_ == 3  # no epoch improves by tol: stops after 1 + 2 epochs
    steps_per_epoch = len(log) // est.n_iter_
    assert len(log) == est.n_iter_ * steps_per_epoch
    n_train = 80 - round(0.25 * 80)
    assert steps_per_epoch == math.ceil(n_train / 20)
    planned = 50 * steps_per_epoch
    np.testing.assert_allclose(
        log, _expected_rates(lr0, "cosine", 0.1, planned, len(log)), rtol=1e-14, atol=0
    )
    assert log[-1] > 0.5 * lr0  # the schedule was cut short, far from its end


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_partial_fit_continues_the_schedule_and_stays_at_its_end():
    """Each partial_fit call is one epoch of the max_iter planned: three
    calls step through the rates of one 3-epoch fit; a fourth, past the
    plan, trains at the schedule's end value, 0."""
    X, y = _data()
    params = dict(learning_rate="cosine", warmup=0.2, learning_rate_init=0.01, batch_size=20,
                  max_iter=3, tol=0.0, n_iter_no_change=100, shuffle=False, random_state=0)
    log_fit, log_partial = [], []
    MLPRegressor((4,), optimizer=RecordingOptimizer(SGD(), log_fit), **params).fit(X, y)
    est = MLPRegressor((4,), optimizer=RecordingOptimizer(SGD(), log_partial), **params)
    for _ in range(3):
        est.partial_fit(X, y)
    assert log_partial == log_fit
    np.testing.assert_allclose(log_fit, _expected_rates(0.01, "cosine", 0.2, 9), rtol=1e-14)
    before = [W.copy() for W in est.coefs_]
    est.partial_fit(X, y)
    assert log_partial[9:] == [0.0, 0.0, 0.0]
    for W0, W1 in zip(before, est.coefs_):
        np.testing.assert_array_equal(W0, W1)  # SGD at rate 0 does not move


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_warm_start_fit_restarts_the_schedule():
    """Every fit call, warm-started or not, runs the schedule from its start
    (a warm restart)."""
    X, y = _data()
    log = []
    est = MLPRegressor(
        optimizer=RecordingOptimizer(OPTIMIZERS["adam"](), log), learning_rate="coslog4",
        learning_rate_init=0.01, warm_start=True, **FIT,
    )
    est.fit(X, y)
    first = list(log)
    est.fit(X, y)
    assert log[15:] == first
    assert est.n_iter_ == 5


def test_lbfgs_ignores_the_step_schedules():
    X, y = _data()
    params = dict(hidden_layer_sizes=(4,), optimizer="lbfgs", random_state=0, max_iter=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = MLPRegressor(**params).fit(X, y)
        est = MLPRegressor(learning_rate="cosine", warmup=0.5, **params).fit(X, y)
    for W1, W2 in zip(est.coefs_, ref.coefs_):
        np.testing.assert_array_equal(W1, W2)


# -- scheduled dropout rates -------------------------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_flat_cosine_dropout_rates_per_step(monkeypatch):
    """Dropout, input dropout and DropConnect masks are drawn at the base
    rate times flat_cosine(k / planned) at step k."""
    drawn, inputs = [], []
    layer_masks, perturb_inputs = _training.layer_masks, _training.perturb_inputs

    def record_layers(coefs, keys, dropout, dropconnect, rng, buffers=None):
        drawn.append((tuple(dropout), dropconnect))
        return layer_masks(coefs, keys, dropout, dropconnect, rng, buffers)

    def record_inputs(X, keys, input_dropout, noise_std, rng):
        inputs.append(input_dropout)
        return perturb_inputs(X, keys, input_dropout, noise_std, rng)

    monkeypatch.setattr(_training, "layer_masks", record_layers)
    monkeypatch.setattr(_training, "perturb_inputs", record_inputs)
    X, y = _data()
    params = dict(dropout=[0.3, 0.1], input_dropout=0.2, dropconnect=0.4, **FIT)
    params["hidden_layer_sizes"] = (5, 4)
    est = MLPRegressor(dropout_schedule="flat_cosine", **params).fit(X, y)
    assert len(drawn) == len(inputs) == 15
    factors = [flat_cosine(k / 15) for k in range(15)]
    assert factors[:8] == [1.0] * 8 and 0 < factors[-1] < 0.05
    for k, f in enumerate(factors):
        np.testing.assert_allclose(drawn[k][0], [0.3 * f, 0.1 * f], rtol=1e-15)
        assert drawn[k][1] == pytest.approx(0.4 * f, rel=1e-15)
        assert inputs[k] == pytest.approx(0.2 * f, rel=1e-15)
    # MC dropout keeps the rates as given, not the scheduled end value
    assert est._mc_rates == ((0.3, 0.1), 0.2, 0.4)
    _, std = est.predict(X[:5], return_std=True)
    assert np.all(std > 0)
    # "constant" draws every mask at the base rates
    drawn.clear()
    inputs.clear()
    MLPRegressor(**params).fit(X, y)
    assert drawn == [((0.3, 0.1), 0.4)] * 15 and inputs == [0.2] * 15


# -- scheduled decoupled weight decay ---------------------------------------------


class ReferenceSGDW(BaseEstimator):
    """SGD with decoupled decay on a flat-cosine schedule, written out:
    at step k (from 0) of ``planned``, on the weights before the step,
    ``W <- W (1 - lr wd s(k / planned)) - lr g``; biases ``b <- b - lr g``."""

    is_stochastic = True
    default_learning_rate = 0.01

    def __init__(self, weight_decay, planned):
        self.weight_decay = weight_decay
        self.planned = planned

    def init_state(self, params):
        return {"k": 0}

    def update(self, params, grads, state, lr, is_weight, return_steps=False):
        p = state["k"] / self.planned
        s = 1.0 if p <= 0.5 else 0.5 * (1.0 + math.cos(math.pi * (2 * p - 1)))
        for theta, g, weight in zip(params, grads, is_weight):
            if weight:
                theta *= 1.0 - lr * self.weight_decay * s
            theta -= lr * g
        state["k"] += 1


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("numba", ["on", "off"])
def test_scheduled_decay_equals_a_hand_written_reference(monkeypatch, numba):
    if numba == "on":
        pytest.importorskip("numba")
        monkeypatch.delenv("SKREG_DISABLE_NUMBA", raising=False)
    else:
        monkeypatch.setenv("SKREG_DISABLE_NUMBA", "1")
    X, y = _data()
    params = dict(alpha=0.0, learning_rate_init=0.05, **FIT)
    est = MLPRegressor(
        optimizer=SGDW(weight_decay=2.0, weight_decay_schedule="flat_cosine"), **params
    ).fit(X, y)
    ref = MLPRegressor(optimizer=ReferenceSGDW(2.0, planned=15), **params).fit(X, y)
    constant = MLPRegressor(optimizer=SGDW(weight_decay=2.0), **params).fit(X, y)
    for a, b in zip(est.coefs_ + est.intercepts_, ref.coefs_ + ref.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    assert np.abs(constant.coefs_[0] - est.coefs_[0]).max() > 1e-3


@pytest.mark.parametrize("cls", [SGDW, AdamW])
def test_scheduled_decay_in_the_optimizer_update(cls):
    """``update(..., progress=p)`` decays the weights by lr * wd * s(p),
    not the biases; a zero gradient isolates the decay."""
    for p, s in [(0.0, 1.0), (0.5, 1.0), (0.75, 0.5), (1.0, 0.0)]:
        params = [np.full((2, 3), 2.0), np.full(3, 2.0)]
        opt = cls(weight_decay=0.4, weight_decay_schedule="flat_cosine")
        state = opt.init_state(params)
        opt.update(params, [np.zeros((2, 3)), np.zeros(3)], state, 0.1, [True, False],
                   progress=p)
        np.testing.assert_allclose(params[0], 2.0 * (1 - 0.1 * 0.4 * s), rtol=1e-15)
        np.testing.assert_array_equal(params[1], 2.0)


# -- the compiled update follows the schedules ------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "optimizer",
    [AdamW(weight_decay=0.05, weight_decay_schedule="flat_cosine"),
     SGDW(weight_decay=0.05, weight_decay_schedule="flat_cosine")],
    ids=["adamw", "sgdw"],
)
def test_numba_equals_numpy_with_schedules(monkeypatch, dtype, optimizer):
    pytest.importorskip("numba")
    from skreg import _update

    calls = []
    call = _update.CompiledUpdate.__call__

    def recording(self, lr, t, progress=0.0):
        calls.append((lr, progress))
        return call(self, lr, t, progress)

    monkeypatch.setattr(_update.CompiledUpdate, "__call__", recording)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 6)).astype(dtype)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    params = dict(
        hidden_layer_sizes=(16,), optimizer=optimizer, learning_rate="cosine", warmup=0.1,
        learning_rate_init=0.01, dropout=0.1, dropout_schedule="flat_cosine", alpha=1e-3,
        l1_ratio=0.5, batch_size=30, max_iter=4, tol=0.0, n_iter_no_change=100,
        random_state=0,
    )
    fits = {}
    for mode in ("numba", "numpy"):
        if mode == "numpy":
            monkeypatch.setenv("SKREG_DISABLE_NUMBA", "1")
        else:
            monkeypatch.delenv("SKREG_DISABLE_NUMBA", raising=False)
        fits[mode] = MLPClassifier(**params).fit(X, y)
        if mode == "numba":
            assert len(calls) == 12  # the compiled pass took every step
            lrs, progress = np.array(calls).T
            np.testing.assert_allclose(progress, np.arange(12) / 12, rtol=1e-15)
            np.testing.assert_allclose(lrs, _expected_rates(0.01, "cosine", 0.1, 12), rtol=1e-14)
    assert len(calls) == 12  # and none with numba disabled
    a, b = fits["numba"], fits["numpy"]
    for W1, W2 in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert W1.dtype == dtype
        np.testing.assert_array_equal(W1, W2)
    np.testing.assert_array_equal(a.loss_curve_, b.loss_curve_)


# -- parameters ------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, names",
    [
        ({"learning_rate": "cos"}, ["learning_rate", "cosine", "coslog4", "invscaling"]),
        ({"warmup": 1.0}, ["warmup", "[0.0, 1.0)"]),
        ({"warmup": -0.1}, ["warmup"]),
        ({"dropout_schedule": "cosine"}, ["dropout_schedule", "constant", "flat_cosine"]),
        ({"optimizer": AdamW(weight_decay_schedule="cos")},
         ["weight_decay_schedule", "constant", "flat_cosine"]),
        ({"optimizer": SGDW(weight_decay_schedule=None)}, ["weight_decay_schedule"]),
    ],
)
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_bad_schedule_parameters_are_refused(Estimator, params, names):
    X, y = _data(n=20)
    y = y > 0 if Estimator is MLPClassifier else y
    with pytest.raises(ValueError) as info:
        Estimator((3,), max_iter=2, **params).fit(X, y)
    for name in names:
        assert name in str(info.value)


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor, MLPClassifierCV,
                                       MLPRegressorCV])
def test_parameters_sit_after_power_t(Estimator):
    est = Estimator(warmup=0.1, dropout_schedule="flat_cosine", learning_rate="coslog4")
    assert est.get_params()["warmup"] == 0.1
    assert est.get_params()["dropout_schedule"] == "flat_cosine"
    signature = list(Estimator.__init__.__code__.co_varnames)
    at = signature.index("power_t")
    assert signature[at + 1 : at + 3] == ["warmup", "dropout_schedule"]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_grid_search_over_the_schedules():
    X, y = _data(n=60)
    search = GridSearchCV(
        MLPRegressor((4,), optimizer=AdamW(weight_decay=0.1), max_iter=3, random_state=0),
        {"optimizer__weight_decay_schedule": ["constant", "flat_cosine"],
         "dropout_schedule": ["constant", "flat_cosine"], "learning_rate": ["cosine"]},
        cv=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.optimizer.weight_decay_schedule in ("constant", "flat_cosine")
