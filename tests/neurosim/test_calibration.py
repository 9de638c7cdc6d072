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
#: Measured on 3-4 s runs of the reference designs (neurosim calibrate prints the numbers): the
#: twin's cells near the contacts are too many/too active for the published noise floor, so total
#: noise (NP1 ~17 uV, Utah ~30 uV), yield (~2.3-2.5 units/ch) and the amplitude of isolatable units
#: (~220-280 uV) are high; fast-spiking units are rare among them (~3 % narrow) and their shapes
#: too alike (median cosine ~0.98). strict=True: a fix that brings one inside fails here until the
#: entry is removed.
KNOWN_GAPS = {
    (dev, q): "outside the published range: see KNOWN_GAPS and the issue-12 note"
    for dev in DEVICES
    for q in ("noise_uV_rms", "units_per_channel", "median_amplitude_uV", "narrow_fraction",
              "shape_similarity")
}


@pytest.fixture(scope="module", params=DEVICES)
def calibration_rows(request, tmp_path_factory):
    rows = calibrate([request.param], 3.0, out_dir=tmp_path_factory.mktemp(request.param))
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
