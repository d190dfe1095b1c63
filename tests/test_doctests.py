"""Every example in skreg's docstrings runs and prints what it shows.

The docstrings' ``>>>`` examples are run with the standard library's doctest
over every module of the package (private ones included, since the estimators'
docstrings live in ``skreg/_classifier.py`` and ``skreg/_regressor.py``).
"""

import doctest
import importlib
import pkgutil
import warnings
from pathlib import Path

import numpy as np
import pytest

import skreg

MODULES = sorted(
    name for _, name, _ in pkgutil.walk_packages(skreg.__path__, prefix="skreg.")
    if name != "skreg.__main__"
)
# numpy >= 2 prints scalars as np.float64(0.5); the examples show the values
PRINT_OPTIONS = {"legacy": "1.25"} if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else {}


def _examples(module_name):
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [test for test in finder.find(module, module_name) if test.examples]


def test_modules_are_found():
    # the walk sees the estimators' modules and the public submodules
    assert {"skreg._classifier", "skreg._regressor", "skreg.optimizers", "skreg.plotting"} <= set(
        MODULES
    )
    assert sum(len(_examples(name)) for name in MODULES) >= 5


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples(module_name):
    tests = _examples(module_name)
    if not tests:
        return
    if module_name == "skreg.plotting":
        matplotlib = pytest.importorskip("matplotlib", reason="the displays need matplotlib")
        matplotlib.use("Agg")
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    old = np.get_printoptions()
    try:
        np.set_printoptions(**PRINT_OPTIONS)
        with warnings.catch_warnings():
            # an example that warns (ConvergenceWarning, ...) is not a good example
            warnings.simplefilter("error")
            for test in tests:
                runner.run(test)
    finally:
        np.set_printoptions(**old)
        if module_name == "skreg.plotting":
            import matplotlib.pyplot as plt

            plt.close("all")
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} docstring example(s) failed in {module_name}"


# pages of the documentation whose code is written as doctests
DOC_PAGES = ["docs/index.rst"]


@pytest.mark.parametrize("page", DOC_PAGES)
def test_documentation_examples(page):
    path = Path(__file__).resolve().parents[1] / page
    parser = doctest.DocTestParser()
    test = parser.get_doctest(path.read_text(encoding="utf-8"), {}, page, str(path), 0)
    assert test.examples, f"{page} has no >>> examples"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    old = np.get_printoptions()
    try:
        np.set_printoptions(**PRINT_OPTIONS)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            runner.run(test)
    finally:
        np.set_printoptions(**old)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} example(s) failed in {page}"
