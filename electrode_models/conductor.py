"""Extracellular potential in an infinite, homogeneous, isotropic volume conductor.

Equations (units: µm, nA, S/m -> µV)
-----------------------------------
Point source:  phi = 1000 * I / (4 pi sigma r)
Line source (current I spread uniformly along a segment of length L; Holt & Koch 1999):
    phi = 1000 * I / (4 pi sigma L) * ln[(h + sqrt(h^2 + rho^2)) / (l + sqrt(l^2 + rho^2))]
with h the projection of the electrode on the segment axis measured from the start,
l = h - L and rho the perpendicular distance (evaluated in the three cancellation-free forms
used by LFPy).
Distance limit: a segment is a cylinder of radius ``min_distance_um`` with half-spherical caps
(a capsule). Inside the cylinder (0 <= h <= L, rho < r_min) rho is raised to r_min, as LFPy's
``r_limit``; inside a cap (|p - end| < r_min beyond that end) p is moved along the ray from the
end point onto the cap's sphere; elsewhere the formula is exact (LFPy clamps rho whatever h,
which is 14 % low 10 µm beyond the end of a 20 µm soma).
Disc electrodes report the mean potential over the disc, in closed form along the disc:
    < phi >_disc = 1000 I / (4 pi sigma L) * [ int_0^L M(s(u)) du + C ]
with M(p) = < 1/|x - p| >_{x in disc} the potential of a uniformly charged disc (complete
elliptic integrals; Lass & Blitzer 1983), integrated along the segment by Gauss-Legendre panels
graded by the distance to the disc's rim, and C the (small, negative) effect of the distance
limit where a segment's capsule cuts the disc, integrated in polar coordinates. Beyond
``far_factor`` radii from the centre the centre value is used (error O((a/d)^2) <= 0.25 %).
The mean agrees with a converged quadrature over the disc to < 1e-3 for any segment position
(touching, piercing, lying in the disc, at the rim, far) and radii 5 µm - 1.5 mm.

Assumptions
-----------
- Infinite homogeneous medium, quasi-static, purely resistive tissue (sigma ~ 0.3 S/m grey
  matter); no insulating shank or cortical surface (no method of images yet).
- Electrodes do not perturb the field (ideal, non-loading measurement); a disc reports the
  mean of the potential over its area.
- Distances below ``min_distance_um`` from a segment are limited as above (default 1 µm;
  templates use the segment radius) to avoid the 1/r singularity inside a cell.

References
----------
Holt G. R. & Koch C. (1999) Electrical interactions via the extracellular potential near cell
bodies. J Comput Neurosci 6, 169-184.
Lindén H. et al. (2014) LFPy: a tool for biophysical simulation of extracellular potentials.
Front Neuroinform 7, 41.
Lass H. & Blitzer L. (1983) The gravitational potential due to uniform disks and rings.
Celestial Mechanics 30, 225-228.
Bulirsch R. (1969) Numerical calculation of elliptic integrals and elliptic functions III.
Numer Math 13, 305-315.
Nunez P. L. & Srinivasan R. (2006) Electric Fields of the Brain, 2nd ed., Oxford UP.
"""

from __future__ import annotations

import math

import numpy as np

from . import _conductor_kernels as _k
from ._validation import check_array, check_int, check_range

DEFAULT_SIGMA_S_PER_M = 0.3


def _scale(sigma_S_per_m: float) -> float:
    return 1000.0 / (4.0 * math.pi * sigma_S_per_m)


def point_source_potential_uV(source_pos_um, current_nA, electrode_pos_um,
                              sigma_S_per_m: float = DEFAULT_SIGMA_S_PER_M,
                              min_distance_um: float = 1.0) -> np.ndarray:
    """Potential (µV) at electrodes from point current sources.

    ``phi_i = 1000 / (4 pi sigma) * sum_j I_j / max(r_ij, min_distance_um)``.

    Parameters
    ----------
    source_pos_um : array, shape (n_src, 3)
    current_nA : array, shape (n_src,), outward positive.
    electrode_pos_um : array, shape (n_el, 3)
    sigma_S_per_m : float, conductivity (S/m), > 0.
    min_distance_um : float, distance clamp (µm), > 0.

    Returns
    -------
    np.ndarray, shape (n_el,), µV.
    """
    src = check_array("source_pos_um", source_pos_um, shape=(None, 3), dtype=float)
    cur = check_array("current_nA", current_nA, shape=(src.shape[0],), dtype=float)
    el = check_array("electrode_pos_um", electrode_pos_um, shape=(None, 3), dtype=float)
    sigma = check_range("sigma_S_per_m", sigma_S_per_m, 0.0, None, "S/m", low_inclusive=False)
    rmin = check_range("min_distance_um", min_distance_um, 0.0, None, "µm", low_inclusive=False)
    return _k.point_source_kernel(np.ascontiguousarray(src), np.ascontiguousarray(cur),
                                  np.ascontiguousarray(el), rmin, _scale(sigma))


