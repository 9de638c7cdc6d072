"""Headless renders of every layout: non-blank, distinct, coloured by values, with layers/meninges."""

import itertools

import numpy as np
import pytest

from electrode_models.layouts import REGISTRY
from electrode_models.probes import anatomical_class, contact_normals, make_probe
from electrode_models.render import (CSF_THICKNESS_UM, DURA_THICKNESS_UM, SKULL_THICKNESS_UM,
                                     meninges_stack, render_implant)

pytest.importorskip("pyvista")
PIL = pytest.importorskip("PIL.Image")

SIZE = (480, 360)  # small images: fast, and still telling the layouts apart
#: small variants of every layout (the defaults of utah and utah96 coincide)
PARAMS = {
    "utah96": {}, "utah": dict(rows=4, cols=4, drop_corners=0),
    "neuropixels1": dict(num_channels=32, tip_depth_um=900.0),
    "neuropixels2": dict(num_channels=32), "threads": dict(num_threads=4, contacts_per_thread=8),
    "linear": dict(num_channels=16, pitch_um=100.0, tip_depth_um=1900.0),
    "multishank": dict(num_shanks=4, channels_per_shank=8, tip_depth_um=1000.0),
    "tetrode": dict(num_tetrodes=2), "ecog": dict(rows=4, cols=4), "uecog": dict(rows=4, cols=4),
    "epidural": dict(rows=2, cols=2), "stent": dict(num_contacts=8),
}


def _geometry(layout):
    probe = make_probe(layout, **PARAMS[layout])
    pos = np.asarray(probe.contact_positions, float)
    radius = np.array([p["radius"] for p in probe.contact_shape_params], float)
    return pos, contact_normals(probe), radius, anatomical_class(probe)


def _cells(pos, n=60, seed=0):
    rng = np.random.default_rng(seed)
    centre = pos.mean(axis=0) * [1, 1, 0] + [0, 0, min(pos[:, 2].min(), -100.0)]
    cells = centre + rng.normal(0.0, 80.0, (n, 3))
    cells[:, 2] = np.minimum(cells[:, 2], -20.0)
    return cells, rng.integers(0, 2, n)


def _render(tmp_path, name, layout="linear", **kwargs):
    pos, normals, radius, cls = _geometry(layout)
    path = render_implant(tmp_path / f"{name}.png", pos, normals, radius, anatomical_class=cls,
                          window_size=SIZE, tissue_size_um=(1500.0, 1500.0, 2000.0), **kwargs)
    return np.asarray(PIL.open(path).convert("RGB"), float)


def _differ(a, b, min_fraction=0.002):
    """Whether at least ``min_fraction`` of the pixels differ visibly (by more than 30 levels)."""
    return a.shape == b.shape and np.mean(np.abs(a - b).max(axis=2) > 30) >= min_fraction


def test_every_layout_renders_non_blank_and_distinct(tmp_path):
    images = {}
    for layout in REGISTRY:
        img = _render(tmp_path, layout, layout)
        assert img.std() > 5, f"{layout}: blank image"
        images[layout] = img
    assert set(images) == set(PARAMS)
    for a, b in itertools.combinations(images, 2):
        assert _differ(images[a], images[b]), f"{a} and {b} render alike"


def test_contacts_coloured_by_a_value_and_by_alive(tmp_path):
    pos, *_ = _geometry("linear")
    plain = _render(tmp_path, "plain")
    snr = _render(tmp_path, "snr", contact_values=np.linspace(0.0, 20.0, len(pos)), value_label="SNR")
    f1 = np.linspace(0.0, 1.0, len(pos))
    f1[::3] = np.nan  # channels without detections or true spikes: grey
    nan = _render(tmp_path, "f1", contact_values=f1, value_label="detection F1", value_range=(0, 1))
    alive = _render(tmp_path, "alive", contact_values=np.arange(len(pos)) % 4 != 0, value_label="channel")
    assert _differ(plain, snr) and _differ(plain, nan) and _differ(plain, alive) and _differ(snr, alive)


def test_cells_coloured_by_type_or_detectability(tmp_path):
    pos, *_ = _geometry("linear")
    cells, types = _cells(pos)
    by_type = _render(tmp_path, "type", cell_positions_um=cells, cell_types=types)
    by_det = _render(tmp_path, "det", cell_positions_um=cells, cell_types=types,
                     cell_colour_by="detectable", cell_detectable=np.arange(len(cells)) % 2 == 0)
    assert by_type.std() > 5 and _differ(by_type, by_det)


