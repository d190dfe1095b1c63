"""scikit-learn's estimator checks on the default configuration and on
configurations that switch each feature on. The only expected failures come
with ``early_stopping=True``: the checks that call ``partial_fit``, which
refuses it with scikit-learn's ValueError as scikit-learn's MLP does, and, for
the CV estimators, the checks whose folds hold too few distinct rows for a
validation set."""

from sklearn.base import is_classifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from skreg import MLPClassifier, MLPClassifierCV, MLPRegressor, MLPRegressorCV

from skreg.optimizers import OPTIMIZERS

CONFIGURATIONS = [
    # the foundation
    {},
    # scikit-learn's checks fit data sets of 10 rows: a validation_fraction
    # of 0.3 keeps two of them for validation (0.1 would be refused as too small)
    {"early_stopping": True, "validation_fraction": 0.3},
    {"optimizer": "sgd"},
    {"hidden_layer_sizes": ()},
    {"alpha": 0.0},
    # regularizers switched on
    {"dropout": 0.3, "alpha": 1e-2, "l1_ratio": 0.5},
    {"dropconnect": 0.2, "noise_std": 0.05},
    {"max_norm": 3.0, "input_dropout": 0.2},
    {"early_stopping": True, "validation_fraction": 0.3, "scoring": "r2_or_accuracy"},
    # one configuration per optimizer (sgd and adam are covered above)
    *({"optimizer": name} for name in sorted(OPTIMIZERS) if name not in ("sgd", "adam")),
]

SCORING = {MLPClassifier: "accuracy", MLPRegressor: "neg_mean_squared_error"}


def _make(Estimator, params):
    if params.get("scoring") == "r2_or_accuracy":
        params = {**params, "scoring": SCORING[Estimator]}
    return Estimator(**params)


ESTIMATORS = [
    _make(Estimator, params)
    for params in CONFIGURATIONS
    for Estimator in (MLPClassifier, MLPRegressor)
]

# the CV estimators: a small grid keeps the checks quick (the defaults are
# 10 alphas x 5 folds); one dense path and one sparse path with early stopping
CV_CONFIGURATIONS = [
    {"alphas": [1e-4, 1e-2], "l1_ratios": [0.0, 0.5], "cv": 2},
    # 2 folds of the checks' 10 rows train on 5: validation_fraction=0.5
    # keeps 2 or more of them for validation
    {"alphas": [1e-4, 1e-3], "cv": 2, "early_stopping": True, "validation_fraction": 0.5,
     "selection": "1se", "refit": "cold"},
]
ESTIMATORS += [
    Estimator(**params)
    for params in CV_CONFIGURATIONS
    for Estimator in (MLPClassifierCV, MLPRegressorCV)
]


CALL_PARTIAL_FIT = (
    "check_estimators_partial_fit_n_features",
    "check_fit_score_takes_y",
    "check_n_features_in_after_fitting",
)


# data sets whose 2-fold training halves hold 2 distinct rows (of positive
# weight): too few to set a validation set of 2 distinct rows aside
TOO_FEW_DISTINCT_ROWS_PER_FOLD = (
    "check_sample_weights_shape",
    "check_sample_weights_not_overwritten",
    "check_classifiers_one_label_sample_weights",
)


def _expected_failures(estimator):
    if not estimator.early_stopping:
        return {}
    if not hasattr(estimator, "partial_fit"):  # the CV estimators
        reason = ("a fold of this check's data has 2 distinct rows: too few for "
                  "early stopping's validation set (as scikit-learn's MLP refuses)")
        names = TOO_FEW_DISTINCT_ROWS_PER_FOLD
        if not is_classifier(estimator):
            names = names[:2]
        return dict.fromkeys(names, reason)
    reason = "partial_fit does not support early_stopping=True (as in scikit-learn's MLP)"
    return dict.fromkeys(CALL_PARTIAL_FIT, reason)


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures,
                         xfail_strict=True)
def test_sklearn_compatible(estimator, check):
    check(estimator)
