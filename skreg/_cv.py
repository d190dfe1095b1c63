"""MLPClassifierCV and MLPRegressorCV: the penalty strength chosen by
cross-validation along a warm-started regularization path per fold.

Each fold runs :func:`skreg.path.regularization_path` over ``alphas`` (one
path per ``l1_ratio``), scoring every point on the fold's held-out rows. The
chosen point is then refitted on all the data, and the CV estimator *is* that
model: it predicts, scores and carries every fitted attribute of the base
estimator.
"""

import math
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone, is_classifier
from sklearn.model_selection import check_cv
from sklearn.utils.metaestimators import available_if

from ._classifier import MLPClassifier
from ._checks import named_input_errors
from ._compat import Interval, Options, StrOptions, safe_indexing, validate_data, validate_params
from ._docstrings import (
    CLASS_WEIGHT, CV_ATTRIBUTES, CV_PARAMETERS, NORMALIZE_Y, LABEL_SMOOTHING, parameters_without,
)
from ._regressor import MLPRegressor
from ._settings import is_stochastic
from .path import (
    DIRECTIONS, _check_alphas, _path_order, _resolve_direction, _warm_patience, default_alphas,
    regularization_path,
)

#: base-estimator parameters the CV estimators replace or manage
REPLACED = ("alpha", "l1_ratio", "warm_start")


def _fold_path(base, X, y, sample_weight, train, test, alphas, direction, scoring,
               path_n_iter_no_change):
    """One fold's path: fitted on ``train``, scored on ``test``."""
    sw_train = None if sample_weight is None else sample_weight[train]
    sw_test = None if sample_weight is None else sample_weight[test]
    return regularization_path(
        base, safe_indexing(X, train), safe_indexing(y, train), alphas,
        sample_weight=sw_train, direction=direction,
        X_val=safe_indexing(X, test), y_val=safe_indexing(y, test),
        sample_weight_val=sw_test, scoring=scoring,
        path_n_iter_no_change=path_n_iter_no_change,
    )


def _refit_kind(refit, direction, n_iter_at_choice, patience, max_iter):
    """``"path"`` or ``"cold"``: how ``refit`` refits the chosen point.

    ``"auto"`` refits along the path when it runs from dense to sparse. On a
    path from strong to weak it refits along the path when most folds' fits
    at the chosen point stopped as early as their ``patience`` allowed (before
    ``max_iter``): those fits kept the model the stronger points had trained,
    which only the path reproduces; a fit from scratch at a weak penalty
    would train further. Otherwise the fold fits at the chosen point trained
    on, to a model of their own strength, and one cold fit there is the refit.

    Parameters
    ----------
    refit : {"auto", "cold", "path"}
        The estimator's setting.
    direction : {"increasing", "decreasing"}
        The direction of the chosen path.
    n_iter_at_choice : ndarray of shape (n_folds,) or None
        Epochs of each fold's warm-started fit at the chosen point; None
        where epochs do not show when patience ran out (the chosen point is
        the path's first, a cold fit; L-BFGS; an adaptive learning rate).
    patience : int or float
        The patience of the warm-started points.
    max_iter : int
        The most epochs a fit runs.

    Returns
    -------
    kind : {"path", "cold"}
    """
    if refit != "auto":
        return refit
    if direction == "increasing":
        return "path"
    if n_iter_at_choice is None or not math.isfinite(patience):
        return "cold"
    n_iter = np.asarray(n_iter_at_choice)
    stopped_early = (n_iter <= patience + 1) & (n_iter < max_iter)
    return "path" if 2 * np.count_nonzero(stopped_early) > n_iter.size else "cold"


def _never(est):
    return False


