"""The live twin: set up once, then drive the chunk engine paced to wall-clock time.

`stream` sets the twin up as `neurosim.pipeline.run` does (`neurosim.pipeline.setup_twin`, the
same chip and sources), then runs `neurosim.engine.ChunkEngine.process_chunk` chunk by chunk.
With ``realtime=True`` a chunk ``[start, stop)`` is published no earlier than ``stop / fs`` after
the stream began (the chip cannot send data before it has recorded it); with ``realtime=False``
chunks are published as fast as they are computed (same content, for tests and replays).

Every stream shares one clock: a row about sample ``n`` is stamped ``t0 + n / fs`` on the outlet's
clock (``t0`` when the stream began), binned rows at the end of their bin.

Keeping up: the lag of a chunk is how late it was published, ``max(0, now - (t0 + stop / fs))``.
A chunk is *late* when its lag exceeds one chunk; the report counts late chunks, keeps the
largest lag and a warning is logged the first time (and at the end). The same lag is measured
with ``realtime=False``, where it says whether the twin would have kept up.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from neurosim.stream.content import ChipPublisher
from neurosim.stream.latency import latency_budget
from neurosim.stream.outlets import make_outlet

__all__ = ["stream", "StreamReport", "MAX_CHUNK_S"]

logger = logging.getLogger(__name__)

#: Longest processing chunk of a live stream, s (longer chunks make the stream lag by design).
MAX_CHUNK_S = 1.0


@dataclass
class StreamReport:
    """What a live stream did and whether it kept up (times in s)."""

    design_name: str
    seed: int
    output_mode: str
    num_channels: int
    fs_hz: float
    duration_s: float
    chunk_s: float
    realtime: bool
    streams: list
    setup_s: float = 0.0
    wall_s: float = 0.0
    compute_s: float = 0.0
    num_chunks: int = 0
    num_late_chunks: int = 0
    max_lag_s: float = 0.0
    mean_lag_s: float = 0.0
    num_events: int = 0
    num_spikes: int = 0
    dropped_events: int = 0
    latency: dict = field(default_factory=dict)
    controllers: list = field(default_factory=list)
    stage_s: dict = field(default_factory=dict)
    outlet: object = field(default=None, repr=False)  # where the streams went (a MemoryOutlet keeps them)

    @property
    def kept_up(self) -> bool:
        """No chunk was published more than one chunk late."""
        return self.num_late_chunks == 0

    @property
    def speed_x_realtime(self) -> float:
        """Seconds streamed per second of computing (chip, sources, publishing)."""
        return self.duration_s / self.compute_s if self.compute_s > 0 else float("inf")

    def summary(self) -> dict:
        """A flat dict for tables and the CLI."""
        return {"design": self.design_name, "output mode": self.output_mode, "channels": self.num_channels,
                "streamed (s)": self.duration_s, "chunk (s)": self.chunk_s, "realtime pacing": self.realtime,
                "set-up (s)": self.setup_s, "wall (s)": self.wall_s, "compute (s)": self.compute_s,
                "x real time": self.speed_x_realtime, "chunks": self.num_chunks,
                "late chunks (lag > 1 chunk)": self.num_late_chunks, "max lag (ms)": 1e3 * self.max_lag_s,
                "events received": self.num_events, "events dropped by the link": self.dropped_events,
                "spikes (ground truth)": self.num_spikes, "kept up": self.kept_up,
                "latency, worst case (ms)": 1e3 * self.latency.get("total_s", float("nan"))}


def _check_args(duration_s, chunk_s, max_duration_s):
    if duration_s is not None and not (isinstance(duration_s, (int, float)) and 0 < duration_s <= max_duration_s):
        raise ValueError(f"duration_s must be in (0, {max_duration_s:g}] s, got {duration_s!r}")
    if not (isinstance(chunk_s, (int, float)) and 0 < chunk_s <= MAX_CHUNK_S):
        raise ValueError(f"chunk_s must be in (0, {MAX_CHUNK_S:g}] s, got {chunk_s!r}")


def stream(design, *, duration_s: float | None = None, realtime: bool = True, outlet="memory",
           chunk_s: float = 0.05, controllers: list | None = None, prefix: str = "neurosim",
           n_jobs: int | None = 1, cache_dir=None, activity=None, progress: bool = False,
           sleep=time.sleep) -> StreamReport:
    """Run the twin of ``design`` live and publish what its chip sends.

    Parameters
    ----------
    design : Design, dict, path or None
        The design (``None``: the built-in one). Its seed fixes the content: the same design and
        seed stream exactly what `neurosim.pipeline.run` writes.
    duration_s : float, optional
        Seconds to stream, in (0, 86400] (default: ``recording.duration_s``).
    realtime : bool, default True
        Pace the chunks to wall-clock time; False: as fast as possible (same content).
    outlet : {"memory", "lsl"} or outlet object, default "memory"
        Where the streams go (`neurosim.stream.outlets`); ``"memory"`` counts the rows
        (``report.outlet.num_rows``) without keeping them: pass ``MemoryOutlet()`` to read them back.
    chunk_s : float, default 0.05
        Processing chunk, s, in (0, 1]: the twin publishes once per chunk (the output does not
        depend on it; the lag does).
    controllers : list, optional
        Closed-loop controllers (e.g. `neurosim.stream.closed_loop.ClosedLoop`) with
        ``check_design(design)``, ``specs(prefix)``, ``start(design, activity, publisher)``,
        ``step(published, stop_s)`` (sees what was published after every chunk, returns rows of
        its own streams) and ``report()``; optionally ``attach(positions_um)`` returning a source
        of the chunk engine (e.g. `neurosim.stream.stimulation.StimulationCommands`' artefact).
    prefix : str, default "neurosim"
        Stream names are ``<prefix>_<suffix>`` (see `neurosim.stream.content`).
    n_jobs : int or None, default 1
        Threads of the per-chunk kernels (see `neurosim.engine.resolve_n_jobs`). One thread by
        default: with chunks of tens of ms, waking Numba's worker threads costs more than it
        saves, badly so on a loaded machine (16 channels, 50 ms chunks on 2 busy cores: ~1.3 ms
        per chunk on one thread, ~100 ms on two). More threads pay off for many channels.
    cache_dir : path, optional
        Cortex and template cache (see `neurosim.pipeline.run`).
    activity : Activity, optional
        Use this activity instead of simulating.
    progress : bool, default False
        Progress of the cortex simulation.
    sleep : callable, default time.sleep
        How to wait for wall-clock time (tests replace it).

    Returns
    -------
    StreamReport
    """
    from neurosim.design import load_design
    from neurosim.engine import ChunkEngine, num_threads, resolve_n_jobs
    from neurosim.pipeline import resolve_seed, setup_twin

    _check_args(duration_s, chunk_s, 86400.0)
    resolve_n_jobs(n_jobs)
    design = load_design(design)
    if duration_s is not None:
        design = design.replace(**{"recording.duration_s": float(duration_s)})
    out = make_outlet(outlet)
    controllers = list(controllers or [])
    for c in controllers:  # fail before the set-up, not after
        c.check_design(design)
    t_setup = time.perf_counter()
    seed = resolve_seed(design)
    twin = setup_twin(design, seed, cache_dir=cache_dir, activity=activity, progress=progress)
    chain, sources = twin.chip_and_sources(design, keep=False)  # events are published, not kept
    rec = design.recording
    fs = rec.fs_hz
    num_samples = int(round(rec.duration_s * fs))
    chunk = max(1, int(round(chunk_s * fs)))
    engine = ChunkEngine(sources, chain, [], num_samples, twin.num_channels, chunk)
    publisher = ChipPublisher(design, chain, twin.activity.behaviour, prefix)
    specs = publisher.specs()
    for c in controllers:
        specs += c.specs(prefix)
    report = StreamReport(design.name, seed, publisher.mode, twin.num_channels, fs, rec.duration_s,
                          chunk / fs, bool(realtime), [s.name for s in specs],
                          latency=latency_budget(design, twin.num_channels, stream_chunk_s=chunk / fs))
    out.open(specs, source_id=f"neurosim/{design.name}/{seed}")
    for c in controllers:
        c.start(design=design, activity=twin.activity, publisher=publisher)
        if hasattr(c, "attach"):  # a controller that acts on the tissue adds a source (artefact)
            engine.sources.append(c.attach(twin.setup.positions_um))
    buf = np.empty((min(chunk, max(num_samples, 1)), twin.num_channels), np.float32)
    with num_threads(n_jobs):  # load the kernels before the clock starts: a throwaway chip and
        # publisher through the detector's calibration and two chunks past it (the first
        # detections and events take code paths of their own; the sources are stateless)
        warm_chip, _ = twin.chip_and_sources(design, keep=False)
        warm = ChunkEngine(sources, warm_chip, [], num_samples, twin.num_channels, chunk)
        warm_rows = ChipPublisher(design, warm_chip, twin.activity.behaviour, prefix)
        warm_until = design.chip.detector.calibration_s * fs + 2 * chunk
        for start, stop in zip(warm.bounds[:-1], warm.bounds[1:]):
            warm_rows.rows(warm.process_chunk(int(start), int(stop), buf))
            if stop >= warm_until:
                break
    for c in controllers:  # a controller that changes what the neurons do (a reactive user)
        if hasattr(c, "wrap_feed"):
            for src in engine.sources:
                if getattr(src, "name", "") == "spikes":
                    src.feed = c.wrap_feed(src.feed, chunk, src.n_before, seed)
    report.setup_s = time.perf_counter() - t_setup
    lags = []
    try:
        with num_threads(n_jobs):
            t0 = out.clock_s()
            wall0 = time.perf_counter()
            for start, stop in zip(engine.bounds[:-1], engine.bounds[1:]):
                t_chunk = time.perf_counter()
                ck = engine.process_chunk(int(start), int(stop), buf)
                rows = publisher.rows(ck)
                report.compute_s += time.perf_counter() - t_chunk
                due = wall0 + stop / fs
                if realtime and time.perf_counter() < due:
                    sleep(due - time.perf_counter())
                t_pub = time.perf_counter()
                for name, (data, times) in rows.items():
                    out.push(name, data, t0 + times)
                for c in controllers:
                    for name, (data, times) in c.step(rows, stop / fs).items():
                        out.push(name, data, t0 + times)
                report.compute_s += time.perf_counter() - t_pub
                lag = max(0.0, time.perf_counter() - due)
                lags.append(lag)
                if lag > (stop - start) / fs:
                    if report.num_late_chunks == 0:
                        logger.warning("the twin cannot keep up: chunk ending at %.3f s published %.1f ms "
                                       "late (more than one chunk of %.1f ms)", stop / fs, 1e3 * lag,
                                       1e3 * (stop - start) / fs)
                    report.num_late_chunks += 1
                report.num_events += len(ck.events[0])
                report.num_spikes += len(ck.spikes[1])
            report.wall_s = time.perf_counter() - wall0
    finally:
        out.close()
    report.num_chunks = len(lags)
    report.max_lag_s = float(max(lags, default=0.0))
    report.mean_lag_s = float(np.mean(lags)) if lags else 0.0
    if chain.link is not None:
        report.dropped_events = int(chain.link.overflow_by_channel.sum() + chain.link.corrupted_by_channel.sum())
    report.controllers = [c.report() for c in controllers]
    report.stage_s = dict(engine.timings_s)
    report.outlet = out
    if report.num_late_chunks:
        logger.warning("the twin fell behind in %d of %d chunks (max lag %.1f ms, %.2f x real time)",
                       report.num_late_chunks, report.num_chunks, 1e3 * report.max_lag_s,
                       report.speed_x_realtime)
    return report
