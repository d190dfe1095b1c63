"""Docstring pieces shared by MLPClassifier and MLPRegressor."""

PARAMETERS = """\
    hidden_layer_sizes : tuple of int, default=(100,)
        Units per hidden layer; ``()`` gives a (regularized) LINEAR_MODEL.
        A network whose training would need more than the machine's physical
        memory (weights, gradients, optimizer state and one mini-batch's
        activations, estimated before anything is allocated) is refused with
        a ``ValueError``.
    activation : {"identity", "logistic", "tanh", "relu", "selu"}, default="relu"
        Activation of the hidden layers. ``"selu"`` is the scaled exponential
        linear unit of Klambauer et al. (2017), ``scale * z`` for ``z > 0`` and
        ``scale * alpha * (exp(z) - 1)`` otherwise, with ``scale`` ~1.0507 and
        ``alpha`` ~1.6733 (not in scikit-learn's MLP).
    alpha : float, default=1e-4
        Strength of the elastic-net penalty on the weights (never the biases).
        It is added once to the mean loss, so it does not depend on the
        number of samples or the batch size. scikit-learn's MLP divides its
        ``alpha`` by the mini-batch size instead: skreg's ``alpha`` equals
        scikit-learn's ``alpha * batch_size``, so the same ``alpha=1e-4`` is
        200 times stronger here than in scikit-learn at its default batch
        size of 200 (and 1e-4 here is scikit-learn's 0.02).
    l1_ratio : float, default=0.0
        Elastic-net mixing: 0 is pure L2, 1 is pure L1. The L1 part is applied
        by a proximal soft-threshold after every step, scaled by the step the
        optimizer took per weight, which gives exact zeros.
    group_alpha : float, default=0.0
        Strength of the group lasso on the input features:
        ``group_alpha * sum_j ||W_1[j, :]||_2`` over the rows of the first
        weight matrix (one row per feature), applied by a proximal block
        soft-threshold after every step. Whole features drop out of the model
        (see ``used_features_``). Not available with ``optimizer="lbfgs"``.
    dropout : float or sequence of float, default=0.0
        Inverted dropout rate of the hidden layers' outputs during training;
        one number for all hidden layers or one per hidden layer.
    input_dropout : float, default=0.0
        Dropout rate on the input features during training.
    dropconnect : float, default=0.0
        DropConnect rate: one Bernoulli mask per weight matrix and mini-batch.
    noise_std : float, default=0.0
        Standard deviation of Gaussian noise added to the inputs of every
        mini-batch during training.
    mixup_alpha : float, default=0.0
        Mixup (Zhang et al. 2018): when positive, every mini-batch is
        replaced by ``lam * batch + (1 - lam) * batch[p]`` for its inputs,
        training targets and sample weights alike, with one
        ``lam ~ Beta(mixup_alpha, mixup_alpha)`` per batch and a random
        permutation ``p`` of its rows, both drawn from the fit's generator.
        Sparse batches stay sparse. ``loss_`` and ``loss_curve_`` then report
        the loss on the mixed batches. 0 switches it off. Not available with
        ``optimizer="lbfgs"``.
    max_norm : float or None, default=None
        Bound on the L2 norm of each hidden unit's incoming weights, enforced
        after every step.
    init : str or callable, default="glorot_uniform"
        ``"glorot_uniform"``, ``"glorot_normal"``, ``"he_uniform"``,
        ``"he_normal"``, ``"lecun_uniform"``, ``"lecun_normal"``, ``"data"``,
        or a callable ``init(fan_in, fan_out, rng)`` returning a
        ``(fan_in, fan_out)`` array. Hidden biases start at zero, except with
        ``"data"``: normal weights rescaled so that every unit's
        pre-activation has standard deviation one on the training rows, and
        each hidden unit's bias set so that its kink passes through a random
        point among the rows (RealMLP's initialization, see
        :func:`skreg.initializers.data_dependent_init`; a first ``fit`` or
        ``partial_fit`` uses its own rows). A new fit starts the output
        biases at the best constant prediction of the training targets
        (weighted by ``sample_weight``): the class log-prior, or the target
        mean in the units the network trains in.
    optimizer : str or Optimizer, default="adam"
        ``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``,
        ``"adadelta"``, ``"rmsprop"``, ``"adam"``, ``"nadam"``, ``"adamw"``,
        ``"sgdw"``, ``"lbfgs"``, or an object from :mod:`skreg.optimizers`.
    learning_rate_init : float or "auto", default="auto"
        Initial learning rate; ``"auto"`` takes the optimizer's recommended
        rate (1e-3 for Adam, 0.01 for SGD; ten times that for
        ``hidden_layer_sizes=()``; see the user guide).
    learning_rate : {"constant", "invscaling", "adaptive", "cosine", "coslog4"}, \
default="constant"
        Learning-rate schedule, for every stochastic optimizer. The first
        three change the rate between epochs with scikit-learn's meanings.
        ``"cosine"`` lowers it step by step from ``learning_rate_init`` to 0
        along a half cosine over the planned steps (``max_iter`` epochs of
        mini-batches); ``"coslog4"`` runs four cosine cycles from 0 up to
        ``learning_rate_init`` and back, each twice as long as the one before
        (RealMLP's schedule). Each ``fit`` (also with ``warm_start``) starts
        them over; ``partial_fit`` continues them. See the user guide's page
        on schedules.
    power_t : float, default=0.5
        Exponent of the ``"invscaling"`` schedule.
    warmup : float, default=0.0
        Share of the planned steps, in [0, 1), over which the learning rate
        ramps up linearly from 0 (multiplying any ``learning_rate``
        schedule); 0 turns the warm-up off.
    dropout_schedule : {"constant", "flat_cosine"}, default="constant"
        How ``dropout``, ``input_dropout`` and ``dropconnect`` change over the
        planned steps: ``"constant"`` keeps them; ``"flat_cosine"`` keeps them
        for the first half, then lowers them step by step along a half cosine
        to 0 at the end (RealMLP's schedule). MC-dropout predictions use the
        rates as given, not their scheduled end value.
    batch_size : int or "auto", default="auto"
        Mini-batch size; ``"auto"`` is ``min(200, n_samples)``.
    max_iter : int, default=200
        Maximum number of epochs (L-BFGS: iterations).
    shuffle : bool, default=True
        Shuffle the samples before every epoch.
    random_state : int, RandomState, Generator or None, default=None
        Seed of the one generator behind initialization, shuffling, the
        validation split and all training noise.
    tol : float, default=1e-4
        Minimum improvement of the monitored quantity.
    n_iter_no_change : int or np.inf, default=10
        Epochs without an improvement of ``tol`` before stopping (or, with
        ``learning_rate="adaptive"``, before dividing the rate by 5).
        ``np.inf`` trains until ``max_iter``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified, identical
        rows kept together), stop when the validation score stalls, and
        restore the weights of the best epoch.
    validation_fraction : float, default=0.1
        Share of the training data's weight used for validation. A share
        that leaves fewer than 2 distinct rows for validation raises a
        ``ValueError``.
    n_steps_no_change : int, default=0
        With ``early_stopping=True`` and a stochastic optimizer, stopping also
        waits until the validation score has not improved for this many
        optimizer steps (mini-batches), besides ``n_iter_no_change`` epochs.
        On small data, where an epoch is one or two steps, it gives a noisy
        validation score more epochs of patience (``n_steps_no_change=100``
        gives 50 epochs at two steps per epoch); where an epoch has at least
        ``n_steps_no_change / n_iter_no_change`` steps it changes nothing.
        ``0`` counts epochs only, as scikit-learn does.
    average : bool, int or float, default=False
        Weight averaging, after :class:`~sklearn.linear_model.SGDClassifier`:
        ``False`` trains without it; ``True``, or an int ``k >= 1``, keeps
        the mean of the weights (and biases) at the end of every epoch from
        epoch ``k`` on (stochastic weight averaging; ``True`` is epoch 1); a
        float in (0, 1) keeps an exponential moving average of them with that
        decay, updated after every optimizer step. The averaged weights are
        what the fitted model predicts with and what early stopping scores
        (and keeps at its best epoch), while training goes on from the raw
        iterate. ``partial_fit`` continues the average; a ``fit`` with
        ``warm_start=True`` continues from the raw iterate and starts a new
        average. Not available with ``optimizer="lbfgs"``.
    scoring : str or callable, default="loss"
        What early stopping monitors: ``"loss"`` (the validation loss, stored
        negated so that higher is better) or a scikit-learn scorer name or
        callable.
    mc_samples : int, default=50
        Number of stochastic passes ``T`` for MC-dropout predictions
        (MC_METHOD), from 2 to 100000. The passes use the dropout,
        input-dropout and DropConnect rates of the last ``fit`` or
        ``partial_fit`` call (as given, whatever ``dropout_schedule``); the
        parameters are checked again at prediction.
    verbose : int, default=0
        When positive, print scikit-learn's MLP progress lines:
        ``Iteration N, loss = ...`` per epoch, followed by
        ``Validation score: ...`` with early stopping.
    warm_start : bool, default=False
        Continue from the previous fit's weights and optimizer state.

"""

