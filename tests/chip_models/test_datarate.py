"""Data rates: raw streaming and events."""

import math

import pytest

from chip_models import event_bits, event_rate_bps, raw_rate_bps


def test_neuralink_raw_rate():
    # Neuralink N1: 1024 channels x 20 kHz x 10 bit ~ 200 Mbit/s (references.md)
    assert raw_rate_bps(1024, 20000.0, 10) == pytest.approx(204.8e6, rel=1e-12)


def test_neuropixels_raw_rate():
    # Neuropixels 1.0 AP band: 384 channels x 30 kHz x 10 bit = 115.2 Mbit/s
    assert raw_rate_bps(384, 30000.0, 10) == pytest.approx(115.2e6, rel=1e-12)


@pytest.mark.parametrize("num_channels", [1, 2, 3, 96, 384, 1023, 1024, 1025, 3072])
@pytest.mark.parametrize("fs_hz", [1000.0, 19300.0, 20000.0, 30000.0, 32768.0, 32769.0])
def test_event_bits_against_log2(num_channels, fs_hz):
    chan_bits = math.ceil(math.log2(num_channels)) if num_channels > 1 else 0
    assert event_bits(num_channels, fs_hz) == chan_bits + math.ceil(math.log2(fs_hz))


def test_event_bits_override_and_rate():
    assert event_bits(1024, 20000.0) == 10 + 15
    assert event_bits(1024, 20000.0, timestamp_bits=8) == 18
    assert event_bits(1, 20000.0, timestamp_bits=0) == 0
    # 1024 channels firing 10 events/s each fit a ~1 Mbit/s radio, raw does not
    rate = event_rate_bps(10240.0, 1024, 20000.0)
    assert rate == pytest.approx(10240 * 25)
    assert rate < 1e6 < raw_rate_bps(1024, 20000.0, 10)
    assert event_rate_bps(0.0, 4, 1000.0) == 0.0


@pytest.mark.parametrize("call, exc, match", [
    (lambda: raw_rate_bps(0, 2e4, 10), ValueError, r"num_channels must be in \[1, inf\]"),
    (lambda: raw_rate_bps(4, 0.0, 10), ValueError, r"fs_hz must be in \(0, 1e\+06\] Hz"),
    (lambda: raw_rate_bps(4, 2e4, 33), ValueError, r"bits must be in \[1, 32\]"),
    (lambda: event_bits(4, 2e4, timestamp_bits=65), ValueError,
     r"timestamp_bits must be in \[0, 64\]"),
    (lambda: event_bits(4, 2e4, timestamp_bits=3.5), ValueError,
     r"timestamp_bits must be an integer"),
    (lambda: event_rate_bps(-1.0, 4, 2e4), ValueError,
     r"events_per_s must be in \[0, inf\] events/s"),
])
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
