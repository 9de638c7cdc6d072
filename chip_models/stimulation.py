"""Stimulation: charge-balanced biphasic pulses, Shannon safety check, artefact and blanking."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validation import check_array, check_range

__all__ = [
    "SHANNON_K_DAMAGE",
    "SHANNON_K_DEFAULT_LIMIT",
    "BiphasicPulse",
    "blank_samples",
    "pulse_sample_indices",
    "shannon_k",
    "stimulation_artefact_uV",
]

#: Shannon (1992) damage line: tissue damage observed at k >= 1.85.
SHANNON_K_DAMAGE = 1.85
#: Default refusal limit: 0.1 below the damage line as a safety margin (k = 1.75).
SHANNON_K_DEFAULT_LIMIT = 1.75


def shannon_k(charge_uC_per_phase: float, area_cm2: float) -> float:
    r"""Shannon's k: ``k = log10(D) + log10(Q)`` with ``D = Q / A`` in µC/cm²/phase, Q in µC.

    .. math:: \log D = k - \log Q

    Parameters
    ----------
    charge_uC_per_phase : float
        Charge per phase in µC, > 0.
    area_cm2 : float
        Geometric electrode area in cm², > 0.

    References
    ----------
    Shannon (1992), IEEE TBME 39(4):424-426.
    """
    q = check_range("charge_uC_per_phase", charge_uC_per_phase, 0.0, None, "µC",
                    low_inclusive=False)
    a = check_range("area_cm2", area_cm2, 0.0, None, "cm²", low_inclusive=False)
    return math.log10(q / a) + math.log10(q)


@dataclass(frozen=True)
class BiphasicPulse:
    """A charge-balanced, cathodic-first biphasic current pulse train on one contact.

    Parameters
    ----------
    amplitude_uA : float
        Phase current in µA, in (0, 10000].
    phase_width_us : float
        Width of each phase in µs, in (0, 10000].
    interphase_gap_us : float
        Gap between the phases in µs, in [0, 10000].
    rate_hz : float
        Pulse rate in Hz, in (0, 10000]; the pulse must fit its period.
    site_area_um2 : float
        Geometric contact area in µm², > 0.
    k_limit : float, default 1.75
        Refuse pulses with Shannon ``k`` above this (damage line 1.85; the default keeps 0.1 of
        margin), in (0, 1.85].

    Raises
    ------
    ValueError
        A parameter out of range, or the pulse above the Shannon limit (the message names the
        charge, density, k and the limit).
    """

    amplitude_uA: float
    phase_width_us: float
    interphase_gap_us: float
    rate_hz: float
    site_area_um2: float
    k_limit: float = SHANNON_K_DEFAULT_LIMIT

    def __post_init__(self):
        check_range("amplitude_uA", self.amplitude_uA, 0.0, 1e4, "µA", low_inclusive=False)
        check_range("phase_width_us", self.phase_width_us, 0.0, 1e4, "µs", low_inclusive=False)
        check_range("interphase_gap_us", self.interphase_gap_us, 0.0, 1e4, "µs")
        check_range("rate_hz", self.rate_hz, 0.0, 1e4, "Hz", low_inclusive=False)
        check_range("site_area_um2", self.site_area_um2, 0.0, None, "µm²", low_inclusive=False)
        check_range("k_limit", self.k_limit, 0.0, SHANNON_K_DAMAGE, low_inclusive=False)
        period_us = 1e6 / self.rate_hz
        if self.duration_us > period_us:
            raise ValueError(f"rate_hz too high: the pulse lasts {self.duration_us:g} µs, longer "
                             f"than the period 1/rate_hz = {period_us:g} µs")
        k = self.shannon_k
        if k > self.k_limit:
            raise ValueError(
                f"stimulation refused: Shannon k = {k:.3f} exceeds k_limit = {self.k_limit:g} "
                f"(charge {self.charge_uC_per_phase:.4g} µC/phase, density "
                f"{self.charge_density_uC_per_cm2:.4g} µC/cm²/phase on {self.site_area_um2:g} µm²;"
                f" amplitude_uA = {self.amplitude_uA:g}, phase_width_us = {self.phase_width_us:g})")

    @property
    def charge_uC_per_phase(self) -> float:
        """``Q = I t`` in µC: µA x µs x 1e-6."""
        return self.amplitude_uA * self.phase_width_us * 1e-6

    @property
    def area_cm2(self) -> float:
        """Contact area in cm² (1 µm² = 1e-8 cm²)."""
        return self.site_area_um2 * 1e-8

    @property
    def charge_density_uC_per_cm2(self) -> float:
        """``D = Q / A`` in µC/cm²/phase."""
        return self.charge_uC_per_phase / self.area_cm2

    @property
    def shannon_k(self) -> float:
        """Shannon ``k = log10(D) + log10(Q)``."""
        return shannon_k(self.charge_uC_per_phase, self.area_cm2)

    @property
    def duration_us(self) -> float:
        """Both phases and the gap, in µs."""
        return 2 * self.phase_width_us + self.interphase_gap_us

    def net_charge_uC(self) -> float:
        """Net charge per pulse in µC: 0 (charge balanced by construction)."""
        return self.charge_uC_per_phase - self.charge_uC_per_phase


def pulse_sample_indices(pulse: BiphasicPulse, fs_hz: float, start_s: float,
                         duration_s: float) -> np.ndarray:
    """Sample indices (int64) of the pulse onsets ``start_s + j / rate_hz`` within the span."""
    fs = check_range("fs_hz", fs_hz, 0.0, 1e6, "Hz", low_inclusive=False)
    t0 = check_range("start_s", start_s, 0.0, None, "s")
    dur = check_range("duration_s", duration_s, 0.0, None, "s")
    times = t0 + np.arange(int(math.floor(dur * pulse.rate_hz + 1e-9))) / pulse.rate_hz
    return np.round(times * fs).astype(np.int64)


def stimulation_artefact_uV(start: int, num_samples: int, fs_hz: float, pulse_samples,
                            peak_uV, tau_s: float) -> np.ndarray:
    r"""Stimulation artefact on every recording channel for one chunk, in µV.

    .. math:: a_c[n] = \sum_{p: n_p \le n} A_c \, e^{-(n - n_p) / (\tau f_s)}

    (an exponentially decaying step at each pulse onset ``n_p``, per-channel peak ``A_c``, e.g.
    scaled by the inverse distance to the stimulating contact). A pure function of global
    sample indices: chunking does not change it.

    Parameters
    ----------
    start, num_samples : int
        Global index of the chunk's first sample and its length.
    fs_hz : float
    pulse_samples : array_like of int
        Pulse onset sample indices.
    peak_uV : array_like, shape (num_channels,)
        Artefact peak per channel in µV.
    tau_s : float
        Decay time constant in s, in (0, 1].
    """
    fs = check_range("fs_hz", fs_hz, 0.0, 1e6, "Hz", low_inclusive=False)
    tau = check_range("tau_s", tau_s, 0.0, 1.0, "s", low_inclusive=False)
    peaks = check_array("peak_uV", peak_uV, ndim=1, dtype=float)
    onsets = check_array("pulse_samples", pulse_samples, ndim=1, dtype=np.int64)
    n = np.arange(int(start), int(start) + int(num_samples))
    envelope = np.zeros(n.size)
    horizon = int(math.ceil(40 * tau * fs))   # e^-40: below float resolution of the peak
    for p in onsets[(onsets <= n[-1] if n.size else onsets < 0) & (onsets > int(start) - horizon)]:
        lag = n - p
        on = lag >= 0
        envelope[on] += np.exp(-lag[on] / (tau * fs))
    return envelope[:, None] * peaks[None, :]


def blank_samples(x, start: int, pulse_samples, blank_samples_after: int) -> np.ndarray:
    """Blanking: zero the samples in ``[n_p, n_p + blank_samples_after)`` after each pulse onset.

    On chip the detector input is gated during and after stimulation; zeroed samples cannot
    cross a threshold. Returns a copy; pure function of global indices (chunk independent).
    """
    arr = np.array(check_array("x", x, ndim=2), copy=True)
    b = int(blank_samples_after)
    if b < 0:
        raise ValueError(f"blank_samples_after must be >= 0 samples, got {blank_samples_after!r}")
    onsets = check_array("pulse_samples", pulse_samples, ndim=1, dtype=np.int64)
    for p in onsets:
        lo, hi = max(p - start, 0), min(p + b - start, arr.shape[0])
        if lo < hi:
            arr[lo:hi] = 0
    return arr
