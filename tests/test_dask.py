"""Scale-out: a grid search over alpha and dropout runs on a dask.distributed
cluster through joblib's dask backend and gives the results of n_jobs=1."""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skreg import MLPClassifier

joblib = pytest.importorskip("joblib")
distributed = pytest.importorskip("distributed")
pytest.importorskip("joblib._dask")


@pytest.fixture(scope="module")
def client():
    """A local cluster on the loopback interface, for this module only."""
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
        host="127.0.0.1", scheduler_port=0, dashboard_address=None,
    )
    with cluster, distributed.Client(cluster) as client:
        yield client


def test_grid_search_on_dask_equals_n_jobs_1(client):
    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16.0, y[:300]
    grid = {"alpha": [1e-4, 1e-2], "dropout": [0.0, 0.3]}
    est = MLPClassifier((16,), learning_rate_init=0.01, max_iter=20, random_state=0)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        local = GridSearchCV(est, grid, cv=3, n_jobs=1).fit(X, y)
        with distributed.get_task_stream(client) as stream:
            with joblib.parallel_backend("dask"):
                remote = GridSearchCV(est, grid, cv=3, n_jobs=-1).fit(X, y)

    # the 4 candidates x 3 folds really ran on the cluster (joblib batches them)
    calls = [re.search(r"_fit_and_score_(\d+)_calls", task["key"]) for task in stream.data]
    assert sum(int(m.group(1)) for m in calls if m) == 12
    assert client.scheduler_info()["address"].startswith("tcp://127.0.0.1:")

    assert remote.cv_results_["params"] == local.cv_results_["params"]
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    for k in range(3):
        assert_array_equal(
            remote.cv_results_[f"split{k}_test_score"], local.cv_results_[f"split{k}_test_score"]
        )
    assert remote.best_params_ == local.best_params_
    assert_allclose(
        remote.best_estimator_.predict_proba(X), local.best_estimator_.predict_proba(X),
        rtol=0, atol=0,
    )
    # the scores differ between candidates: the grid did something
    assert np.unique(local.cv_results_["mean_test_score"]).size > 1


def test_cv_estimator_folds_run_on_dask_and_equal_n_jobs_1(client):
    from skreg import MLPClassifierCV

    X, y = load_digits(return_X_y=True)
    X, y = X[:240] / 16.0, y[:240]
    params = dict(hidden_layer_sizes=(16,), alphas=[1e-4, 1e-2], l1_ratios=[0.0, 0.5], cv=3,
                  learning_rate_init=0.01, max_iter=15, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        local = MLPClassifierCV(n_jobs=1, **params).fit(X, y)
        with distributed.get_task_stream(client) as stream:
            with joblib.parallel_backend("dask"):
                remote = MLPClassifierCV(n_jobs=-1, **params).fit(X, y)
    # 2 l1_ratios x 3 folds: six paths ran on the cluster
    calls = [re.search(r"_fold_path_(\d+)_calls", task["key"]) for task in stream.data]
    assert sum(int(m.group(1)) for m in calls if m) == 6
    assert_array_equal(remote.scores_path_, local.scores_path_)
    assert remote.alpha_ == local.alpha_ and remote.l1_ratio_ == local.l1_ratio_
    assert_array_equal(remote.predict_proba(X), local.predict_proba(X))