def test_layers_drawn_for_intracortical(tmp_path):
    with_layers = _render(tmp_path, "layers")
    without = _render(tmp_path, "nolayers", show_layers=False)
    shallow = _render(tmp_path, "shallow", layer_boundaries_um=(100, 300, 500, 700, 900))
    assert _differ(with_layers, without) and _differ(with_layers, shallow)


@pytest.mark.parametrize("layout", ["epidural", "ecog", "stent"])
def test_meninges_drawn_above_surface_implants(tmp_path, layout):
    on = _render(tmp_path, f"{layout}_on", layout)
    off = _render(tmp_path, f"{layout}_off", layout, show_meninges=False)
    assert _differ(on, off, 0.02)


def test_meninges_stack_thicknesses():
    # epidural: the dura's top meets the grid (1 mm above the cortex), skull above the grid
    pos = np.array([[0.0, 0.0, 1000.0], [4000.0, 0.0, 1000.0]])
    stack = meninges_stack("epidural", pos)
    assert [s[0] for s in stack] == ["pia/CSF", "dura", "skull"]
    (_, c0, c1, _), (_, d0, d1, _), (_, s0, s1, skull) = stack
    assert c0 == 0.0 and c1 == d0 and d1 == pytest.approx(1000.0) and s0 > 1000.0 and s1 > s0
    assert skull == SKULL_THICKNESS_UM and 5000.0 <= skull <= 7000.0  # human calvaria
    assert 300.0 <= DURA_THICKNESS_UM <= 1000.0 and 300.0 <= CSF_THICKNESS_UM <= 2000.0
    # subdural: nominal CSF and dura; endovascular: the skull rests on the vessel
    sub = meninges_stack("subdural", np.zeros((1, 3)))
    assert sub[1][2] == pytest.approx(CSF_THICKNESS_UM + DURA_THICKNESS_UM)
    vessel_top = 6000.0
    endo = meninges_stack("endovascular", np.array([[0.0, 0.0, 1000.0], [0.0, 0.0, vessel_top]]))
    assert endo[2][1] == pytest.approx(vessel_top)
    assert meninges_stack("intracortical", pos) == []


@pytest.mark.parametrize("kwargs, match", [
    (dict(cell_colour_by="size"), r"cell_colour_by must be one of \['type', 'detectable'\], got 'size'"),
    (dict(cell_colour_by="detectable", cell_positions_um=np.zeros((2, 3))),
     r"cell_detectable \(bool per cell\) is required with cell_colour_by='detectable'"),
    (dict(cell_colour_by="detectable", cell_positions_um=np.zeros((2, 3)), cell_detectable=[True]),
     r"cell_detectable must have shape \(2\), got \(1,\)"),
    (dict(contact_values=[1.0, 2.0]), r"contact_values must have shape \(16\), got \(2,\)"),
    (dict(anatomical_class="cranial"), r"anatomical_class must be one of .*intracortical.*got 'cranial'"),
    (dict(layer_boundaries_um=(150, 100, 1000, 1500, 2000)),
     r"layer_boundaries_um must be 5 strictly increasing depths > 0 µm"),
    (dict(category_labels=("alive",)), r"category_labels must name 2 categories"),
])
def test_render_errors(tmp_path, kwargs, match):
    pos, normals, radius, _ = _geometry("linear")
    kwargs.setdefault("anatomical_class", "intracortical")
    with pytest.raises(ValueError, match=match):
        render_implant(tmp_path / "x.png", pos, normals, radius, **kwargs)


def test_render_rejects_empty_probe_and_bad_class(tmp_path):
    with pytest.raises(ValueError, match=r"at least one contact"):
        render_implant(tmp_path / "x.png", np.zeros((0, 3)), np.zeros((0, 3)), 10.0)
    with pytest.raises(ValueError, match=r"anatomical_class must be one of"):
        meninges_stack("skull", np.zeros((1, 3)))


def test_no_path_returns_a_plotter_for_interactive_use(tmp_path):
    probe = make_probe("utah96")
    pos = np.asarray(probe.contact_positions, float)
    plotter = render_implant(None, pos, contact_normals(probe), 10.0)
    try:
        assert plotter.renderer.actors  # the scene is built, not yet drawn to a file
        image = plotter.screenshot(str(tmp_path / "x.png"))
        assert np.asarray(image).std() > 0
    finally:
        plotter.close()


# -- a render a designer can read (issue 13, item 4) ------------------------------------------

