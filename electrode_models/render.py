"""Off-screen PyVista renders of an implant in a block of tissue.

This is the only module of the numerical packages allowed to import PyVista. It works headless:
with no display it selects VTK's EGL (or OSMesa) render window before PyVista loads.

Geometry drawn
--------------
- the tissue block below the cortical surface (z = 0) as a translucent box;
- for intracortical implants, the cortical layers: a translucent plane at each layer boundary
  (default 150, 700, 1000, 1500, 2000 µm below the surface for L1, L2/3, L4, L5, L6) with the
  layer names at mid-depth;
- for subdural, epidural and endovascular implants, the stack above the cortex: pia/CSF, dura
  and skull as translucent slabs of stated thickness (see `meninges_stack`), cut away over
  the near half of the block so that the implant stays in view; an epidural grid lies on the
  dura, a stent's vessel on the dura under the skull;
- the carriers: a needle from the surface to every intracortical contact that faces up or down
  (Utah-style tips, tetrodes), a flat shank per lateral cluster of contacts that face sideways
  (Neuropixels-style, threads, multi-shank), extended to the surface and ~175 µm below the
  deepest contact (the tip); a thin sheet over down-facing contacts at z >= 0 (ECoG, µECoG,
  epidural grids); a vessel (cylinder) through contacts above the surface facing other ways
  (stent);
- contacts as discs of their radius, drawn at least 40 % of the contact pitch so that each can be
  seen, coloured by an optional per-channel value: a number (SNR, impedance, F1, noise...) on a
  colour map with a labelled scalar bar (a contact with no value, NaN, in `NO_DATA_COLOUR`,
  named "no data" in the legend), or a boolean (alive/dead) as two colours with a legend;
- cells as spheres (pyramidal larger than interneurons) coloured by type, or by whether each
  cell is detectable (two colours with a legend); translucent when the contacts carry values, so
  that they do not hide them.

The camera looks at the array, not at the tissue block: it frames the contacts' bounding box
(`array_view_bounds`) from an oblique view; the tissue, layers and meninges around it are
context.
"""

from __future__ import annotations

import os

import numpy as np

from electrode_models._validation import check_array, check_option

__all__ = ["render_implant", "meninges_stack", "array_view_bounds", "drawn_contact_radius_um",
           "LAYER_NAMES", "DEFAULT_LAYER_BOUNDARIES_UM", "CSF_THICKNESS_UM", "DURA_THICKNESS_UM",
           "SKULL_THICKNESS_UM", "NO_DATA_COLOUR"]

#: Names of the cortical layers whose lower boundaries are given (L1 at the top).
LAYER_NAMES = ("L1", "L2/3", "L4", "L5", "L6")
#: Lower boundaries of L1, L2/3, L4, L5, L6 below the surface, µm (the default of the design's
#: ``population.column.layer_boundaries_um``; a ~2 mm thick cortex).
DEFAULT_LAYER_BOUNDARIES_UM = (150.0, 700.0, 1000.0, 1500.0, 2000.0)

# Thickness of the layers above the human cortex, µm. Subarachnoid CSF over the convexity is
# ~0.5-2 mm (four-sphere head models use 1 mm: Nunez & Srinivasan 2006, Electric Fields of the
# Brain, 2nd ed.; Næss et al. 2017, Front Hum Neurosci 11:490); cranial dura mater is ~0.3-1 mm;
# 0.5 + 0.5 mm matches the 1 mm that the ``epidural`` layout puts between cortex and grid. Skull
# (calvaria) 5-7 mm (four-sphere models: 5 mm; Lynnerup 2001, Forensic Sci Int 117:45-51).
#: Pia and subarachnoid CSF above the cortex, µm.
CSF_THICKNESS_UM = 500.0
#: Dura mater, µm.
DURA_THICKNESS_UM = 500.0
#: Skull, µm (drawn at most ``_SKULL_DRAWN_MAX_UM`` thick; its label gives the real value).
SKULL_THICKNESS_UM = 6000.0
_SKULL_DRAWN_MAX_UM = 1000.0

