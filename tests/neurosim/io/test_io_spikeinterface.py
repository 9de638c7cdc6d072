"""neurosim files as SpikeInterface objects: recording, ground truth, templates, chip events."""

import json
import pickle

import h5py
import numpy as np
import pytest

pytest.importorskip("spikeinterface")

from spikeinterface.comparison import compare_sorter_to_ground_truth  # noqa: E402
from spikeinterface.core import load as si_load  # noqa: E402

from neurosim.io import (read_events_as_sorting, read_recording, read_sorting,  # noqa: E402
                         read_templates)


def _read(path, name):
    with h5py.File(path, "r") as f:
        return f[name][()]


def _attrs(path, group):
    with h5py.File(path, "r") as f:
        return dict(f[group].attrs)


def test_recording_equals_file(tiny_h5):
    rec = read_recording(tiny_h5)
    traces = _read(tiny_h5, "recording/traces_uV")
    pos = _read(tiny_h5, "probe/contact_positions_um")
    assert rec.get_num_channels() == traces.shape[1] == 16
    assert rec.get_num_samples() == traces.shape[0]
    assert rec.get_sampling_frequency() == _attrs(tiny_h5, "recording")["fs_hz"]
    assert rec.get_dtype() == np.float32
    np.testing.assert_array_equal(rec.get_traces(), traces)
    np.testing.assert_array_equal(rec.get_traces(start_frame=100, end_frame=2100, channel_ids=[7, 2]),
                                  traces[100:2100][:, [7, 2]])
    np.testing.assert_array_equal(rec.get_channel_gains(), 1.0)
    np.testing.assert_array_equal(rec.get_channel_offsets(), 0.0)
    # A vertical shank spreads along tissue x and z: the 2D probe is its x-z plane.
    assert rec.get_probe().annotations["neurosim_plane_axes"] == "xz"
    np.testing.assert_array_equal(rec.get_channel_locations(), pos[:, [0, 2]])
    np.testing.assert_array_equal(rec.get_property("tissue_position_um"), pos)
    rec3 = read_recording(tiny_h5, probe_ndim=3)
    np.testing.assert_array_equal(rec3.get_channel_locations(axes="xyz"), pos)


def test_recording_is_lazy_and_serialisable(tiny_h5):
    """The recording pickles and reloads from its dict (what SpikeInterface's workers do)."""
    rec = read_recording(tiny_h5)
    assert rec.check_serializability("json") and rec.check_serializability("pickle")
    want = rec.get_traces(start_frame=50, end_frame=950)
    for clone in (pickle.loads(pickle.dumps(rec)), si_load(rec.to_dict())):
        np.testing.assert_array_equal(clone.get_traces(start_frame=50, end_frame=950), want)
        np.testing.assert_array_equal(clone.get_channel_locations(), rec.get_channel_locations())


def test_adc_recording_has_lsb_gain(tiny_h5):
    rec = read_recording(tiny_h5, which="adc")
    codes = _read(tiny_h5, "recording/traces_adc")
    lsb = _attrs(tiny_h5, "recording")["adc_lsb_uV"]
    assert rec.get_dtype() == np.int16
    np.testing.assert_array_equal(rec.get_traces(), codes)
    np.testing.assert_allclose(rec.get_traces(return_in_uV=True), codes * lsb, rtol=1e-6)


