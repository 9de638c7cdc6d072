"""Pickup: add the templates of every spike into a (samples x channels) chunk.

``chunk[n - start, c] += W_u[n - s_k + nbefore, c]`` for each spike k of unit u at global
sample ``s_k`` (its trough), for all overlapping samples, including spikes straddling the chunk
edges. Output is bitwise independent of chunking (each sample is summed in spike order).
`prune_template_channels` drops the template channels whose peak is below an amplitude floor, so
that injection costs what the signal that matters costs.
"""

from __future__ import annotations

import numba
import numpy as np

from ._pickup_kernels import inject_kernel, pack_columns_kernel, tile_samples, trim_support_kernel
from ._validation import check_array, check_chunk, check_int, check_range
from .templates import SparseTemplates

__all__ = ["inject_spikes", "prune_template_channels", "check_spikes_for_chunk"]


def check_spikes_for_chunk(chunk_uV, chunk_start_sample, spike_samples, spike_units, templates):
    """Validate a chunk and its spikes; return ``(start, samples, units, lo, hi)``.

    ``samples[lo:hi]`` are the spikes whose templates can touch the chunk (``hi <= lo``: none).
    Shared by the static and the drifting pickup.
    """
    check_chunk("chunk_uV", chunk_uV)
    start = check_int("chunk_start_sample", chunk_start_sample, 0, None)
    s = check_array("spike_samples", spike_samples, ndim=1, dtype=np.int64)
    u = check_array("spike_units", spike_units, shape=(s.shape[0],), dtype=np.int64)
    if s.size > 1 and np.any(np.diff(s) < 0):
        raise ValueError("spike_samples must be sorted ascending")
    if u.size and (u.min() < 0 or u.max() >= templates.n_units):
        raise ValueError(f"spike_units must be in [0, {templates.n_units - 1}], "
                         f"got values in [{u.min()}, {u.max()}]")
    need = int(templates.channel_index.max(initial=-1)) + 1
    if need > chunk_uV.shape[1]:
        raise ValueError(f"chunk_uV must have at least {need} channels for these templates, "
                         f"got {chunk_uV.shape[1]}")
    if s.size == 0 or chunk_uV.shape[0] == 0:
        return start, s, u, 0, 0
    lo = int(np.searchsorted(s, start - templates.nafter + 1))
    hi = int(np.searchsorted(s, start + chunk_uV.shape[0] + templates.nbefore))
    return start, s, u, lo, hi


def inject_spikes(chunk_uV: np.ndarray, chunk_start_sample: int, spike_samples, spike_units,
                  templates: SparseTemplates) -> None:
    """Add spike templates into ``chunk_uV`` in place.

    Parameters
    ----------
    chunk_uV : np.ndarray, float32, shape (n_samples, n_channels), C-contiguous, µV; modified.
    chunk_start_sample : int, global index of the chunk's first sample, >= 0.
    spike_samples : array of int64, shape (n_spikes,), sorted ascending, global trough samples.
    spike_units : array of int64, shape (n_spikes,), unit index in [0, templates.n_units).
    templates : SparseTemplates
    """
    start, s, u, lo, hi = check_spikes_for_chunk(chunk_uV, chunk_start_sample, spike_samples,
                                                 spike_units, templates)
    if hi <= lo:
        return
    inject_kernel(chunk_uV, start, np.ascontiguousarray(s[lo:hi]), np.ascontiguousarray(u[lo:hi]),
                  np.ascontiguousarray(templates.waveforms_uV, np.float32),
                  np.ascontiguousarray(templates.channel_index), templates.nbefore,
                  tile_samples(chunk_uV.shape[1]), numba.get_num_threads(), templates.sample_support())


