import numpy as np
import pytest
from scipy.integrate import solve_ivp

from electrode_models.cells import cell_variant
from electrode_models.morphology import (AP_KEYS, Morphology, MorphologyBuilder, action_potential_mV,
                                         check_ap_params, transmembrane_currents)

FS = 30000.0
AP = dict(amplitude_mV=95.0, sigma_rise_ms=0.12, sigma_fall_ms=0.36, ahp_mV=7.0, ahp_delay_ms=1.5,
          ahp_sigma_ms=0.7, current_scale=1.0)


@pytest.fixture(scope="module", params=[("L5_TTPC", 0), ("BC", 0), ("MC", 5), ("L4_SS", 3)])
def generate_cell(request):
    m, ap = cell_variant(*request.param)
    cur, t = transmembrane_currents(m, ap, FS, duration_ms=6.0, spike_peak_ms=2.0)
    return m, cur, t


def test_structure(generate_cell):
    m, cur, t = generate_cell
    assert m.parent[0] == -1 and np.all(m.parent[1:] < np.arange(1, m.n_seg))
    np.testing.assert_allclose((m.start_um[0] + m.end_um[0]) / 2, 0.0)
    assert cur.shape == (m.n_seg, t.size) and t.size == 180
    np.testing.assert_allclose(np.diff(t), 1000.0 / FS)


def test_current_conservation(generate_cell):
    _, cur, _ = generate_cell
    assert np.abs(cur.sum(axis=0)).max() < 1e-9 * np.abs(cur).max()


def test_soma_inward_during_rise(generate_cell):
    m, cur, t = generate_cell
    k = np.argmin(cur[0])
    assert cur[0, k] < 0                       # net inward (Na) current at the soma
    assert t[k] < 2.0                          # during the rising phase of the AP
    assert np.all(cur[1:, k][m.parent[1:] == 0] > 0)  # return current leaves the dendrites


def test_ap_closed_forms():
    # asymmetric Gaussian: half-width 2 sqrt(2 ln 2) (s_r + s_f) / 2, extreme slopes A/(s sqrt(e))
    t = np.arange(0, 10, 0.0005)
    ap = dict(AP, ahp_mV=0.0)
    v = action_potential_mV(t, ap, 3.0)
    above = t[v >= v.max() / 2]
    want = np.sqrt(2 * np.log(2)) * (ap["sigma_rise_ms"] + ap["sigma_fall_ms"])
    assert above[-1] - above[0] == pytest.approx(want, abs=1e-3)
    dv = np.gradient(v, t)
    assert dv.max() / -dv.min() == pytest.approx(ap["sigma_fall_ms"] / ap["sigma_rise_ms"], rel=1e-3)
    assert dv.max() == pytest.approx(ap["amplitude_mV"] / (ap["sigma_rise_ms"] * np.sqrt(np.e)),
                                     rel=1e-3)
    # the AHP: a Gaussian of ahp_mV at peak + delay
    v = action_potential_mV(t, AP, 3.0)
    k = np.argmin(v)
    assert t[k] == pytest.approx(3.0 + AP["ahp_delay_ms"], abs=0.05)
    assert v[k] == pytest.approx(-AP["ahp_mV"], rel=0.02)


def test_two_compartment_vs_ode():
    # soma + one dendritic cylinder: C dV/dt = -gL V + g (Vs(t) - V); compare with solve_ivp
    m = Morphology("L5_TTPC", np.array([[0, 0, -10.0], [0, 0, 10.0]]),
                   np.array([[0, 0, 10.0], [0, 0, 110.0]]), np.array([20.0, 2.0]),
                   np.array([-1, 0]))
    cur, t = transmembrane_currents(m, AP, FS, duration_ms=5.0, spike_peak_ms=2.0,
                                    rm_ohm_cm2=30000.0, max_step_us=0.5)
    Lc, dc = 100e-4, 2e-4
    area = np.pi * dc * Lc
    C, gL = 1e-6 * area, area / 30000.0
    r_half = lambda L, d: 150.0 * (L / 2) / (np.pi * d * d / 4)
    g = 1.0 / (r_half(Lc, dc) + r_half(20e-4, 20e-4))
    vs = lambda tt: action_potential_mV(tt * 1e3, AP, 2.0) * 1e-3
    sol = solve_ivp(lambda tt, v: (-gL * v + g * (vs(tt) - v)) / C, (0, 5e-3), [0.0],
                    t_eval=t * 1e-3, rtol=1e-10, atol=1e-14, max_step=1e-6)
    i_want = g * (vs(t * 1e-3) - sol.y[0]) * 1e9
    # exact modal integration with a first-order hold: error O(h^2 V''), h = 0.5 µs
    np.testing.assert_allclose(cur[1], i_want, atol=1e-4 * np.abs(i_want).max())
    np.testing.assert_allclose(cur[0], -cur[1])


