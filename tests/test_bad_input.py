"""Bad input gets a clear error or a warning, never a silent wrong answer.

Each test feeds one kind of bad input (a target of an unsupported kind, a
non-canonical sparse matrix, a parameter changed after fit, a training that
ends without learning, a junk-returning callable, an impossible network
size, an unloadable persisted callable) and checks the error, the warning
or the now-correct result.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from skreg import MLPClassifier, MLPRegressor

X_CLF, Y_CLF = make_classification(
    n_samples=120, n_features=5, n_informative=3, n_classes=3, random_state=0
)
X_REG, Y_REG = make_regression(n_samples=120, n_features=5, noise=1.0, random_state=0)
Y_REG = Y_REG / Y_REG.std()

quiet = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# -- 1. multiclass-multioutput targets ----------------------------------------

MULTIOUTPUT_MESSAGE = "Multioutput target data is not supported with label binarization"


def _multiclass_multioutput_y():
    rng = np.random.default_rng(0)
    return rng.integers(0, 3, size=(len(X_CLF), 2))


@pytest.mark.parametrize("early_stopping", [False, True])
def test_multiclass_multioutput_y_is_refused_by_fit(early_stopping):
    Y = _multiclass_multioutput_y()
    clf = MLPClassifier((4,), max_iter=5, early_stopping=early_stopping, random_state=0)
    with pytest.raises(ValueError, match=MULTIOUTPUT_MESSAGE) as info:
        clf.fit(X_CLF, Y)
    assert "multiclass-multioutput" in str(info.value)


def test_multiclass_multioutput_y_is_refused_by_partial_fit():
    Y = _multiclass_multioutput_y()
    clf = MLPClassifier((4,), random_state=0)
    with pytest.raises(ValueError, match=MULTIOUTPUT_MESSAGE):
        clf.partial_fit(X_CLF, Y, classes=[0, 1, 2])
    # and after a first call with a valid y
    clf.partial_fit(X_CLF, Y[:, 0], classes=[0, 1, 2])
    with pytest.raises(ValueError, match=MULTIOUTPUT_MESSAGE):
        clf.partial_fit(X_CLF, Y)


@quiet
def test_multilabel_indicator_y_still_trains_per_label():
    rng = np.random.default_rng(1)
    Y = (X_CLF[:, :2] + 0.1 * rng.standard_normal((len(X_CLF), 2)) > 0).astype(int)
    clf = MLPClassifier((8,), max_iter=300, random_state=0).fit(X_CLF, Y)
    assert clf.predict(X_CLF).shape == Y.shape
    assert np.mean(clf.predict(X_CLF) == Y) > 0.85


# -- 2. sparse X with duplicate stored entries ----------------------------------


def _sparse_forms(X):
    """``X`` dense, as a CSR matrix whose entries are stored as two summed
    halves (a non-canonical CSR), and as COO with the same duplicates."""
    rng = np.random.default_rng(3)
    X = np.where(rng.random(X.shape) < 0.4, 0.0, X)
    rows, cols = np.nonzero(X)
    share = rng.uniform(0.2, 0.8, size=rows.size)
    data = np.concatenate([X[rows, cols] * share, X[rows, cols] * (1 - share)])
    rows2, cols2 = np.concatenate([rows, rows]), np.concatenate([cols, cols])
    order = np.argsort(rows2, kind="stable")
    csr = sp.csr_matrix(
        (data[order], cols2[order], np.searchsorted(rows2[order], np.arange(X.shape[0] + 1))),
        shape=X.shape,
    )
    assert not csr.has_canonical_format
    coo = sp.coo_matrix((data, (rows2, cols2)), shape=X.shape)
    dense = csr.toarray()  # the same sums as the sparse forms
    return dense, csr, coo


def test_row_keys_of_non_canonical_sparse_match_dense():
    from skreg._hashing import row_keys

    dense, csr, coo = _sparse_forms(X_REG)
    data_before = csr.data.copy()
    expected = row_keys(dense)
    np.testing.assert_array_equal(row_keys(csr), expected)
    np.testing.assert_array_equal(row_keys(sp.csr_array(coo)), expected)
    np.testing.assert_array_equal(csr.data, data_before)  # the input is not changed
    assert not csr.has_canonical_format


@quiet
def test_non_canonical_sparse_gives_the_dense_mc_predictions_and_split():
    dense, csr, coo = _sparse_forms(X_REG)
    params = dict(hidden_layer_sizes=(8,), dropout=0.3, input_dropout=0.2, max_iter=15,
                  early_stopping=True, random_state=0, mc_samples=20)
    models = [MLPRegressor(**params).fit(X, Y_REG) for X in (dense, csr, coo)]
    for other in models[1:]:
        np.testing.assert_allclose(other.validation_scores_, models[0].validation_scores_,
                                   rtol=1e-9)
        for a, b in zip(other.coefs_, models[0].coefs_):
            np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-12)
    mean, std = models[0].predict(dense, return_std=True)
    for X in (csr, coo):
        mean_x, std_x = models[0].predict(X, return_std=True)
        np.testing.assert_allclose(mean_x, mean, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(std_x, std, rtol=1e-10, atol=1e-12)


# -- 3. parameters changed after fit --------------------------------------------


@quiet
@pytest.mark.parametrize(
    "change, name",
    [({"alpha": -1.0}, "alpha"), ({"batch_size": 0}, "batch_size"),
     ({"l1_ratio": 2.0}, "l1_ratio"), ({"mc_samples": 1}, "mc_samples")],
)
def test_partial_fit_validates_parameters_changed_after_fit(change, name):
    reg = MLPRegressor((4,), random_state=0).partial_fit(X_REG, Y_REG)
    coefs = [W.copy() for W in reg.coefs_]
    reg.set_params(**change)
    with pytest.raises(ValueError, match=f"'{name}' parameter of MLPRegressor must be"):
        reg.partial_fit(X_REG, Y_REG)
    for a, b in zip(reg.coefs_, coefs):  # nothing trained
        np.testing.assert_array_equal(a, b)


@quiet
@pytest.mark.parametrize(
    "change, name",
    [({"input_dropout": 5.0}, "input_dropout"), ({"dropout": -0.5}, "dropout"),
     ({"dropconnect": 1.0}, "dropconnect"), ({"mc_samples": 1}, "mc_samples"),
     ({"mc_samples": 10**12}, "mc_samples")],
)
def test_mc_prediction_validates_parameters_changed_after_fit(change, name):
    reg = MLPRegressor((6,), dropout=0.3, max_iter=5, random_state=0).fit(X_REG, Y_REG)
    clf = MLPClassifier((6,), dropout=0.3, max_iter=5, random_state=0).fit(X_CLF, Y_CLF)
    reg.set_params(**change)
    clf.set_params(**change)
    with pytest.raises(ValueError, match=f"'{name}' parameter of MLPRegressor must be"):
        reg.predict(X_REG, return_std=True)
    with pytest.raises(ValueError, match=f"'{name}' parameter of MLPClassifier must be"):
        clf.predict_proba(X_CLF, mc_dropout=True)
    # the plain predictions do not use them
    assert np.isfinite(reg.predict(X_REG)).all()


@quiet
def test_mc_dropout_uses_the_rates_of_the_last_training_call():
    reg = MLPRegressor((6,), dropout=0.3, input_dropout=0.1, max_iter=5, mc_samples=30,
                       random_state=0).fit(X_REG, Y_REG)
    mean, std = reg.predict(X_REG, return_std=True)
    # changed rates do not change the model's MC predictions ...
    reg.set_params(dropout=0.6, input_dropout=0.0, dropconnect=0.4)
    mean2, std2 = reg.predict(X_REG, return_std=True)
    np.testing.assert_array_equal(mean2, mean)
    np.testing.assert_array_equal(std2, std)
    # ... until the model trains with them
    reg.partial_fit(X_REG, Y_REG)
    mean3, std3 = reg.predict(X_REG, return_std=True)
    reg.set_params(dropout=0.1, input_dropout=0.2, dropconnect=0.0)
    mean4, std4 = reg.predict(X_REG, return_std=True)
    np.testing.assert_array_equal(mean4, mean3)
    np.testing.assert_array_equal(std4, std3)
    # the rates of the partial_fit call: identical to a model that trained
    # with them all along and then changed nothing
    other = MLPRegressor((6,), dropout=0.3, input_dropout=0.1, max_iter=5, mc_samples=30,
                         random_state=0).fit(X_REG, Y_REG)
    other.set_params(dropout=0.6, input_dropout=0.0, dropconnect=0.4).partial_fit(X_REG, Y_REG)
    mean5, std5 = other.predict(X_REG, return_std=True)
    np.testing.assert_array_equal(mean5, mean3)
    assert not np.allclose(std3, std)


@quiet
def test_mc_dropout_of_a_model_trained_without_dropout_still_raises_after_set_params():
    reg = MLPRegressor((6,), max_iter=5, random_state=0).fit(X_REG, Y_REG)
    reg.set_params(dropout=0.5)
    with pytest.raises(ValueError, match="MC-dropout predictions need dropout"):
        reg.predict(X_REG, return_std=True)


@quiet
def test_mc_predictions_are_computed_in_bounded_blocks_of_rows():
    from skreg import _mc_dropout

    reg = MLPRegressor((6,), dropout=0.3, max_iter=5, mc_samples=7,
                       random_state=0).fit(X_REG, Y_REG)
    clf = MLPClassifier((6,), dropout=0.3, max_iter=5, mc_samples=7,
                        random_state=0).fit(X_CLF, Y_CLF)
    mean, std = reg.predict(X_REG, return_std=True)
    proba = clf.predict_proba(X_CLF, mc_dropout=True)
    budget = _mc_dropout.MEMORY_BUDGET
    try:
        _mc_dropout.MEMORY_BUDGET = 7 * 3 * 8 * 3  # a few rows per block
        mean_b, std_b = reg.predict(X_REG, return_std=True)
        proba_b = clf.predict_proba(X_CLF, mc_dropout=True)
    finally:
        _mc_dropout.MEMORY_BUDGET = budget
    np.testing.assert_allclose(mean_b, mean, rtol=1e-12)
    np.testing.assert_allclose(std_b, std, rtol=1e-12)
    np.testing.assert_allclose(proba_b, proba, rtol=1e-12)


# -- 4. training that ends without learning --------------------------------------

NOT_LEARNED = "no better than predicting"


def _warnings_of(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = fit()
    return est, [w for w in caught if issubclass(w.category, ConvergenceWarning)]


@pytest.mark.parametrize("optimizer, scale", [("lbfgs", 1e9), ("adam", 1e50)])
def test_unscaled_target_that_stops_training_early_warns(optimizer, scale):
    y = Y_REG * scale
    est, caught = _warnings_of(
        lambda: MLPRegressor((10,), optimizer=optimizer, normalize_y=False,
                             random_state=0).fit(X_REG, y)
    )
    assert est.score(X_REG, y) < 0.01  # it learned nothing ...
    messages = [str(w.message) for w in caught if NOT_LEARNED in str(w.message)]
    assert len(messages) == 1  # ... and says so
    assert "mean of y" in messages[0] and "normalize_y=True" in messages[0]
    # the default standardizes the target: the same fit learns, silently
    est, caught = _warnings_of(
        lambda: MLPRegressor((10,), optimizer=optimizer, random_state=0).fit(X_REG, y)
    )
    assert est.score(X_REG, y) > 0.5
    assert not [w for w in caught if NOT_LEARNED in str(w.message)]


def test_unscaled_features_that_stop_training_early_warn_for_a_classifier():
    y = (X_CLF[:, 0] > 0).astype(int)
    X = X_CLF * 1e200
    est, caught = _warnings_of(lambda: MLPClassifier((10,), random_state=0).fit(X, y))
    messages = [str(w.message) for w in caught if NOT_LEARNED in str(w.message)]
    assert len(messages) == 1
    assert "class prior" in messages[0] and "features (StandardScaler)" in messages[0]
    assert est.n_iter_ <= est.n_iter_no_change + 2


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam", "sgd"])
def test_normal_fits_that_converge_do_not_warn(optimizer):
    params = dict(hidden_layer_sizes=(10,), optimizer=optimizer, max_iter=2000,
                  random_state=0, tol=1e-3)
    for est, X, y in ((MLPRegressor(**params), X_REG, Y_REG),
                      (MLPClassifier(**params), X_CLF, Y_CLF)):
        est, caught = _warnings_of(lambda: est.fit(X, y))
        assert est.score(X, y) > 0.7
        assert not [w for w in caught if NOT_LEARNED in str(w.message)]


def test_a_fit_that_trains_for_a_while_towards_the_mean_does_not_warn():
    # a strong alpha holds the model at the mean, but L-BFGS works its way
    # there from a trained network for more than a few iterations: a
    # deliberate outcome (a new fit starts its output bias at the mean already)
    trained = MLPRegressor((10,), optimizer="lbfgs", max_iter=500, random_state=0)
    trained.fit(X_REG, Y_REG).set_params(alpha=1e6, warm_start=True)
    est, caught = _warnings_of(lambda: trained.fit(X_REG, Y_REG))
    assert abs(est.score(X_REG, Y_REG)) < 1e-6
    assert est.n_iter_ > est.n_iter_no_change + 2
    assert not [w for w in caught if NOT_LEARNED in str(w.message)]


# -- 5. a validation score that is NaN ------------------------------------------


def _nan_score(est, X, y, sample_weight=None):
    return float("nan")


def test_a_validation_score_nan_every_epoch_warns_and_does_not_stop_training():
    clf = MLPClassifier((4,), early_stopping=True, scoring=_nan_score, max_iter=25,
                        n_iter_no_change=3, random_state=0)
    with pytest.warns(ConvergenceWarning, match="validation score is NaN at epoch 1") as info:
        clf.fit(X_CLF, Y_CLF)
    nan_warnings = [w for w in info if "is NaN" in str(w.message)]
    assert len(nan_warnings) == 1  # once per fit
    assert "scoring" in str(nan_warnings[0].message)
    # NaN epochs are not "no improvement": training runs to max_iter
    assert clf.n_iter_ == 25
    assert np.isnan(clf.validation_scores_).all()


def test_nan_epochs_between_scored_ones_do_not_count_toward_stopping():
    calls = []

    def sometimes_nan(est, X, y, sample_weight=None):
        calls.append(1)
        return float("nan") if len(calls) % 2 == 0 else 0.5  # never improves

    clf = MLPClassifier((4,), early_stopping=True, scoring=sometimes_nan, max_iter=50,
                        n_iter_no_change=3, tol=0.0, random_state=0)
    with pytest.warns(ConvergenceWarning, match="validation score is NaN"):
        clf.fit(X_CLF, Y_CLF)
    # scored epochs 1, 3, 5, 7: the first sets the best, the next three do
    # not improve it; the NaN epochs 2, 4, 6 are not counted
    assert clf.n_iter_ == 7
    assert clf.best_validation_score_ == 0.5


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
def test_roc_auc_on_a_one_class_validation_set_warns_naming_scoring():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = np.zeros(60, int)
    y[0] = 1  # the one sample of class 1 cannot be in both sets
    clf = MLPClassifier((4,), early_stopping=True, scoring="roc_auc", max_iter=15,
                        random_state=0)
    with pytest.warns(ConvergenceWarning, match="scoring") as info:
        clf.fit(X, y)
    assert any("is NaN" in str(w.message) for w in info)
    assert clf.n_iter_ == 15


# -- 7 (scoring). a scoring callable returning junk -----------------------------


@pytest.mark.parametrize("junk", ["0.5", None, np.array([0.5, 0.1]), True])
def test_a_scoring_callable_returning_junk_is_named(junk):
    def junk_scorer(est, X, y, sample_weight=None):
        return junk

    clf = MLPClassifier((4,), early_stopping=True, scoring=junk_scorer, max_iter=3,
                        random_state=0)
    with pytest.raises(TypeError, match=r"scoring=.*junk_scorer.* must return a number"):
        clf.fit(X_CLF, Y_CLF)


# -- 6. named errors instead of crashes -----------------------------------------


@pytest.mark.parametrize("name", ["batch_size", "max_iter", "n_iter_no_change", "alpha",
                                  "dropout", "mc_samples", "learning_rate_init"])
@pytest.mark.parametrize("value", [True, False, np.True_])
def test_bools_are_not_numbers(name, value):
    # refused by scikit-learn's check where the bool's number is out of range,
    # and by skreg's where it is not (True as batch_size 1, alpha 1.0, ...)
    with pytest.raises(ValueError, match=rf"'{name}' parameter of MLPRegressor must be"):
        MLPRegressor((3,), **{name: value}).fit(X_REG, Y_REG)


@pytest.mark.parametrize("name", ["batch_size", "max_iter", "alpha", "learning_rate_init"])
def test_true_taken_for_one_is_refused_naming_the_bool(name):
    with pytest.raises(ValueError, match=rf"'{name}' parameter of MLPRegressor .*not a bool"):
        MLPRegressor((3,), **{name: True}).fit(X_REG, Y_REG)


@quiet
def test_bools_are_still_taken_where_they_mean_yes_or_no():
    reg = MLPRegressor((3,), shuffle=False, early_stopping=True, warm_start=True,
                       max_iter=3, random_state=0).fit(X_REG, Y_REG)
    assert reg.n_iter_ == 3


def test_a_bool_in_an_optimizer_object_is_refused():
    from skreg.optimizers import LBFGS

    with pytest.raises(ValueError, match="'max_fun' parameter of LBFGS .*not a bool"):
        MLPRegressor((3,), optimizer=LBFGS(max_fun=True)).fit(X_REG, Y_REG)


class _Stepper:
    """A user's optimizer: plain SGD; ``steps`` says what update returns."""

    default_learning_rate = 0.01

    def __init__(self, steps="ok"):
        self.steps = steps

    def init_state(self, params):
        return {}

    def update(self, params, grads, state, lr, is_weight, return_steps=False):
        for p, g in zip(params, grads):
            p -= lr * g
        if self.steps == "ok":
            return [lr] * len(params) if return_steps else None
        return self.steps


