"""Determinism and state that survives.

* The same ``random_state`` gives bit-identical weights for every optimizer and
  regularizer, dense and sparse, with and without early stopping.
* The global numpy generator is never touched.
* ``predict`` from several threads at once equals serial predictions.
* A pickled model predicts the same and continues ``partial_fit`` and
  ``warm_start`` exactly as the original would (optimizer state included).
"""

import copy
import pickle
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression

from skreg import MLPClassifier, MLPRegressor
from skreg._settings import optimizer_object
from skreg.optimizers import OPTIMIZERS

STOCHASTIC = [name for name in OPTIMIZERS if name != "lbfgs"]
REGULARIZERS = {
    "none": {},
    "l1_ratio": {"alpha": 1e-2, "l1_ratio": 0.5},
    "dropout": {"dropout": 0.3},
    "input_dropout": {"input_dropout": 0.2},
    "dropconnect": {"dropconnect": 0.3},
    "noise_std": {"noise_std": 0.1},
    "max_norm": {"max_norm": 0.5},
    "all": {"alpha": 1e-2, "l1_ratio": 0.5, "dropout": 0.3, "input_dropout": 0.2,
            "dropconnect": 0.3, "noise_std": 0.1, "max_norm": 1.0},
}
LBFGS_OK = ("none",)  # L-BFGS refuses the others


def data(Est, n_samples=60, sparse=False):
    if Est is MLPClassifier:
        X, y = make_classification(n_samples=n_samples, n_features=6, n_informative=4,
                                   n_classes=3, random_state=0)
    else:
        X, y = make_regression(n_samples=n_samples, n_features=6, random_state=0)
        y = y / 100
    if sparse:
        X[np.abs(X) < 0.7] = 0.0
        X = sp.csr_matrix(X)
    return X, y


def quiet_fit(est, *args, method="fit", **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(est, method)(*args, **kwargs)


def assert_same_state(a, b):
    for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(p, q)
    assert a.loss_curve_ == b.loss_curve_
    assert a.n_iter_ == b.n_iter_


def fit_twice(Est, params, X, y):
    a = quiet_fit(Est(**params), X, y)
    b = quiet_fit(Est(**params), X, y)
    return a, b


# -- same random_state, same weights -----------------------------------------


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize(
    "optimizer, regularizer",
    [(opt, reg) for opt in OPTIMIZERS for reg in REGULARIZERS
     if opt != "lbfgs" or reg in LBFGS_OK],
)
def test_same_random_state_same_weights(Est, optimizer, regularizer):
    X, y = data(Est)
    params = dict(hidden_layer_sizes=(8, 5), optimizer=optimizer, max_iter=4,
                  batch_size=16, random_state=7, **REGULARIZERS[regularizer])
    a, b = fit_twice(Est, params, X, y)
    assert_same_state(a, b)
    # and the seed matters: another one gives other weights
    c = quiet_fit(Est(**{**params, "random_state": 8}), X, y)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "lbfgs"])
def test_same_random_state_same_weights_sparse_and_early_stopping(
    Est, sparse, early_stopping, optimizer
):
    X, y = data(Est, n_samples=80, sparse=sparse)
    regularizer = {} if optimizer == "lbfgs" else REGULARIZERS["all"]
    params = dict(hidden_layer_sizes=(8,), optimizer=optimizer, max_iter=6,
                  batch_size=16, early_stopping=early_stopping, n_iter_no_change=2,
                  random_state=3, **regularizer)
    a, b = fit_twice(Est, params, X, y)
    assert_same_state(a, b)
    if early_stopping:
        assert a.validation_scores_ == b.validation_scores_


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_dense_csr_and_csc_train_the_same_model(Est, optimizer):
    """Same rows, same noise (it is keyed by row content), same weights up to
    the rounding of the sparse products."""
    X, y = data(Est, sparse=True)
    regularizer = {} if optimizer == "lbfgs" else REGULARIZERS["all"]
    params = dict(hidden_layer_sizes=(8,), optimizer=optimizer, max_iter=4,
                  batch_size=16, random_state=0, **regularizer)
    fits = [quiet_fit(Est(**params), Z, y) for Z in (X.toarray(), X, X.tocsc())]
    for other in fits[1:]:
        for p, q in zip(fits[0].coefs_, other.coefs_):
            np.testing.assert_allclose(p, q, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_same_generator_seed_same_weights(Est):
    """A Generator or RandomState as random_state: equal seeds, equal fits."""
    X, y = data(Est)
    for make in (np.random.default_rng, np.random.RandomState):
        params = dict(hidden_layer_sizes=(8,), dropout=0.2, max_iter=3)
        a = quiet_fit(Est(random_state=make(5), **params), X, y)
        b = quiet_fit(Est(random_state=make(5), **params), X, y)
        assert_same_state(a, b)


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_same_random_state_same_mc_predictions(Est):
    X, y = data(Est)
    params = dict(hidden_layer_sizes=(8,), dropout=0.3, dropconnect=0.2, max_iter=3,
                  mc_samples=5, random_state=0)
    a, b = fit_twice(Est, params, X, y)
    if Est is MLPClassifier:
        np.testing.assert_array_equal(a.predict_proba(X, mc_dropout=True),
                                      b.predict_proba(X, mc_dropout=True))
    else:
        for u, v in zip(a.predict(X, return_std=True), b.predict(X, return_std=True)):
            np.testing.assert_array_equal(u, v)


# -- the global generator ----------------------------------------------------


def global_state():
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return keys.copy(), pos, has_gauss, cached


def assert_global_state_unchanged(before):
    after = global_state()
    np.testing.assert_array_equal(before[0], after[0])
    assert before[1:] == after[1:]


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("random_state", [None, 0, "RandomState", "Generator"])
def test_global_numpy_generator_is_never_touched(Est, random_state):
    X, y = data(Est)
    np.random.seed(12345)
    before = global_state()
    if random_state == "RandomState":
        random_state = np.random.RandomState(0)
    elif random_state == "Generator":
        random_state = np.random.default_rng(0)
    est = Est(hidden_layer_sizes=(8,), dropout=0.2, input_dropout=0.1, dropconnect=0.1,
              noise_std=0.1, early_stopping=True, max_iter=3, mc_samples=3,
              random_state=random_state)
    quiet_fit(est, X, y)
    extra = {"classes": np.unique(y)} if Est is MLPClassifier else {}
    est.set_params(early_stopping=False)  # partial_fit does not support it
    quiet_fit(est, X, y, method="partial_fit", **extra)
    est.predict(X)
    est.score(X, y)
    if Est is MLPClassifier:
        est.predict_proba(X)
        est.predict_log_proba(X)
        est.predict_proba(X, mc_dropout=True)
    else:
        est.predict(X, return_std=True)
    quiet_fit(est.set_params(warm_start=True), X, y)
    quiet_fit(clone(est).set_params(optimizer="lbfgs", dropout=0.0, input_dropout=0.0,
                                    dropconnect=0.0, noise_std=0.0), X, y)
    assert_global_state_unchanged(before)


# -- threads -----------------------------------------------------------------


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("sparse", [False, True])
def test_predict_from_four_threads_equals_serial(Est, sparse):
    X, y = data(Est, n_samples=300, sparse=sparse)
    est = quiet_fit(Est(hidden_layer_sizes=(32, 16), dropout=0.2, mc_samples=4,
                        max_iter=5, random_state=0), X, y)
    chunks = [X[i::7] for i in range(7)] * 4  # several calls in flight at once

    def predictions(Z):
        out = [est.predict(Z)]
        if Est is MLPClassifier:
            out += [est.predict_proba(Z), est.predict_log_proba(Z),
                    est.predict_proba(Z, mc_dropout=True)]
        else:
            out += list(est.predict(Z, return_std=True))
        return out

    serial = [predictions(Z) for Z in chunks]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(predictions, chunks))
    for s, p in zip(serial, parallel):
        for u, v in zip(s, p):
            np.testing.assert_array_equal(u, v)


