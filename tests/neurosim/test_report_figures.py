"""Report figures (issue 13, items 7 and 9): the data plotted, NaN as "no data", sane empty panels."""

from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest

matplotlib.rcParams["figure.max_open_warning"] = 0

from neurosim.design import Design  # noqa: E402
from neurosim.electrodes import build_probe  # noqa: E402
from neurosim.report import (NO_DATA_COLOUR, contact_map, make_design_report_figure,  # noqa: E402
                             make_sweep_figure)


@pytest.fixture
def generate_axes():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def _shank(n=6, pitch=20.0):
    """A vertical shank in the x-z plane: x alternates 0/32 µm, z descends by ``pitch``."""
    return np.column_stack([np.tile([0.0, 32.0], n)[:n], np.zeros(n), -100.0 - pitch * np.arange(n)])


def test_contact_map_colours_each_contact_by_its_value_and_nan_as_no_data(generate_axes):
    from matplotlib.colors import to_rgba

    pos = _shank()
    values = np.array([0.0, 0.25, np.nan, 1.0, np.nan, 0.5])
    out = contact_map(generate_axes, pos, values, 6.0, label="detection F1", value_range=(0.0, 1.0),
                      cmap="viridis")
    np.testing.assert_array_equal(out["index_values"], [0, 1, 3, 5])
    np.testing.assert_array_equal(out["index_no_data"], [2, 4])
    np.testing.assert_array_equal(out["values"].get_array(), [0.0, 0.25, 1.0, 0.5])
    out["values"].update_scalarmappable()
    cmap = matplotlib.colormaps["viridis"]
    np.testing.assert_allclose(out["values"].get_facecolors(), cmap([0.0, 0.25, 1.0, 0.5]), atol=1e-6)
    assert len(out["no_data"].get_paths()) == 2
    np.testing.assert_allclose(out["no_data"].get_facecolors(), [to_rgba(NO_DATA_COLOUR)])
    legend = [t.get_text() for t in generate_axes.get_legend().get_texts()]
    assert legend == ["no data (2)"]
    assert out["colorbar"].ax.get_ylabel() == "detection F1"
    # circles at the contacts, in the shank's x-z plane
    assert out["axes"] == ("x", "z")
    centres = [(path.vertices.min(axis=0) + path.vertices.max(axis=0)) / 2
               for path in out["values"].get_paths()]
    np.testing.assert_allclose(centres, pos[[0, 1, 3, 5]][:, [0, 2]], atol=1e-6)
    x0, x1 = generate_axes.get_xlim()
    z0, z1 = generate_axes.get_ylim()
    assert x0 < pos[:, 0].min() and x1 > pos[:, 0].max()
    assert z0 < pos[:, 2].min() and z1 > pos[:, 2].max()


def test_contact_map_all_nan_and_single_contact_axes_are_sane(generate_axes):
    out = contact_map(generate_axes, np.array([[10.0, 20.0, -300.0]]), np.array([np.nan]), 7.5)
    assert out["values"].get_array().size == 0 and len(out["index_no_data"]) == 1
    for lo, hi in (generate_axes.get_xlim(), generate_axes.get_ylim()):
        assert hi - lo >= 2 * 7.5  # the contact fits; never the ±0.04 µm of an empty scatter


def test_contact_map_sizes_contacts_to_be_seen(generate_axes):
    """A Utah-like grid (400 µm pitch, 20 µm tips): circles drawn at 40 % of the pitch."""
    g = np.arange(3) * 400.0
    pos = np.array([[x, y, -1000.0] for x in g for y in g])
    out = contact_map(generate_axes, pos, np.arange(9.0), 20.0)
    assert out["axes"] == ("x", "y")
    extents = out["values"].get_datalim(generate_axes.transData)
    assert extents.width == pytest.approx(800.0 + 2 * 0.4 * 400.0)


@pytest.mark.parametrize("pos, values, match", [
    (np.zeros((0, 3)), np.zeros(0), r"contact_positions_um must have shape \(num_contacts >= 1, 3\)"),
    (np.zeros((3, 2)), np.zeros(3), r"contact_positions_um must have shape"),
    (np.zeros((3, 3)), np.zeros(4), r"values must have shape \(3,\) \(one per contact\), got \(4,\)"),
])
def test_contact_map_errors(generate_axes, pos, values, match):
    with pytest.raises(ValueError, match=match):
        contact_map(generate_axes, pos, values)


def _rows(bits, channels, link_bps=2e6):
    return [{"point": i, "chip.adc.bits": b, "num_channels": c, "power_total_mW": 1.0 + i,
             "f1": 0.5, "precision": 0.6, "recall": 0.4, "raw_rate_bps": c * 30000.0 * b,
             "event_rate_bps": 1e4, "sent_rate_bps": min(c * 30000.0 * b, link_bps),
             "link_capacity_bps": link_bps, "power_amplifier_uW": 100.0, "power_adc_uW": 10.0,
             "power_digital_uW": 1.0, "power_radio_uW": 5.0}
            for i, (b, c) in enumerate(zip(bits, channels))]


