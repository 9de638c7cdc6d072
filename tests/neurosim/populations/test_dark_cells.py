"""Dark cells (sparse firing, Shoham et al. 2006): which cells, the rates they keep, and that the
network's own dynamics are untouched (its spikes with dark cells are a subset of those without)."""

import numpy as np
import pytest

from neurosim.design import default_design
from neurosim.populations import (DARK_RATE_RANGE_HZ, INTERNEURON, PYRAMIDAL, dark_cells, dark_rates_hz,
                                  simulate_population, thin_dark_cells)


def test_dark_cells_are_pyramidal_with_the_given_probability():
    types = np.r_[np.full(20000, PYRAMIDAL), np.full(5000, INTERNEURON)].astype(np.int8)
    dark = dark_cells(types, 0.9, np.random.SeedSequence(3))
    assert not dark[types == INTERNEURON].any()       # fast-spiking cells are never dark
    frac = dark[types == PYRAMIDAL].mean()
    assert abs(frac - 0.9) < 4 * np.sqrt(0.9 * 0.1 / 20000)
    assert not dark_cells(types, 0.0, np.random.SeedSequence(3)).any()
    np.testing.assert_array_equal(dark, dark_cells(types, 0.9, np.random.SeedSequence(3)))


def test_dark_rates_are_log_uniform_in_their_range():
    lo, hi = DARK_RATE_RANGE_HZ
    r = dark_rates_hz(100_000, np.random.default_rng(0))
    assert r.min() >= lo and r.max() <= hi
    u = np.log(r / lo) / np.log(hi / lo)               # uniform on [0, 1]
    assert abs(u.mean() - 0.5) < 4 * np.sqrt(1 / 12 / r.size)
    assert abs(np.mean(r) - (hi - lo) / np.log(hi / lo)) < 0.01 * np.mean(r)


def test_thinning_brings_dark_cells_to_their_target_rates_only():
    rng = np.random.default_rng(0)
    n_cells, dur = 2000, 100.0
    rates = np.where(np.arange(n_cells) % 2 == 0, 20.0, 0.005)   # fast and already-slow cells
    counts = rng.poisson(rates * dur)
    units = np.repeat(np.arange(n_cells), counts)
    times = np.sort(rng.random(len(units)) * dur)
    units = units[np.argsort(rng.random(len(units)))]              # any order
    dark = np.arange(n_cells) < n_cells // 2
    t, u = thin_dark_cells(times, units, dark, dur, np.random.SeedSequence(1))
    kept = np.bincount(u, minlength=n_cells)
    lo, hi = DARK_RATE_RANGE_HZ
    fast_dark = dark & (rates == 20.0)
    # a dark cell keeps on average min(target, its own rate) x T spikes: the target's mean here
    expected = (hi - lo) / np.log(hi / lo) * dur
    m = kept[fast_dark].mean()
    assert abs(m - expected) < 4 * np.sqrt(expected / fast_dark.sum()) + 0.05 * expected
    assert kept[fast_dark].max() <= 3 * hi * dur + 10               # none left anywhere near 20 Hz
    slow_dark = dark & (rates < 1)
    assert kept[slow_dark].sum() <= counts[slow_dark].sum()           # slow cells cannot speed up
    np.testing.assert_array_equal(kept[~dark], counts[~dark])        # other cells untouched
    assert np.all(np.diff(t) >= 0)


@pytest.mark.parametrize("model", ["balanced_ei", "poisson"])
def test_dark_fraction_silences_pyramidal_cells(model):
    base = {"population.model": model, "population.reach_radius_um": 40.0,
            "population.outer_radius_um": None}
    contacts = np.array([[0.0, 0.0, -800.0], [0.0, 0.0, -900.0]])
    acts = {}
    for f in (0.0, 0.9):
        pop = default_design().replace(**base, **{"population.dark_fraction": f}).population
        acts[f] = simulate_population(pop, contacts, 2.0, np.random.SeedSequence(11))
    lit, dim = acts[0.0], acts[0.9]
    r0, r1 = lit.rates_hz(), dim.rates_hz()
    e = lit.cell_types == PYRAMIDAL
    np.testing.assert_array_equal(r1[~e], r0[~e])               # interneurons fire as before
    if model == "poisson":       # the set rates: dark ones inside their range, the rest unchanged
        dark = r1[e] != r0[e]
        assert abs(dark.mean() - 0.9) < 4 * np.sqrt(0.09 / e.sum())
        assert np.all((r1[e][dark] >= DARK_RATE_RANGE_HZ[0]) & (r1[e][dark] <= DARK_RATE_RANGE_HZ[1]))
    else:                        # 2 s: a dark cell keeps no spike or one (< 0.03 Hz x 2 s expected)
        silent = r1[e] <= 0.5
        assert silent.mean() >= 0.9 - 4 * np.sqrt(0.09 / e.sum())     # binomial, 4 sigma
        assert np.all(r1[e] <= r0[e])
        # the network ran unchanged: the spikes kept are a subset of the spikes without dark cells
        s0 = set(zip(lit.spike_units.tolist(), lit.spike_times_s.tolist()))
        assert set(zip(dim.spike_units.tolist(), dim.spike_times_s.tolist())) <= s0