class _Minimizer:
    def minimize(self, objective, x0, max_iter, tol, callback):
        raise AssertionError("never called")


@quiet
def test_a_custom_stepping_optimizer_without_is_stochastic_trains():
    reg = MLPRegressor((3,), optimizer=_Stepper(), alpha=0.01, l1_ratio=0.5, max_iter=3,
                       random_state=0).fit(X_REG, Y_REG)
    assert reg.n_iter_ == 3 and np.isfinite(reg.loss_)


def test_an_optimizer_object_without_is_stochastic_and_steps_is_named():
    with pytest.raises(TypeError, match=r"optimizer=_Minimizer\(\) has no is_stochastic"):
        MLPRegressor((3,), optimizer=_Minimizer()).fit(X_REG, Y_REG)
    stochastic_minimizer = _Minimizer()
    stochastic_minimizer.is_stochastic = True
    with pytest.raises(TypeError, match="is_stochastic = True but no init_state"):
        MLPRegressor((3,), optimizer=stochastic_minimizer).fit(X_REG, Y_REG)
    weird = _Stepper()
    weird.is_stochastic = "yes"
    with pytest.raises(TypeError, match="is_stochastic must be True or False"):
        MLPRegressor((3,), optimizer=weird).fit(X_REG, Y_REG)


