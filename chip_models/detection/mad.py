"""Threshold crossing with a MAD noise estimate, frozen after calibration or tracked on chip."""

from __future__ import annotations

import logging

import numpy as np
from scipy import special

from .._validation import check_range
from . import _kernels
from ._base import CalibratedDetector

logger = logging.getLogger(__name__)

__all__ = ["MADThresholdDetector", "quantised_mad_sigma"]


def quantised_mad_sigma(x: np.ndarray, quantisation_step: float) -> np.ndarray:
    r"""Noise per channel of a quantised signal: the MAD estimate taken on the quantiser's bins.

    For a mid-tread quantiser of step Δ and Gaussian noise σ, a code ``|q| <= k`` means
    ``|x| < (k + 1/2) Δ``, so ``F(k) = P(|q| <= k) = 2 Φ((k + 1/2) Δ / σ) - 1``. With ``k`` the
    median of ``|q|`` (the first ``k`` with ``F(k) >= 1/2``) and ``F(k)`` measured,

    .. math::

        \hat\sigma = \max\left(\frac{(k + 1/2)\,\Delta}{\Phi^{-1}((1 + F(k))/2)},
                            \frac{\Delta}{\sqrt{12}}\right)

    This is the MAD estimate (``median|x| / 0.6745``) with the median read between the bins
    instead of at a bin: it stays right when the noise is a fraction of a step, where
    ``median|q|`` is 0 and the plain MAD gives 0. It is floored at the rms of the quantisation
    error, ``Δ/√12`` (Widrow & Kollár 2008): below that the noise cannot be told from the
    quantiser (and when every sample is one code, F(k) = 1, the estimate is that floor).

    Assumptions
    -----------
    - Zero-mean noise, Gaussian within the calibration window (spikes sparse, as for the MAD).
    - A mid-tread quantiser (code 0 for ``|x| < Δ/2``), as `chip_models.ADC`.

    Parameters
    ----------
    x : np.ndarray, shape (num_samples, num_channels)
        Quantised samples (e.g. ADC codes), in input units.
    quantisation_step : float
        The step ``Δ`` in the same units (1 for codes), > 0.

    Returns
    -------
    np.ndarray, shape (num_channels,)
        Noise estimate, input units.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"x must have shape (num_samples >= 1, num_channels), got {x.shape}")
    k, frac = _kernels.median_code_and_cdf(x, float(quantisation_step))
    ok = frac < 1.0
    sigma = np.zeros(x.shape[1])
    sigma[ok] = (k[ok] + 0.5) / special.ndtri((1.0 + frac[ok]) / 2.0)
    return np.maximum(sigma, 1.0 / np.sqrt(12.0)) * quantisation_step


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
    quantisation_step : float, optional
        Step of the quantiser that produced the input, in input units (1 for ADC codes), > 0.
        The MAD is then read between the quantiser's bins and floored at the rms quantisation
        error ``step / sqrt(12)`` (`quantised_mad_sigma`): when the analog noise is below about
        one step most samples are the same code, ``median(|x|)`` is 0, and the plain estimate
        (and the threshold) would be 0, every non-zero code a detection. ``None`` (default):
        the plain MAD.

    Assumptions
    -----------
    - Without ``adaptive`` the noise is taken as stationary: the threshold is computed once from
      the calibration window and then frozen. With ``adaptive`` it follows slow changes
      (chronic drift) with time constant ``adaptation_time_s``.
    - Spikes are sparse in the calibration window, so the median is dominated by noise.
    - Input is integer ADC codes or floats in any unit; thresholds are in the same unit.
    - With ``quantisation_step``, the noise of a quantised signal is at least that of the
      quantisation error (uniform over one step, rms ``step / sqrt(12)``).

    References
    ----------
    Quiroga, Nadasdy & Ben-Shaul (2004), Neural Computation 16(8):1661-1687 (MAD threshold).
    Christie et al. (2015), J. Neural Eng. 12:016009 (thresholds -3 to -5 x RMS).
    Widrow & Kollár (2008), Quantization Noise, Cambridge University Press, ch. 4 (step²/12).
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
                 adaptation_time_s: float = 1.0, quantisation_step: float | None = None):
        self._setup(num_channels, fs_hz, dead_time_s, calibration_s, polarity)
        self.quantisation_step = None if quantisation_step is None else check_range(
            "quantisation_step", quantisation_step, 0.0, None, "(input units)", low_inclusive=False)
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
        return _kernels.adaptive_mad_detect(
            x, self._median, self._eta, self.threshold_k / _kernels.MAD_TO_SIGMA,
            self._dead_remaining, self.dead_samples, _kernels.POLARITY_CODES[self.polarity],
            self._hit_bitmap(len(x)))

    def _finish_calibration(self) -> None:
        self._sigma = _kernels.mad_sigma(self._cal_buffer) if self.quantisation_step is None else \
            quantised_mad_sigma(self._cal_buffer, self.quantisation_step)
        self._threshold = self.threshold_k * self._sigma
        self._median = self._sigma * _kernels.MAD_TO_SIGMA
        self._cal_buffer = None
        flat = np.flatnonzero(self._sigma == 0.0)
        if flat.size:
            logger.warning("MADThresholdDetector: zero noise estimate on %d channel(s) %s; "
                           "any non-zero sample of the chosen polarity will be detected",
                           flat.size, flat[:10].tolist())
        logger.debug("MADThresholdDetector calibrated on %d samples", self.calibration_samples)
