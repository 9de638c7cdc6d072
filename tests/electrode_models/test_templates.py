import numpy as np
import pytest

import electrode_models as em
from electrode_models.cells import cell_variant
from electrode_models.conductor import gain_matrix
from electrode_models.drift import compute_drifting_templates
from electrode_models.pickup import inject_spikes
from electrode_models.templates import (PAD_AFTER_MS, PAD_BEFORE_MS, TAPER_MS, SparseTemplates,
                                        compute_templates, variant_currents)

FS = 30000.0


def _line_probe(n=16, pitch=20.0):
    pos = np.zeros((n, 3))
    pos[:, 2] = -pitch * np.arange(n)
    return pos, np.tile([0, 1.0, 0], (n, 1))


@pytest.fixture(scope="module")
def generate_population():
    """400 cells of the class mix within 10-150 µm of a 32-contact column (20 µm pitch)."""
    rng = np.random.default_rng(11)
    pos, nrm = _line_probe(32)
    pos[:, 2] -= 500.0
    n = 400
    u = rng.standard_normal((n, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    r = (10.0 ** 3 + rng.random(n) * (150.0 ** 3 - 10.0 ** 3)) ** (1 / 3)
    cells = pos[rng.integers(0, 32, n)] + u * r[:, None]
    exc = rng.random(n) < 0.8
    classes = em.assign_cell_classes(exc, -cells[:, 2], rng)
    tilt = np.deg2rad(10.0) * rng.standard_normal((n, 2))
    ori = np.where(exc[:, None], np.column_stack([tilt, np.ones(n)]), rng.standard_normal((n, 3)))
    kw = dict(variants=em.draw_variants(n, rng), spin_rad=em.draw_spin_rad(n, rng))
    T = compute_templates(classes, cells, ori, pos, nrm, 7.5, FS, max_channels=6, **kw)
    return T, (classes, cells, ori, pos, nrm, kw)


def test_matches_gain_matrix_times_currents():
    # one cell, point electrodes: template == line-source gain @ currents, shifted onto the
    # best channel's extremum and tapered (closed-form chain)
    pos, nrm = _line_probe()
    cell = np.array([[30.0, 0.0, -150.0]])
    T = compute_templates(["L23_PC"], cell, [[0, 0, 1.0]], pos, nrm, 0.0, FS, max_channels=16,
                          min_amplitude_uV=0.0, variants=[4])
    m = cell_variant("L23_PC", 4)[0]
    pad_b, pad_a = round(PAD_BEFORE_MS * FS / 1e3), round(PAD_AFTER_MS * FS / 1e3)
    cur = variant_currents(0, 4, FS, pad_b + T.nbefore, T.nafter + pad_a)
    full = (gain_matrix(pos, m.start_um + cell, m.end_um + cell, min_distance_um=np.maximum(
        m.diam_um / 2, 0.5)) @ cur).T
    best = int(np.argmax(np.abs(full).max(axis=0)))
    ext = int(np.argmax(np.abs(full[:, best])))
    assert T.shift_samples[0] == ext - pad_b - T.nbefore
    want = full[ext - T.nbefore: ext + T.nafter]
    n_tap = round(TAPER_MS * FS / 1e3)
    ramp = 0.5 * (1 - np.cos(np.pi * np.arange(n_tap) / n_tap))
    want[:n_tap] *= ramp[:, None]
    want[-n_tap:] *= ramp[::-1, None]
    got = T.dense(16)[0]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)
    assert T.best_channel[0] == best and T.peak_amplitude_uV[0] == got[T.nbefore, best]


def test_rotation_equivalence():
    # a cell along +x seen from +x equals a cell along +z seen from +z (same relative geometry)
    nrm = np.array([[0, 1.0, 0]])
    a = compute_templates(["MC"], [[0, 0, 0]], [[1.0, 0, 0]], [[60.0, 0, 0]], nrm, 0.0, FS,
                          max_channels=1, min_amplitude_uV=0.0)
    b = compute_templates(["MC"], [[0, 0, 0]], [[0, 0, 1.0]], [[0, 0, 60.0]], nrm, 0.0, FS,
                          max_channels=1, min_amplitude_uV=0.0)
    assert a.shift_samples[0] == b.shift_samples[0]
    np.testing.assert_allclose(a.waveforms_uV, b.waveforms_uV, rtol=1e-5, atol=1e-4)
    # a flipped cell (-z): its apical tree points away from an electrode above it
    d = compute_templates([2], [[0, 0, 0]], [[0, 0, -1.0]], [[0, 0, 60.0]], nrm, 0.0, FS,
                          max_channels=1, min_amplitude_uV=0.0)
    assert np.isfinite(d.waveforms_uV).all()


def test_aliases_codes_and_variants():
    pos, nrm = _line_probe(8)
    cells = np.array([[25.0, 0, -60.0], [-20.0, 5.0, -90.0]])
    ori = np.tile([0, 0, 1.0], (2, 1))
    legacy = compute_templates(["pyramidal", "interneuron"], cells, ori, pos, nrm, 5.0, FS)
    named = compute_templates(["L5_TTPC", "BC"], cells, ori, pos, nrm, 5.0, FS, variants=[0, 0])
    coded = compute_templates(np.array([2, 4], np.int8), cells, ori, pos, nrm, 5.0, FS)
    for t in (named, coded):
        np.testing.assert_array_equal(t.waveforms_uV, legacy.waveforms_uV)
    other = compute_templates(["L5_TTPC", "BC"], cells, ori, pos, nrm, 5.0, FS, variants=[3, 7])
    assert not np.allclose(other.waveforms_uV, legacy.waveforms_uV)
    spun = compute_templates(["L5_TTPC", "BC"], cells, ori, pos, nrm, 5.0, FS,
                             spin_rad=[1.0, 2.0])
    assert not np.allclose(spun.waveforms_uV, legacy.waveforms_uV)


def test_sparsity_and_ordering(generate_population):
    T, (classes, cells, *_ ) = generate_population
    n = len(classes)
    assert T.waveforms_uV.dtype == np.float32 and T.channel_index.dtype == np.int32
    assert T.waveforms_uV.shape == (n, T.nbefore + T.nafter, 6)
    assert T.nbefore == 45 and T.nafter == 270  # 1.5 ms + 9 ms at 30 kHz
    for u in range(n):
        ch = T.channel_index[u]
        k = int((ch >= 0).sum())
        assert np.all(ch[k:] == -1)
        peaks = np.abs(T.waveforms_uV[u, :, :k]).max(axis=0)
        assert np.all(np.diff(peaks) <= 1e-6) and np.all(peaks >= 1.0)
        if k:
            assert T.best_channel[u] == ch[0]
    far = compute_templates(["L5_TTPC"], [[2000.0, 0, 0]], [[0, 0, 1.0]], *_line_probe(4), 7.5, FS)
    assert np.all(far.channel_index[0] == -1) and far.best_channel[0] == -1
    dense = T.dense(32)
    assert dense.shape == (n, T.n_samples, 32)
    u = int(np.argmax(np.abs(T.peak_amplitude_uV)))
    np.testing.assert_array_equal(dense[u, :, T.channel_index[u, 0]], T.waveforms_uV[u, :, 0])


def test_spike_time_is_the_extremum(generate_population):
    # the largest-|value| sample of the best channel sits exactly at nbefore, for every unit
    T, _ = generate_population
    ok = T.best_channel >= 0
    w = T.waveforms_uV[ok, :, 0]
    np.testing.assert_array_equal(np.argmax(np.abs(w), axis=1), T.nbefore)
    np.testing.assert_array_equal(T.peak_amplitude_uV[ok], w[:, T.nbefore])
    assert np.abs(T.waveforms_uV[ok]).max(axis=(1, 2)).tolist() == np.abs(w[:, T.nbefore]).tolist()
    # the extremum is the trough (negative) for most units, within a few samples of the AP peak
    assert np.mean(T.peak_amplitude_uV[ok] < 0) > 0.8
    assert np.median(T.shift_samples[ok]) <= 0 and np.abs(T.shift_samples).max() < 30


def test_templates_decay_and_taper(generate_population):
    # every template has decayed below 1 % of its extremum before each cosine taper; the first
    # and last samples are exactly 0
    T, _ = generate_population
    ok = T.best_channel >= 0
    ext = np.abs(T.peak_amplitude_uV[ok])[:, None]
    n_tap = round(TAPER_MS * FS / 1e3)
    w = np.abs(T.waveforms_uV[ok])
    assert np.all(w[:, [0, -1]] == 0.0)
    end = w[:, -n_tap - 1:].max(axis=1)   # from the taper's start to the end, all channels
    start = w[:, :n_tap + 1].max(axis=1)
    assert np.all(end < 0.01 * ext)
    assert np.all(start < 0.01 * ext)


def test_no_step_in_a_trace():
    # one template in a zero trace: zero after it, and the last sample-to-sample change < 1 %
    pos, nrm = _line_probe(8)
    T = compute_templates(["L23_PC", "L5_TTPC", "BC"], [[20.0, 0, -70.0], [0, 30.0, -40.0],
                          [-25.0, 0, -100.0]], np.tile([0, 0, 1.0], (3, 1)), pos, nrm, 6.0, FS)
    for u in range(3):
        chunk = np.zeros((1000, 8), np.float32)
        inject_spikes(chunk, 0, [200], [u], T)
        end = 200 + T.nafter
        assert np.all(chunk[end:] == 0.0) and np.all(chunk[:200 - T.nbefore] == 0.0)
        trough = np.abs(T.peak_amplitude_uV[u])
        step = np.abs(np.diff(chunk[end - 10:end + 1], axis=0)).max()
        assert step < 0.01 * trough
        best = T.best_channel[u]
        assert chunk[200, best] == T.peak_amplitude_uV[u]


def test_imposed_shift_and_drift_alignment():
    # imposing a unit's own shift reproduces it bitwise; drifting templates use the undisplaced
    # shift at every displacement (the spike time stays the same instant)
    pos, nrm = _line_probe(16)                    # contacts at z = 0 .. -300 µm
    cells = np.array([[25.0, 0, -280.0], [-20.0, 10.0, -280.0]])
    ori = np.array([[0, 0, 1.0], [0.2, 0, 1.0]])
    kw = dict(variants=[5, 2], max_channels=16, min_amplitude_uV=0.0)
    t0 = compute_templates(["L5_TTPC", "BC"], cells, ori, pos, nrm, 7.5, FS, **kw)
    again = compute_templates(["L5_TTPC", "BC"], cells, ori, pos, nrm, 7.5, FS,
                              shift_samples=t0.shift_samples, **kw)
    np.testing.assert_array_equal(again.waveforms_uV, t0.waveforms_uV)
    d = 120.0                                     # the probe moves up: cells seen 120 µm lower
    dt = compute_drifting_templates([0.0, d], [0, 0, 1.0], ["L5_TTPC", "BC"], cells, ori, pos,
                                    nrm, 7.5, FS, **kw)
    own = compute_templates(["L5_TTPC", "BC"], cells - [0, 0, d], ori, pos, nrm, 7.5, FS, **kw)
    moved = compute_templates(["L5_TTPC", "BC"], cells - [0, 0, d], ori, pos, nrm, 7.5, FS,
                              shift_samples=t0.shift_samples, **kw)
    # below the probe the pyramid's extremum is the apical positive peak: it would align later
    assert own.shift_samples[0] != t0.shift_samples[0]
    for p, ref in ((0, t0), (1, moved)):
        for u in range(2):
            q = dt.channel_index[u] >= 0
            want = ref.dense(16)[u][:, dt.channel_index[u][q]]
            np.testing.assert_array_equal(dt.waveforms_uV[p, u][:, q], want)


def test_channel_gain():
    # a uniform gain scales everything; uneven gains re-rank channels and realign on the
    # scaled waveforms, so the extremum stays at nbefore (scaling afterwards would not)
    pos, nrm = _line_probe(16)
    cells = np.array([[40.0, 0, -150.0], [60.0, 20.0, -100.0]])
    ori = np.tile([0, 0, 1.0], (2, 1))
    kw = dict(variants=[1, 9], max_channels=16, min_amplitude_uV=0.0)
    t = compute_templates(["L23_PC", "BC"], cells, ori, pos, nrm, 7.5, FS, **kw)
    t2 = compute_templates(["L23_PC", "BC"], cells, ori, pos, nrm, 7.5, FS,
                           channel_gain=np.full(16, 0.5), **kw)
    np.testing.assert_allclose(t2.waveforms_uV, 0.5 * t.waveforms_uV, rtol=1e-6, atol=1e-6)
    gain = np.ones(16)
    gain[t.best_channel] = 0.2  # the best channels lose: others take over
    tg = compute_templates(["L23_PC", "BC"], cells, ori, pos, nrm, 7.5, FS, channel_gain=gain, **kw)
    assert np.all(tg.best_channel != t.best_channel)
    w = tg.waveforms_uV[:, :, 0]
    np.testing.assert_array_equal(np.argmax(np.abs(w), axis=1), tg.nbefore)
    np.testing.assert_allclose(tg.dense(16), compute_templates(
        ["L23_PC", "BC"], cells, ori, pos, nrm, 7.5, FS, shift_samples=tg.shift_samples,
        **kw).dense(16) * gain, rtol=1e-5, atol=1e-5)


def test_library_entries_replace_builtin_variants():
    pos, nrm = _line_probe(8)
    cells = np.array([[25.0, 0, -60.0], [-20.0, 5.0, -90.0], [0, 30.0, -40.0]])
    ori = np.tile([0, 0, 1.0], (3, 1))
    builtin = compute_templates(["BC", "BC", "L23_PC"], cells, ori, pos, nrm, 5.0, FS,
                                variants=[3, 6, 2])
    lib = [cell_variant("BC", 3), cell_variant("BC", 6)]
    got = compute_templates(["BC", "BC", "L23_PC"], cells, ori, pos, nrm, 5.0, FS,
                            variants=[16, 1, 2], library=lib)  # 16 mod 2 = 0; L23: built-in
    np.testing.assert_allclose(got.waveforms_uV, builtin.waveforms_uV, rtol=1e-6, atol=1e-5)


def test_dense_error():
    T = SparseTemplates(np.zeros((1, 3, 2), np.float32), np.array([[4, -1]], np.int32), 1, FS,
                        np.zeros(1, np.float32), np.array([4], np.int32))
    with pytest.raises(ValueError, match=r"num_channels must be in \[5, inf\]"):
        T.dense(3)


@pytest.mark.parametrize("kwargs, match", [
    (dict(cell_classes=["glia"]), r"cell_classes must be names in \['L23_PC', .*\] \(or the "
                                  r"aliases \['pyramidal', 'interneuron'\]\) or int codes, "
                                  r"got \['glia'\]"),
    (dict(cell_classes=[7]), r"cell_classes as integers must be in \[0, 6\]"),
    (dict(cell_classes=[0, 1]), r"cell_classes must have shape \(1\)"),
    (dict(orientations=[[0, 0, 0.0]]), r"orientations must be non-zero"),
    (dict(max_channels=0), r"max_channels must be in \[1, inf\]"),
    (dict(fs_hz=100.0), r"fs_hz must be in"),
    (dict(ms_before=0.0), r"ms_before must be in \(0, 20\] ms"),
    (dict(ms_after=30.0), r"ms_after must be in"),
    (dict(min_amplitude_uV=-1.0), r"min_amplitude_uV must be in"),
    (dict(cutoff_um=0.0), r"cutoff_um must be in"),
    (dict(site_radius_um=-2.0), r"site_radius_um must be in"),
    (dict(spin_rad=[0.0, 1.0]), r"spin_rad must have shape"),
    (dict(variants=[-1]), r"variants must be integers in \[0, 32767\], got int64 values in "
                          r"\[-1, -1\]"),
    (dict(variants=[0.5]), r"variants must be integers in \[0, 32767\]"),
    (dict(variants=[0, 1]), r"variants must have shape \(1\)"),
    (dict(shift_samples=[0.5]), r"shift_samples must be integers"),
    (dict(library=[("x", {})]), r"library\[0\] must be a \(Morphology, ap dict\) pair"),
    (dict(library=[(cell_variant("BC", 0)[0], {"amplitude_mV": 1.0})]),
     r"ap must have the keys"),
    (dict(n_disc_points=0), r"n_disc_points must be in"),
    (dict(channel_gain=[1.0, 1.0]), r"channel_gain must have shape \(4\)"),
    (dict(channel_gain=[1.0, -1.0, 1.0, 1.0]), r"channel_gain must be finite and >= 0"),
    (dict(positions_um=[[0, 0]]), r"positions_um must have shape"),
])
def test_compute_templates_errors(kwargs, match):
    args = dict(cell_classes=["L5_TTPC"], positions_um=[[0, 0, 0.0]], orientations=[[0, 0, 1.0]],
                probe_positions_um=np.zeros((4, 3)), probe_normals=np.tile([0, 0, 1.0], (4, 1)),
                site_radius_um=5.0, fs_hz=FS)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        compute_templates(**args)


def test_library_class_error():
    from electrode_models.morphology import Morphology

    m = cell_variant("BC", 0)[0]
    bad = Morphology("purkinje", m.start_um, m.end_um, m.diam_um, m.parent)
    with pytest.raises(ValueError, match=r"library\[0\] morphology cell_type must be one of "
                                         r"\['L23_PC'.*got 'purkinje'"):
        compute_templates(["BC"], [[0, 0, 0.0]], [[0, 0, 1.0]], np.zeros((1, 3)), [[0, 0, 1.0]],
                          5.0, FS, library=[(bad, cell_variant("BC", 0)[1])])


def test_population_equals_cells_computed_one_by_one(generate_population):
    """The parallel loop over cells (one serial kernel per cell) shares no state between cells:
    every unit of the population equals the same cell computed alone (to 1e-6 relative)."""
    T, (classes, cells, ori, pos, nrm, kw) = generate_population
    for i in range(0, 400, 37):
        one = compute_templates(classes[i:i + 1], cells[i:i + 1], ori[i:i + 1], pos, nrm, 7.5, FS,
                                max_channels=6, variants=kw["variants"][i:i + 1],
                                spin_rad=kw["spin_rad"][i:i + 1])
        np.testing.assert_array_equal(one.channel_index[0], T.channel_index[i])
        np.testing.assert_allclose(one.waveforms_uV[0], T.waveforms_uV[i], rtol=1e-6,
                                   atol=1e-6 * np.abs(T.waveforms_uV[i]).max())
        assert one.shift_samples[0] == T.shift_samples[i] and one.best_channel[0] == T.best_channel[i]