_SURFACE_CLASSES = ("subdural", "epidural", "endovascular")
_CLASSES = ("intracortical", *_SURFACE_CLASSES)
_CELL_COLOUR_BY = ("type", "detectable")
_TYPE_COLOURS = ("#d62728", "#1f77b4")  # pyramidal, interneuron
_TYPE_NAMES = ("pyramidal", "interneuron")
_DETECTABLE_COLOURS = ("#2ca02c", "#8c8c8c")  # detectable, not detectable
_CATEGORY_COLOURS = ("#ffbf00", "#000000")  # contact value True, False
_CONTACT_COLOUR = "#ffbf00"
#: Colour of a contact with no value (NaN), listed as "no data" in the legend.
NO_DATA_COLOUR = "#bdbdbd"
_FINE_CELLS = 5000  # up to this many cells, spheres get 8 x 8 facets, beyond it 4 x 4
_CELL_OPACITY_WITH_VALUES = 0.15  # cells in front of coloured contacts must not hide them
_STACK_COLOURS = {"pia/CSF": "#9ecae1", "dura": "#e7ba52", "skull": "#f0ead6"}
_LAYER_COLOUR = "#8c564b"
_SHANK_WIDTH_UM = 70.0
_TIP_UM = 175.0
_CARRIER_UM = 40.0  # thickness drawn for grid sheets
_LIFT_UM = 2.0  # contact discs drawn this far in front of their carrier


def _pyvista():
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    import pyvista as pv

    pv.OFF_SCREEN = True
    return pv


# -- pure geometry ----------------------------------------------------------------------------

def _infer_class(pos: np.ndarray, normals: np.ndarray) -> str:
    """Anatomical class from the geometry (as `electrode_models.anatomical_class` does)."""
    z = pos[:, 2]
    if np.all(np.abs(z) <= 1.0):
        return "subdural"
    if np.all(z > 1.0):
        return "epidural" if np.all(normals[:, 2] < -0.7) else "endovascular"
    return "intracortical"


def meninges_stack(anatomical_class: str, contact_positions_um) -> list[tuple[str, float, float, float]]:
    """The slabs drawn above the cortex for a surface or endovascular implant.

    Parameters
    ----------
    anatomical_class : {"intracortical", "subdural", "epidural", "endovascular"}
        Where the implant sits; an intracortical implant gets no stack (empty list).
    contact_positions_um : np.ndarray, shape (C, 3)
        Contact centres, µm (surface z = 0).

    Returns
    -------
    list of (name, z_bottom_um, z_top_um, thickness_um)
        ``"pia/CSF"``, ``"dura"`` and ``"skull"`` from the bottom up, with the z range drawn (µm)
        and the real thickness (µm). CSF and dura take `CSF_THICKNESS_UM` and
        `DURA_THICKNESS_UM`; for an epidural grid both are scaled so that the dura's top
        meets the grid (the grid lies in the epidural space, under the skull); the skull starts
        above the highest contact (a stent's vessel lies under the skull) and is drawn at most
        1 mm thick.

    Assumptions
    -----------
    - Flat, parallel layers (the curvature of the head is negligible over a few mm).
    - A subdural grid lies at z = 0 inside the CSF layer (it displaces the arachnoid).
    """
    check_option("anatomical_class", anatomical_class, _CLASSES)
    pos = check_array("contact_positions_um", contact_positions_um, ndim=2, dtype=float)
    if anatomical_class == "intracortical":
        return []
    csf, dura = CSF_THICKNESS_UM, DURA_THICKNESS_UM
    z_top = float(pos[:, 2].max()) if len(pos) else 0.0
    if anatomical_class == "epidural" and len(pos) and pos[:, 2].min() > 0:
        scale = float(pos[:, 2].min()) / (csf + dura)  # the dura's top meets the grid
        csf, dura = csf * scale, dura * scale
    skull_bottom = max(csf + dura, z_top) + (_CARRIER_UM if anatomical_class == "epidural" else 0.0)
    drawn = min(SKULL_THICKNESS_UM, _SKULL_DRAWN_MAX_UM)
    return [("pia/CSF", 0.0, csf, csf), ("dura", csf, csf + dura, dura),
            ("skull", skull_bottom, skull_bottom + drawn, SKULL_THICKNESS_UM)]


