"""Numba kernels of the four-sphere head model (see `electrode_models.headmodel`).

Head frame: origin at the centre of the head, positions in µm. Kernels trust their inputs.
"""

from __future__ import annotations

import math

import numba
import numpy as np


def shell_coefficients(n: np.ndarray, radii_um: np.ndarray, sigma_S_per_m: np.ndarray):
    """Per-shell coefficients (alpha_n, beta_n), shape (4, len(n)), of the series of Næss et al. 2017.

    In shell k (outer radius ``r_k``) the n-th radial-series term of a dipole at ``r_z`` is

        T_n(r) = alpha_kn (r_z / r_k) (r_z r / r_k^2)^n + beta_kn (r_z / r)^(n + 1)

    (their ``c_kn (r/r_k)^n + d_kn (r_k/r)^(n+1)`` with ``c_kn, d_kn`` proportional to
    ``(r_z/r_1)^(n+1)``). The recursion is written with the bounded ratios ``w2 = 1/y_n`` and
    ``w3 = 1/v_n`` (``y_n, v_n`` of the paper grow exponentially when neighbouring shells have
    equal conductivities), so it stays finite for any positive conductivities.
    """
    n = np.asarray(n, dtype=float)
    r1, r2, r3, r4 = radii_um
    s1, s2, s3, s4 = sigma_S_per_m
    s12, s23, s34 = s1 / s2, s2 / s3, s3 / s4
    a = (n + 1.0) / n  # (n+1)/n
    b = n / (n + 1.0)  # n/(n+1)
    with np.errstate(under="ignore"):
        q12 = (r1 / r2) ** (2 * n + 1)
        q23 = (r2 / r3) ** (2 * n + 1)
        q34 = (r3 / r4) ** (2 * n + 1)
    rc4 = (q34 - 1.0) / (a * q34 + 1.0)
    w3 = (s34 + rc4) / (b * s34 - rc4)                 # 1 / v_n
    rc3 = (b * q23 * w3 - 1.0) / (q23 * w3 + 1.0)
    w2 = (s23 + rc3) / (b * s23 - rc3)                 # 1 / y_n
    z = (q12 * w2 - a) / (q12 * w2 + 1.0)
    a1 = (a * s12 + z) / (s12 - z)                     # c_1n / (r_z/r_1)^(n+1)
    g2 = (a1 + 1.0) / (q12 * w2 + 1.0)
    g3 = g2 * (w2 + 1.0) / (q23 * w3 + 1.0)
    alpha = np.stack([a1, g2 * w2, g3 * w3, g3 * (w3 + 1.0) * a / (a * q34 + 1.0)])
    beta = np.stack([np.ones_like(n), g2, g3, alpha[3] * b])
    return alpha, beta


@numba.njit(cache=True, fastmath=False)
def _series(t_a, t_b, x, da, sa, db, use_b, max_terms, tol):
    """Residual sums over n of (n sa da_n t_a^n + n db_n t_b^(n+1)) P_n(x) and the same with P_n'(x)/n.

    Stops when a bound of the remaining tail, ``n^2 |term| / (1 - t)``, falls below ``tol``.
    """
    if not use_b:
        t_b = 0.0
    gap = max(1.0 - max(t_a, t_b), 1e-12)
    rad = 0.0
    tan = 0.0
    p_prev, p = 1.0, x          # P_0, P_1
    dp_prev, dp = 0.0, 1.0      # P_0', P_1'
    ta, tb = t_a, t_b * t_b     # t_a^n, t_b^(n+1) at n = 1
    for n in range(1, max_terms + 1):
        ca = sa * da[n] * ta
        cb = db[n] * tb if use_b else 0.0
        c = ca + cb
        rad += n * c * p
        tan += c * dp
        if n > 8 and (abs(ca) + abs(cb)) * n * n < tol * gap:
            break
        p_next = ((2 * n + 1) * x * p - n * p_prev) / (n + 1)
        dp_next = dp_prev + (2 * n + 1) * p
        p_prev, p = p, p_next
        dp_prev, dp = dp, dp_next
        ta *= t_a
        tb *= t_b
    return rad, tan


