"""The configuration matrix of the golden-output tests, and the one function
that fits a configuration and collects its outputs.

Both ``record_goldens.py`` (which writes ``goldens.npz``) and
``tests/test_golden.py`` (which compares against it) use
:func:`configurations`, :func:`fit_and_collect` and :func:`numba_setting`
from here, so the recorded and the checked outputs cannot be computed in two
different ways. Only skreg's public API is used: the two estimator classes,
their constructor parameters (optimizers by name), ``fit``, ``partial_fit``,
``predict``, ``predict_proba`` and the fitted attributes ``coefs_``,
``intercepts_``, ``loss_curve_``, ``validation_scores_`` and ``n_iter_``.

The matrix
----------
* Every stochastic optimizer (``OPTIMIZERS``) x every regularizer
  (``REGULARIZERS``) x dtype {float32, float64} x X {dense, CSR} x early
  stopping {off, on}: the full cross product, 9 x 6 x 2 x 2 x 2 = 432 fits.
* L-BFGS with the L2 penalty only (it refuses the others) x dtype x X format
  x early stopping: 8 fits.
* The learning-rate schedules ``"invscaling"`` and ``"adaptive"`` with
  ``"sgd"`` and ``"adam"``: 4 fits.
* Early stopping that ends a fit before ``max_iter``: 2 fits.
* Continued training: a ``partial_fit`` sequence of two calls and a
  ``warm_start=True`` refit, once with each estimator: 4 fits.
* MC dropout: ``MLPRegressor(dropout=0.3).predict(X, return_std=True)``: 1 fit.

451 configurations in all, each recorded with numba and with numpy (902
fits, about 12 s once numba's kernels are compiled and cached). The product
is complete: no factor is paired with another to save time.

The estimator alternates over the product, so that both cover every
optimizer x regularizer pair and every level of every factor: the classifier
(3 classes) where the sum of the factor indices is even, the regressor
(2 outputs) where it is odd. The hidden layers alternate between ``(7,)`` and
``(6, 5)`` in the same way, on a different sum, so that they are not tied to
the estimator. Every fit is tiny (48 training rows, 6 features,
``max_iter=3`` or 5 where a schedule or early stopping needs room,
``batch_size=16``, ``random_state=0``); the constructor's
other parameters keep their defaults, which are thereby part of what is
recorded.

Data
----
Drawn from ``numpy.random.default_rng(SEED)``, once per task: 60 rows of 6
features, about half of the entries set to exactly 0, so the dense and the CSR
configurations see the same numbers. The first 48 rows train, the last 12 are
the fixed test X of the predictions.
"""

import os
import warnings
from contextlib import contextmanager
from itertools import product
from pathlib import Path
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from skreg import MLPClassifier, MLPRegressor

GOLDEN_PATH = Path(__file__).with_name("goldens.npz")

SEED = 20240611
N_TRAIN = 48
N_TEST = 12
N_FEATURES = 6
N_CLASSES = 3
N_OUTPUTS = 2

# the two ways skreg runs: compiled kernels, and numpy only (read at fit time)
SETTINGS = ("numba", "numpy")
DISABLE_NUMBA = "SKREG_DISABLE_NUMBA"

ESTIMATORS = {"MLPClassifier": MLPClassifier, "MLPRegressor": MLPRegressor}
SHORT_NAMES = {"MLPClassifier": "clf", "MLPRegressor": "reg"}

OPTIMIZERS = (
    "sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "nadam", "adamw",
)
REGULARIZERS = {
    "l2": {"alpha": 1e-2},
    "enet": {"alpha": 1e-2, "l1_ratio": 0.5},
    "dropout": {"dropout": 0.3},
    "dropconnect": {"dropconnect": 0.3},
    "noise": {"noise_std": 0.1},
    "maxnorm": {"max_norm": 0.5, "alpha": 1e-3},
}
DTYPES = ("float32", "float64")
FORMATS = ("dense", "csr")
EARLY_STOPPING = {
    "noes": {"early_stopping": False},
    "es": {"early_stopping": True, "validation_fraction": 0.2, "n_iter_no_change": 2},
}
HIDDEN = ((7,), (6, 5))
COMMON = {"max_iter": 3, "batch_size": 16, "random_state": 0}

