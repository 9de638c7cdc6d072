"""Smoothed nonlinear energy operator (NEO) detector."""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_range
from . import _kernels
from ._base import CalibratedDetector

__all__ = ["NEODetector"]


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
        _kernels.neo_smoothed(np.ascontiguousarray(x_ext), self.weights, self._psi_tail, out)
        self._x_tail = x_ext[-2:].copy()
        return out

    def _threshold_from(self, cal):
        return self.threshold_c * np.mean(cal, axis=0)

    def _feature_polarity(self) -> str:
        return "positive"
