"""The front-end kernel (channel blocks, state in locals, fused finiteness check and ADC):
bitwise the sample-by-sample loop it replaced, scipy's sosfilt, any chunking and thread count."""

import numba
import numpy as np
import pytest
from scipy import signal

from chip_models import ADC, FrontEnd

FS_HZ = 30000.0


@numba.njit(cache=True)
def _reference_loop(x, sos, zi, gain, swing, recovery, hold, out, sat):
    """The previous kernel: samples outer, channels inner, sections innermost, float64."""
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            v = float(x[n, c])
            for s in range(sos.shape[0]):
                y = sos[s, 0] * v + zi[s, 0, c]
                zi[s, 0, c] = sos[s, 1] * v - sos[s, 4] * y + zi[s, 1, c]
                zi[s, 1, c] = sos[s, 2] * v - sos[s, 5] * y
                v = y
            v = v * gain
            if v > swing or v < -swing:
                v = swing if v > 0 else -swing
                hold[0, c] = recovery
                hold[1, c] = v
                sat[c] += 1
            elif hold[0, c] > 0:
                hold[0, c] -= 1
                v = hold[1, c]
                sat[c] += 1
            out[n, c] = v


def _reference(fe: FrontEnd, x):
    c = fe.num_channels
    zi, hold = np.zeros((fe.sos.shape[0], 2, c)), np.zeros((2, c))
    out, sat = np.empty(x.shape, np.float32), np.zeros(c, np.int64)
    _reference_loop(np.ascontiguousarray(x), np.ascontiguousarray(fe.sos), zi, fe.gain_v_per_v * 1e-3,
                    fe.output_swing_mV, fe.recovery_samples, hold, out, sat)
    return out, sat, zi


def _signal(rng, n, c, dtype):
    x = rng.normal(0.0, 400.0, (n, c)) + 20000.0 * (rng.random((n, c)) < 0.002)  # saturating spikes
    return (np.round(x) if np.dtype(dtype).kind == "i" else x).astype(dtype)


@pytest.mark.parametrize("order, channels, recovery_s, dtype", [
    (2, 1100, 0.0, np.float32), (1, 37, 0.0, np.float64), (3, 70, 2e-4, np.float32),
    (5, 16, 1e-3, np.int16), (2, 600, 5e-4, np.float64)])
def test_kernel_equals_previous_loop_for_any_chunks_threads_and_out_buffer(order, channels, recovery_s,
                                                                           dtype):
    rng = np.random.default_rng(order * 100 + channels)
    x = _signal(rng, 3000, channels, dtype)
    kw = dict(gain_v_per_v=500.0, filter_order=order, output_swing_mV=800.0, recovery_s=recovery_s)
    want, want_sat, want_zi = _reference(FrontEnd(FS_HZ, channels, **kw), x)
    assert want_sat.sum() > 0
    threads = numba.get_num_threads()
    try:
        for nth in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(nth)
            fe = FrontEnd(FS_HZ, channels, **kw)
            np.testing.assert_array_equal(fe.process(x), want)
            np.testing.assert_array_equal(fe.num_saturated_samples, want_sat)
            np.testing.assert_array_equal(fe._zi, want_zi)
            fe.reset()
            edges = np.unique(np.concatenate([[0, 1, 2, x.shape[0]], rng.integers(0, x.shape[0], 9)]))
            buf = np.full((x.shape[0], channels), np.nan, np.float32)  # reused, sliced per chunk
            parts = []
            for a, b in zip(edges[:-1], edges[1:]):
                y = fe.process(x[a:b], out=buf[:b - a])
                assert np.shares_memory(y, buf)
                parts.append(y.copy())
            np.testing.assert_array_equal(np.concatenate(parts), want)
            np.testing.assert_array_equal(fe.num_saturated_samples, want_sat)
    finally:
        numba.set_num_threads(threads)


