"""Front-end additions: amplifier noise, saturation recovery, LFP path, multiplexed ADC skew."""

import numpy as np
import pytest
from scipy import signal

from chip_models import (
    ADC,
    AmplifierNoise,
    FrontEnd,
    LFPPath,
    MuxSkew,
    mux_sample_offsets_s,
)

FS_HZ = 30000.0


def test_saturation_recovery_holds_rail_for_exact_time():
    """A 5-sample overload (input step through an all-pass-like wide band, gain 1000): output
    is at the rail while overloaded and for exactly recovery_samples = 30 samples after."""
    fe = FrontEnd(FS_HZ, 1, highpass_hz=1.0, lowpass_hz=14000.0, filter_order=1,
                  output_swing_mV=100.0, recovery_s=1e-3)
    x = np.zeros((400, 1))
    x[100:105] = 1000.0   # 1000 µV x 1000 = 1000 mV >> 100 mV rail
    plain = FrontEnd(FS_HZ, 1, highpass_hz=1.0, lowpass_hz=14000.0, filter_order=1,
                     output_swing_mV=100.0)
    y_plain = plain.process(x)[:, 0]
    y = fe.process(x)[:, 0]
    last_clip = np.flatnonzero(np.abs(y_plain) >= 100.0).max()
    assert fe.recovery_samples == 30
    held = np.flatnonzero(y != y_plain)
    np.testing.assert_array_equal(held, np.arange(last_clip + 1, last_clip + 31))
    assert np.all(np.abs(y[held]) == 100.0)
    assert fe.num_saturated_samples[0] == plain.num_saturated_samples[0] + 30
    # chunked == one shot
    fe2 = FrontEnd(FS_HZ, 1, highpass_hz=1.0, lowpass_hz=14000.0, filter_order=1,
                   output_swing_mV=100.0, recovery_s=1e-3)
    parts = np.concatenate([fe2.process(x[a:a + 7]) for a in range(0, 400, 7)])
    np.testing.assert_array_equal(parts[:, 0], y)


def test_front_end_with_input_noise_rms_and_chunks():
    """White 0.03 µV/√Hz (3 µV rms over 10 kHz) through a 300-6000 Hz band-pass, gain 1000:
    output rms = 1e-3 x 0.03 x sqrt(ENBW) mV with ENBW from the filter's |H|^2 integral."""
    en = 0.03
    fe = FrontEnd(FS_HZ, 4, input_noise=AmplifierNoise(4, FS_HZ, en, seed=1))
    y = fe.process(np.zeros((300_000, 4)))
    w, h = signal.sosfreqz(fe.sos, worN=1 << 16, fs=FS_HZ)
    enbw = np.trapezoid(np.abs(h) ** 2, w)
    assert np.std(y[3000:]) == pytest.approx(1e-3 * 1000 * en * np.sqrt(enbw) * 1e-3 * 1e3,
                                             rel=0.01)
    fe.reset()
    again = np.concatenate([fe.process(np.zeros((n, 4))) for n in (1000, 2000)])
    np.testing.assert_array_equal(again, y[:3000])


def test_lfp_path_corners_rate_and_chunks():
    lfp = LFPPath(FS_HZ, 2, filter_order=2, decimation=12)
    assert lfp.fs_out_hz == 2500.0
    _, h = signal.sosfreqz(lfp.sos, worN=[0.5, 500.0], fs=FS_HZ)
    np.testing.assert_allclose(20 * np.log10(np.abs(h)), 10 * np.log10(0.5), atol=1e-6)
    x = np.random.default_rng(0).normal(size=(30000, 2))
    y = lfp.process(x)
    assert y.shape == (2500, 2)
    ref = signal.sosfilt(lfp.sos, x, axis=0)[::12]
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)
    lfp.reset()
    parts = np.concatenate([lfp.process(x[a:a + 1001]) for a in range(0, 30000, 1001)])
    np.testing.assert_array_equal(parts, y)


def test_neuropixels_mux_schedule():
    """NP 1.0: 32 ADCs x 12 channels; channels 2j, 2j+1 share slot j mod 12, offset slot/(12 fs)."""
    adc = ADC(bits=10, fs_hz=FS_HZ, channels_per_adc=12, mux_scheme="neuropixels")
    off = adc.sample_offsets_s(384)
    c = np.arange(384)
    np.testing.assert_allclose(off, ((c % 24) // 2) / (12 * FS_HZ), rtol=0, atol=1e-18)
    assert off[22] == off[23] == pytest.approx(11 / (12 * FS_HZ))
    assert off[24] == 0.0 and adc.conversion_rate_hz == 12 * FS_HZ
    # NP 2.0 24 x 16, contiguous scheme: 16 slots per ADC
    off2 = mux_sample_offsets_s(384, FS_HZ, 16)
    np.testing.assert_allclose(off2 * FS_HZ * 16, c % 16, atol=1e-9)
    assert np.unique(off).size == 12 and np.unique(off2).size == 16


def test_mux_skew_equals_schedule():
    """A ramp x[n] = n sampled with skew: y[n] - (n - 1) = tau_c fs exactly; a 1 kHz sine is
    delayed by tau_c (phase 2 pi f tau_c) up to the linear-interpolation bound T^2 max|x''| / 8 = (pi f T)^2 / 2 = 0.548 %."""
    off = mux_sample_offsets_s(24, FS_HZ, 12, "neuropixels")
    skew = MuxSkew(FS_HZ, off)
    n = np.arange(100, dtype=float)
    y = skew.process(np.repeat(n[:, None], 24, axis=1))
    np.testing.assert_allclose(y[1:] - (n[1:, None] - 1), np.broadcast_to(off * FS_HZ, (99, 24)),
                               atol=1e-9)
    skew.reset()
    t = np.arange(3000) / FS_HZ
    x = np.repeat(np.sin(2 * np.pi * 1000.0 * t)[:, None], 24, axis=1)
    parts = np.concatenate([skew.process(x[a:a + 250]) for a in range(0, 3000, 250)])
    ideal = np.sin(2 * np.pi * 1000.0 * ((np.arange(3000)[:, None] - 1) / FS_HZ + off))
    bound = (np.pi * 1000.0 / FS_HZ) ** 2 / 2
    assert np.max(np.abs(parts[1:] - ideal[1:])) <= bound * (1 + 1e-9)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: FrontEnd(FS_HZ, 1, recovery_s=2.0), ValueError, r"recovery_s must be in \[0, 1\] s"),
    (lambda: FrontEnd(FS_HZ, 1, input_noise=3.0), TypeError,
     r"input_noise must be an AmplifierNoise or None"),
    (lambda: FrontEnd(FS_HZ, 2, input_noise=AmplifierNoise(3, FS_HZ, 0.1)), ValueError,
     r"input_noise must have num_channels = 2"),
    (lambda: LFPPath(FS_HZ, 1, lowpass_hz=1300.0), ValueError,
     r"lowpass_hz must be in \(0, 1250\) Hz"),
    (lambda: LFPPath(FS_HZ, 1, decimation=0), ValueError, r"decimation must be in \[1, 10000\]"),
    (lambda: ADC(channels_per_adc=0), ValueError, r"channels_per_adc must be in \[1, 1024\]"),
    (lambda: ADC(mux_scheme="random"), ValueError, r"scheme must be one of"),
    (lambda: MuxSkew(FS_HZ, [0.0, 1.0 / FS_HZ]), ValueError, r"offsets_s must be in \[0, 1/fs_hz\)"),
    (lambda: MuxSkew(FS_HZ, [0.0]).process(np.zeros((3, 2))), ValueError,
     r"x must have shape \(any, 1\)"),
])
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
