"""One flat table of a design's chip numbers (no plotting, no I/O)."""

from __future__ import annotations

from ._validation import check_int, check_range
from .heat import thermal_check
from .outputs import mode_rate_bps
from .power import PowerBudget

__all__ = ["chip_report"]


def chip_report(*, num_channels: int, fs_hz: float, highpass_hz: float, lowpass_hz: float,
                bits: int, detector_kind: str, output_mode: str, rates_bps: dict,
                link_capacity_bps: float, power: PowerBudget, footprint_mm=(4.0, 4.0),
                chip_area_mm2: float | None = None, heat_geometry: str = "silicon_block",
                compression_ratio: float | None = None, detection_scores: dict | None = None,
                link_stats: dict | None = None) -> dict:
    """Gather a design's chip numbers into one flat ``{name_with_unit: value}`` dict.

    Parameters
    ----------
    num_channels, fs_hz, highpass_hz, lowpass_hz, bits
        Channels, sampling rate (Hz), band corners (Hz), ADC bits.
    detector_kind, output_mode : str
        Names as in the design (``output_mode`` must be a key of ``rates_bps``).
    rates_bps : dict
        ``{mode: bit/s}`` from `chip_models.mode_rates_bps`.
    link_capacity_bps : float
        Radio capacity in bit/s.
    power : PowerBudget
        Chip power by block.
    footprint_mm, chip_area_mm2, heat_geometry
        See `chip_models.thermal_check`.
    compression_ratio : float, optional
        Achieved lossless ratio (`chip_models.RiceEncoder.ratio`).
    detection_scores : dict, optional
        E.g. ``{'precision': .., 'recall': .., 'f1': ..}``, copied with a ``detection_`` prefix.
    link_stats : dict, optional
        E.g. delivered/overflow/corrupted event counts, copied with a ``link_`` prefix.

    Returns
    -------
    dict
        Keys carry units (``_hz``, ``_bps``, ``_uW``, ``_mW``, ``_K``, ``_mW_per_cm2``).
    """
    n = check_int("num_channels", num_channels, 1, None)
    link = check_range("link_capacity_bps", link_capacity_bps, 0.0, None, "bit/s",
                       low_inclusive=False)
    if not isinstance(power, PowerBudget):
        raise TypeError(f"power must be a PowerBudget, got {type(power).__name__}")
    offered = mode_rate_bps(output_mode, rates_bps)
    heat = thermal_check(power.total_mW, footprint_mm, chip_area_mm2, heat_geometry)
    report = {
        "num_channels": n,
        "fs_hz": float(fs_hz),
        "highpass_hz": float(highpass_hz),
        "lowpass_hz": float(lowpass_hz),
        "bandwidth_hz": float(lowpass_hz) - float(highpass_hz),
        "bits": int(bits),
        "detector": detector_kind,
        "output_mode": output_mode,
        "offered_rate_bps": offered,
        "link_capacity_bps": link,
        "link_utilisation": offered / link,
        "fits_link": offered <= link,
    }
    report.update({f"rate_{mode}_bps": float(v) for mode, v in rates_bps.items()})
    if compression_ratio is not None:
        report["compression_ratio"] = float(compression_ratio)
    report.update({f"power_{k}": v for k, v in power.as_dict().items() if k != "num_channels"})
    report.update({
        "temperature_rise_K": heat["temperature_rise_K"],
        "heating_slope_K_per_mW": heat["slope_K_per_mW"],
        "heat_geometry": heat["geometry"],
        "passes_1C": heat["passes_1C"],
        "passes_2C": heat["passes_2C"],
        "power_density_mW_per_cm2": heat["power_density_mW_per_cm2"],
        "passes_power_density": heat["passes_power_density"],
    })
    for prefix, extra in (("detection_", detection_scores), ("link_", link_stats)):
        if extra:
            report.update({prefix + k: v for k, v in extra.items()})
    return report
