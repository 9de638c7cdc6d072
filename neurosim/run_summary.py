"""What a run reports: the flat ``metrics`` dict (sweeps, datasets, tests) and the readable
``summary`` (CLI, notebooks), from the finished stages of `neurosim.pipeline.run`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RunFacts", "unit_snr", "metrics_and_summary"]


@dataclass
class RunFacts:
    """The finished pieces of a run that its metrics and summary are read from."""

    design: object
    seed: int
    activity: object
    elec: object           # neurosim.electrodes.ElectrodeSetup
    chain: object          # neurosim.chip_stage.ChipChain
    out: object            # neurosim.chip_stage.ChipOutcome
    scores: object         # neurosim.metrics.DetectionScores
    spike_counts: np.ndarray
    snr: np.ndarray
    from_cache: bool


def unit_snr(scores, peaks_uV: np.ndarray, channel_index: np.ndarray, noise_uV: np.ndarray) -> np.ndarray:
    """SNR of every unit: |filtered peak| on its best channel over that channel's noise (0 if none)."""
    nu = len(channel_index)
    if nu == 0:
        return np.zeros(0)
    best = scores.unit_best_channel
    has_best = best >= 0
    k_best = np.argmax(np.where(channel_index >= 0, np.abs(peaks_uV), -1.0), axis=1)
    best_peak = np.where(has_best, np.abs(peaks_uV[np.arange(nu), k_best]), 0.0)
    return np.where(has_best, best_peak / np.maximum(noise_uV[np.where(has_best, best, 0)], 1e-12), 0.0)


def _mean(x):
    return float(np.mean(x)) if len(x) else float("nan")


def _median(x):
    x = np.asarray(x, float)
    x = x[~np.isnan(x)]
    return float(np.median(x)) if len(x) else float("nan")


def metrics_and_summary(f: RunFacts) -> tuple[dict, dict]:
    """``(metrics, summary)`` of a finished run."""
    design, activity, elec, chain, out, scores = f.design, f.activity, f.elec, f.chain, f.out, f.scores
    rec, chip = design.recording, design.chip
    num_channels = chain.num_channels
    noise_uV, impedance = out.noise_uV, elec.impedance_ohm
    num_spikes = int(f.spike_counts.sum())
    power, radio = out.power, chip.radio
    raw_bps, event_bps, sent_bps = out.rates_bps["raw"], out.rates_bps["events"], out.sent_bps
    link_bps = radio.link_capacity_mbps * 1e6
    offered_bps = out.rates_bps[radio.output_mode]
    rates = f.spike_counts / rec.duration_s
    detectable = scores.unit_detectable
    snr = f.snr
    metrics = {
        "num_channels": num_channels, "num_cells": activity.num_cells,
        "num_spikes": num_spikes, "num_channels_alive": int(elec.alive.sum()),
        "num_cells_lost": int((~elec.cell_alive).sum()), "num_detectable_units": int(detectable.sum()),
        "num_detections": chain.num_detected, "num_events_received": chain.num_received,
        "precision": scores.precision, "recall": scores.recall, "f1": scores.f1,
        "median_unit_f1": _median(scores.unit_f1[detectable]),
        "median_snr": _median(snr[detectable]), "noise_uV_rms": float(np.median(noise_uV)),
        "impedance_kohm": float(np.median(impedance) / 1e3),
        **{f"rate_{k}_bps": v for k, v in out.rates_bps.items()},
        "raw_rate_bps": raw_bps, "event_rate_bps": event_bps, "offered_rate_bps": offered_bps,
        "sent_rate_bps": sent_bps, "link_capacity_bps": link_bps,
        "fits_link": bool(offered_bps <= link_bps), "compression_ratio": out.compression_ratio,
        "events_dropped": int(out.dropped_by_channel.sum()),
        **{f"power_{k}": v for k, v in power.as_dict().items()},
        "temperature_rise_K": out.thermal["temperature_rise_K"],
        "passes_1C": bool(out.thermal["passes_1C"]),
        "power_density_mW_per_cm2": out.thermal["power_density_mW_per_cm2"],
        "passes_power_density": bool(out.thermal["passes_power_density"]),
    }
    summary = {
        "design": design.name, "seed": f.seed, "layout": design.implant.layout,
        "channels": num_channels, "cells simulated": activity.num_cells,
        "background cells (not simulated)": int(round(getattr(activity, "num_background_cells", 0))),
        "cortex": "reused" if f.from_cache else "simulated",
        "pyramidal / interneuron": f"{int(np.sum(activity.cell_types == 0))} / "
                                   f"{int(np.sum(activity.cell_types == 1))}",
        "mean rate E / I (Hz)": f"{_mean(rates[activity.cell_types == 0]):.1f} / "
                                f"{_mean(rates[activity.cell_types == 1]):.1f}",
        "spikes": num_spikes,
        "channels alive": f"{int(elec.alive.sum())} / {num_channels}",
        "detectable units": int(detectable.sum()),
        "median SNR of detectable units": _median(snr[detectable]),
        "median F1 of detectable units": _median(scores.unit_f1[detectable]),
        "noise (uV rms, median channel)": float(np.median(noise_uV)),
        "impedance at 1 kHz (kOhm)": float(np.median(impedance) / 1e3),
        "detector": chip.detector.kind,
        "detections / received": f"{chain.num_detected} / {chain.num_received}",
        "precision": scores.precision, "recall": scores.recall, "F1": scores.f1,
        "raw rate (Mbit/s)": raw_bps / 1e6, "event rate (Mbit/s)": event_bps / 1e6,
        "output mode": radio.output_mode,
        "offered rate (Mbit/s)": offered_bps / 1e6, "link (Mbit/s)": link_bps / 1e6,
        "fits link": bool(offered_bps <= link_bps),
        "power total (mW)": power.total_uW / 1e3,
        "power per channel (uW)": power.per_channel_uW,
        "power amp / ADC / digital / radio (uW)":
            f"{power.amplifier_uW:.0f} / {power.adc_uW:.1f} / {power.digital_uW:.1f} / {power.radio_uW:.1f}",
        "tissue heating (C)": out.thermal["temperature_rise_K"],
        "power density (mW/cm2)": out.thermal["power_density_mW_per_cm2"],
    }
    if radio.output_mode == "compressed":
        summary["compression ratio"] = out.compression_ratio
    return metrics, summary
