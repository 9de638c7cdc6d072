"""Decoding the reach from the chip's events of a motor-cortex run."""

import numpy as np
import pytest

from neurosim.decoding import bin_events, evaluate_decoders
from neurosim.design import Design


@pytest.mark.slow
def test_kalman_decodes_velocity_and_degrades_with_fewer_channels():
    from neurosim.pipeline import run

    design = Design.from_dict({
        "name": "motor", "seed": 3,
        "population": {"model": "motor_cortex", "reach_radius_um": 50.0},
        "recording": {"duration_s": 30.0},
    })
    result = run(design, progress=False)
    assert result.metrics["decoding_kalman_r2"] > 0.5  # all 96 channels, held-out trials

    b, fs = result.activity.behaviour, design.recording.fs_hz
    ev_s, ev_c = result.events

    def kalman_r2(channels):
        keep = np.isin(ev_c, channels)
        counts, t0 = bin_events(ev_s[keep], ev_c[keep], 96, fs, 0.05, design.recording.duration_s)
        centre = t0 + 0.025
        sel = centre > 0.5
        vel = np.column_stack([np.interp(centre, b["time_s"], v) for v in b["cursor_velocity_cm_per_s"].T])
        trial = np.searchsorted(b["trial_start_s"], centre, side="right")
        return evaluate_decoders(counts[sel][:, channels], vel[sel], trial[sel]).kalman_r2

    all_channels = kalman_r2(np.arange(96))
    assert all_channels == pytest.approx(result.metrics["decoding_kalman_r2"], abs=0.05)
    assert kalman_r2(np.arange(4)) < all_channels - 0.1  # fewer channels, less information


@pytest.mark.slow
def test_spike_band_power_decodes_like_threshold_crossings(tmp_path):
    """Nason et al. 2020, qualitatively: spike-band power (300-1000 Hz) computed on chip decodes
    reach velocity about as well as threshold crossings do."""
    import chip_models as cm
    from neurosim.io import read_result
    from neurosim.pipeline import run

    design = Design.from_dict({
        "name": "motor", "seed": 4,
        "population": {"model": "motor_cortex", "reach_radius_um": 50.0},
        "recording": {"duration_s": 30.0},
    })
    result = run(design, tmp_path / "m.h5", progress=False)
    r = read_result(tmp_path / "m.h5", traces=True)
    fs, bin_s = design.recording.fs_hz, 0.05
    sbp = cm.SpikeBandPower(96, fs, bin_s=bin_s, band_hz=(300.0, 1000.0))
    features_sbp = sbp.process(r["recording/traces_adc"].astype(np.float64))
    ev_s, ev_c = result.events
    counts, t0 = bin_events(ev_s, ev_c, 96, fs, bin_s, design.recording.duration_s)
    n = min(len(counts), len(features_sbp))
    b = result.activity.behaviour
    centre = t0[:n] + bin_s / 2
    sel = centre > 0.5
    vel = np.column_stack([np.interp(centre, b["time_s"], v) for v in b["cursor_velocity_cm_per_s"].T])
    trial = np.searchsorted(b["trial_start_s"], centre, side="right")
    tc = evaluate_decoders(counts[:n][sel], vel[sel], trial[sel]).kalman_r2
    sp = evaluate_decoders(features_sbp[:n][sel], vel[sel], trial[sel]).kalman_r2
    assert tc > 0.5 and sp > 0.5
    assert abs(sp - tc) < 0.15
