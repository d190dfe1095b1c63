"""
====================
Comparing optimizers
====================

The same network, data and seed, trained with each of skreg's eleven optimizers at
its recommended learning rate (``learning_rate_init="auto"``, see
:ref:`optimizers`). Each curve is the training objective after every epoch,
drawn with :class:`~skreg.plotting.LossCurveDisplay`.

For L-BFGS, a point is one quasi-Newton iteration over the full data set
rather than an epoch of mini-batches: cheaper than an epoch, but it sees the
data only once per iteration.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skreg import MLPClassifier
from skreg.plotting import LossCurveDisplay

warnings.filterwarnings("ignore", category=ConvergenceWarning)

GROUPS = {
    "SGD and momentum": ["sgd", "sgdw", "momentum", "nesterov"],
    "per-coordinate rates": ["adagrad", "adadelta", "rmsprop"],
    "Adam family and L-BFGS": ["adam", "nadam", "adamw", "lbfgs"],
}
STYLES = [dict(linestyle="-"), dict(linestyle="--", marker="o", markevery=8),
          dict(linestyle=":", marker="s", markevery=(4, 8)), dict(linestyle="-.")]

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=600, stratify=y, random_state=0
)

# %%
# Fits
# ----
# Forty epochs of mini-batches of 64 samples, the same initial weights for
# all (``random_state=0``), and the usual small L2 penalty.

models = {}
print(f"{'optimizer':>9}  {'final loss':>10}  {'test acc':>8}  {'time':>6}")
for name in [name for group in GROUPS.values() for name in group]:
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
    models[name] = model
    print(f"{name:>9}  {model.loss_:10.4f}  {model.score(X_test, y_test):8.3f}"
          f"  {seconds:5.2f}s")

# %%
# Four optimizers at a glance
# ---------------------------

fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
for name, style in zip(["sgd", "momentum", "adam", "lbfgs"], STYLES):
    LossCurveDisplay.from_estimator(models[name], ax=ax, line_kw={**style, "label": name})
ax.set_yscale("log")
ax.set_ylabel("training loss")
ax.set_title("Training loss on digits, each at its default rate")
_ = ax.legend(loc="lower left")

# %%
# All of them, in three families
# ------------------------------
# Curves that follow nearly the same path are drawn with different line styles
# and markers, so that each stays visible.

fig, axes = plt.subplots(1, 3, figsize=(12, 4), sharey=True, layout="constrained")
for ax, (title, names) in zip(axes, GROUPS.items()):
    for name, style in zip(names, STYLES):
        LossCurveDisplay.from_estimator(models[name], ax=ax, line_kw={**style, "label": name})
    ax.set_yscale("log")
    ax.set_title(title)
    ax.legend(loc="lower left")
for ax in axes[1:]:
    ax.set_ylabel("")
axes[0].set_ylabel("training loss")
_ = axes[0].set_ylim(top=3.0)

# %%
# What the curves show, computed from the fits: the optimizers ranked by final
# training loss, and how far apart the curves of close relatives are (the
# largest relative difference of their losses over the 40 epochs).

ranking = sorted(models, key=lambda name: models[name].loss_)
print("by final training loss, lowest first:")
print("  " + ", ".join(ranking[:6]))
print("  " + ", ".join(ranking[6:]))
for a, b in [("momentum", "nesterov"), ("sgd", "sgdw"), ("adam", "adamw"),
             ("adam", "nadam"), ("adam", "rmsprop")]:
    curve_a, curve_b = (np.asarray(models[n].loss_curve_) for n in (a, b))
    gap = np.max(np.abs(curve_a - curve_b) / curve_b)
    print(f"{a} vs {b}: curves differ by at most {gap:.1%}")

# %%
# At its default rate plain SGD (and SGDW, the same with a decoupled weight
# decay) ends far behind: 0.01 is a safe rate, not a fast one, and SGD needs
# tuning (or a schedule) more than any other optimizer. Momentum and Nesterov,
# whose effective steps are ten times larger, follow nearly the same path
# (their curves differ by a few percent at most), and so do Adam, Nadam and
# AdamW (AdamW differs from Adam only by its small decoupled weight decay).
# Adadelta, which has no learning rate to tune, reaches the lowest training
# loss of the stochastic optimizers here, and L-BFGS the lowest of all: on a
# small problem full-batch quasi-Newton steps are hard to beat, while on many
# samples each of its iterations is a full pass over the data. The lowest
# training loss is not the goal, though: compare the test accuracies printed
# above, and see :ref:`regularizers`.

plt.show()
