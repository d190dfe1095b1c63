"""skreg.preprocessing against its definitions, scikit-learn's transformer
conventions, and the fit-time warning on unscaled features."""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import RobustScaler, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skreg import MLPClassifier, MLPRegressor
from skreg._checks import SCALE_RATIO_LIMIT, column_stds
from skreg.preprocessing import (
    FeatureScaleWarning, PeriodicFeatures, SmoothClipScaler, smooth_clip, smooth_unclip,
)


# -- scikit-learn's checks ---------------------------------------------------


@parametrize_with_checks([
    SmoothClipScaler(),
    SmoothClipScaler(with_centering=False, clip=1.5, quantile_range=(10.0, 90.0)),
    SmoothClipScaler(clip=None),
    SmoothClipScaler(unit_variance=True, clip=10.0),
    PeriodicFeatures(n_frequencies=3, random_state=0),
    PeriodicFeatures(n_frequencies=2, sigma=2.0, include_original=False, random_state=0),
])
def test_sklearn_compatible(estimator, check):
    check(estimator)


# -- the smooth clip -----------------------------------------------------------


def test_smooth_clip_closed_form():
    x = np.array([-4.0, -1.0, 0.0, 0.5, 3.0, 4.0])
    # x / sqrt(1 + (x/3)^2): 4 -> 4 / (5/3) = 2.4, 3 -> 3 / sqrt(2)
    expected = [-2.4, -1 / np.sqrt(1 + 1 / 9), 0.0, 0.5 / np.sqrt(1 + 1 / 36), 3 / np.sqrt(2), 2.4]
    np.testing.assert_allclose(smooth_clip(x, 3.0), expected, rtol=1e-15)
    np.testing.assert_allclose(smooth_clip(x, 1.0), x / np.sqrt(1 + x**2), rtol=1e-15)


def test_smooth_clip_is_monotone_bounded_and_odd():
    x = np.concatenate([-np.logspace(-300, 300, 2001)[::-1], [0.0], np.logspace(-300, 300, 2001)])
    y = smooth_clip(x, 3.0)
    assert np.all(np.diff(y) >= 0)
    assert np.all(np.abs(y) <= 3.0)
    np.testing.assert_array_equal(smooth_clip(-x, 3.0), -y)
    np.testing.assert_array_equal(smooth_clip(np.array([np.inf, -np.inf, np.nan]), 3.0)[:2],
                                  [3.0, -3.0])
    assert np.isnan(smooth_clip(np.array([np.nan]), 3.0)[0])
    # no overflow where (x / clip)^2 is not representable
    np.testing.assert_allclose(smooth_clip(np.array([1e200]), 3.0), [3.0])
    # near zero, the identity to second order
    np.testing.assert_allclose(smooth_clip(np.array([1e-4]), 3.0), [1e-4], rtol=1e-8)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_smooth_unclip_inverts_smooth_clip(dtype):
    x = np.linspace(-50, 50, 1001).astype(dtype)
    y = smooth_clip(x, 3.0)
    assert y.dtype == dtype
    rtol = 1e-10 if dtype == np.float64 else 2e-3
    np.testing.assert_allclose(smooth_unclip(y, 3.0), x, rtol=rtol, atol=1e-6)
    np.testing.assert_array_equal(smooth_unclip(np.array([3.0, -3.0, 5.0]), 3.0),
                                  [np.inf, -np.inf, np.inf])


# -- SmoothClipScaler --------------------------------------------------------


def test_scaler_median_and_iqr_on_known_data():
    # columns: 1..9 (median 5, quartiles 3 and 7), and a column with a zero IQR
    X = np.column_stack([np.arange(1.0, 10.0), [0, 0, 0, 0, 0, 0, 0, 0, 8.0]])
    scaler = SmoothClipScaler().fit(X)
    np.testing.assert_array_equal(scaler.center_, [5.0, 0.0])
    # IQR 4; the second column's quartiles coincide: half its range, 4
    np.testing.assert_array_equal(scaler.scale_, [4.0, 4.0])
    expected = smooth_clip((X - [5.0, 0.0]) / [4.0, 4.0], 3.0)
    np.testing.assert_allclose(scaler.transform(X), expected, rtol=1e-15)


