"""MADThresholdDetector: calibration, detection times, dead time, false-positive rate, chunks."""

import numpy as np
import pytest
from scipy import stats

from chip_models import ADC, MADThresholdDetector

FS_HZ = 30000.0


def _run_chunked(det, x, edges):
    samples, chans = [], []
    for a, b in zip(edges[:-1], edges[1:]):
        s, c = det.process(x[a:b])
        samples.append(s)
        chans.append(c)
    return np.concatenate(samples), np.concatenate(chans)


def _alternating_calibration(num_samples, num_channels):
    """|x| = 1 everywhere: median(|x|) = 1 exactly, so sigma = 1 / 0.6745."""
    sign = np.where(np.arange(num_samples) % 2 == 0, 1.0, -1.0)
    return np.repeat(sign[:, None], num_channels, axis=1)


@pytest.fixture
def generate_spike_recording():
    """Gaussian noise (sigma 10) with known negative spikes; returns x, expected events."""
    rng = np.random.default_rng(42)
    num_samples, num_channels = int(1.5 * FS_HZ), 4
    x = rng.normal(0.0, 10.0, size=(num_samples, num_channels))
    shape = np.array([-150.0, -200.0, -150.0, -80.0, -20.0, 30.0, 40.0, 20.0])
    cal = int(0.25 * FS_HZ)
    expected = []
    for c in range(num_channels):
        times = np.arange(cal + 300 + 37 * c, num_samples - 100, 3000)
        for t in times:
            x[t:t + shape.size, c] += shape
            expected.append((t, c))
            # a second spike inside the 1 ms (30 sample) dead time: must not be detected
            x[t + 15:t + 15 + shape.size, c] += shape
        x[1000 + c:1000 + c + shape.size, c] += shape  # inside calibration: never reported
    expected.sort()
    return x, np.array(expected)


def test_known_spikes_detected_at_their_times(generate_spike_recording):
    x, expected = generate_spike_recording
    # k = 6 on Gaussian noise: false-positive probability 1e-9 per sample, so none expected
    det = MADThresholdDetector(4, FS_HZ, threshold_k=6.0, dead_time_s=1e-3)
    assert np.all(np.isnan(det.threshold)) and np.all(np.isnan(det.sigma))
    s, c = det.process(x)
    assert s.dtype == np.int64 and c.dtype == np.int32
    np.testing.assert_array_equal(np.column_stack([s, c]), expected)
    # MAD of 7500 Gaussian samples: relative s.e. ~1.17/sqrt(7500) = 1.3 %; spikes add a bias
    # below 1 %: 6 % covers both with > 3 standard errors.
    np.testing.assert_allclose(det.sigma, 10.0, rtol=0.06)
    np.testing.assert_allclose(det.threshold, 6.0 * det.sigma, rtol=1e-15)


def test_works_on_adc_codes(generate_spike_recording):
    x, expected = generate_spike_recording
    adc = ADC(bits=10, full_scale_mV=1000.0)  # 1.95 mV LSB; x treated as mV
    codes = adc.convert(x)
    det = MADThresholdDetector(4, FS_HZ, threshold_k=6.0)
    s, c = det.process(codes)
    np.testing.assert_array_equal(np.column_stack([s, c]), expected)


def test_sorted_by_sample_then_channel():
    x = np.concatenate([_alternating_calibration(100, 3), np.full((5, 3), -100.0)])
    det = MADThresholdDetector(3, 1000.0, calibration_s=0.1, dead_time_s=0.002)
    s, c = det.process(x)
    np.testing.assert_array_equal(s, [100, 100, 100, 103, 103, 103])
    np.testing.assert_array_equal(c, [0, 1, 2, 0, 1, 2])


@pytest.mark.parametrize("polarity, level, expect_hit", [
    ("negative", -10.0, True), ("negative", 10.0, False),
    ("positive", 10.0, True), ("positive", -10.0, False),
    ("both", 10.0, True), ("both", -10.0, True),
])
def test_dead_time_exact_and_polarity(polarity, level, expect_hit):
    # threshold = 4.5 / 0.6745 = 6.67; a constant level of +/-10 fires every D + 1 samples.
    fs_hz, dead_s, cal = 1000.0, 0.004, 50
    det = MADThresholdDetector(2, fs_hz, dead_time_s=dead_s, calibration_s=cal / fs_hz,
                               polarity=polarity)
    x = np.concatenate([_alternating_calibration(cal, 2), np.full((200, 2), level)])
    edges = np.concatenate([[0, 1, 3], np.arange(5, x.shape[0], 7), [x.shape[0]]])
    s, c = _run_chunked(det, x, edges)
    np.testing.assert_allclose(det.threshold, 4.5 / 0.6745)
    if not expect_hit:
        assert s.size == 0
        return
    d = round(dead_s * fs_hz)
    times = np.arange(cal, cal + 200, d + 1)
    np.testing.assert_array_equal(s, np.repeat(times, 2))
    np.testing.assert_array_equal(c, np.tile([0, 1], times.size))


