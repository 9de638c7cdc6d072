"""Pure numerical kernels of ``chip_models``.

Each circuit or physical law is a small pure function here; the public classes in
``frontend``, ``adc``, ``detector`` and ``power`` validate their inputs and call these.
Kernels trust their inputs (shapes, dtypes, ranges) and hold no state of their own: any state
is passed in and returned (or updated in place in arrays owned by the caller).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from scipy import constants

#: Boltzmann constant, J/K.
K_BOLTZMANN_J_PER_K = constants.k
#: Elementary charge, C.
Q_ELECTRON_C = constants.e
#: median(|x|) / sigma for a zero-mean Gaussian: Phi^-1(0.75) (Quiroga et al. 2004).
MAD_TO_SIGMA = 0.6745

#: Polarity codes used by `threshold_detect`.
POLARITY_CODES = {"negative": 0, "positive": 1, "both": 2}


# ----------------------------------------------------------------------------- front end
@njit(cache=True)
def quantise(y_flat, lsb_mV, bits, codes_flat):  # pragma: no cover - numba
    """Bipolar mid-tread quantiser: ``code = clip(rint(y / lsb), -2^(b-1), 2^(b-1) - 1)``.

    ``rint`` rounds halves to even; +/-inf go to the rails. ``y_flat`` is any 1-D real array,
    ``codes_flat`` an int16 array of the same size, written. Returns True if a NaN was met
    (its code is left undefined; the caller rejects the input).
    """
    lo = -(2 ** (bits - 1))
    hi = 2 ** (bits - 1) - 1
    found_nan = False
    for i in range(y_flat.size):
        q = np.rint(float(y_flat[i]) / lsb_mV)
        if q != q:
            found_nan = True
            q = 0.0
        elif q < lo:
            q = lo
        elif q > hi:
            q = hi
        codes_flat[i] = np.int16(q)
    return found_nan


# ----------------------------------------------------------------------------- detector
def mad_sigma(x: np.ndarray) -> np.ndarray:
    """Robust noise estimate per channel: ``sigma = median(|x|) / 0.6745`` (axis 0)."""
    return np.median(np.abs(x), axis=0) / MAD_TO_SIGMA


@njit(cache=True)
def _detect_pass(x, threshold, dead_remaining, dead_samples, polarity, samples, channels,
                 write):  # pragma: no cover - numba
    num_samples, num_channels = x.shape
    count = 0
    for n in range(num_samples):
        for c in range(num_channels):
            if dead_remaining[c] > 0:
                dead_remaining[c] -= 1
                continue
            v = float(x[n, c])
            thr = threshold[c]
            if polarity == 0:
                hit = v < -thr
            elif polarity == 1:
                hit = v > thr
            else:
                hit = abs(v) > thr
            if hit:
                if write:
                    samples[count] = n
                    channels[count] = c
                count += 1
                dead_remaining[c] = dead_samples
    return count


@njit(cache=True)
def threshold_detect(x, threshold, dead_remaining, dead_samples, polarity):  # pragma: no cover - numba
    """Threshold crossing with a per-channel dead time, one chunk.

    Samples outer, channels inner: rows of the (num_samples, num_channels) array are read
    contiguously and events come out sorted by sample, then channel. Channels are independent,
    so this order gives the same events as a channel-by-channel loop. Two passes: the first
    counts the events on a copy of the dead-time state, the second fills exact-size outputs.

    Parameters
    ----------
    x : int or float array, shape (num_samples, num_channels), C-contiguous.
    threshold : float64 array, shape (num_channels,), positive threshold magnitude.
    dead_remaining : int64 array, shape (num_channels,)
        Samples still to ignore on each channel; updated in place (stream state).
    dead_samples : int
        Samples ignored after each detection.
    polarity : int
        0: ``x < -thr``; 1: ``x > thr``; 2: ``|x| > thr``.

    Returns
    -------
    sample_index : int64 array (chunk-local), channel : int32 array.
    """
    empty_s = np.empty(0, dtype=np.int64)
    empty_c = np.empty(0, dtype=np.int32)
    count = _detect_pass(x, threshold, dead_remaining.copy(), dead_samples, polarity,
                         empty_s, empty_c, False)
    samples = np.empty(count, dtype=np.int64)
    channels = np.empty(count, dtype=np.int32)
    _detect_pass(x, threshold, dead_remaining, dead_samples, polarity, samples, channels, True)
    return samples, channels


# ----------------------------------------------------------------------------- power
def thermal_voltage_V(temperature_K: float) -> float:
    """Thermal voltage ``U_T = k T / q`` in V."""
    return K_BOLTZMANN_J_PER_K * temperature_K / Q_ELECTRON_C


def amplifier_current_A(nef: float, noise_V_rms: float, bandwidth_hz: float,
                        temperature_K: float) -> float:
    """Total supply current from the NEF definition, in A.

    ``NEF = V_ni sqrt(2 I / (pi U_T 4kT BW))``  =>  ``I = (NEF / V_ni)^2 pi U_T 4kT BW / 2``.
    """
    kT = K_BOLTZMANN_J_PER_K * temperature_K
    u_t = kT / Q_ELECTRON_C
    return (nef / noise_V_rms) ** 2 * math.pi * u_t * 4.0 * kT * bandwidth_hz / 2.0


def walden_power_W(fom_J_per_step: float, enob_bits: float, fs_hz: float) -> float:
    """Walden ADC power ``P = FoM 2^ENOB fs`` in W."""
    return fom_J_per_step * 2.0 ** enob_bits * fs_hz


@njit(cache=True)
def bandpass_gain_clip(x, sos, zi, gain_mV_per_uV, swing_mV, recovery_samples, hold,
                       out, sat_count):  # pragma: no cover - numba
    """Causal SOS band-pass, gain and saturation with overload recovery, per sample and channel.

    x : float array (num_samples, num_channels), µV. sos : (num_sections, 6), a0 = 1.
    zi : float64 (num_sections, 2, num_channels), transposed direct-form-II state, updated.
    gain_mV_per_uV : ``gain_v_per_v * 1e-3``. swing_mV : output rail.
    Whenever the unclipped output is beyond a rail the output is that rail and a per-channel
    counter is set to ``recovery_samples``; while it is positive the output stays at the last
    rail (the amplifier recovering from overload) and the counter counts down. With
    ``recovery_samples = 0`` this is a plain clip. ``hold`` (float64, shape (2, num_channels):
    remaining samples, rail value) is updated in place. ``out`` (float32, mV) is written;
    ``sat_count`` (int64, per channel) counts samples at a rail (clipped or holding).
    """
    num_samples, num_channels = x.shape
    num_sections = sos.shape[0]
    for n in range(num_samples):
        for c in range(num_channels):
            v = float(x[n, c])
            for s in range(num_sections):
                y = sos[s, 0] * v + zi[s, 0, c]
                zi[s, 0, c] = sos[s, 1] * v - sos[s, 4] * y + zi[s, 1, c]
                zi[s, 1, c] = sos[s, 2] * v - sos[s, 5] * y
                v = y
            v = v * gain_mV_per_uV
            if v > swing_mV or v < -swing_mV:
                v = swing_mV if v > 0 else -swing_mV
                hold[0, c] = recovery_samples
                hold[1, c] = v
                sat_count[c] += 1
            elif hold[0, c] > 0:
                hold[0, c] -= 1
                v = hold[1, c]
                sat_count[c] += 1
            out[n, c] = v
