"""FrontEnd: Butterworth band-pass, gain, clipping and chunk independence."""

import numpy as np
import pytest
from scipy import signal

from chip_models import FrontEnd

FS_HZ = 30000.0
HP_HZ = 300.0
LP_HZ = 6000.0
MINUS_3DB = 10 * np.log10(0.5)  # -3.0103 dB


def _sine_amplitude(y, f_hz, fs_hz):
    """Least-squares amplitude of a sinusoid at f_hz in y (1-D), with an offset term."""
    t = np.arange(y.size) / fs_hz
    basis = np.column_stack([np.sin(2 * np.pi * f_hz * t), np.cos(2 * np.pi * f_hz * t),
                             np.ones_like(t)])
    coef, *_ = np.linalg.lstsq(basis, y, rcond=None)
    return np.hypot(coef[0], coef[1])


def _digital_centre_hz(hp_hz, lp_hz, fs_hz):
    """Frequency of unit gain of a bilinear Butterworth band-pass: geometric mean of the
    pre-warped corners, mapped back."""
    w1, w2 = np.tan(np.pi * hp_hz / fs_hz), np.tan(np.pi * lp_hz / fs_hz)
    return fs_hz / np.pi * np.arctan(np.sqrt(w1 * w2))


@pytest.fixture
def generate_noise_uV():
    rng = np.random.default_rng(1234)
    return rng.normal(0.0, 50.0, size=(20000, 3))


def test_sos_equals_scipy_butter():
    fe = FrontEnd(FS_HZ, 2, filter_order=3)
    ref = signal.butter(3, [HP_HZ, LP_HZ], "bandpass", fs=FS_HZ, output="sos")
    np.testing.assert_array_equal(fe.sos, ref)


def test_magnitude_by_sine_waves_corners_and_passband():
    gain = 200.0
    f_centre = _digital_centre_hz(HP_HZ, LP_HZ, FS_HZ)
    freqs = np.array([HP_HZ, f_centre, LP_HZ])
    fe = FrontEnd(FS_HZ, freqs.size, gain_v_per_v=gain)
    amp_uV = 100.0  # 100 uV * 200 = 20 mV, far from the 1000 mV rails
    t = np.arange(int(0.5 * FS_HZ)) / FS_HZ
    x = amp_uV * np.sin(2 * np.pi * freqs[None, :] * t[:, None])
    y_mV = fe.process(x).astype(np.float64)
    steady = y_mV[int(0.3 * FS_HZ):]  # transients of a 300 Hz corner have died out by 0.3 s
    gains = np.array([_sine_amplitude(steady[:, c], f, FS_HZ) for c, f in enumerate(freqs)])
    gains_v_per_v = gains * 1e3 / amp_uV
    db = 20 * np.log10(gains_v_per_v / gain)
    assert db[0] == pytest.approx(MINUS_3DB, abs=0.1)
    assert db[2] == pytest.approx(MINUS_3DB, abs=0.1)
    # float32 output (~1e-7) and finite fit window: 1e-4 relative is generous
    assert gains_v_per_v[1] == pytest.approx(gain, rel=1e-4)
    assert fe.num_saturated_samples.sum() == 0


def test_magnitude_by_sosfreqz_exact_corners():
    fe = FrontEnd(FS_HZ, 1, highpass_hz=500.0, lowpass_hz=5000.0, filter_order=4)
    _, h = signal.sosfreqz(fe.sos, worN=[500.0, 5000.0], fs=FS_HZ)
    np.testing.assert_allclose(20 * np.log10(np.abs(h)), MINUS_3DB, atol=1e-6)


def test_saturation_clips_exactly_at_rails():
    swing = 250.0
    fe = FrontEnd(FS_HZ, 1, gain_v_per_v=1000.0, output_swing_mV=swing)
    assert fe.input_range_uV == pytest.approx(250.0)
    t = np.arange(6000) / FS_HZ
    x = 2000.0 * np.sin(2 * np.pi * 1000.0 * t)[:, None]  # ~8x the input range
    y = fe.process(x)
    assert y.dtype == np.float32
    assert y.max() == np.float32(swing)
    assert y.min() == np.float32(-swing)
    unclipped_mV = signal.sosfilt(fe.sos, x, axis=0) * 1000.0 * 1e-3
    assert fe.num_saturated_samples[0] == np.count_nonzero(np.abs(unclipped_mV) > swing)
    fe.reset()
    assert fe.num_saturated_samples[0] == 0


def test_chunked_equals_one_shot_bitwise(generate_noise_uV):
    x = generate_noise_uV * 40.0  # large enough to saturate sometimes
    one = FrontEnd(FS_HZ, 3, output_swing_mV=2000.0)
    y_one = one.process(x)
    assert one.num_saturated_samples.sum() > 0
    chunked = FrontEnd(FS_HZ, 3, output_swing_mV=2000.0)
    rng = np.random.default_rng(7)
    edges = np.unique(np.concatenate([[0, 1, 2, 9], rng.integers(0, x.shape[0], 30),
                                      np.arange(0, x.shape[0], 777), [x.shape[0]]]))
    parts = [chunked.process(x[a:b]) for a, b in zip(edges[:-1], edges[1:])]
    parts.append(chunked.process(x[:0]))
    np.testing.assert_array_equal(np.concatenate(parts), y_one)
    np.testing.assert_array_equal(chunked.num_saturated_samples, one.num_saturated_samples)


