"""Counter-based Gaussian noise for the amplifier model (inputs trusted).

Every normal is drawn from the shared counter generator (`electrode_models._counter_rng`, the
only ``electrode_models`` module chip_models imports): stream ``s`` of channel ``c`` has the key
``stream_key(key_c, s)`` (``s = 0`` the innovation of the every-sample ARMA part, ``s = i + 1``
held pole ``i``), and its m-th normal
is ``normal_pair_f32(counter_hash(stream key, m // 2))[m % 2]``. A draw is therefore a pure
function of (seed, channel, stream, index): chunking and threads never change the noise.

Layout of the work: threads own blocks of channels (the AR(1) recursions run along time), and
go through the samples row by row, each step a loop over the block's channels that LLVM
vectorises (hash, normal transform, pole updates, sums). Strict IEEE arithmetic (no fast-math),
so no value depends on the lane, loop or thread that computed it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from electrode_models._counter_rng import hash_row, normal_rows, stream_key

#: Pair index of the draws that set the states at sample 0 (normals 2^62, 2^62 + 1, ...).
_INIT_PAIR = 2 ** 61


@njit(cache=True, error_model="numpy")
def _fill(keys, k, hi, lo, pair):  # pragma: no cover - numba
    """pair[0], pair[1] = the two normals of pair index k of the streams ``keys``."""
    hash_row(keys, k, hi, lo)
    normal_rows(hi, lo, pair[0], pair[1])


@njit(cache=True, parallel=True, error_model="numpy")
def add_amplifier_noise(out, start, keys, a, b, hold, num, den, init, state,
                        block):  # pragma: no cover - numba
    """out[n, c] += q[n, c] + y[n, c]: held AR(1) poles plus an ARMA process updated every sample.

    - Held pole i (``hold[i] > 1``) is refreshed at global samples ``g`` with
      ``g % hold[i] == 0`` by ``s_i = a_i s_i + b_i z_i[g // hold[i]]`` (stream ``i + 1``) and
      held in between; ``q = 0 + s_0 + s_1 + ...`` in pole order (kept as prefix sums, redone
      from the first pole that changes).
    - ``y = (num(L) / den(L)) e`` (``den[0] = 1``, order ``k = num.size - 1``), ``e`` stream 0,
      in transposed direct form II: ``y = num_0 e + v_0``,
      ``v_j = (v_{j+1} + num_{j+1} e) - den_{j+1} y`` (``v_k = 0``).
    ``state`` (float64, (num_held + k, num_channels)): the held poles' ``s_i`` then ``v``,
    updated in place. At ``start == 0`` the states are drawn from their stationary law: ``s_i``
    from N(0, b_i^2 / (1 - a_i^2)) (normal 2^62 of stream i + 1), ``v = init @ (normals 2^62 ..
    2^62 + k - 1 of stream 0)``. All in float64. Threads own blocks of ``block`` channels (wide
    blocks: each writes long runs of a row; the values do not depend on it).
    """
    num_samples, num_channels = out.shape
    n_held = a.size
    k = num.size - 1
    n_blocks = (num_channels + block - 1) // block
    for blk in prange(n_blocks):
        c0 = blk * block
        w = min(block, num_channels - c0)
        skeys = np.empty((n_held + 1, w), np.uint64)
        for s in range(n_held + 1):
            for c in range(w):
                skeys[s, c] = stream_key(keys[c0 + c], s)
        hi = np.empty(w, np.uint32)
        lo = np.empty(w, np.uint32)
        pairs = np.empty((n_held + 1, 2, w), np.float32)      # current pair of each stream
        held = np.full(n_held + 1, -1, np.int64)              # its pair index
        st = np.empty((n_held + k, w), np.float64)
        if start == 0:
            for i in range(n_held):
                sd = b[i] / math.sqrt(1.0 - a[i] * a[i])
                _fill(skeys[i + 1], _INIT_PAIR, hi, lo, pairs[i + 1])
                for c in range(w):
                    st[i, c] = sd * pairs[i + 1, 0, c]
            st[n_held:] = 0.0
            for t in range(k):
                _fill(skeys[0], _INIT_PAIR + t // 2, hi, lo, pairs[0])
                z = pairs[0, t % 2]
                for j in range(k):
                    m = init[j, t]
                    for c in range(w):
                        st[n_held + j, c] += m * z[c]
        else:
            for i in range(n_held + k):
                for c in range(w):
                    st[i, c] = state[i, c0 + c]
        nxt = np.empty(n_held, np.int64)                      # next update sample of each pole
        for i in range(n_held):
            nxt[i] = ((start + hold[i] - 1) // hold[i]) * hold[i]
        y = np.empty(w, np.float64)
        e = np.empty(w, np.float64)
        zero = np.zeros(w, np.float64)
        psum = np.zeros((n_held, w), np.float64)              # psum[i] = 0 + s_0 + ... + s_i
        for n in range(num_samples):
            g = start + n
            first = 0 if n == 0 else n_held                   # first pole changed at g
            for i in range(n_held):                           # held poles
                if g == nxt[i]:
                    m = g // hold[i]
                    nxt[i] += hold[i]
                    if held[i + 1] != m // 2:
                        _fill(skeys[i + 1], m // 2, hi, lo, pairs[i + 1])
                        held[i + 1] = m // 2
                    z = pairs[i + 1, m % 2]
                    ai = a[i]
                    bi = b[i]
                    for c in range(w):
                        st[i, c] = ai * st[i, c] + bi * z[c]
                    first = min(first, i)
            for i in range(first, n_held):                    # prefix sums from the first change
                prev = psum[i - 1] if i > 0 else zero
                for c in range(w):
                    psum[i, c] = prev[c] + st[i, c]
            q = psum[n_held - 1] if n_held > 0 else zero
            if held[0] != g // 2:                             # every-sample ARMA part
                _fill(skeys[0], g // 2, hi, lo, pairs[0])
                held[0] = g // 2
            e32 = pairs[0, g % 2]
            n0 = num[0]
            row = out[n]
            if k == 0:
                for c in range(w):
                    row[c0 + c] += q[c] + n0 * e32[c]
                continue
            for c in range(w):
                ec = np.float64(e32[c])
                yc = n0 * ec + st[n_held, c]
                e[c] = ec
                y[c] = yc
                row[c0 + c] += q[c] + yc
            for j in range(k - 1):
                nj = num[j + 1]
                dj = den[j + 1]
                for c in range(w):
                    st[n_held + j, c] = (st[n_held + j + 1, c] + nj * e[c]) - dj * y[c]
            nk = num[k]
            dk = den[k]
            for c in range(w):
                st[n_held + k - 1, c] = nk * e[c] - dk * y[c]
        for i in range(n_held + k):
            for c in range(w):
                state[i, c0 + c] = st[i, c]