def test_an_optimizer_object_without_default_learning_rate_needs_a_number():
    stepper = _Stepper()
    stepper.default_learning_rate = None
    with pytest.raises(TypeError, match="learning_rate_init='auto'.*_Stepper"):
        MLPRegressor((3,), optimizer=stepper).fit(X_REG, Y_REG)


@pytest.mark.parametrize("steps", [None, [], 0.1])
def test_a_custom_optimizer_without_steps_for_the_prox_is_named(steps):
    reg = MLPRegressor((3,), optimizer=_Stepper(steps), alpha=0.01, l1_ratio=0.5,
                       max_iter=2, random_state=0)
    with pytest.raises(TypeError, match=r"optimizer=_Stepper\(\): update.*return_steps=True"):
        reg.fit(X_REG, Y_REG)


@pytest.mark.parametrize(
    "args, name",
    [((1.0, "fan_inn", "uniform"), "mode"), ((-1.0, "fan_in", "uniform"), "scale"),
     ((0.0, "fan_in", "normal"), "scale"), ((np.inf, "fan_in", "normal"), "scale"),
     ((np.nan, "fan_in", "normal"), "scale"), (("2", "fan_in", "normal"), "scale"),
     ((True, "fan_in", "normal"), "scale"), ((1.0, "fan_in", "gauss"), "distribution")],
)
def test_variance_scaling_names_a_bad_argument(args, name):
    from skreg.initializers import VarianceScaling

    with pytest.raises(ValueError, match=f"VarianceScaling: {name} must be"):
        VarianceScaling(*args)


