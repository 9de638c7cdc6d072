"""The user in the closed loop (neurosim.stream.reactive): tuned cells fire for the velocity
intended from the decoded cursor; rates against the renewal closed form, the intention against
geometry, chunk independence, causality, and the loop against the non-reactive one."""

import numpy as np
import pytest

from neurosim.stream import ClosedLoop, MemoryOutlet, stream
from neurosim.stream.closed_loop import CursorTask, motor_design
from neurosim.stream.reactive import SLOWING_S, tuned_spikes


def test_tuned_spike_counts_follow_the_cosine_rate_with_refractoriness():
    # constant intended velocity v (units of v_ref) along 0 rad: cell i fires on each 1 ms step
    # with p = r dt, r = b + m cos(pd_i) |v| + s |v|, and a 2-step refractory period (one blocked
    # step after a spike): a renewal process of mean interval 1 + 1/p steps, so the count over
    # n steps is n p / (1 + p) (closed form), within a few standard deviations
    n_cells, n_steps = 24, 40000
    pd = np.linspace(0, 2 * np.pi, n_cells, endpoint=False)
    tuning = {"preferred_direction_rad": pd, "baseline_hz": np.full(n_cells, 20.0),
              "modulation_hz": np.full(n_cells, 15.0), "speed_gain_hz": np.full(n_cells, 5.0)}
    speed = 0.8
    v = np.tile([speed, 0.0], (n_steps, 1))
    t, cells = tuned_spikes(5, 1000, v, tuning)
    counts = np.bincount(cells, minlength=n_cells)
    rate = np.clip(20.0 + 15.0 * np.cos(pd) * speed + 5.0 * speed, 0, None)
    p = rate * 1e-3
    expected = n_steps * p / (1 + p)
    # renewal count variance n s^2 / mu^3: interval 1 + geometric(p), mu = (1 + p) / p,
    # s^2 = (1 - p) / p^2
    sd = np.sqrt(n_steps * p * (1 - p) / (1 + p) ** 3)
    assert np.all(np.abs(counts - expected) < 5 * sd + 3), (counts, expected)
    assert counts[0] > 1.5 * counts[n_cells // 2]      # the preferred direction fires most
    # times inside their steps, sorted; the draws depend on the step, not on the call
    assert np.all(np.diff(t) >= 0) and t.min() >= 1.0 and t.max() < 1.0 + n_steps * 1e-3
    t1, c1 = tuned_spikes(5, 1000, v[:15000], tuning)
    last = np.full(n_cells, -(2 ** 40), np.int64)
    ta, ca = tuned_spikes(5, 1000, v[:7000], tuning, last_step=last)
    tb, cb = tuned_spikes(5, 8000, v[7000:15000], tuning, last_step=last)
    np.testing.assert_array_equal(np.concatenate([ta, tb]), t1)
    np.testing.assert_array_equal(np.concatenate([ca, cb]), c1)


def _task():
    behaviour = {"trial_start_s": np.array([0.0, 1.0]), "trial_end_s": np.array([1.0, 2.0]),
                 "trial_target_cm": np.array([[10.0, 0.0], [0.0, 0.0]]),
                 "time_s": np.array([0.0, 2.0]), "cursor_position_cm": np.zeros((2, 2))}
    return behaviour


def test_intention_points_from_the_cursor_seen_a_delay_ago_to_the_target():
    loop = ClosedLoop(train_s=0.01, feedback_delay_s=0.1)
    loop.task = CursorTask(_task())
    loop.v_ref_cm_per_s = 10.0
    # the decoded cursor moves up at 20 cm/s from t = 0.2 s
    loop.task.apply(np.tile([0.0, 20.0], (10, 1)), 0.2 + 0.05 * np.arange(10))
    v = loop.intention([0.05, 0.31, 0.61, 1.02, 1.5])
    # before any command: from the trial start (0, 0) to (10, 0), full speed
    np.testing.assert_allclose(v[0], [1.0, 0.0])
    # at 0.31 s the user sees the cursor of 0.21 s: (0, 0.2 * 20 = 4 cm), the first command's
    c = loop.task.position_at(0.21)[0]
    np.testing.assert_allclose(c, [0.0, 4.0])
    d = np.array([10.0, 0.0]) - c
    np.testing.assert_allclose(v[1], d / np.hypot(*d))
    # at 0.61 s: the cursor after the command of 0.5 s, (0, 4 + 0.3 * 20 = 10 cm)
    c = loop.task.position_at(0.51)[0]
    np.testing.assert_allclose(c, [0.0, 10.0])
    d = np.array([10.0, 0.0]) - c
    np.testing.assert_allclose(v[2], d / np.hypot(*d))
    # 20 ms into trial 1 the user sees its start (the cursor jumped there): at the target (0, 0),
    # so no intended movement; later it would slow within v_ref * tau of the target
    np.testing.assert_allclose(v[3], [0.0, 0.0])
    assert SLOWING_S > 0


@pytest.mark.slow
def test_reactive_loop_is_chunk_independent_causal_and_beats_the_ideal_user():
    design = motor_design(16, 12.0)
    outs = {}
    for chunk in (0.05, 0.025):
        outlet = MemoryOutlet()
        rep = stream(design, realtime=False, outlet=outlet, chunk_s=chunk,
                     controllers=[ClosedLoop(train_s=6.0, target_radius_cm=3.0)])
        outs[chunk] = (outlet.data("neurosim_ground_truth"), outlet.data("neurosim_events"), rep)
    np.testing.assert_array_equal(outs[0.05][0], outs[0.025][0])
    np.testing.assert_array_equal(outs[0.05][1], outs[0.025][1])
    # the spikes after the calibration are not the recorded ones: the user reacts
    outlet = MemoryOutlet()
    ideal = stream(design, realtime=False, outlet=outlet, chunk_s=0.05,
                   controllers=[ClosedLoop(train_s=6.0, target_radius_cm=3.0, reactive=False)])
    gt_ideal, gt = outlet.data("neurosim_ground_truth"), outs[0.05][0]
    fs = design.recording.fs_hz
    before = gt[:, 1] < 6.0 * fs
    np.testing.assert_array_equal(gt[before], gt_ideal[gt_ideal[:, 1] < 6.0 * fs])
    assert not np.array_equal(gt[~before], gt_ideal[gt_ideal[:, 1] >= 6.0 * fs])
    r, ri = outs[0.05][2].controllers[0], ideal.controllers[0]
    assert r["reactive"] and not ri["reactive"]
    assert r["num_trials"] >= 4 and r["success_rate"] >= ri["success_rate"]
    # chunks longer than the feedback delay would need a cursor not yet decoded
    with pytest.raises(ValueError, match="feedback_delay_s"):
        stream(design, realtime=False, chunk_s=0.2, controllers=[ClosedLoop(train_s=6.0)])
