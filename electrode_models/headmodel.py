"""Four-sphere head model: current dipoles in the brain seen from the brain, CSF, skull or scalp.

`FourSphereConductor` is a volume conductor of four concentric shells, brain, CSF, skull
and scalp (outer radii ``r_1 < r_2 < r_3 < r_4``, conductivities ``sigma_1..4``), with air
(sigma = 0) outside. It gives the gain matrix of current dipoles (nA·µm) to potentials (µV),
shape ``(n_el, n_dip, 3)``, like `electrode_models.InfiniteConductor.dipole_gain_matrix`.

Equations (Næss et al. 2017, corrected four-sphere model; Nunez & Srinivasan 2006)
-------------------------------------------------------------------------------------
A dipole ``p`` at ``r_z`` (``|r_z| = r_z < r_1``) is split into a radial part
``p_r = p . e_z`` (``e_z = r_z / r_z``) and a tangential part. With ``x = cos(theta)`` the angle
between electrode ``r`` and ``r_z``, ``r_uv = r - (r . e_z) e_z`` and the shell ``k`` of the
electrode::

    phi = 1 / (4 pi sigma_1 r_z^2) [ p_r  sum_n n T_n(r) P_n(x)  +  (p . r_uv) / r  sum_n T_n(r) P_n'(x) ]

    T_n(r) = alpha_kn (r_z/r_k) (r_z r / r_k^2)^n + beta_kn (r_z / r)^(n+1)

(the tangential form follows from the paper's ``-|p_t| sin(phi) P_n^1(x)`` with
``P_n^1 = -sin(theta) P_n'``). ``alpha_kn, beta_kn`` are the paper's ``c_kn, d_kn`` divided by
``(r_z/r_1)^(n+1)`` and depend on the model only (`shell_coefficients`); in the brain
``beta = 1`` and that part is the infinite homogeneous dipole, evaluated in closed form
(``p . (r - r_z) / (4 pi sigma_1 |r - r_z|^3)``; valid also for electrodes deeper than the
dipole). The series converge slowly when ``r_z r / r_k^2`` or ``r_z / r`` approach 1 (a dipole
and an electrode both near the brain surface). They are accelerated by subtracting the limits
``alpha_k∞, beta_k∞`` of the coefficients, whose sums are closed forms of the Legendre
generating function ``sum t^n P_n(x) = (1 - 2 x t + t^2)^(-1/2)``::

    sum n t^n P_n(x) = t (x - t) / (1 - 2 x t + t^2)^(3/2),   sum t^n P_n'(x) = t / (1 - 2 x t + t^2)^(3/2)

so the remaining series (coefficients ``alpha_kn - alpha_k∞ = O(1/n)``) is truncated after
``max_terms`` terms or when a bound of its tail falls below 1e-9 of the closed-form parts
(Legendre recursion, Numba).

Tissue frame and head frame
---------------------------
The tissue frame of the project has the cortical surface at ``z = 0`` and tissue at ``z < 0``
(µm). The head's centre is at ``(0, 0, -r_1)`` below the implant, and the flat frame is wrapped
onto the sphere: lateral distance ``rho = sqrt(x^2 + y^2)`` becomes the arc ``rho`` on the brain
surface (polar angle ``rho / r_1``, azimuth ``atan2(y, x)``) and height ``z`` becomes the radial
distance ``r = r_1 + z``. Depth below the surface and distances along the surface are kept, so
a contact at ``z = 0`` lies on the brain surface and one at ``z = r_2 - r_1`` on the inner skull
surface wherever it sits laterally; vectors (dipole moments) are rotated with the local frame.
`FourSphereConductor.dipole_gain_matrix` works in the tissue frame,
`FourSphereConductor.dipole_gain_matrix_head` in the head frame.

Assumptions
-----------
- Quasi-static, isotropic, purely resistive shells; air outside the scalp.
- Dipoles lie in the brain (``z < 0``; strictly inside ``r_1``); electrodes within the head
  (``r <= r_4``). An electrode on a boundary belongs to the inner shell (the potential is
  continuous there).
- Electrodes are points; they do not perturb the field (no insulating carrier).

References
----------
Næss S., Chintaluri C., Ness T. V., Dale A. M., Einevoll G. T. & Wójcik D. K. (2017) Corrected
four-sphere head model for EEG signals. Front. Hum. Neurosci. 11, 490.
Nunez P. L. & Srinivasan R. (2006) Electric Fields of the Brain, 2nd ed., Oxford UP.
Hagen E. et al. (2018) Multimodal modeling of neural network activity: computing LFP, ECoG, EEG
and MEG signals with LFPy 2.0. Front. Neuroinform. 12, 92.
"""

