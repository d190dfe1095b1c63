"""skreg.MLPClassifier against sklearn.neural_network.MLPClassifier, side by side.

Both estimators train the same network (architecture, adam, learning rate,
batch size, epoch count, no early stopping, every epoch run) on the same data
in one process, in alternating runs (sklearn, skreg, sklearn, skreg, ...), so
that the load of a shared machine falls on both alike. Between the two runs of
each repeat the script also times numpy alone doing the matmuls of one epoch
(same shapes, same dtype, preallocated outputs): the rate the machine reaches
on exactly this work, and the ceiling the estimators are measured against.

Printed per workload: median fit time of each estimator, the median of the
paired time ratios, achieved GFLOP/s and its fraction of numpy's matmul rate,
and the peak of the memory traced by ``tracemalloc`` during one fit (numpy
reports its buffers to tracemalloc; measured in a separate, untimed run).

FLOPs counted per sample and layer of shape (fan_in, fan_out): forward
``2 * fan_in * fan_out``; backward twice that (weight gradient and input
gradient), except that the first layer has no input gradient.

Usage::

    python benchmarks/bench_mlp.py             # all workloads, 7 repeats
    python benchmarks/bench_mlp.py --quick     # smoke run, small data
    python benchmarks/bench_mlp.py --threads 1 # BLAS limited to one thread
    python benchmarks/bench_mlp.py --only wide32 --repeats 9
    python benchmarks/bench_mlp.py --profile   # line timing of one wide epoch
    python benchmarks/bench_mlp.py --profile digits

Where OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set, unset both for this
command alone: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python ...``.
"""

import argparse
import gc
import platform
import statistics
import sys
import time
import tracemalloc
import warnings

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLPClassifier

from skreg import MLPClassifier

SEED = 0
ALPHA = 1e-4
LR = 1e-3


# -- data and workloads ------------------------------------------------------
def digits(dtype):
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(dtype), y


def wide_data(n_samples, dtype):
    X, y = make_classification(
        n_samples=n_samples,
        n_features=784,
        n_informative=50,
        n_redundant=50,
        n_classes=10,
        random_state=SEED,
    )
    return X.astype(dtype), y


def workloads(quick):
    n_wide = 2000 if quick else 8000
    wide_epochs = 1 if quick else 3
    digit_epochs = 5 if quick else 30
    wide = dict(hidden=(512, 256), batch=256, epochs=wide_epochs)
    return [
        dict(name="digits", data=lambda: digits(np.float64), hidden=(100,), batch=200,
             epochs=digit_epochs, against="sklearn"),
        dict(name="wide32", data=lambda: wide_data(n_wide, np.float32), against="sklearn",
             **wide),
        dict(name="wide64", data=lambda: wide_data(n_wide, np.float64), against="sklearn",
             **wide),
        dict(name="dropout32", data=lambda: wide_data(n_wide, np.float32),
             against="skreg", extra={"dropout": 0.5}, **wide),
        dict(name="l1_32", data=lambda: wide_data(n_wide, np.float32),
             against="skreg", extra={"l1_ratio": 0.5}, **wide),
        # the training ingredients of the tabular recipe, each against plain skreg
        *(
            dict(name=name, data=lambda: wide_data(n_wide, np.float32), against="skreg",
                 base=base, extra=extra, **wide)
            for name, (base, extra) in INGREDIENTS.items()
        ),
    ]


#: one workload per training ingredient, (reference, with it): its cost per
#: epoch on wide32; the scheduled dropout is measured against constant dropout
INGREDIENTS = {
    "smooth32": ({}, {"label_smoothing": 0.1}),
    "mixup32": ({}, {"mixup_alpha": 0.2}),
    "coslog4_32": ({}, {"learning_rate": "coslog4", "warmup": 0.1}),
    "flatcos32": ({"dropout": 0.15}, {"dropout_schedule": "flat_cosine"}),
    "swa32": ({}, {"average": True}),
    "ema32": ({}, {"average": 0.99}),
}


