"""Cell placement (Poisson counts, exclusions, orientations) and the far-neuron background."""

import numpy as np
import pytest

from neurosim.populations import (INTERNEURON, PYRAMIDAL, background_cell_count,
                                  expected_cell_count, place_cells)


def test_placement_count_matches_density_in_a_shell():
    contact = np.array([[0.0, 0.0, -1000.0]])
    r, r_min, density = 100.0, 15.0, 60000.0
    expected = density * 4 / 3 * np.pi * (r**3 - r_min**3) * 1e-9  # closed form, cells
    counts = [len(place_cells(contact, r, density, 0.8, r_min, np.random.default_rng(s))[0])
              for s in range(20)]
    # the mean of 20 Poisson counts has sd sqrt(expected/20)
    assert abs(np.mean(counts) - expected) < 4 * np.sqrt(expected / 20)
    assert expected_cell_count(contact, r, density) == pytest.approx(
        density * 4 / 3 * np.pi * r**3 * 1e-9, rel=0.03)


def test_placement_geometry_types_orientations():
    contacts = np.array([[0.0, 0.0, -500.0], [300.0, 0.0, -500.0]])
    pos, types, ori = place_cells(contacts, 80.0, 60000.0, 0.8, 15.0, np.random.default_rng(1))
    d = np.linalg.norm(pos[:, None] - contacts[None], axis=2).min(axis=1)
    assert np.all(d <= 80.0) and np.all(d >= 15.0)
    assert np.all(pos[:, 2] < 0)
    assert abs(np.mean(types == PYRAMIDAL) - 0.8) < 0.05
    assert np.allclose(np.linalg.norm(ori, axis=1), 1.0)
    # pyramidal apical axes point up with a ~10 degree tilt; interneurons are isotropic
    assert np.median(ori[types == PYRAMIDAL, 2]) > np.cos(np.deg2rad(20))
    assert abs(np.mean(ori[types == INTERNEURON, 2])) < 0.15


def test_placement_refuses_too_many_cells():
    with pytest.raises(ValueError, match=r"population\.max_neurons = 10 is below"):
        place_cells(np.zeros((1, 3)) - 500, 100.0, 60000.0, 0.8, 15.0, np.random.default_rng(0),
                    max_neurons=10)


def test_background_shell_count_closed_form():
    contact = np.array([[0.0, 0.0, -2000.0]])
    r, big, density = 60.0, 180.0, 60000.0
    shell = density * 4 / 3 * np.pi * (big**3 - r**3) * 1e-9  # cells in the shell
    assert background_cell_count(contact, r, big, density) == pytest.approx(shell, rel=0.03)
    # two far-apart contacts: twice the shell
    two = np.array([[0.0, 0.0, -2000.0], [1000.0, 0.0, -2000.0]])
    assert background_cell_count(two, r, big, density) == pytest.approx(2 * shell, rel=0.03)


def test_background_radius_must_exceed_reach():
    with pytest.raises(ValueError, match=r"background_radius_um must be above .* got 50"):
        background_cell_count(np.zeros((1, 3)) - 500, 60.0, 50.0, 60000.0)
