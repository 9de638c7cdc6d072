"""Probe layouts placed in the tissue frame, as ``probeinterface.Probe`` objects.

Tissue frame (µm): x, y lateral, z up; the cortical surface is ``z = 0`` and tissue is
``z < 0``. Every layout is returned already placed for insertion at lateral position
``(0, 0)``; callers translate it laterally with ``probe.move([x_um, y_um, 0])``.

Layouts
-------
``"utah96"``
    Utah array: 10 x 10 grid minus the 4 corners (96 contacts), ``pitch_um`` apart, centred on
    ``x = y = 0``. Each shank's base sits on the surface and its recording tip at
    ``z = -shank_length_um``. The exposed tip (really a ~30-80 µm long metallised cone) is
    modelled as a disc of radius ``site_radius_um`` (default 20 µm) facing down (normal z,
    contact plane xy).
``"neuropixels1"``
    Neuropixels-1.0-like single shank, 70 µm wide, ``num_channels`` contacts (the first bank),
    2 per row, rows 20 µm apart, x pattern (43, 11) / (59, 27) µm from the shank's left edge,
    re-centred so the shank axis is ``x = 0``. The tip is at ``z = -tip_depth_um`` and the
    lowest contact is 175 µm above it. Contacts face +y (contact plane xz). The real
    12 x 12 µm square site is modelled as a disc of equal area, radius ``12/sqrt(pi)`` µm.

References
----------
Maynard E. M. et al. (1997) The Utah intracortical electrode array. EEG Clin Neurophysiol 102.
Jun J. J. et al. (2017) Fully integrated silicon probes for high-density recording of neural
activity. Nature 551, 232-236.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import probeinterface as pi

from ._validation import check_int, check_option, check_range

logger = logging.getLogger(__name__)

_LAYOUTS = ("utah96", "neuropixels1")
_NP1_SITE_RADIUS_UM = 12.0 / np.sqrt(np.pi)


def list_layouts() -> list[str]:
    """Return the names accepted by :func:`make_probe`."""
    return list(_LAYOUTS)


def _utah96(site_radius_um: float, pitch_um: float = 400.0,
            shank_length_um: float = 1000.0) -> tuple[np.ndarray, np.ndarray, dict]:
    pitch_um = check_range("pitch_um", pitch_um, 10.0, 5000.0, "µm")
    shank_length_um = check_range("shank_length_um", shank_length_um, 10.0, 10000.0, "µm")
    ii, jj = np.meshgrid(np.arange(10), np.arange(10), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    corner = ((ii == 0) | (ii == 9)) & ((jj == 0) | (jj == 9))
    ii, jj = ii[~corner], jj[~corner]
    pos = np.zeros((96, 3))
    pos[:, 0] = (jj - 4.5) * pitch_um
    pos[:, 1] = (ii - 4.5) * pitch_um
    pos[:, 2] = -shank_length_um
    axes = np.tile(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), (96, 1, 1))
    return pos, axes, dict(name="utah96", manufacturer="Blackrock Neurotech")


def _neuropixels1(site_radius_um: float, num_channels: int = 384,
                  tip_depth_um: float = 3840.0 + 200.0) -> tuple[np.ndarray, np.ndarray, dict]:
    num_channels = check_int("num_channels", num_channels, 2, 960)
    if num_channels % 2:
        raise ValueError(f"num_channels must be an even integer in [2, 960], got {num_channels!r}")
    n_rows = num_channels // 2
    tip_depth_um = check_range("tip_depth_um", tip_depth_um, 175.0 + 20.0 * (n_rows - 1), 20000.0, "µm")
    row = np.repeat(np.arange(n_rows), 2)
    col = np.tile(np.arange(2), n_rows)
    pattern = np.array([[43.0, 11.0], [59.0, 27.0]])  # even rows, odd rows (µm from left edge)
    pos = np.zeros((num_channels, 3))
    pos[:, 0] = pattern[row % 2, col] - 35.0  # 70 µm wide shank -> axis at x = 0
    pos[:, 2] = -tip_depth_um + 175.0 + 20.0 * row
    # plane axes (z, x): normal = z cross x = +y, the side the sites face
    axes = np.tile(np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]), (num_channels, 1, 1))
    return pos, axes, dict(name="neuropixels1", manufacturer="IMEC")


_DEFAULT_RADIUS_UM = {"utah96": 20.0, "neuropixels1": _NP1_SITE_RADIUS_UM}
_BUILDERS = {"utah96": _utah96, "neuropixels1": _neuropixels1}


def make_probe(layout: str, site_radius_um: float | None = None, **params) -> pi.Probe:
    """Build a probe layout placed in the tissue frame for insertion at ``(0, 0)``.

    Parameters
    ----------
    layout : str
        One of :func:`list_layouts` (``"utah96"``, ``"neuropixels1"``).
    site_radius_um : float, optional
        Radius (µm) of the disc that models each recording site, in (0, 500]. Defaults: 20 µm
        for ``utah96`` (exposed tip as a disc), ``12/sqrt(pi)`` ≈ 6.77 µm for ``neuropixels1``
        (disc of the same area as the 12 x 12 µm square site).
    **params
        ``utah96``: ``pitch_um`` (400), ``shank_length_um`` (1000).
        ``neuropixels1``: ``num_channels`` (384, even, <= 960), ``tip_depth_um`` (4040).

    Returns
    -------
    probeinterface.Probe
        ``ndim=3`` probe, circle contacts of radius ``site_radius_um``, ``contact_plane_axes``
        set, ``device_channel_indices = arange(n)``, ``contact_ids`` set, annotated with
        ``name`` and ``manufacturer``.
    """
    check_option("layout", layout, _LAYOUTS)
    if site_radius_um is None:
        site_radius_um = _DEFAULT_RADIUS_UM[layout]
    site_radius_um = check_range("site_radius_um", site_radius_um, 0.0, 500.0, "µm", low_inclusive=False)
    try:
        pos, axes, ann = _BUILDERS[layout](site_radius_um, **params)
    except TypeError as exc:  # unknown keyword
        raise TypeError(f"make_probe({layout!r}): {exc}") from None
    n = pos.shape[0]
    probe = pi.Probe(ndim=3, si_units="um")
    probe.set_contacts(positions=pos, shapes="circle", shape_params={"radius": site_radius_um},
                       plane_axes=axes, contact_ids=[f"e{i}" for i in range(n)])
    probe.set_device_channel_indices(np.arange(n))
    probe.annotate(**ann)
    logger.debug("built %s probe with %d contacts", layout, n)
    return probe


def contact_normals(probe: pi.Probe) -> np.ndarray:
    """Return unit normals (n_contacts, 3) of the contacts: cross product of the plane axes."""
    ax = np.asarray(probe.contact_plane_axes, dtype=float)
    nrm = np.cross(ax[:, 0, :], ax[:, 1, :])
    return nrm / np.linalg.norm(nrm, axis=1, keepdims=True)


def probe_to_json(probe: pi.Probe, path: str | Path) -> None:
    """Write ``probe`` to a probeinterface JSON file at ``path``."""
    pi.write_probeinterface(str(path), probe)


def probe_from_json(path: str | Path) -> pi.Probe:
    """Read the first probe of a probeinterface JSON file."""
    return pi.read_probeinterface(str(path)).probes[0]
