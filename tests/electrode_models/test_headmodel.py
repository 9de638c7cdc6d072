"""Four-sphere head model: against LFPykit, the infinite homogeneous medium, and the skull's attenuation."""

import warnings

import numpy as np
import pytest

from electrode_models import (
    DEFAULT_RADII_UM,
    DEFAULT_SIGMA_S_PER_M,
    FourSphereConductor,
    InfiniteConductor,
)

R1, R2, R3, R4 = DEFAULT_RADII_UM


@pytest.fixture(scope="module")
def head():
    return FourSphereConductor()


def generate_head_geometry(rng, n_el_per_shell=2):
    """A random dipole in the brain and electrodes in every shell, farther from the centre."""
    d = rng.normal(size=3)
    d /= np.linalg.norm(d)
    rz = rng.uniform(70000.0, R1 - 300.0)
    els = []
    for lo, hi in ((rz + 50.0, R1), (R1, R2), (R2, R3), (R3, R4)):
        for _ in range(n_el_per_shell):
            e = d + rng.normal(size=3) * rng.uniform(0.002, 0.3)
            els.append(e / np.linalg.norm(e) * rng.uniform(lo, hi))
    return np.array(els), d * rz


def test_matches_lfpykit_on_random_geometries(head):
    """Næss et al. (2017) series as implemented in LFPykit (tight stop factor): < 1 % (here ~1e-6)."""
    lfpykit = pytest.importorskip("lfpykit.eegmegcalc")
    rng = np.random.default_rng(2017)
    worst = 0.0
    for _ in range(6):
        el, dip = generate_head_geometry(rng)
        ours = head.dipole_gain_matrix_head(el, dip[None])[:, 0, :]  # µV/(nA·µm)
        ref_model = lfpykit.FourSphereVolumeConductor(el, list(DEFAULT_RADII_UM),
                                                      list(DEFAULT_SIGMA_S_PER_M), iter_factor=1e-10)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = ref_model.get_transformation_matrix(dip) * 1000.0  # mV -> µV
        p = rng.normal(size=(3, 4)) * 100.0  # four random dipole moments, nA·µm
        a, b = ours @ p, ref @ p
        worst = max(worst, float(np.max(np.abs(a - b) / np.abs(b))))
    assert worst < 0.01


def test_equal_conductivities_give_the_infinite_medium(head):
    """All shells at 0.3 S/m: the infinite-medium dipole p.r/(4 pi sigma r^3), < 0.1 %.

    Electrodes within 600 µm of dipoles >= 5 mm inside the scalp: the insulating scalp boundary
    (the only remaining interface) then changes the potential by < (0.6/10)^2 / 4 < 0.1 %.
    """
    hom = FourSphereConductor(sigma_S_per_m=[0.3] * 4)
    rng = np.random.default_rng(1)
    d = rng.normal(size=(10, 3))
    dip = d / np.linalg.norm(d, axis=1, keepdims=True) * rng.uniform(60000.0, 78900.0, (10, 1))
    el = dip[:, None, :] + rng.normal(size=(10, 4, 3)) * 200.0
    el = el[np.linalg.norm(el - dip[:, None], axis=2) < 600.0]
    g = hom.dipole_gain_matrix_head(el, dip)
    p = rng.normal(size=(len(dip), 3)) * 50.0
    ours = np.einsum("edi,di->ed", g, p)
    r = el[:, None, :] - dip[None]
    closed = 1000.0 * np.einsum("edi,di->ed", r, p) / (4 * np.pi * 0.3 * np.linalg.norm(r, axis=2) ** 3)
    dist = np.linalg.norm(r, axis=2)
    near = dist < 600.0
    # error relative to the field scale |p| / (4 pi sigma r^2) (the closed form vanishes on the
    # dipole's nodal plane, where a relative error has no meaning)
    scale = 1000.0 * np.linalg.norm(p, axis=1)[None, :] / (4 * np.pi * 0.3 * dist ** 2)
    assert np.max(np.abs(ours - closed)[near] / scale[near]) < 1e-3


def test_tissue_frame_on_the_axis_equals_the_head_frame(head):
    """On the head's axis the wrap map is the translation z -> z + r_1 (no rotation)."""
    el_t = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 1000.0], [0.0, 0.0, 11000.0], [0.0, 0.0, -300.0]])
    dip_t = np.array([[0.0, 0.0, -800.0]])
    g_t = head.dipole_gain_matrix(el_t, dip_t)
    g_h = head.dipole_gain_matrix_head(el_t + [0.0, 0.0, R1], dip_t + [0.0, 0.0, R1])
    np.testing.assert_allclose(g_t, g_h, rtol=1e-12, atol=1e-15)


def test_tissue_frame_wrap_keeps_depth_and_rotates_moments(head):
    """A laterally shifted pair (same depth, same offset) gives the same potential: spherical symmetry."""
    dip = np.array([[0.0, 0.0, -500.0], [7000.0, -3000.0, -500.0]])
    el = dip + [200.0, 0.0, 500.0]
    g = head.dipole_gain_matrix(el, dip)
    radial = np.array([0.0, 0.0, 1.0])  # local vertical: radial at both places
    assert g[1, 1] @ radial == pytest.approx(g[0, 0] @ radial, rel=2e-3)
    np.testing.assert_allclose(np.linalg.norm(head.tissue_to_head(dip), axis=1), R1 - 500.0)
    assert list(head.shell_of([[0, 0, 0.0], [0, 0, 500.0], [0, 0, 3000.0], [0, 0, 8000.0]])) == [0, 1, 2, 3]


