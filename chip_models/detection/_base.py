"""The machinery every on-chip detector shares: validation, a calibration window that may span
chunks, a stateful causal feature, threshold crossing with a dead time carried across chunks."""

from __future__ import annotations

import numpy as np

from .._validation import check_array, check_int, check_option, check_range
from . import _kernels

__all__ = ["CalibratedDetector"]


class CalibratedDetector:
    """Common machinery: a stateful feature, a calibration window, threshold crossing + dead time.

    Subclasses define ``_feature(arr) -> float64 (num_samples, num_channels)`` (stateful, causal)
    and ``_threshold_from(cal) -> (num_channels,)``; ``calibration_samples == 0`` means the
    threshold is known from the start.
    """

    OPS_PER_SAMPLE = 3.0

    def _setup(self, num_channels, fs_hz, dead_time_s, calibration_s, polarity,
               allow_no_calibration=False):
        self.num_channels = check_int("num_channels", num_channels, 1, None)
        self.fs_hz = check_range("fs_hz", fs_hz, 0.0, 1e6, "Hz", low_inclusive=False)
        self.dead_time_s = check_range("dead_time_s", dead_time_s, 0.0, 1.0, "s")
        self.calibration_s = check_range("calibration_s", calibration_s, 0.0, 3600.0, "s",
                                         low_inclusive=allow_no_calibration)
        self.polarity = check_option("polarity", polarity, list(_kernels.POLARITY_CODES))
        self.dead_samples = int(round(self.dead_time_s * self.fs_hz))
        self.calibration_samples = int(round(self.calibration_s * self.fs_hz))
        if self.calibration_samples < 1 and not allow_no_calibration:
            raise ValueError(
                f"calibration_s * fs_hz must give at least 1 sample, got calibration_s = "
                f"{self.calibration_s:g} s at fs_hz = {self.fs_hz:g} Hz")

    def reset(self) -> None:
        """Forget calibration, feature and dead-time state (start of a new stream)."""
        self._samples_seen = 0
        self._dead_remaining = np.zeros(self.num_channels, dtype=np.int64)
        self._hits = None  # hit bitmap of the detection kernels, reused from chunk to chunk
        self._reset_feature()
        if self.calibration_samples > 0:
            self._cal_buffer = np.empty((self.calibration_samples, self.num_channels))
            self._threshold = np.full(self.num_channels, np.nan)
        else:
            self._cal_buffer = None
            self._threshold = self._threshold_from(None)

    def _reset_feature(self) -> None:
        pass

    @property
    def calibrated(self) -> bool:
        """True once the threshold is known."""
        return self._cal_buffer is None

    @property
    def threshold(self) -> np.ndarray:
        """Per-channel threshold magnitude on the detector's feature; NaN before calibration."""
        return self._threshold.copy()

    @property
    def ops_per_sample(self) -> float:
        """Estimated digital operations per sample per channel."""
        return float(self.OPS_PER_SAMPLE)

    @property
    def samples_seen(self) -> int:
        """Samples processed since the last reset."""
        return self._samples_seen

    def process(self, x) -> tuple[np.ndarray, np.ndarray]:
        """Detect events in the next chunk.

        Parameters
        ----------
        x : array_like, shape (num_samples, num_channels)
            ADC codes or floats.

        Returns
        -------
        sample_index : np.ndarray of int64 (global), channel : np.ndarray of int32
            Sorted by sample, then channel.
        """
        arr = check_array("x", x, ndim=2, shape=(None, self.num_channels))
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"x must hold integer codes or floats, got dtype {arr.dtype}")
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            raise ValueError("x must be finite, got NaN or inf values")
        start = self._samples_seen
        num_samples = arr.shape[0]
        self._samples_seen += num_samples
        feat = self._feature(arr)
        offset = 0
        if self._cal_buffer is not None:
            take = min(self.calibration_samples - start, num_samples)
            self._cal_buffer[start:start + take] = feat[:take]
            offset = take
            if start + take == self.calibration_samples:
                self._finish_calibration()
        if offset == num_samples or self._cal_buffer is not None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
        samples, channels = self._detect(np.ascontiguousarray(feat[offset:]))
        samples += start + offset
        return samples, channels

    def _finish_calibration(self) -> None:
        self._threshold = np.asarray(self._threshold_from(self._cal_buffer), float)
        self._cal_buffer = None

    def _hit_bitmap(self, num_samples: int) -> np.ndarray:
        self._hits = _kernels.hit_bitmap(num_samples, self.num_channels, self._hits)
        return self._hits

    def _detect(self, feat):
        """Crossings of the fixed threshold with dead time in a calibrated chunk (local samples)."""
        return _kernels.threshold_detect(feat, self._threshold, self._dead_remaining,
                                         self.dead_samples, _kernels.POLARITY_CODES[self._feature_polarity()],
                                         self._hit_bitmap(len(feat)))

    def _feature_polarity(self) -> str:
        return self.polarity
