"""The one place where skreg touches private scikit-learn API.

Everything imported here is re-exported under a stable name, so a change in
scikit-learn's internals is fixed in this module alone.
"""

import numpy as np
from sklearn.utils._param_validation import (  # noqa: F401
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    make_constraint,
    validate_parameter_constraints,
)
from sklearn.utils import _safe_indexing as safe_indexing  # noqa: F401
from sklearn.utils.validation import _check_sample_weight as check_sample_weight  # noqa: F401
from sklearn.utils.validation import _check_feature_names_in as check_feature_names_in  # noqa: F401
from sklearn.utils.validation import validate_data  # noqa: F401


def validate_params(obj):
    """Check ``obj``'s constructor parameters against its
    ``_parameter_constraints``; raise ``ValueError``/``TypeError`` naming the
    parameter and the allowed values.

    Unlike scikit-learn's check, a bool is not taken for a number: ``True``
    passes an ``Interval`` (bool is an ``Integral``), but a parameter whose
    only bool-accepting constraints are intervals refuses it.
    """
    params = obj.get_params(deep=False)
    name_of_caller = type(obj).__name__
    validate_parameter_constraints(
        obj._parameter_constraints, params, caller_name=name_of_caller
    )
    for name, value in params.items():
        if not isinstance(value, (bool, np.bool_)) or name not in obj._parameter_constraints:
            continue
        constraints = [make_constraint(c) for c in obj._parameter_constraints[name]]
        accepting = [c for c in constraints if c.is_satisfied_by(value)]
        if accepting and all(isinstance(c, Interval) for c in accepting):
            allowed = " or ".join(str(c) for c in constraints if not c.hidden)
            raise InvalidParameterError(
                f"The {name!r} parameter of {name_of_caller} must be {allowed}, "
                f"not a bool. Got {value!r} instead."
            )


__all__ = [
    "HasMethods",
    "Interval",
    "Options",
    "StrOptions",
    "check_feature_names_in",
    "check_sample_weight",
    "safe_indexing",
    "validate_data",
    "validate_params",
]
