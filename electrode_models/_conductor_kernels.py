"""Numba kernels of the infinite homogeneous volume conductor (inputs trusted).

Units: positions µm, current nA, conductivity S/m -> potential µV
(nA / (µm · S/m) = mV, hence the factor 1000 / (4 pi sigma)).

Line source (``line_integral``)
    F(p) = (1/L) ∫_0^L du / |p - s(u)|, in closed form (Holt & Koch 1999). The segment is a
    cylinder of radius ``r_min`` capped by half-spheres at its ends (a capsule): inside the
    cylinder (0 <= h <= L, rho < r_min) F is evaluated on its surface (rho = r_min), inside a
    cap (|p - end| < r_min, beyond that end) on the cap's sphere along the same direction from
    the end point; everywhere else F is exact. The limit is continuous across the capsule.
Disc mean (``gain_entry``)
    <F>_disc = (1/L) ∫_0^L M(s(u)) du + C, where M(p) = <1/|x - p|>_{x in disc} is the
    potential of a uniformly charged disc (Lass & Blitzer 1983; complete elliptic integrals
    by Bulirsch's ``cel``), integrated along the segment by composite Gauss-Legendre panels
    graded by the distance to the disc's rim and split where the segment crosses the disc's
    plane; C <= 0 is the effect of the distance limit where the capsule cuts the disc,
    integrated in polar coordinates about the point where the segment comes closest to the
    plane. Converged to < 1e-3 for every position and radius (tests/electrode_models).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))

_x4, _w4 = np.polynomial.legendre.leggauss(4)
_GL4_X = 0.5 * (_x4 + 1.0)   # nodes and weights on [0, 1]
_GL4_W = 0.5 * _w4
_x8, _w8 = np.polynomial.legendre.leggauss(8)
_GL8_X = 0.5 * (_x8 + 1.0)
_GL8_W = 0.5 * _w8
_RIM_FLOOR = 1e-3      # smallest panel of the segment quadrature, in disc radii
_MAX_PANELS = 400


@njit(cache=True)
def _line_factor(h, rho2, L):
    """(1/L) ln[(h + sqrt(h² + rho²)) / (h - L + sqrt((h - L)² + rho²))], cancellation-free."""
    l = h - L
    if l >= 0.0:  # beyond the end: both terms positive, no cancellation
        num = h + math.sqrt(h * h + rho2)
        den = l + math.sqrt(l * l + rho2)
    elif h <= 0.0:  # before the start: mirror
        num = -l + math.sqrt(l * l + rho2)
        den = -h + math.sqrt(h * h + rho2)
    else:  # alongside the segment (rho2 > 0 here)
        num = (h + math.sqrt(h * h + rho2)) * (-l + math.sqrt(l * l + rho2))
        den = rho2
    return math.log(num / den) / L


@njit(cache=True)
def line_integral(px, py, pz, sx, sy, sz, ex, ey, ez, r_min):
    """Return the line-source factor F (1/µm) so that phi = I/(4 pi sigma) * F.

    F = (1/L) * int_0^L du / |p - (s + u t)| for a segment start->end of length L with
    uniform current density (Holt & Koch 1999; LFPy ``calc_lfp_linesource``). The distance is
    limited only inside the segment's capsule: with h the projection of p on the axis (from
    the start) and rho the distance to the axis, rho is raised to ``r_min`` where
    0 <= h <= L; where h < 0 (h > L) and |p - start| (|p - end|) < r_min, p is moved along the
    ray from that end point onto the sphere of radius ``r_min``; elsewhere F is exact (LFPy
    clamps rho at r_min whatever h). L < 1e-9 µm falls back to the point source
    1 / max(|p - s|, r_min).
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
    rho2 = max(ax * ax + ay * ay + az * az - h * h, 0.0)
    r2min = r_min * r_min
    if h < 0.0:  # beyond the start: spherical cap
        d2 = h * h + rho2
        if d2 < r2min:
            f = r_min / math.sqrt(d2)
            h *= f
            rho2 *= f * f
    elif h > L:  # beyond the end
        l = h - L
        d2 = l * l + rho2
        if d2 < r2min:
            f = r_min / math.sqrt(d2)
            h = L + l * f
            rho2 *= f * f
    elif rho2 < r2min:  # inside the cylinder
        rho2 = r2min
    return _line_factor(h, rho2, L)


