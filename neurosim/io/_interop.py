"""Shared helpers of the interop readers and writers (SpikeInterface, NWB).

Opening a file checks that it is a neurosim file and that it holds what the caller needs, so that
a wrong file fails with one clear message naming the file and the problem instead of a ``KeyError``
deep inside h5py, SpikeInterface or pynwb.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import h5py
import numpy as np

from neurosim.io.schema import FORMAT_NAME

__all__ = ["open_neurosim", "read_probegroup", "planar_axes", "to_2d_probe", "read_cell_type_labels",
           "CELL_TYPE_LABELS"]

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
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"neurosim file {str(path)!r} does not exist")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ValueError(f"{str(path)!r} is not an HDF5 file ({exc})") from exc
    with f:
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


def to_2d_probe(probe):
    """A 2D copy of a 3D probeinterface probe in the plane of its largest contact spread.

    Keeps contact ids, device channel indices and annotations; the chosen plane is recorded in the
    annotation ``neurosim_plane_axes`` (e.g. ``"xz"``: 2D x is tissue x, 2D y is tissue z).
    """
    if probe.ndim == 2:
        return probe
    axes = planar_axes(probe.contact_positions)
    p2 = probe.to_2d(axes=axes)
    p2.set_contact_ids(probe.contact_ids)
    if probe.device_channel_indices is not None:
        p2.set_device_channel_indices(probe.device_channel_indices)
    p2.annotate(**probe.annotations)
    p2.annotate(neurosim_plane_axes=axes)
    return p2


def read_cell_type_labels(codes: np.ndarray) -> np.ndarray:
    """Cell-type names (``"pyramidal"``, ``"interneuron"``, ``"unknown"``) of schema codes."""
    codes = np.asarray(codes, int)
    names = np.array(CELL_TYPE_LABELS + ("unknown",))
    return names[np.where((codes >= 0) & (codes < len(CELL_TYPE_LABELS)), codes, len(CELL_TYPE_LABELS))]