class RegularizationPathCVMixin:
    """Cross-validation along the regularization path, shared by both CV
    estimators; the base estimator class comes second in the MRO."""

    _cv_constraints = {
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "l1_ratios": [Interval(Real, 0, 1, closed="both"), "array-like"],
        "cv": ["cv_object"],
        "selection": [StrOptions({"best", "1se"})],
        "path": [StrOptions(set(DIRECTIONS))],
        "refit": [StrOptions({"auto", "cold", "path"})],
        "path_n_iter_no_change": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left"),
                                  Options(Real, {np.inf})],
        "n_jobs": [Integral, None],
    }

    def _base_estimator(self, alpha, l1_ratio):
        """The base estimator with this estimator's parameters."""
        base_cls = self._base_class
        names = base_cls().get_params(deep=False)
        params = {k: v for k, v in self.get_params(deep=False).items() if k in names}
        return base_cls(**params, alpha=alpha, l1_ratio=l1_ratio)

    def _checked_l1_ratios(self):
        values = _check_alphas(np.atleast_1d(self.l1_ratios), "l1_ratios")
        if np.any(values > 1):
            raise ValueError(
                f"l1_ratios must be in [0, 1]; got {self.l1_ratios!r}."
            )
        return values

    def fit(self, X, y, sample_weight=None):
        """Choose the penalty by cross-validation, then refit on all the data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples, used in training and in the scores.

        Returns
        -------
        self : object
            The model refitted at the chosen penalty.
        """
        validate_params(self)
        X, y = self._checked_data(X, y)
        l1_ratios = self._checked_l1_ratios()
        if isinstance(self.alphas, Integral):
            probe = self._base_estimator(0.0, float(l1_ratios[0]))
            alphas = default_alphas(probe, X, y, self.alphas, sample_weight)
        else:
            alphas = np.unique(_check_alphas(self.alphas))
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=float)
        cv = check_cv(self.cv, y, classifier=is_classifier(self))
        splits = list(cv.split(X, y))
        jobs = []
        for l1_ratio in l1_ratios:
            base = self._base_estimator(0.0, float(l1_ratio))
            direction = self._direction(l1_ratio)
            for train, test in splits:
                jobs.append(delayed(_fold_path)(
                    base, X, y, sample_weight, train, test, alphas, direction, self.scoring,
                    self.path_n_iter_no_change,
                ))
        paths = Parallel(n_jobs=self.n_jobs)(jobs)
        exits = self._store_paths(paths, alphas, l1_ratios, len(splits))
        chosen = self._select(exits)
        self._refit(X, y, sample_weight, chosen)
        return self

    def _checked_data(self, X, y):
        """X and y as the base estimator accepts them (this also records
        ``n_features_in_`` and ``feature_names_in_``), ready to index by fold."""
        classifier = is_classifier(self)
        with named_input_errors("X" if classifier else "X and y"):
            return validate_data(
                self, X, y, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32],
                multi_output=True, y_numeric=not classifier,
            )

    def _direction(self, l1_ratio):
        return _resolve_direction(self.path, "alpha", l1_ratio, self.group_alpha, name="path")

    def _store_paths(self, paths, alphas, l1_ratios, n_folds):
        """The per-fold records as (l1_ratios, alphas, folds) arrays, alphas
        increasing whatever the direction each path ran in."""
        shape = (len(l1_ratios), len(alphas), n_folds)
        scores = np.empty(shape)
        n_iter = np.empty(shape, dtype=int)
        sparsity = np.empty(shape)
        n_used = np.empty(shape, dtype=int)
        exits = []
        for k, path in enumerate(paths):
            r, f = divmod(k, n_folds)
            order = np.argsort(path.alphas, kind="stable")
            scores[r, :, f] = path.scores[order]
            n_iter[r, :, f] = path.n_iter[order]
            sparsity[r, :, f] = path.sparsity[order]
            n_used[r, :, f] = path.n_used_features[order]
            exits.append(path.feature_exit_alpha)
        self.alphas_ = alphas
        self.l1_ratios_ = l1_ratios
        self.scores_path_ = scores
        self.n_iter_path_ = n_iter
        self.sparsity_path_ = sparsity
        self.n_used_features_path_ = n_used
        return np.array(exits).reshape(len(l1_ratios), n_folds, -1)

    def _select(self, fold_exit_alpha):
        """``alpha_``, ``l1_ratio_``, the 1-SE alpha and the features' exit
        alphas (``fold_exit_alpha``: l1_ratios x folds x features) from the
        stored scores; returns the indices of the chosen ``l1_ratio`` and
        ``alpha``."""
        n_folds = self.scores_path_.shape[2]
        mean = self.scores_path_.mean(axis=2)
        std = self.scores_path_.std(axis=2, ddof=1) if n_folds > 1 else np.zeros_like(mean)
        se = std / np.sqrt(n_folds)
        finite = np.where(np.isfinite(mean), mean, -np.inf)
        r, a = np.unravel_index(np.argmax(finite), mean.shape)
        within = np.flatnonzero(finite[r] >= finite[r, a] - se[r, a])
        a_1se = within.max()
        self.alpha_best_ = float(self.alphas_[a])
        self.alpha_1se_ = float(self.alphas_[a_1se])
        chosen = a if self.selection == "best" else a_1se
        self.alpha_ = float(self.alphas_[chosen])
        self.l1_ratio_ = float(self.l1_ratios_[r])
        self.feature_exit_alpha_ = np.median(fold_exit_alpha[r], axis=0)
        return int(r), int(chosen)

    def _refit(self, X, y, sample_weight, chosen):
        """Fit the chosen point (``chosen``: the indices of its ``l1_ratio``
        and ``alpha``) on all the data and take on its state."""
        base = self._base_estimator(self.alpha_, self.l1_ratio_)
        direction = self._direction(self.l1_ratio_)
        r, a = chosen
        order = _path_order(self.alphas_, direction)
        position = int(np.flatnonzero(order == a)[0])  # of the chosen point on the path
        epochs_tell = (position > 0 and is_stochastic(self)
                       and self.learning_rate != "adaptive")
        patience = _warm_patience(self.n_iter_no_change, self.path_n_iter_no_change)
        self.refit_ = _refit_kind(self.refit, direction,
                                  self.n_iter_path_[r, a] if epochs_tell else None,
                                  patience, self.max_iter)
        if self.refit_ == "path":
            model = regularization_path(
                base, X, y, self.alphas_[order[: position + 1]], sample_weight=sample_weight,
                direction=direction,
                path_n_iter_no_change=self.path_n_iter_no_change,
            ).estimator
        else:
            model = base.fit(X, y, sample_weight=sample_weight)
        own = set(self.get_params(deep=False))
        for name, value in vars(model).items():
            if name not in own and name not in REPLACED:
                setattr(self, name, value)

    @available_if(_never)
    def partial_fit(self, X, y, sample_weight=None):
        """Not available: the CV estimators fit whole paths.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        self : object
            Never returns: accessing the method raises ``AttributeError``.
        """


