"""Elastic-net penalty and max-norm: the formulas of the math page (docs/user_guide/math.rst), checked by hand
computations, finite differences and scikit-learn's linear models.

The objective of the math page (docs/user_guide/math.rst),

    mean loss + alpha * ((1 - l1_ratio) / 2 * ||W||^2 + l1_ratio * ||W||_1),

is exactly the objective of ``sklearn.linear_model.ElasticNet`` (and ``Lasso``)
for a network without hidden layers, so a converged full-batch fit must land on
sklearn's coefficients, exact zeros included.
"""

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.linear_model import ElasticNet as SkElasticNet
from sklearn.linear_model import Lasso

from skreg import MLPClassifier, MLPRegressor
from skreg.constraints import apply_max_norm
from skreg.penalties import ElasticNet
from skreg.optimizers import AdamW

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

COEFS = [np.array([[1.0, -2.0], [0.0, 3.0]]), np.array([[0.5], [-1.0]])]


# -- value -------------------------------------------------------------------------
def test_value_matches_hand_computation():
    # squared entries: 1 + 4 + 0 + 9 + 0.25 + 1 = 15.25; absolute: 1 + 2 + 0 + 3 + 0.5 + 1 = 7.5
    alpha, l1_ratio = 0.3, 0.25
    expected = alpha * ((1 - l1_ratio) / 2 * 15.25 + l1_ratio * 7.5)
    assert ElasticNet(alpha, l1_ratio).value(COEFS) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("l1_ratio, expected", [(0.0, 0.5 * 15.25), (1.0, 7.5)])
def test_value_pure_l2_and_pure_l1(l1_ratio, expected):
    assert ElasticNet(2.0, l1_ratio).value(COEFS) == pytest.approx(2.0 * expected)


def test_l2_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(4, 3))
    pen = ElasticNet(alpha=0.7, l1_ratio=0.4)
    grad = pen.add_gradient(W, np.zeros_like(W))
    # the L2 part of the value, differentiated numerically
    l2 = ElasticNet(alpha=0.7 * 0.6, l1_ratio=0.0)
    h = 1e-6
    numeric = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        Wp, Wm = W.copy(), W.copy()
        Wp[idx] += h
        Wm[idx] -= h
        numeric[idx] = (l2.value([Wp]) - l2.value([Wm])) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-7, atol=1e-9)


def test_add_gradient_adds_in_place():
    W = np.array([[1.0, -2.0]])
    grad = np.array([[10.0, 10.0]])
    out = ElasticNet(alpha=0.5, l1_ratio=0.2).add_gradient(W, grad)
    assert out is grad
    np.testing.assert_allclose(grad, [[10.0 + 0.4, 10.0 - 0.8]])


# -- prox ---------------------------------------------------------------------------
def _soft_threshold(W, threshold):
    """the math page (docs/user_guide/math.rst): sign(W) * max(|W| - threshold, 0)."""
    return np.sign(W) * np.maximum(np.abs(W) - threshold, 0.0)


def test_prox_scalar_step_is_soft_threshold():
    rng = np.random.default_rng(1)
    W = rng.normal(size=(20, 7))
    alpha, l1_ratio, step = 0.8, 0.5, 0.9
    expected = _soft_threshold(W, step * alpha * l1_ratio)
    out = ElasticNet(alpha, l1_ratio).prox(W, step)
    assert out is W  # in place
    np.testing.assert_array_equal(W, expected)


def test_prox_per_coordinate_step():
    rng = np.random.default_rng(2)
    W = rng.normal(size=(6, 5))
    steps = rng.uniform(0.0, 3.0, size=W.shape)
    expected = _soft_threshold(W, steps * 0.5)
    ElasticNet(alpha=0.5, l1_ratio=1.0).prox(W, steps)
    np.testing.assert_array_equal(W, expected)
    # each coordinate used its own threshold: some survive, some do not
    assert 0 < np.count_nonzero(W) < W.size


def test_prox_gives_exact_zeros_and_keeps_signs():
    W = np.array([[0.3, -0.3, 0.5, -0.5, 1e-300, -2.0]])
    ElasticNet(alpha=1.0, l1_ratio=1.0).prox(W, 0.4)
    np.testing.assert_array_equal(W == 0.0, [[True, True, False, False, True, False]])
    np.testing.assert_allclose(W, [[0.0, 0.0, 0.1, -0.1, 0.0, -1.6]], atol=1e-15)


def test_prox_is_the_minimizer_of_the_l1_proximal_problem():
    # prox_t(v) = argmin_u 1/2 (u - v)^2 + t |u|; check against a fine grid
    grid = np.linspace(-3, 3, 60001)
    for v in (-2.1, -0.2, 0.0, 0.35, 1.7):
        t = 0.4
        u = ElasticNet(alpha=1.0, l1_ratio=1.0).prox(np.array([v]), t)[0]
        best = grid[np.argmin(0.5 * (grid - v) ** 2 + t * np.abs(grid))]
        assert u == pytest.approx(best, abs=1e-4)


