"""Recordings longer than the scoring block, streamed to the file: chunk-size independence,
events-only files, generated activity, and block-wise scores equal to one-shot scores."""

import h5py
import numpy as np
import pytest

import neurosim.pipeline as pipeline
from neurosim.io import read_result, validate_file
from neurosim.metrics import DetectionScorer, score_detection


_STREAMED = ("chip/events/sample_index", "chip/events/channel", "ground_truth/spike_samples",
             "ground_truth/spike_units", "scores/unit/recall",
             "scores/channel/precision", "lfp/lfp_uV")


@pytest.fixture(scope="module")
def long_design(tiny_design):
    """Generated activity, 21 s (three scoring blocks), adaptive thresholds, LFP band, no traces."""
    return tiny_design.replace(**{
        "population.model": "poisson", "population.poisson.pyramidal_median_hz": 5.0,
        "recording.duration_s": 21.0, "recording.chunk_s": 3.0, "recording.store_traces": "none",
        "chip.detector.adaptive": True, "chip.detector.adaptation_time_s": 2.0,
        "chip.front_end.lfp_enabled": True})


@pytest.fixture(scope="module")
def long_runs(long_design, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("long")
    a, b = tmp / "a.h5", tmp / "b.h5"
    ra = pipeline.run(long_design, a, progress=False)
    rb = pipeline.run(long_design.replace(**{"recording.chunk_s": 0.5}), b, progress=False)
    rc = pipeline.run(long_design, None, progress=False)  # no file: events kept in memory
    return ra, a, rb, b, rc


def test_output_does_not_depend_on_chunk_size_or_on_keeping_events(long_runs, h5_digest):
    ra, a, rb, b, rc = long_runs
    assert h5_digest(a, _STREAMED) == h5_digest(b, _STREAMED)
    assert ra.scores.f1 == rb.scores.f1 == rc.scores.f1
    assert ra.metrics["num_spikes"] == rb.metrics["num_spikes"] == rc.metrics["num_spikes"]
    assert len(ra.events[0]) == 0  # with a file the events are streamed to it, not kept
    assert len(rc.events[0]) == rc.metrics["num_events_received"] > 0
    r = read_result(b)
    assert np.array_equal(r["chip/events/sample_index"], rc.events[0])
    assert np.array_equal(r["chip/events/channel"], rc.events[1])


def test_events_only_file_validates_and_holds_the_ground_truth(long_runs, long_design):
    ra, a, *_ = long_runs
    assert validate_file(a) == []
    with h5py.File(a, "r") as f:
        assert "recording/traces_uV" not in f and "recording/traces_adc" not in f
        assert f["recording"].attrs["stored_traces"] == "none"
        s = f["ground_truth/spike_samples"][()]
        assert "ground_truth/spike_times_s" not in f     # redundant with the samples: not stored
    n = int(long_design.recording.duration_s * long_design.recording.fs_hz)
    assert np.all(np.diff(s) >= 0) and s.min() >= 0 and s.max() < n
    # the generated trains have the rates the cortex was given (cells the implant killed excepted)
    alive = ra.activity.num_cells
    expected = ra.activity.rates_hz().sum() * long_design.recording.duration_s
    assert alive and abs(len(s) - expected) < 5 * np.sqrt(expected) + 0.05 * expected


def test_blockwise_scores_equal_one_shot_scores_when_no_match_straddles_a_block():
    rng = np.random.default_rng(4)
    nu, nc, block, tol = 60, 12, 10_000, 5
    uc = np.stack([rng.choice(nc, 3, replace=False) for _ in range(nu)])
    amps = rng.normal(0, 80, uc.shape)
    thr = np.full(nc, 50.0)
    s = np.sort(rng.integers(0, 100_000, 5000))
    s = s[np.abs((s + block // 2) % block - block // 2) > 3 * tol]  # away from the block edges
    u = rng.integers(0, nu, s.size)
    hit = rng.random(s.size) < 0.7
    d = np.concatenate([s[hit] + rng.integers(-tol, tol + 1, hit.sum()), rng.integers(0, 100_000, 800)])
    c = np.concatenate([uc[u[hit], 0], rng.integers(0, nc, 800)])
    d = np.where(np.abs((d + block // 2) % block - block // 2) > tol, d, d + 2 * tol)
    one = score_detection(s, u, d, c, uc, amps, thr, tol, window=(500, 99_000))
    scorer = DetectionScorer(uc, amps, nc, tol, window=(500, 99_000), block_samples=block)
    edges = np.arange(0, 100_001, 3_333)
    for lo, hi in zip(edges[:-1], edges[1:]):
        ks, kd = (s >= lo) & (s < hi), (d >= lo) & (d < hi)
        scorer.add(s[ks], u[ks], d[kd], c[kd])
        scorer.flush(hi, thr)
    blocks = scorer.finish(thr)
    assert blocks.precision == one.precision and blocks.recall == one.recall
    np.testing.assert_array_equal(blocks.unit_recall, one.unit_recall)
    np.testing.assert_array_equal(blocks.channel_num_detected, one.channel_num_detected)
    assert 0.1 < one.recall < 0.9 and 0.1 < one.precision < 0.9  # matches and misses both occur


def test_scorer_rejects_bad_input():
    sc = DetectionScorer(np.zeros((2, 1), int), np.ones((2, 1)), 1, 3, block_samples=10)
    with pytest.raises(ValueError, match="spike_units"):
        sc.add([1], [5], [], [])
    with pytest.raises(ValueError, match="block_samples"):
        DetectionScorer(np.zeros((2, 1), int), np.ones((2, 1)), 1, 3, block_samples=0)


# --------------------------------------------------------------------------- SpikeFeed
def _streamed_activity(num_cells=400, duration_s=5.3, seed=3):
    from neurosim.populations import Activity

    rng = np.random.default_rng(seed)
    return Activity(spike_times_s=np.zeros(0), spike_units=np.zeros(0, np.int64),
                    positions_um=np.zeros((num_cells, 3)), cell_types=np.zeros(num_cells, np.int8),
                    orientations=np.tile([0.0, 0.0, 1.0], (num_cells, 1)), duration_s=duration_s,
                    stream_rates_hz=rng.uniform(0.5, 40.0, num_cells),
                    stream_cell_ids=np.arange(num_cells, dtype=np.int64) * 3 + 1, stream_seed=seed,
                    stream_refractory_s=2e-3)


def _all_spikes(activity, fs, alive):
    """The definition: every spike of the whole run (one generator call), sorted by time then
    unit, living cells only, at sample round(t * fs)."""
    from neurosim.populations.poisson import poisson_spikes

    t, u = poisson_spikes(activity.stream_rates_hz, activity.stream_cell_ids, activity.stream_seed,
                          activity.stream_refractory_s, 0.0, activity.duration_s)
    keep = alive[u]
    t, u = t[keep], u[keep]
    return t, np.round(t * fs).astype(np.int64), u


@pytest.mark.parametrize("fs", [30000.0, 24414.0625])
def test_feed_windows_equal_the_whole_run_sliced_and_blocks_are_generated_once(fs):
    from neurosim.spike_feed import SpikeFeed

    act = _streamed_activity()
    rng = np.random.default_rng(1)
    alive = rng.random(act.num_cells) < 0.8
    t_all, s_all, u_all = _all_spikes(act, fs, alive)
    n = int(round(act.duration_s * fs))
    assert np.all(np.diff(s_all) >= 0) and s_all.size > 10_000

    def want(lo, hi):
        k = (s_all >= max(lo, 0)) & (s_all < hi)
        return t_all[k], s_all[k], u_all[k]

    feed = SpikeFeed(act, fs, alive)
    # a run's pattern: chunks of any size, each asking for its template window and its own spikes
    edges = np.unique(np.concatenate([[0, n], rng.integers(0, n, 40)]))
    for start, stop in zip(edges[:-1], edges[1:]):
        (s_in, u_in), own = feed.for_chunk(start, stop, 45, 270)
        _, ws, wu = want(start - 270 + 1, stop + 45)
        np.testing.assert_array_equal(s_in, ws)
        np.testing.assert_array_equal(u_in, wu)
        for got, ref in zip(own, want(start, stop)):
            np.testing.assert_array_equal(got, ref)
        for got, ref in zip(feed.between(start, stop), want(start, stop)):
            np.testing.assert_array_equal(got, ref)
    assert feed.blocks_generated == int(np.ceil(act.duration_s))  # every block once, in order
    # any order, windows across several blocks, empty and out-of-range windows
    for lo, hi in [(n - 10, n + 500), (-50, 3), (70_000, 70_000), (5, 2), (0, n), (n + 10, n + 20)]:
        for got, ref in zip(feed.between(lo, hi), want(lo, hi)):
            np.testing.assert_array_equal(got, ref)


def test_feed_of_stored_activity_slices_the_stored_spikes():
    from neurosim.populations import Activity
    from neurosim.spike_feed import SpikeFeed

    rng = np.random.default_rng(2)
    t = np.sort(rng.uniform(0, 2.0, 5000))
    u = rng.integers(0, 50, t.size)
    act = Activity(spike_times_s=t, spike_units=u, positions_um=np.zeros((50, 3)),
                   cell_types=np.zeros(50, np.int8), orientations=np.tile([0.0, 0.0, 1.0], (50, 1)),
                   duration_s=2.0)
    alive = np.arange(50) % 7 != 0
    feed = SpikeFeed(act, 30000.0, alive)
    s = np.round(t * 30000.0).astype(np.int64)
    for lo, hi in [(0, 60000), (1000, 1001), (12345, 45678), (59000, 70000)]:
        k = (s >= lo) & (s < hi) & alive[u]
        got = feed.between(lo, hi)
        for g, r in zip(got, (t[k], s[k], u[k])):
            np.testing.assert_array_equal(g, r)
        (s_in, u_in), own = feed.for_chunk(lo, hi, 10, 20)
        k2 = (s >= lo - 19) & (s < hi + 10) & alive[u]
        np.testing.assert_array_equal(s_in, s[k2])
        np.testing.assert_array_equal(u_in, u[k2])
        for g, r in zip(own, got):
            np.testing.assert_array_equal(g, r)
