"""
====================
Comparing optimizers
====================

The same network, data and seed, trained with each of skreg's optimizers at
its recommended learning rate (``learning_rate_init="auto"``, see
:ref:`optimizers`). Each curve is the training objective after every epoch,
drawn with :class:`~skreg.plotting.LossCurveDisplay` on one shared axes.

For L-BFGS, a point is one quasi-Newton iteration over the full data set
rather than an epoch of mini-batches: cheaper than an epoch, but it sees the
data only once per iteration.
"""

import time
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skreg import MLPClassifier
from skreg.plotting import LossCurveDisplay

warnings.filterwarnings("ignore", category=ConvergenceWarning)

OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "adadelta",
              "rmsprop", "adam", "nadam", "adamw", "lbfgs"]

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=600, stratify=y, random_state=0
)

# %%
# Loss curves
# -----------
# Forty epochs of mini-batches of 64 samples, the same initial weights for
# all (``random_state=0``), and the usual small L2 penalty.

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
print(f"{'optimizer':>9}  {'final loss':>10}  {'test acc':>8}  {'time':>6}")
for i, name in enumerate(OPTIMIZERS):
    model = MLPClassifier(
        hidden_layer_sizes=(64,),
        optimizer=name,
        batch_size=64,
        max_iter=40,
        tol=0.0,
        n_iter_no_change=40,
        random_state=0,
    )
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    ax = axes[0] if i < 5 else axes[1]
    LossCurveDisplay.from_estimator(model, ax=ax, name=name)
    print(f"{name:>9}  {model.loss_:10.4f}  {model.score(X_test, y_test):8.3f}"
          f"  {seconds:5.2f}s")
for ax in axes:
    ax.set_yscale("log")
    ax.set_ylim(top=3.0)
fig.tight_layout()

# %%
# At these rates plain SGD is far behind: 0.01 is a safe rate, not a fast
# one, and SGD needs tuning (or a schedule) more than any other optimizer.
# Momentum and Nesterov take effective steps about ten times larger and
# overtake Adagrad, whose steps shrink as its sum of squared gradients grows.
# Adadelta, which has no learning rate to tune, is quick here. RMSprop, Adam,
# Nadam and AdamW at 0.001 follow nearly the same path (AdamW differs from
# Adam only by its small decoupled weight decay). L-BFGS reaches the lowest
# training loss: on a small problem full-batch quasi-Newton steps are hard to
# beat, while on many samples each of its iterations is a full pass over the
# data. Lowest training loss is not the goal, though: compare the test
# accuracies, and see :ref:`regularizers`.

plt.show()
