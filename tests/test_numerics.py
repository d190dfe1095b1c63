"""Numerics: stable log-softmax and logistic, float32 with large features, and
a huge penalty."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning

from skreg import MLPClassifier, MLPRegressor
from skreg.losses import LogisticCrossEntropy, SoftmaxCrossEntropy
from skreg.optimizers import OPTIMIZERS

HUGE_LOGITS = [0.0, 1.0, 30.0, 800.0, 1e4, 1e30, 1e300]


def exact_log_softmax(z):
    """Reference log-softmax for a row whose largest entry dominates (or not):
    shift by the max, then log-sum-exp of what is left."""
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def exact_log_expit(z):
    """log(1 / (1 + exp(-z))) without overflow: -log1p(exp(-z)) for z >= 0."""
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = -np.log1p(np.exp(-z[pos]))
    out[~pos] = z[~pos] - np.log1p(np.exp(z[~pos]))
    return out


def linear_model(Est_or_est, logits_per_unit, n_outputs, y):
    """A fitted linear classifier whose raw output for the rows of ``eye`` is
    exactly the given logits (hidden_layer_sizes=(), weights set by hand)."""
    est = Est_or_est
    X = np.eye(n_outputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(np.vstack([X] * 4), y)
    est.coefs_[0][...] = logits_per_unit
    est.intercepts_[0][...] = 0.0
    return est, X


@pytest.mark.parametrize("scale", HUGE_LOGITS)
def test_multiclass_log_proba_is_finite_and_exact_for_huge_logits(scale):
    W = scale * np.array([[1.0, -1.0, 0.5], [-2.0, 0.0, 2.0], [0.0, 0.0, 0.0]])
    y = np.tile([0, 1, 2], 4)
    clf, X = linear_model(MLPClassifier((), max_iter=1, random_state=0), W, 3, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, no divide-by-zero
        log_proba = clf.predict_log_proba(X)
        proba = clf.predict_proba(X)
    assert np.all(np.isfinite(log_proba))
    np.testing.assert_allclose(log_proba, exact_log_softmax(W), rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_array_equal(clf.predict(X), np.argmax(W, axis=1))


@pytest.mark.parametrize("scale", HUGE_LOGITS + [-1e4, -1e300])
def test_binary_log_proba_is_finite_and_exact_for_huge_logits(scale):
    W = scale * np.array([[1.0], [-1.0]])
    y = np.tile([0, 1], 4)
    clf, X = linear_model(MLPClassifier((), max_iter=1, random_state=0), W, 2, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log_proba = clf.predict_log_proba(X)
        proba = clf.predict_proba(X)
    assert np.all(np.isfinite(log_proba))
    z = W[:, 0]
    expected = np.column_stack([exact_log_expit(-z), exact_log_expit(z)])
    np.testing.assert_allclose(log_proba, expected, rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("scale", HUGE_LOGITS)
def test_multilabel_probabilities_stay_inside_zero_one(scale):
    W = scale * np.array([[1.0, -1.0], [-1.0, 1.0]])
    y = np.tile([[1, 0], [0, 1]], (4, 1))
    clf, X = linear_model(MLPClassifier((), max_iter=1, random_state=0), W, 2, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log_proba = clf.predict_log_proba(X)
        proba = clf.predict_proba(X)
    assert np.all(np.isfinite(log_proba))
    np.testing.assert_allclose(log_proba, exact_log_expit(W), rtol=1e-12)
    assert np.all((proba >= 0) & (proba < 1))


@pytest.mark.parametrize("scale", HUGE_LOGITS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_losses_are_stable_for_huge_logits(scale, dtype):
    """The training losses: finite values equal to the reference, gradients
    (probability - target) inside [-1, 1], no floating-point warnings."""
    finfo = np.finfo(dtype)
    s = min(scale, float(finfo.max) / 4)
    z = np.array([[s, -s, 0.0], [-s, 0.0, s], [0.5, 0.25, 0.0]], dtype=dtype)
    Y = np.eye(3, dtype=dtype)[[1, 2, 0]]  # the first row is confidently wrong
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            loss, grad = SoftmaxCrossEntropy().per_sample_and_gradient(Y, z.copy())
    # a loss near 0 comes from a difference of terms as large as the logits
    tolerance = 10 * finfo.eps * np.maximum(1.0, np.abs(z).max(axis=1))
    expected = -np.sum(Y * exact_log_softmax(z), axis=1)
    assert np.all(np.abs(loss - expected) <= tolerance), (loss, expected)
    assert np.all(np.isfinite(grad)) and np.all(np.abs(grad) <= 1)

    z2 = z[:, :1]
    Y2 = np.array([[0.0], [1.0], [1.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            loss, grad = LogisticCrossEntropy().per_sample_and_gradient(Y2, z2.copy())
    expected = -(Y2 * exact_log_expit(z2) + (1 - Y2) * exact_log_expit(-z2)).sum(axis=1)
    assert np.all(np.abs(loss - expected) <= tolerance), (loss, expected)
    assert np.all(np.isfinite(grad)) and np.all(np.abs(grad) <= 1)


def test_separable_data_grows_logits_without_trouble():
    """On separable data the logits grow without bound; the loss stays finite
    and the model does not claim to diverge."""
    X, y = make_classification(n_samples=200, n_features=5, class_sep=5.0,
                               flip_y=0.0, random_state=0)
    clf = MLPClassifier((), optimizer="sgd", learning_rate_init=10.0, alpha=0.0,
                        max_iter=100, tol=0.0, n_iter_no_change=1000, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X * 100, y)
    assert not [w for w in caught if "diverged" in str(w.message)]
    assert clf.n_iter_ == 100
    assert np.all(np.isfinite(clf.loss_curve_))
    z = np.abs((X * 100) @ clf.coefs_[0] + clf.intercepts_[0])
    assert z.max() > 1e3  # the logits did grow large
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.all(np.isfinite(clf.predict_log_proba(X * 100)))
    assert clf.score(X * 100, y) == 1.0


# -- float32 with large features ---------------------------------------------


def float32_data(Est, scale=1e6):
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(200, 8)) * scale).astype(np.float32)
    if Est is MLPClassifier:
        y = (X[:, 0] + X[:, 1] > 0).astype(int)
    else:
        y = (X @ rng.normal(size=8) / scale).astype(np.float32)
    return X, y


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_float32_features_around_1e6_never_overflow_silently(Est, optimizer):
    X, y = float32_data(Est)
    est = Est((16,), optimizer=optimizer, max_iter=20, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    # told about it (ConvergenceWarning), never a bare numpy RuntimeWarning
    assert all(issubclass(w.category, ConvergenceWarning) for w in caught), [
        str(w.message) for w in caught
    ]
    assert all(W.dtype == np.float32 for W in est.coefs_)
    assert all(np.all(np.isfinite(p)) for p in est.coefs_ + est.intercepts_)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if Est is MLPClassifier:
            out = np.hstack([est.predict_proba(X), est.predict_log_proba(X)])
        else:
            out = est.predict(X)
    assert np.all(np.isfinite(out))


def test_float32_prediction_that_overflows_is_recomputed_in_float64():
    """A float32 model with large weights (as a nearly divergent fit leaves
    them) asked to predict on inputs so large that its float32 output
    overflows, though the inputs are finite float32: predictions fall back
    to float64 and stay finite, without a warning."""
    X, y = float32_data(MLPClassifier)
    X = X / np.abs(X).max()
    clf = MLPClassifier((16,), max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    clf.coefs_[1] *= np.float32(1e10)
    X = (X * np.float32(1e30)).astype(np.float32)
    assert np.all(np.isfinite(X))
    with np.errstate(over="ignore", invalid="ignore"):
        hidden = np.maximum(X @ clf.coefs_[0], 0) @ clf.coefs_[1]
    assert not np.all(np.isfinite(hidden))  # float32 alone would overflow
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log_proba = clf.predict_log_proba(X)
        proba = clf.predict_proba(X)
    assert np.all(np.isfinite(log_proba)) and np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_float32_features_whose_squares_overflow_warn(Est):
    X, y = float32_data(Est, scale=1e19)  # 1e38 is float32's limit
    est = Est((16,), optimizer="adam", max_iter=5, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    assert all(issubclass(w.category, ConvergenceWarning) for w in caught)
    if Est is MLPRegressor:  # the squared error overflows at once
        assert any("diverged" in str(w.message) for w in caught)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = est.predict_proba(X) if Est is MLPClassifier else est.predict(X)
    assert np.all(np.isfinite(out)) or any(
        "NaN or infinite" in str(w.message) for w in caught
    )


# -- a huge penalty -----------------------------------------------------------


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_huge_alpha_with_lbfgs_gives_zero_weights_and_the_mean(Est):
    if Est is MLPClassifier:
        X, y = make_classification(n_samples=100, n_features=5, weights=[0.3],
                                   random_state=0)
    else:
        X, y = make_regression(n_samples=100, n_features=5, random_state=0)
    est = Est((8,), optimizer="lbfgs", alpha=1e6, max_iter=200, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # the output bias starts at the mean, where the penalty holds the
        # model: the warning that names a strong alpha is the expected one
        warnings.filterwarnings("ignore", "Training stopped early", ConvergenceWarning)
        est.fit(X, y)
    assert max(np.abs(W).max() for W in est.coefs_) < 1e-6
    # with no weights left, the model predicts the (unpenalized) intercept
    if Est is MLPClassifier:
        np.testing.assert_allclose(est.predict_proba(X)[:, 1], y.mean(), atol=1e-4)
    else:
        np.testing.assert_allclose(est.predict(X), y.mean(), rtol=1e-4)


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("optimizer", ["adagrad", "adadelta", "rmsprop", "adam", "nadam",
                                       "adamw"])
def test_huge_alpha_with_adaptive_optimizers_shrinks_weights(Est, optimizer):
    if Est is MLPClassifier:
        X, y = make_classification(n_samples=100, n_features=5, random_state=0)
    else:
        X, y = make_regression(n_samples=100, n_features=5, random_state=0)
    params = dict(hidden_layer_sizes=(8,), optimizer=optimizer, batch_size=10,
                  max_iter=100, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = Est(**{**params, "max_iter": 1}).fit(X, y)
        est = Est(alpha=1e6, **params).fit(X, y)
    assert not [w for w in caught if not issubclass(w.category, ConvergenceWarning)]
    assert not [w for w in caught if "diverged" in str(w.message)]
    largest = max(np.abs(W).max() for W in est.coefs_)
    assert np.isfinite(largest)
    # the L2 gradient of an adaptive optimizer is rescaled by its own size, so
    # the weights go towards 0 at a pace set by the learning rate, not by alpha
    assert largest < 0.5 * max(np.abs(W).max() for W in start.coefs_)
    assert np.all(np.isfinite(est.predict(X)))


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("optimizer", [name for name in OPTIMIZERS if name != "lbfgs"])
def test_huge_pure_l1_penalty_gives_exact_zeros(Est, optimizer):
    if Est is MLPClassifier:
        X, y = make_multilabel_classification(n_samples=60, n_features=5,
                                              random_state=0)
    else:
        X, y = make_regression(n_samples=60, n_features=5, random_state=0)
    est = Est((8,), optimizer=optimizer, alpha=1e6, l1_ratio=1.0, batch_size=10,
              max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert all(np.all(W == 0) for W in est.coefs_)
    assert np.all(np.isfinite(est.predict(X)))


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov"])
def test_huge_alpha_with_plain_sgd_is_never_nan(Est, optimizer):
    """With a learning rate of 0.01, alpha=1e6 makes the explicit L2 step
    ``W <- (1 - lr * alpha) W`` overshoot; whatever happens, nothing is NaN and
    the user is told if training did not go well."""
    if Est is MLPClassifier:
        X, y = make_classification(n_samples=100, n_features=5, random_state=0)
    else:
        X, y = make_regression(n_samples=100, n_features=5, random_state=0)
    est = Est((8,), optimizer=optimizer, alpha=1e6, batch_size=10, max_iter=30,
              random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
        out = est.predict(X)
    assert all(issubclass(w.category, ConvergenceWarning) for w in caught)
    assert all(np.all(np.isfinite(p)) for p in est.coefs_ + est.intercepts_)
    assert np.all(np.isfinite(out))
    largest = max(np.abs(W).max() for W in est.coefs_)
    assert largest < 1e-3 or any("diverged" in str(w.message) for w in caught)
