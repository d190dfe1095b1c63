"""Learning-rate schedules: the rules themselves (scikit-learn's meanings), and
the rate every stochastic optimizer actually receives inside a fit."""

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning

from skreg import MLPClassifier, MLPRegressor
from skreg.optimizers import OPTIMIZERS
from skreg.schedules import MIN_ADAPTIVE_RATE, LearningRateSchedule

STOCHASTIC = [name for name in OPTIMIZERS if name != "lbfgs"]


# -- the rules ---------------------------------------------------------------


def test_constant_never_changes_and_stops_at_a_plateau():
    schedule = LearningRateSchedule("constant", 0.01)
    for seen in (10, 1000, 10**6):
        schedule.end_epoch(seen)
        assert schedule.current == 0.01
    assert schedule.on_plateau() is False
    assert schedule.current == 0.01


@pytest.mark.parametrize("power_t", [0.5, 0.25, 1.0, 0.0])
def test_invscaling_is_initial_over_samples_seen_to_the_power(power_t):
    """sklearn: after each epoch, learning_rate_init / (t_ + 1) ** power_t with
    t_ the number of samples seen so far; the first epoch runs at the
    initial rate."""
    schedule = LearningRateSchedule("invscaling", 0.1, power_t=power_t)
    assert schedule.current == 0.1
    for seen in (150, 300, 450, 10_000):
        schedule.end_epoch(seen)
        assert schedule.current == pytest.approx(0.1 / (seen + 1) ** power_t, rel=1e-15)
    assert schedule.on_plateau() is False


def test_adaptive_divides_by_five_until_at_or_below_1e6():
    """sklearn's rule: at a plateau, stop if the rate is already <= 1e-6,
    otherwise divide it by 5 and go on. From 1e-3: 2e-4, 4e-5, 8e-6, 1.6e-6,
    3.2e-7, then stop."""
    schedule = LearningRateSchedule("adaptive", 1e-3)
    schedule.end_epoch(1000)  # no effect between plateaus
    assert schedule.current == 1e-3
    rates = []
    while schedule.on_plateau():
        rates.append(schedule.current)
    np.testing.assert_allclose(rates, [2e-4, 4e-5, 8e-6, 1.6e-6, 3.2e-7], rtol=1e-12)
    assert schedule.current == rates[-1]  # stopping leaves the rate alone
    assert schedule.on_plateau() is False
    assert MIN_ADAPTIVE_RATE == 1e-6


@pytest.mark.parametrize(
    "initial, n_divisions",
    [(1e-6, 0), (4e-6, 1), (5.0001e-6, 2), (1e-7, 0), (1.0, 9)],
)
def test_adaptive_boundary(initial, n_divisions):
    schedule = LearningRateSchedule("adaptive", initial)
    count = 0
    while schedule.on_plateau():
        count += 1
    assert count == n_divisions
    assert schedule.current <= MIN_ADAPTIVE_RATE < schedule.current * 5 or n_divisions == 0


def test_continuing_rate_and_no_rate():
    # warm_start / partial_fit continue from the stored rate
    schedule = LearningRateSchedule("adaptive", 1e-3, current=4e-5)
    assert schedule.current == 4e-5 and schedule.on_plateau()
    assert schedule.current == pytest.approx(8e-6)
    # L-BFGS has no learning rate: nothing to schedule, a plateau stops it
    for kind in ("constant", "invscaling", "adaptive"):
        schedule = LearningRateSchedule(kind, None)
        schedule.end_epoch(100)
        assert schedule.current is None
        assert schedule.on_plateau() is False


# -- inside a fit -------------------------------------------------------------


class RecordingOptimizer(BaseEstimator):
    """Delegates to ``optimizer`` and appends the rate of every step to ``log``."""

    def __init__(self, optimizer, log):
        self.optimizer = optimizer
        self.log = log

    @property
    def is_stochastic(self):
        return self.optimizer.is_stochastic

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


def _per_epoch(log, steps_per_epoch):
    assert len(log) % steps_per_epoch == 0
    epochs = np.reshape(log, (-1, steps_per_epoch))
    assert np.all(epochs == epochs[:, :1])  # the rate changes between epochs only
    return epochs[:, 0]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", STOCHASTIC)
@pytest.mark.parametrize("power_t", [0.5, 0.25])
def test_invscaling_for_every_stochastic_optimizer(name, power_t):
    X, y = _data()
    log = []
    lr0 = 0.01
    est = MLPRegressor(
        (4,), optimizer=RecordingOptimizer(OPTIMIZERS[name](), log),
        learning_rate="invscaling", power_t=power_t, learning_rate_init=lr0,
        batch_size=20, max_iter=5, tol=0.0, n_iter_no_change=100, random_state=0,
    ).fit(X, y)
    rates = _per_epoch(log, 3)
    expected = [lr0] + [lr0 / (60 * e + 1) ** power_t for e in range(1, 5)]
    np.testing.assert_allclose(rates, expected, rtol=1e-14)
    assert est.t_ == 300
    assert est._learning_rate == pytest.approx(lr0 / 301**power_t, rel=1e-14)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", STOCHASTIC)
def test_constant_for_every_stochastic_optimizer(name):
    X, y = _data()
    log = []
    MLPRegressor(
        (4,), optimizer=RecordingOptimizer(OPTIMIZERS[name](), log),
        learning_rate_init=0.02, batch_size=20, max_iter=4, random_state=0,
    ).fit(X, y)
    assert log == [0.02] * 12


