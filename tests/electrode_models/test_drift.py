"""Drift: motion functions (closed forms), drifting templates and the drifting pickup."""

import numpy as np
import pytest

from electrode_models._drift_kernels import random_walk_knots
from electrode_models.drift import (DriftMotion, compute_drifting_templates, inject_spikes_drifting,
                                    nonrigid_scale, spike_displacements_um)
from electrode_models.pickup import inject_spikes
from electrode_models.templates import compute_templates

FS = 30000.0
PITCH = 20.0
N_CH = 24


def _probe():
    z = -700.0 + PITCH * np.arange(N_CH)  # linear probe along z, 20 µm pitch, contacts face +x
    pos = np.stack([np.zeros(N_CH), np.zeros(N_CH), z], axis=1)
    return pos, np.tile([1.0, 0.0, 0.0], (N_CH, 1))


CELLS = dict(cell_classes=["pyramidal", "interneuron", "pyramidal"],
             positions_um=[[25.0, 0.0, -470.0], [-20.0, 10.0, -540.0], [30.0, -5.0, -400.0]],
             orientations=[[0, 0, 1.0], [0, 0, 1.0], [0.2, 0, 1.0]])
KW = dict(site_radius_um=7.5, fs_hz=FS, max_channels=N_CH, min_amplitude_uV=0.0)


@pytest.fixture(scope="module")
def generate_drifting():
    pos, nrm = _probe()
    grid = np.arange(-40.0, 40.1, 5.0)
    dt = compute_drifting_templates(grid, [0, 0, 1.0], probe_positions_um=pos, probe_normals=nrm,
                                    **CELLS, **KW)
    t0 = compute_templates(probe_positions_um=pos, probe_normals=nrm, **CELLS, **KW)
    return dt, t0


def _dense(dt, p):
    out = np.zeros((dt.n_units, dt.n_samples, N_CH), np.float32)
    for u in range(dt.n_units):
        for q, c in enumerate(dt.channel_index[u]):
            if c >= 0:
                out[u, :, c] = dt.waveforms_uV[p, u, :, q]
    return out


def test_rigid_shift_moves_the_peak_by_d_over_pitch_rows(generate_drifting):
    dt, _ = generate_drifting
    for d in (40.0, -20.0):
        rows = int(round(d / PITCH))
        chunk0 = np.zeros((200, N_CH), np.float32)
        chunk1 = np.zeros((200, N_CH), np.float32)
        inject_spikes_drifting(chunk0, 0, [100], [0], dt, [0.0])
        inject_spikes_drifting(chunk1, 0, [100], [0], dt, [d])
        peak0 = int(np.argmax(np.abs(chunk0).max(axis=0)))
        peak1 = int(np.argmax(np.abs(chunk1).max(axis=0)))
        # probe moved +d along z: the cell is seen d lower -> peak |d|/pitch rows down
        assert peak0 - peak1 == rows
        # translation invariance: whole waveform moves by `rows` channels (float32 rounding)
        lo, hi = max(rows, 0), N_CH + min(rows, 0)
        np.testing.assert_allclose(chunk1[:, lo - rows:hi - rows], chunk0[:, lo:hi],
                                   rtol=1e-4, atol=1e-3 * np.abs(chunk0).max())


def test_zero_drift_equals_inject_spikes_bitwise(generate_drifting):
    dt, t0 = generate_drifting
    rng = np.random.default_rng(1)
    s = np.sort(rng.integers(0, 3000, 80))
    u = rng.integers(0, 3, 80)
    a = np.zeros((3000, N_CH), np.float32)
    b = np.zeros((3000, N_CH), np.float32)
    inject_spikes(a, 0, s, u, t0)
    inject_spikes_drifting(b, 0, s, u, dt, np.zeros(80))
    np.testing.assert_array_equal(a, b)


