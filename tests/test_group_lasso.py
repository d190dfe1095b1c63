"""Group lasso on the input features (``group_alpha``).

* The proximal step against its closed form (block soft-threshold), with a
  scalar step and with per-coordinate steps (their harmonic mean per row).
* The penalty's value, and the objective that ``loss_curve_`` reports.
* Feature selection on make_regression(300, 40, 5 informative): all five
  informative features survive, at least 30 of the 35 noise rows are exactly
  zero, and R^2 stays above 0.9, for every stochastic optimizer.
* It composes with ``alpha``/``l1_ratio`` and dropout; L-BFGS refuses it.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skreg import MLPClassifier, MLPRegressor
from skreg.penalties import GroupLasso, row_steps


def test_prox_is_the_block_soft_threshold():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(6, 4))
    W[2] *= 1e-3  # a row inside the threshold
    step, strength = 0.3, 0.5
    want = np.array(
        [w * max(0.0, 1.0 - step * strength / np.linalg.norm(w)) for w in W]
    )
    got = GroupLasso(strength).prox(W.copy(), step)
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0)
    assert (got[2] == 0).all()
    # a row exactly at the threshold goes to zero, a zero row stays zero
    W = np.array([[0.15, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(GroupLasso(0.5).prox(W, 0.3), 0.0)


def test_prox_with_per_coordinate_steps_uses_the_rows_harmonic_mean():
    rng = np.random.default_rng(1)
    W = rng.normal(size=(5, 3))
    steps = rng.uniform(0.01, 0.1, size=W.shape)
    steps[0, 0] = 1e5  # a coordinate whose gradient faded: a huge adaptive step
    per_row = 3 / (1 / steps).sum(axis=1)
    np.testing.assert_allclose(row_steps(steps, W.shape), per_row, rtol=1e-15)
    assert per_row[0] < 0.2  # the outlier barely moves the row's step
    want = np.array(
        [w * max(0.0, 1.0 - t * 2.0 / np.linalg.norm(w)) for w, t in zip(W, per_row)]
    )
    np.testing.assert_allclose(GroupLasso(2.0).prox(W.copy(), steps), want, rtol=1e-14)


def test_value_is_the_sum_of_row_norms_of_the_first_layer():
    rng = np.random.default_rng(2)
    coefs = [rng.normal(size=(4, 3)), rng.normal(size=(3, 2))]
    want = 0.7 * sum(np.linalg.norm(row) for row in coefs[0])
    assert GroupLasso(0.7).value(coefs) == pytest.approx(want, rel=1e-14)
    assert GroupLasso(0.0).value(coefs) == 0.0


@pytest.fixture(scope="module")
def sparse_regression():
    X, y, coef = make_regression(
        n_samples=300, n_features=40, n_informative=5, noise=1.0, random_state=0, coef=True
    )
    X = StandardScaler().fit_transform(X)
    return X, (y - y.mean()) / y.std(), coef != 0


LEARNING_RATES = {"sgd": 0.1, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.05,
                  "adadelta": 1.0}


def _select(X, y, optimizer, group_alpha, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPRegressor(
            hidden_layer_sizes=(32,), optimizer=optimizer, group_alpha=group_alpha,
            learning_rate_init=LEARNING_RATES.get(optimizer, "auto"), max_iter=300,
            random_state=0, **params,
        ).fit(X, y)


def _check_selection(est, X, y, informative):
    used = est.used_features_
    assert used[informative].all(), "an informative feature was dropped"
    rows_zero = (est.coefs_[0][~informative] == 0).all(axis=1)
    assert rows_zero.sum() >= 30, f"only {rows_zero.sum()} of 35 noise rows are zero"
    np.testing.assert_array_equal(used[~informative], ~rows_zero)
    assert est.score(X, y) > 0.9


def test_adam_selects_the_informative_features(sparse_regression):
    X, y, informative = sparse_regression
    est = _select(X, y, "adam", 0.05)
    _check_selection(est, X, y, informative)
    dense = _select(X, y, "adam", 0.0)
    assert dense.used_features_.all()  # without the penalty no row is zero


@pytest.mark.slow
@pytest.mark.parametrize(
    "optimizer", ["sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "nadam",
                  "adamw"],
)
def test_every_optimizer_selects_the_informative_features(sparse_regression, optimizer):
    """The row step (harmonic mean) is robust for every rule: with the
    arithmetic mean RMSprop zeroed every row."""
    X, y, informative = sparse_regression
    _check_selection(_select(X, y, optimizer, 0.1), X, y, informative)


def test_composes_with_elastic_net_and_dropout(sparse_regression):
    X, y, informative = sparse_regression
    est = _select(X, y, "adam", 0.05, alpha=1e-3, l1_ratio=0.5, dropout=0.1)
    _check_selection(est, X, y, informative)
    # the L1 part also zeroes single weights inside the surviving rows
    assert (est.coefs_[0][informative] == 0).any() or (est.coefs_[1] == 0).any()


def test_loss_curve_includes_the_group_penalty(sparse_regression):
    """One full-batch epoch: the data loss is taken at the same initial
    weights with and without the penalty, so the two curves differ by the
    penalties of the weights after the step."""
    X, y, _ = sparse_regression

    def fit(group_alpha):
        est = MLPRegressor(hidden_layer_sizes=(8,), group_alpha=group_alpha, max_iter=1,
                           batch_size=300, shuffle=False, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return est.fit(X, y)

    def l2(est):
        return 1e-4 / 2 * sum(float((W**2).sum()) for W in est.coefs_)

    with_group, plain = fit(0.05), fit(0.0)
    group = 0.05 * np.linalg.norm(with_group.coefs_[0], axis=1).sum()
    want = plain.loss_curve_[0] - l2(plain) + l2(with_group) + group
    assert with_group.loss_curve_[0] == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_lbfgs_refuses_group_alpha(Est):
    X = np.random.default_rng(0).normal(size=(20, 3))
    y = np.arange(20) % 2
    with pytest.raises(ValueError, match="group_alpha > 0.*lbfgs.*group_alpha=0"):
        Est(optimizer="lbfgs", group_alpha=0.1).fit(X, y)


@pytest.mark.parametrize("value", [-0.1, "a", None])
def test_invalid_group_alpha_is_refused(value):
    X = np.zeros((4, 2))
    with pytest.raises((ValueError, TypeError), match="group_alpha"):
        MLPRegressor(group_alpha=value).fit(X, np.arange(4.0))
