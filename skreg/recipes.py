"""Ready-made pipelines: the settings skreg recommends for a task, in one call.

:func:`make_tabular_mlp` builds the recipe of :ref:`recipe` for numeric tabular
data: robust scaling with a smooth clip, fixed periodic features of every
column, and a three-layer network trained with a planned schedule (cosine
learning rate with restarts, dropout and weight decay that fade out over the
second half of training), label smoothing and Adam with ``beta_2 = 0.95``.
It returns an ordinary scikit-learn :class:`~sklearn.pipeline.Pipeline`:
inspect it, change a step with ``set_params`` or pass it to
:class:`~sklearn.model_selection.GridSearchCV`.
"""

from sklearn.pipeline import Pipeline

from ._classifier import MLPClassifier
from ._regressor import MLPRegressor
from .optimizers import AdamW
from .preprocessing import PeriodicFeatures, SmoothClipScaler

__all__ = ["make_tabular_mlp", "TABULAR_MLP_SETTINGS"]

_TASKS = ("classification", "regression")

#: The network settings of :func:`make_tabular_mlp` shared by both tasks
#: (the optimizer is built per call: an estimator must not share one).
TABULAR_MLP_SETTINGS = {
    "hidden_layer_sizes": (256, 256, 256),
    "activation": "selu",
    "init": "data",
    "learning_rate_init": 2.5e-3,
    "learning_rate": "coslog4",
    "batch_size": 256,
    "max_iter": 256,
    "dropout": 0.15,
    "dropout_schedule": "flat_cosine",
    "n_iter_no_change": float("inf"),
}

#: The classifier's own settings: it trains on all the rows and keeps the
#: last epoch.
_CLASSIFIER_SETTINGS = {"label_smoothing": 0.1, "early_stopping": False}

#: The regressor's own settings: keep the epoch with the best score on a
#: fifth of the training rows (training still runs all epochs).
_REGRESSOR_SETTINGS = {"normalize_y": True, "early_stopping": True,
                       "validation_fraction": 0.2}

#: The optimizer: Adam with a short second-moment memory and decoupled weight
#: decay on the same flat-then-cosine schedule as dropout.
_OPTIMIZER = {"beta_2": 0.95, "weight_decay": 0.32, "weight_decay_schedule": "flat_cosine"}

#: The input steps.
_SCALER = {"unit_variance": True, "clip": 10.0}
_PERIODIC = {"n_frequencies": 8, "sigma": 0.1}


def make_tabular_mlp(task="classification", *, random_state=None, **overrides):
    """Build skreg's recommended pipeline for numeric tabular data.

    The pipeline has three steps: ``"scale"``, a
    :class:`~skreg.preprocessing.SmoothClipScaler`
    (centered on the median, divided by the inter-quartile range over 1.349,
    so a normal column gets unit variance, then ``x / sqrt(1 + (x / 10)^2)``,
    which bounds outliers by 10);
    ``"periodic"``, :class:`~skreg.preprocessing.PeriodicFeatures` (each
    column kept, plus sines and cosines of it at fixed random frequencies);
    and ``"mlp"``, an :class:`~skreg.MLPClassifier` or
    :class:`~skreg.MLPRegressor` with the recipe's settings. Each setting
    and the measurement behind it are in :ref:`recipe`.

    Parameters
    ----------
    task : {"classification", "regression"}, default="classification"
        Which network ends the pipeline.
    random_state : int, RandomState instance or None, default=None
        Seed of the periodic features' frequencies and of the network's
        training (initial weights, batches, dropout). An int gives the same
        model on every fit.
    **overrides
        Settings that replace the recipe's. A plain name (``dropout=0.3``,
        ``max_iter=100``) goes to the network; a name with a step prefix
        (``periodic__sigma=0.3``, ``scale__clip=5.0``) goes to that step, as
        in :meth:`~sklearn.pipeline.Pipeline.set_params`; a step name
        replaces the step (``periodic="passthrough"`` drops the periodic
        features).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        The unfitted pipeline ``scale -> periodic -> mlp``.

    Raises
    ------
    ValueError
        If ``task`` is not one of the two tasks, or an override names no
        parameter of the network or of the named step.

    See Also
    --------
    skreg.preprocessing.SmoothClipScaler, skreg.preprocessing.PeriodicFeatures

    Notes
    -----
    The settings follow the RealMLP-TD defaults of Holzmueller, Grinsztajn and
    Steinwart (2024), "Better by default: strong pre-tuned MLPs and boosted
    trees on tabular data", translated to a network with one learning rate
    for all its weights and with fixed (not learned) periodic features; the
    learning rate, the weight-decay rate and the input scaling are re-measured
    for that setting.
    Training runs the planned ``max_iter`` epochs, as the schedules are
    planned over them. The regressor also sets a fifth of the training rows
    aside and keeps the weights of its best epoch on them
    (``early_stopping=True, validation_fraction=0.2`` with
    ``n_iter_no_change=inf``); the classifier trains on all rows and keeps
    the last epoch. Set a finite ``n_iter_no_change`` to stop early instead.

    Examples
    --------
    >>> from skreg.recipes import make_tabular_mlp
    >>> model = make_tabular_mlp(random_state=0)
    >>> [name for name, _ in model.steps]
    ['scale', 'periodic', 'mlp']
    >>> mlp = model.named_steps["mlp"]
    >>> mlp.hidden_layer_sizes, mlp.activation, mlp.learning_rate, mlp.max_iter
    ((256, 256, 256), 'selu', 'coslog4', 256)
    >>> make_tabular_mlp("regression", dropout=0.3).named_steps["mlp"].dropout
    0.3

    Fit it like any estimator: ``model.fit(X_train, y_train).score(X_test,
    y_test)``.
    """
    if task not in _TASKS:
        raise ValueError(
            f"task must be one of {_TASKS}; got {task!r}."
        )
    settings = dict(TABULAR_MLP_SETTINGS)
    if task == "classification":
        settings.update(_CLASSIFIER_SETTINGS)
        estimator = MLPClassifier
    else:
        settings.update(_REGRESSOR_SETTINGS)
        estimator = MLPRegressor
    settings["optimizer"] = AdamW(**_OPTIMIZER)
    mlp = estimator(**settings, random_state=random_state)
    pipeline = Pipeline([
        ("scale", SmoothClipScaler(**_SCALER)),
        ("periodic", PeriodicFeatures(**_PERIODIC, random_state=random_state)),
        ("mlp", mlp),
    ])
    step_names = {name for name, _ in pipeline.steps}
    routed = {}
    for key, value in overrides.items():
        prefix = key.split("__", 1)[0]
        if key in step_names or ("__" in key and prefix in step_names):
            routed[key] = value  # a whole step, or a step's parameter
        else:
            routed[f"mlp__{key}"] = value
    if routed:
        pipeline.set_params(**routed)
    return pipeline
