"""Noise-based regularizers: the masks and the noise against their distributions,
inverted dropout against the plain network, and the ``dropout`` parameter.

Sampling-error bounds are 5 standard errors; every draw is seeded, so the tests
are deterministic.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats
from scipy.special import softmax
from sklearn.datasets import make_classification, make_regression

import skreg.noise
from skreg import MLPClassifier, MLPRegressor
from skreg._hashing import row_keys
from skreg.noise import (
    dropconnect_mask,
    dropout_mask,
    gaussian_noise,
    layer_masks,
    perturb_inputs,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

F64 = np.dtype(np.float64)


def _keys(n_rows, seed=0):
    """Content keys of ``n_rows`` distinct random rows."""
    X = np.random.default_rng(seed).normal(size=(n_rows, 3))
    return row_keys(X)


def _plain_forward(model, X):
    """The deterministic network written out: relu hidden layers, raw output."""
    a = np.asarray(X, dtype=np.float64)
    for W, b in zip(model.coefs_[:-1], model.intercepts_[:-1]):
        a = np.maximum(a @ W + b, 0.0)
    return a @ model.coefs_[-1] + model.intercepts_[-1]


# -- dropout masks -------------------------------------------------------------------
@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_mask_values_and_keep_rate(rate):
    n, units = 4000, 25
    mask = dropout_mask(_keys(n), units, rate, np.random.default_rng(1), F64)
    assert mask.shape == (n, units)
    # the rate is used in steps of 2**-16 and kept units are scaled by the
    # rate actually used, so that E[mask] is exactly 1
    used = round(rate * 2**16) / 2**16
    assert abs(used - rate) <= 2**-17
    assert set(np.unique(mask)) == {0.0, 1.0 / (1.0 - used)}
    keep = np.mean(mask != 0)
    se = np.sqrt(rate * (1 - rate) / mask.size)
    assert abs(keep - (1 - rate)) < 5 * se


def test_dropout_mask_is_inverted_dropout():
    """Masked activations have the mean of the unmasked ones (E[h m] = h)."""
    rng = np.random.default_rng(2)
    n, units, rate = 5000, 20, 0.5
    h = rng.gamma(2.0, 1.0, size=(n, units))  # positive, like ReLU outputs
    masked = h * dropout_mask(_keys(n), units, rate, np.random.default_rng(3), F64)
    se = masked.std(axis=0) / np.sqrt(n)
    assert np.all(np.abs(masked.mean(axis=0) - h.mean(axis=0)) < 5 * se)
    # without the 1 / (1 - p) factor the mean would be halved
    assert masked.mean() == pytest.approx(h.mean(), rel=0.02)


def test_dropout_masks_are_independent_across_units_and_rows():
    mask = dropout_mask(_keys(3000), 10, 0.5, np.random.default_rng(4), F64) > 0
    corr = np.corrcoef(mask.T.astype(float))
    off_diagonal = corr[~np.eye(10, dtype=bool)]
    assert np.abs(off_diagonal).max() < 5 / np.sqrt(3000)
    # a fresh draw from the generator gives fresh masks
    other = dropout_mask(_keys(3000), 10, 0.5, np.random.default_rng(5), F64) > 0
    assert np.mean(mask == other) == pytest.approx(0.5, abs=0.02)


def test_identical_rows_share_their_mask():
    """Documented in noise.py: masks follow the rows' content keys."""
    X = np.random.default_rng(6).normal(size=(5, 3))
    X = np.vstack([X, X[[1, 3]]])
    mask = dropout_mask(row_keys(X), 40, 0.5, np.random.default_rng(7), F64)
    np.testing.assert_array_equal(mask[5], mask[1])
    np.testing.assert_array_equal(mask[6], mask[3])
    assert not np.array_equal(mask[0], mask[1])


def test_dropconnect_mask_values_and_keep_rate():
    rate = 0.3
    mask = dropconnect_mask((300, 200), rate, np.random.default_rng(8), F64)
    assert set(np.unique(mask)) == {0.0, 1.0 / (1.0 - rate)}
    se = np.sqrt(rate * (1 - rate) / mask.size)
    assert abs(np.mean(mask != 0) - (1 - rate)) < 5 * se


