"""Independent renewal spiking, generated on demand per fixed time block (any duration).

The ``poisson`` population model is for long recordings (hours) where a recurrent network is too
slow to simulate and its spikes too many to hold: each cell fires as a Poisson process with an
absolute refractory period (dead time ``tau``), at a rate drawn from a log-normal distribution,
as the spike trains of MEArec and SpikeInterface's ground-truth generator. Cortical firing rates
are log-normally distributed across cells (Buzsáki & Mizuseki 2014, Nat. Rev. Neurosci. 15:264),
pyramidal cells with medians of a few Hz and fast-spiking interneurons around 10-20 Hz, and
below the log-normal a tail of near-silent cells (the log-rate distribution is skewed to the left:
Levenstein & Okun 2022, J Physiol 600:3055; rates below 0.01 Hz in some cells: Hromadka et al.
2008, PLoS Biol 6:e16). `poisson_rates_hz` draws that mixture: by default 7 % of the
pyramidal cells fire at 0.01-0.1 Hz, as in the default ``balanced_ei`` network.

Nothing is stored: the spikes of block ``b`` (``[b T, (b + 1) T)``, ``T`` =
`BLOCK_S`) of cell ``i`` are a pure function of ``(seed, cell_ids[i], b)`` through a
counter-based generator (SplitMix64), so any time window can be produced in any order, by any
number of workers, and a subset of the cells keeps its spike trains.

Dead time: a Poisson process of rate ``lambda`` with every event within ``tau`` of the previous
kept event removed has rate ``lambda / (1 + lambda tau)``; it is run at ``lambda = r / (1 - r tau)``
so the output rate is ``r`` (``r tau < 1`` is required). The dead time restarts at every block
boundary, which raises the rate by at most ``r^2 tau / (1 s)`` relative (0.02 % at 10 Hz, 2 ms).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

# The counter-based generator shared by every random stream of a run (SplitMix64):
# ``_uniform(key, k)`` is the k-th uniform in (0, 1) of stream ``key``.
from electrode_models._counter_rng import splitmix64
from electrode_models._counter_rng import uniform_at as _uniform
from electrode_models._validation import check_range

__all__ = ["BLOCK_S", "SILENT_FRACTION", "SILENT_RANGE_HZ", "poisson_rates_hz", "poisson_spikes"]

#: Length of a generation block, s. Fixed: changing it changes every spike train.
BLOCK_S = 1.0
#: Default near-silent fraction of (pyramidal cells, interneurons): that of the default
#: ``balanced_ei`` network (7.5 % of its pyramidal cells and 0.5 % of its interneurons fire
#: below 0.1 Hz over 30 s; docs/populations.md).
SILENT_FRACTION = (0.07, 0.0)
#: Range of near-silent rates, Hz (log-uniform): below 0.1 Hz, down to 0.01 Hz (Hromadka et al.
#: 2008 report spontaneous rates below 0.01 Hz in some cells).
SILENT_RANGE_HZ = (0.01, 0.1)


@njit(cache=True)
def _cell_block(key, lam, tau, t0, t1, out, n0):
    """Dead-time-thinned Poisson events of one cell in [t0, t1); writes from out[n0] when out
    has room (first pass: out of size 0 counts only). Returns the number of events."""
    t = t0
    last = -1e300
    n = 0
    k = 0
    while True:
        t += -math.log(_uniform(key, k)) / lam
        k += 1
        if t >= t1:
            break
        if t - last < tau:
            continue
        if out.shape[0] > 0:
            out[n0 + n] = t
        last = t
        n += 1
    return n


@njit(cache=True, parallel=True)
def _block_spikes(rates, cell_ids, seed, tau, block):
    """All spikes of one block: (times, units), grouped by cell."""
    n_cells = rates.shape[0]
    t0 = block * BLOCK_S
    t1 = t0 + BLOCK_S
    keys = np.empty(n_cells, np.uint64)
    counts = np.zeros(n_cells, np.int64)
    empty = np.empty(0, np.float64)
    for i in prange(n_cells):
        keys[i] = splitmix64(splitmix64(splitmix64(np.uint64(cell_ids[i])) ^ seed) + np.uint64(block))
        if rates[i] > 0:
            lam = rates[i] / (1.0 - rates[i] * tau)
            counts[i] = _cell_block(keys[i], lam, tau, t0, t1, empty, 0)
    offsets = np.zeros(n_cells + 1, np.int64)
    for i in range(n_cells):
        offsets[i + 1] = offsets[i] + counts[i]
    times = np.empty(offsets[n_cells], np.float64)
    units = np.empty(offsets[n_cells], np.int64)
    for i in prange(n_cells):
        if counts[i] > 0:
            lam = rates[i] / (1.0 - rates[i] * tau)
            _cell_block(keys[i], lam, tau, t0, t1, times, offsets[i])
            units[offsets[i]:offsets[i + 1]] = i
    return times, units


@njit(cache=True)
def _sort_by_time(times, units, t0, t1):
    """``times`` and ``units`` in ``[t0, t1)`` ordered by time, ties by input order: a stable
    bucket sort (one bucket per event on average, then insertion sort within each bucket), O(n).

    For one block's events, grouped by ascending unit, this is ``np.lexsort((units, times))``
    (tested), at ~1/10 of its cost; every time must lie in ``[t0, t1)``.
    """
    n = times.shape[0]
    nb = max(n, 1)
    scale = nb / (t1 - t0)
    start = np.zeros(nb + 1, np.int64)
    bucket = np.empty(n, np.int64)
    for k in range(n):
        b = min(int((times[k] - t0) * scale), nb - 1)
        bucket[k] = b
        start[b + 1] += 1
    for b in range(nb):
        start[b + 1] += start[b]
    fill = start[:-1].copy()
    t_out = np.empty(n, np.float64)
    u_out = np.empty(n, np.int64)
    for k in range(n):  # stable scatter: input order kept within a bucket
        j = fill[bucket[k]]
        fill[bucket[k]] = j + 1
        t_out[j] = times[k]
        u_out[j] = units[k]
    for b in range(nb):  # stable insertion sort of each (short) bucket
        for k in range(start[b] + 1, start[b + 1]):
            t, u = t_out[k], u_out[k]
            j = k - 1
            while j >= start[b] and t_out[j] > t:
                t_out[j + 1] = t_out[j]
                u_out[j + 1] = u_out[j]
                j -= 1
            t_out[j + 1] = t
            u_out[j + 1] = u
    return t_out, u_out



def poisson_rates_hz(cell_types: np.ndarray, median_hz: tuple[float, float], sigma_ln: float,
                     max_hz: float, rng: np.random.Generator, *,
                     silent_fraction: tuple[float, float] = SILENT_FRACTION,
                     silent_range_hz: tuple[float, float] = SILENT_RANGE_HZ) -> np.ndarray:
    """Firing rate of each cell: log-normal, plus a near-silent fraction (per type).

    A cell of type ``t`` (0: pyramidal, 1: interneuron) is near-silent with probability
    ``silent_fraction[t]``, its rate then log-uniform in ``silent_range_hz``; otherwise its rate is
    ``median_hz[t] * exp(sigma_ln * xi)``, ``xi ~ N(0, 1)``, clipped to ``max_hz``. Cortical rates
    are log-normal across cells (Hromadka et al. 2008; Buzsaki & Mizuseki 2014) with a tail of
    slow, near-silent cells below the log-normal (Levenstein & Okun 2022; some cells fire below
    0.01 Hz: Hromadka et al. 2008); the defaults follow the default ``balanced_ei`` network
    (docs/populations.md): 7 % of pyramidal cells near-silent, fast-spiking interneurons none
    (all fire above 1 Hz: Vijayan et al. 2010).

    Parameters
    ----------
    cell_types : np.ndarray of int, shape (num_cells,)
        0 pyramidal, 1 interneuron.
    median_hz : (float, float)
        Median rate of the log-normal part per type, Hz.
    sigma_ln : float
        Standard deviation of ln(rate) of the log-normal part.
    max_hz : float
        Rates are clipped here, Hz.
    rng : np.random.Generator
    silent_fraction : (float, float)
        Probability that a pyramidal cell / an interneuron is near-silent, each in [0, 1].
    silent_range_hz : (float, float)
        Range of the near-silent rates (log-uniform), Hz; ``0 < low <= high``.

    Returns
    -------
    np.ndarray, float64, shape (num_cells,)
        Rates, Hz. With ``silent_fraction = (0, 0)`` the draws (and rates) are those of the pure
        log-normal of earlier versions.
    """
    if len(silent_fraction) != 2 or len(silent_range_hz) != 2:
        raise ValueError(f"silent_fraction and silent_range_hz must be pairs, got {silent_fraction!r} "
                         f"and {silent_range_hz!r}")
    frac = np.array([check_range(f"silent_fraction[{k}]", x, 0.0, 1.0)
                     for k, x in enumerate(silent_fraction)])
    low = check_range("silent_range_hz[0]", silent_range_hz[0], 0.0, None, "Hz", low_inclusive=False)
    high = check_range("silent_range_hz[1]", silent_range_hz[1], low, None, "Hz")
    types = np.asarray(cell_types, np.int64)
    med = np.asarray(median_hz, float)[types]
    rates = np.minimum(med * np.exp(sigma_ln * rng.standard_normal(med.shape)), max_hz)
    if np.any(frac > 0):  # drawn after the log-normal part, so it stays the same
        silent = rng.random(med.shape) < frac[types]
        quiet = np.exp(rng.uniform(np.log(low), np.log(high), med.shape))
        rates = np.where(silent, quiet, rates)
    return rates


def poisson_spikes(rates_hz: np.ndarray, cell_ids: np.ndarray, seed: int, refractory_s: float,
                   t0_s: float, t1_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Spikes of every cell in ``[t0_s, t1_s)``, sorted by time (ties by unit).

    Parameters
    ----------
    rates_hz : np.ndarray, shape (num_cells,)
        Mean rate of each cell, Hz; ``rates_hz * refractory_s`` must be < 1.
    cell_ids : np.ndarray of int, shape (num_cells,)
        Stable identity of each cell (its random stream), e.g. its index in the full population.
    seed : int
        Seed of the population's spike trains.
    refractory_s : float
        Absolute refractory period (dead time), s.
    t0_s, t1_s : float
        Window, s (``0 <= t0_s <= t1_s``).

    Returns
    -------
    times_s : np.ndarray, float64; units : np.ndarray, int64 (index into ``rates_hz``).
    """
    rates = np.ascontiguousarray(rates_hz, np.float64)
    ids = np.ascontiguousarray(cell_ids, np.int64)
    if ids.shape != rates.shape:
        raise ValueError(f"cell_ids must have the shape of rates_hz {rates.shape}, got {ids.shape}")
    if rates.size and (rates.min() < 0 or (rates * refractory_s).max() >= 1.0):
        raise ValueError(f"rates_hz must be >= 0 Hz with rates_hz * refractory_s < 1, got rates in "
                         f"[{rates.min():g}, {rates.max():g}] Hz and refractory_s = {refractory_s:g} s")
    if not 0.0 <= t0_s <= t1_s:
        raise ValueError(f"need 0 <= t0_s <= t1_s, got t0_s = {t0_s:g} s, t1_s = {t1_s:g} s")
    key = np.uint64(int(seed) % 2**64)
    parts_t, parts_u = [], []
    for b in range(int(math.floor(t0_s / BLOCK_S)), int(math.ceil(t1_s / BLOCK_S))):
        t, u = _sort_by_time(*_block_spikes(rates, ids, key, float(refractory_s), b),
                             b * BLOCK_S, (b + 1) * BLOCK_S)
        i, j = np.searchsorted(t, [t0_s, t1_s])   # blocks are disjoint in time: each sorted
        parts_t.append(t[i:j])                    # block is a sorted run of the output
        parts_u.append(u[i:j])
    if not parts_t:
        return np.zeros(0), np.zeros(0, np.int64)
    if len(parts_t) == 1:
        return parts_t[0], parts_u[0]
    return np.concatenate(parts_t), np.concatenate(parts_u)