NORMALIZE_Y = """\
    normalize_y : bool, default=True
        Standardize the targets internally: each output is centered at its
        mean and divided by its standard deviation (weighted by
        ``sample_weight``; a constant output is only centered) before
        training, and predictions (and the MC-dropout standard deviation)
        are transformed back. One ``alpha`` then means the same whatever the
        units of y. With ``loss="poisson"`` the targets are only divided by
        their mean (no centering, they must stay non-negative). The scaling
        is learned by ``fit`` (or the first ``partial_fit`` call) and kept by
        ``warm_start`` fits and later ``partial_fit`` calls. ``loss_``,
        ``loss_curve_`` and the early-stopping validation loss are computed
        on the standardized targets.
"""

CLASS_WEIGHT = """\
    class_weight : dict, list of dict, "balanced" or None, default=None
        Weights of the classes, multiplying ``sample_weight`` (as in
        :class:`~sklearn.linear_model.LogisticRegression`): a dict
        ``{class_label: weight}`` (classes left out weigh 1), or
        ``"balanced"``, which weighs each class by
        ``n_samples / (n_classes * np.bincount(y))``, computed from the ``y``
        given to ``fit``. Early stopping's validation loss is weighted the
        same way. For multilabel indicator targets a sample
        has one weight for all its labels: ``"balanced"`` or a list of one
        dict ``{0: weight, 1: weight}`` per label gives it the product over
        the labels of the weight of its 0/1 value, as
        :func:`~sklearn.utils.class_weight.compute_sample_weight` does.
        ``partial_fit`` takes a dict (or list) but not ``"balanced"``, whose
        weights one batch cannot estimate; compute them once with
        :func:`~sklearn.utils.class_weight.compute_class_weight` and pass the
        dict.
"""

