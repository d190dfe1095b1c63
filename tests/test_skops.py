"""Safe persistence with skops: a fitted model loads trusting only its own
class, predicts identically and continues training identically."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from skreg import MLPClassifier, MLPRegressor
from skreg.optimizers import OPTIMIZERS, Adam

sio = pytest.importorskip("skops.io")

X_CLF, Y_CLF = make_classification(
    n_samples=150, n_features=6, n_informative=4, n_classes=3, random_state=0
)
X_REG, Y_REG = make_regression(n_samples=150, n_features=6, noise=1.0, random_state=0)
Y_REG = Y_REG / Y_REG.std()


@pytest.fixture(autouse=True)
def _no_convergence_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def _regularized(optimizer):
    """Dropout (and friends) on, except for L-BFGS, which refuses them."""
    if optimizer == "lbfgs":
        return {"alpha": 1e-2}
    return {"alpha": 1e-3, "l1_ratio": 0.3, "dropout": 0.2, "input_dropout": 0.1,
            "dropconnect": 0.1, "noise_std": 0.05, "max_norm": 3.0}


def _assert_same_network(a, b):
    for name in ("coefs_", "intercepts_"):
        for x, y in zip(getattr(a, name), getattr(b, name)):
            assert_array_equal(x, y)


def _walk(value, path="est"):
    """Yield (path, value) for every leaf of a nested container."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{path}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]")
    else:
        yield path, value


PLAIN = (np.ndarray, np.generic, str, int, float, bool, type(None))


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_classifier_loads_trusting_only_its_class(optimizer):
    est = MLPClassifier(
        (8,), optimizer=optimizer, max_iter=8, early_stopping=True, n_iter_no_change=50,
        random_state=0, **_regularized(optimizer),
    ).fit(X_CLF, Y_CLF)
    for path, value in _walk(vars(est)):
        assert isinstance(value, PLAIN), f"{path} is a {type(value).__name__}"

    data = sio.dumps(est)
    assert sio.get_untrusted_types(data=data) == [_name(MLPClassifier)]
    loaded = sio.loads(data, trusted=[_name(MLPClassifier)])

    assert_array_equal(loaded.predict_proba(X_CLF), est.predict_proba(X_CLF))
    assert_array_equal(loaded.predict(X_CLF), est.predict(X_CLF))
    assert loaded.loss_curve_ == est.loss_curve_
    assert loaded.validation_scores_ == est.validation_scores_
    if optimizer != "lbfgs":
        assert_array_equal(
            loaded.predict_proba(X_CLF, mc_dropout=True),
            est.predict_proba(X_CLF, mc_dropout=True),
        )
        # training continues exactly as it would have without the round trip
        est.set_params(early_stopping=False)
        loaded.set_params(early_stopping=False)
        for _ in range(2):
            est.partial_fit(X_CLF, Y_CLF)
            loaded.partial_fit(X_CLF, Y_CLF)
    else:
        est.set_params(warm_start=True, max_iter=5).fit(X_CLF, Y_CLF)
        loaded.set_params(warm_start=True, max_iter=5).fit(X_CLF, Y_CLF)
    _assert_same_network(est, loaded)
    assert loaded.n_iter_ == est.n_iter_ and loaded.t_ == est.t_


@pytest.mark.parametrize("optimizer", ["sgd", "adadelta", "nadam", "adamw", "lbfgs"])
def test_regressor_loads_trusting_only_its_class(optimizer):
    est = MLPRegressor(
        (8,), optimizer=optimizer, max_iter=8, random_state=0, **_regularized(optimizer)
    ).fit(X_REG, Y_REG)
    data = sio.dumps(est)
    assert sio.get_untrusted_types(data=data) == [_name(MLPRegressor)]
    loaded = sio.loads(data, trusted=[_name(MLPRegressor)])
    assert_array_equal(loaded.predict(X_REG), est.predict(X_REG))
    if optimizer != "lbfgs":
        for a, b in zip(loaded.predict(X_REG, return_std=True),
                        est.predict(X_REG, return_std=True)):
            assert_array_equal(a, b)
        est.partial_fit(X_REG, Y_REG)
        loaded.partial_fit(X_REG, Y_REG)
        _assert_same_network(est, loaded)


def test_multilabel_and_float32_round_trip():
    Y = np.column_stack([Y_CLF == 0, Y_CLF == 1]).astype(int)
    est = MLPClassifier((8,), max_iter=5, dropout=0.3, random_state=0)
    est.fit(X_CLF.astype(np.float32), Y)
    data = sio.dumps(est)
    assert sio.get_untrusted_types(data=data) == [_name(MLPClassifier)]
    loaded = sio.loads(data, trusted=[_name(MLPClassifier)])
    assert loaded.coefs_[0].dtype == np.float32
    assert_array_equal(loaded.predict(X_CLF), est.predict(X_CLF))


def test_optimizer_object_is_an_extra_type_to_trust():
    """An optimizer given as an object is part of the model's parameters, so
    skops asks to trust its class too (documented in the user guide)."""
    est = MLPClassifier((8,), optimizer=Adam(beta_1=0.8), max_iter=5, random_state=0)
    est.fit(X_CLF, Y_CLF)
    data = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=data)
    assert untrusted == [_name(MLPClassifier), _name(Adam)]
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.loads(data, trusted=[_name(MLPClassifier)])
    loaded = sio.loads(data, trusted=untrusted)
    assert loaded.optimizer.beta_1 == 0.8
    assert_array_equal(loaded.predict_proba(X_CLF), est.predict_proba(X_CLF))


def test_callbacks_are_saved_unless_removed():
    """Callbacks stay on the model after fit; ``set_callbacks()`` with no
    argument removes them before sharing (documented in the user guide)."""
    callback = pytest.importorskip("sklearn.callback")
    monitor = callback.ScoringMonitor(scoring="accuracy")
    est = MLPClassifier((8,), max_iter=3, random_state=0).set_callbacks(monitor)
    est.fit(X_CLF, Y_CLF)
    assert len(sio.get_untrusted_types(data=sio.dumps(est))) > 1
    est.set_callbacks()
    data = sio.dumps(est)
    assert sio.get_untrusted_types(data=data) == [_name(MLPClassifier)]
    loaded = sio.loads(data, trusted=[_name(MLPClassifier)])
    assert_array_equal(loaded.predict(X_CLF), est.predict(X_CLF))


def test_file_round_trip(tmp_path):
    est = MLPRegressor((4,), max_iter=3, dropout=0.1, random_state=0).fit(X_REG, Y_REG)
    path = tmp_path / "model.skops"
    sio.dump(est, path)
    trusted = sio.get_untrusted_types(file=path)
    assert trusted == [_name(MLPRegressor)]
    assert_array_equal(sio.load(path, trusted=trusted).predict(X_REG), est.predict(X_REG))
