"""Numba kernels of the on-chip detectors and feature extractors (inputs trusted).

Every kernel processes one chunk and carries its state in caller-owned arrays, so a stream cut
into chunks of any size gives bitwise the same output as the whole stream at once.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: median(|x|) / sigma for a zero-mean Gaussian (Quiroga et al. 2004).
MAD_TO_SIGMA = 0.6745


@njit(cache=True)
def _adaptive_pass(x, med, eta, k_over_mad, dead_remaining, dead_samples, polarity, samples,
                   channels, write):  # pragma: no cover - numba
    num_samples, num_channels = x.shape
    count = 0
    for n in range(num_samples):
        for c in range(num_channels):
            v = float(x[n, c])
            a = abs(v)
            m = med[c]
            # detection against the threshold before this sample updates the estimate
            thr = k_over_mad * m
            if dead_remaining[c] > 0:
                dead_remaining[c] -= 1
            else:
                if polarity == 0:
                    hit = v < -thr
                elif polarity == 1:
                    hit = v > thr
                else:
                    hit = a > thr
                if hit:
                    if write:
                        samples[count] = n
                        channels[count] = c
                    count += 1
                    dead_remaining[c] = dead_samples
            # sign-based quantile (median) tracker with a step proportional to the estimate
            if a > m:
                med[c] = m + eta * m
            elif a < m:
                med[c] = m - eta * m
    return count


@njit(cache=True)
def adaptive_mad_detect(x, med, eta, k_over_mad, dead_remaining, dead_samples,
                        polarity):  # pragma: no cover - numba
    """Threshold crossings against a running median(|x|) tracker, one chunk.

    ``med`` (float64, per channel) and ``dead_remaining`` (int64) are updated in place. The
    threshold at sample n is ``k_over_mad * med[c]`` with ``k_over_mad = k / 0.6745``; then
    ``med += eta * med * sign(|x| - med)``. Returns (sample_index int64, channel int32),
    chunk-local, sorted by sample then channel.
    """
    es = np.empty(0, dtype=np.int64)
    ec = np.empty(0, dtype=np.int32)
    count = _adaptive_pass(x, med.copy(), eta, k_over_mad, dead_remaining.copy(), dead_samples,
                           polarity, es, ec, False)
    samples = np.empty(count, dtype=np.int64)
    channels = np.empty(count, dtype=np.int32)
    _adaptive_pass(x, med, eta, k_over_mad, dead_remaining, dead_samples, polarity, samples,
                   channels, True)
    return samples, channels


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
