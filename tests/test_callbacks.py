"""Progress reporting: scikit-learn's callback API (``sklearn.callback``) and
``verbose``."""

import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import MLPClassifier, MLPRegressor

callback = pytest.importorskip("sklearn.callback")


@pytest.fixture(autouse=True)
def _no_convergence_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


X_CLF, Y_CLF = make_classification(n_samples=120, n_features=6, random_state=0)
X_REG, Y_REG = make_regression(n_samples=120, n_features=6, noise=1.0, random_state=0)


class Recorder:
    """A callback that keeps, in this process, what every hook was given."""

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.record = []

    def setup(self, estimator, context):
        self.record.append(("setup", type(estimator).__name__, context.task_name, None))

    def teardown(self, estimator, context):
        self.record.append(("teardown", type(estimator).__name__, context.task_name, None))

    def on_fit_task_begin(self, estimator, context, *, fitted_estimator=None):
        self.record.append(
            ("begin", type(estimator).__name__, context.task_name, fitted_estimator)
        )

    def on_fit_task_end(self, estimator, context, *, X=None, fitted_estimator=None):
        self.record.append(
            ("end", type(estimator).__name__, context.task_name, fitted_estimator)
        )
        if self.stop_after is not None and context.task_name == "epoch":
            return fitted_estimator.n_iter_ >= self.stop_after
        return False

    def hooks(self, name, task_name="epoch", estimator_name=None):
        return [
            fitted
            for hook, est_name, task, fitted in self.record
            if hook == name
            and task == task_name
            and (estimator_name is None or est_name == estimator_name)
        ]


class PropagatedRecorder(Recorder):
    """The same, propagated from a meta-estimator to the estimators it fits."""

    max_propagation_depth = None


def test_one_task_per_epoch_with_the_model_as_it_was():
    rec = Recorder()
    est = MLPClassifier((8,), max_iter=6, tol=0.0, random_state=0)
    est.set_callbacks(rec).fit(X_CLF, Y_CLF)
    assert est.n_iter_ == 6
    begins, ends = rec.hooks("begin"), rec.hooks("end")
    assert len(begins) == len(ends) == 6
    # at the end of epoch k the model has run k epochs and its loss curve is
    # the first k entries of the final one
    for k, fitted in enumerate(ends, start=1):
        assert fitted.n_iter_ == k
        assert_allclose(fitted.loss_curve_, est.loss_curve_[:k])
    # the model of the last epoch is the fitted model
    assert_array_equal(ends[-1].predict_proba(X_CLF), est.predict_proba(X_CLF))
    for W, W_last in zip(est.coefs_, ends[-1].coefs_):
        assert_array_equal(W, W_last)
    # the model at the beginning of epoch 1 is the untrained one
    assert begins[0].n_iter_ == 0 and begins[0].loss_curve_ == []
    assert not np.allclose(begins[0].coefs_[0], est.coefs_[0])
    # setup and teardown once, and the fit task ends last
    assert [r[0] for r in rec.record].count("setup") == 1
    assert rec.record[-2][:3] == ("end", "MLPClassifier", "fit")
    assert rec.record[-1][0] == "teardown"
    # nothing of the callback machinery stays on the fitted model but the
    # callbacks themselves
    assert not hasattr(est, "_callback_fit_ctx")


def test_epoch_snapshots_match_shorter_fits():
    """The model handed to the callback after epoch k predicts like a model
    fitted for k epochs."""
    rec = Recorder()
    MLPRegressor((8,), max_iter=4, tol=0.0, random_state=1).set_callbacks(rec).fit(
        X_REG, Y_REG
    )
    for k, fitted in enumerate(rec.hooks("end"), start=1):
        short = MLPRegressor((8,), max_iter=k, tol=0.0, random_state=1).fit(X_REG, Y_REG)
        assert_allclose(fitted.predict(X_REG), short.predict(X_REG), rtol=1e-12)


def test_a_callback_can_stop_training():
    rec = Recorder(stop_after=3)
    est = MLPClassifier((8,), max_iter=50, tol=0.0, random_state=0)
    est.set_callbacks(rec).fit(X_CLF, Y_CLF)
    assert est.n_iter_ == 3
    assert len(est.loss_curve_) == 3
    assert len(rec.hooks("begin")) == len(rec.hooks("end")) == 3


class StopBelow:
    """The callback of the user guide (docs/user_guide/progress.rst)."""

    def __init__(self, threshold):
        self.threshold = threshold

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        return (context.task_name == "epoch" and fitted_estimator is not None
                and fitted_estimator.loss_curve_[-1] < self.threshold)


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_user_guide_callback_stops_below_a_loss(optimizer):
    y = Y_REG / Y_REG.std()
    est = MLPRegressor((16,), optimizer=optimizer, learning_rate_init=0.01, max_iter=300,
                       tol=0.0, random_state=0)
    est.set_callbacks(StopBelow(0.05)).fit(X_REG, y)
    assert est.loss_curve_[-1] < 0.05 <= min(est.loss_curve_[:-1])
    assert est.n_iter_ < 300


