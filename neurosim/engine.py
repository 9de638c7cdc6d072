"""The chunk engine: every run, sweep point and dataset session is one chain of stages.

A run is set up once (probe, cortex, templates, chip) and then driven chunk by chunk through

    sources (electrode signal, µV)  →  chip (codes, detections, events)  →  sinks (score, count, write)

Every stage has one interface, ``process(chunk, start)`` with ``start`` the global index of the
chunk's first sample, and keeps its own state across chunks:

- a **source** adds its part of the electrode signal to the float32 ``(samples, channels)`` chunk in
  place (spike templates, thermal noise, far-cell background, dipole LFP, stimulation artefact).
  Sources are pure functions of ``(start, sample, channel)``: their randomness is counter-based;
- the **chip** (`neurosim.chip_stage.ChipChain`) turns the chunk into ADC codes and events; its
  filter, detector and link state carry across chunks;
- a **sink** reads the finished `Chunk` (signal, codes, the chunk's spikes, received events).

Parallelism and determinism (the SpikeInterface "job kwargs" ``n_jobs`` and chunk size): inside a
chunk each Numba kernel runs on ``n_jobs`` threads, split so that no sum depends on the split —
time blocks for the stateless sources (noise, injection), channels for the stateful chip stages
(filters, detectors). Chunks follow one another because the chip's filters carry state; runs of
a sweep or dataset are spread over processes by `neurosim.parallel`. Outputs are therefore
bit-identical for any chunk size and any ``n_jobs`` (tested in ``tests/neurosim/test_engine.py``).

The engine times every stage; ``neurosim run --profile`` prints that table.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Protocol

import numpy as np
from tqdm.auto import tqdm

from neurosim.interrupt import check_stop

__all__ = ["Chunk", "ChunkEngine", "Source", "Sink", "FunctionSource", "SpikeSource", "NoiseSource",
           "num_threads", "resolve_n_jobs"]


@dataclass
class Chunk:
    """One chunk as it leaves the chain; what the sinks read.

    ``signal_uV`` and ``codes`` are views into reused buffers: a sink that keeps them must copy.
    """

    start: int
    stop: int
    signal_uV: np.ndarray
    codes: np.ndarray | None = None
    # ground-truth spikes with start <= sample < stop: times (s), samples, units
    spikes: tuple = ()
    # events that reached the receiver in this chunk: (sample_index, channel)
    events: tuple = ()
    lfp_uV: np.ndarray | None = None


class Source(Protocol):
    name: str

    def process(self, chunk_uV: np.ndarray, start: int) -> None:
        """Add this source's signal to ``chunk_uV`` (samples × channels, µV) in place."""


class Sink(Protocol):
    name: str

    def process(self, chunk: Chunk, start: int) -> None:
        """Consume a finished chunk."""


@dataclass
class FunctionSource:
    """A source from a function ``add(chunk_uV, start)`` (background, dipole LFP, artefacts)."""

    name: str
    add: Callable[[np.ndarray, int], None]

    def process(self, chunk_uV: np.ndarray, start: int) -> None:
        self.add(chunk_uV, start)


@dataclass
class SpikeSource:
    """Ground-truth spikes and their templates (static or drifting) added to the chunk.

    ``feed`` is a `neurosim.spike_feed.SpikeFeed`; ``inject(chunk, start, samples, units)`` adds
    the templates. Also records the chunk's own spikes (``start <= sample < stop``) for the sinks.
    """

    feed: object
    inject: Callable[[np.ndarray, int, np.ndarray, np.ndarray], None]
    n_before: int
    n_after: int
    name: str = "spikes"
    last: tuple = field(default=(), repr=False)

    def process(self, chunk_uV: np.ndarray, start: int) -> None:
        (s_in, u_in), self.last = self.feed.for_chunk(start, start + len(chunk_uV), self.n_before,
                                                       self.n_after)
        self.inject(chunk_uV, start, s_in, u_in)


@dataclass
class NoiseSource:
    """White Gaussian noise, σ per channel (electrode thermal + amplifier), counter-based."""

    sigma_uV: np.ndarray
    seed: int
    name: str = "noise"

    def process(self, chunk_uV: np.ndarray, start: int) -> None:
        import electrode_models as em

        em.add_gaussian_noise(chunk_uV, start, self.sigma_uV, self.seed)