def test_scaler_constant_column_and_quantile_range():
    X = np.column_stack([np.full(5, 7.0), [0.0, 10, 20, 30, 40]])
    scaler = SmoothClipScaler(quantile_range=(0.0, 100.0)).fit(X)
    np.testing.assert_array_equal(scaler.center_, [7.0, 20.0])
    np.testing.assert_array_equal(scaler.scale_, [1.0, 40.0])
    np.testing.assert_array_equal(scaler.transform(X)[:, 0], 0.0)


def test_scaler_without_clip_is_robust_scaler():
    X = np.random.default_rng(0).lognormal(size=(60, 4))
    ours = SmoothClipScaler(clip=None).fit_transform(X)
    np.testing.assert_allclose(ours, RobustScaler().fit_transform(X), rtol=1e-14)
    clipped = SmoothClipScaler().fit_transform(X)
    np.testing.assert_allclose(clipped, smooth_clip(ours, 3.0), rtol=1e-14)
    assert np.abs(clipped).max() < 3.0 < np.abs(ours).max()


def test_unit_variance_divides_by_the_normal_quantile_range():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200_000, 2)) * [1.0, 7.0] + [3.0, -2.0]
    plain = SmoothClipScaler(clip=None).fit(X)
    unit = SmoothClipScaler(clip=None, unit_variance=True).fit(X)
    # 1.3489795 is the inter-quartile range of a standard normal
    np.testing.assert_allclose(unit.scale_, plain.scale_ / 1.3489795003921634, rtol=1e-12)
    np.testing.assert_allclose(unit.scale_, [1.0, 7.0], rtol=1e-2)
    np.testing.assert_allclose(unit.transform(X).std(axis=0), [1.0, 1.0], rtol=1e-2)
    # another range: the distance of the normal's 10th and 90th percentiles
    wide = SmoothClipScaler(clip=None, unit_variance=True, quantile_range=(10.0, 90.0)).fit(X)
    np.testing.assert_allclose(wide.scale_, [1.0, 7.0], rtol=1e-2)
    # the clip acts after the unit-variance scaling
    clipped = SmoothClipScaler(unit_variance=True).fit(X)
    np.testing.assert_allclose(clipped.transform(X), smooth_clip(unit.transform(X), 3.0), rtol=1e-14)


@pytest.mark.parametrize("params", [{}, {"clip": None}, {"clip": 1.0, "with_centering": False}])
def test_scaler_inverse_transform_round_trip(params):
    X = np.random.default_rng(1).normal(size=(40, 3)) * [1.0, 100.0, 1e-3] + [0.0, 5e3, 1.0]
    scaler = SmoothClipScaler(**params).fit(X)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(X)), X, rtol=1e-9)


def test_scaler_nan_ignored_in_fit_and_kept():
    X = np.array([[1.0, np.nan], [2.0, 1.0], [3.0, 2.0], [np.nan, 3.0], [5.0, np.nan]])
    scaler = SmoothClipScaler().fit(X)
    reference = RobustScaler().fit(X)
    np.testing.assert_array_equal(scaler.center_, reference.center_)
    np.testing.assert_array_equal(scaler.scale_, reference.scale_)
    out = scaler.transform(X)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(X))
    # an all-NaN column: center 0, scale 1, still NaN
    X_nan = np.column_stack([np.arange(4.0), np.full(4, np.nan)])
    scaler = SmoothClipScaler().fit(X_nan)
    np.testing.assert_array_equal(scaler.center_, [1.5, 0.0])
    np.testing.assert_array_equal(scaler.scale_, [1.5, 1.0])
    assert np.isnan(scaler.transform(X_nan)[:, 1]).all()


def test_scaler_sparse():
    X = sp.random(30, 4, density=0.4, random_state=0, format="csr") * 50
    with pytest.raises(ValueError, match="with_centering=False"):
        SmoothClipScaler().fit(X)
    dense = SmoothClipScaler(with_centering=False).fit(X.toarray())
    for fmt in ("csr", "csc"):
        scaler = SmoothClipScaler(with_centering=False).fit(X.asformat(fmt))
        np.testing.assert_array_equal(scaler.scale_, dense.scale_)
        out = scaler.transform(X.asformat(fmt))
        assert sp.issparse(out) and out.nnz == X.nnz
        np.testing.assert_allclose(out.toarray(), dense.transform(X.toarray()), rtol=1e-14)
        np.testing.assert_allclose(scaler.inverse_transform(out).toarray(), X.toarray(),
                                   rtol=1e-9)