@pytest.mark.parametrize("order", [1, 2, 4])
def test_output_is_scipy_sosfilt_gain_clip_rounded_to_float32(order):
    """Peer: scipy.signal.sosfilt runs the same transposed direct-form-II recurrence in float64
    with the same operation order, so after gain, clip and rounding to float32 the outputs are
    the same numbers."""
    rng = np.random.default_rng(order)
    x = rng.normal(0.0, 2000.0, (8000, 45))
    fe = FrontEnd(FS_HZ, 45, gain_v_per_v=500.0, filter_order=order, output_swing_mV=800.0)
    ref = signal.sosfilt(signal.butter(order, [300.0, 6000.0], "bandpass", fs=FS_HZ, output="sos"),
                         x, axis=0)
    want = np.clip(ref * (500.0 * 1e-3), -800.0, 800.0).astype(np.float32)
    y = fe.process(x)
    np.testing.assert_array_equal(y, want)
    assert np.any(np.abs(y) == 800.0)


def test_process_in_place_and_out_checks():
    rng = np.random.default_rng(2)
    x = rng.normal(0, 300, (500, 20)).astype(np.float32)
    want = FrontEnd(FS_HZ, 20).process(x)
    fe = FrontEnd(FS_HZ, 20)
    y = x.copy()
    assert fe.process(y, out=y) is y  # in place: each sample is read before it is written
    np.testing.assert_array_equal(y, want)
    for bad in (np.empty((500, 20)), np.empty((499, 20), np.float32),
                np.empty((20, 500), np.float32).T, [[0.0] * 20] * 500):
        with pytest.raises(ValueError, match="out must be a writeable C-contiguous float32"):
            fe.process(x, out=bad)
    big = np.zeros((501, 20), np.float32)
    with pytest.raises(ValueError, match="out must not overlap x_uV"):
        fe.process(big[:500], out=big[1:])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_is_rejected_and_leaves_the_stream_untouched(bad):
    rng = np.random.default_rng(3)
    x = rng.normal(0, 300, (400, 33))
    fe, ref = FrontEnd(FS_HZ, 33), FrontEnd(FS_HZ, 33)
    fe.process(x[:200])
    ref.process(x[:200])
    broken = x[200:].copy()
    broken[123, 31] = bad
    with pytest.raises(ValueError, match="x_uV must be finite"):
        fe.process(broken)
    with pytest.raises(ValueError, match="x_uV must be finite"):
        fe.process_codes(broken, ADC(10, 1000.0, FS_HZ))
    np.testing.assert_array_equal(fe.process(x[200:]), ref.process(x[200:]))
    np.testing.assert_array_equal(fe.num_saturated_samples, ref.num_saturated_samples)


@pytest.mark.parametrize("bits, full_scale_mV, recovery_s", [(10, 1000.0, 0.0), (12, 300.0, 1e-3),
                                                             (16, 800.0, 0.0)])
def test_fused_codes_equal_adc_of_process(bits, full_scale_mV, recovery_s):
    rng = np.random.default_rng(bits)
    x = _signal(rng, 4000, 130, np.float32) * 3
    adc = ADC(bits, full_scale_mV, FS_HZ)
    kw = dict(gain_v_per_v=800.0, output_swing_mV=900.0, recovery_s=recovery_s)
    a, b = FrontEnd(FS_HZ, 130, **kw), FrontEnd(FS_HZ, 130, **kw)
    want = [adc.convert(a.process(x[:1500])), adc.convert(a.process(x[1500:]))]
    buf = np.empty((2500, 130), np.int16)
    got = [b.process_codes(x[:1500], adc), b.process_codes(x[1500:], adc, out=buf)]
    assert got[1] is buf
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    at_rails = (want[0] == adc.code_max) | (want[0] == adc.code_min)
    assert a.num_saturated_samples.sum() > 0 and (full_scale_mV > 900.0 or at_rails.any())
    np.testing.assert_array_equal(b.num_saturated_samples, a.num_saturated_samples)
    with pytest.raises(TypeError, match="adc must be a chip_models.ADC"):
        b.process_codes(x, "adc")
