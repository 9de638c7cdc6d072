"""Cells between the reach and the outer radius: placement, rates and spikes (closed forms)."""

import numpy as np
import pytest

from neurosim.design import default_design
from neurosim.populations import INTERNEURON, PYRAMIDAL, firing_radius_um
from neurosim.populations import _generated_shell


def _population(**changes):
    return default_design().replace(**{f"population.{k}": v for k, v in changes.items()}).population


def test_firing_radius_is_the_larger_of_reach_and_outer():
    assert firing_radius_um(_population(reach_radius_um=60.0, outer_radius_um=150.0)) == 150.0
    assert firing_radius_um(_population(reach_radius_um=60.0, outer_radius_um=None)) == 60.0
    assert firing_radius_um(_population(reach_radius_um=80.0, outer_radius_um=50.0)) == 80.0


def test_shell_count_positions_and_rates():
    pop = _population(reach_radius_um=60.0, outer_radius_um=150.0, density_per_mm3=60000.0)
    contact = np.array([[0.0, 0.0, -1000.0]])
    # a "network" of 200 cells: E half silent, half at 5 Hz; I all at 20 Hz
    n_e, n_i, dur = 100, 100, 20.0
    types = np.r_[np.full(n_e, PYRAMIDAL), np.full(n_i, INTERNEURON)].astype(np.int8)
    rates = np.r_[np.zeros(50), np.full(50, 5.0), np.full(n_i, 20.0)]
    rng = np.random.default_rng(0)
    units = np.concatenate([np.full(int(r * dur), i) for i, r in enumerate(rates)]).astype(np.int64)
    times = np.sort(rng.random(len(units)) * dur)
    positions = np.zeros((200, 3))
    labels = types.astype(np.int64)
    out = _generated_shell(pop, contact, positions, types, labels, ("E", "I"), times, units, dur,
                           150.0, np.random.SeedSequence(1))
    pos, all_types, _, all_labels, names, t, u, n_new = out
    expected = 60000.0 * 1e-9 * 4.0 / 3.0 * np.pi * (150.0 ** 3 - 60.0 ** 3)   # 794 cells
    assert abs(n_new - expected) < 4 * np.sqrt(expected)
    d = np.linalg.norm(pos[200:] - contact, axis=1)
    assert d.min() >= 60.0 and d.max() <= 150.0
    assert names == ("E", "I", "E (generated)", "I (generated)")
    np.testing.assert_array_equal(all_labels[200:], 2 + all_types[200:])
    counts = np.bincount(u, minlength=len(all_types))[200:]
    new_types = all_types[200:]
    e_counts = counts[new_types == PYRAMIDAL]
    silent = np.mean(e_counts == 0)
    assert abs(silent - 0.5) < 4 * np.sqrt(0.25 / len(e_counts))      # the network's silent half
    active = e_counts[e_counts > 0]
    # dead-time-thinned Poisson at the set rate: mean count rate * duration, Poisson spread
    assert abs(active.mean() - 5.0 * dur) < 4 * np.sqrt(5.0 * dur / len(active))
    i_counts = counts[new_types == INTERNEURON]
    assert abs(i_counts.mean() - 20.0 * dur) < 4 * np.sqrt(20.0 * dur / len(i_counts))
    # the network's spikes are kept, untouched
    np.testing.assert_array_equal(t[:len(times)], times)
    np.testing.assert_array_equal(u[:len(units)], units)
