"""make_tabular_mlp builds the documented pipeline, fits, and takes overrides."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

import skreg
from skreg import MLPClassifier, MLPRegressor
from skreg.optimizers import AdamW
from skreg.preprocessing import PeriodicFeatures, SmoothClipScaler
from skreg.recipes import TABULAR_MLP_SETTINGS, make_tabular_mlp

pytestmark = pytest.mark.filterwarnings("error::skreg.preprocessing.FeatureScaleWarning")


def test_exported():
    assert skreg.make_tabular_mlp is make_tabular_mlp


def test_classification_pipeline_has_the_recipe_settings():
    model = make_tabular_mlp(random_state=3)
    assert isinstance(model, Pipeline)
    assert [name for name, _ in model.steps] == ["scale", "periodic", "mlp"]
    scale, periodic, mlp = (step for _, step in model.steps)
    assert type(scale) is SmoothClipScaler
    assert scale.get_params() == SmoothClipScaler(unit_variance=True, clip=10.0).get_params()
    assert type(periodic) is PeriodicFeatures
    assert (periodic.n_frequencies, periodic.sigma, periodic.include_original) == (8, 0.1, True)
    assert periodic.random_state == 3
    assert type(mlp) is MLPClassifier
    params = mlp.get_params()
    for name, value in TABULAR_MLP_SETTINGS.items():
        assert params[name] == value, name
    assert params["hidden_layer_sizes"] == (256, 256, 256)
    assert params["activation"] == "selu"
    assert params["init"] == "data"
    assert params["learning_rate"] == "coslog4"
    assert params["dropout"] == 0.15
    assert params["dropout_schedule"] == "flat_cosine"
    assert params["label_smoothing"] == 0.1
    assert params["max_iter"] == 256
    assert params["batch_size"] == 256
    assert params["early_stopping"] is False
    assert params["random_state"] == 3
    opt = params["optimizer"]
    assert type(opt) is AdamW
    assert (opt.beta_1, opt.beta_2) == (0.9, 0.95)
    assert opt.weight_decay == 0.32
    assert opt.weight_decay_schedule == "flat_cosine"


def test_regression_pipeline_ends_with_a_regressor():
    mlp = make_tabular_mlp("regression").named_steps["mlp"]
    assert type(mlp) is MLPRegressor
    assert mlp.normalize_y is True
    # the regressor keeps its best epoch on a fifth of the rows, after all epochs
    assert mlp.early_stopping is True
    assert mlp.validation_fraction == 0.2
    assert mlp.n_iter_no_change == float("inf")
    assert "label_smoothing" not in mlp.get_params()
    assert mlp.activation == "selu"


def test_each_call_builds_its_own_optimizer():
    a, b = make_tabular_mlp(), make_tabular_mlp()
    assert a.named_steps["mlp"].optimizer is not b.named_steps["mlp"].optimizer


def test_overrides_reach_the_network_and_the_steps():
    model = make_tabular_mlp(
        random_state=0, dropout=0.3, hidden_layer_sizes=(64,), periodic__sigma=0.5,
        scale__clip=5.0, mlp__max_iter=7, optimizer__weight_decay=0.1)
    mlp = model.named_steps["mlp"]
    assert mlp.dropout == 0.3
    assert mlp.hidden_layer_sizes == (64,)
    assert mlp.max_iter == 7
    assert mlp.optimizer.weight_decay == 0.1
    assert model.named_steps["periodic"].sigma == 0.5
    assert model.named_steps["scale"].clip == 5.0
    # the rest stays the recipe's
    assert mlp.label_smoothing == 0.1
    assert model.named_steps["periodic"].n_frequencies == 8


def test_a_step_can_be_replaced():
    model = make_tabular_mlp(periodic="passthrough")
    assert model.named_steps["periodic"] == "passthrough"
    assert type(model.named_steps["scale"]) is SmoothClipScaler


def test_unknown_override_is_refused():
    with pytest.raises(ValueError, match="not_a_parameter"):
        make_tabular_mlp(not_a_parameter=1)


@pytest.mark.parametrize("task", ["classifier", "Regression", None, 1])
def test_bad_task_names_the_parameter(task):
    with pytest.raises(ValueError, match=r"task must be one of \('classification', 'regression'\)"):
        make_tabular_mlp(task)


def test_fits_a_small_classification_problem():
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    model = make_tabular_mlp(random_state=0, hidden_layer_sizes=(32, 32), max_iter=30)
    with warnings.catch_warnings():
        # the planned schedule ends at max_iter: no ConvergenceWarning
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X_train, y_train)
    # a logistic regression scores 0.83 on this split
    assert model.score(X_test, y_test) >= 0.85
    proba = model.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # same seed, same model
    again = clone(model).fit(X_train, y_train)
    np.testing.assert_array_equal(again.predict_proba(X_test), proba)


def test_fits_a_small_regression_problem():
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    model = make_tabular_mlp("regression", random_state=0, hidden_layer_sizes=(32, 32),
                             max_iter=40)
    model.fit(X_train, y_train)
    # the raw target (25 to 346) is learned: well above the mean's R^2 of 0
    # (0.24: the best of 40 epochs, judged on a fifth of the 331 training rows)
    assert model.score(X_test, y_test) > 0.2
    # trained on all the rows, the last epoch (0.32)
    all_rows = clone(model).set_params(mlp__early_stopping=False).fit(X_train, y_train)
    assert all_rows.score(X_test, y_test) > 0.3


def test_the_documented_pipeline_is_what_the_helper_builds():
    """The pipeline written out in docs/user_guide/recipe.rst."""
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "user_guide" / "recipe.rst").read_text()
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", page)
    code = next(b for b in blocks if "clf = Pipeline(" in b)
    namespace = {}
    exec("\n".join(line[3:] for line in code.splitlines()), namespace)
    documented = namespace["clf"]
    built = make_tabular_mlp(random_state=0)
    assert repr(documented.get_params(deep=True)) == repr(built.get_params(deep=True))
