"""Property-based tests: random data and random parameters, valid or not.

Every drawn case is classified beforehand by a small oracle (``Case.problems``):
the names of whatever is wrong with it (a parameter, or "X", "y",
"sample_weight", ...). Then

* a case with no problem must fit, and predict finite values of the right
  shape (probability rows summing to 1); the one exception is a network whose
  output overflows (data around 1e150, an exp link on unscaled data), and then
  the prediction must warn that it is not finite;
* a case with problems must raise ``ValueError`` or ``TypeError`` whose
  message names one of them;
* in both cases the only warnings allowed are ``ConvergenceWarning`` and
  ``DataConversionWarning``: a ``RuntimeWarning`` from deep inside numpy is a
  bug, and so is any other exception type.

Besides single fits: continued fits (``partial_fit``/``warm_start`` after a
change of data or parameters) and one invalid parameter at a time. The default
run is small enough for CI; ``-m slow`` runs the thorough one (2000 examples
per test).
"""

import math
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning

from skreg import MLPClassifier, MLPRegressor
from skreg._settings import optimizer_object, takes_steps
from skreg.optimizers import LBFGS, Adam, AdamW, Momentum, RMSprop
from skreg.preprocessing import FeatureScaleWarning

FAST = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
THOROUGH = settings(FAST, max_examples=2000)
# continued fits train twice per example: fewer examples in the default run
CONTINUED = settings(FAST, max_examples=100)

# a drawn X may have columns of very different spreads (few rows, many zeros)
ALLOWED_WARNINGS = (ConvergenceWarning, DataConversionWarning, FeatureScaleWarning)
NOISE_PARAMS = ("dropout", "input_dropout", "dropconnect", "noise_std")


# -- parameters: (valid values, invalid values) ------------------------------


def _bad_init(fan_in, fan_out, rng):
    return np.ones((fan_in + 1, fan_out))


def _nan_init(fan_in, fan_out, rng):
    return np.full((fan_in, fan_out), np.nan)


def _ones_init(fan_in, fan_out, rng):
    return np.full((fan_in, fan_out), 0.1)


def _string_init(fan_in, fan_out, rng):
    return np.full((fan_in, fan_out), "0.1")


def _sparse_init(fan_in, fan_out, rng):
    return sp.csr_matrix(np.full((fan_in, fan_out), 0.1))


def _huge_init(fan_in, fan_out, rng):
    return np.full((fan_in, fan_out), 1e300)  # overflows float32 X only


def _nan_scoring(est, X, y, sample_weight=None):
    return np.nan


def _junk_scoring(est, X, y, sample_weight=None):
    return "0.5"


class _Stepper:
    """A user's optimizer object: plain SGD, no ``is_stochastic``."""

    default_learning_rate = 0.01

    def init_state(self, params):
        return {}

    def update(self, params, grads, state, lr, is_weight, return_steps=False):
        for p, g in zip(params, grads):
            p -= lr * g
        return [lr] * len(params) if return_steps else None

    def __repr__(self):
        return f"{type(self).__name__}()"


class _NoSteps(_Stepper):
    """Returns no steps, which a proximal step (l1_ratio > 0) needs."""

    def update(self, params, grads, state, lr, is_weight, return_steps=False):
        super().update(params, grads, state, lr, is_weight)


class _NoDefaultRate(_Stepper):
    """Needs a numeric learning_rate_init."""

    default_learning_rate = None


class _MinimizeOnly:
    """Neither steps nor ``is_stochastic``."""

    def minimize(self, objective, x0, max_iter, tol, callback):
        raise AssertionError("never called")

    def __repr__(self):
        return "_MinimizeOnly()"


