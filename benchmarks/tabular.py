"""Tabular benchmark: the skreg recipe against skreg's defaults, scikit-learn's MLP,
HistGradientBoosting and (when installed) pytabkit's RealMLP-TD.

Data sets: MNIST-1D (the ``mnist1d`` package's default data: 4000 training and
1000 test sequences of length 40, 10 classes; generated once and cached) and
scikit-learn's bundled ``breast_cancer``, ``digits``, ``wine`` (accuracy) and
``diabetes`` (R^2, the target left in its own units, 25-346).

Protocol: every model's settings are fixed up front, nothing is chosen on the
test rows; the models that stop early or keep a best epoch do so on their own
validation split of the training rows. For seed ``s`` the bundled sets are split
75/25 (stratified for classification) with ``random_state=s`` and the model gets
``random_state=s``; MNIST-1D keeps its fixed split and only the model's seed
changes. Every model runs with one BLAS / OpenMP / torch thread; ``--jobs``
worker processes (default 2) run the fits side by side, each fit timed on its
own: the CPU time of ``fit`` (process time; with one thread, the wall time of
an idle machine, and unlike the wall time not inflated when the machine is
shared).

Printed: markdown tables of the test score (mean +- standard deviation over the
seeds), the mean rank of each model (ranked within each data set and seed, ties
averaged; averaged over the seeds of a data set, then over the data sets) and
the mean fit time. ``--ablation`` fits the recipe with one ingredient switched
off at a time on the same seeds, and prints the paired differences.

Usage::

    python benchmarks/tabular.py                       # all data sets and models
    python benchmarks/tabular.py --quick               # smoke run (1 seed)
    python benchmarks/tabular.py --datasets mnist1d --models recipe hgb --seeds 3
    python benchmarks/tabular.py --ablation            # recipe ingredients on/off
"""

import os

# One thread for every BLAS / OpenMP pool, set before numpy (and torch) load.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
              "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import concurrent.futures  # noqa: E402
import multiprocessing  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from scipy.stats import rankdata  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import skreg  # noqa: E402
from skreg.preprocessing import PeriodicFeatures, SmoothClipScaler  # noqa: E402
from skreg.recipes import make_tabular_mlp  # noqa: E402

# ---------------------------------------------------------------------------------
# data

CACHE_DIR = Path(os.environ.get("SKREG_BENCH_CACHE",
                                Path(tempfile.gettempdir()) / "skreg_benchmarks"))


def mnist1d_arrays():
    """MNIST-1D with the package's default arguments, cached as .npz."""
    path = CACHE_DIR / "mnist1d_default.npz"
    if not path.exists():
        try:
            from mnist1d.data import get_dataset_args, make_dataset
        except ImportError as exc:
            raise SystemExit("MNIST-1D needs the mnist1d package: "
                             "pip install 'skreg[benchmarks]' (or pip install mnist1d)") from exc
        data = make_dataset(get_dataset_args())
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, x=data["x"], y=data["y"], x_test=data["x_test"], y_test=data["y_test"])
        tmp.replace(path)
    with np.load(path) as f:
        return f["x"], f["y"], f["x_test"], f["y_test"]


BUNDLED = {
    "breast_cancer": (load_breast_cancer, "classification"),
    "digits": (load_digits, "classification"),
    "wine": (load_wine, "classification"),
    "diabetes": (load_diabetes, "regression"),
}
DATASETS = ["mnist1d", *BUNDLED]


def task_of(dataset):
    return "classification" if dataset == "mnist1d" else BUNDLED[dataset][1]


def split(dataset, seed):
    """Training and test rows of ``dataset`` for ``seed``."""
    if dataset == "mnist1d":
        return mnist1d_arrays()
    loader, task = BUNDLED[dataset]
    X, y = loader(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed,
        stratify=y if task == "classification" else None)
    return X_train, y_train, X_test, y_test


# ---------------------------------------------------------------------------------
# models

MODELS = ["sklearn_mlp", "skreg", "recipe", "hgb", "realmlp"]
LABELS = {
    "sklearn_mlp": "scikit-learn MLP",
    "skreg": "skreg defaults",
    "recipe": "skreg recipe",
    "hgb": "HistGradientBoosting",
    "realmlp": "RealMLP-TD (pytabkit)",
}


def realmlp_available():
    try:
        import pytabkit  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        return False
    return True




