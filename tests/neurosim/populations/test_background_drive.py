"""Poisson background counts (splitting + thinning) against the Poisson closed forms."""

import numpy as np
import pytest
from scipy import stats

from neurosim.populations._background import poisson_counts


def _draws(lam, steps, seed=0):
    rng = np.random.default_rng(seed)
    return np.array([poisson_counts(lam, rng) for _ in range(steps)])   # (steps, cells)


@pytest.mark.parametrize("lam", [np.full(2000, 0.1),                         # one rate (splitting)
                                 np.repeat([0.02, 0.1, 0.35, 0.0], 500)])    # thinning, a silent block
def test_counts_are_independent_poisson_per_cell(lam):
    steps = 3000
    x = _draws(lam, steps)
    assert x.shape == (steps, len(lam)) and x.dtype == np.int64
    for rate in np.unique(lam):
        block = x[:, lam == rate]
        if rate == 0:
            assert not block.any()
            continue
        # mean and variance of Poisson(rate), per draw (SE of the mean: sqrt(rate / n))
        n = block.size
        assert abs(block.mean() - rate) < 5 * np.sqrt(rate / n)
        assert abs(block.var() / rate - 1) < 5 * np.sqrt(2 / n) + 5 * np.sqrt(1 / (rate * n))
        # the full distribution: chi-square against the Poisson pmf (bins with >= 5 expected)
        k = np.arange(6)
        expected = stats.poisson.pmf(k, rate) * n
        keep = expected >= 5
        observed = np.array([(block == v).sum() for v in k])[keep]
        expected = expected[keep] * observed.sum() / expected[keep].sum()
        assert stats.chisquare(observed, expected).pvalue > 1e-3
    # cells are independent of each other (no spatial correlation from the shared draw)
    live = x[:, lam == lam.max()]   # the densest block (sample correlations of sparse counts are heavy-tailed)
    c = np.corrcoef(live[:, :200].T)
    off = c[~np.eye(len(c), dtype=bool)]
    assert abs(off.mean()) < 5 * np.sqrt(2.0 / (steps * len(off)))   # SE of the mean of the pairs
    assert np.abs(off).max() < 6 / np.sqrt(steps)


def test_per_cell_totals_over_time_are_poisson():
    """Over T steps each cell's total is Poisson(T lam): dispersion index 1 across cells."""
    lam = np.full(4000, 0.1)
    totals = _draws(lam, 500, seed=3).sum(axis=0)
    n = totals.size
    assert abs(totals.mean() - 50.0) < 5 * np.sqrt(50.0 / n)
    assert abs(totals.var(ddof=1) / totals.mean() - 1) < 5 * np.sqrt(2 / (n - 1))


def test_zero_and_empty():
    rng = np.random.default_rng(1)
    assert poisson_counts(np.zeros(5), rng).tolist() == [0] * 5
    assert poisson_counts(np.zeros(0), rng).shape == (0,)
