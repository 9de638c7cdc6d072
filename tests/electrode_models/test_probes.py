import numpy as np
import pytest

from electrode_models.probes import (contact_normals, list_layouts, make_probe, probe_from_json,
                                     probe_to_json)


def test_list_layouts():
    assert set(list_layouts()) == {"utah96", "neuropixels1"}


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
    (dict(layout="michigan"), ValueError, r"layout must be one of \['utah96', 'neuropixels1'\]"),
    (dict(layout="utah96", pitch_um=0.0), ValueError, r"pitch_um must be in \[10, 5000\] µm"),
    (dict(layout="utah96", shank_length_um=-5), ValueError, r"shank_length_um must be in"),
    (dict(layout="utah96", site_radius_um=0.0), ValueError, r"site_radius_um must be in \(0, 500\] µm"),
    (dict(layout="neuropixels1", num_channels=383), ValueError, r"num_channels must be an even"),
    (dict(layout="neuropixels1", num_channels=962), ValueError, r"num_channels must be in \[2, 960\]"),
    (dict(layout="neuropixels1", num_channels=2.5), ValueError, r"num_channels must be an integer"),
    (dict(layout="neuropixels1", tip_depth_um=100.0), ValueError, r"tip_depth_um must be in"),
    (dict(layout="utah96", num_channels=3), TypeError, r"make_probe\('utah96'\)"),
])
def test_make_probe_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        make_probe(**kwargs)
