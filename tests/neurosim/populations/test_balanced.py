"""Balanced E/I network: asynchronous-irregular regime, rhythms, bursting, determinism."""

import numpy as np
import pytest

from neurosim.populations import BalancedParams, simulate_balanced_ei


@pytest.mark.slow
def test_default_network_is_asynchronous_irregular(spike_stats):
    """Brunel (2000) AI state: low rates, CV ISI ~1, Poisson-like counts, weak correlations."""
    n_e, n_i, duration = 800, 200, 3.0
    t, u = simulate_balanced_ei(n_e, n_i, duration, seed=3)
    rates = np.bincount(u, minlength=n_e + n_i) / duration
    assert 2.0 <= rates[:n_e].mean() <= 10.0          # cortical pyramidal rates (issue 3)
    assert rates[n_e:].mean() > rates[:n_e].mean()     # interneurons fire faster
    cv = spike_stats.isi_cv(t, u, range(n_e + n_i))
    assert 0.8 <= np.median(cv) <= 1.2                 # Poisson process: CV = 1
    counts = spike_stats.binned_counts(t, u, range(0, n_e, 4), duration, 0.1)
    active = counts.mean(axis=1) > 0.1
    fano = counts[active].var(axis=1, ddof=1) / counts[active].mean(axis=1)
    # Poisson: 1; slow rate fluctuations of a finite network raise it a little
    # (spontaneous cortex 1-1.5: Churchland et al. 2010)
    assert 0.8 <= np.median(fano) <= 1.5
    c50 = spike_stats.binned_counts(t, u, range(0, n_e, 8), duration, 0.05).astype(float)
    c50 = c50[c50.std(axis=1) > 0]
    r = np.corrcoef(c50)
    mean_corr = r[np.triu_indices_from(r, 1)].mean()
    assert abs(mean_corr) < 0.05  # AI: weak pairwise correlations (Renart et al. 2010: ~0.01)
    isi_min = min(np.diff(t[u == k]).min() for k in range(n_e + n_i) if np.sum(u == k) > 1)
    assert isi_min >= 2e-3 - 1e-9  # refractory period


@pytest.mark.slow
def test_same_seed_same_spikes_runtime():
    t1, u1 = simulate_balanced_ei(160, 40, 0.3, seed=7)
    t2, u2 = simulate_balanced_ei(160, 40, 0.3, seed=7)
    t3, _ = simulate_balanced_ei(160, 40, 0.3, seed=8)
    assert len(t1) > 0 and np.array_equal(t1, t2) and np.array_equal(u1, u2)
    assert not np.array_equal(t1[:50], t3[:50])


@pytest.mark.slow
def test_oscillatory_drive_locks_spikes_to_the_rhythm():
    f_hz, duration = 8.0, 1.5
    def vector_strength(params):
        t, _ = simulate_balanced_ei(320, 80, duration, seed=5, params=params)
        return np.abs(np.mean(np.exp(2j * np.pi * f_hz * t))), len(t)
    vs_osc, _ = vector_strength(BalancedParams(oscillation_hz=f_hz, oscillation_depth=0.5))
    vs_flat, n = vector_strength(BalancedParams())
    assert vs_flat < 5 / np.sqrt(n)  # no rhythm: |mean phasor| of n random phases ~ 1/sqrt(n)
    assert vs_osc > 0.1


@pytest.mark.slow
def test_bursting_cells_fire_short_interval_bursts():
    duration = 2.0
    out = simulate_balanced_ei(320, 80, duration, seed=2,
                               params=BalancedParams(burst_fraction=0.5), full_output=True)
    t, u, burst = out["spike_times_s"], out["spike_units"], out["is_bursting"]
    assert 0.35 < burst[:320].mean() < 0.65 and not burst[320:].any()
    def short_isi_fraction(cells):
        isi = np.concatenate([np.diff(t[u == k]) for k in cells])
        return np.mean(isi < 0.010), isi
    f_burst, isi_b = short_isi_fraction(np.flatnonzero(burst))
    f_reg, _ = short_isi_fraction(np.flatnonzero(~burst[:320]))
    assert f_burst > 0.4 and f_burst > 3 * f_reg
    assert isi_b.std() / isi_b.mean() > 1.2  # bursts: CV ISI above the Poisson value 1