def test_zero_dead_time_fires_every_sample():
    det = MADThresholdDetector(1, 1000.0, dead_time_s=0.0, calibration_s=0.01)
    x = np.concatenate([_alternating_calibration(10, 1), np.full((20, 1), -50.0)])
    s, _ = det.process(x)
    np.testing.assert_array_equal(s, np.arange(10, 30))


def test_chunks_of_777_equal_one_shot():
    rng = np.random.default_rng(11)
    x = rng.normal(0.0, 1.0, size=(40000, 5))
    x[::997] -= 8.0
    one = MADThresholdDetector(5, FS_HZ, threshold_k=4.0, calibration_s=0.25)
    s1, c1 = one.process(x)
    assert s1.size > 100
    chunked = MADThresholdDetector(5, FS_HZ, threshold_k=4.0, calibration_s=0.25)
    edges = np.concatenate([np.arange(0, x.shape[0], 777), [x.shape[0]]])
    s2, c2 = _run_chunked(chunked, x, edges)  # calibration (7500 samples) spans 10 chunks
    np.testing.assert_array_equal(s2, s1)
    np.testing.assert_array_equal(c2, c1)
    np.testing.assert_array_equal(chunked.threshold, one.threshold)
    assert chunked.samples_seen == x.shape[0]
    chunked.reset()
    assert not chunked.calibrated and chunked.samples_seen == 0


def test_false_positive_rate_k45_on_gaussian_noise():
    """Rate on N(0,1) noise vs fs p / (1 + p D), p = Phi(-theta) for the calibrated theta."""
    num_channels, fs_hz = 8, FS_HZ
    det = MADThresholdDetector(num_channels, fs_hz, threshold_k=4.5, calibration_s=1.0)
    rng = np.random.default_rng(2024)
    chunk, num_chunks = 500_000, 24   # 12e6 samples per channel = 400 s
    counts = np.zeros(num_channels)
    for _ in range(num_chunks):
        _, c = det.process(rng.standard_normal((chunk, num_channels)))
        counts += np.bincount(c, minlength=num_channels)
    # MAD sigma from 30000 samples: relative s.e. 1.17/sqrt(3e4) = 0.7 %; 4 s.e. = 2.8 %
    np.testing.assert_allclose(det.sigma, 1.0, rtol=0.028)
    p = stats.norm.cdf(-det.threshold)
    armed = chunk * num_chunks - det.calibration_samples
    expected = armed * p / (1 + p * det.dead_samples)
    # counts are (slightly sub-) Poisson: 5 standard deviations of the total
    total, exp_total = counts.sum(), expected.sum()
    assert exp_total > 200
    assert abs(total - exp_total) < 5 * np.sqrt(exp_total)
    # and against the nominal Phi(-4.5) within the calibration uncertainty of the threshold
    nominal = armed * num_channels * stats.norm.cdf(-4.5)
    assert 0.6 * nominal < total < 1.6 * nominal


def test_dead_time_renewal_rate_at_low_threshold():
    """k = 1.5, 'both': p ~ 0.13, D = 30 -> rate reduced ~5x by the dead time (renewal law)."""
    fs_hz = FS_HZ
    det = MADThresholdDetector(4, fs_hz, threshold_k=1.5, polarity="both", calibration_s=0.5)
    x = np.random.default_rng(9).standard_normal((int(10 * fs_hz), 4))
    _, c = det.process(x)
    counts = np.bincount(c, minlength=4)
    p = 2 * stats.norm.cdf(-det.threshold)
    d = det.dead_samples
    armed = x.shape[0] - det.calibration_samples
    mean_cycle = 1 / p + d
    expected = armed / mean_cycle
    # renewal CLT: var(count) = armed * var(cycle) / mean(cycle)^3, var(cycle) = (1 - p) / p^2
    sd = np.sqrt(armed * (1 - p) / p ** 2 / mean_cycle ** 3)
    assert np.all(np.abs(counts - expected) < 5 * sd)
    assert np.all(expected < 0.3 * armed * p)  # the dead time matters here


def test_ops_per_sample_documented_value():
    assert MADThresholdDetector(1, FS_HZ).ops_per_sample == 3.0


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(num_channels=0), ValueError, r"num_channels must be in \[1, inf\]"),
    (dict(fs_hz=0.0), ValueError, r"fs_hz must be in \(0, 1e\+06\] Hz"),
    (dict(threshold_k=0.0), ValueError, r"threshold_k must be in \(0, 100\]"),
    (dict(dead_time_s=-1e-3), ValueError, r"dead_time_s must be in \[0, 1\] s"),
    (dict(calibration_s=0.0), ValueError, r"calibration_s must be in \(0, 3600\] s"),
    (dict(calibration_s=1e-6), ValueError, r"calibration_s \* fs_hz must give at least 1"),
    (dict(polarity="up"), ValueError, r"polarity must be one of \['negative', 'positive', 'both'\]"),
])
def test_constructor_errors(kwargs, exc, match):
    args = dict(num_channels=2, fs_hz=FS_HZ)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        MADThresholdDetector(**args)