def test_scaler_sparse_duplicates_summed():
    # a CSR matrix whose entry (0, 0) = 10 is stored as 4 + 6
    X = sp.csr_matrix((np.array([4.0, 6.0, 1.0]), np.array([0, 0, 0]), np.array([0, 2, 3, 3])),
                      shape=(3, 1))
    scaler = SmoothClipScaler(with_centering=False, quantile_range=(0.0, 100.0)).fit(X)
    np.testing.assert_array_equal(scaler.scale_, [10.0])
    np.testing.assert_allclose(scaler.transform(X).toarray().ravel(),
                               smooth_clip(np.array([1.0, 0.1, 0.0]), 3.0))


def test_scaler_float32_preserved():
    X = np.random.default_rng(2).normal(size=(20, 3)).astype(np.float32)
    out = SmoothClipScaler().fit_transform(X)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, SmoothClipScaler().fit_transform(X.astype(np.float64)),
                               rtol=1e-5, atol=1e-6)


# -- PeriodicFeatures --------------------------------------------------------


def test_periodic_features_formula():
    X = np.random.default_rng(3).normal(size=(7, 2))
    periodic = PeriodicFeatures(n_frequencies=3, sigma=0.5, random_state=0).fit(X)
    w = periodic.frequencies_
    assert w.shape == (2, 3)
    # the frequencies are sigma times standard normals of the seed's generator
    np.testing.assert_array_equal(w, 0.5 * np.random.default_rng(0).standard_normal((2, 3)))
    out = periodic.transform(X)
    assert out.shape == (7, 2 * 7)
    for j in range(2):
        block = out[:, 7 * j:7 * (j + 1)]
        np.testing.assert_array_equal(block[:, 0], X[:, j])
        for k in range(3):
            angle = 2 * np.pi * w[j, k] * X[:, j]
            np.testing.assert_allclose(block[:, 1 + k], np.cos(angle), rtol=1e-14, atol=1e-15)
            np.testing.assert_allclose(block[:, 4 + k], np.sin(angle), rtol=1e-14, atol=1e-15)
    without = PeriodicFeatures(n_frequencies=3, sigma=0.5, include_original=False,
                               random_state=0).fit_transform(X)
    np.testing.assert_array_equal(without, np.delete(out, [0, 7], axis=1))


def test_periodic_features_seeding_and_global_rng():
    X = np.random.default_rng(4).normal(size=(5, 3))
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    a = PeriodicFeatures(random_state=7).fit_transform(X)
    b = clone(PeriodicFeatures(random_state=7)).fit_transform(X)
    fresh = [PeriodicFeatures().fit(X).frequencies_ for _ in range(2)]
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # global state untouched
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(fresh[0], fresh[1])  # None: fresh entropy per fit
    assert not np.array_equal(a, PeriodicFeatures(random_state=8).fit_transform(X))
    # a Generator and a RandomState are accepted and give reproducible draws
    g = PeriodicFeatures(random_state=np.random.default_rng(5)).fit(X).frequencies_
    np.testing.assert_array_equal(
        g, PeriodicFeatures(random_state=np.random.default_rng(5)).fit(X).frequencies_
    )
    r = PeriodicFeatures(random_state=np.random.RandomState(5)).fit(X).frequencies_
    np.testing.assert_array_equal(
        r, PeriodicFeatures(random_state=np.random.RandomState(5)).fit(X).frequencies_
    )


def test_periodic_features_float32_and_sparse():
    X = np.random.default_rng(6).normal(size=(6, 2))
    periodic = PeriodicFeatures(n_frequencies=2, random_state=0).fit(X)
    out32 = periodic.transform(X.astype(np.float32))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, periodic.transform(X), atol=1e-5)
    with pytest.raises(TypeError, match="[Ss]parse"):
        periodic.fit(sp.csr_matrix(X))


# -- feature names, set_output, pipelines -------------------------------------


def test_feature_names():
    X = np.zeros((3, 2))
    names = PeriodicFeatures(n_frequencies=2, random_state=0).fit(X).get_feature_names_out()
    assert names.tolist() == [
        "x0", "x0_cos0", "x0_cos1", "x0_sin0", "x0_sin1",
        "x1", "x1_cos0", "x1_cos1", "x1_sin0", "x1_sin1",
    ]
    names = PeriodicFeatures(n_frequencies=4, include_original=False).fit(X).get_feature_names_out(
        ["age", "bmi"]
    )
    assert names[:4].tolist() == ["age_cos0", "age_cos1", "age_cos2", "age_cos3"]
    assert names[-1] == "bmi_sin3" and len(names) == 16
    assert SmoothClipScaler().fit(X).get_feature_names_out().tolist() == ["x0", "x1"]


