"""The regularization path: one warm-started fit per penalty strength.

:func:`regularization_path` fits a skreg estimator at a sequence of penalty
strengths, each fit starting from the weights of the previous one (a
``fit`` with ``warm_start=True``, which starts its own epoch count, best loss
and patience). It is what :class:`~skreg.MLPClassifierCV` and
:class:`~skreg.MLPRegressorCV` run on every fold, and what
:class:`~skreg.plotting.RegularizationPathDisplay` draws.
"""

import math
import time
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from ._base import BaseMLP
from ._settings import validation_scorer

__all__ = ["RegularizationPath", "default_alphas", "feature_exit_alpha", "regularization_path"]

PARAMETERS = ("alpha", "group_alpha")
DIRECTIONS = ("auto", "increasing", "decreasing")


class RegularizationPath:
    """What a regularization path recorded at each of its points.

    Every array is ordered as the points were fitted (``alphas`` in path
    order); :attr:`feature_exit_alpha` does not depend on the order. The
    parameters are stored as attributes of the same names.

    Parameters
    ----------
    parameter : str
        The penalty strength that varies along the path, ``"alpha"`` or
        ``"group_alpha"``.
    alphas : ndarray of shape (n_alphas,)
        Its values, in the order they were fitted.
    scores : ndarray of shape (n_alphas,) or None
        Score on the validation data after each fit (greater is better);
        None when no validation data were given.
    n_iter : ndarray of shape (n_alphas,)
        Epochs (L-BFGS: iterations) of each fit.
    sparsity : ndarray of shape (n_alphas,)
        Fraction of all weights (biases excluded) that are exactly zero.
    used_features : ndarray of bool of shape (n_alphas, n_features)
        Which input features have a non-zero outgoing weight.
    weight_norm : ndarray of shape (n_alphas,)
        Euclidean norm of all the weights.
    fit_time : float
        Seconds spent fitting the whole path.
    estimator : estimator
        The model fitted at the last point of the path.
    """

    def __init__(self, parameter, alphas, scores, n_iter, sparsity, used_features,
                 weight_norm, fit_time, estimator):
        self.parameter = parameter
        self.alphas = alphas
        self.scores = scores
        self.n_iter = n_iter
        self.sparsity = sparsity
        self.used_features = used_features
        self.weight_norm = weight_norm
        self.fit_time = fit_time
        self.estimator = estimator

    @property
    def n_used_features(self):
        """Number of input features used at each point, ndarray of int."""
        return self.used_features.sum(axis=1)

    @property
    def feature_exit_alpha(self):
        """Per input feature, the smallest strength on the path from which on
        (at that strength and every larger one) all its weights are zero;
        ``inf`` if it is still used at the largest strength.

        Returns
        -------
        exit_alpha : ndarray of shape (n_features,)
        """
        return feature_exit_alpha(self.alphas, self.used_features)

    def __repr__(self):
        return (f"RegularizationPath(parameter={self.parameter!r}, "
                f"n_alphas={len(self.alphas)}, fit_time={self.fit_time:.2f}s)")


def feature_exit_alpha(alphas, used_features):
    """For each feature, the smallest alpha from which on it is unused.

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,)
        Penalty strengths, in any order.
    used_features : array-like of bool of shape (n_alphas, n_features)
        Which features are used at each strength.

    Returns
    -------
    exit_alpha : ndarray of shape (n_features,)
        ``inf`` for a feature used at the largest strength.
    """
    alphas = np.asarray(alphas, dtype=float)
    used = np.asarray(used_features, dtype=bool)
    order = np.argsort(alphas, kind="stable")
    alphas, used = alphas[order], used[order]
    exit_alpha = np.full(used.shape[1], np.inf)
    # walking down from the strongest penalty: a feature exits at the
    # smallest strength of the unbroken run of unused points at the top
    still_out = np.ones(used.shape[1], dtype=bool)
    for alpha, row in zip(alphas[::-1], used[::-1]):
        still_out &= ~row
        exit_alpha[still_out] = alpha
    return exit_alpha


def _null_loss(estimator, X, y, sample_weight=None):
    """The data loss of the best constant prediction (the target mean, or
    the class prior): the scale of the automatic grid of alphas."""
    net = clone(_network_of(estimator))
    # only the targets matter: a stand-in X spares the pipeline's steps
    stand_in = np.zeros((X.shape[0] if hasattr(X, "shape") else len(X), 1))
    _, _, Y, _, sw = net._validate_training_data(stand_in, y, sample_weight, True, False, None)
    loss = net._make_loss()
    mean = (sw @ Y) / sw.sum()
    eps = 1e-12
    if loss.out_activation == "identity":
        z = mean
    elif loss.out_activation == "exp":
        z = np.log(np.maximum(mean, eps))
    elif loss.out_activation == "softmax":
        z = np.log(np.clip(mean, eps, 1.0))
    else:
        p = np.clip(mean, eps, 1 - eps)
        z = np.log(p) - np.log1p(-p)
    Z = np.broadcast_to(z, Y.shape).astype(Y.dtype)
    return float(loss.per_sample(Y, Z) @ sw / sw.sum())


