import numpy as np
import pytest
from scipy import stats

from electrode_models.noise import add_gaussian_noise, thermal_noise_uV_rms


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