def test_interpolation_between_grid_points(generate_drifting):
    dt, _ = generate_drifting
    p = int(np.searchsorted(dt.displacements_um, 10.0))  # grid 10 and 15 µm
    chunk = np.zeros((600, N_CH), np.float32)  # longer than a template (they decay fully)
    inject_spikes_drifting(chunk, 0, [300], [1], dt, [11.0])  # f = 0.2
    w = _dense(dt, p)[1] + 0.2 * (_dense(dt, p + 1)[1] - _dense(dt, p)[1])
    np.testing.assert_allclose(chunk[300 - dt.nbefore:300 + dt.nafter], w, rtol=1e-5, atol=1e-4)


def test_chunked_equals_one_shot_with_random_walk(generate_drifting):
    dt, _ = generate_drifting
    rng = np.random.default_rng(2)
    n = 20000
    s = np.sort(rng.integers(0, n, 300))
    u = rng.integers(0, 3, 300)
    motion = DriftMotion("random_walk", 40.0, period_s=0.1, seed=5)
    d = spike_displacements_um(s, u, FS, motion, unit_scale=[1.0, 0.5, 0.8])
    assert np.abs(d).max() > 5.0
    whole = np.zeros((n, N_CH), np.float32)
    inject_spikes_drifting(whole, 0, s, u, dt, d)
    edges = np.unique(np.r_[0, np.sort(rng.integers(1, n, 12)), n])
    parts = []
    for a, b in zip(edges[:-1], edges[1:]):
        c = np.zeros((b - a, N_CH), np.float32)
        inject_spikes_drifting(c, int(a), s, u, dt, d)
        parts.append(c)
    np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_step_is_applied_at_the_right_sample(generate_drifting):
    dt, _ = generate_drifting
    motion = DriftMotion("step", 40.0, step_time_s=0.01)  # sample 300 at 30 kHz
    d = spike_displacements_um([299, 300, 301], [0, 0, 0], FS, motion)
    np.testing.assert_array_equal(d, [0.0, 40.0, 40.0])
    peaks = []
    for s, dd in zip([299, 300], d[:2]):
        c = np.zeros((600, N_CH), np.float32)
        inject_spikes_drifting(c, 0, [s], [0], dt, [dd])
        peaks.append(int(np.argmax(np.abs(c).max(axis=0))))
    assert peaks[0] - peaks[1] == 2


def test_zigzag_closed_form():
    m = DriftMotion("zigzag", 30.0, period_s=8.0)
    t = np.array([0.0, 1.0, 2.0, 4.0, 6.0, 8.0, 10.0])
    np.testing.assert_allclose(m.displacement_um(t), [0, 15, 30, 0, -30, 0, 30], atol=1e-12)
    assert DriftMotion("none", 0.0).displacement_um([1.0, 2.0]).tolist() == [0.0, 0.0]


def test_random_walk_properties():
    a, p, g = 20.0, 1.0, 0.01
    m = DriftMotion("random_walk", a, period_s=p, seed=11, grid_s=g)
    t = np.arange(0, 200.0, 0.0037)
    d = m.displacement_um(t)
    assert np.abs(d).max() <= a + 1e-9 and np.abs(d).max() > 0.9 * a  # reflected, and reaches it
    np.testing.assert_array_equal(m.displacement_um(t[5000:5100]), d[5000:5100])  # query-independent
    assert not np.array_equal(DriftMotion("random_walk", a, p, seed=12).displacement_um(t), d)
    # knot increments: std a*sqrt(g/p); 1e5 samples -> relative std error 1/sqrt(2e5) ~ 0.2 %
    inc = np.diff(random_walk_knots(np.uint64(11), 100001, a * np.sqrt(g / p)))
    assert abs(inc.std() / (a * np.sqrt(g / p)) - 1.0) < 0.02 and abs(inc.mean()) < 0.05


def test_nonrigid_scale_closed_form():
    s = nonrigid_scale([-100.0, -300.0, -500.0, 0.0, -900.0], -100.0, -500.0, 1.0, 0.5)
    np.testing.assert_allclose(s, [1.0, 0.75, 0.5, 1.0, 0.5])


