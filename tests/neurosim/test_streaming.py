"""Recordings longer than the scoring block, streamed to the file: chunk-size independence,
events-only files, generated activity, and block-wise scores equal to one-shot scores."""

import h5py
import numpy as np
import pytest

import neurosim.pipeline as pipeline
from neurosim.io import read_result, validate_file
from neurosim.metrics import DetectionScorer, score_detection


_STREAMED = ("chip/events/sample_index", "chip/events/channel", "ground_truth/spike_samples",
             "ground_truth/spike_units", "ground_truth/spike_times_s", "scores/unit/recall",
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
        t = f["ground_truth/spike_times_s"][()]
    n = int(long_design.recording.duration_s * long_design.recording.fs_hz)
    assert np.all(np.diff(s) >= 0) and s.min() >= 0 and s.max() < n
    assert np.array_equal(s, np.round(t * long_design.recording.fs_hz).astype(np.int64))
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
