"""Cell placement (Poisson counts, exclusions, orientations) and the Brian2 E/I network."""

import numpy as np
import pytest

from neurosim.design import Population
from neurosim.populations import (INTERNEURON, PYRAMIDAL, expected_cell_count, place_cells,
                                  simulate_balanced_ei, simulate_population)


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


@pytest.mark.slow
def test_balanced_network_rates_irregular_and_deterministic():
    t1, u1 = simulate_balanced_ei(800, 200, 2.0, seed=3)
    t2, u2 = simulate_balanced_ei(800, 200, 2.0, seed=3)
    assert np.array_equal(t1, t2) and np.array_equal(u1, u2)
    rates = np.bincount(u1, minlength=1000) / 2.0
    # cortical range of mean rates (asynchronous irregular, low rate)
    assert 1.0 < rates[:800].mean() < 20.0 and 1.0 < rates[800:].mean() < 20.0
    isi = [np.diff(t1[u1 == k]) for k in range(1000)]
    cv = [x.std() / x.mean() for x in isi if len(x) > 4]
    assert 0.5 < np.median(cv) < 1.5  # irregular firing, not clock-like (CV << 1)
    # refractory period is respected
    assert min(x.min() for x in isi if len(x)) >= 2e-3 - 1e-9
    t3, _ = simulate_balanced_ei(800, 200, 2.0, seed=4)
    assert not np.array_equal(t1[:100], t3[:100])


def test_simulate_population_plain_arrays():
    contacts = np.array([[0.0, 0.0, -800.0]])
    act = simulate_population(Population(reach_radius_um=50.0), contacts, 0.5, np.random.SeedSequence(2))
    assert act.positions_um.shape == (act.num_cells, 3)
    assert np.all(np.diff(act.spike_times_s) >= 0)
    assert act.spike_times_s.max() < 0.5 and act.spike_units.max() < act.num_cells
    assert np.all(act.cell_types[:-1] <= act.cell_types[1:])  # excitatory first
    assert isinstance(act.spike_times_s, np.ndarray) and act.spike_times_s.dtype == np.float64
