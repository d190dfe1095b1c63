"""Optimizers: each update rule against its formula in the math page (docs/user_guide/math.rst), the step
sizes used by the L1 proximal step, convergence on a convex quadratic,
settings-only objects (clone, GridSearchCV), L2 penalty versus decoupled
decay, L-BFGS, and every optimizer learning digits.

The reference implementations below are written from the math page (docs/user_guide/math.rst) alone, in
plain numpy, one explicit loop per optimizer; they never call skreg.
"""

import copy
import pickle
import warnings

import numpy as np
import pytest
import scipy.optimize
from sklearn.base import BaseEstimator, clone
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler

import skreg.optimizers
from skreg import MLPClassifier, MLPRegressor
from skreg.optimizers import (
    LBFGS,
    OPTIMIZERS,
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
)

STOCHASTIC = [name for name in OPTIMIZERS if name != "lbfgs"]

# The settings each class exposes (get_params), with the math page's defaults.
EXPECTED_PARAMS = {
    SGD: {},
    Momentum: {"momentum": 0.9},
    Nesterov: {"momentum": 0.9},
    Adagrad: {"epsilon": 1e-10},
    Adadelta: {"rho": 0.95, "epsilon": 1e-6},
    RMSprop: {"rho": 0.9, "epsilon": 1e-8},
    Adam: {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8},
    Nadam: {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8},
    AdamW: {
        "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8, "weight_decay": 0.01,
        "weight_decay_schedule": "constant",
    },
    LBFGS: {"max_fun": 15000},
}


# -- independent references (the math page (docs/user_guide/math.rst), "Optimizers") ----------------------
# Each takes the settings as keyword arguments and returns a function
# ``step(t, theta, g, state, lr, is_weight) -> (new_theta, step_size)`` for one
# parameter array; ``state`` is a dict whose arrays start at 0, ``t`` counts
# from 1, and ``step_size`` is the per-coordinate scale of the L1 prox.


def ref_sgd():
    def step(t, theta, g, s, lr, is_weight):
        return theta - lr * g, np.full_like(theta, lr)

    return step


# The step size of the momentum methods, the scale of the L1 prox, is
# lr / (1 - momentum), not lr. At a fixed point theta* of "step, then
# soft-threshold by step_size * alpha" the velocity is v* = -lr g / (1 - momentum)
# (for Nesterov too), so theta* = prox(theta* - lr g / (1 - momentum)): proximal
# gradient with step lr / (1 - momentum). Its threshold must be
# alpha * lr / (1 - momentum) for theta* to solve the lasso; with alpha * lr it
# solves the lasso of alpha * (1 - momentum), ten times weaker at momentum=0.9.
# (tests/test_penalties.py::test_linear_model_matches_sklearn_elastic_net fails
# for momentum and nesterov for exactly this reason.)


def ref_momentum(momentum=0.9):
    def step(t, theta, g, s, lr, is_weight):
        s["v"] = momentum * s["v"] - lr * g
        return theta + s["v"], np.full_like(theta, lr / (1 - momentum))

    return step


def ref_nesterov(momentum=0.9):
    def step(t, theta, g, s, lr, is_weight):
        s["v"] = momentum * s["v"] - lr * g
        return theta + momentum * s["v"] - lr * g, np.full_like(theta, lr / (1 - momentum))

    return step


def ref_adagrad(epsilon=1e-10):
    def step(t, theta, g, s, lr, is_weight):
        s["G"] = s["G"] + g**2
        eff = lr / (np.sqrt(s["G"]) + epsilon)
        return theta - eff * g, eff

    return step


def ref_adadelta(rho=0.95, epsilon=1e-6):
    def step(t, theta, g, s, lr, is_weight):
        s["Eg2"] = rho * s["Eg2"] + (1 - rho) * g**2
        ratio = np.sqrt(s["Ed2"] + epsilon) / np.sqrt(s["Eg2"] + epsilon)
        d = -ratio * g
        s["Ed2"] = rho * s["Ed2"] + (1 - rho) * d**2
        return theta + lr * d, lr * ratio

    return step


def ref_rmsprop(rho=0.9, epsilon=1e-8):
    def step(t, theta, g, s, lr, is_weight):
        s["Eg2"] = rho * s["Eg2"] + (1 - rho) * g**2
        eff = lr / (np.sqrt(s["Eg2"]) + epsilon)
        return theta - eff * g, eff

    return step


def _adam_moments(s, g, t, beta_1, beta_2):
    s["m"] = beta_1 * s["m"] + (1 - beta_1) * g
    s["v"] = beta_2 * s["v"] + (1 - beta_2) * g**2
    return s["m"] / (1 - beta_1**t), s["v"] / (1 - beta_2**t)


