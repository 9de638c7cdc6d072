"""The live twin (neurosim.stream): stream content equals the offline run, lag reporting, latency
against closed forms, the CLI's errors, the LSL backend and the closed loop."""

import logging
import math

import numpy as np
import pytest
from scipy import signal

import chip_models as cm
import neurosim.pipeline as pipeline
from neurosim.cli import main
from neurosim.decoding import KalmanDecoder, bin_events
from neurosim.io import read_result
from neurosim.stream import (ClosedLoop, EventBinner, MemoryOutlet, OnlineKalman, latency_budget,
                             latency_figure, make_outlet, stream)
from neurosim.stream.closed_loop import chance_success_rate, closed_loop_example, motor_design

MODES = ("events", "binned_counts", "sbp", "raw")


@pytest.fixture(scope="module")
def offline_and_live(tiny_design, tmp_path_factory):
    """For every output mode: the offline file and a live stream (other chunk size, no pacing)."""
    tmp = tmp_path_factory.mktemp("stream")
    out = {}
    for mode in MODES:
        design = tiny_design.replace(**{"chip.radio.output_mode": mode, "recording.store_traces": "adc"})
        path = tmp / f"{mode}.h5"
        pipeline.run(design, path, progress=False)
        outlet = MemoryOutlet()
        report = stream(design, realtime=False, outlet=outlet, chunk_s=0.04)
        out[mode] = (design, read_result(path, traces=True), outlet, report)
    return out


@pytest.mark.parametrize("mode", ["events", "binned_counts"])
def test_ground_truth_and_timestamps_match_the_offline_run(offline_and_live, mode):
    design, r, outlet, report = offline_and_live[mode]
    fs = design.recording.fs_hz
    gt = outlet.data("neurosim_ground_truth")
    assert len(gt) == report.num_spikes > 0
    np.testing.assert_array_equal(gt[:, 1], r["ground_truth/spike_samples"])
    np.testing.assert_array_equal(gt[:, 0], r["ground_truth/spike_units"])
    # one clock: every row about sample n is stamped t0 + n / fs
    t = outlet.timestamps("neurosim_ground_truth")
    t0 = t[0] - gt[0, 1] / fs
    np.testing.assert_allclose(t - t0, gt[:, 1] / fs, atol=1e-9)


def test_events_stream_equals_offline_events(offline_and_live):
    design, r, outlet, report = offline_and_live["events"]
    ev = outlet.data("neurosim_events")
    assert len(ev) == report.num_events > 0
    np.testing.assert_array_equal(ev[:, 1], r["chip/events/sample_index"])
    np.testing.assert_array_equal(ev[:, 0], r["chip/events/channel"])
    link = outlet.data("neurosim_link")  # per chunk: delivered, overflow, corrupted, FIFO
    assert link[:, 0].sum() == len(ev)
    assert report.num_chunks == math.ceil(design.recording.duration_s / 0.04 - 1e-9) == len(link)


def test_binned_counts_stream_equals_offline_events_binned(offline_and_live):
    design, r, outlet, _ = offline_and_live["binned_counts"]
    fs, bin_s = design.recording.fs_hz, design.chip.radio.bin_ms * 1e-3
    expected, start_s = bin_events(r["chip/events/sample_index"], r["chip/events/channel"],
                                   16, fs, bin_s,
                                   design.recording.duration_s)
    counts = outlet.data("neurosim_counts")
    assert counts.sum() > 0
    np.testing.assert_array_equal(counts, expected)
    t = outlet.timestamps("neurosim_counts")
    np.testing.assert_allclose(np.diff(t), bin_s, atol=1e-9)  # stamped at the end of each bin
    assert outlet.specs["neurosim_counts"].rate_hz == pytest.approx(1 / bin_s)


def test_raw_and_sbp_streams_equal_the_offline_codes(offline_and_live):
    design, r, outlet, _ = offline_and_live["raw"]
    np.testing.assert_array_equal(outlet.data("neurosim_raw"), r["recording/traces_adc"])
    design, r, outlet, _ = offline_and_live["sbp"]
    radio = design.chip.radio
    sbp = cm.SpikeBandPower(16, design.recording.fs_hz, bin_s=radio.bin_ms * 1e-3,
                            band_hz=(radio.sbp_low_hz, radio.sbp_high_hz))
    one_shot = sbp.process(r["recording/traces_adc"].astype(np.float64))  # the whole file at once
    np.testing.assert_allclose(outlet.data("neurosim_sbp"), one_shot.astype(np.float32), rtol=1e-6)


def test_event_binner_counts_late_events_in_the_oldest_open_bin():
    binner = EventBinner(3, bin_samples=10)
    counts, b = binner.add(np.array([1, 12, 15]), np.array([0, 1, 2]), stop=25)
    np.testing.assert_array_equal(b, [0, 1])
    np.testing.assert_array_equal(counts, [[1, 0, 0], [0, 1, 1]])
    counts, b = binner.add(np.array([5, 22, 27]), np.array([1, 2, 2]), stop=30)  # 5: bin 0 is closed
    np.testing.assert_array_equal(b, [2])
    np.testing.assert_array_equal(counts, [[0, 1, 2]])
    assert binner.late_events == 1
    with pytest.raises(ValueError, match=r"sample_index must be < stop = 40, got 40"):
        binner.add(np.array([40]), np.array([0]), stop=40)
    with pytest.raises(ValueError, match="bin_samples must be >= 1 sample, got 0"):
        EventBinner(3, 0)


