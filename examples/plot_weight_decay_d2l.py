"""
=====================================================
Weight decay: reproducing d2l's high-dimensional demo
=====================================================

*Dive into Deep Learning* (section "Weight Decay") shows overfitting with a
linear regression that has far more features than samples: 20 training
samples, 200 features, targets

.. math::

   y = 0.05 + \\sum_{i=1}^{200} 0.01\\, x_i + \\varepsilon,
   \\qquad \\varepsilon \\sim \\mathcal{N}(0, 0.01^2),

weights initialized from :math:`\\mathcal{N}(0, 1)`, plain SGD with learning
rate 0.003, batches of 5 and 100 epochs. Its penalty is
:math:`\\frac{\\lambda}{2}\\lVert w \\rVert^2` added to the mean loss, which
is exactly skreg's ``alpha`` (see :ref:`objective`), so d2l's
:math:`\\lambda = 3` is ``alpha=3``.

d2l reports :math:`\\lVert w \\rVert` of about 13 to 14 without the penalty,
with the test loss far above the training loss, and about 0.36 to 0.46 with
:math:`\\lambda = 3`, with the test loss falling along with the training
loss.
"""

# %%
# The data and the model
# ----------------------
# ``hidden_layer_sizes=()`` makes :class:`~skreg.MLPRegressor` a linear
# model; its loss is half the squared error, as in d2l. ``init`` takes a
# callable ``init(fan_in, fan_out, rng)``: here the standard normal draws of
# d2l (biases start at zero in both). ``tol=0`` and a patience of 100 epochs
# make every fit run its 100 epochs, as d2l's loop does (and a fit that
# runs out of epochs warns that it may not have converged; we know).

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skreg import MLPRegressor

warnings.filterwarnings("ignore", category=ConvergenceWarning)

rng = np.random.default_rng(0)
n_train, n_test, n_features = 20, 100, 200
X = rng.normal(size=(n_train + n_test, n_features))
y = 0.05 + X @ np.full(n_features, 0.01) + rng.normal(scale=0.01, size=n_train + n_test)
X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def standard_normal(fan_in, fan_out, rng):
    return rng.normal(size=(fan_in, fan_out))


def make_model(alpha, seed):
    return MLPRegressor(
        hidden_layer_sizes=(),
        optimizer="sgd",
        learning_rate_init=0.003,
        batch_size=5,
        max_iter=100,
        tol=0.0,
        n_iter_no_change=100,
        init=standard_normal,
        alpha=alpha,
        random_state=seed,
    )


def half_mse(model, X, y):
    return 0.5 * np.mean((model.predict(X) - y) ** 2)


# %%
# The table
# ---------
# Five seeds per penalty; d2l's numbers are for single runs.

print(f"{'alpha':>5}  {'seed':>4}  {'||w||':>7}  {'train loss':>10}  {'test loss':>9}")
norms = {}
for alpha in (0.0, 3.0):
    norms[alpha] = []
    for seed in range(5):
        model = make_model(alpha, seed).fit(X_train, y_train)
        norm = np.linalg.norm(model.coefs_[0])
        norms[alpha].append(norm)
        print(
            f"{alpha:>5g}  {seed:>4}  {norm:>7.3f}  {half_mse(model, X_train, y_train):>10.2e}"
            f"  {half_mse(model, X_test, y_test):>9.3g}"
        )

# %%
# Without the penalty the weights stay as large as they were initialized
# (a 200-dimensional standard normal vector has norm about
# :math:`\sqrt{200} \approx 14`): 20 samples cannot pin down 200 weights, the
# training loss goes to zero and the test loss stays huge. With ``alpha=3``
# every step shrinks the weights, their norm ends near d2l's 0.36-0.46, and
# the test loss is three orders of magnitude lower.

# %%
# The curves
# ----------
# ``partial_fit`` runs one epoch per call with the same settings, which lets
# us record the test loss after every epoch, as in d2l's figure.

fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
for ax, alpha in zip(axes, (0.0, 3.0)):
    model = make_model(alpha, seed=0)
    train, test = [], []
    for epoch in range(100):
        model.partial_fit(X_train, y_train)
        train.append(half_mse(model, X_train, y_train))
        test.append(half_mse(model, X_test, y_test))
    ax.semilogy(np.arange(1, 101), train, label="train")
    ax.semilogy(np.arange(1, 101), test, label="test")
    ax.set_title(f"alpha = {alpha:g}, ||w|| = {np.linalg.norm(model.coefs_[0]):.2f}")
    ax.set_xlabel("epoch")
axes[0].set_ylabel("half mean squared error")
axes[0].legend()
fig.tight_layout()
plt.show()
