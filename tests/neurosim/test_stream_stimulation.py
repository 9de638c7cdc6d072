"""Stimulation on command in the live twin (issue 16): the safety model refuses what Shannon's
criterion and the design's rate forbid, delivered pulses put their artefact into the signal and
blank the detector, and the result does not depend on the chunk size."""

import math

import numpy as np
import pytest

import chip_models as cm
from neurosim.stream import MemoryOutlet, StimulationCommands, stream

AREA_UM2 = 2000.0


@pytest.fixture
def stim_design(tiny_design):
    """Raw codes and events; stimulation limits of the design (its periodic train stays off)."""
    return tiny_design.replace(**{"recording.duration_s": 0.5, "chip.stimulation.site_area_um2": AREA_UM2,
                                  "chip.stimulation.rate_hz": 100.0, "chip.stimulation.blanking_ms": 2.0,
                                  "chip.stimulation.artefact_peak_uV": 2000.0})


def _run(design, commands, chunk_s=0.05, outlet=None):
    ctl = StimulationCommands()
    for row, t in commands:
        ctl.inlet.put(row, t)
    outlet = outlet or MemoryOutlet()
    report = stream(design, realtime=False, outlet=outlet, chunk_s=chunk_s, controllers=[ctl])
    return ctl, outlet, report


def _shannon_k(amplitude_uA, width_us, area_um2=AREA_UM2):
    q = amplitude_uA * width_us * 1e-6           # µC per phase
    return math.log10(q / (area_um2 * 1e-8)) + math.log10(q)


def test_safety_model_refuses_unsafe_pulses(stim_design):
    # on 2000 µm² = 2e-5 cm²: 20 µA x 200 µs: Q = 0.004 µC, D = 200 µC/cm², k = -0.097 (safe);
    # 50 µA x 200 µs: Q = 0.01 µC, D = 500 µC/cm², k = 0.699 (safe at the 1.75 limit);
    # 200 µA x 500 µs: Q = 0.1 µC, D = 5000 µC/cm², k = 2.699 (> 1.75: refused)
    commands = [((3, 20.0, 200.0), 0.30), ((3, 50.0, 200.0), 0.32), ((3, 200.0, 500.0), 0.34),
                ((99, 20.0, 200.0), 0.36),          # no such contact
                ((5, 20.0, 200.0), 0.40), ((5, 20.0, 200.0), 0.405)]  # 5 ms apart at 100 Hz: refused
    ctl, outlet, _ = _run(stim_design, commands)
    rows = outlet.data("neurosim_stimulation")
    assert rows.shape == (6, 6)
    np.testing.assert_array_equal(rows[:, 5], [1, 1, 0, 0, 1, 0])
    for (cmd, _), k in zip(commands, rows[:, 4]):
        if cmd[0] < 16:
            assert k == pytest.approx(_shannon_k(cmd[1], cmd[2]), rel=1e-12)
    assert _shannon_k(200.0, 500.0) == pytest.approx(2.699, abs=1e-3)
    assert _shannon_k(200.0, 500.0) > stim_design.chip.stimulation.k_limit > _shannon_k(50.0, 200.0)
    fs = stim_design.recording.fs_hz
    np.testing.assert_array_equal(rows[rows[:, 5] == 1, 3], np.round(np.array([0.30, 0.32, 0.40]) * fs))
    assert (rows[rows[:, 5] == 0, 3] == -1).all()
    reasons = [r["reason"] for r in ctl.report()["refusals"]]
    assert "Shannon k" in reasons[0] and "contact must be an integer in [0, 15], got 99" in reasons[1]
    assert "at least 1/chip.stimulation.rate_hz = 10 ms apart, got 5 ms" in reasons[2]


def test_artefact_follows_the_point_source_decay_law(stim_design):
    # what the artefact source adds to each chunk of the electrode signal
    design = stim_design
    ctl = StimulationCommands()
    ctl.inlet.put((0, 40.0, 200.0), 0.1)
    captured = []
    ctl_attach = ctl.attach

    def attach(positions):
        src = ctl_attach(positions)
        inner = src.process

        def process(x, start):
            before = x.astype(np.float64)
            inner(x, start)
            captured.append((start, x - before))
        src.process = process
        return src
    ctl.attach = attach
    stream(design, realtime=False, chunk_s=0.05, controllers=[ctl])
    x = np.concatenate([c for _, c in sorted(captured, key=lambda p: p[0])])
    fs, s = design.recording.fs_hz, design.chip.stimulation
    onset = int(round(0.1 * fs))
    pos = ctl.positions_um
    d = np.maximum(np.linalg.norm(pos - pos[0], axis=1), 10.0)
    n = np.arange(len(x)) - onset
    # closed form: A_c e^{-n / (tau fs)} for n >= 0, A_c = peak_at_100um x (I / I_ref) x 100 / d
    expected = np.where(n[:, None] >= 0, np.exp(-np.maximum(n, 0)[:, None] / (s.artefact_tau_ms * 1e-3 * fs)), 0.0) \
        * (s.artefact_peak_uV * 40.0 / s.amplitude_uA * 100.0 / d)[None, :]
    np.testing.assert_allclose(x, expected, rtol=1e-5, atol=1e-3)
    assert np.abs(expected).max() > 1000.0   # 40 µA at the contact: 2 mV x 40/20 x 100/10


def test_blanking_hides_the_artefact_from_the_detector(stim_design):
    design = stim_design.replace(**{"chip.stimulation.artefact_tau_ms": 0.3})
    pulses = [((c, 40.0, 200.0), 0.3 + 0.02 * c) for c in range(4)]
    fs = design.recording.fs_hz
    onsets = np.round(np.array([t for _, t in pulses]) * fs).astype(int)

    def events_near_pulses(blanking_ms):
        d = design.replace(**{"chip.stimulation.blanking_ms": blanking_ms})
        _, outlet, _ = _run(d, pulses)
        ev = outlet.data("neurosim_events")
        return sum(((ev[:, 1] >= p) & (ev[:, 1] < p + int(2e-3 * fs))).sum() for p in onsets)

    assert events_near_pulses(0.0) >= 4          # a 2 mV artefact crosses every threshold ...
    assert events_near_pulses(2.0) == 0          # ... unless the detector is blanked


def test_commanded_stimulation_does_not_depend_on_the_chunk_size(stim_design):
    pulses = [((2, 40.0, 200.0), 0.31), ((9, 60.0, 150.0), 0.377)]
    out = []
    for chunk_s in (0.02, 0.05):
        _, outlet, _ = _run(stim_design, pulses, chunk_s=chunk_s)
        out.append((outlet.data("neurosim_events"), outlet.data("neurosim_stimulation")[:, :5]))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])


def test_a_pulse_asked_for_in_the_past_goes_at_the_next_sample(stim_design):
    ctl, outlet, _ = _run(stim_design, [((1, 20.0, 200.0), 0.0)], chunk_s=0.05)
    # pulled after the first chunk (0.05 s): the earliest sample not yet recorded
    assert outlet.data("neurosim_stimulation")[0, 3] == round(0.05 * stim_design.recording.fs_hz)
    assert cm.SHANNON_K_DEFAULT_LIMIT == stim_design.chip.stimulation.k_limit


def test_cli_stim_inlet_that_does_not_answer_is_a_clear_error(capsys):
    pytest.importorskip("pylsl")
    from neurosim.cli import main

    assert main(["stream", "--stim-inlet", "no_such_stream_here", "--duration", "0.5", "--no-realtime"]) == 2
    assert "no LSL stream named 'no_such_stream_here' found within 5 s" in capsys.readouterr().err