def _cv_doc(summary, base_name, mc_method, linear_model, extra_parameters="",
            extra_attributes=""):
    shared = parameters_without(REPLACED, mc_method, linear_model).replace(
        "What early stopping monitors:",
        "What chooses the penalty (the mean held-out score over the folds) and\n"
        "        what early stopping monitors:",
    )
    return (
        summary
        + "\n\n    Parameters\n    ----------\n"
        + CV_PARAMETERS
        + shared
        + extra_parameters
        + "\n    Attributes\n    ----------\n"
        + CV_ATTRIBUTES
        + extra_attributes
        + f"""
    See Also
    --------
    {base_name} : The estimator at one penalty strength.
    skreg.path.regularization_path : The warm-started path each fold runs.
    skreg.plotting.RegularizationPathDisplay : Draws the stored path.
"""
    )


class MLPRegressorCV(RegularizationPathCVMixin, MLPRegressor):
    _base_class = MLPRegressor
    _parameter_constraints = {
        **{k: v for k, v in MLPRegressor._parameter_constraints.items() if k not in REPLACED},
        **RegularizationPathCVMixin._cv_constraints,
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        alphas=10,
        l1_ratios=0.0,
        cv=5,
        selection="best",
        path="auto",
        refit="auto",
        path_n_iter_no_change="auto",
        n_jobs=None,
        loss="squared_error",
        normalize_y=True,
        group_alpha=0.0,
        dropout=0.0,
        input_dropout=0.0,
        dropconnect=0.0,
        noise_std=0.0,
        mixup_alpha=0.0,
        max_norm=None,
        init="glorot_uniform",
        optimizer="adam",
        learning_rate_init="auto",
        learning_rate="constant",
        power_t=0.5,
        warmup=0.0,
        dropout_schedule="constant",
        batch_size="auto",
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        n_steps_no_change=0,
        average=False,
        scoring="loss",
        mc_samples=50,
        verbose=0,
    ):
        self.alphas = alphas
        self.l1_ratios = l1_ratios
        self.cv = cv
        self.selection = selection
        self.path = path
        self.refit = refit
        self.path_n_iter_no_change = path_n_iter_no_change
        self.n_jobs = n_jobs
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.normalize_y = normalize_y
        self.group_alpha = group_alpha
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.dropconnect = dropconnect
        self.noise_std = noise_std
        self.mixup_alpha = mixup_alpha
        self.max_norm = max_norm
        self.init = init
        self.optimizer = optimizer
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.power_t = power_t
        self.warmup = warmup
        self.dropout_schedule = dropout_schedule
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_steps_no_change = n_steps_no_change
        self.average = average
        self.scoring = scoring
        self.mc_samples = mc_samples
        self.verbose = verbose


