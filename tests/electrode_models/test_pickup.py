import numpy as np
import pytest

from electrode_models.pickup import inject_spikes
from electrode_models.templates import SparseTemplates

FS = 30000.0


@pytest.fixture(scope="module")
def generate_templates():
    rng = np.random.default_rng(7)
    n_units, n_t, n_q, n_ch = 6, 90, 4, 12
    wave = rng.normal(0, 20, (n_units, n_t, n_q)).astype(np.float32)
    chan = np.stack([rng.choice(n_ch, n_q, replace=False) for _ in range(n_units)]).astype(np.int32)
    chan[2, 2:] = -1
    wave[2, :, 2:] = 0
    return SparseTemplates(wave, chan, 30, FS, wave[:, 0, 0].copy(), chan[:, 0].copy()), n_ch


def test_single_spike_placement(generate_templates):
    T, n_ch = generate_templates
    chunk = np.zeros((200, n_ch), np.float32)
    inject_spikes(chunk, 1000, [1100], [3], T)
    want = np.zeros_like(chunk)
    want[100 - 30:100 + 60][:, T.channel_index[3]] = T.waveforms_uV[3]
    np.testing.assert_array_equal(chunk, want)


def test_spikes_straddling_edges(generate_templates):
    T, n_ch = generate_templates
    chunk = np.zeros((50, n_ch), np.float32)
    # trough 10 before the chunk: its last 50 samples overlap; trough 60 in: its first 20
    inject_spikes(chunk, 500, [490, 560], [0, 1], T)
    want = np.zeros_like(chunk)
    want[:, T.channel_index[0]] += T.waveforms_uV[0, 40:90]
    want[30:, T.channel_index[1]] += T.waveforms_uV[1, :20]
    np.testing.assert_array_equal(chunk, want)
    empty = np.zeros((50, n_ch), np.float32)
    inject_spikes(empty, 500, [500 - 60, 550 + 30], [0, 1], T)  # just outside on both sides
    assert not empty.any()


def test_chunked_equals_one_shot(generate_templates):
    T, n_ch = generate_templates
    rng = np.random.default_rng(11)
    n = 30000
    spikes = np.sort(rng.integers(0, n, 3000))
    units = rng.integers(0, T.n_units, spikes.size)
    full = np.zeros((n, n_ch), np.float32)
    inject_spikes(full, 0, spikes, units, T)
    for size in (777, 4096, 10000):
        parts = []
        for a in range(0, n, size):
            c = np.zeros((min(size, n - a), n_ch), np.float32)
            inject_spikes(c, a, spikes, units, T)
            parts.append(c)
        np.testing.assert_array_equal(np.concatenate(parts), full)
    # the total added equals the sum of the full templates of the spikes far from the edges
    inner = (spikes >= 30) & (spikes < n - 60)
    assert full.sum(dtype=np.float64) == pytest.approx(
        T.waveforms_uV[units[inner]].sum(dtype=np.float64) + _edge_sum(T, spikes[~inner],
                                                                       units[~inner], n), rel=1e-4)


def _edge_sum(T, s, u, n):
    tot = 0.0
    for si, ui in zip(s, u):
        a, b = si - T.nbefore, si + T.nafter
        lo, hi = max(a, 0) - a, min(b, n) - a
        tot += T.waveforms_uV[ui, lo:hi].sum(dtype=np.float64)
    return tot


def test_inject_errors(generate_templates):
    T, n_ch = generate_templates
    ok = np.zeros((10, n_ch), np.float32)
    with pytest.raises(ValueError, match=r"chunk_uV must be a C-contiguous float32"):
        inject_spikes(np.zeros((10, n_ch)), 0, [5], [0], T)
    with pytest.raises(ValueError, match=r"chunk_start_sample must be in \[0, inf\]"):
        inject_spikes(ok, -1, [5], [0], T)
    with pytest.raises(ValueError, match=r"spike_samples must be sorted ascending"):
        inject_spikes(ok, 0, [5, 3], [0, 0], T)
    with pytest.raises(ValueError, match=r"spike_units must be in \[0, 5\]"):
        inject_spikes(ok, 0, [5], [6], T)
    with pytest.raises(ValueError, match=r"spike_units must have shape"):
        inject_spikes(ok, 0, [5], [0, 1], T)
    with pytest.raises(ValueError, match=r"chunk_uV must have at least"):
        inject_spikes(np.zeros((10, 2), np.float32), 0, [5], [0], T)
