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
    assert len(est.loss_curve_) == 6


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


# -- a validation set too small to score ---------------------------------------------------
TOO_SMALL = "The validation set is too small. Increase 'validation_fraction' or the size"


@pytest.mark.parametrize("n", [2, 10])
def test_too_small_validation_set_raises_sklearn_message(n):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(n, 3)), rng.normal(size=n)
    # scikit-learn's rule: ceil(0.1 * n) validation rows, at least 2
    expected = _error_message(lambda: SkMLPRegressor(early_stopping=True).fit(X, y))
    assert expected.startswith(TOO_SMALL)
    message = _error_message(lambda: MLPRegressor(early_stopping=True).fit(X, y))
    assert message.startswith(expected)
    assert "validation_fraction=0.1" in message and f"n_samples={n}" in message


def test_validation_set_of_two_rows_is_enough():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(11, 3)), rng.normal(size=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        SkMLPRegressor(early_stopping=True, max_iter=3).fit(X, y)  # ceil(1.1) = 2 rows
        est = MLPRegressor(early_stopping=True, max_iter=3, random_state=0).fit(X, y)
    assert len(est.validation_scores_) == est.n_iter_ == 3


def test_identical_rows_count_once_toward_the_validation_set():
    # 30 rows but only 5 distinct ones: 10% of 5 is below two distinct rows
    rng = np.random.default_rng(0)
    X, y = np.repeat(rng.normal(size=(5, 3)), 6, axis=0), np.repeat(rng.normal(size=5), 6)
    message = _error_message(lambda: MLPRegressor(early_stopping=True).fit(X, y))
    assert message.startswith(TOO_SMALL) and "5 distinct samples" in message
    # a larger fraction sets two of them aside
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPRegressor(early_stopping=True, validation_fraction=0.4, max_iter=2).fit(X, y)


def test_classes_that_keep_every_sample_in_training_leave_too_few_to_validate():
    # four distinct rows, one per class: each class keeps its row in training
    X = np.arange(8.0).reshape(4, 2)
    message = _error_message(
        lambda: MLPClassifier(early_stopping=True, validation_fraction=0.5).fit(X, [0, 1, 2, 3])
    )
    assert message.startswith(TOO_SMALL) and "of each class" in message


def test_heavy_weights_still_give_two_validation_rows():
    """A heavy row first in the random order can take the whole validation
    share's weight; the split then adds the next rows up to two."""
    from skreg._split import validation_split

    keys = np.arange(1, 41, dtype=np.uint64)
    for seed in range(20):
        weights = np.ones(40)
        weights[seed] = 1e3
        train, val = validation_split(keys, weights, 0.1, np.random.default_rng(seed))
        assert len(val) >= 2 and len(train) + len(val) == 40


# -- a single class ------------------------------------------------------------------------
@pytest.mark.parametrize("label", [1, "spam"])
def test_single_class_is_fitted_and_predicted_as_sklearn_does(label):
    y = np.full(len(X_CLF), label, dtype=object if isinstance(label, str) else int)
    common = dict(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk = SkMLPClassifier(**common).fit(X_CLF, y)
        est = MLPClassifier(**common).fit(X_CLF, y)
    assert_array_equal(est.classes_, sk.classes_)
    assert_array_equal(est.predict(X_CLF[:7]), sk.predict(X_CLF[:7]))
    assert est.score(X_CLF, y) == 1.0
    # one column per class in classes_ (scikit-learn returns two here)
    assert_array_equal(est.predict_proba(X_CLF[:7]), np.ones((7, 1)))
    assert_array_equal(est.predict_log_proba(X_CLF[:7]), np.zeros((7, 1)))
    assert est.n_iter_ >= 1 and len(est.loss_curve_) == est.n_iter_


def test_single_class_with_early_stopping_partial_fit_and_mc_dropout():
    y = np.zeros(len(X_CLF), dtype=int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        es = MLPClassifier((4,), early_stopping=True, max_iter=5, random_state=0).fit(X_CLF, y)
    assert len(es.validation_scores_) == es.n_iter_
    est = MLPClassifier((4,), dropout=0.3, random_state=0).partial_fit(X_CLF, y, classes=[0])
    assert_array_equal(est.predict(X_CLF), y)
    assert_array_equal(est.predict_proba(X_CLF, mc_dropout=True), np.ones((len(y), 1)))
    # a later batch with another class is refused, naming the classes
    with pytest.raises(ValueError, match="classes_"):
        est.partial_fit(X_CLF[:3], [0, 1, 0])


# -- the statements of the "Coming from scikit-learn's MLP" page --------------------------
def _from_the_same_start(solver_kwargs, optimizer, alpha, batch_size, n_epochs=4):
    """skreg's and scikit-learn's weights after ``n_epochs`` from the same
    initial weights (zero hidden biases and the output bias at the target
    mean, as skreg starts them; skreg's target standardization off)."""
    rng = np.random.default_rng(0)
    start = [rng.normal(size=(4, 5)) * 0.5, rng.normal(size=(5, 1)) * 0.5]
    y = Y_REG / Y_REG.std()
    layers = iter(start)
    common = dict(hidden_layer_sizes=(5,), batch_size=batch_size, shuffle=False,
                  learning_rate_init=0.01, tol=0.0, n_iter_no_change=1000, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPRegressor(**common, optimizer=optimizer, alpha=alpha, max_iter=n_epochs,
                            normalize_y=False, init=lambda fan_in, fan_out, rng: next(layers).copy()).fit(X_REG, y)
        theirs = SkMLPRegressor(**common, alpha=alpha * batch_size, max_iter=1, warm_start=True,
                                **solver_kwargs).fit(X_REG, y)
        theirs.coefs_ = [W.copy() for W in start]
        theirs.intercepts_ = [np.zeros(5), np.array([y.mean()])]
        theirs.set_params(max_iter=n_epochs).fit(X_REG, y)
    return ours, theirs


@pytest.mark.parametrize("optimizer, solver_kwargs", [
    ("nesterov", {"solver": "sgd"}),
    ("momentum", {"solver": "sgd", "nesterovs_momentum": False}),
    ("sgd", {"solver": "sgd", "momentum": 0.0}),
])
@pytest.mark.parametrize("batch_size", [60, 15])
def test_sgd_family_takes_sklearns_steps_with_alpha_times_batch_size(
    optimizer, solver_kwargs, batch_size
):
    ours, theirs = _from_the_same_start(solver_kwargs, optimizer, 1e-2, batch_size)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_adam_differs_from_sklearns_only_through_epsilon():
    from skreg.optimizers import Adam

    gaps = []
    for epsilon in (1e-8, 1e-12):
        ours, theirs = _from_the_same_start({"solver": "adam", "epsilon": epsilon},
                                            Adam(epsilon=epsilon), 1e-2, 15)
        gaps.append(max(np.abs(a - b).max() for a, b in zip(ours.coefs_, theirs.coefs_)))
    assert gaps[1] < gaps[0] * 1e-2


@pytest.mark.parametrize("n_iter_no_change", [2, 5])
def test_patience_counts_one_epoch_fewer_than_sklearn(n_iter_no_change):
    common = dict(hidden_layer_sizes=(5,), tol=1e9, n_iter_no_change=n_iter_no_change,
                  random_state=0)
    ours = MLPRegressor(**common).fit(X_REG, Y_REG)
    theirs = SkMLPRegressor(**common).fit(X_REG, Y_REG)
    assert ours.n_iter_ == n_iter_no_change + 1 == theirs.n_iter_ - 1


def test_lbfgs_stops_on_patience_and_supports_early_stopping():
    # tol is also scipy's gtol: small enough here not to stop L-BFGS by itself
    common = dict(hidden_layer_sizes=(5,), optimizer="lbfgs", tol=0.05, max_iter=500,
                  random_state=0)
    patient = MLPClassifier(**common, n_iter_no_change=np.inf).fit(X_CLF, Y_CLF)
    impatient = MLPClassifier(**common, n_iter_no_change=1).fit(X_CLF, Y_CLF)
    assert 1 < impatient.n_iter_ < patient.n_iter_
    assert patient.loss_curve_[:impatient.n_iter_] == impatient.loss_curve_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = MLPRegressor((5,), optimizer="lbfgs", early_stopping=True, max_iter=6,
                           n_iter_no_change=100, random_state=0).fit(X_REG, Y_REG)
    assert len(est.validation_scores_) == est.n_iter_ == 6


def test_parameters_of_sklearn_have_a_counterpart():
    """Every scikit-learn MLP parameter is either an skreg parameter or a
    setting of an optimizer object, as the page's tables say."""
    from skreg.optimizers import LBFGS, Adam, Nesterov

    on_optimizers = {*Adam().get_params(), *Nesterov().get_params(), *LBFGS().get_params(),
                     "solver", "nesterovs_momentum"}
    for ours, theirs in ((MLPClassifier(), SkMLPClassifier()), (MLPRegressor(), SkMLPRegressor())):
        missing = set(theirs.get_params()) - set(ours.get_params())
        assert missing == {"momentum", "nesterovs_momentum", "beta_1", "beta_2", "epsilon",
                           "max_fun", "solver"}
        assert missing <= on_optimizers
