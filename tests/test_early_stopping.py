"""Early stopping: the validation split, the monitored score, patience and
the restored best epoch."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning

from skreg import MLPClassifier, MLPRegressor
from skreg._hashing import row_keys
from skreg._split import validation_split


@pytest.fixture(scope="module")
def noisy_regression():
    X, y = make_regression(n_samples=200, n_features=30, n_informative=3, noise=30.0,
                           random_state=0)
    return X, y / y.std()


def test_validation_loss_is_monitored_and_best_epoch_restored(noisy_regression):
    X, y = noisy_regression
    reg = MLPRegressor(hidden_layer_sizes=(64,), alpha=0.0, learning_rate_init=0.01,
                       early_stopping=True, n_iter_no_change=5, max_iter=300,
                       random_state=0).fit(X, y)
    scores = reg.validation_scores_
    assert len(scores) == reg.n_iter_ < 300
    assert reg.best_validation_score_ == max(scores)
    # stopped after n_iter_no_change epochs that did not beat the best by tol
    tol = reg.tol
    assert all(scores[i] <= max(scores[:i]) + tol for i in range(reg.n_iter_ - 5, reg.n_iter_))
    # the kept weights are those of the best epoch: the same run cut off
    # right after that epoch ends with them
    best_epoch = int(np.argmax(scores)) + 1
    cut = MLPRegressor(**{**reg.get_params(), "max_iter": best_epoch, "n_iter_no_change": 1000})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cut.fit(X, y)
    assert cut.validation_scores_ == scores[:best_epoch]
    for a, b in zip(reg.coefs_ + reg.intercepts_, cut.coefs_ + cut.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert max(scores) > scores[-1]  # the restore mattered


def test_scorer_name_is_used(noisy_regression):
    X, y = noisy_regression
    reg = MLPRegressor(hidden_layer_sizes=(16,), early_stopping=True, scoring="r2",
                       n_iter_no_change=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    assert all(s <= 1.0 for s in reg.validation_scores_)
    assert reg.best_validation_score_ == max(reg.validation_scores_)


def test_split_is_stratified_and_sized_by_weight():
    y = np.repeat([0, 1, 2], [100, 50, 10])
    X = np.arange(len(y), dtype=float)[:, None]
    keys = row_keys(X, y[:, None])
    train, val = validation_split(keys, np.ones(len(y)), 0.2, np.random.default_rng(0), y)
    counts = np.bincount(y[val], minlength=3)
    np.testing.assert_array_equal(counts, [20, 10, 2])
    # weights, not row counts, size the split
    sw = np.where(np.arange(len(y)) % 2 == 0, 3.0, 1.0)
    _, val = validation_split(keys, sw, 0.2, np.random.default_rng(0), y)
    for c in range(3):
        share = sw[val][y[val] == c].sum() / sw[y == c].sum()
        assert abs(share - 0.2) <= 3.0 / sw[y == c].sum()


def test_duplicate_rows_stay_on_one_side():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3)).repeat(rng.integers(1, 5, size=40), axis=0)
    y = (X[:, 0] > 0).astype(int)
    keys = row_keys(X, y[:, None])
    train, val = validation_split(keys, np.ones(len(y)), 0.25, np.random.default_rng(0), y)
    train_rows = {tuple(r) for r in X[train]}
    assert not any(tuple(r) in train_rows for r in X[val])
    assert len(val) > 0


def test_split_depends_on_random_state_only_through_the_generator():
    keys = row_keys(np.arange(100.0)[:, None])
    a = validation_split(keys, np.ones(100), 0.1, np.random.default_rng(0))[1]
    b = validation_split(keys, np.ones(100), 0.1, np.random.default_rng(0))[1]
    c = validation_split(keys, np.ones(100), 0.1, np.random.default_rng(1))[1]
    np.testing.assert_array_equal(a, b)
    assert set(a) != set(c)


def test_too_few_distinct_samples_for_a_validation_set():
    X = np.ones((6, 2))
    y = np.array([0, 0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="early_stopping"):
        MLPClassifier(early_stopping=True).fit(X * y[:, None], y)


def test_classifier_accuracy_scoring_on_digits():
    X, y = load_digits(return_X_y=True)
    clf = MLPClassifier(hidden_layer_sizes=(32,), early_stopping=True, scoring="accuracy",
                        validation_fraction=0.2, random_state=0).fit(X / 16, y)
    assert clf.best_validation_score_ > 0.9
    assert clf.best_validation_score_ == max(clf.validation_scores_)


def test_warm_start_starts_a_fresh_patience_count(noisy_regression):
    X, y = noisy_regression
    reg = MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01, early_stopping=True,
                       n_iter_no_change=4, max_iter=300, warm_start=True, random_state=0)
    reg.fit(X, y)
    first = reg.n_iter_
    assert first < 300
    reg.fit(X, y)
    # the second fit ran at least n_iter_no_change epochs: patience began at zero
    # (n_iter_ counts this fit's epochs; the scores keep the whole history)
    assert reg.n_iter_ >= 4 and len(reg.validation_scores_) == first + reg.n_iter_
    # its best score is its own, not the first fit's
    assert reg.best_validation_score_ == max(reg.validation_scores_[first:])
    assert reg.best_loss_ is None


def test_partial_fit_refuses_early_stopping():
    X, y = make_regression(n_samples=50, n_features=3, random_state=0)
    reg = MLPRegressor(early_stopping=True, random_state=0)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        reg.partial_fit(X, y)
    assert not hasattr(reg, "coefs_")


# -- patience in optimizer steps (n_steps_no_change) --------------------------------
def _stopping_epoch(**params):
    """Epochs run when only the first epoch improves (tol=1e9), on 100 rows
    of which 80 train: 4 steps per epoch in batches of 20."""
    X = np.random.default_rng(0).normal(size=(100, 3))
    reg = MLPRegressor((3,), tol=1e9, early_stopping=True, validation_fraction=0.2,
                       batch_size=20, max_iter=30, n_iter_no_change=2, random_state=0,
                       **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # it learns nothing
        reg.fit(X, X[:, 0])
    assert reg.t_ == 80 * reg.n_iter_  # 80 training rows: 4 steps per epoch
    return reg.n_iter_


@pytest.mark.parametrize("n_steps, epochs", [(0, 3), (8, 3), (9, 4), (12, 4), (13, 5),
                                             (40, 11)])
def test_patience_covers_n_steps_no_change_steps(n_steps, epochs):
    # epoch 1 improves; training stops after 2 epochs without improvement
    # *and* n_steps steps since epoch 1: 4 steps per epoch
    assert _stopping_epoch(n_steps_no_change=n_steps) == epochs


def test_step_patience_changes_nothing_where_epochs_have_many_steps():
    X, y = make_regression(n_samples=200, n_features=4, noise=1.0, random_state=0)
    common = dict(hidden_layer_sizes=(5,), tol=1e9, early_stopping=True, batch_size=10,
                  max_iter=100, random_state=0)
    # 180 training rows in batches of 10: 18 steps per epoch, and the default
    # 10 epochs of patience (180 steps) cover 100 steps
    steps = MLPRegressor(**common, n_steps_no_change=100).fit(X, y / y.std())
    epochs_only = MLPRegressor(**common).fit(X, y / y.std())
    assert steps.n_iter_ == epochs_only.n_iter_ == 1 + steps.n_iter_no_change
    # up to 180 steps the rule is the same; one more step needs another epoch
    at_bound = MLPRegressor(**common, n_steps_no_change=180).fit(X, y / y.std())
    past = MLPRegressor(**common, n_steps_no_change=181).fit(X, y / y.std())
    assert at_bound.n_iter_ == 11 and past.n_iter_ == 12


def test_step_patience_is_for_the_validation_score_of_stochastic_fits():
    X = np.random.default_rng(0).normal(size=(100, 3))
    common = dict(hidden_layer_sizes=(3,), batch_size=20, max_iter=30, n_iter_no_change=2,
                  n_steps_no_change=1000, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # the training-loss patience counts epochs only
        assert MLPRegressor(**common, tol=1e9).fit(X, X[:, 0]).n_iter_ == 3
        # L-BFGS's full-batch iterations count as epochs (a constant score
        # improves once, at the first iteration)
        lbfgs = MLPRegressor(**common, optimizer="lbfgs", tol=0.0, early_stopping=True,
                             validation_fraction=0.2,
                             scoring=lambda est, X, y, sample_weight=None: 0.0)
        lbfgs.fit(X, X[:, 0])
    assert lbfgs.n_iter_ == 3


def test_step_patience_with_an_adaptive_rate_waits_as_long():
    X = np.random.default_rng(0).normal(size=(100, 3))
    reg = MLPRegressor((3,), optimizer="sgd", learning_rate="adaptive", learning_rate_init=0.01,
                       tol=1e9, early_stopping=True, validation_fraction=0.2, batch_size=20,
                       max_iter=9, n_iter_no_change=2, n_steps_no_change=12, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, X[:, 0])
    # plateaus after epochs 4 and 7 (3 epochs = 12 steps each): the rate is
    # divided by 5 twice
    assert reg._learning_rate == pytest.approx(0.01 / 25)


@pytest.mark.parametrize("value", [-1, 2.5, np.inf, "100"])
def test_other_step_patience_values_are_refused(value):
    X = np.random.default_rng(0).normal(size=(30, 2))
    with pytest.raises(ValueError, match="n_steps_no_change"):
        MLPRegressor(early_stopping=True, n_steps_no_change=value).fit(X, X[:, 0])
