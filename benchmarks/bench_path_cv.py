"""MLPRegressorCV / MLPClassifierCV against GridSearchCV, side by side.

For each dataset and seed the data are split once into a training part (75%)
and a test part (25%). On the training part, the CV estimator (one
warm-started regularization path per fold, then a refit, along the path or
cold as ``refit="auto"`` decides) and ``GridSearchCV`` over the base estimator
(one cold fit per alpha and fold, then a refit) search the same alphas with
the same folds and the same score
(the held-out loss: ``neg_mean_squared_error`` or ``neg_log_loss`` for
GridSearchCV, which ranks the alphas as the CV estimator's negated loss does).
Both run in one process, one after the other, sequentially (``n_jobs=None``);
the numba kernels (with the ``fast`` extra) are compiled by a short fit of
the workload's base estimator before each timing.

Printed per dataset: the median time ratio CV / GridSearchCV over the seeds,
each one's mean test score (R^2 or accuracy) with its standard error over the
seeds, and the alphas chosen.

Usage::

    python benchmarks/bench_path_cv.py               # 4 workloads, 3 seeds, 10 alphas x 5 folds
    python benchmarks/bench_path_cv.py --quick       # smoke run
    python benchmarks/bench_path_cv.py --only digits_dropout --seeds 5
"""

import argparse
import platform
import statistics
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits, make_friedman1, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, train_test_split

from skreg import MLPClassifier, MLPClassifierCV, MLPRegressor, MLPRegressorCV


def friedman(seed):
    X, y = make_friedman1(n_samples=1500, n_features=10, noise=1.0, random_state=seed)
    return X, (y - y.mean()) / y.std()


def linear_regression(seed):
    X, y = make_regression(n_samples=1000, n_features=20, noise=10.0, random_state=seed)
    return X, y / y.std()


def digits(seed):
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def sparse_regression(seed):
    X, y = make_regression(n_samples=1000, n_features=40, n_informative=6, noise=5.0,
                           random_state=seed)
    return X, y / y.std()


WORKLOADS = {
    # name: (data, classifier?, base parameters, alphas, grid scoring)
    "friedman_l2": (
        friedman, False, dict(hidden_layer_sizes=(64,)),
        np.geomspace(1e-5, 1e-1, 10), "neg_mean_squared_error",
    ),
    "regression_l2": (
        linear_regression, False, dict(hidden_layer_sizes=(64,)),
        np.geomspace(1e-5, 1e-1, 10), "neg_mean_squared_error",
    ),
    "digits_dropout": (
        digits, True, dict(hidden_layer_sizes=(64,), dropout=0.2),
        np.geomspace(1e-5, 1e-1, 10), "neg_log_loss",
    ),
    "sparse_l1": (
        sparse_regression, False, dict(hidden_layer_sizes=(32,), l1_ratio=1.0),
        np.geomspace(1e-5, 1e-1, 10), "neg_mean_squared_error",
    ),
}


def run(name, seeds, n_folds, max_iter, alphas_override=None):
    data, classify, params, alphas, grid_scoring = WORKLOADS[name]
    if alphas_override is not None:
        alphas = np.geomspace(alphas[0], alphas[-1], alphas_override)
    Base, CV = (MLPClassifier, MLPClassifierCV) if classify else (MLPRegressor, MLPRegressorCV)
    common = dict(params, learning_rate_init=0.01, max_iter=max_iter)
    rows = []
    for seed in seeds:
        X, y = data(seed)
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=0.25, random_state=seed, stratify=y if classify else None)
        folds = (StratifiedKFold if classify else KFold)(n_folds, shuffle=True,
                                                         random_state=seed)
        splits = list(folds.split(X_tr, y_tr))
        # compile the numba kernels this workload uses (fast extra) outside the timings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            Base(random_state=seed, **dict(common, max_iter=2)).fit(X_tr, y_tr)
        cv_params = {k: v for k, v in common.items() if k != "l1_ratio"}
        l1 = common.get("l1_ratio", 0.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            cv = CV(alphas=alphas, l1_ratios=l1, cv=splits, random_state=seed,
                    **cv_params).fit(X_tr, y_tr)
            cv_time = time.perf_counter() - start
            start = time.perf_counter()
            grid = GridSearchCV(Base(random_state=seed, **common), {"alpha": list(alphas)},
                                cv=splits, scoring=grid_scoring).fit(X_tr, y_tr)
            grid_time = time.perf_counter() - start
        rows.append(dict(
            ratio=cv_time / grid_time, cv_time=cv_time, grid_time=grid_time,
            cv_score=cv.score(X_te, y_te), grid_score=grid.score(X_te, y_te)
            if grid_scoring is None else grid.best_estimator_.score(X_te, y_te),
            cv_alpha=cv.alpha_, grid_alpha=grid.best_params_["alpha"],
        ))
        print(f"  {name} seed {seed}: CV {cv_time:6.1f} s, GridSearchCV {grid_time:6.1f} s "
              f"(ratio {rows[-1]['ratio']:.2f}); test score {rows[-1]['cv_score']:.4f} vs "
              f"{rows[-1]['grid_score']:.4f}; alpha {cv.alpha_:.3g} vs "
              f"{grid.best_params_['alpha']:.3g}", flush=True)
    return rows


def summary(name, rows):
    def mean_se(key):
        values = np.array([r[key] for r in rows])
        se = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else float("nan")
        return f"{values.mean():.4f} +- {se:.4f}"

    ratio = statistics.median(r["ratio"] for r in rows)
    return (f"| {name} | {ratio:.2f}x | {mean_se('cv_score')} | {mean_se('grid_score')} | "
            f"{statistics.median(r['cv_time'] for r in rows):.1f} / "
            f"{statistics.median(r['grid_time'] for r in rows):.1f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(WORKLOADS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--max-iter", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="2 seeds, 3 folds, 4 alphas")
    args = parser.parse_args(argv)
    names = args.only or list(WORKLOADS)
    seeds = range(2 if args.quick else args.seeds)
    folds = 3 if args.quick else args.folds
    n_alphas = 4 if args.quick else None
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{args.folds if not args.quick else folds} folds, seeds {list(seeds)}")
    lines = []
    for name in names:
        lines.append(summary(name, run(name, seeds, folds, args.max_iter, n_alphas)))
    print()
    print("| workload | time CV / GridSearchCV (median) | test score, CV estimator "
          "| test score, GridSearchCV | seconds CV / GridSearchCV |")
    print("|---|---|---|---|---|")
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
