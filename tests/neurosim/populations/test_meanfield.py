"""Mean-field LIF rate (Siegert) against closed forms and a direct simulation; the shift that keeps
a population's mean rate under a spread of excitability; the column's operating point."""

import math

import numpy as np
import pytest
from scipy.stats import norm

from neurosim.populations._meanfield import rate_preserving_shift_mV, siegert_rate_hz
from neurosim.populations.column import PUBLISHED_RATES_HZ, operating_point

LIF = dict(tau_m_ms=10.0, v_threshold_mV=-50.0, v_reset_mV=-65.0, refractory_ms=2.0)


def test_siegert_tends_to_the_deterministic_lif_rate():
    # suprathreshold drive, vanishing noise: 1 / (t_ref + tau ln((mu - V_r) / (mu - theta)))
    for mu in (-49.0, -45.0, -30.0):
        exact = 1.0 / (2e-3 + 10e-3 * math.log((mu + 65.0) / (mu + 50.0)))
        assert siegert_rate_hz(mu, 0.02, tau_syn_ms=0.0, **LIF) == pytest.approx(exact, rel=2e-3)
    assert siegert_rate_hz(-60.0, 0.05, tau_syn_ms=0.0, **LIF) == 0.0  # subthreshold, no noise


def test_siegert_matches_a_simulated_lif_driven_by_white_noise():
    # tau dV = -(V - mu) dt + sigma sqrt(tau) dW (Euler-Maruyama, 1000 cells, 1 s), threshold/reset
    mu, sigma, tau, dt = -54.0, 6.0, 10e-3, 5e-5
    rng = np.random.default_rng(0)
    n, steps = 1000, 20_000
    v = np.full(n, -60.0)
    ref = np.zeros(n)
    spikes = 0
    for _ in range(steps):
        v = np.where(ref > 0, v, v - (v - mu) * dt / tau
                     + sigma * math.sqrt(dt / tau) * rng.standard_normal(n))
        ref -= dt
        fired = v > -50.0
        spikes += int(fired.sum())
        v[fired] = -65.0
        ref[fired] = 2e-3
    simulated = spikes / (n * steps * dt)
    theory = siegert_rate_hz(mu, sigma, tau_syn_ms=0.0, **LIF)  # 26.7 Hz
    # Poisson error of ~26 000 spikes 0.6 %; Euler with a discrete threshold check misses
    # crossings between steps and underestimates the rate by O(sqrt(dt / tau)) ~ 5 %
    assert simulated == pytest.approx(theory, rel=0.08)
    assert simulated < theory  # the sign of that discretisation error


def test_rate_preserving_shift_keeps_the_mean_rate():
    mu, sigma, spread = -57.0, 5.0, 2.0
    lif = dict(LIF, tau_syn_ms=0.5)
    delta = rate_preserving_shift_mV(mu, sigma, spread, **lif)
    assert delta < 0  # expansive (subthreshold) f-I curve: the spread raises the mean rate
    # independent check of the Gauss-Hermite solve: midpoint quantiles of N(0, 1)
    xi = norm.ppf((np.arange(2000) + 0.5) / 2000)
    mean_rate = np.mean([siegert_rate_hz(mu + delta + spread * x, sigma, **lif) for x in xi])
    assert mean_rate == pytest.approx(siegert_rate_hz(mu, sigma, **lif), rel=0.01)
    unshifted = np.mean([siegert_rate_hz(mu + spread * x, sigma, **lif) for x in xi])
    assert unshifted > 1.05 * mean_rate  # without the shift the mean rate would grow
    assert rate_preserving_shift_mV(mu, sigma, 0.0, **lif) == 0.0


def test_column_operating_point_predicts_the_published_rates():
    # the diffusion approximation at the published operating point reproduces the microcircuit's
    # simulated rates (Potjans & Diesmann 2014, Fig. 6) within a factor of 2
    mu, sigma = operating_point()
    rates = np.array([siegert_rate_hz(m, s, tau_m_ms=10.0, tau_syn_ms=0.5, v_threshold_mV=-50.0,
                                      v_reset_mV=-65.0, refractory_ms=2.0)
                      for m, s in zip(mu, sigma)])
    ratio = rates / PUBLISHED_RATES_HZ
    assert np.all((ratio > 0.5) & (ratio < 2.0)), ratio
    assert np.all(mu < -50.0)  # fluctuation-driven: mean below threshold in every population