from __future__ import annotations

import numpy as np

from ._headmodel_kernels import four_sphere_gain_kernel, shell_coefficients
from ._validation import check_array, check_int, check_range

__all__ = ["DEFAULT_RADII_UM", "DEFAULT_SIGMA_S_PER_M", "FourSphereConductor"]

#: Outer radii of brain, CSF, skull and scalp, µm (Nunez & Srinivasan 2006; Næss et al. 2017).
DEFAULT_RADII_UM = (79000.0, 80000.0, 85000.0, 90000.0)
#: Conductivities of brain, CSF, skull and scalp, S/m (Nunez & Srinivasan 2006; Næss et al. 2017).
DEFAULT_SIGMA_S_PER_M = (0.3, 1.5, 0.015, 0.3)

_TOL = 1e-9  # the residual series stops when its tail bound is below this fraction of the closed forms


class FourSphereConductor:
    """Four concentric shells (brain, CSF, skull, scalp) in air; current dipoles in the brain.

    Parameters
    ----------
    radii_um : sequence of 4 floats
        Outer radii of brain, CSF, skull and scalp, µm, strictly increasing, in (0, 1e6].
        Default ``(79000, 80000, 85000, 90000)``.
    sigma_S_per_m : sequence of 4 floats
        Conductivities of brain, CSF, skull and scalp, S/m, each in (0, 100].
        Default ``(0.3, 1.5, 0.015, 0.3)``.
    max_terms : int
        Largest Legendre order of the (accelerated) series, in [10, 200000]; default 4000.

    Attributes
    ----------
    radii_um, sigma_S_per_m : np.ndarray, shape (4,)
    centre_um : np.ndarray, shape (3,)
        The head's centre in the tissue frame, ``(0, 0, -r_1)``, µm.

    Examples
    --------
    >>> fs = FourSphereConductor()
    >>> g = fs.dipole_gain_matrix([[0.0, 0.0, 0.0]], [[0.0, 0.0, -1000.0]])  # (1, 1, 3) µV/(nA·µm)
    """

    def __init__(self, radii_um=DEFAULT_RADII_UM, sigma_S_per_m=DEFAULT_SIGMA_S_PER_M,
                 max_terms: int = 4000):
        radii = check_array("radii_um", radii_um, shape=(4,), dtype=float)
        for i, (name, r) in enumerate(zip(("brain", "CSF", "skull", "scalp"), radii)):
            check_range(f"radii_um[{i}] ({name})", float(r), 0.0, 1e6, "µm", low_inclusive=False)
        if np.any(np.diff(radii) <= 0):
            raise ValueError(f"radii_um must increase strictly (brain < CSF < skull < scalp, µm), "
                             f"got {radii.tolist()}")
        sigma = check_array("sigma_S_per_m", sigma_S_per_m, shape=(4,), dtype=float)
        for i, (name, s) in enumerate(zip(("brain", "CSF", "skull", "scalp"), sigma)):
            check_range(f"sigma_S_per_m[{i}] ({name})", float(s), 0.0, 100.0, "S/m", low_inclusive=False)
        self.max_terms = check_int("max_terms", max_terms, 10, 200000)
        self.radii_um = radii
        self.sigma_S_per_m = sigma
        self.centre_um = np.array([0.0, 0.0, -radii[0]])
        n = np.arange(1, self.max_terms + 1, dtype=float)
        alpha, beta = shell_coefficients(n, radii, sigma)
        a_inf, b_inf = shell_coefficients(np.array([1e12]), radii, sigma)
        self._alpha_inf = np.ascontiguousarray(a_inf[:, 0])
        self._beta_inf = np.ascontiguousarray(b_inf[:, 0])
        pad = np.zeros((4, 1))  # index n = 0 unused
        self._dalpha = np.ascontiguousarray(np.hstack([pad, alpha - self._alpha_inf[:, None]]))
        self._dbeta = np.ascontiguousarray(np.hstack([pad, beta - self._beta_inf[:, None]]))
        if not (np.all(np.isfinite(self._dalpha)) and np.all(np.isfinite(self._dbeta))):
            raise ValueError(f"four-sphere coefficients are not finite for radii_um = {radii.tolist()} "
                             f"and sigma_S_per_m = {sigma.tolist()}")

    # -- frames ------------------------------------------------------------------------------
    def tissue_to_head(self, points_um) -> np.ndarray:
        """Tissue-frame points (µm) -> head-frame points (µm from the head centre), shape (n, 3)."""
        p = check_array("points_um", points_um, shape=(None, 3), dtype=float)
        pos, _ = self._wrap(p)
        return pos

    def _wrap(self, p: np.ndarray):
        """Head positions and rotation matrices (n, 3, 3) of the local frames (tissue -> head)."""
        r1 = self.radii_um[0]
        rho = np.hypot(p[:, 0], p[:, 1])
        theta = rho / r1
        phi = np.arctan2(p[:, 1], p[:, 0])
        st, ct, sp, cp = np.sin(theta), np.cos(theta), np.sin(phi), np.cos(phi)
        r = r1 + p[:, 2]
        pos = r[:, None] * np.column_stack([st * cp, st * sp, ct])
        # Rodrigues rotation by theta about u = (-sin phi, cos phi, 0): maps e_z to the radial axis
        ux, uy = -sp, cp
        rot = np.empty((len(p), 3, 3))
        one = 1.0 - ct
        rot[:, 0, 0] = ct + ux * ux * one
        rot[:, 0, 1] = ux * uy * one
        rot[:, 0, 2] = uy * st
        rot[:, 1, 0] = ux * uy * one
        rot[:, 1, 1] = ct + uy * uy * one
        rot[:, 1, 2] = -ux * st
        rot[:, 2, 0] = -uy * st
        rot[:, 2, 1] = ux * st
        rot[:, 2, 2] = ct
        return pos, rot

    def shell_of(self, points_um, frame: str = "tissue") -> np.ndarray:
        """Index of the shell (0 brain, 1 CSF, 2 skull, 3 scalp) of each point, shape (n,)."""
        p = check_array("points_um", points_um, shape=(None, 3), dtype=float)
        if frame not in ("tissue", "head"):
            raise ValueError(f"frame must be one of ['tissue', 'head'], got {frame!r}")
        r = np.linalg.norm(self._wrap(p)[0] if frame == "tissue" else p, axis=1)
        return np.searchsorted(self.radii_um, r, side="left").clip(0, 3)

    # -- gain matrices -----------------------------------------------------------------------
    def dipole_gain_matrix_head(self, electrode_pos_um, dipole_pos_um,
                                min_distance_um: float = 1.0) -> np.ndarray:
        """Dipoles (nA·µm) -> potentials (µV) in the head frame (origin at the head centre).

        Parameters
        ----------
        electrode_pos_um : array, shape (n_el, 3)
            Electrode positions from the head centre, µm, ``|r| <= r_4``.
        dipole_pos_um : array, shape (n_dip, 3)
            Dipole positions from the head centre, µm, ``0 < |r_z| < r_1``.
        min_distance_um : float
            Electrode-dipole distances below this are clamped in the direct (brain) term, µm, > 0.

        Returns
        -------
        np.ndarray, shape (n_el, n_dip, 3)
            Potential per unit dipole component along the head frame's x, y, z, µV/(nA·µm).
        """
        el = check_array("electrode_pos_um", electrode_pos_um, shape=(None, 3), dtype=float)
        dip = check_array("dipole_pos_um", dipole_pos_um, shape=(None, 3), dtype=float)
        rmin = check_range("min_distance_um", min_distance_um, 0.0, None, "µm", low_inclusive=False)
        r1, r4 = self.radii_um[0], self.radii_um[3]
        rz = np.linalg.norm(dip, axis=1)
        if dip.size and (rz.min() <= 0.0 or rz.max() >= r1):
            raise ValueError(f"dipole_pos_um must lie in the brain, 0 < |r| < r_brain = {r1:g} µm from "
                             f"the head centre, got |r| in [{rz.min():g}, {rz.max():g}] µm")
        r = np.linalg.norm(el, axis=1)
        if el.size and r.max() > r4 * (1.0 + 1e-12):
            raise ValueError(f"electrode_pos_um must lie within the head, |r| <= r_scalp = {r4:g} µm "
                             f"from the head centre, got |r| up to {r.max():g} µm")
        if el.shape[0] == 0 or dip.shape[0] == 0:
            return np.zeros((el.shape[0], dip.shape[0], 3))
        return four_sphere_gain_kernel(np.ascontiguousarray(el), np.ascontiguousarray(dip),
                                       self.radii_um, float(self.sigma_S_per_m[0]),
                                       self._alpha_inf, self._beta_inf, self._dalpha, self._dbeta,
                                       self.max_terms, _TOL, rmin)

    def dipole_gain_matrix(self, electrode_pos_um, dipole_pos_um,
                           min_distance_um: float = 1.0) -> np.ndarray:
        """Dipoles (nA·µm) -> potentials (µV) in the tissue frame, shape (n_el, n_dip, 3).

        Parameters
        ----------
        electrode_pos_um : array, shape (n_el, 3)
            Contact positions in the tissue frame, µm: ``z <= 0`` brain, up to
            ``r_2 - r_1`` CSF (1000 µm by default: subdural, epidural on the inner skull
            surface), then skull and scalp, at most ``r_4 - r_1`` (11 mm: scalp EEG).
        dipole_pos_um : array, shape (n_dip, 3)
            Dipole positions in the tissue frame, µm, ``z < 0``.
        min_distance_um : float
            Clamp of the electrode-dipole distance in the brain's direct term, µm, > 0.

        Returns
        -------
        np.ndarray, shape (n_el, n_dip, 3)
            Potential per unit dipole component along the tissue frame's x, y, z, µV/(nA·µm);
            contract with ``p`` (nA·µm) in the tissue frame.
        """
        el = check_array("electrode_pos_um", electrode_pos_um, shape=(None, 3), dtype=float)
        dip = check_array("dipole_pos_um", dipole_pos_um, shape=(None, 3), dtype=float)
        r1, r4 = self.radii_um[0], self.radii_um[3]
        if dip.size and dip[:, 2].max() >= 0.0:
            raise ValueError(f"dipole_pos_um must lie in the brain (tissue frame z < 0 µm), got z up "
                             f"to {dip[:, 2].max():g} µm")
        if dip.size and dip[:, 2].min() <= -r1:
            raise ValueError(f"dipole_pos_um must lie above the head centre (z > {-r1:g} µm), got z "
                             f"down to {dip[:, 2].min():g} µm")
        if el.size and (el[:, 2].max() > r4 - r1 or el[:, 2].min() < -r1):
            raise ValueError(f"electrode_pos_um must lie within the head, z in [{-r1:g}, {r4 - r1:g}] "
                             f"µm (tissue frame), got z in [{el[:, 2].min():g}, {el[:, 2].max():g}] µm")
        el_h, _ = self._wrap(el)
        dip_h, rot = self._wrap(dip)
        g = self.dipole_gain_matrix_head(el_h, dip_h, min_distance_um)
        # phi = g_head . (R p_tissue) = (R^T g_head) . p_tissue
        return np.einsum("edi,dij->edj", g, rot)
