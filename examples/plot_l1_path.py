"""
=====================================================
Selecting input features: L1 against the group lasso
=====================================================

Two penalties of skreg give exact zeros. The L1 part of the elastic net
(``l1_ratio=1``) zeroes single weights; the group lasso (``group_alpha``)
zeroes whole rows of the first weight matrix, one row per input feature, so
the network stops using that feature. Both are applied by proximal steps after
every optimizer step (see :ref:`regularizers`).

The Friedman #1 problem has 20 features of which only the first 5 enter the
target, :math:`10 \\sin(\\pi x_0 x_1) + 20 (x_2 - 0.5)^2 + 10 x_3 + 5 x_4`
plus noise. Along each penalty's strength we fit one model per strength and
draw, with :class:`~skreg.plotting.RegularizationPathDisplay`, the
:math:`R^2` on held-out data, with the share of zero weights and of used
features on a second axis.
"""

# sphinx_gallery_thumbnail_number = 2

# %%
# Two paths on the same split
# ---------------------------

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skreg import MLPRegressor
from skreg.plotting import RegularizationPathDisplay

warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = make_friedman1(n_samples=400, n_features=20, noise=0.5, random_state=0)
X = StandardScaler().fit_transform(X)
y = (y - y.mean()) / y.std()
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, random_state=0)
informative = set(range(5))

l1 = MLPRegressor(
    hidden_layer_sizes=(32,), l1_ratio=1.0, learning_rate_init=1e-2, max_iter=300,
    random_state=0,
)
group = clone(l1).set_params(l1_ratio=0.0, alpha=1e-4)
strengths = np.logspace(-3, -0.5, 7)

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
paths = {}
for column, (name, estimator, parameter) in enumerate(
    [("L1", l1, "alpha"), ("group lasso", group, "group_alpha")]
):
    # one fit per strength, each from scratch, scored on the held-out rows
    fitted = [
        clone(estimator).set_params(**{parameter: s}).fit(X_train, y_train) for s in strengths
    ]
    scores = [est.score(X_val, y_val) for est in fitted]
    display = RegularizationPathDisplay(
        alphas=strengths, scores=scores,
        sparsity=[np.mean(np.concatenate([W.ravel() for W in est.coefs_]) == 0)
                  for est in fitted],
        used_features=[est.used_features_.mean() for est in fitted],
        score_name="$R^2$", param_name=parameter,
    ).plot(ax=axes[column])
    display.estimators_, display.validation_scores = fitted, scores
    _ = axes[column].set_title(f"{name}: {parameter}")
    paths[name] = display

# %%
# What each path keeps
# --------------------
# For every strength: the held-out :math:`R^2`, how many features the model
# still uses, and whether those include all five informative ones.

for name, display in paths.items():
    print(name)
    for strength, est, score in zip(
        display.alphas, display.estimators_, display.validation_scores
    ):
        used = set(np.flatnonzero(est.used_features_).tolist())
        print(
            f"  {display.param_name}={strength:<7.2g} R2={score:6.3f}"
            f"  informative used {len(used & informative)}/5"
            f"  noise used {len(used - informative):2d}/15"
        )

# %%
# The same results in one panel: held-out :math:`R^2` against the number of
# input features each model uses.

fig, ax = plt.subplots(figsize=(6, 3.6), layout="constrained")
for (name, display), marker in zip(paths.items(), ["o", "s"]):
    n_used = [int(est.used_features_.sum()) for est in display.estimators_]
    ax.plot(n_used, display.validation_scores, marker=marker, label=name)
ax.set_xlabel("input features used (of 20; 5 informative)")
ax.set_ylabel("held-out $R^2$")
ax.set_title("Friedman #1: accuracy against features kept")
_ = ax.legend(loc="lower right")

# %%
# Conclusions drawn from the numbers above
# ----------------------------------------
# The lines below are computed from the two paths: for each penalty, the
# strength with the best held-out :math:`R^2`, the features its model keeps,
# and the sparsest model whose :math:`R^2` is within 0.02 of that best.

for name, display in paths.items():
    scores = np.asarray(display.validation_scores)
    best = int(np.argmax(scores))
    n_used = np.array([est.used_features_.sum() for est in display.estimators_])
    close = np.flatnonzero(scores >= scores[best] - 0.02)
    sparsest = close[np.argmin(n_used[close])]
    used_sets = [set(np.flatnonzero(est.used_features_).tolist()) for est in display.estimators_]
    first_loss = next(i for i, used in enumerate(used_sets) if not informative <= used)
    exact = any(used == informative for used in used_sets)
    p = display.param_name
    print(f"{name}:")
    print(f"  best R2 {scores[best]:.3f} at {p}={display.alphas[best]:.2g}, {n_used[best]} features")
    print(
        f"  sparsest within 0.02: {p}={display.alphas[sparsest]:.2g}, R2 {scores[sparsest]:.3f},"
        f" {len(used_sets[sparsest] & informative)}/5 informative,"
        f" {len(used_sets[sparsest] - informative)}/15 noise"
    )
    print(
        f"  first informative to leave: {sorted(informative - used_sets[first_loss])}"
        f" at {p}={display.alphas[first_loss]:.2g},"
        f" ({len(used_sets[first_loss] - informative)} noise features still used)"
    )
    print(f"  a model with exactly the 5 informative features: {'yes' if exact else 'no'}")

# %%
# On this data the group lasso's best model is more accurate than L1's, and
# close to its best it drops a share of the noise features while keeping all
# five informative ones. L1's zeros are scattered over single weights: at its
# best strength every feature is still used. Neither penalty isolates exactly
# the five informative features: with the group lasso the quadratic feature
# :math:`x_2` leaves while noise features are still used, and L1 drops its last
# noise features only at the strength where it also loses :math:`x_2` and much
# of its :math:`R^2`. Choose the strength by held-out score, and read the kept
# features as a ranking, not as a proof of irrelevance.

plt.show()
