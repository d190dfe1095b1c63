"""Warm-started fits: each ``fit`` call judges itself (its own epoch count,
best loss, patience and best validation score) while the history
(``loss_curve_``, ``validation_scores_``, ``t_``) runs on."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning

from skreg import MLPClassifier, MLPRegressor


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=300, n_features=10, noise=5.0, random_state=0)
    return X, y / y.std()


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def test_increasing_alpha_path_judges_each_fit_on_its_own(regression):
    """Along an increasing-alpha path the objective grows, so a best loss
    kept from the previous fit would end every later fit after exactly
    ``n_iter_no_change`` epochs; each fit's best loss is its own."""
    X, y = regression
    est = MLPRegressor(hidden_layer_sizes=(16,), warm_start=True, max_iter=150,
                       n_iter_no_change=5, random_state=0)
    seen, total = 0, 0
    best = []
    for alpha in [1e-4, 1e-3, 1e-2, 1e-1]:
        _fit(est.set_params(alpha=alpha), X, y)
        total += est.n_iter_
        seen += est.n_iter_ * X.shape[0]
        this_fit = est.loss_curve_[-est.n_iter_:]
        assert est.best_loss_ == min(this_fit)
        assert len(est.loss_curve_) == total and est.t_ == seen
        best.append(est.best_loss_)
    # the strongest penalty's objective is far above the weak ones': a best
    # loss kept across fits would be the lowest of the whole history
    assert best[-1] > 2 * min(est.loss_curve_)
    assert best[1:] == sorted(best[1:])
    # and the stronger penalties still trained more than their patience
    assert est.n_iter_ > 5 + 1


def test_warm_start_with_early_stopping_tracks_its_own_validation_score(regression):
    X, y = regression
    est = MLPRegressor(hidden_layer_sizes=(16,), warm_start=True, max_iter=60,
                       early_stopping=True, n_iter_no_change=3, random_state=0)
    _fit(est, X, y)
    first = est.n_iter_
    assert est.best_loss_ is None
    assert est.best_validation_score_ == max(est.validation_scores_)
    _fit(est.set_params(alpha=1.0), X, y)
    scores = est.validation_scores_
    assert len(scores) == first + est.n_iter_
    # the strong penalty's scores are worse than the first fit's best: the
    # best score reported is this fit's own
    assert est.best_validation_score_ == max(scores[first:])
    assert est.best_validation_score_ < max(scores[:first])
    assert est.best_loss_ is None


def test_early_stopping_switched_off_between_fits(regression):
    X, y = regression
    est = MLPRegressor(hidden_layer_sizes=(8,), warm_start=True, max_iter=5,
                       early_stopping=True, random_state=0)
    _fit(est, X, y)
    assert est.validation_scores_ is not None and est.best_loss_ is None
    _fit(est.set_params(early_stopping=False), X, y)
    assert est.validation_scores_ is None and est.best_validation_score_ is None
    assert est.best_loss_ == min(est.loss_curve_[-5:])
    # and partial_fit continues the best loss of the last fit
    before = est.best_loss_
    est.partial_fit(X, y)
    assert est.best_loss_ == min(before, est.loss_curve_[-1])
    assert est.n_iter_ == 6


def test_cold_fit_resets_history():
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=4, random_state=0)
    _fit(est, X, y)
    _fit(est, X, y)
    assert len(est.loss_curve_) == 4 and est.n_iter_ == 4 and est.t_ == 4 * 40