# -- estimators --------------------------------------------------------------
def make_sklearn(w):
    return SkMLPClassifier(
        hidden_layer_sizes=w["hidden"], solver="adam", alpha=ALPHA,
        learning_rate_init=LR, batch_size=w["batch"], max_iter=w["epochs"], tol=0.0,
        n_iter_no_change=10**9, early_stopping=False, shuffle=True, random_state=SEED,
    )


def make_skreg(w, **extra):
    return MLPClassifier(
        hidden_layer_sizes=w["hidden"], optimizer="adam", alpha=ALPHA,
        learning_rate_init=LR, batch_size=w["batch"], max_iter=w["epochs"], tol=0.0,
        n_iter_no_change=10**9, early_stopping=False, shuffle=True, random_state=SEED,
        **extra,
    )


def contenders(w):
    """Two (label, factory) pairs, the reference first."""
    if w["against"] == "sklearn":
        return [("sklearn", lambda: make_sklearn(w)), ("skreg", lambda: make_skreg(w))]
    base = w.get("base", {})
    label = ",".join(f"{k}={v}" for k, v in w["extra"].items() if base.get(k) != v)
    return [
        ("skreg", lambda: make_skreg(w, **base)),
        (f"skreg {label}", lambda: make_skreg(w, **{**base, **w["extra"]})),
    ]


def timed_fit(factory, X, y):
    est = factory()
    gc.collect()
    start = time.perf_counter()
    est.fit(X, y)
    elapsed = time.perf_counter() - start
    return elapsed, est


def traced_peak(factory, X, y):
    """Peak bytes traced by tracemalloc during one fit (above the start)."""
    est = factory()
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        est.fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - base


# -- FLOPs and numpy's own rate ----------------------------------------------
def layer_shapes(n_features, hidden, n_outputs):
    sizes = [n_features, *hidden, n_outputs]
    return list(zip(sizes[:-1], sizes[1:]))


def epoch_flops(n_samples, shapes):
    flops = 0
    for layer, (fan_in, fan_out) in enumerate(shapes):
        per = 2 * n_samples * fan_in * fan_out
        flops += per + per + (per if layer > 0 else 0)
    return flops


class MatmulLoop:
    """numpy doing the matmuls of one epoch, outputs preallocated."""

    def __init__(self, n_samples, batch, shapes, dtype):
        rng = np.random.default_rng(SEED)
        self.batches = [min(batch, n_samples - s) for s in range(0, n_samples, batch)]
        self.shapes = shapes
        self.flops = epoch_flops(n_samples, shapes)
        sizes = {b for b in self.batches}
        self.acts = {b: [rng.random((b, fi), dtype=dtype) for fi, _ in shapes] for b in sizes}
        self.outs = {b: [np.empty((b, fo), dtype=dtype) for _, fo in shapes] for b in sizes}
        self.dins = {b: [np.empty((b, fi), dtype=dtype) for fi, _ in shapes] for b in sizes}
        self.W = [rng.random((fi, fo), dtype=dtype) for fi, fo in shapes]
        self.G = [np.empty((fi, fo), dtype=dtype) for fi, fo in shapes]

    def run(self):
        start = time.perf_counter()
        for b in self.batches:
            acts, outs, dins = self.acts[b], self.outs[b], self.dins[b]
            for layer, W in enumerate(self.W):
                np.matmul(acts[layer], W, out=outs[layer])
            for layer in range(len(self.W) - 1, -1, -1):
                np.matmul(acts[layer].T, outs[layer], out=self.G[layer])
                if layer:
                    np.matmul(outs[layer], self.W[layer].T, out=dins[layer])
        return time.perf_counter() - start


def square_rate(dtype, n=1024, reps=5):
    a = np.random.default_rng(SEED).random((n, n)).astype(dtype)
    out = np.empty_like(a)
    np.matmul(a, a, out=out)
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        np.matmul(a, a, out=out)
        times.append(time.perf_counter() - start)
    return 2 * n**3 / min(times) / 1e9


