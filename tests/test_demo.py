"""The demo behind ``python -m skreg``."""

import subprocess
import sys

from skreg.__main__ import main


def test_demo_prints_alpha_score_norm_table(capsys):
    search = main(["--alphas", "0.001", "1", "--cv", "3", "--max-iter", "30"])
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [float(r[0]) for r in rows] == [0.001, 1.0]
    scores = [float(r[1]) for r in rows]
    norms = [float(r[3]) for r in rows]
    assert norms[1] < norms[0]  # a stronger penalty, smaller weights
    assert scores == list(search.cv_results_["mean_test_score"].round(4))


def test_demo_help():
    result = subprocess.run(
        [sys.executable, "-m", "skreg", "--help"], capture_output=True, text=True, check=True
    )
    assert "--alphas" in result.stdout and "usage: python -m skreg" in result.stdout