@njit(cache=True)
def disc_points(radius, n_points, axis1, axis2):
    """Deterministic sunflower (Vogel) points on a disc, equal area each: (n, 3) offsets.

    Point 0 lies on ``axis1`` (angle 0) and point 1 at the golden angle: `gain_entry`
    reads the disc's plane from them.
    """
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
def _cel(kc, p, a, b):
    """Bulirsch's complete elliptic integral, p > 0:

    cel = int_0^{pi/2} (a cos² + b sin²) / ((cos² + p sin²) sqrt(cos² + kc² sin²)) dphi
    (Bulirsch 1969; Numerical Recipes 6.11). K(m) = cel(kc, 1, 1, 1), E(m) = cel(kc, 1, 1,
    kc²), Pi(n|m) = cel(kc, 1 - n, 1, 1) with kc = sqrt(1 - m).
    """
    qc = max(abs(kc), 1e-15)
    e = qc
    em = 1.0
    p = math.sqrt(p)
    b /= p
    for _ in range(60):
        f = a
        a += b / p
        g = e / p
        b += f * g
        b += b
        p = g + p
        g = em
        em += qc
        if abs(g - qc) <= g * 1e-9:  # quadratic convergence: error ~1e-18
            break
        qc = math.sqrt(e)
        qc += qc
        e = qc * em
    return 0.5 * math.pi * (b + a * em) / (em * (em + p))


@njit(cache=True)
def disc_mean_inv_r(rho, z, radius):
    """Mean of 1/|x - p| (1/µm) over a disc of ``radius`` for p at in-plane distance ``rho``
    from its centre and height ``z``: the potential of a uniformly charged disc / (pi a²).

    Phi = 2 [R E(m) + (a² - rho²)/R K(m) + (a - rho)/(a + rho) z²/R Pi(n|m)] - 2 pi |z| [rho < a]
    (pi |z| at rho = a), R² = (a + rho)² + z², m = 4 a rho / R², n = 4 a rho / (a + rho)²
    (Lass & Blitzer 1983). Continuous everywhere, at most 2/a (the centre).
    """
    a = radius
    az = abs(z)
    s = a + rho
    big_r = math.sqrt(s * s + z * z)
    d = a - rho
    kc = math.sqrt(d * d + z * z) / big_r
    c1 = (a * a - rho * rho) / big_r
    val = _cel(kc, 1.0, c1 + big_r, c1 + big_r * kc * kc)   # (a²-rho²)/R K + R E
    if abs(d) <= 1e-12 * a:
        step = -math.pi * az
    else:
        sqrt_p = abs(d) / s                    # sqrt(1 - n)
        c3 = d / s * z * z / big_r
        val += _cel(kc, sqrt_p * sqrt_p, c3, c3)
        step = -2.0 * math.pi * az if d > 0.0 else 0.0
    return (2.0 * val + step) / (math.pi * a * a)


@njit(cache=True)
def _disc_mean_at(qx, qy, qz, nx, ny, nz, a):
    """``disc_mean_inv_r`` for p - centre = q and unit normal n."""
    z = qx * nx + qy * ny + qz * nz
    rho = math.sqrt(max(qx * qx + qy * qy + qz * qz - z * z, 0.0))
    return disc_mean_inv_r(rho, z, a)


@njit(cache=True)
def _rim_distance(qx, qy, qz, nx, ny, nz, a):
    z = qx * nx + qy * ny + qz * nz
    rho = math.sqrt(max(qx * qx + qy * qy + qz * qz - z * z, 0.0))
    return math.sqrt((rho - a) ** 2 + z * z)


