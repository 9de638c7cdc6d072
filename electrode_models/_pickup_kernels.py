"""Numba kernel adding sparse templates into a chunk (inputs trusted).

Why a scratch tile: a (n_samples, n_channels) float32 chunk of 1 024 channels has rows exactly
4 KiB apart, so the samples of one channel all fall in the same cache set (and each in another
page): adding a template sample by sample down a column is bound by cache conflicts, not by the
additions. Each thread therefore copies the channel groups that receive many samples of its time
tile into a channel-major scratch tile, adds the templates there (contiguous runs, vectorised),
and copies the tile back; channel groups that receive few samples are added in place. Either
way every output sample is the chunk's value plus the spikes' contributions in spike order (then
column order), exactly as the plain loop adds them, so the output is bitwise the same for any
tile size, any chunking and any number of threads.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types, uint64
from numba.core import cgutils
from numba.extending import intrinsic

#: Channels per group (one 64-byte line of float32): the unit copied into the scratch tile.
GROUP = 16
#: Scratch tile size in samples x channels (float32): 2**17 values = 512 KiB, inside L2.
_TILE_VALUES = 1 << 17


@intrinsic
def _prefetch(typingctx, arr, i):  # pragma: no cover - compiled
    """Hint the CPU to fetch the cache line of ``arr[i]`` (1-D array; no fault, no effect on
    results): the templates of the next spikes are random rows of a large array."""
    sig = types.void(arr, i)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer2(context, builder, data=ary.data,
                                        shape=cgutils.unpack_tuple(builder, ary.shape),
                                        strides=cgutils.unpack_tuple(builder, ary.strides),
                                        layout=aryty.layout, inds=[args[1]],
                                        wraparound=False, boundscheck=False)
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]), "llvm.prefetch")
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


#: Spikes ahead whose template part is prefetched while a spike is added.
_AHEAD = 8


def tile_samples(num_channels: int) -> int:
    """Samples per thread tile for ``num_channels`` (a multiple of 16 in [32, 1024])."""
    groups = (max(int(num_channels), 1) + GROUP - 1) // GROUP
    return int(min(1024, max(32, (_TILE_VALUES // (groups * GROUP)) // 16 * 16)))


@njit(cache=True)
def _copy_groups(chunk, row0, scratch, m, use, to_scratch):  # pragma: no cover - numba
    """Copy rows ``row0 .. row0 + m`` of the used channel groups between the row-major chunk and
    the channel-major scratch (16 x 16 blocks; rows are read/written left to right)."""
    n_ch = chunk.shape[1]
    n_groups = use.shape[0]
    for r0 in range(0, m, 16):
        r1 = min(r0 + 16, m)
        for g in range(n_groups):
            if not use[g]:
                continue
            c0 = g * GROUP
            c1 = min(c0 + GROUP, n_ch)
            for r in range(uint64(r0), uint64(r1)):
                row = chunk[uint64(row0) + r]
                if to_scratch:
                    for c in range(uint64(c0), uint64(c1)):
                        scratch[c, r] = row[c]
                else:
                    for c in range(uint64(c0), uint64(c1)):
                        row[c] = scratch[c, r]


@njit(cache=True, parallel=True)
def inject_kernel(chunk, start, spike_samples, spike_units, waves, chan_idx, nbefore,
                  tile, workers, support):  # pragma: no cover - numba
    """Add each spike's template to ``chunk`` (n_samples, n_channels) in place.

    ``waves`` (n_units, n_t, n_q) float32 C-contiguous, ``chan_idx`` (n_units, n_q) (a unit's
    columns end at its first -1), ``support`` (n_units, 2) int: only template samples
    ``support[u, 0] <= t < support[u, 1]`` of unit u are added (``[0, n_t)``: all). ``workers`` (>= 1, e.g. the thread count) each take every
    ``workers``-th time tile of ``tile`` samples, with their own scratch; inside a tile spikes are
    added in the order given (columns in order), so every output sample is summed in spike order
    whatever the chunking, the tile size or the number of workers and threads.
    """
    n, n_ch = chunk.shape
    n_u, n_t, n_q = waves.shape
    flat = waves.reshape(n_u, n_t * n_q)  # row u: sample-major (t * n_q + q)
    n_tiles = (n + tile - 1) // tile
    n_groups = (n_ch + GROUP - 1) // GROUP
    workers = max(1, min(workers, n_tiles))
    for w in prange(workers):
        scratch = np.empty((n_groups * GROUP, tile), np.float32)
        work = np.empty(n_groups, np.int64)
        use = np.empty(n_groups, np.bool_)
        for b in range(w, n_tiles, workers):
            b0 = start + b * tile                # global range [b0, b1)
            b1 = min(start + n, b0 + tile)
            m = b1 - b0
            # spike covers [s - nbefore, s - nbefore + n_t): overlaps iff s in (b0 + nbefore - n_t, b1 + nbefore)
            lo = np.searchsorted(spike_samples, b0 + nbefore - n_t + 1)
            hi = np.searchsorted(spike_samples, b1 + nbefore)
            if hi <= lo:
                continue
            # samples each channel group receives in this tile: dense groups go through the scratch
            work[:] = 0
            for k in range(lo, hi):
                u = spike_units[k]
                t0 = spike_samples[k] - nbefore
                span = min(t0 + support[u, 1], b1) - max(t0 + support[u, 0], b0)
                if span <= 0:
                    continue
                for q in range(n_q):
                    c = chan_idx[u, q]
                    if c < 0:
                        break
                    work[c // GROUP] += span
            any_use = False
            for g in range(n_groups):
                use[g] = 4 * work[g] >= m * GROUP
                any_use = any_use or use[g]
            if any_use:
                _copy_groups(chunk, b0 - start, scratch, m, use, True)
            for k in range(lo, hi):
                if k + _AHEAD < hi:  # the template part of a spike a few ahead, fetched meanwhile
                    kp = k + _AHEAD
                    tp = spike_samples[kp] - nbefore
                    ap = max(tp + support[spike_units[kp], 0], b0)
                    ep = min(tp + support[spike_units[kp], 1], b1)
                    fr = flat[spike_units[kp]]
                    for i in range((ap - tp) * n_q, (ep - tp) * n_q, 16):
                        _prefetch(fr, i)
                u = spike_units[k]
                t0 = spike_samples[k] - nbefore
                a = max(t0 + support[u, 0], b0)
                span = min(t0 + support[u, 1], b1) - a
                if span <= 0:
                    continue
                wrow = flat[u]
                if n_q == 1:
                    c = chan_idx[u, 0]
                    if c < 0:
                        continue
                    if use[c // GROUP]:  # contiguous template row into a scratch row: vectorised
                        srow = scratch[c]
                        d = uint64(a - b0)
                        o = uint64(a - t0)
                        for i in range(uint64(span)):
                            srow[d + i] += wrow[o + i]
                    else:
                        for i in range(span):
                            chunk[a - start + i, c] += wrow[a - t0 + i]
                    continue
                for q in range(n_q):
                    c = chan_idx[u, q]
                    if c < 0:
                        break
                    if use[c // GROUP]:
                        srow = scratch[c]
                        d = uint64(a - b0)
                        o = uint64((a - t0) * n_q + q)
                        for i in range(uint64(span)):
                            srow[d + i] += wrow[o + i * uint64(n_q)]
                    else:
                        for i in range(span):
                            chunk[a - start + i, c] += wrow[(a - t0 + i) * n_q + q]
            if any_use:
                _copy_groups(chunk, b0 - start, scratch, m, use, False)


@njit(cache=True, inline="always")
def _loud(wave, u, t, floor):  # pragma: no cover - numba
    """Whether some column of unit ``u`` reaches ``floor`` at sample ``t``."""
    for q in range(wave.shape[2]):
        if abs(wave[u, t, q]) >= floor:
            return True
    return False


@njit(cache=True, parallel=True)
def trim_support_kernel(wave, floor, support):  # pragma: no cover - numba
    """Narrow ``support`` (n_units, 2) of ``wave`` (n_units, n_t, n_q) in place to the samples from
    the first to the last where some column reaches ``floor`` (|value| >= floor; [0, 0) if none).
    Scans each unit from both ends, so it reads only the tails."""
    for u in prange(wave.shape[0]):
        a, e = support[u, 0], support[u, 1]
        first = e
        for t in range(a, e):
            if _loud(wave, u, t, floor):
                first = t
                break
        last = first
        for t in range(e - 1, first - 1, -1):
            if _loud(wave, u, t, floor):
                last = t + 1
                break
        if last <= first:
            first = 0
            last = 0
        support[u, 0] = first
        support[u, 1] = last


@njit(cache=True, parallel=True)
def pack_columns_kernel(w, u_idx, q_idx, dest, out):  # pragma: no cover - numba
    """``out[u_idx[i], :, dest[i]] = w[u_idx[i], :, q_idx[i]]`` for every i (a strided gather that
    NumPy's fancy indexing does ~10× slower)."""
    n_t = w.shape[1]
    for i in prange(u_idx.shape[0]):
        u, q, d = u_idx[i], q_idx[i], dest[i]
        for t in range(n_t):
            out[u, t, d] = w[u, t, q]
