"""chip_report: one flat dict with consistent numbers."""

import pytest

from chip_models import (
    chip_power,
    chip_report,
    implant_temperature_rise_K,
    mode_rates_bps,
)


def _report(**kw):
    rates = mode_rates_bps(5.0, 1024, 20000.0, 10, num_events=51200)
    power = chip_power(1024, 20000.0, 10, 2.5, 3.0, 5700.0, 25.0, 3.0, 1.0,
                       rates["events"], 50.0)
    args = dict(num_channels=1024, fs_hz=20000.0, highpass_hz=300.0, lowpass_hz=6000.0, bits=10,
                detector_kind="mad_threshold", output_mode="events", rates_bps=rates,
                link_capacity_bps=1e6, power=power, detection_scores={"f1": 0.9})
    args.update(kw)
    return chip_report(**args), rates, power


def test_report_numbers():
    rep, rates, power = _report()
    assert rep["rate_raw_bps"] == pytest.approx(204.8e6)       # Neuralink raw
    assert rep["offered_rate_bps"] == rates["events"] == pytest.approx(51200 * 25 / 5.0)
    assert rep["fits_link"] and rep["link_utilisation"] == pytest.approx(0.256)
    assert rep["power_total_mW"] == pytest.approx(power.total_mW)
    assert rep["temperature_rise_K"] == pytest.approx(
        implant_temperature_rise_K(power.total_mW, (4.0, 4.0)))
    assert rep["detection_f1"] == 0.9 and rep["bandwidth_hz"] == 5700.0
    raw, _, _ = _report(output_mode="raw")
    assert not raw["fits_link"]


@pytest.mark.parametrize("kw, exc, match", [
    (dict(power=1.0), TypeError, r"power must be a PowerBudget"),
    (dict(output_mode="compressed"), ValueError, r"mode 'compressed' has no rate"),
    (dict(link_capacity_bps=0.0), ValueError, r"link_capacity_bps must be in \(0, inf\]"),
])
def test_errors(kw, exc, match):
    with pytest.raises(exc, match=match):
        _report(**kw)
