"""Initializers: the variance of each preset against the math page's formula,
the uniform bounds, callables used as given, shape errors, zero biases."""

import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.exceptions import ConvergenceWarning

from skreg import MLPClassifier, MLPRegressor
from skreg.initializers import INITIALIZERS, VarianceScaling, draw_weights
from skreg.network import init_parameters
from skreg.optimizers import SGD

# the math page (docs/user_guide/math.rst), "Initialization": the variance of one weight of a
# (fan_in, fan_out) matrix.
VARIANCE = {
    "glorot": lambda fan_in, fan_out: 2.0 / (fan_in + fan_out),
    "he": lambda fan_in, fan_out: 2.0 / fan_in,
    "lecun": lambda fan_in, fan_out: 1.0 / fan_in,
}
PRESETS = [f"{family}_{dist}" for family in VARIANCE for dist in ("uniform", "normal")]
# fan_in != fan_out (and neither is their mean), so a preset using the wrong
# fan is off by a factor of at least 1.5
SHAPES = [(400, 100), (60, 1000)]


def test_the_six_presets_and_one_rule():
    assert sorted(INITIALIZERS) == sorted(PRESETS)
    for name in PRESETS:
        assert isinstance(INITIALIZERS[name], VarianceScaling)
        assert INITIALIZERS[name].distribution == name.split("_")[1]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", PRESETS)
def test_empirical_variance_matches_formula(name, shape):
    """With n = 40 000 - 60 000 draws the sample variance s^2 has standard
    error sigma^2 * sqrt((kurtosis - 1) / n): sqrt(2/n) relative for a normal
    (kurtosis 3), sqrt(0.8/n) for a uniform (kurtosis 1.8). Accept 5 standard
    errors (about 3 % for a normal), far below the factor of 1.5 or more that
    separates the fans. The mean is 0 within 5 standard errors too."""
    fan_in, fan_out = shape
    family, dist = name.split("_")
    expected = VARIANCE[family](fan_in, fan_out)
    W = draw_weights(name, fan_in, fan_out, np.random.default_rng(0), np.float64)
    assert W.shape == shape
    n = W.size
    kurtosis = 3.0 if dist == "normal" else 1.8
    se = expected * np.sqrt((kurtosis - 1) / n)
    assert abs(W.var() - expected) < 5 * se
    assert abs(W.mean()) < 5 * np.sqrt(expected / n)
    assert INITIALIZERS[name].variance(fan_in, fan_out) == pytest.approx(expected)
    # and the shape of the distribution: kurtosis 3 or 1.8 (Fisher: 0 or -1.2)
    assert stats.kurtosis(W.ravel()) == pytest.approx(kurtosis - 3, abs=0.1)


@pytest.mark.parametrize("shape", SHAPES + [(3, 2), (1, 1)], ids=str)
@pytest.mark.parametrize("family", list(VARIANCE))
def test_uniform_bounds(family, shape):
    """Uniform on [-sqrt(3 var), sqrt(3 var)]: glorot sqrt(6/(fan_in+fan_out)),
    he sqrt(6/fan_in), lecun sqrt(3/fan_in); large draws come close to it."""
    fan_in, fan_out = shape
    bound = np.sqrt(3 * VARIANCE[family](fan_in, fan_out))
    rng = np.random.default_rng(1)
    W = draw_weights(f"{family}_uniform", fan_in, fan_out, rng, np.float64)
    assert np.abs(W).max() <= bound
    if W.size > 1000:
        assert W.max() > 0.99 * bound and W.min() < -0.99 * bound


@pytest.mark.parametrize("name", PRESETS)
def test_same_generator_same_draws_float32(name):
    W1 = draw_weights(name, 20, 10, np.random.default_rng(5), np.float32)
    W2 = draw_weights(name, 20, 10, np.random.default_rng(5), np.float32)
    W3 = draw_weights(name, 20, 10, np.random.default_rng(6), np.float32)
    assert W1.dtype == np.float32 and W1.flags.c_contiguous
    np.testing.assert_array_equal(W1, W2)
    assert not np.array_equal(W1, W3)


