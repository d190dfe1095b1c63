"""
==========================================================
Choosing alpha along a warm-started regularization path
==========================================================

:class:`~skreg.MLPRegressorCV` chooses the penalty strength ``alpha`` by
5-fold cross-validation: on each fold it fits one *path*, one fit per
``alpha``, each starting from the weights of the previous one, and scores each
fit on the fold's held-out rows. The fitted estimator is the model refitted on
all the training data at the chosen ``alpha``.

The data are scikit-learn's diabetes set (442 patients, 10 features, a
disease-progression score one year later). We also run a path over
``group_alpha``, the group lasso on the input features, to see in which order
the features leave the model.
"""

# %%
# Cross-validated alpha
# ---------------------
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skreg import MLPRegressor, MLPRegressorCV
from skreg.path import regularization_path
from skreg.plotting import RegularizationPathDisplay

data = load_diabetes()
X_train, X_test, y_train, y_test = train_test_split(
    data.data, data.target, test_size=0.25, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
# the penalty is not scaled by the target: put the target on a unit scale
y_mean, y_std = y_train.mean(), y_train.std()
y_train, y_test = (y_train - y_mean) / y_std, (y_test - y_mean) / y_std

start = time.perf_counter()
cv = MLPRegressorCV(
    hidden_layer_sizes=(32,), alphas=10, cv=5, learning_rate_init=0.01, random_state=0
).fit(X_train, y_train)
print(f"5 folds x 10 alphas in {time.perf_counter() - start:.1f} s")
print(f"alphas tried: {np.array2string(cv.alphas_, precision=2)}")
print(f"chosen alpha {cv.alpha_:.3g}, one-standard-error alpha {cv.alpha_1se_:.3g}")
print(f"test R^2 of the refitted model: {cv.score(X_test, y_test):.3f}")

# %%
# The stored path, drawn without refitting: mean held-out score (negated
# loss) with its spread over the folds, the chosen alpha (dashed) and the
# one-standard-error alpha (dotted). Pure L2 zeroes no weight, so the
# sparsity curves stay at 0 and 1.
display = RegularizationPathDisplay.from_estimator(cv)
_ = display.ax_.set_title("MLPRegressorCV on diabetes: 5-fold path")

# %%
# Which features does the model need?
# -----------------------------------
# The group lasso ``group_alpha * sum_j ||W_1[j, :]||`` removes whole input
# features. A path over ``group_alpha`` (weak to strong, at the chosen L2
# strength) records which features are still used at each strength.
group_alphas = np.geomspace(1e-3, 1.0, 10)
X_fit, X_val, y_fit, y_val = train_test_split(X_train, y_train, test_size=0.25,
                                              random_state=0)
path = regularization_path(
    MLPRegressor(hidden_layer_sizes=(32,), alpha=cv.alpha_, learning_rate_init=0.01,
                 random_state=0),
    X_fit, y_fit, group_alphas, parameter="group_alpha", X_val=X_val, y_val=y_val,
)
exit_alpha = path.feature_exit_alpha
order = np.argsort(exit_alpha, kind="stable")
print("features in the order they leave the model (group_alpha at which they leave):")
for j in order:
    leaves = "never" if np.isinf(exit_alpha[j]) else f"{exit_alpha[j]:.3g}"
    print(f"  {data.feature_names[j]:>4}: {leaves}")
best = int(np.argmax(path.scores))
print(f"best validation score at group_alpha={path.alphas[best]:.3g}, "
      f"with {path.n_used_features[best]} of {X_train.shape[1]} features")

# %%
# The same display draws this path: the score against ``group_alpha``, with
# the share of features used on the right axis.
display = RegularizationPathDisplay.from_path(path)
_ = display.ax_.set_title("group lasso path: features leave one by one")
plt.show()
