"""Scores of on-chip detection against the ground truth.

A detection on channel ``c`` at sample ``d`` matches a true spike at sample ``s`` when
``|d - delay - s| <= tolerance`` (default ±0.4 ms, as SpikeInterface's
``compare_sorter_to_ground_truth``); each true spike and each detection is matched at most once.
Within one channel the greedy earliest-first matching used here is a maximum matching (the
compatibility graph of two sorted sequences with a symmetric window is an interval graph).

What counts as a true event on a channel differs for the two measures:

- *recall* counts the spikes of units whose **noise-free** filtered template reaches the
  channel's detection threshold ("detectable in principle"), so it measures what noise, overlap
  and dead time cost;
- *precision* counts a detection as true when it lies within the tolerance of a spike of any unit
  whose noise-free amplitude reaches ``present_fraction`` (default 0.5) of the threshold: noise
  of about ±2σ routinely carries such a spike over a 4.5σ threshold, and that detection is a
  real spike, not a false alarm. On the default design about 30 % of all detections are of this
  kind; scoring them as false positives would misreport the detector.

Per unit, recall is the fraction of its spikes matched on its best channel (largest filtered
amplitude); a detection may serve the recall of several units (detection is not sorting). As
threshold detection does not say which unit fired, a unit's precision is that of its best
channel (how clean the event stream is where the unit is best seen) and its F1 combines the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np

__all__ = ["match_events", "DetectionScores", "score_detection", "f1_score"]


@numba.njit(cache=True)
def _match_sorted(true_samples, det_samples, tolerance):
    """Greedy earliest-first matching of two sorted int arrays; returns boolean masks."""
    mt = np.zeros(true_samples.shape[0], dtype=np.bool_)
    md = np.zeros(det_samples.shape[0], dtype=np.bool_)
    i = 0
    for j in range(det_samples.shape[0]):
        d = det_samples[j]
        while i < true_samples.shape[0] and true_samples[i] < d - tolerance:
            i += 1
        if i < true_samples.shape[0] and true_samples[i] <= d + tolerance:
            mt[i] = True
            md[j] = True
            i += 1
    return mt, md


def match_events(true_samples: np.ndarray, det_samples: np.ndarray, tolerance_samples: int):
    """Match detections to true events within ``±tolerance_samples``.

    Parameters
    ----------
    true_samples, det_samples : np.ndarray of int
        Event sample indices (any order).
    tolerance_samples : int
        Half-width of the matching window, samples.

    Returns
    -------
    matched_true, matched_det : np.ndarray of bool
        Masks in the *input* order of each array.
    """
    t = np.asarray(true_samples, dtype=np.int64)
    d = np.asarray(det_samples, dtype=np.int64)
    ot, od = np.argsort(t, kind="stable"), np.argsort(d, kind="stable")
    mt_s, md_s = _match_sorted(t[ot], d[od], int(tolerance_samples))
    mt, md = np.empty_like(mt_s), np.empty_like(md_s)
    mt[ot], md[od] = mt_s, md_s
    return mt, md


def f1_score(precision, recall):
    """Harmonic mean of precision and recall (0 where both are 0; NaN propagates)."""
    p, r = np.asarray(precision, float), np.asarray(recall, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where((p + r) > 0, 2 * p * r / (p + r), 0.0)
    return np.where(np.isnan(p) | np.isnan(r), np.nan, f)


@dataclass
class DetectionScores:
    """Detection quality per channel, per unit and overall (micro-averaged over channels)."""

    channel_precision: np.ndarray
    channel_recall: np.ndarray
    channel_f1: np.ndarray
    channel_num_detected: np.ndarray
    channel_num_true: np.ndarray
    channel_num_matched: np.ndarray
    unit_recall: np.ndarray
    unit_precision: np.ndarray
    unit_f1: np.ndarray
    unit_num_spikes: np.ndarray
    unit_best_channel: np.ndarray
    unit_detectable: np.ndarray
    precision: float
    recall: float
    f1: float
    extra: dict = field(default_factory=dict)


def score_detection(spike_samples, spike_units, det_samples, det_channels,
                    unit_channels: np.ndarray, unit_amplitudes_uV: np.ndarray,
                    threshold_uV: np.ndarray, tolerance_samples: int,
                    window: tuple[int, int] | None = None, delay_samples: int = 0,
                    present_fraction: float = 0.5) -> DetectionScores:
    """Score detections against ground-truth spikes.

    Parameters
    ----------
    spike_samples, spike_units : np.ndarray, shape (num_spikes,)
        True spike times (samples) and unit indices.
    det_samples, det_channels : np.ndarray, shape (num_detections,)
        Detected events (samples, channel indices).
    unit_channels : np.ndarray of int, shape (num_units, k)
        Channels each unit reaches (−1 padded).
    unit_amplitudes_uV : np.ndarray, shape (num_units, k)
        Noise-free peak amplitude of the *filtered* template on those channels, µV, signed.
    threshold_uV : np.ndarray, shape (num_channels,)
        Detection threshold per channel, µV (magnitude).
    tolerance_samples : int
        Matching half-window, samples.
    window : (start, stop), optional
        Only events with ``start <= sample < stop`` are scored (e.g. after threshold calibration).
    delay_samples : int
        Known latency of the chip's detection path; subtracted from detection samples.
    present_fraction : float
        A unit's spikes justify detections on a channel where its noise-free amplitude is at
        least this fraction of the threshold (precision); recall uses the full threshold.
    """
    spike_samples = np.asarray(spike_samples, np.int64)
    spike_units = np.asarray(spike_units, np.int64)
    det_samples = np.asarray(det_samples, np.int64) - int(delay_samples)
    det_channels = np.asarray(det_channels, np.int64)
    threshold_uV = np.asarray(threshold_uV, float)
    num_channels = threshold_uV.shape[0]
    num_units = unit_channels.shape[0]
    if window is not None:
        keep = (spike_samples >= window[0]) & (spike_samples < window[1])
        spike_samples, spike_units = spike_samples[keep], spike_units[keep]
        keep = (det_samples >= window[0]) & (det_samples < window[1])
        det_samples, det_channels = det_samples[keep], det_channels[keep]

    valid = unit_channels >= 0
    safe_ch = np.where(valid, unit_channels, 0)
    visible = valid & (np.abs(unit_amplitudes_uV) >= threshold_uV[safe_ch])
    present = valid & (np.abs(unit_amplitudes_uV) >= present_fraction * threshold_uV[safe_ch])

    # -- per channel ------------------------------------------------------------------------
    order = np.argsort(spike_units, kind="stable")
    bounds = np.searchsorted(spike_units[order], np.arange(num_units + 1))
    det_order = np.argsort(det_channels, kind="stable")
    det_bounds = np.searchsorted(det_channels[det_order], np.arange(num_channels + 1))
    def spikes_on_channels(mask):
        per_channel = [[] for _ in range(num_channels)]
        for u, k in zip(*np.nonzero(mask)):
            per_channel[unit_channels[u, k]].append(spike_samples[order[bounds[u]:bounds[u + 1]]])
        return [np.concatenate(x) if x else np.zeros(0, np.int64) for x in per_channel]

    detectable_spikes = spikes_on_channels(visible)
    present_spikes = spikes_on_channels(present)
    n_det = np.diff(det_bounds)
    n_true = np.zeros(num_channels, np.int64)
    n_match_true = np.zeros(num_channels, np.int64)
    n_match_det = np.zeros(num_channels, np.int64)
    for c in range(num_channels):
        dets = det_samples[det_order[det_bounds[c]:det_bounds[c + 1]]]
        n_true[c] = detectable_spikes[c].size
        n_match_true[c] = match_events(detectable_spikes[c], dets, tolerance_samples)[0].sum()
        n_match_det[c] = match_events(present_spikes[c], dets, tolerance_samples)[1].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(n_det > 0, n_match_det / np.maximum(n_det, 1), np.nan)
        recall = np.where(n_true > 0, n_match_true / np.maximum(n_true, 1), np.nan)

    # -- per unit (best channel) -------------------------------------------------------------
    amp = np.where(valid, np.abs(unit_amplitudes_uV), -np.inf)
    best_k = np.argmax(amp, axis=1)
    best_ch = np.where(valid.any(axis=1), unit_channels[np.arange(num_units), best_k], -1)
    detectable = visible[np.arange(num_units), best_k] & (best_ch >= 0)
    unit_n = np.diff(bounds)
    unit_recall = np.full(num_units, np.nan)
    for u in np.nonzero(best_ch >= 0)[0]:
        if unit_n[u] == 0:
            continue
        c = best_ch[u]
        dets = det_samples[det_order[det_bounds[c]:det_bounds[c + 1]]]
        mt, _ = match_events(spike_samples[order[bounds[u]:bounds[u + 1]]], dets, tolerance_samples)
        unit_recall[u] = mt.mean()

    unit_precision = np.where(best_ch >= 0, precision[np.maximum(best_ch, 0)], np.nan)
    tot_det, tot_true = n_det.sum(), n_true.sum()
    p_all = n_match_det.sum() / tot_det if tot_det else float("nan")
    r_all = n_match_true.sum() / tot_true if tot_true else float("nan")
    return DetectionScores(
        channel_precision=precision, channel_recall=recall, channel_f1=f1_score(precision, recall),
        channel_num_detected=n_det, channel_num_true=n_true, channel_num_matched=n_match_det,
        unit_recall=unit_recall, unit_precision=unit_precision,
        unit_f1=f1_score(unit_precision, unit_recall), unit_num_spikes=unit_n, unit_best_channel=best_ch.astype(np.int64),
        unit_detectable=detectable, precision=float(p_all), recall=float(r_all),
        f1=float(f1_score(p_all, r_all)))
