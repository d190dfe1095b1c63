"""Golden outputs: the estimators reproduce the recorded results bit for bit.

``tests/golden/goldens.npz`` holds the outputs of every configuration of
``tests/golden/configs.py`` (weights, loss curve, validation scores, epoch
count, predictions; see that module for the matrix), recorded with the
compiled numba kernels and with the numpy path (``SKREG_DISABLE_NUMBA=1``)
by ``python tests/golden/record_goldens.py``. Each test refits one
configuration under one setting with the code under test and compares every
output with ``np.testing.assert_array_equal``, dtype, shape and bits included
(signed zeros too). The numba setting is skipped only where numba does not
import.

TOLERANCES
    Maps a selector to an rtol. Where the redesign changes the order of
    floating-point operations on purpose, the config is compared to rtol 1e-12
    and the reason is written next to it. A selector is a substring of
    ``"<setting>/<config-id>"`` (for example ``"-adamw-"`` or
    ``"numpy/reg-lbfgs-"``) or a predicate called with ``(setting, config)``
    (a :class:`configs.Config`) that returns True for the configs it covers.
    Where several match, the largest rtol applies; the comparison is then
    ``np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol *
    max|expected|)``.
    Every other config is compared bit for bit.

A test failing here after an intended change of results means the goldens
must be recorded again (and the change explained in the commit); the test
that the file holds exactly the configurations of ``configs.py`` keeps the
matrix and the file from drifting apart.
"""

import importlib.util
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

# Nesterov's update is taken as one increment, theta += (momentum * v - lr * g),
# where it used to be two (theta += momentum * v, then theta -= lr * g): the
# rule is one link of the update chain now, whose increment the apply link
# adds. Same formula, one rounding less; float32 rounds at about 6e-8, so its
# configs are compared at a float32-sized tolerance.
def _nesterov(dtype):
    return lambda setting, config: "nesterov" in config.config_id and dtype in config.config_id


TOLERANCES = {_nesterov("float64"): 1e-12, _nesterov("float32"): 1e-4}


def _load_configs():
    """``tests/golden/configs.py``, imported by path (tests/ is no package)."""
    path = Path(__file__).parent / "golden" / "configs.py"
    spec = importlib.util.spec_from_file_location("skreg_golden_configs", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


configs = _load_configs()
CONFIGS = list(configs.configurations())


def _numba_imports():
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


NO_NUMBA = pytest.mark.skipif(
    not _numba_imports(),
    reason="numba does not import, so skreg cannot run its compiled kernels: "
    "the numba/ goldens are not checked",
)


def _cases():
    """One pytest parameter per (setting, config)."""
    for setting in configs.SETTINGS:
        marks = [NO_NUMBA] if setting == "numba" else []
        for config in CONFIGS:
            yield pytest.param(setting, config, id=f"{setting}/{config.config_id}", marks=marks)


@lru_cache(maxsize=1)
def _goldens():
    """All recorded arrays, grouped by ``(setting, config_id)`` and then by
    output name (read once per session)."""
    if not configs.GOLDEN_PATH.exists():
        pytest.fail(
            f"{configs.GOLDEN_PATH} is missing; record it with "
            "`python tests/golden/record_goldens.py`."
        )
    grouped = {}
    with np.load(configs.GOLDEN_PATH, allow_pickle=False) as data:
        for key in data.files:
            setting, config_id, name = key.split("/", 2)
            grouped.setdefault((setting, config_id), {})[name] = data[key]
    return grouped


def tolerance(setting, config):
    """The rtol of a config under a setting, or None for bit-for-bit equality.

    Parameters
    ----------
    setting : {"numba", "numpy"}
        How skreg runs.
    config : configs.Config
        The configuration.

    Returns
    -------
    float or None
        The largest rtol of the ``TOLERANCES`` entries that select the
        config; None where none does.
    """
    name = f"{setting}/{config.config_id}"
    rtols = [
        rtol
        for selector, rtol in TOLERANCES.items()
        if (selector in name if isinstance(selector, str) else selector(setting, config))
    ]
    return max(rtols) if rtols else None


def _scale(expected):
    """The largest finite magnitude of ``expected`` (1 if there is none): an
    rtol is relative to the array's scale, so that entries near zero, where
    a rounding is a large relative change, do not fail alone."""
    finite = np.abs(expected[np.isfinite(expected)]) if expected.size else expected
    return float(finite.max()) if finite.size else 1.0


def assert_same_output(actual, expected, rtol, where):
    """``actual`` equals ``expected``: dtype, shape, and bits (or to ``rtol``).

    Parameters
    ----------
    actual, expected : ndarray
        The refitted and the recorded output.
    rtol : float or None
        None for bit-for-bit equality.
    where : str
        Names the config and the output in the failure message.
    """
    assert actual.dtype == expected.dtype, (
        f"{where}: dtype {actual.dtype}, recorded {expected.dtype}"
    )
    assert actual.shape == expected.shape, (
        f"{where}: shape {actual.shape}, recorded {expected.shape}"
    )
    if rtol is not None:
        atol = rtol * _scale(expected)
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=where)
        return
    np.testing.assert_array_equal(actual, expected, err_msg=where)
    # equal numbers may still differ in bits: -0.0 and 0.0, NaN payloads
    assert actual.tobytes() == expected.tobytes(), (
        f"{where}: equal as numbers but not bit for bit (signed zeros or NaN payloads)"
    )


@pytest.mark.parametrize(("setting", "config"), list(_cases()))
def test_reproduces_goldens(setting, config):
    expected = _goldens().get((setting, config.config_id), {})
    with configs.numba_setting(setting):
        actual = configs.fit_and_collect(config)
    where = (
        f"golden config {setting}/{config.config_id} ({config.estimator}, "
        f"procedure={config.procedure!r}, data={tuple(config.data)}, params={config.params})"
    )
    assert sorted(actual) == sorted(expected), (
        f"{where}: outputs {sorted(actual)}, recorded {sorted(expected)}"
    )
    rtol = tolerance(setting, config)
    for name in sorted(expected):
        assert_same_output(actual[name], expected[name], rtol, f"{where}, output {name!r}")


def test_goldens_hold_exactly_the_configurations():
    ids = [config.config_id for config in CONFIGS]
    assert len(ids) == len(set(ids)), "configs.configurations() repeats a config_id"
    recorded = set(_goldens())
    wanted = {(setting, config_id) for setting in configs.SETTINGS for config_id in ids}
    missing, extra = sorted(wanted - recorded), sorted(recorded - wanted)
    assert not missing and not extra, (
        f"{configs.GOLDEN_PATH.name} and configs.configurations() differ; record again with "
        f"`python tests/golden/record_goldens.py`. Not recorded: {missing[:10]} "
        f"({len(missing)}); recorded but not configured: {extra[:10]} ({len(extra)})"
    )
