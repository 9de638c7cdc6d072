"""Output modes of the chip and the bit rate each needs, from the actual outputs."""

from __future__ import annotations

import math

from ._validation import check_int, check_option, check_range
from .datarate import event_bits, raw_rate_bps

__all__ = ["OUTPUT_MODES", "count_bits", "mode_rate_bps", "mode_rates_bps", "snippet_bits"]

#: Output modes understood by `mode_rate_bps`.
OUTPUT_MODES = ("raw", "compressed", "events", "snippets", "binned_counts", "sbp")


def snippet_bits(num_channels: int, fs_hz: float, bits: int, snippet_samples: int,
                 timestamp_bits: int | None = None) -> int:
    """Bits per waveform snippet: an event header (channel + timestamp, `event_bits`)
    plus ``snippet_samples * bits``.

    Parameters
    ----------
    num_channels, fs_hz, timestamp_bits
        See `chip_models.event_bits`.
    bits : int
        ADC bits per sample, in [1, 32].
    snippet_samples : int
        Samples per snippet, in [1, 4096] (e.g. 48 = 1.6 ms at 30 kHz).
    """
    b = check_int("bits", bits, 1, 32)
    n = check_int("snippet_samples", snippet_samples, 1, 4096)
    return event_bits(num_channels, fs_hz, timestamp_bits) + n * b


def count_bits(bin_samples: int, dead_samples: int) -> int:
    """Bits of one binned threshold-crossing count: enough for the largest possible count.

    With a dead time of ``D`` samples at most ``ceil(B / (D + 1))`` events fit in a bin of
    ``B`` samples, so a count takes ``bit_length(ceil(B / (D + 1)))`` bits.
    """
    b = check_int("bin_samples", bin_samples, 1, None)
    d = check_int("dead_samples", dead_samples, 0, None)
    return int(-(-b // (d + 1))).bit_length()


def mode_rates_bps(duration_s: float, num_channels: int, fs_hz: float, bits: int, *,
                   num_events: int = 0, compressed_bytes: int | None = None,
                   snippet_samples: int = 48, bin_s: float = 0.02, dead_samples: int = 30,
                   sbp_bits: int = 16, timestamp_bits: int | None = None) -> dict:
    r"""Bit rate in bit/s of every output mode for one recording, from its actual outputs.

    ==============  ===============================================================
    mode            bit/s
    ==============  ===============================================================
    raw             ``N fs b``
    compressed      ``8 * compressed_bytes / duration`` (the codec's real output)
    events          ``num_events * event_bits / duration``
    snippets        ``num_events * snippet_bits / duration``
    binned_counts   ``N * count_bits / bin_s``
    sbp             ``N * sbp_bits / bin_s``
    ==============  ===============================================================

    Parameters
    ----------
    duration_s : float
        Recording length in s, > 0.
    num_channels, fs_hz, bits
        Channels, sampling rate in Hz, ADC bits.
    num_events : int, default 0
        Detections over the recording (all channels).
    compressed_bytes : int, optional
        Bytes produced by `chip_models.RiceEncoder`; the mode is omitted if None.
    snippet_samples : int, default 48
    bin_s : float, default 0.02
        Bin length of counts and SBP in s, in (0, 10].
    dead_samples : int, default 30
        Detector dead time in samples (bounds the count width).
    sbp_bits : int, default 16
        Bits per SBP value, in [1, 32].

    Returns
    -------
    dict
        ``{mode: bit/s}`` for the modes of `OUTPUT_MODES`.
    """
    dur = check_range("duration_s", duration_s, 0.0, None, "s", low_inclusive=False)
    n_ev = check_int("num_events", num_events, 0, None)
    bin_s = check_range("bin_s", bin_s, 0.0, 10.0, "s", low_inclusive=False)
    sbp_b = check_int("sbp_bits", sbp_bits, 1, 32)
    rates = {"raw": raw_rate_bps(num_channels, fs_hz, bits)}
    if compressed_bytes is not None:
        rates["compressed"] = 8.0 * check_int("compressed_bytes", compressed_bytes, 0, None) / dur
    rates["events"] = n_ev * event_bits(num_channels, fs_hz, timestamp_bits) / dur
    rates["snippets"] = n_ev * snippet_bits(num_channels, fs_hz, bits, snippet_samples,
                                            timestamp_bits) / dur
    bin_samples = max(1, int(round(bin_s * fs_hz)))
    rates["binned_counts"] = num_channels * count_bits(bin_samples, dead_samples) / bin_s
    rates["sbp"] = num_channels * sbp_b / bin_s
    return rates


def mode_rate_bps(mode: str, rates_bps: dict) -> float:
    """The rate of one ``mode`` from `mode_rates_bps`'s dict (clear error if absent)."""
    check_option("mode", mode, OUTPUT_MODES)
    if mode not in rates_bps:
        raise ValueError(f"mode {mode!r} has no rate: pass compressed_bytes to mode_rates_bps")
    value = rates_bps[mode]
    if not math.isfinite(value):
        raise ValueError(f"rate of mode {mode!r} must be finite, got {value!r}")
    return float(value)
