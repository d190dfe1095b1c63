"""Displays in scikit-learn's style: build one with ``from_estimator``, draw it
with ``plot``, reach the drawn objects through the trailing-underscore
attributes (``figure_``, ``ax_``, ``line_``, ...).

matplotlib is an optional dependency (``pip install ".[plot]"`` in a clone of skreg); it is
imported when something is drawn, never when :mod:`skreg` is imported.
"""

import numpy as np
from sklearn.base import is_classifier
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from .path import _network_of as _network, regularization_path

__all__ = ["LossCurveDisplay", "RegularizationPathDisplay"]


def _pyplot(caller):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - exercised without matplotlib
        raise ImportError(
            f"{caller} needs matplotlib; install it with pip install \"skreg[plot]\"."
        ) from exc
    return plt


class LossCurveDisplay:
    """Training loss per epoch, with the validation curve and the best epoch.

    Use :meth:`from_estimator` to build one from a fitted
    :class:`~skreg.MLPClassifier` or :class:`~skreg.MLPRegressor`; all
    parameters are stored as attributes.

    With ``scoring="loss"`` (the default) the validation curve is the
    validation loss (the negated ``validation_scores_``), drawn on the same
    axis as the training loss. Any other validation score is drawn on a second
    y-axis on the right. The training loss includes the penalty term; the
    validation loss does not.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training objective after each epoch (``loss_curve_``).
    validation_scores : array-like of shape (n_epochs,) or None, default=None
        Validation score after each epoch (``validation_scores_``).
    best_epoch : int or None, default=None
        Epoch (counted from 1) whose weights the model kept: the best
        validation epoch when early stopping was on.
    score_name : str or None, default=None
        Name of the validation score; ``"loss"`` means the scores are negated
        validation losses.
    estimator_name : str or None, default=None
        Name used in the legend.

    Attributes
    ----------
    line_ : matplotlib.lines.Line2D
        The training loss curve.
    validation_line_ : matplotlib.lines.Line2D or None
        The validation curve, if there are validation scores.
    best_line_ : matplotlib.lines.Line2D or None
        Vertical line at the best epoch, if there is one.
    ax_ : matplotlib.axes.Axes
        Axes with the training loss.
    ax_validation_ : matplotlib.axes.Axes or None
        Axes with the validation curve: ``ax_`` itself for a validation loss,
        a twin axes for another score.
    figure_ : matplotlib.figure.Figure
        Figure containing the curves.

    See Also
    --------
    RegularizationPathDisplay : Weight norm, sparsity and validation score
        against ``alpha``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skreg import MLPClassifier
    >>> from skreg.plotting import LossCurveDisplay
    >>> X, y = make_classification(random_state=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), early_stopping=True,
    ...                     learning_rate_init=0.01, random_state=0).fit(X, y)
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> display.best_epoch, clf.n_iter_
    (54, 64)
    """

    def __init__(
        self, *, loss_curve, validation_scores=None, best_epoch=None, score_name=None,
        estimator_name=None,
    ):
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.best_epoch = best_epoch
        self.score_name = score_name
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, **plot_kwargs):
        """Plot the loss curve of a fitted skreg estimator.

        Parameters
        ----------
        estimator : MLPClassifier, MLPRegressor or Pipeline
            A fitted skreg estimator, or a pipeline ending in one.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is made if None.
        name : str, default=None
            Name in the legend; the estimator's class name if None.
        **plot_kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : LossCurveDisplay
        """
        net = _network(estimator)
        check_is_fitted(net)
        scores = getattr(net, "validation_scores_", None)
        best_epoch = None
        if scores:
            # the weights kept are those of the first epoch that reached
            # best_validation_score_ (in the last fit, after a warm start)
            best = net.best_validation_score_
            best_epoch = scores.index(best) + 1 if best in scores else None
        scoring = net.scoring if isinstance(net.scoring, str) else None
        display = cls(
            loss_curve=list(net.loss_curve_),
            validation_scores=None if not scores else list(scores),
            best_epoch=best_epoch,
            score_name=scoring if scoring is not None else "score",
            estimator_name=name or type(net).__name__,
        )
        return display.plot(ax=ax, **plot_kwargs)

    def plot(self, ax=None, *, name=None, line_kw=None, validation_kw=None, best_kw=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is made if None.
        name : str, default=None
            Overrides ``estimator_name`` in the legend.
        line_kw, validation_kw, best_kw : dict, default=None
            Keyword arguments for the training curve, the validation curve
            and the best-epoch line (``Axes.plot`` / ``Axes.axvline``).

        Returns
        -------
        display : LossCurveDisplay
            Object with the drawn artists as attributes.
        """
        plt = _pyplot(f"{type(self).__name__}.plot")
        if ax is None:
            _, ax = plt.subplots()
        name = name or self.estimator_name
        epochs = np.arange(1, len(self.loss_curve) + 1)
        label = "training loss" if name is None else f"{name} training loss"
        (self.line_,) = ax.plot(epochs, self.loss_curve, **{"label": label, **(line_kw or {})})
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.xaxis.get_major_locator().set_params(integer=True)

        self.validation_line_ = None
        self.ax_validation_ = None
        if self.validation_scores is not None:
            kw = {"color": "tab:orange", **(validation_kw or {})}
            if self.score_name == "loss":
                values = -np.asarray(self.validation_scores, dtype=float)
                kw.setdefault("label", "validation loss")
                self.ax_validation_ = ax
            else:
                values = np.asarray(self.validation_scores, dtype=float)
                kw.setdefault("label", f"validation {self.score_name}")
                self.ax_validation_ = ax.twinx()
                self.ax_validation_.set_ylabel(f"validation {self.score_name}")
            (self.validation_line_,) = self.ax_validation_.plot(
                np.arange(1, len(values) + 1), values, **kw
            )

        self.best_line_ = None
        if self.best_epoch is not None:
            kw = {"color": "k", "linestyle": "--", "linewidth": 1,
                  "label": f"best epoch ({self.best_epoch}), weights kept",
                  **(best_kw or {})}
            self.best_line_ = ax.axvline(self.best_epoch, **kw)
        # every labelled curve on ax, so that several displays can share it,
        # and the validation curve when it has its own axis
        handles = ax.get_legend_handles_labels()[0]
        if self.ax_validation_ is not None and self.ax_validation_ is not ax:
            handles.append(self.validation_line_)
        ax.legend(handles=handles, loc="best")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


class RegularizationPathDisplay:
    """Validation score and sparsity along a regularization path.

    The score (mean and standard deviation over folds when there are folds)
    is drawn against the penalty strength, with the chosen and the
    one-standard-error strengths marked; the fraction of weights that are
    exactly zero and of input features still used go on a second y-axis.
    Build one with :meth:`from_estimator` (a fitted
    :class:`~skreg.MLPClassifierCV` / :class:`~skreg.MLPRegressorCV` is
    drawn from its stored path without refitting; another skreg estimator is
    fitted along the path on a training part of the data) or with
    :meth:`from_path`. All parameters are stored as attributes.

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,)
        Penalty strengths.
    scores : array-like of shape (n_alphas,)
        Validation score at each strength (the mean over folds).
    scores_std : array-like of shape (n_alphas,) or None, default=None
        Standard deviation of the score over folds, drawn as a band.
    sparsity : array-like of shape (n_alphas,) or None, default=None
        Fraction of weights that are exactly zero.
    used_features : array-like of shape (n_alphas,) or None, default=None
        Fraction of input features with a non-zero outgoing weight.
    alpha : float or None, default=None
        The chosen strength, marked by a dashed line.
    alpha_1se : float or None, default=None
        The one-standard-error strength, marked by a dotted line.
    score_name : str, default="score"
        Name of the validation score.
    param_name : str, default="alpha"
        Name of the parameter on the x-axis.

    Attributes
    ----------
    path_ : RegularizationPath or None
        The path drawn, when the display computed it.
    score_line_, sparsity_line_, features_line_ : matplotlib.lines.Line2D
        The drawn curves (the last two None without sparsity data).
    band_ : matplotlib.collections.PolyCollection or None
        The +- one standard deviation band.
    chosen_line_, one_se_line_ : matplotlib.lines.Line2D or None
        The markers of ``alpha`` and ``alpha_1se``.
    ax_ : matplotlib.axes.Axes
        The score axes.
    sparsity_ax_ : matplotlib.axes.Axes or None
        The second y-axis, for the fractions.
    figure_ : matplotlib.figure.Figure
        Figure containing the axes.

    See Also
    --------
    skreg.path.regularization_path : Computes a path.
    LossCurveDisplay : Training loss and validation score per epoch.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from skreg import MLPRegressorCV
    >>> from skreg.plotting import RegularizationPathDisplay
    >>> X, y = make_regression(n_samples=200, n_features=20, n_informative=3,
    ...                        noise=1, random_state=0)
    >>> reg = MLPRegressorCV((), alphas=[1e-3, 1e-2, 1e-1, 1.0], l1_ratios=1.0, cv=3,
    ...                      learning_rate_init=1.0, max_iter=500,
    ...                      random_state=0).fit(X, y / y.std())
    >>> display = RegularizationPathDisplay.from_estimator(reg)

    The path is drawn from the folds' stored records; nothing is refitted.
    From ``alpha=0.01`` to 0.1 the fold models use 3 features of 20 (15%:
    the informative ones), at 1.0 none; the refitted model at the chosen
    alpha uses the informative three:

    >>> display.used_features
    array([0.16666667, 0.15      , 0.15      , 0.        ])
    >>> reg.alpha_, reg.used_features_.nonzero()[0]
    (0.001, array([ 0, 13, 17]))
    """

    def __init__(
        self, *, alphas, scores, scores_std=None, sparsity=None, used_features=None,
        alpha=None, alpha_1se=None, score_name="score", param_name="alpha",
    ):
        self.alphas = alphas
        self.scores = scores
        self.scores_std = scores_std
        self.sparsity = sparsity
        self.used_features = used_features
        self.alpha = alpha
        self.alpha_1se = alpha_1se
        self.score_name = score_name
        self.param_name = param_name
        self.path_ = None

    @classmethod
    def from_estimator(
        cls, estimator, X=None, y=None, *, alphas=None, X_val=None, y_val=None,
        validation_fraction=0.25, scoring=None, param_name="alpha", random_state=None,
        ax=None, **plot_kwargs,
    ):
        """Draw a fitted CV estimator's path, or fit one and draw it.

        Parameters
        ----------
        estimator : estimator
            A fitted :class:`~skreg.MLPClassifierCV` or
            :class:`~skreg.MLPRegressorCV` (its stored path is drawn at the
            chosen ``l1_ratio_``; nothing is refitted), or a skreg estimator
            (or a pipeline ending in one), fitted along ``alphas`` by
            :func:`~skreg.path.regularization_path` on a clone.
        X : {array-like, sparse matrix} of shape (n_samples, n_features), default=None
            Data, for an estimator that is not a fitted CV estimator.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Targets, likewise.
        alphas : array-like of float, default=None
            Strengths of the path, likewise.
        X_val, y_val : array-like, default=None
            Validation data. If None, ``validation_fraction`` of ``X, y`` is
            held out (stratified for classifiers).
        validation_fraction : float, default=0.25
            Share of the data held out when ``X_val`` is None.
        scoring : str or callable, default=None
            Validation score: None for the negated data loss, or a
            scikit-learn scorer.
        param_name : {"alpha", "group_alpha"}, default="alpha"
            The strength that varies along the path.
        random_state : int, RandomState or None, default=None
            Seed of the hold-out split.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is made if None.
        **plot_kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : RegularizationPathDisplay
        """
        if hasattr(estimator, "scores_path_"):
            return cls._from_cv(estimator, ax=ax, **plot_kwargs)
        if X is None or y is None or alphas is None:
            raise ValueError(
                f"{type(estimator).__name__} is not a fitted MLPClassifierCV or "
                "MLPRegressorCV: pass X, y and alphas to fit it along a path."
            )
        _network(estimator)
        if X_val is None:
            X, X_val, y, y_val = train_test_split(
                X, y, test_size=validation_fraction, random_state=random_state,
                stratify=y if is_classifier(estimator) else None,
            )
        path = regularization_path(
            estimator, X, y, alphas, parameter=param_name, X_val=X_val, y_val=y_val,
            scoring=scoring,
        )
        display = cls.from_path(path, score_name=_score_name(scoring), ax=ax, **plot_kwargs)
        return display

    @classmethod
    def _from_cv(cls, cv, ax=None, **plot_kwargs):
        check_is_fitted(cv, "scores_path_")
        r = int(np.flatnonzero(cv.l1_ratios_ == cv.l1_ratio_)[0])
        scores = cv.scores_path_[r]
        n_features = cv.n_features_in_
        display = cls(
            alphas=cv.alphas_, scores=scores.mean(axis=1), scores_std=scores.std(axis=1),
            sparsity=cv.sparsity_path_[r].mean(axis=1),
            used_features=cv.n_used_features_path_[r].mean(axis=1) / n_features,
            alpha=cv.alpha_, alpha_1se=cv.alpha_1se_, score_name=_score_name(cv.scoring),
        )
        return display.plot(ax=ax, **plot_kwargs)

    @classmethod
    def from_path(cls, path, *, score_name=None, ax=None, **plot_kwargs):
        """Draw a path computed by :func:`~skreg.path.regularization_path`.

        Parameters
        ----------
        path : RegularizationPath
            A path with validation scores.
        score_name : str, default=None
            Name of the score; "validation loss" style naming when None.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is made if None.
        **plot_kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : RegularizationPathDisplay
        """
        if path.scores is None:
            raise ValueError("The path has no scores: compute it with X_val and y_val.")
        order = np.argsort(path.alphas, kind="stable")
        display = cls(
            alphas=path.alphas[order], scores=path.scores[order],
            sparsity=path.sparsity[order],
            used_features=path.used_features[order].mean(axis=1),
            score_name=score_name or "score (negated loss)", param_name=path.parameter,
        )
        display.path_ = path
        return display.plot(ax=ax, **plot_kwargs)

    def plot(self, ax=None, *, log_scale=None):
        """Draw the score and, on a second y-axis, the sparsity.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is made if None.
        log_scale : bool, default=None
            Logarithmic x-axis; by default when all alphas are positive and
            span more than a factor of 10.

        Returns
        -------
        display : RegularizationPathDisplay
            Object with the drawn artists as attributes.
        """
        plt = _pyplot(f"{type(self).__name__}.plot")
        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 4.2))
        alphas = np.asarray(self.alphas, dtype=float)
        scores = np.asarray(self.scores, dtype=float)
        if log_scale is None:
            log_scale = bool(np.all(alphas > 0) and alphas.max() > 10 * alphas.min())
        (self.score_line_,) = ax.plot(alphas, scores, "o-", color="tab:green",
                                      label=f"validation {self.score_name}")
        self.band_ = None
        if self.scores_std is not None:
            std = np.asarray(self.scores_std, dtype=float)
            self.band_ = ax.fill_between(alphas, scores - std, scores + std,
                                         color="tab:green", alpha=0.2, label="+- 1 std")
        self.chosen_line_ = self.one_se_line_ = None
        if self.alpha is not None:
            self.chosen_line_ = ax.axvline(self.alpha, color="k", ls="--",
                                           label=f"chosen {self.param_name}")
        if self.alpha_1se is not None and self.alpha_1se != self.alpha:
            self.one_se_line_ = ax.axvline(self.alpha_1se, color="tab:gray", ls=":",
                                           label=f"1-SE {self.param_name}")
        ax.set_xlabel(self.param_name)
        ax.set_ylabel(f"validation {self.score_name}")
        if log_scale:
            ax.set_xscale("log")
        handles = [h for h in (self.score_line_, self.band_, self.chosen_line_,
                               self.one_se_line_) if h is not None]
        self.sparsity_ax_ = self.sparsity_line_ = self.features_line_ = None
        if self.sparsity is not None or self.used_features is not None:
            twin = ax.twinx()
            if self.sparsity is not None:
                (self.sparsity_line_,) = twin.plot(
                    alphas, self.sparsity, "s-", color="tab:blue", alpha=0.7,
                    label="weights exactly 0")
                handles.append(self.sparsity_line_)
            if self.used_features is not None:
                (self.features_line_,) = twin.plot(
                    alphas, self.used_features, "^--", color="tab:orange", alpha=0.7,
                    label="input features used")
                handles.append(self.features_line_)
            twin.set_ylim(-0.05, 1.05)
            twin.set_ylabel("fraction")
            self.sparsity_ax_ = twin
        ax.legend(handles=handles, loc="best", fontsize="small")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


def _score_name(scoring):
    if scoring is None or scoring == "loss":
        return "score (negated loss)"
    return scoring if isinstance(scoring, str) else "score"