@pytest.mark.parametrize("name", STOCHASTIC)
def test_adaptive_divides_by_five_at_each_plateau_then_stops(name):
    """``tol`` so large that no epoch after the first counts as an
    improvement: with n_iter_no_change=2 a plateau ends epochs 3, 5, 7, ...
    The rate goes 1e-3, 2e-4, ... 3.2e-7; at the plateau after the two epochs
    at 3.2e-7 (<= 1e-6) training stops, after 13 epochs and well before
    max_iter (so without a ConvergenceWarning)."""
    X, y = _data()
    log = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = MLPRegressor(
            (4,), optimizer=RecordingOptimizer(OPTIMIZERS[name](), log),
            learning_rate="adaptive", learning_rate_init=1e-3, batch_size=20,
            max_iter=100, tol=1e9, n_iter_no_change=2, random_state=0,
        ).fit(X, y)
    rates = _per_epoch(log, 3)
    expected = [1e-3] * 3 + [2e-4] * 2 + [4e-5] * 2 + [8e-6] * 2 + [1.6e-6] * 2 + [3.2e-7] * 2
    np.testing.assert_allclose(rates, expected, rtol=1e-12)
    assert est.n_iter_ == 13
    assert est._learning_rate == pytest.approx(3.2e-7)


@pytest.mark.parametrize("name", STOCHASTIC)
def test_adaptive_on_a_real_plateau(name):
    """A linear model trained to its minimum: the loss stalls, the rate is cut
    by exactly 5 each time, and training ends with the first rate at or below
    1e-6, before max_iter."""
    X, y = _data(n=100)
    log = []
    lr0 = 0.05
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = MLPRegressor(
            (), optimizer=RecordingOptimizer(OPTIMIZERS[name](), log),
            learning_rate="adaptive", learning_rate_init=lr0, batch_size=25,
            max_iter=2000, n_iter_no_change=3, random_state=0,
        ).fit(X, y)
    rates = _per_epoch(log, 4)
    assert len(rates) == est.n_iter_ < 2000
    changes = rates[1:][rates[1:] != rates[:-1]]
    ratios = rates[:-1][rates[1:] != rates[:-1]] / changes
    np.testing.assert_allclose(ratios, 5.0, rtol=1e-12)
    final = rates[-1]
    assert final == pytest.approx(lr0 / 5 ** len(changes), rel=1e-12)
    assert final <= MIN_ADAPTIVE_RATE < final * 5
    assert est.score(X, y) > 0.95


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("kind", ["invscaling", "adaptive"])
def test_schedule_continues_with_warm_start(kind):
    """With warm_start the second fit continues at the rate the first ended
    with (and, for invscaling, from the sample count t_): 2 + 2 epochs see
    the rates of one 4-epoch fit. A warm-started fit starts its own patience
    and best loss, so under "adaptive" its first epoch is no plateau."""
    X, y = _data()
    stall = dict(tol=1e9, n_iter_no_change=1) if kind == "adaptive" else dict(tol=0.0)
    params = dict(
        hidden_layer_sizes=(4,), learning_rate=kind, learning_rate_init=1e-3,
        batch_size=20, shuffle=False, random_state=0, **stall,
    )
    log_once, log_warm = [], []
    MLPRegressor(
        optimizer=RecordingOptimizer(OPTIMIZERS["adam"](), log_once), max_iter=4, **params
    ).fit(X, y)
    warm = MLPRegressor(
        optimizer=RecordingOptimizer(OPTIMIZERS["adam"](), log_warm), max_iter=2,
        warm_start=True, **params,
    )
    warm.fit(X, y)
    warm.fit(X, y)
    if kind == "adaptive":
        # one fit: a plateau after every epoch but the first
        np.testing.assert_allclose(_per_epoch(log_once, 3), [1e-3, 1e-3, 2e-4, 4e-5])
        # warm: the second fit starts at 2e-4 and its first epoch improves on
        # its own (infinite) best loss
        np.testing.assert_allclose(_per_epoch(log_warm, 3), [1e-3, 1e-3, 2e-4, 2e-4])
    else:
        assert log_warm == log_once
        assert warm.t_ == 240


@pytest.mark.parametrize(
    "kind, learning_rate_init",
    [
        ("constant", "auto"),
        ("invscaling", "auto"),
        ("adaptive", "auto"),
        ("constant", 0.1),
        ("invscaling", 0.1),
        ("adaptive", 0.1),
    ],
)
def test_lbfgs_ignores_the_schedule(kind, learning_rate_init):
    """L-BFGS has no step size: every schedule name is accepted and changes
    nothing; a plateau of n_iter_no_change iterations stops it as with
    "constant"."""
    X, y = _data()
    params = dict(
        hidden_layer_sizes=(4,), optimizer="lbfgs", tol=0.05, n_iter_no_change=1,
        random_state=0, max_iter=500,
    )
    ref = MLPClassifier(learning_rate="constant", **params).fit(X, y > 0)
    est = MLPClassifier(
        learning_rate=kind, learning_rate_init=learning_rate_init, **params
    ).fit(X, y > 0)
    assert 1 < ref.n_iter_ < 500
    assert est.n_iter_ == ref.n_iter_
    for W1, W2 in zip(est.coefs_, ref.coefs_):
        np.testing.assert_array_equal(W1, W2)