COMMON_PARAMS = {
    "hidden_layer_sizes": ([(), (3,), (4, 2), 2, [3]], [(0,), (-1,), (2.5,), "ab", (3, 0)]),
    "activation": (["identity", "logistic", "tanh", "relu"], ["softmax", "RELU", 1]),
    "alpha": ([0.0, 1e-4, 0.1, 10.0, 1e6], [-1.0, np.nan, np.inf, "1"]),
    "l1_ratio": ([0.0, 0.5, 1.0], [-0.1, 1.5, np.nan]),
    "dropout": ([0.0, 0.3, 0.9], [1.0, -0.1, np.nan, "a"]),
    "input_dropout": ([0.0, 0.2], [1.0, -0.5]),
    "dropconnect": ([0.0, 0.5], [1.0, -0.5]),
    "noise_std": ([0.0, 0.1, 3.0], [-1.0, np.inf, np.nan]),
    "max_norm": ([None, 0.5, 3.0], [0.0, -1.0, np.inf]),
    "init": (
        ["glorot_uniform", "he_normal", "lecun_uniform", _ones_init, _huge_init],
        ["bogus", _bad_init, _nan_init, _string_init, _sparse_init],
    ),
    "optimizer": (
        ["sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam",
         "nadam", "adamw", "lbfgs", Momentum(momentum=0.5), Adam(beta_1=0.5, beta_2=0.9),
         AdamW(weight_decay=0.5), RMSprop(rho=0.5), LBFGS(max_fun=30), _Stepper(),
         _NoSteps(), _NoDefaultRate()],
        ["bogus", "Adam", 3, Adam, Adam(beta_1=2.0), Momentum(momentum=1.5),
         LBFGS(max_fun=0), LBFGS(max_fun=True), _MinimizeOnly()],
    ),
    "learning_rate_init": (["auto", 1e-3, 0.1, 10.0], [0.0, -1.0, "fast", np.nan]),
    "learning_rate": (["constant", "invscaling", "adaptive", "cosine", "coslog4"], ["fast"]),
    "power_t": ([0.0, 0.5], [-1.0]),
    "warmup": ([0.0, 0.3], [1.0, -0.1]),
    "dropout_schedule": (["constant", "flat_cosine"], ["cosine"]),
    "batch_size": (["auto", 1, 7, 1000], [0, -3, 2.5, "big", True]),
    "max_iter": ([1, 2, 3], [0, -1, 1.5]),
    "shuffle": ([True, False], ["yes"]),
    "random_state": ([0, 1, 12345], ["seed", -1]),
    "tol": ([0.0, 1e-4, 10.0], [-1.0]),
    "n_iter_no_change": ([1, 2, 5, np.inf], [0, 2.5, -np.inf]),
    "early_stopping": ([False, True], ["yes"]),
    "validation_fraction": ([0.1, 0.5, 0.9], [0.0, 1.0, 1.5]),
    "n_steps_no_change": ([0, 3, 100], [-1, 2.5, np.inf]),
    "average": ([False, True, 3, 0.9], [0, -1, 1.0, "swa"]),
    "mc_samples": ([2, 3], [1, 0, 10**12, True]),
    "warm_start": ([False, True], [1.5]),
}
CLASSIFIER_PARAMS = {
    **COMMON_PARAMS,
    "scoring": (["loss", "accuracy", "neg_log_loss", _nan_scoring, _junk_scoring], ["bogus"]),
    "class_weight": ([None, "balanced"], ["balance", 3.0]),
}
REGRESSOR_PARAMS = {
    **COMMON_PARAMS,
    "scoring": (["loss", "neg_mean_squared_error", "neg_mean_absolute_error", _nan_scoring,
                 _junk_scoring], ["bogus"]),
    "loss": (["squared_error", "poisson"], ["huber", None]),
}

MAGNITUDES = [1.0, 1e-30, 1e30, 1e6, 1e-6, 1e150]


@dataclass
class Case:
    """One drawn case: the estimator, its data, and what is wrong with it."""

    est: object
    X: object
    y: object
    sample_weight: object
    problems: set = field(default_factory=set)
    maybe: set = field(default_factory=set)  # may be refused, naming one of these
    description: dict = field(default_factory=dict)


# -- the error-message check -------------------------------------------------

# what a message may say to name a data problem
DATA_WORDS = {
    "X": [r"\bX\b"],
    "y": [r"\by\b"],
    "sample_weight": [r"\bsample_weight\b", r"\b[Ss]ample weights?\b"],
    "n_samples": [r"\bn_samples\b", r"\bsamples?\b", r"sample\(s\)"],
    "class": [r"\bclass(es)?\b", r"\blabels?\b"],
    "feature": [r"\bn_features\b", r"\bfeatures?\b", r"feature\(s\)"],
}


def message_names(message, names):
    """True if ``message`` names one of ``names`` (parameter names, or keys
    of ``DATA_WORDS``)."""
    for name in names:
        patterns = DATA_WORDS.get(name, [rf"\b{re.escape(name)}\b"])
        if any(re.search(p, message) for p in patterns):
            return True
    return False


def test_message_names_helper():
    assert message_names("The 'alpha' parameter of X must be ...", {"alpha"})
    assert not message_names("The 'alpha' parameter must be ...", {"l1_ratio"})
    assert message_names("Input X contains NaN.", {"X"})
    assert not message_names("array must not contain infs", {"X", "y"})
    assert message_names("y has classes not in classes_", {"class"})
    assert not message_names("max_norm must be positive", {"max"})


# -- strategies --------------------------------------------------------------


def culprits(params, invalid):
    """Names an error about the ``invalid`` parameters may give: theirs, and
    for an optimizer object with a bad setting, the name of that setting."""
    names = set(invalid)
    for name in invalid:
        if hasattr(params[name], "get_params") and not isinstance(params[name], type):
            names.update(params[name].get_params())
    return names


def rarely(draw, one_in):
    """True with probability ``1 / one_in`` (hypothesis would favour the
    boundary of an integer range, so the coin comes from a drawn seed)."""
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).random() < 1.0 / one_in


