"""
=====================================
Early stopping and the restored epoch
=====================================

With ``early_stopping=True`` the estimator sets aside ``validation_fraction``
of the training data (stratified, identical rows kept together, see
:ref:`early_stopping`), scores it after every epoch, stops when the score has
not improved for ``n_iter_no_change`` epochs, and puts back the weights of the
best epoch. :class:`~skreg.plotting.LossCurveDisplay` shows the training
loss, the validation loss and the epoch whose weights were kept.

The data are 300 handwritten digits with a fifth of the labels randomized:
a network of 256 hidden units without a penalty learns the digits first and
the random labels later, and the validation loss shows the moment it starts
doing the latter.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skreg import MLPClassifier
from skreg.plotting import LossCurveDisplay

warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=300, test_size=600, stratify=y, random_state=0
)
rng = np.random.default_rng(0)
noisy = rng.random(len(y_train)) < 0.2
y_train = y_train.copy()
y_train[noisy] = rng.integers(0, 10, noisy.sum())

# %%
# Fit with early stopping
# -----------------------

params = dict(hidden_layer_sizes=(256,), alpha=0.0, learning_rate_init=3e-3,
              batch_size=50, random_state=0)
clf = MLPClassifier(
    early_stopping=True, validation_fraction=0.2, n_iter_no_change=15, max_iter=300,
    **params,
).fit(X_train, y_train)

display = LossCurveDisplay.from_estimator(clf)
display.ax_.set_title("Early stopping on noisy digits")
print(f"stopped after {clf.n_iter_} epochs; kept epoch {display.best_epoch} "
      f"(validation loss {-clf.best_validation_score_:.3f})")

# %%
# The training loss keeps falling; the validation loss reaches its minimum
# after a few epochs and climbs while the network memorizes the random
# labels. Training went on for ``n_iter_no_change`` epochs past the best one
# to make sure it was not a temporary bump, then the best epoch's weights
# were restored.
#
# What did it buy? Train the same network on all 300 samples for as many
# epochs as early stopping ran, and compare on the 600 test digits.

full = MLPClassifier(max_iter=clf.n_iter_, tol=0.0, n_iter_no_change=clf.n_iter_,
                     **params).fit(X_train, y_train)
print(f"test accuracy, best epoch restored:     {clf.score(X_test, y_test):.3f}")
print(f"test accuracy, {clf.n_iter_} epochs without stopping: {full.score(X_test, y_test):.3f}")

plt.show()
