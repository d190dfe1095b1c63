"""init="data": weights rescaled to unit pre-activation spread on the training
rows, hidden biases at convex combinations of rows (RealMLP's initialization)."""

import numpy as np
import pytest
import scipy.sparse as sp

from skreg import MLPClassifier, MLPRegressor
from skreg.activations import ACTIVATIONS
from skreg.initializers import DATA_INIT_POINTS, DATA_INIT_ROWS, data_dependent_init
from skreg.network import init_parameters


def _pre_activations(coefs, intercepts, X, activation):
    """Each layer's pre-activation without its bias, and with it."""
    act = ACTIVATIONS[activation][0]
    out, H = [], X
    for W, b in zip(coefs, intercepts):
        Z = np.asarray(H @ W)
        out.append((Z.copy(), Z + b))
        H = act(Z + b)
    return out


@pytest.mark.parametrize("activation", ["relu", "selu", "tanh"])
def test_unit_spread_and_biases_inside_the_data(activation):
    rng = np.random.default_rng(0)
    X = rng.normal(loc=3.0, scale=[0.1, 1.0, 10.0, 2.0], size=(500, 4))
    coefs, intercepts = init_parameters([4, 16, 8, 3], "data", rng, np.float64)
    data_dependent_init(coefs, intercepts, X, activation, np.random.default_rng(1))
    layers = _pre_activations(coefs, intercepts, X, activation)
    for k, (Z, Zb) in enumerate(layers):
        np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-10)
        if k < len(layers) - 1:
            # the kink lies between the unit's smallest and largest pre-activation
            assert np.all(-intercepts[k] >= Z.min(axis=0))
            assert np.all(-intercepts[k] <= Z.max(axis=0))
            # so every hidden unit is active on some rows and inactive on others
            assert np.all((Zb > 0).any(axis=0)) and np.all((Zb < 0).any(axis=0))
    np.testing.assert_array_equal(intercepts[-1], 0.0)  # left to the caller


def test_biases_are_convex_combinations_of_rows():
    """The first layer's biases, recomputed from the same draws."""
    X = np.random.default_rng(2).normal(size=(50, 3))
    coefs, intercepts = init_parameters([3, 6, 2], "data", np.random.default_rng(3), np.float64)
    W = coefs[0].copy()
    data_dependent_init(coefs, intercepts, X, "relu", np.random.default_rng(4))
    Z = X @ W
    Z /= Z.std(axis=0)
    rng = np.random.default_rng(4)
    rows = rng.integers(0, 50, size=(6, DATA_INIT_POINTS))
    weights = rng.exponential(1.0, size=(6, DATA_INIT_POINTS))
    weights /= weights.sum(axis=1, keepdims=True)
    expected = -np.array([Z[rows[j], j] @ weights[j] for j in range(6)])
    np.testing.assert_allclose(intercepts[0], expected, rtol=1e-12)
    np.testing.assert_allclose(coefs[0], W / (X @ W).std(axis=0), rtol=1e-12)


def test_sparse_and_dense_inputs_agree_and_large_data_is_subsampled():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(DATA_INIT_ROWS + 100, 3)) * (rng.random((DATA_INIT_ROWS + 100, 3)) < 0.5)
    results = []
    for data in (X, sp.csr_matrix(X)):
        coefs, intercepts = init_parameters([3, 5, 2], "data", np.random.default_rng(6), np.float64)
        data_dependent_init(coefs, intercepts, data, "relu", np.random.default_rng(7))
        results.append((coefs, intercepts))
    for a, b in zip(results[0][0] + results[0][1], results[1][0] + results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    # the spread is one on the subsample, not on all rows
    rows = np.sort(np.random.default_rng(7).choice(len(X), DATA_INIT_ROWS, replace=False))
    np.testing.assert_allclose((X[rows] @ results[0][0][0]).std(axis=0), 1.0, rtol=1e-10)


def test_constant_unit_keeps_its_weights():
    X = np.column_stack([np.ones(30), np.arange(30.0)])
    coefs, intercepts = init_parameters([2, 4, 1], "data", np.random.default_rng(0), np.float64)
    coefs[0][1, 0] = 0.0  # unit 0 sees only the constant column
    before = coefs[0][:, 0].copy()
    data_dependent_init(coefs, intercepts, X, "relu", np.random.default_rng(0))
    np.testing.assert_array_equal(coefs[0][:, 0], before)
    assert np.all(np.isfinite(coefs[1]))


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_estimator_starts_from_the_data(Estimator):
    rng = np.random.default_rng(0)
    X = rng.normal(loc=5.0, scale=4.0, size=(120, 3))
    y = (X[:, 0] > 5).astype(int)
    est = Estimator((7,), init="data", max_iter=1, learning_rate_init=1e-300, tol=0.0,
                    random_state=0)
    with pytest.warns(Warning):  # max_iter=1
        est.fit(X, y)
    # a step of 1e-300 leaves the initialization in place
    Z = X @ est.coefs_[0]
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-8)
    assert np.all(-est.intercepts_[0] >= Z.min(axis=0)) and np.all(-est.intercepts_[0] <= Z.max(axis=0))
    # deterministic per seed; different from the default initialization
    again = Estimator((7,), init="data", max_iter=1, learning_rate_init=1e-300, tol=0.0,
                      random_state=0)
    with pytest.warns(Warning):
        again.fit(X, y)
    np.testing.assert_array_equal(again.coefs_[0], est.coefs_[0])


def test_bad_init_names_the_parameter():
    with pytest.raises(ValueError, match="init"):
        MLPClassifier(init="datum").fit([[0.0], [1.0]], [0, 1])
