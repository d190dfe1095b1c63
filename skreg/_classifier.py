"""MLPClassifier: label encoding, probabilities and classifier tags."""

from numbers import Real

import numpy as np
from scipy.special import expit, log_expit, log_softmax, softmax
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight
from sklearn.utils.multiclass import type_of_target

from ._base import BaseMLP
from ._checks import check_labels, warn_if_not_finite
from ._compat import Interval, StrOptions, check_sample_weight
from ._settings import partial_fit_method
from ._docstrings import CLASS_WEIGHT, LABEL_SMOOTHING, fill_docstring
from .losses import LogisticCrossEntropy, SoftmaxCrossEntropy


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier with elastic-net, dropout and friends.

    Minimizes the weighted mean cross-entropy plus
    ``alpha * ((1 - l1_ratio) / 2 * ||W||^2 + l1_ratio * ||W||_1)`` summed over
    the weight matrices; the penalty does not depend on the number of samples
    or the batch size. Softmax output for multiclass problems, one logistic
    unit for binary problems, one logistic unit per label for multilabel
    indicator targets.

    Parameters
    ----------
{parameters}{class_weight}
    Attributes
    ----------
    classes_ : ndarray
        Class labels.
{attributes}    out_activation_ : str
        ``"softmax"`` or ``"logistic"``.

    See Also
    --------
    MLPRegressor : The same network for regression.
    sklearn.neural_network.MLPClassifier : scikit-learn's MLP classifier, with
        L2 only and an ``alpha`` that depends on the batch size.
    sklearn.linear_model.LogisticRegression : The linear model that
        ``hidden_layer_sizes=()`` fits (with ``l1_ratio`` for its elastic net).

    Notes
    -----
    As scikit-learn's MLP does, a ``y`` with a single class is accepted:
    ``classes_`` holds that class, ``predict`` returns it, and
    ``predict_proba`` returns a column of ones (one column per class in
    ``classes_``).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skreg import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(20,), learning_rate_init=0.01,
    ...                     max_iter=500, random_state=0).fit(X, y)
    >>> clf.n_iter_
    162
    >>> clf.score(X, y)
    0.98
    >>> clf.predict(X[[0, 50, 100]])
    array([0, 1, 2])
    """

    __doc__ = fill_docstring(
        __doc__, "``predict_proba(X, mc_dropout=True)``", "logistic regression"
    ).replace("{class_weight}", CLASS_WEIGHT + LABEL_SMOOTHING)

    _encode_targets_classifier = True

    _parameter_constraints = {
        **BaseMLP._parameter_constraints,
        "class_weight": [dict, list, StrOptions({"balanced"}), None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
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
        class_weight=None,
        label_smoothing=0.0,
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
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing

    def _encode_targets(self, y, first_call, incremental, classes):
        check_labels(y)
        if type_of_target(y) == "multiclass-multioutput":
            raise ValueError(
                "Multioutput target data is not supported with label binarization: "
                f"y has {y.shape[1]} columns of labels (a multiclass-multioutput "
                f"target); {type(self).__name__} takes one label per row or a "
                "multilabel indicator matrix of 0/1 columns. Use "
                "sklearn.multioutput.MultiOutputClassifier for one model per column."
            )
        if first_call:
            self._multilabel = type_of_target(y) == "multilabel-indicator"
            if self._multilabel:
                self.classes_ = np.arange(y.shape[1])
            else:
                if incremental and classes is None:
                    raise ValueError(
                        "classes must be passed on the first call to partial_fit."
                    )
                self.classes_ = np.unique(y) if classes is None else np.unique(classes)
        elif self._multilabel != (type_of_target(y) == "multilabel-indicator"):
            kind = "a multilabel indicator matrix" if self._multilabel else "one label per row"
            raise ValueError(f"y must be {kind}, as in the first fit of this model.")
        elif self.warm_start and not incremental:
            self._check_warm_start_classes(y)
        elif classes is not None and not self._multilabel and not np.array_equal(
            np.unique(classes), self.classes_
        ):
            raise ValueError(
                f"classes={np.unique(classes).tolist()} differs from the classes "
                f"{self.classes_.tolist()} of the first call to partial_fit."
            )
        if self._multilabel:
            return np.asarray(y, dtype=np.float64), None
        y = np.ravel(y)
        unseen = np.setdiff1d(y, self.classes_)
        if unseen.size:
            raise ValueError(
                f"y contains labels not in classes_ {self.classes_.tolist()}: "
                f"{unseen.tolist()}."
            )
        index = np.searchsorted(self.classes_, y)
        if len(self.classes_) == 1:
            # the one logistic unit learns that the only class is certain
            return np.ones((y.shape[0], 1)), index
        if len(self.classes_) == 2:
            return index[:, None].astype(np.float64), index
        Y = np.zeros((y.shape[0], len(self.classes_)))
        Y[np.arange(y.shape[0]), index] = 1.0
        return Y, index

    def _check_warm_start_classes(self, y):
        """A warm-started fit continues the fitted output layer: y must
        have the classes (the labels) of the previous fit, all of them."""
        present = np.arange(y.shape[1]) if self._multilabel else np.unique(y)
        if not np.array_equal(present, self.classes_):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in "
                f"the previous call to fit. Previously got {self.classes_}, `y` has "
                f"{present}"
            )

    def _weighted_by_class(self, sample_weight, X, y, strata, incremental):
        """``sample_weight`` times the weight of each sample's class (the
        product over the labels for multilabel targets)."""
        if self.class_weight is None:
            return sample_weight
        if self._multilabel:
            weights = compute_sample_weight(self.class_weight, np.asarray(y, dtype=int))
        else:
            if isinstance(self.class_weight, list):
                raise ValueError(
                    "class_weight as a list of dicts (one per label) is for multilabel "
                    "indicator targets; for one label per row pass a dict "
                    "{class_label: weight} or 'balanced'."
                )
            weights = compute_class_weight(
                self.class_weight, classes=self.classes_, y=np.ravel(y)
            )[strata]
        if sample_weight is None:
            return weights
        sample_weight = check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        return sample_weight * weights

    def _training_targets(self, Y, sample_weight, first_call):
        """The encoded targets, smoothed by ``label_smoothing``: each row of
        a softmax output moves to ``(1 - eps) * onehot + eps / K``, each
        logistic output to ``(1 - eps) * y + eps / 2``."""
        eps = self.label_smoothing
        if not eps:
            return Y
        n_choices = Y.shape[1] if self._make_loss().out_activation == "softmax" else 2
        smoothed = (1.0 - eps) * np.asarray(Y, dtype=np.float64) + eps / n_choices
        return smoothed.astype(Y.dtype, copy=False)

    def _make_loss(self):
        if self._multilabel or len(self.classes_) <= 2:
            return LogisticCrossEntropy()
        return SoftmaxCrossEntropy()

    @partial_fit_method
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with one epoch over the given data.

        Not available with ``optimizer="lbfgs"``; with ``early_stopping=True``
        it raises scikit-learn's ``ValueError`` ("partial_fit does not support
        early_stopping=True"), and ``hasattr(model, "partial_fit")`` is False.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.
        classes : array-like, default=None
            All the classes, required on the first call (except for
            multilabel indicator targets). ``class_weight="balanced"`` is
            refused here (a batch cannot estimate it); pass a dict.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            # scikit-learn's SGDClassifier message
            raise ValueError(
                "class_weight 'balanced' is not supported for partial_fit. In order "
                "to use 'balanced' weights, use compute_class_weight('balanced', "
                "classes=classes, y=y). In place of y you can use a large enough "
                "sample of the full training set target to properly estimate the "
                "class frequency distributions. Pass the resulting weights as the "
                "class_weight parameter."
            )
        return self._partial_fit(X, y, sample_weight, classes)

    def _probabilities_from_raw(self, z):
        if self._multilabel:
            # a label's probability is reported below 1 even where the
            # logistic function rounds to 1.0 in floating point
            return np.minimum(expit(z), np.nextafter(1.0, 0.0, dtype=z.dtype))
        if len(self.classes_) == 1:
            return np.ones_like(z)
        if len(self.classes_) == 2:
            return np.hstack([expit(-z), expit(z)])
        with np.errstate(invalid="ignore"):  # inf - inf: _raw_output warned
            return softmax(z, axis=1)

    def predict_proba(self, X, mc_dropout=False):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        mc_dropout : bool, default=False
            If True, average the probabilities of ``mc_samples`` passes with
            the training dropout masks switched on (MC dropout, Gal &
            Ghahramani 2016). Needs a dropout, input_dropout or dropconnect
            rate above 0.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class (of each label, for multilabel targets).
        """
        if mc_dropout:
            proba, finite = [], []
            for passes in self._mc_blocks(X):
                finite.append(np.isfinite(np.concatenate(passes, axis=1)).all(axis=1))
                with np.errstate(invalid="ignore"):
                    proba.append(
                        np.mean([self._probabilities_from_raw(z) for z in passes], axis=0)
                    )
            warn_if_not_finite(np.where(np.concatenate(finite), 0.0, np.nan))
            return np.concatenate(proba)
        return self._probabilities_from_raw(self._raw_output(X))

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, computed stably from the
        network's raw output.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        z = self._raw_output(X)
        if self._multilabel:
            return log_expit(z)
        if len(self.classes_) == 1:
            return np.zeros_like(z)
        if len(self.classes_) == 2:
            return np.hstack([log_expit(-z), log_expit(z)])
        with np.errstate(invalid="ignore"):  # inf - inf: _raw_output warned
            return log_softmax(z, axis=1)

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        z = self._raw_output(X)
        if self._multilabel:
            return (z > 0).astype(int)
        if len(self.classes_) == 1:
            return np.repeat(self.classes_, z.shape[0])
        if len(self.classes_) == 2:
            return self.classes_[(z[:, 0] > 0).astype(int)]
        return self.classes_[np.argmax(z, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
