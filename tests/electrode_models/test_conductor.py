import math

import numpy as np
import pytest
from scipy.integrate import quad

from electrode_models.conductor import gain_matrix, point_source_potential_uV

SIGMA = 0.3
K = 1000.0 / (4 * math.pi * SIGMA)  # µV per (nA/µm)


def test_point_source_closed_form():
    rng = np.random.default_rng(0)
    src = rng.uniform(-100, 100, (5, 3))
    cur = rng.normal(0, 5, 5)
    el = rng.uniform(-300, 300, (7, 3))
    got = point_source_potential_uV(src, cur, el, SIGMA)
    r = np.linalg.norm(el[:, None] - src[None], axis=2)
    want = (K * cur / r).sum(axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-3)
    # 1 nA at 10 µm in 0.3 S/m: 1e-9 / (4 pi 0.3 * 1e-5) V = 26.53 µV
    v = point_source_potential_uV([[0, 0, 0]], [1.0], [[10.0, 0, 0]], 0.3)
    assert v[0] == pytest.approx(26.5258, rel=1e-4)


def test_point_source_clamp():
    v = point_source_potential_uV([[0, 0, 0]], [1.0], [[0.1, 0, 0]], SIGMA, min_distance_um=2.0)
    assert v[0] == pytest.approx(K / 2.0)


@pytest.mark.parametrize("p", [[5.0, 3.0, 20.0], [0.0, 10.0, -30.0], [0.0, 4.0, 80.0],
                               [50.0, -20.0, 40.0], [1.0, 0.0, 200.0]])
def test_line_source_vs_quadrature(p):
    s0 = np.array([0.0, 0.0, 0.0])
    s1 = np.array([0.0, 0.0, 50.0])
    L = 50.0
    p = np.array(p)
    integral, _ = quad(lambda s: 1.0 / np.linalg.norm(p - (s0 + (s1 - s0) * s / L)), 0, L,
                       epsabs=0, epsrel=1e-10, limit=200)
    want = K * integral / L
    got = gain_matrix(p[None], s0[None], s1[None], SIGMA, min_distance_um=1e-3)[0, 0]
    assert got == pytest.approx(want, rel=1e-3)


def test_line_source_oblique_vs_quadrature():
    s0 = np.array([10.0, -5.0, 3.0])
    s1 = np.array([30.0, 15.0, -12.0])
    p = np.array([12.0, 40.0, 7.0])
    L = np.linalg.norm(s1 - s0)
    integral, _ = quad(lambda s: 1.0 / np.linalg.norm(p - (s0 + (s1 - s0) * s / L)), 0, L,
                       epsrel=1e-10)
    got = gain_matrix(p[None], s0[None], s1[None], SIGMA)[0, 0]
    assert got == pytest.approx(K * integral / L, rel=1e-3)


def test_short_line_is_point_source():
    p = np.array([[20.0, 5.0, 7.0]])
    r = np.linalg.norm(p)
    for L in (1e-12, 1e-4):
        g = gain_matrix(p, [[0, 0, 0]], [[0, 0, L]], SIGMA)[0, 0]
        assert g == pytest.approx(K / r, rel=1e-4)


def test_disc_average_on_axis():
    # mean of 1/r over a disc of radius a, point at height h on its axis: 2(sqrt(a²+h²)-h)/a²
    a = 20.0
    for h in (10.0, 20.0, 50.0):
        want = K * 2 * (math.sqrt(a * a + h * h) - h) / a ** 2
        got = gain_matrix([[0, 0, 0]], [[0, 0, h]], [[0, 0, h]], SIGMA, electrode_radius_um=a,
                          electrode_normal=[[0, 0, 1.0]], n_disc_points=256)[0, 0]
        assert got == pytest.approx(want, rel=5e-3)


def test_disc_plane_axes_equal_normals():
    rng = np.random.default_rng(1)
    s0 = rng.uniform(-30, 30, (4, 3))
    s1 = s0 + rng.uniform(-20, 20, (4, 3))
    axes = np.array([[[0, 0, 1.0], [1.0, 0, 0]]])
    g1 = gain_matrix([[0, 0, 0]], s0, s1, SIGMA, 10.0, axes, n_disc_points=128)
    g2 = gain_matrix([[0, 0, 0]], s0, s1, SIGMA, 10.0, [[0, 1.0, 0]], n_disc_points=128)
    np.testing.assert_allclose(g1, g2, rtol=2e-3)


def test_dipole_far_field():
    # ±I at ±d/2 on z: phi = K I d cos(theta) / R² for R >> d
    d, current = 10.0, 2.0
    src_s = np.array([[0, 0, d / 2], [0, 0, -d / 2]])
    R = 2000.0
    for theta in (0.0, 0.6, 1.2):
        el = np.array([[R * math.sin(theta), 0.0, R * math.cos(theta)]])
        phi = point_source_potential_uV(src_s, [current, -current], el, SIGMA)[0]
        assert phi == pytest.approx(K * current * d * math.cos(theta) / R ** 2, rel=1e-3)
    # the same dipole built from the gain matrix (two zero-length segments)
    g = gain_matrix(el, src_s, src_s, SIGMA)
    assert (g @ [current, -current])[0] == pytest.approx(phi, rel=1e-9)


@pytest.mark.parametrize("kwargs, match", [
    (dict(sigma_S_per_m=0.0), r"sigma_S_per_m must be in \(0, inf\] S/m, got 0.0"),
    (dict(electrode_radius_um=-1.0), r"electrode_radius_um must be in"),
    (dict(n_disc_points=0), r"n_disc_points must be in \[1, 4096\]"),
    (dict(min_distance_um=0.0), r"min_distance_um must be > 0"),
    (dict(electrode_normal=[[0, 0, 0.0]]), r"electrode_normal must be non-zero"),
    (dict(electrode_normal=[[0, 0, 1.0], [0, 1.0, 0]]), r"electrode_normal must have shape"),
    (dict(far_factor=0.5), r"far_factor must be in"),
])
def test_gain_matrix_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gain_matrix([[0, 0, 0]], [[1, 1, 1]], [[2, 2, 2]], **kwargs)


def test_shape_errors():
    with pytest.raises(ValueError, match=r"seg_end_um must have shape \(1, 3\)"):
        gain_matrix([[0, 0, 0]], [[1, 1, 1]], [[2, 2, 2], [3, 3, 3]])
    with pytest.raises(ValueError, match=r"current_nA must have shape \(1\)"):
        point_source_potential_uV([[0, 0, 0]], [1.0, 2.0], [[1, 0, 0]])
    with pytest.raises(ValueError, match=r"min_distance_um must be in"):
        point_source_potential_uV([[0, 0, 0]], [1.0], [[1, 0, 0]], min_distance_um=0)
    with pytest.raises(TypeError, match=r"sigma_S_per_m must be a number"):
        point_source_potential_uV([[0, 0, 0]], [1.0], [[1, 0, 0]], sigma_S_per_m="x")
