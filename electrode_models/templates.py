"""Spike templates (cell x channel waveforms) from morphology, currents and the volume conductor.

For each cell, ``template[c, t] = sum_j M[c, j] I_j(t)`` where ``I_j`` are the transmembrane
currents of its cell type (:func:`electrode_models.morphology.transmembrane_currents`, computed
once per type and sampling rate) and ``M`` is the line-source gain of the rotated, translated
segments seen by disc electrode ``c`` (:func:`electrode_models.conductor.gain_matrix`).

Assumptions
-----------
- Infinite homogeneous conductor (see :mod:`electrode_models.conductor`).
- Channels farther than ``cutoff_um`` (default 300 µm) from the soma are set to zero
  (pyramidal amplitude there is < 1 µV).
- The spike time is the trough of the somatic transmembrane current (peak inward current),
  which is the trough of the template on the channels nearest to the soma.
- A cell type given as an integer indexes ``CELL_TYPES`` (0 pyramidal, 1 interneuron).

References
----------
Buccino A. P. & Einevoll G. T. (2021) MEArec: a fast and customizable testbench simulator for
ground-truth extracellular spiking activity. Neuroinformatics 19, 185-204.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import numpy as np

from ._template_kernels import sparse_templates_kernel
from ._validation import check_array, check_int, check_range
from .conductor import _electrode_axes, _scale
from .morphology import CELL_TYPES, get_morphology, transmembrane_currents

logger = logging.getLogger(__name__)


@dataclass
class SparseTemplates:
    """Templates kept on each unit's ``max_channels`` strongest channels.

    Attributes
    ----------
    waveforms_uV : np.ndarray, float32, shape (n_units, n_samples, max_channels), µV.
    channel_index : np.ndarray, int32, shape (n_units, max_channels); channel of each column,
        sorted by descending peak |amplitude|, -1 padding (channels below ``min_amplitude_uV``).
    nbefore : int, samples before the spike time (the trough) in each waveform.
    fs_hz : float, sampling rate (Hz).
    peak_amplitude_uV : np.ndarray, float32, shape (n_units,), signed largest-|.| value on the
        best channel (0 if none).
    best_channel : np.ndarray, int32, shape (n_units,), -1 if no channel passed.
    """

    waveforms_uV: np.ndarray
    channel_index: np.ndarray
    nbefore: int
    fs_hz: float
    peak_amplitude_uV: np.ndarray
    best_channel: np.ndarray

    @property
    def n_units(self) -> int:
        return int(self.waveforms_uV.shape[0])

    @property
    def n_samples(self) -> int:
        return int(self.waveforms_uV.shape[1])

    @property
    def nafter(self) -> int:
        return self.n_samples - self.nbefore

    def dense(self, num_channels: int) -> np.ndarray:
        """Return dense templates, shape (n_units, n_samples, num_channels), float32, µV."""
        need = int(self.channel_index.max(initial=-1)) + 1
        num_channels = check_int("num_channels", num_channels, max(need, 1), None)
        out = np.zeros((self.n_units, self.n_samples, num_channels), np.float32)
        u, q = np.nonzero(self.channel_index >= 0)
        out[u, :, self.channel_index[u, q]] = self.waveforms_uV[u, :, q]
        return out


@functools.lru_cache(maxsize=32)
def _type_currents(cell_type: str, fs_hz: float, nbefore: int, nafter: int) -> np.ndarray:
    """Currents (n_seg, nbefore + nafter) nA cut around the somatic current trough (cached)."""
    pre_ms = nbefore / fs_hz * 1e3
    post_ms = nafter / fs_hz * 1e3
    peak_ms = pre_ms + 2.0
    cur, _ = transmembrane_currents(get_morphology(cell_type), fs_hz,
                                    duration_ms=peak_ms + post_ms + 2.0, spike_peak_ms=peak_ms)
    trough = int(np.argmin(cur[0]))
    out = np.ascontiguousarray(cur[:, trough - nbefore: trough + nafter])
    out.setflags(write=False)
    return out


def _rotations(orient: np.ndarray, spin_rad: np.ndarray) -> np.ndarray:
    """Rotation matrices (n, 3, 3) taking the cell's +z to ``orient`` after a spin about z."""
    u = orient / np.linalg.norm(orient, axis=1, keepdims=True)
    n = u.shape[0]
    v = np.stack([-u[:, 1], u[:, 0], np.zeros(n)], axis=1)  # ez x u
    c = u[:, 2]
    vx = np.zeros((n, 3, 3))
    vx[:, 0, 1], vx[:, 0, 2] = -v[:, 2], v[:, 1]
    vx[:, 1, 0], vx[:, 1, 2] = v[:, 2], -v[:, 0]
    vx[:, 2, 0], vx[:, 2, 1] = -v[:, 1], v[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(c > -1.0 + 1e-12, 1.0 / (1.0 + c), 0.0)
    R = np.eye(3)[None] + vx + f[:, None, None] * (vx @ vx)
    flip = c <= -1.0 + 1e-12
    R[flip] = np.diag([1.0, -1.0, -1.0])  # pi about x
    cs, sn = np.cos(spin_rad), np.sin(spin_rad)
    Rz = np.zeros((n, 3, 3))
    Rz[:, 0, 0], Rz[:, 0, 1], Rz[:, 1, 0], Rz[:, 1, 1], Rz[:, 2, 2] = cs, -sn, sn, cs, 1.0
    return R @ Rz


def compute_templates(cell_types, positions_um, orientations, probe_positions_um, probe_normals,
                      site_radius_um: float, fs_hz: float, sigma_S_per_m: float = 0.3,
                      max_channels: int = 8, ms_before: float = 1.0, ms_after: float = 2.0,
                      min_amplitude_uV: float = 1.0, cutoff_um: float = 300.0,
                      spin_rad=None, n_disc_points: int = 32) -> SparseTemplates:
    """Compute sparse templates of many cells on a probe.

    Parameters
    ----------
    cell_types : array of str or int, shape (n_cells,); names in ``CELL_TYPES`` or indices.
    positions_um : array, shape (n_cells, 3), soma centres in the tissue frame (µm).
    orientations : array, shape (n_cells, 3), main (apical) axis of each cell (non-zero).
    probe_positions_um : array, shape (n_ch, 3), contact centres (µm).
    probe_normals : array, shape (n_ch, 3) normals or (n_ch, 2, 3) contact plane axes.
    site_radius_um : float, contact disc radius (µm), >= 0.
    fs_hz : float, sampling rate (Hz), in [1e3, 1e6].
    sigma_S_per_m : float, conductivity (S/m), > 0.
    max_channels : int, channels kept per unit, >= 1 (capped at n_ch).
    ms_before, ms_after : float, waveform extent around the spike time (ms), in (0, 20].
    min_amplitude_uV : float, a channel is kept only if its peak |amplitude| >= this (µV).
    cutoff_um : float, channels farther than this from the soma are not evaluated (µm).
    spin_rad : array, shape (n_cells,), optional rotation of each cell about its axis (rad).
    n_disc_points : int, points averaged on each contact disc near a segment.

    Returns
    -------
    SparseTemplates
    """
    pos = check_array("positions_um", positions_um, shape=(None, 3), dtype=float)
    n_cells = pos.shape[0]
    ct = np.asarray(cell_types)
    check_array("cell_types", ct, shape=(n_cells,))
    if ct.dtype.kind in "iu":
        if n_cells and (ct.min() < 0 or ct.max() >= len(CELL_TYPES)):
            raise ValueError(f"cell_types as integers must be in [0, {len(CELL_TYPES) - 1}], "
                             f"got values in [{ct.min()}, {ct.max()}]")
        type_idx = ct.astype(np.int64)
    else:
        bad = sorted(set(ct.tolist()) - set(CELL_TYPES))
        if bad:
            raise ValueError(f"cell_types must be one of {list(CELL_TYPES)}, got {bad}")
        type_idx = np.array([CELL_TYPES.index(c) for c in ct.tolist()], dtype=np.int64)
    orient = check_array("orientations", orientations, shape=(n_cells, 3), dtype=float)
    if n_cells and np.any(np.linalg.norm(orient, axis=1) == 0.0):
        raise ValueError("orientations must be non-zero vectors, got a zero row")
    ch = check_array("probe_positions_um", probe_positions_um, shape=(None, 3), dtype=float)
    n_ch = ch.shape[0]
    ax1, ax2 = _electrode_axes(probe_normals, n_ch)
    radius = check_range("site_radius_um", site_radius_um, 0.0, 1000.0, "µm")
    fs_hz = check_range("fs_hz", fs_hz, 1e3, 1e6, "Hz")
    sigma = check_range("sigma_S_per_m", sigma_S_per_m, 0.0, None, "S/m", low_inclusive=False)
    max_channels = min(check_int("max_channels", max_channels, 1, None), max(n_ch, 1))
    ms_before = check_range("ms_before", ms_before, 0.0, 20.0, "ms", low_inclusive=False)
    ms_after = check_range("ms_after", ms_after, 0.0, 20.0, "ms", low_inclusive=False)
    min_amp = check_range("min_amplitude_uV", min_amplitude_uV, 0.0, None, "µV")
    cutoff = check_range("cutoff_um", cutoff_um, 0.0, None, "µm", low_inclusive=False)
    n_disc = check_int("n_disc_points", n_disc_points, 1, 4096)
    spin = np.zeros(n_cells) if spin_rad is None else check_array(
        "spin_rad", spin_rad, shape=(n_cells,), dtype=float)

    nbefore = int(round(ms_before * 1e-3 * fs_hz))
    nafter = int(round(ms_after * 1e-3 * fs_hz))
    morphs = [get_morphology(t) for t in CELL_TYPES]
    seg_off = np.cumsum([0] + [m.n_seg for m in morphs]).astype(np.int64)
    seg_start = np.concatenate([m.start_um for m in morphs])
    seg_end = np.concatenate([m.end_um for m in morphs])
    seg_rmin = np.maximum(np.concatenate([m.diam_um for m in morphs]) / 2.0, 0.5)
    currents = np.ascontiguousarray(np.concatenate(
        [_type_currents(t, fs_hz, nbefore, nafter) for t in CELL_TYPES]))

    n_t = nbefore + nafter
    wave = np.zeros((n_cells, n_t, max_channels), np.float32)
    chan = np.full((n_cells, max_channels), -1, np.int32)
    peak = np.zeros(n_cells, np.float32)
    best = np.full(n_cells, -1, np.int32)
    rot = np.ascontiguousarray(_rotations(orient, spin)) if n_cells else np.zeros((0, 3, 3))
    sparse_templates_kernel(type_idx, rot, np.ascontiguousarray(pos), seg_off, seg_start, seg_end,
                            seg_rmin, currents, np.ascontiguousarray(ch), np.ascontiguousarray(ax1),
                            np.ascontiguousarray(ax2), radius, n_disc, 10.0, _scale(sigma), cutoff,
                            min_amp, max_channels, wave, chan, peak, best)
    logger.debug("templates: %d cells x %d channels, %d with a channel", n_cells, n_ch,
                 int((best >= 0).sum()))
    return SparseTemplates(wave, chan, nbefore, fs_hz, peak, best)
