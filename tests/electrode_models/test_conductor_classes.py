"""Volume conductors against closed forms and LFPykit."""

import math

import numpy as np
import pytest

from electrode_models.conductor import HalfSpaceConductor, InfiniteConductor


@pytest.fixture
def generate_segments():
    rng = np.random.default_rng(3)
    s0 = rng.uniform(-200, 200, (40, 3)) - [0, 0, 400]
    s1 = s0 + rng.normal(0, 15, (40, 3))
    el = rng.uniform(-300, 300, (25, 3)) - [0, 0, 400]
    # keep electrodes >= 20 µm from every segment so no clamp is active
    d = np.linalg.norm(el[:, None] - 0.5 * (s0 + s1)[None], axis=2)
    el = el[d.min(axis=1) > 60]
    return el, s0, s1


def test_anisotropic_point_source_closed_form():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 3))
    sigma = a @ a.T + 0.2 * np.eye(3)
    src = rng.uniform(-100, 100, (10, 3))
    el = rng.uniform(-300, 300, (12, 3))
    g = InfiniteConductor(sigma).gain_matrix(el, src, src)
    r = el[:, None, :] - src[None]
    q = np.einsum("ijk,kl,ijl->ij", r, np.linalg.inv(sigma), r)
    want = 1000.0 / (4 * math.pi * math.sqrt(np.linalg.det(sigma)) * np.sqrt(q))
    np.testing.assert_allclose(g, want, rtol=1e-3)  # < 0.1 %


def test_anisotropic_dipole_is_limit_of_two_point_sources():
    sigma = np.diag([0.3, 0.2, 0.1])
    c = InfiniteConductor(sigma)
    el = np.array([[50.0, -80.0, 120.0], [300.0, 10.0, -40.0]])
    p = np.array([2.0, -1.0, 3.0])
    h = 1e-3
    src = np.array([[0.0, 0.0, 0.0]])
    g_plus = c.gain_matrix(el, src + h * p / 2, src + h * p / 2)[:, 0]
    g_minus = c.gain_matrix(el, src - h * p / 2, src - h * p / 2)[:, 0]
    want = (g_plus - g_minus) / h
    got = c.dipole_gain_matrix(el, src)[:, 0, :] @ p
    np.testing.assert_allclose(got, want, rtol=1e-4)


def test_isotropic_tensor_equals_scalar(generate_segments):
    el, s0, s1 = generate_segments
    a = InfiniteConductor(0.3).gain_matrix(el, s0, s1)
    b = InfiniteConductor(np.diag([0.3, 0.3, 0.3 + 1e-13])).gain_matrix(el, s0, s1)
    np.testing.assert_allclose(a, b, rtol=1e-9)


def test_images_double_on_insulating_plane():
    src = np.array([[10.0, -20.0, -300.0], [0.0, 0.0, -50.0]])
    el = np.array([[0.0, 0.0, 0.0], [400.0, 100.0, 0.0]])
    inf = InfiniteConductor(0.3).gain_matrix(el, src, src)
    half = HalfSpaceConductor(0.3, 0.0).gain_matrix(el, src, src)
    np.testing.assert_allclose(half, 2.0 * inf, rtol=1e-12)


def test_images_closed_form_two_media_and_continuity():
    s, a = 0.3, 1.65
    k = (s - a) / (s + a)
    src = np.array([[0.0, 0.0, -200.0]])
    el = np.array([[100.0, 0.0, -50.0], [100.0, 0.0, 50.0], [100.0, 0.0, -1e-6], [100.0, 0.0, 1e-6]])
    g = HalfSpaceConductor(s, a).gain_matrix(el, src, src)[:, 0]
    r = np.linalg.norm(el - src, axis=1)
    r_img = np.linalg.norm(el - [0.0, 0.0, 200.0], axis=1)
    np.testing.assert_allclose(g[0], 1000 / (4 * math.pi * s) * (1 / r[0] + k / r_img[0]), rtol=1e-9)
    np.testing.assert_allclose(g[1], 1000 / (2 * math.pi * (s + a) * r[1]), rtol=1e-9)
    np.testing.assert_allclose(g[2], g[3], rtol=1e-6)  # potential continuous across the plane


def test_dipole_image_insulating_plane():
    c = HalfSpaceConductor(0.3, 0.0)
    el = np.array([[0.0, 0.0, 0.0], [700.0, 0.0, 0.0]])
    dip = np.array([[0.0, 0.0, -1000.0]])
    p = np.array([0.0, 0.0, 1e6])  # 1 nA·m upward dipole (nA·µm)
    got = c.dipole_gain_matrix(el, dip)[:, 0, :] @ p
    r = el - dip
    want = 2 * 1000 * (r @ p) / (4 * math.pi * 0.3 * np.linalg.norm(r, axis=1) ** 3)
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    (dict(sigma_S_per_m=[[1, 0], [0, 1]]), r"sigma_S_per_m must be a scalar, 3 principal"),
    (dict(sigma_S_per_m=[[1, 2, 0], [0, 1, 0], [0, 0, 1]]), r"finite symmetric tensor"),
    (dict(sigma_S_per_m=[0.3, -0.1, 0.3]), r"must be positive definite"),
])
def test_infinite_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        InfiniteConductor(**kwargs)


def test_anisotropic_errors():
    c = InfiniteConductor([0.3, 0.3, 0.1])
    src = np.zeros((1, 3))
    with pytest.raises(ValueError, match=r"min_distance_um must be > 0"):
        c.gain_matrix(np.ones((1, 3)), src, src, min_distance_um=0.0)
    with pytest.raises(ValueError, match=r"electrode_radius_um must be in \[0, 5000\]"):
        c.gain_matrix(np.ones((1, 3)), src, src, electrode_radius_um=-1.0)


