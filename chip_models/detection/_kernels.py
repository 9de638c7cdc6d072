"""Numba kernels of the on-chip detectors and feature extractors (inputs trusted).

Every kernel processes one chunk and carries its state in caller-owned arrays, so a stream cut
into chunks of any size gives bitwise the same output as the whole stream at once.

Threshold crossing (fixed threshold or running MAD tracker) is one kernel, `_crossing_bits`,
that marks events in a hit bitmap; `bitmap_events` reads them back in (sample, channel) order.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange, uint64

from .._kernels import PREFETCH_ROWS, channel_block, prefetch_row

#: median(|x|) / sigma for a zero-mean Gaussian: Phi^-1(0.75) (Quiroga et al. 2004).
MAD_TO_SIGMA = 0.6745

#: Polarity codes of the crossing kernels: 0 ``x < -thr``, 1 ``x > thr``, 2 ``|x| > thr``.
POLARITY_CODES = {"negative": 0, "positive": 1, "both": 2}

PACK8 = np.uint64(0x0102040810204080)  # (8 bytes of 0/1) * PACK8 >> 56: byte b -> bit b


def mad_sigma(x: np.ndarray) -> np.ndarray:
    """Robust noise estimate per channel: ``sigma = median(|x|) / 0.6745`` (axis 0)."""
    return np.median(np.abs(x), axis=0) / MAD_TO_SIGMA


@njit(cache=True, parallel=True)
def median_code_and_cdf(x, step):  # pragma: no cover - numba
    """Per column of ``q = rint(|x| / step)`` (``x`` float64 (n, C)): the median code ``k`` (the
    smallest with ``P(q <= k) >= 1/2``, NumPy's ``quantile(q, 0.5, method="inverted_cdf")``)
    and ``P(q <= k)``, from histograms (no sort). Threads own blocks of 32 adjacent columns and
    read the rows left to right."""
    n, c_n = x.shape
    k_out = np.zeros(c_n, np.int64)
    f_out = np.zeros(c_n)
    n_blk = (c_n + 31) // 32
    tops = np.zeros(n_blk, np.int64)
    for blk in prange(n_blk):
        c0, c1 = blk * 32, min(c_n, blk * 32 + 32)
        top = 0
        for t in range(n):
            for c in range(c0, c1):
                top = max(top, np.int64(np.rint(abs(x[t, c]) / step)))
        tops[blk] = top
    for blk in prange(n_blk):
        c0, c1 = blk * 32, min(c_n, blk * 32 + 32)
        top = tops[blk]
        counts = np.zeros((c1 - c0, top + 1), np.int64)
        for t in range(n):
            for c in range(c0, c1):
                counts[c - c0, np.int64(np.rint(abs(x[t, c]) / step))] += 1
        for c in range(c0, c1):
            acc = 0
            for v in range(top + 1):
                acc += counts[c - c0, v]
                if 2 * acc >= n:
                    k_out[c] = v
                    f_out[c] = acc / n
                    break
    return k_out, f_out


def hit_bitmap(num_samples: int, num_channels: int, scratch=None) -> np.ndarray:
    """A uint8 hit bitmap for the crossing kernels (rows padded to whole 64-bit words; padding
    never read), reusing ``scratch`` (an earlier one of the same channel count) when it has
    enough rows: the kernels rewrite every byte of a channel in the rows they use."""
    width = -(-num_channels // 64) * 8
    if scratch is not None and scratch.shape[0] >= num_samples and scratch.shape[1] == width:
        return scratch
    return np.zeros((max(num_samples, 1), width), np.uint8)


@njit(cache=True, parallel=True)
def _crossing_bits(x, level, k_level, eta, adaptive, dead_remaining, dead_samples, polarity, bits,
                   block):  # pragma: no cover - numba
    """Threshold crossings with dead time into a bitmap: bit ``c % 8`` of ``bits[n, c // 8]`` is
    set for an event at (n, c); returns the event count.

    ``adaptive`` False: ``level`` is the fixed threshold (``k_level`` and ``eta`` unused).
    ``adaptive`` True: ``level`` is the running median(|x|) ``m``, the threshold at sample n is
    ``k_level * m`` (taken before this sample updates ``m``), then the sign-based quantile
    tracker ``m += eta * m * sign(|x| - m)``; ``level`` is updated in place.

    Tasks of ``block`` channels (a multiple of 8: a task owns whole bytes) each run the whole
    chunk (channels are independent), with vectorised, branch-free loops over the block.
    """
    num_samples, num_channels = x.shape
    n_tasks = (num_channels + block - 1) // block
    counts = np.zeros(n_tasks, np.int64)
    sign = -1.0 if polarity == 0 else 1.0  # x < -thr  <=>  -x > thr (negation is exact)
    both = polarity == 2
    for ti in prange(n_tasks):
        c0 = ti * block
        w = min(block, num_channels - c0)
        w8 = (w + 7) // 8
        lv = level[c0:c0 + w].copy()
        dead = dead_remaining[c0:c0 + w].copy()
        hit = np.zeros(w8 * 8, np.uint8)  # tail bytes stay 0
        hit64 = hit.view(np.uint64)
        count = 0
        for n in range(num_samples):
            if n + PREFETCH_ROWS < num_samples:
                for j in range(0, w, 64 // x.itemsize):
                    prefetch_row(x, n + PREFETCH_ROWS, c0 + j)
            xr = x[n, c0:c0 + w]
            if adaptive:
                for j in range(uint64(w)):
                    v = float(xr[j])
                    a = abs(v)
                    m = lv[j]
                    d = dead[j]
                    h = (d <= 0) & ((a if both else sign * v) > k_level * m)
                    dead[j] = dead_samples if h else (d - 1 if d > 0 else d)
                    # sign-based quantile (median) tracker, step proportional to the estimate
                    lv[j] = m + eta * m if a > m else (m - eta * m if a < m else m)
                    hit[j] = h
                    count += h
            else:
                for j in range(uint64(w)):
                    v = float(xr[j])
                    d = dead[j]
                    h = (d <= 0) & ((abs(v) if both else sign * v) > lv[j])
                    dead[j] = dead_samples if h else (d - 1 if d > 0 else d)
                    hit[j] = h
                    count += h
            brow = bits[n, c0 // 8:c0 // 8 + w8]
            for k in range(uint64(w8)):  # 8 hit bytes (0/1) -> one byte, channel 8k + b at bit b
                brow[k] = np.uint8((hit64[k] * PACK8) >> uint64(56))
        counts[ti] = count
        if adaptive:
            level[c0:c0 + w] = lv
        dead_remaining[c0:c0 + w] = dead
    return counts.sum()


@njit(cache=True)
def bitmap_events(bits, num_samples, num_channels, total):  # pragma: no cover - numba
    """The events of a hit bitmap, sorted by sample then channel: (sample int64, channel int32).

    Only the bytes of channels ``< num_channels`` are read (the padding of a row is ignored);
    ``total`` is the event count the kernel returned.
    """
    samples = np.empty(total, np.int64)
    channels = np.empty(total, np.int32)
    n_bytes = (num_channels + 7) // 8
    words = (n_bytes + 7) // 8
    k = 0
    for n in range(num_samples):
        row64 = bits[n].view(np.uint64)
        for i in range(words):
            if row64[i] == 0:
                continue
            for byte in range(i * 8, min(i * 8 + 8, n_bytes)):
                b = bits[n, byte]
                for bit in range(8):
                    if (b >> bit) & 1 and k < total:
                        samples[k] = n
                        channels[k] = byte * 8 + bit
                        k += 1
    return samples, channels


def _crossings(x, level, k_level, eta, adaptive, dead_remaining, dead_samples, polarity, scratch):
    """`_crossing_bits` into a bitmap (``scratch`` reused when it fits), read back as events."""
    num_samples, num_channels = x.shape
    bits = hit_bitmap(num_samples, num_channels, scratch)
    total = _crossing_bits(x, level, k_level, eta, adaptive, dead_remaining, dead_samples,
                           polarity, bits, channel_block(num_channels, numba.get_num_threads(), 1024))
    return bitmap_events(bits, num_samples, num_channels, total)


def threshold_detect(x, threshold, dead_remaining, dead_samples, polarity, scratch=None):
    """Threshold crossing with a per-channel dead time, one chunk.

    A channel fires at the first sample beyond its threshold while armed, then ignores the next
    ``dead_samples`` samples. One vectorised pass over ``x`` (channel tasks in parallel) marks
    the events in a bitmap; the events are then read from it in (sample, channel) order, the
    order of a sample-by-sample, channel-by-channel loop, whatever the thread count.

    Parameters
    ----------
    x : int or float array, shape (num_samples, num_channels), C-contiguous.
    threshold : float64 array, shape (num_channels,), positive threshold magnitude.
    dead_remaining : int64 array, shape (num_channels,)
        Samples still to ignore on each channel; updated in place (stream state).
    dead_samples : int
        Samples ignored after each detection.
    polarity : int
        A value of `POLARITY_CODES`: 0 ``x < -thr``; 1 ``x > thr``; 2 ``|x| > thr``.
    scratch : np.ndarray, optional
        A bitmap from `hit_bitmap` to reuse.

    Returns
    -------
    sample_index : int64 array (chunk-local), channel : int32 array.
    """
    return _crossings(x, np.ascontiguousarray(threshold, np.float64), 1.0, 0.0, False,
                      dead_remaining, dead_samples, polarity, scratch)


def adaptive_mad_detect(x, med, eta, k_over_mad, dead_remaining, dead_samples, polarity,
                        scratch=None):
    """Threshold crossings against a running median(|x|) tracker, one chunk.

    ``med`` (float64, per channel, C-contiguous) and ``dead_remaining`` (int64) are updated in
    place. The threshold at sample n is ``k_over_mad * med[c]`` with ``k_over_mad = k / 0.6745``;
    then ``med += eta * med * sign(|x| - med)``. Otherwise as `threshold_detect`: returns
    (sample_index int64, channel int32), chunk-local, sorted by sample then channel, whatever
    the thread count.
    """
    return _crossings(x, med, float(k_over_mad), float(eta), True, dead_remaining, dead_samples,
                      polarity, scratch)


@njit(cache=True)
def neo_smoothed(x_ext, weights, psi_tail, out):  # pragma: no cover - numba
    """Causal, smoothed nonlinear energy operator, one chunk.

    ``x_ext`` (float64, shape (2 + num_samples, num_channels)) is the chunk preceded by the last
    two samples of the stream (zeros at the start). At output sample n (input index i = n + 2)::

        psi[n] = x[i-1]^2 - x[i-2] x[i]              (NEO centred one sample back)
        out[n] = sum_j weights[j] psi[n - j]         (Bartlett window, causal FIR)

    ``psi_tail`` (shape (L - 1, num_channels), oldest first) holds the previous psi values and is
    updated in place; ``out`` (float64, shape (num_samples, num_channels)) is written.
    """
    num_samples = out.shape[0]
    num_channels = out.shape[1]
    L = weights.size
    hist = L - 1
    for c in range(num_channels):
        buf = np.empty(hist + num_samples, dtype=np.float64)
        for j in range(hist):
            buf[j] = psi_tail[j, c]
        for n in range(num_samples):
            i = n + 2
            buf[hist + n] = x_ext[i - 1, c] * x_ext[i - 1, c] - x_ext[i - 2, c] * x_ext[i, c]
        for n in range(num_samples):
            acc = 0.0
            for j in range(L):
                acc += weights[j] * buf[hist + n - j]
            out[n, c] = acc
        for j in range(hist):
            psi_tail[j, c] = buf[num_samples + j]


@njit(cache=True)
def binned_abs_mean(y, acc, count, bin_samples, square, out):  # pragma: no cover - numba
    """Average |y| (or y^2) over consecutive bins of ``bin_samples`` samples.

    ``acc`` (float64, per channel) and ``count`` (int64 array of one element) carry the partial
    bin across chunks. ``out`` (float64, shape (max_bins, num_channels)) receives completed bins;
    returns the number written.
    """
    num_samples, num_channels = y.shape
    written = 0
    for n in range(num_samples):
        for c in range(num_channels):
            v = y[n, c]
            acc[c] += v * v if square else abs(v)
        count[0] += 1
        if count[0] == bin_samples:
            for c in range(num_channels):
                out[written, c] = acc[c] / bin_samples
                acc[c] = 0.0
            count[0] = 0
            written += 1
    return written
