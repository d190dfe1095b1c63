"""skreg: scikit-learn compatible neural networks with regularization done properly."""

from ._classifier import MLPClassifier
from ._cv import MLPClassifierCV, MLPRegressorCV
from ._regressor import MLPRegressor

__version__ = "0.1.0"

__all__ = ["MLPClassifier", "MLPClassifierCV", "MLPRegressor", "MLPRegressorCV", "__version__"]
