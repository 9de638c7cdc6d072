"""Off-screen PyVista renders of an implant in a block of tissue.

This is the only module of the numerical packages allowed to import PyVista. It works headless:
with no display it selects VTK's EGL (or OSMesa) render window before PyVista loads.

Geometry drawn
--------------
- the tissue block below the cortical surface (z = 0) as a translucent box;
- the carriers: a needle from the surface to every intracortical contact that faces up or down
  (Utah-style tips, tetrodes), a flat shank per lateral cluster of contacts that face sideways
  (Neuropixels-style, threads, multi-shank), extended to the surface and ~175 µm below the
  deepest contact (the tip); a thin sheet over down-facing contacts at z >= 0 (ECoG, µECoG,
  epidural grids); a vessel (cylinder) through contacts above the surface facing other ways
  (stent);
- contacts as discs of their radius, coloured by an optional per-channel value;
- cells as spheres coloured by type (pyramidal red, interneuron blue).
"""

from __future__ import annotations

import os

import numpy as np

from electrode_models._validation import check_array

__all__ = ["render_implant"]


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

_TYPE_COLOURS = ("#d62728", "#1f77b4")  # pyramidal, interneuron
_SHANK_WIDTH_UM = 70.0
_TIP_UM = 175.0


def _pyvista():
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    import pyvista as pv

    pv.OFF_SCREEN = True
    return pv


def render_implant(path, contact_positions_um, contact_normals, contact_radius_um,
                   cell_positions_um=None, cell_types=None, tissue_size_um=(5000.0, 5000.0, 2000.0),
                   contact_values=None, value_label: str = "", title: str = "",
                   window_size=(1400, 1000)) -> str:
    """Render the implant in tissue to a PNG file (off-screen) and return its path.

    Parameters
    ----------
    path : str or Path
        Output PNG.
    contact_positions_um : np.ndarray, shape (C, 3)
        Contact centres in the tissue frame, µm.
    contact_normals : np.ndarray, shape (C, 3)
        Unit normals of the contact discs.
    contact_radius_um : float or np.ndarray, shape (C,)
        Disc radii, µm (drawn at least 15 µm so they stay visible).
    cell_positions_um : np.ndarray, shape (U, 3), optional
    cell_types : np.ndarray, shape (U,), optional
        0 pyramidal, 1 interneuron.
    tissue_size_um : (x, y, depth)
        Extent of the tissue block centred laterally on the contacts, µm.
    contact_values : np.ndarray, shape (C,), optional
        A per-channel value (SNR, F1, impedance...) used to colour the contacts.
    """
    pos = check_array("contact_positions_um", contact_positions_um, ndim=2, dtype=float)
    normals = check_array("contact_normals", contact_normals, shape=(pos.shape[0], 3), dtype=float)
    radius = np.broadcast_to(np.asarray(contact_radius_um, dtype=float), (pos.shape[0],))
    pv = _pyvista()
    plotter = pv.Plotter(off_screen=True, window_size=list(window_size))
    plotter.set_background("white")

    centre = pos.mean(axis=0)
    sx, sy, sz = tissue_size_um
    tissue = pv.Box(bounds=(centre[0] - sx / 2, centre[0] + sx / 2, centre[1] - sy / 2,
                            centre[1] + sy / 2, -sz, 0.0))
    plotter.add_mesh(tissue, color="#f4c7b8", opacity=0.12, show_edges=False)
    plotter.add_mesh(tissue.outline(), color="#a0522d", line_width=1)

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
                                            p[:, 1].max() + m, z + 1.0, z + 40.0)),
                             color="#404040", opacity=0.5)
    if vessel.any():  # the vessel of a stent: a cylinder through the contacts along their axis
        p = pos[vessel]
        axis = np.asarray(contact_normals, float)[vessel]
        ax_dir = np.array([0.0, 1.0, 0.0]) if np.ptp(p[:, 1]) >= np.ptp(p[:, 0]) else np.array([1.0, 0.0, 0.0])
        # least squares for centre c and radius r of p_i = c + r n_i (perpendicular to the axis)
        rows = np.concatenate([np.hstack([np.tile(np.eye(3), (1, 1)), axis[i][:, None]]) for i in range(len(p))])
        sol = np.linalg.lstsq(rows, (p - np.outer(p @ ax_dir, ax_dir)).ravel(), rcond=None)[0]
        centre_v = sol[:3] - (sol[:3] @ ax_dir) * ax_dir + (p @ ax_dir).mean() * ax_dir
        r_v = abs(float(sol[3]))
        plotter.add_mesh(pv.Cylinder(center=centre_v, direction=ax_dir, radius=max(r_v, 100.0),
                                     height=float(np.ptp(p @ ax_dir)) + 2.0 * r_v),
                         color="#b22222", opacity=0.25)
    if down.any():  # needles from the surface to downward-facing tips
        lines = []
        for p in pos[down]:
            lines.append(pv.Cylinder(center=(p[0], p[1], p[2] / 2), direction=(0, 0, 1),
                                     radius=max(20.0, 0.04 * abs(p[2])), height=abs(p[2])))
        plotter.add_mesh(pv.merge(lines), color="#7f7f7f", opacity=0.6)
        plotter.add_mesh(pv.Box(bounds=(pos[down, 0].min() - 200, pos[down, 0].max() + 200,
                                        pos[down, 1].min() - 200, pos[down, 1].max() + 200, 0, 80)),
                         color="#404040", opacity=0.8)
    side = ~vertical & ~above
    if side.any():  # flat shanks for side-facing contacts, one per normal and lateral cluster
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

    discs = pv.merge([pv.Disc(center=p, inner=0.0, outer=max(15.0, r), normal=n, c_res=16)
                      for p, n, r in zip(pos, normals, radius)])
    if contact_values is not None:
        vals = np.asarray(contact_values, dtype=float)
        per_point = np.repeat(vals, discs.n_points // len(vals))
        discs.point_data[value_label or "value"] = per_point
        plotter.add_mesh(discs, scalars=value_label or "value", cmap="viridis",
                         scalar_bar_args={"title": value_label or "value", "color": "black"})
    else:
        plotter.add_mesh(discs, color="#ffbf00")

    if cell_positions_um is not None and len(cell_positions_um):
        cells = np.asarray(cell_positions_um, dtype=float)
        types = np.zeros(len(cells), int) if cell_types is None else np.asarray(cell_types, int)
        for t, colour in enumerate(_TYPE_COLOURS):
            sel = types == t
            if sel.any():
                cloud = pv.PolyData(cells[sel])
                plotter.add_mesh(cloud.glyph(geom=pv.Sphere(radius=8.0 if t == 0 else 6.0,
                                                            theta_resolution=8, phi_resolution=8),
                                             scale=False, orient=False), color=colour)
    if title:
        plotter.add_text(title, font_size=12, color="black")
    plotter.add_axes(color="black")
    plotter.camera_position = "iso"
    plotter.camera.elevation = -15
    plotter.reset_camera()
    plotter.screenshot(str(path))
    plotter.close()
    return str(path)
