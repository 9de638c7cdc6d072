"""Volume conductors: the extracellular potential of transmembrane currents, as gain matrices.

One module for every medium (contacts x sources, µV per nA or per nA·µm for dipoles):
`gain_matrix` and `point_source_potential_uV` for the infinite homogeneous isotropic medium,
`InfiniteConductor` (isotropic or anisotropic) and `HalfSpaceConductor` (method of images) built
on them.

Infinite isotropic medium
=========================
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

Conductor classes
=================
Classes
-------
`InfiniteConductor`
    Infinite homogeneous medium, isotropic (scalar sigma) or anisotropic (3 x 3 symmetric
    positive-definite tensor, or its diagonal). Point source (Nicholson & Freeman 1975):

        phi(r) = I / (4 pi sqrt(det sigma) sqrt(r^T sigma^-1 r))

    which the substitution ``x' = sigma^(-1/2) x`` turns into the isotropic form with unit
    conductivity and prefactor ``1 / (4 pi sqrt(det sigma))``. A segment with uniform current
    density maps to a segment with uniform density, so line sources and disc averaging are
    evaluated in the transformed frame with the kernels above.
`HalfSpaceConductor`
    Two half-spaces meeting at the plane ``z = plane_z_um``: tissue (sigma) below, a medium of
    ``sigma_above_S_per_m`` above (0: an insulating backing, silicone of a planar array or the
    skull; 1.65 S/m: CSF). Method of images with ``k = (sigma - sigma_above)/(sigma + sigma_above)``:

        below:  phi = I / (4 pi sigma) (1/r + k/r_image)
        above:  phi = I / (4 pi sigma) (1 + k)/r = I / (2 pi (sigma + sigma_above) r)

    so on an insulating plane (k = 1) the potential is twice that of the infinite medium.

Current dipoles (for LFP, ECoG and EEG): ``phi = p . r / (4 pi sigma |r|^3)`` with ``p`` in
nA·µm; the image of a dipole in the plane is ``k (p_x, p_y, -p_z)`` at the mirrored position.

Assumptions
-----------
- Quasi-static, purely resistive media; electrodes do not perturb the field.
- Sources of `HalfSpaceConductor` lie in the tissue (z <= plane). Anisotropic media
  have no image plane here.
- Distances are clamped as in `gain_matrix`.

References
----------
Nicholson C. & Freeman J. A. (1975) Theory of current source-density analysis and determination
of conductivity tensor for anuran cerebellum. J Neurophysiol 38, 356-368.
Ness T. V. et al. (2015) Modelling and analysis of electrical potentials recorded in
microelectrode arrays (MEAs). Neuroinformatics 13, 403-426.
Nunez P. L. & Srinivasan R. (2006) Electric Fields of the Brain, 2nd ed., Oxford UP.
Murakami S. & Okada Y. (2006) Contributions of principal neocortical neurons to
magnetoencephalography and electroencephalography signals. J Physiol 575, 925-936.
"""

from __future__ import annotations

import math

import numpy as np

from . import _conductor_kernels as _k
from ._validation import check_array, check_int, check_range

__all__ = ["gain_matrix", "point_source_potential_uV", "plane_axes_from_normals",
           "InfiniteConductor", "HalfSpaceConductor", "DEFAULT_SIGMA_S_PER_M"]

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
        anisotropic medium, `InfiniteConductor`).
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

