"""Pickup: add the templates of every spike into a (samples x channels) chunk.

``chunk[n - start, c] += W_u[n - s_k + nbefore, c]`` for each spike k of unit u at global
sample ``s_k`` (its trough), for all overlapping samples, including spikes straddling the chunk
edges. Output is bitwise independent of chunking (each sample is summed in spike order).
"""

from __future__ import annotations

import numpy as np

from ._pickup_kernels import inject_kernel
from ._validation import check_array, check_chunk, check_int
from .templates import SparseTemplates

_BLOCK_SAMPLES = 1024


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
                  templates.waveforms_uV, templates.channel_index, templates.nbefore,
                  _BLOCK_SAMPLES)
