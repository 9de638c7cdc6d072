"""Calibration: the twin's recordings against published numbers (issue 12).

Each quantity a user takes away from a run is checked against its published range (sources in
neurosim.calibration.REFERENCES and docs/references.md), on short runs of the reference devices.
"""

import numpy as np
import pytest

from neurosim.calibration import (DEVICES, REFERENCES, calibrate, calibration_design, format_table,
                                  shape_similarity, trough_to_peak_ms)


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


#: Quantities where the twin is still outside the published range (issue 12 stays open on them).
#: Measured by ``neurosim calibrate`` (10 s runs here; 60 s runs give the same picture: NP1 7.95 uV,
#: Utah 7.76 uV): the Neuropixels noise floor is ~1 uV above its range (the far-cell background of
#: L5 pyramidal cells at the active cells' rates is ~4 uV) and the Utah one ~2 uV below (its noise
#: is thermal + amplifier + neural only; see docs/physics.md). strict=True: a change that brings
#: one inside fails here until its entry is removed.
KNOWN_GAPS = {
    ("neuropixels1", "noise_uV_rms"): "NP1 noise ~8 uV against 5-7 uV (docs/physics.md, calibration)",
    ("utah", "noise_uV_rms"): "Utah noise ~7.8 uV against 10-20 uV (docs/physics.md, calibration)",
}
#: Recording length of the calibration test runs, s: the isolatable-unit criterion needs
#: ``MIN_SPIKES`` spikes, so shorter runs undercount slow units and overcount narrow ones.
TEST_DURATION_S = 10.0


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