def test_brain_electrodes_below_the_dipole(head):
    """Electrodes deeper than the dipole (intracortical) use the closed-form direct term: within
    100 µm of a dipole 1 mm deep the head model is the infinite medium up to the CSF reflection
    (image ~2 mm away, |k| = 2/3: < 0.3 %)."""
    dip = np.array([[0.0, 0.0, R1 - 1000.0]])
    el = dip + np.array([[0.0, 0.0, -100.0], [30.0, 0.0, 0.0], [40.0, 50.0, -60.0]])
    g = head.dipole_gain_matrix_head(el, dip)[:, 0]
    inf = InfiniteConductor(0.3).dipole_gain_matrix(el, dip)[:, 0]
    scale = np.abs(inf).max(axis=1, keepdims=True)
    assert np.max(np.abs(g - inf) / scale) < 3e-3


def test_skull_attenuates(head):
    """Same radial dipole 1 mm deep: subdural >> epidural (1 mm of CSF) >> scalp (5 mm of skull)."""
    dip = [[0.0, 0.0, -1000.0]]
    p = np.array([0.0, 0.0, 1e6])  # 1 nA·m
    sub, epi, scalp = (head.dipole_gain_matrix([[0.0, 0.0, z]], dip)[0, 0] @ p
                       for z in (0.0, R2 - R1, R4 - R1))
    assert sub > 0 and epi > 0 and scalp > 0
    assert epi < 0.7 * sub
    assert scalp < 0.05 * sub
    # EEG of a 1 nA·m (10 nA·m: ~10 mm² of synchronous cortex) dipole: ~1 µV on the scalp
    # (Nunez & Srinivasan 2006; Murakami & Okada 2006: 10 nA·m -> ~10 µV)
    assert 0.1 < scalp < 10.0


def test_homogeneous_insulated_sphere_surface_closed_form():
    """All shells equal: an insulated homogeneous sphere of radius R. A radial dipole p at r_z on
    the axis gives on the surface above it (Neumann condition, Legendre series summed)

        phi = p / (4 pi sigma R^2) sum_n (2n + 1) t^(n-1) = p (3 - t) / (4 pi sigma R^2 (1 - t)^2),  t = r_z / R
    """
    sigma, R = 0.3, R4
    hom = FourSphereConductor(sigma_S_per_m=[sigma] * 4)
    for rz in (45000.0, 78000.0, 78990.0):
        g = hom.dipole_gain_matrix_head([[0.0, 0.0, R]], [[0.0, 0.0, rz]])[0, 0, 2]
        t = rz / R
        closed = 1000.0 * (3 - t) / (4 * np.pi * sigma * R ** 2 * (1 - t) ** 2)
        assert g == pytest.approx(closed, rel=1e-6)


@pytest.mark.parametrize("kwargs, match", [
    ({"radii_um": [79000.0, 78000.0, 85000.0, 90000.0]}, "radii_um must increase strictly"),
    ({"radii_um": [0.0, 80000.0, 85000.0, 90000.0]}, r"radii_um\[0\] \(brain\) must be in \(0, 1e\+06\] µm"),
    ({"radii_um": [1.0, 2.0]}, r"radii_um must have shape \(4\)"),
    ({"sigma_S_per_m": [0.3, 1.5, 0.0, 0.3]}, r"sigma_S_per_m\[2\] \(skull\) must be in \(0, 100\] S/m, got"),
    ({"max_terms": 5}, "max_terms must be in"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FourSphereConductor(**kwargs)


def test_bad_positions(head):
    with pytest.raises(ValueError, match=r"dipole_pos_um must lie in the brain \(tissue frame z < 0 µm\)"):
        head.dipole_gain_matrix([[0.0, 0.0, 0.0]], [[0.0, 0.0, 5.0]])
    with pytest.raises(ValueError, match="dipole_pos_um must lie above the head centre"):
        head.dipole_gain_matrix([[0.0, 0.0, 0.0]], [[0.0, 0.0, -80000.0]])
    with pytest.raises(ValueError, match=r"electrode_pos_um must lie within the head, z in \[-79000, 11000\]"):
        head.dipole_gain_matrix([[0.0, 0.0, 12000.0]], [[0.0, 0.0, -100.0]])
    with pytest.raises(ValueError, match=r"dipole_pos_um must lie in the brain, 0 < \|r\| < r_brain"):
        head.dipole_gain_matrix_head([[0.0, 0.0, 85000.0]], [[0.0, 0.0, 79500.0]])
    with pytest.raises(ValueError, match=r"electrode_pos_um must lie within the head, \|r\| <= r_scalp"):
        head.dipole_gain_matrix_head([[0.0, 0.0, 95000.0]], [[0.0, 0.0, 70000.0]])
    with pytest.raises(ValueError, match=r"electrode_pos_um must have shape \(any, 3\)"):
        head.dipole_gain_matrix([[0.0, 0.0]], [[0.0, 0.0, -100.0]])
    with pytest.raises(ValueError, match="min_distance_um must be in"):
        head.dipole_gain_matrix([[0.0, 0.0, 0.0]], [[0.0, 0.0, -100.0]], min_distance_um=0.0)
    with pytest.raises(ValueError, match="frame must be one of"):
        head.shell_of([[0.0, 0.0, 0.0]], frame="lab")
    assert head.dipole_gain_matrix(np.zeros((0, 3)), [[0.0, 0.0, -100.0]]).shape == (0, 1, 3)