LABEL_SMOOTHING = """\
    label_smoothing : float, default=0.0
        Label smoothing (Szegedy et al. 2016), in ``[0, 1)``: the network
        trains on the targets ``(1 - label_smoothing) * onehot +
        label_smoothing / n_classes`` (softmax output) or, for a binary
        problem and each label of a multilabel one,
        ``(1 - label_smoothing) * y + label_smoothing / 2``. ``loss_``,
        ``loss_curve_`` and the early-stopping validation loss report the
        cross-entropy with these smoothed targets, whose minimum is their
        entropy rather than 0. ``predict_proba`` is the network's output as
        always.
"""

FITTED_ATTRIBUTES = """\
    coefs_ : list of ndarray
        Weight matrix of each layer, shape ``(fan_in, fan_out)`` (the
        averaged weights with ``average``).
    intercepts_ : list of ndarray
        Bias vector of each layer.
    loss_ : float
        Training objective after the last epoch.
    loss_curve_ : list of float
        Training objective after each epoch, over all the calls to ``fit``
        (with ``warm_start=True``) and ``partial_fit``.
    best_loss_ : float or None
        Lowest training objective reached in the last ``fit`` (and the
        ``partial_fit`` calls after it); None with ``early_stopping=True``,
        where the validation score is tracked instead.
    validation_scores_ : list of float or None
        Validation score after each epoch when ``early_stopping=True``
        (over the warm-started fits too), None otherwise.
    best_validation_score_ : float or None
        Best validation score of the last ``fit``; its weights are the ones
        kept. None without early stopping.
    n_iter_ : int
        Epochs (L-BFGS: iterations) run by the last ``fit``; each
        ``partial_fit`` call adds one.
    t_ : int
        Training samples seen, over all the calls.
    n_features_in_ : int
        Number of input features.
    feature_names_in_ : ndarray of str
        Feature names, when X had them.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units.
"""


def fill_docstring(doc, mc_method, linear_model="linear model"):
    """Put the shared parameter and attribute sections into a class docstring.

    ``mc_method`` names the method that gives MC-dropout predictions and
    ``linear_model`` what a network without hidden layers is (a logistic
    regression for the classifier, a linear regression for the regressor).
    """
    parameters = PARAMETERS.replace("MC_METHOD", mc_method).replace(
        "LINEAR_MODEL", linear_model
    )
    return doc.replace("{parameters}", parameters).replace("{attributes}", FITTED_ATTRIBUTES)


