"""Demo: tune the penalty strength of an MLP with GridSearchCV.

Run ``python -m skreg`` (``--help`` for options). It fits skreg on a dataset
that ships with scikit-learn, cross-validates a grid of ``alpha`` values and
prints alpha against the cross-validated score and the weight norm.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import MLPClassifier, MLPRegressor

DATASETS = {
    "breast_cancer": (load_breast_cancer, MLPClassifier),
    "digits": (load_digits, MLPClassifier),
    "diabetes": (load_diabetes, MLPRegressor),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skreg",
        description=(
            "Cross-validate the L2 penalty alpha of an skreg MLP on a dataset "
            "shipped with scikit-learn and print alpha vs score vs weight norm."
        ),
    )
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="breast_cancer")
    parser.add_argument(
        "--alphas",
        type=float,
        nargs="+",
        default=[1e-4, 1e-3, 1e-2, 1e-1, 1.0],
        help="penalty strengths to try (default: 1e-4 ... 1)",
    )
    parser.add_argument("--hidden", type=int, nargs="*", default=[32], help="hidden layer sizes")
    parser.add_argument("--cv", type=int, default=5, help="number of folds (default: 5)")
    parser.add_argument("--max-iter", type=int, default=100, help="epochs per fit")
    parser.add_argument("--random-state", type=int, default=0)
    return parser.parse_args(argv)


def weight_norm(model):
    """Frobenius norm of all weight matrices together."""
    return float(np.sqrt(sum(np.vdot(W, W) for W in model.coefs_)))


def main(argv=None):
    args = parse_args(argv)
    load, Estimator = DATASETS[args.dataset]
    X, y = load(return_X_y=True)
    model = make_pipeline(
        StandardScaler(),
        Estimator(
            hidden_layer_sizes=tuple(args.hidden),
            max_iter=args.max_iter,
            random_state=args.random_state,
        ),
    )
    param = f"{model.steps[-1][0]}__alpha"
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(model, {param: args.alphas}, cv=args.cv).fit(X, y)
        norms = [
            weight_norm(model.set_params(**{param: a}).fit(X, y)[-1]) for a in args.alphas
        ]
    elapsed = time.perf_counter() - start

    print(f"{Estimator.__name__} on {args.dataset} ({X.shape[0]} x {X.shape[1]}), "
          f"hidden={tuple(args.hidden)}, {args.cv}-fold CV")
    print(f"{'alpha':>10}  {'CV score':>10}  {'+/-':>7}  {'||W||':>8}")
    results = search.cv_results_
    for i, alpha in enumerate(args.alphas):
        mark = "  <- best" if alpha == search.best_params_[param] else ""
        print(
            f"{alpha:>10.4g}  {results['mean_test_score'][i]:>10.4f}  "
            f"{results['std_test_score'][i]:>7.4f}  {norms[i]:>8.3f}{mark}"
        )
    print(f"weights shrink as alpha grows; {elapsed:.1f} s in all")
    return search


if __name__ == "__main__":
    main()