def test_process_equals_scipy_sosfilt_gain_clip(generate_noise_uV):
    """The Numba cascade against scipy's sosfilt (peer implementation), then gain and clip."""
    x = (generate_noise_uV * 20.0).astype(np.float32)  # float32 input is accepted
    fe = FrontEnd(FS_HZ, 3, gain_v_per_v=500.0, filter_order=4, output_swing_mV=800.0)
    ref_sos = signal.butter(4, [HP_HZ, LP_HZ], "bandpass", fs=FS_HZ, output="sos")
    unclipped_mV = signal.sosfilt(ref_sos, x.astype(np.float64), axis=0) * 500.0 * 1e-3
    expect = np.clip(unclipped_mV, -800.0, 800.0)
    y = fe.process(x)
    # float32 output: half an ulp is 6e-8 relative
    np.testing.assert_allclose(y, expect, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(fe.num_saturated_samples,
                                  np.count_nonzero(np.abs(unclipped_mV) > 800.0, axis=0))
    assert fe.num_saturated_samples.sum() > 0


def test_reset_restarts_stream(generate_noise_uV):
    fe = FrontEnd(FS_HZ, 3)
    y1 = fe.process(generate_noise_uV)
    fe.reset()
    np.testing.assert_array_equal(fe.process(generate_noise_uV), y1)


def test_filter_uV_matches_scipy_and_leaves_stream_state(generate_noise_uV):
    x = generate_noise_uV
    fe = FrontEnd(FS_HZ, 3)
    ref = FrontEnd(FS_HZ, 3)
    y_ref = ref.process(x)
    y_a = fe.process(x[:5000])
    templates = np.random.default_rng(3).normal(size=(4, 90, 3))
    filt = fe.filter_uV(templates, axis=1)
    y_b = fe.process(x[5000:])
    np.testing.assert_array_equal(np.concatenate([y_a, y_b]), y_ref)
    expect = signal.sosfilt(signal.butter(2, [HP_HZ, LP_HZ], "bandpass", fs=FS_HZ,
                                          output="sos"), templates, axis=1)
    np.testing.assert_array_equal(filt, expect)
    one_d = fe.filter_uV(templates[0, :, 0])
    np.testing.assert_array_equal(one_d, expect[0, :, 0])


@pytest.mark.parametrize("f_hz", [None, 300.0, 1000.0, 5000.0])
def test_group_delay_against_phase_derivative(f_hz):
    fe = FrontEnd(FS_HZ, 1)
    f = np.sqrt(HP_HZ * LP_HZ) if f_hz is None else f_hz
    tau_s = fe.group_delay_s(f_hz)
    df = 0.01
    _, h = signal.sosfreqz(fe.sos, worN=[f - df, f, f + df], fs=FS_HZ)
    phase = np.unwrap(np.angle(h))
    tau_num_s = -(phase[2] - phase[0]) / (2 * np.pi * 2 * df)
    assert 0.0 < tau_s < 5e-3
    assert tau_s == pytest.approx(tau_num_s, rel=1e-5)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(fs_hz=0.0), ValueError, r"fs_hz must be in \(0, 1e\+06\] Hz"),
    (dict(fs_hz=2e6), ValueError, r"fs_hz must be in"),
    (dict(fs_hz="fast"), TypeError, r"fs_hz must be a number"),
    (dict(num_channels=0), ValueError, r"num_channels must be in"),
    (dict(num_channels=2.5), ValueError, r"num_channels must be an integer"),
    (dict(gain_v_per_v=0.5), ValueError, r"gain_v_per_v must be in \[1, 100000\] V/V"),
    (dict(lowpass_hz=0.0), ValueError, r"lowpass_hz must be in \(0, inf\] Hz"),
    (dict(lowpass_hz=15000.0), ValueError, r"Nyquist.*15000 Hz.*got 15000 Hz"),
    (dict(lowpass_hz=20000.0), ValueError, r"Nyquist frequency fs_hz/2 = 15000 Hz"),
    (dict(highpass_hz=6000.0), ValueError, r"highpass_hz must be in \(0, 6000\) Hz"),
    (dict(highpass_hz=0.0), ValueError, r"highpass_hz must be in"),
    (dict(filter_order=9), ValueError, r"filter_order must be in \[1, 8\]"),
    (dict(filter_order=1.5), ValueError, r"filter_order must be an integer"),
    (dict(output_swing_mV=0.0), ValueError, r"output_swing_mV must be in \(0, 100000\] mV"),
])
def test_constructor_errors(kwargs, exc, match):
    args = dict(fs_hz=FS_HZ, num_channels=2)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        FrontEnd(**args)


def test_method_errors():
    fe = FrontEnd(FS_HZ, 2)
    with pytest.raises(ValueError, match=r"x_uV must have shape \(any, 2\)"):
        fe.process(np.zeros((10, 3)))
    with pytest.raises(ValueError, match=r"x_uV must have 2 dimension"):
        fe.process(np.zeros(10))
    with pytest.raises(ValueError, match=r"x_uV must be finite"):
        fe.process(np.full((4, 2), np.nan))
    with pytest.raises(TypeError, match=r"x_uV must be a real array \(µV\), got dtype complex"):
        fe.process(np.zeros((4, 2), dtype=complex))
    with pytest.raises(ValueError, match=r"x_uV must be finite"):
        fe.filter_uV(np.array([0.0, np.inf]))
    with pytest.raises(ValueError, match=r"x_uV must have at least 1 dimension"):
        fe.filter_uV(1.0)
    with pytest.raises(ValueError, match=r"axis must be in \[-2, 1\]"):
        fe.filter_uV(np.zeros((5, 2)), axis=2)
    with pytest.raises(ValueError, match=r"f_hz must be in \(0, 15000\) Hz"):
        fe.group_delay_s(15000.0)
    with pytest.raises(ValueError, match=r"f_hz must be in"):
        fe.group_delay_s(0.0)