def _sigma_tensor(sigma) -> np.ndarray:
    arr = np.asarray(sigma, dtype=float)
    if arr.ndim == 0:
        arr = np.eye(3) * float(arr)
    elif arr.shape == (3,):
        arr = np.diag(arr)
    elif arr.shape != (3, 3):
        raise ValueError(f"sigma_S_per_m must be a scalar, 3 principal values or a 3 x 3 tensor "
                         f"(S/m), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or not np.allclose(arr, arr.T):
        raise ValueError("sigma_S_per_m must be a finite symmetric tensor (S/m)")
    if np.linalg.eigvalsh(arr).min() <= 0.0:
        raise ValueError(f"sigma_S_per_m must be positive definite (S/m), got eigenvalues "
                         f"{np.linalg.eigvalsh(arr)}")
    return arr


def _dipole_gain(el: np.ndarray, dip: np.ndarray, scale: float, r_min: float) -> np.ndarray:
    """(n_el, n_dip, 3) potential per unit dipole component: scale * r / |r|^3."""
    r = el[:, None, :] - dip[None, :, :]
    d = np.maximum(np.linalg.norm(r, axis=2), r_min)
    return scale * r / d[..., None] ** 3


class InfiniteConductor:
    """Infinite homogeneous (optionally anisotropic) volume conductor.

    Parameters
    ----------
    sigma_S_per_m : float, array (3,) or (3, 3)
        Conductivity (S/m): scalar (isotropic, default 0.3), principal values along x, y, z,
        or a symmetric positive-definite tensor.
    """

    def __init__(self, sigma_S_per_m=0.3):
        self.sigma_S_per_m = _sigma_tensor(sigma_S_per_m)
        w, v = np.linalg.eigh(self.sigma_S_per_m)
        self._transform = (v / np.sqrt(w)) @ v.T  # sigma^(-1/2)
        self._sqrt_det = math.sqrt(float(np.prod(w)))
        self._t_max = float(1.0 / np.sqrt(w.min()))
        self._t_geo = float(np.prod(w) ** (-1.0 / 6.0))
        self.isotropic = bool(np.allclose(self.sigma_S_per_m, np.eye(3) * w.mean()))

    def gain_matrix(self, electrode_pos_um, seg_start_um, seg_end_um, electrode_radius_um=0.0,
                    electrode_normal=None, n_disc_points: int = 64, min_distance_um=1.0) -> np.ndarray:
        """Segment currents (nA) -> electrode potentials (µV), shape (n_el, n_seg).

        Arguments as `electrode_models.conductor.gain_matrix` (``seg_start_um ==
        seg_end_um`` gives point sources).
        """
        if self.isotropic:
            return gain_matrix(electrode_pos_um, seg_start_um, seg_end_um,
                               float(self.sigma_S_per_m[0, 0]), electrode_radius_um,
                               electrode_normal, n_disc_points, min_distance_um)
        el = check_array("electrode_pos_um", electrode_pos_um, shape=(None, 3), dtype=float)
        s0 = check_array("seg_start_um", seg_start_um, shape=(None, 3), dtype=float)
        s1 = check_array("seg_end_um", seg_end_um, shape=(s0.shape[0], 3), dtype=float)
        radius = check_range("electrode_radius_um", electrode_radius_um, 0.0, 5000.0, "µm")
        n_disc = 1 if radius == 0.0 else check_int("n_disc_points", n_disc_points, 1, 4096)
        rmin = np.broadcast_to(np.asarray(min_distance_um, dtype=float), (s0.shape[0],))
        if rmin.size and not np.all(rmin > 0):
            raise ValueError(f"min_distance_um must be > 0 µm, got {min_distance_um!r}")
        a1, a2 = _electrode_axes(electrode_normal, el.shape[0])
        t = self._transform
        c = np.ascontiguousarray
        return _k.gain_matrix_kernel(c(el @ t), c(a1 @ t), c(a2 @ t), c(s0 @ t), c(s1 @ t),
                                     c(rmin * self._t_geo), radius, n_disc, 10.0 * self._t_max,
                                     1000.0 / (4.0 * math.pi * self._sqrt_det))

    def dipole_gain_matrix(self, electrode_pos_um, dipole_pos_um, min_distance_um: float = 1.0) -> np.ndarray:
        """Current dipoles (nA·µm) -> potentials (µV): shape (n_el, n_dip, 3), contract with p.

        Isotropic: ``phi = 1000 p . r / (4 pi sigma |r|^3)``; anisotropic: the same in the
        transformed frame (``p' = sigma^(-1/2) p``), prefactor ``1000 / (4 pi sqrt(det sigma))``.
        """
        el = check_array("electrode_pos_um", electrode_pos_um, shape=(None, 3), dtype=float)
        dip = check_array("dipole_pos_um", dipole_pos_um, shape=(None, 3), dtype=float)
        rmin = check_range("min_distance_um", min_distance_um, 0.0, None, "µm", low_inclusive=False)
        t = self._transform
        g = _dipole_gain(el @ t, dip @ t, 1000.0 / (4.0 * math.pi * self._sqrt_det), rmin * self._t_geo)
        return g @ t  # phi = g' . (t p) = (g' t) . p  (t symmetric)


class HalfSpaceConductor:
    """Tissue below the plane ``z = plane_z_um``, another medium above (method of images).

    Parameters
    ----------
    sigma_S_per_m : float
        Tissue conductivity (S/m), > 0, default 0.3.
    sigma_above_S_per_m : float
        Conductivity above the plane (S/m), >= 0; 0 (default) is an insulating backing.
    plane_z_um : float
        Height of the interface (µm), default 0 (the cortical surface).
    """

    def __init__(self, sigma_S_per_m: float = 0.3, sigma_above_S_per_m: float = 0.0,
                 plane_z_um: float = 0.0):
        self.sigma_S_per_m = check_range("sigma_S_per_m", sigma_S_per_m, 0.0, None, "S/m",
                                         low_inclusive=False)
        self.sigma_above_S_per_m = check_range("sigma_above_S_per_m", sigma_above_S_per_m, 0.0,
                                               None, "S/m")
        self.plane_z_um = check_range("plane_z_um", plane_z_um, None, None, "µm")
        s, a = self.sigma_S_per_m, self.sigma_above_S_per_m
        self.image_factor = (s - a) / (s + a)

    def _mirror(self, p: np.ndarray) -> np.ndarray:
        q = p.copy()
        q[:, 2] = 2.0 * self.plane_z_um - q[:, 2]
        return q

    def _check_sources(self, name: str, pts: np.ndarray) -> None:
        if pts.size and pts[:, 2].max() > self.plane_z_um + 1e-9:
            raise ValueError(f"{name} must lie in the tissue (z <= plane_z_um = {self.plane_z_um:g} µm), "
                             f"got z up to {pts[:, 2].max():g} µm")

    def gain_matrix(self, electrode_pos_um, seg_start_um, seg_end_um, electrode_radius_um=0.0,
                    electrode_normal=None, n_disc_points: int = 64, min_distance_um=1.0) -> np.ndarray:
        """Segment currents (nA) -> potentials (µV), shape (n_el, n_seg); see the class docstring."""
        el = check_array("electrode_pos_um", electrode_pos_um, shape=(None, 3), dtype=float)
        s0 = check_array("seg_start_um", seg_start_um, shape=(None, 3), dtype=float)
        s1 = check_array("seg_end_um", seg_end_um, shape=(s0.shape[0], 3), dtype=float)
        self._check_sources("seg_start_um", s0)
        self._check_sources("seg_end_um", s1)
        args = (self.sigma_S_per_m, electrode_radius_um, electrode_normal, n_disc_points,
                min_distance_um)
        direct = gain_matrix(el, s0, s1, *args)
        image = gain_matrix(el, self._mirror(s0), self._mirror(s1), *args)
        above = el[:, 2] > self.plane_z_um
        k = self.image_factor
        return np.where(above[:, None], (1.0 + k) * direct, direct + k * image)

    def dipole_gain_matrix(self, electrode_pos_um, dipole_pos_um, min_distance_um: float = 1.0) -> np.ndarray:
        """Current dipoles (nA·µm) -> potentials (µV), shape (n_el, n_dip, 3)."""
        el = check_array("electrode_pos_um", electrode_pos_um, shape=(None, 3), dtype=float)
        dip = check_array("dipole_pos_um", dipole_pos_um, shape=(None, 3), dtype=float)
        self._check_sources("dipole_pos_um", dip)
        rmin = check_range("min_distance_um", min_distance_um, 0.0, None, "µm", low_inclusive=False)
        scale = 1000.0 / (4.0 * math.pi * self.sigma_S_per_m)
        k = self.image_factor
        direct = _dipole_gain(el, dip, scale, rmin)
        image = _dipole_gain(el, self._mirror(dip), scale, rmin) * np.array([1.0, 1.0, -1.0])
        above = el[:, 2] > self.plane_z_um
        return np.where(above[:, None, None], (1.0 + k) * direct, direct + k * image)
