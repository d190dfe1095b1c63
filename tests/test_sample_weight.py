"""Sample weights: zero weights equal dropped rows, integer weights equal
repeated rows, and the penalty does not depend on the number of samples.

All fits here are full batch (n_samples <= batch_size), so the training is
deterministic and order-independent up to floating-point rounding.
"""

import numpy as np
import pytest

from skreg import MLPClassifier, MLPRegressor

CONFIGS = [
    {"optimizer": "adam"},
    {"optimizer": "sgd", "learning_rate_init": 0.05},
    {"optimizer": "lbfgs"},
    {"optimizer": "adam", "early_stopping": True},
    {"optimizer": "adam", "dropout": 0.3, "input_dropout": 0.1, "noise_std": 0.1},
]


def _data(kind, rng, n=60):
    X = rng.normal(size=(n, 5))
    if kind == "clf":
        return X, (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    return X, X @ [1.0, -1.0, 0.5, 0.0, 2.0] + 0.1 * rng.normal(size=n)


def _fit_pair(Estimator, params, X, y, sw):
    kw = dict(hidden_layer_sizes=(8,), alpha=1e-2, max_iter=60, random_state=0, **params)
    weighted = Estimator(**kw).fit(X, y, sample_weight=sw)
    keep = sw > 0
    repeated = Estimator(**kw).fit(X.repeat(sw, axis=0), y.repeat(sw))
    return weighted, repeated, keep


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("params", CONFIGS, ids=lambda p: "-".join(map(str, p.values())))
@pytest.mark.parametrize("Estimator, kind", [(MLPClassifier, "clf"), (MLPRegressor, "reg")])
def test_integer_weights_equal_repeated_rows(Estimator, kind, params):
    rng = np.random.default_rng(0)
    X, y = _data(kind, rng)
    sw = rng.integers(0, 4, size=len(y))
    weighted, repeated, _ = _fit_pair(Estimator, params, X, y, sw)
    assert weighted.n_iter_ == repeated.n_iter_
    for a, b in zip(weighted.coefs_, repeated.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    method = "predict_proba" if kind == "clf" else "predict"
    np.testing.assert_allclose(
        getattr(weighted, method)(X), getattr(repeated, method)(X), rtol=1e-6, atol=1e-9
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("Estimator, kind", [(MLPClassifier, "clf"), (MLPRegressor, "reg")])
def test_zero_weights_equal_dropped_rows(Estimator, kind):
    rng = np.random.default_rng(1)
    X, y = _data(kind, rng)
    sw = (rng.random(len(y)) > 0.3).astype(float)
    kw = dict(hidden_layer_sizes=(8,), max_iter=50, random_state=0)
    weighted = Estimator(**kw).fit(X, y, sample_weight=sw)
    dropped = Estimator(**kw).fit(X[sw > 0], y[sw > 0])
    for a, b in zip(weighted.coefs_, dropped.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_penalty_does_not_scale_with_n_samples():
    """Every row twice (full batch) is the same objective: mean loss is
    unchanged and the penalty does not depend on n, so the model is too."""
    rng = np.random.default_rng(2)
    X, y = _data("reg", rng, n=50)
    kw = dict(hidden_layer_sizes=(6,), alpha=0.5, max_iter=100, random_state=0)
    once = MLPRegressor(**kw).fit(X, y)
    twice = MLPRegressor(**kw).fit(np.vstack([X, X]), np.concatenate([y, y]))
    for a, b in zip(once.coefs_, twice.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_uniform_weights_change_nothing():
    rng = np.random.default_rng(3)
    X, y = _data("clf", rng)
    kw = dict(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    a = MLPClassifier(**kw).fit(X, y)
    b = MLPClassifier(**kw).fit(X, y, sample_weight=np.full(len(y), 7.5))
    for wa, wb in zip(a.coefs_, b.coefs_):
        np.testing.assert_allclose(wa, wb, rtol=1e-7, atol=1e-10)


def test_negative_or_all_zero_weights_are_refused():
    X, y = _data("reg", np.random.default_rng(4))
    with pytest.raises(ValueError, match="[Nn]egative"):
        MLPRegressor(max_iter=2).fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="weight"):
        MLPRegressor(max_iter=2).fit(X, y, sample_weight=np.zeros(len(y)))
