"""scikit-learn's estimator checks, with no expected failures, on the default
configuration and on configurations that switch each feature on."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skreg import MLPClassifier, MLPRegressor

CONFIGURATIONS = [
    {},
    {"early_stopping": True},
    {"optimizer": "sgd"},
    {"hidden_layer_sizes": ()},
    {"alpha": 0.0},
]

ESTIMATORS = [
    Estimator(**params) for params in CONFIGURATIONS for Estimator in (MLPClassifier, MLPRegressor)
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
