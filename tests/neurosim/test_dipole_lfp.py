"""The populations' current dipoles in the recording: quadrature, chunking, and what each class sees."""

import dataclasses

import numpy as np
import pytest

import electrode_models as em
from neurosim.design import default_design
from neurosim.electrodes import (
    _continuum_gain,
    build_probe,
    setup_dipole_lfp,
)
from neurosim.populations import Activity


def _design(layout="utah", params=None, **extra):
    return default_design().replace(**{
        "seed": 11, "population.model": "balanced_ei", "population.record_lfp": True,
        "population.reach_radius_um": 40.0, "recording.duration_s": 0.5,
        "implant.layout": layout, "implant.layout_params": params or {"rows": 2, "cols": 2, "drop_corners": 0}, **extra})


def generate_activity(positions_um, rng, n_t=500, dt_s=1e-3, amp_nA_um=1e4):
    """A synthetic activity: pyramidal cells at these somata, one population, a 10 Hz + noise dipole."""
    n = len(positions_um)
    t = np.arange(n_t) * dt_s
    p = amp_nA_um * (1.0 + 0.3 * np.sin(2 * np.pi * 10.0 * t) + 0.05 * rng.standard_normal(n_t))
    dip = np.zeros((n_t, 2, 3))
    dip[:, 0, 2] = -p
    return Activity(spike_times_s=np.zeros(0), spike_units=np.zeros(0, np.int64),
                    positions_um=np.asarray(positions_um, float), cell_types=np.zeros(n, np.int8),
                    orientations=np.tile([0.0, 0.0, 1.0], (n, 1)), duration_s=n_t * dt_s,
                    population_labels=np.zeros(n, np.int64), population_names=("E", "I"),
                    lfp_proxy={"time_s": t, "proxy": np.zeros((n_t, 2)), "dipole_nA_um": dip})


# -- the patch integral against closed forms ---------------------------------------------------

@pytest.mark.parametrize("zc", [0.0, 500.0])
def test_patch_integral_surface_contact_solid_angle(zc):
    """Vertical unit dipoles filling a disc of radius R between depths d1 and d2 below a contact at
    height zc, infinite medium: phi = 1000/(4 pi sigma) * 2 pi [(d2 - d1) - (sqrt(d2^2+R^2) - sqrt(d1^2+R^2))]
    per cell/µm³ (the integral over depth of the disc's solid angle)."""
    inf = em.InfiniteConductor(0.3)
    R, top, bottom = 700.0, 150.0, 2000.0
    got = _continuum_gain(inf, zc, 40.0, top, bottom, R, False)
    d1, d2 = top + zc, bottom + zc
    closed = 1000 / (4 * np.pi * 0.3) * 2 * np.pi * ((d2 - d1) - (np.hypot(d2, R) - np.hypot(d1, R)))
    assert got == pytest.approx(closed, rel=1e-6)


def test_patch_integral_intracortical_contact_difference_of_discs():
    """Contact inside the slab: the excluded sphere adds nothing by symmetry, so the integral is the
    layer below (positive) minus the layer above: 1000/(4 pi sigma) 2 pi [F(h_below) - F(h_above)],
    F(h) = h - (sqrt(h^2 + R^2) - R)."""
    inf = em.InfiniteConductor(0.3)
    R = 500.0
    got = _continuum_gain(inf, -1000.0, 60.0, 150.0, 2000.0, R, False)
    F = lambda h: h - (np.hypot(h, R) - R)
    closed = 1000 / (4 * np.pi * 0.3) * 2 * np.pi * (F(1000.0) - F(850.0))
    assert got == pytest.approx(closed, rel=0.01)


# -- time: interpolation and chunking ---------------------------------------------------------

@pytest.fixture(scope="module")
def synthetic_lfp():
    rng = np.random.default_rng(0)
    design = _design()
    setup = build_probe(design)
    cells = setup.positions_um[:, None, :] + rng.normal(size=(4, 5, 3)) * 20.0
    act = generate_activity(cells.reshape(-1, 3), rng)
    return design, setup, act, setup_dipole_lfp(design, setup, act)