def _lateral_clusters(pos: np.ndarray, mask: np.ndarray, gap_um: float) -> list[np.ndarray]:
    """Masks of the contacts in ``mask`` grouped by lateral (x, y) proximity (single linkage)."""
    idx = np.flatnonzero(mask)
    xy = np.round(pos[idx, :2], 1)
    uniq, inv = np.unique(xy, axis=0, return_inverse=True)
    inv = np.ravel(inv)
    label = np.arange(len(uniq))
    for i in range(len(uniq)):  # union of points closer than the gap
        near = np.flatnonzero(np.linalg.norm(uniq - uniq[i], axis=1) < gap_um)
        label[np.isin(label, label[near])] = label[near].min()
    out = []
    for lab in np.unique(label):
        m = np.zeros(len(pos), bool)
        m[idx[np.isin(inv, np.flatnonzero(label == lab))]] = True
        out.append(m)
    return out


def drawn_contact_radius_um(contact_positions_um, contact_radius_um) -> np.ndarray:
    """Radius at which each contact disc is drawn, µm: its own, at least 40 % of the pitch.

    The pitch is the median over contacts of the distance to the nearest other contact; a lone
    contact is drawn at least 15 µm.

    Parameters
    ----------
    contact_positions_um : np.ndarray, shape (C, 3)
        Contact centres, µm.
    contact_radius_um : float or np.ndarray, shape (C,)
        Contact radii, µm.

    Returns
    -------
    np.ndarray, shape (C,)
    """
    pos = check_array("contact_positions_um", contact_positions_um, ndim=2, shape=(None, 3), dtype=float)
    radius = np.broadcast_to(np.asarray(contact_radius_um, dtype=float), (len(pos),)).copy()
    if len(pos) < 2:
        return np.maximum(radius, 15.0)
    from scipy.spatial import cKDTree

    dist, _ = cKDTree(pos).query(pos, k=2)
    nearest = dist[:, 1]
    nearest = nearest[nearest > 1e-6]
    pitch = float(np.median(nearest)) if nearest.size else 0.0
    return np.maximum(radius, 0.4 * pitch)


def array_view_bounds(contact_positions_um, contact_radius_um) -> tuple[float, ...]:
    """The box the camera frames: the contacts' bounding box with a margin, µm.

    The margin is 10 % of the array's largest extent, at least 4 drawn contact radii
    (`drawn_contact_radius_um`) and 100 µm, so that a small array fills the view and a
    long shank is seen whole.

    Returns
    -------
    (x0, x1, y0, y1, z0, z1) : tuple of float
    """
    pos = check_array("contact_positions_um", contact_positions_um, ndim=2, shape=(None, 3), dtype=float)
    r = drawn_contact_radius_um(pos, contact_radius_um)
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    margin = max(0.1 * float(np.max(hi - lo)), 4.0 * float(r.max()), 100.0)
    return (lo[0] - margin, hi[0] + margin, lo[1] - margin, hi[1] + margin, lo[2] - margin,
            hi[2] + margin)


def _format_mm(um: float) -> str:
    return f"{um / 1000:.2g} mm"


# -- scene parts ------------------------------------------------------------------------------

def _add_tissue(plotter, pv, bounds) -> None:
    tissue = pv.Box(bounds=bounds)
    plotter.add_mesh(tissue, color="#f4c7b8", opacity=0.12, show_edges=False)
    plotter.add_mesh(tissue.outline(), color="#a0522d", line_width=1)


def _add_layers(plotter, pv, bounds, boundaries_um, label_xy) -> None:
    """Translucent planes at the layer boundaries and the layer names at mid-depth (at
    ``label_xy``, beside the array)."""
    x0, x1, y0, y1, zmin, _ = bounds
    tops = (0.0, *boundaries_um[:-1])
    points, names = [], []
    for name, top, bottom in zip(LAYER_NAMES, tops, boundaries_um):
        if top >= -zmin:
            break
        if bottom < -zmin:
            plane = pv.Plane(center=((x0 + x1) / 2, (y0 + y1) / 2, -bottom), direction=(0, 0, 1),
                             i_size=x1 - x0, j_size=y1 - y0)
            plotter.add_mesh(plane, color=_LAYER_COLOUR, opacity=0.07)
            plotter.add_mesh(plane.extract_feature_edges(boundary_edges=True, feature_edges=False,
                                                         manifold_edges=False),
                             color=_LAYER_COLOUR, line_width=2, opacity=0.8)
        points.append((label_xy[0], label_xy[1], -(top + min(bottom, -zmin)) / 2))
        names.append(name)
    if points:
        plotter.add_point_labels(np.array(points), names, font_size=14, text_color=_LAYER_COLOUR,
                                 shape=None, show_points=False, always_visible=True)


