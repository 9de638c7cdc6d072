"""What the live twin publishes per chunk: the chip's output in its mode, ground truth, behaviour.

The chip's output mode (``chip.radio.output_mode``) decides the main stream:

==============  ====================================  =========================================
mode            stream ``<prefix>_<suffix>``          rows
==============  ====================================  =========================================
events          ``events`` (irregular)                ``(channel, sample_index)`` of every event
snippets        ``events`` (irregular)                the link delivered (waveforms not sent)
binned_counts   ``counts`` (``1 / bin_s`` Hz)         crossings per channel in each bin
sbp             ``sbp`` (``1 / bin_s`` Hz)            spike-band power per channel, ADC codes
raw             ``raw`` (``fs`` Hz)                   ADC codes (int16)
compressed      ``raw`` (``fs`` Hz)                   ADC codes as decoded (the codec is lossless)
==============  ====================================  =========================================

Events are what reached the receiver through the link model (FIFO, frames, packet loss) in the
event modes; in the other modes the crossings the detector found. Binned streams are stamped at
the end of their bin (when the chip can send it). ``ground_truth`` carries ``(unit,
sample_index)`` of every spike, ``behaviour`` the reaching task (cursor, velocity, target) when
the population has one, ``link`` per chunk ``(delivered, dropped_overflow, dropped_corrupted,
fifo_events)`` in the event modes. Sample indices are int32: streams up to ~19 h at 30 kHz.
"""

from __future__ import annotations

import numpy as np

import chip_models as cm
from neurosim.stream.outlets import StreamSpec

__all__ = ["EventBinner", "ChipPublisher", "BEHAVIOUR_COLUMNS", "MAIN_STREAM"]

#: Suffix of the main stream per output mode.
MAIN_STREAM = {"events": "events", "snippets": "events", "binned_counts": "counts", "sbp": "sbp",
               "raw": "raw", "compressed": "raw"}

#: Columns of the behaviour stream, cm and cm/s.
BEHAVIOUR_COLUMNS = ("cursor_x_cm", "cursor_y_cm", "velocity_x_cm_per_s", "velocity_y_cm_per_s",
                     "target_x_cm", "target_y_cm")


