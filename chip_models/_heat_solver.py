r"""Finite-volume solver of the steady Pennes equation on a non-uniform Cartesian grid.

.. math:: \nabla\cdot(k \nabla\theta) - w\,\theta + q = 0, \qquad \theta = T - T_a

Cell-centred finite volumes (a 7-point stencil): the conductance between neighbouring cells is
``A / (d_i/(2 k_i) + d_j/(2 k_j))`` (series resistances, exact for a material interface on a
face), perfusion ``w V`` on the diagonal, source ``q V``. Faces of the box: ``'symmetry'``
(no flux; a mirror plane through the implant's centre), ``'zero'`` (θ = 0, far tissue at the
arterial temperature) or ``'insulated'``. The matrix is symmetric positive definite and is
solved directly (SuperLU). Units: lengths in m, k in W/(m·K), w in W/(m³·K), q in W/m³.

Inputs are trusted (the public functions in :mod:`chip_models.heat` validate them).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import spsolve

FACE_KINDS = ("symmetry", "zero", "insulated")


def axis_edges(breaks, h_fine, low, high, growth=1.3):
    """Cell edges: uniform (<= ``h_fine``) between the sorted ``breaks``, then cells growing
    by ``growth`` from the first break down to ``low`` and from the last up to ``high``
    (either may equal its break: no graded part)."""
    breaks = np.asarray(sorted(set(float(b) for b in breaks)))
    edges = [breaks[:1]]
    for a, b in zip(breaks[:-1], breaks[1:]):
        n = max(int(np.ceil((b - a) / h_fine - 1e-9)), 1)
        edges.append(np.linspace(a, b, n + 1)[1:])
    inner = np.concatenate(edges)

    def graded(start, end):
        out, pos, h = [], start, h_fine
        while abs(end - pos) > 1e-12:
            h *= growth
            step = min(h, abs(end - pos))
            if abs(end - pos) - step < 0.5 * h:  # no sliver at the end
                step = abs(end - pos)
            pos = pos + step if end > start else pos - step
            out.append(pos)
        return np.asarray(out)

    lo = graded(inner[0], low)[::-1] if low < inner[0] else np.zeros(0)
    hi = graded(inner[-1], high) if high > inner[-1] else np.zeros(0)
    return np.concatenate([lo, inner, hi])


def solve_pennes(x_edges, y_edges, z_edges, k, w, q, faces):
    """Steady temperature rise θ (K) in every cell, shape ``k.shape`` = (nx, ny, nz).

    Parameters
    ----------
    x_edges, y_edges, z_edges : np.ndarray
        Cell edges (m), increasing.
    k, w, q : np.ndarray, shape (nx, ny, nz)
        Conductivity W/(m·K), perfusion ω_b c_b W/(m³·K), power density W/m³.
    faces : dict
        Kind of each face of the box, keys ``'x0', 'x1', 'y0', 'y1', 'z0', 'z1'``, values in
        ``FACE_KINDS``.
    """
    dx, dy, dz = np.diff(x_edges), np.diff(y_edges), np.diff(z_edges)
    nx, ny, nz = k.shape
    n = k.size
    idx = np.arange(n).reshape(k.shape)
    vol = dx[:, None, None] * dy[None, :, None] * dz[None, None, :]
    diag = (w * vol).ravel().astype(float)
    rows, cols, vals = [], [], []
    d = (dx, dy, dz)
    for axis in range(3):
        # half-cell resistance per unit area d / (2 k) and face area of every cell
        half = np.expand_dims(d[axis] / 2.0, tuple(a for a in range(3) if a != axis)) / k
        area = vol / np.expand_dims(d[axis], tuple(a for a in range(3) if a != axis))
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[axis], hi[axis] = slice(0, -1), slice(1, None)
        g = area[tuple(lo)] / (half[tuple(lo)] + half[tuple(hi)])
        i, j = idx[tuple(lo)].ravel(), idx[tuple(hi)].ravel()
        rows += [i, j]
        cols += [j, i]
        vals += [-g.ravel(), -g.ravel()]
        np.add.at(diag, i, g.ravel())
        np.add.at(diag, j, g.ravel())
        for end, key in ((0, "xyz"[axis] + "0"), (-1, "xyz"[axis] + "1")):
            if faces[key] != "zero":
                continue
            s = [slice(None)] * 3
            s[axis] = end
            np.add.at(diag, idx[tuple(s)].ravel(), (area[tuple(s)] / half[tuple(s)]).ravel())
    rows.append(np.arange(n))
    cols.append(np.arange(n))
    vals.append(diag)
    a = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(n, n))
    theta = spsolve(a.tocsc(), (q * vol).ravel())
    return theta.reshape(nx, ny, nz)