def test_sorting_equals_ground_truth(tiny_h5):
    gt = read_sorting(tiny_h5)
    samples = _read(tiny_h5, "ground_truth/spike_samples")
    units = _read(tiny_h5, "ground_truth/spike_units")
    pos = _read(tiny_h5, "ground_truth/units/positions_um")
    assert list(gt.unit_ids) == list(range(pos.shape[0]))
    for u in gt.unit_ids:
        np.testing.assert_array_equal(gt.get_unit_spike_train(u), np.sort(samples[units == u]))
    # SpikeInterface's frame of the vertical shank: (x, z) in the probe plane, the sites face +y.
    contacts = _read(tiny_h5, "probe/contact_positions_um")
    assert np.ptp(contacts[:, 1]) == 0.0
    want = np.column_stack([pos[:, 0], pos[:, 2], pos[:, 1] - contacts[0, 1]])
    np.testing.assert_array_equal(gt.get_property("gt_unit_locations"), want)
    np.testing.assert_array_equal(gt.get_property("tissue_position_um"), pos)
    np.testing.assert_array_equal(read_sorting(tiny_h5, probe_ndim=3).get_property("gt_unit_locations"), pos)
    types = _read(tiny_h5, "ground_truth/units/cell_type")
    assert list(gt.get_property("cell_type")) == [("pyramidal", "interneuron")[t] for t in types]
    np.testing.assert_array_equal(gt.get_property("snr"), _read(tiny_h5, "ground_truth/units/snr"))
    np.testing.assert_array_equal(gt.get_property("firing_rate_hz"),
                                  _read(tiny_h5, "ground_truth/units/firing_rate_hz"))


def test_ground_truth_against_itself_has_accuracy_one(tiny_h5):
    gt = read_sorting(tiny_h5)
    perf = compare_sorter_to_ground_truth(gt, gt, exhaustive_gt=True).get_performance()
    fired = gt.count_num_spikes_per_unit(outputs="array") > 0
    assert fired.sum() >= 5
    np.testing.assert_array_equal(perf["accuracy"].to_numpy(float)[fired], 1.0)


def test_spikeinterface_matching_reproduces_our_detection_scores(tiny_h5):
    """SpikeInterface's spike matching of each unit against its best channel's chip events
    (same window, delta_time = our tolerance) gives our unit recall exactly, and its event
    counts give our per-channel detection counts."""
    fs = _attrs(tiny_h5, "recording")["fs_hz"]
    sc = _attrs(tiny_h5, "scores")
    w0, w1 = int(round(sc["window_start_s"] * fs)), int(round(sc["window_stop_s"] * fs))
    gt = read_sorting(tiny_h5).frame_slice(w0, w1)
    ev = read_events_as_sorting(tiny_h5).frame_slice(w0, w1)
    np.testing.assert_array_equal(ev.count_num_spikes_per_unit(outputs="array"),
                                  _read(tiny_h5, "scores/channel/num_detected"))
    cmp = compare_sorter_to_ground_truth(gt, ev, delta_time=float(sc["tolerance_ms"]),
                                         exhaustive_gt=False)
    matched = cmp.match_event_count.to_numpy()  # (units, channels): pairwise matched spikes
    n = gt.count_num_spikes_per_unit(outputs="array")
    best = _read(tiny_h5, "ground_truth/units/best_channel")
    ours = _read(tiny_h5, "scores/unit/recall")
    scored = (best >= 0) & (n > 0)
    assert scored.sum() >= 5
    si_recall = matched[scored, best[scored]] / n[scored]
    np.testing.assert_allclose(si_recall, ours[scored], rtol=0, atol=1e-12)
    assert np.all(np.isnan(ours[~scored]))
    # A unit's precision is that of its best channel's event stream.
    np.testing.assert_array_equal(_read(tiny_h5, "scores/unit/precision")[scored],
                                  _read(tiny_h5, "scores/channel/precision")[best[scored]])


def test_events_sorting_has_one_unit_per_channel(tiny_h5):
    ev = read_events_as_sorting(tiny_h5)
    s, c = _read(tiny_h5, "chip/events/sample_index"), _read(tiny_h5, "chip/events/channel")
    assert list(ev.unit_ids) == list(range(16))
    for ch in range(16):
        np.testing.assert_array_equal(ev.get_unit_spike_train(ch), np.sort(s[c == ch]))


