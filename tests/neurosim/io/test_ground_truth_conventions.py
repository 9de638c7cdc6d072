"""Ground truth in SpikeInterface's conventions: unit locations in the probe's frame, spike frames
at the template extremum, and every layout class mapped to a 2-D probe."""

import importlib.util
import json

import h5py
import numpy as np
import pytest

pytest.importorskip("spikeinterface")

from spikeinterface.postprocessing.localization_tools import (  # noqa: E402
    compute_center_of_mass, compute_monopolar_triangulation)

from electrode_models.probes import contact_normals, make_probe  # noqa: E402
from neurosim.io import read_recording, read_sorting, read_templates  # noqa: E402
from neurosim.io._interop import ProbeFrame, to_2d_probe  # noqa: E402


def _read(path, name):
    with h5py.File(path, "r") as f:
        return f[name][()]


# -- the tissue -> probe frame map, per layout class (closed forms) -----------------------------
#: layout, parameters -> kept axes, tissue axis off the plane, side the contacts face (None: the
#: contacts are not in one plane)
LAYOUTS = {
    ("neuropixels1", ()): ("xz", 1, 1.0),
    ("neuropixels2", ()): ("xz", 1, 1.0),
    ("multishank", ()): ("xz", 1, 1.0),
    ("threads", (("num_threads", 1),)): ("xz", 1, 1.0),
    ("utah96", ()): ("xy", 2, 1.0),
    ("tetrode", (("num_tetrodes", 2),)): ("xy", 2, 1.0),
    ("ecog", ()): ("xy", 2, -1.0),
    ("uecog", ()): ("xy", 2, -1.0),
    ("epidural", ()): ("xy", 2, -1.0),
    ("threads", ()): ("xz", 1, None),  # 32 threads on a grid: each thread is a vertical line
    ("stent", ()): ("xy", 2, None),     # a helix on a vessel wall
}


@pytest.mark.parametrize("layout, params", list(LAYOUTS), ids=lambda v: v if isinstance(v, str) else "")
def test_probe_frame_of_every_layout_class(layout, params):
    probe = make_probe(layout, **dict(params))
    axes, k, sign = LAYOUTS[(layout, params)]
    frame = ProbeFrame.of(probe.contact_positions, probe.contact_plane_axes, probe.shank_ids)
    assert (frame.axes, frame.normal_axis, frame.planar) == (axes, k, sign is not None)
    pos = probe.contact_positions
    kept = ["xyz".index(a) for a in axes]
    mapped = frame.to_probe(pos)
    np.testing.assert_array_equal(mapped[:, :2], pos[:, kept])
    rng = np.random.default_rng(0)
    points = pos[rng.integers(0, len(pos), 50)] + rng.normal(0.0, 80.0, (50, 3))
    q = frame.to_probe(points)
    if sign is None:  # no plane: the third column is the tissue coordinate along axis k
        np.testing.assert_array_equal(q[:, 2], points[:, k])
    else:
        assert frame.sign == sign
        np.testing.assert_array_equal(mapped[:, 2], 0.0)  # the contacts lie in the plane w = 0
        # d µm in front of a contact, along its outward normal: the contact's 2-D point, w = +d
        d = rng.uniform(-60.0, 60.0, len(pos))
        front = frame.to_probe(pos + d[:, None] * contact_normals(probe))
        np.testing.assert_allclose(front[:, :2], pos[:, kept], atol=1e-9)
        np.testing.assert_allclose(front[:, 2], d, atol=1e-9)
    # a permutation of axes (with a reflection and a shift): distances are kept
    i, j = np.triu_indices(len(points), 1)
    np.testing.assert_allclose(np.linalg.norm(q[i] - q[j], axis=1),
                               np.linalg.norm(points[i] - points[j], axis=1), rtol=1e-12)
    if len(np.unique(mapped[:, :2], axis=0)) == len(pos):  # probeinterface's own projection agrees
        np.testing.assert_array_equal(to_2d_probe(probe, frame.axes).contact_positions, mapped[:, :2])


def _with_probe(f, probe):
    """Replace the probe of an open neurosim file (same channel count)."""
    from probeinterface import ProbeGroup

    group = ProbeGroup()
    group.add_probe(probe)
    del f["probe/probeinterface_json"], f["probe/contact_positions_um"]
    f.create_dataset("probe/probeinterface_json", data=json.dumps(group.to_dict(array_as_list=True)),
                     dtype=h5py.string_dtype())
    f["probe/contact_positions_um"] = probe.contact_positions


def test_threads_on_a_grid_become_one_2d_probe_per_thread(edit_copy, tmp_path):
    """Threads at 4 insertion points overlap in every 2-D view of the whole array: each thread is
    its own 2-D probe (x, z), channel group = thread, so ``split_by("group")`` sorts per thread."""
    probe = make_probe("threads", num_threads=4, contacts_per_thread=4)
    path = edit_copy(lambda f: _with_probe(f, probe))
    pos = probe.contact_positions
    rec = read_recording(path)
    assert len(rec.get_probegroup().probes) == 4
    np.testing.assert_array_equal(rec.get_channel_locations(), pos[:, [0, 2]])
    np.testing.assert_array_equal(rec.get_channel_groups(), np.repeat(np.arange(4), 4))
    assert len(rec.split_by("group")) == 4
    gt = read_sorting(path)
    soma = _read(path, "ground_truth/units/positions_um")
    np.testing.assert_array_equal(gt.get_property("gt_unit_locations"), soma[:, [0, 2, 1]])
    assert read_templates(path).probe is None  # several probes: none attached to the templates
    if importlib.util.find_spec("pynwb") is not None:  # NWB: one electrode group (probe) per thread
        from spikeinterface.extractors import read_nwb_recording

        from neurosim.io import export_nwb

        nwb = read_nwb_recording(export_nwb(path, tmp_path / "threads.nwb", compression=None))
        np.testing.assert_allclose(nwb.get_channel_locations(), pos[:, [0, 2]], atol=1e-3)