# -- running -----------------------------------------------------------------
def run_workload(w, repeats):
    X, y = w["data"]()
    n_classes = len(np.unique(y))
    shapes = layer_shapes(X.shape[1], w["hidden"], n_classes)
    flops = w["epochs"] * epoch_flops(X.shape[0], shapes)
    loop = MatmulLoop(X.shape[0], w["batch"], shapes, X.dtype)
    (ref_label, ref), (new_label, new) = contenders(w)

    # warm-up (imports, caches, BLAS threads), checked to run every epoch
    for factory in (ref, new):
        _, est = timed_fit(factory, X, y)
        assert est.n_iter_ == w["epochs"], (type(est), est.n_iter_)
        assert est.coefs_[0].dtype == X.dtype or type(est) is SkMLPClassifier
    loop.run()

    t_ref, t_new, t_np = [], [], []
    for _ in range(repeats):
        t_ref.append(timed_fit(ref, X, y)[0])
        t_np.append(w["epochs"] * loop.run())
        t_new.append(timed_fit(new, X, y)[0])
    ratios = [b / a for a, b in zip(t_ref, t_new)]
    mem_ref = traced_peak(ref, X, y)
    mem_new = traced_peak(new, X, y)
    np_rate = flops / statistics.median(t_np) / 1e9
    rate = lambda ts: flops / statistics.median(ts) / 1e9  # noqa: E731
    return dict(
        name=w["name"], dtype=np.dtype(X.dtype).name, ref=ref_label, new=new_label,
        t_ref=statistics.median(t_ref), t_new=statistics.median(t_new),
        ratio=statistics.median(ratios), ratio_min=min(ratios), ratio_max=max(ratios),
        g_ref=rate(t_ref), g_new=rate(t_new), g_np=np_rate,
        mem_ref=mem_ref / 2**20, mem_new=mem_new / 2**20, data_mb=X.nbytes / 2**20,
        gflop=flops / 1e9,
    )


def print_header(repeats):
    import threadpoolctl

    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.machine()}, {platform.processor() or ''}".rstrip(", "))
    for info in threadpoolctl.threadpool_info():
        if info.get("user_api") == "blas":
            print(f"BLAS: {info['internal_api']} {info.get('version')} "
                  f"kernel={info.get('architecture')} threads={info['num_threads']} "
                  f"({info['prefix']})")
    print(f"numpy 1024x1024 matmul: float32 {square_rate(np.float32):.1f} GFLOP/s, "
          f"float64 {square_rate(np.float64):.1f} GFLOP/s (best of 5)")
    print(f"{repeats} alternating repeats per workload; times are medians, ratio is the "
          "median of the paired ratios [min-max]; %mm = achieved / numpy matmul rate on "
          "the same matmuls; mem = tracemalloc peak during one separate fit, above "
          "what was in use before it (the input data is not counted).\n")


def print_row(r):
    print(f"{r['name']:<10} {r['dtype']:<8} {r['gflop']:6.1f} GFLOP  "
          f"numpy matmul {r['g_np']:6.1f} GFLOP/s  data {r['data_mb']:.1f} MiB")
    for who, t, g, mem in (("ref", r["t_ref"], r["g_ref"], r["mem_ref"]),
                           ("new", r["t_new"], r["g_new"], r["mem_new"])):
        print(f"    {r[who]:<22} {t:8.3f} s  {g:6.1f} GFLOP/s ({100 * g / r['g_np']:3.0f}% mm)"
              f"  mem {mem:7.2f} MiB")
    print(f"    ratio {r['new']} / {r['ref']}: {r['ratio']:.2f}x "
          f"[{r['ratio_min']:.2f}-{r['ratio_max']:.2f}]\n")


def print_summary(results):
    print("| workload | dtype | reference | time ref (s) | time skreg (s) | ratio (median) "
          "| GFLOP/s ref | GFLOP/s skreg | numpy mm GFLOP/s | skreg % mm | mem ref (MiB) "
          "| mem skreg (MiB) |")
    print("|---" * 12 + "|")
    for r in results:
        print(f"| {r['name']} | {r['dtype']} | {r['ref']} | {r['t_ref']:.3f} | {r['t_new']:.3f} "
              f"| {r['ratio']:.2f}x | {r['g_ref']:.1f} | {r['g_new']:.1f} | {r['g_np']:.1f} "
              f"| {100 * r['g_new'] / r['g_np']:.0f}% | {r['mem_ref']:.2f} | {r['mem_new']:.2f} |")