def test_errors(generate_drifting):
    dt, _ = generate_drifting
    pos, nrm = _probe()
    with pytest.raises(ValueError, match=r"kind must be one of"):
        DriftMotion("wobble")
    with pytest.raises(ValueError, match=r"amplitude_um must be in \[0, 1000\] µm"):
        DriftMotion("zigzag", -1.0)
    with pytest.raises(ValueError, match=r"period_s must be in \(0, inf\] s"):
        DriftMotion("zigzag", 1.0, period_s=0.0)
    with pytest.raises(ValueError, match=r"step_time_s must be in \[0, inf\] s"):
        DriftMotion("step", 1.0, step_time_s=-1.0)
    with pytest.raises(ValueError, match=r"grid_s must be in \[0.0001, 10\] s"):
        DriftMotion("random_walk", 1.0, grid_s=0.0)
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 2\*\*64 - 1\]"):
        DriftMotion("random_walk", 1.0, seed=-1)
    with pytest.raises(ValueError, match=r"t_s must be finite and >= 0 s"):
        DriftMotion("zigzag", 1.0).displacement_um([-1.0])
    with pytest.raises(ValueError, match=r"top_um and bottom_um must differ"):
        nonrigid_scale([0.0], 1.0, 1.0)
    with pytest.raises(ValueError, match=r"displacements_um must be a non-empty, finite, strictly"):
        compute_drifting_templates([0.0, 0.0], [0, 0, 1], probe_positions_um=pos,
                                   probe_normals=nrm, **CELLS, **KW)
    with pytest.raises(ValueError, match=r"direction must be a non-zero vector"):
        compute_drifting_templates([0.0], [0, 0, 0], probe_positions_um=pos, probe_normals=nrm,
                                   **CELLS, **KW)
    with pytest.raises(ValueError, match=r"spike_samples must be >= 0"):
        spike_displacements_um([-1], [0], FS, DriftMotion())
    with pytest.raises(ValueError, match=r"spike_units must be in \[0, 1\] \(unit_scale length\)"):
        spike_displacements_um([1], [2], FS, DriftMotion(), unit_scale=[1.0, 1.0])
    c = np.zeros((100, N_CH), np.float32)
    with pytest.raises(ValueError, match=r"spike_samples must be sorted ascending"):
        inject_spikes_drifting(c, 0, [5, 1], [0, 0], dt, [0.0, 0.0])
    with pytest.raises(ValueError, match=r"spike_units must be in \[0, 2\]"):
        inject_spikes_drifting(c, 0, [5], [3], dt, [0.0])
    with pytest.raises(ValueError, match=r"must lie in the template grid \[-40, 40\] µm"):
        inject_spikes_drifting(c, 0, [5], [0], dt, [41.0])
    with pytest.raises(ValueError, match=r"chunk_uV must have at least"):
        inject_spikes_drifting(np.zeros((100, 2), np.float32), 0, [5], [0], dt, [0.0])
    with pytest.raises(ValueError, match=r"chunk_uV must be a C-contiguous float32"):
        inject_spikes_drifting(np.zeros((100, N_CH)), 0, [5], [0], dt, [0.0])


def test_drift_grid_too_large_for_memory_is_refused_before_the_work():
    """A 1000 µm zigzag on a 2 µm grid would need tens of GiB: a clear error, quickly."""
    import time

    import electrode_models as em

    probe = em.make_probe("neuropixels1", num_channels=16)
    pos = np.asarray(probe.contact_positions, float)
    cells = pos[:5] + [0.0, 30.0, 0.0]
    grid = np.arange(-1002.0, 1004.0, 2.0)
    t = time.perf_counter()
    with pytest.raises(ValueError, match=r"drifting templates need about .* GiB \(1003 displacement "
                                         r"positions x 5 cells.*implant.drift.grid_step_um, now 2 µm"):
        em.compute_drifting_templates(grid, np.array([0.0, 0.0, 1.0]), ["pyramidal"] * 5, cells,
                                      np.tile([0.0, 0.0, 1.0], (5, 1)), pos,
                                      np.tile([0.0, 1.0, 0.0], (16, 1)), 6.0, 30000.0, max_bytes=1e6)
    assert time.perf_counter() - t < 30
