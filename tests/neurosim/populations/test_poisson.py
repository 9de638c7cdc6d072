"""Generated renewal spike trains (population.model = "poisson"): rates, refractoriness,
independence of how time is windowed, stability under cell subsets."""

import numpy as np
import pytest

from neurosim.design import Design
from neurosim.design.population import PoissonOptions
from neurosim.populations import simulate_population
from neurosim.populations.poisson import (BLOCK_S, SILENT_FRACTION, SILENT_RANGE_HZ, _block_spikes,
                                          _sort_by_time, poisson_rates_hz, poisson_spikes)
from neurosim.populations.rate_stats import PUBLISHED_RATE_RANGES


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


def test_spikes_are_ordered_by_time_then_unit_as_lexsort_orders_them():
    # the O(n) bucket sort against numpy's lexsort, on one block and on ties made on purpose
    rates = np.exp(np.random.default_rng(1).normal(1.0, 1.0, 3000)).clip(0.0, 150.0)
    t, u = _block_spikes(rates, np.arange(3000), np.uint64(9), 0.002, 4)
    ts, us = _sort_by_time(t, u, 4.0, 5.0)
    o = np.lexsort((u, t))
    assert t.size > 10_000 and np.array_equal(ts, t[o]) and np.array_equal(us, u[o])
    tied_t = np.array([0.5, 0.25, 0.5, 0.5, 0.0, 0.999, 0.25])  # units ascending, as a block's
    tied_u = np.array([0, 1, 2, 3, 4, 5, 6])
    ts, us = _sort_by_time(tied_t, tied_u, 0.0, 1.0)
    o = np.lexsort((tied_u, tied_t))
    assert np.array_equal(ts, tied_t[o]) and np.array_equal(us, tied_u[o])
    ts, us = _sort_by_time(np.zeros(0), np.zeros(0, np.int64), 0.0, 1.0)
    assert ts.size == 0 and us.size == 0


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
        "model": "poisson", "density_per_mm3": 150000, "reach_radius_um": 150, "dark_fraction": 0.0,
        "poisson": {"pyramidal_median_hz": 3.0, "interneuron_median_hz": 12.0, "rate_sigma_ln": 0.8}}})
    contacts = np.array([[0.0, 0.0, -800.0], [200.0, 0.0, -800.0]])
    act = simulate_population(design.population, contacts, 30.0, np.random.SeedSequence(3))
    assert act.streamed and act.num_spikes == 0 and act.num_cells > 1000
    r = act.rates_hz()
    for code, median in ((0, 3.0), (1, 12.0)):
        rates = r[act.cell_types == code]
        # near-silent cells (the log-normal part below 0.1 Hz: Phi(ln(0.1 / 3) / 0.8) = 1e-5)
        quiet = rates < SILENT_RANGE_HZ[1]
        f = SILENT_FRACTION[code]
        assert abs(quiet.mean() - f) <= 4 * np.sqrt(f * (1 - f) / rates.size) + 1e-3
        lr = np.log(rates[~quiet])
        n = lr.size
        assert abs(np.median(lr) - np.log(median)) < 4 * 0.8 * 1.25 / np.sqrt(n)
        assert abs(lr.std() - 0.8) < 0.1
    t, u = act.spikes_between(0.0, 30.0)
    counts = np.bincount(u, minlength=act.num_cells)
    expected = r * 30.0
    z = (counts.sum() - expected.sum()) / np.sqrt(expected.sum())
    assert abs(z) < 4


def test_near_silent_cells_are_a_log_uniform_fraction_below_0p1_hz():
    rng = np.random.default_rng(12)
    n = 50_000
    types = np.repeat([0, 1], n)
    rates = poisson_rates_hz(types, (2.0, 10.0), 1.0, 100.0, rng, silent_fraction=(0.1, 0.0),
                             silent_range_hz=(0.01, 0.1))
    pyr, inter = rates[:n], rates[n:]
    # expected share in [0.01, 0.1) Hz: the silent fraction plus the log-normal part's share there
    from scipy.stats import norm
    tail = norm.cdf(np.log(0.1 / 2.0)) - norm.cdf(np.log(0.01 / 2.0))
    expected = 0.1 + 0.9 * tail
    inside = (pyr >= 0.01) & (pyr < 0.1)
    assert abs(inside.mean() - expected) < 4 * np.sqrt(expected * (1 - expected) / n)
    # log-uniform: ln(rate) uniform on [ln 0.01, ln 0.1], mean at the midpoint, SD (b - a) / sqrt(12)
    lr = np.log(pyr[inside])
    a, b = np.log(0.01), np.log(0.1)
    assert abs(lr.mean() - (a + b) / 2) < 4 * (b - a) / np.sqrt(12 * lr.size) + 0.02
    assert np.mean(pyr < 0.01) < 1e-4  # below the range: only the log-normal part, Phi(-5.3) = 6e-8
    # no near-silent interneurons: the log-normal part alone, P(< 0.1 Hz) = Phi(ln 0.01) = 2e-6
    assert np.sum(inter < 0.1) <= 2


