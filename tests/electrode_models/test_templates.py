import numpy as np
import pytest

from electrode_models.conductor import gain_matrix
from electrode_models.morphology import get_morphology
from electrode_models.templates import SparseTemplates, _type_currents, compute_templates

FS = 30000.0


def _line_probe(n=16, pitch=20.0):
    pos = np.zeros((n, 3))
    pos[:, 2] = -pitch * np.arange(n)
    return pos, np.tile([0, 1.0, 0], (n, 1))


def test_matches_gain_matrix_times_currents():
    # one cell, point electrodes: template == line-source gain @ currents (closed-form chain)
    pos, nrm = _line_probe()
    cell = np.array([[30.0, 0.0, -150.0]])
    T = compute_templates(["pyramidal"], cell, [[0, 0, 1.0]], pos, nrm, 0.0, FS, max_channels=16,
                          min_amplitude_uV=0.0)
    m = get_morphology("pyramidal")
    cur = _type_currents("pyramidal", FS, T.nbefore, T.nafter)
    want = (gain_matrix(pos, m.start_um + cell, m.end_um + cell, min_distance_um=np.maximum(
        m.diam_um / 2, 0.5)) @ cur).T
    got = T.dense(16)[0]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)


def test_rotation_equivalence():
    # a cell along +x seen from +x equals a cell along +z seen from +z
    el = np.array([[60.0, 0, 0], [0, 0, 60.0]])
    nrm = np.tile([0, 1.0, 0], (2, 1))
    a = compute_templates(["interneuron"], [[0, 0, 0]], [[1.0, 0, 0]], el, nrm, 0.0, FS,
                          max_channels=2, min_amplitude_uV=0.0).dense(2)[0]
    b = compute_templates(["interneuron"], [[0, 0, 0]], [[0, 0, 1.0]], el, nrm, 0.0, FS,
                          max_channels=2, min_amplitude_uV=0.0).dense(2)[0]
    np.testing.assert_allclose(a[:, 0], b[:, 1], rtol=1e-5, atol=1e-4)
    # a flipped cell (-z): its apical tree points away from an electrode above it
    c = compute_templates([0], [[0, 0, 0]], [[0, 0, -1.0]], el, nrm, 0.0, FS, max_channels=2,
                          min_amplitude_uV=0.0)
    assert np.isfinite(c.waveforms_uV).all()


def test_sparsity_and_ordering():
    rng = np.random.default_rng(3)
    pos, nrm = _line_probe(32)
    n = 40
    cells = np.column_stack([rng.uniform(-80, 80, n), rng.uniform(-80, 80, n),
                             rng.uniform(-700, 100, n)])
    cells[0] = [2000.0, 0, 0]  # far away: nothing above 1 µV
    types = rng.choice(["pyramidal", "interneuron"], n)
    T = compute_templates(types, cells, np.tile([0, 0, 1.0], (n, 1)), pos, nrm, 6.0, FS,
                          max_channels=5)
    assert T.waveforms_uV.dtype == np.float32 and T.channel_index.dtype == np.int32
    assert T.waveforms_uV.shape == (n, T.nbefore + T.nafter, 5)
    assert T.nbefore == 30 and T.nafter == 60
    assert np.all(T.channel_index[0] == -1) and T.best_channel[0] == -1
    for u in range(n):
        ch = T.channel_index[u]
        k = int((ch >= 0).sum())
        assert np.all(ch[k:] == -1)
        peaks = np.abs(T.waveforms_uV[u, :, :k]).max(axis=0)
        assert np.all(np.diff(peaks) <= 1e-6) and np.all(peaks >= 1.0)
        if k:
            assert T.best_channel[u] == ch[0]
            w = T.waveforms_uV[u, :, 0]
            assert T.peak_amplitude_uV[u] == w[np.argmax(np.abs(w))]
    dense = T.dense(32)
    assert dense.shape == (n, 90, 32)
    u = int(np.argmax(np.abs(T.peak_amplitude_uV)))
    np.testing.assert_array_equal(dense[u, :, T.channel_index[u, 0]], T.waveforms_uV[u, :, 0])


def test_trough_at_nbefore_and_decay():
    pos = np.array([[d, 0.0, 0.0] for d in (20.0, 40.0, 80.0, 160.0)])
    nrm = np.tile([1.0, 0, 0], (4, 1))
    for cell in ("pyramidal", "interneuron"):
        T = compute_templates([cell], [[0, 0, 0]], [[0, 0, 1.0]], pos, nrm, 0.0, FS,
                              max_channels=4, min_amplitude_uV=0.0)
        d = T.dense(4)[0]
        assert abs(int(np.argmin(d[:, 0])) - T.nbefore) <= 1
        assert T.peak_amplitude_uV[0] < 0 and T.best_channel[0] == 0
        assert np.all(np.diff(np.abs(d.min(axis=0))) < 0)  # amplitude falls with distance


def test_dense_error():
    T = SparseTemplates(np.zeros((1, 3, 2), np.float32), np.array([[4, -1]], np.int32), 1, FS,
                        np.zeros(1, np.float32), np.array([4], np.int32))
    with pytest.raises(ValueError, match=r"num_channels must be in \[5, inf\]"):
        T.dense(3)


@pytest.mark.parametrize("kwargs, match", [
    (dict(cell_types=["glia"]), r"cell_types must be one of \['pyramidal', 'interneuron'\], got \['glia'\]"),
    (dict(cell_types=[2]), r"cell_types as integers must be in \[0, 1\]"),
    (dict(cell_types=[0, 1]), r"cell_types must have shape \(1\)"),
    (dict(orientations=[[0, 0, 0.0]]), r"orientations must be non-zero"),
    (dict(max_channels=0), r"max_channels must be in \[1, inf\]"),
    (dict(fs_hz=100.0), r"fs_hz must be in"),
    (dict(ms_before=0.0), r"ms_before must be in \(0, 20\] ms"),
    (dict(ms_after=30.0), r"ms_after must be in"),
    (dict(min_amplitude_uV=-1.0), r"min_amplitude_uV must be in"),
    (dict(cutoff_um=0.0), r"cutoff_um must be in"),
    (dict(site_radius_um=-2.0), r"site_radius_um must be in"),
    (dict(spin_rad=[0.0, 1.0]), r"spin_rad must have shape"),
    (dict(n_disc_points=0), r"n_disc_points must be in"),
    (dict(positions_um=[[0, 0]]), r"positions_um must have shape"),
])
def test_compute_templates_errors(kwargs, match):
    args = dict(cell_types=["pyramidal"], positions_um=[[0, 0, 0.0]], orientations=[[0, 0, 1.0]],
                probe_positions_um=np.zeros((4, 3)), probe_normals=np.tile([0, 0, 1.0], (4, 1)),
                site_radius_um=5.0, fs_hz=FS)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        compute_templates(**args)
