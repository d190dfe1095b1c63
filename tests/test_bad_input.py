"""Bad input gets a clear error or a warning, never a silent wrong answer.

Each test feeds one kind of bad input (a target of an unsupported kind, a
non-canonical sparse matrix, a parameter changed after fit, a training that
ends without learning, a junk-returning callable, an impossible network
size, an unloadable persisted callable) and checks the error, the warning
or the now-correct result.
"""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from skreg import MLPClassifier, MLPRegressor

X_CLF, Y_CLF = make_classification(
    n_samples=120, n_features=5, n_informative=3, n_classes=3, random_state=0
)
X_REG, Y_REG = make_regression(n_samples=120, n_features=5, noise=1.0, random_state=0)
Y_REG = Y_REG / Y_REG.std()

quiet = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# -- 1. multiclass-multioutput targets ----------------------------------------

MULTIOUTPUT_MESSAGE = "Multioutput target data is not supported with label binarization"


def _multiclass_multioutput_y():
    rng = np.random.default_rng(0)
    return rng.integers(0, 3, size=(len(X_CLF), 2))


@pytest.mark.parametrize("early_stopping", [False, True])
def test_multiclass_multioutput_y_is_refused_by_fit(early_stopping):
    Y = _multiclass_multioutput_y()
    clf = MLPClassifier((4,), max_iter=5, early_stopping=early_stopping, random_state=0)
    with pytest.raises(ValueError, match=MULTIOUTPUT_MESSAGE) as info:
        clf.fit(X_CLF, Y)
    assert "multiclass-multioutput" in str(info.value)


def test_multiclass_multioutput_y_is_refused_by_partial_fit():
    Y = _multiclass_multioutput_y()
    clf = MLPClassifier((4,), random_state=0)
    with pytest.raises(ValueError, match=MULTIOUTPUT_MESSAGE):
        clf.partial_fit(X_CLF, Y, classes=[0, 1, 2])
    # and after a first call with a valid y
    clf.partial_fit(X_CLF, Y[:, 0], classes=[0, 1, 2])
    with pytest.raises(ValueError, match=MULTIOUTPUT_MESSAGE):
        clf.partial_fit(X_CLF, Y)


@quiet
def test_multilabel_indicator_y_still_trains_per_label():
    rng = np.random.default_rng(1)
    Y = (X_CLF[:, :2] + 0.1 * rng.standard_normal((len(X_CLF), 2)) > 0).astype(int)
    clf = MLPClassifier((8,), max_iter=300, random_state=0).fit(X_CLF, Y)
    assert clf.predict(X_CLF).shape == Y.shape
    assert np.mean(clf.predict(X_CLF) == Y) > 0.85