def default_alphas(estimator, X, y, n_alphas=10, sample_weight=None, eps=1e-4):
    """A geometric grid of ``n_alphas`` strengths for ``estimator`` on ``(X, y)``.

    The grid runs from ``eps * alpha_max`` to ``alpha_max``, where
    ``alpha_max`` is the data loss of the best constant prediction (half the
    target variance for squared error, the entropy of the class prior for
    classifiers). The penalty is not scaled by the number of samples, so at
    ``alpha_max`` weights of size one cost as much as the loss of predicting
    nothing: the top of the grid underfits, the bottom barely regularizes.

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor or Pipeline
        The model whose loss sets the scale.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Data.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.
    n_alphas : int, default=10
        Number of points.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples.
    eps : float, default=1e-4
        Ratio of the smallest to the largest strength.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        Increasing strengths.
    """
    if not isinstance(n_alphas, Integral) or isinstance(n_alphas, bool) or n_alphas < 1:
        raise ValueError(f"n_alphas must be an integer >= 1; got {n_alphas!r}.")
    top = max(_null_loss(estimator, X, y, sample_weight), 1e-8)
    if n_alphas == 1:
        return np.array([top])
    return np.geomspace(top * eps, top, n_alphas)


def _network_of(estimator):
    """The skreg estimator itself, or the last step of a pipeline."""
    net = estimator[-1] if hasattr(estimator, "steps") else estimator
    if not isinstance(net, BaseMLP):
        raise TypeError(
            f"{type(estimator).__name__} is not a skreg MLP estimator (or a pipeline "
            "ending in one)."
        )
    return net


def _prefix(estimator):
    return f"{estimator.steps[-1][0]}__" if hasattr(estimator, "steps") else ""


def _path_order(alphas, direction):
    """The indices of ``alphas`` in the order the path fits them."""
    order = np.argsort(alphas, kind="stable")
    return order if direction == "increasing" else order[::-1]


