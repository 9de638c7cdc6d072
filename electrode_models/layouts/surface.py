"""Layouts outside the cortex: subdural ECoG, µECoG thin film, epidural grid, endovascular stent.

Tissue frame (µm): cortical surface z = 0, tissue z < 0, everything above is outside the
cortex (CSF, dura, skull, vessels). Contact discs face the cortex (normal -z) unless stated.

``ecog`` (subdural)
    rows x cols (8 x 8) grid, ``pitch_um`` 3000, on the pia at ``z = 0``, radius 600 µm
    (clinical grids: 2.3 mm exposed diameter at 10 mm pitch; high-density 1-2 mm at 3-4 mm).
``uecog`` (subdural thin film)
    rows x cols (16 x 16, at most 1024 contacts), ``pitch_um`` 200, at ``z = 0``, radius 10 µm
    (20-50 µm sites; Khodagholy et al. 2015; Chiang et al. 2020).
``epidural``
    rows x cols (4 x 4), ``pitch_um`` 4000, radius 1000 µm, above the dura at
    ``z = +dura_thickness_um`` (1000: dura ~0.5-1 mm plus the subarachnoid space in humans).
``stent`` (endovascular)
    ``num_contacts`` (16) discs on a cylinder of radius ``vessel_radius_um`` (2500) whose axis
    runs along y through ``(0, 0, vessel_center_z_um)``; the default centre
    ``vessel_radius_um + 1000`` puts the vessel wall 1 mm above the cortex, as the superior
    sagittal sinus above motor cortex. Contacts follow a helix: angle step
    ``angle_step_deg`` (90) starting facing the cortex, ``axial_pitch_um`` (2000) apart; discs
    face radially outward; radius 375 µm (750 µm diameter; Oxley et al. 2016).

Assumptions
-----------
- Contacts are flat discs at the given height; the carrier (silicone, polyimide, stent struts)
  is not part of the geometry (use an image plane in `electrode_models.conductor` for an
  insulating backing).

References
----------
Khodagholy D. et al. (2015) NeuroGrid. Nat Neurosci 18, 310-315.
Chiang C.-H. et al. (2020) Development of a neural interface for high-definition, long-term
recording in rodents and nonhuman primates. Sci Transl Med 12, eaay4682.
Oxley T. J. et al. (2016) Minimally invasive endovascular stent-electrode array for high-fidelity,
chronic recordings of cortical neural activity. Nat Biotechnol 34, 320-327.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_range
from ._common import AXES_FACE_DOWN, Layout, centred_grid, tile_axes


def _grid(rows, cols, pitch_um, z_um, max_contacts, name):
    rows = check_int("rows", rows, 1, 1024)
    cols = check_int("cols", cols, 1, 1024)
    if rows * cols > max_contacts:
        raise ValueError(f"rows x cols must be <= {max_contacts} contacts, got {rows * cols}")
    pitch_um = check_range("pitch_um", pitch_um, 5.0, 50000.0, "µm")
    _, _, xy = centred_grid(rows, cols, pitch_um)
    pos = np.zeros((rows * cols, 3))
    pos[:, :2] = xy
    pos[:, 2] = z_um
    return Layout(pos, tile_axes(AXES_FACE_DOWN, rows * cols), dict(name=name, manufacturer="generic"))


def ecog(rows=8, cols=8, pitch_um=3000.0) -> Layout:
    """Subdural ECoG grid on the cortical surface (z = 0)."""
    return _grid(rows, cols, pitch_um, 0.0, 1024, "ecog")


def uecog(rows=16, cols=16, pitch_um=200.0) -> Layout:
    """µECoG thin film on the cortical surface (z = 0), up to 1024 contacts."""
    return _grid(rows, cols, pitch_um, 0.0, 1024, "uecog")


def epidural(rows=4, cols=4, pitch_um=4000.0, dura_thickness_um=1000.0) -> Layout:
    """Epidural grid on the dura, ``dura_thickness_um`` above the cortex."""
    d = check_range("dura_thickness_um", dura_thickness_um, 0.0, 10000.0, "µm")
    return _grid(rows, cols, pitch_um, d, 1024, "epidural")


def stent(num_contacts=16, vessel_radius_um=2500.0, vessel_center_z_um=None, axial_pitch_um=2000.0,
          angle_step_deg=90.0) -> Layout:
    """Stent electrode array in a vessel running along y above the cortex."""
    n = check_int("num_contacts", num_contacts, 1, 256)
    r = check_range("vessel_radius_um", vessel_radius_um, 100.0, 20000.0, "µm")
    if vessel_center_z_um is None:
        vessel_center_z_um = r + 1000.0
    zc = check_range("vessel_center_z_um", vessel_center_z_um, r, 50000.0, "µm")
    pitch = check_range("axial_pitch_um", axial_pitch_um, 0.0, 50000.0, "µm")
    step = np.deg2rad(check_range("angle_step_deg", angle_step_deg, -360.0, 360.0, "deg"))
    k = np.arange(n)
    theta = -np.pi / 2.0 + k * step  # first contact faces the cortex (-z)
    normal = np.stack([np.cos(theta), np.zeros(n), np.sin(theta)], axis=1)
    pos = np.zeros((n, 3))
    pos[:, 0] = r * normal[:, 0]
    pos[:, 1] = (k - (n - 1) / 2.0) * pitch
    pos[:, 2] = zc + r * normal[:, 2]
    a1 = np.tile([0.0, 1.0, 0.0], (n, 1))          # vessel axis
    a2 = np.cross(normal, a1)                       # tangent, so that a1 x a2 = normal
    return Layout(pos, np.stack([a1, a2], axis=1), dict(name="stent", manufacturer="Stentrode-like"))


#: name -> (generator, default site radius µm, anatomical class)
SURFACE = {
    "ecog": (ecog, 600.0, "subdural"),
    "uecog": (uecog, 10.0, "subdural"),
    "epidural": (epidural, 1000.0, "epidural"),
    "stent": (stent, 375.0, "endovascular"),
}
