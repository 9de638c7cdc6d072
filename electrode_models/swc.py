"""Reading reconstructed morphologies in the SWC format (NeuroMorpho.org, LFPy, MEArec exports).

An SWC file lists one point per line, ``id type x y z radius parent_id`` (µm; ``#`` starts a
comment; parent -1 for a root). Types: 1 soma, 2 axon, 3 basal dendrite, 4 apical dendrite,
others custom. The soma is one point (a sphere of that radius) or several: the NeuroMorpho
three-point convention (centre and two points one radius away) or a contour/stack of points.
`electrode_models.cells.load_swc` turns a file into a
`electrode_models.morphology.Morphology`.

Assumptions
-----------
- The soma becomes one cylinder along z, length = diameter = ``2 r``, centred at the origin;
  ``r`` is the point's radius (one point) or the mean over soma points of max(radius, distance
  to their centroid) (three-point soma: exactly the radius; contour: its mean radius).
- A dendrite leaving the soma starts on the soma sphere (its first point projected onto it when
  outside); pieces between consecutive points carry the mean of their end diameters.
- Unbranched runs of points are merged greedily into straight segments of at most
  ``max_segment_um`` path length (pieces longer than that are split), so the cable and the
  line sources see a few hundred segments, not thousands of points.

References
----------
Cannon R. C. et al. (1998) An on-line archive of reconstructed hippocampal neurons. J Neurosci
Methods 84, 49-54 (the SWC format). Ascoli G. A. et al. (2007) NeuroMorpho.Org. J Neurosci 27,
9247-9251.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np

from ._validation import check_range

logger = logging.getLogger(__name__)


def read_swc(path) -> dict:
    """Parse an SWC file into arrays ``id``, ``type`` (int64), ``xyz_um`` (n, 3), ``radius_um``,
    ``parent`` (int64, -1 for roots). Raises ``ValueError`` naming the line of a bad row."""
    path = Path(path)
    rows = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for k, line in enumerate(fh, 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            f = text.split()
            try:
                if len(f) < 7:
                    raise ValueError
                rows.append((int(f[0]), int(f[1]), float(f[2]), float(f[3]), float(f[4]),
                             float(f[5]), int(float(f[6]))))
            except ValueError:
                raise ValueError(f"{path}: line {k} must be 'id type x y z radius parent' "
                                 f"(7 numbers), got {text!r}") from None
    if not rows:
        raise ValueError(f"{path}: no SWC points found")
    a = np.array(rows, dtype=float)
    ids = a[:, 0].astype(np.int64)
    if np.unique(ids).size != ids.size:
        raise ValueError(f"{path}: point ids must be unique")
    par = a[:, 6].astype(np.int64)
    missing = sorted(set(par[par >= 0].tolist()) - set(ids.tolist()))
    if missing:
        raise ValueError(f"{path}: parent ids {missing[:5]} do not exist")
    xyz = a[:, 2:5]
    rad = a[:, 5]
    if not (np.all(np.isfinite(xyz)) and np.all(np.isfinite(rad)) and np.all(rad >= 0)):
        raise ValueError(f"{path}: coordinates must be finite and radii >= 0 µm")
    return {"id": ids, "type": a[:, 1].astype(np.int64), "xyz_um": xyz, "radius_um": rad,
            "parent": par}


def _rotation_to_z(v: np.ndarray) -> np.ndarray:
    """Rotation matrix taking the unit vector ``v`` to +z (Rodrigues)."""
    z = np.array([0.0, 0.0, 1.0])
    c = float(v @ z)
    if c < -1.0 + 1e-12:
        return np.diag([1.0, -1.0, -1.0])
    w = np.cross(v, z)
    wx = np.array([[0, -w[2], w[1]], [w[2], 0, -w[0]], [-w[1], w[0], 0]])
    return np.eye(3) + wx + wx @ wx / (1.0 + c)


def swc_to_segments(pts: dict, *, align_apical: bool = True, max_segment_um: float = 25.0,
                    swc_types=(1, 3, 4)):
    """Segments ``(start_um, end_um, diam_um, parent)`` of the points of `read_swc`
    (see the module Assumptions); the soma is segment 0 centred at the origin."""
    max_seg = check_range("max_segment_um", max_segment_um, 0.0, 1000.0, "µm",
                          low_inclusive=False)
    keep_types = {int(t) for t in swc_types}
    typ, par, xyz, rad = pts["type"], pts["parent"], pts["xyz_um"], pts["radius_um"]
    row = {int(i): k for k, i in enumerate(pts["id"])}
    soma = typ == 1
    if not soma.any():
        raise ValueError("an SWC morphology needs at least one soma point (type 1)")
    centre = xyz[soma].mean(axis=0)
    r = float(np.mean(np.maximum(rad[soma], np.linalg.norm(xyz[soma] - centre, axis=1))))
    if not r > 0:
        raise ValueError("the SWC soma must have a radius > 0 µm")
    pos = xyz - centre
    children: dict[int, list[int]] = {k: [] for k in range(len(typ))}
    for k, p in enumerate(par):
        if p >= 0:
            children[row[int(p)]].append(k)
    apical = (typ == 4) & (4 in keep_types)
    if align_apical and apical.any():
        v = pos[apical].mean(axis=0)
        if np.linalg.norm(v) > 0:
            pos = pos @ _rotation_to_z(v / np.linalg.norm(v)).T
    start, end, diam, parent = [[0.0, 0.0, -r]], [[0.0, 0.0, r]], [2.0 * r], [-1]

    def emit(a, b, d, p):
        d = max(d, 0.1)  # radius-0 points (an SWC defect) would give a cable without membrane
        start.append(list(a))
        end.append(list(b))
        diam.append(d)
        parent.append(p)
        return len(diam) - 1

    stack = []
    for k in np.nonzero(soma)[0]:
        for c in children[int(k)]:
            if typ[c] != 1 and typ[c] in keep_types:
                n = np.linalg.norm(pos[c])
                s0 = pos[c] * (r / n) if n > r else pos[c]
                stack.append((c, s0, 0, None))
    dropped = int(np.sum(~soma & np.isin(typ, list(keep_types))))
    while stack:
        j, prev, pseg, dprev = stack.pop()
        seg_start, acc_len, acc_dl = np.asarray(prev, float), 0.0, 0.0
        prev = np.asarray(prev, float)
        while True:
            dropped -= 1
            p, dj = pos[j], 2.0 * rad[j]
            L = float(np.linalg.norm(p - prev))
            dpiece = dj if dprev is None else 0.5 * (dj + dprev)
            if acc_len > 0 and acc_len + L > max_seg:
                pseg = emit(seg_start, prev, acc_dl / acc_len, pseg)
                seg_start, acc_len, acc_dl = prev, 0.0, 0.0
            n_split = max(1, int(math.ceil(L / max_seg - 1e-9)))
            for q in range(1, n_split):  # pieces longer than max_seg: equal parts
                a = prev + (p - prev) * (q - 1) / n_split
                b = prev + (p - prev) * q / n_split
                pseg = emit(a, b, dpiece, pseg)
                seg_start = b
            acc_len += L / n_split
            acc_dl += dpiece * L / n_split
            kids = [c for c in children[j] if typ[c] in keep_types and typ[c] != 1]
            if len(kids) != 1:
                if acc_len > 0:
                    pseg = emit(seg_start, p, acc_dl / acc_len, pseg)
                for c in kids:
                    stack.append((c, p, pseg, dj))
                break
            prev, dprev, j = p, dj, kids[0]
    if dropped > 0:
        logger.warning("SWC: %d points not connected to the soma through kept types were dropped",
                       dropped)
    return (np.array(start, float), np.array(end, float), np.array(diam, float),
            np.array(parent, np.int64))
