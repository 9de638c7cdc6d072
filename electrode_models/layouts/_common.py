"""Shared helpers of the layout generators (plane axes, grids)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: contact plane axes whose cross product (the normal) points to +y, -z, +z
AXES_FACE_Y = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])   # z x x = +y
AXES_FACE_DOWN = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])  # y x x = -z
AXES_FACE_UP = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])    # x x y = +z
NP_SITE_RADIUS_UM = 12.0 / np.sqrt(np.pi)  # disc of the area of a 12 x 12 µm square site


@dataclass
class Layout:
    """What a generator returns: contact centres (n, 3) µm, plane axes (n, 2, 3), annotations."""

    positions_um: np.ndarray
    plane_axes: np.ndarray
    annotations: dict
    shank_ids: np.ndarray | None = field(default=None)


def tile_axes(axes: np.ndarray, n: int) -> np.ndarray:
    """Repeat one (2, 3) pair of plane axes for ``n`` contacts."""
    return np.tile(np.asarray(axes, float), (n, 1, 1))


def centred_grid(rows: int, cols: int, pitch_um: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row index, column index and (x, y) µm of a rows x cols grid centred on (0, 0)."""
    ii, jj = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    xy = np.stack([(jj - (cols - 1) / 2.0) * pitch_um, (ii - (rows - 1) / 2.0) * pitch_um], axis=1)
    return ii, jj, xy
