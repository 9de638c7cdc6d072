"""Ground-truth spikes of a run, served window by window in samples (bounded memory).

The pipeline asks, for every chunk, for the spikes whose templates touch it and for the spikes
that fall in it (to write, score and count). Stored activity is sliced; generated (streamed)
activity is produced per fixed block of `FEED_BLOCK_S` and the last few blocks are kept,
so an hour-long recording never holds more than a few seconds of spikes. Spikes of cells the
implant killed (``cell_alive``) are removed here, once.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

__all__ = ["SpikeFeed", "FEED_BLOCK_S"]

#: Generated spikes are produced and cached per block of this length, s.
FEED_BLOCK_S = 1.0
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
        self._block = max(1, int(round(FEED_BLOCK_S * self.fs)))
        self._cache: OrderedDict[int, tuple] = OrderedDict()
        if not activity.streamed:  # slice the stored arrays once
            self._all = self._convert(activity.spike_times_s, activity.spike_units)

    def _convert(self, times_s, units):
        units = np.asarray(units, np.int64)
        fires = self.alive[units] if units.size else np.zeros(0, bool)
        t = np.asarray(times_s, float)[fires]
        return t, np.round(t * self.fs).astype(np.int64), units[fires]

    def _block_spikes(self, b: int):
        if b not in self._cache:
            # every spike whose rounded sample lies in the block: t in [(lo - 0.5) / fs, (hi - 0.5) / fs]
            lo, hi = b * self._block, (b + 1) * self._block
            t, s, u = self._convert(*self.activity.spikes_between((lo - 1) / self.fs, (hi + 1) / self.fs))
            keep = (s >= lo) & (s < hi)
            self._cache[b] = (t[keep], s[keep], u[keep])
            while len(self._cache) > _KEEP_BLOCKS:
                self._cache.popitem(last=False)
        return self._cache[b]

    def between(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Spikes with ``lo <= sample < hi``: times (s), samples, units, sorted by sample."""
        lo, hi = max(int(lo), 0), int(hi)
        if hi <= lo:
            return np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64)
        if not self.activity.streamed:
            t, s, u = self._all
            i, j = np.searchsorted(s, [lo, hi])
            return t[i:j], s[i:j], u[i:j]
        parts = [self._block_spikes(b) for b in range(lo // self._block, (hi - 1) // self._block + 1)]
        t, s, u = (np.concatenate(x) for x in zip(*parts))
        keep = (s >= lo) & (s < hi)
        return t[keep], s[keep], u[keep]
