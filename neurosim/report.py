"""Figures of a design's report, of a sweep's trade-offs and of per-channel values on the contacts.

Each figure has a ``make_*`` function that returns the matplotlib Figure (for notebooks and tests)
and a function that writes it to a file (atomically). `contact_map` draws a per-channel value on
a 2-D map of the contacts (probeinterface ``plot_probe`` style), NaN as "no data"; panels with no
data say so. No function here selects a matplotlib backend.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["design_report_figure", "make_design_report_figure", "sweep_figure", "make_sweep_figure",
           "contact_map", "implant_figure", "make_implant_figure", "NO_DATA_COLOUR"]

_BLOCKS = ("amplifier", "adc", "digital", "radio")


def _pyplot():
    # the backend is left alone (no call selects one): a notebook keeps its inline backend, and
    # without a display matplotlib falls back to Agg by itself
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> Path:
    """Write the figure to a temporary name beside ``path``, then rename it (never half a file)."""
    from neurosim.io.atomic import atomic_path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_path(path, path.suffix or ".png") as tmp:
            fig.savefig(tmp, dpi=110, format=(path.suffix[1:] or "png"))
    finally:
        _pyplot().close(fig)
    return path


def _data_rate_panel(a, rows, varied, channels, labels) -> None:
    """Data rates per point against the channel count (log2 axis) when it varies, else against
    the first varied field (linear axis when numeric, one tick per point otherwise); the link
    capacity is a horizontal line when it is the same for every point."""
    if len(np.unique(channels)) > 1:
        x, x_name, numeric = channels, "channels", True
    else:
        field = varied[0] if varied else None
        xs = [r.get(field) for r in rows] if field else []
        numeric = bool(xs) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in xs)
        x = np.asarray(xs, float) if numeric else np.arange(len(rows), dtype=float)
        x_name = field if numeric else (", ".join(varied) or "sweep point")
    order = np.argsort(x, kind="stable")
    style = "o-" if len(np.unique(x)) == len(x) else "o"
    for key, lab in (("raw_rate_bps", "raw"), ("event_rate_bps", "events"), ("sent_rate_bps", "sent")):
        a.plot(x[order], np.array([rows[i][key] for i in order], float) / 1e6, style, label=lab, alpha=0.8)
    link = np.array([rows[i]["link_capacity_bps"] for i in order], float) / 1e6
    if np.allclose(link, link[0]):
        a.axhline(link[0], color="k", ls="--", label=f"link capacity ({link[0]:.3g} Mbit/s)")
    else:
        a.plot(x[order], link, "k--", marker="_", markersize=14, label="link capacity")
    if x_name == "channels":
        a.set_xscale("log", base=2)
    elif not numeric:
        a.set_xticks(x, labels, rotation=30, ha="right", fontsize=7)
    a.set_yscale("log")
    a.set_xlabel(x_name)
    a.set_ylabel("data rate (Mbit/s)")
    a.set_title(f"data rate vs {x_name.split('.')[-1] if numeric else 'sweep point'}")
    a.legend(fontsize=8)


def sweep_figure(rows: list[dict], varied: list[str], path) -> Path:
    """Write `make_sweep_figure` to a PNG file and return its path."""
    return _save(make_sweep_figure(rows, varied), path)


def make_sweep_figure(rows: list[dict], varied: list[str]):
    """Trade-off plots of a sweep: power vs F1, data rate vs channels (or the varied field),
    power by block, F1 vs field.

    Parameters
    ----------
    rows : list of dict
        One row per sweep point (`neurosim.sweep.SweepResult.rows`).
    varied : list of str
        The varied design fields, in order.

    Returns
    -------
    matplotlib.figure.Figure
        Axes ``fig.axes[0..3]``: power vs F1, data rate, power by block, detection quality.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(2, 2, figsize=(12, 8.5))
    x_name = varied[0] if varied else "point"
    labels = [", ".join(f"{v.split('.')[-1]}={r.get(v)}" for v in varied) or str(r["point"]) for r in rows]
    power_mW = np.array([r["power_total_mW"] for r in rows], float)
    f1 = np.array([r["f1"] for r in rows], float)
    channels = np.array([r["num_channels"] for r in rows], float)

    a = ax[0, 0]
    a.scatter(power_mW, f1, c=np.arange(len(rows)), cmap="viridis", s=50)
    for xi, yi, lab in zip(power_mW, f1, labels):
        a.annotate(lab, (xi, yi), fontsize=7, xytext=(3, 3), textcoords="offset points")
    a.set_xlabel("chip power (mW)")
    a.set_ylabel("detection F1")
    a.set_title("power vs detection quality")

    _data_rate_panel(ax[0, 1], rows, varied, channels, labels)

    a = ax[1, 0]
    bottom = np.zeros(len(rows))
    for block in _BLOCKS:
        vals = np.array([r.get(f"power_{block}_uW", 0.0) for r in rows], float) / 1e3
        a.bar(np.arange(len(rows)), vals, bottom=bottom, label=block)
        bottom += vals
    a.set_xticks(np.arange(len(rows)), labels, rotation=30, ha="right", fontsize=7)
    a.set_ylabel("power (mW)")
    a.set_title("power by block")
    a.legend(fontsize=8)

    a = ax[1, 1]
    if len(np.unique(channels)) == len(rows) and any("layout" in v or "channels" in v for v in varied):
        x_name = "num_channels"  # a channel-count sweep reads best against channels
    xs = [r.get(x_name) for r in rows]
    numeric = all(isinstance(v, (int, float)) for v in xs)
    pos = np.asarray(xs, float) if numeric else np.arange(len(rows))
    style = "o-" if numeric and len(np.unique(pos)) == len(pos) else "o"
    for key, lab in (("precision", "precision"), ("recall", "recall"), ("f1", "F1")):
        a.plot(pos, [r[key] for r in rows], style, label=lab, alpha=0.8)
    if not numeric:
        a.set_xticks(pos, [str(v) for v in xs], rotation=30, ha="right", fontsize=7)
    a.set_xlabel(x_name)
    a.set_ylim(0, 1.02)
    a.set_title("detection quality")
    a.legend(fontsize=8)
    fig.tight_layout()
    return fig


