import numba
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


# --------------------------------------------------------------------------- the tiled kernel
# Reference: the definition, one spike after another, column by column, sample by sample (the
# loop of the previous kernel, without threads or tiles).
def _reference_inject(chunk, start, spikes, units, T):
    _reference_loop(chunk, start, np.asarray(spikes, np.int64), np.asarray(units, np.int64),
                    T.waveforms_uV, T.channel_index, T.nbefore)


@numba.njit(cache=True)
def _reference_loop(chunk, start, spikes, units, waves, chan, nb):
    n, n_t = chunk.shape[0], waves.shape[1]
    for k in range(spikes.size):
        s, u = spikes[k], units[k]
        t0 = s - nb
        a, e = max(t0, start), min(t0 + n_t, start + n)
        for q in range(waves.shape[2]):
            c = chan[u, q]
            if c < 0:
                break
            for g in range(a, e):  # float32 += float32, in this order
                chunk[g - start, c] += waves[u, g - t0, q]


def _random_templates(rng, n_units, n_t, n_q, n_ch, dead_fraction=0.3):
    wave = rng.normal(0, 20, (n_units, n_t, n_q)).astype(np.float32)
    chan = np.stack([rng.choice(n_ch, n_q, replace=False) for _ in range(n_units)]).astype(np.int32)
    n_live = np.where(rng.random(n_units) < dead_fraction, rng.integers(0, n_q + 1, n_units), n_q)
    for u, k in enumerate(n_live):
        chan[u, k:] = -1
        wave[u, :, k:] = 0
    return SparseTemplates(wave, chan, n_t // 3, FS, wave[:, n_t // 3, 0].copy(), chan[:, 0].copy())


@pytest.mark.parametrize("n_q, n_ch, rate", [(1, 1024, 40.0), (1, 37, 2.0), (4, 300, 6.0),
                                             (8, 64, 0.5), (3, 20, 30.0)])
def test_tiled_kernel_equals_the_spike_order_sum_for_any_split_and_threads(n_q, n_ch, rate):
    """Dense tiles (scratch path), sparse tiles (in place) and mixed ones, against the plain loop:
    bitwise, for one call, random chunk splits and 1 or 2 Numba threads."""
    rng = np.random.default_rng(n_q * 1000 + n_ch)
    T = _random_templates(rng, 40, 75, n_q, n_ch)
    n, start = 6000, 12345
    spikes = np.sort(rng.integers(start - 100, start + n + 100, int(rate * n_ch * n / FS * 10)))
    units = rng.integers(0, T.n_units, spikes.size)
    base = rng.normal(0, 5, (n, n_ch)).astype(np.float32)  # the chunk's own values come first
    want = base.copy()
    _reference_inject(want, start, spikes, units, T)
    threads = numba.get_num_threads()
    try:
        for nth in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(nth)
            got = base.copy()
            inject_spikes(got, start, spikes, units, T)
            np.testing.assert_array_equal(got, want)
            edges = np.unique(np.concatenate([[0, 1, 17, n], rng.integers(0, n, 12)]))
            parts = []
            for a, b in zip(edges[:-1], edges[1:]):
                c = base[a:b].copy()
                inject_spikes(c, start + a, spikes, units, T)
                parts.append(c)
            np.testing.assert_array_equal(np.concatenate(parts), want)
    finally:
        numba.set_num_threads(threads)


def test_tile_size_does_not_change_the_sum():
    from electrode_models._pickup_kernels import inject_kernel, tile_samples

    rng = np.random.default_rng(3)
    T = _random_templates(rng, 30, 90, 2, 48)
    spikes = np.sort(rng.integers(0, 4000, 3000)).astype(np.int64)
    units = rng.integers(0, T.n_units, spikes.size).astype(np.int64)
    outs = []
    for tile, workers in ((16, 1), (32, 3), (128, 2), (1024, 1), (tile_samples(48), 5)):
        x = np.zeros((4000, 48), np.float32)
        inject_kernel(x, 0, spikes, units, T.waveforms_uV, T.channel_index, T.nbefore, tile, workers,
                      T.sample_support())
        outs.append(x)
    for x in outs[1:]:
        np.testing.assert_array_equal(x, outs[0])
    assert tile_samples(1024) * 1024 <= 1 << 17 and tile_samples(1024) % 16 == 0


# --------------------------------------------------------------------------- pruning
def test_pruning_at_zero_changes_no_sample_and_drops_only_padding():
    from electrode_models import prune_template_channels

    rng = np.random.default_rng(5)
    T = _random_templates(rng, 25, 60, 6, 30, dead_fraction=1.0)  # every unit some -1 columns
    T.channel_index[:, 5] = -1  # column 5 is padding for every unit
    T.waveforms_uV[:, :, 5] = 0
    P = prune_template_channels(T, 0.0)
    n_live = np.cumprod(T.channel_index >= 0, axis=1).sum(axis=1)
    assert P.waveforms_uV.shape == (25, 60, max(1, n_live.max()))
    np.testing.assert_array_equal(P.dense(30), T.dense(30))
    spikes = np.sort(rng.integers(0, 3000, 800))
    units = rng.integers(0, 25, spikes.size)
    a, b = np.zeros((3000, 30), np.float32), np.zeros((3000, 30), np.float32)
    inject_spikes(a, 0, spikes, units, T)
    inject_spikes(b, 0, spikes, units, P)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(P.peak_amplitude_uV, T.peak_amplitude_uV)
    np.testing.assert_array_equal(P.best_channel, T.best_channel)


def test_pruned_signal_error_is_below_the_floor_and_cost_follows_the_kept_columns():
    from electrode_models import prune_template_channels

    rng = np.random.default_rng(9)
    n_units, n_t, n_q, n_ch = 20, 80, 8, 40
    # amplitudes falling with column rank, as a template's channels sorted by peak
    scale = 100.0 * 0.5 ** np.arange(n_q)
    wave = (rng.normal(0, 1, (n_units, n_t, n_q)) * scale).astype(np.float32)
    chan = np.stack([rng.choice(n_ch, n_q, replace=False) for _ in range(n_units)]).astype(np.int32)
    T = SparseTemplates(wave, chan, 20, FS, wave[:, 20, 0].copy(), chan[:, 0].copy())
    floor = 30.0
    P = prune_template_channels(T, floor)
    peak = np.abs(wave).max(axis=1)
    assert P.waveforms_uV.shape[2] == (peak >= floor).sum(axis=1).max() < n_q
    for u in range(n_units):  # kept columns: those at or above the floor, in their order
        kept = chan[u][peak[u] >= floor]
        np.testing.assert_array_equal(P.channel_index[u, :kept.size], kept)
        assert np.all(P.channel_index[u, kept.size:] == -1)
    dense_err = np.abs(P.dense(n_ch) - T.dense(n_ch))
    assert dense_err.max() < floor and dense_err.max() > 0
    # spikes far apart: the injected signals differ by less than the floor everywhere
    spikes = np.arange(100, 100 + 150 * 60, 150)
    units = rng.integers(0, n_units, spikes.size)
    a, b = np.zeros((9200, n_ch), np.float32), np.zeros((9200, n_ch), np.float32)
    inject_spikes(a, 0, spikes, units, T)
    inject_spikes(b, 0, spikes, units, P)
    assert 0 < np.abs(a - b).max() < floor
    # a floor above every peak leaves units without a column, marked as compute_templates does
    Q = prune_template_channels(T, 1e9)
    assert Q.waveforms_uV.shape == (n_units, n_t, 1) and np.all(Q.channel_index == -1)
    assert np.all(Q.best_channel == -1) and np.all(Q.peak_amplitude_uV == 0)
    c = np.zeros((500, n_ch), np.float32)
    inject_spikes(c, 0, [200], [0], Q)
    assert not c.any()
    with pytest.raises(ValueError, match=r"min_peak_uV must be in \[0, inf\]"):
        prune_template_channels(T, -1.0)


def test_trimmed_support_changes_each_sample_by_less_than_the_floor():
    # a decaying template: injection of the trimmed one differs from the full one by less than
    # the floor per spike and sample, is exactly the trimmed waveforms, and skips the tail
    from electrode_models.pickup import prune_template_channels

    n_t = 300
    t = np.arange(n_t)
    wave = np.zeros((2, n_t, 2), np.float32)
    wave[0, :, 0] = -100.0 * np.exp(-np.abs(t - 40) / 20.0)
    wave[0, :, 1] = 30.0 * np.exp(-np.abs(t - 45) / 25.0)
    wave[1, :, 0] = -50.0 * np.exp(-np.abs(t - 40) / 10.0)
    chan = np.array([[0, 3], [2, -1]], np.int32)
    full = SparseTemplates(wave, chan, 40, FS, wave[:, 40, 0].copy(), chan[:, 0].copy())
    floor = 0.05
    trimmed = prune_template_channels(full, 0.0, floor)
    # support: where some kept column reaches the floor (closed form of the exponentials)
    # unit 0: column 1 reaches 0.05 uV until 45 + 25 ln(600) = 204.9; unit 1: 40 + 10 ln(1000) = 109.1
    np.testing.assert_array_equal(trimmed.support, [[0, 205], [0, 110]])
    spikes = np.array([50, 120, 133, 400], np.int64)
    units = np.array([0, 1, 0, 1], np.int64)
    a = np.zeros((700, 4), np.float32)
    b = np.zeros((700, 4), np.float32)
    inject_spikes(a, 0, spikes, units, full)
    inject_spikes(b, 0, spikes, units, trimmed)
    assert np.abs(a - b).max() < floor * 2          # at most two spikes overlap anywhere here
    assert np.abs(a - b).max() > 0                  # the tails were dropped
    c = np.zeros((700, 4), np.float32)               # by hand: each spike's window inside its support
    for s_, u_ in zip(spikes, units):
        a0, a1 = trimmed.support[u_]
        for q, ch in enumerate(chan[u_]):
            if ch >= 0:
                c[s_ - 40 + a0:s_ - 40 + a1, ch] += wave[u_, a0:a1, q]
    np.testing.assert_allclose(b, c, atol=1e-5)
    with pytest.raises(ValueError, match=r"min_sample_uV must be in \[0, inf\] µV"):
        prune_template_channels(full, 0.0, -1.0)
