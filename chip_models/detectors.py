"""More on-chip detectors: absolute threshold, k x RMS, NEO; and the detector factory.

All detectors share the interface of `chip_models.MADThresholdDetector`:
``process(x) -> (sample_index int64, channel int32)`` with global sample indices, a per-channel
``threshold``, a dead time, a polarity and ``ops_per_sample`` for the power model.
"""

from __future__ import annotations

import logging

import numpy as np

from . import _detector_kernels
from ._validation import check_int, check_option, check_range
from ._detector_base import CalibratedDetector
from .detector import MADThresholdDetector
from .features import SpikeBandPower

logger = logging.getLogger(__name__)

__all__ = [
    "DETECTOR_KINDS",
    "AbsoluteThresholdDetector",
    "NEODetector",
    "RMSThresholdDetector",
    "make_detector",
]


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


class NEODetector(CalibratedDetector):
    r"""Smoothed nonlinear energy operator (NEO / TEO) with a ``C * mean(psi)`` threshold.

    .. math::

        \psi[n] = x[n]^2 - x[n-1]\,x[n+1], \qquad
        \bar\psi = w * \psi, \qquad \theta_c = C \cdot \mathrm{mean}_\mathrm{cal}(\bar\psi_c)

    ``w`` is a Bartlett (triangular) window of ``window_samples`` taps normalised to unit sum.
    Causal: the operator centred on ``n-1`` is evaluated when ``x[n]`` arrives, so a detection
    lags the energy peak by ``1 + (window_samples - 1) / 2`` samples (reported as
    `latency_samples`). The threshold is a positive level on ``psi`` (polarity 'positive'
    on the feature). For integer codes the operator is exact in float64 (|psi| < 2^53).

    Parameters
    ----------
    num_channels, fs_hz, dead_time_s, calibration_s
        As `MADThresholdDetector`.
    threshold_c : float, default 8.0
        Scale ``C`` of the mean smoothed energy, in (0, 1000].
    window_samples : int, default 4
        Bartlett window length in samples, in [1, 64] (1 = no smoothing).

    References
    ----------
    Mukhopadhyay & Ray (1998), IEEE TBME 45(2):180-187 (NEO with a C x mean threshold).
    Kim & Kim (2000), IEEE TBME 47(10) (smoothed NEO).
    """

    def __init__(self, num_channels: int, fs_hz: float, threshold_c: float = 8.0,
                 window_samples: int = 4, dead_time_s: float = 1e-3,
                 calibration_s: float = 0.25):
        self._setup(num_channels, fs_hz, dead_time_s, calibration_s, "positive")
        self.threshold_c = check_range("threshold_c", threshold_c, 0.0, 1000.0,
                                       low_inclusive=False)
        self.window_samples = check_int("window_samples", window_samples, 1, 64)
        w = np.bartlett(self.window_samples + 2)[1:-1] if self.window_samples > 1 else np.ones(1)
        self.weights = np.ascontiguousarray(w / w.sum())
        self.reset()

    @property
    def latency_samples(self) -> float:
        """Delay of the feature peak behind the input peak, in samples."""
        return 1.0 + (self.window_samples - 1) / 2.0

    @property
    def ops_per_sample(self) -> float:
        """Two multiplies and a subtraction for psi, a multiply-add per window tap, a compare
        and the dead-time counter."""
        return 3.0 + 2.0 * self.window_samples + 2.0

    def _reset_feature(self):
        self._x_tail = np.zeros((2, self.num_channels))
        self._psi_tail = np.zeros((self.window_samples - 1, self.num_channels))

    def _feature(self, arr):
        x_ext = np.concatenate([self._x_tail, arr.astype(np.float64)])
        out = np.empty(arr.shape, dtype=np.float64)
        _detector_kernels.neo_smoothed(np.ascontiguousarray(x_ext), self.weights, self._psi_tail,
                                       out)
        self._x_tail = x_ext[-2:].copy()
        return out

    def _threshold_from(self, cal):
        return self.threshold_c * np.mean(cal, axis=0)

    def _feature_polarity(self) -> str:
        return "positive"


#: Kinds accepted by `make_detector`.
DETECTOR_KINDS = ("mad_threshold", "rms_threshold", "absolute_threshold", "neo", "sbp")


def make_detector(kind: str, num_channels: int, fs_hz: float, **params):
    """Build an on-chip detector (or the spike-band-power feature extractor) by name.

    Parameters
    ----------
    kind : {'mad_threshold', 'rms_threshold', 'absolute_threshold', 'neo', 'sbp'}
        `MADThresholdDetector` (``adaptive=True`` for the running estimate),
        `RMSThresholdDetector`, `AbsoluteThresholdDetector`, `NEODetector`,
        `chip_models.SpikeBandPower` (returns per-bin features, not events).
    num_channels : int
    fs_hz : float
        Sampling rate in Hz.
    **params
        Keyword arguments of the chosen class.
    """
    check_option("kind", kind, DETECTOR_KINDS)
    cls = {"mad_threshold": MADThresholdDetector, "rms_threshold": RMSThresholdDetector,
           "absolute_threshold": AbsoluteThresholdDetector, "neo": NEODetector,
           "sbp": SpikeBandPower}[kind]
    return cls(num_channels, fs_hz, **params)