def test_early_stopping_epochs_and_restored_weights():
    rec = Recorder()
    est = MLPClassifier(
        (32,), learning_rate_init=0.05, max_iter=100, early_stopping=True,
        n_iter_no_change=3, random_state=0,
    ).set_callbacks(rec)
    est.fit(X_CLF, Y_CLF)
    assert est.n_iter_ < 100
    ends = rec.hooks("end")
    assert len(ends) == est.n_iter_
    assert_allclose(ends[-1].validation_scores_, est.validation_scores_)
    # the fit task's model is the restored best one, not the last epoch's
    final = rec.hooks("end", task_name="fit")[0]
    best = int(np.argmax(est.validation_scores_))
    assert best < len(ends) - 1
    assert_array_equal(final.predict_proba(X_CLF), est.predict_proba(X_CLF))
    assert_array_equal(ends[best].coefs_[0], est.coefs_[0])
    assert not np.allclose(ends[-1].coefs_[0], est.coefs_[0])


def test_warm_started_early_stopping_keeps_the_best_epoch_of_its_own_fit():
    """A second fit with a much stronger penalty never reaches the first
    fit's validation score; it must still restore its own best epoch."""
    rec = Recorder()
    est = MLPClassifier((32,), learning_rate_init=0.05, early_stopping=True,
                        n_iter_no_change=4, warm_start=True, random_state=0)
    est.fit(X_CLF, Y_CLF)
    first_best, n_first = est.best_validation_score_, est.n_iter_
    est.set_params(alpha=3.0).set_callbacks(rec).fit(X_CLF, Y_CLF)
    second = est.validation_scores_[n_first:]
    assert max(second) < first_best
    assert est.best_validation_score_ == max(second)
    best = int(np.argmax(second))
    assert best < len(second) - 1
    assert_array_equal(est.coefs_[0], rec.hooks("end")[best].coefs_[0])
    # the display marks that epoch
    pytest.importorskip("matplotlib")
    from skreg.plotting import LossCurveDisplay

    import matplotlib.pyplot as plt

    display = LossCurveDisplay.from_estimator(est)
    assert display.best_epoch == n_first + best + 1
    plt.close("all")


def test_lbfgs_iterations_are_tasks():
    rec = Recorder()
    est = MLPRegressor((8,), optimizer="lbfgs", max_iter=30, random_state=0)
    est.set_callbacks(rec).fit(X_REG, Y_REG)
    ends = [f for f in rec.hooks("end")]
    run = [f for f in ends if f is not None]
    assert [f.n_iter_ for f in run] == list(range(1, est.n_iter_ + 1))
    # every task begun is ended: at most one (empty) left-over iteration
    assert len(rec.hooks("begin")) == len(ends) <= est.n_iter_ + 1


def test_partial_fit_is_one_epoch_task():
    rec = Recorder()
    est = MLPClassifier((8,), random_state=0).set_callbacks(rec)
    for _ in range(3):
        est.partial_fit(X_CLF, Y_CLF, classes=[0, 1])
    assert len(rec.hooks("end", task_name="fit")) == 3
    assert [f.n_iter_ for f in rec.hooks("end")] == [1, 2, 3]


def test_propagated_from_pipeline_and_grid_search():
    rec = PropagatedRecorder()
    pipe = make_pipeline(StandardScaler(), MLPClassifier((4,), max_iter=3, tol=0.0))
    search = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-3, 1e-1]}, cv=2)
    search.set_callbacks(rec).fit(X_CLF, Y_CLF)
    # 2 candidates x 2 folds + the refit, 3 epochs each
    assert len(rec.hooks("end", estimator_name="MLPClassifier")) == 5 * 3
    assert len(rec.hooks("end", "fit", estimator_name="MLPClassifier")) == 5
    refit_epochs = rec.hooks("end", estimator_name="MLPClassifier")[-3:]
    assert [f.n_iter_ for f in refit_epochs] == [1, 2, 3]


def test_progress_bar(capsys):
    pytest.importorskip("rich")
    est = MLPClassifier((8,), max_iter=5, random_state=0)
    est.set_callbacks(callback.ProgressBar()).fit(X_CLF, Y_CLF)
    out = capsys.readouterr().out
    assert re.search(r"MLPClassifier - fit", out)
    assert re.search(r"100%", out)
    assert not re.search(r"\b[0-9]{1,2}%", out)


