"""On-chip spike detection: every detector of the chip, by name or by class.

All detectors share one interface (`CalibratedDetector`): ``process(x) -> (sample_index int64,
channel int32)`` with global sample indices sorted by sample then channel, a per-channel
``threshold`` on the detector's feature, a dead time carried across chunks, a ``polarity`` and
``ops_per_sample`` for the power model. `SpikeBandPower` is the binned feature extractor that the
chip may send instead of events.

========================  ===================================  ==============================
kind                      class                                module
========================  ===================================  ==============================
``mad_threshold``         `MADThresholdDetector`               ``mad`` (frozen or running MAD)
``rms_threshold``         `RMSThresholdDetector`               ``threshold``
``absolute_threshold``    `AbsoluteThresholdDetector`          ``threshold``
``neo``                   `NEODetector`                        ``neo``
``sbp``                   `SpikeBandPower`                     ``sbp``
========================  ===================================  ==============================

The Numba kernels of all of them are in ``_kernels`` (one threshold-crossing kernel for the fixed
and the running threshold); the shared calibration and dead-time machinery is in ``_base``.
"""

from __future__ import annotations

from .._validation import check_option
from ._base import CalibratedDetector
from .mad import MADThresholdDetector, quantised_mad_sigma
from .neo import NEODetector
from .sbp import SpikeBandPower
from .threshold import AbsoluteThresholdDetector, RMSThresholdDetector

__all__ = [
    "DETECTOR_KINDS",
    "AbsoluteThresholdDetector",
    "CalibratedDetector",
    "MADThresholdDetector",
    "NEODetector",
    "RMSThresholdDetector",
    "SpikeBandPower",
    "make_detector",
    "quantised_mad_sigma",
]

#: Kinds accepted by `make_detector`.
DETECTOR_KINDS = ("mad_threshold", "rms_threshold", "absolute_threshold", "neo", "sbp")


def make_detector(kind: str, num_channels: int, fs_hz: float, **params):
    """Build an on-chip detector (or the spike-band-power feature extractor) by name.

    Parameters
    ----------
    kind : {'mad_threshold', 'rms_threshold', 'absolute_threshold', 'neo', 'sbp'}
        `MADThresholdDetector` (``adaptive=True`` for the running estimate),
        `RMSThresholdDetector`, `AbsoluteThresholdDetector`, `NEODetector`,
        `SpikeBandPower` (returns per-bin features, not events).
    num_channels : int
        Number of channels, >= 1.
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
