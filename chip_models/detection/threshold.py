"""Threshold crossing against a fixed level or k x RMS of a calibration window."""

from __future__ import annotations

import numpy as np

from .._validation import check_range
from ._base import CalibratedDetector

__all__ = ["AbsoluteThresholdDetector", "RMSThresholdDetector"]


class AbsoluteThresholdDetector(CalibratedDetector):
    """Threshold crossing against a fixed level, in the units of the input (µV or ADC codes).

    Fires at the first armed sample with ``x < -threshold`` (``'negative'``), ``x > threshold``
    (``'positive'``) or ``|x| > threshold`` (``'both'``), then ignores ``dead_samples`` samples.
    With integer codes and an integer threshold, the comparison is exact integer arithmetic.

    Parameters
    ----------
    num_channels : int
    fs_hz : float
        Sampling rate in Hz, in (0, 1e6].
    threshold : float or array_like, shape (num_channels,)
        Positive threshold magnitude in input units (µV or codes), > 0.
    dead_time_s : float, default 1e-3
    polarity : {'negative', 'positive', 'both'}, default 'negative'
    """

    def __init__(self, num_channels: int, fs_hz: float, threshold, dead_time_s: float = 1e-3,
                 polarity: str = "negative"):
        self._setup(num_channels, fs_hz, dead_time_s, 0.0, polarity, allow_no_calibration=True)
        thr = np.broadcast_to(np.asarray(threshold, dtype=float), (self.num_channels,)).copy()
        if not np.all(np.isfinite(thr)) or np.any(thr <= 0):
            raise ValueError(f"threshold must be > 0 and finite (input units), got {threshold!r}")
        self._fixed = thr
        self.reset()

    def _threshold_from(self, cal):
        return self._fixed.copy()

    def _feature(self, arr):
        return arr


class RMSThresholdDetector(CalibratedDetector):
    r"""Threshold ``theta_c = k * RMS_c``, the RMS measured over a calibration window.

    .. math:: \mathrm{RMS}_c = \sqrt{\tfrac{1}{N} \sum_{n<N} x_c[n]^2}

    Unlike the MAD estimate, the RMS grows with the spikes in the window (Quiroga et al. 2004);
    it is what many chips use (Christie et al. 2015: -3 to -5 x RMS decode alike).

    Parameters are those of `MADThresholdDetector` (``threshold_k`` in units of RMS;
    ``quantisation_step`` floors the RMS at ``step / sqrt(12)``).
    """

    OPS_PER_SAMPLE = 3.0

    def __init__(self, num_channels: int, fs_hz: float, threshold_k: float = 4.5,
                 dead_time_s: float = 1e-3, calibration_s: float = 0.25,
                 polarity: str = "negative", quantisation_step: float | None = None):
        self._setup(num_channels, fs_hz, dead_time_s, calibration_s, polarity)
        self.threshold_k = check_range("threshold_k", threshold_k, 0.0, 100.0, "(x RMS)",
                                       low_inclusive=False)
        self.quantisation_step = None if quantisation_step is None else check_range(
            "quantisation_step", quantisation_step, 0.0, None, "(input units)", low_inclusive=False)
        self.reset()

    def _threshold_from(self, cal):
        self.rms = np.sqrt(np.mean(cal * cal, axis=0))
        if self.quantisation_step is not None:  # never below the rms quantisation error
            self.rms = np.maximum(self.rms, self.quantisation_step / np.sqrt(12.0))
        return self.threshold_k * self.rms

    def _feature(self, arr):
        return arr
