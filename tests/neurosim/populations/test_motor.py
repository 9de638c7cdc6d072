"""Motor cortex: reaching task, cosine tuning recovered from spikes, linear velocity decoding."""

import numpy as np
import pytest

from neurosim.populations import MotorParams, simulate_motor
from neurosim.populations.reaching import reaching_task


def test_center_out_minimum_jerk_reaches():
    rng = np.random.default_rng(0)
    b = reaching_task(20.0, rng, reach_s=0.6, hold_s=0.3, target_distance_cm=10.0)
    starts, ends = b["trial_start_s"], b["trial_end_s"]
    assert np.allclose(starts[1:], ends[:-1])  # trials follow one another
    # targets alternate periphery (10 cm) and centre, on 8 evenly spaced directions
    r = np.linalg.norm(b["trial_target_cm"], axis=1)
    assert np.allclose(r[0::2], 10.0) and np.allclose(r[1::2], 0.0)
    ang = np.degrees(np.arctan2(*b["trial_target_cm"][0::2, ::-1].T)) % 45
    assert np.allclose(np.minimum(ang, 45 - ang), 0.0, atol=1e-9)
    # minimum jerk: peak speed = 1.875 D / T for each reach of duration T in [0.48, 0.72] s
    speed = np.linalg.norm(b["cursor_velocity_cm_per_s"], axis=1)
    assert 1.875 * 10 / 0.72 * 0.95 < speed.max() <= 1.875 * 10 / 0.48 * 1.001
    # velocity integrates to position (trapezoid, 100 Hz)
    pos = b["cursor_position_cm"]
    integ = np.cumsum(b["cursor_velocity_cm_per_s"], axis=0) / 100.0
    assert np.abs((integ - integ[0]) - (pos - pos[0])).max() < 0.5


def test_random_target_and_bad_task():
    b = reaching_task(5.0, np.random.default_rng(1), task="random_target")
    assert np.all(np.linalg.norm(b["trial_target_cm"], axis=1) <= 10.0)
    with pytest.raises(ValueError, match=r"population\.motor\.task must be one of .* got 'spiral'"):
        reaching_task(5.0, np.random.default_rng(1), task="spiral")


@pytest.fixture(scope="module")
def motor_session():
    types = np.zeros(120, dtype=np.int8)
    return simulate_motor(types, 60.0, seed=4, params=MotorParams())


@pytest.mark.slow
def test_cosine_fit_recovers_preferred_directions(motor_session):
    out, p = motor_session, MotorParams()
    b, t, u = out["behaviour"], out["spike_times_s"], out["spike_units"]
    # per reach: movement direction and the spike count in the movement window led by the lag
    lag = p.lag_ms * 1e-3
    rows, counts = [], []
    for k in range(len(b["trial_start_s"]) - 1):
        start = b["trial_target_cm"][k - 1] if k else np.zeros(2)
        d = b["trial_target_cm"][k] - start
        t0, t1 = b["movement_start_s"][k] - lag, b["trial_end_s"][k] - lag
        if np.linalg.norm(d) < 1.0:
            continue
        theta = np.arctan2(d[1], d[0])
        rows.append([1.0, np.cos(theta), np.sin(theta)])
        sel = (t >= t0) & (t < t1)
        counts.append(np.bincount(u[sel], minlength=120) / (t1 - t0))
    coef, *_ = np.linalg.lstsq(np.asarray(rows), np.asarray(counts), rcond=None)
    pd_fit = np.arctan2(coef[2], coef[1])
    err = np.degrees(np.abs(np.angle(np.exp(1j * (pd_fit - out["preferred_direction_rad"])))))
    assert np.median(err) < 15.0  # issue 3 acceptance


@pytest.mark.slow
def test_ridge_decoder_predicts_velocity_on_held_out_trials(motor_session):
    out = motor_session
    b, t, u = out["behaviour"], out["spike_times_s"], out["spike_units"]
    bin_s, n_lags = 0.05, 4
    edges = np.arange(0.0, 60.0 + 1e-9, bin_s)
    counts = np.stack([np.histogram(t[u == k], edges)[0] for k in range(120)], axis=1).astype(float)
    centres = edges[:-1] + bin_s / 2
    vel = np.stack([np.interp(centres, b["time_s"], b["cursor_velocity_cm_per_s"][:, i])
                    for i in range(2)], axis=1)
    # features: counts in the current and the preceding bins (activity leads movement)
    x = np.concatenate([np.roll(counts, k, axis=0) for k in range(n_lags)], axis=1)[n_lags:]
    y = vel[n_lags:]
    trial = np.searchsorted(b["trial_start_s"], centres[n_lags:], side="right")
    test = trial % 5 == 0  # held-out trials
    mu, sd = x[~test].mean(0), x[~test].std(0) + 1e-9
    xs = np.column_stack([np.ones(len(x)), (x - mu) / sd])
    lam = 10.0 * np.eye(xs.shape[1])
    lam[0, 0] = 0.0
    w = np.linalg.solve(xs[~test].T @ xs[~test] + lam, xs[~test].T @ y[~test])
    pred = xs[test] @ w
    r2 = 1 - np.sum((y[test] - pred) ** 2) / np.sum((y[test] - y[test].mean(0)) ** 2)
    assert r2 > 0.5  # issue 3 acceptance
