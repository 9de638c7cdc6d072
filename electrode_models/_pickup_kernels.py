"""Numba kernel adding sparse templates into a chunk (inputs trusted)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def inject_kernel(chunk, start, spike_samples, spike_units, waves, chan_idx, nbefore, block):
    """Add each spike's template to ``chunk`` (n_samples, n_channels) in place.

    Threads own disjoint time blocks of ``block`` samples; inside a block spikes are added in
    the order given, so every output sample is summed in spike order whatever the chunking.
    """
    n = chunk.shape[0]
    n_t = waves.shape[1]
    n_q = waves.shape[2]
    n_blocks = (n + block - 1) // block
    for b in prange(n_blocks):
        b0 = start + b * block               # global range [b0, b1)
        b1 = min(start + n, b0 + block)
        # spike covers [s - nbefore, s - nbefore + n_t): overlaps iff s in (b0 + nbefore - n_t, b1 + nbefore)
        lo = np.searchsorted(spike_samples, b0 + nbefore - n_t + 1)
        hi = np.searchsorted(spike_samples, b1 + nbefore)
        for k in range(lo, hi):
            u = spike_units[k]
            t0 = spike_samples[k] - nbefore
            a = max(t0, b0)
            e = min(t0 + n_t, b1)
            for q in range(n_q):
                c = chan_idx[u, q]
                if c < 0:
                    break
                for g in range(a, e):
                    chunk[g - start, c] += waves[u, g - t0, q]