def test_without_near_silent_cells_the_rates_are_the_pure_lognormal():
    types = np.array([0, 1, 0, 0, 1] * 20)
    rates = poisson_rates_hz(types, (2.0, 10.0), 0.7, 30.0, np.random.default_rng(5),
                             silent_fraction=(0.0, 0.0))
    z = np.random.default_rng(5).standard_normal(types.size)
    assert np.array_equal(rates, np.minimum(np.where(types == 0, 2.0, 10.0) * np.exp(0.7 * z), 30.0))
    # the near-silent draw comes after the log-normal one: cells that stay active keep their rate
    mixed = poisson_rates_hz(types, (2.0, 10.0), 0.7, 30.0, np.random.default_rng(5),
                             silent_fraction=(0.5, 0.5))
    kept = mixed >= 0.1
    assert 0 < kept.sum() < types.size and np.array_equal(mixed[kept], rates[kept])


def test_default_poisson_rates_fall_in_the_published_ranges():
    # closed forms of the default mixture (design medians and sigma, near-silent defaults)
    from scipy.stats import norm
    opt = PoissonOptions()
    f_pyr, f_int = SILENT_FRACTION
    lo, hi = np.log(SILENT_RANGE_HZ[0]), np.log(SILENT_RANGE_HZ[1])
    quiet_mean = (SILENT_RANGE_HZ[1] - SILENT_RANGE_HZ[0]) / (hi - lo)  # mean of a log-uniform

    def below(x_hz, median, frac):
        return frac * np.clip((np.log(x_hz) - lo) / (hi - lo), 0, 1) + \
            (1 - frac) * norm.cdf(np.log(x_hz / median) / opt.rate_sigma_ln)

    def mean(median, frac):  # clipping at max_rate_hz = 100 Hz changes it by < 0.1 %
        return frac * quiet_mean + (1 - frac) * median * np.exp(opt.rate_sigma_ln ** 2 / 2)

    checks = {
        "pyramidal_mean_hz": mean(opt.pyramidal_median_hz, f_pyr),
        "interneuron_mean_hz": mean(opt.interneuron_median_hz, f_int),
        "pyramidal_fraction_below_0p1_hz": below(0.1, opt.pyramidal_median_hz, f_pyr),
        "pyramidal_fraction_below_1_hz": below(1.0, opt.pyramidal_median_hz, f_pyr),
        "interneuron_fraction_below_1_hz": below(1.0, opt.interneuron_median_hz, f_int),
    }
    for key, value in checks.items():
        low, high, _ = PUBLISHED_RATE_RANGES[key]
        assert low <= value <= high, (key, value)


def test_bad_near_silent_settings_are_named():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"silent_fraction\[1\] must be in \[0, 1\], got 1.5"):
        poisson_rates_hz(np.zeros(3, int), (2.0, 10.0), 1.0, 100.0, rng, silent_fraction=(0.1, 1.5))
    with pytest.raises(ValueError, match=r"silent_range_hz\[0\] must be in \(0, inf\] Hz, got 0"):
        poisson_rates_hz(np.zeros(3, int), (2.0, 10.0), 1.0, 100.0, rng, silent_range_hz=(0.0, 0.1))
    with pytest.raises(ValueError, match=r"silent_range_hz\[1\] must be in \[0.1, inf\] Hz, got 0.05"):
        poisson_rates_hz(np.zeros(3, int), (2.0, 10.0), 1.0, 100.0, rng, silent_range_hz=(0.1, 0.05))
    with pytest.raises(ValueError, match="silent_fraction and silent_range_hz must be pairs"):
        poisson_rates_hz(np.zeros(3, int), (2.0, 10.0), 1.0, 100.0, rng, silent_fraction=(0.1,))
