"""Spike templates (cell x channel waveforms) from morphology, currents and the volume conductor.

For each cell, ``template[c, t] = sum_j M[c, j] I_j(t)`` where ``I_j`` are the transmembrane
currents of its (class, variant) (`electrode_models.morphology.transmembrane_currents`
with the morphology and AP of `electrode_models.cells.cell_variant`, computed once per
(class, variant, sampling rate, window) and cached) and ``M`` is the line-source gain of the
rotated, translated segments seen by disc electrode ``c``
(`electrode_models.conductor.gain_matrix`).

Window, alignment and taper
---------------------------
Every unit's waveform is ``ms_before + ms_after`` long. The spike time is the template's
extremum: the largest-|value| sample of the unit's strongest channel sits exactly at
``nbefore`` (all its channels shifted together). ``SparseTemplates.shift_samples`` records, per
unit, where that sample lies relative to the peak of the somatic action potential (samples;
negative: before it), so ``spike_sample - shift_samples`` is the AP peak. The defaults (1.5 ms
before, 9 ms after) let every template of a cell within 150 µm of its best contact decay below
1 % of its extremum before a cosine taper of ``TAPER_MS`` (0.2 ms) at each end brings the first
and last samples to exactly 0 (no step in a trace where a spike ends). Near the soma the
template is below 1 % within ~4.5 ms of the trough; farther away the slowest mode of the
dendritic cable (time constant ~3-5 ms: the dendrites discharging after the spike) sets the
length (measured: 6 ms suffices within 90 µm, 9 ms within 150 µm).

Assumptions
-----------
- Infinite homogeneous conductor (see `electrode_models.conductor`).
- Channels farther than ``cutoff_um`` (default 300 µm) from the soma are set to zero
  (pyramidal amplitude there is < 1 µV).
- Rotation: the cell's +z axis goes to its ``orientation``, after a spin of ``spin_rad`` about
  its own axis.
- ``channel_gain`` (e.g. the electrode-amplifier divider) is applied before channels are ranked
  and the unit aligned, so the spike-time convention holds for the scaled templates.
- ``library`` entries (reconstructions) have their currents computed on every call (tens of
  ms each); built-in variants are cached per (class, variant, fs, window).

References
----------
Buccino A. P. & Einevoll G. T. (2021) MEArec: a fast and customizable testbench simulator for
ground-truth extracellular spiking activity. Neuroinformatics 19, 185-204.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from dataclasses import dataclass

import numpy as np

from ._template_kernels import SHIFT_AUTO, sparse_templates_kernel
from ._validation import check_array, check_int, check_range
from .cells import CELL_CLASSES, CLASS_ALIASES, MAX_VARIANT, cell_variant
from .conductor import _electrode_axes, _scale
from .morphology import Morphology, check_ap_params, transmembrane_currents

logger = logging.getLogger(__name__)

#: Cosine taper at each end of a template (ms).
TAPER_MS = 0.2
#: Extra span computed before / after the window so that a unit can be shifted onto its
#: extremum without losing samples (ms).
PAD_BEFORE_MS = 0.5
PAD_AFTER_MS = 0.8


@dataclass
class SparseTemplates:
    """Templates kept on each unit's ``max_channels`` strongest channels.

    Attributes
    ----------
    waveforms_uV : np.ndarray, float32, shape (n_units, n_samples, max_channels), µV.
    channel_index : np.ndarray, int32, shape (n_units, max_channels); channel of each column,
        sorted by descending peak |amplitude|, -1 padding (channels below ``min_amplitude_uV``).
    nbefore : int, samples before the spike time (the extremum) in each waveform.
    fs_hz : float, sampling rate (Hz).
    peak_amplitude_uV : np.ndarray, float32, shape (n_units,), signed largest-|.| value on the
        best channel (0 if none).
    best_channel : np.ndarray, int32, shape (n_units,), -1 if no channel passed.
    shift_samples : np.ndarray, int32, shape (n_units,), optional; sample of the spike time
        (``nbefore``) relative to the peak of the somatic action potential (negative: before).
    support : np.ndarray, int32, shape (n_units, 2), optional; the samples ``[first, last)`` of
        each unit that injection adds (None: all; see `prune_template_channels`).
    """

    waveforms_uV: np.ndarray
    channel_index: np.ndarray
    nbefore: int
    fs_hz: float
    peak_amplitude_uV: np.ndarray
    best_channel: np.ndarray
    shift_samples: np.ndarray | None = None
    support: np.ndarray | None = None

    def sample_support(self) -> np.ndarray:
        """``support``, or ``[0, n_samples)`` for every unit when it is None; int64 (n_units, 2)."""
        if self.support is not None:
            return np.ascontiguousarray(self.support, np.int64)
        n_u, n_t = self.waveforms_uV.shape[:2]
        out = np.zeros((n_u, 2), np.int64)
        out[:, 1] = n_t
        return out

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


def _one_blas_thread():
    """BLAS/LAPACK on one thread while the cable equations of the cell variants are solved.

    Their matrices are small (<= ~150 segments): a multithreaded OpenBLAS spends more on handing
    work between its threads than on the work (measured 5-7x slower on a busy 2-core machine,
    ~5 s instead of ~0.7 s for the default design's ~100 variants), and its results then depend
    on the thread count in the last bits (~1e-18 of the peak). `threadpoolctl` comes with
    scikit-learn (a dependency of neurosim); without it the BLAS keeps its threads.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is installed with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _currents(morph: Morphology, ap: dict, fs_hz: float, n_pre: int, n_post: int) -> np.ndarray:
    """Currents (n_seg, n_pre + n_post) nA with the somatic AP peak at column ``n_pre``."""
    pre_ms = n_pre / fs_hz * 1e3
    lead = int(np.ceil(max(0.0, 8.0 * ap["sigma_rise_ms"] - pre_ms) * 1e-3 * fs_hz))
    cur, _ = transmembrane_currents(morph, ap, fs_hz, duration_ms=(lead + n_pre + n_post) / fs_hz
                                    * 1e3, spike_peak_ms=(lead + n_pre) / fs_hz * 1e3)
    out = np.ascontiguousarray(cur[:, lead:lead + n_pre + n_post])
    out.setflags(write=False)
    return out


@functools.lru_cache(maxsize=512)
def variant_currents(class_code: int, variant: int, fs_hz: float, n_pre: int,
                     n_post: int) -> np.ndarray:
    """Currents (n_seg, n_pre + n_post) nA of a built-in (class, variant), AP peak at column
    ``n_pre`` (cached, read-only)."""
    morph, ap = cell_variant(class_code, variant)
    return _currents(morph, ap, fs_hz, n_pre, n_post)


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


def class_codes(cell_classes, n_cells: int) -> np.ndarray:
    """Class codes (int64, (n_cells,)) of names in ``CELL_CLASSES``, aliases or int codes."""
    ct = np.asarray(cell_classes)
    check_array("cell_classes", ct, shape=(n_cells,))
    if ct.dtype.kind in "iu":
        if n_cells and (ct.min() < 0 or ct.max() >= len(CELL_CLASSES)):
            raise ValueError(f"cell_classes as integers must be in [0, {len(CELL_CLASSES) - 1}], "
                             f"got values in [{ct.min()}, {ct.max()}]")
        return ct.astype(np.int64)
    names = list(CELL_CLASSES) + list(CLASS_ALIASES)
    uniq, inv = np.unique(ct.astype(str), return_inverse=True)
    bad = sorted(set(uniq.tolist()) - set(names))
    if bad:
        raise ValueError(f"cell_classes must be names in {list(CELL_CLASSES)} (or the aliases "
                         f"{list(CLASS_ALIASES)}) or int codes, got {bad}")
    codes = np.array([CELL_CLASSES.index(CLASS_ALIASES.get(u, u)) for u in uniq.tolist()],
                     np.int64)
    return codes[inv.reshape(-1)] if n_cells else np.zeros(0, np.int64)


def _check_library(library) -> list[tuple[Morphology, dict]]:
    out = []
    for k, item in enumerate(library):
        if not (isinstance(item, (tuple, list)) and len(item) == 2
                and isinstance(item[0], Morphology)):
            raise ValueError(f"library[{k}] must be a (Morphology, ap dict) pair, got {item!r:.80}")
        if item[0].cell_type not in CELL_CLASSES:
            raise ValueError(f"library[{k}] morphology cell_type must be one of "
                             f"{list(CELL_CLASSES)}, got {item[0].cell_type!r}")
        out.append((item[0], check_ap_params(item[1])))
    return out


def compute_templates(cell_classes, positions_um, orientations, probe_positions_um, probe_normals,
                      site_radius_um: float, fs_hz: float, sigma_S_per_m: float = 0.3, *,
                      variants=None, spin_rad=None, max_channels: int = 8,
                      ms_before: float = 1.5, ms_after: float = 9.0,
                      min_amplitude_uV: float = 1.0, cutoff_um: float = 300.0,
                      n_disc_points: int = 64, library=None,
                      shift_samples=None, channel_gain=None) -> SparseTemplates:
    """Compute sparse templates of many cells on a probe.

    Parameters
    ----------
    cell_classes : array of str or int, shape (n_cells,)
        Names in ``CELL_CLASSES`` (or the aliases ``"pyramidal"`` -> L5_TTPC,
        ``"interneuron"`` -> BC) or class codes (indices into ``CELL_CLASSES``).
    positions_um : array, shape (n_cells, 3)
        Soma centres in the tissue frame (µm).
    orientations : array, shape (n_cells, 3)
        Main (apical) axis of each cell (non-zero).
    probe_positions_um : array, shape (n_ch, 3)
        Contact centres (µm).
    probe_normals : array, shape (n_ch, 3) normals or (n_ch, 2, 3) contact plane axes.
    site_radius_um : float
        Contact disc radius (µm), >= 0.
    fs_hz : float
        Sampling rate (Hz), in [1e3, 1e6].
    sigma_S_per_m : float
        Conductivity (S/m), > 0.
    variants : array of int, shape (n_cells,), optional
        Morphological variant of each cell in [0, 32767] (default 0, the class prototype).
    spin_rad : array, shape (n_cells,), optional
        Rotation of each cell about its own axis (rad).
    max_channels : int
        Channels kept per unit, >= 1 (capped at n_ch).
    ms_before, ms_after : float
        Waveform extent around the spike time (ms), in (0, 20]; the defaults let every
        template decay below 1 % of its extremum before the taper.
    min_amplitude_uV : float
        A channel is kept only if its peak |amplitude| >= this (µV).
    cutoff_um : float
        Channels farther than this from the soma are not evaluated (µm).
    n_disc_points : int
        Disc averaging near a segment: 1 gives the contact's centre value, >= 2 the exact disc
        mean (closed form, see `electrode_models.conductor`).
    library : sequence of (Morphology, dict), optional
        Reconstructed cells (e.g. `electrode_models.cells.load_swc`) with their AP
        parameters: a cell of class c uses the entries whose ``Morphology.cell_type`` is c,
        entry ``variant mod (their count)``; classes without an entry use the built-in variants.
    shift_samples : array of int, shape (n_cells,), optional
        Impose each unit's alignment (``SparseTemplates.shift_samples`` of an earlier call) instead
        of aligning it on its own extremum: used for drifting templates.
    channel_gain : array, shape (n_ch,), optional
        Factor (>= 0) on each channel's waveform, e.g. the electrode-amplifier divider: the
        channel ranking, the alignment and the peak then refer to the scaled waveforms (scaling
        afterwards can reorder channels and move the extremum off ``nbefore``). Default 1.

    Returns
    -------
    SparseTemplates
    """
    pos = check_array("positions_um", positions_um, shape=(None, 3), dtype=float)
    n_cells = pos.shape[0]
    codes = class_codes(cell_classes, n_cells)
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
    var = np.zeros(n_cells, np.int64) if variants is None else check_array(
        "variants", variants, shape=(n_cells,))
    if var.size and (var.dtype.kind not in "iu" or var.min() < 0 or var.max() > MAX_VARIANT):
        raise ValueError(f"variants must be integers in [0, {MAX_VARIANT}], got "
                         f"{var.dtype} values in [{var.min()}, {var.max()}]")
    var = var.astype(np.int64)
    shift = np.full(n_cells, SHIFT_AUTO, np.int64)
    if shift_samples is not None:
        shift = check_array("shift_samples", shift_samples, shape=(n_cells,))
        if shift.size and (shift.dtype.kind not in "iu" or np.abs(shift).max() > 1_000_000):
            raise ValueError("shift_samples must be integers in [-1e6, 1e6] (samples)")
        shift = shift.astype(np.int64)
    lib = _check_library(library) if library is not None else []
    gain = np.ones(n_ch) if channel_gain is None else check_array(
        "channel_gain", channel_gain, shape=(n_ch,), dtype=float)
    if n_ch and not (np.all(np.isfinite(gain)) and gain.min() >= 0):
        raise ValueError(f"channel_gain must be finite and >= 0, got values in "
                         f"[{gain.min()!r}, {gain.max()!r}]")

    nbefore = int(round(ms_before * 1e-3 * fs_hz))
    nafter = int(round(ms_after * 1e-3 * fs_hz))
    pad_b = int(round(PAD_BEFORE_MS * 1e-3 * fs_hz))
    pad_a = int(round(PAD_AFTER_MS * 1e-3 * fs_hz))
    n_pre, n_post = pad_b + nbefore, nafter + pad_a

    # one "type" per distinct (class, variant) or library entry in use (library: ids < 0)
    by_class = {c: [k for k, (m, _) in enumerate(lib) if m.cell_type == c] for c in CELL_CLASSES}
    ids = var.copy()
    for c in np.unique(codes).tolist():
        own = by_class[CELL_CLASSES[c]]
        if own:
            sel = codes == c
            ids[sel] = -1 - np.mod(var[sel], len(own))
    width = 2 * MAX_VARIANT + 4
    pair_keys, type_idx = np.unique(codes * width + ids + (MAX_VARIANT + 2), return_inverse=True)
    type_idx = type_idx.reshape(-1).astype(np.int64)
    morphs, currents = [], []
    with _one_blas_thread():
        for pk in pair_keys.tolist():
            c, i = pk // width, pk % width - (MAX_VARIANT + 2)
            if i >= 0:
                morphs.append(cell_variant(c, i)[0])
                currents.append(variant_currents(c, i, fs_hz, n_pre, n_post))
            else:
                m, ap = lib[by_class[CELL_CLASSES[c]][-1 - i]]
                morphs.append(m)
                currents.append(_currents(m, ap, fs_hz, n_pre, n_post))
    if not morphs:  # no cells: any type keeps the kernel's arrays non-empty
        morphs, currents = [cell_variant(0, 0)[0]], [np.zeros((cell_variant(0, 0)[0].n_seg, 1))]
    seg_off = np.cumsum([0] + [m.n_seg for m in morphs]).astype(np.int64)
    seg_start = np.concatenate([m.start_um for m in morphs])
    seg_end = np.concatenate([m.end_um for m in morphs])
    seg_rmin = np.maximum(np.concatenate([m.diam_um for m in morphs]) / 2.0, 0.5)
    cur = np.ascontiguousarray(np.concatenate(currents))

    n_t = nbefore + nafter
    n_taper = max(1, min(int(round(TAPER_MS * 1e-3 * fs_hz)), n_t // 4))
    taper = np.ones(n_t)
    ramp = 0.5 * (1.0 - np.cos(np.pi * np.arange(n_taper) / n_taper))
    taper[:n_taper] = ramp
    taper[n_t - n_taper:] = np.minimum(taper[n_t - n_taper:], ramp[::-1])
    wave = np.zeros((n_cells, n_t, max_channels), np.float32)
    chan = np.full((n_cells, max_channels), -1, np.int32)
    peak = np.zeros(n_cells, np.float32)
    best = np.full(n_cells, -1, np.int32)
    out_shift = np.zeros(n_cells, np.int64)
    rot = np.ascontiguousarray(_rotations(orient, spin)) if n_cells else np.zeros((0, 3, 3))
    sparse_templates_kernel(type_idx, rot, np.ascontiguousarray(pos), seg_off, seg_start, seg_end,
                            seg_rmin, cur, np.ascontiguousarray(ch), np.ascontiguousarray(gain),
                            np.ascontiguousarray(ax1),
                            np.ascontiguousarray(ax2), radius, n_disc, 10.0, _scale(sigma), cutoff,
                            min_amp, max_channels, nbefore, pad_b, taper, shift, wave, chan, peak,
                            best, out_shift)
    logger.debug("templates: %d cells (%d shapes) x %d channels, %d with a channel", n_cells,
                 len(pair_keys), n_ch, int((best >= 0).sum()))
    return SparseTemplates(wave, chan, nbefore, fs_hz, peak, best, out_shift.astype(np.int32))
