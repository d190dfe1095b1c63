"""Test-session settings.

BLAS runs single-threaded in the tests: the suite fits many small networks,
for which thread start-up costs more than it saves, and a multithreaded BLAS
on a loaded 2-core machine can be slower by an order of magnitude. Results do
not depend on it; speed is measured in benchmarks/, not here.
"""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def _single_threaded_blas():
    with threadpool_limits(limits=1, user_api="blas"):
        yield