class _SlowOutlet(MemoryOutlet):
    """Takes ``delay_s`` for every push of the main stream: the twin must fall behind."""

    def __init__(self, name, delay_s):
        super().__init__()
        self.name, self.delay_s = name, delay_s

    def push(self, name, data, timestamps_s):
        if name == self.name:
            import time

            time.sleep(self.delay_s)
        super().push(name, data, timestamps_s)


def test_falling_behind_is_counted_and_warned(tiny_design, caplog):
    chunk_s = 0.05
    design = tiny_design.replace(**{"recording.duration_s": 0.3})
    outlet = _SlowOutlet("neurosim_events", 2 * chunk_s)
    with caplog.at_level(logging.WARNING, logger="neurosim.stream.live"):
        report = stream(design, realtime=True, outlet=outlet, chunk_s=chunk_s)
    n = report.num_chunks
    assert n == 6
    # chunk k (0-based) is published no earlier than (k + 1) * 2c and due at (k + 1) * c: its lag
    # is at least (k + 1) * c, more than one chunk from k = 1 on
    assert report.num_late_chunks >= n - 1
    assert report.max_lag_s >= n * chunk_s
    assert not report.kept_up
    assert "cannot keep up" in caplog.text and "fell behind" in caplog.text


def test_realtime_pacing_holds_chunks_until_they_are_recorded(tiny_design):
    design = tiny_design.replace(**{"recording.duration_s": 0.4})
    slept = []

    def sleep(s):
        import time

        slept.append(s)
        time.sleep(s)

    report = stream(design, realtime=True, chunk_s=0.05, sleep=sleep)
    assert report.num_chunks == 8
    assert report.outlet.num_rows["neurosim_events"] == report.num_events  # the default: counts only
    assert report.wall_s >= design.recording.duration_s  # the last chunk is due at 0.4 s
    assert sum(slept) > 0
    # time spent = computing + waiting for the clock (+ the loop's own bookkeeping)
    assert report.wall_s == pytest.approx(report.compute_s + sum(slept), abs=0.05)


def test_latency_budget_against_closed_forms(tiny_design):
    fs = tiny_design.recording.fs_hz
    fe, radio = tiny_design.chip.front_end, tiny_design.chip.radio
    b = latency_budget(tiny_design, 16, decoder_bin_s=0.05, decode_s=0.002)
    # group delay of the whole Butterworth band-pass (as one transfer function) at sqrt(f_lo f_hi)
    num, den = signal.butter(fe.filter_order, [fe.highpass_hz, fe.lowpass_hz], "bandpass", fs=fs)
    f0 = math.sqrt(fe.highpass_hz * fe.lowpass_hz)
    _, gd = signal.group_delay((num, den), w=[f0], fs=fs)
    assert b["filter_group_delay_s"] == pytest.approx(gd[0] / fs, rel=1e-6)
    # events: a frame of floor(C T / (H + P)) packets of H + P bits on a link of C bit/s
    c, t_frame, packet = radio.link_capacity_mbps * 1e6, radio.frame_ms * 1e-3, radio.header_bits + radio.payload_bits
    frame_bits = math.floor(c * t_frame / packet) * packet
    assert b["frame_bits"] == frame_bits
    assert b["link_s"] == pytest.approx(frame_bits / c)
    assert b["framing_s"] == pytest.approx(t_frame)
    assert b["total_s"] == pytest.approx(gd[0] / fs + t_frame + frame_bits / c + 0.05 + 0.002)
    # raw: channels x bits x frame samples, plus a header per payload, on the same link
    raw = latency_budget(tiny_design.replace(**{"chip.radio.output_mode": "raw"}), 16)
    payload = 16 * tiny_design.chip.adc.bits * round(t_frame * fs)
    bits = payload + radio.header_bits * math.ceil(payload / radio.payload_bits)
    assert raw["link_s"] == pytest.approx(bits / c)
    assert raw["fits_link"] == (bits / c <= t_frame)
    # binned counts wait for the end of their bin
    binned = latency_budget(tiny_design.replace(**{"chip.radio.output_mode": "binned_counts"}), 16)
    assert binned["framing_s"] == pytest.approx(radio.bin_ms * 1e-3)
    fig = latency_figure({"events": b, "raw": raw})
    assert len(fig.axes[0].patches) == 10
    with pytest.raises(ValueError, match=r"decoder_bin_s must be in \(0, 10\] s, got 0"):
        latency_budget(tiny_design, 16, decoder_bin_s=0)
    with pytest.raises(ValueError, match="decode_s must be >= 0 s, got -1"):
        latency_budget(tiny_design, 16, decode_s=-1)