def test_prox_without_l1_is_identity():
    W = np.array([[0.01, -0.01]])
    before = W.copy()
    ElasticNet(alpha=10.0, l1_ratio=0.0).prox(W, 1.0)
    np.testing.assert_array_equal(W, before)


# -- the full objective against sklearn's linear models ---------------------------------
def _zeros(fan_in, fan_out, rng):
    return np.zeros((fan_in, fan_out))


def _linear_problem():
    X, y = make_regression(
        n_samples=100, n_features=10, n_informative=3, noise=5.0, random_state=1
    )
    return (X - X.mean(0)) / X.std(0), y / y.std()


# (optimizer, learning rate): every stochastic optimizer, full batch, started at
# W = 0, so each surviving weight had to be pulled out of an exact zero.
OPTIMIZER_SETTINGS = [
    ("sgd", 0.1),
    ("momentum", 0.05),  # the prox must use the steady-state step lr / (1 - momentum)
    ("nesterov", 0.05),
    ("adagrad", 0.1),
    ("adadelta", 1.0),
    ("rmsprop", 0.01),
    ("adam", 0.01),
    ("nadam", 0.01),
    (AdamW(weight_decay=0.0), 0.01),
]


@pytest.mark.parametrize("alpha, l1_ratio", [(0.1, 1.0), (0.05, 0.5)])
@pytest.mark.parametrize("optimizer, lr", OPTIMIZER_SETTINGS, ids=str)
def test_linear_model_matches_sklearn_elastic_net(optimizer, lr, alpha, l1_ratio):
    """Proximal training converges to sklearn's (Lasso / ElasticNet) solution.

    This checks the L1 threshold against the step each optimizer really takes:
    too small a threshold leaves weights that sklearn sets to zero and too
    little shrinkage on the others.
    """
    X, y = _linear_problem()
    ref = (Lasso(alpha=alpha) if l1_ratio == 1 else SkElasticNet(alpha, l1_ratio=l1_ratio))
    ref.fit(X, y)
    model = MLPRegressor(
        (),
        alpha=alpha,
        l1_ratio=l1_ratio,
        optimizer=optimizer,
        learning_rate_init=lr,
        batch_size=len(X),
        max_iter=2000,
        tol=0.0,
        n_iter_no_change=10**6,
        init=_zeros,
        random_state=0,
    ).fit(X, y)
    w = model.coefs_[0].ravel()
    assert np.count_nonzero(ref.coef_ == 0) >= 5  # the reference is sparse
    np.testing.assert_array_equal(w == 0, ref.coef_ == 0)
    np.testing.assert_allclose(w, ref.coef_, atol=1e-3)


# -- biases are never penalized ----------------------------------------------------------
@pytest.mark.parametrize("l1_ratio", [0.0, 1.0])
def test_huge_alpha_kills_weights_not_intercepts_regressor(l1_ratio):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 4))
    y = 5.0 + X @ [0.5, -0.5, 0.2, 0.0] + 0.1 * rng.normal(size=120)
    model = MLPRegressor(
        (8,), alpha=1e3, l1_ratio=l1_ratio, learning_rate_init=0.01, batch_size=20,
        max_iter=200, random_state=0, normalize_y=False,
    ).fit(X, y)
    weights = np.concatenate([W.ravel() for W in model.coefs_])
    assert np.abs(weights).max() < 1e-3
    if l1_ratio == 1.0:
        assert np.all(weights == 0.0)
    # the network is reduced to its output bias, which must sit at mean(y)
    assert model.intercepts_[-1][0] == pytest.approx(y.mean(), abs=0.05)
    np.testing.assert_allclose(model.predict(X), y.mean(), atol=0.05)


def test_huge_alpha_keeps_class_prior_in_intercept_lbfgs():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 3))
    y = np.array([0] * 150 + [1] * 50)
    model = MLPClassifier((5,), alpha=1e3, optimizer="lbfgs", random_state=0).fit(X, y)
    assert max(np.abs(W).max() for W in model.coefs_) < 1e-3
    # with weights gone, the logistic output is expit(b) = P(y = 1) = 0.25
    assert model.intercepts_[-1][0] == pytest.approx(np.log(0.25 / 0.75), abs=1e-2)


# -- max-norm ------------------------------------------------------------------------
def test_apply_max_norm_matches_formula():
    rng = np.random.default_rng(5)
    W = rng.normal(size=(6, 8)) * rng.uniform(0.1, 2.0, size=8)
    W[:, 3] = 0.0
    c = 1.3
    norms = np.linalg.norm(W, axis=0)
    expected = W * np.where(norms > c, c / np.where(norms > 0, norms, 1.0), 1.0)
    short = norms <= c
    assert short.any() and (~short).any()
    before = W.copy()
    out = apply_max_norm(W, c)
    assert out is W
    np.testing.assert_allclose(W, expected, rtol=1e-14)
    np.testing.assert_array_equal(W[:, short], before[:, short])  # untouched
    np.testing.assert_allclose(np.linalg.norm(W[:, ~short], axis=0), c, rtol=1e-14)
