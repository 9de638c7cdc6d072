"""Calibration: the twin's recordings against published numbers (issue 12).

Each quantity a user takes away from a run is checked against its published range (sources in
neurosim.calibration.REFERENCES and docs/references.md), on short runs of the reference devices.
"""

import numpy as np
import pytest

from neurosim.calibration import (DEVICES, NP1_SALINE_NOISE_UV_RMS, REFERENCES, amplifier_noise_from_bench,
                                  bench_noise_uV_rms, calibrate, calibration_design, format_table,
                                  shape_similarity, trough_to_peak_ms)
from neurosim.noise_budget import electrode_band_noise_uV_rms


def test_trough_to_peak_of_a_known_waveform():
    fs = 30000.0
    w = np.zeros(90)
    w[30], w[45], w[10] = -1.0, 0.5, 0.8   # a positive bump before the trough does not count
    (ttp,) = trough_to_peak_ms(w[None, :], fs)
    assert ttp == pytest.approx(15 / fs * 1e3)
    assert np.isnan(trough_to_peak_ms(np.abs(w)[None, :], fs)[0])  # no trough


def test_shape_similarity_closed_forms():
    x = np.sin(np.linspace(0, 2 * np.pi, 64))
    assert shape_similarity(np.stack([x, 2 * x, 3 * x])) == pytest.approx(1.0)
    assert shape_similarity(np.stack([x, -x])) == pytest.approx(-1.0)
    e = np.eye(4)
    assert shape_similarity(e) == pytest.approx(0.0)
    assert np.isnan(shape_similarity(e[:1]))


def test_calibration_design_errors_and_devices():
    with pytest.raises(ValueError, match=r"device must be one of \['neuropixels1', 'utah'\], got 'tetrode'"):
        calibration_design("tetrode")
    np1 = calibration_design("neuropixels1", 2.0)
    assert np1.implant.material == "TiN" and np1.implant.layout == "neuropixels1"
    assert calibration_design("utah").implant.material == "Pt"
    assert set(DEVICES) == set(REFERENCES)


def test_np1_channel_noise_in_saline_is_jun_2017_and_higher_in_tissue():
    """The NP1 reference channel measures Jun et al. 2017's 5.1 uV in saline, and more in tissue.

    The bench number includes the site's thermal noise in saline; in grey matter the site's
    spreading resistance (Newman 1966: 1 / (4 sigma r) for a disc) is 5x larger and adds its
    Johnson noise 4 k T dR df on top: ~4.2 uV over 300 Hz-10 kHz for the 12 x 12 um site.
    """
    kb = 1.380649e-23
    np1 = calibration_design("neuropixels1", 1.0)
    saline = np1.replace(**{"tissue.conductivity_S_per_m": 1.5, "tissue.temperature_K": 298.15})
    assert electrode_band_noise_uV_rms(saline) == pytest.approx(NP1_SALINE_NOISE_UV_RMS, rel=0.01)
    assert bench_noise_uV_rms(np1) == pytest.approx(NP1_SALINE_NOISE_UV_RMS, rel=1e-9)
    # the amplifier left over is well above the 2.4 uV of subtracting the in-tissue thermal noise
    assert 4.0 < np1.chip.front_end.noise_uV_rms < 5.1
    tissue = electrode_band_noise_uV_rms(np1)
    r = 12e-6 / np.sqrt(np.pi)
    d_rs = 1 / (4 * 0.3 * r) - 1 / (4 * 1.5 * r)
    df = np1.chip.front_end.lowpass_hz - np1.chip.front_end.highpass_hz
    added = (tissue ** 2 - NP1_SALINE_NOISE_UV_RMS ** 2) * 1e-12          # V^2
    assert added == pytest.approx(4 * kb * 310.0 * d_rs * df, rel=0.1)