def test_set_output_pandas_and_pipeline():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(7)
    X = pd.DataFrame({"age": rng.normal(50, 10, 30), "income": rng.lognormal(10, 1, 30)})
    pipe = make_pipeline(
        SmoothClipScaler(), PeriodicFeatures(n_frequencies=2, random_state=0)
    ).set_output(transform="pandas")
    out = pipe.fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    assert out.columns.tolist()[:5] == ["age", "age_cos0", "age_cos1", "age_sin0", "age_sin1"]
    assert out.columns[-1] == "income_sin1"
    plain = make_pipeline(SmoothClipScaler(), PeriodicFeatures(n_frequencies=2, random_state=0))
    np.testing.assert_array_equal(out.to_numpy(), plain.fit_transform(X.to_numpy()))
    scaled = SmoothClipScaler().set_output(transform="pandas").fit_transform(X)
    assert scaled.columns.tolist() == ["age", "income"]
    assert (scaled["income"].abs() < 3).all()


def test_pipeline_with_mlp():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(80, 3)) * [1.0, 1e4, 1e-2] + [0.0, 1e5, 0.0]
    y = (X[:, 0] + X[:, 2] * 100 > 0).astype(int)
    model = make_pipeline(
        SmoothClipScaler(), PeriodicFeatures(n_frequencies=2, sigma=0.2, random_state=0),
        MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=100,
                      random_state=0),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # few epochs on purpose
        warnings.simplefilter("error", FeatureScaleWarning)  # the pipeline scales
        model.fit(X, y)
    assert model[-1].n_features_in_ == 3 * 5
    assert model.score(X, y) > 0.9


# -- the fit-time scale warning ------------------------------------------------


def _scaled_columns(ratio, n=60, seed=0):
    X = np.random.default_rng(seed).normal(size=(n, 3))
    X = (X - X.mean(axis=0)) / X.std(axis=0)  # standard deviations exactly 1
    X[:, 1] *= ratio
    return X


