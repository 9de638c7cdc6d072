"""The detection kernels (one vectorised pass per channel task into a hit bitmap, then the
events in order) against the sample-by-sample loops they replaced: bitwise the same events and
state, for every polarity, integer and float input, any chunking and thread count."""

import numba
import numpy as np
import pytest

from chip_models.detection import _kernels
from chip_models import MADThresholdDetector

FS_HZ = 30000.0


@numba.njit(cache=True)
def _reference_fixed(x, threshold, dead_remaining, dead_samples, polarity):
    """The previous kernel's loop: samples outer, channels inner."""
    samples, channels = [], []
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            if dead_remaining[c] > 0:
                dead_remaining[c] -= 1
                continue
            v = float(x[n, c])
            thr = threshold[c]
            hit = v < -thr if polarity == 0 else (v > thr if polarity == 1 else abs(v) > thr)
            if hit:
                samples.append(n)
                channels.append(c)
                dead_remaining[c] = dead_samples
    return np.array(samples, np.int64), np.array(channels, np.int32)


@numba.njit(cache=True)
def _reference_adaptive(x, med, eta, k_over_mad, dead_remaining, dead_samples, polarity):
    samples, channels = [], []
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            v = float(x[n, c])
            a = abs(v)
            m = med[c]
            thr = k_over_mad * m
            if dead_remaining[c] > 0:
                dead_remaining[c] -= 1
            else:
                hit = v < -thr if polarity == 0 else (v > thr if polarity == 1 else a > thr)
                if hit:
                    samples.append(n)
                    channels.append(c)
                    dead_remaining[c] = dead_samples
            if a > m:
                med[c] = m + eta * m
            elif a < m:
                med[c] = m - eta * m
    return np.array(samples, np.int64), np.array(channels, np.int32)


def _data(rng, n, c, integer):
    x = rng.normal(0.0, 12.0, (n, c))
    x[rng.random((n, c)) < 0.003] -= 90.0
    x[rng.random((n, c)) < 0.002] += 70.0
    return np.round(x).astype(np.int16) if integer else x


def _threads():
    return sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)})


@pytest.mark.parametrize("polarity", [0, 1, 2])
@pytest.mark.parametrize("channels, integer, dead", [(1030, True, 30), (37, False, 0), (200, True, 7)])
def test_fixed_threshold_kernel_equals_previous_loop(polarity, channels, integer, dead):
    rng = np.random.default_rng(polarity * 7 + channels)
    x = _data(rng, 3000, channels, integer)
    thr = 40.0 + rng.random(channels) * 10
    thr[::5] = np.floor(thr[::5])  # integer thresholds: ties with integer codes
    dead0 = rng.integers(0, 5, channels)
    want_dead = dead0.copy()
    ws, wc = _reference_fixed(x, thr, want_dead, dead, polarity)
    assert ws.size > 50
    threads = numba.get_num_threads()
    try:
        for nth in _threads():
            numba.set_num_threads(nth)
            d = dead0.copy()
            scratch = _kernels.hit_bitmap(3000, channels)
            scratch[:] = 0xFF  # a reused bitmap: every byte the kernel owns is rewritten
            s, c = _kernels.threshold_detect(x, thr, d, dead, polarity, scratch)
            np.testing.assert_array_equal(s, ws)
            np.testing.assert_array_equal(c, wc)
            np.testing.assert_array_equal(d, want_dead)
    finally:
        numba.set_num_threads(threads)


@pytest.mark.parametrize("polarity", [0, 1, 2])
@pytest.mark.parametrize("channels, integer", [(700, True), (45, False)])
def test_adaptive_kernel_equals_previous_loop(polarity, channels, integer):
    rng = np.random.default_rng(polarity + channels)
    x = _data(rng, 4000, channels, integer)
    med0 = 6.0 + rng.random(channels)
    dead0 = np.zeros(channels, np.int64)
    want_med, want_dead = med0.copy(), dead0.copy()
    ws, wc = _reference_adaptive(x, want_med, 1e-3, 4.5 / 0.6745, want_dead, 30, polarity)
    assert ws.size > 50
    threads = numba.get_num_threads()
    try:
        for nth in _threads():
            numba.set_num_threads(nth)
            med, d = med0.copy(), dead0.copy()
            s, c = _kernels.adaptive_mad_detect(x, med, 1e-3, 4.5 / 0.6745, d, 30, polarity)
            np.testing.assert_array_equal(s, ws)
            np.testing.assert_array_equal(c, wc)
            np.testing.assert_array_equal(med, want_med)
            np.testing.assert_array_equal(d, want_dead)
    finally:
        numba.set_num_threads(threads)


@pytest.mark.parametrize("adaptive", [False, True])
def test_detector_random_chunks_and_threads_equal_one_shot(adaptive):
    rng = np.random.default_rng(5)
    x = _data(rng, 30000, 130, True)
    kw = dict(threshold_k=4.0, calibration_s=0.05, adaptive=adaptive, quantisation_step=1.0)
    one = MADThresholdDetector(130, FS_HZ, **kw)
    s1, c1 = one.process(x)
    assert s1.size > 500 and np.all(np.diff(s1) >= 0)
    threads = numba.get_num_threads()
    try:
        for nth in _threads():
            numba.set_num_threads(nth)
            det = MADThresholdDetector(130, FS_HZ, **kw)
            edges = np.unique(np.concatenate([[0, 1, 30000], rng.integers(0, 30000, 15)]))
            parts = [det.process(x[a:b]) for a, b in zip(edges[:-1], edges[1:])]
            np.testing.assert_array_equal(np.concatenate([p[0] for p in parts]), s1)
            np.testing.assert_array_equal(np.concatenate([p[1] for p in parts]), c1)
            np.testing.assert_array_equal(det.threshold, one.threshold)
    finally:
        numba.set_num_threads(threads)