def plane_axes_from_normals(normals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two orthonormal in-plane axes (each (n, 3)) for discs with the given normals (n, 3)."""
    nrm = normals / np.linalg.norm(normals, axis=1, keepdims=True)
    helper = np.where(np.abs(nrm[:, [0]]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    a1 = np.cross(nrm, helper)
    a1 /= np.linalg.norm(a1, axis=1, keepdims=True)
    a2 = np.cross(nrm, a1)
    return a1, a2


def _electrode_axes(electrode_normal, n_el: int) -> tuple[np.ndarray, np.ndarray]:
    if electrode_normal is None:
        normals = np.tile([0.0, 0.0, 1.0], (n_el, 1))
        return plane_axes_from_normals(normals)
    arr = np.asarray(electrode_normal, dtype=float)
    if arr.ndim == 1:
        arr = np.broadcast_to(arr, (n_el, arr.shape[0]))
    if arr.shape == (n_el, 2, 3):  # probeinterface contact_plane_axes
        a1 = arr[:, 0] / np.linalg.norm(arr[:, 0], axis=1, keepdims=True)
        a2 = arr[:, 1] / np.linalg.norm(arr[:, 1], axis=1, keepdims=True)
        return a1, a2
    check_array("electrode_normal", arr, shape=(n_el, 3))
    if np.any(np.linalg.norm(arr, axis=1) == 0.0):
        raise ValueError("electrode_normal must be non-zero vectors, got a zero row")
    return plane_axes_from_normals(arr)


def gain_matrix(electrode_pos_um, seg_start_um, seg_end_um,
                sigma_S_per_m: float = DEFAULT_SIGMA_S_PER_M, electrode_radius_um: float = 0.0,
                electrode_normal=None, n_disc_points: int = 64, min_distance_um=1.0,
                far_factor: float = 10.0) -> np.ndarray:
    """Linear map from segment currents (nA) to electrode potentials (µV).

    ``M[i, j] = 1000 / (4 pi sigma) * < F_j(x) >_{x in disc i}`` where ``F_j`` is the line-source
    factor of segment j (see module docstring) and the mean runs over the electrode's disc.

    Parameters
    ----------
    electrode_pos_um : array, shape (n_el, 3), disc centres (µm).
    seg_start_um, seg_end_um : array, shape (n_seg, 3), segment end points (µm); equal ends
        make a point source.
    sigma_S_per_m : float, tissue conductivity (S/m), > 0, default 0.3.
    electrode_radius_um : float, disc radius (µm), in [0, 5000]; 0 means point electrodes.
    electrode_normal : array, shape (n_el, 3) or (3,) disc normals, or (n_el, 2, 3) plane axes
        (probeinterface ``contact_plane_axes``). Default: normal along z.
    n_disc_points : int, in [1, 4096]. 1: the disc's centre value only; >= 2: the exact disc
        mean (module docstring; the number does not matter). It is the number of points of
        the sunflower rule only where no closed form applies (a disc seen through an
        anisotropic medium, `electrode_models.volume.InfiniteConductor`).
    min_distance_um : float or array (n_seg,), radius of each segment's capsule (µm), > 0:
        the distance limit of the module docstring.
    far_factor : float, use the disc centre only beyond this many radii, >= 1.

    Returns
    -------
    np.ndarray, shape (n_el, n_seg), µV per nA.
    """
    el = check_array("electrode_pos_um", electrode_pos_um, shape=(None, 3), dtype=float)
    s0 = check_array("seg_start_um", seg_start_um, shape=(None, 3), dtype=float)
    s1 = check_array("seg_end_um", seg_end_um, shape=(s0.shape[0], 3), dtype=float)
    sigma = check_range("sigma_S_per_m", sigma_S_per_m, 0.0, None, "S/m", low_inclusive=False)
    radius = check_range("electrode_radius_um", electrode_radius_um, 0.0, 5000.0, "µm")
    n_disc = check_int("n_disc_points", n_disc_points, 1, 4096)
    far = check_range("far_factor", far_factor, 1.0, None)
    rmin = np.broadcast_to(np.asarray(min_distance_um, dtype=float), (s0.shape[0],))
    if rmin.size and not np.all(rmin > 0):
        raise ValueError(f"min_distance_um must be > 0 µm, got {min_distance_um!r}")
    a1, a2 = _electrode_axes(electrode_normal, el.shape[0])
    if radius == 0.0:
        n_disc = 1
    return _k.gain_matrix_kernel(np.ascontiguousarray(el), np.ascontiguousarray(a1),
                                 np.ascontiguousarray(a2), np.ascontiguousarray(s0),
                                 np.ascontiguousarray(s1), np.ascontiguousarray(rmin), radius,
                                 n_disc, far, _scale(sigma))
