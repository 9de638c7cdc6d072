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

__all__ = ["match_events", "DetectionScores", "DetectionScorer", "score_detection", "f1_score",
           "DETECTABLE_UNIT_DEFINITION"]

#: What "detectable units" means in a run's summary, metrics and ``scores/unit/detectable``
#: (`DetectionScorer.finish`); printed under the CLI summary and quoted in the docs.
DETECTABLE_UNIT_DEFINITION = (
    "detectable unit: a simulated cell whose noise-free spike, filtered by the chip's front end, "
    "reaches the detection threshold (threshold_k x the channel's noise estimate, uV) on its best "
    "channel (the channel where that filtered spike is largest); recall counts only the spikes of "
    "these units")


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


@numba.njit(cache=True)
def _match_grouped(true_s, true_bounds, group_channel, det_s, det_bounds, tolerance):
    """Greedy earliest-first matches of each group of sorted true events against the sorted
    detections of its channel; returns the number of matched pairs per group.

    ``true_s[true_bounds[g]:true_bounds[g + 1]]`` are group ``g``'s events (sorted), matched
    against ``det_s[det_bounds[c]:det_bounds[c + 1]]`` with ``c = group_channel[g]`` (``-1``:
    group not scored). The matching is one-to-one, so the count is that of both sides.
    """
    n_groups = true_bounds.shape[0] - 1
    matched = np.zeros(n_groups, dtype=np.int64)
    for g in range(n_groups):
        c = group_channel[g]
        if c < 0:
            continue
        i, i_end = true_bounds[g], true_bounds[g + 1]
        n = 0
        for j in range(det_bounds[c], det_bounds[c + 1]):
            d = det_s[j]
            while i < i_end and true_s[i] < d - tolerance:
                i += 1
            if i < i_end and true_s[i] <= d + tolerance:
                n += 1
                i += 1
        matched[g] = n
    return matched