def _add_meninges(plotter, pv, bounds, stack, label_xy) -> None:
    """The stack above the cortex over the far half (y below the centre) of its extent; the
    names at ``label_xy`` (beside the array)."""
    x0, x1, y0, y1 = bounds[:4]
    ymid = (y0 + y1) / 2
    points, names = [], []
    for name, z0, z1, thickness in stack:
        slab = pv.Box(bounds=(x0, x1, y0, ymid, z0, z1))
        plotter.add_mesh(slab, color=_STACK_COLOURS[name], opacity=0.35 if name != "skull" else 0.5)
        plotter.add_mesh(slab.outline(), color="#606060", line_width=1)
        drawn = "" if np.isclose(z1 - z0, thickness) else f", drawn {_format_mm(z1 - z0)}"
        points.append((label_xy[0], label_xy[1], (z0 + z1) / 2))
        names.append(f"{name} {_format_mm(thickness)}{drawn}")
    plotter.add_point_labels(np.array(points), names, font_size=14, text_color="black",
                             shape=None, show_points=False, always_visible=True)


def _add_carriers(plotter, pv, pos, normals, radius) -> None:
    """Needles, shanks, grid sheets and vessels that hold the contacts (module docstring)."""
    above = pos[:, 2] > -1.0  # surface, epidural and endovascular contacts (z >= 0)
    vertical = np.abs(normals[:, 2]) > 0.7
    flat = above & (normals[:, 2] < -0.7)
    vessel = above & ~flat
    down = vertical & ~above
    if flat.any():  # a thin carrier sheet (silicone / polyimide) over surface and epidural grids
        for z in np.unique(np.round(pos[flat, 2], 3)):
            p = pos[flat & np.isclose(pos[:, 2], z)]
            m = 0.5 * max(radius.max(), 100.0)
            plotter.add_mesh(pv.Box(bounds=(p[:, 0].min() - m, p[:, 0].max() + m, p[:, 1].min() - m,
                                            p[:, 1].max() + m, z + 1.0, z + _CARRIER_UM)),
                             color="#404040", opacity=0.5)
    if vessel.any():
        _add_vessel(plotter, pv, pos[vessel], normals[vessel])
    if down.any():  # needles from the surface to downward-facing tips
        lines = [pv.Cylinder(center=(p[0], p[1], p[2] / 2), direction=(0, 0, 1),
                             radius=max(20.0, 0.04 * abs(p[2])), height=abs(p[2])) for p in pos[down]]
        plotter.add_mesh(pv.merge(lines), color="#7f7f7f", opacity=0.6)
        plotter.add_mesh(pv.Box(bounds=(pos[down, 0].min() - 200, pos[down, 0].max() + 200,
                                        pos[down, 1].min() - 200, pos[down, 1].max() + 200, 0, 80)),
                         color="#404040", opacity=0.8)
    side = ~vertical & ~above
    if side.any():
        _add_shanks(plotter, pv, pos, normals, side)


def _add_vessel(plotter, pv, p, axis) -> None:
    """The vessel of a stent: a cylinder through the contacts ``p`` facing out along ``axis``."""
    ax_dir = np.array([0.0, 1.0, 0.0]) if np.ptp(p[:, 1]) >= np.ptp(p[:, 0]) else np.array([1.0, 0.0, 0.0])
    # least squares for centre c and radius r of p_i = c + r n_i (perpendicular to the axis)
    rows = np.concatenate([np.hstack([np.eye(3), axis[i][:, None]]) for i in range(len(p))])
    sol = np.linalg.lstsq(rows, (p - np.outer(p @ ax_dir, ax_dir)).ravel(), rcond=None)[0]
    centre_v = sol[:3] - (sol[:3] @ ax_dir) * ax_dir + (p @ ax_dir).mean() * ax_dir
    r_v = abs(float(sol[3]))
    plotter.add_mesh(pv.Cylinder(center=centre_v, direction=ax_dir, radius=max(r_v, 100.0),
                                 height=float(np.ptp(p @ ax_dir)) + 2.0 * r_v),
                     color="#b22222", opacity=0.25)


