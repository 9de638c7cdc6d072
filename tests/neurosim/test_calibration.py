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


@pytest.mark.parametrize("device", DEVICES)
def test_twin_inside_published_ranges(device, tmp_path):
    """Noise, yield, amplitudes, widths, ISI CV and shape diversity inside the published ranges."""
    rows = calibrate([device], 4.0, out_dir=tmp_path)
    table = format_table(rows)
    assert len(rows) == len(REFERENCES[device])
    outside = [r for r in rows if not r.inside]
    assert not outside, table
