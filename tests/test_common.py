"""scikit-learn's estimator checks on the default configuration and on
configurations that switch each feature on, with one kind of expected failure:
under mixup a sample weight of k is not k copies of the row (the copies are
paired with k partners, the weighted row with one), so the checks of that
equivalence cannot hold."""

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
    # schedules within a fit: learning rate with a warm-up, dropout rate
    {"learning_rate": "cosine", "warmup": 0.1, "dropout": 0.1, "dropout_schedule": "flat_cosine"},
    # weight averaging, scored by early stopping
    {"average": True, "early_stopping": True, "validation_fraction": 0.3, "max_iter": 50},
    # targets: label smoothing (classifier only) and mixup
    {"label_smoothing": 0.1, "mixup_alpha": 0.2, "max_iter": 50},
    # data-dependent initialization with SELU
    {"init": "data", "activation": "selu", "max_iter": 50},
]

SCORING = {MLPClassifier: "accuracy", MLPRegressor: "neg_mean_squared_error"}


#: parameters of one estimator only, left out of the other's configuration
ONLY = {"label_smoothing": MLPClassifier}


def _make(Estimator, params):
    if params.get("scoring") == "r2_or_accuracy":
        params = {**params, "scoring": SCORING[Estimator]}
    params = {k: v for k, v in params.items() if ONLY.get(k, Estimator) is Estimator}
    return Estimator(**params)


ESTIMATORS = [
    _make(Estimator, params)
    for params in CONFIGURATIONS
    for Estimator in (MLPClassifier, MLPRegressor)
]

# the CV estimators: a small grid keeps the checks quick (the defaults are
# 10 alphas x 5 folds): both with a path over two l1_ratios, and the
# regressor also with dropout, the one-standard-error choice and a refit along the path
# (the two share all their code but the targets)
CV_CONFIGURATIONS = [
    {"alphas": [1e-4, 1e-2], "l1_ratios": [0.0, 0.5], "cv": 2},
    {"alphas": [1e-4, 1e-3], "cv": 2, "dropout": 0.1, "selection": "1se", "refit": "path"},
]
ESTIMATORS += [
    MLPClassifierCV(**CV_CONFIGURATIONS[0]),
    MLPRegressorCV(**CV_CONFIGURATIONS[0]),
    MLPRegressorCV(**CV_CONFIGURATIONS[1]),
]


MIXUP_REASON = "under mixup a weight of k pairs one row with one partner, k copies with k"


DATA_INIT_REASON = ("init='data' draws its rows among the distinct rows, so k copies of a "
                    "row are k times as likely to be drawn as the row with weight k")


def _expected_failures(estimator):
    reason = None
    if getattr(estimator, "mixup_alpha", 0):
        reason = MIXUP_REASON
    elif getattr(estimator, "init", None) == "data":
        reason = DATA_INIT_REASON
    if reason is None:
        return {}
    return {
        "check_sample_weight_equivalence_on_dense_data": reason,
        "check_sample_weight_equivalence_on_sparse_data": reason,
    }


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)