class LineTimer:
    """Wall time per source line of the files under ``prefix`` (sys.settrace).

    Time spent in code outside ``prefix`` (numpy, scipy, builtins such as the
    ``@`` operator) is charged to the skreg line that called it, so a line's
    time includes the C work it starts.
    """

    def __init__(self, prefix):
        self.prefix = prefix
        self.times = {}
        self.last = None
        self.stamp = 0.0

    def _charge(self, now):
        if self.last is not None:
            self.times[self.last] = self.times.get(self.last, 0.0) + now - self.stamp

    def _local(self, frame, event, arg):
        now = time.perf_counter()
        self._charge(now)
        self.last = (frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)
        if event == "return" and frame.f_back is not None:
            back = frame.f_back
            self.last = (back.f_code.co_filename, back.f_lineno, back.f_code.co_name)
        self.stamp = time.perf_counter()
        return self._local

    def _global(self, frame, event, arg):
        if frame.f_code.co_filename.startswith(self.prefix):
            return self._local(frame, event, arg)
        return None

    def run(self, func):
        sys.settrace(self._global)
        try:
            func()
        finally:
            sys.settrace(None)
        self._charge(time.perf_counter())

    def report(self, top=25):
        import linecache
        import os

        total = sum(self.times.values())
        by_func = {}
        for (fname, line, func), t in self.times.items():
            key = (os.path.basename(fname), func)
            by_func[key] = by_func.get(key, 0.0) + t
        print(f"traced time {total:.3f} s; by function (self time incl. C calls):")
        for (fname, func), t in sorted(by_func.items(), key=lambda kv: -kv[1])[:12]:
            print(f"  {100 * t / total:5.1f}%  {t:7.3f} s  {fname}:{func}")
        print(f"top {top} lines:")
        for (fname, line, func), t in sorted(self.times.items(), key=lambda kv: -kv[1])[:top]:
            src = linecache.getline(fname, line).strip()
            print(f"  {100 * t / total:5.1f}%  {t:7.3f} s  {os.path.basename(fname)}:{line:<4} {src[:70]}")


def profile_fit(quick, which="wide32"):
    """Line timing of skreg fitting a workload: one epoch of the wide ones,
    the whole fit for digits (where the per-fit and per-batch overheads are
    the story)."""
    import os

    import skreg

    w = next(w for w in workloads(quick) if w["name"] == which)
    epochs = w["epochs"] if which == "digits" else 1
    X, y = w["data"]()
    make = lambda: make_skreg({**w, "epochs": epochs}, **w.get("extra", {}))  # noqa: E731
    make().fit(X, y)  # warm-up
    start = time.perf_counter()
    make().fit(X, y)
    print(f"{which}: {epochs} epoch(s), untraced: {time.perf_counter() - start:.3f} s")
    timer = LineTimer(os.path.dirname(skreg.__file__))
    est = make()
    timer.run(lambda: est.fit(X, y))
    timer.report()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, 2 repeats")
    parser.add_argument("--repeats", type=int, default=None, help="alternating repeats")
    parser.add_argument("--only", nargs="*", help="workload names to run")
    parser.add_argument("--profile", nargs="?", const="wide32", default=None,
                        help="line timing of skreg on a workload (default wide32: one epoch)")
    parser.add_argument("--threads", type=int, default=None,
                        help="limit BLAS threads (threadpoolctl); default: numpy's own")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    if args.threads:
        import threadpoolctl

        threadpoolctl.threadpool_limits(args.threads)
    if args.profile:
        profile_fit(args.quick, args.profile)
        return 0
    repeats = args.repeats or (2 if args.quick else 7)
    print_header(repeats)
    results = []
    for w in workloads(args.quick):
        if args.only and w["name"] not in args.only:
            continue
        r = run_workload(w, repeats)
        print_row(r)
        sys.stdout.flush()
        results.append(r)
    print_summary(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