def test_branched_tree_vs_ode():
    # a Y-shaped tree plus a basal branch (5 compartments): the full cable ODE by Radau
    b = MorphologyBuilder("L23_PC", 15.0)
    top = b.branch([0, 0, 7.5], [0, 0, 1], 80.0, 3.0, 2.0, seg_len_um=40.0)
    b.branch(b.tip(top), [1, 0, 1], 60.0, 1.0, 1.0, seg_len_um=60.0, parent=top)
    b.branch(b.tip(top), [-1, 0, 1], 60.0, 1.0, 1.0, seg_len_um=60.0, parent=top)
    b.branch([0, 0, -7.5], [0, 0, -1], 50.0, 1.5, 1.5, seg_len_um=50.0)
    m = b.build()
    assert m.n_seg == 6
    # default 2.5 µs steps: 1.2e-4 of the peak off; 0.5 µs: the O(h^2) error is 25x smaller
    cur, t = transmembrane_currents(m, AP, FS, duration_ms=6.0, spike_peak_ms=2.0, max_step_us=0.5)
    L = m.length_um * 1e-4
    d = m.diam_um * 1e-4
    area = np.pi * d * L
    C, gL = 1e-6 * area, area / 10000.0
    half = 150.0 * (L / 2) / (np.pi * d * d / 4)
    G = np.zeros((6, 6))
    for i in range(1, 6):
        p = m.parent[i]
        g = 1 / (half[i] + half[p])
        G[[i, p], [i, p]] += g
        G[i, p] -= g
        G[p, i] -= g
    vs = lambda tt: action_potential_mV(tt * 1e3, AP, 2.0) * 1e-3

    def rhs(tt, v):
        full = np.concatenate([[vs(tt)], v])
        return (-gL[1:] * v - (G @ full)[1:]) / C[1:]

    sol = solve_ivp(rhs, (0, 6e-3), np.zeros(5), t_eval=t * 1e-3, method="Radau", rtol=1e-10,
                    atol=1e-15, max_step=2e-6)
    v = sol.y
    # transmembrane current C dV/dt + g_L V = the ODE's right-hand side times C, plus the leak
    i_want = np.stack([C[1:] * rhs(tt, v[:, k]) + gL[1:] * v[:, k]
                       for k, tt in enumerate(t * 1e-3)], axis=1) * 1e9
    np.testing.assert_allclose(cur[1:], i_want, atol=1e-4 * np.abs(i_want).max())


def test_current_scale_is_linear():
    m, ap = cell_variant("L23_PC", 2)
    a, _ = transmembrane_currents(m, ap, FS, duration_ms=4.0, spike_peak_ms=1.5, current_scale=1.0)
    b, _ = transmembrane_currents(m, ap, FS, duration_ms=4.0, spike_peak_ms=1.5)
    np.testing.assert_allclose(b, ap["current_scale"] * a, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    (dict(fs_hz=10.0), r"fs_hz must be in \[1000, 1e\+06\] Hz"),
    (dict(duration_ms=0.0), r"duration_ms must be in \(0, 1000\] ms"),
    (dict(spike_peak_ms=5.0), r"spike_peak_ms must be in \[0, 3\] ms"),
    (dict(ra_ohm_cm=-1.0), r"ra_ohm_cm must be in"),
    (dict(cm_uF_per_cm2=0.0), r"cm_uF_per_cm2 must be in"),
    (dict(rm_ohm_cm2=0.0), r"rm_ohm_cm2 must be in"),
    (dict(max_step_us=0.0), r"max_step_us must be in"),
    (dict(current_scale=-1.0), r"current_scale must be in"),
])
def test_transmembrane_errors(kwargs, match):
    args = dict(fs_hz=FS)
    args.update(kwargs)
    m, ap = cell_variant("BC", 0)
    with pytest.raises(ValueError, match=match):
        transmembrane_currents(m, ap, **args)


@pytest.mark.parametrize("ap, err, match", [
    ([1, 2], TypeError, r"ap must be a dict with keys"),
    ({"amplitude_mV": 90.0}, ValueError, r"ap must have the keys .* missing \['sigma_rise_ms'"),
    (dict(AP, sigma_rise_ms=0.0), ValueError, r"ap\['sigma_rise_ms'\] must be in \[0.01, 5\] ms"),
    (dict(AP, amplitude_mV=500.0), ValueError, r"ap\['amplitude_mV'\] must be in \[1, 200\] mV"),
    (dict(AP, current_scale=-2.0), ValueError, r"ap\['current_scale'\] must be in \[0, 1000\]"),
])
def test_ap_errors(ap, err, match):
    with pytest.raises(err, match=match):
        check_ap_params(ap)
    with pytest.raises(err, match=match):
        action_potential_mV(np.zeros(3), ap)
    assert set(check_ap_params(AP)) == set(AP_KEYS)


@pytest.mark.parametrize("kwargs, match", [
    (dict(diam_um=np.array([10.0, 0.0])), r"diam_um must be > 0 µm"),
    (dict(parent=np.array([0, 0])), r"parent must be -1 for segment 0"),
    (dict(parent=np.array([-1, 1])), r"parent must be -1 for segment 0 and in \[0, i\)"),
    (dict(end_um=np.zeros((3, 3))), r"end_um must have shape \(2, 3\)"),
])
def test_morphology_errors(kwargs, match):
    args = dict(cell_type="BC", start_um=np.zeros((2, 3)), end_um=np.ones((2, 3)),
                diam_um=np.array([10.0, 1.0]), parent=np.array([-1, 0]))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        Morphology(**args)
