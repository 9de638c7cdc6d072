"""Pure numerical kernels of ``chip_models``.

Each circuit or physical law is a small pure function here; the public classes in
``frontend``, ``adc`` and ``power`` validate their inputs and call these (the detectors' kernels
are in `chip_models.detection._kernels`, which shares `channel_block` and `prefetch_row`).
Kernels trust their inputs (shapes, dtypes, ranges) and hold no state of their own: any state
is passed in and returned (or updated in place in arrays owned by the caller).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, prange, types, uint64
from numba.core import cgutils
from numba.extending import intrinsic
from scipy import constants

#: Boltzmann constant, J/K.
K_BOLTZMANN_J_PER_K = constants.k
#: Elementary charge, C.
Q_ELECTRON_C = constants.e

# ----------------------------------------------------------------------------- front end
def channel_block(num_channels: int, num_threads: int, most: int = 512) -> int:
    """Channels per task of the channel-parallel kernels: the channels split over the threads,
    a multiple of 64 in [64, ``most``]. Wide tasks amortise each row's loop set-up (and the
    front end's state, 2 x sections x 512 float64, stays in L1); any value gives the same
    output, only the speed changes."""
    per = -(-int(num_channels) // max(int(num_threads), 1))
    return int(min(most, max(64, -(-per // 64) * 64)))


@intrinsic
def prefetch_row(typingctx, arr, row, col):  # pragma: no cover - compiled
    """Hint the CPU to fetch the cache line of ``arr[row, col]`` (2-D array; no fault, no effect
    on results). Rows of a (samples, channels) chunk are 4 KiB apart at 1 024 channels, so the
    hardware prefetcher, which stays inside a 4 KiB page, does not see the next row coming."""
    sig = types.void(arr, row, col)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer2(context, builder, data=ary.data,
                                        shape=cgutils.unpack_tuple(builder, ary.shape),
                                        strides=cgutils.unpack_tuple(builder, ary.strides),
                                        layout=aryty.layout, inds=[args[1], args[2]],
                                        wraparound=False, boundscheck=False)
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]), "llvm.prefetch")
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


PREFETCH_ROWS = 4


@njit(cache=True, parallel=True)
def bandpass_gain_clip(x, sos, zi, gain_mV_per_uV, swing_mV, recovery_samples, hold,
                       out, sat_count, codes, nan_count, lsb_mV, code_lo, code_hi,
                       block):  # pragma: no cover - numba
    """Causal SOS band-pass, gain and saturation with overload recovery, per sample and channel.

    x : float or int array (num_samples, num_channels), µV. sos : (num_sections, 6), a0 = 1.
    zi : float64 (num_sections, 2, num_channels), transposed direct-form-II state, updated.
    gain_mV_per_uV : ``gain_v_per_v * 1e-3``. swing_mV : output rail.
    Whenever the unclipped output is beyond a rail the output is that rail and a per-channel
    counter is set to ``recovery_samples``; while it is positive the output stays at the last
    rail (the amplifier recovering from overload) and the counter counts down. With
    ``recovery_samples = 0`` this is a plain clip. ``hold`` (float64, shape (2, num_channels):
    remaining samples, rail value) is updated in place. ``out`` (float32, mV; shape of ``x``, or
    (0, 0) to skip it) is written; ``sat_count`` (int64, per channel) counts samples at a rail
    (clipped or holding). ``codes`` (int16, shape of ``x``, or (0, 0) to skip) receives the ADC
    code of the float32 output, exactly as `quantise` (``lsb_mV``, ``code_lo``, ``code_hi``);
    ``nan_count`` (int64, per channel; used with ``codes``) counts NaN outputs (code 0).

    Channels are independent: tasks of ``block`` channels each run the whole chunk with their
    state in a small local array (vectorised loops over the block's channels), so the output is
    bitwise that of a sample-by-sample, channel-by-channel loop for any block and thread count.
    Non-finite input leaves the state of the first section non-finite (every IEEE operation
    with inf or NaN gives inf or NaN), which the caller checks instead of a pass over ``x``.
    """
    num_samples, num_channels = x.shape
    num_sections = sos.shape[0]
    write_out = out.shape[0] > 0
    write_codes = codes.shape[0] > 0
    lo = float(code_lo)
    hi = float(code_hi)
    n_blocks = (num_channels + block - 1) // block
    for bi in prange(n_blocks):
        c0 = bi * block
        w = min(block, num_channels - c0)
        uw = uint64(w)
        # the block's state, flat: section s at [2 s w, (2 s + 1) w) and [(2 s + 1) w, (2 s + 2) w)
        z = np.empty(2 * num_sections * w)
        for s in range(num_sections):
            for j in range(w):
                z[2 * s * w + j] = zi[s, 0, c0 + j]
                z[(2 * s + 1) * w + j] = zi[s, 1, c0 + j]
        h_left = hold[0, c0:c0 + w].copy()
        h_rail = hold[1, c0:c0 + w].copy()
        sat = np.zeros(w, np.int64)
        nan = np.zeros(w, np.int64)
        v = np.empty(w)
        for n in range(num_samples):
            if n + PREFETCH_ROWS < num_samples:
                for j in range(0, w, 16):
                    prefetch_row(x, n + PREFETCH_ROWS, c0 + j)
            xr = x[n, c0:c0 + w]
            for j in range(uw):
                v[j] = float(xr[j])
            for s in range(num_sections):
                b0, b1, b2 = sos[s, 0], sos[s, 1], sos[s, 2]
                a1, a2 = sos[s, 4], sos[s, 5]
                o0 = uint64(2 * s * w)
                o1 = o0 + uw
                for j in range(uw):
                    vj = v[j]
                    y = b0 * vj + z[o0 + j]
                    z[o0 + j] = b1 * vj - a1 * y + z[o1 + j]
                    z[o1 + j] = b2 * vj - a2 * y
                    v[j] = y
            if recovery_samples == 0:
                for j in range(uw):
                    g = v[j] * gain_mV_per_uV
                    over = (g > swing_mV) | (g < -swing_mV)
                    rail = swing_mV if g > 0 else -swing_mV
                    v[j] = rail if over else g
                    sat[j] += 1 if over else 0
            else:
                for j in range(uw):
                    g = v[j] * gain_mV_per_uV
                    over = (g > swing_mV) | (g < -swing_mV)
                    rail = swing_mV if g > 0 else -swing_mV
                    left = h_left[j]
                    holding = (not over) & (left > 0)
                    v[j] = rail if over else (h_rail[j] if holding else g)
                    h_left[j] = recovery_samples if over else (left - 1 if holding else left)
                    h_rail[j] = rail if over else h_rail[j]
                    sat[j] += 1 if (over | holding) else 0
            if write_out:
                orow = out[n, c0:c0 + w]
                for j in range(uw):
                    orow[j] = v[j]
            if write_codes:
                crow = codes[n, c0:c0 + w]
                for j in range(uw):
                    q = np.rint(float(np.float32(v[j])) / lsb_mV)
                    nan[j] += 1 if q != q else 0
                    q = lo if q < lo else q
                    q = hi if q > hi else q
                    crow[j] = np.int16(0.0 if q != q else q)
        for s in range(num_sections):
            for j in range(w):
                zi[s, 0, c0 + j] = z[2 * s * w + j]
                zi[s, 1, c0 + j] = z[(2 * s + 1) * w + j]
        for j in range(w):
            hold[0, c0 + j] = h_left[j]
            hold[1, c0 + j] = h_rail[j]
            sat_count[c0 + j] += sat[j]
        if write_codes:
            for j in range(w):
                nan_count[c0 + j] += nan[j]


_QUANTISE_BLOCK = 1 << 16


@njit(cache=True)
def _quantise_range(y_flat, lsb_mV, lo, hi, codes_flat, i0, i1):  # pragma: no cover - numba
    found_nan = False
    for i in range(uint64(i0), uint64(i1)):  # unsigned: no negative-index handling, vectorises
        q = np.rint(float(y_flat[i]) / lsb_mV)
        if q != q:
            found_nan = True
        q = lo if q < lo else q
        q = hi if q > hi else q
        codes_flat[i] = np.int16(0.0 if q != q else q)
    return found_nan


@njit(cache=True, parallel=True)
def quantise(y_flat, lsb_mV, bits, codes_flat):  # pragma: no cover - numba
    """Bipolar mid-tread quantiser: ``code = clip(rint(y / lsb), -2^(b-1), 2^(b-1) - 1)``.

    ``rint`` rounds halves to even; +/-inf go to the rails. ``y_flat`` is any 1-D real array,
    ``codes_flat`` an int16 array of the same size, written (in parallel blocks; each value
    is independent). Returns True if a NaN was met (its code is 0; the caller rejects the
    input).
    """
    lo = float(-(2 ** (bits - 1)))
    hi = float(2 ** (bits - 1) - 1)
    n = y_flat.size
    n_blocks = (n + _QUANTISE_BLOCK - 1) // _QUANTISE_BLOCK
    found = np.zeros(n_blocks, np.bool_)
    for b in prange(n_blocks):
        i0 = b * _QUANTISE_BLOCK
        found[b] = _quantise_range(y_flat, lsb_mV, lo, hi, codes_flat, i0,
                                   min(n, i0 + _QUANTISE_BLOCK))
    return found.any()


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
