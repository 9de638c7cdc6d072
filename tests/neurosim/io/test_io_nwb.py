"""NWB export: passes nwbinspector, round-trips traces, electrodes, ground truth and behaviour."""

import datetime as dt
import json

import h5py
import numpy as np
import pytest

pynwb = pytest.importorskip("pynwb")
nwbinspector = pytest.importorskip("nwbinspector")

from neurosim.io import export_nwb  # noqa: E402


def _read(path, name):
    with h5py.File(path, "r") as f:
        return f[name][()]


def _problems(path):
    """nwbinspector messages at or above CRITICAL (CRITICAL, PYNWB_VALIDATION, ERROR)."""
    msgs = list(nwbinspector.inspect_nwbfile(nwbfile_path=str(path)))
    bad = [m for m in msgs if m.importance.value >= nwbinspector.Importance.CRITICAL.value]
    return [f"{m.importance.name} {m.check_function_name}: {m.message}" for m in bad]


@pytest.fixture(scope="module")
def exported(tiny_h5, tmp_path_factory):
    path = tmp_path_factory.mktemp("nwb") / "tiny.nwb"
    # A tiny buffer makes the trace iterator copy the data in several pieces.
    out = export_nwb(tiny_h5, path, include_chip_traces=True, buffer_gb=1e-4)
    return out


def test_export_passes_nwbinspector(exported):
    assert exported.is_file()
    assert not list(exported.parent.glob("*.tmp-*"))
    assert _problems(exported) == []


def test_export_round_trips(exported, tiny_h5):
    pos = _read(tiny_h5, "probe/contact_positions_um")
    traces = _read(tiny_h5, "recording/traces_uV")
    with h5py.File(tiny_h5, "r") as f:
        fs = float(f["recording"].attrs["fs_hz"])
        lsb = float(f["recording"].attrs["adc_lsb_uV"])
        created = dt.datetime.fromisoformat(f.attrs["created_utc"])
    with pynwb.NWBHDF5IO(str(exported), "r") as io:
        nwb = io.read()
        assert nwb.session_start_time == created
        assert "tiny" in nwb.session_description and nwb.subject.sex == "U"
        el = nwb.electrodes.to_dataframe()
        np.testing.assert_allclose(el[["x", "y", "z"]].to_numpy(), pos, rtol=0, atol=1e-3)  # float32 µm
        np.testing.assert_allclose(el[["rel_x", "rel_y"]].to_numpy(), pos[:, [0, 2]], atol=1e-3)
        np.testing.assert_allclose(el["contact_radius_um"], _read(tiny_h5, "probe/contact_radius_um"))
        es = nwb.acquisition["ElectricalSeries"]
        assert es.rate == fs and es.conversion == 1e-6 and es.unit == "volts"
        np.testing.assert_array_equal(es.data[:], traces)
        chip = nwb.acquisition["ElectricalSeriesChip"]
        np.testing.assert_array_equal(chip.data[:], _read(tiny_h5, "recording/traces_adc"))
        assert chip.conversion == pytest.approx(lsb * 1e-6, rel=1e-12)
        # Ground truth: every unit's spike times, soma position and cell type.
        times = _read(tiny_h5, "ground_truth/spike_samples") / fs
        units = _read(tiny_h5, "ground_truth/spike_units")
        upos = _read(tiny_h5, "ground_truth/units/positions_um")
        ci = _read(tiny_h5, "ground_truth/templates/channel_index")
        assert len(nwb.units) == upos.shape[0]
        assert nwb.units.resolution == pytest.approx(1 / fs)
        for u in range(len(nwb.units)):
            np.testing.assert_array_equal(nwb.units.get_unit_spike_times(u), np.sort(times[units == u]))
        df = nwb.units.to_dataframe()
        np.testing.assert_allclose(df[["soma_x_um", "soma_y_um", "soma_z_um"]].to_numpy(), upos)
        # the probe's frame of the shank (sites face +y at the contacts' y)
        np.testing.assert_allclose(df[["soma_rel_x_um", "soma_rel_y_um", "soma_rel_z_um"]].to_numpy(),
                                   np.column_stack([upos[:, 0], upos[:, 2], upos[:, 1] - pos[0, 1]]))
        assert set(df["cell_type"]) <= {"pyramidal", "interneuron"}
        assert sorted(df["electrodes"].iloc[0].index) == sorted(c for c in ci[0] if c >= 0)