def test_biases_start_at_zero():
    coefs, intercepts = init_parameters(
        [5, 4, 3, 2], "he_normal", np.random.default_rng(0), np.float64
    )
    assert [W.shape for W in coefs] == [(5, 4), (4, 3), (3, 2)]
    assert [b.shape for b in intercepts] == [(4,), (3,), (2,)]
    for b in intercepts:
        np.testing.assert_array_equal(b, 0.0)


class RecordingInit:
    """A callable initializer: fixed, recognizable values, and a log of calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, fan_in, fan_out, rng):
        self.calls.append((fan_in, fan_out, type(rng)))
        return np.arange(fan_in * fan_out, dtype=float).reshape(fan_in, fan_out) / 100 - 0.2


def _untrained(est, X, y):
    """Fit with a step so small that no weight moves: what is left is the
    initialization."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.set_params(optimizer=SGD(), learning_rate_init=1e-300, max_iter=1).fit(X, y)


def test_callable_is_used_as_given():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 3, size=30)
    init = RecordingInit()
    est = _untrained(MLPClassifier((5, 2), init=init, random_state=0), X, y)
    gen = np.random.Generator
    assert init.calls == [(4, 5, gen), (5, 2, gen), (2, 3, gen)]
    calls = list(init.calls)
    for W, (fan_in, fan_out, _) in zip(est.coefs_, calls):
        np.testing.assert_array_equal(W, init(fan_in, fan_out, None))
    for b in est.intercepts_[:-1]:  # zero, moved by at most 1e-300 * gradient
        # (the output biases start at the class log-prior)
        assert np.abs(b).max() < 1e-290


def test_callable_gets_the_fits_generator():
    """The callable draws from the generator derived from random_state, so a
    random callable is reproducible like the presets."""

    def init(fan_in, fan_out, rng):
        return rng.normal(0.0, 0.1, size=(fan_in, fan_out))

    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20.0)
    a = _untrained(MLPRegressor((4,), init=init, random_state=3), X, y)
    b = _untrained(MLPRegressor((4,), init=init, random_state=3), X, y)
    c = _untrained(MLPRegressor((4,), init=init, random_state=4), X, y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_preset_in_the_estimator():
    """The estimator's first weights are the preset's draw with the fit's
    generator: variance matches the formula on a wide layer."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 300)), rng.normal(size=10)
    est = _untrained(MLPRegressor((200,), init="he_uniform", random_state=0), X, y)
    W = est.coefs_[0]
    assert W.var() == pytest.approx(2 / 300, rel=5 * np.sqrt(0.8 / W.size))
    assert np.abs(W).max() <= np.sqrt(6 / 300)


@pytest.mark.parametrize(
    "bad",
    [
        lambda fan_in, fan_out, rng: np.zeros((fan_out, fan_in)),
        lambda fan_in, fan_out, rng: np.zeros(fan_in * fan_out),
        lambda fan_in, fan_out, rng: np.zeros((fan_in, fan_out, 1)),
        lambda fan_in, fan_out, rng: 0.5,
    ],
    ids=["transposed", "flat", "3d", "scalar"],
)
def test_callable_with_wrong_shape_raises(bad):
    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20.0)
    with pytest.raises(ValueError, match=r"shape \(fan_in, fan_out\) = \(3, 4\)"):
        MLPRegressor((4,), init=bad).fit(X, y)
    with pytest.raises(ValueError, match="shape"):
        draw_weights(bad, 3, 4, np.random.default_rng(0), np.float64)


def test_callable_with_non_finite_values_raises():
    def bad(fan_in, fan_out, rng):
        W = np.zeros((fan_in, fan_out))
        W[0, 0] = np.nan
        return W

    with pytest.raises(ValueError, match="non-finite"):
        MLPRegressor((4,), init=bad).fit(np.ones((5, 3)), np.arange(5.0))


def test_unknown_name_is_refused_by_parameter_validation():
    with pytest.raises(ValueError, match="init"):
        MLPRegressor((4,), init="xavier").fit(np.ones((5, 3)), np.arange(5.0))
