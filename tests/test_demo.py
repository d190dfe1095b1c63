"""The demo behind ``python -m skreg``."""

import subprocess
import sys

import numpy as np

from skreg.__main__ import main


def test_demo_prints_the_path_and_the_choice(capsys):
    model = main(["--alphas", "0.001", "0.1", "10", "--cv", "3", "--max-iter", "20",
                  "--hidden", "8"])
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [float(r[0]) for r in rows] == [0.001, 0.1, 10.0]
    cv = model[-1]
    scores = [float(r[1]) for r in rows]
    assert scores == list(cv.scores_path_[0].mean(axis=1).round(4))
    best = [float(r[0]) for r in rows if "best" in " ".join(r)]
    assert best == [cv.alpha_best_] and cv.alpha_best_ == [0.001, 0.1, 10.0][int(np.argmax(scores))]
    assert f"chosen alpha {cv.alpha_:.4g}" in out
    assert "GridSearchCV, same alphas and folds: best alpha" in out


def test_demo_help():
    result = subprocess.run(
        [sys.executable, "-m", "skreg", "--help"], capture_output=True, text=True, check=True
    )
    assert "--alphas" in result.stdout and "usage: python -m skreg" in result.stdout