def _scale_warnings(est, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    return [w for w in caught if issubclass(w.category, FeatureScaleWarning)]


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_scale_warning_threshold(Estimator):
    y = np.arange(60) % 2
    est = Estimator(hidden_layer_sizes=(3,), max_iter=2)
    above = _scale_warnings(est, _scaled_columns(SCALE_RATIO_LIMIT * 1.01), y)
    assert len(above) == 1
    message = str(above[0].message)
    assert re.search(r"factor of 1\.01e\+03: 1\.01e\+03 in column 1, 1 in column [02]", message)
    assert "StandardScaler" in message and "SmoothClipScaler" in message
    assert above[0].filename == __file__  # points at the caller's fit
    assert not _scale_warnings(est, _scaled_columns(SCALE_RATIO_LIMIT * 0.99), y)
    X_raw = _scaled_columns(1e6) + 1e3
    assert len(_scale_warnings(est, X_raw, y)) == 1
    assert not _scale_warnings(est, StandardScaler().fit_transform(X_raw), y)
    assert not _scale_warnings(est, SmoothClipScaler().fit_transform(X_raw), y)


def test_scale_warning_ignores_constant_columns_and_names_features():
    pd = pytest.importorskip("pandas")
    X = _scaled_columns(1.0)
    X[:, 2] = 0.1  # constant: no scale of its own (its float64 std is not exactly 0)
    X = np.column_stack([X, np.full(60, 1e9)])
    y = np.arange(60) % 2
    est = MLPRegressor(hidden_layer_sizes=(3,), max_iter=2)
    assert not _scale_warnings(est, X, y)
    X[:, 0] *= 1e5
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    (w,) = _scale_warnings(est, frame, y)
    assert "column 0 ('a')" in str(w.message) and "column 1 ('b')" in str(w.message)


def test_scale_warning_only_on_fresh_fits():
    X, y = _scaled_columns(1e4), np.arange(60) % 2
    est = MLPRegressor(hidden_layer_sizes=(3,), max_iter=2, warm_start=True)
    assert len(_scale_warnings(est, X, y)) == 1
    assert not _scale_warnings(est, X, y)  # continued
    fresh = MLPRegressor(hidden_layer_sizes=(3,))
    for expected in (1, 0):  # the first partial_fit starts a network, the next continues
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est.partial_fit(X, y)
            fresh.partial_fit(X, y)
        assert len([w for w in caught if issubclass(w.category, FeatureScaleWarning)]) == expected


def test_scale_warning_on_sparse_without_densifying():
    X = sp.random(200, 5, density=0.3, random_state=0, format="csr")
    X = X @ sp.diags([1.0, 1.0, 1.0, 1.0, 1e5])
    y = np.arange(200) % 2
    dense_stds, _ = column_stds(X.toarray())
    for fmt in ("csr", "csc"):
        stds, _ = column_stds(X.asformat(fmt))
        np.testing.assert_allclose(stds, dense_stds, rtol=1e-12)
        np.testing.assert_allclose(stds, X.toarray().std(axis=0), rtol=1e-12)
        assert len(_scale_warnings(MLPRegressor(hidden_layer_sizes=(3,), max_iter=2),
                                   X.asformat(fmt), y)) == 1


def test_column_stds_no_overflow():
    X = np.column_stack([np.array([1e200, -1e200, 0.0]), np.array([1.0, 2.0, 3.0])])
    stds, _ = column_stds(X, block_bytes=2 * 8 * X.shape[1])  # blocks of 2 rows
    np.testing.assert_allclose(stds, [np.sqrt(2 / 3) * 1e200, np.sqrt(2 / 3)], rtol=1e-14)


# -- bad parameters ------------------------------------------------------------


@pytest.mark.parametrize("Transformer, params, name", [
    (SmoothClipScaler, {"clip": 0.0}, "clip"),
    (SmoothClipScaler, {"clip": -1.0}, "clip"),
    (SmoothClipScaler, {"clip": "3"}, "clip"),
    (SmoothClipScaler, {"quantile_range": (75.0, 25.0)}, "quantile_range"),
    (SmoothClipScaler, {"quantile_range": (0.0, 101.0)}, "quantile_range"),
    (SmoothClipScaler, {"quantile_range": (25.0,)}, "quantile_range"),
    (SmoothClipScaler, {"quantile_range": [25.0, 75.0]}, "quantile_range"),
    (SmoothClipScaler, {"with_centering": "yes"}, "with_centering"),
    (PeriodicFeatures, {"n_frequencies": 0}, "n_frequencies"),
    (PeriodicFeatures, {"n_frequencies": 2.5}, "n_frequencies"),
    (PeriodicFeatures, {"n_frequencies": True}, "n_frequencies"),
    (PeriodicFeatures, {"sigma": 0.0}, "sigma"),
    (PeriodicFeatures, {"sigma": np.nan}, "sigma"),
    (PeriodicFeatures, {"include_original": 1.0}, "include_original"),
    (PeriodicFeatures, {"random_state": "seed"}, "random_state"),
])
def test_bad_parameters(Transformer, params, name):
    with pytest.raises(ValueError, match=name):
        Transformer(**params).fit(np.zeros((4, 2)))


def test_scale_warning_silent_when_every_spread_is_at_most_unit_scale():
    # scaled inputs next to a nearly constant column (std 1e-5): no warning,
    # as for periodic features at a frequency close to zero
    X = np.random.default_rng(0).normal(size=(60, 3))
    X[:, 2] *= 1e-5
    est = MLPRegressor(hidden_layer_sizes=(3,), max_iter=1)
    assert _scale_warnings(est, X, X[:, 0]) == []
    # the same ratio with a wide column warns
    assert len(_scale_warnings(est, X * 1e3, X[:, 0])) == 1


def test_recipe_pipeline_raises_no_scale_warning():
    from sklearn.datasets import load_iris

    from skreg.preprocessing import PeriodicFeatures as Periodic

    X, _ = load_iris(return_X_y=True)
    for seed in range(5):
        Z = Periodic(n_frequencies=8, sigma=0.1, random_state=seed).fit_transform(
            SmoothClipScaler().fit_transform(X))
        est = MLPRegressor(hidden_layer_sizes=(3,), max_iter=1)
        assert _scale_warnings(est, Z, X[:, 0]) == []
