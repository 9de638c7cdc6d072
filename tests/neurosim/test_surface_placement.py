"""Cells beneath contacts outside the cortex (subdural, epidural, endovascular) and the dipole LFP of
a subset of a shared cortex."""

import dataclasses

import numpy as np
import pytest
from scipy.spatial import cKDTree

from electrode_models.layouts import REGISTRY
from neurosim.cortex import get_activity, subset_activity
from neurosim.design import default_design
from neurosim.electrodes import build_probe, placement_positions_um, setup_dipole_lfp
from neurosim.populations import Activity, place_cells
from neurosim.populations.placement import _SURFACE_CLEARANCE_UM


def _design(layout, params, **extra):
    return default_design().replace(**{
        "seed": 4, "population.model": "poisson", "population.reach_radius_um": 100.0,
        "population.outer_radius_um": None, "recording.duration_s": 0.5,
        "implant.layout": layout, "implant.layout_params": params, **extra})


@pytest.mark.parametrize("layout", list(REGISTRY))
def test_placement_points_project_only_contacts_outside_the_cortex(layout):
    setup = build_probe(default_design().replace(**{"implant.layout": layout}))
    pts = setup.placement_positions_um
    np.testing.assert_array_equal(pts[:, :2], setup.positions_um[:, :2])
    if setup.anatomical_class == "intracortical":
        np.testing.assert_array_equal(pts, setup.positions_um)
    else:  # on the pia or above it: the point of the surface beneath
        assert setup.positions_um[:, 2].min() >= 0.0
        np.testing.assert_array_equal(pts[:, 2], 0.0)


def test_placement_points_errors():
    with pytest.raises(ValueError, match=r"anatomical_class must be one of \['intracortical', 'subdural', "
                                         r"'epidural', 'endovascular'\], got 'dural'"):
        placement_positions_um(np.zeros((2, 3)), "dural")
    with pytest.raises(ValueError, match=r"contact_positions_um must have shape \(any, 3\), got \(2, 2\)"):
        placement_positions_um(np.zeros((2, 2)), "epidural")


def test_cells_beneath_every_epidural_contact_at_the_density():
    """A 2 x 2 epidural grid 1 mm above the cortex, contacts 4 mm apart: around the true contacts no
    tissue is within reach (no cells: the old behaviour); around their projections, each contact
    has the cells of the part of a ball of radius R below the surface clearance c, a spherical cap
    of volume pi (R - c)^2 (2R + c) / 3, at the design's density (Poisson count)."""
    d = _design("epidural", {"rows": 2, "cols": 2, "pitch_um": 4000.0, "dura_thickness_um": 1000.0})
    setup = build_probe(d)
    pop = d.population
    none, _, _ = place_cells(setup.positions_um, pop.reach_radius_um, pop.density_per_mm3,
                             pop.excitatory_fraction, pop.min_distance_um, np.random.default_rng(0))
    assert len(none) == 0
    act, _ = get_activity(pop, d.recording.duration_s, d.seed, setup.placement_positions_um)
    R, c = pop.reach_radius_um, _SURFACE_CLEARANCE_UM
    expected = len(setup.positions_um) * pop.density_per_mm3 * 1e-9 * np.pi * (R - c) ** 2 * (2 * R + c) / 3
    assert abs(act.num_cells - expected) < 4 * np.sqrt(expected)  # ~354 +- 75
    dist, nearest = cKDTree(setup.placement_positions_um).query(act.positions_um)
    assert np.all(dist <= R) and np.all(act.positions_um[:, 2] <= -c)
    assert np.all(np.bincount(nearest, minlength=4) > 0)


def test_cells_beneath_a_stent():
    """Every contact of a stent (cortex-facing, sideways, facing away) has cells in the cortex
    beneath it, and none lies above the surface."""
    d = _design("stent", {"num_contacts": 8, "vessel_center_z_um": 3000.0})
    setup = build_probe(d)
    act, _ = get_activity(d.population, d.recording.duration_s, d.seed, setup.placement_positions_um)
    _, nearest = cKDTree(setup.placement_positions_um).query(act.positions_um)
    assert np.all(np.bincount(nearest, minlength=8) > 0)
    assert np.all(act.positions_um[:, 2] < 0.0)


def test_subset_keeps_the_dipole_moment_per_cell():
    """A sweep or notebook hands each implant the cells near its contacts from a shared cortex: the
    populations' summed dipoles shrink with the share of their pyramidal cells kept, so the moment per
    cell, hence the LFP model of :func:`setup_dipole_lfp`, is that of the whole network."""
    rng = np.random.default_rng(1)
    n, n_t = 40, 300
    pos = np.column_stack([rng.uniform(-3000, 3000, n), np.zeros(n), rng.uniform(-1500, -200, n)])
    types = (np.arange(n) % 4 == 3).astype(np.int8)  # every fourth cell an interneuron
    t = np.arange(n_t) * 1e-3
    dip = np.zeros((n_t, 2, 3))
    dip[:, 0, 2] = -1e4 * (1 + 0.3 * np.sin(2 * np.pi * 8 * t))
    act = Activity(spike_times_s=np.zeros(0), spike_units=np.zeros(0, np.int64), positions_um=pos,
                   cell_types=types, orientations=np.tile([0.0, 0.0, 1.0], (n, 1)), duration_s=0.3,
                   population_labels=types.astype(np.int64), population_names=("E", "I"),
                   lfp_proxy={"time_s": t, "proxy": np.ones((n_t, 2)), "dipole_nA_um": dip})
    d = default_design().replace(**{"population.model": "balanced_ei", "population.record_lfp": True,
                                    "implant.layout": "ecog", "implant.layout_params": {"rows": 1, "cols": 2}})
    setup = build_probe(d)
    sub = subset_activity(act, setup.placement_positions_um, 1500.0)
    kept = np.count_nonzero(sub.cell_types == 0) / np.count_nonzero(types == 0)
    assert 0.0 < kept < 1.0
    np.testing.assert_allclose(sub.lfp_proxy["dipole_nA_um"][:, 0], dip[:, 0] * kept, rtol=1e-12)
    np.testing.assert_allclose(sub.lfp_proxy["proxy"][:, 0], kept)
    np.testing.assert_array_equal(sub.lfp_proxy["proxy"][:, 1], 0.0)  # no pyramidal cells in I
    full = setup_dipole_lfp(d, setup, act).moment_nA_um
    np.testing.assert_allclose(setup_dipole_lfp(d, setup, sub).moment_nA_um, full, rtol=1e-9, atol=1e-9)
    assert subset_activity(dataclasses.replace(act, lfp_proxy=None), setup.placement_positions_um,
                           1500.0).lfp_proxy is None
