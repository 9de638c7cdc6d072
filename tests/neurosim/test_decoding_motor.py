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
