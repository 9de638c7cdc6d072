"""Ground-truth spikes of a run, served window by window in samples (bounded memory).

The pipeline asks, for every chunk, for the spikes whose templates touch it and for the spikes
that fall in it (to write, score and count). Stored activity is converted and sorted once and
sliced. Generated (streamed) activity is produced per generation block of the population
(`neurosim.populations.poisson.BLOCK_S`): each block is generated, converted to samples and
sorted once (by the generator) and the last few are kept, so a window is a binary search and a
slice of one or two cached blocks, and an hour-long recording never holds more than a few
seconds of spikes. Spikes of cells the implant killed (``cell_alive``) are removed here, once.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from neurosim.populations.poisson import BLOCK_S

__all__ = ["SpikeFeed", "FEED_BLOCK_S"]

#: Generated spikes are produced and cached per block of this length, s (the population's own
#: generation block, so that every block is generated once).
FEED_BLOCK_S = BLOCK_S
_KEEP_BLOCKS = 4


class SpikeFeed:
    """Spikes of ``activity`` as (times_s, samples, units) for sample windows.

    Parameters
    ----------
    activity : neurosim.populations.Activity
        Stored or streamed activity.
    fs_hz : float
        Sample rate; a spike at ``t`` is at sample ``round(t * fs_hz)``.
    cell_alive : np.ndarray of bool, shape (num_cells,)
        Cells that still fire (chronic neuron loss near the implant).
    """

    def __init__(self, activity, fs_hz: float, cell_alive: np.ndarray):
        self.activity, self.fs = activity, float(fs_hz)
        self.alive = np.asarray(cell_alive, bool)
        self._cache: OrderedDict[int, tuple] = OrderedDict()
        self.blocks_generated = 0  # generation calls so far (streamed activity)
        if not activity.streamed:  # convert the stored arrays once
            self._all = self._convert(activity.spike_times_s, activity.spike_units)

    def _convert(self, times_s, units):
        units = np.asarray(units, np.int64)
        fires = self.alive[units] if units.size else np.zeros(0, bool)
        t = np.asarray(times_s, float)[fires]
        return t, np.round(t * self.fs).astype(np.int64), units[fires]

    def _block(self, b: int):
        """Spikes of generation block ``b`` (times in ``[b T, (b + 1) T)``), sorted by time then
        unit, with their samples: generated once while it stays in the cache."""
        hit = self._cache.get(b)
        if hit is not None:
            self._cache.move_to_end(b)
            return hit
        self.blocks_generated += 1
        block = self._convert(*self.activity.spikes_between(b * FEED_BLOCK_S, (b + 1) * FEED_BLOCK_S))
        self._cache[b] = block
        while len(self._cache) > _KEEP_BLOCKS:
            self._cache.popitem(last=False)
        return block

    def between(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Spikes with ``lo <= sample < hi``: times (s), samples, units, sorted by sample (time,
        then unit). The arrays may be views of cached ones: do not modify them."""
        lo, hi = max(int(lo), 0), int(hi)
        if hi <= lo:
            return np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64)
        if not self.activity.streamed:
            t, s, u = self._all
            i, j = np.searchsorted(s, [lo, hi])
            return t[i:j], s[i:j], u[i:j]
        # a spike at sample n has t within half a sample of n / fs: these blocks hold them all
        first = max(0, math.floor((lo - 1) / self.fs / FEED_BLOCK_S))
        last = math.ceil((hi + 1) / self.fs / FEED_BLOCK_S)
        parts = []
        for b in range(first, last):
            t, s, u = self._block(b)
            i, j = np.searchsorted(s, [lo, hi])
            if j > i:
                parts.append((t[i:j], s[i:j], u[i:j]))
        if not parts:
            return np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64)
        if len(parts) == 1:
            return parts[0]
        t, s, u = (np.concatenate(x) for x in zip(*parts))
        return t, s, u

    def for_chunk(self, start: int, stop: int, n_before: int, n_after: int):
        """Both windows a chunk ``[start, stop)`` needs, from one search.

        Returns ``(samples, units)`` of the spikes whose templates (``n_before`` samples before
        the spike, ``n_after`` from it on) touch the chunk, i.e. ``between(start - n_after + 1,
        stop + n_before)``, and ``(times_s, samples, units)`` of the spikes in the chunk,
        ``between(start, stop)`` (a slice of the first when ``n_after >= 1`` and ``n_before >= 0``).
        """
        start, stop = int(start), int(stop)
        lo, hi = start - int(n_after) + 1, stop + int(n_before)
        t, s, u = self.between(lo, hi)
        if stop > start and lo <= start and hi >= stop:
            i, j = np.searchsorted(s, [start, stop])
            return (s, u), (t[i:j], s[i:j], u[i:j])
        return (s, u), self.between(start, stop)
