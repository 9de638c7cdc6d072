"""Power: amplifier NEF, ADC Walden FoM, digital, radio and the chip summary."""

import dataclasses
import math

import pytest
from scipy import constants

from chip_models import (
    PowerBudget,
    adc_power_uW,
    amplifier_power_uW,
    chip_power,
    digital_power_uW,
    radio_power_uW,
)


def _nef_from_current(current_A, noise_V_rms, bandwidth_hz, temperature_K):
    """NEF definition (Steyaert & Sansen 1987), written independently of the package."""
    kT = constants.Boltzmann * temperature_K
    u_t = kT / constants.elementary_charge
    return noise_V_rms * math.sqrt(2 * current_A / (math.pi * u_t * 4 * kT * bandwidth_hz))


@pytest.mark.parametrize("nef, noise_uV, bw_hz, vdd, temp_K", [
    (2.0, 3.0, 1e4, 1.2, 310.0), (3.5, 5.0, 7e3, 1.8, 300.0), (1.0, 1.0, 1e3, 0.5, 273.15),
    (9.0, 20.0, 2e4, 3.3, 310.0),
])
def test_amplifier_power_round_trip_nef(nef, noise_uV, bw_hz, vdd, temp_K):
    p_uW = amplifier_power_uW(nef, noise_uV, bw_hz, supply_V=vdd, temperature_K=temp_K)
    current_A = p_uW * 1e-6 / vdd
    assert _nef_from_current(current_A, noise_uV * 1e-6, bw_hz, temp_K) == pytest.approx(
        nef, rel=1e-12)


def test_amplifier_power_hand_example():
    # docstring: NEF 2, 3 uV rms, 10 kHz, 310 K -> 3.193 uA -> 3.831 uW at 1.2 V (worked by hand)
    assert amplifier_power_uW(2.0, 3.0, 1e4) == pytest.approx(3.831, abs=5e-4)


def test_amplifier_power_scaling_laws():
    base = amplifier_power_uW(2.0, 4.0, 1e4)
    assert amplifier_power_uW(4.0, 4.0, 1e4) == pytest.approx(4 * base)   # ~ NEF^2
    assert amplifier_power_uW(2.0, 8.0, 1e4) == pytest.approx(base / 4)   # ~ 1/V_ni^2
    assert amplifier_power_uW(2.0, 4.0, 2e4) == pytest.approx(2 * base)   # ~ BW
    assert amplifier_power_uW(2.0, 4.0, 1e4, temperature_K=620.0) == pytest.approx(4 * base)


def test_amplifier_power_plausible_against_neuralink():
    # N1 (2019): 5.2 uW per analog pixel; NEF ~3, ~5 uV rms over ~10 kHz at 1.2 V should land
    # within a factor 2 of it (amplifier only, so at or below).
    p = amplifier_power_uW(3.0, 5.0, 1e4)
    assert 5.2 / 2 < p < 5.2


def test_adc_walden():
    assert adc_power_uW(25.0, 10, 20000.0) == pytest.approx(0.512, rel=1e-12)
    assert adc_power_uW(25.0, 11, 20000.0) == pytest.approx(2 * 0.512, rel=1e-12)


def test_digital_and_radio():
    assert digital_power_uW(3.0, 30000.0, 1.0) == pytest.approx(0.09, rel=1e-12)
    assert digital_power_uW(0.0, 30000.0, 1.0) == 0.0
    # IR-UWB ~5.8 pJ/bit: 1 Mbit/s -> 5.8 uW; 200 Mbit/s raw -> 1.16 mW
    assert radio_power_uW(1e6, 5.8) == pytest.approx(5.8, rel=1e-12)
    assert radio_power_uW(204.8e6, 5.8) == pytest.approx(1187.84, rel=1e-12)


def test_chip_power_sums_blocks():
    n = 1024
    b = chip_power(n, 20000.0, 10, nef=2.0, noise_uV_rms=3.0, bandwidth_hz=1e4,
                   adc_fom_fJ_per_step=25.0, detector_ops_per_sample=3.0, energy_pJ_per_op=1.0,
                   radio_bit_rate_bps=1e6, radio_energy_pJ_per_bit=5.8)
    assert isinstance(b, PowerBudget)
    assert b.amplifier_uW == pytest.approx(n * amplifier_power_uW(2.0, 3.0, 1e4))
    assert b.adc_uW == pytest.approx(n * 0.512)
    assert b.digital_uW == pytest.approx(n * 3 * 20000 * 1e-12 * 1e6)
    assert b.radio_uW == pytest.approx(5.8)
    assert b.total_uW == pytest.approx(b.amplifier_uW + b.adc_uW + b.digital_uW + 5.8)
    assert b.total_mW == pytest.approx(b.total_uW / 1000)
    assert b.per_channel_uW == pytest.approx(b.total_uW / n)
    d = b.as_dict()
    assert set(d) == {"amplifier_uW", "adc_uW", "digital_uW", "radio_uW", "num_channels",
                      "static_uW", "clock_uW", "total_uW", "total_mW", "per_channel_uW"}
    assert d["num_channels"] == n and d["total_mW"] == b.total_mW
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.radio_uW = 0.0
    # supply voltage reaches the amplifier
    b2 = chip_power(n, 20000.0, 10, 2.0, 3.0, 1e4, 25.0, 3.0, 1.0, 1e6, 5.8, supply_V=2.4)
    assert b2.amplifier_uW == pytest.approx(2 * b.amplifier_uW)


@pytest.mark.parametrize("call, match", [
    (lambda: amplifier_power_uW(0.0, 3.0, 1e4), r"nef must be in \(0, 100\]"),
    (lambda: amplifier_power_uW(2.0, 0.0, 1e4), r"noise_uV_rms must be in \(0, 10000\] µV rms"),
    (lambda: amplifier_power_uW(2.0, 3.0, -1.0), r"bandwidth_hz must be in \(0, 1e\+07\] Hz"),
    (lambda: amplifier_power_uW(2.0, 3.0, 1e4, supply_V=0.0), r"supply_V must be in \(0, 10\] V"),
    (lambda: amplifier_power_uW(2.0, 3.0, 1e4, temperature_K=0.0),
     r"temperature_K must be in \(0, 1000\] K"),
    (lambda: adc_power_uW(0.0, 10, 2e4), r"fom_fJ_per_step must be in \(0, 1e\+06\] fJ/step"),
    (lambda: adc_power_uW(25.0, 0, 2e4), r"bits must be in \[1, 32\]"),
    (lambda: adc_power_uW(25.0, 10, 0.0), r"fs_hz must be in \(0, 1e\+09\] Hz"),
    (lambda: digital_power_uW(-1.0, 2e4, 1.0), r"ops_per_sample must be in \[0, inf\] ops/sample"),
    (lambda: digital_power_uW(3.0, 0.0, 1.0), r"fs_hz must be in \(0, 1e\+09\] Hz"),
    (lambda: digital_power_uW(3.0, 2e4, -1.0), r"energy_pJ_per_op must be in \[0, inf\] pJ/op"),
    (lambda: radio_power_uW(-1.0, 5.8), r"bit_rate_bps must be in \[0, inf\] bit/s"),
    (lambda: radio_power_uW(1e6, -5.8), r"energy_pJ_per_bit must be in \[0, inf\] pJ/bit"),
    (lambda: chip_power(0, 2e4, 10, 2.0, 3.0, 1e4, 25.0, 3.0, 1.0, 1e6, 5.8),
     r"num_channels must be in \[1, inf\]"),
])
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
