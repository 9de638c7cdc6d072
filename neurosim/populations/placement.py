"""Placing cells in tissue where the implant can see them.

Cells are drawn as a homogeneous Poisson point process at ``density_per_mm3`` restricted to the
union of spheres of radius ``reach_radius_um`` around the contacts, minus spheres of radius
``min_distance_um`` (tissue displaced or damaged by the electrode) and anything above the cortical
surface. Cells beyond the reach radius are not simulated; their aggregate (the far-neuron
background) is handed to the noise model as an expected count in a shell between the reach
radius and a background radius (`background_cell_count`).

Assumptions
-----------
- Uniform density (no layers, no vasculature); the shank's own volume is not excluded beyond
  ``min_distance_um`` of each contact.
- Pyramidal cells point their apical axis towards the surface (+z) with a 10° rms tilt;
  interneurons are oriented uniformly at random.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from neurosim.populations.activity import INTERNEURON, PYRAMIDAL

__all__ = ["place_cells", "expected_cell_count", "background_cell_count", "draw_orientations"]

_SURFACE_CLEARANCE_UM = 20.0  # somata lie at least this far below the cortical surface


def place_cells(contact_positions_um: np.ndarray, reach_radius_um: float, density_per_mm3: float,
                excitatory_fraction: float, min_distance_um: float, rng: np.random.Generator,
                max_neurons: int | None = None):
    """Draw cell positions, types and orientations around the contacts.

    Parameters
    ----------
    contact_positions_um : np.ndarray, shape (num_contacts, 3)
        Contact centres in the tissue frame, µm.
    reach_radius_um, min_distance_um : float
        Cells lie within ``reach_radius_um`` of some contact and no closer than
        ``min_distance_um`` to any, µm.
    density_per_mm3 : float
        Neuron density, neurons/mm³.
    excitatory_fraction : float
        Probability that a cell is pyramidal.
    rng : np.random.Generator
    max_neurons : int, optional
        Raise ``ValueError`` before drawing if the expected count exceeds it.

    Returns
    -------
    positions_um : np.ndarray, shape (num_cells, 3)
    cell_types : np.ndarray, shape (num_cells,), int8
    orientations : np.ndarray, shape (num_cells, 3)
    """
    contacts = np.asarray(contact_positions_um, dtype=float)
    lo = contacts.min(axis=0) - reach_radius_um
    hi = contacts.max(axis=0) + reach_radius_um
    hi[2] = min(hi[2], -_SURFACE_CLEARANCE_UM)
    if max_neurons is not None:
        expected = expected_cell_count(contacts, reach_radius_um, density_per_mm3)
        if expected > max_neurons:
            raise ValueError(
                f"population.max_neurons = {max_neurons} is below the {expected:.0f} cells expected "
                f"within population.reach_radius_um = {reach_radius_um:g} um of "
                f"{len(contacts)} contacts at {density_per_mm3:g} neurons/mm^3; "
                "reduce the reach radius or density, or raise max_neurons")
    box_mm3 = float(np.prod(np.maximum(hi - lo, 0.0))) * 1e-9
    n_box = rng.poisson(density_per_mm3 * box_mm3)
    points = lo + rng.random((n_box, 3)) * (hi - lo)
    tree = cKDTree(contacts)
    dist, _ = tree.query(points, k=1)
    keep = (dist <= reach_radius_um) & (dist >= min_distance_um)
    positions = points[keep]
    n = len(positions)
    cell_types = np.where(rng.random(n) < excitatory_fraction, PYRAMIDAL, INTERNEURON).astype(np.int8)
    orientations = draw_orientations(cell_types, rng)
    return positions, cell_types, orientations


def draw_orientations(cell_types: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unit apical axes: pyramidal cells up (+z) with a 10° rms tilt, interneurons isotropic."""
    n = len(cell_types)
    random_dirs = rng.standard_normal((n, 3))
    random_dirs /= np.linalg.norm(random_dirs, axis=1, keepdims=True)
    tilt = np.deg2rad(10.0) * rng.standard_normal((n, 2))
    apical = np.column_stack([np.sin(tilt[:, 0]), np.sin(tilt[:, 1]), np.ones(n)])
    apical /= np.linalg.norm(apical, axis=1, keepdims=True)
    return np.where((cell_types == PYRAMIDAL)[:, None], apical, random_dirs)


def expected_cell_count(contact_positions_um: np.ndarray, reach_radius_um: float,
                        density_per_mm3: float, num_samples: int = 200_000, seed: int = 0) -> float:
    """Expected number of cells in the union of reach spheres (Monte-Carlo volume), cells."""
    contacts = np.asarray(contact_positions_um, dtype=float)
    lo = contacts.min(axis=0) - reach_radius_um
    hi = contacts.max(axis=0) + reach_radius_um
    hi[2] = min(hi[2], -_SURFACE_CLEARANCE_UM)
    rng = np.random.default_rng(seed)
    pts = lo + rng.random((num_samples, 3)) * (hi - lo)
    dist, _ = cKDTree(contacts).query(pts, k=1)
    frac = np.mean(dist <= reach_radius_um)
    return float(frac * np.prod(np.maximum(hi - lo, 0.0)) * 1e-9 * density_per_mm3)


def background_cell_count(contact_positions_um: np.ndarray, reach_radius_um: float,
                          background_radius_um: float, density_per_mm3: float,
                          num_samples: int = 200_000, seed: int = 0) -> float:
    """Expected number of neurons farther than the reach radius from every contact but within the
    background radius of one (union of shells, below the surface), cells (Monte-Carlo volume).

    Raises
    ------
    ValueError
        If ``background_radius_um`` is not above ``reach_radius_um``.
    """
    if background_radius_um <= reach_radius_um:
        raise ValueError(f"population.background_radius_um must be above population.reach_radius_um"
                         f" = {reach_radius_um:g} um, got {background_radius_um:g}")
    contacts = np.asarray(contact_positions_um, dtype=float)
    lo = contacts.min(axis=0) - background_radius_um
    hi = contacts.max(axis=0) + background_radius_um
    hi[2] = min(hi[2], -_SURFACE_CLEARANCE_UM)
    rng = np.random.default_rng(seed)
    pts = lo + rng.random((num_samples, 3)) * (hi - lo)
    dist, _ = cKDTree(contacts).query(pts, k=1)
    frac = np.mean((dist > reach_radius_um) & (dist <= background_radius_um))
    return float(frac * np.prod(np.maximum(hi - lo, 0.0)) * 1e-9 * density_per_mm3)