def test_half_space_errors():
    with pytest.raises(ValueError, match=r"sigma_above_S_per_m must be in \[0, inf\]"):
        HalfSpaceConductor(0.3, -1.0)
    c = HalfSpaceConductor()
    with pytest.raises(ValueError, match=r"seg_start_um must lie in the tissue"):
        c.gain_matrix(np.zeros((1, 3)), [[0, 0, 10.0]], [[0, 0, -10.0]])
    with pytest.raises(ValueError, match=r"dipole_pos_um must lie in the tissue"):
        c.dipole_gain_matrix(np.zeros((1, 3)), [[0, 0, 10.0]])


# -- LFPykit ----------------------------------------------------------------------------------

def _lfpykit_cell(s0, s1):
    lfpykit = pytest.importorskip("lfpykit")
    return lfpykit, lfpykit.CellGeometry(x=np.stack([s0[:, 0], s1[:, 0]], 1),
                                         y=np.stack([s0[:, 1], s1[:, 1]], 1),
                                         z=np.stack([s0[:, 2], s1[:, 2]], 1),
                                         d=np.full(s0.shape[0], 1.0))


def test_line_source_against_lfpykit(generate_segments):
    el, s0, s1 = generate_segments
    lfpykit, cell = _lfpykit_cell(s0, s1)
    ref = lfpykit.LineSourcePotential(cell, x=el[:, 0], y=el[:, 1], z=el[:, 2],
                                      sigma=0.3).get_transformation_matrix() * 1000.0  # mV -> µV
    got = InfiniteConductor(0.3).gain_matrix(el, s0, s1)
    np.testing.assert_allclose(got, ref, rtol=1e-2)
    assert np.max(np.abs(got / ref - 1)) < 1e-6  # in fact identical formulas


def test_point_source_against_lfpykit(generate_segments):
    el, s0, s1 = generate_segments
    lfpykit, cell = _lfpykit_cell(s0, s1)
    mid = 0.5 * (s0 + s1)
    ref = lfpykit.PointSourcePotential(cell, x=el[:, 0], y=el[:, 1], z=el[:, 2],
                                       sigma=0.3).get_transformation_matrix() * 1000.0
    got = InfiniteConductor(0.3).gain_matrix(el, mid, mid)
    np.testing.assert_allclose(got, ref, rtol=1e-2)


def _lfpcalc_matrix(fn, el, s0, s1, sigma):
    lfpcalc = pytest.importorskip("lfpykit.lfpcalc")
    cx, cy, cz = (np.stack([s0[:, i], s1[:, i]], 1) for i in range(3))
    rlim = np.full(s0.shape[0], 0.5)
    return np.array([getattr(lfpcalc, fn)(cx, cy, cz, x, y, z, np.asarray(sigma), rlim)
                     for x, y, z in el]) * 1000.0  # mV/nA -> µV/nA


def test_anisotropic_point_source_against_lfpykit(generate_segments):
    el, s0, s1 = generate_segments
    sigma = [0.3, 0.2, 0.12]
    ref = _lfpcalc_matrix("calc_lfp_pointsource_anisotropic", el, s0, s1, sigma)
    mid = 0.5 * (s0 + s1)
    got = InfiniteConductor(sigma).gain_matrix(el, mid, mid)
    np.testing.assert_allclose(got, ref, rtol=1e-2)


def test_anisotropic_line_source_against_lfpykit(generate_segments):
    el, s0, s1 = generate_segments
    sigma = [0.3, 0.2, 0.12]
    ref = _lfpcalc_matrix("calc_lfp_linesource_anisotropic", el, s0, s1, sigma)
    got = InfiniteConductor(sigma).gain_matrix(el, s0, s1)
    np.testing.assert_allclose(got, ref, rtol=1e-2)


def test_line_source_limit_against_lfpykit_beyond_the_ends():
    """LFPy's ``r_limit`` raises the distance to the axis to r_limit whatever the projection h,
    also beyond a segment's ends; ours only inside the segment's cylinder (and caps of radius
    r_limit about the end points). Beside the segment both agree; beyond the ends (outside the
    caps) ours is the exact integral and LFPykit's is 10-14 % low."""
    from scipy.integrate import quad
    lfpcalc = pytest.importorskip("lfpykit.lfpcalc")
    s0, s1, r_lim = np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.0, 20.0]), 10.0  # a soma
    el = np.array([[12.0, 0.0, 10.0], [25.0, 5.0, -3.0],            # beside
                   [0.0, 0.0, -10.5], [3.0, 0.0, 31.0], [6.0, 0.0, -9.0]])  # beyond the ends
    cx, cy, cz = (np.array([[s0[i], s1[i]]]) for i in range(3))
    ref = np.array([lfpcalc.calc_lfp_linesource(cx, cy, cz, x, y, z, 0.3, np.array([r_lim]))[0]
                    for x, y, z in el]) * 1000.0
    got = InfiniteConductor(0.3).gain_matrix(el, s0[None], s1[None], min_distance_um=r_lim)[:, 0]
    exact = np.array([quad(lambda u: 1.0 / np.linalg.norm(p - [0, 0, u]), 0, 20.0,
                           epsrel=1e-12)[0] / 20.0 for p in el]) * 1000 / (4 * math.pi * 0.3)
    np.testing.assert_allclose(got[:2], ref[:2], rtol=1e-9)
    np.testing.assert_allclose(got, exact, rtol=1e-9)
    assert np.all(ref[2:] / exact[2:] - 1 < -0.05)
