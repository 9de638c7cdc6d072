"""Counter-based Gaussian noise for the amplifier model (inputs trusted).

A draw is a pure function of (key, stream, sample index): SplitMix64 of the counter gives 64
random bits, split into two 32-bit uniforms for one Box-Muller normal. Chunking therefore never
changes the noise.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ._telemetry_kernels import splitmix64

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_STREAM = np.uint64(0xD1B54A32D192ED03)
_LOW32 = np.uint64(0xFFFFFFFF)
_INV32 = 1.0 / 4294967296.0


@njit(cache=True, inline="always")
def normal_at(key, stream, n):  # pragma: no cover - numba
    """Standard normal as a pure function of (key, stream, n)."""
    z = splitmix64((key ^ (np.uint64(stream) * _STREAM)) + np.uint64(n) * _GAMMA)
    u1 = (float(z >> np.uint64(32)) + 1.0) * _INV32          # (0, 1]
    u2 = float(z & _LOW32) * _INV32                            # [0, 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@njit(cache=True, parallel=True)
def add_amplifier_noise(out, start, keys, white_sigma, a, b, hold, state):  # pragma: no cover
    """out[n, c] += white_sigma z0 + sum_i s_i, each s_i an AR(1) updated every hold[i] samples.

    Pole i is refreshed at global samples ``g`` with ``g % hold[i] == 0`` by
    ``s_i = a_i s_i + b_i z_i[g // hold[i]]`` (``a_i, b_i`` for the step ``hold[i] / fs``) and
    held in between (zero-order hold). ``state`` (float64, (num_poles, num_channels)) is
    updated in place; at ``start == 0`` it is drawn from the stationary law
    N(0, b_i^2 / (1 - a_i^2)) (counter index 2^62 of stream i + 1). Work is done per channel in
    a contiguous scratch row, then added to the (num_samples, num_channels) output.
    """
    num_samples, num_channels = out.shape
    num_poles = a.size
    for c in prange(num_channels):
        key = keys[c]
        if start == 0:
            for i in range(num_poles):
                sd = b[i] / math.sqrt(1.0 - a[i] * a[i])
                state[i, c] = sd * normal_at(key, i + 1, 4611686018427387904)
        row = np.empty(num_samples, dtype=np.float64)
        for n in range(num_samples):
            row[n] = white_sigma * normal_at(key, 0, start + n)
        for i in range(num_poles):
            s = state[i, c]
            h = hold[i]
            g_next = ((start + h - 1) // h) * h        # first update at or after start
            n = 0
            while n < num_samples:
                stop = min(num_samples, g_next - start)
                for m in range(n, stop):
                    row[m] += s
                n = stop
                if n < num_samples:
                    s = a[i] * s + b[i] * normal_at(key, i + 1, g_next // h)
                    row[n] += s
                    n += 1
                    g_next += h
            state[i, c] = s
        for n in range(num_samples):
            out[n, c] += row[n]
