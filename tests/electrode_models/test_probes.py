import numpy as np
import pytest

from electrode_models.probes import (contact_normals, list_layouts, make_probe, probe_from_json,
                                     probe_to_json)


def test_list_layouts():
    assert {"utah96", "neuropixels1", "neuropixels2", "threads", "linear", "multishank", "tetrode",
            "ecog", "uecog", "epidural", "stent", "utah"} == set(list_layouts())
    assert list_layouts("endovascular") == ["stent"]
    assert set(list_layouts("subdural")) == {"ecog", "uecog"}


def test_utah96_geometry():
    p = make_probe("utah96")
    pos = p.contact_positions
    assert p.ndim == 3 and pos.shape == (96, 3)
    np.testing.assert_allclose(pos[:, :2].mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(pos[:, 2], -1000.0)
    xs = np.unique(pos[:, 0])
    assert len(xs) == 10
    np.testing.assert_allclose(np.diff(xs), 400.0)
    # the four corners are missing
    for cx in (xs[0], xs[-1]):
        for cy in (xs[0], xs[-1]):
            assert not np.any(np.all(np.isclose(pos[:, :2], [cx, cy]), axis=1))
    np.testing.assert_allclose([s["radius"] for s in p.contact_shape_params], 20.0)
    np.testing.assert_allclose(np.abs(contact_normals(p)), np.tile([0, 0, 1.0], (96, 1)))
    np.testing.assert_array_equal(p.device_channel_indices, np.arange(96))
    assert p.annotations["name"] == "utah96" and p.annotations["manufacturer"]
    assert len(set(p.contact_ids)) == 96


def test_utah96_params():
    p = make_probe("utah96", site_radius_um=10.0, pitch_um=250.0, shank_length_um=1500.0)
    np.testing.assert_allclose(p.contact_positions[:, 2], -1500.0)
    np.testing.assert_allclose(np.diff(np.unique(p.contact_positions[:, 0])), 250.0)


def test_neuropixels1_geometry():
    p = make_probe("neuropixels1")
    pos = p.contact_positions
    assert pos.shape == (384, 3)
    # staggered columns re-centred on the 70 µm shank: 43,11 / 59,27 µm from the left edge
    np.testing.assert_allclose(sorted(np.unique(pos[:, 0])), [-24.0, -8.0, 8.0, 24.0])
    np.testing.assert_allclose(pos[:, 1], 0.0)
    np.testing.assert_allclose(pos[:, 2].min(), -(3840.0 + 200.0) + 175.0)
    np.testing.assert_allclose(np.diff(np.unique(pos[:, 2])), 20.0)
    assert np.all(pos[:, 2] < 0)
    r = p.contact_shape_params[0]["radius"]
    np.testing.assert_allclose(np.pi * r ** 2, 144.0)  # equal area with the 12 x 12 µm square
    np.testing.assert_allclose(contact_normals(p), np.tile([0, 1.0, 0], (384, 1)), atol=1e-12)


def test_neuropixels1_channels_and_depth():
    p = make_probe("neuropixels1", num_channels=960, tip_depth_um=10000.0)
    assert p.get_contact_count() == 960
    np.testing.assert_allclose(p.contact_positions[:, 2].max(), -10000 + 175 + 20 * 479)


def test_json_roundtrip(tmp_path):
    p = make_probe("neuropixels1", num_channels=64)
    f = tmp_path / "probe.json"
    probe_to_json(p, f)
    q = probe_from_json(f)
    np.testing.assert_allclose(q.contact_positions, p.contact_positions)
    np.testing.assert_allclose(q.contact_plane_axes, p.contact_plane_axes)
    np.testing.assert_array_equal(q.device_channel_indices, p.device_channel_indices)
    assert q.contact_shape_params[0]["radius"] == pytest.approx(p.contact_shape_params[0]["radius"])
    assert q.annotations["name"] == "neuropixels1"


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(layout="michigan"), ValueError, r"layout must be one of \['utah96', 'utah', 'neuropixels1'"),
    (dict(layout="utah96", pitch_um=0.0), ValueError, r"pitch_um must be in \[10, 5000\] µm"),
    (dict(layout="utah96", shank_length_um=-5), ValueError, r"shank_length_um must be in"),
    (dict(layout="utah96", site_radius_um=0.0), ValueError, r"site_radius_um must be in \(0, 5000\] µm"),
    (dict(layout="neuropixels1", num_channels=383), ValueError, r"num_channels must be an even"),
    (dict(layout="neuropixels1", num_channels=962), ValueError, r"num_channels must be in \[2, 960\]"),
    (dict(layout="neuropixels1", num_channels=2.5), ValueError, r"num_channels must be an integer"),
    (dict(layout="neuropixels1", tip_depth_um=100.0), ValueError, r"tip_depth_um must be in"),
    (dict(layout="utah96", num_channels=3), TypeError, r"make_probe\('utah96'\)"),
])
def test_make_probe_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        make_probe(**kwargs)


# -- the layout library -----------------------------------------------------------------------

from electrode_models.probes import anatomical_class, layout_anatomical_class  # noqa: E402


@pytest.mark.parametrize("layout", list_layouts())
def test_every_layout_in_tissue_frame(layout):
    p = make_probe(layout)
    pos = p.contact_positions
    cls = anatomical_class(p)
    assert cls == layout_anatomical_class(layout) == p.annotations["anatomical_class"]
    if cls == "intracortical":
        assert np.all(pos[:, 2] < 0)
    elif cls == "subdural":
        np.testing.assert_allclose(pos[:, 2], 0.0)
        np.testing.assert_allclose(contact_normals(p), np.tile([0, 0, -1.0], (len(pos), 1)), atol=1e-12)
    else:
        assert np.all(pos[:, 2] > 0)
    assert len(set(map(tuple, np.round(pos, 6)))) == len(pos)  # no two contacts coincide
    np.testing.assert_allclose(np.linalg.norm(contact_normals(p), axis=1), 1.0)


