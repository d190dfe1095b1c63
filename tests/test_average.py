"""Weight averaging (``average``): stochastic weight averaging from a start
epoch and the exponential moving average, checked against their definitions
computed from the raw iterates; early stopping on the averaged weights;
continuing with partial_fit and warm_start; refused values."""

import copy
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from skreg import MLPClassifier, MLPClassifierCV, MLPRegressor, MLPRegressorCV

X_REG, Y_REG = make_regression(n_samples=80, n_features=5, noise=5.0, random_state=0)
Y_REG = Y_REG / Y_REG.std()
X_CLF, Y_CLF = make_classification(n_samples=90, n_features=6, n_informative=4,
                                   n_classes=3, random_state=0)

COMMON = dict(hidden_layer_sizes=(7,), learning_rate_init=0.01, batch_size=30,
              tol=0.0, n_iter_no_change=np.inf, random_state=0)


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def _flat(est):
    return np.concatenate([a.ravel() for a in est.coefs_ + est.intercepts_])


def _raw_iterates(Est, n_epochs, X, y, **params):
    """The weights at the end of each epoch 1..n_epochs of a plain fit (the
    same run cut off after each epoch)."""
    return [_flat(_fit(Est(**{**COMMON, **params, "max_iter": m}), X, y))
            for m in range(1, n_epochs + 1)]


@pytest.mark.parametrize("Est, X, y, average, first", [
    (MLPRegressor, X_REG, Y_REG, True, 1),
    (MLPRegressor, X_REG, Y_REG, 4, 4),
    (MLPClassifier, X_CLF, Y_CLF, 1, 1),
    (MLPClassifier, X_CLF, Y_CLF, 6, 6),
])
def test_swa_is_the_mean_of_the_epoch_end_weights(Est, X, y, average, first):
    iterates = _raw_iterates(Est, 6, X, y)
    est = _fit(Est(**COMMON, max_iter=6, average=average), X, y)
    np.testing.assert_allclose(_flat(est), np.mean(iterates[first - 1:], axis=0),
                               rtol=1e-12, atol=1e-14)
    # averaging does not change the training: the raw iterate is kept to continue
    raw = est._average_state
    np.testing.assert_array_equal(
        np.concatenate([a.ravel() for a in raw["coefs"] + raw["intercepts"]]), iterates[-1])
    assert raw["count"] == 6 - first + 1
    # the training history is that of the raw iterate
    plain = _fit(Est(**COMMON, max_iter=6), X, y)
    assert est.loss_curve_ == plain.loss_curve_


def test_swa_before_its_first_epoch_keeps_the_raw_weights():
    iterates = _raw_iterates(MLPRegressor, 3, X_REG, Y_REG)
    est = _fit(MLPRegressor(**COMMON, max_iter=3, average=5), X_REG, Y_REG)
    np.testing.assert_array_equal(_flat(est), iterates[-1])
    assert est._average_state["count"] == 0


@pytest.mark.parametrize("decay", [0.5, 0.9])
def test_ema_follows_its_recursion_after_every_step(decay):
    # one step per epoch (batch_size = n_samples): the epoch-end weights are
    # the iterates of every step
    params = dict(batch_size=X_REG.shape[0])
    iterates = _raw_iterates(MLPRegressor, 5, X_REG, Y_REG, **params)
    expected = iterates[0].copy()  # the first average is the first iterate
    for theta in iterates[1:]:
        expected = decay * expected + (1 - decay) * theta
    est = _fit(MLPRegressor(**{**COMMON, **params}, max_iter=5, average=decay), X_REG, Y_REG)
    np.testing.assert_allclose(_flat(est), expected, rtol=1e-12, atol=1e-14)


def test_ema_is_updated_after_every_step_of_an_epoch():
    # 80 rows in batches of 30: three steps per epoch
    est = _fit(MLPRegressor(**COMMON, max_iter=4, average=0.8), X_REG, Y_REG)
    assert est._average_state["count"] == 4 * 3


