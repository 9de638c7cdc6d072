"""Firing-rate statistics of a population and the published ranges they are checked against.

`rate_statistics` summarises spike trains per cell type: mean and median rate, the spread
of ln(rate) across cells, the fractions of near-silent cells and the irregularity of firing.
`PUBLISHED_RATE_RANGES` holds the ranges from the literature (docs/references.md, "Firing
statistics"); the population tests and ``neurosim calibrate`` compare against them.

Estimators
----------
- ``sigma_ln``: the SD of ln(rate) across the active cells, estimated from the covariance of
  ln(count) in the two halves of the recording over the cells that fire in both halves:
  ``sigma_ln^2 = cov(ln n_1, ln n_2)``. The Poisson counting noise of the two halves is
  independent and drops out of the covariance.
- ``fraction_below_0p1_hz`` and ``fraction_below_1_hz``: fraction of cells whose count over the
  recording is below 0.1 Hz and 1 Hz times its duration (a recording shorter than 10 s cannot
  resolve 0.1 Hz: cells without a spike count as below it).
- ``isi_cv_median``: median over cells with more than 4 intervals of the ISI coefficient of
  variation (Poisson process: 1; cortex in vivo: about 1, Softky & Koch 1993).
"""

from __future__ import annotations

import numpy as np

from electrode_models._validation import check_range

__all__ = ["PUBLISHED_RATE_RANGES", "rate_statistics", "log_rate_sd"]

#: quantity -> (low, high, source). Pyramidal (excitatory) and interneuron (inhibitory) cells of
#: the awake/spontaneous cortex; see docs/references.md for the derivation of each range.
PUBLISHED_RATE_RANGES = {
    "pyramidal_mean_hz": (1.0, 10.0, "pyramidal cells fire a few Hz on average; L2/3 below 1 Hz, "
                                     "L5 5-10 Hz (Barth & Poulet 2012; Buzsaki & Mizuseki 2014)"),
    "interneuron_mean_hz": (5.0, 25.0, "fast-spiking interneurons ~10-20 Hz (Buzsaki & Mizuseki "
                                       "2014); all FS units above 1 Hz (Vijayan et al. 2010)"),
    "sigma_ln": (1.0, 1.5, "log-normal rates spanning two to three orders of magnitude (central "
                           "95 %: exp(4 sigma) = 55-400; Hromadka et al. 2008; Buzsaki & Mizuseki "
                           "2014; Roxin et al. 2011)"),
    "pyramidal_fraction_below_0p1_hz": (0.03, 0.20, "near-silent pyramidal cells: rates down to "
                                        "< 0.01 Hz (Hromadka et al. 2008), 'from silence' "
                                        "(O'Connor et al. 2010); left-skewed log rates (Levenstein "
                                        "& Okun 2022)"),
    "pyramidal_fraction_below_1_hz": (0.20, 0.60, "20 % of regular-spiking units below 1 Hz even "
                                      "in extracellular recordings biased to active cells (Vijayan "
                                      "et al. 2010); quasi-silence for many cells (Wohrer et al. "
                                      "2013; Shoham et al. 2006)"),
    "interneuron_fraction_below_1_hz": (0.0, 0.15, "fast-spiking units all fire above 1 Hz "
                                        "(Vijayan et al. 2010)"),
    "isi_cv_median": (0.8, 1.5, "irregular firing, CV ~1 (Softky & Koch 1993; Shinomoto et al. "
                                "2003)"),
}


def log_rate_sd(counts_first_half: np.ndarray, counts_second_half: np.ndarray) -> float:
    """SD of ln(rate) across cells from spike counts in two equal halves of a recording.

    ``sqrt(cov(ln n_1, ln n_2))`` over cells with at least one spike in each half (NaN with
    fewer than 3 such cells; 0 if the covariance is negative).
    """
    n1 = np.asarray(counts_first_half, float)
    n2 = np.asarray(counts_second_half, float)
    both = (n1 > 0) & (n2 > 0)
    if both.sum() < 3:
        return float("nan")
    cov = np.cov(np.log(n1[both]), np.log(n2[both]))[0, 1]
    return float(np.sqrt(max(cov, 0.0)))


def rate_statistics(spike_times_s: np.ndarray, spike_units: np.ndarray, cell_types: np.ndarray,
                    duration_s: float) -> dict:
    """Rate-distribution and irregularity statistics per cell type.

    Parameters
    ----------
    spike_times_s : np.ndarray, shape (num_spikes,)
        Spike times in ``[0, duration_s)``, s.
    spike_units : np.ndarray of int, shape (num_spikes,)
        Index of the cell of each spike (into ``cell_types``).
    cell_types : np.ndarray of int, shape (num_cells,)
        0 pyramidal, 1 interneuron.
    duration_s : float
        Length of the recording, s (> 0).

    Returns
    -------
    dict
        ``{"pyramidal": {...}, "interneuron": {...}}`` (a type without cells is left out), each
        with ``num_cells``, ``mean_hz``, ``median_hz``, ``sigma_ln``,
        ``fraction_below_0p1_hz``, ``fraction_below_1_hz``, ``isi_cv_median`` (see the module
        docstring for the estimators).
    """
    duration_s = check_range("duration_s", duration_s, 0.0, None, "s", low_inclusive=False)
    t = np.asarray(spike_times_s, float)
    u = np.asarray(spike_units, np.int64)
    types = np.asarray(cell_types, np.int64)
    n = len(types)
    counts = np.bincount(u, minlength=n)
    first = np.bincount(u[t < duration_s / 2], minlength=n)
    order = np.lexsort((t, u))
    t_sorted, u_sorted = t[order], u[order]
    same = u_sorted[1:] == u_sorted[:-1]
    isi, owner = np.diff(t_sorted)[same], u_sorted[1:][same]
    num_isi = np.bincount(owner, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_isi = np.bincount(owner, isi, minlength=n) / num_isi
        var_isi = np.bincount(owner, isi**2, minlength=n) / num_isi - mean_isi**2
        cv = np.where(num_isi > 4, np.sqrt(np.maximum(var_isi, 0.0)) / mean_isi, np.nan)
    out = {}
    for code, name in ((0, "pyramidal"), (1, "interneuron")):
        m = types == code
        if not m.any():
            continue
        rates = counts[m] / duration_s
        cvs = cv[m][np.isfinite(cv[m])]
        out[name] = {
            "num_cells": int(m.sum()), "mean_hz": float(rates.mean()),
            "median_hz": float(np.median(rates)),
            "sigma_ln": log_rate_sd(first[m], counts[m] - first[m]),
            "fraction_below_0p1_hz": float(np.mean(counts[m] < 0.1 * duration_s)),
            "fraction_below_1_hz": float(np.mean(counts[m] < 1.0 * duration_s)),
            "isi_cv_median": float(np.median(cvs)) if cvs.size else float("nan"),
        }
    return out
