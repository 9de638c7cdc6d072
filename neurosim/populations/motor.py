"""Motor-cortex population: cosine direction tuning driven by a synthetic reaching task (Brian2).

Every cell fires as an inhomogeneous Poisson process with an absolute refractory period, at the
rate of the velocity-tuning model of Moran & Schwartz (1999)::

    r_i(t) = [ b_i + m_i * (v(t + lag) . u_i) / v_ref + s_i * |v(t + lag)| / v_ref ]_+

with ``u_i = (cos θ_i, sin θ_i)`` the preferred direction (uniform on the circle), ``v`` the
cursor velocity of `neurosim.populations.reaching.reaching_task`, ``v_ref`` the peak
speed of a mean reach (1.875 · distance / reach time, minimum jerk), and ``lag`` the lead of
neural activity over movement (~100 ms; Moran & Schwartz 1999). For a movement in direction θ at
speed v_ref this is the cosine tuning ``b + s + m cos(θ − θ_i)`` of Georgopoulos et al. (1982).
Baseline ``b_i``, depth ``m_i`` and speed gain ``s_i`` vary ×U(0.5, 1.5) between cells;
interneurons have twice the baseline and half the depth (broader, weaker tuning).

Brian2: a NeuronGroup with ``threshold = rand() < r dt``, ``refractory``, and the velocity as
TimedArrays (resolution of the behaviour sampling); step ``dt_ms`` (1 ms by default; the spike
times then get a uniform jitter within the step). No recurrent connections.

References
----------
Georgopoulos AP et al. (1982) J Neurosci 2:1527. Moran DW, Schwartz AB (1999) J Neurophysiol
82:2676.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurosim.populations._brian import brian_device, build_key, run_network
from neurosim.populations.activity import INTERNEURON
from neurosim.populations.reaching import reaching_task

__all__ = ["MotorParams", "simulate_motor"]


@dataclass(frozen=True)
class MotorParams:
    """Tuning and task parameters; physical values in the units of their suffixes."""

    task: str = "center_out"
    baseline_hz: float = 10.0
    modulation_hz: float = 15.0
    speed_gain_hz: float = 5.0
    lag_ms: float = 100.0
    num_targets: int = 8
    target_distance_cm: float = 10.0
    reach_s: float = 0.6
    hold_s: float = 0.3
    behaviour_fs_hz: float = 100.0
    refractory_ms: float = 2.0
    dt_ms: float = 1.0


def simulate_motor(cell_types: np.ndarray, duration_s: float, seed: int,
                   params: MotorParams = MotorParams(), device: str = "runtime") -> dict:
    """Simulate the tuned population during a synthetic reaching session.

    Parameters
    ----------
    cell_types : np.ndarray, shape (num_cells,), int8
        Pyramidal / interneuron codes.
    duration_s : float
        Biological time, s.
    seed : int
        Seeds the task, the tuning parameters (NumPy) and the spike generation (Brian2).
    params : MotorParams
    device : {"runtime", "cpp_standalone"}

    Returns
    -------
    dict
        ``spike_times_s`` (on the ``dt_ms`` grid), ``spike_units`` sorted by time then unit;
        ``behaviour`` (see `reaching_task`); ``preferred_direction_rad``,
        ``baseline_hz``, ``modulation_hz``, ``speed_gain_hz`` per cell.
    """
    p = params
    rng = np.random.default_rng(seed)
    behaviour = reaching_task(duration_s, rng, task=p.task, num_targets=p.num_targets,
                              target_distance_cm=p.target_distance_cm, reach_s=p.reach_s,
                              hold_s=p.hold_s, fs_hz=p.behaviour_fs_hz)
    n = len(cell_types)
    inter = np.asarray(cell_types) == INTERNEURON
    pd = rng.uniform(0, 2 * np.pi, n)
    base = p.baseline_hz * rng.uniform(0.5, 1.5, n) * np.where(inter, 2.0, 1.0)
    mod = p.modulation_hz * rng.uniform(0.5, 1.5, n) * np.where(inter, 0.5, 1.0)
    gain = p.speed_gain_hz * rng.uniform(0.5, 1.5, n)
    out = {"behaviour": behaviour, "preferred_direction_rad": pd, "baseline_hz": base,
           "modulation_hz": mod, "speed_gain_hz": gain,
           "spike_times_s": np.zeros(0), "spike_units": np.zeros(0, np.int64)}
    if n == 0:
        return out
    v_ref = 1.875 * p.target_distance_cm / p.reach_s
    shift = int(round(p.lag_ms * 1e-3 * p.behaviour_fs_hz))  # neural activity leads movement
    vel = behaviour["cursor_velocity_cm_per_s"] / v_ref
    vel = np.concatenate([vel[shift:], np.repeat(vel[-1:], shift, axis=0)])
    speed = np.linalg.norm(vel, axis=1)
    device_key = build_key({"motor": repr(p), "n": n, "seed": int(seed), "T": float(duration_s)}) \
        if device == "cpp_standalone" else None
    with brian_device(device, device_key) as b2:
        ms, Hz = b2.ms, b2.Hz
        b2.seed(int(seed) % (2**32))
        step = (1.0 / p.behaviour_fs_hz) * b2.second
        ns = {"vx": b2.TimedArray(vel[:, 0], dt=step, name="vx"),
              "vy": b2.TimedArray(vel[:, 1], dt=step, name="vy"),
              "sp": b2.TimedArray(speed, dt=step, name="sp")}
        eqs = """
        rate = clip(b + m * (vx(t) * cpd + vy(t) * spd) + s * sp(t), 0*Hz, 1000*Hz) : Hz
        b : Hz (constant)
        m : Hz (constant)
        s : Hz (constant)
        cpd : 1 (constant)
        spd : 1 (constant)
        """
        g = b2.NeuronGroup(n, eqs, threshold="rand() < rate * dt", refractory=p.refractory_ms * ms,
                           namespace=ns, dt=p.dt_ms * ms, name="motor_cells")
        g.b, g.m, g.s = base * Hz, mod * Hz, gain * Hz
        g.cpd, g.spd = np.cos(pd), np.sin(pd)
        mon = b2.SpikeMonitor(g, name="motor_spikes")
        run_network(b2, b2.Network(g, mon, name="motor_network"), duration_s, device, device_key)
        times = np.asarray(mon.t_[:], dtype=np.float64)
        units = np.asarray(mon.i[:], dtype=np.int64)
    order = np.lexsort((units, times))
    out["spike_times_s"], out["spike_units"] = times[order], units[order]
    return out
