"""Counter-based Gaussian noise kernels (inputs trusted).

Value at (global sample n, channel c) = ``normal_pair_f32(h)[n % 2]``,
``h = splitmix64(key_c + (n // 2) * GAMMA)``, ``key_c = splitmix64(splitmix64(c) ^ seed)``: a pure
function of (seed, n, c). The generator and the normal transform live in `_counter_rng`.

Layout of the work: threads own disjoint blocks of sample pairs; for each pair the 64-bit words
of all channels are hashed into two uint32 rows first (a loop LLVM vectorises with 64-bit lanes),
then turned into normals and added (a second loop with 8 float32 lanes), so the float work is
not held to the 4 lanes of the 64-bit hash. The (at most two) rows of a chunk whose pair
straddles the chunk edge are done outside the threads by the same arithmetic. All of it is
strict IEEE float32 (no fast-math), so a value does not depend on which loop, lane or thread
computed it.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

# GAMMA, splitmix64 and channel_keys are re-exported for the drift kernels.
from ._counter_rng import GAMMA as _GAMMA  # noqa: F401
from ._counter_rng import channel_keys, hash_row, normal_pair_u32, splitmix64

__all__ = ["add_noise_kernel", "channel_keys", "dia_mix_kernel", "sparse_mix_kernel", "splitmix64"]

_MIX_TILE = 128  # samples per tile of sparse_mix_kernel


@njit(cache=True, error_model="numpy")
def _add_pair(hi, lo, sig, row0, row1):  # pragma: no cover - numba
    for c in range(hi.shape[0]):
        z0, z1 = normal_pair_u32(hi[c], lo[c])
        row0[c] += sig[c] * z0
        row1[c] += sig[c] * z1


@njit(cache=True, error_model="numpy")
def _add_half_pair(hi, lo, sig, row, second):  # pragma: no cover - numba
    for c in range(hi.shape[0]):
        z0, z1 = normal_pair_u32(hi[c], lo[c])
        row[c] += sig[c] * (z1 if second else z0)


@njit(cache=True, parallel=True, error_model="numpy")
def add_noise_kernel(chunk, start, sigma, keys, block_pairs):  # pragma: no cover - numba
    """chunk[n - start, c] += sigma[c] * z(seed, n, c) for n in [start, start + n_samples).

    ``chunk`` float32 (n_samples, n_channels) C-contiguous; ``sigma`` (n_channels,), any float
    dtype (rounded to float32); ``keys`` from `channel_keys`; ``block_pairs`` pairs per thread
    task (does not change the values).
    """
    n = chunk.shape[0]
    n_ch = chunk.shape[1]
    if n == 0:
        return
    sig = sigma.astype(np.float32)
    end = start + n
    k_full0 = (start + 1) // 2         # first pair with both samples in the chunk
    k_full1 = end // 2                 # one past the last such pair
    n_blocks = max(0, (k_full1 - k_full0 + block_pairs - 1) // block_pairs)
    for b in prange(n_blocks):
        hi = np.empty(n_ch, np.uint32)
        lo = np.empty(n_ch, np.uint32)
        k0 = k_full0 + b * block_pairs
        k1 = min(k_full1, k0 + block_pairs)
        for k in range(k0, k1):
            hash_row(keys, k, hi, lo)
            _add_pair(hi, lo, sig, chunk[2 * k - start], chunk[2 * k + 1 - start])
    hi = np.empty(n_ch, np.uint32)
    lo = np.empty(n_ch, np.uint32)
    if start % 2 == 1:                 # the chunk starts on the second sample of a pair
        hash_row(keys, start // 2, hi, lo)
        _add_half_pair(hi, lo, sig, chunk[0], True)
    if end % 2 == 1:                   # the chunk ends on the first sample of a pair
        hash_row(keys, (end - 1) // 2, hi, lo)
        _add_half_pair(hi, lo, sig, chunk[n - 1], False)


@njit(cache=True, inline="always")
def _transpose_rows(rows, r0, m, cols, to_cols):  # pragma: no cover - numba
    """``cols[j, t] = rows[r0 + t, j]`` (``to_cols``) or back, for t < m, in 16 × 16 blocks
    (cache-friendly both ways)."""
    n = cols.shape[0]
    for t0 in range(0, m, 16):
        t1 = min(t0 + 16, m)
        for j0 in range(0, n, 16):
            j1 = min(j0 + 16, n)
            for t in range(t0, t1):
                row = rows[r0 + t]
                if to_cols:
                    for j in range(j0, j1):
                        cols[j, t] = row[j]
                else:
                    for j in range(j0, j1):
                        row[j] = cols[j, t]


@njit(cache=True, parallel=True)
def sparse_mix_kernel(y, indptr, indices, data, out):  # pragma: no cover - numba
    """out[n, c] = sum_p data[p] * y[n, indices[p]] over p in [indptr[c], indptr[c + 1]) (CSR mixing).

    Tiles of ``_MIX_TILE`` samples are transposed (in 16 × 16 blocks, cache-friendly both ways)
    into a (latent, tile) buffer, so that each multiply-add runs over the tile's samples,
    contiguous and vectorised, instead of gathering one value at a time; the (contact, tile)
    result is transposed back the same way. Each output is summed in the order of ``p`` whatever
    the tiling or the threads, so the result does not depend on either.
    """
    n = y.shape[0]
    n_in = y.shape[1]
    n_out = indptr.shape[0] - 1
    n_tiles = (n + _MIX_TILE - 1) // _MIX_TILE
    for b in prange(n_tiles):
        i0 = b * _MIX_TILE
        m = min(_MIX_TILE, n - i0)
        yt = np.zeros((n_in, _MIX_TILE), np.float32)
        _transpose_rows(y, i0, m, yt, True)
        ot = np.empty((n_out, _MIX_TILE), np.float32)
        for c in range(n_out):
            acc = ot[c]
            acc[:] = 0.0
            for p in range(indptr[c], indptr[c + 1]):
                w = data[p]
                row = yt[indices[p]]
                for t in range(_MIX_TILE):
                    acc[t] += w * row[t]
        _transpose_rows(out, i0, m, ot, False)


@njit(cache=True, parallel=True)
def dia_mix_kernel(y, offsets, data, out):  # pragma: no cover - numba
    """out[n, c] = sum_k data[k, c] * y[n, c + offsets[k]] (a square mixing matrix stored by
    diagonals: entry (c, c + offsets[k]) is ``data[k, c]``, zero where absent).

    For contacts on a grid (arrays, shanks, threads) the non-zeros of a local mixing matrix lie on
    a few diagonals, so each multiply-add runs along a row of ``y`` and of ``out``, contiguous and
    vectorised, without transposing anything. Each output is summed in the order of ``offsets``
    whatever the threads (which own whole rows), so the result does not depend on them.
    """
    n = y.shape[0]
    n_in = y.shape[1]
    n_out = out.shape[1]
    n_tiles = (n + 63) // 64
    for b in prange(n_tiles):
        for t in range(b * 64, min(n, b * 64 + 64)):
            o = out[t]
            yr = y[t]
            o[:] = 0.0
            for k in range(offsets.shape[0]):
                off = offsets[k]
                c0 = max(0, -off)
                c1 = min(n_out, n_in - off)
                osl = o[c0:c1]
                dsl = data[k, c0:c1]
                ysl = yr[c0 + off:c1 + off]
                for i in range(c1 - c0):
                    osl[i] += dsl[i] * ysl[i]
