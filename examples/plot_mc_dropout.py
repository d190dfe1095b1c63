"""
=====================================
MC-dropout uncertainty on a 1-D curve
=====================================

A network trained with dropout can say where it is unsure (Gal & Ghahramani
2016): ``predict(X, return_std=True)`` keeps the dropout masks on, runs
``mc_samples`` stochastic passes and returns their mean and standard
deviation (see :ref:`mc_dropout`).

The training data are noisy samples of :math:`\\sin x + 0.1 x` on two
intervals, with a gap between them and nothing beyond :math:`|x| > 4`.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skreg import MLPRegressor

warnings.filterwarnings("ignore", category=ConvergenceWarning)


def truth(x):
    return np.sin(x) + 0.1 * x


rng = np.random.default_rng(0)
x = np.concatenate([rng.uniform(-4, -1, 60), rng.uniform(1, 4, 60)])
y = truth(x) + rng.normal(scale=0.1, size=x.size)

# %%
# Fit with dropout, predict with the masks on
# -------------------------------------------
# Dropout 0.2 on both hidden layers; 100 passes for the MC estimate.

reg = MLPRegressor(
    hidden_layer_sizes=(128, 128),
    dropout=0.2,
    learning_rate_init=3e-3,
    batch_size=32,
    max_iter=300,
    tol=0.0,
    n_iter_no_change=300,
    mc_samples=100,
    random_state=0,
).fit(x[:, None], y)

grid = np.linspace(-7, 7, 400)
mean, std = reg.predict(grid[:, None], return_std=True)
plain = reg.predict(grid[:, None])

fig, ax = plt.subplots(figsize=(8, 4))
ax.fill_between(grid, mean - 2 * std, mean + 2 * std, alpha=0.25,
                label="MC mean $\\pm$ 2 std")
ax.plot(grid, mean, label="MC mean")
ax.plot(grid, plain, "--", linewidth=1, label="plain prediction")
ax.plot(grid, truth(grid), "k:", linewidth=1, label="true function")
ax.scatter(x, y, s=8, color="k", alpha=0.6, label="training data")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend(loc="upper left", fontsize="small")
ax.set_title("MC dropout: the band widens beyond the data")

# %%
# Where the data are dense the band is narrowest; beyond the data, where the
# network extrapolates, it widens steadily. It does not widen nearly enough
# to cover the true function out there: MC dropout flags extrapolation, it
# does not bound its error. The plain prediction (all units on, no masks)
# and the MC mean nearly coincide: inverted dropout keeps the expected
# activation unchanged.

inside = np.abs(grid) <= 4
print(f"mean std inside [-4, 4]: {std[inside].mean():.3f}; "
      f"beyond: {std[~inside].mean():.3f}")

# %%
# The spread reflects the model's uncertainty only: it does not include the
# noise in the targets (here 0.1), and its scale depends on the dropout rate.
# Calibrate it on held-out data before reading it as a confidence interval.

plt.show()