def test_process_errors():
    det = MADThresholdDetector(2, FS_HZ)
    with pytest.raises(ValueError, match=r"x must have shape \(any, 2\)"):
        det.process(np.zeros((10, 3)))
    with pytest.raises(TypeError, match=r"x must hold integer codes or floats, got dtype bool"):
        det.process(np.zeros((10, 2), dtype=bool))
    with pytest.raises(ValueError, match=r"x must be finite"):
        det.process(np.full((10, 2), np.nan))


# -- quantisation floor (issue 13, item 8) ----------------------------------------------------

def test_noise_estimate_of_a_coarsely_quantised_signal_is_the_quantisation_noise():
    """Analog noise 0.2 LSB: nearly every code is 0, median|x| = 0; the estimate is 1/sqrt(12) LSB."""
    from chip_models import RMSThresholdDetector

    rng = np.random.default_rng(3)
    codes = np.round(rng.normal(0.0, 0.2, size=(int(0.25 * FS_HZ), 3))).astype(np.int16)
    assert np.median(np.abs(codes)) == 0  # the case of the 6-bit ADC: MAD alone gives 0
    unfloored = MADThresholdDetector(3, FS_HZ, threshold_k=4.5)
    unfloored.process(codes)
    np.testing.assert_array_equal(unfloored.sigma, 0.0)
    det = MADThresholdDetector(3, FS_HZ, threshold_k=4.5, quantisation_step=1.0)
    det.process(codes)
    np.testing.assert_allclose(det.sigma, 1.0 / np.sqrt(12.0), rtol=1e-12)
    np.testing.assert_allclose(det.threshold, 4.5 / np.sqrt(12.0), rtol=1e-12)
    # RMS of the codes: P(|code| = 1) = 2 P(x > 0.5 LSB) = 1.2 % -> rms 0.11 LSB, below the floor
    rms = RMSThresholdDetector(3, FS_HZ, threshold_k=4.5, quantisation_step=1.0)
    rms.process(codes)
    np.testing.assert_allclose(rms.rms, 1.0 / np.sqrt(12.0), rtol=1e-12)


@pytest.mark.parametrize("sigma_lsb", [0.5, 1.0, 5.0])
def test_noise_estimate_of_quantised_gaussian_noise_is_unbiased(sigma_lsb):
    """Codes of N(0, sigma): the estimate on the quantiser's bins recovers sigma.

    Its sampling error: F(k) has s.d. sqrt(F(1-F)/n) <= 0.006 for n = 7500, which moves sigma by
    at most ~2 % (z = (k+1/2)/sigma between 0.6 and 1.2): tolerance 6 %. The plain MAD gives 0
    at 0.5 LSB (median|code| = 0, as P(|x| < 0.5 LSB) = 0.68) and 3/0.6745 = 4.45 at 5 LSB.
    """
    from chip_models.detection import quantised_mad_sigma

    rng = np.random.default_rng(int(sigma_lsb * 10))
    codes = np.round(rng.normal(0.0, sigma_lsb, size=(int(0.25 * FS_HZ), 3)))
    det = MADThresholdDetector(3, FS_HZ, quantisation_step=1.0)
    det.process(codes)
    np.testing.assert_allclose(det.sigma, sigma_lsb, rtol=0.06)
    # in other units: the same estimate times the step (40 uV per code)
    np.testing.assert_allclose(quantised_mad_sigma(codes * 40.0, 40.0), det.sigma * 40.0, rtol=1e-12)
    plain = MADThresholdDetector(3, FS_HZ)
    plain.process(codes)
    assert np.all(plain.sigma == 0.0) if sigma_lsb == 0.5 else np.all(plain.sigma > 0)


def test_noise_estimate_when_every_sample_is_one_code_is_the_quantisation_noise():
    from chip_models.detection import quantised_mad_sigma

    np.testing.assert_allclose(quantised_mad_sigma(np.zeros((100, 2)), 2.0), 2.0 / np.sqrt(12.0))


@pytest.mark.parametrize("step", [0.0, -1.0, float("nan")])
def test_quantisation_step_must_be_positive(step):
    from chip_models import RMSThresholdDetector

    with pytest.raises(ValueError, match=r"quantisation_step must be in \(0"):
        MADThresholdDetector(2, FS_HZ, quantisation_step=step)
    with pytest.raises(ValueError, match=r"quantisation_step must be in \(0"):
        RMSThresholdDetector(2, FS_HZ, quantisation_step=step)
