"""Sweeps: grid/zip expansion, one shared cortex, table files, plots, CLI."""

import csv

import h5py
import numpy as np
import pytest

from neurosim.cli import main
from neurosim.design import DesignError
from neurosim.pipeline import run
from neurosim.sweep import parse_vary, run_sweep, sweep_designs


def test_parse_vary_and_errors():
    assert parse_vary(["chip.adc.bits=6,8", "implant.layout=utah96"]) == {
        "chip.adc.bits": [6, 8], "implant.layout": ["utah96"]}
    assert parse_vary(["recording.duration_s=0.5,1"])["recording.duration_s"] == [0.5, 1]
    with pytest.raises(DesignError, match="FIELD=V1,V2"):
        parse_vary(["chip.adc.bits"])
    with pytest.raises(DesignError, match="has no values"):
        parse_vary(["chip.adc.bits="])


def test_grid_and_zip(tiny_design):
    grid = sweep_designs(tiny_design, {"chip.adc.bits": [8, 10], "chip.detector.threshold_k": [4, 5]})
    assert len(grid) == 4
    zipped = sweep_designs(tiny_design, {"chip.adc.bits": [8, 10], "chip.detector.threshold_k": [4, 5]},
                           zip_values=True)
    assert [(c["chip.adc.bits"], c["chip.detector.threshold_k"]) for c, _ in zipped] == [(8, 4), (10, 5)]
    # one value is held fixed across the zipped points
    held = sweep_designs(tiny_design, {"chip.adc.bits": [8, 10], "chip.detector.threshold_k": [4]}, True)
    assert [(c["chip.adc.bits"], c["chip.detector.threshold_k"]) for c, _ in held] == [(8, 4), (10, 4)]
    with pytest.raises(DesignError, match="same number of values"):
        sweep_designs(tiny_design, {"chip.adc.bits": [8, 10, 12], "chip.detector.threshold_k": [4, 5]}, True)
    with pytest.raises(DesignError, match=r"chip\.adc\.bits must be in \[1, 16\] bit, got 40"):
        sweep_designs(tiny_design, {"chip.adc.bits": [40]})


def test_sweep_shares_cortex_and_matches_single_runs(tiny_design, tmp_path):
    vary = {"implant.layout_params.num_channels": [8, 16], "chip.adc.bits": [10]}
    res = run_sweep(tiny_design, vary, tmp_path, progress=False)
    assert [r["num_channels"] for r in res.rows] == [8, 16]
    # the 16-channel point sees the union cortex reduced to its reach: same as a direct run
    direct = run(tiny_design.replace(**{"implant.layout_params.num_channels": 16}), progress=False)
    assert res.rows[1]["num_cells"] == direct.metrics["num_cells"]
    assert res.rows[1]["f1"] == pytest.approx(direct.metrics["f1"], nan_ok=True)
    assert res.rows[0]["num_cells"] < res.rows[1]["num_cells"]
    # power and raw rate scale with the channel count
    assert res.rows[1]["raw_rate_bps"] == pytest.approx(2 * res.rows[0]["raw_rate_bps"])
    with open(res.csv_path) as f:
        table = list(csv.DictReader(f))
    assert len(table) == 2 and float(table[1]["num_channels"]) == 16
    with h5py.File(res.h5_path) as f:
        assert f.attrs["format"] == "neurosim-sweep"
        assert np.array_equal(f["table/num_channels"][()], [8, 16])
    assert res.figure_path.stat().st_size > 10_000


