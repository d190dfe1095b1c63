"""MLPRegressor: regression losses and MC-dropout predictions."""

import numpy as np
from sklearn.base import RegressorMixin

from ._base import BaseMLP
from ._checks import warn_if_not_finite
from ._settings import partial_fit_method
from ._compat import StrOptions
from ._docstrings import NORMALIZE_Y, fill_docstring
from .losses import LOSSES


def target_scaling(Y, sample_weight, normalize_y, loss):
    """``(shift, scale)`` per output that standardize the targets ``Y``
    (weighted by ``sample_weight``), or ``(None, None)`` when
    ``normalize_y`` is False.

    The squared error is centered at the weighted mean and divided by the
    weighted standard deviation; the Poisson deviance, whose targets must
    stay non-negative, is only divided by the weighted mean (no shift). A
    scale of 0 (a constant target, or all-zero counts) becomes 1.
    """
    if not normalize_y:
        return None, None
    Y = np.asarray(Y, dtype=np.float64)
    weights = np.asarray(sample_weight, dtype=np.float64)
    weights = weights / weights.sum()
    mean = weights @ Y
    if loss == "poisson":
        shift, scale = np.zeros_like(mean), mean
    else:
        shift, scale = mean, np.sqrt(weights @ (Y - mean) ** 2)
    # a spread at rounding level of the mean is a constant target
    tiny = 10 * np.finfo(np.float64).eps * np.abs(mean)
    scale = np.where((scale > tiny) & (scale > 0) & np.isfinite(scale), scale, 1.0)
    return shift, scale


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor with elastic-net, dropout and friends.

    Minimizes the weighted mean loss plus
    ``alpha * ((1 - l1_ratio) / 2 * ||W||^2 + l1_ratio * ||W||_1)`` summed over
    the weight matrices; the penalty does not depend on the number of samples
    or the batch size. ``predict(X, return_std=True)`` gives MC-dropout
    uncertainty estimates.

    Parameters
    ----------
{parameters}    loss : {"squared_error", "poisson"}, default="squared_error"
        Half squared error with an identity output, or half Poisson deviance
        with a log link (exp output; y must be non-negative). Both are
        averaged over the outputs.
{normalize_y}
    Attributes
    ----------
{attributes}    out_activation_ : str
        ``"identity"`` or ``"exp"``.

    See Also
    --------
    MLPClassifier : The same network for classification.
    sklearn.neural_network.MLPRegressor : scikit-learn's MLP regressor, with
        L2 only and an ``alpha`` that depends on the batch size.
    sklearn.linear_model.ElasticNet : The linear model that
        ``hidden_layer_sizes=()`` fits with the squared error (the same
        objective, with the same ``alpha`` and ``l1_ratio``).

    Examples
    --------
    Friedman's regression problem is not linear in its inputs: one hidden layer
    explains far more of the held-out variance than a linear model does.

    >>> from sklearn.datasets import make_friedman1
    >>> from skreg import MLPRegressor
    >>> X, y = make_friedman1(n_samples=500, noise=0.5, random_state=0)
    >>> X_train, X_test, y_train, y_test = X[:400], X[400:], y[:400], y[400:]
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01,
    ...                    max_iter=1000, random_state=0).fit(X_train, y_train)
    >>> round(reg.score(X_test, y_test), 2)
    0.93
    >>> linear = MLPRegressor(hidden_layer_sizes=(), optimizer="lbfgs").fit(X_train, y_train)
    >>> round(linear.score(X_test, y_test), 2)
    0.73
    """

    __doc__ = fill_docstring(
        __doc__, "``predict(X, return_std=True)``", "linear regression"
    ).replace("{normalize_y}", NORMALIZE_Y)

    _parameter_constraints = {
        **BaseMLP._parameter_constraints,
        "loss": [StrOptions(set(LOSSES))],
        "normalize_y": ["boolean"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss="squared_error",
        normalize_y=True,
        alpha=1e-4,
        l1_ratio=0.0,
        group_alpha=0.0,
        dropout=0.0,
        input_dropout=0.0,
        dropconnect=0.0,
        noise_std=0.0,
        mixup_alpha=0.0,
        max_norm=None,
        init="glorot_uniform",
        optimizer="adam",
        learning_rate_init="auto",
        learning_rate="constant",
        power_t=0.5,
        warmup=0.0,
        dropout_schedule="constant",
        batch_size="auto",
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        n_steps_no_change=0,
        average=False,
        scoring="loss",
        mc_samples=50,
        verbose=0,
        warm_start=False,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            alpha=alpha,
            l1_ratio=l1_ratio,
            group_alpha=group_alpha,
            dropout=dropout,
            input_dropout=input_dropout,
            dropconnect=dropconnect,
            noise_std=noise_std,
            mixup_alpha=mixup_alpha,
            max_norm=max_norm,
            init=init,
            optimizer=optimizer,
            learning_rate_init=learning_rate_init,
            learning_rate=learning_rate,
            power_t=power_t,
            warmup=warmup,
            dropout_schedule=dropout_schedule,
            batch_size=batch_size,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_steps_no_change=n_steps_no_change,
            average=average,
            scoring=scoring,
            mc_samples=mc_samples,
            verbose=verbose,
            warm_start=warm_start,
        )
        self.loss = loss
        self.normalize_y = normalize_y

    def _make_loss(self):
        return LOSSES[self.loss]()

    def _encode_targets(self, y, first_call, incremental, classes):
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' needs non-negative y; y has negative values.")
        if first_call:
            self._y_is_1d = y.ndim == 1
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        return np.asarray(Y, dtype=np.float64), None

    def _training_targets(self, Y, sample_weight, first_call):
        """The targets standardized with the scaling of the first call
        (``normalize_y``; unchanged without it)."""
        if first_call:
            self._y_shift, self._y_scale = target_scaling(
                Y, sample_weight, self.normalize_y, self.loss
            )
        if getattr(self, "_y_scale", None) is None:
            return Y
        scaled = (np.asarray(Y, dtype=np.float64) - self._y_shift) / self._y_scale
        return scaled.astype(Y.dtype, copy=False)

    def _to_target_units(self, values, spread=False):
        """Network outputs (after the link) back in the units of y; a
        ``spread`` (a standard deviation) is only rescaled."""
        scale = getattr(self, "_y_scale", None)
        if scale is None:
            return values
        out = values * scale if spread else values * scale + self._y_shift
        return out.astype(values.dtype, copy=False)

    @partial_fit_method
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over the given data.

        Not available with ``optimizer="lbfgs"``; with ``early_stopping=True``
        it raises scikit-learn's ``ValueError`` ("partial_fit does not support
        early_stopping=True"), and ``hasattr(model, "partial_fit")`` is False.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._partial_fit(X, y, sample_weight)

    def _shape_output(self, values):
        return values.ravel() if self._y_is_1d else values

    def predict(self, X, return_std=False):
        """Predicted targets, optionally with an MC-dropout uncertainty.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        return_std : bool, default=False
            If True, run ``mc_samples`` passes with the training dropout masks
            switched on and return their mean and standard deviation (MC
            dropout, Gal & Ghahramani 2016). Needs a dropout, input_dropout or
            dropconnect rate above 0; otherwise a ``ValueError`` is raised.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions (the MC mean when ``return_std=True``).
        y_std : ndarray, same shape as ``y_pred``
            Standard deviation over the passes; only when ``return_std=True``.
        """
        link = self._make_loss().predict
        if return_std:
            means, stds = [], []
            for block in self._mc_blocks(X):
                with np.errstate(over="ignore", invalid="ignore"):
                    passes = np.stack([link(z) for z in block])
                    # float64 sums: the squares of float32 outputs overflow early
                    means.append(passes.mean(axis=0, dtype=np.float64).astype(passes.dtype))
                    stds.append(passes.std(axis=0, dtype=np.float64).astype(passes.dtype))
            mean, std = np.concatenate(means), np.concatenate(stds)
            with np.errstate(over="ignore", invalid="ignore"):
                mean = self._to_target_units(mean)
                std = self._to_target_units(std, spread=True)
            warn_if_not_finite(np.hstack([mean.reshape(len(mean), -1), std.reshape(len(std), -1)]))
            return self._shape_output(mean), self._shape_output(std)
        z = self._raw_output(X, warn=False)
        with np.errstate(over="ignore", invalid="ignore"):
            y_pred = self._to_target_units(link(z))
        warn_if_not_finite(y_pred)
        return self._shape_output(y_pred)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.loss == "poisson":
            tags.target_tags.positive_only = True
        return tags