# -- persistence -------------------------------------------------------------


def roundtrip(est):
    return pickle.loads(pickle.dumps(est, protocol=pickle.HIGHEST_PROTOCOL))


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adagrad", "adadelta", "adam",
                                       "adamw"])
def test_pickled_model_continues_partial_fit_identically(Est, optimizer):
    X, y = data(Est)
    extra = {"classes": np.unique(y)} if Est is MLPClassifier else {}
    est = Est(hidden_layer_sizes=(8,), optimizer=optimizer, dropout=0.2,
              learning_rate="invscaling", batch_size=16, random_state=0)
    for _ in range(2):
        quiet_fit(est, X, y, method="partial_fit", **extra)
    copy_ = roundtrip(est)
    assert_same_state(est, copy_)
    assert copy_._optimizer_state["t"] == est._optimizer_state["t"] > 0
    for _ in range(2):
        quiet_fit(est, X, y, method="partial_fit")
        quiet_fit(copy_, X, y, method="partial_fit")
    assert_same_state(est, copy_)
    # the optimizer state did matter: restarting it gives other weights
    fresh_state = roundtrip(copy_)
    for _ in range(2):
        quiet_fit(fresh_state, X, y, method="partial_fit")
    restarted = roundtrip(copy_)
    restarted._optimizer_state = optimizer_object(est).init_state(
        restarted.coefs_ + restarted.intercepts_
    )
    for _ in range(2):
        quiet_fit(restarted, X, y, method="partial_fit")
    if optimizer != "sgd":  # plain SGD has no state
        assert not np.array_equal(fresh_state.coefs_[0], restarted.coefs_[0])


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("optimizer", ["nesterov", "rmsprop", "nadam", "lbfgs"])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_pickled_model_continues_warm_start_identically(Est, optimizer, early_stopping):
    X, y = data(Est, n_samples=80)
    est = Est(hidden_layer_sizes=(8,), optimizer=optimizer, max_iter=3, batch_size=16,
              warm_start=True, early_stopping=early_stopping, n_iter_no_change=50,
              learning_rate="adaptive", random_state=0)
    quiet_fit(est, X, y)
    copy_ = roundtrip(est)
    for _ in range(2):
        quiet_fit(est, X, y)
        quiet_fit(copy_, X, y)
    assert_same_state(est, copy_)
    assert len(est.loss_curve_) == 9 and est.n_iter_ == 3
    if early_stopping:
        assert est.validation_scores_ == copy_.validation_scores_


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("sparse", [False, True])
def test_pickle_and_deepcopy_preserve_predictions(Est, sparse):
    X, y = data(Est, sparse=sparse)
    est = quiet_fit(Est(hidden_layer_sizes=(8,), dropout=0.2, dropconnect=0.1,
                        mc_samples=4, max_iter=5, random_state=0), X, y)
    for other in (roundtrip(est), copy.deepcopy(est)):
        np.testing.assert_array_equal(est.predict(X), other.predict(X))
        if Est is MLPClassifier:
            np.testing.assert_array_equal(est.predict_proba(X), other.predict_proba(X))
            np.testing.assert_array_equal(est.predict_proba(X, mc_dropout=True),
                                          other.predict_proba(X, mc_dropout=True))
        else:
            for u, v in zip(est.predict(X, return_std=True),
                            other.predict(X, return_std=True)):
                np.testing.assert_array_equal(u, v)