def resolve_n_jobs(n_jobs: int | None) -> int:
    """Threads for ``n_jobs``: ``None`` or -1 all of Numba's threads, -k all but k-1, k > 0 itself."""
    import numba

    most = int(numba.config.NUMBA_NUM_THREADS)
    if n_jobs is None:
        return most
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero integer (-1: all {most} threads), got {n_jobs!r}")
    n = int(n_jobs) if n_jobs > 0 else most + 1 + int(n_jobs)
    if not 1 <= n <= most:
        raise ValueError(f"n_jobs must give 1 to {most} threads (this machine's Numba threads), "
                         f"got {n_jobs} ({n} threads)")
    return n


@contextlib.contextmanager
def num_threads(n_jobs: int | None) -> Iterator[int]:
    """Run the Numba kernels inside on ``resolve_n_jobs(n_jobs)`` threads; restore afterwards."""
    import numba

    n = resolve_n_jobs(n_jobs)
    before = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(before)


class ChunkEngine:
    """Drive sources → chip → sinks over ``num_samples`` samples, chunk by chunk.

    Parameters
    ----------
    sources : list of Source
        Added to each zeroed chunk in this order (the order fixes float rounding: keep it).
    chip : neurosim.chip_stage.ChipChain
        Turns the chunk into codes; its ``last_received`` and ``last_lfp`` feed the `Chunk`.
    sinks : list of Sink
        Called in order with each finished `Chunk`.
    num_samples, num_channels : int
        Length of the recording and its channels.
    chunk_samples : int
        Samples per chunk (the last may be shorter).
    boundaries : int, optional
        Chunks also end at every multiple of this (e.g. a scoring block), whatever the chunk size.
    """

    def __init__(self, sources: list, chip, sinks: list, num_samples: int, num_channels: int,
                 chunk_samples: int, boundaries: int | None = None):
        if int(chunk_samples) < 1:
            raise ValueError(f"chunk_samples must be >= 1 sample, got {chunk_samples}")
        self.sources, self.chip, self.sinks = list(sources), chip, list(sinks)
        self.num_samples, self.num_channels = int(num_samples), int(num_channels)
        self.chunk_samples = int(chunk_samples)
        edges = np.arange(0, self.num_samples, self.chunk_samples)
        if boundaries:
            edges = np.union1d(edges, np.arange(0, self.num_samples, int(boundaries)))
        self.bounds = np.append(edges, self.num_samples).astype(np.int64)
        self.timings_s: dict[str, float] = {}

    def _timed(self, name: str, t: float) -> float:
        now = time.perf_counter()
        self.timings_s[name] = self.timings_s.get(name, 0.0) + now - t
        return now

    def run(self, progress: bool = True, n_jobs: int | None = None) -> dict[str, float]:
        """Process every chunk; return the wall time spent in each stage, s."""
        buf = np.empty((min(self.chunk_samples, max(self.num_samples, 1)), self.num_channels), np.float32)
        pairs = list(zip(self.bounds[:-1], self.bounds[1:]))
        with num_threads(n_jobs):
            for start, stop in tqdm(pairs, desc="recording", unit="chunk", disable=not progress):
                check_stop()  # a signal whose exception was lost still stops the run here
                self.process_chunk(int(start), int(stop), buf)
        return dict(self.timings_s)

    def process_chunk(self, start: int, stop: int, buf: np.ndarray) -> Chunk:
        """Run one chunk ``[start, stop)`` through the chain (``buf`` holds at least its samples)."""
        t = time.perf_counter()
        x = buf[: stop - start]
        x.fill(0.0)
        spikes = ()
        for source in self.sources:
            source.process(x, start)
            t = self._timed(source.name, t)
            if isinstance(source, SpikeSource):
                spikes = source.last
        codes = self.chip.process(x)
        t = self._timed("chip", t)
        if not spikes:
            spikes = (np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64))
        chunk = Chunk(start, stop, x, codes, spikes, self.chip.last_received, self.chip.last_lfp)
        for sink in self.sinks:
            sink.process(chunk, start)
            t = self._timed(sink.name, t)
        return chunk
