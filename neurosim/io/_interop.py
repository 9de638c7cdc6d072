"""Shared helpers of the interop readers and writers (SpikeInterface, NWB).

Opening a file checks that it is a neurosim file and that it holds what the caller needs, so that
a wrong file fails with one clear message naming the file and the problem instead of a ``KeyError``
deep inside h5py, SpikeInterface or pynwb.

`ProbeFrame` maps the twin's tissue frame to the probe frame SpikeInterface works in (the
2-D channel locations plus the signed distance off the probe plane); the SpikeInterface readers
and the NWB export both use it, so channel locations, ``rel_x``/``rel_y`` and unit locations agree.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from neurosim.io.schema import FORMAT_NAME

__all__ = ["open_neurosim", "read_probegroup", "planar_axes", "to_2d_probe", "ProbeFrame",
           "read_cell_type_labels", "CELL_TYPE_LABELS"]

#: Names of the ``ground_truth/units/cell_type`` codes (schema: 0 pyramidal, 1 interneuron).
CELL_TYPE_LABELS = ("pyramidal", "interneuron")


@contextlib.contextmanager
def open_neurosim(path, required: tuple[str, ...] = ()):
    """Open a neurosim HDF5 file read-only, after checking it.

    Parameters
    ----------
    path : str or Path
        The neurosim file.
    required : tuple of str
        Schema paths (datasets or groups) the caller needs.

    Yields
    ------
    h5py.File

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When ``path`` is not an HDF5 file, not a neurosim file (root attribute ``format``), or
        lacks one of ``required``.
    """
    from neurosim.io.hdf5 import open_h5

    path = Path(path)
    with open_h5(path, wrap_errors=False) as f:  # errors of the caller's block stay theirs
        fmt = f.attrs.get("format")
        if isinstance(fmt, bytes):
            fmt = fmt.decode()
        if fmt != FORMAT_NAME:
            raise ValueError(f"{str(path)!r} is not a neurosim file (root attribute 'format' is "
                             f"{fmt!r}, expected {FORMAT_NAME!r})")
        missing = [p for p in required if p not in f]
        if missing:
            raise ValueError(f"neurosim file {str(path)!r} lacks {', '.join('/' + p for p in missing)}")
        yield f


def read_probegroup(f: h5py.File):
    """The probe group stored in ``/probe/probeinterface_json`` of an open neurosim file."""
    import probeinterface

    raw = f["probe/probeinterface_json"][()]
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    return probeinterface.ProbeGroup.from_dict(json.loads(text))


def planar_axes(positions_um: np.ndarray) -> str:
    """The two tissue axes along which contacts spread most, e.g. ``"xz"`` for a vertical shank.

    Parameters
    ----------
    positions_um : np.ndarray, shape (num_contacts, 3)
        Contact centres, µm.

    Returns
    -------
    axes : str
        Two of ``"x"``, ``"y"``, ``"z"`` in that order (ties go to the earlier axis).
    """
    spread = np.ptp(np.asarray(positions_um, float), axis=0) if len(positions_um) else np.zeros(3)
    keep = sorted(np.argsort(-spread, kind="stable")[:2])
    return "".join("xyz"[i] for i in keep)


def to_2d_probe(probe, axes: str | None = None):
    """A 2D copy of a 3D probeinterface probe, keeping two tissue axes.

    Parameters
    ----------
    probe : probeinterface.Probe
        A 3-D probe (a 2-D one is returned unchanged).
    axes : str, optional
        The two tissue axes kept, e.g. ``"xz"`` (2-D x is tissue x, 2-D y is tissue z). Default:
        `planar_axes` of the probe's contacts.

    Returns
    -------
    probeinterface.Probe
        Contact ids, device channel indices and annotations kept; the axes are recorded in the
        annotation ``neurosim_plane_axes``.
    """
    if probe.ndim == 2:
        return probe
    axes = planar_axes(probe.contact_positions) if axes is None else axes
    p2 = probe.to_2d(axes=axes)
    p2.set_contact_ids(probe.contact_ids)
    if probe.device_channel_indices is not None:
        p2.set_device_channel_indices(probe.device_channel_indices)
    p2.annotate(**probe.annotations)
    p2.annotate(neurosim_plane_axes=axes)
    return p2


@dataclass(frozen=True)
class ProbeFrame:
    """SpikeInterface's frame of a probe placed in the twin's tissue frame.

    The twin's tissue frame (µm): x, y horizontal, z up, cortical surface ``z = 0``, depth ``-z``.
    SpikeInterface works in the probe's frame: channel locations are 2-D coordinates in the probe
    plane and unit locations add a third column, the distance off that plane (its generator puts
    units at ``z > 0``, in front of contacts that face ``+z``). The 2-D frame here is the one of
    the probe that `to_2d_probe` attaches: the two tissue axes along which the contacts
    spread most (``"xz"`` for Neuropixels-like, linear, multi-shank probes and a single thread,
    ``"xy"`` for Utah arrays, tetrodes, ECoG/µECoG and epidural grids and the stent), or, when
    two contacts would fall on one 2-D point, the next pair that keeps the contacts apart (within
    each shank when no pair keeps them all apart: ``"xz"`` for threads on a grid, each thread
    then its own 2-D probe). Mapping a tissue point ``p``::

        u = p[a0],  v = p[a1]                     (the kept axes a0 < a1: channel locations)
        w = s · (p[k] - c)                        (contacts in one plane normal to tissue axis k)
        w = p[k]                                  (contacts not in one such plane)

    with ``c`` the contacts' common coordinate along ``k`` and ``s = ±1`` the side the contacts
    face (sign of their summed normals along ``k``; ``+1`` when they face both ways). So ``w > 0``
    is in front of the contacts, as in SpikeInterface: Neuropixels 1.0 (sites face +y):
    ``(x, z, y - c)``; Utah (tips face +z): ``(x, y, z - z_tip)`` (above the tips > 0); ECoG /
    µECoG / epidural (face -z): ``(x, y, c - z)``, the depth below the grid.

    Assumptions
    -----------
    - One frame for the whole probe group (the twin writes one probe per file).
    - Contacts are "in one plane" when their spread along ``k`` is at most ``planar_tol_um``.
      A probe whose contacts are not (threads at several insertion points of a grid, the stent's
      helix, a tilted custom probe) has no off-plane distance: ``w`` is then the tissue
      coordinate along ``k`` (the 2-D probe is a projection; use ``probe_ndim=3``, the tissue
      frame, for such probes).
    - For a coplanar probe the map is an isometry (a permutation of axes, possibly a reflection,
      and a shift along ``k``), so distances between units and contacts are kept.

    References
    ----------
    Buccino A. P. et al. (2020) SpikeInterface, a unified framework for spike sorting. eLife 9,
    e61834 (``generate_ground_truth_recording``: ``gt_unit_locations`` in the probe's frame).
    Boussard J. et al. (2021) Three-dimensional spike localization and improved motion
    correction for Neuropixels recordings. NeurIPS 34 (monopolar triangulation, used to check).

    Attributes
    ----------
    axes : str
        The kept tissue axes, e.g. ``"xz"``.
    normal_axis : int
        Tissue axis ``k`` (0, 1, 2) off the 2-D plane.
    sign : float
        ``s``: +1 or -1.
    plane_um : float or None
        ``c``, µm; None when the contacts are not in one plane normal to ``k``.
    """

    axes: str
    normal_axis: int
    sign: float
    plane_um: float | None

    @classmethod
    def of(cls, contact_positions_um, contact_plane_axes=None, shank_ids=None,
           planar_tol_um: float = 1.0) -> "ProbeFrame":
        """The frame of contacts at ``contact_positions_um`` (C, 3) µm, tissue frame.

        ``contact_plane_axes`` (C, 2, 3): probeinterface plane axes, whose cross product is each
        contact's outward normal (default: all facing ``+k``). ``shank_ids`` (C,): the shank of
        each contact (default: one shank).
        """
        pos = np.asarray(contact_positions_um, float).reshape(-1, 3)
        axes = _distinct_axes(pos, shank_ids)
        k = 3 - sum("xyz".index(a) for a in axes)
        if pos.shape[0] == 0 or np.ptp(pos[:, k]) > planar_tol_um:
            return cls(axes, k, 1.0, None)
        sign = 1.0
        if contact_plane_axes is not None:
            ax = np.asarray(contact_plane_axes, float).reshape(-1, 2, 3)
            facing = float(np.cross(ax[:, 0], ax[:, 1])[:, k].sum())
            sign = -1.0 if facing < 0 else 1.0
        return cls(axes, k, sign, float(np.median(pos[:, k])))

    @classmethod
    def of_probegroup(cls, group, planar_tol_um: float = 1.0) -> "ProbeFrame":
        """The frame of all contacts of a probeinterface ``ProbeGroup`` of 3-D probes."""
        probes = list(group.probes)
        if not probes:
            return cls.of(np.zeros((0, 3)))
        pos = np.concatenate([p.contact_positions for p in probes])
        plane = [p.contact_plane_axes for p in probes]
        plane = None if any(a is None for a in plane) else np.concatenate(plane)
        return cls.of(pos, plane, _shank_keys(group), planar_tol_um)

    @property
    def planar(self) -> bool:
        """True when the contacts lie in one plane (``w`` is the distance off it)."""
        return self.plane_um is not None

    def to_probe(self, points_um) -> np.ndarray:
        """Tissue-frame points (n, 3) µm -> probe-frame ``(u, v, w)`` (n, 3) µm."""
        p = np.asarray(points_um, float).reshape(-1, 3)
        out = np.empty_like(p)
        out[:, 0], out[:, 1] = p[:, "xyz".index(self.axes[0])], p[:, "xyz".index(self.axes[1])]
        k = self.normal_axis
        out[:, 2] = p[:, k] if self.plane_um is None else self.sign * (p[:, k] - self.plane_um)
        return out


def _shank_keys(group) -> np.ndarray:
    """One key per contact of a probe group: ``"<probe index>:<shank id>"``."""
    keys = []
    for i, p in enumerate(group.probes):
        shanks = p.shank_ids if p.shank_ids is not None else [""] * p.get_contact_count()
        keys += [f"{i}:{s}" for s in shanks]
    return np.asarray(keys)


def _distinct_axes(pos: np.ndarray, shank_ids=None) -> str:
    """The pair of tissue axes of a 2-D view: `planar_axes`, else one keeping contacts apart.

    Tried in order: the pair of largest spread, then the other two by decreasing spread; the first
    that keeps every contact on its own 2-D point wins, else the first that does so within each
    shank, else the pair of largest spread.
    """
    first = planar_axes(pos)
    spread = np.ptp(pos, axis=0) if len(pos) else np.zeros(3)
    others = sorted((a for a in ("xy", "xz", "yz") if a != first),
                    key=lambda a: -(spread["xyz".index(a[0])] + spread["xyz".index(a[1])]))
    order = [first, *others]
    shanks = (np.zeros(len(pos), int) if shank_ids is None
              else np.unique(np.asarray(shank_ids), return_inverse=True)[1])

    def distinct(axes, by_shank):
        cols = pos[:, ["xyz".index(a) for a in axes]]
        keys = np.column_stack([shanks, cols]) if by_shank else cols
        return len(np.unique(keys, axis=0)) == len(pos)

    for by_shank in (False, True):
        for axes in order:
            if distinct(axes, by_shank):
                return axes
    return first


def read_cell_type_labels(codes: np.ndarray) -> np.ndarray:
    """Cell-type names (``"pyramidal"``, ``"interneuron"``, ``"unknown"``) of schema codes."""
    codes = np.asarray(codes, int)
    names = np.array(CELL_TYPE_LABELS + ("unknown",))
    return names[np.where((codes >= 0) & (codes < len(CELL_TYPE_LABELS)), codes, len(CELL_TYPE_LABELS))]
