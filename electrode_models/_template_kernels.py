"""Numba kernel that builds sparse templates for many cells (inputs trusted)."""

from __future__ import annotations


import numpy as np
from numba import njit, prange

from ._conductor_kernels import disc_points, gain_entry


@njit(cache=True, parallel=True)
def sparse_templates_kernel(type_idx, rot, pos, seg_off, seg_start, seg_end, seg_rmin, currents,
                            ch_pos, ax1, ax2, radius, n_disc, far_factor, scale, cutoff_um,
                            min_amp, max_ch, out_wave, out_chan, out_peak, out_best):
    """Fill ``out_*`` for every cell; prange over cells.

    seg_off (n_types+1,) splits the packed per-type segment arrays (cell frame) and currents
    (total_seg, n_t). rot (n_cells, 3, 3) maps cell frame -> tissue frame, pos (n_cells, 3).
    """
    n_cells = type_idx.shape[0]
    n_ch = ch_pos.shape[0]
    n_t = currents.shape[1]
    n_types = seg_off.shape[0] - 1
    # disc points of every channel, computed once
    offs_all = np.zeros((n_ch, n_disc, 3))
    n_pts = 1 if radius == 0.0 else n_disc
    for c in range(n_ch):
        o = disc_points(radius, n_pts, ax1[c], ax2[c])
        offs_all[c, :o.shape[0], :] = o
    for i in prange(n_cells):
        t = type_idx[i]
        a = seg_off[t]
        b = seg_off[t + 1]
        ns = b - a
        s0 = np.empty((ns, 3))
        s1 = np.empty((ns, 3))
        for j in range(ns):
            for d in range(3):
                acc0 = pos[i, d]
                acc1 = pos[i, d]
                for e in range(3):
                    acc0 += rot[i, d, e] * seg_start[a + j, e]
                    acc1 += rot[i, d, e] * seg_end[a + j, e]
                s0[j, d] = acc0
                s1[j, d] = acc1
        near = np.empty(n_ch, np.int64)
        n_near = 0
        for c in range(n_ch):
            dx = ch_pos[c, 0] - pos[i, 0]
            dy = ch_pos[c, 1] - pos[i, 1]
            dz = ch_pos[c, 2] - pos[i, 2]
            if dx * dx + dy * dy + dz * dz <= cutoff_um * cutoff_um:
                near[n_near] = c
                n_near += 1
        waves = np.zeros((n_near, n_t))
        absmax = np.zeros(n_near)
        g = np.empty(ns)
        for k in range(n_near):
            c = near[k]
            offs = offs_all[c, :n_pts]
            for j in range(ns):
                g[j] = scale * gain_entry(ch_pos[c, 0], ch_pos[c, 1], ch_pos[c, 2], offs, s0, s1,
                                          j, seg_rmin[a + j], radius, far_factor)
            best = 0.0
            for s in range(n_t):
                acc = 0.0
                for j in range(ns):
                    acc += g[j] * currents[a + j, s]
                waves[k, s] = acc
                if abs(acc) > best:
                    best = abs(acc)
            absmax[k] = best
        order = np.argsort(-absmax)
        n_keep = 0
        for q in range(min(max_ch, n_near)):
            k = order[q]
            if absmax[k] < min_amp:
                break
            out_chan[i, q] = near[k]
            for s in range(n_t):
                out_wave[i, s, q] = waves[k, s]
            n_keep += 1
        if n_keep > 0:
            k = order[0]
            out_best[i] = near[k]
            pk = 0.0
            for s in range(n_t):
                if abs(waves[k, s]) > abs(pk):
                    pk = waves[k, s]
            out_peak[i] = pk
        else:
            out_best[i] = -1
            out_peak[i] = 0.0
    return n_types