@njit(cache=True)
def _exact_piece(u0, u1, forward, sx, sy, sz, tx, ty, tz, nx, ny, nz, a):
    """int_{u0}^{u1} M(s + u t) du by 4-point Gauss panels of length <= the distance to the
    rim (floor ``_RIM_FLOOR`` a), laid from u0 (``forward``) or from u1."""
    acc = 0.0
    pos = u0 if forward else u1
    end = u1 if forward else u0
    for _ in range(_MAX_PANELS):
        if pos == end:
            break
        h = max(_rim_distance(sx + pos * tx, sy + pos * ty, sz + pos * tz, nx, ny, nz, a),
                _RIM_FLOOR * a)
        if forward:
            nxt = min(pos + h, end)
            lo, w = pos, nxt - pos
        else:
            nxt = max(pos - h, end)
            lo, w = nxt, pos - nxt
        for k in range(4):
            u = lo + _GL4_X[k] * w
            acc += _GL4_W[k] * w * _disc_mean_at(sx + u * tx, sy + u * ty, sz + u * tz,
                                                 nx, ny, nz, a)
        pos = nxt
    return acc


@njit(cache=True)
def _exact_disc_mean(sx, sy, sz, ex, ey, ez, nx, ny, nz, a):
    """(1/L) int_0^L M(s(u)) du for a segment given relative to the disc centre."""
    tx = ex - sx
    ty = ey - sy
    tz = ez - sz
    L = math.sqrt(tx * tx + ty * ty + tz * tz)
    if L < 1e-9:
        return _disc_mean_at(sx, sy, sz, nx, ny, nz, a)
    tx /= L
    ty /= L
    tz /= L
    u_star = min(max(-(sx * tx + sy * ty + sz * tz), 0.0), L)  # closest to the centre
    tn = tx * nx + ty * ny + tz * nz
    u_cross = -1.0
    if tn != 0.0:
        u_cross = -(sx * nx + sy * ny + sz * nz) / tn          # crossing of the disc's plane
    b0 = min(u_star, u_cross) if u_cross > 0.0 else u_star
    b1 = max(u_star, u_cross) if u_cross < L else u_star
    acc = 0.0
    # [0, b0] laid from b0 backwards, [b0, b1] from b0, [b1, L] from b1
    acc += _exact_piece(0.0, b0, False, sx, sy, sz, tx, ty, tz, nx, ny, nz, a)
    acc += _exact_piece(b0, b1, True, sx, sy, sz, tx, ty, tz, nx, ny, nz, a)
    acc += _exact_piece(b1, L, True, sx, sy, sz, tx, ty, tz, nx, ny, nz, a)
    return acc / L


@njit(cache=True)
def _ray_roots(b, c):
    """Roots (lo, hi) of r² + 2 b r + c = 0; (nan, nan) if none."""
    disc = b * b - c
    if disc < 0.0:
        return math.nan, math.nan
    root = math.sqrt(disc)
    return -b - root, -b + root