def draw_params(draw, table, n_changed):
    """Draw up to ``n_changed`` parameters; each is invalid with chance 1/20.

    Returns ``(params, invalid_names)``. Every case keeps ``max_iter`` small.
    """
    names = sorted(table)
    chosen = draw(st.lists(st.sampled_from(names), max_size=n_changed, unique=True))
    params, invalid = {"max_iter": 2, "mc_samples": 2, "random_state": 0}, set()
    params["hidden_layer_sizes"] = draw(st.sampled_from([(3,), (4, 2), ()]))
    for name in chosen:
        valid, bad = table[name]
        if bad and rarely(draw, 20):
            params[name] = draw(st.sampled_from(bad))
            invalid.add(name)
        else:
            params[name] = draw(st.sampled_from(valid))
    return params, invalid


def draw_X(draw, n, d, rng, problems):
    dtype = draw(st.sampled_from(["float64", "float32", "int64", "object", "list"]))
    if rarely(draw, 12):
        dtype = "str"
    layout = draw(st.sampled_from(["dense", "dense", "csr", "csc", "csr_duplicates"]))
    magnitude = draw(st.sampled_from(MAGNITUDES))
    X = rng.normal(size=(n, d)) * magnitude
    if n and d and draw(st.booleans()):
        X[rng.random((n, d)) < 0.5] = 0.0  # many zeros, as in sparse data
    if n and d and rarely(draw, 6):
        X[:] = X[0]  # all rows equal
    bad_value = draw(st.sampled_from([np.nan, np.inf, -np.inf])) if rarely(draw, 10) else None
    if bad_value is not None and X.size:
        X[rng.integers(n), rng.integers(d)] = bad_value
        problems.add("X")
    if dtype == "float32":
        with np.errstate(over="ignore"):
            X = X.astype(np.float32)
        if not np.isfinite(X).all():  # too large for float32
            problems.add("X")
    elif dtype == "int64":
        X = np.nan_to_num(np.rint(X / magnitude * 100), nan=0, posinf=1, neginf=-1)
        X = X.astype(np.int64)
        problems.discard("X")
    elif dtype == "object":
        X = X.astype(object)
    elif dtype == "str":
        X = np.where(rng.random((n, d)) < 0.5, "a", "1.5").astype(object)
        if X.size:
            X.flat[0] = "a"
            problems.add("X")
        layout = "dense"
    if layout != "dense" and dtype in ("object", "list"):
        layout = "dense"
    if layout == "csr":
        X = sp.csr_matrix(X)
    elif layout == "csr_duplicates":
        X = with_duplicate_entries(X, rng)
    elif layout == "csc":
        X = sp.csc_array(X)
    elif dtype == "list":
        X = X.tolist()
    return X, {"X_dtype": dtype, "layout": layout, "magnitude": magnitude}


def with_duplicate_entries(X, rng):
    """A non-canonical CSR matrix holding ``X``: each stored entry split in two
    duplicates (unsorted within a row) whose sum is the entry, exactly where
    the halves add up exactly and otherwise to the nearest float."""
    X = np.asarray(X)
    rows, cols = np.nonzero(X)
    values = X[rows, cols]
    first = values * rng.choice([0.5, 0.25, 1.0, 0.0], size=values.size)
    second = values - first
    order = np.argsort(np.concatenate([rows, rows]), kind="stable")
    all_rows = np.concatenate([rows, rows])[order]
    all_cols = np.concatenate([cols, cols])[order]
    data = np.concatenate([first, second])[order]
    indptr = np.searchsorted(all_rows, np.arange(X.shape[0] + 1))
    return sp.csr_matrix((data, all_cols, indptr), shape=X.shape)


def draw_sample_weight(draw, n, rng, problems):
    kind = draw(st.sampled_from([None, "ones", "random", "integers", "some_zero", "huge"]))
    if rarely(draw, 12):
        kind = draw(st.sampled_from(["all_zero", "negative", "nan", "inf", "short"]))
    if kind is None:
        return None, kind
    if kind == "short":
        problems.add("sample_weight")
        return np.ones(n + 1), kind
    sw = {
        "ones": np.ones(n),
        "random": rng.uniform(0.1, 2.0, n),
        "integers": rng.integers(0, 4, n).astype(float),
        "some_zero": np.where(rng.random(n) < 0.5, 0.0, 1.0),
        "all_zero": np.zeros(n),
        "negative": -np.ones(n),
        "nan": np.full(n, np.nan),
        "inf": np.full(n, np.inf),
        "huge": np.full(n, 1e300),
    }[kind]
    if n and (kind in ("negative", "nan", "inf") or not sw.sum() > 0):
        problems.add("sample_weight")
    return sw, kind


def positive_weight_rows(sw, n):
    return np.ones(n, bool) if sw is None or len(sw) != n else np.asarray(sw) > 0