def _add_shanks(plotter, pv, pos, normals, side) -> None:
    """Flat shanks for side-facing contacts, one per normal and lateral cluster."""
    for n in np.unique(np.round(normals[side], 3), axis=0):
        sel_n = side & np.all(np.isclose(np.round(normals, 3), n), axis=1)
        for sel in _lateral_clusters(pos, sel_n, gap_um=100.0):
            p = pos[sel]
            along = np.cross(n, [0.0, 0.0, 1.0])
            along = along / np.linalg.norm(along) if np.linalg.norm(along) > 0 else np.array([1.0, 0, 0])
            mid = p.mean(axis=0)
            zmin = p[:, 2].min() - _TIP_UM
            shank = pv.Box(bounds=(-_SHANK_WIDTH_UM / 2, _SHANK_WIDTH_UM / 2, -12.0, 0.0, zmin, 0.0))
            rot = np.eye(4)  # orient: x' = along, y' = normal
            rot[:3, 0], rot[:3, 1], rot[:3, 2] = along, n, [0, 0, 1]
            rot[:3, 3] = [mid[0], mid[1], 0.0]
            plotter.add_mesh(shank.transform(rot, inplace=False), color="#7f7f7f", opacity=0.7)


def _add_contacts(plotter, pv, pos, normals, radius, values, label, value_range, cmap,
                  category_labels) -> list:
    """Contact discs, plain or coloured by ``values``; returns legend entries."""
    # lifted 2 µm off the carrier along the normal, so that the disc is not hidden in its surface
    drawn = drawn_contact_radius_um(pos, radius)
    discs = [pv.Disc(center=p + _LIFT_UM * n, inner=0.0, outer=r, normal=n, c_res=16)
             for p, n, r in zip(pos, normals, drawn)]
    mesh = pv.merge(discs, merge_points=False)
    if values is None:
        plotter.add_mesh(mesh, color=_CONTACT_COLOUR)
        return []
    per_cell = np.repeat(np.arange(len(discs)), [d.n_cells for d in discs])
    if values.dtype == bool:  # two categories, with a legend
        entries = []
        for flag, colour, name in zip((True, False), _CATEGORY_COLOURS, category_labels):
            sel = values[per_cell] == flag
            if sel.any():
                plotter.add_mesh(mesh.extract_cells(np.flatnonzero(sel)), color=colour)
                entries.append([f"{label}: {name}" if label else name, colour])
        return entries
    name = label or "value"
    mesh.cell_data[name] = values[per_cell]
    finite = values[np.isfinite(values)]
    clim = value_range if value_range is not None else \
        ((float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0))
    if clim[1] <= clim[0]:
        clim = (clim[0] - 0.5, clim[0] + 0.5)
    missing = int(np.sum(~np.isfinite(values)))
    plotter.add_mesh(mesh, scalars=name, cmap=cmap, clim=clim, nan_color=NO_DATA_COLOUR,
                     scalar_bar_args={"title": name, "color": "black", "fmt": "%.3g",
                                      "nan_annotation": bool(missing), "below_label": None,
                                      "vertical": True, "position_x": 0.86, "position_y": 0.12,
                                      "width": 0.06, "height": 0.6, "n_labels": 5,
                                      "title_font_size": 20, "label_font_size": 16})
    return [[f"no data ({missing} contact{'s' if missing > 1 else ''})", NO_DATA_COLOUR]] if missing else []


def _add_cells(plotter, pv, cells, types, detectable, colour_by, opacity=1.0) -> list:
    """Cells as spheres (pyramidal 8 µm, interneuron 6 µm); returns legend entries.

    Beyond `_FINE_CELLS` cells the spheres are drawn coarse (4 × 4 facets instead of 8 × 8,
    ~5× fewer triangles): tens of thousands of 8 µm cells in a millimetre-wide view are a few
    pixels each, so the image does not change, and the off-screen render takes ~2 s less.
    """
    entries = []
    res = 8 if len(cells) <= _FINE_CELLS else 4
    if colour_by == "type":
        groups = [(types == t, _TYPE_COLOURS[t], _TYPE_NAMES[t]) for t in (0, 1)]
    else:
        groups = [(detectable, _DETECTABLE_COLOURS[0], "detectable cell"),
                  (~detectable, _DETECTABLE_COLOURS[1], "undetectable cell")]
    for sel, colour, name in groups:
        if not sel.any():
            continue
        for t in (0, 1):
            part = sel & (types == t)
            if part.any():
                sphere = pv.Sphere(radius=8.0 if t == 0 else 6.0, theta_resolution=res, phi_resolution=res)
                plotter.add_mesh(pv.PolyData(cells[part]).glyph(geom=sphere, scale=False, orient=False),
                                 color=colour, opacity=opacity)
        entries.append([name, colour])
    return entries