@njit(cache=True)
def _ray_span(ox, oy, oz, vx, vy, vz, sx, sy, sz, tx, ty, tz, L, r_min, o1, o2, c, s, a):
    """Part [r_lo, r_hi] of the ray o + r v (r >= 0, v in the disc's plane) inside the disc
    and the capsule, and a code naming the boundaries that end it (-1: empty).

    The capsule is the union of the cylinder slab and the two end balls; it is convex, so
    the ray meets it in one interval: [min of the pieces' entries, max of their exits].
    Boundary ids: 0 the origin, 1 the disc's rim, 2 the cylinder or its slab, 3 and 4 the
    balls at the start and at the end.
    """
    d_lo, d_hi = _ray_roots(o1 * c + o2 * s, o1 * o1 + o2 * o2 - a * a)
    if not d_hi > 0.0:
        return 0.0, 0.0, -1
    c_lo, c_hi, lo_id, hi_id = math.inf, -math.inf, 0, 0
    wx, wy, wz = ox - sx, oy - sy, oz - sz
    if L >= 1e-9:  # the cylinder slab: rho <= r_min and 0 <= h <= L
        h0 = wx * tx + wy * ty + wz * tz
        vt = vx * tx + vy * ty + vz * tz
        qa = 1.0 - vt * vt
        rho2 = wx * wx + wy * wy + wz * wz - h0 * h0
        lo, hi = -math.inf, math.inf
        if qa > 1e-12:
            lo, hi = _ray_roots(((wx * vx + wy * vy + wz * vz) - h0 * vt) / qa,
                                (rho2 - r_min * r_min) / qa)
        elif rho2 > r_min * r_min:
            lo, hi = math.nan, math.nan
        if vt > 0.0:
            lo, hi = max(lo, -h0 / vt), min(hi, (L - h0) / vt)
        elif vt < 0.0:
            lo, hi = max(lo, (L - h0) / vt), min(hi, -h0 / vt)
        elif h0 < 0.0 or h0 > L:
            lo, hi = math.nan, math.nan
        if lo < hi:
            c_lo, c_hi, lo_id, hi_id = lo, hi, 2, 2
    for ball in range(2):
        if ball == 1:
            if L < 1e-9:
                break
            wx, wy, wz = ox - sx - L * tx, oy - sy - L * ty, oz - sz - L * tz
        lo, hi = _ray_roots(wx * vx + wy * vy + wz * vz,
                            wx * wx + wy * wy + wz * wz - r_min * r_min)
        if lo < hi:
            if lo < c_lo:
                c_lo, lo_id = lo, 3 + ball
            if hi > c_hi:
                c_hi, hi_id = hi, 3 + ball
    r_lo, code_lo = 0.0, 0
    if d_lo > r_lo:
        r_lo, code_lo = d_lo, 1
    if c_lo > r_lo:
        r_lo, code_lo = c_lo, lo_id
    r_hi, code_hi = d_hi, 1
    if c_hi < r_hi:
        r_hi, code_hi = c_hi, hi_id
    if not r_hi > r_lo:
        return 0.0, 0.0, -1
    return r_lo, r_hi, 5 * code_lo + code_hi


@njit(cache=True)
def _ray_correction(qx, qy, qz, vx, vy, vz, r_lo, r_hi, sx, sy, sz, ex, ey, ez, tx, ty, tz, L,
                    r_min):
    """int_{r_lo}^{r_hi} (F_limited - F_exact)(q + r v) r dr, split where the ray leaves the
    slab 0 <= h <= L (the limit changes form there)."""
    cuts = np.empty(4)
    cuts[0] = r_lo
    nc = 1
    if L >= 1e-9:
        h0 = (qx - sx) * tx + (qy - sy) * ty + (qz - sz) * tz
        vt = vx * tx + vy * ty + vz * tz
        if vt != 0.0:
            for hb in (0.0, L):
                rb = (hb - h0) / vt
                if r_lo < rb < r_hi:
                    cuts[nc] = rb
                    nc += 1
    cuts[nc] = r_hi
    nc += 1
    for p in range(1, nc):  # insertion sort of <= 4 values (what np.sort gives; compiles faster)
        v = cuts[p]
        q = p - 1
        while q >= 0 and cuts[q] > v:
            cuts[q + 1] = cuts[q]
            q -= 1
        cuts[q + 1] = v
    acc = 0.0
    for i in range(nc - 1):
        w = cuts[i + 1] - cuts[i]
        for k in range(8):
            r = cuts[i] + _GL8_X[k] * w
            xx, yy, zz = qx + r * vx, qy + r * vy, qz + r * vz
            f_lim = line_integral(xx, yy, zz, sx, sy, sz, ex, ey, ez, r_min)
            f_ex = line_integral(xx, yy, zz, sx, sy, sz, ex, ey, ez, 1e-12)
            acc += _GL8_W[k] * w * (f_lim - f_ex) * r
    return acc


