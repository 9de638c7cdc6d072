"""Analog front end: band-pass filter, gain and output saturation, stateful across chunks."""

from __future__ import annotations

import logging

import numba
import numpy as np
from scipy import signal

from . import _kernels
from ._validation import check_array, check_int, check_range
from .noise import AmplifierNoise

logger = logging.getLogger(__name__)


class FrontEnd:
    r"""Analog front end of one recording channel per column: band-pass, gain, saturation.

    The input-referred electrode voltage is filtered by a causal Butterworth band-pass, amplified
    and clipped at the amplifier's output swing:

    .. math::

        y_\mathrm{mV}[n] = \mathrm{clip}\big(G \cdot 10^{-3} \cdot (h * x_\mathrm{\mu V})[n],
        \; -V_\mathrm{swing}, \; +V_\mathrm{swing}\big)

    where `h` is ``scipy.signal.butter(filter_order, [highpass_hz, lowpass_hz],
    'bandpass', fs=fs_hz)`` run as second-order sections (``sos``), with the recurrence and state
    layout of ``scipy.signal.sosfilt`` (a Numba kernel, float64 arithmetic, float32 output).
    The filter state of every channel is kept between calls of `process`, so a signal
    processed in chunks of any size gives bitwise the same output as processed in one go.

    Parameters
    ----------
    fs_hz : float
        Sampling rate in Hz, in (0, 1e6].
    num_channels : int
        Number of channels (columns of the input), >= 1.
    gain_v_per_v : float, default 1000.0
        Mid-band voltage gain in V/V, in [1, 1e5].
    highpass_hz : float, default 300.0
        Lower -3 dB corner in Hz, in (0, lowpass_hz).
    lowpass_hz : float, default 6000.0
        Upper -3 dB corner in Hz, below the Nyquist frequency fs_hz / 2.
    filter_order : int, default 2
        Butterworth prototype order in [1, 8] (the band-pass has ``2 * filter_order`` poles,
        ``filter_order`` second-order sections).
    output_swing_mV : float, default 1000.0
        Output saturates at +/- this voltage in mV, in (0, 1e5].
    recovery_s : float, default 0.0
        Overload recovery time in s, in [0, 1]: after the last sample beyond a rail the output
        stays at that rail for ``round(recovery_s * fs_hz)`` more samples (0: plain clip).
    input_noise : AmplifierNoise, optional
        Input-referred amplifier noise (white + 1/f) added to the input before the filter, at
        the stream's global sample index (chunk independent). Must match ``num_channels`` and
        ``fs_hz``; it is reset with the front end.

    Attributes
    ----------
    sos : np.ndarray, shape (filter_order, 6)
        Second-order sections of the band-pass.
    num_saturated_samples : np.ndarray of int64, shape (num_channels,)
        Samples per channel whose unclipped output lay beyond the rails, since the last reset.

    Assumptions
    -----------
    - The analog filter is modelled by its discrete-time Butterworth equivalent (bilinear
      transform, pre-warped corners), i.e. the anti-alias and band-limiting response is ideal
      Butterworth; amplifier noise, offset and non-linearity below saturation are not modelled.
    - Saturation is a hard clip at the output; with ``recovery_s`` the output is held at the
      rail for the recovery time after the overload ends (the filter state keeps evolving).

    References
    ----------
    Harrison & Charles (2003), IEEE JSSC 38(6): a low-power low-noise CMOS amplifier for neural
    recording (band-pass front end with ~300 Hz - 7 kHz AP band).
    """

    def __init__(self, fs_hz: float, num_channels: int, gain_v_per_v: float = 1000.0,
                 highpass_hz: float = 300.0, lowpass_hz: float = 6000.0, filter_order: int = 2,
                 output_swing_mV: float = 1000.0, recovery_s: float = 0.0,
                 input_noise=None):
        self.fs_hz = check_range("fs_hz", fs_hz, 0.0, 1e6, "Hz", low_inclusive=False)
        self.num_channels = check_int("num_channels", num_channels, 1, None)
        self.gain_v_per_v = check_range("gain_v_per_v", gain_v_per_v, 1.0, 1e5, "V/V")
        self.lowpass_hz = check_range("lowpass_hz", lowpass_hz, 0.0, None, "Hz",
                                      low_inclusive=False)
        nyquist_hz = self.fs_hz / 2.0
        if self.lowpass_hz >= nyquist_hz:
            raise ValueError(
                f"lowpass_hz must be below the Nyquist frequency fs_hz/2 = {nyquist_hz:g} Hz "
                f"(fs_hz = {self.fs_hz:g} Hz), got {self.lowpass_hz:g} Hz")
        self.highpass_hz = check_range("highpass_hz", highpass_hz, 0.0, self.lowpass_hz, "Hz",
                                       low_inclusive=False, high_inclusive=False)
        self.filter_order = check_int("filter_order", filter_order, 1, 8)
        self.output_swing_mV = check_range("output_swing_mV", output_swing_mV, 0.0, 1e5, "mV",
                                           low_inclusive=False)
        self.recovery_s = check_range("recovery_s", recovery_s, 0.0, 1.0, "s")
        self.recovery_samples = int(round(self.recovery_s * self.fs_hz))
        if input_noise is not None:
            if not isinstance(input_noise, AmplifierNoise):
                raise TypeError(f"input_noise must be an AmplifierNoise or None, got "
                                f"{type(input_noise).__name__}")
            if (input_noise.num_channels, input_noise.fs_hz) != (self.num_channels, self.fs_hz):
                raise ValueError(
                    f"input_noise must have num_channels = {self.num_channels} and fs_hz = "
                    f"{self.fs_hz:g} Hz, got {input_noise.num_channels} and "
                    f"{input_noise.fs_hz:g} Hz")
        self.input_noise = input_noise
        self.sos = signal.butter(self.filter_order, [self.highpass_hz, self.lowpass_hz],
                                 btype="bandpass", fs=self.fs_hz, output="sos")
        self._sos_c = np.ascontiguousarray(self.sos, dtype=np.float64)
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Zero the filter state and the saturation counters (start of a new stream)."""
        self._zi = np.zeros((self.sos.shape[0], 2, self.num_channels), dtype=np.float64)
        self.num_saturated_samples = np.zeros(self.num_channels, dtype=np.int64)
        self._hold = np.zeros((2, self.num_channels), dtype=np.float64)
        if getattr(self, "input_noise", None) is not None:
            self.input_noise.reset()

    @property
    def input_range_uV(self) -> float:
        """Largest input amplitude in µV that does not saturate in the pass band:
        ``output_swing_mV * 1000 / gain_v_per_v``."""
        return self.output_swing_mV * 1000.0 / self.gain_v_per_v

    # ------------------------------------------------------------------ processing
    def _check_signal(self, name: str, x, shape) -> np.ndarray:
        arr = check_array(name, x, ndim=len(shape), shape=shape)
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"{name} must be a real array (µV), got dtype {arr.dtype}")
        return arr

    @staticmethod
    def _check_out(name: str, out, shape, dtype) -> np.ndarray:
        if not isinstance(out, np.ndarray) or out.dtype != dtype or out.shape != shape \
                or not out.flags.c_contiguous or not out.flags.writeable:
            raise ValueError(f"{name} must be a writeable C-contiguous {np.dtype(dtype).name} array of "
                             f"shape {shape}, got {type(out).__name__} {getattr(out, 'dtype', None)} "
                             f"{getattr(out, 'shape', None)}")
        return out

    def _input(self, x_uV) -> np.ndarray:
        x = self._check_signal("x_uV", x_uV, (None, self.num_channels))
        x = np.ascontiguousarray(x)
        if self.input_noise is not None and x.shape[0]:
            # the noise stream moves on: reject bad input before it does
            if x.dtype.kind == "f" and not np.all(np.isfinite(x)):
                raise ValueError("x_uV must be finite (µV), got NaN or inf values")
            x = self.input_noise.add_to(x.astype(np.float64))
        return x

    def _run(self, x: np.ndarray, out_mV: np.ndarray, codes: np.ndarray, adc) -> None:
        """One kernel call over the chunk; the state is restored if the input was not finite."""
        saved = (self._zi.copy(), self._hold.copy())
        sat = np.zeros(self.num_channels, dtype=np.int64)
        nan = np.zeros(self.num_channels if codes.size else 0, dtype=np.int64)
        lsb, lo, hi = (adc.lsb_mV, adc.code_min, adc.code_max) if adc is not None else (1.0, 0, 0)
        # one kernel: with recovery_samples = 0 the hold never engages and it is a plain clip
        _kernels.bandpass_gain_clip(x, self._sos_c, self._zi, self.gain_v_per_v * 1e-3,
                                    self.output_swing_mV, self.recovery_samples, self._hold,
                                    out_mV, sat, codes, nan, lsb, lo, hi,
                                    _kernels.channel_block(self.num_channels, numba.get_num_threads()))
        # A NaN or inf input sample makes the first section's state non-finite for good (IEEE
        # arithmetic never turns them finite again): the finiteness check costs a pass over the
        # input only then (or after a float64 overflow, which is accepted as before).
        if x.dtype.kind == "f" and not np.all(np.isfinite(self._zi[0])) \
                and not np.all(np.isfinite(x)):
            self._zi, self._hold = saved
            raise ValueError("x_uV must be finite (µV), got NaN or inf values")
        if sat.any():
            logger.debug("FrontEnd: %d samples saturated in this chunk", int(sat.sum()))
        self.num_saturated_samples += sat
        if nan.any():  # only after a float64 overflow of the filter: what ADC.convert says
            raise ValueError("y_mV must not contain NaN (mV)")

    def process(self, x_uV, out: np.ndarray | None = None) -> np.ndarray:
        """Filter, amplify and clip one chunk of the stream.

        Parameters
        ----------
        x_uV : array_like, shape (num_samples, num_channels)
            Input-referred electrode voltage in µV, finite.
        out : np.ndarray of float32, shape (num_samples, num_channels), C-contiguous, optional
            Where to write the output (a buffer reused from chunk to chunk saves allocating and
            first-touching a chunk-sized array per call); it may be ``x_uV`` itself. On an error
            its content is undefined.

        Returns
        -------
        np.ndarray of float32, shape (num_samples, num_channels)
            Amplifier output in mV, clipped to +/- ``output_swing_mV`` (``out`` when given).
        """
        x = self._input(x_uV)
        if out is None:
            out = np.empty(x.shape, dtype=np.float32)
        else:
            self._check_out("out", out, x.shape, np.float32)
            if np.may_share_memory(out, x) and not (out.ctypes.data == x.ctypes.data
                                                    and out.dtype == x.dtype):
                raise ValueError("out must not overlap x_uV unless it is x_uV itself")
        if x.shape[0]:
            self._run(x, out, np.empty((0, 0), np.int16), None)
        return out

    def process_codes(self, x_uV, adc, out: np.ndarray | None = None) -> np.ndarray:
        """Front end and ADC in one pass: ``adc.convert(self.process(x_uV))``, bitwise.

        The ADC quantises the float32 output as `ADC.convert` does, without the float32 chunk
        being written and read back. Use it when nothing sits between the two (no
        multiplexer skew).

        Parameters
        ----------
        x_uV : array_like, shape (num_samples, num_channels)
            Input-referred electrode voltage in µV, finite.
        adc : chip_models.ADC
            The converter (its ``full_scale_mV`` need not equal ``output_swing_mV``).
        out : np.ndarray of int16, shape (num_samples, num_channels), C-contiguous, optional
            Where to write the codes.

        Returns
        -------
        np.ndarray of int16, shape (num_samples, num_channels)
            ADC codes (``out`` when given).
        """
        from .adc import ADC

        if not isinstance(adc, ADC):
            raise TypeError(f"adc must be a chip_models.ADC, got {type(adc).__name__}")
        x = self._input(x_uV)
        if out is None:
            out = np.empty(x.shape, dtype=np.int16)
        else:
            self._check_out("out", out, x.shape, np.int16)
        if x.shape[0]:
            self._run(x, np.empty((0, 0), np.float32), out, adc)
        return out

    def filter_uV(self, x_uV, axis: int = 0) -> np.ndarray:
        """Band-pass a standalone signal (e.g. a template) from zero state, without gain or clip.

        The stream state used by `process` is not touched.

        Parameters
        ----------
        x_uV : array_like
            Signal in µV, time along ``axis``.
        axis : int, default 0
            Time axis.

        Returns
        -------
        np.ndarray of float64, same shape as ``x_uV``
            Filtered signal in µV.
        """
        x = check_array("x_uV", x_uV, dtype=np.float64)
        if x.ndim == 0:
            raise ValueError(f"x_uV must have at least 1 dimension, got shape {x.shape}")
        check_int("axis", axis, -x.ndim, x.ndim - 1)
        if not np.all(np.isfinite(x)):
            raise ValueError("x_uV must be finite (µV), got NaN or inf values")
        return signal.sosfilt(self.sos, x, axis=axis)

    def group_delay_s(self, f_hz: float | None = None) -> float:
        """Group delay of the band-pass at ``f_hz``, in s.

        ``tau(f) = -d phi / d omega``, summed over the second-order sections (the phase of a
        cascade is the sum of the phases), converted from samples to s by ``/ fs_hz``.

        Parameters
        ----------
        f_hz : float, optional
            Frequency in Hz, in (0, fs_hz/2). Default: the geometric mean of the corners,
            ``sqrt(highpass_hz * lowpass_hz)``.
        """
        if f_hz is None:
            f_hz = float(np.sqrt(self.highpass_hz * self.lowpass_hz))
        f_hz = check_range("f_hz", f_hz, 0.0, self.fs_hz / 2.0, "Hz",
                           low_inclusive=False, high_inclusive=False)
        total_samples = 0.0
        for section in self.sos:
            _, gd = signal.group_delay((section[:3], section[3:]), w=[f_hz], fs=self.fs_hz)
            total_samples += float(gd[0])
        return total_samples / self.fs_hz
