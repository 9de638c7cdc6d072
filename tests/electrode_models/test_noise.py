import math

import numba
import numpy as np
import pytest
from scipy import stats

from electrode_models.noise import add_gaussian_noise, thermal_noise_uV_rms
from tests._reference import GAMMA, MASK, splitmix64


def _noise(n, n_ch, start=0, seed=1, sigma=1.0):
    x = np.zeros((n, n_ch), np.float32)
    add_gaussian_noise(x, start, np.full(n_ch, sigma), seed)
    return x


def test_moments_and_normality():
    x = _noise(100_000, 4, seed=123)
    n = x.shape[0]
    for c in range(4):
        assert abs(x[:, c].mean()) < 5 / np.sqrt(n)
        assert abs(x[:, c].std() - 1.0) < 5 * np.sqrt(0.5 / n)
    assert stats.kstest(x[:, 0].astype(np.float64), "norm").pvalue > 1e-3
    assert stats.kurtosis(x[:, 1]) == pytest.approx(0.0, abs=5 * np.sqrt(24 / n))


def test_no_correlation():
    x = _noise(50_000, 8, seed=5).astype(np.float64)
    tol = 5 / np.sqrt(x.shape[0])
    for c in range(7):
        assert abs(np.corrcoef(x[:, c], x[:, c + 1])[0, 1]) < tol
    for lag in (1, 2):  # samples 2k and 2k+1 share one hash (Box-Muller pair)
        assert abs(np.corrcoef(x[:-lag, 0], x[lag:, 0])[0, 1]) < tol
    sq = x[:, 0] ** 2  # Box-Muller pairs are independent, not just uncorrelated
    assert abs(np.corrcoef(sq[0::2], sq[1::2])[0, 1]) < tol * np.sqrt(2)


def test_chunked_equals_one_shot_bitwise():
    full = _noise(10_001, 5, seed=9)
    for size in (1, 333, 4096):
        parts = [_noise(min(size, 10_001 - a), 5, start=a, seed=9) for a in range(0, 10_001, size)]
        np.testing.assert_array_equal(np.concatenate(parts), full)
    np.testing.assert_array_equal(_noise(100, 5, start=3, seed=9), full[3:103])