# how a configuration is trained: "fit"; "partial_fit" (two calls, on the
# first and the second half of the rows); "warm_start" (fit, then fit again
# with max_iter=2); "mc_dropout" (fit, and MC-dropout predictions as well)
PROCEDURES = ("fit", "partial_fit", "warm_start", "mc_dropout")


class DataSpec(NamedTuple):
    """The training and test data of a configuration.

    Attributes
    ----------
    dtype : {"float32", "float64"}
        dtype of X (the estimators train in X's dtype).
    format : {"dense", "csr"}
        A numpy array or a ``scipy.sparse.csr_matrix``.
    """

    dtype: str
    format: str


class Config(NamedTuple):
    """One configuration of the golden matrix.

    Attributes
    ----------
    config_id : str
        Unique name; the prefix of its keys in ``goldens.npz``.
    estimator : {"MLPClassifier", "MLPRegressor"}
        Name of the estimator class (the task: 3 classes, or 2 outputs).
    params : dict
        Constructor parameters.
    data : DataSpec
        dtype and format of X.
    procedure : str, default="fit"
        How it is trained, one of ``PROCEDURES``.
    """

    config_id: str
    estimator: str
    params: dict
    data: DataSpec
    procedure: str = "fit"


# -- the matrix ---------------------------------------------------------------
def configurations():
    """The configurations of the golden tests, in a fixed order.

    Yields
    ------
    Config
        ``(config_id, estimator, params, data, procedure)``; the first four
        fields are the configuration's id, estimator class name, constructor
        parameters and data spec.
    """
    yield from _stochastic_matrix()
    yield from _lbfgs_matrix()
    yield from _schedules()
    yield from _early_stop()
    yield from _continued_training()
    yield from _mc_dropout()


def _make_config(estimator, parts, params, data, procedure="fit"):
    """A :class:`Config` whose id joins the estimator's short name and ``parts``."""
    config_id = "-".join([SHORT_NAMES[estimator], *parts])
    return Config(config_id, estimator, {**COMMON, **params}, data, procedure)


def _alternate(choices, index_sum):
    """``choices[0]`` for an even ``index_sum``, ``choices[1]`` for an odd one."""
    return choices[index_sum % 2]


def _stochastic_matrix():
    """Optimizer x regularizer x dtype x format x early stopping, full product."""
    levels = product(
        enumerate(OPTIMIZERS),
        enumerate(REGULARIZERS),
        enumerate(DTYPES),
        enumerate(FORMATS),
        enumerate(EARLY_STOPPING),
    )
    for (i_o, opt), (i_r, reg), (i_d, dtype), (i_f, fmt), (i_e, es) in levels:
        estimator = _alternate(list(ESTIMATORS), i_o + i_r + i_d + i_f + i_e)
        params = {
            "optimizer": opt,
            "hidden_layer_sizes": _alternate(HIDDEN, i_o + i_r + i_d),
            **REGULARIZERS[reg],
            **EARLY_STOPPING[es],
        }
        yield _make_config(estimator, [opt, reg, dtype, fmt, es], params, DataSpec(dtype, fmt))


def _lbfgs_matrix():
    """L-BFGS with the L2 penalty x dtype x format x early stopping."""
    levels = product(enumerate(DTYPES), enumerate(FORMATS), enumerate(EARLY_STOPPING))
    for (i_d, dtype), (i_f, fmt), (i_e, es) in levels:
        estimator = _alternate(list(ESTIMATORS), i_d + i_f + i_e)
        params = {
            "optimizer": "lbfgs",
            "hidden_layer_sizes": _alternate(HIDDEN, i_d + i_f),
            **REGULARIZERS["l2"],
            **EARLY_STOPPING[es],
        }
        parts = ["lbfgs", "l2", dtype, fmt, es]
        yield _make_config(estimator, parts, params, DataSpec(dtype, fmt))


