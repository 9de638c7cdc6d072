"""Stimulation: Shannon k, refusal, charge balance, artefact, blanking."""

import math

import numpy as np
import pytest

from chip_models import (
    ADC,
    BiphasicPulse,
    FrontEnd,
    MADThresholdDetector,
    blank_samples,
    pulse_sample_indices,
    shannon_k,
    stimulation_artefact_uV,
)

FS_HZ = 30000.0


def test_shannon_k_worked_example():
    # 100 µA x 200 µs = 0.02 µC on 2000 µm² = 2e-5 cm²: D = 1000 µC/cm², k = 3 + log10(0.02)
    pulse = BiphasicPulse(100.0, 200.0, 50.0, 100.0, 2000.0)
    assert pulse.charge_uC_per_phase == pytest.approx(0.02)
    assert pulse.charge_density_uC_per_cm2 == pytest.approx(1000.0)
    assert pulse.shannon_k == pytest.approx(3.0 + math.log10(0.02)) == pytest.approx(1.30103)
    assert shannon_k(0.02, 2e-5) == pytest.approx(pulse.shannon_k)
    assert pulse.net_charge_uC() == 0.0 and pulse.duration_us == 450.0


def test_refusal_above_limit_names_values():
    # 1 mA x 200 µs = 0.2 µC on 2000 µm²: D = 1e4, k = 4 + log10(0.2) = 3.30 > 1.75
    with pytest.raises(ValueError, match=r"stimulation refused: Shannon k = 3\.301 exceeds "
                                         r"k_limit = 1\.75 \(charge 0\.2 µC/phase, density 1e\+04"):
        BiphasicPulse(1000.0, 200.0, 50.0, 100.0, 2000.0)
    # between the default limit and the damage line: 385 µA x 200 µs = 0.077 µC on 10 000 µm²
    # (1e-4 cm²): k = log10(770) + log10(0.077) = 1.773, refused by default, allowed at 1.85
    q = 0.077
    k = math.log10(q / 1e-4) + math.log10(q)
    assert 1.75 < k < 1.85
    with pytest.raises(ValueError, match=r"exceeds k_limit = 1\.75"):
        BiphasicPulse(385.0, 200.0, 0.0, 50.0, 10000.0)
    assert BiphasicPulse(385.0, 200.0, 0.0, 50.0, 10000.0, k_limit=1.85).shannon_k == \
        pytest.approx(k)


def test_artefact_shape_and_chunks():
    pulses = np.array([100, 400])
    a = stimulation_artefact_uV(0, 1000, FS_HZ, pulses, [-300.0, -100.0], 1e-3)
    assert a[99, 0] == 0.0 and a[100, 0] == -300.0
    assert a[130, 0] == pytest.approx(-300.0 * math.exp(-1.0))
    assert a[400, 1] == pytest.approx(-100.0 * (1 + math.exp(-10.0)))
    parts = np.concatenate([stimulation_artefact_uV(s, 250, FS_HZ, pulses, [-300.0, -100.0], 1e-3)
                            for s in range(0, 1000, 250)])
    np.testing.assert_allclose(parts, a, rtol=1e-12, atol=1e-12)


def test_blanking_removes_artefact_detections():
    """20 Hz pulses with a -400 µV artefact (tau 0.2 ms) in 5 µV noise: without blanking every
    pulse is detected on every channel; blanking 3 ms after each onset leaves no detection
    within 3 ms of a pulse (the band-pass ringing of a 300 Hz corner decays within ~2 ms)."""
    rng = np.random.default_rng(4)
    n, nch = int(2.0 * FS_HZ), 4
    pulse = BiphasicPulse(20.0, 100.0, 20.0, 20.0, 2000.0)
    onsets = pulse_sample_indices(pulse, FS_HZ, 0.3, 1.6)
    x = rng.normal(0.0, 5.0, (n, nch)) + stimulation_artefact_uV(0, n, FS_HZ, onsets,
                                                                 [-400.0] * nch, 2e-4)
    codes = ADC(bits=12, full_scale_mV=1000.0).convert(FrontEnd(FS_HZ, nch, gain_v_per_v=500.0)
                                                       .process(x))
    window = int(3e-3 * FS_HZ)

    def near(s):
        d = s[:, None] - onsets[None, :]
        return int(np.sum(np.any((d >= 0) & (d < window), axis=1)))

    raw_s, _ = MADThresholdDetector(nch, FS_HZ, calibration_s=0.25).process(codes)
    assert near(raw_s) >= onsets.size * nch
    blanked = blank_samples(codes, 0, onsets, window)
    s, _ = MADThresholdDetector(nch, FS_HZ, calibration_s=0.25).process(blanked)
    assert near(s) == 0
    assert blank_samples(codes[:100], 0, [], 5).base is None  # a copy


@pytest.mark.parametrize("call, exc, match", [
    (lambda: BiphasicPulse(0.0, 100.0, 0.0, 10.0, 1000.0), ValueError,
     r"amplitude_uA must be in \(0, 10000\] µA"),
    (lambda: BiphasicPulse(10.0, 100.0, 0.0, 10.0, 1000.0, k_limit=2.0), ValueError,
     r"k_limit must be in \(0, 1.85\]"),
    (lambda: BiphasicPulse(10.0, 600.0, 0.0, 1000.0, 1000.0), ValueError,
     r"rate_hz too high: the pulse lasts 1200 µs"),
    (lambda: shannon_k(0.0, 1.0), ValueError, r"charge_uC_per_phase must be in \(0, inf\] µC"),
    (lambda: stimulation_artefact_uV(0, 10, FS_HZ, [1], [1.0], 0.0), ValueError,
     r"tau_s must be in \(0, 1\] s"),
    (lambda: blank_samples(np.zeros((3, 1)), 0, [0], -1), ValueError,
     r"blank_samples_after must be >= 0"),
])
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