def test_neuropixels2_geometry():
    p = make_probe("neuropixels2")
    pos = p.contact_positions
    assert pos.shape == (384, 3)
    assert len(np.unique(p.shank_ids)) == 4 and np.all(np.unique(p.shank_ids, return_counts=True)[1] == 96)
    centres = [pos[p.shank_ids == s, 0].mean() for s in "0123"]
    np.testing.assert_allclose(np.diff(centres), 250.0)  # 250 µm shank spacing
    np.testing.assert_allclose(np.diff(np.unique(pos[:, 2])), 15.0)  # 15 µm row pitch
    xs = np.sort(np.unique(pos[p.shank_ids == "0", 0]))
    np.testing.assert_allclose(np.diff(xs), 32.0)
    one = make_probe("neuropixels2", num_channels=384, num_shanks_used=1, first_row=100)
    assert one.get_contact_count() == 384 and np.ptp(one.contact_positions[:, 2]) == 15.0 * 191


def test_threads_and_grids():
    t = make_probe("threads", num_threads=4, contacts_per_thread=32, pitch_um=50.0)
    assert t.get_contact_count() == 128 and len(np.unique(t.shank_ids)) == 4
    np.testing.assert_allclose(np.diff(np.unique(t.contact_positions[:, 2])), 50.0)
    u = make_probe("uecog", rows=32, cols=32, pitch_um=50.0, site_radius_um=10.0)
    assert u.get_contact_count() == 1024
    e = make_probe("epidural", dura_thickness_um=800.0)
    np.testing.assert_allclose(e.contact_positions[:, 2], 800.0)
    tet = make_probe("tetrode", num_tetrodes=2)
    assert tet.get_contact_count() == 8
    ms = make_probe("multishank", num_shanks=3, channels_per_shank=8, shank_spacing_um=150.0)
    np.testing.assert_allclose(np.unique(ms.contact_positions[:, 0]), [-150.0, 0.0, 150.0])
    utah = make_probe("utah", rows=4, cols=5, drop_corners=0)
    assert utah.get_contact_count() == 20


def test_stent_on_a_cylinder_facing_out():
    p = make_probe("stent", vessel_radius_um=2000.0, vessel_center_z_um=3500.0)
    pos = p.contact_positions
    assert pos.shape == (16, 3)
    radial = pos[:, [0, 2]] - [0.0, 3500.0]
    np.testing.assert_allclose(np.linalg.norm(radial, axis=1), 2000.0)
    n = contact_normals(p)
    np.testing.assert_allclose(n[:, [0, 2]], radial / 2000.0, atol=1e-12)  # outward
    np.testing.assert_allclose(n[0], [0, 0, -1.0], atol=1e-12)  # the first faces the cortex
    assert pos[:, 2].min() == pytest.approx(1500.0)


def test_anatomical_class_inferred_from_json(tmp_path):
    p = make_probe("ecog", rows=2, cols=2)
    p.annotations.pop("anatomical_class")
    assert anatomical_class(p) == "subdural"
    e = make_probe("epidural", rows=2, cols=2)
    e.annotations.pop("anatomical_class")
    assert anatomical_class(e) == "epidural"
    f = tmp_path / "grid.json"
    probe_to_json(make_probe("stent"), f)
    assert anatomical_class(probe_from_json(f)) == "endovascular"


def test_json_2d_probe_rejected(tmp_path):
    import probeinterface as pi
    p2 = pi.Probe(ndim=2, si_units="um")
    p2.set_contacts(positions=np.zeros((1, 2)), shapes="circle", shape_params={"radius": 5})
    f = tmp_path / "flat.json"
    pi.write_probeinterface(str(f), p2)
    with pytest.raises(ValueError, match=r"must be 3-D \(ndim=3, tissue frame\), got ndim=2"):
        probe_from_json(f)


@pytest.mark.parametrize("kwargs, match", [
    (dict(layout="neuropixels2", num_channels=380, num_shanks_used=4), r"multiple of 2 x num_shanks_used = 8"),
    (dict(layout="neuropixels2", first_row=600), r"first_row must be in \[0, 592\]"),
    (dict(layout="neuropixels2", tip_depth_um=100.0), r"tip_depth_um must be in"),
    (dict(layout="threads", num_threads=0), r"num_threads must be in \[1, 96\]"),
    (dict(layout="uecog", rows=40, cols=40), r"rows x cols must be <= 1024 contacts, got 1600"),
    (dict(layout="epidural", dura_thickness_um=-1.0), r"dura_thickness_um must be in \[0, 10000\] µm"),
    (dict(layout="stent", vessel_center_z_um=100.0), r"vessel_center_z_um must be in \[2500, 50000\] µm"),
    (dict(layout="tetrode", wire_spacing_um=1.0), r"wire_spacing_um must be in \[5, 200\] µm"),
    (dict(layout="utah", drop_corners=2), r"drop_corners must be in \[0, 1\]"),
    (dict(layout="multishank", pitch_um=1.0), r"pitch_um must be in \[5, 1000\] µm"),
])
def test_new_layout_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_probe(**kwargs)


def test_anatomical_class_errors():
    with pytest.raises(ValueError, match=r"anatomical_class must be one of \['intracortical'"):
        list_layouts("cranial")
    with pytest.raises(ValueError, match=r"layout must be one of"):
        layout_anatomical_class("foo")
