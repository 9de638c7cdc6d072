"""Closed loop: a decoder reads the live chip output and drives the cursor of the reaching task.

The twin's motor-cortex population (``population.model = "motor_cortex"``) fires for the reaches
of `neurosim.populations.reaching.reaching_task`: its activity encodes the *intended* cursor
velocity of every trial (towards the trial's target). In the loop:

1. calibration (open loop, ``t < train_s``): the decoder sees the chip's features (events binned
   in ``bin_s``, or the chip's own binned counts or spike-band power) beside the task's velocity
   and is fitted at ``train_s`` (the project's Kalman filter, `neurosim.decoding.KalmanDecoder`);
2. closed loop (``t >= train_s``): every bin the fitted filter takes one step
   (`OnlineKalman`) and sends a velocity command through an inlet (`QueueInlet`, or an external
   decoder's `neurosim.stream.outlets.LSLInlet`); `CursorTask` integrates the commands into the
   cursor position.

Each trial starts the cursor at the trial's start position (the previous target) and counts as
reached when the cursor comes within ``target_radius_cm`` of the target before the trial ends.

Chance level: the same cursor paths scored against targets rotated about the trial start
(`CursorTask.success_rate` with ``rotate_rad``); for straight paths in a uniformly random
direction long enough to pass the target distance ``D`` it is ``asin(r / D) / π``.

The user in the loop (``reactive=True``, the default): from ``train_s`` on the tuned cells fire
for the velocity the user intends from the decoded cursor they see (``feedback_delay_s`` ago)
towards the target (`neurosim.stream.reactive`), so a decoder's errors change the neural
activity that follows, and the user corrects them. With ``reactive=False`` the neurons keep
their recorded activity (an ideal user who always aims along the scripted reach): the loop then
measures the decoder and the implant only.
"""

from __future__ import annotations

import time

import numpy as np

from neurosim.stream.content import EventBinner
from neurosim.stream.outlets import QueueInlet, StreamSpec

__all__ = ["OnlineKalman", "CursorTask", "ClosedLoop", "chance_success_rate", "motor_design",
           "closed_loop_example"]

#: Columns of the cursor stream (cm).
CURSOR_COLUMNS = ("cursor_x_cm", "cursor_y_cm", "target_x_cm", "target_y_cm")


class OnlineKalman:
    """One predict/update step per bin of a fitted `neurosim.decoding.KalmanDecoder`.

    ``[step(y) for y in rows]`` equals ``decoder.predict(rows)`` (the same recursion, started
    from the decoder's ``x0_``, ``p0_``).
    """

    def __init__(self, decoder):
        if not hasattr(decoder, "a_"):
            raise ValueError("decoder must be a fitted KalmanDecoder (call fit first)")
        self.a, self.w, self.h, self.q = decoder.a_, decoder.w_, decoder.h_, decoder.q_
        self.x0, self.p0 = decoder.x0_, decoder.p0_
        self._eye = np.eye(len(self.x0))
        self.reset()

    def reset(self) -> None:
        self.x, self.p = self.x0.copy(), self.p0.copy()

    def step(self, obs: np.ndarray) -> np.ndarray:
        """The decoded kinematics after observing ``obs`` (shape (num_features,))."""
        a, h = self.a, self.h
        x = a @ self.x
        p = a @ self.p @ a.T + self.w
        s = h @ p @ h.T + self.q
        k = np.linalg.solve(s, h @ p).T
        self.x = x + k @ (np.asarray(obs, float) - h @ x)
        self.p = (self._eye - k @ h) @ p
        return self.x[:-1].copy()


def chance_success_rate(target_radius_cm: float, target_distance_cm: float) -> float:
    """Hit probability of a straight path in a uniformly random direction, ``asin(r / D) / π``."""
    r, d = float(target_radius_cm), float(target_distance_cm)
    if not 0 < r < d:
        raise ValueError(f"target_radius_cm must be in (0, target distance {d:g} cm), got {r!r}")
    return float(np.arcsin(r / d) / np.pi)