def test_drawn_contact_radius_and_view_bounds_closed_form():
    from electrode_models.render import array_view_bounds, drawn_contact_radius_um

    line = np.column_stack([np.zeros(11), np.zeros(11), -500.0 - 20.0 * np.arange(11)])
    np.testing.assert_allclose(drawn_contact_radius_um(line, 5.0), 8.0)  # 0.4 x 20 µm pitch
    np.testing.assert_allclose(drawn_contact_radius_um(line, 12.0), 12.0)  # its own radius
    np.testing.assert_allclose(drawn_contact_radius_um(line[:1], 5.0), 15.0)  # a lone contact
    # extent 200 µm: margin max(20, 4 x 8, 100) = 100 µm
    np.testing.assert_allclose(array_view_bounds(line, 5.0), (-100, 100, -100, 100, -800, -400))
    g = np.arange(10) * 400.0
    grid = np.array([[x, y, -1000.0] for x in g for y in g])
    # extent 3600 µm, pitch 400 -> drawn 160 µm: margin max(360, 640, 100) = 640 µm
    np.testing.assert_allclose(array_view_bounds(grid, 20.0), (-640, 4240, -640, 4240, -1640, -360))


def test_camera_frames_the_array_not_the_tissue_block():
    from electrode_models.render import array_view_bounds

    probe = make_probe("linear", num_channels=16, pitch_um=20.0, tip_depth_um=1000.0)
    pos = np.asarray(probe.contact_positions, float)
    plotter = render_implant(None, pos, contact_normals(probe), 6.0, window_size=SIZE,
                             tissue_size_um=(5000.0, 5000.0, 2000.0))
    try:
        cam = plotter.camera
        box = np.reshape(array_view_bounds(pos, 6.0), (3, 2))
        np.testing.assert_allclose(cam.focal_point, box.mean(axis=1), atol=1e-6)
        # the height seen at the focal point: the view box (diagonal ~0.57 mm) fills it, while
        # the 5 x 5 x 2 mm tissue block (diagonal 7.3 mm) does not fit
        seen_um = 2.0 * cam.distance * np.tan(np.radians(cam.view_angle) / 2.0)
        diagonal = float(np.linalg.norm(np.ptp(box, axis=1)))
        assert np.ptp(pos[:, 2]) < seen_um < 1.2 * diagonal
        assert seen_um < 0.2 * np.linalg.norm([5000.0, 5000.0, 2000.0])
    finally:
        plotter.close()


def _contact_mesh(plotter, name):
    for actor in plotter.actors.values():
        mapper = getattr(actor, "mapper", None)
        data = getattr(mapper, "dataset", None)
        if data is not None and name in data.cell_data:
            return data
    raise AssertionError(f"no mesh carries {name!r}")


def test_contacts_carry_their_values_and_nan_is_no_data():
    from electrode_models.render import NO_DATA_COLOUR

    pos, normals, radius, cls = _geometry("linear")
    values = np.linspace(0.0, 1.0, len(pos))
    values[[2, 5]] = np.nan
    plotter = render_implant(None, pos, normals, radius, contact_values=values, anatomical_class=cls,
                             value_label="detection F1", value_range=(0.0, 1.0), window_size=SIZE)
    try:
        mesh = _contact_mesh(plotter, "detection F1")
        per_disc = mesh.cell_data["detection F1"].reshape(len(pos), -1)  # every disc: the same cells
        np.testing.assert_array_equal(per_disc, np.repeat(values[:, None], per_disc.shape[1], axis=1))
        assert list(plotter.scalar_bars.keys()) == ["detection F1"]
        actor = next(a for a in plotter.actors.values()
                     if getattr(getattr(a, "mapper", None), "dataset", None) is mesh)
        lut = actor.mapper.lookup_table
        np.testing.assert_allclose(lut.nan_color.float_rgb, matplotlib_rgb(NO_DATA_COLOUR), atol=1e-3)
        assert tuple(actor.mapper.scalar_range) == (0.0, 1.0)
        assert plotter.legend.GetEntryString(0) == "no data (2 contacts)"
    finally:
        plotter.close()


def matplotlib_rgb(hex_colour):
    return tuple(int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))


def test_no_legend_entry_for_no_data_when_every_contact_has_a_value():
    pos, normals, radius, cls = _geometry("linear")
    plotter = render_implant(None, pos, normals, radius, contact_values=np.arange(len(pos), dtype=float),
                             value_label="SNR", anatomical_class=cls, window_size=SIZE)
    try:
        assert plotter.legend is None
        mesh = _contact_mesh(plotter, "SNR")
        assert np.isfinite(mesh.cell_data["SNR"]).all()
    finally:
        plotter.close()
