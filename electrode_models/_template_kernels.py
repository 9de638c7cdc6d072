"""Numba kernel that builds sparse templates for many cells (inputs trusted)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._conductor_kernels import disc_points, gain_entry

#: ``shift_in`` value meaning "align this unit on its own extremum".
SHIFT_AUTO = np.iinfo(np.int64).min


@njit(cache=True)
def _unit_template(i, type_idx, rot, pos, seg_off, seg_start, seg_end, seg_rmin, currents,
                   ch_pos, ch_gain, offs_all, n_pts, radius, far_factor, scale, cutoff_um, min_amp,
                   max_ch, nbefore, pad_before, taper, shift_in, out_wave, out_chan, out_peak,
                   out_best, out_shift):
    """Unit ``i`` of `sparse_templates_kernel` (its loop body: a separate, serial function so
    that the parallel kernel stays small and compiles in a fraction of the time)."""
    n_ch = ch_pos.shape[0]
    n_pad = currents.shape[1]
    n_t = taper.shape[0]
    t = type_idx[i]
    a = seg_off[t]
    ns = seg_off[t + 1] - a
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
    waves = np.zeros((n_near, n_pad))
    g = np.empty(ns)
    best_k = -1
    best_val = -1.0
    best_s = 0
    for k in range(n_near):
        c = near[k]
        offs = offs_all[c, :n_pts]
        sc = scale * ch_gain[c]
        for j in range(ns):
            g[j] = sc * gain_entry(ch_pos[c, 0], ch_pos[c, 1], ch_pos[c, 2], offs, s0, s1,
                                   j, seg_rmin[a + j], radius, far_factor)
        for j in range(ns):
            gj = g[j]
            for s in range(n_pad):
                waves[k, s] += gj * currents[a + j, s]
        for s in range(n_pad):
            v = abs(waves[k, s])
            if v > best_val:
                best_val = v
                best_k = k
                best_s = s
    if shift_in[i] != SHIFT_AUTO:
        shift = shift_in[i]
    elif best_k >= 0:
        shift = best_s - pad_before - nbefore
    else:
        shift = 0
    out_shift[i] = shift
    first = pad_before + shift  # column of waves at window sample 0
    cut = np.zeros((n_near, n_t))
    absmax = np.zeros(n_near)
    for k in range(n_near):
        m = 0.0
        for s in range(n_t):
            q = first + s
            if 0 <= q < n_pad:
                v = waves[k, q] * taper[s]
                cut[k, s] = v
                if abs(v) > m:
                    m = abs(v)
        absmax[k] = m
    # the max_ch largest absmax, ties by channel order: the head of a stable argsort of
    # -absmax (absmax >= 0, never NaN), by selection (a sort compiles for seconds)
    n_sel = min(max_ch, n_near)
    order = np.empty(n_sel, np.int64)
    taken = np.zeros(n_near, np.bool_)
    for q in range(n_sel):
        top = -1
        for k in range(n_near):
            if not taken[k] and (top < 0 or absmax[k] > absmax[top]):
                top = k
        order[q] = top
        taken[top] = True
    n_keep = 0
    for q in range(n_sel):
        k = order[q]
        if absmax[k] < min_amp:
            break
        out_chan[i, q] = near[k]
        for s in range(n_t):
            out_wave[i, s, q] = cut[k, s]
        n_keep += 1
    if n_keep > 0:
        k = order[0]
        out_best[i] = near[k]
        pk = 0.0
        for s in range(n_t):
            if abs(cut[k, s]) > abs(pk):
                pk = cut[k, s]
        out_peak[i] = pk
    else:
        out_best[i] = -1
        out_peak[i] = 0.0


@njit(cache=True, parallel=True)
def sparse_templates_kernel(type_idx, rot, pos, seg_off, seg_start, seg_end, seg_rmin, currents,
                            ch_pos, ch_gain, ax1, ax2, radius, n_disc, far_factor, scale,
                            cutoff_um, min_amp, max_ch, nbefore, pad_before, taper, shift_in,
                            out_wave, out_chan, out_peak, out_best, out_shift):
    """Fill ``out_*`` for every cell; prange over cells.

    seg_off (n_types+1,) splits the packed per-type segment arrays (cell frame) and currents
    (total_seg, n_pad), whose column ``pad_before + nbefore`` is the reference time (the somatic
    AP peak). rot (n_cells, 3, 3) maps cell frame -> tissue frame, pos (n_cells, 3); channel c's
    waveform is multiplied by ``ch_gain[c]``.
    Each unit's window of ``n_t = taper.size`` samples starts ``nbefore`` samples before the
    reference plus its shift: ``shift_in[i]`` or, where it is ``SHIFT_AUTO``, the offset that puts
    the largest-|value| sample of its strongest channel at ``nbefore``. Samples outside the
    computed span are 0; the window is multiplied by ``taper``.
    """
    n_cells = type_idx.shape[0]
    n_ch = ch_pos.shape[0]
    n_types = seg_off.shape[0] - 1
    offs_all = np.zeros((n_ch, n_disc, 3))
    n_pts = 1 if radius == 0.0 else n_disc
    for c in range(n_ch):
        o = disc_points(radius, n_pts, ax1[c], ax2[c])
        offs_all[c, :o.shape[0], :] = o
    for i in prange(n_cells):
        _unit_template(np.int64(i), type_idx, rot, pos, seg_off, seg_start, seg_end, seg_rmin, currents,
                       ch_pos, ch_gain, offs_all, n_pts, radius, far_factor, scale, cutoff_um,
                       min_amp, max_ch, nbefore, pad_before, taper, shift_in, out_wave, out_chan,
                       out_peak, out_best, out_shift)
    return n_types