class MLPClassifierCV(RegularizationPathCVMixin, MLPClassifier):
    _base_class = MLPClassifier
    _parameter_constraints = {
        **{k: v for k, v in MLPClassifier._parameter_constraints.items() if k not in REPLACED},
        **RegularizationPathCVMixin._cv_constraints,
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        alphas=10,
        l1_ratios=0.0,
        cv=5,
        selection="best",
        path="auto",
        refit="auto",
        path_n_iter_no_change="auto",
        n_jobs=None,
        group_alpha=0.0,
        dropout=0.0,
        input_dropout=0.0,
        dropconnect=0.0,
        noise_std=0.0,
        mixup_alpha=0.0,
        max_norm=None,
        init="glorot_uniform",
        optimizer="adam",
        learning_rate_init="auto",
        learning_rate="constant",
        power_t=0.5,
        warmup=0.0,
        dropout_schedule="constant",
        batch_size="auto",
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        n_steps_no_change=0,
        average=False,
        scoring="loss",
        mc_samples=50,
        verbose=0,
        class_weight=None,
        label_smoothing=0.0,
    ):
        self.alphas = alphas
        self.l1_ratios = l1_ratios
        self.cv = cv
        self.selection = selection
        self.path = path
        self.refit = refit
        self.path_n_iter_no_change = path_n_iter_no_change
        self.n_jobs = n_jobs
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.group_alpha = group_alpha
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.dropconnect = dropconnect
        self.noise_std = noise_std
        self.mixup_alpha = mixup_alpha
        self.max_norm = max_norm
        self.init = init
        self.optimizer = optimizer
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.power_t = power_t
        self.warmup = warmup
        self.dropout_schedule = dropout_schedule
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_steps_no_change = n_steps_no_change
        self.average = average
        self.scoring = scoring
        self.mc_samples = mc_samples
        self.verbose = verbose
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing


MLPRegressorCV.__doc__ = _cv_doc(
    """Multi-layer perceptron regressor whose penalty strength is chosen by
    cross-validation along a warm-started regularization path.

    On each fold, one path per ``l1_ratio`` runs over ``alphas``, each fit
    starting from the weights of the previous point, and scores every point
    on the fold's held-out rows. The best point (or, with
    ``selection="1se"``, the strongest penalty within one standard error of
    it) is refitted on all the data; the fitted CV estimator is that model.""",
    "MLPRegressor", "``predict(X, return_std=True)``", "linear regression",
    """    loss : {"squared_error", "poisson"}, default="squared_error"
        Half squared error with an identity output, or half Poisson deviance
        with a log link.
""" + NORMALIZE_Y,
    """    out_activation_ : str
        ``"identity"`` or ``"exp"``.
""",
) + """
    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from skreg import MLPRegressorCV
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=10.0, random_state=0)
    >>> reg = MLPRegressorCV((16,), alphas=[1e-4, 1e-2, 1.0], cv=3,
    ...                      learning_rate_init=0.01, random_state=0).fit(X, y / y.std())
    >>> reg.alphas_.tolist()
    [0.0001, 0.01, 1.0]
    >>> reg.scores_path_.shape
    (1, 3, 3)
    """

MLPClassifierCV.__doc__ = _cv_doc(
    """Multi-layer perceptron classifier whose penalty strength is chosen by
    cross-validation along a warm-started regularization path.

    On each fold (stratified by default), one path per ``l1_ratio`` runs
    over ``alphas``, each fit starting from the weights of the previous
    point, and scores every point on the fold's held-out rows. The best point
    (or, with ``selection="1se"``, the strongest penalty within one standard
    error of it) is refitted on all the data; the fitted CV estimator is that
    model.""",
    "MLPClassifier", "``predict_proba(X, mc_dropout=True)``", "logistic regression",
    CLASS_WEIGHT + """        Every fit along the path is class-weighted; the held-out scores
        that choose the penalty are weighted by ``sample_weight`` only.
""" + LABEL_SMOOTHING,
    """    classes_ : ndarray
        Class labels.
    out_activation_ : str
        ``"softmax"`` or ``"logistic"``.
""",
) + """
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skreg import MLPClassifierCV
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifierCV((16,), alphas=[1e-3, 1e-1, 10.0], cv=3,
    ...                       learning_rate_init=0.01, max_iter=1000,
    ...                       random_state=0).fit(X, y)
    >>> clf.alpha_ < 10.0
    True
    """