class DetectionScorer:
    """Detection scores accumulated over fixed time blocks, for recordings of any length.

    Spikes and detections are added as they are produced (`add`); `flush` scores
    every block that is complete, keeping only the counts, so memory is bounded by one block of
    spikes and events whatever the duration. Blocks are fixed multiples of ``block_samples``
    (``None``: one block, the whole recording), so the scores do not depend on how the caller
    chunks time. A spike and a detection match only within the same block: at the default
    ±0.4 ms and 10 s blocks, at most 2 x 12 / 300 000 ≈ 0.01 % of events sit where a match could
    straddle a boundary.

    Parameters
    ----------
    unit_channels : np.ndarray of int, shape (num_units, k)
        Channels each unit reaches (−1 padded).
    unit_amplitudes_uV : np.ndarray, shape (num_units, k)
        Noise-free peak amplitude of the *filtered* template on those channels, µV, signed.
    num_channels : int
        Channels of the recording.
    tolerance_samples : int
        Matching half-window, samples.
    window : (start, stop), optional
        Only events with ``start <= sample < stop`` are scored (e.g. after threshold calibration).
    delay_samples : int
        Known latency of the chip's detection path; subtracted from detection samples.
    present_fraction : float
        A unit's spikes justify detections on a channel where its noise-free amplitude is at
        least this fraction of the threshold (precision); recall uses the full threshold.
    block_samples : int, optional
        Length of a scoring block, samples.
    """

    def __init__(self, unit_channels, unit_amplitudes_uV, num_channels: int, tolerance_samples: int,
                 window: tuple[int, int] | None = None, delay_samples: int = 0,
                 present_fraction: float = 0.5, block_samples: int | None = None):
        self.unit_channels = np.asarray(unit_channels, np.int64)
        self.unit_amplitudes_uV = np.asarray(unit_amplitudes_uV, float)
        if self.unit_amplitudes_uV.shape != self.unit_channels.shape:
            raise ValueError(f"unit_amplitudes_uV must have the shape of unit_channels "
                             f"{self.unit_channels.shape}, got {self.unit_amplitudes_uV.shape}")
        if block_samples is not None and int(block_samples) < 1:
            raise ValueError(f"block_samples must be >= 1 sample, got {block_samples}")
        self.num_channels, self.tolerance = int(num_channels), int(tolerance_samples)
        self.window = (-np.inf, np.inf) if window is None else window
        self.delay, self.present_fraction = int(delay_samples), float(present_fraction)
        self.block = None if block_samples is None else int(block_samples)
        nu = self.unit_channels.shape[0]
        self._pending: list[tuple] = []
        self._scored_to = None  # every block before this sample has been scored
        self._n_true = np.zeros(self.num_channels, np.int64)
        self._n_match_true = np.zeros(self.num_channels, np.int64)
        self._n_det = np.zeros(self.num_channels, np.int64)
        self._n_match_det = np.zeros(self.num_channels, np.int64)
        self._unit_n = np.zeros(nu, np.int64)
        self._unit_matched = np.zeros(nu, np.int64)

    def add(self, spike_samples, spike_units, det_samples, det_channels) -> None:
        """Queue spikes (samples, units) and detections (samples, channels) for scoring."""
        s = np.asarray(spike_samples, np.int64)
        u = np.asarray(spike_units, np.int64)
        d = np.asarray(det_samples, np.int64) - self.delay
        c = np.asarray(det_channels, np.int64)
        if s.shape != u.shape or d.shape != c.shape:
            raise ValueError("spike_samples/spike_units and det_samples/det_channels must pair up")
        if u.size and (u.min() < 0 or u.max() >= self.unit_channels.shape[0]):
            raise ValueError(f"spike_units must be in [0, {self.unit_channels.shape[0] - 1}], "
                             f"got values in [{u.min()}, {u.max()}]")
        if c.size and (c.min() < 0 or c.max() >= self.num_channels):
            raise ValueError(f"det_channels must be in [0, {self.num_channels - 1}], "
                             f"got values in [{c.min()}, {c.max()}]")
        self._pending.append((s, u, d, c))

    def flush(self, done_sample: int, threshold_uV) -> None:
        """Score the complete blocks that end at or before ``done_sample``.

        The caller promises that no spike or detection before ``done_sample`` is still to come.
        """
        if self.block is None:
            return
        cut = (int(done_sample) // self.block) * self.block
        if self._pending and (self._scored_to is None or cut > self._scored_to):
            self._score_before(cut, threshold_uV)

    def finish(self, threshold_uV) -> DetectionScores:
        """Score what is left and return the scores (per channel, per unit, overall)."""
        self._score_before(None, threshold_uV)
        visible, _, best_ch = self._masks(threshold_uV)
        nu = self.unit_channels.shape[0]
        has = best_ch >= 0
        best_k = self._best_k()
        detectable = visible[np.arange(nu), best_k] & has
        n_det, n_true = self._n_det, self._n_true
        with np.errstate(invalid="ignore", divide="ignore"):
            precision = np.where(n_det > 0, self._n_match_det / np.maximum(n_det, 1), np.nan)
            recall = np.where(n_true > 0, self._n_match_true / np.maximum(n_true, 1), np.nan)
            unit_recall = np.where(has & (self._unit_n > 0),
                                   self._unit_matched / np.maximum(self._unit_n, 1), np.nan)
        unit_precision = np.where(has, precision[np.maximum(best_ch, 0)], np.nan)
        tot_det, tot_true = n_det.sum(), n_true.sum()
        p_all = self._n_match_det.sum() / tot_det if tot_det else float("nan")
        r_all = self._n_match_true.sum() / tot_true if tot_true else float("nan")
        return DetectionScores(
            channel_precision=precision, channel_recall=recall, channel_f1=f1_score(precision, recall),
            channel_num_detected=n_det.copy(), channel_num_true=n_true.copy(),
            channel_num_matched=self._n_match_det.copy(), unit_recall=unit_recall,
            unit_precision=unit_precision, unit_f1=f1_score(unit_precision, unit_recall),
            unit_num_spikes=self._unit_n.copy(), unit_best_channel=best_ch.astype(np.int64),
            unit_detectable=detectable, precision=float(p_all), recall=float(r_all),
            f1=float(f1_score(p_all, r_all)))

    # -- internals ----------------------------------------------------------------------------
    def _best_k(self):
        valid = self.unit_channels >= 0
        return np.argmax(np.where(valid, np.abs(self.unit_amplitudes_uV), -np.inf), axis=1) \
            if self.unit_channels.shape[1] else np.zeros(self.unit_channels.shape[0], np.int64)

    def _masks(self, threshold_uV):
        thr = np.asarray(threshold_uV, float)
        if thr.shape != (self.num_channels,):
            raise ValueError(f"threshold_uV must have shape ({self.num_channels},), got {thr.shape}")
        uc = self.unit_channels
        valid = uc >= 0
        amp = np.abs(self.unit_amplitudes_uV)
        t = thr[np.where(valid, uc, 0)]
        visible = valid & (amp >= t)
        present = valid & (amp >= self.present_fraction * t)
        nu = uc.shape[0]
        best_ch = np.where(valid.any(axis=1), uc[np.arange(nu), self._best_k()], -1) \
            if uc.shape[1] else np.full(nu, -1)
        return visible, present, best_ch

    def _score_before(self, cut, threshold_uV) -> None:
        if not self._pending:
            return
        s, u, d, c = (np.concatenate(x) for x in zip(*self._pending))
        self._pending = []
        if cut is not None:  # keep what is at or after the cut for later blocks
            ks, kd = s >= cut, d >= cut
            if ks.any() or kd.any():
                self._pending.append((s[ks], u[ks], d[kd], c[kd]))
            s, u, d, c = s[~ks], u[~ks], d[~kd], c[~kd]
        self._scored_to = cut
        w0, w1 = self.window
        ks = (s >= w0) & (s < w1)
        kd = (d >= w0) & (d < w1)
        s, u, d, c = s[ks], u[ks], d[kd], c[kd]
        if self.block is None:
            self._count(s, u, d, c, threshold_uV)
            return
        bs, bd = s // self.block, d // self.block
        for b in np.union1d(bs, bd):
            ms, md = bs == b, bd == b
            self._count(s[ms], u[ms], d[md], c[md], threshold_uV)

    def _count(self, s, u, d, c, threshold_uV) -> None:
        """Add one block's counts."""
        visible, present, best_ch = self._masks(threshold_uV)
        nc = self.num_channels
        od = np.lexsort((d, c))
        det_s = d[od]
        det_bounds = np.searchsorted(c[od], np.arange(nc + 1))
        self._n_det += np.diff(det_bounds)
        channels = np.arange(nc, dtype=np.int64)
        for mask, total, matched in ((visible, self._n_true, self._n_match_true),
                                     (present, self._n_match_det, None)):
            ts, tc = _spikes_on_channels(s, u, mask, self.unit_channels)
            o = np.lexsort((ts, tc))
            bounds = np.searchsorted(tc[o], np.arange(nc + 1))
            m = _match_grouped(ts[o], bounds, channels, det_s, det_bounds, self.tolerance)
            if matched is None:  # precision: matched detections
                total += m
            else:
                total += np.diff(bounds)
                matched += m
        ou = np.lexsort((s, u))
        ub = np.searchsorted(u[ou], np.arange(self.unit_channels.shape[0] + 1))
        self._unit_n += np.diff(ub)
        self._unit_matched += _match_grouped(s[ou], ub, best_ch.astype(np.int64), det_s, det_bounds,
                                             self.tolerance)


def _spikes_on_channels(s, u, mask, unit_channels):
    """Every (sample, channel) pair of spike ``i`` on the channels where ``mask[u_i]`` is set."""
    per_unit = mask.sum(axis=1)
    n = per_unit[u]
    if n.sum() == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    rows, cols = np.nonzero(mask)  # row-major: each unit's channels contiguous
    start = np.concatenate([[0], np.cumsum(per_unit)])[u]
    rep = np.repeat(np.arange(s.size), n)
    offset = np.arange(rep.size) - np.repeat(np.cumsum(n) - n, n)
    k = start[rep] + offset
    return s[rep], unit_channels[rows[k], cols[k]].astype(np.int64)


def score_detection(spike_samples, spike_units, det_samples, det_channels,
                    unit_channels: np.ndarray, unit_amplitudes_uV: np.ndarray,
                    threshold_uV: np.ndarray, tolerance_samples: int,
                    window: tuple[int, int] | None = None, delay_samples: int = 0,
                    present_fraction: float = 0.5) -> DetectionScores:
    """Score detections against ground-truth spikes in one go (see `DetectionScorer`).

    Parameters
    ----------
    spike_samples, spike_units : np.ndarray, shape (num_spikes,)
        True spike times (samples) and unit indices.
    det_samples, det_channels : np.ndarray, shape (num_detections,)
        Detected events (samples, channel indices).
    unit_channels, unit_amplitudes_uV, tolerance_samples, window, delay_samples, present_fraction
        As for `DetectionScorer`.
    threshold_uV : np.ndarray, shape (num_channels,)
        Detection threshold per channel, µV (magnitude).
    """
    threshold_uV = np.asarray(threshold_uV, float)
    scorer = DetectionScorer(unit_channels, unit_amplitudes_uV, threshold_uV.shape[0],
                             tolerance_samples, window=window, delay_samples=delay_samples,
                             present_fraction=present_fraction)
    scorer.add(spike_samples, spike_units, det_samples, det_channels)
    return scorer.finish(threshold_uV)
