"""Test-session settings.

BLAS runs single-threaded in the tests: the suite fits many small networks,
for which thread start-up costs more than it saves, and a multithreaded BLAS
on a loaded 2-core machine can be slower by an order of magnitude. Results do
not depend on it; speed is measured in benchmarks/, not here.

SCIPY_ARRAY_API is switched on (before scipy is imported) so that
scikit-learn's estimator checks also run their array-API check, which calls
the estimators with array-API dispatch enabled on numpy input; without it
scikit-learn skips that check.
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")

import pytest  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _single_threaded_blas():
    with threadpool_limits(limits=1, user_api="blas"):
        yield
