"""On-chip spike detection by threshold crossing with a MAD-calibrated threshold."""

from __future__ import annotations

import logging

import numpy as np

from . import _detector_kernels, _kernels
from ._detector_base import CalibratedDetector
from ._validation import check_range

logger = logging.getLogger(__name__)


class MADThresholdDetector(CalibratedDetector):
    r"""Causal threshold-crossing detector with a MAD noise estimate and a dead time.

    During the first ``calibration_s`` of the stream (which may span several chunks; the samples
    are buffered in the detector's state) the detector emits no events and estimates the noise of
    every channel from exactly those samples (Quiroga et al. 2004):

    .. math::

        \sigma_c = \frac{\mathrm{median}(|x_c|)}{0.6745}, \qquad \theta_c = k \, \sigma_c

    After calibration the threshold is fixed. A detection on channel ``c`` is the first sample
    ``n`` whose value is beyond the threshold (``x < -θ`` for ``'negative'``, ``x > θ`` for
    ``'positive'``, ``|x| > θ`` for ``'both'``) while the channel is armed; the channel is then
    blind for ``dead_samples = round(dead_time_s * fs_hz)`` samples (``n+1 … n+dead_samples``) and
    re-arms at ``n + dead_samples + 1``. The dead-time counter is carried across chunks.

    On white noise each armed sample fires with probability ``p``, so detections form a renewal
    process with rate ``fs p / (1 + p D)`` (``D = dead_samples``).

    Parameters
    ----------
    num_channels : int
        Number of channels, >= 1.
    fs_hz : float
        Sampling rate in Hz, in (0, 1e6].
    threshold_k : float, default 4.5
        Threshold in units of sigma, in (0, 100].
    dead_time_s : float, default 1e-3
        Refractory period after a detection in s, in [0, 1].
    calibration_s : float, default 0.25
        Length of the calibration window at the start of the stream in s, in (0, 3600];
        must hold at least one sample.
    polarity : {'negative', 'positive', 'both'}, default 'negative'
    adaptive : bool, default False
        If True, after calibration the median ``m_c`` of ``|x|`` is tracked on chip by a
        sign-based quantile tracker (one comparison and one shift-add per sample)::

            theta_c[n] = k m_c[n] / 0.6745
            m_c[n+1] = m_c[n] (1 + eta sign(|x_c[n]| - m_c[n])),   eta = 1 / (fs tau)

        whose only fixed point in expectation is the median of ``|x|`` (equal up and down
        steps), started from the calibration median. Detection at sample n uses ``theta_c[n]``.
    adaptation_time_s : float, default 1.0
        ``tau`` of the tracker in s, in (0, 3600]: the estimate can move by a factor ~e in
        ``tau`` when every sample is on the same side; its stationary relative spread is about
        ``sqrt(eta / (4 f))`` with ``f = 2 phi(0.6745) = 0.636`` the density of ``|x|/sigma``
        at its median (0.4 % for tau = 1 s at 30 kHz).

    Assumptions
    -----------
    - Without ``adaptive`` the noise is taken as stationary: the threshold is computed once from
      the calibration window and then frozen. With ``adaptive`` it follows slow changes
      (chronic drift) with time constant ``adaptation_time_s``.
    - Spikes are sparse in the calibration window, so the median is dominated by noise.
    - Input is integer ADC codes or floats in any unit; thresholds are in the same unit.

    References
    ----------
    Quiroga, Nadasdy & Ben-Shaul (2004), Neural Computation 16(8):1661-1687 (MAD threshold).
    Christie et al. (2015), J. Neural Eng. 12:016009 (thresholds -3 to -5 x RMS).
    """

    #: Digital operations per sample per channel once calibrated: one comparison against the
    #: threshold, one sign/abs handling of the sample, one dead-time counter test/decrement.
    OPS_PER_SAMPLE = 3.0
    #: Extra operations of the running tracker: |x| vs m comparison, shift (eta m), add, and the
    #: threshold product k/0.6745 * m.
    ADAPTIVE_OPS_PER_SAMPLE = 4.0

    def __init__(self, num_channels: int, fs_hz: float, threshold_k: float = 4.5,
                 dead_time_s: float = 1e-3, calibration_s: float = 0.25,
                 polarity: str = "negative", adaptive: bool = False,
                 adaptation_time_s: float = 1.0):
        self._setup(num_channels, fs_hz, dead_time_s, calibration_s, polarity)
        self.threshold_k = check_range("threshold_k", threshold_k, 0.0, 100.0, "(x sigma)",
                                       low_inclusive=False)
        if not isinstance(adaptive, bool):
            raise TypeError(f"adaptive must be a bool, got {adaptive!r}")
        self.adaptive = adaptive
        self.adaptation_time_s = check_range("adaptation_time_s", adaptation_time_s, 0.0, 3600.0,
                                             "s", low_inclusive=False)
        self._eta = 1.0 / (self.adaptation_time_s * self.fs_hz)
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget calibration and dead-time state (start of a new stream)."""
        super().reset()
        self._sigma = np.full(self.num_channels, np.nan)
        self._median = np.full(self.num_channels, np.nan)

    @property
    def sigma(self) -> np.ndarray:
        """Per-channel noise estimate (input units), current value of the running estimate when
        ``adaptive``; NaN before calibration is done."""
        if self.adaptive and self.calibrated:
            return self._median / _kernels.MAD_TO_SIGMA
        return self._sigma.copy()

    @property
    def threshold(self) -> np.ndarray:
        """Per-channel threshold magnitude ``k * sigma`` (input units); NaN before calibration."""
        if self.adaptive and self.calibrated:
            return self.threshold_k * self._median / _kernels.MAD_TO_SIGMA
        return self._threshold.copy()

    @property
    def ops_per_sample(self) -> float:
        """Estimated digital operations per sample per channel (see ``OPS_PER_SAMPLE``), plus
        ``ADAPTIVE_OPS_PER_SAMPLE`` for the running tracker."""
        return self.OPS_PER_SAMPLE + (self.ADAPTIVE_OPS_PER_SAMPLE if self.adaptive else 0.0)

    # ------------------------------------------------------------------ processing
    # process(x) -> (sample_index int64, channel int32): CalibratedDetector.process; the MAD
    # detector's feature is the input itself.
    def _feature(self, arr):
        return arr

    def _detect(self, x):
        if not self.adaptive:
            return super()._detect(x)
        return _detector_kernels.adaptive_mad_detect(
            x, self._median, self._eta, self.threshold_k / _kernels.MAD_TO_SIGMA,
            self._dead_remaining, self.dead_samples, _kernels.POLARITY_CODES[self.polarity])

    def _finish_calibration(self) -> None:
        self._sigma = _kernels.mad_sigma(self._cal_buffer)
        self._threshold = self.threshold_k * self._sigma
        self._median = self._sigma * _kernels.MAD_TO_SIGMA
        self._cal_buffer = None
        flat = np.flatnonzero(self._sigma == 0.0)
        if flat.size:
            logger.warning("MADThresholdDetector: zero noise estimate on %d channel(s) %s; "
                           "any non-zero sample of the chosen polarity will be detected",
                           flat.size, flat[:10].tolist())
        logger.debug("MADThresholdDetector calibrated on %d samples", self.calibration_samples)