@pytest.mark.parametrize("average", [True, 2, 0.7])
def test_partial_fit_continues_the_raw_iterate_and_the_average(average):
    params = {**COMMON, "average": average}
    a = MLPRegressor(**params)
    b = MLPRegressor(**{**COMMON, "average": False})
    raw_b, steps = [], 0
    for _ in range(5):
        a.partial_fit(X_REG, Y_REG)
        b.partial_fit(X_REG, Y_REG)
        raw_b.append(_flat(b))
        steps += 3
    raw_a = a._average_state
    np.testing.assert_array_equal(
        np.concatenate([w.ravel() for w in raw_a["coefs"] + raw_a["intercepts"]]), raw_b[-1])
    if isinstance(average, float):
        assert raw_a["count"] == steps
    else:
        first = 1 if average is True else average
        np.testing.assert_allclose(_flat(a), np.mean(raw_b[first - 1:], axis=0),
                                   rtol=1e-12, atol=1e-14)


def test_warm_start_continues_the_raw_iterate_with_a_new_average():
    params = {**COMMON, "max_iter": 3, "warm_start": True}
    avg = _fit(MLPRegressor(**params, average=True), X_REG, Y_REG)
    _fit(avg, X_REG, Y_REG)
    # the same two fits without averaging, the second cut after each epoch
    second = []
    for m in (1, 2, 3):
        plain = _fit(MLPRegressor(**params), X_REG, Y_REG)
        plain.set_params(max_iter=m)
        second.append(_flat(_fit(plain, X_REG, Y_REG)))
    np.testing.assert_allclose(_flat(avg), np.mean(second, axis=0), rtol=1e-12, atol=1e-14)
    assert avg._average_state["count"] == 3


def test_switching_averaging_off_continues_from_the_raw_iterate():
    est = _fit(MLPRegressor(**COMMON, max_iter=3, average=True, warm_start=True),
               X_REG, Y_REG)
    plain = _fit(MLPRegressor(**COMMON, max_iter=3, warm_start=True), X_REG, Y_REG)
    est.set_params(average=False)
    plain.set_params(average=False)
    _fit(est, X_REG, Y_REG)
    _fit(plain, X_REG, Y_REG)
    np.testing.assert_array_equal(_flat(est), _flat(plain))
    assert not hasattr(est, "_average_state")


def _recording_scorer(seen):
    def score(est, X, y, sample_weight=None):
        seen.append((X, y))
        return -float(np.mean((est.predict(X) - y) ** 2))
    return score


@pytest.mark.parametrize("average", [True, 0.6])
def test_early_stopping_scores_and_keeps_the_averaged_weights(average):
    seen = []
    params = {**COMMON, "hidden_layer_sizes": (32,), "learning_rate_init": 0.05,
              "n_iter_no_change": 3, "n_steps_no_change": 0}
    # (normalize_y=False: the target is scaled by hand, and the stopping
    # epoch of this small problem is what is checked)
    est = _fit(MLPRegressor(**params, average=average, early_stopping=True, validation_fraction=0.25,
                            max_iter=300, normalize_y=False, scoring=_recording_scorer(seen)),
               X_REG, Y_REG)
    X_val, y_val = seen[0]
    assert est.n_iter_ < 300  # stopped early
    best = int(np.argmax(est.validation_scores_))
    assert best < est.n_iter_ - 1  # the best epoch is not the last one
    # the kept score is the score of the fitted (averaged) weights
    final = -float(np.mean((est.predict(X_val) - y_val) ** 2))
    assert est.best_validation_score_ == final
    # ... which are not the raw iterate of that epoch
    raw = copy.deepcopy(est)
    raw.coefs_, raw.intercepts_ = est._average_state["coefs"], est._average_state["intercepts"]
    assert -float(np.mean((raw.predict(X_val) - y_val) ** 2)) != final


def test_early_stopping_on_the_loss_scores_the_averaged_weights():
    seen = []
    est = _fit(MLPClassifier(**COMMON, average=True, early_stopping=True,
                             validation_fraction=0.25, max_iter=8), X_CLF, Y_CLF)
    # the validation rows, found again with a scorer on the same split
    _fit(MLPClassifier(**COMMON, average=True, early_stopping=True, validation_fraction=0.25,
                       max_iter=1, scoring=lambda e, X, y, sample_weight=None:
                       seen.append((X, y)) or 0.0), X_CLF, Y_CLF)
    X_val, y_val = seen[0]
    assert est.best_validation_score_ == pytest.approx(-est._data_loss(X_val, y_val),
                                                       rel=1e-12)