# -- public -----------------------------------------------------------------------------------

def render_implant(path, contact_positions_um, contact_normals, contact_radius_um,
                   cell_positions_um=None, cell_types=None, tissue_size_um=(5000.0, 5000.0, 2000.0),
                   contact_values=None, value_label: str = "", title: str = "",
                   window_size=(1400, 1000), *, value_range=None, cmap: str = "viridis",
                   category_labels=("alive", "dead"), cell_colour_by: str = "type",
                   cell_detectable=None, anatomical_class: str | None = None,
                   layer_boundaries_um=DEFAULT_LAYER_BOUNDARIES_UM, show_layers: bool = True,
                   show_meninges: bool = True) -> str:
    """Render the implant in tissue to a PNG file (off-screen) and return its path.

    Parameters
    ----------
    path : str or Path or None
        Output PNG. ``None`` returns the ``pyvista.Plotter`` instead, for interactive use: in
        JupyterLab ``plotter.show(jupyter_backend="trame")`` (needs a trame server) or
        ``"static"`` (an image; works headless).
    contact_positions_um : np.ndarray, shape (C, 3)
        Contact centres in the tissue frame (surface z = 0, tissue z < 0), µm.
    contact_normals : np.ndarray, shape (C, 3)
        Unit normals of the contact discs.
    contact_radius_um : float or np.ndarray, shape (C,)
        Disc radii, µm (drawn at least 40 % of the contact pitch, `drawn_contact_radius_um`,
        so they stay visible).
    cell_positions_um : np.ndarray, shape (U, 3), optional
        Somata, µm.
    cell_types : np.ndarray, shape (U,), optional
        0 pyramidal (drawn 8 µm), 1 interneuron (6 µm); default all pyramidal.
    tissue_size_um : (x, y, depth)
        Extent of the tissue block centred laterally on the contacts, µm.
    contact_values : np.ndarray, shape (C,), optional
        A per-channel value used to colour the contacts. Numbers (SNR, F1, impedance in kΩ,
        noise in µV...) use ``cmap`` with a scalar bar titled ``value_label`` (NaN:
        `NO_DATA_COLOUR`, "no data" in the legend);
        booleans (alive/dead) use two colours and a legend named by ``category_labels``.
    value_label : str
        Title of the scalar bar or legend prefix, with the unit (e.g. ``"impedance (kOhm)"``).
    title : str
        Text in the top left corner.
    window_size : (width, height)
        Image size, pixels.
    value_range : (low, high), optional
        Colour-map limits for numeric ``contact_values`` (default: their finite range).
    cmap : str
        Matplotlib colour map for numeric ``contact_values`` (default ``"viridis"``).
    category_labels : (str, str)
        Legend names of boolean ``contact_values`` True and False (default alive, dead).
    cell_colour_by : {"type", "detectable"}
        Colour the cells by type (red pyramidal, blue interneuron) or by ``cell_detectable``
        (green detectable, grey not); a legend names the colours.
    cell_detectable : np.ndarray of bool, shape (U,), optional
        Whether each cell is detectable; required with ``cell_colour_by="detectable"``.
    anatomical_class : {"intracortical", "subdural", "epidural", "endovascular"}, optional
        Where the implant sits (default: inferred from the contact heights and normals). Decides
        whether cortical layers (intracortical) or the stack above the cortex (the others) is drawn.
    layer_boundaries_um : sequence of 5 floats
        Lower boundaries of L1, L2/3, L4, L5, L6 below the surface, µm, strictly increasing
        (default 150, 700, 1000, 1500, 2000); layers below the tissue block are not drawn.
    show_layers : bool
        Draw the cortical layers for an intracortical implant (default True).
    show_meninges : bool
        Draw pia/CSF, dura and skull (`meninges_stack`) for the other classes (default True).

    Returns
    -------
    str
        ``path``.
    """
    pos = check_array("contact_positions_um", contact_positions_um, ndim=2, shape=(None, 3), dtype=float)
    num_contacts = pos.shape[0]
    if num_contacts == 0:
        raise ValueError("contact_positions_um must hold at least one contact, got shape (0, 3)")
    normals = check_array("contact_normals", contact_normals, shape=(num_contacts, 3), dtype=float)
    radius = np.broadcast_to(np.asarray(contact_radius_um, dtype=float), (num_contacts,))
    values = _check_contact_values(contact_values, num_contacts)
    check_option("cell_colour_by", cell_colour_by, _CELL_COLOUR_BY)
    if len(category_labels) != 2:
        raise ValueError(f"category_labels must name 2 categories (True, False), got {category_labels!r}")
    cls = _infer_class(pos, normals) if anatomical_class is None else \
        check_option("anatomical_class", anatomical_class, _CLASSES)
    bounds_layers = np.asarray(layer_boundaries_um, dtype=float)
    if bounds_layers.shape != (len(LAYER_NAMES),) or np.any(bounds_layers <= 0) \
            or np.any(np.diff(bounds_layers) <= 0):
        raise ValueError(f"layer_boundaries_um must be {len(LAYER_NAMES)} strictly increasing depths "
                         f"> 0 µm (L1 .. L6), got {list(np.atleast_1d(layer_boundaries_um))}")
    cells = np.zeros((0, 3)) if cell_positions_um is None else \
        check_array("cell_positions_um", cell_positions_um, ndim=2, shape=(None, 3), dtype=float)
    num_cells = cells.shape[0]
    types = np.zeros(num_cells, int) if cell_types is None else \
        check_array("cell_types", cell_types, shape=(num_cells,)).astype(int)
    detectable = None
    if cell_colour_by == "detectable":
        if cell_detectable is None:
            raise ValueError("cell_detectable (bool per cell) is required with "
                             "cell_colour_by='detectable'")
        detectable = check_array("cell_detectable", cell_detectable, shape=(num_cells,)).astype(bool)

    pv = _pyvista()
    plotter = pv.Plotter(off_screen=True, window_size=list(window_size))
    plotter.set_background("white")
    centre = pos.mean(axis=0)
    sx, sy, sz = tissue_size_um
    block = (centre[0] - sx / 2, centre[0] + sx / 2, centre[1] - sy / 2, centre[1] + sy / 2, -sz, 0.0)
    view = array_view_bounds(pos, radius)
    label_xy = (view[1], view[2])  # layer and meninges names beside the array, in view
    _add_tissue(plotter, pv, block)
    if cls == "intracortical" and show_layers:
        _add_layers(plotter, pv, block, tuple(bounds_layers), label_xy)
    if cls != "intracortical" and show_meninges:
        m = float(radius.max()) + 500.0  # the stack covers the block and the whole implant
        extent = (min(block[0], pos[:, 0].min() - m), max(block[1], pos[:, 0].max() + m),
                  min(block[2], pos[:, 1].min() - m), max(block[3], pos[:, 1].max() + m))
        _add_meninges(plotter, pv, extent, meninges_stack(cls, pos), label_xy)
    _add_carriers(plotter, pv, pos, normals, radius)
    legend = _add_contacts(plotter, pv, pos, normals, radius, values, value_label, value_range, cmap,
                           tuple(category_labels))
    if num_cells:
        legend += _add_cells(plotter, pv, cells, types, detectable, cell_colour_by,
                             opacity=1.0 if values is None else _CELL_OPACITY_WITH_VALUES)
    if legend:
        _add_legend(plotter, legend)
    if title:
        plotter.add_text(title, font_size=12, color="black")
    plotter.add_axes(color="black")
    plotter.camera_position = "iso"
    plotter.camera.elevation = -15
    plotter.reset_camera(bounds=view)  # the array fills the view, not the tissue block
    if path is None:  # interactive use: the caller shows it (e.g. in JupyterLab) and closes it
        return plotter
    plotter.screenshot(str(path))
    plotter.close()
    return str(path)


def _add_legend(plotter, entries) -> None:
    """One legend box in the top right corner (placed by hand: VTK clips a box placed by ``loc``)."""
    width, height = 0.22, 0.035 * len(entries)
    box = plotter.add_legend(labels=[[n, c, "circle"] for n, c in entries], bcolor="white", loc=None)
    box.SetPosition(0.98 - width, 0.96 - height)
    box.SetPosition2(width, height)


def _check_contact_values(contact_values, num_contacts: int):
    if contact_values is None:
        return None
    values = np.asarray(contact_values)
    if values.dtype != bool:
        values = check_array("contact_values", values, dtype=float)
    return check_array("contact_values", values, shape=(num_contacts,))
