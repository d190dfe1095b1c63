"""The displays draw exactly the estimator's numbers (Agg backend)."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import MLPClassifier, MLPRegressor, MLPRegressorCV
from skreg.path import regularization_path

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")

from skreg.plotting import LossCurveDisplay, RegularizationPathDisplay  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield
    plt.close("all")


X_CLF, Y_CLF = make_classification(n_samples=200, n_features=8, random_state=0)
X_REG, Y_REG = make_regression(
    n_samples=160, n_features=12, n_informative=3, noise=5.0, random_state=0
)
Y_REG = (Y_REG - Y_REG.mean()) / Y_REG.std()


def test_import_skreg_does_not_import_matplotlib():
    code = (
        "import sys, skreg, skreg.plotting\n"
        "from skreg import MLPRegressor\n"
        "MLPRegressor(hidden_layer_sizes=(3,), max_iter=2).fit([[0.], [1.], [2.]], [0, 1, 2])\n"
        "print('matplotlib' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_loss_curve_display_with_early_stopping():
    clf = MLPClassifier(
        (32,), learning_rate_init=0.05, early_stopping=True, n_iter_no_change=4,
        max_iter=100, random_state=0,
    ).fit(X_CLF, Y_CLF)
    display = LossCurveDisplay.from_estimator(clf)

    epochs = np.arange(1, clf.n_iter_ + 1)
    x, y = display.line_.get_data()
    assert_array_equal(x, epochs)
    assert_allclose(y, clf.loss_curve_)
    # validation loss on the same axes: the negated validation scores
    assert display.ax_validation_ is display.ax_
    x, y = display.validation_line_.get_data()
    assert_array_equal(x, epochs)
    assert_allclose(y, -np.asarray(clf.validation_scores_))
    # the best epoch is the one whose weights were kept
    best = display.best_epoch
    assert clf.validation_scores_[best - 1] == clf.best_validation_score_
    assert best < clf.n_iter_
    assert_array_equal(display.best_line_.get_xdata(), [best, best])
    assert display.figure_ is display.ax_.figure
    assert display.ax_.get_xlabel() == "epoch"
    labels = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert labels == [
        "MLPClassifier training loss", "validation loss",
        f"best epoch ({best}), weights kept",
    ]


def test_loss_curve_display_with_a_score_uses_a_second_axis():
    clf = MLPClassifier(
        (16,), early_stopping=True, scoring="accuracy", max_iter=15, tol=0.0,
        n_iter_no_change=100, random_state=0,
    ).fit(X_CLF, Y_CLF)
    display = LossCurveDisplay.from_estimator(clf, name="net")
    assert display.ax_validation_ is not display.ax_
    assert_allclose(display.validation_line_.get_ydata(), clf.validation_scores_)
    assert display.ax_validation_.get_ylabel() == "validation accuracy"
    assert display.line_.get_label() == "net training loss"


def test_loss_curve_display_without_validation_and_in_a_pipeline():
    pipe = make_pipeline(StandardScaler(), MLPRegressor((8,), max_iter=12, random_state=0))
    pipe.fit(X_REG, Y_REG)
    fig, ax = plt.subplots()
    display = LossCurveDisplay.from_estimator(pipe, ax=ax)
    assert display.ax_ is ax and display.figure_ is fig
    assert_allclose(display.line_.get_ydata(), pipe[-1].loss_curve_)
    assert display.validation_line_ is None and display.best_line_ is None
    # a second display on the same axes: both curves in the legend
    other = MLPRegressor((8,), max_iter=5, random_state=1).fit(X_REG, Y_REG)
    second = LossCurveDisplay.from_estimator(other, ax=ax, name="other")
    assert_allclose(second.line_.get_ydata(), other.loss_curve_)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["MLPRegressor training loss", "other training loss"]
    # the constructor and plot work on their own, too
    again = LossCurveDisplay(loss_curve=[3.0, 2.0, 1.5]).plot(line_kw={"color": "red"})
    assert again.line_.get_color() == "red"
    assert_allclose(again.line_.get_ydata(), [3.0, 2.0, 1.5])


def test_loss_curve_display_needs_a_fitted_skreg_model():
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import Ridge

    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(MLPRegressor((4,)))
    with pytest.raises(TypeError, match="not a skreg"):
        LossCurveDisplay.from_estimator(Ridge().fit(X_REG, Y_REG))


def test_regularization_path_display_draws_the_path():
    alphas = [1e-3, 1e-2, 1e-1, 1.0]
    base = MLPRegressor(
        (), l1_ratio=1.0, learning_rate_init=0.05, max_iter=60, random_state=0
    )
    display = RegularizationPathDisplay.from_estimator(
        base, X_REG, Y_REG, alphas=alphas, random_state=0
    )
    # the same split and path, by hand
    X_tr, X_va, y_tr, y_va = train_test_split(X_REG, Y_REG, test_size=0.25, random_state=0)
    path = regularization_path(base, X_tr, y_tr, alphas, X_val=X_va, y_val=y_va)
    assert_array_equal(display.path_.estimator.coefs_[0], path.estimator.coefs_[0])
    assert_allclose(display.score_line_.get_xdata(), alphas)
    assert_allclose(display.score_line_.get_ydata(), path.scores)
    assert_allclose(display.sparsity_line_.get_ydata(), path.sparsity)
    assert_allclose(display.features_line_.get_ydata(), path.used_features.mean(axis=1))
    # the penalty did its job: exact zeros grow until every weight is zero
    assert path.sparsity[0] < 0.2 and np.all(np.diff(path.sparsity) >= 0)
    assert path.sparsity[-1] == 1.0 and path.n_used_features[-1] == 0
    assert display.ax_.get_xscale() == "log"
    assert display.ax_.get_ylabel() == "validation score (negated loss)"
    assert display.band_ is None and display.chosen_line_ is None


def test_regularization_path_display_classifier_pipeline_and_given_validation():
    X_tr, X_va, y_tr, y_va = train_test_split(X_CLF, Y_CLF, random_state=1)
    pipe = make_pipeline(StandardScaler(), MLPClassifier((8,), max_iter=20, random_state=0))
    display = RegularizationPathDisplay.from_estimator(
        pipe, X_tr, y_tr, X_val=X_va, y_val=y_va, alphas=[0.0, 0.5],
        scoring="balanced_accuracy",
    )
    from sklearn.metrics import balanced_accuracy_score

    # pure L2: strong to weak, so the path ends at alpha=0
    final = display.path_.estimator
    assert final[-1].alpha == 0.0
    assert_allclose(display.score_line_.get_ydata()[0],
                    balanced_accuracy_score(y_va, final.predict(X_va)))
    assert display.ax_.get_xscale() == "linear"
    assert display.ax_.get_ylabel() == "validation balanced_accuracy"
    with pytest.raises(ValueError, match="non-negative"):
        RegularizationPathDisplay.from_estimator(pipe, X_tr, y_tr, alphas=[-1.0])
    with pytest.raises(ValueError, match="pass X, y and alphas"):
        RegularizationPathDisplay.from_estimator(pipe)


def test_regularization_path_display_of_a_cv_estimator_does_not_refit(monkeypatch):
    cv = MLPRegressorCV((8,), alphas=[1e-3, 1e-1, 1.0], l1_ratios=1.0, cv=3,
                        selection="1se", learning_rate_init=0.05, max_iter=40,
                        random_state=0).fit(X_REG, Y_REG)

    def no_fit(*args, **kwargs):
        raise AssertionError("the display refitted")

    monkeypatch.setattr(MLPRegressor, "fit", no_fit)
    display = RegularizationPathDisplay.from_estimator(cv)
    scores = cv.scores_path_[0]
    assert_allclose(display.score_line_.get_ydata(), scores.mean(axis=1))
    band = display.band_.get_paths()[0].vertices[:, 1]
    assert_allclose(band.min(), (scores.mean(axis=1) - scores.std(axis=1)).min())
    assert_allclose(display.chosen_line_.get_xdata(), [cv.alpha_, cv.alpha_])
    assert_allclose(display.sparsity_line_.get_ydata(), cv.sparsity_path_[0].mean(axis=1))
    assert_allclose(display.features_line_.get_ydata(),
                    cv.n_used_features_path_[0].mean(axis=1) / 12)
    if cv.alpha_1se_ != cv.alpha_:
        assert_allclose(display.one_se_line_.get_xdata(), [cv.alpha_1se_] * 2)
    assert display.sparsity_ax_ is not display.ax_
    assert display.ax_.get_legend() is not None
