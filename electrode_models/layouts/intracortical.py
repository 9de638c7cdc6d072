"""Intracortical layouts: Utah arrays, Neuropixels 1.0 / 2.0, threads, linear/multi-shank, tetrodes.

All are placed in the tissue frame (µm; x, y lateral, z up, cortical surface z = 0, tissue
z < 0) for insertion at lateral (0, 0). Each generator takes the layout parameters as keyword
arguments (floats accepted for integers, as they come from a design's ``layout_params``).

Geometry and defaults
---------------------
``utah`` / ``utah96``
    rows x cols grid (default 10 x 10 minus the 4 corners = 96), ``pitch_um`` 400, tips at
    ``z = -shank_length_um`` (1000), discs facing +z (the exposed tip, radius 20 µm).
``neuropixels1``
    One 70 µm shank, 2 staggered columns, 20 µm row pitch, sites facing +y (Jun et al. 2017).
``neuropixels2``
    4 shanks x 1280 sites (640 rows x 2 columns, 32 µm apart, 15 µm row pitch), shanks 250 µm
    apart along x; ``num_channels`` (384) sites are selected, split equally over the first
    ``num_shanks_used`` shanks (4), from row ``first_row`` (0) upward (Steinmetz et al. 2021).
``threads``
    ``num_threads`` (32) flexible threads of ``contacts_per_thread`` (32) contacts,
    ``pitch_um`` 50 along the thread, threads on a square grid ``thread_spacing_um`` (400)
    apart, deepest contact at ``-tip_depth_um`` (2000), sites facing +y, radius 7 µm
    (Musk & Neuralink 2019: 32 electrodes per thread, 96 threads = 3072 electrodes).
``linear`` / ``multishank``
    Michigan-style shanks: ``channels_per_shank`` contacts (32 / 16), ``pitch_um`` 25 apart,
    ``num_shanks`` (1 / 4) ``shank_spacing_um`` (200) apart, deepest at ``-tip_depth_um``
    (1500), sites facing +y, radius 7.5 µm (177 µm², the common NeuroNexus site).
``tetrode``
    ``num_tetrodes`` (1) bundles of 4 wire tips on a square of side ``wire_spacing_um`` (25),
    bundles ``tetrode_spacing_um`` (300) apart along x, tips at ``-tip_depth_um`` (1000)
    facing +z, radius 6.25 µm (12.5 µm wire).

References
----------
Maynard E. M. et al. (1997) EEG Clin Neurophysiol 102, 228-239.
Jun J. J. et al. (2017) Nature 551, 232-236.
Steinmetz N. A. et al. (2021) Neuropixels 2.0. Science 372, eabf4588.
Musk E. & Neuralink (2019) J Med Internet Res 21, e16194.
Gray C. M. et al. (1995) Tetrodes markedly improve ... J Neurosci Methods 63, 43-54.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_range
from ._common import (AXES_FACE_UP, AXES_FACE_Y, NP_SITE_RADIUS_UM, Layout, centred_grid,
                      tile_axes)


def utah(rows=10, cols=10, pitch_um=400.0, shank_length_um=1000.0, drop_corners=1) -> Layout:
    """Utah-style needle grid; ``drop_corners`` (0/1) removes the 4 corner needles."""
    rows = check_int("rows", rows, 1, 64)
    cols = check_int("cols", cols, 1, 64)
    pitch_um = check_range("pitch_um", pitch_um, 10.0, 5000.0, "µm")
    shank_length_um = check_range("shank_length_um", shank_length_um, 10.0, 10000.0, "µm")
    drop = check_int("drop_corners", drop_corners, 0, 1)
    ii, jj, xy = centred_grid(rows, cols, pitch_um)
    keep = np.ones(ii.size, bool)
    if drop and rows > 1 and cols > 1:
        keep = ~(((ii == 0) | (ii == rows - 1)) & ((jj == 0) | (jj == cols - 1)))
    n = int(keep.sum())
    pos = np.zeros((n, 3))
    pos[:, :2] = xy[keep]
    pos[:, 2] = -shank_length_um
    return Layout(pos, tile_axes(AXES_FACE_UP, n),
                  dict(name=f"utah{n}", manufacturer="Blackrock Neurotech"))


def utah96(pitch_um=400.0, shank_length_um=1000.0) -> Layout:
    """The 10 x 10 minus corners Utah array (96 contacts)."""
    return utah(10, 10, pitch_um, shank_length_um, 1)


def neuropixels1(num_channels=384, tip_depth_um=3840.0 + 200.0) -> Layout:
    """Neuropixels 1.0 single shank, first bank of ``num_channels`` (even, <= 960) sites."""
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
    return Layout(pos, tile_axes(AXES_FACE_Y, num_channels),
                  dict(name="neuropixels1", manufacturer="IMEC"))


def neuropixels2(num_channels=384, num_shanks_used=4, first_row=0, tip_depth_um=None) -> Layout:
    """Neuropixels 2.0 four-shank probe with ``num_channels`` selected sites.

    ``tip_depth_um`` defaults to placing the highest selected row 200 µm below the surface.
    """
    num_shanks_used = check_int("num_shanks_used", num_shanks_used, 1, 4)
    num_channels = check_int("num_channels", num_channels, 2, 4 * 1280)
    per_shank, rem = divmod(num_channels, 2 * num_shanks_used)
    if rem or per_shank == 0:
        raise ValueError(f"num_channels must be a multiple of 2 x num_shanks_used = "
                         f"{2 * num_shanks_used}, got {num_channels!r}")
    n_rows = per_shank
    first_row = check_int("first_row", first_row, 0, 640 - n_rows)
    top = first_row + n_rows - 1
    if tip_depth_um is None:
        tip_depth_um = 175.0 + 15.0 * top + 200.0
    tip_depth_um = check_range("tip_depth_um", tip_depth_um, 175.0 + 15.0 * top, 20000.0, "µm")
    row = np.tile(np.repeat(np.arange(first_row, first_row + n_rows), 2), num_shanks_used)
    col = np.tile(np.arange(2), n_rows * num_shanks_used)
    shank = np.repeat(np.arange(num_shanks_used), 2 * n_rows)
    pos = np.zeros((row.size, 3))
    pos[:, 0] = (shank - 1.5) * 250.0 + (col - 0.5) * 32.0
    pos[:, 2] = -tip_depth_um + 175.0 + 15.0 * row
    return Layout(pos, tile_axes(AXES_FACE_Y, row.size),
                  dict(name="neuropixels2", manufacturer="IMEC"), shank_ids=shank)


def threads(num_threads=32, contacts_per_thread=32, pitch_um=50.0, thread_spacing_um=400.0,
            tip_depth_um=2000.0) -> Layout:
    """Flexible polymer threads (Neuralink-like) on a square grid of insertion points."""
    num_threads = check_int("num_threads", num_threads, 1, 96)
    per = check_int("contacts_per_thread", contacts_per_thread, 1, 64)
    pitch_um = check_range("pitch_um", pitch_um, 5.0, 1000.0, "µm")
    spacing = check_range("thread_spacing_um", thread_spacing_um, 20.0, 5000.0, "µm")
    tip_depth_um = check_range("tip_depth_um", tip_depth_um, pitch_um * (per - 1), 20000.0, "µm")
    side = int(np.ceil(np.sqrt(num_threads)))
    _, _, xy = centred_grid(side, side, spacing)
    xy = xy[:num_threads] - xy[:num_threads].mean(axis=0)
    thread = np.repeat(np.arange(num_threads), per)
    k = np.tile(np.arange(per), num_threads)
    pos = np.zeros((thread.size, 3))
    pos[:, :2] = xy[thread]
    pos[:, 2] = -tip_depth_um + pitch_um * k
    return Layout(pos, tile_axes(AXES_FACE_Y, thread.size),
                  dict(name="threads", manufacturer="Neuralink-like"), shank_ids=thread)


def multishank(num_shanks=4, channels_per_shank=16, pitch_um=25.0, shank_spacing_um=200.0,
               tip_depth_um=1500.0) -> Layout:
    """Michigan-style planar shanks, one column of contacts each, along x."""
    num_shanks = check_int("num_shanks", num_shanks, 1, 64)
    per = check_int("channels_per_shank", channels_per_shank, 1, 1024)
    pitch_um = check_range("pitch_um", pitch_um, 5.0, 1000.0, "µm")
    spacing = check_range("shank_spacing_um", shank_spacing_um, 20.0, 5000.0, "µm")
    tip_depth_um = check_range("tip_depth_um", tip_depth_um, pitch_um * (per - 1), 20000.0, "µm")
    shank = np.repeat(np.arange(num_shanks), per)
    k = np.tile(np.arange(per), num_shanks)
    pos = np.zeros((shank.size, 3))
    pos[:, 0] = (shank - (num_shanks - 1) / 2.0) * spacing
    pos[:, 2] = -tip_depth_um + pitch_um * k
    name = "linear" if num_shanks == 1 else "multishank"
    return Layout(pos, tile_axes(AXES_FACE_Y, shank.size),
                  dict(name=name, manufacturer="Michigan-style"), shank_ids=shank)


def linear(num_channels=32, pitch_um=25.0, tip_depth_um=1500.0) -> Layout:
    """A single Michigan-style linear shank."""
    return multishank(1, num_channels, pitch_um, 200.0, tip_depth_um)


def tetrode(num_tetrodes=1, wire_spacing_um=25.0, tetrode_spacing_um=300.0,
            tip_depth_um=1000.0) -> Layout:
    """Bundles of 4 wire tips (flat cut, facing +z) on a square."""
    n_t = check_int("num_tetrodes", num_tetrodes, 1, 64)
    w = check_range("wire_spacing_um", wire_spacing_um, 5.0, 200.0, "µm")
    s = check_range("tetrode_spacing_um", tetrode_spacing_um, 50.0, 5000.0, "µm")
    d = check_range("tip_depth_um", tip_depth_um, 10.0, 20000.0, "µm")
    square = 0.5 * w * np.array([[-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]])
    t = np.repeat(np.arange(n_t), 4)
    pos = np.zeros((4 * n_t, 3))
    pos[:, :2] = np.tile(square, (n_t, 1))
    pos[:, 0] += (t - (n_t - 1) / 2.0) * s
    pos[:, 2] = -d
    return Layout(pos, tile_axes(AXES_FACE_UP, 4 * n_t), dict(name="tetrode", manufacturer="wire"),
                  shank_ids=t)


#: name -> (generator, default site radius µm)
INTRACORTICAL = {
    "utah96": (utah96, 20.0),
    "utah": (utah, 20.0),
    "neuropixels1": (neuropixels1, NP_SITE_RADIUS_UM),
    "neuropixels2": (neuropixels2, NP_SITE_RADIUS_UM),
    "threads": (threads, 7.0),
    "linear": (linear, 7.5),
    "multishank": (multishank, 7.5),
    "tetrode": (tetrode, 6.25),
}
