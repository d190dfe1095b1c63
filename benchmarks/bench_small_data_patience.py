"""Early stopping on small data: patience in epochs, in optimizer steps,
none (keep the best of ``max_iter`` epochs), and with weight averaging.

Three small data sets: ``load_diabetes`` (442 rows, target standardized),
300 rows of ``load_breast_cancer`` and 303 rows of ``load_digits`` (a new
random subsample per seed). Per seed: a 75/25 split (stratified for the
classifiers), a ``StandardScaler`` fitted on the training part, and the
default estimator with ``early_stopping=True`` and the variant's settings.
Printed per data set and variant: the test R^2 (diabetes) or accuracy, mean
and standard deviation over the seeds, and the mean ``n_iter_``. The table in
the user guide's early-stopping page comes from this script.

Usage::

    python benchmarks/bench_small_data_patience.py                  # 5 seeds, both rates
    python benchmarks/bench_small_data_patience.py --lr 0.01 --seeds 3
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skreg import MLPClassifier, MLPRegressor

VARIANTS = {
    "10 epochs": dict(early_stopping=True),
    "10 epochs and 100 steps": dict(early_stopping=True, n_steps_no_change=100),
    "all epochs, best kept": dict(early_stopping=True, n_iter_no_change=np.inf),
    "10 epochs, average=0.9": dict(early_stopping=True, average=0.9),
    "no early stopping": dict(early_stopping=False),
}


def data(name, seed):
    """``(X, y, estimator class)`` of a data set; the subsample depends on ``seed``."""
    if name == "diabetes":
        X, y = load_diabetes(return_X_y=True)
        return X, (y - y.mean()) / y.std(), MLPRegressor
    load, n = (load_breast_cancer, 300) if name == "breast_cancer" else (load_digits, 303)
    X, y = load(return_X_y=True)
    rows = np.random.default_rng(1000 + seed).choice(len(y), n, replace=False)
    return X[rows], y[rows], MLPClassifier


def run(name, params, lr, seeds):
    scores, epochs = [], []
    for seed in range(seeds):
        X, y, Est = data(name, seed)
        strata = y if Est is MLPClassifier else None
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, random_state=seed, stratify=strata
        )
        scaler = StandardScaler().fit(X_train)
        est = Est(random_state=seed, learning_rate_init=lr, **params)
        est.fit(scaler.transform(X_train), y_train)
        scores.append(est.score(scaler.transform(X_test), y_test))
        epochs.append(est.n_iter_)
    return np.mean(scores), np.std(scores), np.mean(epochs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, nargs="+", default=[1e-3, 1e-2])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    for lr in args.lr:
        for name in ("diabetes", "breast_cancer", "digits"):
            for variant, params in VARIANTS.items():
                start = time.perf_counter()
                mean, std, epochs = run(name, params, lr, args.seeds)
                print(f"lr={lr:g} {name:13s} {variant:25s} {mean:.3f} +- {std:.3f}  "
                      f"n_iter_ {epochs:5.1f}  ({time.perf_counter() - start:.0f} s)",
                      flush=True)


if __name__ == "__main__":
    main()