def test_dropconnect_is_one_weight_mask_per_mini_batch():
    """noise.py documents one mask per weight matrix and mini-batch (not per
    example): the mask has the weight matrix's shape, whatever the batch size,
    and each call (each mini-batch) draws a new one."""
    assert "one Bernoulli mask on each weight matrix per mini-batch" in " ".join(
        skreg.noise.__doc__.split()
    )
    coefs = [np.ones((4, 6)), np.ones((6, 2))]
    rng = np.random.default_rng(9)
    for n_rows in (1, 50):
        unit_masks, weight_masks = layer_masks(coefs, _keys(n_rows), [0.0], 0.5, rng)
        assert unit_masks is None
        assert [m.shape for m in weight_masks] == [(4, 6), (6, 2)]
    _, again = layer_masks(coefs, _keys(50), [0.0], 0.5, rng)
    assert not np.array_equal(again[0], weight_masks[0])


def test_layer_masks_use_one_rate_per_hidden_layer():
    coefs = [np.ones((3, 400)), np.ones((400, 300)), np.ones((300, 1))]
    unit_masks, weight_masks = layer_masks(
        coefs, _keys(200), [0.0, 0.7], 0.0, np.random.default_rng(10)
    )
    assert weight_masks is None
    assert unit_masks[0] is None  # rate 0: no mask on the first hidden layer
    assert unit_masks[1].shape == (200, 300)
    assert np.mean(unit_masks[1] != 0) == pytest.approx(0.3, abs=0.01)


# -- Gaussian input noise ------------------------------------------------------------
@pytest.mark.parametrize("std", [0.05, 1.0, 3.0])
def test_gaussian_noise_mean_and_std(std):
    n, d = 20000, 5
    eps = gaussian_noise(_keys(n), d, std, np.random.default_rng(11), F64)
    assert eps.shape == (n, d)
    N = eps.size
    assert abs(eps.mean()) < 5 * std / np.sqrt(N)
    assert abs(eps.std() - std) < 5 * std / np.sqrt(2 * N)
    # and it is normal: Kolmogorov-Smirnov against N(0, std^2)
    assert stats.kstest(eps[:, 0], "norm", args=(0.0, std)).pvalue > 1e-3


def test_perturb_inputs_adds_noise_to_dense_and_sparse_alike():
    X = sp.random(50, 8, density=0.2, random_state=0, format="csr")
    keys = row_keys(X)
    out_sparse = perturb_inputs(X, keys, 0.0, 0.1, np.random.default_rng(12))
    out_dense = perturb_inputs(X.toarray(), keys, 0.0, 0.1, np.random.default_rng(12))
    assert isinstance(out_sparse, np.ndarray)
    np.testing.assert_array_equal(out_sparse, out_dense)
    noise = out_dense - X.toarray()
    assert np.all(noise != 0)  # noise fills the zeros of a sparse X too
    assert noise.std() == pytest.approx(0.1, rel=0.15)


def test_perturb_inputs_is_identity_when_off():
    X = np.arange(6.0).reshape(2, 3)
    assert perturb_inputs(X, _keys(2), 0.0, 0.0, np.random.default_rng(0)) is X


# -- prediction is deterministic and unscaled ---------------------------------------------
NOISY_SETTINGS = [
    {"dropout": 0.5},
    {"dropout": [0.2, 0.5]},
    {"input_dropout": 0.3, "dropconnect": 0.3, "noise_std": 0.2},
]


@pytest.mark.parametrize("params", NOISY_SETTINGS, ids=str)
def test_regressor_predict_is_the_plain_network(params):
    X, y = make_regression(n_samples=80, n_features=5, noise=1.0, random_state=0)
    model = MLPRegressor((16, 8), max_iter=30, random_state=0, normalize_y=False, **params).fit(X, y / 100)
    first = model.predict(X)
    np.testing.assert_array_equal(first, model.predict(X))
    np.testing.assert_allclose(first, _plain_forward(model, X).ravel(), rtol=1e-12)


@pytest.mark.parametrize("params", NOISY_SETTINGS, ids=str)
def test_classifier_predict_proba_is_the_plain_network(params):
    X, y = make_classification(
        n_samples=90, n_features=5, n_informative=4, n_redundant=0, n_classes=3,
        random_state=0,
    )
    model = MLPClassifier((16, 8), max_iter=30, random_state=0, **params).fit(X, y)
    proba = model.predict_proba(X)
    np.testing.assert_array_equal(proba, model.predict_proba(X))
    np.testing.assert_allclose(proba, softmax(_plain_forward(model, X), axis=1), rtol=1e-10)
    np.testing.assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])