class CursorTask:
    """The reaching task's trials, with a cursor driven by velocity commands (cm/s).

    Parameters
    ----------
    behaviour : dict
        `neurosim.populations.reaching.reaching_task` output.
    target_radius_cm : float, default 2.0
        A target is reached when the cursor is within this distance of it, cm, > 0.
    start_s : float, default 0
        Trials starting before this (the calibration) are not scored, s.
    """

    def __init__(self, behaviour: dict, target_radius_cm: float = 2.0, start_s: float = 0.0):
        if not target_radius_cm > 0:
            raise ValueError(f"target_radius_cm must be > 0 cm, got {target_radius_cm!r}")
        b = behaviour
        self.radius_cm, self.start_s = float(target_radius_cm), float(start_s)
        self.trial_start_s = np.asarray(b["trial_start_s"], float)
        self.trial_end_s = np.asarray(b["trial_end_s"], float)
        self.targets_cm = np.asarray(b["trial_target_cm"], float)
        t, pos = np.asarray(b["time_s"]), np.asarray(b["cursor_position_cm"])
        self.starts_cm = np.column_stack([np.interp(self.trial_start_s, t, pos[:, i]) for i in range(2)])
        self.paths: dict[int, list] = {}
        self.times: dict[int, list] = {}
        self._trial, self._pos, self._t = -1, np.zeros(2), 0.0
        self.last_time_s = 0.0

    def apply(self, velocity_cm_per_s: np.ndarray, times_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Move the cursor with each command from its time on; rows ``(x, y, target x, y)``, cm."""
        vel = np.asarray(velocity_cm_per_s, float).reshape(-1, 2)
        rows = np.zeros((len(vel), 4), np.float32)
        for i, (v, t) in enumerate(zip(vel, np.asarray(times_s, float))):
            k = int(np.searchsorted(self.trial_start_s, t, side="right")) - 1
            if k < 0:
                continue
            if k != self._trial:  # a new trial: the cursor starts at the trial's start position
                self._trial, self._pos, self._t = k, self.starts_cm[k].copy(), self.trial_start_s[k]
                self.paths[k] = []
                self.times[k] = []
            self._pos = self._pos + v * max(t - self._t, 0.0)
            self._t = t
            self.paths[k].append(self._pos.copy())
            self.times[k].append(t)
            rows[i] = (*self._pos, *self.targets_cm[k])
            self.last_time_s = t
        return rows, np.asarray(times_s, float)

    def position_at(self, t_s: float) -> tuple[np.ndarray, np.ndarray] | None:
        """Cursor and target at time ``t_s``, cm: the cursor after the last command at or before
        it (the trial's start before its first command); None before the first trial."""
        k = int(np.searchsorted(self.trial_start_s, t_s, side="right")) - 1
        if k < 0:
            return None
        times = self.times.get(k, [])
        i = int(np.searchsorted(times, t_s, side="right")) - 1
        return (self.paths[k][i] if i >= 0 else self.starts_cm[k]), self.targets_cm[k]

    def scored_trials(self) -> list[int]:
        """Trials that started at or after ``start_s`` and ended by the last command."""
        return [k for k in self.paths if self.trial_start_s[k] >= self.start_s
                and self.trial_end_s[k] <= self.last_time_s and len(self.paths[k])]

    def success_rate(self, rotate_rad: float = 0.0) -> tuple[float, int]:
        """Fraction of scored trials whose target was reached, and their number.

        ``rotate_rad`` scores the same paths against targets rotated by that angle about each
        trial's start (a chance level from the data itself).
        """
        trials = self.scored_trials()
        if not trials:
            return float("nan"), 0
        c, s = np.cos(rotate_rad), np.sin(rotate_rad)
        rot = np.array([[c, -s], [s, c]])
        hits = 0
        for k in trials:
            start = self.starts_cm[k]
            target = start + rot @ (self.targets_cm[k] - start)
            d = np.linalg.norm(np.asarray(self.paths[k]) - target, axis=1)
            hits += bool(np.any(d <= self.radius_cm))
        return hits / len(trials), len(trials)


class ClosedLoop:
    """A controller for `neurosim.stream.stream`: calibrate a decoder, then drive the cursor.

    Parameters
    ----------
    train_s : float
        Calibration length, s, > 0: the decoder is fitted on the bins that end by then.
    bin_s : float, default 0.05
        Decoder bin for the events mode, s, in (0, 1] (binned counts and SBP use the chip's bin).
    target_radius_cm : float, default 2.0
    decoder : object, optional
        An unfitted decoder with ``fit(features, velocity)`` and the Kalman attributes
        (default `neurosim.decoding.KalmanDecoder()`).
    inlet : Inlet, optional
        Where velocity commands come from (default: a `QueueInlet` fed by this decoder).
        With an external inlet the decoder is not run and commands act when they arrive.
    reactive : bool, default True
        From ``train_s`` on, the tuned cells fire for the velocity the user intends from the
        decoded cursor (`neurosim.stream.reactive`); False: they keep their recorded activity.
    feedback_delay_s : float, default 0.1
        How long ago the user saw the cursor they aim from, s, in (0, 1]; the stream's chunk
        (plus the template margin) must not be longer.
    """

    def __init__(self, train_s: float, bin_s: float = 0.05, target_radius_cm: float = 2.0, decoder=None,
                 inlet=None, reactive: bool = True, feedback_delay_s: float = 0.1):
        if not train_s > 0:
            raise ValueError(f"train_s must be > 0 s, got {train_s!r}")
        if not 0 < bin_s <= 1:
            raise ValueError(f"bin_s must be in (0, 1] s, got {bin_s!r}")
        if not target_radius_cm > 0:
            raise ValueError(f"target_radius_cm must be > 0 cm, got {target_radius_cm!r}")
        if not 0 < feedback_delay_s <= 1:
            raise ValueError(f"feedback_delay_s must be in (0, 1] s, got {feedback_delay_s!r}")
        from neurosim.decoding import KalmanDecoder

        self.reactive, self.feedback_delay_s = bool(reactive), float(feedback_delay_s)
        self.train_s, self.bin_s, self.radius_cm = float(train_s), float(bin_s), float(target_radius_cm)
        self.decoder = decoder if decoder is not None else KalmanDecoder()
        self.external = inlet is not None
        self.inlet = inlet if inlet is not None else QueueInlet(2)
        self.online = None
        self.decode_times_s: list[float] = []
        self._train_x: list = []
        self._train_t: list = []
        self.prefix = "neurosim"

    def specs(self, prefix: str) -> list[StreamSpec]:
        self.prefix = prefix
        return [StreamSpec(f"{prefix}_cursor", "Cursor", CURSOR_COLUMNS, 0.0, "float32", "cm"),
                StreamSpec(f"{prefix}_decoded", "DecodedVelocity", ("velocity_x_cm_per_s", "velocity_y_cm_per_s"),
                           0.0, "float32", "cm/s")]

    def check_design(self, design) -> None:
        """Raise ``ValueError`` if the loop cannot run on ``design`` (called before set-up)."""
        if design.population.model != "motor_cortex":
            raise ValueError("the closed loop needs a reaching task: population.model must be "
                             f"'motor_cortex', got {design.population.model!r}")
        mode = design.chip.radio.output_mode
        if mode in ("raw", "compressed"):
            raise ValueError("the closed loop decodes the chip's features: chip.radio.output_mode must be "
                             f"events, binned_counts or sbp, got {mode!r}")

    def start(self, design, activity, publisher) -> None:
        """Called once by the stream before the first chunk."""
        self.check_design(design)
        b = activity.behaviour
        if not b or "trial_target_cm" not in b:
            raise ValueError("the closed loop needs the reaching task's behaviour in the activity")
        kind = publisher.main.rsplit("_", 1)[-1]
        self.behaviour, self.publisher, self.fs = b, publisher, publisher.fs
        self.motor = design.population.motor
        self.binner = EventBinner(publisher.num_channels, max(1, int(round(self.bin_s * self.fs)))) \
            if kind == "events" else None
        if self.binner is None:
            self.bin_s = publisher.bin_samples / self.fs
        self.task = CursorTask(b, self.radius_cm, start_s=self.train_s)

    def wrap_feed(self, feed, chunk_samples: int, margin_samples: int, seed: int):
        """The spike feed of the stream, made reactive (called once, before the first chunk)."""
        if not self.reactive:
            return feed
        from neurosim.populations.motor import MotorParams
        from neurosim.stream.reactive import ReactiveFeed

        m = MotorParams(**self.motor.model_dump())
        # spikes are drawn up to a step past the template margin of the chunk's end
        ahead_s = (chunk_samples + margin_samples) / self.fs + 2 * m.dt_ms * 1e-3
        if ahead_s > self.feedback_delay_s:
            raise ValueError(f"a reactive user needs chunks shorter than feedback_delay_s = "
                             f"{self.feedback_delay_s:g} s minus {1e3 * (ahead_s - chunk_samples / self.fs):.1f} ms "
                             f"(template margin and draw steps), got a chunk of {chunk_samples / self.fs:g} s")
        self.v_ref_cm_per_s = 1.875 * m.target_distance_cm / m.reach_s
        return ReactiveFeed(feed, self.behaviour, self.intention, self.train_s, seed,
                            dt_ms=m.dt_ms, refractory_ms=m.refractory_ms)

    def intention(self, times_s) -> np.ndarray:
        """Intended velocity at ``times_s`` in units of ``v_ref`` (`neurosim.stream.reactive`):
        towards the trial's target from the cursor seen ``feedback_delay_s`` before."""
        from neurosim.stream.reactive import SLOWING_S

        t = np.asarray(times_s, float)
        out = np.zeros((t.size, 2))
        task = self.task
        for i, ti in enumerate(t):
            k = int(np.searchsorted(task.trial_start_s, ti, side="right")) - 1
            if k < 0:
                continue
            seen = ti - self.feedback_delay_s
            # a trial that began within the delay is seen at its start (the cursor jumps there)
            cursor = task.position_at(seen)[0] if seen >= task.trial_start_s[k] else task.starts_cm[k]
            d = task.targets_cm[k] - cursor
            dist = float(np.hypot(*d))
            if dist > 0:
                out[i] = d / dist * min(1.0, dist / (self.v_ref_cm_per_s * SLOWING_S))
        return out

    def _features(self, rows, stop_s: float):
        data, times = rows[self.publisher.main]
        if self.binner is None:
            return np.asarray(data, float), np.asarray(times, float)
        counts, b = self.binner.add(data[:, 1], data[:, 0], int(round(stop_s * self.fs)))
        return counts.astype(float), (b + 1) * self.binner.bin_samples / self.fs

    def _fit(self) -> None:
        x = np.vstack(self._train_x)
        t = np.asarray(self._train_t) - self.bin_s / 2
        bt, bv = np.asarray(self.behaviour["time_s"]), np.asarray(self.behaviour["cursor_velocity_cm_per_s"])
        vel = np.column_stack([np.interp(t, bt, bv[:, i]) for i in range(2)])
        self.online = OnlineKalman(self.decoder.fit(x, vel))

    def step(self, rows: dict, stop_s: float) -> dict:
        """One chunk: features → decoder → inlet → cursor. Returns rows of the cursor streams."""
        feats, ends = self._features(rows, stop_s)
        decoded, dec_t = [], []
        for x, t_end in zip(feats, ends):
            if t_end <= self.train_s + 1e-12:
                self._train_x.append(x)
                self._train_t.append(t_end)
                continue
            if self.external:
                continue
            if self.online is None:
                self._fit()
            tic = time.perf_counter()
            v = self.online.step(x)
            self.decode_times_s.append(time.perf_counter() - tic)
            self.inlet.put(v, t_end)
            decoded.append(v)
            dec_t.append(t_end)
        cmds, times = self.inlet.pull()
        if self.external:
            times = np.full(len(cmds), stop_s)
        out = {}
        if len(cmds):
            out[f"{self.prefix}_cursor"] = self.task.apply(cmds, times)
        if decoded:
            out[f"{self.prefix}_decoded"] = (np.asarray(decoded, np.float32), np.asarray(dec_t))
        return out

    def report(self) -> dict:
        """Success rate, its chance level (targets rotated by 90°, 180°, 270°), decode time."""
        rate, n = self.task.success_rate()
        chance = [self.task.success_rate(a)[0] for a in (np.pi / 2, np.pi, 3 * np.pi / 2)]
        dt = np.asarray(self.decode_times_s)
        return {"success_rate": rate, "num_trials": n, "chance_rate": float(np.mean(chance)) if n else float("nan"),
                "target_radius_cm": self.radius_cm, "bin_s": self.bin_s, "train_s": self.train_s,
                "reactive": self.reactive, "feedback_delay_s": self.feedback_delay_s,
                "decode_mean_s": float(dt.mean()) if dt.size else float("nan"),
                "decode_max_s": float(dt.max()) if dt.size else float("nan")}


def motor_design(num_channels: int = 32, duration_s: float = 30.0, seed: int = 3,
                 output_mode: str = "events"):
    """A small motor-cortex design for the closed-loop example (strongly tuned cells).

    Parameters
    ----------
    num_channels : int, default 32
        Neuropixels-like shank channels, in [8, 384].
    duration_s : float, default 30
        Session length, s.
    seed : int, default 3
    output_mode : str, default "events"
        ``chip.radio.output_mode`` (events, binned_counts or sbp for the loop).
    """
    from neurosim.design import Design

    if not 8 <= int(num_channels) <= 384:
        raise ValueError(f"num_channels must be in [8, 384], got {num_channels!r}")
    return Design.from_dict({
        "name": "closed_loop", "seed": int(seed),
        "population": {"model": "motor_cortex", "reach_radius_um": 50.0,
                       "motor": {"modulation_hz": 40.0, "baseline_hz": 5.0}},
        "implant": {"layout": "neuropixels1", "layout_params": {"num_channels": int(num_channels)}},
        "chip": {"detector": {"calibration_s": 0.5}, "radio": {"output_mode": output_mode}},
        "recording": {"duration_s": float(duration_s), "store_traces": "none"}})


def closed_loop_example(design=None, *, train_s: float = 15.0, bin_s: float = 0.05,
                        target_radius_cm: float = 2.0, realtime: bool = False, outlet="memory",
                        chunk_s: float = 0.05, cache_dir=None):
    """Stream ``design`` (default `motor_design`) with the Kalman decoder closing the loop.

    Returns
    -------
    report : neurosim.stream.StreamReport
        ``report.controllers[0]`` holds the success rate, its chance level and the decode time;
        ``report.latency`` the latency budget (with ``decode_s`` the measured mean).
    loop : ClosedLoop
        The controller (its ``task`` holds the cursor paths).
    """
    from neurosim.stream.latency import latency_budget
    from neurosim.stream.live import stream

    design = motor_design() if design is None else design
    loop = ClosedLoop(train_s, bin_s=bin_s, target_radius_cm=target_radius_cm)
    report = stream(design, realtime=realtime, outlet=outlet, chunk_s=chunk_s, controllers=[loop],
                    cache_dir=cache_dir)
    decode = report.controllers[0]["decode_mean_s"]
    report.latency = latency_budget(design, report.num_channels, decoder_bin_s=loop.bin_s,
                                    decode_s=0.0 if np.isnan(decode) else decode,
                                    stream_chunk_s=report.chunk_s)
    return report, loop