def test_stream_rejects_bad_arguments(tiny_design):
    with pytest.raises(ValueError, match=r"duration_s must be in \(0, 86400\] s, got -1"):
        stream(tiny_design, duration_s=-1)
    with pytest.raises(ValueError, match=r"chunk_s must be in \(0, 1\] s, got 2"):
        stream(tiny_design, chunk_s=2)
    with pytest.raises(ValueError, match=r"outlet backend must be one of \['memory', 'lsl'\], got 'udp'"):
        make_outlet("udp")
    with pytest.raises(ValueError, match="population.model must be 'motor_cortex', got 'balanced_ei'"):
        stream(tiny_design, realtime=False, controllers=[ClosedLoop(train_s=0.05)])
    with pytest.raises(ValueError, match="chip.radio.output_mode must be events, binned_counts or sbp, got 'raw'"):
        stream(motor_design(8, 1.0, output_mode="raw"), realtime=False, controllers=[ClosedLoop(train_s=0.5)])
    with pytest.raises(ValueError, match="train_s must be > 0 s, got 0"):
        ClosedLoop(train_s=0)


@pytest.fixture
def tiny_toml(tiny_design, tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_design.to_toml())
    return path


@pytest.mark.parametrize("argv, message", [
    (["--duration", "-2"], r"--duration must be in \(0, 86400\] s, got -2"),
    (["--chunk", "3"], r"--chunk must be in \(0, 1\] s, got 3"),
    (["--chunk", "0"], r"--chunk must be in \(0, 1\] s, got 0"),
])
def test_cli_stream_names_the_bad_option(tiny_toml, capsys, argv, message):
    import re

    assert main(["stream", str(tiny_toml), "--no-realtime", *argv]) == 2
    assert re.search(message, capsys.readouterr().err)


def test_cli_stream_rejects_an_unknown_backend(tiny_toml, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["stream", str(tiny_toml), "--backend", "udp"])
    assert exc.value.code == 2
    assert "invalid choice: 'udp'" in capsys.readouterr().err


def test_cli_stream_runs_and_writes_the_latency_figure(tiny_toml, tmp_path, capsys):
    png = tmp_path / "latency.png"
    assert main(["stream", str(tiny_toml), "--duration", "0.2", "--no-realtime", "--no-cache",
                 "--latency-figure", str(png)]) == 0
    out = capsys.readouterr().out
    assert "kept up" in out and "neurosim_events" in out
    assert png.stat().st_size > 0


def test_lsl_stream_carries_the_same_events(offline_and_live):
    pylsl = pytest.importorskip("pylsl")
    from neurosim.stream import LSLOutlet

    design, _, memory, _ = offline_and_live["events"]

    class WithInlets(LSLOutlet):
        """Opens an inlet on the events stream before the first push (LSL sends only what
        follows) and reads it before the outlets close."""

        def open(self, specs, source_id):
            super().open(specs, source_id)
            found = pylsl.resolve_byprop("source_id", f"{source_id}/lsltest_events", timeout=5.0)
            assert found, "LSL stream lsltest_events not found"
            self.inlet = pylsl.StreamInlet(found[0], max_buflen=60, recover=False)
            self.inlet.open_stream(timeout=5.0)
            self.rows = []

        def close(self):
            import time

            deadline = time.monotonic() + 10.0
            while len(self.rows) < expected and time.monotonic() < deadline:
                data, _ = self.inlet.pull_chunk(timeout=0.1)
                self.rows += data
            self.inlet.close_stream()
            super().close()

    expected = len(memory.data("neurosim_events"))
    outlet = WithInlets()
    stream(design, realtime=False, outlet=outlet, chunk_s=0.04, prefix="lsltest")
    np.testing.assert_array_equal(np.asarray(outlet.rows, np.int32).reshape(-1, 2), memory.data("neurosim_events"))


def test_online_kalman_equals_the_batch_decoder():
    rng = np.random.default_rng(0)
    vel = np.cumsum(rng.normal(size=(300, 2)), axis=0) * 0.1
    obs = vel @ rng.normal(size=(2, 6)) + rng.normal(scale=0.5, size=(300, 6)) + 3.0
    dec = KalmanDecoder().fit(obs[:200], vel[:200])
    online = OnlineKalman(dec)
    np.testing.assert_allclose([online.step(y) for y in obs[200:]], dec.predict(obs[200:]), atol=1e-10)
    with pytest.raises(ValueError, match="fitted KalmanDecoder"):
        OnlineKalman(KalmanDecoder())


@pytest.mark.slow
def test_closed_loop_reaches_targets_above_chance():
    """The Kalman filter, fitted on 15 s of open-loop calibration, drives the cursor for 15 s."""
    radius_cm = 3.0
    report, loop = closed_loop_example(motor_design(32, 30.0), train_s=15.0, target_radius_cm=radius_cm)
    res = report.controllers[0]
    assert res["num_trials"] >= 10
    # chance: straight paths in random directions, and the same paths against rotated targets
    assert res["success_rate"] > chance_success_rate(radius_cm, 10.0) + 0.15
    assert res["success_rate"] > res["chance_rate"] + 0.15
    assert report.latency["decode_s"] == pytest.approx(res["decode_mean_s"])
    assert "neurosim_behaviour" in report.streams and "neurosim_cursor" in report.streams
