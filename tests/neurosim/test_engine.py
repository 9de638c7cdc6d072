"""The chunk engine: one chain of stages, bit-identical for any chunk size and any n_jobs."""

from signal import SIGTERM

import numba
import numpy as np
import pytest
from scipy import signal

import neurosim.pipeline as pipeline
from neurosim.chip_stage import ChipChain
from neurosim.engine import ChunkEngine, FunctionSource, num_threads, resolve_n_jobs
from neurosim.interrupt import check_stop, clear_stop, request_stop


def test_any_chunk_size_and_any_n_jobs_give_identical_files(tiny_design, tmp_path, h5_digest):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs at least 2 Numba threads")
    ref = tmp_path / "ref.h5"
    r = pipeline.run(tiny_design, ref, progress=False, n_jobs=1)
    digest = h5_digest(ref)
    for chunk_s, n_jobs in ((0.25, 2), (0.031, 2), (0.6, -1), (0.013, 1)):
        other = tmp_path / f"c{chunk_s}_j{n_jobs}.h5"
        again = pipeline.run(tiny_design.replace(**{"recording.chunk_s": chunk_s}), other,
                             progress=False, n_jobs=n_jobs)
        assert h5_digest(other) == digest, (chunk_s, n_jobs)
        assert again.metrics["f1"] == pytest.approx(r.metrics["f1"], nan_ok=True)
    # the run reports every stage it timed, and they add up to no more than the recording loop
    stages = {k: v for k, v in r.timings_s.items() if k.startswith("stage_")}
    assert {"stage_spikes_s", "stage_noise_s", "stage_chip_s", "stage_score_s", "stage_write_s"} <= set(stages)
    assert sum(stages.values()) <= r.timings_s["recording_s"] + 1e-6


class _PassThroughChip:
    """A chip stage that returns its input as codes and receives nothing."""

    last_received, last_lfp = (np.zeros(0, np.int64), np.zeros(0, np.int32)), None

    def process(self, x):
        return x.copy()


def test_engine_ends_chunks_on_block_boundaries_and_restores_threads():
    seen = []

    class Sink:
        name = "sink"

        def process(self, chunk, start):
            seen.append((chunk.start, chunk.stop, float(chunk.codes[:, 0].sum())))

    def ramp(x, start):  # a source that depends only on the global sample index
        x += np.arange(start, start + len(x), dtype=np.float32)[:, None]

    before = numba.get_num_threads()
    engine = ChunkEngine([FunctionSource("ramp", ramp)], _PassThroughChip(), [Sink()], num_samples=25,
                         num_channels=2, chunk_samples=7, boundaries=10)
    engine.run(progress=False, n_jobs=1)
    assert numba.get_num_threads() == before
    edges = [(a, b) for a, b, _ in seen]
    assert edges == [(0, 7), (7, 10), (10, 14), (14, 20), (20, 21), (21, 25)]
    assert sum(s for *_, s in seen) == sum(range(25))  # every sample once, in its place
    assert set(engine.timings_s) == {"ramp", "chip", "sink"}


@pytest.mark.parametrize("bad", [0, 1.5, True, "2", 10_000, -10_000])
def test_n_jobs_errors_name_the_parameter_and_the_range(bad):
    with pytest.raises(ValueError, match=r"n_jobs must .*got"):
        resolve_n_jobs(bad)


def test_n_jobs_conventions():
    most = numba.config.NUMBA_NUM_THREADS
    assert resolve_n_jobs(None) == resolve_n_jobs(-1) == most
    assert resolve_n_jobs(1) == 1
    if most >= 2:
        assert resolve_n_jobs(-2) == most - 1
    with num_threads(1) as n:
        assert n == 1 and numba.get_num_threads() == 1


def test_template_peaks_match_the_recursive_filter(tiny_design):
    """The impulse-response product equals scipy's sosfilt of each padded template column."""
    chain = ChipChain(tiny_design, 4, seed=1)
    rng = np.random.default_rng(3)
    u, t, k = 5, 90, 4

    class Templates:
        waveforms_uV = rng.normal(0, 20, (u, t, k)).astype(np.float32)
        channel_index = np.array([[0, 1, 2, 3], [1, 2, -1, -1], [3, -1, -1, -1], [0, 2, 1, 3], [2, 0, -1, -1]])

    peaks = chain.template_peaks_uV(Templates, pad_s=2e-3)
    pad = int(round(2e-3 * tiny_design.recording.fs_hz))
    sos = chain.front_end.sos
    for i in range(u):
        for q in range(k):
            if Templates.channel_index[i, q] < 0:
                assert peaks[i, q] == 0.0
                continue
            y = signal.sosfilt(sos, np.r_[Templates.waveforms_uV[i, :, q].astype(float), np.zeros(pad)])
            assert peaks[i, q] == pytest.approx(y[np.argmax(np.abs(y))], rel=1e-9, abs=1e-9)


class _StopSink:
    """Records the chunks it gets; at chunk ``lose_at`` it plays a signal whose exception was lost
    (a stop request recorded, its SystemExit gone: `neurosim.interrupt`)."""

    name = "sink"

    def __init__(self, lose_at=None):
        self.starts, self.lose_at = [], lose_at

    def process(self, chunk, start):
        self.starts.append(start)
        if len(self.starts) == self.lose_at:
            request_stop(SIGTERM)


def _stop_engine(sink):
    return ChunkEngine([], _PassThroughChip(), [sink], num_samples=100, num_channels=2, chunk_samples=10)


def test_a_lost_sigterm_stops_the_chunk_loop_at_the_next_chunk():
    sink = _StopSink(lose_at=3)
    try:
        with pytest.raises(SystemExit) as exc:
            _stop_engine(sink).run(progress=False, n_jobs=1)
    finally:
        clear_stop()
    assert exc.value.code == 128 + SIGTERM
    assert sink.starts == [0, 10, 20]            # nothing processed after the request


def test_without_a_stop_request_the_loop_runs_to_the_end():
    sink = _StopSink()
    _stop_engine(sink).run(progress=False, n_jobs=1)
    assert sink.starts == list(range(0, 100, 10))
    check_stop()                                  # no request: returns