def early_stopping_impossible(X, y_rows, strata, sw, validation_fraction=0.1):
    """The validation split needs two distinct rows of positive weight in
    validation: ``ceil(validation_fraction * m) >= 2`` for the ``m`` distinct
    such rows, and two of them to spare once each stratum keeps one in
    training (see ``skreg._split``)."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=float)
    n = X.shape[0]
    keep = positive_weight_rows(sw, n)
    rows = np.hstack([X, np.asarray(y_rows, float).reshape(n, -1)])[keep]
    strata = np.asarray(strata)[keep]
    distinct = [len(np.unique(rows[strata == s] + 0.0, axis=0)) for s in np.unique(strata)]
    if math.ceil(validation_fraction * sum(distinct)) < 2:
        return True
    return sum(m - 1 for m in distinct) < 2


@st.composite
def classifier_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    params, invalid = draw_params(draw, CLASSIFIER_PARAMS, n_changed=6)
    problems = culprits(params, invalid)
    n = 0 if rarely(draw, 12) else draw(st.sampled_from([12, 30, 5, 1, 2, 3, 8, 20]))
    d = 0 if rarely(draw, 12) else draw(st.sampled_from([3, 1, 2, 5]))
    X, info = draw_X(draw, n, d, rng, problems)
    kind = draw(st.sampled_from(["int", "str", "float", "bool", "multilabel", "column"]))
    if rarely(draw, 10):
        kind = draw(st.sampled_from(["continuous", "mixed", "nan", "multioutput", "none",
                                     "sparse"]))
    n_classes = 1 if rarely(draw, 10) else int(rng.integers(2, 5))
    labels = rng.permutation(np.arange(n) % n_classes)
    if kind == "multilabel":
        y = (rng.random((n, max(n_classes, 2))) < 0.5).astype(int)
    elif kind == "str":
        y = np.array(["cat", "dog", "emu", "fox"])[labels].astype(object)
    elif kind == "float":
        y = labels * 2.0 - 1.0
    elif kind == "bool":
        y = labels % 2 == 0
    elif kind == "column":
        y = labels[:, None]
    elif kind == "continuous":
        y = rng.normal(size=n)
    elif kind == "mixed":
        y = np.array([1, "a"] * n, dtype=object)[:n]
    elif kind == "nan":
        y = labels.astype(float)
        if n:
            y[0] = np.nan
    elif kind == "multioutput" and n >= 3:  # a column of 3 classes, and another
        y = np.column_stack([np.arange(n) % 3, labels])
    elif kind == "none":
        y = np.array(["cat", "dog", "emu", "fox"])[labels].astype(object)
        if n:
            y[-1] = None
    elif kind == "sparse":
        y = sp.csr_matrix((rng.random((n, 2)) < 0.5).astype(float))
    else:
        kind = "int" if kind == "multioutput" else kind
        y = labels
    single = y.ravel() if kind == "column" else y
    if kind == "continuous" and n and len(np.unique(y)) > 0:
        problems.add("class")
    if kind in ("mixed", "nan") and n:
        problems.update({"y", "class"})
    if kind == "multioutput":
        problems.add("y")
    if kind == "none" and n:
        problems.add("y")
    if kind == "sparse":
        problems.add("y")
    # a single class is accepted, as by scikit-learn's MLP
    if kind == "multilabel" and n and y.shape[1] < 2:
        problems.add("class")
    if params.get("init") is _huge_init and info["X_dtype"] == "float32" and (
        "init" not in invalid
    ):
        problems.add("init")
    if n == 0:
        problems.add("n_samples")
    if d == 0:
        problems.add("feature")
    sw, sw_kind = draw_sample_weight(draw, n, rng, problems)

    est = MLPClassifier(**params)
    add_rule_problems(params, invalid, problems)
    if params.get("early_stopping") is True and not problems:
        strata = (
            np.zeros(n) if kind == "multilabel"
            else np.unique(single.astype(str), return_inverse=True)[1]
        )
        if early_stopping_impossible(X, np.unique(single.astype(str), return_inverse=True)[1]
                                     if kind != "multilabel" else y, strata, sw,
                                     params.get("validation_fraction", 0.1)):
            problems.add("early_stopping")
    maybe = set()
    if params.get("early_stopping") is True and params.get("scoring") == "neg_log_loss":
        # log loss is undefined on a validation set holding one class, which
        # a small data set can give
        maybe.add("scoring")
    info.update(y_kind=kind, n=n, d=d, sample_weight=sw_kind, params=params)
    return Case(est, X, y, sw, problems, maybe, info)


@st.composite
def regressor_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    params, invalid = draw_params(draw, REGRESSOR_PARAMS, n_changed=6)
    problems = culprits(params, invalid)
    n = 0 if rarely(draw, 12) else draw(st.sampled_from([12, 30, 5, 1, 2, 3, 8, 20]))
    d = 0 if rarely(draw, 12) else draw(st.sampled_from([3, 1, 2, 5]))
    X, info = draw_X(draw, n, d, rng, problems)
    kind = draw(st.sampled_from(["1d", "2d", "column", "constant", "int", "counts", "object"]))
    if rarely(draw, 10):
        kind = draw(st.sampled_from(["str", "nan", "inf", "sparse"]))
    magnitude = draw(st.sampled_from([1.0, 1e-30, 1e30, 1e6]))
    y = rng.normal(size=n) * magnitude
    if kind == "2d":
        y = rng.normal(size=(n, 3)) * magnitude
    elif kind == "column":
        y = y[:, None]
    elif kind == "constant":
        y = np.full(n, 7.0 * magnitude)
    elif kind == "int":
        y = rng.integers(-5, 5, n)
    elif kind == "counts":
        y = rng.poisson(3.0, n).astype(float)
    elif kind == "object":
        y = y.astype(object)
    elif kind == "str":
        y = np.array(["a"] * n, dtype=object)
        if n:
            problems.add("y")
    elif kind in ("nan", "inf"):
        if n:
            y[0] = np.nan if kind == "nan" else np.inf
            problems.add("y")
    elif kind == "sparse":
        y = sp.csr_matrix(y[:, None])
        problems.add("y")
    if params.get("loss") == "poisson" and kind not in ("str", "nan", "sparse"):
        if n and np.any(np.asarray(y, dtype=float) < 0):
            problems.add("y")
    if n == 0:
        problems.add("n_samples")
    if d == 0:
        problems.add("feature")
    sw, sw_kind = draw_sample_weight(draw, n, rng, problems)
    if params.get("init") is _huge_init and info["X_dtype"] == "float32" and (
        "init" not in invalid
    ):
        problems.add("init")
    est = MLPRegressor(**params)
    add_rule_problems(params, invalid, problems)
    if params.get("early_stopping") is True and not problems:
        if early_stopping_impossible(X, y, np.zeros(n), sw,
                                     params.get("validation_fraction", 0.1)):
            problems.add("early_stopping")
    info.update(y_kind=kind, y_magnitude=magnitude, n=n, d=d, sample_weight=sw_kind,
                params=params)
    return Case(est, X, y, sw, problems, set(), info)


def add_rule_problems(params, invalid, problems):
    """Rules between parameters that are each valid (documented in the
    estimators). Invalid values count as their defaults here."""

    def value(name, default):
        return default if name in invalid else params.get(name, default)

    hidden = value("hidden_layer_sizes", (100,))
    n_hidden = 1 if isinstance(hidden, int) else len(hidden)
    if n_hidden == 0 and (value("dropout", 0) or value("max_norm", None) is not None):
        problems.update({"dropout", "max_norm", "hidden_layer_sizes"})
    if value("scoring", "loss") is _junk_scoring and value("early_stopping", False) is True:
        problems.add("scoring")
    optimizer = value("optimizer", "adam")
    if isinstance(optimizer, _NoDefaultRate) and value("learning_rate_init", "auto") == "auto":
        problems.update({"learning_rate_init", "optimizer"})
    if (isinstance(optimizer, _NoSteps) and value("l1_ratio", 0) > 0
            and value("alpha", 1e-4) > 0):
        problems.add("optimizer")
    if optimizer == "lbfgs" or isinstance(optimizer, LBFGS):
        noisy = {name for name in NOISE_PARAMS if value(name, 0)}
        if value("max_norm", None) is not None:
            noisy.add("max_norm")
        if noisy:
            problems.update(noisy | {"optimizer", "lbfgs"})
        if value("l1_ratio", 0) > 0 and value("alpha", 1e-4) > 0:
            problems.update({"l1_ratio", "optimizer", "lbfgs"})
    if (optimizer == "lbfgs" or isinstance(optimizer, LBFGS)) and (
        value("average", False) is not False
    ):
        problems.update({"average", "optimizer", "lbfgs"})


# -- running a case ----------------------------------------------------------

NON_FINITE = "The predictions are NaN or infinite"


def diverged(caught):
    return any(
        issubclass(w.category, ConvergenceWarning) and "diverged" in str(w.message)
        for w in caught
    )


def check_warnings(caught, case):
    bad = [
        w for w in caught
        if not issubclass(w.category, ALLOWED_WARNINGS)
        and not str(w.message).startswith(NON_FINITE)  # checked by check_finite
    ]
    assert not bad, (
        f"unexpected warnings {[(w.category.__name__, str(w.message)) for w in bad]} "
        f"for {case.description}"
    )


def check_finite(case, fit_diverged, predict):
    """Predictions are finite, or else the prediction warns that they are not
    (the network's output overflows: data far too large for it, or a training
    that diverged)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = predict()
    first = out[0] if isinstance(out, tuple) else out
    if not np.all(np.isfinite(first)):
        warned = any(str(w.message).startswith(NON_FINITE) for w in caught)
        assert warned, f"silent non-finite predictions {first} for {case.description}"
    for w in caught:  # hand them on to the case's record
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return out


