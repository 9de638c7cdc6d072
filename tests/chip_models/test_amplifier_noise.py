"""AmplifierNoise: white level, 1/f slope and corner by Welch, chunk independence."""

import math

import numba
import numpy as np
import pytest
from scipy import optimize, signal

from chip_models import AmplifierNoise

FS_HZ = 1000.0


def test_white_rms_and_chunk_independence():
    """rms = e_n sqrt(fs/2): 0.05 µV/√Hz at 1 kHz -> 1.118 µV; 2e5 x 4 samples: s.e. of the
    variance 0.16 %, 1 % is > 5 s.e."""
    gen = AmplifierNoise(4, FS_HZ, 0.05, seed=3)
    x = gen.generate(200_000)
    assert np.std(x) == pytest.approx(0.05 * np.sqrt(FS_HZ / 2), rel=0.01)
    g2 = AmplifierNoise(4, FS_HZ, 0.05, corner_hz=20.0, seed=3)
    g3 = AmplifierNoise(4, FS_HZ, 0.05, corner_hz=20.0, seed=3)
    one = g2.generate(5000)
    parts = np.concatenate([g3.generate(n) for n in (1, 999, 2000, 2000)])
    np.testing.assert_array_equal(one, parts)
    assert abs(np.corrcoef(one[:, 0], one[:, 1])[0, 1]) < 0.05   # independent channels


def test_flicker_spectrum_slope_and_corner_welch():
    """Welch PSD of 120 s x 8 channels (nperseg 4096: ~460 averaged segments, ~5 % per bin).

    - log(S - S_w) vs log f over 1-10 Hz (1/f part 2-20x the floor): slope -1 within 0.1
      (octave-spaced bank ripple ~1 %, Welch leakage negligible above 4 bins).
    - fitted corner of S_w (1 + f_c / f) over 0.5-200 Hz: within 10 % of 20 Hz.
    """
    en, fc = 0.05, 20.0
    gen = AmplifierNoise(8, FS_HZ, en, corner_hz=fc, min_hz=0.05, seed=11)
    x = gen.generate(int(120 * FS_HZ))
    f, p = signal.welch(x, fs=FS_HZ, nperseg=4096, axis=0)
    p = p.mean(axis=1)
    s_w = en ** 2
    sel = (f >= 1.0) & (f <= 10.0)
    slope = np.polyfit(np.log(f[sel]), np.log(p[sel] - s_w), 1)[0]
    assert slope == pytest.approx(-1.0, abs=0.1)
    sel = (f >= 0.5) & (f <= 200.0)
    (sw_fit, fc_fit), _ = optimize.curve_fit(lambda ff, a, b: np.log(a * (1 + b / ff)), f[sel],
                                             np.log(p[sel]), p0=[s_w, 10.0])
    assert fc_fit == pytest.approx(fc, rel=0.10)
    assert sw_fit == pytest.approx(s_w, rel=0.05)
    np.testing.assert_allclose(gen.psd_uV2_per_hz([fc]), [2 * s_w])


@pytest.mark.parametrize("fs, fc", [(30000.0, 100.0), (FS_HZ, 20.0), (20000.0, 1000.0)])
def test_every_sample_arma_is_white_plus_fast_lorentzians(fs, fc):
    """The ARMA part has the spectrum of white + the poles updated every sample, in closed form:
    sigma_w^2 + sum_i b_i^2 / |1 - a_i e^{-i w}|^2 (each AR(1) of innovation b_i)."""
    gen = AmplifierNoise(2, fs, 0.04, corner_hz=fc, seed=1)
    fast = gen.hold_samples == 1
    assert fast.any() and (~fast).any()
    w = np.linspace(1e-4, np.pi, 2000)
    _, h = signal.freqz(gen.arma_num, gen.arma_den, w)
    target = gen.white_sigma_uV ** 2 + sum(
        bi ** 2 / np.abs(1 - ai * np.exp(-1j * w)) ** 2 for ai, bi in zip(gen.a[fast], gen.b[fast]))
    np.testing.assert_allclose(np.abs(h) ** 2, target, rtol=1e-8)
    assert np.all(np.abs(np.roots(gen.arma_num)) < 1) and np.all(np.abs(np.roots(gen.arma_den)) < 1)


def test_starts_stationary():
    """Sample 0 over 20 000 channels: variance = sigma_w^2 + sum_i b_i^2 / (1 - a_i^2) (every
    pole from its stationary law) within 5 standard errors, sqrt(2 / 20 000) relative."""
    gen = AmplifierNoise(20_000, 30000.0, 0.03, corner_hz=100.0, seed=5)
    x0 = gen.generate(2)[0]
    total = gen.white_sigma_uV ** 2 + np.sum(gen.b ** 2 / (1 - gen.a ** 2))
    assert np.var(x0) == pytest.approx(total, rel=5 * math.sqrt(2 / x0.size))


def test_random_chunks_and_thread_counts_bitwise():
    kw = dict(num_channels=70, fs_hz=30000.0, density_uV_per_sqrt_hz=0.03, corner_hz=100.0, seed=9)
    one = AmplifierNoise(**kw).generate(20_000)
    gen = AmplifierNoise(**kw)
    cuts = np.diff(np.r_[0, np.sort(np.random.default_rng(0).choice(20_000, 30, replace=False)), 20_000])
    np.testing.assert_array_equal(np.concatenate([gen.generate(int(m)) for m in cuts]), one)
    old = numba.get_num_threads()
    try:
        for t in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS), numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(t)
            np.testing.assert_array_equal(AmplifierNoise(**kw).generate(20_000), one)
    finally:
        numba.set_num_threads(old)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: AmplifierNoise(2, FS_HZ, -1.0), ValueError,
     r"density_uV_per_sqrt_hz must be in \[0, 1000\] µV/√Hz"),
    (lambda: AmplifierNoise(2, FS_HZ, 0.1, corner_hz=500.0), ValueError,
     r"corner_hz must be in \[0, 500\) Hz"),
    (lambda: AmplifierNoise(2, FS_HZ, 0.1, corner_hz=5.0, min_hz=10.0), ValueError,
     r"min_hz must be in \(0, 5\) Hz"),
    (lambda: AmplifierNoise(2, FS_HZ, 0.1).add_to(np.zeros((3, 2), np.float32)), TypeError,
     r"x_uV must be a C-contiguous float64 array"),
    (lambda: AmplifierNoise(2, FS_HZ, 0.1).generate(-1), ValueError,
     r"num_samples must be in \[0, inf\]"),
])
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
