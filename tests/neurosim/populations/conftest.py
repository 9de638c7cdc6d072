"""Shared statistics helpers for the population tests."""

from types import SimpleNamespace

import numpy as np
import pytest


def isi_cv(times_s, units, cells):
    """Coefficient of variation of the inter-spike intervals of each cell with > 4 intervals."""
    out = []
    for k in cells:
        isi = np.diff(times_s[units == k])
        if len(isi) > 4:
            out.append(isi.std() / isi.mean())
    return np.asarray(out)


def binned_counts(times_s, units, cells, duration_s, bin_s):
    """Spike counts, shape (len(cells), num_bins)."""
    edges = np.arange(0.0, duration_s + 1e-12, bin_s)
    return np.array([np.histogram(times_s[units == k], edges)[0] for k in cells])


@pytest.fixture
def spike_stats():
    """The helpers above, as a fixture: ``spike_stats.isi_cv``, ``spike_stats.binned_counts``."""
    return SimpleNamespace(isi_cv=isi_cv, binned_counts=binned_counts)