# -- the dropout parameter -----------------------------------------------------------------
def _regression_data():
    return make_regression(n_samples=40, n_features=3, noise=1.0, random_state=0)


def test_dropout_float_equals_one_rate_per_layer():
    X, y = _regression_data()
    kw = dict(hidden_layer_sizes=(8, 6), max_iter=20, random_state=0)
    a = MLPRegressor(dropout=0.3, **kw).fit(X, y)
    for rates in ([0.3, 0.3], (0.3, 0.3), np.array([0.3, 0.3])):
        b = MLPRegressor(dropout=rates, **kw).fit(X, y)
        for Wa, Wb in zip(a.coefs_, b.coefs_):
            np.testing.assert_array_equal(Wa, Wb)


def test_dropout_rates_reach_their_own_layers():
    X, y = _regression_data()
    kw = dict(hidden_layer_sizes=(8, 6), max_iter=20, random_state=0)
    none = MLPRegressor(dropout=0.0, **kw).fit(X, y)
    zeros = MLPRegressor(dropout=[0.0, 0.0], **kw).fit(X, y)
    first = MLPRegressor(dropout=[0.5, 0.0], **kw).fit(X, y)
    second = MLPRegressor(dropout=[0.0, 0.5], **kw).fit(X, y)
    np.testing.assert_array_equal(none.coefs_[0], zeros.coefs_[0])
    assert not np.allclose(first.coefs_[0], none.coefs_[0])
    assert not np.allclose(second.coefs_[0], none.coefs_[0])
    assert not np.allclose(first.coefs_[0], second.coefs_[0])


@pytest.mark.parametrize(
    "dropout",
    [
        [0.1],  # too few rates for two hidden layers
        [0.1, 0.2, 0.3],  # too many
        [0.1, 1.0],  # a rate of 1 drops everything
        [-0.1, 0.2],
        1.0,
        -0.2,
        1.5,
    ],
    ids=str,
)
def test_bad_dropout_raises_naming_dropout(dropout):
    X, y = _regression_data()
    with pytest.raises(ValueError, match="dropout"):
        MLPRegressor((8, 6), dropout=dropout, max_iter=5).fit(X, y)


@pytest.mark.parametrize("name", ["input_dropout", "dropconnect"])
@pytest.mark.parametrize("value", [1.0, -0.1])
def test_bad_input_dropout_and_dropconnect_raise_naming_them(name, value):
    X, y = _regression_data()
    with pytest.raises(ValueError, match=name):
        MLPRegressor((8,), max_iter=5, **{name: value}).fit(X, y)


def test_negative_noise_std_raises_naming_it():
    X, y = _regression_data()
    with pytest.raises(ValueError, match="noise_std"):
        MLPRegressor((8,), noise_std=-0.1, max_iter=5).fit(X, y)


# -- gradients through the masks ---------------------------------------------------------
def test_masked_backward_matches_finite_differences():
    """With fixed dropout and DropConnect masks, ``backward`` is the gradient
    of the masked network's loss 1/2 ||z - Y||^2 (central differences)."""
    from reference_passes import backward
    from skreg.network import forward

    rng = np.random.default_rng(13)
    sizes = [4, 6, 5, 2]
    coefs = [rng.normal(size=(a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    intercepts = [rng.normal(size=b) for b in sizes[1:]]
    X, Y = rng.normal(size=(7, 4)), rng.normal(size=(7, 2))
    keys = _keys(7)
    unit_masks, weight_masks = layer_masks(coefs, keys, [0.5, 0.3], 0.4, rng)
    assert all(m is not None for m in unit_masks + weight_masks)

    def loss():
        z = forward(coefs, intercepts, X, "tanh", unit_masks, weight_masks).raw_output
        return 0.5 * np.sum((z - Y) ** 2)

    result = forward(coefs, intercepts, X, "tanh", unit_masks, weight_masks)
    delta = result.raw_output - Y
    coef_grads, intercept_grads = backward(
        coefs, result, delta, "tanh", unit_masks, weight_masks
    )
    h = 1e-6
    for params, grads in ((coefs, coef_grads), (intercepts, intercept_grads)):
        for p, g in zip(params, grads):
            numeric = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + h
                up = loss()
                p[idx] = old - h
                down = loss()
                p[idx] = old
                numeric[idx] = (up - down) / (2 * h)
            np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-8)
    # a dropped weight gets no gradient
    assert np.all(coef_grads[0][weight_masks[0] == 0] == 0)
