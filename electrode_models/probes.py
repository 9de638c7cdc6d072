"""Probe layouts placed in the tissue frame, as ``probeinterface.Probe`` objects.

Tissue frame (µm): x, y lateral, z up; the cortical surface is ``z = 0`` and tissue is
``z < 0``. Every layout is returned already placed for insertion at lateral position
``(0, 0)``; callers translate it laterally with ``probe.move([x_um, y_um, 0])``.

The generators live in `electrode_models.layouts` (geometry, defaults and references per
layout): intracortical ``utah96``, ``utah``, ``neuropixels1``, ``neuropixels2``, ``threads``,
``linear``, ``multishank``, ``tetrode``; subdural ``ecog``, ``uecog``; ``epidural``;
endovascular ``stent``. Every probe is annotated with ``name``, ``manufacturer``, ``layout``
and ``anatomical_class`` (one of `ANATOMICAL_CLASSES`). Users bring their own layouts as
probeinterface JSON (`probe_from_json`; positions in the tissue frame, µm).

Sites are discs (probeinterface ``circle`` contacts) of radius ``site_radius_um``; square
sites (Neuropixels 12 x 12 µm) are modelled as discs of equal area.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import probeinterface as pi

from ._validation import check_option, check_range
from .layouts import REGISTRY

logger = logging.getLogger(__name__)

ANATOMICAL_CLASSES = ("intracortical", "subdural", "epidural", "endovascular")
_LAYOUTS = tuple(REGISTRY)
_NP1_SITE_RADIUS_UM = REGISTRY["neuropixels1"][1]


def list_layouts(anatomical_class: str | None = None) -> list[str]:
    """Names accepted by `make_probe`, optionally only those of one anatomical class."""
    if anatomical_class is None:
        return list(_LAYOUTS)
    check_option("anatomical_class", anatomical_class, ANATOMICAL_CLASSES)
    return [k for k, v in REGISTRY.items() if v[2] == anatomical_class]


def layout_anatomical_class(layout: str) -> str:
    """Anatomical class (intracortical, subdural, epidural, endovascular) of a layout name."""
    check_option("layout", layout, _LAYOUTS)
    return REGISTRY[layout][2]


def make_probe(layout: str, site_radius_um: float | None = None, **params) -> pi.Probe:
    """Build a probe layout placed in the tissue frame for insertion at ``(0, 0)``.

    Parameters
    ----------
    layout : str
        One of `list_layouts`.
    site_radius_um : float, optional
        Radius (µm) of the disc that models each site, in (0, 5000]. Defaults per layout:
        utah 20, neuropixels1/2 ``12/sqrt(pi)`` ≈ 6.77, threads 7, linear/multishank 7.5,
        tetrode 6.25, ecog 600, uecog 10, epidural 1000, stent 375.
    **params
        Layout parameters, see `electrode_models.layouts.intracortical` and
        `electrode_models.layouts.surface` (e.g. ``pitch_um``, ``num_channels``, ``rows``).

    Returns
    -------
    probeinterface.Probe
        ``ndim=3`` probe, circle contacts, ``contact_plane_axes`` set (their cross product is
        the outward normal), ``device_channel_indices = arange(n)``, ``contact_ids``, shank ids
        for multi-shank layouts, annotated with ``name``, ``manufacturer``, ``layout`` and
        ``anatomical_class``.
    """
    check_option("layout", layout, _LAYOUTS)
    builder, default_radius, anatomical_class = REGISTRY[layout]
    if site_radius_um is None:
        site_radius_um = default_radius
    site_radius_um = check_range("site_radius_um", site_radius_um, 0.0, 5000.0, "µm",
                                 low_inclusive=False)
    try:
        lay = builder(**params)
    except TypeError as exc:  # unknown keyword
        raise TypeError(f"make_probe({layout!r}): {exc}") from None
    n = lay.positions_um.shape[0]
    probe = pi.Probe(ndim=3, si_units="um")
    probe.set_contacts(positions=lay.positions_um, shapes="circle",
                       shape_params={"radius": site_radius_um}, plane_axes=lay.plane_axes,
                       contact_ids=[f"e{i}" for i in range(n)],
                       shank_ids=None if lay.shank_ids is None else [str(s) for s in lay.shank_ids])
    probe.set_device_channel_indices(np.arange(n))
    probe.annotate(**lay.annotations, layout=layout, anatomical_class=anatomical_class)
    logger.debug("built %s probe with %d contacts", layout, n)
    return probe


def contact_normals(probe: pi.Probe) -> np.ndarray:
    """Return unit normals (n_contacts, 3) of the contacts: cross product of the plane axes."""
    ax = np.asarray(probe.contact_plane_axes, dtype=float)
    nrm = np.cross(ax[:, 0, :], ax[:, 1, :])
    return nrm / np.linalg.norm(nrm, axis=1, keepdims=True)


def anatomical_class(probe: pi.Probe) -> str:
    """The probe's ``anatomical_class`` annotation; inferred for probes read from JSON without it.

    Inference: all contacts above the surface (z > 0) facing down -> ``epidural``; on the
    surface (|z| <= 1 µm) -> ``subdural``; otherwise ``intracortical``.
    """
    ann = probe.annotations.get("anatomical_class")
    if ann in ANATOMICAL_CLASSES:
        return ann
    z = np.asarray(probe.contact_positions, float)[:, 2]
    if np.all(np.abs(z) <= 1.0):
        return "subdural"
    if np.all(z > 1.0):
        return "epidural"
    return "intracortical"


def probe_to_json(probe: pi.Probe, path: str | Path) -> None:
    """Write ``probe`` to a probeinterface JSON file at ``path``."""
    pi.write_probeinterface(str(path), probe)


def probe_from_json(path: str | Path) -> pi.Probe:
    """Read the first probe of a probeinterface JSON file (3-D, µm, tissue frame).

    Raises ``ValueError`` for 2-D probes (place them in 3-D first, e.g.
    ``probe.to_3d(axes="xz")`` and move them into the tissue).
    """
    probe = pi.read_probeinterface(str(path)).probes[0]
    if probe.ndim != 3:
        raise ValueError(f"probe in {str(path)!r} must be 3-D (ndim=3, tissue frame), got ndim={probe.ndim}")
    return probe