def check_predictions(est, case, fit_diverged):
    X = case.X
    n = len(X) if isinstance(X, list) else X.shape[0]
    y = np.asarray(case.y)

    def finite(predict):
        return check_finite(case, fit_diverged, predict)

    if isinstance(est, MLPClassifier):
        proba = finite(lambda: est.predict_proba(X))
        assert proba.shape == (n, len(est.classes_))
        log_proba = finite(lambda: est.predict_log_proba(X))
        if np.all(np.isfinite(log_proba)):
            assert np.all((proba >= 0) & (proba <= 1))
            np.testing.assert_allclose(np.exp(log_proba), proba, rtol=1e-4, atol=1e-12)
            if not est._multilabel:
                np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
        pred = est.predict(X)
        if est._multilabel:
            assert pred.shape == y.shape
        else:
            assert pred.shape == (n,)
            assert np.isin(pred, est.classes_).all()
        if est.dropout or est.input_dropout or est.dropconnect:
            mc = finite(lambda: est.predict_proba(X, mc_dropout=True))
            assert mc.shape == proba.shape
    else:
        pred = finite(lambda: est.predict(X))
        expected = (n,) if y.ndim == 1 else (n, y.shape[1])
        assert pred.shape == expected
        if np.any(est.dropout) or est.input_dropout or est.dropconnect:
            mean, std = finite(lambda: est.predict(X, return_std=True))
            assert mean.shape == std.shape == expected
            assert not np.any(std < 0)
    assert all(np.isfinite(W).all() for W in est.coefs_ + est.intercepts_)
    # a prediction on a different number of features is refused by name
    X_wide = sp.hstack([X, X[:, :1]]) if sp.issparse(X) else np.hstack(
        [np.asarray(X, dtype=float), np.zeros((n, 1))]
    )
    with pytest.raises(ValueError) as info:
        est.predict(X_wide)
    assert message_names(str(info.value), {"feature", "X"}), info.value


