"""The user in the loop: motor neurons that aim from the decoded cursor, not the scripted one.

During the calibration (``t < train_s``) the motor population fires for the task's scripted
reaches, as recorded. From ``train_s`` on, with a reactive user (`ClosedLoop` ``reactive=True``),
the tuned cells fire for the velocity the user *intends given what they see*: the decoded
cursor ``feedback_delay_s`` ago (visual feedback, ~100 ms), aimed at the current trial's target,

    v_int(t) = v_ref · min(1, d / (v_ref τ)) · (target − c(t − δ)) / d,   d = |target − c(t − δ)|

(full speed far from the target, slowing within ``v_ref τ`` of it, τ = `SLOWING_S`; ``v_ref`` the
task's reference speed, so the rates stay in the calibration's range). Each tuned cell fires on
1 ms steps with the probability ``r dt`` of the motor model's rate (`neurosim.populations.motor`)

    r_i = [b_i + m_i (v_int · u_i) / v_ref + s_i |v_int| / v_ref]_+,

the same tuning (``b, m, s, u``) as in the calibration, an absolute refractory period
(``refractory_ms``) and a uniform position within its step. The draws are counter-based (cell,
step), so the spikes are a function of the cursor path alone. Cells without tuning (dark cells,
generated cells) keep their recorded spikes. A decoder that steers the cursor off course now
changes what the neurons do next: the user corrects, as in a real closed loop.

Causality: spikes up to time t need the cursor at t − δ. The stream has applied the decoded
commands up to the end of the previous chunk, so a chunk plus the template margin must not
exceed δ (checked); within that the content does not depend on the chunk length (tested).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from electrode_models._counter_rng import channel_keys, uniform_at
from neurosim.populations.activity import TUNING_KEYS

__all__ = ["SLOWING_S", "ReactiveFeed", "tuned_spikes"]

#: Time constant of the intended speed near the target, s: the user slows within v_ref · τ.
SLOWING_S = 0.2
#: Generated spikes older than this are dropped from memory, s (templates reach back < 20 ms).
_KEEP_S = 1.0


@njit(cache=True)
def _tuned_spikes_kernel(keys, step0, vx, vy, sp, base, mod, gain, cpd, spd, dt_s, refractory_steps,
                         last_step):  # pragma: no cover - numba
    """Spikes of the tuned cells on steps ``step0 .. step0 + len(vx) - 1``: (step, cell, jitter)."""
    n_steps, n = vx.shape[0], keys.shape[0]
    cap = 64
    steps = np.empty(cap, np.int64)
    cells = np.empty(cap, np.int64)
    jit = np.empty(cap)
    k = 0
    for j in range(n_steps):
        m = step0 + j
        for i in range(n):
            if m - last_step[i] < refractory_steps:
                continue
            rate = base[i] + mod[i] * (vx[j] * cpd[i] + vy[j] * spd[i]) + gain[i] * sp[j]
            rate = min(max(rate, 0.0), 1000.0)
            if uniform_at(keys[i], np.uint64(2 * m)) < rate * dt_s:
                if k == cap:
                    cap *= 2
                    steps = np.concatenate((steps, np.empty(cap - k, np.int64)))
                    cells = np.concatenate((cells, np.empty(cap - k, np.int64)))
                    jit = np.concatenate((jit, np.empty(cap - k)))
                steps[k] = m
                cells[k] = i
                jit[k] = uniform_at(keys[i], np.uint64(2 * m + 1))
                last_step[i] = m
                k += 1
    return steps[:k], cells[:k], jit[:k]


def tuned_spikes(seed: int, step0: int, velocity, tuning: dict, dt_ms: float = 1.0,
                 refractory_ms: float = 2.0, last_step=None):
    """Spikes of tuned cells for intended velocities, one row per step of ``dt_ms``.

    Parameters
    ----------
    seed : int
        Key of the cells' counter streams.
    step0 : int
        Global index of the first step (time ``step0 · dt``).
    velocity : array, shape (n_steps, 2)
        Intended velocity of each step in units of the reference speed ``v_ref``.
    tuning : dict
        Per cell: ``preferred_direction_rad``, ``baseline_hz``, ``modulation_hz``, ``speed_gain_hz``.
    dt_ms, refractory_ms : float
        Step and absolute refractory period, ms.
    last_step : np.ndarray of int64, optional
        Step of each cell's last spike (updated in place; default: none yet).

    Returns
    -------
    times_s, cells : np.ndarray
        Spike times (in their step, uniformly) sorted by time then cell, and the cell of each.
    """
    v = np.asarray(velocity, float).reshape(-1, 2)
    pd = np.asarray(tuning["preferred_direction_rad"], float)
    n = pd.size
    if last_step is None:
        last_step = np.full(n, -(2 ** 40), np.int64)
    keys = channel_keys(np.uint64(int(seed) % 2 ** 64), n)
    speed = np.hypot(v[:, 0], v[:, 1])
    steps, cells, jit = _tuned_spikes_kernel(
        keys, int(step0), np.ascontiguousarray(v[:, 0]), np.ascontiguousarray(v[:, 1]), speed,
        *(np.ascontiguousarray(tuning[k], float) for k in TUNING_KEYS), np.cos(pd), np.sin(pd),
        dt_ms * 1e-3, max(1, int(round(refractory_ms / dt_ms))), last_step)
    t = (steps + jit) * dt_ms * 1e-3
    o = np.lexsort((cells, t))
    return t[o], cells[o]


class ReactiveFeed:
    """A `neurosim.spike_feed.SpikeFeed` whose tuned cells follow ``intention`` from ``switch_s`` on.

    Parameters
    ----------
    feed : SpikeFeed
        The recorded spikes (kept before ``switch_s``, and for cells without tuning after it).
    behaviour : dict
        The activity's behaviour, with the tuning of every cell (`TUNING_KEYS`, NaN: untuned).
    intention : callable
        ``intention(times_s) -> (n, 2)`` velocities in units of ``v_ref``.
    switch_s : float
        From here on the tuned cells are generated, s (rounded up to a step).
    seed : int
    dt_ms, refractory_ms : float
        The motor model's step and refractory period.
    """

    def __init__(self, feed, behaviour: dict, intention, switch_s: float, seed: int,
                 dt_ms: float = 1.0, refractory_ms: float = 2.0):
        missing = [k for k in ("preferred_direction_rad",) + TUNING_KEYS if k not in behaviour]
        if missing:
            raise ValueError(f"a reactive user needs the motor model's tuning in the activity's "
                             f"behaviour, missing {missing} (a cortex cached by an older version: "
                             f"run with --no-cache or clear the cache)")
        self.feed, self.fs, self.intention = feed, feed.fs, intention
        self.dt_ms, self.refractory_ms, self.seed = float(dt_ms), float(refractory_ms), int(seed)
        b = {k: np.asarray(behaviour[k], float) for k in ("preferred_direction_rad",) + TUNING_KEYS}
        tuned = np.all([np.isfinite(v) for v in b.values()], axis=0) & feed.alive
        self.tuned = np.flatnonzero(tuned)
        self.is_tuned = tuned
        self.tuning = {k: v[self.tuned] for k, v in b.items()}
        self.switch_step = math.ceil(float(switch_s) * 1e3 / self.dt_ms - 1e-9)
        self.switch_sample = int(round(self.switch_step * self.dt_ms * 1e-3 * self.fs))
        self._until = self.switch_step                       # steps generated: [switch, until)
        self._last = np.full(self.tuned.size, -(2 ** 40), np.int64)
        self._t = np.zeros(0)
        self._s = np.zeros(0, np.int64)
        self._u = np.zeros(0, np.int64)

    def _generate_until(self, sample: int) -> None:
        """Generate the steps whose spikes can fall before ``sample``."""
        step_end = math.ceil((sample + 0.5) / self.fs * 1e3 / self.dt_ms) + 1
        if step_end <= self._until or not self.tuned.size:
            self._until = max(self._until, step_end)
            return
        steps = np.arange(self._until, step_end)
        v = np.asarray(self.intention(steps * self.dt_ms * 1e-3), float)
        t, c = tuned_spikes(self.seed, self._until, v, self.tuning, self.dt_ms, self.refractory_ms,
                            self._last)
        s = np.round(t * self.fs).astype(np.int64)
        keep = self._t >= t[0] - _KEEP_S if t.size else self._t >= steps[0] * self.dt_ms * 1e-3 - _KEEP_S
        self._t = np.concatenate([self._t[keep], t])
        self._s = np.concatenate([self._s[keep], s])
        self._u = np.concatenate([self._u[keep], self.tuned[c]])
        self._until = step_end

    def between(self, lo: int, hi: int):
        """Spikes with ``lo <= sample < hi``: times (s), samples, units (as `SpikeFeed.between`)."""
        t, s, u = self.feed.between(lo, hi)
        if hi <= self.switch_sample:
            return t, s, u
        replaced = (s >= self.switch_sample) & self.is_tuned[u]
        self._generate_until(hi)
        i, j = np.searchsorted(self._s, [max(lo, self.switch_sample), hi])
        t = np.concatenate([t[~replaced], self._t[i:j]])
        s = np.concatenate([s[~replaced], self._s[i:j]])
        u = np.concatenate([u[~replaced], self._u[i:j]])
        o = np.lexsort((u, t))
        return t[o], s[o], u[o]

    def for_chunk(self, start: int, stop: int, n_before: int, n_after: int):
        """Both windows a chunk needs (see `SpikeFeed.for_chunk`)."""
        t, s, u = self.between(int(start) - int(n_after) + 1, int(stop) + int(n_before))
        i, j = np.searchsorted(s, [int(start), int(stop)])
        return (s, u), (t[i:j], s[i:j], u[i:j])
