"""Cortical column after Potjans & Diesmann (2014): layers by depth, in-degrees, layer rates."""

import numpy as np
import pytest

from neurosim.populations._lif import simulate_lif
from neurosim.populations.column import (CONNECTION_PROBABILITY, FULL_SIZES, assign_populations,
                                         column_network, full_in_degree)
from neurosim.populations.rate_stats import PUBLISHED_RATE_RANGES, rate_statistics

# Potjans & Diesmann 2014, Fig. 6 (spontaneous rates of the full model), Hz
PD2014_RATES_HZ = {"L23e": 0.86, "L23i": 2.8, "L4e": 4.45, "L4i": 5.7,
                   "L5e": 7.6, "L5i": 8.7, "L6e": 1.1, "L6i": 7.7}


def test_full_in_degree_is_c_times_n_for_sparse_pairs():
    k = full_in_degree()
    # K = ln(1-C) / ln(1 - 1/(Npre Npost)) / Npost -> C * Npre for small C
    assert k[0, 0] == pytest.approx(CONNECTION_PROBABILITY[0, 0] * FULL_SIZES[0], rel=0.06)
    assert k[4, 5] == pytest.approx(-np.log(1 - 0.3726) * FULL_SIZES[5], rel=1e-3)


def test_layers_assigned_by_depth_with_published_ei_ratio():
    rng = np.random.default_rng(0)
    depth = np.concatenate([np.full(4000, 400.0), np.full(4000, 1200.0), [50.0, 2500.0]])
    pop = assign_populations(depth, (150, 700, 1000, 1500, 2000), rng)
    assert pop[-2] == -1 and pop[-1] == -1  # L1 and white matter are not simulated
    assert set(pop[:4000]) == {0, 1} and set(pop[4000:8000]) == {4, 5}
    frac_e_l23 = FULL_SIZES[0] / (FULL_SIZES[0] + FULL_SIZES[1])
    assert np.mean(pop[:4000] == 0) == pytest.approx(frac_e_l23, abs=0.03)


def test_scaled_network_keeps_published_input_statistics():
    sizes = FULL_SIZES // 200
    spec = column_network(sizes)
    k_loc = np.asarray(spec.in_degree)
    assert np.all(k_loc <= CONNECTION_PROBABILITY * sizes[None, :] + 1e-9)
    # mean excitatory input rate x weight equals the full model's (external + recurrent E)
    jump = 87.8 * 10.0 / 250.0
    k_full = full_in_degree()
    rates = np.array([0.86, 2.8, 4.45, 5.7, 7.6, 8.7, 1.1, 7.7])
    w = np.full(8, jump)
    mean_full = (k_full[0, 0::2] * rates[0::2] * w[0::2] * np.array([1, 2, 1, 1])).sum() \
        + 1600 * 8.0 * jump
    bg = spec.bg_rate_e_hz[0] * spec.bg_jump_e_mV[0]
    rec = sum(k_loc[0, a] * rates[a] * spec.jump_mV[0][a] for a in (0, 2, 4, 6))
    assert bg + rec == pytest.approx(mean_full, rel=1e-9)


@pytest.fixture(scope="module")
def default_column():
    """The default scaled microcircuit (~480 cells, 2 mV excitability spread), 3 s."""
    sizes = np.maximum(FULL_SIZES // 160, 8)
    duration = 3.0
    out = simulate_lif(column_network(sizes), duration, seed=11)
    return sizes, duration, out


@pytest.mark.slow
def test_layer_rates_within_factor_two_of_potjans_diesmann(default_column):
    # the excitability spread is centred on the shift that keeps each population's mean rate
    sizes, duration, out = default_column
    rates = np.bincount(out["spike_units"], minlength=sizes.sum()) / duration
    pop = np.repeat(np.arange(8), sizes)
    for p, (name, published) in enumerate(PD2014_RATES_HZ.items()):
        mean = rates[pop == p].mean()
        assert published / 2 <= mean <= published * 2, (name, mean, published)


@pytest.mark.slow
def test_rates_differ_between_cells_of_a_layer(default_column):
    # homogeneous Poisson cells: the across-cell variance of spike counts equals their mean
    # (SE of the ratio sqrt(2 / n) < 0.15 here); the excitability spread makes rates of one
    # population differ by factors (log-normal-like), far beyond counting noise
    sizes, duration, out = default_column
    counts = np.bincount(out["spike_units"], minlength=sizes.sum())
    pop = np.repeat(np.arange(8), sizes)
    for p in (0, 2, 6):  # the large excitatory populations L2/3e, L4e, L6e
        c = counts[pop == p]
        assert c.var(ddof=1) / c.mean() > 3.0, (p, c.var(ddof=1) / c.mean())
    stats = rate_statistics(out["spike_times_s"], out["spike_units"], pop % 2, duration)
    low, high, _ = PUBLISHED_RATE_RANGES["pyramidal_fraction_below_1_hz"]
    assert low <= stats["pyramidal"]["fraction_below_1_hz"] <= high
    # near-silent cells in L2/3e, the sparsest layer (Barth & Poulet 2012): a fixed offset
    # SD 2 mV around a mean 1 Hz population gives cells below 0.33 Hz (no spike in 3 s)
    l23 = counts[pop == 0]
    assert np.mean(l23 == 0) > 0.03


def test_heterogeneous_column_rate_distribution_in_the_diffusion_approximation():
    # per population nu(mu + delta + s xi) (Siegert): the rate distribution the default spread
    # produces at the published operating point, pooled over the excitatory cells of a 1 mm^2
    # column (published sizes), against the published ranges
    from neurosim.populations._lif import DEFAULT_EXCITABILITY_SD_MV
    from neurosim.populations._meanfield import rate_preserving_shift_mV, siegert_rate_hz
    from neurosim.populations.column import operating_point

    lif = dict(tau_m_ms=10.0, tau_syn_ms=0.5, v_threshold_mV=-50.0, v_reset_mV=-65.0,
               refractory_ms=2.0)
    s = DEFAULT_EXCITABILITY_SD_MV
    xi = np.linspace(-3.5, 3.5, 141)
    w = np.exp(-xi**2 / 2)
    w /= w.sum()
    rates, weights = [], []
    for p, (mu, sigma) in enumerate(zip(*operating_point())):
        if p % 2:
            continue
        delta = rate_preserving_shift_mV(mu, sigma, s, **lif)
        rates.append([siegert_rate_hz(mu + delta + s * x, sigma, **lif) for x in xi])
        weights.append(w * FULL_SIZES[p])
    rates, weights = np.concatenate(rates), np.concatenate(weights)
    weights /= weights.sum()
    for key, thresh in (("pyramidal_fraction_below_0p1_hz", 0.1), ("pyramidal_fraction_below_1_hz", 1.0)):
        low, high, _ = PUBLISHED_RATE_RANGES[key]
        assert low <= weights[rates < thresh].sum() <= high, key
    active = rates >= 0.1
    lr = np.log(rates[active])
    wa = weights[active] / weights[active].sum()
    sd = np.sqrt(np.sum(wa * (lr - np.sum(wa * lr)) ** 2))
    low, high, _ = PUBLISHED_RATE_RANGES["sigma_ln"]
    assert low <= sd <= high, sd