def test_spikeinterface_reads_the_export_as_is(tiny_h5, tmp_path):
    """SpikeInterface's NWB readers with no extra argument: the recording from the default export
    (traces in µV, the 2-D probe), the ground truth from an export without traces (with traces,
    SpikeInterface >= 0.105 asks which series gives the time base: name it)."""
    se = pytest.importorskip("spikeinterface.extractors")
    from neurosim.io import read_recording, read_sorting

    full = export_nwb(tiny_h5, tmp_path / "full.nwb", compression=None)
    rec, ours = se.read_nwb_recording(full), read_recording(tiny_h5)
    assert rec.get_sampling_frequency() == ours.get_sampling_frequency()
    assert list(rec.channel_ids) == list(range(16))
    np.testing.assert_array_equal(rec.get_traces(return_in_uV=True), _read(tiny_h5, "recording/traces_uV"))
    np.testing.assert_allclose(rec.get_channel_gains(), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(rec.get_channel_offsets(), 0.0)
    np.testing.assert_array_equal(rec.get_channel_locations(), ours.get_channel_locations())
    units_only = export_nwb(tiny_h5, tmp_path / "gt.nwb", include_traces=False)
    truth = read_sorting(tiny_h5)
    sortings = [se.read_nwb_sorting(units_only),
                se.read_nwb_sorting(full, electrical_series_path="acquisition/ElectricalSeries")]
    for sorting in sortings:
        assert sorting.get_sampling_frequency() == truth.get_sampling_frequency()
        assert list(sorting.unit_ids) == list(truth.unit_ids)
        for u in truth.unit_ids:
            np.testing.assert_array_equal(sorting.get_unit_spike_train(u), truth.get_unit_spike_train(u))
    rel = np.column_stack([sortings[0].get_property(f"soma_rel_{a}_um") for a in "xyz"])
    np.testing.assert_allclose(rel, truth.get_property("gt_unit_locations"))


def test_export_without_traces_with_behaviour_and_chronic_flags(edit_copy, tmp_path):
    t = np.arange(60) / 100.0

    def add_behaviour(f):
        for name in ("probe/channel_alive", "ground_truth/units/alive"):
            if name in f:
                del f[name]
        f["probe/channel_alive"] = np.arange(16) != 3
        f["ground_truth/units/alive"] = np.ones(f["ground_truth/units/positions_um"].shape[0], bool)
        g = f.create_group("behaviour")
        g.attrs["fs_hz"] = 100.0
        g.create_dataset("velocity_cm_per_s", data=np.c_[np.sin(t), np.cos(t)]).attrs["unit"] = "cm/s"

    src = edit_copy(add_behaviour)
    out = export_nwb(src, tmp_path / "beh.nwb", include_traces=False, compression=None)
    assert _problems(out) == []
    with pynwb.NWBHDF5IO(str(out), "r") as io:
        nwb = io.read()
        assert "ElectricalSeries" not in nwb.acquisition
        np.testing.assert_array_equal(nwb.electrodes["channel_alive"][:], np.arange(16) != 3)
        assert all(nwb.units["alive"][:])
        ts = nwb.processing["behavior"]["velocity_cm_per_s"]
        assert ts.unit == "cm/s" and ts.rate == 100.0
        np.testing.assert_array_equal(ts.data[:], np.c_[np.sin(t), np.cos(t)])


def test_failed_export_leaves_no_file(tiny_h5, tmp_path, monkeypatch):
    def boom(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pynwb.NWBHDF5IO, "write", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        export_nwb(tiny_h5, tmp_path / "x.nwb", include_traces=False)
    assert list(tmp_path.iterdir()) == []


def test_export_rejects_bad_input(tiny_h5, foreign_files, edit_copy, tmp_path):
    out = tmp_path / "o.nwb"
    with pytest.raises(ValueError, match=r"compression must be one of \['gzip', 'lzf', None\], got 'zstd'"):
        export_nwb(tiny_h5, out, compression="zstd")
    with pytest.raises(ValueError, match="buffer_gb must be > 0 GB, got 0"):
        export_nwb(tiny_h5, out, buffer_gb=0)
    with pytest.raises(ValueError, match="other.h5' is not a neurosim file"):
        export_nwb(foreign_files["other"], out)
    with pytest.raises(ValueError, match="empty.h5' lacks /probe/probeinterface_json"):
        export_nwb(foreign_files["empty"], out)

    def bad_time(f):
        f.attrs["created_utc"] = "yesterday"

    with pytest.raises(ValueError, match="'created_utc' is 'yesterday', not an ISO time"):
        export_nwb(edit_copy(bad_time), out)

    def unmapped(f):
        doc = json.loads(f["probe/probeinterface_json"][()])
        doc["probes"][0]["device_channel_indices"][3] = -1
        del f["probe/probeinterface_json"]
        f.create_dataset("probe/probeinterface_json", data=json.dumps(doc), dtype=h5py.string_dtype())

    with pytest.raises(ValueError, match=r"maps no contact to channels \[3\]"):
        export_nwb(edit_copy(unmapped, "unmapped.h5"), out)
    assert not out.exists()
