"""The estimator surface: accuracy on standard data, input kinds, fitted
attributes, incremental training and parameter validation."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_digits, make_multilabel_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import MLPClassifier, MLPRegressor

quiet = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, random_state=0)


@quiet
def test_digits_accuracy(digits):
    X_train, X_test, y_train, y_test = digits
    clf = MLPClassifier(random_state=0).fit(X_train, y_train)
    assert clf.score(X_test, y_test) > 0.95


@quiet
def test_make_regression_r2():
    X, y = make_regression(n_samples=600, n_features=20, noise=5.0, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    reg = MLPRegressor(learning_rate_init=0.01, max_iter=300, random_state=0)
    reg.fit(X_train, y_train)
    assert reg.score(X_test, y_test) > 0.95


@quiet
def test_fitted_attributes_are_plain(digits):
    X_train, _, y_train, _ = digits
    clf = MLPClassifier(hidden_layer_sizes=(20, 10), max_iter=5, random_state=0)
    clf.fit(X_train, y_train)
    assert [W.shape for W in clf.coefs_] == [(64, 20), (20, 10), (10, 10)]
    assert [b.shape for b in clf.intercepts_] == [(20,), (10,), (10,)]
    assert clf.n_layers_ == 4 and clf.n_outputs_ == 10 and clf.n_features_in_ == 64
    assert clf.out_activation_ == "softmax"
    assert clf.n_iter_ == 5 and clf.t_ == 5 * len(y_train)
    assert len(clf.loss_curve_) == 5 and clf.loss_ == clf.loss_curve_[-1]
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    np.testing.assert_array_equal(clf.classes_, np.arange(10))

    def plain(value):
        if isinstance(value, (list, tuple)):
            return all(plain(v) for v in value)
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        return isinstance(value, (np.ndarray, str, int, float, bool, np.generic, type(None)))

    fitted = {k: v for k, v in vars(clf).items() if k.endswith("_") or k.startswith("_")}
    assert fitted and all(plain(v) for v in fitted.values()), fitted.keys()


@quiet
def test_binary_string_labels_and_probabilities():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = np.where(X[:, 0] - X[:, 1] > 0, "yes", "no")
    clf = MLPClassifier(hidden_layer_sizes=(10,), learning_rate_init=0.01, random_state=0)
    clf.fit(X, y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 1
    assert clf.score(X, y) > 0.95
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.log(proba), clf.predict_log_proba(X), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))


@quiet
def test_multiclass_log_proba_is_log_of_proba(digits):
    X_train, X_test, y_train, _ = digits
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=20, random_state=0)
    clf.fit(X_train, y_train)
    np.testing.assert_allclose(
        np.log(clf.predict_proba(X_test)), clf.predict_log_proba(X_test), rtol=1e-9, atol=1e-12
    )


@quiet
def test_multilabel_matches_sklearn_mlp():
    from sklearn.neural_network import MLPClassifier as SklearnMLP

    X, Y = make_multilabel_classification(n_samples=400, n_classes=4, random_state=0)
    X_train, X_test, Y_train, Y_test = train_test_split(X, Y, random_state=0)
    clf = MLPClassifier(hidden_layer_sizes=(30,), max_iter=300, random_state=0)
    clf.fit(X_train, Y_train)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 4
    assert clf.predict(X_test).shape == Y_test.shape
    reference = SklearnMLP(hidden_layer_sizes=(30,), max_iter=300, random_state=0)
    reference.fit(X_train, Y_train)
    # subset accuracy on held-out data, no worse than scikit-learn's own MLP
    assert clf.score(X_test, Y_test) >= reference.score(X_test, Y_test) - 0.05
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape and np.all((proba > 0) & (proba < 1))


@quiet
def test_multi_output_regression():
    X, Y = make_regression(n_samples=300, n_features=8, n_targets=3, noise=1.0, random_state=0)
    Y /= Y.std(axis=0)
    reg = MLPRegressor(hidden_layer_sizes=(), max_iter=300, random_state=0)
    reg.fit(X, Y)
    assert reg.predict(X).shape == (300, 3)
    assert reg.score(X, Y) > 0.99


@quiet
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_matches_dense(fmt):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 10)) * (rng.random((80, 10)) < 0.3)
    y = X @ rng.normal(size=10)
    kw = dict(hidden_layer_sizes=(6,), max_iter=40, random_state=0)
    dense = MLPRegressor(**kw).fit(X, y)
    sparse = MLPRegressor(**kw).fit(sp.csr_matrix(X).asformat(fmt), y)
    for a, b in zip(dense.coefs_, sparse.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(dense.predict(X), sparse.predict(sp.csr_matrix(X)), rtol=1e-8)


@quiet
def test_float32_trains_in_float32():
    X, y = make_regression(n_samples=100, n_features=5, random_state=0)
    reg = MLPRegressor(hidden_layer_sizes=(7,), max_iter=10, random_state=0)
    reg.fit(X.astype(np.float32), y)
    assert all(W.dtype == np.float32 for W in reg.coefs_ + reg.intercepts_)
    assert reg.predict(X.astype(np.float32)).dtype == np.float32
    assert all(a.dtype == np.float32 for a in reg._optimizer_state["m"])


def test_partial_fit_needs_classes_then_continues():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    clf = MLPClassifier(hidden_layer_sizes=(20,), random_state=0)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X[:100], y[:100])
    clf.partial_fit(X[:100], y[:100], classes=np.arange(10))
    assert clf.n_iter_ == 1
    losses = [clf.partial_fit(X, y).loss_ for _ in range(10)]
    assert clf.n_iter_ == 11 and losses[-1] < losses[0]
    with pytest.raises(ValueError, match="labels not in classes_"):
        clf.partial_fit(X[:5], np.array([0, 1, 2, 3, 11]))


def test_partial_fit_equals_fit_epochs():
    """n partial_fit calls on the full data take the same steps as the first
    epochs of fit (no shuffling, full batch)."""
    X, y = make_regression(n_samples=50, n_features=4, random_state=1)
    kw = dict(hidden_layer_sizes=(5,), shuffle=False, random_state=0)
    inc = MLPRegressor(**kw)
    for _ in range(7):
        inc.partial_fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        full = MLPRegressor(max_iter=7, tol=0, **kw).fit(X, y)
    for a, b in zip(inc.coefs_, full.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_partial_fit_is_hidden_for_lbfgs():
    assert not hasattr(MLPRegressor(optimizer="lbfgs"), "partial_fit")
    assert hasattr(MLPRegressor(optimizer="adam"), "partial_fit")


@quiet
def test_warm_start_continues_where_fit_stopped():
    X, y = make_regression(n_samples=60, n_features=4, random_state=2)
    kw = dict(hidden_layer_sizes=(5,), tol=0, random_state=0)
    split = MLPRegressor(max_iter=10, warm_start=True, **kw).fit(X, y)
    split.fit(X, y)
    whole = MLPRegressor(max_iter=20, **kw).fit(X, y)
    # n_iter_ counts the epochs of the last fit, the loss curve the whole history
    assert split.n_iter_ == 10 and len(split.loss_curve_) == 20 and split.t_ == 20 * 60
    np.testing.assert_allclose(split.loss_curve_[10:], whole.loss_curve_[10:], rtol=1e-12)
    cold = MLPRegressor(max_iter=10, **kw).fit(X, y).fit(X, y)
    assert cold.n_iter_ == 10


@quiet
def test_pickle_round_trip_continues_identically():
    X, y = make_regression(n_samples=60, n_features=4, random_state=3)
    reg = MLPRegressor(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(X, y)
    copy = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(copy.predict(X), reg.predict(X))
    reg.partial_fit(X, y)
    copy.partial_fit(X, y)
    np.testing.assert_array_equal(copy.predict(X), reg.predict(X))


def test_convergence_warning_and_tol_stopping():
    X, y = make_regression(n_samples=60, n_features=3, random_state=4)
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        MLPRegressor(max_iter=3, random_state=0).fit(X, y)
    reg = MLPRegressor(hidden_layer_sizes=(), learning_rate_init=0.5, tol=1e-2,
                       n_iter_no_change=3, max_iter=500, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.fit(X, y)
    assert reg.n_iter_ < 500
    # each of the last n_iter_no_change epochs failed to beat the best so far by tol
    curve = reg.loss_curve_
    assert all(curve[i] > min(curve[:i]) - 1e-2 for i in range(len(curve) - 3, len(curve)))


@quiet
def test_pipeline_and_grid_search_over_alpha():
    X, y = make_regression(n_samples=120, n_features=6, noise=10, random_state=5)
    pipe = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(8,), random_state=0))
    search = GridSearchCV(pipe, {"mlpregressor__alpha": [1e-4, 1.0, 100.0]}, cv=3).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert scores[2] < scores[0]  # a huge penalty underfits
    assert search.best_params_["mlpregressor__alpha"] != 100.0


def test_classifier_refuses_continuous_targets():
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="Unknown label type"):
        MLPClassifier().fit(X, np.linspace(0, 1, 10))


def test_poisson_regression_matches_sklearn_poisson_regressor():
    """Same objective: mean half Poisson deviance + alpha/2 ||w||^2."""
    from sklearn.linear_model import PoissonRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = rng.poisson(np.exp(0.5 * X[:, 0] - 0.3 * X[:, 1]))
    reg = MLPRegressor(hidden_layer_sizes=(), loss="poisson", alpha=0.1, optimizer="lbfgs",
                       normalize_y=False, tol=1e-10, max_iter=1000, random_state=0).fit(X, y)
    reference = PoissonRegressor(alpha=0.1, tol=1e-10, max_iter=1000).fit(X, y)
    assert reg.out_activation_ == "exp"
    np.testing.assert_allclose(reg.coefs_[0].ravel(), reference.coef_, atol=1e-5)
    np.testing.assert_allclose(reg.intercepts_[0], reference.intercept_, atol=1e-5)
    np.testing.assert_allclose(reg.predict(X), reference.predict(X), rtol=1e-4)
    with pytest.raises(ValueError, match="non-negative"):
        MLPRegressor(loss="poisson").fit(X, -np.ones(400))


def test_ridge_closed_form_with_lbfgs():
    """hidden_layer_sizes=() with squared error is ridge regression with
    objective 0.5 * mean((y - Xw - b)^2) + alpha/2 ||w||^2."""
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 4))
    y = X @ [1.0, 2.0, -1.0, 0.0] + 0.5 + 0.1 * rng.normal(size=100)
    alpha = 0.3
    reg = MLPRegressor(hidden_layer_sizes=(), alpha=alpha, optimizer="lbfgs", tol=1e-12,
                       max_iter=1000, normalize_y=False).fit(X, y)
    # sklearn's Ridge minimizes ||y - Xw - b||^2 + alpha_r ||w||^2: alpha_r = n * alpha
    reference = Ridge(alpha=alpha * len(y)).fit(X, y)
    # L-BFGS stops on scipy's relative-reduction test; the shrinkage itself is
    # ~0.3 per coefficient here, far larger than this tolerance
    np.testing.assert_allclose(reg.coefs_[0].ravel(), reference.coef_, atol=1e-4)
    np.testing.assert_allclose(reg.intercepts_[0], reference.intercept_, atol=1e-4)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"activation": "softplus"}, "activation"),
        ({"alpha": -1.0}, "alpha"),
        ({"l1_ratio": 1.5}, "l1_ratio"),
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": [0.1, 0.2]}, "dropout"),
        ({"hidden_layer_sizes": (10, 0)}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": (), "dropout": 0.5}, "dropout"),
        ({"optimizer": "adamax"}, "optimizer"),
        ({"optimizer": "lbfgs", "dropout": 0.2}, "dropout"),
        ({"optimizer": "lbfgs", "l1_ratio": 0.5}, "l1_ratio"),
        ({"init": "orthogonal"}, "init"),
        ({"learning_rate_init": 0.0}, "learning_rate_init"),
        ({"learning_rate": "cos"}, "learning_rate"),
        ({"batch_size": 0}, "batch_size"),
        ({"max_iter": 0}, "max_iter"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"scoring": "no_such_metric"}, "no_such_metric"),
        ({"max_norm": -1.0}, "max_norm"),
        ({"noise_std": -0.1}, "noise_std"),
    ],
)
def test_invalid_parameters_are_named(params, match):
    X = np.random.default_rng(0).normal(size=(20, 3))
    y = np.arange(20) % 2
    with pytest.raises(ValueError, match=match):
        MLPClassifier(**params).fit(X, y)


def test_unfitted_and_wrong_width():
    X, y = make_regression(n_samples=30, n_features=4, random_state=0)
    reg = MLPRegressor(max_iter=2)
    with pytest.raises(AttributeError):  # NotFittedError is both
        reg.predict(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        reg.predict(X[:, :3])


@quiet
def test_clone_and_get_params_round_trip():
    clf = MLPClassifier(hidden_layer_sizes=(3, 2), dropout=[0.1, 0.2], alpha=0.5)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert MLPRegressor(loss="poisson").get_params()["loss"] == "poisson"


def test_verbose_prints_one_line_per_epoch(capsys):
    X, y = make_regression(n_samples=30, n_features=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPRegressor(max_iter=4, verbose=1, random_state=0).fit(X, y)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Iteration")]
    assert len(lines) == 4 and lines[0].startswith("Iteration 1, loss = ")
