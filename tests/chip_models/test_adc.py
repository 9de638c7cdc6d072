"""ADC: bipolar mid-tread quantiser."""

import numpy as np
import pytest

from chip_models import ADC


@pytest.mark.parametrize("bits, fs_mV", [(1, 1.0), (8, 500.0), (10, 1000.0), (16, 1200.0)])
def test_lsb_and_code_range(bits, fs_mV):
    adc = ADC(bits=bits, full_scale_mV=fs_mV)
    assert adc.lsb_mV == pytest.approx(2 * fs_mV / 2 ** bits, rel=1e-15)
    assert (adc.code_min, adc.code_max) == (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


@pytest.mark.parametrize("bits", [4, 10, 12, 16])
def test_error_at_most_half_lsb_inside_range(bits):
    adc = ADC(bits=bits, full_scale_mV=800.0)
    rng = np.random.default_rng(bits)
    y = rng.uniform(-800.0, 800.0 - adc.lsb_mV / 2, size=(20000, 4))
    codes = adc.convert(y)
    assert codes.dtype == np.int16 and codes.shape == y.shape
    err = np.abs(adc.to_mV(codes) - y)
    assert err.max() <= adc.lsb_mV / 2 * (1 + 1e-12)


def test_quantisation_noise_is_lsb_over_sqrt12():
    # Error of a busy input is uniform on [-LSB/2, LSB/2]: variance LSB^2/12. The relative
    # standard error of the sample variance is sqrt(1/80 - 1/144) * 12 / sqrt(N) = 0.89/sqrt(N);
    # with N = 1e6 that is 0.09 %, so 0.5 % is > 5 standard errors.
    adc = ADC(bits=8, full_scale_mV=1000.0)
    y = np.random.default_rng(0).uniform(-900.0, 900.0, 1_000_000)
    err = adc.to_mV(adc.convert(y)) - y
    assert np.mean(err ** 2) == pytest.approx(adc.lsb_mV ** 2 / 12, rel=5e-3)


def test_mid_tread_and_rounding():
    adc = ADC(bits=10, full_scale_mV=1000.0)  # LSB = 1.953125 mV
    lsb = adc.lsb_mV
    y = np.array([0.0, 0.49 * lsb, -0.49 * lsb, 0.51 * lsb, -0.51 * lsb, 3 * lsb, -7 * lsb])
    np.testing.assert_array_equal(adc.convert(y), [0, 0, 0, 1, -1, 3, -7])
    ties = np.array([0.5, 1.5, 2.5, -0.5, -1.5]) * lsb  # exact in binary: round half to even
    np.testing.assert_array_equal(adc.convert(ties), [0, 2, 2, 0, -2])
    np.testing.assert_array_equal(adc.convert(np.float32(3 * lsb)), 3)  # 0-d, float32
    k = np.arange(-512, 512)
    np.testing.assert_array_equal(adc.convert(adc.to_mV(k)), k)


def test_saturation_at_rails():
    adc = ADC(bits=10, full_scale_mV=1000.0)
    y = np.array([1000.0, 2000.0, np.inf, -1000.0, -1000.9, -5000.0, -np.inf])
    np.testing.assert_array_equal(adc.convert(y), [511, 511, 511, -512, -512, -512, -512])
    adc16 = ADC(bits=16)
    np.testing.assert_array_equal(adc16.convert([1e9, -1e9]), [32767, -32768])


def test_chunked_equals_one_shot():
    adc = ADC(bits=12)
    y = np.random.default_rng(5).normal(0, 400, size=(5000, 3))
    parts = np.concatenate([adc.convert(y[a:a + 777]) for a in range(0, 5000, 777)])
    np.testing.assert_array_equal(parts, adc.convert(y))


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(bits=0), ValueError, r"bits must be in \[1, 16\]"),
    (dict(bits=17), ValueError, r"bits must be in \[1, 16\]"),
    (dict(bits=10.5), ValueError, r"bits must be an integer"),
    (dict(full_scale_mV=0.0), ValueError, r"full_scale_mV must be in \(0, 100000\] mV"),
    (dict(fs_hz=-1.0), ValueError, r"fs_hz must be in \(0, 1e\+06\] Hz"),
])
def test_constructor_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        ADC(**kwargs)


def test_method_errors():
    adc = ADC()
    with pytest.raises(ValueError, match=r"y_mV must not contain NaN"):
        adc.convert([0.0, np.nan])
    with pytest.raises(TypeError, match=r"y_mV must be a real array \(mV\), got dtype complex128"):
        adc.convert(np.array([1j]))
    with pytest.raises(TypeError, match=r"codes must be an integer array, got dtype float64"):
        adc.to_mV(np.array([1.0]))


def _reference_codes(y, lsb_mV, bits):
    """The definition: rint (halves to even), then clip to the code range."""
    q = np.rint(np.asarray(y, np.float64) / lsb_mV)
    return np.clip(q, -(2 ** (bits - 1)), 2 ** (bits - 1) - 1).astype(np.int16)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_parallel_blocks_equal_the_definition_for_any_threads_and_out_buffer(dtype):
    import numba

    adc = ADC(bits=10, full_scale_mV=1000.0)
    rng = np.random.default_rng(8)
    y = rng.normal(0, 600, size=(70_001, 7))  # several kernel blocks, an odd tail
    y[:4, 0] = [np.inf, -np.inf, 1e30, -1e30]
    y[4:9, 0] = (np.arange(5) + 0.5) * adc.lsb_mV  # exact ties
    y = y.astype(dtype) if dtype != np.int32 else np.round(y[4:]).astype(dtype)
    want = _reference_codes(y, adc.lsb_mV, 10)
    threads = numba.get_num_threads()
    try:
        for nth in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(nth)
            np.testing.assert_array_equal(adc.convert(y), want)
            buf = np.full(y.shape, 7, np.int16)
            assert adc.convert(y, out=buf) is buf
            np.testing.assert_array_equal(buf, want)
    finally:
        numba.set_num_threads(threads)
    with pytest.raises(ValueError, match="out must be a writeable C-contiguous int16 array"):
        adc.convert(y, out=np.empty(y.shape, np.int32))
    with pytest.raises(ValueError, match="out must be a writeable C-contiguous int16 array"):
        adc.convert(y, out=np.empty(y.shape[::-1], np.int16).T)
