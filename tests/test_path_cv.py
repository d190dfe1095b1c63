"""The regularization path and the CV estimators built on it: each point is
the warm-started fit it claims to be, the folds' scores are the held-out
scores of those fits, the choice follows its rule, and the refitted model is
the fit at the chosen point."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import MLPClassifier, MLPClassifierCV, MLPRegressor, MLPRegressorCV
from skreg._cv import _refit_kind
from skreg.path import default_alphas, feature_exit_alpha, regularization_path

X_REG, Y_REG = make_regression(n_samples=120, n_features=8, n_informative=3, noise=5.0,
                               random_state=0)
Y_REG = Y_REG / Y_REG.std()
X_CLF, Y_CLF = make_classification(n_samples=120, n_features=6, n_informative=4,
                                   n_classes=3, random_state=0)
SMALL = dict(hidden_layer_sizes=(8,), learning_rate_init=0.01, max_iter=30, random_state=0)


@pytest.fixture(autouse=True)
def _no_convergence_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _same_weights(a, b):
    for W1, W2 in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(W1, W2)


# -- the path ----------------------------------------------------------------
def test_path_is_a_sequence_of_warm_started_fits():
    alphas = [1e-3, 1e-2, 1e-1]
    base = MLPRegressor(l1_ratio=0.5, **SMALL)
    X_tr, y_tr, X_va, y_va = X_REG[:90], Y_REG[:90], X_REG[90:], Y_REG[90:]
    path = regularization_path(base, X_tr, y_tr, alphas, X_val=X_va, y_val=y_va)
    # by hand: a fresh fit, then warm-started fits with a larger alpha and
    # (dense to sparse) half the patience
    by_hand = clone(base)
    scores, n_iter, used = [], [], []
    for i, alpha in enumerate(alphas):
        patience = 5 if i > 0 else 10
        by_hand.set_params(alpha=alpha, warm_start=i > 0, n_iter_no_change=patience)
        by_hand.fit(X_tr, y_tr)
        pred = by_hand.predict(X_va)
        # the data loss of the standardized target (normalize_y)
        scores.append(-0.5 * np.mean(((pred - y_va) / by_hand._y_scale[0]) ** 2))
        n_iter.append(by_hand.n_iter_)
        used.append(by_hand.used_features_.sum())
    _same_weights(path.estimator, by_hand)
    assert path.alphas.tolist() == alphas  # l1_ratio > 0: weak to strong
    assert_allclose(path.scores, scores, rtol=1e-12)
    assert path.n_iter.tolist() == n_iter
    assert path.n_used_features.tolist() == used
    assert base.alpha == 1e-4 and not hasattr(base, "coefs_")  # not changed
    assert path.estimator.n_iter_no_change == 10  # the estimator's own, restored


@pytest.mark.parametrize("setting, l1_ratio, later", [
    ("auto", 0.5, 2),  # half the patience, dense to sparse
    ("auto", 0.0, 2),  # and strong to weak
    (3, 0.0, 3), (4, 0.5, 4), (np.inf, 0.5, None),
])
def test_later_points_have_their_own_patience(setting, l1_ratio, later):
    # tol so large that no epoch counts as an improvement: a point runs its
    # first epoch and then patience + 1 more
    base = MLPRegressor((8,), tol=1e9, n_iter_no_change=4, max_iter=30, random_state=0,
                        l1_ratio=l1_ratio)
    path = regularization_path(base, X_REG, Y_REG, [1e-3, 1e-2, 1e-1],
                               path_n_iter_no_change=setting)
    expected_later = 30 if later is None else later + 1  # inf: runs to max_iter
    assert path.n_iter.tolist() == [5, expected_later, expected_later]
    # the CV estimators pass it to every fold
    cv = MLPRegressorCV((8,), alphas=[1e-3, 1e-2], l1_ratios=l1_ratio, cv=2, tol=1e9,
                        n_iter_no_change=4, max_iter=30, random_state=0,
                        path_n_iter_no_change=setting)
    cv.fit(X_REG, Y_REG)
    # stored by increasing alpha, whichever way the path ran
    expected = [[5, 5], [expected_later] * 2]
    assert cv.n_iter_path_[0].tolist() == (expected if l1_ratio > 0 else expected[::-1])
    assert cv.n_iter_no_change == 4


@pytest.mark.parametrize("bad", [0, 2.5, "half", True, -np.inf])
def test_bad_path_patience_is_named(bad):
    with pytest.raises(ValueError, match="path_n_iter_no_change"):
        regularization_path(MLPRegressor(**SMALL), X_REG, Y_REG, [1e-2],
                             path_n_iter_no_change=bad)
    with pytest.raises((ValueError, TypeError), match="path_n_iter_no_change"):
        MLPRegressorCV(path_n_iter_no_change=bad).fit(X_REG, Y_REG)


def test_path_direction():
    l2 = regularization_path(MLPRegressor(**SMALL), X_REG, Y_REG, [1e-3, 1e-1, 1e-2])
    assert l2.alphas.tolist() == [1e-1, 1e-2, 1e-3]  # strong to weak
    sparse = regularization_path(MLPRegressor(group_alpha=1e-3, **SMALL), X_REG, Y_REG,
                                 [1e-3, 1e-1, 1e-2])
    assert sparse.alphas.tolist() == [1e-3, 1e-2, 1e-1]
    forced = regularization_path(MLPRegressor(**SMALL), X_REG, Y_REG, [1e-1, 1e-3],
                                 direction="increasing")
    assert forced.alphas.tolist() == [1e-3, 1e-1] and forced.scores is None
    group = regularization_path(MLPRegressor(**SMALL), X_REG, Y_REG, [0.0, 10.0],
                                parameter="group_alpha")
    # a strong group penalty drops every feature
    assert group.n_used_features.tolist()[-1] == 0
    assert group.estimator.group_alpha == 10.0
    with pytest.raises(ValueError, match="parameter must be one of"):
        regularization_path(MLPRegressor(), X_REG, Y_REG, [1.0], parameter="dropout")
    with pytest.raises(ValueError, match="alphas must be non-negative"):
        regularization_path(MLPRegressor(), X_REG, Y_REG, [-1.0])
    with pytest.raises(ValueError, match="direction must be one of"):
        regularization_path(MLPRegressor(), X_REG, Y_REG, [1.0], direction="up")


def test_feature_exit_alpha():
    alphas = [0.3, 0.1, 0.01, 1.0]
    used = np.array([
        # f0 f1    f2    f3
        [1, 0, 1, 0],  # 0.3
        [1, 1, 0, 0],  # 0.1
        [1, 1, 1, 1],  # 0.01
        [0, 0, 1, 0],  # 1.0
    ], dtype=bool)
    # f0 leaves at 1.0; f1 at 0.3 (unused at 0.3 and 1.0); f2 never;
    # f3 at 0.1 (unused from 0.1 up)
    assert feature_exit_alpha(alphas, used).tolist() == [1.0, 0.3, np.inf, 0.1]


def test_default_alphas_scale_is_the_null_loss():
    grid = default_alphas(MLPRegressor(normalize_y=False), X_REG, Y_REG * 3, n_alphas=5)
    assert_allclose(grid[-1], 0.5 * np.var(Y_REG * 3), rtol=1e-10)
    # standardized targets (the default) have the null loss 1/2 whatever their units
    assert_allclose(default_alphas(MLPRegressor(), X_REG, Y_REG * 3, n_alphas=1), [0.5])
    assert_allclose(grid[0], 1e-4 * grid[-1])
    assert_allclose(np.diff(np.log(grid)), np.log(1e4) / 4)
    y = np.array([0] * 30 + [1] * 10)
    prior = np.array([0.75, 0.25])
    top = default_alphas(MLPClassifier(), np.zeros((40, 2)), y, n_alphas=1)[0]
    assert_allclose(top, -(prior * np.log(prior)).sum(), rtol=1e-10)
    with pytest.raises(ValueError, match="n_alphas"):
        default_alphas(MLPRegressor(), X_REG, Y_REG, n_alphas=0)


def test_data_loss_is_the_unpenalized_loss():
    clf = MLPClassifier(**SMALL).fit(X_CLF, Y_CLF)
    w = np.linspace(0.5, 2.0, len(Y_CLF))
    assert_allclose(clf._data_loss(X_CLF, Y_CLF, w),
                    log_loss(Y_CLF, clf.predict_proba(X_CLF), sample_weight=w), rtol=1e-10)
    reg = MLPRegressor(**SMALL).fit(X_REG, Y_REG)
    assert_allclose(reg._data_loss(X_REG, Y_REG),
                    0.5 * np.mean((reg.predict(X_REG) - Y_REG) ** 2), rtol=1e-10)


# -- the CV estimators --------------------------------------------------------
def test_cv_scores_are_the_folds_paths_and_the_choice_follows_the_rule():
    alphas = [1e-4, 1e-2, 1.0]
    folds = list(KFold(3).split(X_REG))
    cv = MLPRegressorCV(alphas=alphas, cv=folds, **SMALL).fit(X_REG, Y_REG)
    assert cv.alphas_.tolist() == alphas
    assert cv.scores_path_.shape == (1, 3, 3)
    for f, (train, test) in enumerate(folds):
        path = regularization_path(MLPRegressor(**SMALL), X_REG[train], Y_REG[train], alphas,
                                   X_val=X_REG[test], y_val=Y_REG[test])
        order = np.argsort(path.alphas)
        assert_array_equal(cv.scores_path_[0, :, f], path.scores[order])
        assert_array_equal(cv.n_iter_path_[0, :, f], path.n_iter[order])
    mean = cv.scores_path_[0].mean(axis=1)
    assert cv.alpha_ == cv.alpha_best_ == alphas[int(np.argmax(mean))]
    assert cv.l1_ratio_ == 0.0


def test_one_standard_error_rule():
    cv = MLPRegressorCV(selection="1se")
    cv.alphas_ = np.array([0.01, 0.1, 1.0, 10.0])
    cv.l1_ratios_ = np.array([0.0])
    # best mean at 0.1 (-1.0); its standard error is 0.5: 1.0 is within
    # (-1.4), 10.0 is not (-3.0)
    cv.scores_path_ = np.array([[[-1.5, -1.5], [-0.5, -1.5], [-1.4, -1.4], [-3.0, -3.0]]])
    cv._select(np.zeros((1, 2, 3)))
    assert cv.alpha_best_ == 0.1
    assert cv.alpha_1se_ == 1.0 and cv.alpha_ == 1.0


def test_refit_is_the_fit_at_the_chosen_point():
    alphas = [1e-3, 1e-1]
    cold = MLPClassifierCV(alphas=alphas, cv=2, refit="cold", **SMALL).fit(X_CLF, Y_CLF)
    assert cold.refit_ == "cold"
    direct = MLPClassifier(alpha=cold.alpha_, **SMALL).fit(X_CLF, Y_CLF)
    _same_weights(cold, direct)
    assert_array_equal(cold.predict_proba(X_CLF), direct.predict_proba(X_CLF))
    assert cold.score(X_CLF, Y_CLF) == direct.score(X_CLF, Y_CLF)
    on_path = MLPClassifierCV(alphas=alphas, cv=2, refit="path", **SMALL).fit(X_CLF, Y_CLF)
    # pure L2: strong to weak, up to the chosen alpha
    upto = [a for a in sorted(alphas, reverse=True) if a >= on_path.alpha_]
    path = regularization_path(MLPClassifier(**SMALL), X_CLF, Y_CLF, upto)
    _same_weights(on_path, path.estimator)
    assert on_path.n_iter_ == path.estimator.n_iter_
    assert on_path.refit_ == "path"
    assert on_path.classes_.tolist() == [0, 1, 2]
    assert not hasattr(on_path, "alpha") and not hasattr(on_path, "partial_fit")


def test_auto_refit_follows_the_path_from_dense_to_sparse():
    """refit="auto": along the path when it runs dense to sparse (L1), cold
    otherwise (pure L2, checked above)."""
    kw = dict(alphas=[1e-3, 1e-2], l1_ratios=1.0, cv=2, **SMALL)
    auto = MLPRegressorCV(**kw).fit(X_REG, Y_REG)
    on_path = MLPRegressorCV(refit="path", **kw).fit(X_REG, Y_REG)
    cold = MLPRegressorCV(refit="cold", **kw).fit(X_REG, Y_REG)
    assert auto.alpha_ == on_path.alpha_ == cold.alpha_
    _same_weights(auto, on_path)
    if auto.alpha_ == 1e-2:  # a path of two points differs from one cold fit
        assert not np.array_equal(auto.coefs_[0], cold.coefs_[0])


@pytest.mark.parametrize("direction, n_iter, patience, kind", [
    ("increasing", [40, 50], 5, "path"),  # dense to sparse: always the path
    ("decreasing", [6, 6, 9], 5, "path"),  # most folds stopped at the first chance
    ("decreasing", [6, 9, 9], 5, "cold"),  # most folds trained on
    ("decreasing", [7, 7], 5, "cold"),
    ("decreasing", [6, 6, 6], 8, "cold"),  # max_iter=6 stopped them, not the patience
    ("decreasing", [30, 30], np.inf, "cold"),  # no patience: every fit trained on
    ("decreasing", None, 5, "cold"),  # the epochs do not tell (a first point, L-BFGS)
])
def test_auto_refit_rule(direction, n_iter, patience, kind):
    n_iter = None if n_iter is None else np.array(n_iter)
    assert _refit_kind("auto", direction, n_iter, patience, max_iter=6 if patience == 8
                       else 200) == kind
    # an explicit setting is kept
    assert _refit_kind("cold", direction, n_iter, patience, 200) == "cold"
    assert _refit_kind("path", direction, n_iter, patience, 200) == "path"


def test_auto_refit_on_a_strong_to_weak_path():
    """Pure L2: the fold fits at the chosen point stop after their first
    epoch plus the patience when no epoch improves (a huge tol), so the
    refit follows the path; with tol=0 they train on and the refit is cold."""
    base = dict(hidden_layer_sizes=(8,), n_iter_no_change=4, max_iter=30, random_state=0)
    kw = dict(base, alphas=[1e-3, 1e-1], cv=2)
    stalled = MLPRegressorCV(tol=1e9, **kw).fit(X_REG, Y_REG)
    assert stalled.alpha_ == 1e-3  # a warm-started point (1e-1 is the first)
    assert stalled.refit_ == "path"
    upto = [a for a in (1e-1, 1e-3) if a >= stalled.alpha_]
    path = regularization_path(MLPRegressor(**base, tol=1e9), X_REG, Y_REG, upto)
    _same_weights(stalled, path.estimator)
    training = MLPRegressorCV(tol=0.0, path_n_iter_no_change=1, **kw).fit(X_REG, Y_REG)
    chosen = list(training.alphas_).index(training.alpha_)
    assert np.median(training.n_iter_path_[0, chosen]) > 2
    assert training.refit_ == "cold"
    direct = MLPRegressor(**base, tol=0.0, alpha=training.alpha_).fit(X_REG, Y_REG)
    _same_weights(training, direct)
    # the first point of the path is a cold fit: whatever its epochs, the refit is cold
    # (its 5 epochs are within a warm point's patience of 10 + 1)
    first = MLPRegressorCV(tol=1e9, path_n_iter_no_change=10,
                           **dict(kw, alphas=[1e-1])).fit(X_REG, Y_REG)
    assert first.n_iter_path_.ravel().tolist() == [5, 5]
    assert first.refit_ == "cold"
    # L-BFGS: the epochs do not show when patience ran out
    lbfgs = MLPRegressorCV(tol=1e9, optimizer="lbfgs", **kw).fit(X_REG, Y_REG)
    assert lbfgs.refit_ == "cold"


def test_l1_ratios_grid_sparsity_and_feature_exit():
    cv = MLPRegressorCV(alphas=[1e-3, 1e-1, 1.0], l1_ratios=[0.0, 1.0], cv=2,
                        **SMALL).fit(X_REG, Y_REG)
    assert cv.scores_path_.shape == cv.sparsity_path_.shape == (2, 3, 2)
    # pure L2 never zeroes a weight; pure L1 at alpha=1 zeroes them all
    assert np.all(cv.sparsity_path_[0] == 0.0)
    assert np.all(cv.n_used_features_path_[0] == 8)
    assert np.all(cv.sparsity_path_[1, -1] == 1.0)
    assert np.all(cv.n_used_features_path_[1, -1] == 0)
    assert cv.feature_exit_alpha_.shape == (8,)
    if cv.l1_ratio_ == 1.0:  # every feature leaves by alpha=1 on both folds
        assert np.all(cv.feature_exit_alpha_ <= 1.0)
    else:  # pure L2 drops none
        assert np.all(np.isinf(cv.feature_exit_alpha_))


def test_parallel_folds_equal_sequential_folds():
    kw = dict(alphas=[1e-3, 1e-1], cv=3, **SMALL)
    one = MLPClassifierCV(n_jobs=1, **kw).fit(X_CLF, Y_CLF)
    two = MLPClassifierCV(n_jobs=2, **kw).fit(X_CLF, Y_CLF)
    assert_array_equal(one.scores_path_, two.scores_path_)
    _same_weights(one, two)


def test_pipeline_clone_grid_search_and_pickle():
    cv = MLPRegressorCV(alphas=[1e-3, 1e-1], cv=2, **SMALL)
    pipe = make_pipeline(StandardScaler(), cv).fit(X_REG, Y_REG)
    assert pipe[-1].alpha_ in (1e-3, 1e-1)
    search = GridSearchCV(clone(cv), {"hidden_layer_sizes": [(4,), (8,)]}, cv=2)
    search.fit(X_REG, Y_REG)
    assert search.best_estimator_.alpha_ in (1e-3, 1e-1)
    copy = pickle.loads(pickle.dumps(pipe))
    assert_array_equal(copy.predict(X_REG), pipe.predict(X_REG))


def test_skops_trusts_only_the_estimator_class():
    sio = pytest.importorskip("skops.io")
    cv = MLPRegressorCV(alphas=[1e-3, 1e-1], cv=2, dropout=0.2, **SMALL).fit(X_REG, Y_REG)
    dumped = sio.dumps(cv)
    untrusted = sio.get_untrusted_types(data=dumped)
    assert untrusted == ["skreg._cv.MLPRegressorCV"]
    loaded = sio.loads(dumped, trusted=untrusted)
    assert_array_equal(loaded.predict(X_REG), cv.predict(X_REG))
    assert_array_equal(loaded.predict(X_REG, return_std=True)[1],
                       cv.predict(X_REG, return_std=True)[1])
    assert_array_equal(loaded.scores_path_, cv.scores_path_)


@pytest.mark.parametrize("params, match", [
    ({"alphas": [-1.0]}, "alphas must be non-negative"),
    ({"alphas": 0}, "alphas"),
    ({"l1_ratios": [0.5, 2.0]}, "l1_ratios must be in"),
    ({"selection": "min"}, "selection"),
    ({"path": "up"}, "path"),
    ({"refit": True}, "refit"),
])
def test_bad_cv_parameters_are_named(params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        MLPRegressorCV(**params).fit(X_REG, Y_REG)
