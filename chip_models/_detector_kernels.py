"""Numba kernels of the on-chip detectors and feature extractors (inputs trusted).

Every kernel processes one chunk and carries its state in caller-owned arrays, so a stream cut
into chunks of any size gives bitwise the same output as the whole stream at once.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange, uint64

from ._kernels import PACK8, PREFETCH_ROWS, prefetch_row, bitmap_events, channel_block, hit_bitmap

#: median(|x|) / sigma for a zero-mean Gaussian (Quiroga et al. 2004).
MAD_TO_SIGMA = 0.6745


@njit(cache=True, parallel=True)
def _adaptive_bits(x, med, eta, k_over_mad, dead_remaining, dead_samples, polarity, bits,
                   block):  # pragma: no cover - numba
    """`adaptive_mad_detect` into a hit bitmap (see `chip_models._kernels.threshold_detect`):
    channel tasks of ``block`` channels (a multiple of 8), vectorised branch-free loops."""
    num_samples, num_channels = x.shape
    n_tasks = (num_channels + block - 1) // block
    counts = np.zeros(n_tasks, np.int64)
    sign = -1.0 if polarity == 0 else 1.0  # x < -thr  <=>  -x > thr (negation is exact)
    both = polarity == 2
    for ti in prange(n_tasks):
        c0 = ti * block
        w = min(block, num_channels - c0)
        w8 = (w + 7) // 8
        md = med[c0:c0 + w].copy()
        dead = dead_remaining[c0:c0 + w].copy()
        hit = np.zeros(w8 * 8, np.uint8)
        hit64 = hit.view(np.uint64)
        count = 0
        for n in range(num_samples):
            if n + PREFETCH_ROWS < num_samples:
                for j in range(0, w, 64 // x.itemsize):
                    prefetch_row(x, n + PREFETCH_ROWS, c0 + j)
            xr = x[n, c0:c0 + w]
            for j in range(uint64(w)):
                v = float(xr[j])
                a = abs(v)
                m = md[j]
                # detection against the threshold before this sample updates the estimate
                thr = k_over_mad * m
                d = dead[j]
                h = (d <= 0) & ((a if both else sign * v) > thr)
                dead[j] = dead_samples if h else (d - 1 if d > 0 else d)
                # sign-based quantile (median) tracker with a step proportional to the estimate
                md[j] = m + eta * m if a > m else (m - eta * m if a < m else m)
                hit[j] = h
                count += h
            brow = bits[n, c0 // 8:c0 // 8 + w8]
            for k in range(uint64(w8)):
                brow[k] = np.uint8((hit64[k] * PACK8) >> uint64(56))
        counts[ti] = count
        med[c0:c0 + w] = md
        dead_remaining[c0:c0 + w] = dead
    return counts.sum()


def adaptive_mad_detect(x, med, eta, k_over_mad, dead_remaining, dead_samples, polarity,
                        scratch=None):
    """Threshold crossings against a running median(|x|) tracker, one chunk.

    ``med`` (float64, per channel) and ``dead_remaining`` (int64) are updated in place. The
    threshold at sample n is ``k_over_mad * med[c]`` with ``k_over_mad = k / 0.6745``; then
    ``med += eta * med * sign(|x| - med)``. One pass over ``x`` (channel tasks in parallel)
    marks the events in a hit bitmap (``scratch``, from `chip_models._kernels.hit_bitmap`, is
    reused when given). Returns (sample_index int64, channel int32), chunk-local, sorted by
    sample then channel, whatever the thread count.
    """
    num_samples, num_channels = x.shape
    bits = hit_bitmap(num_samples, num_channels, scratch)
    total = _adaptive_bits(x, med, eta, k_over_mad, dead_remaining, dead_samples, polarity, bits,
                           channel_block(num_channels, numba.get_num_threads(), 1024))
    return bitmap_events(bits, num_samples, num_channels, total)


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