def test_variance_scaling_with_good_arguments_has_the_documented_variance():
    from skreg.initializers import VarianceScaling

    init = VarianceScaling(2, "fan_out", "normal")
    W = init(400, 50, np.random.default_rng(0))
    assert init.variance(400, 50) == 2 / 50
    assert abs(W.var() / (2 / 50) - 1) < 0.05


# -- 7. messages that name the input --------------------------------------------


@pytest.mark.parametrize("make", [sp.csr_matrix, sp.csr_array, sp.coo_matrix])
def test_sparse_y_is_named(make):
    with pytest.raises(ValueError, match=r"y must be a dense array; got a sparse"):
        MLPRegressor((3,)).fit(X_REG, make(Y_REG[:, None]))
    Y = (X_CLF[:, :2] > 0).astype(float)
    with pytest.raises(ValueError, match=r"y must be a dense array; got a sparse"):
        MLPClassifier((3,)).fit(X_CLF, make(Y))


def _init_strings(fan_in, fan_out, rng):
    return np.full((fan_in, fan_out), "x")


def _init_sparse(fan_in, fan_out, rng):
    return sp.csr_matrix(np.ones((fan_in, fan_out)))


def _init_complex(fan_in, fan_out, rng):
    return np.full((fan_in, fan_out), 0.1 + 0.1j)


