"""NWB export of the chip's events: EventDetection into the chip's codes, else an EventsTable."""

import h5py
import numpy as np
import pytest

pynwb = pytest.importorskip("pynwb")
nwbinspector = pytest.importorskip("nwbinspector")

from neurosim.io import export_nwb


def _problems(path):
    """nwbinspector messages at or above CRITICAL (CRITICAL, PYNWB_VALIDATION, ERROR)."""
    msgs = list(nwbinspector.inspect_nwbfile(nwbfile_path=str(path)))
    bad = [m for m in msgs if m.importance.value >= nwbinspector.Importance.CRITICAL.value]
    return [f"{m.importance.name} {m.check_function_name}: {m.message}" for m in bad]


def _events(h5):
    with h5py.File(h5, "r") as f:
        return (f["chip/events/sample_index"][()], f["chip/events/channel"][()],
                float(f["recording"].attrs["fs_hz"]), f["chip/threshold_uV"][()])


def _set_events(samples, channels):
    def edit(f):
        for name, values in (("sample_index", samples), ("channel", channels)):
            dtype = f[f"chip/events/{name}"].dtype
            del f[f"chip/events/{name}"]
            f[f"chip/events/{name}"] = np.asarray(values, dtype)
    return edit


def test_events_as_event_detection(tiny_h5, tmp_path):
    samples, channels, fs, threshold = _events(tiny_h5)
    assert samples.size > 0  # the tiny design detects spikes
    out = export_nwb(tiny_h5, tmp_path / "ev.nwb", include_chip_traces=True, compression=None)
    assert _problems(out) == []
    with pynwb.NWBHDF5IO(str(out), "r") as io:
        nwb = io.read()
        ev = nwb.processing["ecephys"]["ChipEvents"]
        assert isinstance(ev, pynwb.ecephys.EventDetection)
        assert ev.source_electricalseries is nwb.acquisition["ElectricalSeriesChip"]  # the detector's input
        idx = ev.source_idx[:]
        np.testing.assert_array_equal(idx[:, 0], samples)
        np.testing.assert_array_equal(idx[:, 1], channels)
        series = ev.source_electricalseries
        np.testing.assert_array_equal(series.starting_time + idx[:, 0] / series.rate, samples / fs)
        assert "'mad_threshold'" in ev.detection_method and "k = 4.5 x sigma" in ev.detection_method
        assert "dead time 1.0 ms" in ev.detection_method and "0.1 s" in ev.detection_method
        np.testing.assert_allclose(nwb.electrodes["chip_threshold_uV"][:], threshold)
        assert list(nwb.electrodes["chip_events_dropped"][:]) == [0] * len(threshold)


@pytest.mark.parametrize("traces", [False, True])
def test_events_without_chip_series(edit_copy, tmp_path, traces):
    """Without the chip's codes (events-only file, or the raw traces only): an EventsTable of time,
    sample and electrode per event, and no link to the raw ElectricalSeries (SpikeInterface would
    count it as a second series)."""

    def events_only(f):
        del f["recording/traces_adc"]
        if not traces:
            del f["recording/traces_uV"]

    src = edit_copy(events_only)
    samples, channels, fs, _ = _events(src)
    out = export_nwb(src, tmp_path / "ev.nwb", include_traces=traces, compression=None)
    assert _problems(out) == []
    with pynwb.NWBHDF5IO(str(out), "r") as io:
        nwb = io.read()
        assert list(nwb.acquisition) == (["ElectricalSeries"] if traces else [])
        assert "ecephys" not in nwb.processing
        table = nwb.get_events_table("ChipEvents")
        assert isinstance(table, pynwb.event.EventsTable)
        np.testing.assert_array_equal(table["sample_index"][:], samples)
        np.testing.assert_array_equal(table["timestamp"][:], samples / fs)
        assert table["timestamp"].resolution == 1 / fs
        np.testing.assert_array_equal(table["electrodes"].data[:], channels)
        assert table["electrodes"].table is nwb.electrodes
        assert "mad_threshold" in table.description


def test_no_events(edit_copy, tmp_path):
    src = edit_copy(_set_events([], []))
    with_traces = export_nwb(src, tmp_path / "a.nwb", include_chip_traces=True, compression=None)
    without = export_nwb(src, tmp_path / "b.nwb", include_traces=False)
    for out in (with_traces, without):
        assert _problems(out) == []
    with pynwb.NWBHDF5IO(str(with_traces), "r") as io:
        assert io.read().processing["ecephys"]["ChipEvents"].source_idx[:].shape == (0, 2)
    with pynwb.NWBHDF5IO(str(without), "r") as io:  # an empty table fails the inspector: not written
        nwb = io.read()
        assert "ecephys" not in nwb.processing and not nwb.events


def test_events_left_out(tiny_h5, tmp_path):
    for kw in ({"compression": None, "include_chip_traces": True}, {"include_traces": False}):
        out = export_nwb(tiny_h5, tmp_path / "x.nwb", include_chip_events=False, **kw)
        with pynwb.NWBHDF5IO(str(out), "r") as io:
            nwb = io.read()
            assert "ecephys" not in nwb.processing and not nwb.events


def test_bad_events_rejected(edit_copy, tmp_path):
    out = tmp_path / "o.nwb"
    with pytest.raises(ValueError, match=r"sample_index \(2,\) and /chip/events/channel \(1,\) must be 1-D"):
        export_nwb(edit_copy(_set_events([10, 20], [1])), out, include_traces=False)
    with pytest.raises(ValueError, match=r"chip event 1 \(sample 20, channel 16\) is outside samples >= 0 "
                                         r"and channels 0\.\.15"):
        export_nwb(edit_copy(_set_events([10, 20], [1, 16])), out, include_traces=False)
    assert not out.exists()
