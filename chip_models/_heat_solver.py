r"""Finite-volume solver of the steady Pennes equation on a non-uniform Cartesian grid.

.. math:: \nabla\cdot(k \nabla\theta) - w\,\theta + q = 0, \qquad \theta = T - T_a

Cell-centred finite volumes (a 7-point stencil): the conductance between neighbouring cells is
``A / (d_i/(2 k_i) + d_j/(2 k_j))`` (series resistances, exact for a material interface on a
face), perfusion ``w V`` on the diagonal, source ``q V``. Faces of the box: ``'symmetry'``
(no flux; a mirror plane through the implant's centre), ``'zero'`` (θ = 0, far tissue at the
arterial temperature) or ``'insulated'``. The matrix is symmetric positive definite and is
solved directly (SuperLU, minimum-degree ordering of A + Aᵀ). Units: lengths in m, k in
W/(m·K), w in W/(m³·K), q in W/m³.

Inputs are trusted (the public functions in `chip_models.heat` validate them).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import splu

FACE_KINDS = ("symmetry", "zero", "insulated")

#: Folder where `block_rise_K_per_mW` keeps its results across processes (None: none).
_RESULT_CACHE_DIR: Path | None = None


def set_result_cache_dir(directory) -> None:
    """Keep `block_rise_K_per_mW` results in ``directory`` (None: in this process only).

    A result is a pure function of the arguments and of this module's source, which both make
    its file name, so a cached value is the one the solver would return (~0.5 s saved per
    geometry and process).
    """
    global _RESULT_CACHE_DIR
    _RESULT_CACHE_DIR = None if directory is None else Path(directory)


def _cache_file(args: tuple) -> Path | None:
    if _RESULT_CACHE_DIR is None:
        return None
    key = hashlib.sha256(Path(__file__).read_bytes() + repr(args).encode()).hexdigest()[:32]
    return _RESULT_CACHE_DIR / f"heat-{key}.json"


def axis_edges(breaks, h_fine, low, high, growth=1.5, min_cells=2, max_cells=1000):
    """Cell edges: uniform cells (<= ``h_fine``, but ``min_cells`` to ``max_cells`` of them)
    between the sorted ``breaks``, then cells growing by ``growth`` from the first break down
    to ``low`` and from the last up to ``high`` (either may equal its break: no graded
    part)."""
    breaks = np.asarray(sorted(set(float(b) for b in breaks)))
    edges = [breaks[:1]]
    for a, b in zip(breaks[:-1], breaks[1:]):
        n = min(max(int(np.ceil((b - a) / h_fine - 1e-9)), min_cells), max_cells)
        edges.append(np.linspace(a, b, n + 1)[1:])
    inner = np.concatenate(edges)

    def graded(start, end, h):
        out, pos = [], start
        while abs(end - pos) > 1e-12 * max(abs(end), 1.0):
            h *= growth
            step = min(h, abs(end - pos))
            if abs(end - pos) - step < 0.5 * h:  # no sliver at the end
                step = abs(end - pos)
            pos = pos + step if end > start else pos - step
            out.append(pos)
        return np.asarray(out)

    h0 = min(h_fine, inner[1] - inner[0]) if inner.size > 1 else h_fine
    h1 = min(h_fine, inner[-1] - inner[-2]) if inner.size > 1 else h_fine
    lo = graded(inner[0], low, h0)[::-1] if low < inner[0] else np.zeros(0)
    hi = graded(inner[-1], high, h1) if high > inner[-1] else np.zeros(0)
    return np.concatenate([lo, inner, hi])


def solve_pennes(x_edges, y_edges, z_edges, k, w, q, faces):
    """Steady temperature rise θ (K) in every cell, shape ``k.shape`` = (nx, ny, nz).

    Parameters
    ----------
    x_edges, y_edges, z_edges : np.ndarray
        Cell edges (m), increasing.
    k : np.ndarray, shape (nx, ny, nz), or a tuple of three such arrays
        Conductivity W/(m·K), isotropic or along x, y, z (a bed of shanks).
    w, q : np.ndarray, shape (nx, ny, nz)
        Perfusion ω_b c_b W/(m³·K) and power density W/m³.
    faces : dict
        Kind of each face of the box, keys ``'x0', 'x1', 'y0', 'y1', 'z0', 'z1'``, values in
        ``FACE_KINDS``.
    """
    dx, dy, dz = np.diff(x_edges), np.diff(y_edges), np.diff(z_edges)
    k_axes = tuple(k) if isinstance(k, tuple) else (k, k, k)
    nx, ny, nz = w.shape
    n = w.size
    idx = np.arange(n).reshape(w.shape)
    vol = dx[:, None, None] * dy[None, :, None] * dz[None, None, :]
    diag = (w * vol).ravel().astype(float)
    rows, cols, vals = [], [], []
    d = (dx, dy, dz)
    for axis in range(3):
        # half-cell resistance per unit area d / (2 k) and face area of every cell
        half = np.expand_dims(d[axis] / 2.0, tuple(a for a in range(3) if a != axis)) / k_axes[axis]
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
    theta = splu(a.tocsc(), permc_spec="MMD_AT_PLUS_A",
                 options=dict(SymmetricMode=True)).solve((q * vol).ravel())
    return theta.reshape(nx, ny, nz)


@functools.lru_cache(maxsize=256)
def block_rise_K_per_mW(width_mm, height_mm, thickness_mm, shank_length_mm, shank_fill,
                        bed_width_mm, bed_height_mm, k_implant, k_tissue, perfusion, above,
                        layers=(), cells_per_half_width=10, growth=1.4):
    """Mean temperature rise (K) of a silicon block dissipating 1 mW; cached by geometry.

    Quarter domain (mirror planes x = 0 and y = 0 through the block's centre). The cortical
    surface is z = 0; the block fills 0 <= z <= thickness over its footprint; the bed of
    shanks -shank_length <= z <= 0 below the footprint is an effective medium (shanks along
    z in parallel, k_z = f k_Si + (1 - f) k; across them a dilute array of good conductors,
    k_xy = k (1 + f) / (1 - f), Maxwell Garnett; perfusion (1 - f) w); perfused tissue fills
    z < 0 (the bed's footprint ``bed_width_mm`` x ``bed_height_mm`` may be smaller than the
    block's, as for an IC larger than the array it is bonded to). Above the surface:
    ``'tissue'`` (perfused tissue, the block embedded), ``'insulated'`` (nothing conducts:
    all heat into the brain), or ``'layers'``: the slabs
    ``layers = ((thickness_mm, k, w), ...)`` stacked from z = 0 (the block protrudes into
    them) with an insulated top. Far faces (10 perfusion lengths, at least 5 widths and
    10 mm away) are at the arterial temperature. Cells: ``cells_per_half_width`` across the
    block's half width, at most 0.2 mm in z (two to eight per layer), then growing by
    ``growth``; the default grid is within 2 % of a converged one (4 x 4 mm: 0.2 mm cells,
    ~15 000 unknowns, ~0.5 s).
    """
    args = (width_mm, height_mm, thickness_mm, shank_length_mm, shank_fill, bed_width_mm,
            bed_height_mm, k_implant, k_tissue, perfusion, above, layers, cells_per_half_width, growth)
    path = _cache_file(args)
    if path is not None and path.is_file():
        try:
            return float(json.loads(path.read_text())["rise_K_per_mW"])
        except (OSError, ValueError, KeyError):
            pass  # unreadable: solve again and rewrite it
    value = _solve_block_rise(*args)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"rise_K_per_mW": value, "args": repr(args)}))
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only cache only costs time
    return value


def _solve_block_rise(width_mm, height_mm, thickness_mm, shank_length_mm, shank_fill,
                      bed_width_mm, bed_height_mm, k_implant, k_tissue, perfusion, above,
                      layers, cells_per_half_width, growth) -> float:
    """The solve of `block_rise_K_per_mW` (uncached)."""
    mm = 1e-3
    far = max(10.0 * np.sqrt(k_tissue / perfusion) / mm, 5.0 * max(width_mm, height_mm), 10.0)
    h_xy = max(width_mm, height_mm) / 2.0 / cells_per_half_width
    h_z = 0.2
    x = axis_edges([0.0, width_mm / 2.0, bed_width_mm / 2.0], h_xy, 0.0, far, growth) * mm
    y = axis_edges([0.0, height_mm / 2.0, bed_height_mm / 2.0], h_xy, 0.0, far, growth) * mm
    z_breaks = [0.0, thickness_mm] + ([-shank_length_mm] if shank_length_mm > 0.0 else [])
    tops = np.cumsum([t for t, _, _ in layers]) if above == "layers" else np.zeros(0)
    top = {"tissue": far, "insulated": thickness_mm}.get(above,
                                                        float(tops[-1]) if tops.size else 0.0)
    z = axis_edges(z_breaks + list(tops), h_z, -far, max(top, thickness_mm), growth,
                   max_cells=8) * mm
    xc, yc, zc = (0.5 * (e[1:] + e[:-1]) / mm for e in (x, y, z))
    X, Y, Z = np.meshgrid(xc, yc, zc, indexing="ij")
    foot = (X < width_mm / 2.0) & (Y < height_mm / 2.0)
    block = foot & (Z > 0.0) & (Z < thickness_mm)
    bed = (X < bed_width_mm / 2.0) & (Y < bed_height_mm / 2.0) & (Z < 0.0) & (Z > -shank_length_mm)
    k = np.full(X.shape, float(k_tissue))
    w = np.full(X.shape, float(perfusion))
    if above == "insulated":
        k[Z > 0.0], w[Z > 0.0] = 1e-9 * k_tissue, 0.0
    elif above == "layers":
        lo = 0.0
        for (t, k_layer, w_layer), hi in zip(layers, tops):
            sel = (Z > lo) & (Z < hi)
            k[sel], w[sel] = k_layer, w_layer
            lo = hi
    k[block], w[block] = k_implant, 0.0
    kz = k.copy()
    kz[bed] = shank_fill * k_implant + (1.0 - shank_fill) * k_tissue
    k[bed] = k_tissue * (1.0 + shank_fill) / (1.0 - shank_fill)
    w[bed] = (1.0 - shank_fill) * perfusion
    vol = np.diff(x)[:, None, None] * np.diff(y)[None, :, None] * np.diff(z)[None, None, :]
    q = np.where(block, 1e-3 / (4.0 * vol[block].sum()), 0.0)  # 1 mW, a quarter of it here
    faces = dict(x0="symmetry", y0="symmetry", x1="zero", y1="zero", z0="zero",
                 z1="zero" if above == "tissue" else "insulated")
    theta = solve_pennes(x, y, z, (k, k, kz), w, q, faces)
    return float((theta[block] * vol[block]).sum() / vol[block].sum())
