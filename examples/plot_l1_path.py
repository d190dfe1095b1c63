"""
============================================
L1 regularization path: which inputs survive
============================================

With ``l1_ratio=1`` the penalty is pure L1, applied by a proximal
soft-threshold after every optimizer step (see :ref:`regularizers`). Weights
become exactly zero, and when a whole row of the first weight matrix is zero
the network no longer uses that input feature.

The Friedman #1 problem has 20 features of which only the first 5 enter the
target, :math:`10 \\sin(\\pi x_0 x_1) + 20 (x_2 - 0.5)^2 + 10 x_3 + 5 x_4`
plus noise. We trace, along ``alpha``, the weight norm, the share of zero
weights and of used features, and the validation :math:`R^2`, with
:class:`~skreg.plotting.RegularizationPathDisplay`.
"""

# %%
# The path
# --------

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skreg import MLPRegressor
from skreg.plotting import RegularizationPathDisplay

warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = make_friedman1(n_samples=400, n_features=20, noise=0.5, random_state=0)
X = StandardScaler().fit_transform(X)
y = (y - y.mean()) / y.std()

alphas = np.logspace(-4, -0.5, 8)
display = RegularizationPathDisplay.from_estimator(
    MLPRegressor(
        hidden_layer_sizes=(32,),
        l1_ratio=1.0,
        learning_rate_init=1e-2,
        max_iter=200,
        random_state=0,
    ),
    X,
    y,
    alphas=alphas,
    validation_fraction=0.25,
    random_state=0,
)
best = int(np.argmax(display.validation_scores))
for ax in display.axes_:
    ax.axvline(alphas[best], color="grey", linestyle=":")
display.axes_[0].set_title("L1 path of a (32,)-unit network on Friedman #1")

# %%
# The validation score is best at a moderate ``alpha``: the penalty removes
# the noise features' influence first, then, as it grows, starts to cut into
# the informative ones and the score falls. The weight norm only falls
# slowly at first, because the weights that matter stay large while the
# small ones vanish.

# %%
# Surviving features
# ------------------
# The fitted models are kept in ``display.estimators_``. The size of each
# input's outgoing weights (the norm of its row of the first weight matrix)
# shows the order in which inputs are dropped: the five informative ones
# survive longest.

row_norms = np.array([np.linalg.norm(est.coefs_[0], axis=1) for est in display.estimators_])
fig, ax = plt.subplots(figsize=(7, 3.2))
image = ax.imshow(
    np.where(row_norms > 0, np.log10(np.maximum(row_norms, 1e-12)), np.nan).T,
    aspect="auto", cmap="viridis", origin="lower",
)
ax.set_xticks(range(len(alphas)), [f"{a:.0e}" for a in alphas], rotation=45)
ax.set_yticks(range(X.shape[1]))
ax.tick_params(axis="y", labelsize=7)
ax.set_xlabel("alpha")
ax.set_ylabel("input feature")
ax.set_title("log10 norm of each input's weights (blank: exactly zero)")
fig.colorbar(image, ax=ax)
fig.tight_layout()

for alpha, est in zip(alphas, display.estimators_):
    used = np.flatnonzero(est.used_features_)
    print(f"alpha={alpha:8.2g}  first-layer sparsity={est.sparsity_[0]:.2f}  "
          f"features used: {used.tolist()}")

plt.show()
