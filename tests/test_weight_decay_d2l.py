"""The weight-decay demo of Dive into Deep Learning (the math page (docs/user_guide/math.rst)), reproduced
with a linear model: hidden_layer_sizes=(), plain SGD, N(0, 1) initial weights.

With lambda = 0 the 200 weights fitted to 20 samples stay large and the model
overfits; with lambda = 3 they shrink to a small norm and the test loss falls.
"""

import numpy as np
import pytest

from skreg import MLPRegressor


def _synthetic(n, rng):
    X = rng.normal(size=(n, 200))
    y = 0.05 + 0.01 * X.sum(axis=1) + rng.normal(0.0, 0.01, size=n)
    return X, y


def normal_init(fan_in, fan_out, rng):
    return rng.normal(size=(fan_in, fan_out))


def _half_mse(model, X, y):
    return 0.5 * np.mean((model.predict(X) - y) ** 2)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_d2l_weight_decay_table(seed):
    rng = np.random.default_rng(seed)
    X_train, y_train = _synthetic(20, rng)
    X_test, y_test = _synthetic(100, rng)
    rows = {}
    for lam in (0.0, 3.0):
        model = MLPRegressor(
            hidden_layer_sizes=(), optimizer="sgd", learning_rate_init=0.003, batch_size=5,
            max_iter=100, tol=0.0, alpha=lam, init=normal_init, random_state=seed,
        ).fit(X_train, y_train)
        rows[lam] = (
            np.linalg.norm(model.coefs_[0]),
            _half_mse(model, X_train, y_train),
            _half_mse(model, X_test, y_test),
        )
    norm0, train0, test0 = rows[0.0]
    norm3, train3, test3 = rows[3.0]
    assert 11 <= norm0 <= 17  # about sqrt(200) = 14.1, the N(0, 1) start barely moves
    assert test0 > 1000 * train0  # far above the training loss: overfitting
    assert 0.3 <= norm3 <= 0.5
    assert test3 < 0.2 and test3 < test0 / 100
