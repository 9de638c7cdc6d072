"""Numba kernels for drift: the counter-based random walk and the drifting pickup (inputs trusted)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ._noise_kernels import _GAMMA, channel_keys, splitmix64

_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_INV32 = 1.0 / 4294967296.0


@njit(cache=True)
def random_walk_knots(seed, n_knots, step_um):
    """Walk value at knots 0..n_knots-1: w[0] = 0, w[k] = w[k-1] + step_um * z(seed, k-1).

    ``z(seed, j)`` is the Box-Muller cosine of SplitMix64(key + j * gamma) with the key of
    channel 0 of the counter-based noise generator: a pure function of (seed, j). The sum is
    taken in the same order for every call, so w[k] is bitwise the same whatever the query range.
    """
    key = channel_keys(seed, 1)[0]
    w = np.empty(n_knots, np.float64)
    acc = 0.0
    for k in range(n_knots):
        w[k] = acc
        h = splitmix64(key + np.uint64(k) * _GAMMA)
        u1 = (float(h >> _S32) + 0.5) * _INV32
        u2 = (float(h & _LOW32) + 0.5) * _INV32
        acc += step_um * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
    return w


@njit(cache=True, parallel=True)
def inject_drifting_kernel(chunk, start, spike_samples, spike_units, pos0, pos1, frac, waves,
                           chan_idx, nbefore, block):
    """Add each spike's template, interpolated between grid positions, to ``chunk`` in place.

    ``waves`` (n_pos, n_units, n_t, n_q); spike k uses ``a + frac[k] * (b - a)`` with
    a = waves[pos0[k]], b = waves[pos1[k]] (float32). Threads own disjoint time blocks; inside a
    block spikes are added in the order given (chunk-independent sums, as ``inject_kernel``).
    """
    n = chunk.shape[0]
    n_t = waves.shape[2]
    n_q = waves.shape[3]
    n_blocks = (n + block - 1) // block
    for b in prange(n_blocks):
        b0 = start + b * block
        b1 = min(start + n, b0 + block)
        lo = np.searchsorted(spike_samples, b0 + nbefore - n_t + 1)
        hi = np.searchsorted(spike_samples, b1 + nbefore)
        for k in range(lo, hi):
            u = spike_units[k]
            i0 = pos0[k]
            i1 = pos1[k]
            f = frac[k]
            t0 = spike_samples[k] - nbefore
            a = max(t0, b0)
            e = min(t0 + n_t, b1)
            for q in range(n_q):
                c = chan_idx[u, q]
                if c < 0:
                    break
                for g in range(a, e):
                    wa = waves[i0, u, g - t0, q]
                    chunk[g - start, c] += wa + f * (waves[i1, u, g - t0, q] - wa)