def ref_adam(beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    def step(t, theta, g, s, lr, is_weight):
        m_hat, v_hat = _adam_moments(s, g, t, beta_1, beta_2)
        return theta - lr * m_hat / (np.sqrt(v_hat) + epsilon), lr / (
            np.sqrt(v_hat) + epsilon
        )

    return step


def ref_nadam(beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    def step(t, theta, g, s, lr, is_weight):
        m_hat, v_hat = _adam_moments(s, g, t, beta_1, beta_2)
        direction = beta_1 * m_hat + (1 - beta_1) * g / (1 - beta_1**t)
        return theta - lr * direction / (np.sqrt(v_hat) + epsilon), lr / (
            np.sqrt(v_hat) + epsilon
        )

    return step


# the math page (docs/user_guide/math.rst): "Adam on the data-loss gradient, then the decoupled decay
# theta <- theta - lr * weight_decay * theta (weights only)". skreg's AdamW
# multiplies the weights *after* the Adam step by (1 - lr * weight_decay); the
# paper (Loshchilov & Hutter 2019, Algorithm 2, line 12) decays the weights of
# *before* the step, theta_t = theta_{t-1} - lr * (direction + wd * theta_{t-1}),
# a difference of lr^2 * wd * direction per step. Set to True if optimizers.py
# adopts the paper's order.
ADAMW_DECAY_BEFORE_STEP = True


def ref_adamw(beta_1=0.9, beta_2=0.999, epsilon=1e-8, weight_decay=0.01):
    def step(t, theta, g, s, lr, is_weight):
        m_hat, v_hat = _adam_moments(s, g, t, beta_1, beta_2)
        direction = m_hat / (np.sqrt(v_hat) + epsilon)
        if not is_weight:
            new = theta - lr * direction
        elif ADAMW_DECAY_BEFORE_STEP:
            new = theta - lr * (direction + weight_decay * theta)
        else:
            new = theta - lr * direction
            new = new - lr * weight_decay * new
        return new, lr / (np.sqrt(v_hat) + epsilon)

    return step


REFERENCES = {
    SGD: ref_sgd,
    Momentum: ref_momentum,
    Nesterov: ref_nesterov,
    Adagrad: ref_adagrad,
    Adadelta: ref_adadelta,
    RMSprop: ref_rmsprop,
    Adam: ref_adam,
    Nadam: ref_nadam,
    AdamW: ref_adamw,
}

# Defaults, and non-default settings that show each setting is used.
CASES = [
    (SGD, {}),
    (Momentum, {}),
    (Momentum, {"momentum": 0.5}),
    (Nesterov, {}),
    (Nesterov, {"momentum": 0.5}),
    (Adagrad, {}),
    (Adagrad, {"epsilon": 1e-3}),
    (Adadelta, {}),
    (Adadelta, {"rho": 0.8, "epsilon": 1e-3}),
    (RMSprop, {}),
    (RMSprop, {"rho": 0.5, "epsilon": 1e-3}),
    (Adam, {}),
    (Adam, {"beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3}),
    (Nadam, {}),
    (Nadam, {"beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3}),
    (AdamW, {}),
    (AdamW, {"beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3, "weight_decay": 0.3}),
]
CASE_IDS = [
    f"{cls.__name__}({','.join(f'{k}={v}' for k, v in kw.items())})" for cls, kw in CASES
]

# A learning rate per step, as a schedule would give: the rate is an argument
# of every step, not part of the state.
LRS = [0.1, 0.05, 0.08, 0.02, 0.1, 0.03]


def _tiny_problem(dtype=np.float64):
    """A weight matrix and a bias vector, and a non-quadratic gradient whose
    coordinates span several orders of magnitude (one is exactly zero)."""
    rng = np.random.default_rng(0)
    W = rng.normal(size=(3, 2)).astype(dtype)
    b = rng.normal(size=2).astype(dtype)
    scales = [np.array([[1e-3, 1.0], [10.0, 0.0], [0.3, 3.0]]), np.array([0.5, 2.0])]
    targets = [rng.normal(size=(3, 2)), rng.normal(size=2)]

    def grad(params):
        return [
            (c * (p - target) + 0.1 * np.sin(3 * p) * (c > 0)).astype(p.dtype)
            for p, c, target in zip(params, scales, targets)
        ]

    return [W, b], grad


def _reference_run(step, params, grad, lrs, is_weight):
    """Run ``step`` over ``lrs``; return the parameters and step sizes after
    every step."""
    params = [p.copy() for p in params]
    states = [{k: np.zeros_like(p) for k in ("v", "G", "Eg2", "Ed2", "m")} for p in params]
    history = []
    for t, lr in enumerate(lrs, start=1):
        grads = grad(params)
        new = [step(t, p, g, s, lr, w) for p, g, s, w in zip(params, grads, states, is_weight)]
        params = [theta for theta, _ in new]
        history.append(([p.copy() for p in params], [eff for _, eff in new]))
    return history


def _skreg_run(opt, params, grad, lrs, is_weight, return_steps):
    params = [p.copy() for p in params]
    state = opt.init_state(params)
    history = []
    for lr in lrs:
        ids = [id(p) for p in params]
        steps = opt.update(params, grad(params), state, lr, is_weight, return_steps=return_steps)
        assert [id(p) for p in params] == ids  # in place: the estimator relies on it
        history.append(([p.copy() for p in params], steps))
    return history, state


@pytest.mark.parametrize("cls, settings", CASES, ids=CASE_IDS)
def test_update_matches_reference_formula(cls, settings):
    params, grad = _tiny_problem()
    is_weight = [True, False]
    expected = _reference_run(REFERENCES[cls](**settings), params, grad, LRS, is_weight)
    got, state = _skreg_run(cls(**settings), params, grad, LRS, is_weight, False)
    for t, ((ref_params, _), (params_t, steps)) in enumerate(zip(expected, got), start=1):
        assert steps is None
        for ref, p in zip(ref_params, params_t):
            np.testing.assert_allclose(p, ref, rtol=1e-10, atol=1e-13, err_msg=f"step {t}")
    assert state["t"] == len(LRS)


STEP_SIZE_CASES = [
    pytest.param(cls, settings, id=case_id) for (cls, settings), case_id in zip(CASES, CASE_IDS)
]


@pytest.mark.parametrize("cls, settings", STEP_SIZE_CASES)
def test_step_sizes_match_reference(cls, settings):
    """``return_steps=True`` gives the per-coordinate step of the gradient:
    lr for SGD, lr / (1 - momentum) for Momentum and Nesterov (see
    ref_momentum), lr / (sqrt(G) + eps) for Adagrad,
    lr * sqrt(E[d^2] + eps) / sqrt(E[g^2] + eps) for Adadelta,
    lr / (sqrt(E[g^2]) + eps) for RMSprop, lr / (sqrt(v_hat) + eps) for the
    Adam family; asking for them does not change the update."""
    params, grad = _tiny_problem()
    is_weight = [True, False]
    expected = _reference_run(REFERENCES[cls](**settings), params, grad, LRS, is_weight)
    got, _ = _skreg_run(cls(**settings), params, grad, LRS, is_weight, True)
    for t, ((ref_params, ref_steps), (params_t, steps)) in enumerate(zip(expected, got), start=1):
        assert len(steps) == len(params)
        for ref, p in zip(ref_params, params_t):
            np.testing.assert_allclose(p, ref, rtol=1e-10, atol=1e-13, err_msg=f"step {t}")
        for ref, s, p in zip(ref_steps, steps, params_t):
            s = np.broadcast_to(np.asarray(s, dtype=float), p.shape)
            np.testing.assert_allclose(s, ref, rtol=1e-10, err_msg=f"step {t}")


@pytest.mark.parametrize("cls, settings", CASES, ids=CASE_IDS)
def test_float32_parameters_stay_float32(cls, settings):
    params, grad = _tiny_problem(np.float32)
    params64 = [p.astype(np.float64) for p in params]
    expected = _reference_run(REFERENCES[cls](**settings), params64, grad, LRS, [True, False])
    got, _ = _skreg_run(cls(**settings), params, grad, LRS, [True, False], True)
    for (ref_params, _), (params_t, steps) in zip(expected, got):
        for ref, p, step in zip(ref_params, params_t, steps):
            assert p.dtype == np.float32
            assert np.all(np.isfinite(step))
            np.testing.assert_allclose(p, ref, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("layout", ["large", "fortran", "strided"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls, settings", CASES[::2], ids=CASE_IDS[::2])
def test_update_matches_reference_on_large_and_non_contiguous_arrays(
    cls, settings, dtype, layout
):
    """Arrays larger than any cache-sized block (200 x 201 has a partial last
    block for every block size that is a power of two), Fortran-ordered
    arrays and strided views: same arithmetic as the small C-ordered case."""
    rng = np.random.default_rng(1)
    shape = (200, 201) if layout == "large" else (7, 5)
    scale = np.exp(rng.uniform(-5, 3, size=shape))
    target = rng.normal(size=shape)
    W0 = rng.normal(size=shape)

    def grad(params):
        return [(scale * (params[0] - target) + 0.1 * np.cos(params[0])).astype(dtype)]

    expected = _reference_run(REFERENCES[cls](**settings), [W0], grad, LRS[:3], [True])
    if layout == "fortran":
        params = [np.asfortranarray(W0, dtype=dtype)]
    elif layout == "strided":
        params = [np.zeros((14, 10), dtype=dtype)[::2, ::2]]
        params[0][...] = W0
    else:
        params = [W0.astype(dtype)]
    opt = cls(**settings)
    state = opt.init_state(params)
    # float32: the gradients themselves differ from the float64 reference's
    # by float32 rounding, which lr / (sqrt(v) + eps) amplifies where v is tiny
    rtol = 1e-10 if dtype == np.float64 else 2e-3
    for lr, (ref_params, ref_steps) in zip(LRS, expected):
        g = grad(params)
        if layout == "fortran":
            g = [np.asfortranarray(g[0])]
        steps = opt.update(params, g, state, lr, [True], return_steps=True)
        np.testing.assert_allclose(params[0], ref_params[0], rtol=rtol, atol=rtol * 1e-2)
        if cls not in (SGD, Momentum, Nesterov):  # per-coordinate steps
            np.testing.assert_allclose(
                np.broadcast_to(steps[0], shape), ref_steps[0], rtol=rtol
            )
        assert params[0].dtype == dtype


@pytest.mark.parametrize("cls", list(REFERENCES), ids=lambda c: c.__name__)
def test_init_state_is_zero_and_update_leaves_the_object_alone(cls):
    opt = cls()
    before = copy.deepcopy(vars(opt))
    params, grad = _tiny_problem()
    state = opt.init_state(params)
    assert state["t"] == 0
    for key, arrays in state.items():
        if key != "t":
            assert len(arrays) == len(params)
            for a, p in zip(arrays, params):
                assert a.shape == p.shape and not a.any()
    opt.update(params, grad(params), state, 0.1, [True, False])
    assert vars(opt).keys() == before.keys()
    assert opt.get_params() == EXPECTED_PARAMS[cls]


# -- convergence on a convex quadratic ---------------------------------------

# (optimizer, lr0, power: lr_t = lr0 / t**power, steps, tolerance on max |theta - theta*|)
QUADRATIC_SETTINGS = [
    (SGD(), 0.5, 0.0, 300, 1e-8),
    (Momentum(), 0.1, 0.0, 500, 1e-8),
    (Nesterov(), 0.1, 0.0, 500, 1e-8),
    (Adagrad(), 0.5, 0.0, 300, 1e-8),
    (Adadelta(), 1.0, 0.0, 1000, 1e-8),
    # RMSprop has no bias correction or momentum: at a constant rate it ends
    # in a limit cycle of amplitude ~lr/2 around the minimum, so decay the rate.
    (RMSprop(), 0.05, 0.5, 2000, 1e-3),
    (Adam(), 0.05, 0.0, 1000, 1e-8),
    (Nadam(), 0.05, 0.0, 1000, 1e-8),
    (AdamW(weight_decay=0.0), 0.05, 0.0, 1000, 1e-8),
]


@pytest.mark.parametrize(
    "opt, lr0, power, n_steps, tol", QUADRATIC_SETTINGS, ids=lambda v: repr(v)
)
def test_converges_on_convex_quadratic(opt, lr0, power, n_steps, tol):
    """Gradient ``A (theta - theta*)`` with A symmetric positive definite
    (eigenvalues 0.2 .. 1.5): every optimizer drives theta to theta*."""
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    A = Q @ np.diag([0.2, 0.5, 1.0, 1.5]) @ Q.T
    W_star, b_star = rng.normal(size=(4, 3)), rng.normal(size=4)
    params = [np.zeros((4, 3)), np.zeros(4)]
    state = opt.init_state(params)
    start = max(np.abs(W_star).max(), np.abs(b_star).max())
    for t in range(1, n_steps + 1):
        W, b = params
        grads = [A @ (W - W_star), A @ (b - b_star)]
        opt.update(params, grads, state, lr0 / t**power, [True, False])
    error = max(np.abs(params[0] - W_star).max(), np.abs(params[1] - b_star).max())
    assert error < tol < start


def test_rmsprop_constant_rate_stays_within_its_step_of_the_minimum():
    """The limit cycle the schedule above avoids: bounded by the rate."""
    opt, lr = RMSprop(), 0.01
    rng = np.random.default_rng(0)
    A = np.diag([0.2, 0.5, 1.0, 1.5])
    theta_star = rng.normal(size=4)
    params = [np.zeros(4)]
    state = opt.init_state(params)
    for _ in range(2000):
        opt.update(params, [A @ (params[0] - theta_star)], state, lr, [True])
    assert np.abs(params[0] - theta_star).max() <= lr


# -- settings objects ---------------------------------------------------------


@pytest.mark.parametrize("cls", list(EXPECTED_PARAMS), ids=lambda c: c.__name__)
def test_get_set_params_and_clone(cls):
    opt = cls()
    assert opt.get_params() == EXPECTED_PARAMS[cls]
    assert OPTIMIZERS[cls.__name__.lower()] is cls
    if EXPECTED_PARAMS[cls]:
        name = next(iter(EXPECTED_PARAMS[cls]))
        new_value = EXPECTED_PARAMS[cls][name] / 2
        assert opt.set_params(**{name: new_value}) is opt
        assert getattr(opt, name) == new_value
        copied = clone(opt)
        assert copied is not opt and copied.get_params() == opt.get_params()
    with pytest.raises(ValueError):
        opt.set_params(not_a_setting=1)
    repr(opt)


INVALID_SETTINGS = [
    (Momentum, {"momentum": 1.0}),
    (Momentum, {"momentum": -0.1}),
    (Nesterov, {"momentum": 1.5}),
    (Adagrad, {"epsilon": 0.0}),
    (Adadelta, {"rho": 1.0}),
    (Adadelta, {"epsilon": -1e-6}),
    (RMSprop, {"rho": 1.0}),
    (Adam, {"beta_1": 1.0}),
    (Adam, {"beta_2": 1.0}),
    (Nadam, {"epsilon": 0.0}),
    (AdamW, {"weight_decay": -0.1}),
    (AdamW, {"weight_decay_schedule": "cosine"}),
    (LBFGS, {"max_fun": 0}),
]


@pytest.mark.parametrize(
    "cls, settings", INVALID_SETTINGS, ids=[f"{c.__name__}-{s}" for c, s in INVALID_SETTINGS]
)
def test_invalid_optimizer_settings_are_refused(cls, settings):
    X, y = _small_regression()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ValueError, match=next(iter(settings))):
            MLPRegressor((3,), optimizer=cls(**settings), max_iter=3).fit(X, y)


def test_estimator_exposes_nested_optimizer_params():
    est = MLPClassifier(optimizer=Adam(beta_1=0.8))
    params = est.get_params(deep=True)
    assert params["optimizer__beta_1"] == 0.8
    est.set_params(optimizer__beta_2=0.99)
    assert est.optimizer.beta_2 == 0.99
    cloned = clone(est)
    assert cloned.optimizer is not est.optimizer
    assert cloned.optimizer.get_params() == est.optimizer.get_params()


def _small_regression(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + np.sin(X[:, 0]) + 0.1 * rng.normal(size=n)
    return X, y


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_fit_leaves_no_state_on_the_optimizer_object(name):
    X, y = _small_regression()
    opt = OPTIMIZERS[name]()
    before = pickle.dumps(opt)
    params = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0, batch_size=20)
    est = MLPRegressor(optimizer=opt, **params).fit(X, y)
    if opt.is_stochastic:
        est.partial_fit(X, y)
        est.set_params(warm_start=True).fit(X, y)
    assert pickle.dumps(opt) == before
    assert est.optimizer is opt
    # a name is the class with its default settings
    by_name = MLPRegressor(optimizer=name, **params).fit(X, y)
    fresh = MLPRegressor(optimizer=OPTIMIZERS[name](), **params).fit(X, y)
    for W1, W2 in zip(by_name.coefs_, fresh.coefs_):
        np.testing.assert_array_equal(W1, W2)
    # one object shared by two estimators: no leak from one fit to the other
    shared = OPTIMIZERS[name]()
    MLPRegressor(optimizer=shared, **params).fit(X[::-1], y[::-1])
    second = MLPRegressor(optimizer=shared, **params).fit(X, y)
    for W1, W2 in zip(second.coefs_, fresh.coefs_):
        np.testing.assert_array_equal(W1, W2)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", STOCHASTIC)
def test_state_lives_on_the_estimator_and_continues(name):
    """Without shuffling nothing random happens after initialization, so six
    epochs in one fit equal 3 + 3 with warm_start and 6 partial_fit calls: the
    optimizer state (moments, step count) carries over."""
    X, y = _small_regression()
    params = dict(
        hidden_layer_sizes=(5,), optimizer=name, shuffle=False, batch_size=20,
        random_state=0, tol=0.0, n_iter_no_change=100,
    )
    once = MLPRegressor(max_iter=6, **params).fit(X, y)
    warm = MLPRegressor(max_iter=3, warm_start=True, **params).fit(X, y)
    assert warm._optimizer_state["t"] == 3 * 3
    warm.fit(X, y)
    partial = MLPRegressor(**params)
    for _ in range(6):
        partial.partial_fit(X, y)
    assert once._optimizer_state["t"] == 6 * 3
    # n_iter_ counts the epochs of the last fit; partial_fit calls add up
    assert warm.n_iter_ == 3 and partial.n_iter_ == 6
    for other in (warm, partial):
        assert len(other.loss_curve_) == 6 and other._optimizer_state["t"] == 18
        for W1, W2 in zip(once.coefs_ + once.intercepts_, other.coefs_ + other.intercepts_):
            np.testing.assert_allclose(W2, W1, rtol=1e-12, atol=1e-14)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_grid_search_over_optimizer_setting(iris):
    X, y = iris
    opt = Adam()
    est = MLPClassifier(
        hidden_layer_sizes=(8,), optimizer=opt, max_iter=20, learning_rate_init=0.03,
        random_state=0,
    )
    search = GridSearchCV(est, {"optimizer__beta_1": [0.5, 0.9, 0.99]}, cv=3).fit(X, y)
    assert list(search.cv_results_["param_optimizer__beta_1"]) == [0.5, 0.9, 0.99]
    assert search.best_estimator_.optimizer is not opt
    assert search.best_estimator_.optimizer.beta_1 == search.best_params_["optimizer__beta_1"]
    assert opt.beta_1 == 0.9 and est.optimizer is opt  # the original is untouched
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and len(set(np.round(scores, 10))) > 1


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_grid_search_over_optimizer_objects(iris):
    X, y = iris
    candidates = [Adam(), Nadam(), RMSprop(rho=0.95)]
    est = MLPClassifier(
        hidden_layer_sizes=(8,), optimizer=Adam(), max_iter=20, learning_rate_init=0.03,
        random_state=0,
    )
    search = GridSearchCV(est, {"optimizer": candidates}, cv=3).fit(X, y)
    found = [type(o).__name__ for o in search.cv_results_["param_optimizer"]]
    assert found == ["Adam", "Nadam", "RMSprop"]
    assert search.cv_results_["param_optimizer"][2].rho == 0.95
    assert type(search.best_estimator_.optimizer) in (Adam, Nadam, RMSprop)
    assert all(search.best_estimator_.optimizer is not c for c in candidates)  # cloned
    # each candidate was really used: refitting each gives different weights
    fits = [clone(est).set_params(optimizer=c).fit(X, y).coefs_[0] for c in candidates]
    assert not np.allclose(fits[0], fits[1]) and not np.allclose(fits[0], fits[2])
    best = clone(est).set_params(optimizer=clone(search.best_params_["optimizer"])).fit(X, y)
    np.testing.assert_allclose(best.coefs_[0], search.best_estimator_.coefs_[0])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", STOCHASTIC)
def test_auto_learning_rate_is_the_optimizers_default(name):
    """learning_rate_init="auto": Optimizer.default_learning_rate, ten times
    that for hidden_layer_sizes=() (as the parameter's docstring says)."""
    X, y = _small_regression()
    default = OPTIMIZERS[name].default_learning_rate
    assert default > 0
    for hidden, expected in (((4,), default), ((), 10 * default)):
        est = MLPRegressor(hidden, optimizer=name, max_iter=1, random_state=0).fit(X, y)
        assert est._learning_rate == pytest.approx(expected, rel=1e-15)


# -- L2 penalty versus decoupled weight decay -------------------------------


class DecoupledSGD(BaseEstimator):
    """SGD with decoupled weight decay on weights (not biases), written here
    because skreg only ships the Adam version (AdamW). ``decay_first`` puts
    the decay on the pre-step weights (Loshchilov & Hutter 2019, Algorithm 2,
    line 12; torch.optim.AdamW and optax do the same); otherwise the decay
    multiplies the weights after the step, as skreg's AdamW does."""

    is_stochastic = True
    default_learning_rate = 0.01

    def __init__(self, weight_decay=0.0, decay_first=True):
        self.weight_decay = weight_decay
        self.decay_first = decay_first

    def init_state(self, params):
        return {"t": 0}

    def update(self, params, grads, state, lr, is_weight, return_steps=False):
        state["t"] += 1
        for p, g, w in zip(params, grads, is_weight):
            decay = 1.0 - lr * self.weight_decay if w else 1.0
            if self.decay_first:
                p *= decay
            p -= lr * g
            if not self.decay_first:
                p *= decay
        return [lr] * len(params) if return_steps else None


def _scaled_regression():
    """Features on very different scales, so an adaptive optimizer's
    per-coordinate scaling matters."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4)) * [0.1, 1.0, 3.0, 10.0]
    y = X @ np.array([5.0, 1.0, -0.5, 0.1]) + 0.3 + 0.1 * rng.normal(size=120)
    return X, y


def _linear_fit(X, y, **params):
    common = dict(
        hidden_layer_sizes=(), random_state=0, max_iter=100, tol=0.0,
        n_iter_no_change=1000, batch_size=20, normalize_y=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPRegressor(**common, **params).fit(X, y)


def _ridge(X, y, alpha, sample_weight=None):
    """argmin 0.5 * weighted mean (y - X w - b)^2 + alpha / 2 ||w||^2 (b free)."""
    s = np.ones(len(y)) if sample_weight is None else sample_weight
    s = s / s.sum()
    x_mean, y_mean = s @ X, s @ y
    Xc, yc = X - x_mean, y - y_mean
    w = np.linalg.solve(Xc.T @ (s[:, None] * Xc) + alpha * np.eye(X.shape[1]), Xc.T @ (s * yc))
    return w, y_mean - x_mean @ w


def test_sgd_l2_penalty_equals_decoupled_decay():
    """With plain SGD an L2 penalty *is* weight decay.

    L2 (alpha): ``W <- W - lr * (g + alpha W) = (1 - lr alpha) W - lr g``.
    Decoupled decay on the pre-step weights (the paper's form):
    ``W <- (1 - lr wd) W - lr g`` with the same gradient g (taken at the old
    W), so wd = alpha gives the same weights exactly, step by step (up to
    rounding), and biases, which neither touches, follow. Decay applied *after*
    the step, ``W <- (1 - lr wd)(W - lr g)``, differs by ``lr^2 wd g`` per step:
    close (relative gap O(lr wd)) but not equal.
    """
    X, y = _scaled_regression()
    lr, strength = 1e-2, 0.1
    l2 = _linear_fit(X, y, optimizer=SGD(), alpha=strength, learning_rate_init=lr)
    decayed = _linear_fit(
        X, y, optimizer=DecoupledSGD(strength), alpha=0.0, learning_rate_init=lr
    )
    after = _linear_fit(
        X, y, optimizer=DecoupledSGD(strength, decay_first=False), alpha=0.0,
        learning_rate_init=lr,
    )
    plain = _linear_fit(X, y, optimizer=SGD(), alpha=0.0, learning_rate_init=lr)
    W = l2.coefs_[0]
    np.testing.assert_allclose(decayed.coefs_[0], W, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(decayed.intercepts_[0], l2.intercepts_[0], rtol=1e-12)
    gap = np.abs(after.coefs_[0] - W).max() / np.abs(W).max()
    assert 1e-8 < gap < 10 * lr * strength
    assert np.abs(plain.coefs_[0] - W).max() > 0.1  # the penalty does matter


def test_adam_l2_penalty_differs_from_adamw_decay():
    """With Adam the L2 gradient alpha*W is divided by sqrt(v_hat) like the
    data gradient, so coordinates with small gradients (here the feature of
    scale 0.1) are shrunk far more than by AdamW's uniform decay
    lr * wd * W. Adam + L2 minimizes the ridge objective; AdamW does not."""
    X, y = _scaled_regression()
    lr, strength = 1e-2, 0.1
    l2 = _linear_fit(X, y, optimizer=Adam(), alpha=strength, learning_rate_init=lr)
    adamw = _linear_fit(
        X, y, optimizer=AdamW(weight_decay=strength), alpha=0.0, learning_rate_init=lr
    )
    W_l2, W_adamw = l2.coefs_[0].ravel(), adamw.coefs_[0].ravel()
    assert np.abs(W_l2 - W_adamw).max() > 0.2 * np.abs(W_adamw).max()
    assert abs(W_l2[0]) < 0.5 * abs(W_adamw[0])
    w_ridge, _ = _ridge(X, y, strength)
    assert np.abs(W_l2 - w_ridge).max() < 0.1
    assert np.abs(W_adamw - w_ridge).max() > 1.0
    # AdamW with no decay is Adam
    adam = _linear_fit(X, y, optimizer=Adam(), alpha=0.0, learning_rate_init=lr)
    no_decay = _linear_fit(
        X, y, optimizer=AdamW(weight_decay=0.0), alpha=0.0, learning_rate_init=lr
    )
    np.testing.assert_array_equal(adam.coefs_[0], no_decay.coefs_[0])


def test_adamw_decays_weights_not_biases():
    params = [np.ones((2, 2)), np.ones(2)]
    opt = AdamW(weight_decay=0.5)
    state = opt.init_state(params)
    opt.update(params, [np.zeros((2, 2)), np.zeros(2)], state, 0.1, [True, False])
    np.testing.assert_allclose(params[0], 0.95)
    np.testing.assert_array_equal(params[1], 1.0)


# -- L-BFGS -----------------------------------------------------------------


@pytest.mark.parametrize("sample_weight", [False, True])
@pytest.mark.parametrize("optimizer", ["lbfgs", LBFGS(max_fun=500)], ids=["name", "object"])
def test_lbfgs_matches_closed_form_ridge(optimizer, sample_weight):
    """J = 0.5 * weighted mean (y - Xw - b)^2 + alpha/2 ||w||^2 (the math page (docs/user_guide/math.rst))
    has a closed-form minimizer; scipy's L-BFGS-B on skreg's objective finds it.

    ``tol`` is L-BFGS-B's gtol; its ftol stays at scipy's default (relative
    reduction of J below 2.2e-9 stops it, as in scikit-learn's MLP), so J
    matches to ~1e-9 relative and the weights to ~1e-5."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 5)) + 1.0
    y = X @ rng.normal(size=5) + 2.0 + 0.5 * rng.normal(size=80)
    sw = rng.uniform(0.2, 3.0, size=80) if sample_weight else None
    alpha = 0.3
    est = MLPRegressor(
        hidden_layer_sizes=(), optimizer=optimizer, alpha=alpha, tol=1e-10, random_state=0,
        normalize_y=False,
    ).fit(X, y, sample_weight=sw)
    w, b = _ridge(X, y, alpha, sw)
    np.testing.assert_allclose(est.coefs_[0].ravel(), w, atol=1e-4)
    np.testing.assert_allclose(est.intercepts_[0], [b], atol=1e-4)

    # the same minimum as scipy on the objective written out here
    s = np.ones(80) if sw is None else sw

    def objective(theta):
        r = y - X @ theta[:5] - theta[5]
        return 0.5 * (s @ r**2) / s.sum() + alpha / 2 * theta[:5] @ theta[:5]

    best = scipy.optimize.minimize(objective, np.zeros(6), method="BFGS", tol=1e-12)
    theta = np.r_[est.coefs_[0].ravel(), est.intercepts_[0]]
    assert objective(np.r_[w, b]) == pytest.approx(best.fun, rel=1e-12)
    assert objective(theta) == pytest.approx(best.fun, rel=1e-8)
    assert est.loss_ == pytest.approx(best.fun, rel=1e-8)


def test_lbfgs_matches_logistic_regression():
    """Mean log-loss + alpha/2 ||w||^2 is LogisticRegression's
    C * sum(log-loss) + 1/2 ||w||^2 with C = 1 / (alpha * n)."""
    X, y = load_iris(return_X_y=True)
    X, y = StandardScaler().fit_transform(X[y > 0]), y[y > 0]
    alpha = 0.01
    est = MLPClassifier(
        hidden_layer_sizes=(), optimizer="lbfgs", alpha=alpha, tol=1e-10, random_state=0
    ).fit(X, y)
    ref = LogisticRegression(C=1 / (alpha * len(y)), tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(est.coefs_[0].ravel(), ref.coef_.ravel(), atol=1e-5)
    np.testing.assert_allclose(est.intercepts_[0], ref.intercept_, atol=1e-5)


@pytest.fixture
def count_evaluations(monkeypatch):
    """Count the objective evaluations scipy makes during a fit."""
    counter = {"n": 0}
    real_minimize = skreg.optimizers.minimize

    def counting_minimize(fun, x0, **kwargs):
        def counted(theta):
            counter["n"] += 1
            return fun(theta)

        return real_minimize(counted, x0, **kwargs)

    monkeypatch.setattr(skreg.optimizers, "minimize", counting_minimize)
    return counter


@pytest.mark.parametrize("max_fun", [1, 5, 20])
def test_lbfgs_max_fun_bounds_loss_evaluations(max_fun, count_evaluations):
    """scipy checks max_fun between iterations, so the last iteration's line
    search may overshoot it (by at most maxls=20; in practice by one)."""
    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16
    est = MLPClassifier((10,), optimizer=LBFGS(max_fun=max_fun), tol=0.0, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_fun"):
        est.fit(X, y[:300])
    assert max_fun <= count_evaluations["n"] <= max_fun + 20
    assert est.n_iter_ <= max_fun
    unbounded = count_evaluations["n"]
    count_evaluations["n"] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier((10,), optimizer=LBFGS(), tol=0.0, max_iter=100, random_state=0).fit(
            X, y[:300]
        )
    assert count_evaluations["n"] > unbounded


@pytest.mark.parametrize(
    "param, value",
    [
        ("dropout", 0.2),
        ("dropconnect", 0.2),
        ("noise_std", 0.1),
        ("input_dropout", 0.2),
        ("l1_ratio", 0.5),
    ],
)
@pytest.mark.parametrize("optimizer", ["lbfgs", LBFGS()], ids=["name", "object"])
def test_lbfgs_refuses_noise_and_l1(optimizer, param, value):
    X, y = _small_regression()
    est = MLPRegressor((5,), optimizer=optimizer, alpha=1e-3, **{param: value})
    with pytest.raises(ValueError, match=param):
        est.fit(X, y)


def test_lbfgs_is_not_a_stochastic_optimizer():
    """L-BFGS minimizes the full batch: it has no update chain, no
    stochastic update and no partial_fit."""
    assert not isinstance(LBFGS(), Optimizer)
    assert not hasattr(LBFGS(), "update") and not hasattr(LBFGS(), "transforms")
    assert not hasattr(MLPRegressor(optimizer="lbfgs"), "partial_fit")


# -- every optimizer learns digits ------------------------------------------


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16, y, random_state=0)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_learns_digits(name, digits):
    """Default learning rate (learning_rate_init="auto", the optimizer's
    default_learning_rate), default max_iter=200, hidden (100,). Measured
    accuracies are in docs/optimizers_table.md (0.92 for SGD, 0.96-0.98 for
    the others)."""
    X_train, X_test, y_train, y_test = digits
    est = MLPClassifier(optimizer=name, random_state=0).fit(X_train, y_train)
    assert est.max_iter == 200 and est.learning_rate_init == "auto"
    assert est.score(X_test, y_test) > 0.9