def test_interpolation_is_linear_between_dipole_samples(synthetic_lfp):
    _, _, act, lfp = synthetic_lfp
    fs = lfp.fs_hz
    m = lfp.moment_nA_um[:, 0]
    k = np.arange(10, 20)
    np.testing.assert_allclose(lfp.moments_at(np.round(k * 1e-3 * fs))[:, 0], m[k], rtol=1e-12)
    mid = lfp.moments_at(np.round((k + 0.5) * 1e-3 * fs))[:, 0]
    np.testing.assert_allclose(mid, (m[k] + m[k + 1]) / 2, rtol=1e-9, atol=1e-9)
    # per-cell moment along the axis, mean removed: (p . e_z) / N_cells
    p = act.lfp_proxy["dipole_nA_um"][:, 0, 2] / act.num_cells
    np.testing.assert_allclose(m, p - p.mean(), rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("chunk", [1, 777, 4096, 15000])
def test_chunk_boundaries_do_not_matter(synthetic_lfp, chunk):
    _, setup, _, lfp = synthetic_lfp
    n = 15000
    whole = np.zeros((n, len(setup.positions_um)), np.float32)
    lfp.add(whole, 0)
    parts = np.zeros_like(whole)
    for s in range(0, n, chunk):
        x = np.ascontiguousarray(parts[s:s + chunk])
        lfp.add(x, s)
        parts[s:s + chunk] = x
    np.testing.assert_array_equal(parts, whole)
    np.testing.assert_allclose(whole, lfp.potential_uV(0, n), rtol=1e-6, atol=1e-4)


def test_explicit_cells_plus_patch(synthetic_lfp):
    """Gain = sum over the contact's own simulated cells of the half-space dipole gain + density x patch."""
    design, setup, act, lfp = synthetic_lfp
    hs = em.HalfSpaceConductor(0.3, 1.5)
    c = 0
    near = np.linalg.norm(act.positions_um - setup.positions_um[c], axis=1) <= 40.0
    g = hs.dipole_gain_matrix(setup.positions_um[c:c + 1], act.positions_um[near])[0, :, 2].sum()
    pop = design.population
    patch = _continuum_gain(hs, setup.positions_um[c, 2], 40.0, pop.column.layer_boundaries_um[0],
                            pop.column.layer_boundaries_um[-1], 250.0, False)
    expected = g + pop.density_per_mm3 * pop.excitatory_fraction * 1e-9 * patch
    assert lfp.gain_uV_per_nA_um[c, 0] == pytest.approx(expected, rel=1e-9)
    assert np.all(lfp.gain_uV_per_nA_um[:, 1] == 0.0)  # the I population carries no dipole
    assert lfp.conductor == "half_space"


def test_signal_gain_and_backing(synthetic_lfp):
    design, setup, act, lfp = synthetic_lfp
    gain = np.array([1.0, 0.5, 0.0, 2.0])
    scaled = setup_dipole_lfp(design, setup, act, signal_gain=gain)
    np.testing.assert_allclose(scaled.gain_uV_per_nA_um, lfp.gain_uV_per_nA_um * gain[:, None])
    ecog = _design("ecog", {"rows": 1, "cols": 2})
    s_e = build_probe(ecog)
    a = setup_dipole_lfp(ecog, s_e, act)
    b = setup_dipole_lfp(ecog, s_e, act, signal_gain=np.array([2.0, 2.0]))  # x2 backing undone
    np.testing.assert_allclose(a.gain_uV_per_nA_um, b.gain_uV_per_nA_um)
    assert a.conductor == "four_sphere"


def test_none_without_dipoles(synthetic_lfp):
    design, setup, act, _ = synthetic_lfp
    assert setup_dipole_lfp(design.replace(**{"population.record_lfp": False}), setup, act) is None
    assert setup_dipole_lfp(design, setup, dataclasses.replace(act, lfp_proxy=None)) is None


def test_errors(synthetic_lfp):
    design, setup, act, lfp = synthetic_lfp
    with pytest.raises(ValueError, match=r"patch_radius_um must be in \[100, 20000\] µm, got 50"):
        setup_dipole_lfp(design, setup, act, patch_radius_um=50)
    with pytest.raises(ValueError, match=r"signal_gain must have shape \(4\)"):
        setup_dipole_lfp(design, setup, act, signal_gain=np.ones(3))
    bad = dataclasses.replace(act, lfp_proxy=dict(act.lfp_proxy, dipole_nA_um=np.zeros((10, 2, 3))))
    with pytest.raises(ValueError, match=r"lfp_proxy\['dipole_nA_um'\] must have shape \(n_t, P, 3\)"):
        setup_dipole_lfp(design, setup, bad)
    with pytest.raises(ValueError, match="x must be a C-contiguous float32 array"):
        lfp.add(np.zeros((10, 4)), 0)
    with pytest.raises(ValueError, match="x must have 4 channels, got 3"):
        lfp.add(np.zeros((10, 3), np.float32), 0)


# -- what each anatomical class sees (a real network) -----------------------------------------

@pytest.fixture(scope="module")
def network():
    """A balanced E/I network simulated around a 2 x 2 Utah array (tips 1 mm deep), with dipoles."""
    from neurosim.cortex import get_activity

    # 64 network cells: an in-degree below its ~51 excitatory cells (the default 100 would make
    # every cell see each excitatory cell twice over and the network run away at ~300 Hz)
    design = _design(**{"population.in_degree": 25})
    setup = build_probe(design)
    act, _ = get_activity(design.population, 0.5, 11, setup.positions_um)
    return design, act


def _lfp_of(design, act, layout, params):
    d = design.replace(**{"implant.layout": layout, "implant.layout_params": params})
    s = build_probe(d)
    lfp = setup_dipole_lfp(d, s, act)
    fs = d.recording.fs_hz
    v = lfp.potential_uV(int(0.05 * fs), int(0.4 * fs))  # skip the network's onset transient
    return s, v, fs


def _spike_peak_uV(setup, act, fs):
    t = em.compute_templates(act.type_names(), act.positions_um, act.orientations, setup.positions_um,
                             setup.normals, float(setup.radius_um.mean()), fs,
                             max_channels=len(setup.positions_um), min_amplitude_uV=0.0, cutoff_um=1e5)
    return float(np.max(np.abs(t.peak_amplitude_uV)))


@pytest.mark.slow
def test_surface_sees_lfp_not_units_intracortical_sees_both(network):
    design, act = network
    results = {}
    for layout, params in [("utah", {"rows": 2, "cols": 2, "drop_corners": 0}), ("ecog", {"rows": 1, "cols": 1}),
                           ("uecog", {"rows": 2, "cols": 2}), ("epidural", {"rows": 1, "cols": 1}),
                           ("stent", {"num_contacts": 2})]:
        setup, v, fs = _lfp_of(design, act, layout, params)
        spec = np.abs(np.fft.rfft(v - v.mean(0), axis=0)) ** 2
        f = np.fft.rfftfreq(len(v), 1 / fs)
        low = spec[f < 300].sum() / spec[f > 0].sum()
        results[layout] = (float(np.sqrt(np.mean(v ** 2))), low, _spike_peak_uV(setup, act, fs))
    for layout, (rms, low, spike) in results.items():
        assert low > 0.9, layout  # LFP: power below ~300 Hz
    # published ranges: ECoG/µECoG LFP tens to hundreds of µV; intracortical LFP up to ~1 mV
    assert 10.0 <= results["ecog"][0] <= 1000.0
    assert 10.0 <= results["uecog"][0] <= 1000.0
    assert 1.0 <= results["utah"][0] <= 1000.0
    # surface classes: no unit above ~the noise of a clinical contact (single units need < ~100 µm)
    for layout in ("ecog", "uecog", "epidural", "stent"):
        assert results[layout][2] < 5.0, layout
        assert results[layout][0] > 5.0 * results[layout][2], layout
    # intracortical: units of tens to hundreds of µV next to the tips, and the LFP as well
    assert results["utah"][2] > 50.0
    # the dura/CSF between cortex and the epidural grid attenuates
    assert results["epidural"][0] < results["ecog"][0]


# -- epidural, endovascular and subdural contacts over the same cortex -----------------------------

def _patch_gain_head_frame(conductor, contact_z_um, top_um, bottom_um, patch_radius_um, nodes=48, n_phi=6):
    """Reference for the patch integral of a contact above the cortex, computed independently of
    ``_continuum_gain``: radial unit dipoles filling the spherical shell sector of the head model
    (radii ``r_1 - bottom .. r_1 - top``, polar angle up to ``patch / r_1``: the geodesic patch),
    summed in the head frame with Gauss-Legendre nodes in radius and angle and a uniform azimuth
    rule, weight ``r^2 sin(theta)`` (µV per nA·µm, per cell/µm³)."""
    r1 = conductor.radii_um[0]
    x, w = np.polynomial.legendre.leggauss(nodes)
    r = r1 - (top_um + bottom_um) / 2 + (bottom_um - top_um) / 2 * x
    wr = w * (bottom_um - top_um) / 2
    t_max = patch_radius_um / r1
    th, wt = t_max / 2 * (1 + x), w * t_max / 2
    ph = 2 * np.pi * np.arange(n_phi) / n_phi
    R, T, P = np.meshgrid(r, th, ph, indexing="ij")
    W = (np.einsum("i,j->ij", wr, wt)[:, :, None] * 2 * np.pi / n_phi * R ** 2 * np.sin(T)).ravel()
    unit = np.column_stack([(np.sin(T) * np.cos(P)).ravel(), (np.sin(T) * np.sin(P)).ravel(), np.cos(T).ravel()])
    g = conductor.dipole_gain_matrix_head(np.array([[0.0, 0.0, r1 + contact_z_um]]), R.ravel()[:, None] * unit)[0]
    return float(np.sum(W * np.einsum("nk,nk->n", g, unit)))


@pytest.fixture(scope="module")
def surface_gains():
    """Dipole-LFP gains of a subdural ECoG disc on the pia, a stent whose wall lies 500 µm above the
    cortex and an epidural disc on a 1 mm dura, all over the same synthetic population (no simulated
    cell within reach of any contact: each sees the coherent patch beneath it)."""
    rng = np.random.default_rng(3)
    far = np.column_stack([rng.uniform(20000, 21000, 20), rng.uniform(-500, 500, 20), rng.uniform(-1500, -300, 20)])
    act = generate_activity(far, rng)
    out = {}
    for name, layout, params in [("ecog", "ecog", {"rows": 1, "cols": 1}),
                                 ("stent", "stent", {"num_contacts": 4, "vessel_radius_um": 2500.0,
                                                     "vessel_center_z_um": 3000.0}),
                                 ("epidural", "epidural", {"rows": 1, "cols": 1, "dura_thickness_um": 1000.0})]:
        d = _design(layout, params)
        s = build_probe(d)
        out[name] = (d, s, setup_dipole_lfp(d, s, act))
    return out


def test_surface_classes_follow_the_four_sphere_model_for_their_heights(surface_gains):
    """The gain of each contact is the head model's potential of the patch beneath it at the
    contact's height: the pia (0), the stent's wall facing the cortex (500 µm), the dura (1000 µm).
    So epidural and stent LFPs differ by the four-sphere ratio for their heights (not 1: notebook 05
    showed identical rows when every stent contact was evaluated at the epidural height)."""
    ref = {}
    for name, (d, s, lfp) in surface_gains.items():
        pop = d.population
        edges = pop.column.layer_boundaries_um
        conductor = em.FourSphereConductor(em.DEFAULT_RADII_UM, (d.tissue.conductivity_S_per_m,)
                                           + tuple(em.DEFAULT_SIGMA_S_PER_M[1:]))
        c = int(np.argmin(s.positions_um[:, 2]))  # the contact nearest the cortex
        density = pop.density_per_mm3 * pop.excitatory_fraction * 1e-9
        ref[name] = density * _patch_gain_head_frame(conductor, s.positions_um[c, 2], edges[0], edges[-1], 250.0)
        assert lfp.conductor == "four_sphere"
        assert lfp.gain_uV_per_nA_um[c, 0] == pytest.approx(ref[name], rel=1e-6), name  # ref: 1e-12
    heights = {k: float(v[1].positions_um[:, 2].min()) for k, v in surface_gains.items()}
    assert heights == {"ecog": 0.0, "stent": 500.0, "epidural": 1000.0}
    g = {k: float(np.max(v[2].gain_uV_per_nA_um[:, 0])) for k, v in surface_gains.items()}
    assert g["stent"] / g["epidural"] == pytest.approx(ref["stent"] / ref["epidural"], rel=1e-6)
    # farther from the cortex, smaller
    assert abs(ref["epidural"]) < abs(ref["stent"]) < abs(ref["ecog"])
    assert abs(ref["stent"]) / abs(ref["epidural"]) > 1.1
    # stent contacts facing away from the cortex see no more than the one facing it
    gs = surface_gains["stent"][2].gain_uV_per_nA_um[:, 0]
    assert np.all(np.abs(gs) <= np.abs(gs[0]) * (1 + 1e-12))