def _schedules():
    """``"invscaling"`` and ``"adaptive"`` with SGD and Adam.

    The adaptive schedule gets ``tol=10`` (no epoch after the first improves
    by that much), ``n_iter_no_change=2`` and ``max_iter=5``, so it meets a
    plateau at epoch 3 and trains epochs 4 and 5 at a fifth of the rate.
    """
    adaptive = {"learning_rate": "adaptive", "tol": 10.0, "n_iter_no_change": 2, "max_iter": 5}
    cases = [
        ("MLPClassifier", "sgd", "invscaling", {"learning_rate": "invscaling"}),
        ("MLPRegressor", "sgd", "adaptive", adaptive),
        ("MLPRegressor", "adam", "invscaling", {"learning_rate": "invscaling"}),
        ("MLPClassifier", "adam", "adaptive", adaptive),
    ]
    for i, (estimator, opt, name, schedule) in enumerate(cases):
        params = {
            "optimizer": opt,
            "hidden_layer_sizes": HIDDEN[i % 2],
            **REGULARIZERS["l2"],
            **schedule,
        }
        data = DataSpec("float64", "dense")
        yield _make_config(estimator, [opt, name, data.dtype, data.format], params, data)


def _early_stop():
    """Early stopping that ends the fit before ``max_iter``, per estimator.

    With ``tol=10`` no epoch after the first improves the validation score
    enough, so the fit stops after epoch 3 of 5 (``n_iter_no_change=2``) and
    restores the weights of the best-scoring epoch.
    """
    stopping = {**EARLY_STOPPING["es"], "tol": 10.0, "max_iter": 5}
    cases = [
        ("MLPClassifier", "adam", DataSpec("float64", "dense")),
        ("MLPRegressor", "sgd", DataSpec("float32", "csr")),
    ]
    for i, (estimator, opt, data) in enumerate(cases):
        params = {
            "optimizer": opt,
            "hidden_layer_sizes": HIDDEN[i % 2],
            **REGULARIZERS["l2"],
            **stopping,
        }
        yield _make_config(estimator, [opt, "early_stop", data.dtype, data.format], params, data)


def _continued_training():
    """A ``partial_fit`` sequence and a ``warm_start`` refit per estimator."""
    cases = [
        ("MLPClassifier", "partial_fit", "adam", "l2", DataSpec("float64", "dense")),
        ("MLPRegressor", "partial_fit", "momentum", "dropout", DataSpec("float32", "csr")),
        ("MLPRegressor", "warm_start", "adam", "enet", DataSpec("float64", "dense")),
        ("MLPClassifier", "warm_start", "rmsprop", "noise", DataSpec("float32", "csr")),
    ]
    for i, (estimator, procedure, opt, reg, data) in enumerate(cases):
        params = {"optimizer": opt, "hidden_layer_sizes": HIDDEN[i % 2], **REGULARIZERS[reg]}
        if procedure == "warm_start":
            params["warm_start"] = True
        parts = [procedure, opt, reg, data.dtype, data.format]
        yield _make_config(estimator, parts, params, data, procedure)


def _mc_dropout():
    """``MLPRegressor(dropout=0.3)`` with ``predict(X, return_std=True)``."""
    params = {"optimizer": "adam", "hidden_layer_sizes": (7,), "dropout": 0.3, "mc_samples": 10}
    data = DataSpec("float64", "dense")
    parts = ["mc_dropout", "adam", "dropout", data.dtype, data.format]
    yield _make_config("MLPRegressor", parts, params, data, "mc_dropout")


# -- data -----------------------------------------------------------------------
def make_data(config):
    """The training data and the test X of a configuration.

    Parameters
    ----------
    config : Config
        The configuration (its estimator and data spec matter).

    Returns
    -------
    X : ndarray or scipy.sparse.csr_matrix of shape (48, 6)
        Training inputs, in the spec's dtype and format.
    y : ndarray of shape (48,) or (48, 2)
        Class labels 0, 1, 2 (classifier) or two float64 targets (regressor).
    X_test : ndarray or scipy.sparse.csr_matrix of shape (12, 6)
        The rows to predict, like ``X``.
    """
    X_all, y_all = _raw_data(config.estimator)
    X_all = X_all.astype(config.data.dtype)
    if config.data.format == "csr":
        X_all = sp.csr_matrix(X_all)
    return X_all[:N_TRAIN], y_all[:N_TRAIN], X_all[N_TRAIN:]