def run_case(case):
    est = case.est
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est.fit(case.X, case.y, sample_weight=case.sample_weight)
        except (ValueError, TypeError) as exc:
            problems = case.problems | case.maybe
            assert problems, f"valid case refused: {exc!r} for {case.description}"
            assert message_names(str(exc), problems), (
                f"message {str(exc)!r} names none of {problems} for {case.description}"
            )
            check_warnings(caught, case)
            return
        assert not case.problems, (
            f"expected an error about {case.problems}; fit succeeded for "
            f"{case.description}"
        )
        fit_diverged = diverged(caught)
        check_predictions(est, case, fit_diverged)
        if takes_steps(optimizer_object(est)):
            if est.early_stopping:
                with pytest.raises(ValueError, match="partial_fit does not support"):
                    est.partial_fit(case.X, case.y, sample_weight=case.sample_weight)
                est.set_params(early_stopping=False)
            if getattr(est, "class_weight", None) == "balanced":
                with pytest.raises(ValueError, match="class_weight 'balanced' is not"):
                    est.partial_fit(case.X, case.y, sample_weight=case.sample_weight)
                est.set_params(class_weight=None)
            est.partial_fit(case.X, case.y, sample_weight=case.sample_weight)
            check_predictions(est, case, fit_diverged or diverged(caught))
        check_warnings(caught, case)


# -- one invalid parameter, everything else valid ------------------------------


@st.composite
def invalid_parameter_cases(draw):
    is_classifier = draw(st.booleans())
    table = CLASSIFIER_PARAMS if is_classifier else REGRESSOR_PARAMS
    params, _ = draw_params(draw, {k: (v[0], []) for k, v in table.items()}, 4)
    name = draw(st.sampled_from(sorted(k for k, v in table.items() if v[1])))
    params[name] = draw(st.sampled_from(table[name][1]))
    Est = MLPClassifier if is_classifier else MLPRegressor
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = np.arange(20) % 2 if is_classifier else np.abs(rng.normal(size=20))  # poisson too
    problems = culprits(params, {name})
    add_rule_problems(params, {name}, problems)  # a rule may be reported first
    return Case(Est(**params), X, y, None, problems, set(), {"params": params})


def run_invalid_parameter_case(case):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises((ValueError, TypeError)) as info:
            case.est.fit(case.X, case.y)
    assert message_names(str(info.value), case.problems), (
        f"message {str(info.value)!r} names none of {case.problems} for {case.description}"
    )
    check_warnings(caught, case)


@FAST
@given(case=invalid_parameter_cases())
def test_fuzz_invalid_parameter(case):
    run_invalid_parameter_case(case)


