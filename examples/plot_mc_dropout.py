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

fig, ax = plt.subplots(figsize=(8, 4.6), layout="constrained")
ax.axvspan(-7, -4, color="0.93", zorder=0)
ax.axvspan(4, 7, color="0.93", zorder=0)
ax.axvspan(-1, 1, color="0.96", zorder=0)
ax.fill_between(grid, mean - 2 * std, mean + 2 * std, alpha=0.3,
                label="MC mean $\\pm$ 2 std")
ax.plot(grid, mean, label="MC mean")
ax.plot(grid, plain, "--", linewidth=1, label="plain prediction")
ax.plot(grid, truth(grid), "k:", linewidth=1, label="true function")
ax.scatter(x, y, s=8, color="k", alpha=0.6, label="training data")
ax.set_xlim(-7, 7)
ax.set_xlabel("x (shaded: no training data)")
ax.set_ylabel("y")
fig.legend(loc="outside lower center", ncols=5, fontsize="small")
_ = ax.set_title("MC dropout: spread of 100 stochastic passes")

# %%
# How the spread changes where the network has no data, and whether the band
# covers the true function there:

regions = {
    "data, 1 <= |x| <= 4": (np.abs(grid) >= 1) & (np.abs(grid) <= 4),
    "gap, |x| < 1": np.abs(grid) < 1,
    "beyond, 4 < |x| <= 5.5": (np.abs(grid) > 4) & (np.abs(grid) <= 5.5),
    "far, |x| > 5.5": np.abs(grid) > 5.5,
}
error = np.abs(truth(grid) - mean)
covered = error <= 2 * std
for name, where in regions.items():
    print(f"{name:23s} std {std[where].mean():.3f}  |error| {error[where].mean():.3f}"
          f"  truth within 2 std {covered[where].mean():4.0%}")
far, data = regions["far, |x| > 5.5"], regions["data, 1 <= |x| <= 4"]
print(f"far from the data: std x{std[far].mean() / std[data].mean():.1f},"
      f" |error| x{error[far].mean() / error[data].mean():.0f}")
print(f"largest |plain - MC mean|: {np.abs(plain - mean).max():.3f}")

# %%
# The spread is smallest where the training data are and grows in the gap and
# far beyond the data, but far less than the error of the prediction does (the
# ratios above): MC dropout flags extrapolation, it does not bound its error,
# and far from the data the band misses the true function. The plain
# prediction (all units on, no masks) stays close to the MC mean: inverted
# dropout keeps the expected activation unchanged.

# %%
# The spread reflects the model's uncertainty only: it does not include the
# noise in the targets (here 0.1), and its scale depends on the dropout rate.
# Calibrate it on held-out data before reading it as a confidence interval.

plt.show()
