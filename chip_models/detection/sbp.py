"""Spike-band power: a binned feature extractor as it runs on chip."""

from __future__ import annotations

import numpy as np
from scipy import signal

from . import _kernels
from .._validation import check_array, check_int, check_option, check_range

__all__ = ["SpikeBandPower"]


class SpikeBandPower:
    r"""Spike-band power (SBP): band-pass, rectify (or square), average in bins.

    .. math::

        \mathrm{SBP}_c[b] = \frac{1}{B} \sum_{n = bB}^{(b+1)B - 1} |(h * x_c)[n]|
        \quad (\text{or } (h * x_c)[n]^2)

    with ``h`` a causal Butterworth band-pass (``band_hz``, default 300-1000 Hz as in Nason et al.
    2020) and ``B = round(bin_s * fs_hz)`` samples per bin. Bins are aligned to the start of the
    stream; filter state and the partial bin carry over chunks, so chunked == one-shot bitwise.

    Parameters
    ----------
    num_channels : int
    fs_hz : float
        Sampling rate in Hz, in (0, 1e6].
    bin_s : float, default 0.05
        Bin length in s, in [1e-4, 10]; must hold at least one sample.
    band_hz : tuple of float, default (300.0, 1000.0)
        Band-pass corners in Hz, ``0 < low < high < fs_hz / 2``.
    filter_order : int, default 2
        Butterworth prototype order, in [1, 8].
    statistic : {'abs', 'square'}, default 'abs'
        Mean absolute value (cheaper on chip, Nason 2020) or mean power.

    Assumptions
    -----------
    - Feature values are kept in float64 (input units, or units squared); the bit width sent is
      a property of the output mode (`chip_models.sbp_rate_bps`).

    References
    ----------
    Nason et al. (2020), Nat. Biomed. Eng. 4:973-983 (spike-band power, 300-1000 Hz).
    """

    def __init__(self, num_channels: int, fs_hz: float, bin_s: float = 0.05,
                 band_hz=(300.0, 1000.0), filter_order: int = 2, statistic: str = "abs"):
        self.num_channels = check_int("num_channels", num_channels, 1, None)
        self.fs_hz = check_range("fs_hz", fs_hz, 0.0, 1e6, "Hz", low_inclusive=False)
        self.bin_s = check_range("bin_s", bin_s, 1e-4, 10.0, "s")
        self.bin_samples = int(round(self.bin_s * self.fs_hz))
        if self.bin_samples < 1:
            raise ValueError(f"bin_s * fs_hz must give at least 1 sample, got bin_s = "
                             f"{self.bin_s:g} s at fs_hz = {self.fs_hz:g} Hz")
        band = check_array("band_hz", band_hz, ndim=1, shape=(2,), dtype=float)
        low = check_range("band_hz[0]", band[0], 0.0, None, "Hz", low_inclusive=False)
        high = check_range("band_hz[1]", band[1], low, self.fs_hz / 2.0, "Hz",
                           low_inclusive=False, high_inclusive=False)
        self.band_hz = (low, high)
        self.filter_order = check_int("filter_order", filter_order, 1, 8)
        self.statistic = check_option("statistic", statistic, ["abs", "square"])
        self.sos = np.ascontiguousarray(signal.butter(self.filter_order, self.band_hz, "bandpass",
                                                      fs=self.fs_hz, output="sos"))
        self.reset()

    def reset(self) -> None:
        """Zero the filter state and the partial bin."""
        self._zi = np.zeros((self.sos.shape[0], 2, self.num_channels))
        self._acc = np.zeros(self.num_channels)
        self._count = np.zeros(1, dtype=np.int64)
        self._bins_emitted = 0

    @property
    def bins_emitted(self) -> int:
        """Completed bins returned since the last reset (index of the next bin)."""
        return self._bins_emitted

    @property
    def ops_per_sample(self) -> float:
        """5 multiply-adds per second-order section, one rectify/square, one accumulate,
        plus one divide (shift) per bin, amortised."""
        return 5.0 * self.sos.shape[0] + 2.0 + 1.0 / self.bin_samples

    def process(self, x) -> np.ndarray:
        """Feature values of the bins completed in this chunk.

        Parameters
        ----------
        x : array_like, shape (num_samples, num_channels)
            Input (µV, mV or ADC codes).

        Returns
        -------
        np.ndarray of float64, shape (num_completed_bins, num_channels)
            Bin ``b`` of the stream is row ``b - bins_emitted_before_the_call``.
        """
        arr = check_array("x", x, ndim=2, shape=(None, self.num_channels))
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"x must hold integer codes or floats, got dtype {arr.dtype}")
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            raise ValueError("x must be finite, got NaN or inf values")
        if arr.shape[0]:
            y, self._zi = signal.sosfilt(self.sos, arr.astype(np.float64), axis=0, zi=self._zi)
        else:
            y = np.zeros((0, self.num_channels))
        y = np.ascontiguousarray(y)
        max_bins = (int(self._count[0]) + arr.shape[0]) // self.bin_samples
        out = np.empty((max_bins, self.num_channels))
        written = _kernels.binned_abs_mean(y, self._acc, self._count, self.bin_samples,
                                           self.statistic == "square", out)
        self._bins_emitted += written
        return out[:written]