def test_progress_bar_inside_pipeline_in_grid_search(capsys):
    pytest.importorskip("rich")
    pipe = make_pipeline(StandardScaler(), MLPRegressor((4,), max_iter=3))
    search = GridSearchCV(pipe, {"mlpregressor__alpha": [1e-3, 1e-1]}, cv=2)
    search.set_callbacks(callback.ProgressBar(max_propagation_depth=None))
    search.fit(X_REG, Y_REG)
    out = capsys.readouterr().out
    assert re.search(r"GridSearchCV - fit", out)
    # one bar per fit of the network: 2 candidates x 2 folds + the refit
    assert len(re.findall(r"Pipeline - fit-final-estimator \| MLPRegressor - fit", out)) == 5
    assert not re.search(r"\b[0-9]{1,2}%", out)


def test_scoring_monitor_scores_every_epoch():
    monitor = callback.ScoringMonitor(scoring="accuracy")
    est = MLPClassifier((8,), max_iter=4, tol=0.0, random_state=0)
    est.set_callbacks(monitor).fit(X_CLF, Y_CLF)
    rows = monitor.get_logs().data
    epochs = [r for r in rows if r["task_name"] == "epoch"]
    assert len(epochs) == 4
    for k, row in enumerate(epochs, start=1):
        short = MLPClassifier((8,), max_iter=k, tol=0.0, random_state=0).fit(X_CLF, Y_CLF)
        assert row["accuracy"] == pytest.approx(short.score(X_CLF, Y_CLF))
    fit_row = [r for r in rows if r["task_name"] == "fit"]
    assert fit_row[0]["accuracy"] == pytest.approx(est.score(X_CLF, Y_CLF))


def test_callbacks_do_not_change_the_fit():
    plain = MLPClassifier((8,), max_iter=5, dropout=0.2, random_state=0).fit(X_CLF, Y_CLF)
    watched = MLPClassifier((8,), max_iter=5, dropout=0.2, random_state=0)
    watched.set_callbacks(Recorder()).fit(X_CLF, Y_CLF)
    assert_array_equal(plain.predict_proba(X_CLF), watched.predict_proba(X_CLF))
    assert plain.loss_curve_ == watched.loss_curve_


def test_verbose_prints_one_line_per_epoch(capsys):
    est = MLPRegressor((8,), max_iter=7, tol=0.0, verbose=1, random_state=0)
    est.fit(X_REG, Y_REG)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == est.n_iter_ == 7
    for k, (line, loss) in enumerate(zip(lines, est.loss_curve_), start=1):
        match = re.fullmatch(r"Iteration (\d+), loss = ([0-9.e+-]+)", line)
        assert match, line
        assert int(match.group(1)) == k
        assert float(match.group(2)) == pytest.approx(loss, rel=1e-7)


def test_verbose_with_early_stopping_shows_validation_score(capsys):
    est = MLPClassifier((8,), max_iter=5, tol=0.0, early_stopping=True, verbose=1,
                        n_iter_no_change=50, random_state=0)
    est.fit(X_CLF, Y_CLF)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 10
    assert all(line.startswith("Iteration ") for line in lines[::2])
    scores = [float(line.removeprefix("Validation score: ")) for line in lines[1::2]]
    assert_allclose(scores, est.validation_scores_, atol=1e-6)


def test_verbose_zero_is_silent(capsys):
    MLPRegressor((8,), max_iter=3, random_state=0).fit(X_REG, Y_REG)
    assert capsys.readouterr().out == ""


def test_works_without_sklearn_callback_module():
    """An older scikit-learn has no ``sklearn.callback``: skreg still fits,
    predicts and runs in a grid search, only without ``set_callbacks``."""
    code = textwrap.dedent(
        """
        import sys
        import warnings
        import sklearn.metrics, sklearn.model_selection, sklearn.pipeline
        sys.modules["sklearn.callback"] = None  # skreg sees no callback module
        warnings.simplefilter("ignore")
        from sklearn.datasets import load_iris
        from sklearn.model_selection import GridSearchCV
        import skreg, skreg._callbacks
        assert not skreg._callbacks.CALLBACKS_AVAILABLE
        X, y = load_iris(return_X_y=True)
        est = skreg.MLPClassifier((5,), max_iter=30, random_state=0)
        assert not hasattr(est, "set_callbacks")
        est.fit(X, y)
        assert len(est.loss_curve_) == 30
        est.partial_fit(X, y)
        search = GridSearchCV(est, {"alpha": [0.1, 1.0]}, cv=2).fit(X, y)
        print("ok", search.best_params_["alpha"], est.n_iter_)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "ok"
    assert result.stdout.split()[2] == "31"