def test_templates_equal_file(tiny_h5):
    tpl = read_templates(tiny_h5)
    wf = _read(tiny_h5, "ground_truth/templates/waveforms_uV")
    ci = _read(tiny_h5, "ground_truth/templates/channel_index")
    assert tpl.nbefore == _attrs(tiny_h5, "ground_truth/templates")["nbefore"]
    assert tpl.num_units == wf.shape[0] and tpl.num_channels == 16 and tpl.is_in_uV
    dense = tpl.get_dense_templates()
    want = np.zeros_like(dense)
    u, k = np.nonzero(ci >= 0)
    want[u, :, ci[u, k]] = wf[u, :, k]
    np.testing.assert_array_equal(dense, want)
    mask = np.zeros((wf.shape[0], 16), bool)
    mask[u, ci[u, k]] = True
    np.testing.assert_array_equal(tpl.sparsity_mask, mask)
    np.testing.assert_array_equal(tpl.probe.contact_positions,
                                  _read(tiny_h5, "probe/contact_positions_um")[:, [0, 2]])


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("reader", [read_recording, read_sorting, read_templates,
                                    read_events_as_sorting])
def test_readers_reject_foreign_files(reader, foreign_files, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        reader(tmp_path / "missing.h5")
    with pytest.raises(ValueError, match="notes.h5' is not a readable HDF5 file"):
        reader(foreign_files["text"])
    with pytest.raises(ValueError, match="other.h5' is not a neurosim file .*'something-else'"):
        reader(foreign_files["other"])
    with pytest.raises(ValueError, match="empty.h5' lacks /"):
        reader(foreign_files["empty"])


def test_recording_rejects_bad_arguments(tiny_h5, edit_copy):
    with pytest.raises(ValueError, match=r"which must be one of \['adc', 'uV'\], got 'mV'"):
        read_recording(tiny_h5, which="mV")
    with pytest.raises(ValueError, match="probe_ndim must be 2 or 3, got 1"):
        read_recording(tiny_h5, probe_ndim=1)
    with pytest.raises(ValueError, match="probe_ndim must be 2 or 3, got True"):
        read_templates(tiny_h5, probe_ndim=True)
    with pytest.raises(ValueError, match="probe_ndim must be 2 or 3, got 0"):
        read_sorting(tiny_h5, probe_ndim=0)
    no_adc = edit_copy(lambda f: f.__delitem__("recording/traces_adc"))
    with pytest.raises(ValueError, match="lacks /recording/traces_adc"):
        read_recording(no_adc, which="adc")


def test_readers_reject_inconsistent_indices(edit_copy):
    def bad_units(f):
        f["ground_truth/spike_units"][0] = 10_000

    def bad_channels(f):
        f["chip/events/channel"][0] = 16

    def bad_templates(f):
        f["ground_truth/templates/channel_index"][0, 0] = 99

    with pytest.raises(ValueError, match=r"spike_units holds values in \[.*, 10000\], outside"):
        read_sorting(edit_copy(bad_units))
    with pytest.raises(ValueError, match=r"/chip/events/channel holds values in \[.*, 16\], outside \[0, 15\]"):
        read_events_as_sorting(edit_copy(bad_channels))
    with pytest.raises(ValueError, match="names channel 99, but the probe has 16 channels"):
        read_templates(edit_copy(bad_templates))


def test_probe_json_is_what_the_recording_gets(tiny_h5):
    """The probe attached to the recording is the file's probe JSON (ids and annotations kept)."""
    stored = json.loads(_read(tiny_h5, "probe/probeinterface_json"))["probes"][0]
    probe = read_recording(tiny_h5).get_probe()
    assert list(probe.contact_ids) == stored["contact_ids"]
    assert probe.annotations["layout"] == stored["annotations"]["layout"]


def test_chronic_flags_become_properties(edit_copy):
    """Files with the chronic datasets expose them as channel and unit properties."""
    def add_flags(f):
        for name in ("probe/channel_alive", "ground_truth/units/alive"):
            if name in f:
                del f[name]
        f["probe/channel_alive"] = np.arange(16) != 3
        n = f["ground_truth/units/positions_um"].shape[0]
        f["ground_truth/units/alive"] = np.arange(n) % 2 == 0

    path = edit_copy(add_flags)
    np.testing.assert_array_equal(read_recording(path).get_property("channel_alive"), np.arange(16) != 3)
    alive = read_sorting(path).get_property("alive")
    np.testing.assert_array_equal(alive, np.arange(alive.size) % 2 == 0)