def test_cli_sweep_and_report(tiny_design, tmp_path, capsys):
    from neurosim.design import design_to_toml

    toml = tmp_path / "t.toml"
    toml.write_text(design_to_toml(tiny_design))
    assert main(["sweep", str(toml), "--vary", "chip.detector.threshold_k=4,6", "-o",
                 str(tmp_path / "sw"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "2 designs in" in out and (tmp_path / "sw" / "sweep.csv").exists()
    assert main(["run", str(toml), "--report", str(tmp_path / "r.png"), "--no-progress"]) == 0
    assert (tmp_path / "r.png").stat().st_size > 10_000
    assert main(["sweep", str(toml), "--vary", "chip.adc.bitz=4", "-o", str(tmp_path / "x")]) == 2
    assert "unknown design field 'chip.adc.bitz'" in capsys.readouterr().err


@pytest.mark.slow
def test_sweep_on_dask_local_cluster_equals_serial(tiny_design, tmp_path):
    vary = {"chip.detector.threshold_k": [4.0, 5.0, 6.0]}
    serial = run_sweep(tiny_design, vary, None, progress=False)
    dask = run_sweep(tiny_design, vary, None, progress=False, workers=2)
    import json

    def table(rows):  # JSON so that NaN compares equal to NaN
        return json.dumps([{k: v for k, v in r.items() if k != "wall_time_s"} for r in rows])

    assert table(serial.rows) == table(dask.rows)


def test_map_jobs_rejects_negative_workers():
    from neurosim.parallel import map_jobs

    with pytest.raises(ValueError, match="workers must be >= 0, got -1"):
        map_jobs(abs, [1], workers=-1)


# -- ADC-bits sweeps (issue 13, items 7 and 8) ------------------------------------------------

def test_warnings_inside_a_sweep_point_name_it(caplog):
    import logging
    import warnings

    from neurosim.sweep import point_label, point_messages

    label = point_label(2, {"chip.adc.bits": 6, "chip.detector.threshold_k": 4.5})
    assert label == "sweep point 2 (chip.adc.bits=6, chip.detector.threshold_k=4.5)"
    log = logging.getLogger("chip_models.detection.mad")
    with caplog.at_level(logging.WARNING):
        with pytest.warns(UserWarning, match=r"^sweep point 2 \(chip\.adc\.bits=6, .*\): too coarse$"):
            with point_messages(label):
                log.warning("zero noise estimate on %d channel(s)", 3)
                warnings.warn("too coarse", UserWarning)
        assert caplog.messages == [f"{label}: zero noise estimate on 3 channel(s)"]
        log.warning("after the point")  # the prefix goes with the block
        assert caplog.messages[-1] == "after the point"


def test_adc_bits_sweep_noise_is_at_least_quantisation_noise(tiny_design, tmp_path):
    """6 bits: LSB = 2 x output swing / 2^6 / gain; the noise estimate is at least LSB / sqrt(12)."""
    from neurosim.report import make_sweep_figure

    res = run_sweep(tiny_design, {"chip.adc.bits": [6, 12]}, None, progress=False)
    coarse, fine = res.rows
    fe = tiny_design.chip.front_end
    lsb6_uV = 2.0 * fe.output_swing_mV / 2 ** 6 / fe.gain_v_per_v * 1e3
    assert coarse["noise_uV_rms"] >= lsb6_uV / np.sqrt(12.0) * (1 - 1e-9)
    assert coarse["noise_uV_rms"] > 0 and fine["noise_uV_rms"] > 0
    # no 1e13 SNR: the best unit's peak is below the ADC's full scale, so SNR < swing / noise
    full_scale_uV = fe.output_swing_mV / fe.gain_v_per_v * 1e3
    assert np.isnan(coarse["median_snr"]) or coarse["median_snr"] < full_scale_uV / (lsb6_uV / np.sqrt(12))
    # the noise is ~1/3 LSB at 6 bits: both estimates see the same analog noise (unbiased on the
    # quantiser's bins, see chip_models tests), so thresholds and detectable units nearly agree
    # (the 6-bit run saw 0 noise and 4942 detectable units of ~5000 cells before)
    assert coarse["noise_uV_rms"] == pytest.approx(fine["noise_uV_rms"], rel=0.15)
    assert coarse["num_detectable_units"] <= 1.3 * fine["num_detectable_units"] + 5
    import matplotlib.pyplot as plt

    fig = make_sweep_figure(res.rows, ["chip.adc.bits"])
    raw = next(line for line in fig.axes[1].get_lines() if line.get_label() == "raw")
    np.testing.assert_array_equal(raw.get_xdata(), [6, 12])
    assert fig.axes[1].get_xscale() == "linear"
    plt.close(fig)
