"""Label smoothing: the smoothed cross-entropy against its closed form, its
gradient against finite differences, and what the classifier trains on and
reports."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import expit, log_expit, log_softmax
from sklearn.datasets import load_iris, make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning

from skreg import MLPClassifier, MLPClassifierCV
from skreg.losses import LogisticCrossEntropy, SoftmaxCrossEntropy
from skreg.network import forward

RNG = np.random.default_rng(0)
Z = RNG.normal(scale=2.0, size=(9, 4))


def _smoothed_onehot(labels, n_classes, eps):
    return (1 - eps) * np.eye(n_classes)[labels] + eps / n_classes


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.4])
def test_softmax_loss_of_smoothed_targets_has_its_closed_form(eps):
    labels = RNG.integers(0, 4, len(Z))
    T = _smoothed_onehot(labels, 4, eps)
    log_p = log_softmax(Z, axis=1)
    # (1 - eps) * the plain cross-entropy + eps * the mean over the classes of -log p
    closed = -(1 - eps) * log_p[np.arange(len(Z)), labels] - eps * log_p.mean(axis=1)
    loss = SoftmaxCrossEntropy()
    assert_allclose(loss.per_sample(T, Z), closed, rtol=1e-12)
    per_sample, _ = loss.per_sample_and_gradient(T, Z.copy())
    assert_allclose(per_sample, closed, rtol=1e-12)


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.4])
def test_logistic_loss_of_smoothed_targets_has_its_closed_form(eps):
    Y = RNG.integers(0, 2, Z.shape).astype(float)
    T = (1 - eps) * Y + eps / 2
    closed = -(T * log_expit(Z) + (1 - T) * log_expit(-Z)).sum(axis=1)
    assert_allclose(LogisticCrossEntropy().per_sample(T, Z), closed, rtol=1e-12)


@pytest.mark.parametrize("loss", [SoftmaxCrossEntropy(), LogisticCrossEntropy()])
def test_gradient_of_soft_targets_matches_finite_differences(loss):
    if loss.out_activation == "softmax":
        T = _smoothed_onehot(RNG.integers(0, 4, len(Z)), 4, 0.3)
    else:
        T = 0.7 * RNG.integers(0, 2, Z.shape) + 0.15
    analytic = loss.raw_gradient(T, Z, out=np.empty_like(Z))
    fused = loss.per_sample_and_gradient(T, Z.copy())[1]
    assert_allclose(fused, analytic, rtol=1e-12, atol=1e-15)
    h = 1e-6
    numeric = np.empty_like(Z)
    for idx in np.ndindex(Z.shape):
        up, down = Z.copy(), Z.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (loss.per_sample(T, up) - loss.per_sample(T, down))[idx[0]] / (2 * h)
    assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)
    # the loss is smallest where the prediction equals the soft target
    assert_allclose(analytic.sum(), (loss.predict(Z) - T).sum(), rtol=1e-12)


def _objective(clf, X, T):
    """The smoothed mean cross-entropy plus the L2 penalty, at the fitted weights."""
    z = forward(clf.coefs_, clf.intercepts_, X, clf.activation).raw_output
    if clf.out_activation_ == "softmax":
        data = -(T * log_softmax(z, axis=1)).sum(axis=1).mean()
    else:
        data = -(T * log_expit(z) + (1 - T) * log_expit(-z)).sum(axis=1).mean()
    return data + clf.alpha / 2 * sum((W**2).sum() for W in clf.coefs_)


@pytest.mark.parametrize("kind", ["multiclass", "binary", "multilabel"])
def test_loss_reports_the_smoothed_objective(kind):
    eps = 0.2
    if kind == "multilabel":
        X, Y = make_multilabel_classification(n_samples=60, n_features=5, n_classes=3,
                                              random_state=0)
        y, T = Y, (1 - eps) * Y + eps / 2
    else:
        n_classes = 3 if kind == "multiclass" else 2
        X, y = make_classification(n_samples=60, n_features=5, n_informative=3,
                                   n_classes=n_classes, random_state=0)
        T = _smoothed_onehot(y, 3, eps) if n_classes == 3 else (1 - eps) * y[:, None] + eps / 2
    clf = MLPClassifier((6,), optimizer="lbfgs", alpha=1e-2, label_smoothing=eps,
                        max_iter=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert_allclose(clf.loss_, _objective(clf, X, T), rtol=1e-6)
    plain = _objective(clf, X, _smoothed_onehot(y, 3, 0.0) if kind == "multiclass" else
                       (Y if kind == "multilabel" else y[:, None].astype(float)))
    assert abs(clf.loss_ - plain) > 1e-3  # the smoothed objective, not the plain one


def test_smoothing_bounds_the_fitted_confidence():
    # a separable problem and no penalty: without smoothing the probabilities
    # run to 1; with it they stay away from 1
    X, y = load_iris(return_X_y=True)
    keep = y != 1  # setosa vs virginica: separable
    X, y = X[keep], np.where(y[keep] == 2, 2, 0)
    y[::7] = 1  # a third class, so that the output is a softmax
    eps = 0.3
    common = dict(hidden_layer_sizes=(), optimizer="lbfgs", alpha=0.0, max_iter=2000,
                  tol=1e-10, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = MLPClassifier(**common).fit(X, y)
        smooth = MLPClassifier(**common, label_smoothing=eps).fit(X, y)
    assert plain.predict_proba(X).max() > 0.99
    assert smooth.predict_proba(X).max() < 0.95
    # at the optimum the output biases' gradient vanishes: the mean predicted
    # probabilities are the mean smoothed targets
    T = _smoothed_onehot(y // 1, 3, eps)
    assert_allclose(smooth.predict_proba(X).mean(axis=0), T.mean(axis=0), atol=1e-4)
    # predict_proba stays the network's softmax
    z = forward(smooth.coefs_, smooth.intercepts_, X, smooth.activation).raw_output
    assert_allclose(smooth.predict_proba(X), np.exp(log_softmax(z, axis=1)), rtol=1e-12)


def test_validation_loss_is_the_smoothed_one():
    # the cross-entropy with soft targets is at least their entropy
    X, y = make_classification(n_samples=200, n_features=6, n_informative=4, n_classes=3,
                               random_state=0)
    eps = 0.3
    t = np.array([1 - eps + eps / 3, eps / 3, eps / 3])
    entropy = -(t * np.log(t)).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier((16,), label_smoothing=eps, early_stopping=True, alpha=0.0,
                            learning_rate_init=0.01, max_iter=60, random_state=0).fit(X, y)
    assert -clf.best_validation_score_ >= entropy
    assert min(clf.loss_curve_) >= entropy


def test_zero_smoothing_changes_nothing():
    X, y = make_classification(n_samples=50, n_features=4, random_state=0)
    common = dict(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = MLPClassifier(**common).fit(X, y)
        b = MLPClassifier(**common, label_smoothing=0.0).fit(X, y)
        c = MLPClassifier(**common, label_smoothing=0.1).fit(X, y)
    assert a.loss_curve_ == b.loss_curve_
    assert a.loss_curve_ != c.loss_curve_


@pytest.mark.parametrize("value", [1.0, -0.1, 1.5])
def test_bad_label_smoothing_is_refused_naming_it(value):
    X, y = make_classification(n_samples=20, n_features=4, random_state=0)
    with pytest.raises(ValueError, match="label_smoothing"):
        MLPClassifier(label_smoothing=value).fit(X, y)


def test_cv_estimator_passes_label_smoothing_to_its_fits():
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cv = MLPClassifierCV((4,), alphas=[1e-3], cv=2, max_iter=5, label_smoothing=0.2,
                             random_state=0).fit(X, y)
        base = MLPClassifier((4,), alpha=1e-3, max_iter=5, label_smoothing=0.2,
                             random_state=0).fit(X, y)
    assert cv.get_params()["label_smoothing"] == 0.2
    assert_allclose(cv.loss_curve_, base.loss_curve_, rtol=1e-12)