@numba.njit(cache=True, parallel=True)
def four_sphere_gain_kernel(el, dip, radii, sigma1, alpha_inf, beta_inf, dalpha, dbeta,
                            max_terms, tol, r_min):
    """Potential (µV) per unit dipole component (nA·µm), head-frame components, (n_el, n_dip, 3).

    ``el`` (n_el, 3) and ``dip`` (n_dip, 3) in µm from the head centre; every dipole lies in the
    brain (|dip| < radii[0]) and every electrode within the head (|el| <= radii[3]).
    """
    n_el = el.shape[0]
    n_dip = dip.shape[0]
    out = np.zeros((n_el, n_dip, 3))
    k_inf = 1000.0 / (4.0 * math.pi * sigma1)
    for idx in numba.prange(n_el * n_dip):
        i = idx // n_dip
        j = idx % n_dip
        ex, ey, ez = el[i, 0], el[i, 1], el[i, 2]
        dx, dy, dz = dip[j, 0], dip[j, 1], dip[j, 2]
        r = math.sqrt(ex * ex + ey * ey + ez * ez)
        rz = math.sqrt(dx * dx + dy * dy + dz * dz)
        ux, uy, uz = dx / rz, dy / rz, dz / rz             # radial unit vector of the dipole
        proj = ex * ux + ey * uy + ez * uz
        x = proj / r if r > 0.0 else 1.0
        x = min(1.0, max(-1.0, x))
        # component of the electrode position orthogonal to the dipole's radius, / r
        vx = (ex - proj * ux) / r if r > 0.0 else 0.0
        vy = (ey - proj * uy) / r if r > 0.0 else 0.0
        vz = (ez - proj * uz) / r if r > 0.0 else 0.0
        k = 0
        while k < 3 and r > radii[k]:
            k += 1
        rk = radii[k]
        pref = k_inf / (rz * rz)
        t_a = rz * r / (rk * rk)
        t_b = rz / r if r > 0.0 else 0.0
        # closed forms of the asymptotic parts: sum n t^n P_n = t (x - t) / D^1.5,
        # sum t^n P_n' = t / D^1.5 with D = 1 - 2 x t + t^2
        d_a = max(1.0 - 2.0 * x * t_a + t_a * t_a, 1e-300)
        s_rad = alpha_inf[k] * (rz / rk) * t_a * (x - t_a) / d_a ** 1.5
        s_tan = alpha_inf[k] * (rz / rk) * t_a / d_a ** 1.5
        use_b = k > 0
        if use_b:
            d_b = max(1.0 - 2.0 * x * t_b + t_b * t_b, 1e-300)
            s_rad += beta_inf[k] * t_b * t_b * (x - t_b) / d_b ** 1.5
            s_tan += beta_inf[k] * t_b * t_b / d_b ** 1.5
        scale = abs(s_rad) + abs(s_tan)
        if k == 0:
            scale += t_b * t_b / max(1.0 - 2.0 * x * t_b + t_b * t_b, 1e-300)  # direct term / pref
        res_rad, res_tan = _series(t_a, t_b, x, dalpha[k], rz / rk, dbeta[k], use_b,
                                   max_terms, tol * max(scale, 1e-300))
        rad = pref * (s_rad + res_rad)
        tan = pref * (s_tan + res_tan)
        gx = rad * ux + tan * vx
        gy = rad * uy + tan * vy
        gz = rad * uz + tan * vz
        if k == 0:  # the direct field in the brain: infinite homogeneous medium, closed form
            ddx, ddy, ddz = ex - dx, ey - dy, ez - dz
            dist = max(math.sqrt(ddx * ddx + ddy * ddy + ddz * ddz), r_min)
            f = k_inf / (dist * dist * dist)
            gx += f * ddx
            gy += f * ddy
            gz += f * ddz
        out[i, j, 0] = gx
        out[i, j, 1] = gy
        out[i, j, 2] = gz
    return out
