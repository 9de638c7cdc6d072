"""Lossless Rice codec (round trip, ratio vs entropy) and bit rates of the output modes."""

import math

import numpy as np
import pytest
from scipy import stats

from chip_models import (
    RiceEncoder,
    count_bits,
    event_bits,
    mode_rate_bps,
    mode_rates_bps,
    rice_decode,
    snippet_bits,
)


def _encode_chunked(enc, x, size):
    data = b"".join(enc.encode(x[a:a + size]) for a in range(0, x.shape[0], size))
    return data + enc.flush()


@pytest.mark.parametrize("bits, block", [(10, 64), (16, 7), (1, 1), (12, 1000)])
def test_round_trip_and_chunk_independence(bits, block):
    rng = np.random.default_rng(bits)
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    x = np.clip(np.round(rng.normal(0, 2.0 ** (bits - 2), size=(1234, 5))), lo, hi).astype(np.int16)
    x[100:110, 2] = hi    # rail-to-rail jumps: largest differences
    x[110:120, 2] = lo
    one = RiceEncoder(5, bits, block)
    data1 = one.encode(x) + one.flush()
    chunked = RiceEncoder(5, bits, block)
    data2 = _encode_chunked(chunked, x, 333)
    assert data1 == data2
    np.testing.assert_array_equal(rice_decode(data1, 5, block, x.shape[0]), x)
    assert chunked.samples_encoded == x.shape[0] and chunked.bytes_out == len(data2)


def _discrete_gaussian_difference_pmf(sigma):
    """pmf of d = round(X1) - round(X2), X ~ N(0, sigma^2) i.i.d. (exact, by convolution)."""
    k = np.arange(-int(12 * sigma), int(12 * sigma) + 1)
    p = stats.norm.cdf((k + 0.5) / sigma) - stats.norm.cdf((k - 0.5) / sigma)
    pd = np.convolve(p, p[::-1])
    d = np.arange(-2 * k[-1], 2 * k[-1] + 1)
    return d, pd / pd.sum()


def test_ratio_on_gaussian_noise_against_entropy_bound():
    """White Gaussian codes (sigma 8 LSB, 10 bit): bits/sample of the codec lie between the
    entropy H(d) of the difference (no symbol-by-symbol code beats it) and the expected length of
    the best single Rice code for the exact pmf of d plus the block header (5 bit / 256 samples)
    and byte padding (<= 7 bit / (256 x 8)); per-block k choice can only do better than one k.
    """
    sigma = 8.0
    rng = np.random.default_rng(2026)
    x = np.round(rng.normal(0.0, sigma, size=(200_000, 8))).astype(np.int16)
    enc = RiceEncoder(8, 10, block_samples=256)
    data = enc.encode(x) + enc.flush()
    bits_per_sample = 8 * len(data) / x.size
    d, pd = _discrete_gaussian_difference_pmf(sigma)
    nz = pd > 0
    h_d = -np.sum(pd[nz] * np.log2(pd[nz]))
    u = np.where(d >= 0, 2 * d, -2 * d - 1)
    rice = min(np.sum(pd * ((u >> k) + 1 + k)) for k in range(12))
    overhead = 5 / 256 + 7 / (256 * 8)
    assert h_d < bits_per_sample < rice + overhead + 0.01
    # and the ratio the chip would report
    assert enc.ratio == pytest.approx(10 / bits_per_sample, rel=1e-12)
    # h_d for sigma_d = 8 sqrt 2 is 0.5 log2(2 pi e 128) = 5.55 bit: ratio ~ 1.7, far below the
    # ~3.5x reported for real (correlated, mostly quiet) neural data
    assert 0.5 * math.log2(2 * math.pi * math.e * 2 * sigma ** 2) == pytest.approx(h_d, abs=0.01)


def test_smooth_signal_compresses_better_than_noise():
    t = np.arange(30000)[:, None]
    slow = np.round(200 * np.sin(2 * np.pi * t / 3000.0)).astype(np.int16)
    enc = RiceEncoder(1, 10)
    enc.encode(slow)
    enc.flush()
    assert enc.ratio > 3.0  # |d| <= 1: ~2 bit/sample (unary + zero), i.e. 10 / 2


def test_mode_rates_closed_forms():
    # 96 channels, 30 kHz, 10 bit, 5 s, 4800 events, 1 ms dead time, 20 ms bins
    r = mode_rates_bps(5.0, 96, 30000.0, 10, num_events=4800, compressed_bytes=1_000_000,
                       snippet_samples=48, bin_s=0.02, dead_samples=30)
    assert r["raw"] == pytest.approx(96 * 30000 * 10)
    assert r["compressed"] == pytest.approx(8e6 / 5.0)
    eb = math.ceil(math.log2(96)) + math.ceil(math.log2(30000))  # 7 + 15
    assert r["events"] == pytest.approx(4800 * eb / 5.0)
    assert r["snippets"] == pytest.approx(4800 * (eb + 48 * 10) / 5.0)
    # 600 samples per bin, at most ceil(600 / 31) = 20 events: 5 bits
    assert r["binned_counts"] == pytest.approx(96 * 5 / 0.02)
    assert r["sbp"] == pytest.approx(96 * 16 / 0.02)
    assert mode_rate_bps("events", r) == r["events"]
    assert snippet_bits(96, 30000.0, 10, 48) == event_bits(96, 30000.0) + 480
    assert count_bits(600, 0) == 10 and count_bits(1, 0) == 1


@pytest.mark.parametrize("call, exc, match", [
    (lambda: RiceEncoder(0, 10), ValueError, r"num_channels must be in \[1, inf\]"),
    (lambda: RiceEncoder(2, 17), ValueError, r"bits must be in \[1, 16\]"),
    (lambda: RiceEncoder(2, 10, 0), ValueError, r"block_samples must be in \[1, 65536\]"),
    (lambda: RiceEncoder(2, 4).encode(np.full((3, 2), 8)), ValueError,
     r"codes must be in \[-8, 7\] for bits = 4"),
    (lambda: RiceEncoder(2, 4).encode(np.zeros((3, 2))), TypeError,
     r"codes must be an integer array"),
    (lambda: RiceEncoder(2, 4).encode(np.zeros((3, 3), int)), ValueError,
     r"codes must have shape \(any, 2\)"),
    (lambda: rice_decode(b"\x00", 2, 8, 100), ValueError, r"data ended before num_samples = 100"),
    (lambda: mode_rates_bps(0.0, 4, 1e3, 10), ValueError, r"duration_s must be in \(0, inf\] s"),
    (lambda: mode_rate_bps("compressed", {"raw": 1.0}), ValueError,
     r"mode 'compressed' has no rate"),
    (lambda: mode_rate_bps("fax", {}), ValueError, r"mode must be one of"),
    (lambda: snippet_bits(4, 1e3, 10, 0), ValueError, r"snippet_samples must be in \[1, 4096\]"),
])
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