def parameters_without(names, mc_method, linear_model):
    """The shared parameter section less the entries of ``names``."""
    kept, skip = [], False
    text = PARAMETERS.replace("MC_METHOD", mc_method).replace("LINEAR_MODEL", linear_model)
    for line in text.splitlines(keepends=True):
        if line.startswith("    ") and not line.startswith("        ") and line.strip():
            skip = line.split(" :")[0].strip() in names
        if not skip:
            kept.append(line)
    return "".join(kept)


CV_PARAMETERS = """\
    alphas : int or array-like of float, default=10
        Penalty strengths to try (the ``alpha`` of the base estimator). An
        integer gives that many points of a geometric grid from ``1e-4 *
        alpha_max`` to ``alpha_max``, where ``alpha_max`` is the data loss of
        the best constant prediction (see :func:`skreg.path.default_alphas`).
    l1_ratios : float or array-like of float, default=0.0
        Elastic-net mixing values to try; one path per value.
    cv : int, cross-validation generator or iterable, default=5
        Folds, as in scikit-learn's ``check_cv``: an integer gives
        ``StratifiedKFold`` for classifiers (``KFold`` for multilabel
        targets and regressors).
    selection : {"best", "1se"}, default="best"
        ``"best"`` takes the point with the best mean score; ``"1se"`` the
        strongest penalty whose mean score is within one standard error of
        the best (at the best ``l1_ratio``).
    path : {"auto", "increasing", "decreasing"}, default="auto"
        Direction of each path: ``"increasing"`` runs from weak to strong
        penalty (dense to sparse), ``"decreasing"`` from strong to weak.
        ``"auto"`` is increasing when a penalty that zeroes weights is on
        (``l1_ratio > 0`` or ``group_alpha > 0``), decreasing otherwise.
    refit : {"auto", "cold", "path"}, default="auto"
        How the chosen point is refitted on all the data: ``"cold"`` fits
        once at the chosen point; ``"path"`` refits along the path up to it,
        the way the fold models were reached. ``"auto"`` refits the way the
        scored models were reached: along the path when it runs from dense to
        sparse (a penalty that zeroes weights is on); on a path from strong
        to weak, along the path when most folds' fits at the chosen point
        stopped as soon as their patience allowed (they kept the model of
        the stronger points), and cold otherwise (also for a chosen point that
        is the path's first, L-BFGS, or ``learning_rate="adaptive"``).
        ``refit_`` says which ran.
    path_n_iter_no_change : "auto", int >= 1 or inf, default="auto"
        Patience of every point of a path after the first, which uses
        ``n_iter_no_change``. ``"auto"``: half of ``n_iter_no_change``,
        rounded up (a warm-started point starts near its solution).
    n_jobs : int, default=None
        Folds (and ``l1_ratios``) run in parallel through joblib; under
        ``joblib.parallel_backend("dask")`` they run on a dask cluster.
"""

CV_ATTRIBUTES = """\
    alpha_ : float
        The chosen penalty strength.
    l1_ratio_ : float
        The chosen elastic-net mixing.
    alpha_best_ : float
        The strength with the best mean score.
    alpha_1se_ : float
        The strongest penalty whose mean score is within one standard error
        of the best.
    alphas_ : ndarray of shape (n_alphas,)
        The strengths tried, increasing.
    l1_ratios_ : ndarray of shape (n_l1_ratios,)
        The mixing values tried.
    scores_path_ : ndarray of shape (n_l1_ratios, n_alphas, n_folds)
        Held-out score of each point on each fold (greater is better; with
        ``scoring="loss"`` the negated data loss).
    n_iter_path_ : ndarray of shape (n_l1_ratios, n_alphas, n_folds)
        Epochs of each fit of the paths.
    sparsity_path_ : ndarray of shape (n_l1_ratios, n_alphas, n_folds)
        Fraction of the weights that are exactly zero.
    n_used_features_path_ : ndarray of shape (n_l1_ratios, n_alphas, n_folds)
        Number of input features with a non-zero outgoing weight.
    feature_exit_alpha_ : ndarray of shape (n_features,)
        For each input feature, the strength from which on all its weights
        are zero along the path at ``l1_ratio_`` (median over the folds);
        ``inf`` if it is never dropped.
    refit_ : {"path", "cold"}
        How the chosen point was refitted on all the data (``refit``).
""" + FITTED_ATTRIBUTES