def test_utah_reference_records_the_cerebus_band_and_its_encapsulation_noise():
    """The chronic Utah reference: motor cortex, the Cerebus's spike band, and at day 90 its sites
    carry the Johnson noise of the encapsulation, the series resistance R with |Z0 + R| = F(90) |Z0|
    at 1 kHz (Z0: the bare Pt tip in tissue, F: the chronic rise of |Z|)."""
    from electrode_models import impedance_factor, impedance_spectrum

    kb = 1.380649e-23
    utah = calibration_design("utah", 1.0)
    fe = utah.chip.front_end
    assert (fe.highpass_hz, fe.lowpass_hz) == (250.0, 7500.0)
    assert utah.population.model == "motor_cortex"      # macaque M1 in a task, as published
    z0 = impedance_spectrum("Pt", 20.0, [1000.0], utah.tissue.conductivity_S_per_m)[0]
    f90 = impedance_factor(utah.implant.days_since_implant)
    r_enc = -z0.real + np.sqrt((f90 * abs(z0)) ** 2 - z0.imag ** 2)
    johnson = np.sqrt(4 * kb * 310.0 * r_enc * (fe.lowpass_hz - fe.highpass_hz)) * 1e6
    bare = electrode_band_noise_uV_rms(utah.replace(**{"implant.days_since_implant": 0.0}), amplifier=False)
    chronic = electrode_band_noise_uV_rms(utah, amplifier=False)
    assert 5.0 < johnson < 8.0
    # the median site (its own spread ~1): bare thermal and the encapsulation's add in power; the
    # amplifier's 10 pF input shunts a little of both at the top of the band
    assert chronic == pytest.approx(np.hypot(bare, johnson), rel=0.1)
    # on the bench (saline, 298 K, before implantation) the same channel is the Pt tip's thermal
    # noise in saline, its CPE's closed form (Re Z = cos(n pi/2) |Z_CPE|, |Z_CPE| ~ f^-n) with
    # the saline's spreading resistance, and the amplifier
    from electrode_models.materials import CPE_PARAMS

    q, n = CPE_PARAMS["Pt"]
    area = np.pi * (20e-6) ** 2
    f1, f2 = fe.highpass_hz, fe.lowpass_hz
    re_int = 1 / (4 * 1.5 * 20e-6) * (f2 - f1) + np.cos(n * np.pi / 2) / (q * area * (2 * np.pi) ** n) \
        * (f2 ** (1 - n) - f1 ** (1 - n)) / (1 - n)
    saline = np.sqrt(4 * kb * 298.15 * re_int) * 1e6
    assert bench_noise_uV_rms(utah) == pytest.approx(np.hypot(saline, fe.noise_uV_rms), rel=0.05)


def test_amplifier_noise_from_bench_rejects_impossible_bench_numbers():
    np1 = calibration_design("neuropixels1", 1.0)
    with pytest.raises(ValueError, match=r"bench_noise_uV_rms must exceed the site's thermal noise in saline"):
        amplifier_noise_from_bench(np1, 1.0)
    with pytest.raises(ValueError, match="bench_noise_uV_rms"):
        amplifier_noise_from_bench(np1, -5.0)


#: Quantities where the twin is still outside the published range (issue 12 stays open on them).
#: Measured by ``neurosim calibrate`` (20 s runs here; 60 s runs give the same picture;
#: ``--budget`` splits the noise): the Neuropixels channel alone is 6.5 uV in tissue (amplifier
#: from Jun et al.'s saline number + the site's thermal noise in tissue), leaving at most 2.4 uV
#: for all neural activity in 5-7 uV, while the twin's in-brain / bench ratio (1.76) is inside the
#: published 1.5-3x (see docs/physics.md). strict=True: a change that brings it inside fails here
#: until its entry is removed.
KNOWN_GAPS = {
    ("neuropixels1", "noise_uV_rms"): "NP1 noise ~9 uV against 5-7 uV (docs/physics.md, calibration)",
}
#: Recording length of the calibration test runs, s: the isolatable-unit criterion needs
#: ``MIN_SPIKES`` spikes, so shorter runs undercount slow units and overcount narrow ones.
TEST_DURATION_S = 20.0


@pytest.fixture(scope="module", params=DEVICES)
def calibration_rows(request, tmp_path_factory):
    rows = calibrate([request.param], TEST_DURATION_S, out_dir=tmp_path_factory.mktemp(request.param))
    print(format_table(rows))
    return request.param, {r.quantity: r for r in rows}


@pytest.mark.slow
@pytest.mark.parametrize("quantity", sorted(REFERENCES["utah"]))
def test_twin_inside_published_range(calibration_rows, quantity, request):
    """Each calibration quantity of each reference device inside its published range."""
    device, rows = calibration_rows
    if (device, quantity) in KNOWN_GAPS:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_GAPS[(device, quantity)], strict=True))
    row = rows[quantity]
    assert np.isfinite(row.twin)
    assert row.inside, f"{device} {quantity}: twin {row.twin:.3g}, published {row.reference.low:g}-{row.reference.high:g}"


def test_cli_calibrate_rejects_bad_duration(capsys):
    from neurosim.cli import main

    assert main(["calibrate", "--duration", "0"]) == 2
    assert "--duration must be > 0 s, got 0" in capsys.readouterr().err