def make_model(name, task, seed):
    """An unfitted model ``name`` for ``task`` with ``random_state=seed``."""
    clf = task == "classification"
    if name == "sklearn_mlp":
        from sklearn.neural_network import MLPClassifier, MLPRegressor

        est = MLPClassifier if clf else MLPRegressor
        return make_pipeline(StandardScaler(), est(max_iter=500, random_state=seed))
    if name == "skreg":
        est = skreg.MLPClassifier if clf else skreg.MLPRegressor
        return make_pipeline(StandardScaler(), est(random_state=seed))
    if name == "recipe":
        return make_tabular_mlp(task, random_state=seed)
    if name == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        est = HistGradientBoostingClassifier if clf else HistGradientBoostingRegressor
        return est(random_state=seed)
    if name == "realmlp":
        from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor

        est = RealMLP_TD_Classifier if clf else RealMLP_TD_Regressor
        return est(random_state=seed, n_threads=1, device="cpu")
    raise ValueError(f"unknown model {name!r}; choose from {MODELS}")


# ---------------------------------------------------------------------------------
# ablation: the recipe with one ingredient switched off


def _mlp_of(model):
    """The skreg estimator at the end of ``model`` (a pipeline or an estimator)."""
    return model.steps[-1][1] if isinstance(model, Pipeline) else model


def _replace_step(model, cls, new_step):
    """Put ``new_step`` in place of the recipe pipeline's ``cls`` step;
    returns the number of steps replaced."""
    count = 0
    for i, (name, step) in enumerate(model.steps):
        if isinstance(step, cls):
            model.steps[i] = (name, new_step)
            count += 1
    return count


def _set_estimator_params(model, off):
    """Set the parameters named in ``off`` wherever the model has them.

    ``off`` maps a parameter name to the value that switches it off; the names
    are matched at any depth of ``get_params(deep=True)`` (e.g. an optimizer's
    ``weight_decay_schedule``). Returns the number of parameters set.
    """
    params = model.get_params(deep=True)
    update = {key: value for key, value in params.items()
              for name, value in off.items()
              if (key == name or key.endswith("__" + name)) and params[key] != value}
    # parameter values that are objects (the optimizer) are set through their own key
    model.set_params(**update)
    return len(update)


def _off_params(**off):
    def switch(model):
        return _set_estimator_params(model, off)
    return switch


def _off_step(cls, make_replacement):
    def switch(model):
        return _replace_step(model, cls, make_replacement())
    return switch


