"""Record the golden outputs of the skreg estimators to ``goldens.npz``.

Fits every configuration of :func:`configs.configurations` (the matrix is
described in ``configs.py``) twice: with skreg's compiled numba kernels
(``SKREG_DISABLE_NUMBA`` unset; key prefix ``numba/``) and with its numpy path
(``SKREG_DISABLE_NUMBA=1``; key prefix ``numpy/``). For each it saves, under
``"<setting>/<config-id>/<name>"``, what :func:`configs.fit_and_collect`
returns: every ``coefs_`` and ``intercepts_`` array, ``loss_curve_``,
``validation_scores_`` (with early stopping), ``n_iter_`` and the predictions
on a fixed test X. ``tests/test_golden.py`` refits the same configurations
and compares the results with these arrays bit for bit.

Regenerate
----------
From the repository root, with the code whose outputs are to be frozen::

    python tests/golden/record_goldens.py

To record another checkout's skreg (for example the commit before a
redesign), put it first on the path::

    PYTHONPATH=/path/to/checkout python tests/golden/record_goldens.py

The script prints which skreg it imported. It needs numba (to record the
``numba/`` outputs) and refuses to run without it. ``SCIPY_ARRAY_API=1`` is
set, as ``tests/conftest.py`` sets it for the test session. ``--output``
writes elsewhere (to check that two recordings agree).
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("SCIPY_ARRAY_API", "1")  # as in tests/conftest.py, before scipy

import numpy as np  # noqa: E402

import configs  # noqa: E402  (tests/golden is the script's directory)


def record(settings=configs.SETTINGS):
    """Fit every configuration under every setting and collect the outputs.

    Parameters
    ----------
    settings : sequence of {"numba", "numpy"}, default=configs.SETTINGS
        The ways of running skreg to record.

    Returns
    -------
    dict of str to ndarray
        The outputs, by ``"<setting>/<config-id>/<name>"`` key.
    """
    arrays = {}
    for setting in settings:
        with configs.numba_setting(setting):
            for config in configs.configurations():
                for name, value in configs.fit_and_collect(config).items():
                    arrays[configs.golden_key(setting, config.config_id, name)] = value
    return arrays


def _check_numba():
    """Stop with a message where numba does not import."""
    try:
        import numba
    except ImportError as exc:
        sys.exit(f"numba does not import ({exc}); the numba/ goldens cannot be recorded.")
    return numba.__version__


def _parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output", type=Path, default=configs.GOLDEN_PATH,
        help=f"where to write the npz file (default: {configs.GOLDEN_PATH})",
    )
    return parser.parse_args(argv)


def main(argv=None):
    """Record the goldens and write them to the output file."""
    args = _parse_args(argv)
    numba_version = _check_numba()
    import skreg

    print(f"skreg {skreg.__version__} from {Path(skreg.__file__).parent}")
    print(f"numpy {np.__version__}, numba {numba_version}")
    start = time.perf_counter()
    arrays = record()
    elapsed = time.perf_counter() - start
    np.savez_compressed(args.output, **arrays)
    n_configs = sum(1 for _ in configs.configurations())
    print(
        f"{n_configs} configurations x {len(configs.SETTINGS)} settings, "
        f"{len(arrays)} arrays in {elapsed:.1f} s -> {args.output} "
        f"({args.output.stat().st_size / 1e6:.2f} MB)"
    )


if __name__ == "__main__":
    main()
