"""Rate-distribution statistics: the estimators against closed forms, and the errors they raise."""

import numpy as np
import pytest

from neurosim.populations.poisson import poisson_spikes
from neurosim.populations.rate_stats import PUBLISHED_RATE_RANGES, log_rate_sd, rate_statistics


def test_split_half_log_rate_sd_recovers_the_spread_of_the_firing_cells():
    # Poisson counts of log-normal rates; the estimate is the SD of ln(rate) over the cells that
    # fire in both halves (here 85 % of them: the quietest are left out)
    for seed in (4, 5):
        rng = np.random.default_rng(seed)
        rates = 5.0 * np.exp(1.2 * rng.standard_normal(6000))
        n1, n2 = rng.poisson(rates * 1.0), rng.poisson(rates * 1.0)
        both = (n1 > 0) & (n2 > 0)
        truth = np.log(rates[both]).std()
        # SE ~ sigma / sqrt(2 n) = 0.01; ln(count) is a slightly compressed proxy of ln(rate)
        # at a few counts (measured bias -0.03)
        assert abs(log_rate_sd(n1, n2) - truth) < 0.06
    assert np.isnan(log_rate_sd([1, 0, 0], [1, 2, 0]))  # fewer than 3 cells firing in both halves


def test_rate_statistics_on_hand_made_trains():
    duration = 20.0
    # cell 0 silent; cell 1 one spike (0.05 Hz); cell 2 regular at 0.5 Hz; cell 3 regular 10 Hz;
    # cell 4 (interneuron) silent
    t2 = np.arange(0.5, duration, 2.0)
    t3 = np.arange(0.05, duration, 0.1)
    t1 = np.array([3.0])
    times = np.concatenate([t1, t2, t3])
    units = np.concatenate([np.full(1, 1), np.full(t2.size, 2), np.full(t3.size, 3)])
    types = np.array([0, 0, 0, 0, 1])
    s = rate_statistics(times, units, types, duration)
    pyr = s["pyramidal"]
    assert pyr["num_cells"] == 4
    assert pyr["mean_hz"] == pytest.approx((1 + t2.size + t3.size) / duration / 4)
    assert pyr["fraction_below_0p1_hz"] == pytest.approx(0.5)   # cells 0 and 1
    assert pyr["fraction_below_1_hz"] == pytest.approx(0.75)    # and cell 2
    assert pyr["isi_cv_median"] == pytest.approx(0.0, abs=1e-9)  # regular trains
    assert s["interneuron"]["mean_hz"] == 0.0


def test_rate_statistics_of_poisson_trains_match_their_closed_forms():
    # dead-time Poisson trains: CV = 1 - r tau; rates log-normal with sigma 1: the split-half
    # estimate recovers sigma; the fractions below 0.1 / 1 Hz follow from the set rates
    rng = np.random.default_rng(8)
    n, duration, tau = 3000, 20.0, 0.002
    rates = 4.0 * np.exp(rng.standard_normal(n))
    rates = np.minimum(rates, 100.0)
    t, u = poisson_spikes(rates, np.arange(n), 21, tau, 0.0, duration)
    s = rate_statistics(t, u, np.zeros(n, int), duration)["pyramidal"]
    assert abs(s["sigma_ln"] - 1.0) < 0.06
    assert s["mean_hz"] == pytest.approx(rates.mean(), rel=0.02)
    # counts below 2 (0.1 Hz x 20 s) or 20: compare with the Poisson probability of the set rates
    from scipy.stats import poisson
    for key, thresh in (("fraction_below_0p1_hz", 2), ("fraction_below_1_hz", 20)):
        p = poisson.cdf(thresh - 1, rates * duration).mean()
        assert abs(s[key] - p) < 4 * np.sqrt(p * (1 - p) / n) + 1e-3, key
    assert abs(s["isi_cv_median"] - 1.0) < 0.05  # median cell at 4 Hz: 1 - r tau = 0.99


def test_published_ranges_are_ordered_and_sourced():
    for key, (low, high, source) in PUBLISHED_RATE_RANGES.items():
        assert low < high and len(source) > 20, key


def test_bad_duration_is_named():
    with pytest.raises(ValueError, match=r"duration_s must be in \(0, inf\] s, got 0"):
        rate_statistics(np.zeros(0), np.zeros(0, int), np.zeros(3, int), 0.0)