@pytest.mark.slow
@THOROUGH
@given(case=invalid_parameter_cases())
def test_fuzz_invalid_parameter_thorough(case):
    run_invalid_parameter_case(case)


# -- continuing a fitted model -------------------------------------------------

CHANGES = {
    # change: (what is wrong with it, or an empty set)
    "none": set(),
    "one_row": set(),
    "float32": set(),
    "sparse": set(),
    "optimizer": set(),
    "more_features": {"feature", "X"},
    "hidden_layer_sizes": {"hidden_layer_sizes"},
    "all_zero_weights": {"sample_weight"},
    "new_label": {"class"},  # classifier: a label outside classes_; regressor: 2 outputs
    "label_kind": {"y"},  # classifier: multilabel <-> one label per row
    "classes": {"class"},  # classifier, partial_fit: other classes than the first call
    # set_params between the calls: checked again by the next call
    "bad_alpha": {"alpha"},
    "bad_batch_size": {"batch_size"},
    "bool_batch_size": {"batch_size"},
    "bad_dropout": {"dropout"},
    "bad_input_dropout": {"input_dropout"},
    "bad_mc_samples": {"mc_samples"},
    "new_rates": set(),
}
SET_PARAMS_CHANGES = {
    "bad_alpha": {"alpha": -1.0},
    "bad_batch_size": {"batch_size": 0},
    "bool_batch_size": {"batch_size": True},
    "bad_dropout": {"dropout": 1.0},
    "bad_input_dropout": {"input_dropout": 5.0},
    "bad_mc_samples": {"mc_samples": 1},
    "new_rates": {"dropout": 0.4, "input_dropout": 0.1},
}