class EventBinner:
    """Events counted per channel in consecutive bins of ``bin_samples``, closed as time passes.

    ``add(samples, channels, stop)`` returns the bins that end at or before sample ``stop``.
    Events that arrive after their bin was closed (delayed by the link) count in the oldest open
    bin, as a receiver that bins by arrival would count them.

    Parameters
    ----------
    num_channels : int
    bin_samples : int
        Samples per bin, >= 1.
    """

    def __init__(self, num_channels: int, bin_samples: int):
        if int(bin_samples) < 1:
            raise ValueError(f"bin_samples must be >= 1 sample, got {bin_samples}")
        self.num_channels, self.bin_samples = int(num_channels), int(bin_samples)
        self.next_bin = 0  # index of the first bin not yet returned
        self.late_events = 0
        self._partial = np.zeros(self.num_channels, np.int64)

    def add(self, sample_index: np.ndarray, channel: np.ndarray, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Add events (global sample indices, channels) and close the bins ending by ``stop``.

        Returns
        -------
        counts : np.ndarray, shape (num_closed, num_channels), int32
        bin_index : np.ndarray, shape (num_closed,), int64
        """
        b_len = self.bin_samples
        n_open = max(-(-int(stop) // b_len) - self.next_bin, 1)
        n_close = max(int(stop) // b_len - self.next_bin, 0)
        acc = np.zeros((n_open, self.num_channels), np.int64)
        acc[0] = self._partial
        s = np.asarray(sample_index, np.int64)
        if s.size and s.max() >= stop:
            raise ValueError(f"sample_index must be < stop = {int(stop)}, got {int(s.max())}")
        if s.size:
            b = s // b_len - self.next_bin
            self.late_events += int(np.count_nonzero(b < 0))
            np.add.at(acc, (np.clip(b, 0, n_open - 1), np.asarray(channel, np.int64)), 1)
        first = self.next_bin
        self._partial = acc[n_close].copy() if n_close < n_open else np.zeros(self.num_channels, np.int64)
        self.next_bin += n_close
        return acc[:n_close].astype(np.int32), np.arange(first, first + n_close, dtype=np.int64)


class ChipPublisher:
    """Turns each finished `neurosim.engine.Chunk` into the rows of the twin's streams.

    Parameters
    ----------
    design : neurosim.design.Design
    chain : neurosim.chip_stage.ChipChain
        The run's chip (for the link's counters).
    behaviour : dict or None
        The activity's behaviour (`neurosim.populations.reaching.reaching_task`), if any.
    prefix : str
        Stream names are ``<prefix>_<suffix>``.
    """

    def __init__(self, design, chain, behaviour: dict | None, prefix: str = "neurosim"):
        radio, self.fs = design.chip.radio, float(design.recording.fs_hz)
        self.mode, self.prefix, self.chain = radio.output_mode, prefix, chain
        self.num_channels = chain.num_channels
        self.bin_s = radio.bin_ms * 1e-3
        self.bin_samples = max(1, int(round(self.bin_s * self.fs)))
        self.binner = EventBinner(self.num_channels, self.bin_samples) if self.mode == "binned_counts" else None
        self.sbp = None
        if self.mode == "sbp":
            high = min(radio.sbp_high_hz, 0.45 * self.fs)
            self.sbp = cm.SpikeBandPower(self.num_channels, self.fs, bin_s=self.bin_s,
                                         band_hz=(radio.sbp_low_hz, high))
            self.bin_samples = self.sbp.bin_samples
        self.behaviour = behaviour if behaviour and "time_s" in behaviour else None
        self._link_prev = np.zeros(3, np.int64)

    def name(self, suffix: str) -> str:
        return f"{self.prefix}_{suffix}"

    @property
    def main(self) -> str:
        """Name of the chip's output stream."""
        return self.name(MAIN_STREAM[self.mode])

    def specs(self) -> list[StreamSpec]:
        """The streams this publisher fills."""
        chans = tuple(f"ch{c}" for c in range(self.num_channels))
        main = {"events": StreamSpec(self.main, "Markers", ("channel", "sample_index"), 0.0, "int32", "index"),
                "counts": StreamSpec(self.main, "SpikeCounts", chans, self.fs / self.bin_samples, "int32", "count"),
                "sbp": StreamSpec(self.main, "SpikeBandPower", chans, self.fs / self.bin_samples, "float32", "code"),
                "raw": StreamSpec(self.main, "ExtracellularCodes", chans, self.fs, "int16", "code")}
        specs = [main[MAIN_STREAM[self.mode]],
                 StreamSpec(self.name("ground_truth"), "Markers", ("unit", "sample_index"), 0.0, "int32", "index")]
        if self.behaviour is not None:
            t = np.asarray(self.behaviour["time_s"])
            rate = 1.0 / float(t[1] - t[0]) if len(t) > 1 else 0.0
            specs.append(StreamSpec(self.name("behaviour"), "Behaviour", BEHAVIOUR_COLUMNS, rate, "float32",
                                    "cm, cm/s"))
        if self.chain.link is not None:
            specs.append(StreamSpec(self.name("link"), "LinkStatus", ("delivered", "dropped_overflow",
                                    "dropped_corrupted", "fifo_events"), 0.0, "int32", "events"))
        return specs

    def rows(self, chunk) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{stream name: (rows, times_s)}`` for one chunk; times in s from the stream's start."""
        fs, out = self.fs, {}
        ev_s, ev_c = chunk.events
        if MAIN_STREAM[self.mode] == "events":
            out[self.main] = (np.column_stack([ev_c, ev_s]).astype(np.int32), np.asarray(ev_s) / fs)
        elif self.mode == "binned_counts":
            counts, b = self.binner.add(ev_s, ev_c, chunk.stop)
            out[self.main] = (counts, (b + 1) * self.bin_samples / fs)
        elif self.mode == "sbp":
            first = self.sbp.bins_emitted
            values = np.asarray(self.sbp.process(np.asarray(chunk.codes, np.float64)), np.float32)
            b = np.arange(first, first + len(values))
            out[self.main] = (values.reshape(-1, self.num_channels), (b + 1) * self.bin_samples / fs)
        else:
            out[self.main] = (chunk.codes, np.arange(chunk.start, chunk.stop) / fs)
        _, sp_s, sp_u = chunk.spikes
        out[self.name("ground_truth")] = (np.column_stack([sp_u, sp_s]).astype(np.int32), np.asarray(sp_s) / fs)
        if self.behaviour is not None:
            out[self.name("behaviour")] = self._behaviour_rows(chunk.start / fs, chunk.stop / fs)
        link = self.chain.link
        if link is not None:
            now = np.array([link.delivered_by_channel.sum(), link.overflow_by_channel.sum(),
                            link.corrupted_by_channel.sum()], np.int64)
            d, self._link_prev = now - self._link_prev, now
            out[self.name("link")] = (np.array([[*d, link.queued_events]], np.int32),
                                      np.array([chunk.stop / fs]))
        return out

    def _behaviour_rows(self, t_lo: float, t_hi: float):
        b = self.behaviour
        t = np.asarray(b["time_s"])
        i, j = np.searchsorted(t, [t_lo, t_hi])
        rows = np.column_stack([np.asarray(b["cursor_position_cm"])[i:j],
                                np.asarray(b["cursor_velocity_cm_per_s"])[i:j],
                                np.asarray(b["target_cm"])[i:j]])
        return rows.astype(np.float32), t[i:j]
