"""Telemetry data rates: raw streaming versus threshold-crossing events."""

from __future__ import annotations

import math

from ._validation import check_int, check_range


def raw_rate_bps(num_channels: int, fs_hz: float, bits: int) -> float:
    """Raw streaming rate in bit/s: ``num_channels * fs_hz * bits``.

    Parameters
    ----------
    num_channels : int
        Channels streamed, >= 1.
    fs_hz : float
        Sampling rate per channel in Hz, in (0, 1e6].
    bits : int
        Bits per sample, in [1, 32].

    Examples
    --------
    Neuralink N1: 1024 channels x 20 kHz x 10 bit = 204.8 Mbit/s.

    >>> raw_rate_bps(1024, 20000.0, 10)
    204800000.0
    """
    n = check_int("num_channels", num_channels, 1, None)
    fs = check_range("fs_hz", fs_hz, 0.0, 1e6, "Hz", low_inclusive=False)
    b = check_int("bits", bits, 1, 32)
    return float(n * fs * b)


def event_bits(num_channels: int, fs_hz: float, timestamp_bits: int | None = None) -> int:
    """Bits per event: channel id plus timestamp.

    The channel id takes ``ceil(log2(num_channels))`` bits (0 for a single channel). By default
    the timestamp is the sample index within a 1 s frame (frames are delimited by the link),
    i.e. ``ceil(log2(ceil(fs_hz)))`` bits, computed exactly in integers as
    ``(ceil(fs_hz) - 1).bit_length()``.

    Parameters
    ----------
    num_channels : int
        Channels on the chip, >= 1.
    fs_hz : float
        Sampling rate in Hz, in (0, 1e6].
    timestamp_bits : int, optional
        Override of the timestamp width, in [0, 64].
    """
    n = check_int("num_channels", num_channels, 1, None)
    fs = check_range("fs_hz", fs_hz, 0.0, 1e6, "Hz", low_inclusive=False)
    if timestamp_bits is None:
        ts = (math.ceil(fs) - 1).bit_length()
    else:
        ts = check_int("timestamp_bits", timestamp_bits, 0, 64)
    return (n - 1).bit_length() + ts


def event_rate_bps(events_per_s: float, num_channels: int, fs_hz: float,
                   timestamp_bits: int | None = None) -> float:
    """Event telemetry rate in bit/s: ``events_per_s * event_bits(num_channels, fs_hz, ...)``.

    Parameters
    ----------
    events_per_s : float
        Detections per second summed over all channels, >= 0.
    num_channels, fs_hz, timestamp_bits
        See `event_bits`.
    """
    rate = check_range("events_per_s", events_per_s, 0.0, None, "events/s")
    return rate * event_bits(num_channels, fs_hz, timestamp_bits)