def prune_template_channels(templates: SparseTemplates, min_peak_uV: float,
                            min_sample_uV: float = 0.0) -> SparseTemplates:
    """Drop the template channels whose peak |amplitude| is below ``min_peak_uV``, and the
    leading and trailing samples of each unit where every kept channel is below ``min_sample_uV``.

    Each unit keeps, in their order, the columns before its first -1 whose largest absolute
    sample is ``>= min_peak_uV``; they are packed to the front and the arrays shrink to the
    largest number of columns any unit keeps (at least 1), -1 padded. Injection then costs what
    the kept columns cost: with ``min_peak_uV = 0`` nothing is dropped, but padding columns
    (-1) that every unit leaves unused are removed, which alone makes injection read
    ``n_q / kept`` times less template memory (a Utah unit has one live column of 8).

    Dropping a column changes the injected signal of one spike on that channel by less than
    ``min_peak_uV`` at every sample (overlapping spikes add their errors). Likewise the samples
    outside a unit's support (``support``: from its first to its last sample where some kept
    column reaches ``min_sample_uV``) are not injected: each changes by less than
    ``min_sample_uV``. Templates that decay to < 1 % of their trough over 10 ms (the cell
    library's) spend most of their length in that tail: at 0.07 µV (1 % of a 7 µV noise) a
    315-sample template keeps ~190 samples.

    Parameters
    ----------
    templates : SparseTemplates
    min_peak_uV : float
        Floor on a column's peak |amplitude|, µV, >= 0.
    min_sample_uV : float
        Floor on the samples kept at a unit's start and end, µV, >= 0 (0: all).

    Returns
    -------
    SparseTemplates
        The input is not modified; when no column moves or goes, the waveform array is the
        input's (shared, not copied). ``nbefore``, ``fs_hz`` and ``shift_samples`` are
        kept; ``peak_amplitude_uV`` and ``best_channel`` are those of the input for units that
        keep a column, 0 and -1 (as `compute_templates` marks them) for units that keep none.
    """
    floor = check_range("min_peak_uV", min_peak_uV, 0.0, None, "µV")
    sample_floor = check_range("min_sample_uV", min_sample_uV, 0.0, None, "µV")
    w = np.asarray(templates.waveforms_uV, np.float32)
    chan = np.asarray(templates.channel_index)
    n_u, n_t, n_q = w.shape
    live = np.cumprod(chan >= 0, axis=1).astype(bool)  # columns before the first -1
    # largest |sample| of each live column (the padding columns are not read: with 8 columns a
    # Utah unit has ~1 live, so this reads ~1/8 of the array)
    peak = np.zeros((n_u, n_q), np.float32)
    if n_t and floor > 0.0:
        lu, lq = np.nonzero(live)
        peak[lu, lq] = np.abs(w[lu, :, lq]).max(axis=1)
    keep = live & (peak.astype(np.float64) >= floor)
    n_keep = keep.sum(axis=1)
    k_out = max(1, int(n_keep.max(initial=0)))
    # destination column of each kept column: its rank among the unit's kept columns
    dest = np.cumsum(keep, axis=1) - 1
    u_idx, q_idx = np.nonzero(keep)
    if k_out == n_q and np.array_equal(dest[u_idx, q_idx], q_idx) \
            and np.array_equal(keep, live):    # nothing moves or goes: the input's array, shared
        wave = w
    else:
        wave = np.zeros((n_u, n_t, k_out), np.float32)
        pack_columns_kernel(w, u_idx.astype(np.int64), q_idx.astype(np.int64),
                            dest[u_idx, q_idx].astype(np.int64), wave)
    ci = np.full((n_u, k_out), -1, np.int32)
    ci[u_idx, dest[u_idx, q_idx]] = chan[u_idx, q_idx]
    none = n_keep == 0
    peak_amp = np.where(none, np.float32(0.0), templates.peak_amplitude_uV).astype(np.float32)
    best = np.where(none, -1, templates.best_channel).astype(np.int32)
    shift = None if templates.shift_samples is None else np.array(templates.shift_samples)
    support = np.array(templates.sample_support())
    if sample_floor > 0.0 and n_t:
        trim_support_kernel(wave, np.float32(sample_floor), support)
    return SparseTemplates(wave, ci, templates.nbefore, templates.fs_hz, peak_amp, best, shift,
                           support.astype(np.int32))
