"""The SELU activation against its definition (Klambauer et al. 2017)."""

import numpy as np
import pytest
from scipy import integrate, stats

from skreg import MLPClassifier
from skreg.activations import ACTIVATIONS, SELU_ALPHA, SELU_SCALE

selu, selu_grad = ACTIVATIONS["selu"]


def _closed_form(z):
    return np.array([SELU_SCALE * (v if v > 0 else SELU_ALPHA * np.expm1(v)) for v in z])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_selu_values_and_slopes(dtype):
    z = np.array([-30.0, -2.5, -1e-3, 0.0, 1e-3, 0.7, 12.0], dtype=dtype)
    a = selu(z.copy())
    assert a.dtype == dtype
    np.testing.assert_allclose(a, _closed_form(z.astype(np.float64)), rtol=1e-6)
    # the left limit is -scale * alpha
    assert selu(np.array([-50.0]))[0] == pytest.approx(-SELU_SCALE * SELU_ALPHA)
    # slopes, written in terms of the output, against the analytic derivative
    slope = selu_grad(a, np.ones_like(a))
    assert slope.dtype == dtype
    zz = z.astype(np.float64)
    want = np.where(zz > 0, SELU_SCALE, SELU_SCALE * SELU_ALPHA * np.exp(zz))
    # (far left the slope comes from a difference of outputs: an absolute error)
    np.testing.assert_allclose(slope, want, rtol=1e-5, atol=1e-6)


def test_selu_works_in_place():
    z = np.array([-1.0, 2.0])
    out = selu(z)
    assert out is z


def test_selu_constants_self_normalize():
    # the fixed point of the paper: a standard normal input keeps mean 0 and variance 1
    mean = integrate.quad(lambda t: selu(np.array([t]))[0] * stats.norm.pdf(t), -np.inf, np.inf)[0]
    second = integrate.quad(lambda t: selu(np.array([t]))[0] ** 2 * stats.norm.pdf(t),
                            -np.inf, np.inf)[0]
    assert mean == pytest.approx(0.0, abs=1e-7)
    assert second == pytest.approx(1.0, abs=1e-7)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_estimator_trains_with_selu():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    est = MLPClassifier((16,), activation="selu", max_iter=150, learning_rate_init=0.02,
                        tol=0.0, random_state=0).fit(X, y)
    assert est.score(X, y) > 0.9
    # predictions use the same activation as training
    relu = MLPClassifier((16,), activation="relu", max_iter=150, learning_rate_init=0.02,
                         tol=0.0, random_state=0).fit(X, y)
    assert not np.allclose(est.predict_proba(X), relu.predict_proba(X))
