"""Speed and memory figures quoted in the documentation are the benchmark's.

The landing page, the install page and the performance page quote results of
``benchmarks/bench_mlp.py``; ``benchmarks/README.md`` keeps the current ones.
Every ratio (``0.41x``) and time or memory figure quoted on those pages must
appear in the README's result tables, so that a new benchmark run cannot
leave stale numbers in the documentation.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
PAGES = ["docs/index.rst", "docs/install.rst", "docs/user_guide/performance.rst"]

RATIO = re.compile(r"\b(\d\.\d\d)x\b")
SECONDS = re.compile(r"\((\d\.\d{3}) / (\d\.\d{3}) s\)")


def _table_cells(markdown):
    return {cell.strip() for line in markdown.splitlines() if line.startswith("|")
            for cell in line.strip("|").split("|")}


CELLS = _table_cells(README)


def test_readme_tables_are_read():
    assert {"0.41x", "0.206", "0.497", "14.80"} <= CELLS


@pytest.mark.parametrize("page", PAGES)
def test_quoted_ratios_come_from_the_benchmark(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    ratios = RATIO.findall(text)
    missing = [r for r in ratios if f"{r}x" not in CELLS]
    assert not missing, f"{page} quotes ratios not in benchmarks/README.md: {missing}"


def test_quoted_times_come_from_the_benchmark():
    text = (ROOT / "docs" / "user_guide" / "performance.rst").read_text(encoding="utf-8")
    pairs = SECONDS.findall(text)
    assert len(pairs) == 9
    rows = [line for line in README.splitlines() if line.startswith("|")]
    for skreg_time, sklearn_time in pairs:
        # skreg's time and scikit-learn's time on one row of one table
        assert any(f"| {sklearn_time} | {skreg_time} |" in row for row in rows), (
            skreg_time, sklearn_time)
