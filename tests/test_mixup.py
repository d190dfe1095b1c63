"""Mixup: the mixed mini-batch is a convex combination of pairs of its rows,
with one weight for inputs, targets and sample weights; the weights follow
Beta(a, a); the fit is deterministic per seed."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from sklearn.exceptions import ConvergenceWarning

import skreg._training as training
from skreg import MLPClassifier, MLPRegressor

N = 8


@pytest.fixture
def captured(monkeypatch):
    """Every mini-batch the passes see, as ``(X, Y, sample_weight)`` copies."""
    batches = []
    original = training.Passes.loss_and_gradients

    def spy(self, X, Y, sample_weight, normalizer, masks=(None, None)):
        dense = X.toarray() if sp.issparse(X) else np.array(X)
        batches.append((dense, np.array(Y), np.array(sample_weight)))
        return original(self, X, Y, sample_weight, normalizer, masks)

    monkeypatch.setattr(training.Passes, "loss_and_gradients", spy)
    return batches


def _fit_quietly(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


def _pairs(X_mixed):
    """``(lam, partner)`` read off a mixed batch of the rows of the identity:
    row i is ``lam * e_i + (1 - lam) * e_partner(i)``."""
    lams, partner = [], np.arange(len(X_mixed))
    for i, row in enumerate(X_mixed):
        nonzero = np.flatnonzero(row)
        assert i in nonzero and len(nonzero) <= 2
        if len(nonzero) == 2:
            j = nonzero[nonzero != i][0]
            partner[i] = j
            lams.append(row[i])
            assert_allclose(row[i] + row[j], 1.0, rtol=1e-12)
        else:  # paired with itself
            assert_allclose(row[i], 1.0, rtol=1e-12)
    return np.array(lams), partner


@pytest.mark.parametrize("Estimator", [MLPRegressor, MLPClassifier])
@pytest.mark.parametrize("sparse", [False, True])
def test_mixed_rows_are_convex_combinations_of_pairs(captured, Estimator, sparse):
    rng = np.random.default_rng(1)
    X = np.eye(N)
    if Estimator is MLPRegressor:
        y = rng.normal(size=(N, 2))
        params = dict(normalize_y=False)
        Y = y
    else:
        y = np.arange(N) % 3
        params = dict(label_smoothing=0.1)
        Y = 0.9 * np.eye(3)[y] + 0.1 / 3
    sw = rng.uniform(0.5, 2.0, N)
    est = Estimator((3,), mixup_alpha=1.0, batch_size=N, shuffle=False, max_iter=4,
                    random_state=0, **params)
    _fit_quietly(est, sp.csr_matrix(X) if sparse else X, y, sample_weight=sw)
    assert len(captured) == 4
    seen_lams = []
    for X_mixed, Y_mixed, sw_mixed in captured:
        lams, partner = _pairs(X_mixed)
        assert len(lams) > 0
        lam = lams[0]
        assert_allclose(lams, lam, rtol=1e-12)  # one lam per batch
        assert_array_equal(np.sort(partner), np.arange(N))  # a permutation of the batch
        assert_allclose(Y_mixed, lam * Y + (1 - lam) * Y[partner], rtol=1e-12, atol=1e-15)
        assert_allclose(sw_mixed, lam * sw + (1 - lam) * sw[partner], rtol=1e-12)
        assert_allclose(sw_mixed.sum(), sw.sum(), rtol=1e-12)  # the batch's weight is kept
        seen_lams.append(lam)
    assert len(set(seen_lams)) == 4  # a new lam for every batch


def test_sparse_and_dense_batches_mix_alike(captured):
    X = np.random.default_rng(0).normal(size=(30, 4)) * (np.arange(30)[:, None] % 3 == 0)
    y = np.arange(30) % 2
    params = dict(hidden_layer_sizes=(3,), mixup_alpha=0.4, batch_size=10, max_iter=2,
                  random_state=0)
    dense = _fit_quietly(MLPClassifier(**params), X, y)
    n_dense = len(captured)
    sparse = _fit_quietly(MLPClassifier(**params), sp.csr_matrix(X), y)
    for (a, ya, wa), (b, yb, wb) in zip(captured[:n_dense], captured[n_dense:]):
        assert_allclose(a, b, rtol=1e-12, atol=1e-15)
        assert_array_equal(ya, yb)
        assert_array_equal(wa, wb)
    assert_allclose(dense.coefs_[0], sparse.coefs_[0], rtol=1e-9, atol=1e-12)


def test_lam_follows_the_beta_distribution(captured):
    a = 0.4
    X = np.eye(N)
    y = np.random.default_rng(0).normal(size=N)
    _fit_quietly(MLPRegressor((2,), mixup_alpha=a, batch_size=N, shuffle=False, max_iter=300,
                              tol=0.0, n_iter_no_change=np.inf, random_state=0), X, y)
    lams = []
    for X_mixed, _, _ in captured:
        found, _ = _pairs(X_mixed)
        if len(found):
            lams.append(found[0])
    assert len(lams) >= 290
    assert stats.kstest(lams, stats.beta(a, a).cdf).pvalue > 1e-3


def test_deterministic_per_seed_and_off_at_zero():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 4)), rng.normal(size=60)
    fit = lambda **p: _fit_quietly(MLPRegressor((5,), max_iter=5, batch_size=16, **p), X, y)
    a, b = fit(mixup_alpha=0.3, random_state=0), fit(mixup_alpha=0.3, random_state=0)
    assert a.loss_curve_ == b.loss_curve_
    assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert fit(mixup_alpha=0.3, random_state=1).loss_curve_ != a.loss_curve_
    off, default = fit(mixup_alpha=0.0, random_state=0), fit(random_state=0)
    assert off.loss_curve_ == default.loss_curve_
    assert off.loss_curve_ != a.loss_curve_


def test_mixup_regularizes_toward_linear_between_points():
    # mixup trains on the segments between examples: two well separated
    # clusters give a smooth transition (probabilities near 1/2 midway)
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(-2, 0.2, (50, 1)), rng.normal(2, 0.2, (50, 1))])
    y = np.repeat([0, 1], 50)
    common = dict(hidden_layer_sizes=(32,), alpha=0.0, learning_rate_init=0.01,
                  max_iter=200, random_state=0)
    plain = _fit_quietly(MLPClassifier(**common), X, y)
    mixed = _fit_quietly(MLPClassifier(**common, mixup_alpha=1.0), X, y)
    grid = np.array([[-1.0], [-0.5], [0.5], [1.0]])
    # mixup's target at x = lam * (-2) + (1 - lam) * 2 is 1 - lam: p(1) = (x + 2) / 4
    linear = (grid[:, 0] + 2) / 4
    mixed_gap = np.abs(mixed.predict_proba(grid)[:, 1] - linear).max()
    plain_gap = np.abs(plain.predict_proba(grid)[:, 1] - linear).max()
    assert mixed_gap < 0.8 * plain_gap


def test_lbfgs_and_bad_values_are_refused():
    X, y = np.eye(4), np.arange(4.0)
    with pytest.raises(ValueError, match="lbfgs.*mixup_alpha"):
        MLPRegressor(optimizer="lbfgs", mixup_alpha=0.2).fit(X, y)
    with pytest.raises(ValueError, match="mixup_alpha"):
        MLPRegressor(mixup_alpha=-0.1).fit(X, y)
