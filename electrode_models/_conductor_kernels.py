"""Numba kernels of the infinite homogeneous volume conductor (inputs trusted).

Units: positions µm, current nA, conductivity S/m -> potential µV
(nA / (µm · S/m) = mV, hence the factor 1000 / (4 pi sigma)).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))


@njit(cache=True)
def line_integral(px, py, pz, sx, sy, sz, ex, ey, ez, r_min):
    """Return the line-source factor F (1/µm) so that phi = I/(4 pi sigma) * F.

    F = (1/L) * int_0^L ds / |p - (s + u s)| for a segment start->end of length L with
    uniform current density (Holt & Koch 1999; LFPy ``calc_lfp_linesource``). The
    perpendicular distance is clamped at ``r_min``; L < 1e-9 µm falls back to the point
    source 1 / max(|p - s|, r_min).
    """
    dx = ex - sx
    dy = ey - sy
    dz = ez - sz
    L = math.sqrt(dx * dx + dy * dy + dz * dz)
    ax = px - sx
    ay = py - sy
    az = pz - sz
    if L < 1e-9:
        r = math.sqrt(ax * ax + ay * ay + az * az)
        return 1.0 / max(r, r_min)
    h = (ax * dx + ay * dy + az * dz) / L  # projection on the segment, from its start
    rho2 = ax * ax + ay * ay + az * az - h * h
    if rho2 < r_min * r_min:
        rho2 = r_min * r_min
    l = h - L
    if l >= 0.0:  # beyond the end: both terms positive, no cancellation
        num = h + math.sqrt(h * h + rho2)
        den = l + math.sqrt(l * l + rho2)
    elif h <= 0.0:  # before the start: mirror
        num = -l + math.sqrt(l * l + rho2)
        den = -h + math.sqrt(h * h + rho2)
    else:  # alongside the segment
        num = (h + math.sqrt(h * h + rho2)) * (-l + math.sqrt(l * l + rho2))
        den = rho2
    return math.log(num / den) / L


@njit(cache=True)
def disc_points(radius, n_points, axis1, axis2):
    """Deterministic sunflower (Vogel) points on a disc, equal area each: (n, 3) offsets."""
    out = np.zeros((n_points, 3))
    if n_points == 1 or radius == 0.0:
        return out[:1]
    for k in range(n_points):
        r = radius * math.sqrt((k + 0.5) / n_points)
        th = k * GOLDEN_ANGLE
        c = r * math.cos(th)
        s = r * math.sin(th)
        for d in range(3):
            out[k, d] = c * axis1[d] + s * axis2[d]
    return out


@njit(cache=True)
def gain_entry(ex, ey, ez, offsets, seg_start, seg_end, j, r_min, radius, far_factor):
    """Disc-averaged line-source factor (1/µm) of segment j seen by one electrode."""
    sx, sy, sz = seg_start[j, 0], seg_start[j, 1], seg_start[j, 2]
    tx, ty, tz = seg_end[j, 0], seg_end[j, 1], seg_end[j, 2]
    n = offsets.shape[0]
    if n > 1:
        mx = 0.5 * (sx + tx) - ex
        my = 0.5 * (sy + ty) - ey
        mz = 0.5 * (sz + tz) - ez
        half = 0.5 * math.sqrt((tx - sx) ** 2 + (ty - sy) ** 2 + (tz - sz) ** 2)
        if math.sqrt(mx * mx + my * my + mz * mz) - half > far_factor * radius:
            n = 1  # far away: the disc mean equals the centre value to O((a/d)^2)
    if n == 1:
        return line_integral(ex, ey, ez, sx, sy, sz, tx, ty, tz, r_min)
    acc = 0.0
    for k in range(n):
        acc += line_integral(ex + offsets[k, 0], ey + offsets[k, 1], ez + offsets[k, 2],
                             sx, sy, sz, tx, ty, tz, r_min)
    return acc / n


@njit(cache=True, parallel=True)
def gain_matrix_kernel(el_pos, axes1, axes2, seg_start, seg_end, r_min, radius, n_disc,
                       far_factor, scale):
    """(n_el, n_seg) gain in µV/nA; ``scale = 1000 / (4 pi sigma)``; prange over electrodes."""
    n_el = el_pos.shape[0]
    n_seg = seg_start.shape[0]
    out = np.empty((n_el, n_seg))
    for i in prange(n_el):
        offs = disc_points(radius, n_disc, axes1[i], axes2[i])
        for j in range(n_seg):
            out[i, j] = scale * gain_entry(el_pos[i, 0], el_pos[i, 1], el_pos[i, 2], offs,
                                           seg_start, seg_end, j, r_min[j], radius, far_factor)
    return out


@njit(cache=True, parallel=True)
def point_source_kernel(src, cur, el, r_min, scale):
    """phi_i = scale * sum_j I_j / max(|e_i - s_j|, r_min) in µV."""
    n_el = el.shape[0]
    out = np.zeros(n_el)
    for i in prange(n_el):
        acc = 0.0
        for j in range(src.shape[0]):
            dx = el[i, 0] - src[j, 0]
            dy = el[i, 1] - src[j, 1]
            dz = el[i, 2] - src[j, 2]
            r = math.sqrt(dx * dx + dy * dy + dz * dz)
            acc += cur[j] / max(r, r_min)
        out[i] = scale * acc
    return out
