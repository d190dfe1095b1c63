"""Displays in scikit-learn's style: build one with ``from_estimator``, draw it
with ``plot``, reach the drawn objects through the trailing-underscore
attributes (``figure_``, ``ax_``, ``line_``, ...).

matplotlib is an optional dependency (``pip install ".[plot]"`` in a clone of skreg); it is
imported when something is drawn, never when :mod:`skreg` is imported.
"""

from numbers import Real

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from ._base import BaseMLP

__all__ = ["LossCurveDisplay", "RegularizationPathDisplay"]


def _pyplot(caller):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - exercised without matplotlib
        raise ImportError(
            f"{caller} needs matplotlib; install it with pip install \"skreg[plot]\"."
        ) from exc
    return plt


def _network(estimator):
    """The skreg estimator itself, or the last step of a pipeline."""
    net = estimator[-1] if hasattr(estimator, "steps") else estimator
    if not isinstance(net, BaseMLP):
        raise TypeError(
            f"{type(estimator).__name__} is not a skreg MLP estimator (or a pipeline "
            "ending in one)."
        )
    return net


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
    """Weight norm, sparsity and validation score against ``alpha``.

    :meth:`from_estimator` refits a clone of the estimator for each ``alpha``
    on a training part of the data and scores it on a held-out part; all
    parameters are stored as attributes.

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,)
        Penalty strengths.
    weight_norms : array-like of shape (n_alphas,)
        Euclidean norm of all the weights (biases excluded) of each model.
    sparsity : array-like of shape (n_alphas,)
        Fraction of weights that are exactly zero.
    used_features : array-like of shape (n_alphas,)
        Fraction of input features with a non-zero outgoing weight.
    validation_scores : array-like of shape (n_alphas,)
        Score of each model on the validation data.
    score_name : str, default="score"
        Name of the validation score.
    param_name : str, default="alpha"
        Name of the parameter on the x-axis.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted models, one per alpha (only when built by
        :meth:`from_estimator`).
    norm_line_, sparsity_line_, features_line_, score_line_ : matplotlib.lines.Line2D
        The drawn curves.
    axes_ : ndarray of matplotlib.axes.Axes of shape (3,)
        Weight-norm, sparsity and score axes, top to bottom.
    ax_ : matplotlib.axes.Axes
        The score axes (the bottom one).
    figure_ : matplotlib.figure.Figure
        Figure containing the axes.

    See Also
    --------
    LossCurveDisplay : Training loss and validation score per epoch.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from skreg import MLPRegressor
    >>> from skreg.plotting import RegularizationPathDisplay
    >>> X, y = make_regression(n_samples=200, n_features=20, n_informative=3,
    ...                        noise=1, random_state=0)
    >>> lasso = MLPRegressor(hidden_layer_sizes=(), l1_ratio=1.0,
    ...                      learning_rate_init=1.0, max_iter=500, random_state=0)
    >>> display = RegularizationPathDisplay.from_estimator(
    ...     lasso, X, y / y.std(), alphas=[1e-3, 1e-2, 1e-1, 1.0], random_state=0)

    Up to ``alpha=0.1`` the model uses 3 features of 20 (15%: the informative
    ones); at 1.0 it uses none:

    >>> display.used_features
    array([0.15, 0.15, 0.15, 0.  ])
    >>> display.estimators_[1].used_features_.nonzero()[0]
    array([ 0, 13, 17])
    """

    def __init__(
        self, *, alphas, weight_norms, sparsity, used_features, validation_scores,
        score_name="score", param_name="alpha",
    ):
        self.alphas = alphas
        self.weight_norms = weight_norms
        self.sparsity = sparsity
        self.used_features = used_features
        self.validation_scores = validation_scores
        self.score_name = score_name
        self.param_name = param_name

    @classmethod
    def from_estimator(
        cls, estimator, X, y, *, alphas, X_val=None, y_val=None, validation_fraction=0.25,
        scoring=None, param_name="alpha", random_state=None, ax=None, **plot_kwargs,
    ):
        """Fit the estimator for each alpha and plot what the penalty did.

        Parameters
        ----------
        estimator : MLPClassifier, MLPRegressor or Pipeline
            A skreg estimator (or a pipeline ending in one), fitted or not;
            clones of it are fitted.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        alphas : array-like of float
            Penalty strengths to try.
        X_val, y_val : array-like, default=None
            Validation data. If None, ``validation_fraction`` of ``X, y`` is
            held out (stratified for classifiers).
        validation_fraction : float, default=0.25
            Share of the data held out when ``X_val`` is None.
        scoring : str or callable, default=None
            Validation score; the estimator's ``score`` if None.
        param_name : str, default="alpha"
            Parameter to set, e.g. ``"mlpclassifier__alpha"`` for a pipeline.
        random_state : int, RandomState or None, default=None
            Seed of the hold-out split.
        ax : array of 3 matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is made if None.
        **plot_kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : RegularizationPathDisplay
        """
        alphas = np.asarray(alphas, dtype=float).ravel()
        if alphas.size == 0 or not all(isinstance(a, Real) and a >= 0 for a in alphas):
            raise ValueError(f"alphas must be non-negative numbers; got {alphas!r}.")
        if X_val is None:
            X, X_val, y, y_val = train_test_split(
                X, y, test_size=validation_fraction, random_state=random_state,
                stratify=y if is_classifier(estimator) else None,
            )
        scorer = check_scoring(estimator, scoring=scoring)
        fitted, norms, sparsity, used, scores = [], [], [], [], []
        for alpha in alphas:
            est = clone(estimator).set_params(**{param_name: float(alpha)}).fit(X, y)
            net = _network(est)
            weights = net.coefs_
            norms.append(float(np.sqrt(sum(np.sum(W * W) for W in weights))))
            sparsity.append(
                float(sum(np.sum(W == 0) for W in weights) / sum(W.size for W in weights))
            )
            used.append(float(np.mean(net.used_features_)))
            scores.append(float(scorer(est, X_val, y_val)))
            fitted.append(est)
        if scoring is None:
            score_name = "accuracy" if is_classifier(estimator) else "R$^2$"
        else:
            score_name = scoring if isinstance(scoring, str) else "score"
        display = cls(
            alphas=alphas, weight_norms=np.array(norms), sparsity=np.array(sparsity),
            used_features=np.array(used), validation_scores=np.array(scores),
            score_name=score_name, param_name=param_name,
        )
        display.estimators_ = fitted
        return display.plot(ax=ax, **plot_kwargs)

    def plot(self, ax=None, *, log_scale=None):
        """Draw the three panels.

        Parameters
        ----------
        ax : array of 3 matplotlib.axes.Axes, default=None
            Axes for the weight norm, the sparsity and the score; a new figure
            with three stacked panels is made if None.
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
            fig, ax = plt.subplots(3, 1, sharex=True, figsize=(6.4, 7.2))
            fig.subplots_adjust(hspace=0.08)
        axes = np.asarray(ax, dtype=object).ravel()
        if axes.shape != (3,):
            raise ValueError(f"ax must be 3 axes; got {axes.shape[0]}.")
        alphas = np.asarray(self.alphas, dtype=float)
        if log_scale is None:
            log_scale = bool(np.all(alphas > 0) and alphas.max() > 10 * alphas.min())

        (self.norm_line_,) = axes[0].plot(alphas, self.weight_norms, "o-")
        axes[0].set_ylabel("weight norm")
        (self.sparsity_line_,) = axes[1].plot(
            alphas, self.sparsity, "o-", label="weights exactly 0"
        )
        (self.features_line_,) = axes[1].plot(
            alphas, self.used_features, "s--", label="input features used"
        )
        axes[1].set_ylabel("fraction")
        axes[1].set_ylim(-0.05, 1.05)
        axes[1].legend(loc="best")
        (self.score_line_,) = axes[2].plot(alphas, self.validation_scores, "o-",
                                           color="tab:green")
        axes[2].set_ylabel(f"validation {self.score_name}")
        axes[2].set_xlabel(self.param_name)
        for a in axes:
            if log_scale:
                a.set_xscale("log")
        self.axes_ = axes
        self.ax_ = axes[2]
        self.figure_ = axes[0].figure
        return self
