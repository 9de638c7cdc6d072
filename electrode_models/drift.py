"""Drift: rigid and non-rigid micromotion of the probe relative to the tissue.

A motion function ``d(t)`` (µm, along a unit ``direction``) gives the displacement of the probe
relative to the tissue at time ``t`` (s); a cell at ``x`` is then seen by the probe as if it sat
at ``x - d(t) * direction``. Templates are precomputed on a grid of displacements
``d_0 < d_1 < ... < d_{P-1}`` and the pickup interpolates linearly between the two nearest::

    W(d) = W_i + f (W_{i+1} - W_i),   d_i <= d <= d_{i+1},   f = (d - d_i) / (d_{i+1} - d_i)

Motion kinds (A = ``amplitude_um``, P = ``period_s``):

- ``zigzag``: triangle wave ``d(t) = A (4 |((t/P - 1/4) mod 1) - 1/2| - 1)``: 0 at t = 0,
  +A at P/4, -A at 3P/4.
- ``step``: ``d(t) = A`` for ``t >= step_time_s``, else 0.
- ``random_walk``: Gaussian random walk on knots every ``grid_s`` (10 ms) with increments of
  standard deviation ``A sqrt(grid_s / P)`` (RMS excursion A after one period), linearly
  interpolated between knots and reflected into [-A, A]. Increments come from the counter-based
  generator of `electrode_models.noise` keyed by (seed, knot): ``d(t)`` is a pure function
  of (seed, t), so it does not depend on chunking or workers.
- ``none``: d = 0.

Non-rigid motion scales ``d(t)`` per unit by a factor varying linearly along the probe depth
(`nonrigid_scale`).

Assumptions
-----------
- Motion is along one direction (usually the probe axis); the cell does not deform or rotate.
- Between grid points the waveform is the linear interpolation of its neighbours (error
  O(step² · ∂²W/∂d²); a 2-5 µm step is small against the ~20-50 µm scale of the field).
- Each unit keeps one sparse channel set: the union over grid positions of the channels of its
  ``max_channels`` strongest at each position (zeros where a channel was not among them).
- Every displacement uses the unit's alignment at zero displacement
  (``SparseTemplates.shift_samples``), so the spike time means the same instant everywhere.

References
----------
Buccino A. P. & Einevoll G. T. (2021) MEArec. Neuroinformatics 19, 185-204 (drift by moving
templates on a grid of positions).
Steinmetz N. A. et al. (2021) Neuropixels 2.0. Science 372, eabf4588 (drift in chronic
recordings, tens of µm).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ._drift_kernels import inject_drifting_kernel, random_walk_knots
from ._validation import check_array, check_option, check_range
from .pickup import check_spikes_for_chunk
from .templates import compute_templates

logger = logging.getLogger(__name__)

DRIFT_KINDS = ("none", "zigzag", "random_walk", "step")
_BLOCK_SAMPLES = 1024


@dataclass(frozen=True)
class DriftMotion:
    """A motion function of time (see the module docstring for the equations).

    Attributes
    ----------
    kind : str, one of ``DRIFT_KINDS``.
    amplitude_um : float, peak displacement A (µm); step size for ``step``; in [-1000, 1000]
        (>= 0 for ``zigzag`` and ``random_walk``).
    period_s : float, triangle period / random-walk time scale (s), > 0.
    step_time_s : float, time of the step (s), >= 0.
    seed : int, random-walk seed in [0, 2**64 - 1].
    grid_s : float, random-walk knot spacing (s), in [1e-4, 10].
    """

    kind: str = "none"
    amplitude_um: float = 0.0
    period_s: float = 60.0
    step_time_s: float = 0.0
    seed: int = 0
    grid_s: float = 0.01

    def __post_init__(self):
        check_option("kind", self.kind, DRIFT_KINDS)
        low = 0.0 if self.kind in ("zigzag", "random_walk") else -1000.0
        check_range("amplitude_um", self.amplitude_um, low, 1000.0, "µm")
        check_range("period_s", self.period_s, 0.0, None, "s", low_inclusive=False)
        check_range("step_time_s", self.step_time_s, 0.0, None, "s")
        check_range("grid_s", self.grid_s, 1e-4, 10.0, "s")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) \
                or not 0 <= int(self.seed) < 2 ** 64:
            raise ValueError(f"seed must be an integer in [0, 2**64 - 1], got {self.seed!r}")

    @property
    def max_abs_um(self) -> float:
        """Largest |d(t)| the motion can reach (µm): the template grid must cover it."""
        return 0.0 if self.kind == "none" else abs(float(self.amplitude_um))

    def displacement_um(self, t_s) -> np.ndarray:
        """Probe displacement d(t) (µm) at times ``t_s`` (s, >= 0); float64, shape of ``t_s``."""
        t = np.asarray(t_s, dtype=float)
        if t.size and not (np.all(np.isfinite(t)) and t.min() >= 0):
            raise ValueError("t_s must be finite and >= 0 s")
        a = float(self.amplitude_um)
        if self.kind == "none" or a == 0.0:
            return np.zeros_like(t)
        if self.kind == "zigzag":
            return a * (4.0 * np.abs(np.mod(t / self.period_s - 0.25, 1.0) - 0.5) - 1.0)
        if self.kind == "step":
            return np.where(t >= self.step_time_s, a, 0.0)
        # random walk: knots k * grid_s, interpolated, reflected into [-a, a]
        if t.size == 0:
            return np.zeros_like(t)
        x = t / self.grid_s
        k = np.floor(x).astype(np.int64)
        knots = random_walk_knots(np.uint64(int(self.seed)), int(k.max()) + 2,
                                  a * np.sqrt(self.grid_s / self.period_s))
        w = knots[k] + (x - k) * (knots[k + 1] - knots[k])
        y = np.mod(w + a, 4.0 * a)
        return np.where(y > 2.0 * a, 4.0 * a - y, y) - a


def nonrigid_scale(unit_depth_um, top_um: float, bottom_um: float, scale_top: float = 1.0,
                   scale_bottom: float = 0.5) -> np.ndarray:
    """Per-unit factor on d(t) varying linearly with depth (non-rigid motion).

    ``s(z) = scale_top + (scale_bottom - scale_top) * clip((top_um - z) / (top_um - bottom_um), 0, 1)``

    Parameters
    ----------
    unit_depth_um : array, shape (n_units,), coordinate of each unit along the drift direction (µm).
    top_um, bottom_um : float, coordinates where the factor is ``scale_top`` / ``scale_bottom``
        (µm), distinct (e.g. the probe's top and bottom contact).
    scale_top, scale_bottom : float, factors in [0, 10].
    """
    z = check_array("unit_depth_um", unit_depth_um, ndim=1, dtype=float)
    top = check_range("top_um", top_um, unit="µm")
    bottom = check_range("bottom_um", bottom_um, unit="µm")
    if top == bottom:
        raise ValueError(f"top_um and bottom_um must differ, got {top_um!r} and {bottom_um!r}")
    st = check_range("scale_top", scale_top, 0.0, 10.0)
    sb = check_range("scale_bottom", scale_bottom, 0.0, 10.0)
    return st + (sb - st) * np.clip((top - z) / (top - bottom), 0.0, 1.0)


@dataclass
class DriftingTemplates:
    """Sparse templates on a grid of probe displacements.

    Attributes
    ----------
    waveforms_uV : np.ndarray, float32, shape (n_positions, n_units, n_samples, n_channels_max), µV.
    channel_index : np.ndarray, int32, shape (n_units, n_channels_max), -1 padded; one channel
        set per unit for all positions.
    displacements_um : np.ndarray, float64, shape (n_positions,), strictly ascending (µm).
    direction : np.ndarray, shape (3,), unit vector of the motion.
    nbefore : int, samples before the spike time (the undisplaced template's extremum).
    fs_hz : float, sampling rate (Hz).
    """

    waveforms_uV: np.ndarray
    channel_index: np.ndarray
    displacements_um: np.ndarray
    direction: np.ndarray
    nbefore: int
    fs_hz: float

    @property
    def n_units(self) -> int:
        return int(self.waveforms_uV.shape[1])

    @property
    def n_samples(self) -> int:
        return int(self.waveforms_uV.shape[2])

    @property
    def nafter(self) -> int:
        return self.n_samples - self.nbefore


def compute_drifting_templates(displacements_um, direction, cell_classes, positions_um, orientations,
                               probe_positions_um, probe_normals, site_radius_um: float,
                               fs_hz: float, max_bytes: float = 8 * 2**30,
                               **template_kwargs) -> DriftingTemplates:
    """Templates for every probe displacement of the grid (cells shifted by ``-d * direction``).

    The memory this needs (about twice the grid size times one template set) is estimated from
    the undisplaced templates before the others are built; above ``max_bytes`` a ValueError says
    how much and how to reduce it, instead of minutes of work ending in a MemoryError.

    Parameters
    ----------
    displacements_um : array, shape (n_positions,), strictly ascending grid (µm), e.g.
        ``np.arange(-A, A + step, step)`` with a 2-5 µm step, covering the motion's range.
    direction : array, shape (3,), motion direction (non-zero; normalised), e.g. the probe axis.
    cell_classes, positions_um, orientations, probe_positions_um, probe_normals, site_radius_um,
    fs_hz, **template_kwargs : as `electrode_models.templates.compute_templates`.

    Returns
    -------
    DriftingTemplates
    """
    grid = check_array("displacements_um", displacements_um, ndim=1, dtype=float)
    if grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(np.diff(grid) <= 0):
        raise ValueError(f"displacements_um must be a non-empty, finite, strictly ascending grid "
                         f"(µm), got {grid}")
    u = check_array("direction", direction, shape=(3,), dtype=float)
    if not np.linalg.norm(u) > 0:
        raise ValueError(f"direction must be a non-zero vector, got {direction!r}")
    u = u / np.linalg.norm(u)
    pos = check_array("positions_um", positions_um, shape=(None, 3), dtype=float)
    template_kwargs.pop("shift_samples", None)
    # every displacement uses the undisplaced unit's alignment, so spike times stay consistent
    base = compute_templates(cell_classes, pos, orientations, probe_positions_um, probe_normals,
                             site_radius_um, fs_hz, **template_kwargs)
    need = 2.0 * grid.size * base.waveforms_uV.nbytes
    if need > max_bytes:
        raise ValueError(
            f"drifting templates need about {need / 2**30:.1f} GiB ({grid.size} displacement positions "
            f"x {base.n_units} cells x {base.waveforms_uV.shape[1]} samples x "
            f"{base.waveforms_uV.shape[2]} channels), more than max_bytes = {max_bytes / 2**30:.1f} GiB: "
            f"use a coarser grid of displacements (implant.drift.grid_step_um, now "
            f"{np.median(np.diff(grid)) if grid.size > 1 else 0:g} µm) or a smaller drift amplitude "
            f"(implant.drift.amplitude_um, the grid spans {grid[0]:g} to {grid[-1]:g} µm)")
    per = [base if d == 0.0 else compute_templates(
        cell_classes, pos - d * u, orientations, probe_positions_um, probe_normals, site_radius_um,
        fs_hz, shift_samples=base.shift_samples, **template_kwargs) for d in grid]
    n_units, n_t = per[0].n_units, per[0].n_samples
    sets = [np.unique(np.concatenate([t.channel_index[i][t.channel_index[i] >= 0] for t in per]))
            for i in range(n_units)]
    n_q = max([len(s) for s in sets] + [1])
    chan = np.full((n_units, n_q), -1, np.int32)
    wave = np.zeros((grid.size, n_units, n_t, n_q), np.float32)
    for i, s in enumerate(sets):
        chan[i, :len(s)] = s
        col = {int(c): j for j, c in enumerate(s)}
        for p, t in enumerate(per):
            for q, c in enumerate(t.channel_index[i]):
                if c >= 0:
                    wave[p, i, :, col[int(c)]] = t.waveforms_uV[i, :, q]
    logger.debug("drifting templates: %d positions x %d units x %d channels max",
                 grid.size, n_units, n_q)
    return DriftingTemplates(wave, chan, grid, u, per[0].nbefore, per[0].fs_hz)


def spike_displacements_um(spike_samples, spike_units, fs_hz: float, motion: DriftMotion,
                           unit_scale=None) -> np.ndarray:
    """Displacement of each spike: ``d(s_k / fs) * unit_scale[u_k]`` (µm), float64, (n_spikes,).

    ``unit_scale`` (n_units,) from `nonrigid_scale` makes the motion non-rigid; ``None``
    is rigid (all 1). Depends only on each spike's global sample: chunk-independent.
    """
    s = check_array("spike_samples", spike_samples, ndim=1, dtype=np.int64)
    u = check_array("spike_units", spike_units, shape=(s.shape[0],), dtype=np.int64)
    fs = check_range("fs_hz", fs_hz, 0.0, None, "Hz", low_inclusive=False)
    if s.size and s.min() < 0:
        raise ValueError(f"spike_samples must be >= 0, got minimum {s.min()}")
    d = motion.displacement_um(s / fs)
    if unit_scale is not None:
        sc = check_array("unit_scale", unit_scale, ndim=1, dtype=float)
        if u.size and (u.min() < 0 or u.max() >= sc.size):
            raise ValueError(f"spike_units must be in [0, {sc.size - 1}] (unit_scale length), "
                             f"got values in [{u.min()}, {u.max()}]")
        d = d * sc[u]
    return d


def inject_spikes_drifting(chunk_uV: np.ndarray, chunk_start_sample: int, spike_samples,
                           spike_units, templates: DriftingTemplates,
                           displacement_um_per_spike) -> None:
    """Add each spike's template at its displacement into ``chunk_uV`` in place.

    Parameters
    ----------
    chunk_uV : np.ndarray, float32, shape (n_samples, n_channels), C-contiguous, µV; modified.
    chunk_start_sample : int, global index of the chunk's first sample, >= 0.
    spike_samples : array of int64, shape (n_spikes,), sorted ascending, global trough samples.
    spike_units : array of int64, shape (n_spikes,), unit index in [0, templates.n_units).
    templates : DriftingTemplates
    displacement_um_per_spike : array, shape (n_spikes,), probe displacement at each spike (µm),
        within the template grid (see `spike_displacements_um`).

    Notes
    -----
    At a displacement equal to a grid point the interpolation weight is 0 and the result is
    bitwise the template of that point, so zero drift on a grid containing 0 reproduces
    `electrode_models.pickup.inject_spikes` exactly.
    """
    start, s, u, lo, hi = check_spikes_for_chunk(chunk_uV, chunk_start_sample, spike_samples,
                                                 spike_units, templates)
    d = check_array("displacement_um_per_spike", displacement_um_per_spike, shape=(s.shape[0],),
                    dtype=float)
    grid = templates.displacements_um
    if d.size and not (np.all(np.isfinite(d)) and d.min() >= grid[0] and d.max() <= grid[-1]):
        raise ValueError(f"displacement_um_per_spike must lie in the template grid "
                         f"[{grid[0]:g}, {grid[-1]:g}] µm, got values in [{d.min():g}, {d.max():g}]")
    if hi <= lo:
        return
    dd = d[lo:hi]
    i0 = np.clip(np.searchsorted(grid, dd, side="right") - 1, 0, max(grid.size - 2, 0))
    i1 = np.minimum(i0 + 1, grid.size - 1)
    span = grid[i1] - grid[i0]
    frac = np.where(span > 0, (dd - grid[i0]) / np.where(span > 0, span, 1.0), 0.0)
    inject_drifting_kernel(chunk_uV, start, np.ascontiguousarray(s[lo:hi]),
                           np.ascontiguousarray(u[lo:hi]), i0.astype(np.int64),
                           i1.astype(np.int64), frac.astype(np.float32), templates.waveforms_uV,
                           templates.channel_index, templates.nbefore, _BLOCK_SAMPLES)


__all__ = ["DRIFT_KINDS", "DriftMotion", "DriftingTemplates", "compute_drifting_templates",
           "inject_spikes_drifting", "nonrigid_scale", "spike_displacements_um"]
