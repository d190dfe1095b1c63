"""Where scikit-learn's MLP has a convention for the same concept, skreg
follows it: verbose lines, ``n_iter_no_change=np.inf``, the warm-start and
``partial_fit`` errors, the too-small validation set and single-class
targets. Messages are compared with scikit-learn's own estimators."""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor

from skreg import MLPClassifier, MLPRegressor

X_REG, Y_REG = make_regression(n_samples=60, n_features=4, noise=1.0, random_state=0)
X_CLF, Y_CLF = make_classification(
    n_samples=90, n_features=5, n_informative=3, n_classes=3, random_state=0
)

ITERATION = re.compile(r"Iteration (\d+), loss = (\d+\.\d{8})")
VALIDATION = re.compile(r"Validation score: (-?\d+\.\d{6})")


def _error_message(fit):
    with pytest.raises(ValueError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit()
    return str(info.value)


# -- verbose -------------------------------------------------------------------
def _printed_lines(est, capsys, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(*args)
    return capsys.readouterr().out.strip().splitlines()


def test_verbose_prints_sklearn_iteration_lines(capsys):
    common = dict(hidden_layer_sizes=(5,), max_iter=4, tol=0.0, verbose=1, random_state=0)
    sk_lines = _printed_lines(SkMLPRegressor(**common), capsys, X_REG, Y_REG)
    lines = _printed_lines(MLPRegressor(**common), capsys, X_REG, Y_REG)
    assert all(ITERATION.fullmatch(line) for line in sk_lines), sk_lines
    assert len(lines) == len(sk_lines) == 4
    est = MLPRegressor(**common)
    lines = _printed_lines(est, capsys, X_REG, Y_REG)
    for k, line in enumerate(lines):
        match = ITERATION.fullmatch(line)
        assert match, line
        assert int(match.group(1)) == k + 1
        assert float(match.group(2)) == pytest.approx(est.loss_curve_[k], abs=1e-8)


def test_verbose_with_early_stopping_prints_sklearn_validation_lines(capsys):
    common = dict(hidden_layer_sizes=(5,), max_iter=3, tol=0.0, verbose=1,
                  early_stopping=True, n_iter_no_change=50, random_state=0)
    sk_lines = _printed_lines(SkMLPClassifier(**common), capsys, X_CLF, Y_CLF)
    est = MLPClassifier(**common)
    lines = _printed_lines(est, capsys, X_CLF, Y_CLF)
    # scikit-learn's pattern: an iteration line, then a validation line
    for printed in (sk_lines, lines):
        assert len(printed) == 6
        assert all(ITERATION.fullmatch(line) for line in printed[::2]), printed
        assert all(VALIDATION.fullmatch(line) for line in printed[1::2]), printed
    scores = [float(VALIDATION.fullmatch(line).group(1)) for line in lines[1::2]]
    assert_allclose(scores, est.validation_scores_, atol=1e-6)


def test_verbose_lbfgs_prints_iteration_lines(capsys):
    est = MLPRegressor((5,), optimizer="lbfgs", max_iter=3, tol=0.0, verbose=1,
                       random_state=0)
    lines = _printed_lines(est, capsys, X_REG, Y_REG)
    assert [int(ITERATION.fullmatch(line).group(1)) for line in lines] == [1, 2, 3]


# -- n_iter_no_change=np.inf ------------------------------------------------------
@pytest.mark.parametrize("early_stopping", [False, True])
def test_n_iter_no_change_inf_trains_until_max_iter(early_stopping):
    # tol=1e9: no epoch counts as an improvement, so any finite patience stops early
    common = dict(hidden_layer_sizes=(5,), max_iter=15, tol=1e9,
                  early_stopping=early_stopping, random_state=0)
    finite = MLPRegressor(**common, n_iter_no_change=3).fit(X_REG, Y_REG)
    assert finite.n_iter_ < 15
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        endless = MLPRegressor(**common, n_iter_no_change=np.inf).fit(X_REG, Y_REG)
    assert endless.n_iter_ == len(endless.loss_curve_) == 15
    # scikit-learn accepts it too, with the same meaning
    with pytest.warns(ConvergenceWarning):
        sk = SkMLPRegressor(**common, n_iter_no_change=np.inf).fit(X_REG, Y_REG)
    assert sk.n_iter_ == 15


def test_n_iter_no_change_inf_never_lowers_an_adaptive_rate():
    common = dict(hidden_layer_sizes=(5,), optimizer="sgd", learning_rate="adaptive",
                  learning_rate_init=0.01, max_iter=12, tol=1e9, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lowered = MLPRegressor(**common, n_iter_no_change=2).fit(X_REG, Y_REG)
        constant = MLPRegressor(**common, n_iter_no_change=np.inf).fit(X_REG, Y_REG)
    assert lowered._learning_rate < 0.01
    assert constant.n_iter_ == 12
    assert constant._learning_rate == 0.01


@pytest.mark.parametrize("value", [0, 2.5, -np.inf, "inf"])
def test_n_iter_no_change_other_values_are_refused(value):
    with pytest.raises(ValueError, match="n_iter_no_change"):
        MLPRegressor(n_iter_no_change=value).fit(X_REG, Y_REG)


# -- warm_start with other classes ---------------------------------------------------
@pytest.mark.parametrize("keep", [[0, 1], [0, 1, 2, 3]])
def test_warm_start_with_other_classes_raises_sklearn_message(keep):
    y = Y_CLF.copy()
    y[:5] = 3 if 3 in keep else y[:5]
    rows = np.isin(y, keep)
    params = dict(hidden_layer_sizes=(4,), max_iter=3, warm_start=True, random_state=0)
    messages = []
    for cls in (SkMLPClassifier, MLPClassifier):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est = cls(**params).fit(X_CLF, Y_CLF)
        messages.append(_error_message(lambda: est.fit(X_CLF[rows], y[rows])))
    assert messages[1] == messages[0]
    assert messages[1].startswith("warm_start can only be used where `y` has the same classes")
    assert f"Previously got [0 1 2], `y` has {np.unique(y[rows])}" in messages[1]


def test_warm_start_with_other_labels_raises_for_multilabel():
    Y = np.column_stack([Y_CLF == 0, Y_CLF == 1, Y_CLF == 2]).astype(int)
    est = MLPClassifier((4,), max_iter=3, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X_CLF, Y)
        sk = SkMLPClassifier((4,), max_iter=3, warm_start=True, random_state=0).fit(X_CLF, Y)
    expected = _error_message(lambda: sk.fit(X_CLF, Y[:, :2]))
    assert _error_message(lambda: est.fit(X_CLF, Y[:, :2])) == expected


def test_warm_start_with_the_same_classes_continues():
    est = MLPClassifier((4,), max_iter=3, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X_CLF, Y_CLF).fit(X_CLF[::-1], Y_CLF[::-1])
    assert est.n_iter_ == 6


def test_partial_fit_batches_may_hold_a_subset_of_the_classes():
    # unlike fit with warm_start, a partial_fit batch need not hold every class
    est = MLPClassifier((4,), warm_start=True, random_state=0)
    est.partial_fit(X_CLF, Y_CLF, classes=[0, 1, 2])
    est.partial_fit(X_CLF[Y_CLF < 2], Y_CLF[Y_CLF < 2])
    assert_array_equal(est.classes_, [0, 1, 2])
    assert est.n_iter_ == 2


# -- partial_fit with early_stopping ---------------------------------------------------
@pytest.mark.parametrize("Est, SkEst, X, y, kwargs", [
    (MLPRegressor, SkMLPRegressor, X_REG, Y_REG, {}),
    (MLPClassifier, SkMLPClassifier, X_CLF, Y_CLF, {"classes": [0, 1, 2]}),
])
def test_partial_fit_with_early_stopping_raises_sklearn_message(Est, SkEst, X, y, kwargs):
    expected = _error_message(lambda: SkEst(early_stopping=True).partial_fit(X, y, **kwargs))
    assert expected == "partial_fit does not support early_stopping=True"
    assert _error_message(lambda: Est(early_stopping=True).partial_fit(X, y, **kwargs)) == expected
    # also on a model fitted with early stopping, before the call changes anything
    est = Est((4,), early_stopping=True, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    n_iter, coefs = est.n_iter_, [W.copy() for W in est.coefs_]
    assert _error_message(lambda: est.partial_fit(X, y)) == expected
    assert est.n_iter_ == n_iter
    assert_array_equal(est.coefs_[0], coefs[0])
