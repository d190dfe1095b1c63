"""Demo: choose the penalty strength of an MLP along a regularization path.

Run ``python -m skreg`` (``--help`` for options). It cross-validates
``alpha`` of an skreg MLP on a dataset that ships with scikit-learn with
:class:`~skreg.MLPClassifierCV` / :class:`~skreg.MLPRegressorCV` (one
warm-started path per fold), prints the path (alpha, mean held-out score,
its spread, the share of exact-zero weights), the chosen and the
one-standard-error alpha, and times the same search done by
``GridSearchCV`` with cold fits.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import MLPClassifier, MLPClassifierCV, MLPRegressor, MLPRegressorCV

DATASETS = {
    "breast_cancer": (load_breast_cancer, MLPClassifier, MLPClassifierCV, "neg_log_loss"),
    "digits": (load_digits, MLPClassifier, MLPClassifierCV, "neg_log_loss"),
    "diabetes": (load_diabetes, MLPRegressor, MLPRegressorCV, None),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skreg",
        description=(
            "Choose the penalty alpha of an skreg MLP by cross-validation along a "
            "warm-started regularization path, on a dataset shipped with "
            "scikit-learn, and compare with GridSearchCV."
        ),
    )
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="breast_cancer")
    parser.add_argument(
        "--alphas", type=float, nargs="+",
        default=[1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3],
        help="penalty strengths to try (default: 1e-4 ... 0.3)",
    )
    parser.add_argument("--l1-ratio", type=float, default=0.0,
                        help="elastic-net mixing (default: 0, pure L2)")
    parser.add_argument("--hidden", type=int, nargs="*", default=[32], help="hidden layer sizes")
    parser.add_argument("--cv", type=int, default=5, help="number of folds (default: 5)")
    parser.add_argument("--max-iter", type=int, default=100, help="epochs per fit")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--no-grid-search", action="store_true",
                        help="skip the GridSearchCV comparison")
    return parser.parse_args(argv)


def main(argv=None):
    """Run the demo; return the fitted CV pipeline."""
    args = parse_args(argv)
    load, Estimator, EstimatorCV, grid_scoring = DATASETS[args.dataset]
    X, y = load(return_X_y=True)
    if Estimator is MLPRegressor:
        y = (y - y.mean()) / y.std()
    common = dict(hidden_layer_sizes=tuple(args.hidden), max_iter=args.max_iter,
                  learning_rate_init=0.01, random_state=args.random_state)
    splitter = StratifiedKFold if Estimator is MLPClassifier else KFold
    folds = splitter(args.cv, shuffle=True, random_state=args.random_state)
    model = make_pipeline(StandardScaler(), EstimatorCV(
        alphas=args.alphas, l1_ratios=args.l1_ratio, cv=folds, **common))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # one small fit first, so that compiling the kernels (with the fast
        # extra) is not counted in either timing
        Estimator(**{**common, "max_iter": 1}).fit(StandardScaler().fit_transform(X[:50]), y[:50])
        start = time.perf_counter()
        model.fit(X, y)
        path_time = time.perf_counter() - start
        grid = None
        if not args.no_grid_search:
            plain = make_pipeline(StandardScaler(), Estimator(l1_ratio=args.l1_ratio, **common))
            param = f"{plain.steps[-1][0]}__alpha"
            start = time.perf_counter()
            grid = GridSearchCV(plain, {param: args.alphas}, cv=folds,
                                scoring=grid_scoring).fit(X, y)
            grid_time = time.perf_counter() - start

    cv = model[-1]
    print(f"{EstimatorCV.__name__} on {args.dataset} ({X.shape[0]} x {X.shape[1]}), "
          f"hidden={tuple(args.hidden)}, {args.cv}-fold CV, one warm-started path per fold")
    print(f"{'alpha':>10}  {'CV score':>10}  {'+/-':>7}  {'zero weights':>12}")
    scores = cv.scores_path_[0]
    for i, alpha in enumerate(cv.alphas_):
        marks = []
        if alpha == cv.alpha_best_:
            marks.append("best")
        if alpha == cv.alpha_1se_:
            marks.append("1-SE")
        mark = f"  <- {', '.join(marks)}" if marks else ""
        print(f"{alpha:>10.4g}  {scores[i].mean():>10.4f}  {scores[i].std():>7.4f}  "
              f"{cv.sparsity_path_[0, i].mean():>12.1%}{mark}")
    print(f"chosen alpha {cv.alpha_:.4g} (1-SE alpha {cv.alpha_1se_:.4g}); "
          f"CV score = negated held-out loss; {path_time:.1f} s")
    if grid is not None:
        best = grid.best_params_[param]
        print(f"GridSearchCV, same alphas and folds: best alpha {best:.4g}, "
              f"{grid_time:.1f} s; the path took {path_time / grid_time:.2f}x its time")
    return model


if __name__ == "__main__":
    main()