@pytest.mark.parametrize("average", [True, 3, 0.9])
def test_numba_and_numpy_give_the_same_averages(monkeypatch, average):
    fits = []
    for disable in ("0", "1"):
        monkeypatch.setenv("SKREG_DISABLE_NUMBA", disable)
        est = MLPClassifier(**{**COMMON, "hidden_layer_sizes": (40,)}, average=average,
                            max_iter=6, optimizer="adamw", dropout=0.1)
        fits.append(_fit(est, X_CLF.astype(np.float32), Y_CLF))
    for a, b in zip(fits[0].coefs_ + fits[0].intercepts_, fits[1].coefs_ + fits[1].intercepts_):
        np.testing.assert_array_equal(a, b)


def test_float32_stays_float32():
    est = _fit(MLPRegressor(**COMMON, max_iter=3, average=0.9), X_REG.astype(np.float32),
               Y_REG)
    assert all(W.dtype == np.float32 for W in est.coefs_)
    assert all(W.dtype == np.float32 for W in est._average_state["coefs"])


@pytest.mark.parametrize("value", [0, -1, 1.0, 1.5, 0.0, -0.5, "swa", None])
def test_other_values_are_refused(value):
    with pytest.raises(ValueError, match="'average' parameter"):
        MLPRegressor(average=value).fit(X_REG, Y_REG)


@pytest.mark.parametrize("value", [True, 3, 0.5])
def test_lbfgs_is_refused(value):
    with pytest.raises(ValueError, match="average=.*lbfgs"):
        MLPRegressor(average=value, optimizer="lbfgs").fit(X_REG, Y_REG)


def test_bool_and_int_are_told_apart():
    # True starts at epoch 1; 1 also does; numpy booleans are booleans
    a = _fit(MLPRegressor(**COMMON, max_iter=3, average=True), X_REG, Y_REG)
    b = _fit(MLPRegressor(**COMMON, max_iter=3, average=np.bool_(True)), X_REG, Y_REG)
    c = _fit(MLPRegressor(**COMMON, max_iter=3, average=np.int64(2)), X_REG, Y_REG)
    np.testing.assert_array_equal(_flat(a), _flat(b))
    assert a._average_state["count"] == 3 and c._average_state["count"] == 2
    off = _fit(MLPRegressor(**COMMON, max_iter=3, average=np.bool_(False)), X_REG, Y_REG)
    assert not hasattr(off, "_average_state")


@pytest.mark.parametrize("Est", [MLPClassifierCV, MLPRegressorCV])
def test_cv_estimators_take_average(Est):
    X, y = (X_CLF, Y_CLF) if Est is MLPClassifierCV else (X_REG, Y_REG)
    est = _fit(Est((5,), alphas=[1e-4, 1e-2], cv=2, max_iter=4, average=2, random_state=0),
               X, y)
    assert est.average == 2 and est._average_state["count"] == 3


@pytest.mark.parametrize("average", [True, 0.8])
def test_averaged_model_round_trips_with_skops_and_continues_identically(average):
    sio = pytest.importorskip("skops.io")
    est = _fit(MLPRegressor(**COMMON, max_iter=3, average=average), X_REG, Y_REG)
    name = f"{MLPRegressor.__module__}.{MLPRegressor.__qualname__}"
    data = sio.dumps(est)
    assert sio.get_untrusted_types(data=data) == [name]
    loaded = sio.loads(data, trusted=[name])
    np.testing.assert_array_equal(loaded.predict(X_REG), est.predict(X_REG))
    for _ in range(2):
        est.partial_fit(X_REG, Y_REG)
        loaded.partial_fit(X_REG, Y_REG)
    np.testing.assert_array_equal(_flat(loaded), _flat(est))
    assert loaded._average_state["count"] == est._average_state["count"]
