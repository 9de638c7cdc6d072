"""Counter-based Gaussian noise kernels (inputs trusted).

Value at (global sample n, channel c) = Box-Muller of SplitMix64(key_c + (n // 2) * gamma),
key_c = SplitMix64(SplitMix64(c) ^ seed): a pure function of (seed, n, c).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_INV32 = 1.0 / 4294967296.0
_TWO_PI = 2.0 * math.pi


@njit(cache=True, inline="always")
def splitmix64(x):
    """SplitMix64 finaliser of ``x + gamma`` (uint64 in, uint64 out; Steele et al. 2014)."""
    z = x + _GAMMA
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True)
def channel_keys(seed, n_channels):
    """Per-channel 64-bit keys derived from ``seed`` (uint64)."""
    keys = np.empty(n_channels, np.uint64)
    for c in range(n_channels):
        keys[c] = splitmix64(splitmix64(np.uint64(c)) ^ seed)
    return keys


@njit(cache=True, parallel=True)
def add_noise_kernel(chunk, start, sigma, keys, block_pairs):
    """chunk[n - start, c] += sigma[c] * z(seed, n, c) for n in [start, start + n_samples)."""
    n = chunk.shape[0]
    n_ch = chunk.shape[1]
    end = start + n
    k_first = start // 2
    k_last = (end - 1) // 2
    n_pairs = k_last - k_first + 1
    n_blocks = (n_pairs + block_pairs - 1) // block_pairs
    for b in prange(n_blocks):
        k0 = k_first + b * block_pairs
        k1 = min(k_last + 1, k0 + block_pairs)
        for k in range(k0, k1):
            n0 = 2 * k - start
            ctr = np.uint64(k) * _GAMMA
            for c in range(n_ch):
                h = splitmix64(keys[c] + ctr)
                u1 = (float(h >> _S32) + 0.5) * _INV32
                u2 = (float(h & _LOW32) + 0.5) * _INV32
                r = math.sqrt(-2.0 * math.log(u1)) * sigma[c]
                th = _TWO_PI * u2
                if n0 >= 0:
                    chunk[n0, c] += r * math.cos(th)
                if n0 + 1 < n:
                    chunk[n0 + 1, c] += r * math.sin(th)


@njit(cache=True, parallel=True)
def sparse_mix_kernel(y, indptr, indices, data, out):
    """out[n, c] = sum_p data[p] * y[n, indices[p]] over p in [indptr[c], indptr[c + 1]) (CSR mixing)."""
    n = y.shape[0]
    n_out = indptr.shape[0] - 1
    for i in prange(n):
        for c in range(n_out):
            acc = np.float32(0.0)
            for p in range(indptr[c], indptr[c + 1]):
                acc += data[p] * y[i, indices[p]]
            out[i, c] = acc