def _average_second_half(model):
    """Stochastic weight averaging over the second half of the planned epochs."""
    mlp = _mlp_of(model)
    if mlp.get_params().get("average", False) is not False:
        return 0
    mlp.set_params(average=max(1, mlp.max_iter // 2 + 1))
    return 1


# ingredient: tasks it applies to, how to switch it off (when the recipe has it)
# and how to switch it on (when the recipe leaves it out): (description, switch)
INGREDIENTS = {
    "label smoothing": dict(
        tasks=("classification",),
        off=("label_smoothing=0", _off_params(label_smoothing=0.0)),
        on=("label_smoothing=0.1", _off_params(label_smoothing=0.1))),
    "mixup": dict(
        tasks=("classification", "regression"),
        off=("mixup_alpha=0", _off_params(mixup_alpha=0.0)),
        on=("mixup_alpha=0.2", _off_params(mixup_alpha=0.2))),
    "lr schedule": dict(
        tasks=("classification", "regression"),
        off=('learning_rate="constant", warmup=0',
             _off_params(learning_rate="constant", warmup=0.0)),
        on=None),
    "dropout / weight-decay schedule": dict(
        tasks=("classification", "regression"),
        off=('dropout_schedule="constant", weight_decay_schedule="constant"',
             _off_params(dropout_schedule="constant", weight_decay_schedule="constant")),
        on=None),
    "weight averaging": dict(
        tasks=("classification", "regression"),
        off=("average=False", _off_params(average=False)),
        on=("average=max_iter // 2 + 1 (SWA over the second half)", _average_second_half)),
    "SmoothClipScaler": dict(
        tasks=("classification", "regression"),
        off=("StandardScaler in its place", _off_step(SmoothClipScaler, StandardScaler)),
        on=None),
    "scaling in standard deviations, clip at 10": dict(
        tasks=("classification", "regression"),
        off=("RealMLP's: inter-quartile units, clip=3",
             _off_params(unit_variance=False, clip=3.0)),
        on=None),
    "best epoch on a validation split": dict(
        tasks=("classification", "regression"),
        off=("early_stopping=False (keep the last epoch)", _off_params(early_stopping=False)),
        on=("early_stopping=True, validation_fraction=0.2 (keep the best epoch)",
            _off_params(early_stopping=True, validation_fraction=0.2))),
    "PeriodicFeatures": dict(
        tasks=("classification", "regression"),
        off=("step removed", _off_step(PeriodicFeatures, lambda: "passthrough")),
        on=None),
    "normalize_y": dict(
        tasks=("regression",),
        off=("normalize_y=False", _off_params(normalize_y=False)),
        on=None),
}


def ablated(task, seed, ingredient):
    """The recipe for ``task``/``seed`` with ``ingredient`` switched.

    Returns ``(model, change)``: the recipe with the ingredient off when the
    recipe has it, else with it on; ``change`` says which ("off: ...", "on:
    ..."). ``(None, None)`` when neither applies.
    """
    model = make_tabular_mlp(task, random_state=seed)
    if ingredient is None:
        return model, None
    spec = INGREDIENTS[ingredient]
    desc, switch = spec["off"]
    if switch(model):
        return model, f"off: {desc}"
    if spec["on"] is not None:
        desc, switch = spec["on"]
        if switch(model):
            return model, f"on: {desc}"
    return None, None


# ---------------------------------------------------------------------------------
# running


def _tiny_data(task):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0) if task == "classification" else X[:, 0]
    return X, y


def _shorten(model):
    """Cut the skreg / scikit-learn MLP of ``model`` to 2 epochs (for a warm-up)."""
    est = _mlp_of(model)
    if "max_iter" in est.get_params():
        est.set_params(max_iter=2)
    return model


def warm_up(models):
    """Compile / load skreg's kernels and import the libraries before any timing."""
    warnings.simplefilter("ignore")
    if "realmlp" in models:
        import torch

        torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        for task in ("classification", "regression"):
            X, y = _tiny_data(task)
            for name in models:
                if name in ("skreg", "recipe", "sklearn_mlp"):
                    _shorten(make_model(name, task, 0)).fit(X, y)


def fit_one(dataset, seed, model_name, ingredient=None):
    """Fit one model on one split; returns its test score, fit time and warnings."""
    task = task_of(dataset)
    if model_name == "realmlp":
        import torch

        torch.set_num_threads(1)
    change = None
    if ingredient is not None:
        model, change = ablated(task, seed, ingredient)
        if model is None:  # nothing to switch for this task
            return None
    else:
        model = make_model(model_name, task, seed)
    X_train, y_train, X_test, y_test = split(dataset, seed)
    with threadpool_limits(limits=1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start, cpu_start = time.perf_counter(), time.process_time()
        model.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        cpu_time = time.process_time() - cpu_start
        score = model.score(X_test, y_test)
    n_conv = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    return dict(dataset=dataset, seed=seed, model=model_name, ingredient=ingredient, change=change,
                score=float(score), fit_time=fit_time, cpu_time=cpu_time,
                convergence_warnings=n_conv)


def run_all(jobs, models, tasks, out=None):
    """Run ``tasks`` (argument tuples of fit_one), ``jobs`` processes side by side."""
    sink = open(out, "a") if out is not None else None
    try:
        return _run_all(jobs, models, tasks, sink)
    finally:
        if sink is not None:
            sink.close()


def _record(sink, out):
    if sink is not None and out is not None:
        sink.write(json.dumps(out) + "\n")
        sink.flush()


def _run_all(jobs, models, tasks, sink):
    if any(t[0] == "mnist1d" for t in tasks):
        mnist1d_arrays()  # generate the cache once, before the workers start
    results, start = [], time.perf_counter()
    with contextlib.ExitStack() as stack:
        if jobs <= 1:
            warm_up(models)
            outputs = (fit_one(*t) for t in tasks)
        else:
            pool = stack.enter_context(concurrent.futures.ProcessPoolExecutor(
                jobs, mp_context=multiprocessing.get_context("spawn"),
                initializer=warm_up, initargs=(models,)))
            futures = [pool.submit(fit_one, *t) for t in tasks]
            outputs = (f.result() for f in concurrent.futures.as_completed(futures))
        for done, out in enumerate(outputs, start=1):
            _progress(done, len(tasks), start, out)
            _record(sink, out)
            if out is not None:
                results.append(out)
    return results


def _progress(done, total, start, out):
    if out is None:
        return
    what = out["model"] if out["ingredient"] is None else f"recipe -{out['ingredient']}"
    print(f"  [{done}/{total} {time.perf_counter() - start:6.0f}s] {out['dataset']} "
          f"seed {out['seed']} {what}: {out['score']:.4f} ({out['fit_time']:.1f} s, "
          f"cpu {out['cpu_time']:.1f} s)",
          flush=True)


# ---------------------------------------------------------------------------------
# tables


def _fmt_score(values, task):
    values = np.asarray(values)
    std = values.std(ddof=1) if len(values) > 1 else 0.0
    if task == "classification":
        return f"{100 * values.mean():.1f} +- {100 * std:.1f}"
    return f"{values.mean():.3f} +- {std:.3f}"


def result_tables(results, datasets, models):
    results = [r for r in results if r.get("ingredient") is None]
    by = {(r["dataset"], r["model"], r["seed"]): r for r in results}
    models = [m for m in models if any(r["model"] == m for r in results)]
    lines = []
    header = "| data set (metric) | " + " | ".join(LABELS[m] for m in models) + " |"
    lines += [header, "|---" * (len(models) + 1) + "|"]
    ranks = {m: [] for m in models}
    for d in datasets:
        task = task_of(d)
        seeds = sorted({r["seed"] for r in results if r["dataset"] == d})
        if not seeds:
            continue
        metric = "accuracy %" if task == "classification" else "R^2"
        cells = []
        for m in models:
            vals = [by[d, m, s]["score"] for s in seeds if (d, m, s) in by]
            cells.append(_fmt_score(vals, task) if vals else "-")
        lines.append(f"| {d} ({metric}, {len(seeds)} seeds) | " + " | ".join(cells) + " |")
        # rank within each seed (1 = best, ties averaged), averaged over the seeds
        complete = [s for s in seeds if all((d, m, s) in by for m in models)]
        if complete:
            per_seed = np.array([rankdata([-by[d, m, s]["score"] for m in models])
                                 for s in complete])
            for m, r in zip(models, per_seed.mean(axis=0)):
                ranks[m].append(r)
    lines.append("| mean rank | " + " | ".join(
        f"{np.mean(ranks[m]):.2f}" if ranks[m] else "-" for m in models) + " |")

    lines += ["", "Mean fit time (CPU seconds of one thread):", ""]
    lines += ["| data set | " + " | ".join(LABELS[m] for m in models) + " |",
              "|---" * (len(models) + 1) + "|"]
    for d in datasets:
        row = [np.mean([r["cpu_time"] for r in results if r["dataset"] == d and r["model"] == m]
                       or [np.nan]) for m in models]
        if not np.all(np.isnan(row)):
            lines.append(f"| {d} | " + " | ".join(_fmt_time(t) for t in row) + " |")
    per_model = [np.mean([np.mean([r["cpu_time"] for r in results
                                   if r["dataset"] == d and r["model"] == m] or [np.nan])
                          for d in datasets if any(r["dataset"] == d for r in results)])
                 for m in models]
    lines.append("| mean over data sets | " + " | ".join(_fmt_time(t) for t in per_model) + " |")

    conv = {m: (sum(r["convergence_warnings"] > 0 for r in results if r["model"] == m),
                sum(r["model"] == m for r in results)) for m in models}
    warned = [f"{LABELS[m]} {k} of {n} fits" for m, (k, n) in conv.items() if k]
    lines += ["", "ConvergenceWarning: " + ("; ".join(warned) if warned else "none") + "."]
    return "\n".join(lines)


def _fmt_time(t):
    if np.isnan(t):
        return "-"
    return f"{t:.2f}" if t < 10 else f"{t:.1f}"


def ablation_table(results, datasets):
    results = [r for r in results if r["model"] == "recipe"]
    by = {(r["dataset"], r["ingredient"], r["seed"]): r for r in results}
    lines = ["| data set | ingredient | change to the recipe | recipe | changed | "
             "changed - recipe (paired) |", "|---|---|---|---|---|---|"]
    for d in datasets:
        task = task_of(d)
        seeds = sorted({r["seed"] for r in results if r["dataset"] == d and r["ingredient"] is None})
        if not seeds:
            continue
        base = np.array([by[d, None, s]["score"] for s in seeds])
        scale, fmt = (100, ".1f") if task == "classification" else (1, ".3f")
        for ing in INGREDIENTS:
            if not all((d, ing, s) in by for s in seeds):
                continue
            changed = np.array([by[d, ing, s]["score"] for s in seeds])
            diff = scale * (changed - base)
            std = diff.std(ddof=1) if len(diff) > 1 else 0.0
            lines.append(f"| {d} ({len(seeds)} seeds) | {ing} | {by[d, ing, seeds[0]]['change']} | "
                         f"{_fmt_score(base, task)} | {_fmt_score(changed, task)} | "
                         f"{diff.mean():+{fmt}} +- {std:{fmt}} |")
    unit = ("Accuracy in %, differences in points" if any(task_of(d) == "classification"
                                                          for d in datasets) else "")
    lines += ["", f"{unit}; mean +- standard deviation over the seeds, the difference "
              "taken seed by seed (same split, same seed)."]
    return "\n".join(lines)


def header(jobs):
    from threadpoolctl import threadpool_info

    blas = ", ".join(sorted({f"{i['internal_api']} {i.get('version')}"
                             for i in threadpool_info()}))
    extra = ""
    if realmlp_available():
        from importlib.metadata import version

        extra = f", pytabkit {version('pytabkit')}, torch {version('torch')}"
    return (f"# Python {platform.python_version()}, numpy {np.__version__}, scikit-learn "
            f"{sklearn.__version__}, skreg {skreg.__version__}{extra}; {blas}; "
            f"{os.cpu_count()} CPUs, {jobs} worker processes of 1 thread each")


def seed_list(args, default):
    if args.quick:
        return [0]
    if args.seeds is None:
        return list(range(default))
    return list(range(args.seeds[0])) if len(args.seeds) == 1 else args.seeds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=None)
    parser.add_argument("--models", nargs="+", choices=MODELS, default=None)
    parser.add_argument("--seeds", type=int, nargs="+", default=None,
                        help="one number N: seeds 0 ... N-1 on every data set; several "
                             "numbers: those seeds. Default 5 (the ablation: 3 on "
                             "MNIST-1D, 5 on the others)")
    parser.add_argument("--quick", action="store_true", help="one seed (a smoke run)")
    parser.add_argument("--ablation", action="store_true",
                        help="the recipe with each ingredient switched off in turn "
                             "(default data sets: mnist1d and diabetes); with --report, "
                             "print the ablation table")
    parser.add_argument("--jobs", type=int, default=2,
                        help="worker processes, one thread each (default 2)")
    parser.add_argument("--out", type=Path, default=None,
                        help="also write every fit's result to this file (JSON lines)")
    parser.add_argument("--report", type=Path, nargs="+", default=None,
                        help="print the tables of saved results (--out files) "
                             "instead of fitting")
    args = parser.parse_args(argv)

    if args.report:
        results = [json.loads(line) for path in args.report
                   for line in path.read_text().splitlines() if line.strip()]
        ablation = args.ablation
        datasets = [d for d in DATASETS if any(r["dataset"] == d for r in results)]
        if ablation:
            print(ablation_table(results, datasets))
        else:
            models = [m for m in MODELS if any(r["model"] == m for r in results)]
            print(result_tables(results, datasets, models))
        return

    print(header(args.jobs))

    if args.ablation:
        datasets = args.datasets or ["mnist1d", "diabetes"]
        tasks = []
        for d in datasets:
            seeds = seed_list(args, 3 if d == "mnist1d" else 5)
            for ing in [None, *INGREDIENTS]:
                if ing is not None and task_of(d) not in INGREDIENTS[ing]["tasks"]:
                    continue
                tasks += [(d, s, "recipe", ing) for s in seeds]
        # the long fits first, so that the workers finish together
        tasks.sort(key=lambda t: t[0] != "mnist1d")
        start = time.perf_counter()
        results = run_all(args.jobs, ["recipe"], tasks, args.out)
        print(f"\n# ablation: total {time.perf_counter() - start:.0f} s\n")
        print(ablation_table(results, datasets))
        return

    datasets = args.datasets or DATASETS
    models = [m for m in MODELS if m in (args.models or MODELS)]
    if "realmlp" in models and not realmlp_available():
        print("# pytabkit (with torch) not installed: RealMLP-TD left out")
        models.remove("realmlp")
    tasks = []
    for d in datasets:
        tasks += [(d, s, m) for s in seed_list(args, 5) for m in models]
    cost = {"realmlp": 0, "recipe": 1, "sklearn_mlp": 2, "skreg": 3, "hgb": 4}
    tasks.sort(key=lambda t: (t[0] != "mnist1d", cost[t[2]]))
    start = time.perf_counter()
    results = run_all(args.jobs, models, tasks, args.out)
    print(f"\n# total {time.perf_counter() - start:.0f} s\n")
    print(result_tables(results, datasets, models))


if __name__ == "__main__":
    main()
