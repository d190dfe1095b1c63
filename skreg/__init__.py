"""skreg: scikit-learn compatible neural networks with regularization done properly."""

from ._classifier import MLPClassifier
from ._cv import MLPClassifierCV, MLPRegressorCV
from ._regressor import MLPRegressor
from .recipes import make_tabular_mlp

__version__ = "0.1.0"

__all__ = ["MLPClassifier", "MLPClassifierCV", "MLPRegressor", "MLPRegressorCV", "make_tabular_mlp",
           "__version__"]
