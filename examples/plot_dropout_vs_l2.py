"""
=====================================
Dropout, L2, or both, on noisy digits
=====================================

A network with 256 hidden units trained on 300 handwritten digits, a fifth of
whose labels were replaced by random ones, can memorize the training set,
wrong labels included. We train it without regularization, with an L2
penalty (``alpha``), with dropout on the hidden layer, and with both, and
follow the training and validation losses epoch by epoch.

Regularizers pay off when there are few samples per parameter or noisy
labels, as here; on clean, plentiful data their effect is often within the
seed-to-seed spread (see :ref:`regularizers`). The comparison uses paired
seeds: each configuration starts from the same initial weights.
"""

# %%
# Data: a small digits subset with label noise
# --------------------------------------------

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skreg import MLPClassifier

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixel intensities in [0, 1]
X_train, X_val, y_train, y_val = train_test_split(
    X, y, train_size=300, test_size=600, stratify=y, random_state=0
)
rng = np.random.default_rng(0)
noisy = rng.random(len(y_train)) < 0.2
y_train = y_train.copy()
y_train[noisy] = rng.integers(0, 10, noisy.sum())
print(f"{noisy.sum()} of {len(y_train)} training labels randomized")

# %%
# Training with a curve per epoch
# -------------------------------
# ``partial_fit`` runs one epoch per call, so we can score both sets after
# each epoch. (With ``early_stopping=True`` the estimator would track a
# validation score by itself, see :ref:`early_stopping`.)

CONFIGS = {
    "no regularization": {},
    "L2 (alpha=0.01)": {"alpha": 1e-2},
    "dropout 0.5": {"dropout": 0.5},
    "L2 + dropout": {"alpha": 1e-2, "dropout": 0.5},
}
N_EPOCHS = 100
classes = np.arange(10)


def log_loss(model, X, y):
    proba = model.predict_proba(X)
    return -np.mean(np.log(proba[np.arange(len(y)), y]))


def train(params, seed, curves=False):
    model = MLPClassifier(
        hidden_layer_sizes=(256,),
        learning_rate_init=1e-2,
        batch_size=50,
        random_state=seed,
        **params,
    )
    train_loss, val_loss = [], []
    for _ in range(N_EPOCHS):
        model.partial_fit(X_train, y_train, classes=classes)
        if curves:
            train_loss.append(log_loss(model, X_train, y_train))
            val_loss.append(log_loss(model, X_val, y_val))
    return model, train_loss, val_loss


# curves for seed 0; seeds 1 and 2 only for the final accuracy
results = {
    name: [train(params, seed, curves=seed == 0) for seed in range(3)]
    for name, params in CONFIGS.items()
}

# %%
# Curves (seed 0)
# ---------------
# Without regularization the training loss falls to zero while the
# validation loss turns up after about ten epochs: the network is fitting
# the random labels. With the L2 penalty the training loss stays high, at
# about what the wrong labels cost: they are not memorized. Dropout slows
# the memorization down (the training loss still falls close to zero, later) and
# keeps the validation loss low throughout.

fig, axes = plt.subplots(2, 2, figsize=(8, 5.6), sharex=True, sharey=True)
epochs = np.arange(1, N_EPOCHS + 1)
for ax, (name, runs) in zip(axes.flat, results.items()):
    _, train_loss, val_loss = runs[0]
    ax.plot(epochs, train_loss, label="training")
    ax.plot(epochs, val_loss, label="validation")
    ax.set_title(name)
for ax in axes[1]:
    ax.set_xlabel("epoch")
for ax in axes[:, 0]:
    ax.set_ylabel("log loss")
axes[0, 0].legend()
fig.tight_layout()

print(f"{'seed 0':20}  {'last train loss':>15}  {'last val loss':>13}  {'lowest val loss at':>18}")
for name, runs in results.items():
    _, train_loss, val_loss = runs[0]
    print(f"{name:20}  {train_loss[-1]:15.3f}  {val_loss[-1]:13.3f}"
          f"  {'epoch ' + str(int(np.argmin(val_loss)) + 1):>18}")

# %%
# Validation accuracy over three paired seeds
# -------------------------------------------

print(f"{'':20}  {'seed 0':>7} {'seed 1':>7} {'seed 2':>7}  {'mean':>6}")
for name, runs in results.items():
    accuracies = [model.score(X_val, y_val) for model, _, _ in runs]
    print(f"{name:20}  " + " ".join(f"{a:7.3f}" for a in accuracies)
          + f"  {np.mean(accuracies):6.3f}")

# %%
# The penalty, alone or with dropout, gives the best accuracy on every seed;
# adding dropout to it changes little. Dropout alone has the lowest validation
# *loss* but not the best accuracy: the two measures need not agree, so decide
# which one matters before tuning (``scoring`` for early stopping, see
# :ref:`early_stopping`).

plt.show()
