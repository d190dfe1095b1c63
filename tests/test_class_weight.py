"""MLPClassifier's ``class_weight``: it multiplies ``sample_weight``, so a
class weight of 2 equals repeating that class's rows, and with no hidden
layer the model is scikit-learn's weighted LogisticRegression."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.utils.class_weight import compute_sample_weight

from skreg import MLPClassifier

X, Y = make_classification(n_samples=120, n_features=5, n_informative=3, n_classes=3,
                           weights=[0.6, 0.3, 0.1], random_state=0)
X_BIN, Y_BIN = make_classification(n_samples=100, n_features=4, weights=[0.8, 0.2],
                                   random_state=1)
LABELS = np.column_stack([Y == 0, Y == 1, X[:, 0] > 0.5]).astype(int)


def quiet_fit(est, *args, method="fit", **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return getattr(est, method)(*args, **kwargs)


def _same_network(a, b, **tol):
    for Wa, Wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_allclose(Wa, Wb, **tol)


@pytest.mark.parametrize("optimizer, extra", [
    ("lbfgs", {"tol": 1e-10}),
    ("adam", {"batch_size": 1000, "shuffle": False, "tol": 0.0}),
])
def test_class_weight_two_equals_repeating_the_rows(optimizer, extra):
    params = dict(hidden_layer_sizes=(6,), optimizer=optimizer, alpha=1e-3, max_iter=60,
                  random_state=0, **extra)
    weighted = quiet_fit(MLPClassifier(**params, class_weight={1: 2}), X, Y)
    ones = Y == 1
    repeated = quiet_fit(MLPClassifier(**params), np.vstack([X, X[ones]]),
                         np.concatenate([Y, Y[ones]]))
    _same_network(weighted, repeated, rtol=1e-6, atol=1e-9)
    unweighted = quiet_fit(MLPClassifier(**params), X, Y)
    assert not np.allclose(weighted.coefs_[0], unweighted.coefs_[0], atol=1e-4)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 0.5, 2: 4.0}])
def test_class_weight_multiplies_sample_weight(class_weight):
    params = dict(hidden_layer_sizes=(4,), max_iter=5, dropout=0.1, random_state=0)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, len(Y))
    by_class = compute_sample_weight(class_weight, Y)
    a = quiet_fit(MLPClassifier(**params, class_weight=class_weight), X, Y, sample_weight=sw)
    b = quiet_fit(MLPClassifier(**params), X, Y, sample_weight=sw * by_class)
    _same_network(a, b, rtol=0, atol=0)
    assert a.loss_curve_ == b.loss_curve_


def _logistic_regression(class_weight, alpha, y, X):
    """The LogisticRegression with skreg's objective for ``hidden_layer_sizes=()``.

    skreg minimizes ``sum_i w_i l_i / S + alpha / 2 ||W||^2`` with ``S = sum_i w_i``;
    LogisticRegression minimizes ``C sum_i w_i l_i + 1/2 ||W||^2``. Multiplying
    skreg's objective by ``S / alpha`` gives LogisticRegression's with
    ``C = 1 / (alpha S)``.
    """
    S = compute_sample_weight(class_weight, y).sum()
    return LogisticRegression(C=1.0 / (alpha * S), class_weight=class_weight, tol=1e-12,
                              max_iter=10_000).fit(X, y)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 1.0, 1: 5.0}])
def test_no_hidden_layer_equals_weighted_logistic_regression_binary(class_weight):
    alpha = 1e-2
    mlp = quiet_fit(MLPClassifier((), optimizer="lbfgs", alpha=alpha, tol=1e-12, max_iter=2000,
                                  class_weight=class_weight, random_state=0), X_BIN, Y_BIN)
    lr = _logistic_regression(class_weight, alpha, Y_BIN, X_BIN)
    assert_allclose(mlp.coefs_[0].ravel(), lr.coef_.ravel(), rtol=1e-4, atol=1e-5)
    assert_allclose(mlp.intercepts_[0], lr.intercept_, rtol=1e-4, atol=1e-5)
    assert_allclose(mlp.predict_proba(X_BIN), lr.predict_proba(X_BIN), atol=5e-5)
    # and the weighting matters: the unweighted fit is another model
    plain = _logistic_regression(None, alpha, Y_BIN, X_BIN)
    assert np.abs(plain.coef_ - lr.coef_).max() > 1e-2


def test_no_hidden_layer_equals_weighted_logistic_regression_multiclass():
    alpha, class_weight = 1e-2, "balanced"
    mlp = quiet_fit(MLPClassifier((), optimizer="lbfgs", alpha=alpha, tol=1e-12, max_iter=2000,
                                  class_weight=class_weight, random_state=0), X, Y)
    lr = _logistic_regression(class_weight, alpha, Y, X)
    assert_allclose(mlp.predict_proba(X), lr.predict_proba(X), atol=1e-5)
    # the softmax weights are defined up to a shift shared by the classes;
    # the L2 penalty picks the centred one, as LogisticRegression's does
    assert_allclose(mlp.coefs_[0].T, lr.coef_, atol=1e-4)


def test_early_stopping_weighs_the_validation_loss_by_class():
    params = dict(hidden_layer_sizes=(5,), early_stopping=True, validation_fraction=0.25,
                  n_iter_no_change=100, max_iter=8, random_state=0)
    cw = {0: 1.0, 1: 3.0, 2: 10.0}
    weighted = quiet_fit(MLPClassifier(**params, class_weight=cw), X, Y)
    explicit = quiet_fit(MLPClassifier(**params), X, Y, sample_weight=compute_sample_weight(cw, Y))
    assert weighted.validation_scores_ == explicit.validation_scores_
    _same_network(weighted, explicit, rtol=0, atol=0)
    # the same network scored on unweighted validation rows scores otherwise
    plain = quiet_fit(MLPClassifier(**params), X, Y)
    assert plain.validation_scores_ != weighted.validation_scores_


def test_multilabel_balanced_is_the_product_over_labels():
    params = dict(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    per_label = [{0: 1.0, 1: 2.0}, {0: 1.0, 1: 0.5}, {0: 3.0, 1: 1.0}]
    for class_weight in ("balanced", per_label):
        a = quiet_fit(MLPClassifier(**params, class_weight=class_weight), X, LABELS)
        b = quiet_fit(MLPClassifier(**params), X, LABELS,
                      sample_weight=compute_sample_weight(class_weight, LABELS))
        _same_network(a, b, rtol=0, atol=0)
    expected = np.prod([np.where(LABELS[:, k] == 1, d[1], d[0]) for k, d in
                        enumerate(per_label)], axis=0)
    assert_allclose(compute_sample_weight(per_label, LABELS), expected)


def test_multilabel_refuses_a_single_dict():
    with pytest.raises(ValueError, match="class_weight should be a list of dicts"):
        MLPClassifier(class_weight={0: 1, 1: 2}).fit(X, LABELS)


def test_a_list_of_dicts_is_for_multilabel_targets():
    with pytest.raises(ValueError, match="class_weight as a list of dicts"):
        MLPClassifier(class_weight=[{0: 1}, {1: 2}]).fit(X, Y)


def test_a_dict_with_unknown_classes_is_refused():
    with pytest.raises(ValueError, match=r"The classes, \[2\], are not in class_weight"):
        MLPClassifier(class_weight={0: 1.0, 1: 2.0, 7: 3.0}).fit(X, Y)


@pytest.mark.parametrize("value", ["balance", 3.0])
def test_invalid_class_weight_is_refused(value):
    with pytest.raises(ValueError, match="class_weight"):
        MLPClassifier(class_weight=value).fit(X, Y)


def test_partial_fit_refuses_balanced_with_sgd_classifiers_message():
    with pytest.raises(ValueError) as expected:
        SGDClassifier(class_weight="balanced").partial_fit(X, Y, classes=[0, 1, 2])
    with pytest.raises(ValueError) as info:
        MLPClassifier(class_weight="balanced").partial_fit(X, Y, classes=[0, 1, 2])
    assert str(info.value) == str(expected.value)


def test_partial_fit_with_a_dict_weighs_every_batch():
    cw = {0: 1.0, 1: 2.0, 2: 5.0}
    a = MLPClassifier((4,), class_weight=cw, random_state=0)
    b = MLPClassifier((4,), random_state=0)
    for rows in (slice(0, 60), slice(60, 90), slice(90, 120)):
        # the second batch holds classes 0 and 1 only in part: weights per row
        a.partial_fit(X[rows], Y[rows], classes=[0, 1, 2])
        b.partial_fit(X[rows], Y[rows], classes=[0, 1, 2],
                      sample_weight=compute_sample_weight(cw, Y[rows]))
    _same_network(a, b, rtol=0, atol=0)


def test_class_weight_none_changes_nothing():
    params = dict(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    a = quiet_fit(MLPClassifier(**params, class_weight=None), X, Y)
    b = quiet_fit(MLPClassifier(**params), X, Y)
    _same_network(a, b, rtol=0, atol=0)
    assert_array_equal(a.predict(X), b.predict(X))


def test_cv_estimator_fits_with_class_weight():
    from skreg import MLPClassifierCV

    cw = {0: 1.0, 1: 2.0, 2: 6.0}
    params = dict(hidden_layer_sizes=(4,), max_iter=10, random_state=0)
    cv = quiet_fit(MLPClassifierCV(**params, alphas=[1e-3, 1e-1], cv=3, refit="cold",
                                   class_weight=cw), X, Y)
    single = quiet_fit(MLPClassifier(**params, alpha=cv.alpha_, class_weight=cw), X, Y)
    _same_network(cv, single, rtol=0, atol=0)
    plain = quiet_fit(MLPClassifier(**params, alpha=cv.alpha_), X, Y)
    assert not np.allclose(cv.coefs_[0], plain.coefs_[0])
