"""The one place where skreg touches private scikit-learn API.

Everything imported here is re-exported under a stable name, so a change in
scikit-learn's internals is fixed in this module alone.
"""

from sklearn.utils._param_validation import (  # noqa: F401
    HasMethods,
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils import _safe_indexing as safe_indexing  # noqa: F401
from sklearn.utils.validation import _check_sample_weight as check_sample_weight  # noqa: F401
from sklearn.utils.validation import validate_data  # noqa: F401


def validate_params(obj):
    """Check ``obj``'s constructor parameters against its
    ``_parameter_constraints``; raise ``ValueError``/``TypeError`` naming the
    parameter and the allowed values."""
    validate_parameter_constraints(
        obj._parameter_constraints,
        obj.get_params(deep=False),
        caller_name=type(obj).__name__,
    )


__all__ = [
    "HasMethods",
    "Interval",
    "StrOptions",
    "check_sample_weight",
    "safe_indexing",
    "validate_data",
    "validate_params",
]
