"""LFP-band path: low-frequency band-pass and decimation, stateful across chunks."""

from __future__ import annotations

import numpy as np
from scipy import signal

from ._validation import check_array, check_int, check_range

__all__ = ["LFPPath"]


class LFPPath:
    r"""Local-field-potential path of the front end: band-pass then integer decimation.

    .. math:: y[m] = (h * x)[m M], \qquad f_\mathrm{out} = f_s / M

    ``h`` is a causal Butterworth band-pass ``[highpass_hz, lowpass_hz]`` (default 0.5-500 Hz)
    and ``M = decimation`` (default 12: 30 kHz -> 2.5 kHz as on Neuropixels 1.0). Output samples
    sit at global input indices that are multiples of ``M``; the filter state and the phase are
    kept across chunks, so chunked == one-shot bitwise.

    Parameters
    ----------
    fs_hz : float
        Input sampling rate in Hz, in (0, 1e6].
    num_channels : int
    highpass_hz, lowpass_hz : float, default 0.5, 500.0
        Corners in Hz, ``0 < highpass < lowpass < fs / (2 M)`` (below the output Nyquist).
    filter_order : int, default 2
        Butterworth prototype order in [1, 8]; the roll-off above ``lowpass_hz`` is the only
        anti-alias filter (a 4th-order path gives ~-32 dB at the 1250 Hz output Nyquist).
    decimation : int, default 12
        In [1, 10000].
    gain_v_per_v : float, default 1.0
        Gain applied to the output (output unit = input unit x gain), in (0, 1e5].

    References
    ----------
    Jun et al. (2017), Nature 551:232-236 (Neuropixels: LFP 0.5-500 Hz at 2.5 kHz).
    """

    def __init__(self, fs_hz: float, num_channels: int, highpass_hz: float = 0.5,
                 lowpass_hz: float = 500.0, filter_order: int = 2, decimation: int = 12,
                 gain_v_per_v: float = 1.0):
        self.fs_hz = check_range("fs_hz", fs_hz, 0.0, 1e6, "Hz", low_inclusive=False)
        self.num_channels = check_int("num_channels", num_channels, 1, None)
        self.decimation = check_int("decimation", decimation, 1, 10000)
        out_nyq = self.fs_hz / (2.0 * self.decimation)
        self.lowpass_hz = check_range("lowpass_hz", lowpass_hz, 0.0, out_nyq, "Hz",
                                      low_inclusive=False, high_inclusive=False)
        self.highpass_hz = check_range("highpass_hz", highpass_hz, 0.0, self.lowpass_hz, "Hz",
                                       low_inclusive=False, high_inclusive=False)
        self.filter_order = check_int("filter_order", filter_order, 1, 8)
        self.gain_v_per_v = check_range("gain_v_per_v", gain_v_per_v, 0.0, 1e5, "V/V",
                                        low_inclusive=False)
        self.sos = signal.butter(self.filter_order, [self.highpass_hz, self.lowpass_hz],
                                 "bandpass", fs=self.fs_hz, output="sos")
        self.reset()

    @property
    def fs_out_hz(self) -> float:
        """Output sampling rate ``fs_hz / decimation`` in Hz."""
        return self.fs_hz / self.decimation

    def reset(self) -> None:
        """Zero the filter state and restart at global sample 0."""
        self._zi = np.zeros((self.sos.shape[0], 2, self.num_channels))
        self._samples_seen = 0

    def process(self, x) -> np.ndarray:
        """Filter and decimate one chunk.

        Parameters
        ----------
        x : array_like, shape (num_samples, num_channels)
            Input (µV).

        Returns
        -------
        np.ndarray of float64, shape (num_out, num_channels)
            Samples at the global indices ``n`` of this chunk with ``n % decimation == 0``.
        """
        arr = check_array("x", x, ndim=2, shape=(None, self.num_channels))
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"x must be a real array, got dtype {arr.dtype}")
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            raise ValueError("x must be finite, got NaN or inf values")
        start = self._samples_seen
        self._samples_seen += arr.shape[0]
        if arr.shape[0] == 0:
            return np.zeros((0, self.num_channels))
        y, self._zi = signal.sosfilt(self.sos, arr.astype(np.float64), axis=0, zi=self._zi)
        first = (-start) % self.decimation
        return y[first::self.decimation] * self.gain_v_per_v
