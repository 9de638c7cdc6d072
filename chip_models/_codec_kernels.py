"""Numba kernels of the lossless codec: first difference + Rice (Golomb power-of-two) coding.

Bitstream, per block of ``n`` samples (all channels), MSB first::

    for each channel c:  k (K_BITS bits), then for each sample: u >> k ones, a zero, k low bits of u
    pad with zeros to a byte boundary

with ``d = x[t] - x[t-1]`` (``x[-1] = 0`` at stream start, carried across blocks) and the
zigzag map ``u = 2d`` (d >= 0), ``u = -2d - 1`` (d < 0).
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Bits of the per-channel, per-block Rice parameter k (k in [0, 31]).
K_BITS = 5
#: Largest k tried by the encoder (|d| < 2^17 for int16 codes, so k <= 17 suffices).
K_MAX = 20


@njit(cache=True)
def _put(buf, pos, value, nbits):  # pragma: no cover - numba
    for i in range(nbits - 1, -1, -1):
        if (value >> i) & 1:
            buf[pos >> 3] |= np.uint8(1 << (7 - (pos & 7)))
        pos += 1
    return pos


@njit(cache=True)
def rice_encode_blocks(x, prev, block_samples, out):  # pragma: no cover - numba
    """Encode the whole blocks of ``x`` (int64, (num_samples, num_channels)), rows multiple of
    ``block_samples`` or a final short block. ``prev`` (int64 per channel) is updated; ``out``
    is a zeroed uint8 buffer large enough. Returns the number of bytes written."""
    num_samples, num_channels = x.shape
    pos = 0
    u = np.empty(block_samples, dtype=np.int64)
    start = 0
    while start < num_samples:
        n = min(block_samples, num_samples - start)
        for c in range(num_channels):
            p = prev[c]
            for t in range(n):
                v = x[start + t, c]
                d = v - p
                p = v
                u[t] = 2 * d if d >= 0 else -2 * d - 1
            prev[c] = p
            best_k = 0
            best = -1
            for k in range(K_MAX + 1):
                cost = 0
                for t in range(n):
                    cost += (u[t] >> k) + 1 + k
                if best < 0 or cost < best:
                    best = cost
                    best_k = k
            pos = _put(out, pos, best_k, K_BITS)
            for t in range(n):
                q = u[t] >> best_k
                for _ in range(q):
                    out[pos >> 3] |= np.uint8(1 << (7 - (pos & 7)))
                    pos += 1
                pos += 1  # terminating zero
                pos = _put(out, pos, u[t] & ((1 << best_k) - 1), best_k)
        pos = (pos + 7) & ~7
        start += n
    return pos >> 3


@njit(cache=True)
def rice_decode(data, num_channels, block_samples, num_samples, out):  # pragma: no cover
    """Inverse of `rice_encode_blocks` from stream start; ``out`` int64
    (num_samples, num_channels) is written. Returns bytes consumed, or -1 if data ran out."""
    pos = 0
    total_bits = data.size * 8
    prev = np.zeros(num_channels, dtype=np.int64)
    start = 0
    while start < num_samples:
        n = min(block_samples, num_samples - start)
        for c in range(num_channels):
            if pos + K_BITS > total_bits:
                return -1
            k = 0
            for _ in range(K_BITS):
                k = (k << 1) | ((data[pos >> 3] >> (7 - (pos & 7))) & 1)
                pos += 1
            p = prev[c]
            for t in range(n):
                q = 0
                while True:
                    if pos >= total_bits:
                        return -1
                    bit = (data[pos >> 3] >> (7 - (pos & 7))) & 1
                    pos += 1
                    if bit == 0:
                        break
                    q += 1
                if pos + k > total_bits:
                    return -1
                r = 0
                for _ in range(k):
                    r = (r << 1) | ((data[pos >> 3] >> (7 - (pos & 7))) & 1)
                    pos += 1
                uu = (q << k) | r
                d = uu >> 1 if (uu & 1) == 0 else -((uu + 1) >> 1)
                p = p + d
                out[start + t, c] = p
            prev[c] = p
        pos = (pos + 7) & ~7
        start += n
    return pos >> 3
