import numpy as np
import pytest
from scipy.integrate import solve_ivp

from electrode_models.conductor import gain_matrix
from electrode_models.morphology import (Morphology, action_potential_mV, get_morphology,
                                         transmembrane_currents)

FS = 30000.0


@pytest.fixture(scope="module", params=["pyramidal", "interneuron"])
def generate_cell(request):
    m = get_morphology(request.param)
    cur, t = transmembrane_currents(m, FS, duration_ms=6.0, spike_peak_ms=2.0)
    return m, cur, t


def test_structure(generate_cell):
    m, cur, t = generate_cell
    assert m.parent[0] == -1 and np.all(m.parent[1:] < np.arange(1, m.n_seg))
    np.testing.assert_allclose((m.start_um[0] + m.end_um[0]) / 2, 0.0)
    assert cur.shape == (m.n_seg, t.size) and t.size == 180
    np.testing.assert_allclose(np.diff(t), 1000.0 / FS)


def test_pyramidal_shape():
    m = get_morphology("pyramidal")
    assert m.end_um[:, 2].max() > 550  # apical dendrite along +z
    assert m.diam_um[0] == pytest.approx(20.0)
    inter = get_morphology("interneuron")
    assert inter.length_um[1:].sum() < m.length_um[1:].sum()


def test_current_conservation(generate_cell):
    _, cur, _ = generate_cell
    assert np.abs(cur.sum(axis=0)).max() < 1e-9 * np.abs(cur).max()


def test_soma_inward_during_rise(generate_cell):
    m, cur, t = generate_cell
    k = np.argmin(cur[0])
    assert cur[0, k] < 0                       # net inward (Na) current at the soma
    assert t[k] < 2.0                          # during the rising phase of the AP
    assert np.all(cur[1:, k][m.parent[1:] == 0] > 0)  # return current leaves the dendrites


def test_ap_half_width():
    t = np.arange(0, 10, 0.001)
    for cell, lo, hi in (("pyramidal", 0.6, 1.1), ("interneuron", 0.2, 0.5)):
        v = action_potential_mV(t, cell, 3.0)
        assert 85 < v.max() <= 100
        above = t[v >= v.max() / 2]
        assert lo < above[-1] - above[0] < hi
        assert v.min() < -5  # after-hyperpolarisation


def test_two_compartment_vs_ode():
    # soma + one dendritic cylinder: C dV/dt = -gL V + g (Vs(t) - V); compare with solve_ivp
    m = Morphology("pyramidal", np.array([[0, 0, -10.0], [0, 0, 10.0]]),
                   np.array([[0, 0, 10.0], [0, 0, 110.0]]), np.array([20.0, 2.0]),
                   np.array([-1, 0]))
    cur, t = transmembrane_currents(m, FS, duration_ms=5.0, spike_peak_ms=2.0, current_scale=1.0,
                                    max_step_us=0.1)
    Lc, dc = 100e-4, 2e-4
    area = np.pi * dc * Lc
    C, gL = 1e-6 * area, area / 30000.0
    r_half = lambda L, d: 150.0 * (L / 2) / (np.pi * d * d / 4)
    g = 1.0 / (r_half(Lc, dc) + r_half(20e-4, 20e-4))
    vs = lambda tt: action_potential_mV(tt * 1e3, "pyramidal", 2.0) * 1e-3
    sol = solve_ivp(lambda tt, v: (-gL * v + g * (vs(tt) - v)) / C, (0, 5e-3), [0.0],
                    t_eval=t * 1e-3, rtol=1e-10, atol=1e-14, max_step=1e-6)
    i_want = g * (vs(t * 1e-3) - sol.y[0]) * 1e9
    np.testing.assert_allclose(cur[1], i_want, atol=0.01 * np.abs(i_want).max())
    np.testing.assert_allclose(cur[0], -cur[1])


def test_extracellular_amplitudes():
    # Published: pyramidal >= ~100 µV within ~30 µm of the soma, tens of µV at ~100 µm
    # (Henze et al. 2000; Gold et al. 2006); interneurons smaller and narrower.
    amp, width = {}, {}
    for cell in ("pyramidal", "interneuron"):
        m = get_morphology(cell)
        cur, t = transmembrane_currents(m, FS, duration_ms=8.0, spike_peak_ms=3.0)
        el = np.array([[30.0, 0, 0], [100.0, 0, 0]])
        phi = gain_matrix(el, m.start_um, m.end_um, min_distance_um=m.diam_um / 2) @ cur
        amp[cell] = phi.min(axis=1)
        w = phi[0] <= phi[0].min() / 2
        width[cell] = w.sum() / FS * 1e3
    assert amp["pyramidal"][0] <= -100
    assert -60 <= amp["pyramidal"][1] <= -10
    assert amp["interneuron"][0] > amp["pyramidal"][0]
    assert width["interneuron"] < width["pyramidal"]


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
    with pytest.raises(ValueError, match=match):
        transmembrane_currents(get_morphology("interneuron"), **args)


def test_cell_type_errors():
    with pytest.raises(ValueError, match=r"cell_type must be one of \['pyramidal', 'interneuron'\]"):
        get_morphology("purkinje")
    with pytest.raises(ValueError, match=r"cell_type must be one of"):
        action_potential_mV(np.zeros(3), "stellate")