def _init_huge(fan_in, fan_out, rng):
    return np.full((fan_in, fan_out), 1e300)


@pytest.mark.parametrize(
    "init, message",
    [(_init_strings, r"init must return an array of real numbers; got dtype <U1"),
     (_init_sparse, r"init must return a dense array .* got a sparse csr_matrix"),
     (_init_complex, r"init must return an array of real numbers; got dtype complex128")],
)
def test_init_returning_junk_is_named(init, message):
    with pytest.raises(TypeError, match=message):
        MLPRegressor((3,), init=init).fit(X_REG, Y_REG)


def test_init_overflowing_float32_is_named_not_learning_rate_init():
    X32 = X_REG.astype(np.float32)
    with pytest.raises(ValueError, match=r"init returned weights too large for X's dtype "
                                         r"float32 \(largest magnitude 1e\+300\)"):
        MLPRegressor((3,), init=_init_huge).fit(X32, Y_REG)
    # in float64 the same weights are finite numbers (training then diverges)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPRegressor((3,), init=_init_huge, max_iter=2).fit(X_REG, Y_REG)


def test_classifier_y_with_none_is_named():
    y = np.array(["a", "b", "c"] * 40, dtype=object)
    y[7] = None
    with pytest.raises(ValueError, match=r"y contains None \(in 1 place\(s\), the first at "
                                         r"flat index 7\)"):
        MLPClassifier((3,)).fit(X_CLF, y)


