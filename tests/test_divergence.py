"""Divergence: when the loss becomes NaN or infinite, training stops, the
weights of the last finite epoch (or the best validation epoch) are kept, the
user is told to lower ``learning_rate_init``, and predictions are never NaN
without a warning."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from skreg import MLPClassifier, MLPRegressor

ESTIMATORS = [MLPClassifier, MLPRegressor]


def unscaled_data(Est, n_samples=200, scale=100.0):
    if Est is MLPClassifier:
        X, y = make_classification(n_samples=n_samples, n_features=10, random_state=0)
    else:
        X, y = make_regression(n_samples=n_samples, n_features=10, noise=1.0, random_state=0)
    return X * scale, y


def diverging_after_some_epochs(Est):
    """Data and parameters with which SGD diverges after a few finite epochs."""
    if Est is MLPClassifier:
        X, y = unscaled_data(Est, scale=30.0)
        lr = 1e3
    else:
        X, y = unscaled_data(Est, scale=10.0)
        y = y / 100
        lr = 0.1
    params = dict(hidden_layer_sizes=(20,), optimizer="sgd", learning_rate_init=lr,
                  batch_size=50, max_iter=100, random_state=0)
    return X, y, params


def fit_recording(est, *args, method="fit"):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        getattr(est, method)(*args)
    return caught


def divergence_warnings(caught):
    return [
        w for w in caught
        if issubclass(w.category, ConvergenceWarning) and "diverged" in str(w.message)
    ]


def assert_finite_model(est):
    for p in est.coefs_ + est.intercepts_:
        assert np.all(np.isfinite(p))


def same_weights(a, b):
    return all(
        np.array_equal(p, q) for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_)
    )


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov"])
def test_huge_learning_rate_stops_with_one_clear_warning(Est, optimizer):
    X, y = unscaled_data(Est)
    est = Est(hidden_layer_sizes=(20,), optimizer=optimizer, learning_rate_init=1e3,
              batch_size=20, max_iter=50, random_state=0)
    caught = fit_recording(est, X, y)
    # exactly one warning: no RuntimeWarning from numpy's overflow on the way
    assert [w.category for w in caught] == [ConvergenceWarning], [
        str(w.message) for w in caught
    ]
    message = str(caught[0].message)
    assert "diverged" in message and "learning_rate_init" in message
    assert est.n_iter_ < 50
    assert_finite_model(est)
    # the curve holds the finite epochs only
    assert len(est.loss_curve_) == est.n_iter_ - 1
    assert np.all(np.isfinite(est.loss_curve_))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pred = est.predict_proba(X) if Est is MLPClassifier else est.predict(X)
    assert np.all(np.isfinite(pred))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_diverged_fit_keeps_the_weights_of_the_last_finite_epoch(Est):
    X, y, params = diverging_after_some_epochs(Est)
    diverged = Est(**params)
    assert divergence_warnings(fit_recording(diverged, X, y))
    assert diverged.n_iter_ >= 2
    # the same training stopped just before the epoch that diverged
    stopped = Est(**{**params, "max_iter": diverged.n_iter_ - 1})
    assert not divergence_warnings(fit_recording(stopped, X, y))
    assert same_weights(diverged, stopped)
    assert diverged.loss_curve_ == stopped.loss_curve_
    assert diverged.loss_ == stopped.loss_ == diverged.loss_curve_[-1]


def test_poisson_loss_divergence_is_caught():
    X, y = make_regression(n_samples=200, n_features=10, random_state=0)
    y = np.exp(y / np.abs(y).max())
    est = MLPRegressor(hidden_layer_sizes=(20,), loss="poisson", optimizer="sgd",
                       learning_rate_init=1e3, batch_size=20, max_iter=50, random_state=0)
    caught = fit_recording(est, X, y)
    assert [w.category for w in caught] == [ConvergenceWarning]
    assert "diverged" in str(caught[0].message)
    assert_finite_model(est)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pred = est.predict(X)
    # finite, or else the prediction says so (the exp link overflows easily)
    assert np.all(np.isfinite(pred)) or "NaN or infinite" in str(caught[0].message)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_partial_fit_that_diverges_keeps_the_previous_weights(Est):
    X, y = unscaled_data(Est, scale=1.0)
    est = Est(hidden_layer_sizes=(20,), optimizer="sgd", batch_size=20, random_state=0)
    args = (X, y, None, np.unique(y)) if Est is MLPClassifier else (X, y)
    for _ in range(3):
        assert not fit_recording(est, *args, method="partial_fit")
    before = [p.copy() for p in est.coefs_ + est.intercepts_]
    # features 1e150 times larger: the next epoch overflows
    huge = (X * 1e150, *args[1:])
    caught = fit_recording(est, *huge, method="partial_fit")
    assert [w.category for w in caught] == [ConvergenceWarning]
    assert "diverged" in str(caught[0].message)
    for p, q in zip(est.coefs_ + est.intercepts_, before):
        np.testing.assert_array_equal(p, q)
    # and training can go on from there on sane data
    assert not fit_recording(est, *args, method="partial_fit")
    assert_finite_model(est)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_divergence_with_early_stopping_keeps_the_best_validation_epoch(Est):
    X, y, params = diverging_after_some_epochs(Est)
    params.update(early_stopping=True, n_iter_no_change=100)
    est = Est(**params)
    assert divergence_warnings(fit_recording(est, X, y))
    assert len(est.validation_scores_) >= 1
    best = int(np.argmax(est.validation_scores_))
    # a training stopped right after the best epoch restores the same weights
    stopped = Est(**{**params, "max_iter": best + 1})
    fit_recording(stopped, X, y)
    assert same_weights(est, stopped)
    assert_finite_model(est)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_lbfgs_on_overflowing_data_warns_and_stays_finite(Est):
    X, y = unscaled_data(Est, scale=1e200)
    est = Est(hidden_layer_sizes=(20,), optimizer="lbfgs", max_iter=20, random_state=0)
    caught = fit_recording(est, X, y)
    assert [w.category for w in caught] == [ConvergenceWarning], [
        str(w.message) for w in caught
    ]
    assert "diverged" in str(caught[0].message)
    assert_finite_model(est)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pred = est.predict_proba(X) if Est is MLPClassifier else est.predict(X)
    assert np.all(np.isfinite(pred))


def test_lbfgs_on_sane_data_does_not_claim_divergence():
    X, y = unscaled_data(MLPRegressor, scale=1.0)
    est = MLPRegressor(hidden_layer_sizes=(20,), optimizer="lbfgs", max_iter=500,
                       random_state=0)
    assert not divergence_warnings(fit_recording(est, X, y))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_learning_rate_that_works_does_not_claim_divergence(Est):
    X, y = unscaled_data(Est, scale=1.0)
    est = Est(hidden_layer_sizes=(20,), optimizer="sgd", max_iter=30, random_state=0)
    caught = fit_recording(est, X, y)
    assert not divergence_warnings(caught)
    assert est.loss_curve_[-1] < est.loss_curve_[0]


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_overflowing_predictions_warn(Est):
    """A sound model given inputs far beyond anything it saw: the output
    overflows, and the user is told."""
    X, y = unscaled_data(Est, scale=1.0)
    est = Est(hidden_layer_sizes=(20,), activation="identity", max_iter=30,
              random_state=0)
    fit_recording(est, X, y)
    X_far = X[:5].copy()
    X_far[:2] = 1e308  # two rows overflow, three are sane
    with pytest.warns(RuntimeWarning, match="NaN or infinite for 2 of 5 rows"):
        out = est.predict_log_proba(X_far) if Est is MLPClassifier else est.predict(X_far)
    assert np.all(np.isfinite(out[2:]))
    # and so are the MC-dropout predictions
    fit_recording(est.set_params(dropout=0.2), X, y)
    with pytest.warns(RuntimeWarning, match="NaN or infinite for 2 of 5 rows"):
        if Est is MLPClassifier:
            est.predict_proba(X_far, mc_dropout=True)
        else:
            est.predict(X_far, return_std=True)
