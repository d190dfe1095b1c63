"""normalize_y: the regressor standardizes its targets internally, and the
output biases start at the best constant prediction of the training targets."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skreg import MLPClassifier, MLPRegressor, MLPRegressorCV
from skreg.network import PRIOR_FLOOR, constant_output_bias

X, Y = make_regression(n_samples=80, n_features=5, n_targets=2, noise=5.0, random_state=0)
y = Y[:, 0]
W = np.random.default_rng(0).uniform(0.2, 3.0, len(y))


def _fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


COMMON = dict(hidden_layer_sizes=(8,), alpha=1e-2, learning_rate_init=0.01, max_iter=30,
              random_state=0)


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_predictions_do_not_depend_on_the_units_of_y(optimizer):
    small = _fit(MLPRegressor(**COMMON, optimizer=optimizer), X, y, sample_weight=W)
    large = _fit(MLPRegressor(**COMMON, optimizer=optimizer), X, 1000 * y + 5,
                 sample_weight=W)
    assert_allclose(large.predict(X), 1000 * small.predict(X) + 5, rtol=1e-6, atol=1e-6)
    # the reported losses are those of the standardized targets: the same
    assert_allclose(large.loss_curve_, small.loss_curve_, rtol=1e-6)
    # without it, the same alpha means something else for the larger units
    raw_small = _fit(MLPRegressor(**COMMON, normalize_y=False), X, y)
    raw_large = _fit(MLPRegressor(**COMMON, normalize_y=False), X, 1000 * y + 5)
    gap = np.abs(raw_large.predict(X) - (1000 * raw_small.predict(X) + 5)).max()
    assert gap > 1.0


def test_equals_a_standard_scaler_on_y():
    scaler = StandardScaler().fit(Y)
    manual = _fit(MLPRegressor(**COMMON, normalize_y=False), X, scaler.transform(Y))
    auto = _fit(MLPRegressor(**COMMON), X, Y)
    assert_allclose(auto._y_shift, scaler.mean_, rtol=1e-12)
    assert_allclose(auto._y_scale, scaler.scale_, rtol=1e-12)  # per column
    assert_allclose(auto.predict(X), scaler.inverse_transform(manual.predict(X)),
                    rtol=1e-9, atol=1e-9)
    assert_allclose(auto.loss_curve_, manual.loss_curve_, rtol=1e-9)


def test_weighted_mean_and_std():
    est = _fit(MLPRegressor(**COMMON), X, y, sample_weight=W)
    mean = np.average(y, weights=W)
    assert_allclose(est._y_shift, [mean], rtol=1e-12)
    assert_allclose(est._y_scale, [np.sqrt(np.average((y - mean) ** 2, weights=W))],
                    rtol=1e-12)


def test_poisson_is_scaled_by_the_mean_without_centering():
    counts = np.random.default_rng(0).poisson(np.exp(X[:, 0] / 100), size=len(y)) * 3.0
    small = _fit(MLPRegressor(**COMMON, loss="poisson"), X, counts, sample_weight=W)
    assert_array_equal(small._y_shift, [0.0])
    assert_allclose(small._y_scale, [np.average(counts, weights=W)], rtol=1e-12)
    large = _fit(MLPRegressor(**COMMON, loss="poisson"), X, 1000 * counts, sample_weight=W)
    assert_allclose(large.predict(X), 1000 * small.predict(X), rtol=1e-6)
    assert small.predict(X).min() > 0


def test_mc_dropout_std_is_scaled_back():
    est = _fit(MLPRegressor(**dict(COMMON, dropout=0.3, mc_samples=20)), X, 1000 * y + 5)
    mean, std = est.predict(X[:10], return_std=True)
    passes = np.stack(est._mc_raw_outputs(X[:10]))[:, :, 0]
    scale, shift = est._y_scale[0], est._y_shift[0]
    assert_allclose(mean, passes.mean(axis=0) * scale + shift, rtol=1e-9)
    assert_allclose(std, passes.std(axis=0) * scale, rtol=1e-9)
    assert std.min() > 0


def test_partial_fit_and_warm_start_keep_the_first_scaling():
    est = MLPRegressor((4,), random_state=0).partial_fit(X[:40], y[:40])
    shift, scale = est._y_shift.copy(), est._y_scale.copy()
    est.partial_fit(X[40:], 10 * y[40:] + 3)
    assert_array_equal(est._y_shift, shift)
    assert_array_equal(est._y_scale, scale)
    warm = _fit(MLPRegressor((4,), max_iter=3, warm_start=True, random_state=0), X, y)
    shift = warm._y_shift.copy()
    _fit(warm, X, y + 100)
    assert_array_equal(warm._y_shift, shift)


def test_constant_target_is_predicted():
    est = _fit(MLPRegressor((4,), optimizer="lbfgs", random_state=0), X, np.full(len(y), 7.5))
    assert_array_equal(est._y_scale, [1.0])
    assert_allclose(est.predict(X), 7.5, atol=0.02)


def test_off_is_the_raw_target():
    est = _fit(MLPRegressor((4,), max_iter=3, normalize_y=False, random_state=0), X, y)
    assert est._y_scale is None
    with pytest.raises(ValueError, match="normalize_y"):
        MLPRegressor(normalize_y="yes").fit(X, y)


def test_cv_estimator_passes_normalize_y():
    cv = _fit(MLPRegressorCV((4,), alphas=[1e-3, 1e-1], cv=2, max_iter=5, random_state=0),
              X, 1000 * y)
    assert_allclose(cv._y_scale, [1000 * y.std()], rtol=1e-12)
    # the grid of alphas is scale-free: the null loss of standardized targets is 1/2
    grid = MLPRegressorCV((4,), alphas=3, cv=2, max_iter=2, random_state=0)
    _fit(grid, X, 1000 * y)
    other = _fit(MLPRegressorCV((4,), alphas=3, cv=2, max_iter=2, random_state=0), X, y)
    assert_allclose(grid.alphas_, other.alphas_, rtol=1e-9)


# -- output-bias initialization ------------------------------------------------------
def _start(est, X, y, **kwargs):
    """The network after one epoch of steps too small to move it."""
    est.set_params(optimizer="sgd", learning_rate_init=1e-14, max_iter=1, alpha=0.0)
    return _fit(est, X, y, **kwargs)


def test_regressor_output_bias_starts_at_the_weighted_mean():
    raw = _start(MLPRegressor((4,), normalize_y=False, random_state=0), X, Y, sample_weight=W)
    assert_allclose(raw.intercepts_[-1], np.average(Y, axis=0, weights=W), rtol=1e-9)
    assert_allclose(raw.intercepts_[0], 0.0, atol=1e-12)  # hidden biases start at zero
    scaled = _start(MLPRegressor((4,), random_state=0), X, Y, sample_weight=W)
    assert_allclose(scaled.intercepts_[-1], 0.0, atol=1e-9)
    counts = np.arange(len(y)) % 5 + 1.0
    poisson = _start(MLPRegressor((4,), loss="poisson", normalize_y=False, random_state=0),
                     X, counts, sample_weight=W)
    assert_allclose(poisson.intercepts_[-1], [np.log(np.average(counts, weights=W))],
                    rtol=1e-9)


def test_classifier_output_bias_starts_at_the_class_log_prior():
    labels = np.array([0] * 50 + [1] * 20 + [2] * 10)
    clf = _start(MLPClassifier((4,), random_state=0), X, labels, sample_weight=W)
    prior = np.array([W[labels == k].sum() for k in range(3)]) / W.sum()
    assert_allclose(clf.intercepts_[-1], np.log(prior), rtol=1e-9)
    binary = _start(MLPClassifier((4,), class_weight={0: 1.0, 1: 3.0}, random_state=0),
                    X, labels.clip(0, 1))
    rate = 30 * 3.0 / (30 * 3.0 + 50)
    assert_allclose(binary.intercepts_[-1], [np.log(rate / (1 - rate))], rtol=1e-9)
    # with label smoothing, the prior of the smoothed targets
    smooth = _start(MLPClassifier((4,), label_smoothing=0.3, random_state=0), X, labels)
    counts = np.bincount(labels) / len(labels)
    assert_allclose(smooth.intercepts_[-1], np.log(0.7 * counts + 0.1), rtol=1e-9)


def test_constant_output_bias_clips_absent_classes():
    Y = np.eye(3)[[0, 0, 1, 1]]
    bias = constant_output_bias("softmax", Y, np.ones(4))
    assert_allclose(bias, np.log([0.5, 0.5, PRIOR_FLOOR]))
    bias = constant_output_bias("logistic", np.ones((4, 1)), np.ones(4))
    assert_allclose(bias, [np.log((1 - PRIOR_FLOOR) / PRIOR_FLOOR)])
    assert_array_equal(constant_output_bias("exp", np.zeros((4, 1)), np.ones(4)), [0.0])


def test_warm_start_and_later_partial_fit_keep_the_biases(monkeypatch):
    calls = []
    original = MLPRegressor._initial_output_bias

    def spy(self, Y, sample_weight):
        calls.append(Y.copy())
        return original(self, Y, sample_weight)

    monkeypatch.setattr(MLPRegressor, "_initial_output_bias", spy)
    warm = _fit(MLPRegressor((4,), max_iter=2, warm_start=True, random_state=0), X, y)
    _fit(warm, X, y + 1000)
    assert len(calls) == 1  # the warm-started fit continues from the fitted biases
    est = MLPRegressor((4,), normalize_y=False, learning_rate_init=1e-14, optimizer="sgd",
                       random_state=0).partial_fit(X[:40], y[:40])
    first = est.intercepts_[-1].copy()
    assert_allclose(first, [y[:40].mean()], rtol=1e-9)
    est.partial_fit(X[40:], y[40:] + 1000)
    assert_allclose(est.intercepts_[-1], first, atol=1e-9)
    assert len(calls) == 2
    _fit(warm.set_params(warm_start=False), X, y)
    assert len(calls) == 3  # a new fit starts afresh