def test_classifier_y_with_mixed_label_types_is_named():
    y = np.array(["a", 1, "c"] * 40, dtype=object)
    with pytest.raises(ValueError, match=r"y has labels of types that cannot be sorted "
                                         r"together \(int, str\)"):
        MLPClassifier((3,)).fit(X_CLF, y)


# -- 8. a network that cannot fit in memory -------------------------------------


def test_training_memory_counts_parameters_state_and_one_batch():
    from skreg._checks import training_memory

    # layers 5 -> 10 -> 1: 5*10 + 10 + 10*1 + 1 = 71 parameters
    assert training_memory([5, 10, 1], 8, 2, 200) == 71 * (4 + 2) * 8 + 3 * 200 * 11 * 8
    assert training_memory([5, 10, 1], 4, 0, 50, lbfgs=True) == (
        71 * (4 * 4 + 25 * 8) + 3 * 50 * 11 * 4
    )


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_a_network_larger_than_memory_is_refused_before_allocating(optimizer):
    import time

    start = time.perf_counter()
    reg = MLPRegressor(hidden_layer_sizes=(10**9,), optimizer=optimizer)
    with pytest.raises(ValueError, match=r"hidden_layer_sizes=\(1000000000,\) needs about "
                                         r"[0-9.e+]+ GiB to train .* memory"):
        reg.fit(X_REG, Y_REG)
    assert time.perf_counter() - start < 5.0
    assert not hasattr(reg, "coefs_")


