"""Generated renewal spike trains (population.model = "poisson"): rates, refractoriness,
independence of how time is windowed, stability under cell subsets."""

import numpy as np
import pytest

from neurosim.design import Design
from neurosim.populations import simulate_population
from neurosim.populations.poisson import BLOCK_S, poisson_spikes


def test_rate_and_dead_time_match_the_renewal_closed_forms(spike_stats):
    # dead-time Poisson process of rate r, dead time tau: rate r, ISI >= tau, CV of ISI = 1 - r tau
    rate, tau, n, dur = 40.0, 0.005, 400, 50.0
    t, u = poisson_spikes(np.full(n, rate), np.arange(n), 11, tau, 0.0, dur)
    expected = rate * n * dur
    assert abs(len(t) - expected) < 4 * np.sqrt(expected)  # 4 sigma of the Poisson count
    isi = np.concatenate([np.diff(t[u == k]) for k in range(n)])
    # the dead time restarts at block boundaries: at most r tau / (r * 1 s) of the ISIs are short
    assert np.mean(isi < tau) <= 2 * tau / BLOCK_S
    cv = spike_stats.isi_cv(t, u, range(n))
    assert abs(np.median(cv) - (1 - rate * tau)) < 0.03


def test_no_interval_below_the_refractory_period_inside_a_block():
    t, u = poisson_spikes(np.full(50, 80.0), np.arange(50), 3, 0.004, 0.0, BLOCK_S)
    for k in range(50):
        assert np.all(np.diff(t[u == k]) >= 0.004 - 1e-12)


def test_any_windowing_gives_the_same_spikes():
    rates, ids = np.linspace(1, 30, 60), np.arange(60) * 7
    whole = poisson_spikes(rates, ids, 5, 0.002, 0.3, 6.7)
    edges = [0.3, 0.31, 1.0, 2.55, 4.0, 6.7]
    parts = [poisson_spikes(rates, ids, 5, 0.002, a, b) for a, b in zip(edges[:-1], edges[1:])]
    assert np.array_equal(whole[0], np.concatenate([p[0] for p in parts]))
    assert np.array_equal(whole[1], np.concatenate([p[1] for p in parts]))
    assert np.all(np.diff(whole[0]) >= 0)


def test_a_subset_of_cells_keeps_its_spike_trains_and_seeds_differ():
    rates, ids = np.full(30, 10.0), np.arange(30)
    t, u = poisson_spikes(rates, ids, 9, 0.002, 0.0, 5.0)
    pick = np.array([4, 17])
    ts, us = poisson_spikes(rates[pick], ids[pick], 9, 0.002, 0.0, 5.0)
    for j, k in enumerate(pick):
        assert np.array_equal(ts[us == j], t[u == k])
    t2, _ = poisson_spikes(rates, ids, 10, 0.002, 0.0, 5.0)
    assert not np.array_equal(t[:50], t2[:50])


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="refractory_s"):
        poisson_spikes(np.array([600.0]), np.array([0]), 1, 0.002, 0.0, 1.0)
    with pytest.raises(ValueError, match="t0_s"):
        poisson_spikes(np.array([6.0]), np.array([0]), 1, 0.002, 2.0, 1.0)
    with pytest.raises(ValueError, match="max_rate_hz"):
        Design.model_validate({"population": {"model": "poisson",
                                              "poisson": {"max_rate_hz": 400, "refractory_ms": 5}}})


def test_population_rates_are_lognormal_with_the_design_medians():
    design = Design.model_validate({"seed": 1, "population": {
        "model": "poisson", "density_per_mm3": 150000, "reach_radius_um": 150,
        "poisson": {"pyramidal_median_hz": 3.0, "interneuron_median_hz": 12.0, "rate_sigma_ln": 0.8}}})
    contacts = np.array([[0.0, 0.0, -800.0], [200.0, 0.0, -800.0]])
    act = simulate_population(design.population, contacts, 30.0, np.random.SeedSequence(3))
    assert act.streamed and act.num_spikes == 0 and act.num_cells > 1000
    r = act.rates_hz()
    for code, median in ((0, 3.0), (1, 12.0)):
        lr = np.log(r[act.cell_types == code])
        n = lr.size
        assert abs(np.median(lr) - np.log(median)) < 4 * 0.8 * 1.25 / np.sqrt(n)
        assert abs(lr.std() - 0.8) < 0.1
    t, u = act.spikes_between(0.0, 30.0)
    counts = np.bincount(u, minlength=act.num_cells)
    expected = r * 30.0
    z = (counts.sum() - expected.sum()) / np.sqrt(expected.sum())
    assert abs(z) < 4