@st.composite
def incremental_cases(draw):
    """A model fitted once (``fit`` with ``warm_start=True`` or ``partial_fit``),
    then continued with one change."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    is_classifier = draw(st.booleans())
    method = draw(st.sampled_from(["partial_fit", "fit"]))
    multilabel = is_classifier and draw(st.booleans())
    optimizer = draw(st.sampled_from(
        [opt for opt in COMMON_PARAMS["optimizer"][0]
         if opt != "lbfgs" and not isinstance(opt, (LBFGS, _NoSteps, _NoDefaultRate))]
    ))
    hidden = draw(st.sampled_from([(4,), (3, 2)]))
    regularizer = draw(st.sampled_from(
        [{}, {"dropout": 0.2}, {"alpha": 0.1, "l1_ratio": 0.5}, {"noise_std": 0.1},
         {"max_norm": 1.0, "dropconnect": 0.2}]
    ))
    Est = MLPClassifier if is_classifier else MLPRegressor
    est = Est(hidden, optimizer=optimizer, max_iter=2, warm_start=True, random_state=0,
              **regularizer)
    n = draw(st.sampled_from([12, 5, 30]))
    X = rng.normal(size=(n, 3))
    if multilabel:
        y = np.column_stack([np.arange(n) % 2, (np.arange(n) // 2) % 2])
    elif is_classifier:
        y = np.arange(n) % 3
    else:
        y = rng.normal(size=n)
    change = draw(st.sampled_from(sorted(CHANGES)))
    if not is_classifier and change in ("label_kind", "classes"):
        change = "none"
    if change == "classes" and (method == "fit" or multilabel):
        change = "none"
    return est, method, X, y, change, multilabel


def continue_with_change(est, method, X, y, change, multilabel):
    """The second call's arguments after applying ``change``."""
    n = X.shape[0]
    kwargs = {}
    if change == "one_row":
        X, y = X[:1], y[:1]
    elif change == "float32":
        X = X.astype(np.float32)
    elif change == "sparse":
        X = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0))
    elif change == "optimizer":
        est.set_params(optimizer="adagrad" if est.optimizer != "adagrad" else Adam())
    elif change == "more_features":
        X = np.hstack([X, X[:, :1]])
    elif change == "hidden_layer_sizes":
        est.set_params(hidden_layer_sizes=(5,))
    elif change == "all_zero_weights":
        kwargs["sample_weight"] = np.zeros(n)
    elif change == "new_label":
        if isinstance(est, MLPRegressor):
            y = np.column_stack([y, y])
        elif multilabel:
            y = np.column_stack([y, y[:, :1]])
        else:
            y = y.copy()
            y[0] = 7
    elif change == "label_kind":
        y = y[:, 0] if multilabel else np.column_stack([y % 2, y // 2])
    elif change == "classes":
        kwargs["classes"] = [0, 1, 2, 3]
    elif change in SET_PARAMS_CHANGES:
        est.set_params(**SET_PARAMS_CHANGES[change])
    return X, y, kwargs


def run_incremental_case(est, method, X, y, change, multilabel):
    first_kwargs = {}
    if method == "partial_fit" and isinstance(est, MLPClassifier) and not multilabel:
        first_kwargs["classes"] = np.unique(y)
    description = dict(est=est, method=method, change=change)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        getattr(est, method)(X, y, **first_kwargs)
        X2, y2, kwargs = continue_with_change(est, method, X, y, change, multilabel)
        problems = CHANGES[change]
        if change == "new_label" and isinstance(est, MLPClassifier) and multilabel:
            problems = {"X", "y"}  # one more label column: another output shape
        if change == "new_label" and isinstance(est, MLPRegressor):
            problems = {"X", "y"}
        if (change == "one_row" and method == "fit" and isinstance(est, MLPClassifier)
                and not multilabel):
            problems = {"class"}  # a warm-started fit needs all the fitted classes
        try:
            getattr(est, method)(X2, y2, **kwargs)
        except (ValueError, TypeError) as exc:
            assert problems, f"valid continuation refused: {exc!r} for {description}"
            assert message_names(str(exc), problems), (str(exc), problems, description)
            if change in SET_PARAMS_CHANGES and est.dropout:
                # MC predictions check the changed parameters too
                mc = (lambda: est.predict(X, return_std=True)) if isinstance(
                    est, MLPRegressor) else (lambda: est.predict_proba(X, mc_dropout=True))
                with pytest.raises(ValueError) as info:
                    mc()
                assert message_names(str(info.value), problems), (str(info.value), problems)
        else:
            assert not problems, f"expected an error about {problems} for {description}"
            case = Case(est, X2, y2, None, set(), set(), description)
            check_predictions(est, case, diverged(caught))
    check_warnings(caught, Case(est, X, y, None, set(), set(), description))


@CONTINUED
@given(case=incremental_cases())
def test_fuzz_continued_fits(case):
    run_incremental_case(*case)


@pytest.mark.slow
@THOROUGH
@given(case=incremental_cases())
def test_fuzz_continued_fits_thorough(case):
    run_incremental_case(*case)


@FAST
@given(case=classifier_cases())
def test_fuzz_classifier(case):
    run_case(case)


@FAST
@given(case=regressor_cases())
def test_fuzz_regressor(case):
    run_case(case)


@pytest.mark.slow
@THOROUGH
@given(case=classifier_cases())
def test_fuzz_classifier_thorough(case):
    run_case(case)


@pytest.mark.slow
@THOROUGH
@given(case=regressor_cases())
def test_fuzz_regressor_thorough(case):
    run_case(case)


# -- the same matrix stored in different ways ------------------------------------

SMALL = settings(FAST, max_examples=15)
_DROPOUT_MODELS = {}


def _dropout_model(d):
    """One fitted dropout regressor per number of features (fitted once)."""
    if d not in _DROPOUT_MODELS:
        rng = np.random.default_rng(d)
        X, y = rng.normal(size=(40, d)), rng.normal(size=40)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            _DROPOUT_MODELS[d] = MLPRegressor(
                (5,), dropout=0.3, input_dropout=0.2, dropconnect=0.1, max_iter=3,
                mc_samples=4, random_state=0,
            ).fit(X, y)
    return _DROPOUT_MODELS[d]


@SMALL
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.sampled_from([1, 2, 7, 20]),
    d=st.sampled_from([1, 3, 6]),
    magnitude=st.sampled_from([1.0, 1e-30, 1e30]),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_fuzz_sparse_forms_agree(seed, n, d, magnitude, dtype):
    """Dense, non-canonical CSR (duplicate entries), COO with the duplicates
    and CSC hold the same matrix: same row keys, same MC-dropout
    predictions, same early-stopping split."""
    from skreg._hashing import row_keys

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * magnitude
    X[rng.random((n, d)) < 0.4] = 0.0
    dup = with_duplicate_entries(X.astype(dtype), rng)
    dense = dup.toarray()  # the sums of the duplicates
    forms = [dup, sp.coo_matrix(dup.tocoo(copy=True)), sp.csc_matrix(dense), dense]
    keys = row_keys(dense)
    for form in forms[:2]:  # the ones with duplicates
        np.testing.assert_array_equal(row_keys(form), keys)
    model = _dropout_model(d)
    mean, std = model.predict(dense, return_std=True)
    for form in forms[:3]:
        mean_f, std_f = model.predict(form, return_std=True)
        np.testing.assert_allclose(mean_f, mean, rtol=1e-6 if dtype == np.float32 else 1e-12)
        np.testing.assert_allclose(std_f, std, rtol=1e-5 if dtype == np.float32 else 1e-9,
                                   atol=1e-6 if dtype == np.float32 else 1e-12)
    if n >= 7:
        y = rng.normal(size=n)
        est = MLPRegressor((3,), early_stopping=True, validation_fraction=0.3, max_iter=2,
                           random_state=0)
        scores = []
        for form in (dense, dup):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                scores.append(est.fit(form, y).validation_scores_)
        np.testing.assert_allclose(scores[1], scores[0], rtol=1e-5)