def test_the_memory_limit_is_the_physical_memory(monkeypatch):
    from skreg import _base

    X, y = X_REG[:20], Y_REG[:20]
    with pytest.warns(ConvergenceWarning):
        MLPRegressor((50,), max_iter=1).fit(X, y)  # small: trains
    monkeypatch.setattr(_base, "physical_memory", lambda: 10_000)
    with pytest.raises(ValueError, match=r"hidden_layer_sizes=\(50,\) needs about"):
        MLPRegressor((50,), max_iter=1).fit(X, y)
    monkeypatch.setattr(_base, "physical_memory", lambda: None)  # unknown: no limit
    with pytest.warns(ConvergenceWarning):
        MLPRegressor((50,), max_iter=1).fit(X, y)


# -- 9. persisted callables -----------------------------------------------------


def small_normal_init(fan_in, fan_out, rng):
    """A named module-level initializer: skops can find it again."""
    return rng.normal(0.0, 0.1, size=(fan_in, fan_out))


def r2_scoring(est, X, y, sample_weight=None):
    """A named module-level scorer."""
    return est.score(X, y, sample_weight=sample_weight)


def _name(obj):
    return f"{obj.__module__}.{obj.__qualname__}"


@quiet
def test_a_lambda_init_makes_a_skops_file_unloadable_as_documented():
    sio = pytest.importorskip("skops.io")
    reg = MLPRegressor((3,), max_iter=2, random_state=0,
                       init=lambda fan_in, fan_out, rng: rng.normal(0, 0.1, (fan_in, fan_out)))
    reg.fit(X_REG, Y_REG)
    data = sio.dumps(reg)  # written ...
    untrusted = sio.get_untrusted_types(data=data)
    assert any(name.endswith("<lambda>") for name in untrusted)
    with pytest.raises(AttributeError, match="<lambda>"):  # ... but not loadable
        sio.loads(data, trusted=untrusted)


@quiet
def test_named_callables_load_when_trusted_and_only_then():
    sio = pytest.importorskip("skops.io")
    reg = MLPRegressor((3,), max_iter=3, random_state=0, init=small_normal_init,
                       early_stopping=True, scoring=r2_scoring).fit(X_REG, Y_REG)
    data = sio.dumps(reg)
    expected = sorted(["skreg._regressor.MLPRegressor", _name(small_normal_init),
                       _name(r2_scoring)])
    assert sorted(sio.get_untrusted_types(data=data)) == expected
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.loads(data, trusted=["skreg._regressor.MLPRegressor"])
    loaded = sio.loads(data, trusted=expected)
    assert loaded.init is small_normal_init and loaded.scoring is r2_scoring
    np.testing.assert_array_equal(loaded.predict(X_REG), reg.predict(X_REG))


@quiet
def test_strings_add_no_type_to_trust():
    sio = pytest.importorskip("skops.io")
    reg = MLPRegressor((3,), max_iter=3, random_state=0, init="he_normal",
                       early_stopping=True, scoring="r2").fit(X_REG, Y_REG)
    assert sio.get_untrusted_types(data=sio.dumps(reg)) == ["skreg._regressor.MLPRegressor"]


@pytest.mark.parametrize(
    "make, name",
    [("Adam(beta_1=5.0)", "beta_1"), ("Momentum(momentum=True)", "momentum"),
     ("RMSprop(epsilon=0.0)", "epsilon"), ("AdamW(weight_decay=-1.0)", "weight_decay")],
)
def test_optimizer_objects_used_directly_check_their_settings(make, name):
    from skreg import optimizers

    opt = eval(make, vars(optimizers))
    with pytest.raises(ValueError, match=f"'{name}' parameter of {type(opt).__name__}"):
        opt.init_state([np.zeros((2, 3))])


def test_lbfgs_used_directly_checks_its_settings():
    from skreg.optimizers import LBFGS

    with pytest.raises(ValueError, match="'max_fun' parameter of LBFGS"):
        LBFGS(max_fun=0).minimize(lambda x: (float(x @ x), 2 * x), np.ones(2), 5, 1e-6,
                                  None)