def _resolve_direction(direction, parameter, l1_ratio, group_alpha, name="direction"):
    """``"increasing"`` (weak to strong: dense to sparse) when a penalty that
    zeroes weights is on, otherwise ``"decreasing"`` (strong to weak)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"{name} must be one of {DIRECTIONS}; got {direction!r}.")
    if direction != "auto":
        return direction
    sparse = parameter == "group_alpha" or l1_ratio > 0 or group_alpha > 0
    return "increasing" if sparse else "decreasing"


def _check_alphas(alphas, name="alphas"):
    """``alphas`` as a 1-d float array of non-negative finite numbers."""
    try:
        values = np.asarray(alphas, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numbers; got {alphas!r}.") from exc
    if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"{name} must be non-negative finite numbers; got {alphas!r}.")
    return values


def _loss_scorer(est, X, y, sample_weight=None):
    """The negated weighted data loss (no penalty) of a fitted model."""
    net = _network_of(est)
    if hasattr(est, "steps"):
        for _, step in est.steps[:-1]:
            X = step.transform(X)
    return -net._data_loss(X, y, sample_weight)


def _make_path_scorer(scoring):
    """A callable ``scorer(est, X, y, sample_weight)``: the negated data loss
    for ``None`` or ``"loss"``, else the estimators' own validation scorer
    for ``scoring`` (the one early stopping uses; its errors name it)."""
    scorer = validation_scorer("loss" if scoring is None else scoring)
    return _loss_scorer if scorer is None else scorer


def _warm_patience(n_iter_no_change, path_n_iter_no_change="auto"):
    """The patience of the warm-started points of a path.

    Parameters
    ----------
    n_iter_no_change : int or float
        The estimator's own patience, which the first point of a path uses.
    path_n_iter_no_change : "auto", int >= 1 or inf, default="auto"
        The patience of every later point. ``"auto"`` is half the
        estimator's, rounded up.

    Returns
    -------
    patience : int or float
        Epochs without improvement after which a warm-started point stops.

    Raises
    ------
    ValueError
        If ``path_n_iter_no_change`` is not "auto", a positive integer or inf.
    """
    if isinstance(path_n_iter_no_change, str) and path_n_iter_no_change == "auto":
        if not math.isfinite(n_iter_no_change):
            return n_iter_no_change
        return max(1, math.ceil(n_iter_no_change / 2))
    value = path_n_iter_no_change
    ok = (isinstance(value, Real) and not isinstance(value, bool)
          and (value == math.inf or (float(value).is_integer() and value >= 1)))
    if not ok:
        raise ValueError(
            "path_n_iter_no_change must be 'auto', an integer >= 1 or inf; "
            f"got {path_n_iter_no_change!r}."
        )
    return int(value) if math.isfinite(value) else value


def regularization_path(estimator, X, y, alphas, *, parameter="alpha", sample_weight=None,
                        direction="auto", X_val=None, y_val=None, sample_weight_val=None,
                        scoring=None, path_n_iter_no_change="auto"):
    """Fit ``estimator`` at each strength of ``alphas``, warm-starting each
    fit from the previous one.

    The first point is a fresh fit; each later point continues from the
    weights (and optimizer state) of the one before, with its own epoch
    count, best loss and patience. A warm-started point starts near its
    solution, so its patience is half the estimator's by default
    (``path_n_iter_no_change``). With ``early_stopping=True`` each fit stops
    on the estimator's own validation rows (taken from ``X``), so the rows
    of ``X_val`` stay unseen. The estimator passed in is not changed: a
    clone is fitted.

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor or Pipeline
        A skreg estimator, or a pipeline ending in one.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.
    alphas : array-like of float
        Strengths; the path visits them in the order ``direction`` says.
    parameter : {"alpha", "group_alpha"}, default="alpha"
        The strength that varies.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the training samples.
    direction : {"auto", "increasing", "decreasing"}, default="auto"
        ``"increasing"`` runs from weak to strong penalty (dense to sparse),
        ``"decreasing"`` from strong to weak. ``"auto"`` is increasing when
        a penalty that zeroes weights is on (``l1_ratio > 0``, a group
        penalty), where a path from strong to weak would start at all-zero
        weights, from which a network cannot leave; decreasing otherwise.
    X_val, y_val : array-like, default=None
        Data scored after each fit.
    sample_weight_val : array-like, default=None
        Weights of the validation samples.
    scoring : str, callable or None, default=None
        Validation score (greater is better): None or ``"loss"`` for the
        negated weighted data loss (the penalty is not included), or any
        scikit-learn scorer.
    path_n_iter_no_change : "auto", int >= 1 or inf, default="auto"
        Patience (the estimator's ``n_iter_no_change``) of every point after
        the first. ``"auto"``: half the estimator's patience, rounded up (a
        warm-started point starts near its solution).

    Returns
    -------
    path : RegularizationPath
        Scores, epochs, sparsity and used features at each point, and the
        model fitted at the last point.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from skreg import MLPRegressor
    >>> from skreg.path import regularization_path
    >>> X, y = make_regression(n_samples=200, n_features=8, n_informative=3,
    ...                        noise=1.0, random_state=0)
    >>> path = regularization_path(
    ...     MLPRegressor((16,), l1_ratio=1.0, learning_rate_init=0.01, random_state=0),
    ...     X, y / y.std(), alphas=[1e-3, 1e-2, 1e-1])
    >>> path.alphas.tolist()
    [0.001, 0.01, 0.1]
    >>> bool(path.n_used_features[-1] < path.n_used_features[0])
    True
    """
    if parameter not in PARAMETERS:
        raise ValueError(f"parameter must be one of {PARAMETERS}; got {parameter!r}.")
    alphas = _check_alphas(alphas)
    net = _network_of(estimator)
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val and y_val must be given together.")
    l1_ratio = net.l1_ratio if parameter == "alpha" else 1.0
    direction = _resolve_direction(direction, parameter, l1_ratio, net.group_alpha)
    alphas = alphas[_path_order(alphas, direction)]
    later_patience = _warm_patience(net.n_iter_no_change, path_n_iter_no_change)
    scorer = _make_path_scorer(scoring) if X_val is not None else None
    est = clone(estimator)
    prefix = _prefix(est)
    fit_params = {} if sample_weight is None else {f"{prefix}sample_weight": sample_weight}
    scores, n_iter, sparsity, used, norms = [], [], [], [], []
    start = time.perf_counter()
    for i, alpha in enumerate(alphas):
        est.set_params(**{f"{prefix}{parameter}": float(alpha),
                          f"{prefix}warm_start": i > 0,
                          f"{prefix}n_iter_no_change":
                              later_patience if i > 0 else net.n_iter_no_change})
        with warnings.catch_warnings():
            # a point of the path may stop at max_iter; the path goes on
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, y, **fit_params)
        fitted = _network_of(est)
        weights = fitted.coefs_
        n_iter.append(fitted.n_iter_)
        zeros = sum(int(np.count_nonzero(W == 0)) for W in weights)
        sparsity.append(zeros / sum(W.size for W in weights))
        used.append(fitted.used_features_.copy())
        norms.append(float(np.sqrt(sum(float(np.sum(np.square(W, dtype=float)))
                                       for W in weights))))
        if scorer is not None:
            scores.append(float(scorer(est, X_val, y_val, sample_weight_val)))
    fit_time = time.perf_counter() - start
    _network_of(est).set_params(warm_start=net.warm_start,
                                n_iter_no_change=net.n_iter_no_change)
    return RegularizationPath(
        parameter=parameter, alphas=alphas,
        scores=np.array(scores) if scorer is not None else None,
        n_iter=np.array(n_iter, dtype=int), sparsity=np.array(sparsity),
        used_features=np.array(used, dtype=bool).reshape(len(alphas), -1),
        weight_norm=np.array(norms), fit_time=fit_time, estimator=est,
    )