@njit(cache=True)
def _limit_correction(sx, sy, sz, ex, ey, ez, a1x, a1y, a1z, a2x, a2y, a2z, nx, ny, nz, a,
                      r_min):
    """C = (1/(pi a²)) int_{disc ∩ capsule} (F_limited - F_exact) dA  (<= 0).

    Polar coordinates about q, the point of the plane below the segment's point nearest to it
    (the log singularity of F_exact, if the segment crosses the plane). The angle is cut at
    the segment's projected direction (and every quarter from it) and wherever a boundary of
    the region changes (found on 48 sampled rays, refined by bisection); each piece is
    integrated by 8-point Gauss in a smoothstep variable (regular at the edges of the
    support), each ray by 8-point Gauss in r (r dr), split where the ray leaves the slab.
    """
    tx, ty, tz = ex - sx, ey - sy, ez - sz
    L = math.sqrt(tx * tx + ty * ty + tz * tz)
    zs = sx * nx + sy * ny + sz * nz
    ze = ex * nx + ey * ny + ez * nz
    if L >= 1e-9:
        tx /= L
        ty /= L
        tz /= L
    if zs * ze <= 0.0 and zs != ze:
        u = zs / (zs - ze) * L
    elif zs == ze:
        u = 0.5 * L
    else:
        u = 0.0 if abs(zs) < abs(ze) else L
    px, py, pz = sx + u * tx, sy + u * ty, sz + u * tz
    zp = px * nx + py * ny + pz * nz
    if abs(zp) >= r_min:
        return 0.0
    qx, qy, qz = px - zp * nx, py - zp * ny, pz - zp * nz
    q1 = qx * a1x + qy * a1y + qz * a1z
    q2 = qx * a2x + qy * a2y + qz * a2z
    phi0 = math.atan2(tx * a2x + ty * a2y + tz * a2z, tx * a1x + ty * a1y + tz * a1z)
    n_s = 48
    cuts = np.empty(n_s + 4 + 1)
    codes = np.empty(n_s + 1, np.int64)
    for k in range(n_s + 1):
        phi = phi0 + 2.0 * math.pi * k / n_s
        c, s = math.cos(phi), math.sin(phi)
        codes[k] = _ray_span(qx, qy, qz, c * a1x + s * a2x, c * a1y + s * a2y,
                             c * a1z + s * a2z, sx, sy, sz, tx, ty, tz, L, r_min, q1, q2, c, s,
                             a)[2]
    nc = 0
    for k in range(n_s):
        if k % (n_s // 4) == 0:
            cuts[nc] = 2.0 * math.pi * k / n_s
            nc += 1
        if codes[k] != codes[k + 1]:  # a boundary changes in between: bisect
            lo, hi = 2.0 * math.pi * k / n_s, 2.0 * math.pi * (k + 1) / n_s
            for _ in range(16):
                mid = 0.5 * (lo + hi)
                c, s = math.cos(phi0 + mid), math.sin(phi0 + mid)
                code = _ray_span(qx, qy, qz, c * a1x + s * a2x, c * a1y + s * a2y,
                                 c * a1z + s * a2z, sx, sy, sz, tx, ty, tz, L, r_min, q1, q2,
                                 c, s, a)[2]
                if code == codes[k]:
                    lo = mid
                else:
                    hi = mid
            cuts[nc] = 0.5 * (lo + hi)
            nc += 1
    cuts[nc] = 2.0 * math.pi
    nc += 1
    acc = 0.0
    for i in range(nc - 1):
        width = cuts[i + 1] - cuts[i]
        if width <= 0.0:
            continue
        for kf in range(8):
            t = _GL8_X[kf]
            phi = phi0 + cuts[i] + width * t * t * (3.0 - 2.0 * t)  # smoothstep
            jac = width * 6.0 * t * (1.0 - t)
            c, s = math.cos(phi), math.sin(phi)
            vx, vy, vz = c * a1x + s * a2x, c * a1y + s * a2y, c * a1z + s * a2z
            r_lo, r_hi, code = _ray_span(qx, qy, qz, vx, vy, vz, sx, sy, sz, tx, ty, tz, L,
                                         r_min, q1, q2, c, s, a)
            if code < 0:
                continue
            acc += _GL8_W[kf] * jac * _ray_correction(qx, qy, qz, vx, vy, vz, r_lo, r_hi, sx,
                                                      sy, sz, ex, ey, ez, tx, ty, tz, L, r_min)
    return acc / (math.pi * a * a)


@njit(cache=True)
def gain_entry(ex, ey, ez, offsets, seg_start, seg_end, j, r_min, radius, far_factor):
    """Disc-averaged line-source factor (1/µm) of segment j seen by one electrode.

    ``offsets`` come from `disc_points`. One offset (or radius 0), or a segment farther
    than ``far_factor`` radii from the centre: the centre value (the disc mean differs by
    O((a/d)²) <= 0.25 % at 10 radii). A circular disc (orthonormal axes, read from offsets 0
    and 1): the exact mean (module docstring). Otherwise (an ellipse: a disc in the
    transformed frame of an anisotropic medium) the mean over the offsets.
    """
    sx, sy, sz = seg_start[j, 0], seg_start[j, 1], seg_start[j, 2]
    tx, ty, tz = seg_end[j, 0], seg_end[j, 1], seg_end[j, 2]
    n = offsets.shape[0]
    if n > 1 and radius > 0.0:
        mx = 0.5 * (sx + tx) - ex
        my = 0.5 * (sy + ty) - ey
        mz = 0.5 * (sz + tz) - ez
        half = 0.5 * math.sqrt((tx - sx) ** 2 + (ty - sy) ** 2 + (tz - sz) ** 2)
        if math.sqrt(mx * mx + my * my + mz * mz) - half > far_factor * radius:
            n = 1  # far away: the disc mean equals the centre value to O((a/d)^2)
    if n == 1 or radius == 0.0:
        return line_integral(ex, ey, ez, sx, sy, sz, tx, ty, tz, r_min)
    r0 = radius * math.sqrt(0.5 / n)
    r1 = radius * math.sqrt(1.5 / n)
    a1x, a1y, a1z = offsets[0, 0] / r0, offsets[0, 1] / r0, offsets[0, 2] / r0
    cg, sg = math.cos(GOLDEN_ANGLE), math.sin(GOLDEN_ANGLE)
    a2x = (offsets[1, 0] / r1 - cg * a1x) / sg
    a2y = (offsets[1, 1] / r1 - cg * a1y) / sg
    a2z = (offsets[1, 2] / r1 - cg * a1z) / sg
    n1 = a1x * a1x + a1y * a1y + a1z * a1z
    n2 = a2x * a2x + a2y * a2y + a2z * a2z
    d12 = a1x * a2x + a1y * a2y + a1z * a2z
    if abs(n1 - 1.0) > 1e-9 or abs(n2 - 1.0) > 1e-9 or abs(d12) > 1e-9:
        acc = 0.0
        for k in range(n):
            acc += line_integral(ex + offsets[k, 0], ey + offsets[k, 1], ez + offsets[k, 2],
                                 sx, sy, sz, tx, ty, tz, r_min)
        return acc / n
    nx = a1y * a2z - a1z * a2y
    ny = a1z * a2x - a1x * a2z
    nz = a1x * a2y - a1y * a2x
    sx -= ex
    sy -= ey
    sz -= ez
    tx -= ex
    ty -= ey
    tz -= ez
    val = _exact_disc_mean(sx, sy, sz, tx, ty, tz, nx, ny, nz, radius)
    # the distance limit matters only where the capsule reaches the disc
    zs = sx * nx + sy * ny + sz * nz
    zt = tx * nx + ty * ny + tz * nz
    dx, dy, dz = tx - sx, ty - sy, tz - sz
    dd = dx * dx + dy * dy + dz * dz
    u = min(max(-(sx * dx + sy * dy + sz * dz) / dd, 0.0), 1.0) if dd > 0.0 else 0.0
    dist2 = (sx + u * dx) ** 2 + (sy + u * dy) ** 2 + (sz + u * dz) ** 2  # centre-segment
    if dist2 < (radius + r_min) ** 2 and (min(abs(zs), abs(zt)) < r_min or zs * zt <= 0.0):
        val += _limit_correction(sx, sy, sz, tx, ty, tz, a1x, a1y, a1z, a2x, a2y, a2z,
                                 nx, ny, nz, radius, r_min)
    return val


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