def test_value_is_documented_function_of_seed_sample_channel():
    """z(seed, n, c) = Box-Muller of splitmix64(key_c + (n // 2) GAMMA), key_c =
    splitmix64(splitmix64(c) ^ seed): high word -> radius, low word -> signs, swap, angle
    (computed here in float64 from pure-Python SplitMix64; the kernel is float32, within 2.4e-6)."""
    seed, start, n, sigma = 987654321, 12_345, 41, np.array([1.0, 2.5, 0.3])
    x = np.zeros((n, 3), np.float32)
    add_gaussian_noise(x, start, sigma, seed)
    for c in range(3):
        key = splitmix64(splitmix64(c) ^ seed)
        for i in range(n):
            g = start + i
            h = splitmix64((key + (g // 2) * GAMMA) & MASK)
            hi, lo = h >> 32, h & 0xFFFFFFFF
            r = math.sqrt(-2 * math.log((hi + 0.5) * 2.0 ** -32))
            phi = ((lo & 0x1FFFFFFF) + 0.5) * (math.pi / 4) * 2.0 ** -29
            cs = (math.sin(phi), math.cos(phi)) if lo >> 29 & 1 else (math.cos(phi), math.sin(phi))
            sign = -1.0 if (lo >> (31 - g % 2)) & 1 else 1.0
            assert x[i, c] == pytest.approx(sigma[c] * sign * r * cs[g % 2], abs=2.5e-6 * sigma[c])


def test_random_chunk_splits_and_thread_counts_bitwise():
    full = _noise(20_001, 37, start=5, seed=3)
    r = np.random.default_rng(4)
    cuts = np.sort(r.choice(np.arange(1, 20_001), 40, replace=False))
    parts = [_noise(b - a, 37, start=5 + a, seed=3)
             for a, b in zip(np.r_[0, cuts], np.r_[cuts, 20_001])]
    np.testing.assert_array_equal(np.concatenate(parts), full)
    old = numba.get_num_threads()
    try:
        for t in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS), numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(t)
            np.testing.assert_array_equal(_noise(20_001, 37, start=5, seed=3), full)
    finally:
        numba.set_num_threads(old)


def test_statistics_against_normal_theory():
    """1.6 M values (400 k samples x 4 channels): every bound is 5 standard errors of the
    statistic for i.i.d. N(0, 1) (mean 1/sqrt(N), variance sqrt(2/N), excess kurtosis
    sqrt(24/N), correlations 1/sqrt(N), tail counts binomial)."""
    x = _noise(400_000, 4, start=777, seed=2024).astype(np.float64)
    z = x.ravel()
    n = z.size
    assert abs(z.mean()) < 5 / math.sqrt(n)
    assert abs(z.var() - 1.0) < 5 * math.sqrt(2 / n)
    assert abs(stats.kurtosis(z)) < 5 * math.sqrt(24 / n)
    assert abs(stats.skew(z)) < 5 * math.sqrt(6 / n)
    assert stats.kstest(z, "norm").pvalue > 1e-3
    for thr in (1.0, 2.0, 3.0, 4.0):
        p = 2 * stats.norm.sf(thr)
        k = np.count_nonzero(np.abs(z) > thr)
        assert abs(k - n * p) < 5 * math.sqrt(n * p * (1 - p)) + 1, (thr, k, n * p)
    m = x.shape[0]
    for c in range(4):
        assert abs(np.corrcoef(x[:-1, c], x[1:, c])[0, 1]) < 5 / math.sqrt(m)     # lag 1
        assert abs(np.corrcoef(x[0::2, c], x[1::2, c])[0, 1]) < 5 / math.sqrt(m / 2)  # pair
        for d in range(c + 1, 4):
            assert abs(np.corrcoef(x[:, c], x[:, d])[0, 1]) < 5 / math.sqrt(m)
    assert np.abs(z).max() <= math.sqrt(66 * math.log(2)) * (1 + 1e-6)   # stated truncation


def test_seeds_and_sigma():
    a, b = _noise(1000, 3, seed=1), _noise(1000, 3, seed=2)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(_noise(1000, 3, seed=2**64 - 1), _noise(1000, 3, seed=2**64 - 1))
    np.testing.assert_allclose(_noise(1000, 3, seed=1, sigma=3.0), 3.0 * a, rtol=1e-6)
    x = np.zeros((100, 2), np.float32)
    add_gaussian_noise(x, 0, [0.0, 1.0], 4)
    assert not x[:, 0].any() and x[:, 1].any()


def test_thermal_noise_reference_values():
    # references.md: 310 K over 10 kHz: 37 kΩ -> 2.5, 150 kΩ -> 5.1, 1 MΩ -> 13 µV rms
    v = thermal_noise_uV_rms(np.array([37e3, 150e3, 1e6]), 10e3)
    np.testing.assert_allclose(v, [2.5, 5.1, 13.0], atol=0.06, rtol=0.01)
    assert thermal_noise_uV_rms(0.0, 1e3) == 0.0
    sigma = thermal_noise_uV_rms(150e3, 10e3)
    x = _noise(200_000, 2, seed=77, sigma=sigma)
    np.testing.assert_allclose(np.sqrt((x.astype(np.float64) ** 2).mean(axis=0)), sigma, rtol=0.02)


def test_noise_errors():
    x = np.zeros((10, 2), np.float32)
    with pytest.raises(ValueError, match=r"chunk_uV must be a C-contiguous float32"):
        add_gaussian_noise(np.zeros((10, 2)), 0, [1, 1], 0)
    with pytest.raises(ValueError, match=r"chunk_uV must be a C-contiguous float32"):
        add_gaussian_noise(np.zeros((2, 10), np.float32).T, 0, [1, 1], 0)
    with pytest.raises(ValueError, match=r"chunk_start_sample must be in \[0, inf\]"):
        add_gaussian_noise(x, -5, [1, 1], 0)
    with pytest.raises(ValueError, match=r"sigma_uV must have shape \(2\)"):
        add_gaussian_noise(x, 0, [1, 1, 1], 0)
    with pytest.raises(ValueError, match=r"sigma_uV must be finite and >= 0"):
        add_gaussian_noise(x, 0, [1, -1], 0)
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 2\*\*64 - 1\]"):
        add_gaussian_noise(x, 0, [1, 1], -1)
    with pytest.raises(ValueError, match=r"seed must be an integer"):
        add_gaussian_noise(x, 0, [1, 1], 1.5)
    with pytest.raises(ValueError, match=r"impedance_real_ohm must be finite and >= 0"):
        thermal_noise_uV_rms(-1.0, 1e3)
    with pytest.raises(ValueError, match=r"bandwidth_hz must be in \(0, inf\] Hz"):
        thermal_noise_uV_rms(1e3, 0.0)
    with pytest.raises(ValueError, match=r"temperature_K must be in"):
        thermal_noise_uV_rms(1e3, 1e3, temperature_K=0.0)
