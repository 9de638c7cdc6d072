"""A synthetic reaching task: behaviour labels for the motor-cortex population.

Trials follow one another without gaps: a trial holds the cursor still for ``hold_s`` at its start
position, then moves it to the trial's target along a minimum-jerk path (Flash & Hogan 1985)
lasting ``reach_s`` (jittered by ±20 % per trial), so velocity is a smooth bell-shaped profile.

- ``"center_out"``: targets alternate between one of ``num_targets`` peripheral targets evenly
  spaced on a circle of radius ``target_distance_cm`` (in random order) and the centre.
- ``"random_target"``: every target is drawn uniformly in the disc of that radius.

Positions in cm, velocities in cm/s, times in s.

References
----------
Flash T, Hogan N (1985) J Neurosci 5:1688. Georgopoulos AP et al. (1982) J Neurosci 2:1527.
"""

from __future__ import annotations

import numpy as np

__all__ = ["reaching_task", "TASKS"]

TASKS = ("center_out", "random_target")


def reaching_task(duration_s: float, rng: np.random.Generator, *, task: str = "center_out",
                  num_targets: int = 8, target_distance_cm: float = 10.0, reach_s: float = 0.6,
                  hold_s: float = 0.3, fs_hz: float = 100.0) -> dict[str, np.ndarray]:
    """Cursor trajectory and trial structure of a reaching session.

    Parameters
    ----------
    duration_s : float
        Session length, s.
    rng : np.random.Generator
        Draws target order, random targets and reach-time jitter.
    task : {"center_out", "random_target"}
    num_targets : int
        Peripheral targets of the centre-out task.
    target_distance_cm : float
        Radius of the target circle (disc), cm.
    reach_s, hold_s : float
        Mean movement time and hold time per trial, s.
    fs_hz : float
        Sampling rate of the behaviour time series, Hz.

    Returns
    -------
    dict
        ``time_s`` (n_t,), ``cursor_position_cm`` (n_t, 2), ``cursor_velocity_cm_per_s`` (n_t, 2),
        ``target_cm`` (n_t, 2) (target of the trial in progress), ``trial_start_s``,
        ``trial_end_s`` (n_trials,), ``movement_start_s`` (n_trials,), ``trial_target_cm``
        (n_trials, 2).

    Raises
    ------
    ValueError
        If ``task`` is unknown.
    """
    if task not in TASKS:
        raise ValueError(f"population.motor.task must be one of {TASKS}, got {task!r}")
    time_s = np.arange(int(np.ceil(duration_s * fs_hz))) / fs_hz
    pos = np.zeros((len(time_s), 2))
    vel = np.zeros((len(time_s), 2))
    tgt = np.zeros((len(time_s), 2))
    starts, ends, moves, targets = [], [], [], []
    here = np.zeros(2)
    t0, k = 0.0, 0
    order = rng.permutation(num_targets)
    while t0 < duration_s:
        if task == "center_out":
            if k % 2 == 0:
                if k // 2 % num_targets == 0 and k > 0:
                    order = rng.permutation(num_targets)
                ang = 2 * np.pi * order[(k // 2) % num_targets] / num_targets
                goal = target_distance_cm * np.array([np.cos(ang), np.sin(ang)])
            else:
                goal = np.zeros(2)
        else:
            r = target_distance_cm * np.sqrt(rng.random())
            ang = 2 * np.pi * rng.random()
            goal = r * np.array([np.cos(ang), np.sin(ang)])
        move_s = reach_s * (0.8 + 0.4 * rng.random())
        t_move, t_end = t0 + hold_s, t0 + hold_s + move_s
        sel = (time_s >= t0) & (time_s < t_end)
        tau = np.clip((time_s[sel] - t_move) / move_s, 0.0, 1.0)
        shape = 10 * tau**3 - 15 * tau**4 + 6 * tau**5
        dshape = (30 * tau**2 - 60 * tau**3 + 30 * tau**4) / move_s
        pos[sel] = here + shape[:, None] * (goal - here)
        vel[sel] = dshape[:, None] * (goal - here)
        tgt[sel] = goal
        starts.append(t0), ends.append(min(t_end, duration_s)), moves.append(t_move)
        targets.append(goal)
        here, t0, k = goal, t_end, k + 1
    return {"time_s": time_s, "cursor_position_cm": pos, "cursor_velocity_cm_per_s": vel,
            "target_cm": tgt, "trial_start_s": np.asarray(starts),
            "trial_end_s": np.asarray(ends), "movement_start_s": np.asarray(moves),
            "trial_target_cm": np.asarray(targets).reshape(-1, 2)}