def test_sweep_data_rate_panel_against_the_varied_field_when_channels_do_not_vary():
    import matplotlib.pyplot as plt

    bits = [6, 8, 10, 12]
    fig = make_sweep_figure(_rows(bits, [16] * 4), ["chip.adc.bits"])
    a = fig.axes[1]
    assert a.get_xscale() == "linear" and a.get_xlabel() == "chip.adc.bits"
    raw = next(line for line in a.get_lines() if line.get_label() == "raw")
    np.testing.assert_array_equal(raw.get_xdata(), bits)
    np.testing.assert_allclose(raw.get_ydata(), 16 * 30000.0 * np.array(bits) / 1e6)
    link = next(line for line in a.get_lines() if line.get_label().startswith("link capacity"))
    # a horizontal line across the whole axis (axes x from 0 to 1) at 2 Mbit/s
    np.testing.assert_array_equal(link.get_xdata(), [0, 1])
    np.testing.assert_array_equal(link.get_ydata(), [2.0, 2.0])
    assert "link capacity (2 Mbit/s)" in [t.get_text() for t in a.get_legend().get_texts()]
    plt.close(fig)


def test_sweep_data_rate_panel_against_channels_on_a_log2_axis():
    import matplotlib.pyplot as plt

    fig = make_sweep_figure(_rows([10, 10, 10], [64, 256, 1024]), ["implant.layout"])
    a = fig.axes[1]
    assert a.get_xscale() == "log" and a.get_xlabel() == "channels"
    raw = next(line for line in a.get_lines() if line.get_label() == "raw")
    np.testing.assert_array_equal(raw.get_xdata(), [64, 256, 1024])
    plt.close(fig)


def test_sweep_link_capacity_that_varies_is_drawn_per_point():
    import matplotlib.pyplot as plt

    rows = _rows([10, 10], [16, 16])
    rows[0]["link_capacity_bps"], rows[1]["link_capacity_bps"] = 1e6, 4e6
    rows[0]["chip.radio.link_capacity_mbps"], rows[1]["chip.radio.link_capacity_mbps"] = 1.0, 4.0
    fig = make_sweep_figure(rows, ["chip.radio.link_capacity_mbps"])
    link = next(line for line in fig.axes[1].get_lines() if line.get_label() == "link capacity")
    np.testing.assert_array_equal(link.get_xdata(), [1.0, 4.0])
    np.testing.assert_array_equal(link.get_ydata(), [1.0, 4.0])
    plt.close(fig)


def _result(f1, best_channel, overall_f1):
    design = Design.from_dict({"name": "r", "implant": {"layout": "linear", "layout_params": {
        "num_channels": 4, "pitch_um": 50.0, "tip_depth_um": 1000.0}}})
    n = len(best_channel)
    metrics = {"power_total_mW": 1.0, "power_per_channel_uW": 250.0, "raw_rate_bps": 1.9e6,
               "event_rate_bps": 1e3, "link_capacity_bps": 2e6, "f1": overall_f1, "num_channels": 4,
               "num_cells": n, **{f"power_{b}_uW": 10.0 for b in ("amplifier", "adc", "digital", "radio")}}
    scores = SimpleNamespace(channel_f1=np.asarray(f1, float), unit_best_channel=np.asarray(best_channel),
                             unit_recall=np.linspace(0, 1, n))
    activity = SimpleNamespace(positions_um=np.zeros((n, 3)) + [0, 0, -1000.0],
                               cell_types=np.zeros(n, int))
    return SimpleNamespace(design=design, metrics=metrics, scores=scores, activity=activity)


def test_design_report_draws_a_nan_channel_as_no_data():
    import matplotlib.pyplot as plt

    fig = make_design_report_figure(_result([0.2, np.nan, 0.9, 0.4], [0, 2, 3], 0.5))
    a = fig.axes[2]
    contacts = [c for c in a.collections if c.get_array() is not None and c.get_array().size]
    np.testing.assert_array_equal(contacts[0].get_array(), [0.2, 0.9, 0.4])
    assert [t.get_text() for t in a.get_legend().get_texts()] == \
        ["no data: no spike or detection to score (1)"]
    assert a.get_title() == "F1 per channel (overall 0.500)"
    assert len(fig.axes[3].collections[0].get_offsets()) == 3  # the three units with a best channel
    plt.close(fig)


def test_design_report_with_no_data_says_so_on_sane_axes():
    """The stent case: no F1 anywhere, no unit with a best channel."""
    import matplotlib.pyplot as plt

    result = _result([np.nan] * 4, [-1, -1], float("nan"))
    fig = make_design_report_figure(result)
    f1_axes, unit_axes = fig.axes[2], fig.axes[3]
    assert "nan" not in f1_axes.get_title().lower()
    assert "no data" in f1_axes.get_title()
    texts = [t.get_text() for t in unit_axes.texts]
    assert any("no units within reach" in t for t in texts)
    assert unit_axes.get_xlim() == (0.0, result.design.population.reach_radius_um)
    assert unit_axes.get_ylim() == (0.0, 1.0)
    pos = build_probe(result.design).positions_um
    lo, hi = f1_axes.get_ylim()
    assert lo < pos[:, 2].min() and hi > pos[:, 2].max()  # the shank, not ±0.04 µm
    plt.close(fig)