#: Colour of a contact with no value (NaN): a grey that no colour map of this module uses.
NO_DATA_COLOUR = "#b0b0b0"


def _contact_plane(pos: np.ndarray) -> tuple[np.ndarray, tuple[str, str]]:
    """The contacts projected on the two coordinate axes along which they spread most."""
    order = np.argsort(-np.ptp(pos, axis=0), kind="stable")[:2]
    order = np.sort(order)
    return pos[:, order], tuple("xyz"[i] for i in order)


def contact_map(ax, contact_positions_um, values, contact_radius_um=None, *, label: str = "",
                value_range=None, cmap: str = "viridis", colorbar: bool = True,
                no_data_label: str = "no data"):
    """Draw a per-channel value on a 2-D map of the contacts (probeinterface ``plot_probe`` style).

    Contacts are circles in the plane of the two coordinate axes along which they spread most
    (x-z for a shank, x-y for a grid), coloured by ``values`` on ``cmap``; a contact whose value
    is NaN is drawn in `NO_DATA_COLOUR`, hatched, and named ``no_data_label`` in a legend.
    A circle is drawn with the contact's radius, but at least 40 % of the median contact pitch so
    that every value can be read.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    contact_positions_um : np.ndarray, shape (num_contacts, 3)
        Contact centres, µm.
    values : np.ndarray, shape (num_contacts,)
        The value per contact (NaN: no data).
    contact_radius_um : float or np.ndarray, shape (num_contacts,), optional
        Contact radius, µm (default 10 µm).
    label : str
        Colour-bar label, with the unit (e.g. ``"detection F1"``, ``"impedance at 1 kHz (kOhm)"``).
    value_range : (low, high), optional
        Colour limits (default: the finite range of ``values``).
    cmap : str
        Matplotlib colour map.
    colorbar : bool
        Add a colour bar labelled ``label``.
    no_data_label : str
        Legend text of the NaN contacts.

    Returns
    -------
    dict
        ``"values"``: the PatchCollection of the contacts with a value (``get_array()`` holds
        them, in contact order), ``"no_data"``: that of the NaN contacts or None,
        ``"index_values"`` / ``"index_no_data"``: their contact indices, ``"axes"``: the names of
        the plotted coordinates, ``"colorbar"``.
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.colors import Normalize
    from matplotlib.patches import Circle, Patch
    from electrode_models.render import drawn_contact_radius_um

    pos = np.asarray(contact_positions_um, float)
    if pos.ndim != 2 or pos.shape[1] != 3 or len(pos) == 0:
        raise ValueError(f"contact_positions_um must have shape (num_contacts >= 1, 3), got {pos.shape}")
    vals = np.asarray(values, float)
    if vals.shape != (len(pos),):
        raise ValueError(f"values must have shape ({len(pos)},) (one per contact), got {vals.shape}")
    radius = np.broadcast_to(np.asarray(10.0 if contact_radius_um is None else contact_radius_um,
                                        float), (len(pos),))
    xy, names = _contact_plane(pos)
    r = drawn_contact_radius_um(pos, radius)
    ok = np.isfinite(vals)
    finite = vals[ok]
    lo, hi = value_range if value_range is not None else \
        ((float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0))
    if hi <= lo:
        lo, hi = lo - 0.5, lo + 0.5
    idx_ok, idx_nan = np.flatnonzero(ok), np.flatnonzero(~ok)
    coll = PatchCollection([Circle(tuple(xy[i]), r[i]) for i in idx_ok], cmap=cmap,
                           norm=Normalize(lo, hi), edgecolor="k", linewidth=0.4)
    coll.set_array(vals[idx_ok])
    ax.add_collection(coll)
    nan_coll = None
    if idx_nan.size:
        nan_coll = PatchCollection([Circle(tuple(xy[i]), r[i]) for i in idx_nan],
                                   facecolor=NO_DATA_COLOUR, edgecolor="#606060", hatch="///",
                                   linewidth=0.4)
        ax.add_collection(nan_coll)
        ax.legend(handles=[Patch(facecolor=NO_DATA_COLOUR, edgecolor="#606060", hatch="///",
                                 label=f"{no_data_label} ({idx_nan.size})")],
                  fontsize=8, loc="upper right")
    # data limits: every circle with a margin of one diameter (never the ±0.04 of empty axes);
    # equal aspect widens the shorter side to fill the axes
    margin = 2.0 * float(r.max())
    span = max(float(np.ptp(xy[:, 0])), float(np.ptp(xy[:, 1])), 4.0 * float(r.max()))
    mid = (xy.min(axis=0) + xy.max(axis=0)) / 2
    half = np.maximum(np.ptp(xy, axis=0) / 2 + margin, 0.05 * span)
    ax.update_datalim([mid - half, mid + half])
    ax.set_aspect("equal", adjustable="datalim")
    ax.autoscale_view()
    ax.set_xlabel(f"{names[0]} (µm)")
    ax.set_ylabel(f"{names[1]} (µm)")
    cb = ax.figure.colorbar(coll, ax=ax, label=label) if colorbar else None
    return {"values": coll, "no_data": nan_coll, "index_values": idx_ok, "index_no_data": idx_nan,
            "axes": names, "colorbar": cb}


def _no_data(a, text: str, xlabel: str, ylabel: str, xlim=(0.0, 1.0), ylim=(0.0, 1.0)) -> None:
    """An empty panel that says why it is empty, on sane axes."""
    a.text(0.5, 0.5, text, transform=a.transAxes, ha="center", va="center", fontsize=11,
           color="#505050", wrap=True)
    a.set_xlim(*xlim)
    a.set_ylim(*ylim)
    a.set_xlabel(xlabel)
    a.set_ylabel(ylabel)


def _fmt(v: float, spec: str = ".3g") -> str:
    return "n/a" if v is None or not np.isfinite(v) else format(v, spec)


def design_report_figure(result, path) -> Path:
    """Write `make_design_report_figure` to a PNG file and return its path."""
    return _save(make_design_report_figure(result), path)


def make_design_report_figure(result):
    """One design's report: power by block, data rate per mode vs link, F1 per channel, recall vs distance.

    Channels with no F1 (no spike and no detection to score) are drawn grey as "no data"; panels
    without any data say so instead of drawing empty axes.

    Parameters
    ----------
    result : neurosim.pipeline.RunResult

    Returns
    -------
    matplotlib.figure.Figure
        Axes ``fig.axes[0..3]``: power, data rate, F1 map, recall vs distance (then colour bars).
    """
    plt = _pyplot()
    m = result.metrics
    fig, ax = plt.subplots(2, 2, figsize=(12, 8.5))
    a = ax[0, 0]
    a.bar(_BLOCKS, [m[f"power_{b}_uW"] for b in _BLOCKS], color="C0")
    a.set_ylabel("power (µW)")
    a.set_title(f"chip power {_fmt(m['power_total_mW'])} mW ({_fmt(m['power_per_channel_uW'])} µW/channel)")

    a = ax[0, 1]
    modes = {"raw": m["raw_rate_bps"], "events": m["event_rate_bps"]}
    a.bar(list(modes), np.array(list(modes.values())) / 1e6, color=["C1", "C2"])
    a.axhline(m["link_capacity_bps"] / 1e6, color="k", ls="--", label="link capacity")
    a.set_yscale("log")
    a.set_ylabel("data rate (Mbit/s)")
    a.set_title("data rate by output mode")
    a.legend(fontsize=8)

    a = ax[1, 0]
    from neurosim.electrodes import build_probe

    setup = build_probe(result.design)
    pos = setup.positions_um
    f1 = np.asarray(result.scores.channel_f1, float)
    contact_map(a, pos, f1, setup.radius_um, label="detection F1", value_range=(0.0, 1.0),
                no_data_label="no data: no spike or detection to score")
    overall = m.get("f1", float("nan"))
    a.set_title("F1 per channel (" + (f"overall {overall:.3f}" if np.isfinite(overall) else
                                      "overall: no data, no spike or detection to score") + ")")

    a = ax[1, 1]
    act = result.activity
    best = np.asarray(result.scores.unit_best_channel)
    ok = best >= 0
    xlabel, ylabel = "distance of soma to its best contact (µm)", "unit recall on best channel"
    if ok.any():
        d = np.linalg.norm(act.positions_um[ok] - pos[best[ok]], axis=1)
        rec = np.asarray(result.scores.unit_recall, float)[ok]
        a.scatter(d, rec, s=6, c=np.where(act.cell_types[ok] == 0, "C3", "C0"), alpha=0.6)
        a.set_xlabel(xlabel)
        a.set_ylabel(ylabel)
        a.set_xlim(left=0.0)
        a.set_ylim(-0.02, 1.02)
    else:
        _no_data(a, "no units within reach of a contact\n(no cell has a best channel)", xlabel, ylabel,
                 xlim=(0.0, float(result.design.population.reach_radius_um)), ylim=(0.0, 1.0))
    a.set_title("who gets detected (red pyramidal, blue interneuron)")
    fig.suptitle(f"{result.design.name}: {result.design.implant.layout}, {m['num_channels']} channels, "
                 f"{m['num_cells']} cells")
    fig.tight_layout()
    return fig


def implant_figure(scene_png, contact_positions_um, values, contact_radius_um, path, *, label: str = "",
                   value_range=None, title: str = "", cmap: str = "viridis") -> Path:
    """Write `make_implant_figure` to a PNG file and return its path."""
    return _save(make_implant_figure(scene_png, contact_positions_um, values, contact_radius_um,
                                     label=label, value_range=value_range, title=title, cmap=cmap), path)


def make_implant_figure(scene_png, contact_positions_um, values, contact_radius_um=None, *,
                        label: str = "", value_range=None, title: str = "", cmap: str = "viridis"):
    """The 3-D render of an implant with a 2-D contact map of the same per-channel value beside it.

    Parameters
    ----------
    scene_png : path
        The 3-D scene (`electrode_models.render.render_implant`, coloured by the same values).
    contact_positions_um, values, contact_radius_um, label, value_range, cmap
        As `contact_map` (NaN values: "no data").
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes[0]``: the scene, ``fig.axes[1]``: the contact map (then its colour bar).
    """
    plt = _pyplot()
    image = plt.imread(str(scene_png))
    fig, (a3, a2) = plt.subplots(1, 2, figsize=(17, 7.5), gridspec_kw={"width_ratios": [1.5, 1.0]})
    a3.imshow(image)
    a3.set_axis_off()
    a3.set_title("in tissue (3-D)")
    contact_map(a2, contact_positions_um, values, contact_radius_um, label=label, value_range=value_range,
                cmap=cmap)
    a2.set_title(f"contact map: {label}" if label else "contact map")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