def _raw_data(estimator):
    """60 rows of float64 inputs (about half exact zeros) and their targets."""
    rng = np.random.default_rng(SEED)
    n_rows = N_TRAIN + N_TEST
    X = rng.normal(size=(n_rows, N_FEATURES))
    X[np.abs(X) < 0.7] = 0.0
    weights = rng.normal(size=(N_FEATURES, N_CLASSES))
    scores = np.tanh(X @ weights) + 0.3 * rng.normal(size=(n_rows, N_CLASSES))
    if estimator == "MLPClassifier":
        return X, np.argmax(scores, axis=1)
    return X, scores[:, :N_OUTPUTS]


# -- fitting --------------------------------------------------------------------
@contextmanager
def numba_setting(setting):
    """Run skreg with the compiled kernels or with numpy only.

    Parameters
    ----------
    setting : {"numba", "numpy"}
        ``"numpy"`` sets ``SKREG_DISABLE_NUMBA=1``; ``"numba"`` removes the
        variable (skreg then uses numba where it imports). The previous value
        is restored on exit.
    """
    if setting not in SETTINGS:
        raise ValueError(f"setting must be one of {SETTINGS}; got {setting!r}.")
    previous = os.environ.pop(DISABLE_NUMBA, None)
    if setting == "numpy":
        os.environ[DISABLE_NUMBA] = "1"
    try:
        yield
    finally:
        os.environ.pop(DISABLE_NUMBA, None)
        if previous is not None:
            os.environ[DISABLE_NUMBA] = previous


def fit_and_collect(config):
    """Train a configuration and collect its outputs.

    Warnings (the ConvergenceWarning of ``max_iter=3``) are suppressed and
    BLAS runs single-threaded, as in the test session. Which of skreg's paths
    runs is up to the caller (see :func:`numba_setting`).

    Parameters
    ----------
    config : Config
        The configuration.

    Returns
    -------
    dict of str to ndarray
        ``coefs_<i>`` and ``intercepts_<i>`` per layer, ``loss_curve_``,
        ``validation_scores_`` (with early stopping), ``n_iter_``, and the
        predictions on the test X: ``predict_proba`` (classifier) or
        ``predict`` (regressor), plus ``predict_mean`` and ``predict_std``
        for ``procedure="mc_dropout"``.
    """
    X, y, X_test = make_data(config)
    est = ESTIMATORS[config.estimator](**config.params)
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore")
        _train(est, config.procedure, X, y)
        outputs = _fitted_state(est)
        outputs.update(_predictions(est, config.procedure, X_test))
    return outputs


def _train(est, procedure, X, y):
    """Fit ``est`` on ``(X, y)`` as ``procedure`` says."""
    if procedure not in PROCEDURES:
        raise ValueError(f"procedure must be one of {PROCEDURES}; got {procedure!r}.")
    if procedure == "partial_fit":
        half = N_TRAIN // 2
        first = {"classes": np.arange(N_CLASSES)} if isinstance(est, MLPClassifier) else {}
        est.partial_fit(X[:half], y[:half], **first)
        est.partial_fit(X[half:], y[half:])
        return
    est.fit(X, y)
    if procedure == "warm_start":
        est.set_params(max_iter=2)
        est.fit(X, y)


def _fitted_state(est):
    """The fitted weights, loss curve, validation scores and epoch count."""
    state = {}
    for i, W in enumerate(est.coefs_):
        state[f"coefs_{i}"] = np.asarray(W)
    for i, b in enumerate(est.intercepts_):
        state[f"intercepts_{i}"] = np.asarray(b)
    state["loss_curve_"] = np.asarray(est.loss_curve_, dtype=np.float64)
    if est.validation_scores_ is not None:
        state["validation_scores_"] = np.asarray(est.validation_scores_, dtype=np.float64)
    state["n_iter_"] = np.asarray(est.n_iter_, dtype=np.int64)
    return state


def _predictions(est, procedure, X_test):
    """Predictions on the test X (and the MC-dropout mean and spread)."""
    if isinstance(est, MLPClassifier):
        predictions = {"predict_proba": est.predict_proba(X_test)}
    else:
        predictions = {"predict": est.predict(X_test)}
    if procedure == "mc_dropout":
        mean, std = est.predict(X_test, return_std=True)
        predictions.update(predict_mean=mean, predict_std=std)
    return {name: np.asarray(value) for name, value in predictions.items()}


def golden_key(setting, config_id, name):
    """The key of one output in ``goldens.npz``: ``"<setting>/<config-id>/<name>"``."""
    return f"{setting}/{config_id}/{name}"
