"""The sinks of a run's chunk engine: scoring, spike counting and streaming to the HDF5 file.

Each reads the finished `neurosim.engine.Chunk`; see `neurosim.engine` for the chain.
"""

from __future__ import annotations

import numpy as np

from neurosim.engine import Chunk
from neurosim.metrics import DetectionScorer

__all__ = ["ScoringSink", "SpikeCountSink", "WriterSink", "APPENDED"]

#: Datasets appended chunk by chunk: ground-truth spikes (samples, units) and the events received
#: from the chip. Spike times in seconds are not stored (``spike_samples / fs``).
APPENDED = (("ground_truth/spike_samples", np.zeros(0, np.int64)), ("ground_truth/spike_units", np.zeros(0, np.int32)),
            ("chip/events/sample_index", np.zeros(0, np.int64)), ("chip/events/channel", np.zeros(0, np.int32)))


class ScoringSink:
    """Detections scored against ground truth block by block, as the chunks come.

    A block is scored once every event it can receive is in (``margin`` samples after its end:
    the template, the matching tolerance and the link's FIFO); the threshold of adaptive
    detectors is taken at each block's end, which is why the engine ends chunks there.
    """

    name = "score"

    def __init__(self, scorer: DetectionScorer, chip, block_samples: int, margin_samples: int):
        self.scorer, self.chip = scorer, chip
        self.block, self.margin = int(block_samples), int(margin_samples)
        self._thresholds: dict[int, np.ndarray] = {}

    def process(self, chunk: Chunk, start: int) -> None:
        _, s_new, u_new = chunk.spikes
        ev_s, ev_c = chunk.events
        self.scorer.add(s_new, u_new, ev_s, ev_c)
        stop = chunk.stop
        if stop % self.block == 0:
            self._thresholds[stop // self.block - 1] = self.chip.threshold_uV()
        for b in sorted(b for b in self._thresholds if (b + 1) * self.block + self.margin <= stop):
            self.scorer.flush((b + 1) * self.block, self._thresholds.pop(b))

    def finish(self, threshold_uV):
        """Score the blocks still held and the rest; `neurosim.metrics.DetectionScores`."""
        for b in sorted(self._thresholds):
            self.scorer.flush((b + 1) * self.block, self._thresholds.pop(b))
        return self.scorer.finish(threshold_uV)


class SpikeCountSink:
    """Spikes per unit over the run."""

    name = "count"

    def __init__(self, num_units: int):
        self.counts = np.zeros(int(num_units), np.int64)

    def process(self, chunk: Chunk, start: int) -> None:
        self.counts += np.bincount(chunk.spikes[2], minlength=len(self.counts))


class WriterSink:
    """Traces, spikes, events and LFP streamed into an open `neurosim.io.hdf5.AtomicH5Writer`."""

    name = "write"

    def __init__(self, writer, stored: tuple, num_samples: int, num_channels: int, chunk_samples: int):
        self.writer = writer
        self.streams = {p: writer.create_stream(p, num_samples, num_channels, chunk_samples) for p in stored}
        for path, empty in APPENDED:
            writer.append(path, empty)

    def process(self, chunk: Chunk, start: int) -> None:
        w, stop = self.writer, chunk.stop
        if "recording/traces_uV" in self.streams:
            self.streams["recording/traces_uV"][start:stop] = chunk.signal_uV
        if "recording/traces_adc" in self.streams:
            self.streams["recording/traces_adc"][start:stop] = chunk.codes
        for (path, _), values in zip(APPENDED, (*chunk.spikes[1:], *chunk.events)):
            w.append(path, values)
        if chunk.lfp_uV is not None:
            w.append("lfp/lfp_uV", chunk.lfp_uV)
