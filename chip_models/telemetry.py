"""Telemetry: a framed, packetised radio link of finite capacity with a FIFO and bit errors."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from . import _telemetry_kernels
from ._validation import check_array, check_int, check_range
from .datarate import event_bits

logger = logging.getLogger(__name__)

__all__ = ["EventLink", "LinkResult", "packet_loss_probability"]


def packet_loss_probability(bit_error_rate: float, packet_bits: int) -> float:
    """Probability that a packet has at least one bit error: ``1 - (1 - BER)^bits``.

    Independent bit errors, no forward error correction (any error discards the packet).

    Examples
    --------
    BER 1e-5, 288-bit packets: 1 - (1 - 1e-5)^288 = 2.876e-3.
    """
    ber = check_range("bit_error_rate", bit_error_rate, 0.0, 1.0, "")
    n = check_int("packet_bits", packet_bits, 1, None)
    return -math.expm1(n * math.log1p(-ber)) if ber < 1.0 else 1.0


@dataclass(frozen=True)
class LinkResult:
    """Fate of the events of one chunk (global sample indices, int64; channels int32).

    Events still waiting in the FIFO at the end of the chunk appear in a later chunk's result.
    """

    delivered_sample: np.ndarray
    delivered_channel: np.ndarray
    overflow_sample: np.ndarray
    overflow_channel: np.ndarray
    corrupted_sample: np.ndarray
    corrupted_channel: np.ndarray


class EventLink:
    r"""Events sent over a link of finite capacity, in frames, with a FIFO and packet loss.

    Time is cut into frames of ``F = round(frame_s * fs_hz)`` samples. Events detected in a frame
    join a FIFO of ``buffer_events`` entries; an event arriving at a full FIFO is dropped (tail
    drop, in detection order: sample then channel). At the end of each frame the link sends

    .. math::

        K = \left\lfloor \frac{C \, T_\mathrm{frame}}{H + P} \right\rfloor
            \left\lfloor \frac{P}{b_\mathrm{event}} \right\rfloor

    events at most (``C`` capacity in bit/s, ``H`` header and ``P`` payload bits per packet,
    ``b_event`` bits per event), oldest first, in packets of ``floor(P / b_event)`` events; a
    partly filled last packet is padded. Each packet is lost with probability
    ``1 - (1 - BER)^(H + P)`` (drawn from a counter-based generator keyed by the seed and the
    packet's index, so results do not depend on chunking).

    Parameters
    ----------
    num_channels : int
    fs_hz : float
        Sampling rate in Hz (timestamps are sample indices).
    capacity_bps : float
        Link capacity in bit/s, > 0.
    payload_bits : int, default 256
        Payload bits per packet, in [1, 1e6]; must hold at least one event.
    header_bits : int, default 32
        Header (sync, address, CRC) bits per packet, in [0, 1e6].
    bit_error_rate : float, default 0.0
        Independent bit-error probability, in [0, 1].
    buffer_events : int, default 1024
        FIFO size in events, >= 1.
    frame_s : float, default 1e-3
        Frame length in s (at least one sample).
    seed : int, default 0
        Seed of the packet-loss draws, in [0, 2^63).
    bits_per_event : int, optional
        Default `chip_models.event_bits` (channel + timestamp).

    Assumptions
    -----------
    - Packets are sent back to back within a frame; no retransmission, no FEC.
    - Latency is at most one frame plus the FIFO wait; it is not modelled beyond ordering.
    """

    def __init__(self, num_channels: int, fs_hz: float, capacity_bps: float,
                 payload_bits: int = 256, header_bits: int = 32, bit_error_rate: float = 0.0,
                 buffer_events: int = 1024, frame_s: float = 1e-3, seed: int = 0,
                 bits_per_event: int | None = None):
        self.num_channels = check_int("num_channels", num_channels, 1, None)
        self.fs_hz = check_range("fs_hz", fs_hz, 0.0, 1e6, "Hz", low_inclusive=False)
        self.capacity_bps = check_range("capacity_bps", capacity_bps, 0.0, None, "bit/s",
                                        low_inclusive=False)
        self.payload_bits = check_int("payload_bits", payload_bits, 1, 1_000_000)
        self.header_bits = check_int("header_bits", header_bits, 0, 1_000_000)
        self.bit_error_rate = check_range("bit_error_rate", bit_error_rate, 0.0, 1.0)
        self.buffer_events = check_int("buffer_events", buffer_events, 1, None)
        self.frame_s = check_range("frame_s", frame_s, 0.0, 10.0, "s", low_inclusive=False)
        self.seed = check_int("seed", seed, 0, 2 ** 63 - 1)
        self.bits_per_event = (event_bits(self.num_channels, self.fs_hz) if bits_per_event is None
                               else check_int("bits_per_event", bits_per_event, 1, 1_000_000))
        self.frame_samples = int(round(self.frame_s * self.fs_hz))
        if self.frame_samples < 1:
            raise ValueError(f"frame_s * fs_hz must give at least 1 sample, got frame_s = "
                             f"{self.frame_s:g} s at fs_hz = {self.fs_hz:g} Hz")
        self.events_per_packet = self.payload_bits // self.bits_per_event
        if self.events_per_packet < 1:
            raise ValueError(f"payload_bits must hold at least one event of {self.bits_per_event} "
                             f"bits, got {self.payload_bits}")
        frame_time_s = self.frame_samples / self.fs_hz
        self.packets_per_frame = int(math.floor(self.capacity_bps * frame_time_s
                                                / self.packet_bits + 1e-9))
        self.events_per_frame = self.packets_per_frame * self.events_per_packet
        self.packet_loss_probability = packet_loss_probability(self.bit_error_rate,
                                                               self.packet_bits)
        self._key = np.uint64(self.seed) ^ np.uint64(0xA5A5A5A5DEADBEEF)
        self.reset()

    @property
    def packet_bits(self) -> int:
        """Header + payload bits per packet."""
        return self.header_bits + self.payload_bits

    @property
    def max_event_rate_hz(self) -> float:
        """Largest sustained event rate in events/s: ``K / frame time``."""
        return self.events_per_frame * self.fs_hz / self.frame_samples

    def reset(self) -> None:
        """Empty the FIFO and the counters (start of a new stream)."""
        self._q_s = np.zeros(self.buffer_events, dtype=np.int64)
        self._q_c = np.zeros(self.buffer_events, dtype=np.int32)
        self._state = np.array([0, 0, 0, 0, self.buffer_events], dtype=np.int64)
        self._samples_seen = 0
        self.offered_by_channel = np.zeros(self.num_channels, dtype=np.int64)
        self.delivered_by_channel = np.zeros(self.num_channels, dtype=np.int64)
        self.overflow_by_channel = np.zeros(self.num_channels, dtype=np.int64)
        self.corrupted_by_channel = np.zeros(self.num_channels, dtype=np.int64)

    @property
    def packets_sent(self) -> int:
        """Packets transmitted so far."""
        return int(self._state[3])

    @property
    def queued_events(self) -> int:
        """Events waiting in the FIFO."""
        return int(self._state[1])

    @property
    def bits_sent(self) -> int:
        """Bits transmitted so far (``packets_sent * packet_bits``, padding and headers included)."""
        return self.packets_sent * self.packet_bits

    def sent_rate_bps(self) -> float:
        """Average transmitted bit rate in bit/s over the completed frames."""
        frames = int(self._state[2])
        return self.bits_sent * self.fs_hz / (frames * self.frame_samples) if frames else 0.0

    def process(self, sample_index, channel, num_samples: int) -> LinkResult:
        """Offer one chunk's events to the link and advance time by ``num_samples``.

        Parameters
        ----------
        sample_index : array_like of int, shape (num_events,)
            Global sample indices, sorted, within the chunk ``[samples_seen, samples_seen +
            num_samples)``.
        channel : array_like of int, shape (num_events,)
        num_samples : int
            Samples in the chunk, >= 0.
        """
        n = check_int("num_samples", num_samples, 0, None)
        s = check_array("sample_index", sample_index, ndim=1, dtype=np.int64)
        c = check_array("channel", channel, ndim=1, shape=(s.size,), dtype=np.int32)
        start, end = self._samples_seen, self._samples_seen + n
        if s.size and (s[0] < start or s[-1] >= end or np.any(np.diff(s) < 0)):
            raise ValueError(f"sample_index must be sorted and within [{start}, {end}), got "
                             f"values in [{s.min()}, {s.max()}]")
        if c.size and (c.min() < 0 or c.max() >= self.num_channels):
            raise ValueError(f"channel must be in [0, {self.num_channels - 1}], got values in "
                             f"[{c.min()}, {c.max()}]")
        size = s.size + self.buffer_events
        out_s = np.empty(size, dtype=np.int64)
        out_c = np.empty(size, dtype=np.int32)
        out_k = np.empty(size, dtype=np.int8)
        m = _telemetry_kernels.link_process(
            np.ascontiguousarray(s), np.ascontiguousarray(c), end, self.frame_samples, self._q_s,
            self._q_c, self._state, self.events_per_frame, self.events_per_packet,
            self.packet_loss_probability, self._key, out_s, out_c, out_k)
        self._samples_seen = end
        out_s, out_c, out_k = out_s[:m], out_c[:m], out_k[:m]
        nc = self.num_channels
        self.offered_by_channel += np.bincount(c, minlength=nc)
        groups = [(out_k == kind) for kind in (0, 1, 2)]
        for mask, acc in zip(groups, (self.delivered_by_channel, self.overflow_by_channel,
                                      self.corrupted_by_channel)):
            acc += np.bincount(out_c[mask], minlength=nc)
        if groups[1].any():
            logger.debug("EventLink: %d events dropped by FIFO overflow", int(groups[1].sum()))
        order = [np.argsort(out_s[mask], kind="stable") for mask in groups]
        return LinkResult(out_s[groups[0]][order[0]], out_c[groups[0]][order[0]],
                          out_s[groups[1]][order[1]], out_c[groups[1]][order[1]],
                          out_s[groups[2]][order[2]], out_c[groups[2]][order[2]])