# -- localisation by a peer method lands on gt_unit_locations ----------------------------------
def _median_distance(estimate, truth):
    return float(np.median(np.linalg.norm(estimate - truth, axis=1)))


def test_monopolar_triangulation_finds_units_on_a_neuropixels_shank(tiny_h5):
    """SpikeInterface's monopolar triangulation (Boussard et al. 2021) of the ground-truth
    templates lands within tens of µm of gt_unit_locations; tissue columns as stored before
    (x, y, z = depth) are thousands of µm off. Its z is a distance (>= 0), so it is compared
    with |w|; the twin has cells on both sides of the shank."""
    gt = read_sorting(tiny_h5)
    loc = gt.get_property("gt_unit_locations")
    sel = gt.get_property("snr") >= 3.0
    assert sel.sum() >= 10
    est = compute_monopolar_triangulation(read_templates(tiny_h5), unit_ids=np.flatnonzero(sel))[:, :3]
    truth = np.column_stack([loc[sel, :2], np.abs(loc[sel, 2])])
    assert _median_distance(est, truth) < 40.0  # measured 18 µm (8 µm in the probe plane)
    tissue = gt.get_property("tissue_position_um")[sel]
    assert _median_distance(est[:, :2], tissue[:, :2]) > 1000.0  # measured 3 790 µm


@pytest.fixture(scope="module")
def utah_h5(tmp_path_factory):
    """A 3 x 3 Utah-style array (400 µm pitch), 0.2 s."""
    import neurosim.pipeline
    from neurosim.design import Design

    design = Design.from_dict({
        "name": "utah-conventions", "seed": 3,
        "population": {"reach_radius_um": 60.0},
        "implant": {"layout": "utah", "layout_params": {"rows": 3, "cols": 3, "drop_corners": 0}},
        "chip": {"detector": {"calibration_s": 0.05}},
        "recording": {"duration_s": 0.2, "chunk_s": 0.2},
    })
    path = tmp_path_factory.mktemp("utah") / "utah.h5"
    neurosim.pipeline.run(design, path, progress=False)
    return path


@pytest.mark.slow  # the fixture runs the pipeline once more: 15-55 s on 2 shared cores
def test_center_of_mass_finds_units_on_a_utah_array(utah_h5):
    """Tips 400 µm apart: a unit is seen by one tip, so SpikeInterface's centre of mass is that
    tip and lands within the reach radius (60 µm) of gt_unit_locations in the array plane; the
    same columns swapped (x <-> y) are hundreds of µm off."""
    gt = read_sorting(utah_h5)
    assert read_recording(utah_h5).get_probe().annotations["neurosim_plane_axes"] == "xy"
    loc = gt.get_property("gt_unit_locations")
    sel = gt.get_property("snr") >= 3.0
    assert sel.sum() >= 10
    est = compute_center_of_mass(read_templates(utah_h5), unit_ids=np.flatnonzero(sel))[:, :2]
    assert _median_distance(est, loc[sel, :2]) < 40.0  # measured 24 µm
    assert _median_distance(est, loc[sel][:, [1, 0]]) > 200.0  # measured 550 µm
    # the third column is the height above the tip plane (tips face up)
    tips_z = _read(utah_h5, "probe/contact_positions_um")[0, 2]
    np.testing.assert_allclose(loc[:, 2], gt.get_property("tissue_position_um")[:, 2] - tips_z)


# -- spike frames are at the template extremum ------------------------------------------------
def test_templates_have_their_extremum_at_the_spike_frame(tiny_h5):
    """The convention (docs/file_format.md): a spike's time is where its unit's raw template has
    the largest |value| on its best channel, template sample ``nbefore`` (±1 sample)."""
    tpl = read_templates(tiny_h5)
    dense = tpl.get_dense_templates()
    peak = np.abs(dense).max(axis=(1, 2))
    seen = peak >= 20.0  # µV: clear of the template's numerical floor
    assert seen.sum() >= 20
    best = np.abs(dense).max(axis=1).argmax(axis=1)
    t_ext = np.abs(dense[np.arange(len(dense)), :, best]).argmax(axis=1)
    off = t_ext - tpl.nbefore
    bad = np.flatnonzero(seen & (np.abs(off) > 1))
    assert bad.size == 0, (f"{bad.size} of {seen.sum()} units: extremum not at nbefore; unit: "
                           f"samples after nbefore {dict(zip(bad.tolist(), off[bad].tolist()))}")


def test_recorded_spikes_peak_at_the_ground_truth_frames(tiny_h5):
    """The mean of the recorded traces (SpikeInterface objects) around the ground-truth frames of
    the highest-SNR unit peaks at the frame itself (±1 sample)."""
    rec, gt = read_recording(tiny_h5), read_sorting(tiny_h5)
    counts = gt.count_num_spikes_per_unit(outputs="array")
    snr = np.where(counts >= 5, gt.get_property("snr"), -np.inf)
    unit = int(np.argmax(snr))
    assert snr[unit] >= 8.0
    channel = int(gt.get_property("best_channel")[unit])
    frames = gt.get_unit_spike_train(unit)
    frames = frames[(frames >= 30) & (frames < rec.get_num_samples() - 30)]
    trace = rec.get_traces(channel_ids=[channel], return_in_uV=True)[:, 0]
    mean = np.mean([trace[s - 30:s + 31] for s in frames], axis=0)
    assert abs(int(np.argmax(np.abs(mean - np.median(mean)))) - 30) <= 1
