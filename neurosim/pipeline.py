"""The end-to-end run: design -> cortex -> electrodes -> chip -> scores -> HDF5.

This module is the only orchestrator: it owns chunking, seeding and the file. Each stage keeps its
own state across chunks (filter state, detector calibration and dead time), and all randomness
of the electrode stage is counter-based (keyed by seed, sample and channel), so the output does
not depend on ``recording.chunk_s``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

import electrode_models as em
from neurosim import __version__
from neurosim.design import Design, load_design
from neurosim.io.hdf5 import AtomicH5Writer
from neurosim.metrics import DetectionScores, score_detection
from neurosim.chip_stage import ChipChain
from neurosim.cortex import get_activity
from neurosim.decoding import bin_events, evaluate_decoders
from neurosim.electrodes import build_probe, setup_background, setup_drift, setup_electrodes
from neurosim.populations import CELL_TYPE_NAMES, Activity

__all__ = ["run", "RunResult", "build_probe", "resolve_seed"]

logger = logging.getLogger(__name__)

_TEMPLATE_PAD_S = 2e-3  # zero padding after a template when filtering it (lets the filter ring out)


@dataclass
class RunResult:
    """What a run produced (arrays are also in the HDF5 file when one was written)."""

    design: Design
    seed: int
    path: Path | None
    activity: Activity
    scores: DetectionScores
    summary: dict
    metrics: dict = field(default_factory=dict)
    timings_s: dict = field(default_factory=dict)
    events: tuple = ()  # (sample_index, channel) of the events received from the chip


def resolve_seed(design: Design) -> int:
    """The design's seed, or a fresh one drawn from the OS (recorded in the output)."""
    if design.seed is not None:
        return int(design.seed)
    return int(np.random.SeedSequence().entropy % (2**63))


def _decode_behaviour(activity, ev_s, ev_c, num_channels, fs, window, bin_s: float = 0.05):
    """Held-out R² of cursor-velocity decoders on binned chip events (motor model), or None."""
    b = activity.behaviour
    if not b or "cursor_velocity_cm_per_s" not in b or "trial_start_s" not in b:
        return None
    counts, t0 = bin_events(ev_s, ev_c, num_channels, fs, bin_s, activity.duration_s)
    centre = t0 + bin_s / 2
    keep = (centre >= window[0] / fs) & (centre <= window[1] / fs)
    vel = np.column_stack([np.interp(centre, b["time_s"], v) for v in np.asarray(b["cursor_velocity_cm_per_s"]).T])
    trial = np.searchsorted(np.asarray(b["trial_start_s"]), centre, side="right")
    if len(np.unique(trial[keep])) < 8:  # too few trials to hold some out meaningfully
        return None
    return evaluate_decoders(counts[keep], vel[keep], trial[keep])


def _stimulation_peaks(design, positions_um: np.ndarray) -> np.ndarray:
    """Artefact peak per channel, µV: the design's peak at 100 µm scaled as 1/distance (point source)."""
    stim = design.chip.stimulation
    if not stim.enabled:
        return np.zeros(len(positions_um))
    if stim.contact >= len(positions_um):
        raise ValueError(f"chip.stimulation.contact must be in [0, {len(positions_um) - 1}], got {stim.contact}")
    d = np.linalg.norm(positions_um - positions_um[stim.contact], axis=1)
    return stim.artefact_peak_uV * 100.0 / np.maximum(d, 10.0)


def _scale_templates(templates, gain: np.ndarray) -> None:
    """Multiply every sparse template column by its channel's signal gain (in place)."""
    idx = templates.channel_index
    col_gain = np.where(idx >= 0, gain[np.maximum(idx, 0)], 0.0).astype(np.float32)
    templates.waveforms_uV *= col_gain[:, None, :]
    if len(idx):
        best = templates.best_channel
        templates.peak_amplitude_uV = (templates.peak_amplitude_uV *
                                       np.where(best >= 0, gain[np.maximum(best, 0)], 0.0)).astype(np.float32)


def _filtered_peaks(front_end, templates, fs_hz: float) -> np.ndarray:
    """Signed peak of every sparse template after the front-end filter, µV, shape (U, K)."""
    wf = templates.waveforms_uV
    u, t, k = wf.shape
    if u == 0:
        return np.zeros((0, k))
    pad = int(round(_TEMPLATE_PAD_S * fs_hz))
    x = np.zeros((t + pad, u * k), dtype=np.float64)
    x[:t] = wf.transpose(1, 0, 2).reshape(t, u * k)
    y = front_end.filter_uV(x).reshape(t + pad, u, k)
    idx = np.argmax(np.abs(y), axis=0)
    peaks = np.take_along_axis(y, idx[None], axis=0)[0]
    return np.where(templates.channel_index >= 0, peaks, 0.0)


def run(design: Design | str | Path | dict | None = None, out_path: str | Path | None = None, *,
        progress: bool = True, compression: str = "none", cache_dir: str | Path | None = None,
        activity: Activity | None = None) -> RunResult:
    """Run the whole twin on a design and (optionally) write the HDF5 file.

    Parameters
    ----------
    design : Design, path to TOML, dict or None
        ``None`` runs the built-in default design.
    out_path : path, optional
        HDF5 file to write (atomically). ``None`` keeps results in memory only.
    progress : bool
        Show a progress bar over the chunks.
    compression : {"none", "gzip", "lzf"}
        HDF5 filter for the trace datasets.
    cache_dir : path, optional
        Cache the cortex's activity here (keyed by population section, duration, seed and
        contacts) and reuse it when present; see :mod:`neurosim.cortex`.
    activity : Activity, optional
        Use this activity instead of simulating (e.g. a sweep's shared cortex, already reduced to
        the cells in reach of this design's contacts).
    """
    design = load_design(design)
    seed = resolve_seed(design)
    rec, chip = design.recording, design.chip
    fs = rec.fs_hz
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    _, noise_seed, chronic_seed, drift_seed, background_seed = [
        int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
        for ss in np.random.SeedSequence(seed).spawn(5)]

    setup = build_probe(design)
    positions, normals, radius = setup.positions_um, setup.normals, setup.radius_um
    num_channels = positions.shape[0]

    from_cache = activity is not None
    if activity is None:
        logger.info("simulating the population (%s)", design.population.model)
        activity, from_cache = get_activity(design.population, rec.duration_s, seed, positions,
                                            cache_dir=cache_dir, progress=progress)
    timings["cortex_s"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    templates = em.compute_templates(
        np.asarray(CELL_TYPE_NAMES)[activity.cell_types], activity.positions_um, activity.orientations,
        positions, normals, float(radius.mean()), fs, sigma_S_per_m=design.tissue.conductivity_S_per_m)
    timings["templates_s"] = time.perf_counter() - t1

    elec = setup_electrodes(design, setup, activity.positions_um, chronic_seed)
    _scale_templates(templates, elec.signal_gain)
    sigma_uV, impedance = elec.noise_sigma_uV, elec.impedance_ohm
    num_samples = int(round(rec.duration_s * fs))
    background = setup_background(design, setup, background_seed)
    fires = elec.cell_alive[activity.spike_units]  # neurons lost to the implant do not fire
    spike_times_s = activity.spike_times_s[fires]
    spike_samples = np.round(spike_times_s * fs).astype(np.int64)
    spike_units = activity.spike_units[fires].astype(np.int64)

    drift = setup_drift(design, setup, activity, spike_samples, spike_units, elec.signal_gain, drift_seed,
                        sigma_S_per_m=design.tissue.conductivity_S_per_m)
    chain = ChipChain(design, num_channels, noise_seed)
    front_end = chain.front_end
    stim_peak_uV = _stimulation_peaks(design, positions)

    chunk = max(1, int(round(rec.chunk_s * fs)))
    writer = AtomicH5Writer(out_path, compression) if out_path is not None else None
    t2 = time.perf_counter()
    buf = np.empty((min(chunk, num_samples), num_channels), dtype=np.float32)
    try:
        if writer is not None:
            writer.__enter__()
            raw_ds = writer.create_stream("recording/traces_uV", num_samples, num_channels, chunk)
            adc_ds = writer.create_stream("recording/traces_adc", num_samples, num_channels, chunk)
        starts = range(0, num_samples, chunk)
        for start in tqdm(starts, desc="recording", unit="chunk", disable=not progress,
                          total=len(starts)):
            stop = min(start + chunk, num_samples)
            x = buf[: stop - start]
            x.fill(0.0)
            if drift is None:
                em.inject_spikes(x, start, spike_samples, spike_units, templates)
            else:
                em.inject_spikes_drifting(x, start, spike_samples, spike_units, drift.templates,
                                          drift.displacement_um)
            em.add_gaussian_noise(x, start, sigma_uV, noise_seed)
            if background is not None:
                background.add(x, start)
            chain.add_stimulation_artefact(x, start, stim_peak_uV)
            codes = chain.process(x)
            if writer is not None:
                raw_ds[start:stop] = x
                adc_ds[start:stop] = codes
        timings["recording_s"] = time.perf_counter() - t2
        out = chain.finish(rec.duration_s)
        ev_s, ev_c = out.received
        threshold_uV, noise_uV = out.threshold_uV, out.noise_uV

        # -- scores ------------------------------------------------------------------------
        peaks = _filtered_peaks(front_end, templates, fs)
        delay_s = front_end.group_delay_s()
        tol = int(round(design.scoring.tolerance_ms * 1e-3 * fs))
        n_t = templates.waveforms_uV.shape[1]
        window = (int(np.ceil(chip.detector.calibration_s * fs)) + templates.nbefore,
                  num_samples - (n_t - templates.nbefore))
        # Detections are matched at their threshold-crossing sample, without a latency shift:
        # the crossing leads the template trough (~0.1 ms) by about as much as the filter's
        # group delay lags it, so removing only the group delay would bias the match.
        scores = score_detection(spike_samples, spike_units, ev_s, ev_c, templates.channel_index,
                                 peaks, threshold_uV, tol, window=window,
                                 present_fraction=design.scoring.present_fraction)
        u_idx = np.arange(activity.num_cells)
        best = scores.unit_best_channel
        has_best = best >= 0
        k_best = np.argmax(np.where(templates.channel_index >= 0, np.abs(peaks), -1.0), axis=1) \
            if activity.num_cells else np.zeros(0, int)
        best_peak = np.where(has_best, np.abs(peaks[u_idx, k_best]) if activity.num_cells else 0.0, 0.0)
        snr = np.where(has_best, best_peak / np.maximum(noise_uV[np.where(has_best, best, 0)], 1e-12), 0.0)

        power, radio = out.power, chip.radio
        raw_bps, event_bps, sent_bps = out.rates_bps["raw"], out.rates_bps["events"], out.sent_bps
        link_bps = radio.link_capacity_mbps * 1e6
        offered_bps = out.rates_bps[radio.output_mode]
        rates = np.bincount(spike_units, minlength=activity.num_cells) / rec.duration_s
        detectable = scores.unit_detectable
        metrics = {
            "num_channels": num_channels, "num_cells": activity.num_cells,
            "num_spikes": int(len(spike_samples)), "num_channels_alive": int(elec.alive.sum()),
            "num_cells_lost": int((~elec.cell_alive).sum()), "num_detectable_units": int(detectable.sum()),
            "num_detections": int(len(out.detected[0])), "num_events_received": int(len(ev_s)),
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
            "design": design.name, "seed": seed, "layout": design.implant.layout,
            "channels": num_channels, "cells simulated": activity.num_cells,
            "background cells (not simulated)": int(round(getattr(activity, "num_background_cells", 0))),
            "cortex": "reused" if from_cache else "simulated",
            "pyramidal / interneuron": f"{int(np.sum(activity.cell_types == 0))} / "
                                       f"{int(np.sum(activity.cell_types == 1))}",
            "mean rate E / I (Hz)": f"{_mean(rates[activity.cell_types == 0]):.1f} / "
                                    f"{_mean(rates[activity.cell_types == 1]):.1f}",
            "spikes": int(len(spike_samples)),
            "channels alive": f"{int(elec.alive.sum())} / {num_channels}",
            "detectable units": int(detectable.sum()),
            "median SNR of detectable units": _median(snr[detectable]),
            "median F1 of detectable units": _median(scores.unit_f1[detectable]),
            "noise (uV rms, median channel)": float(np.median(noise_uV)),
            "impedance at 1 kHz (kOhm)": float(np.median(impedance) / 1e3),
            "detector": chip.detector.kind,
            "detections / received": f"{len(out.detected[0])} / {len(ev_s)}",
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
        decoding = _decode_behaviour(activity, ev_s, ev_c, num_channels, fs, window)
        if decoding is not None:
            metrics.update(decoding_ridge_r2=decoding.ridge_r2, decoding_kalman_r2=decoding.kalman_r2)
            summary["decoding R2 ridge / Kalman"] = f"{decoding.ridge_r2:.3f} / {decoding.kalman_r2:.3f}"
        lsb_uV = chain.lsb_uV

        if writer is not None:
            _write_file(writer, design, seed, activity, templates, setup, impedance, spike_times_s, spike_samples, spike_units, elec, ev_s, ev_c, threshold_uV, noise_uV, sigma_uV, front_end, scores,
                        snr, peaks, best, rates, fs, lsb_uV, delay_s, raw_bps, event_bps, sent_bps,
                        link_bps, power, window, num_samples, out.report, out.dropped_by_channel,
                        {k: metrics[k] for k in ("decoding_ridge_r2", "decoding_kalman_r2") if k in metrics},
                        None if out.lfp_uV is None else {"lfp_uV": out.lfp_uV, "fs_hz": out.lfp_fs_hz})
            writer.__exit__(None, None, None)
    except BaseException as exc:
        if writer is not None and writer.file is not None:
            writer.__exit__(type(exc), exc, exc.__traceback__)
        raise
    timings["total_s"] = time.perf_counter() - t0
    summary["wall time (s)"] = timings["total_s"]
    metrics["wall_time_s"] = timings["total_s"]
    return RunResult(design=design, seed=seed, path=Path(out_path) if out_path else None,
                     activity=activity, scores=scores, summary=summary, metrics=metrics,
                     timings_s=timings, events=(ev_s, ev_c))


def _mean(x):
    return float(np.mean(x)) if len(x) else float("nan")


def _median(x):
    x = np.asarray(x, float)
    x = x[~np.isnan(x)]
    return float(np.median(x)) if len(x) else float("nan")


def _write_file(w, design, seed, activity, templates, setup, impedance, spike_times_s, spike_samples, spike_units, elec, ev_s, ev_c, threshold_uV, noise_uV, sigma_uV, front_end, scores, snr,
                peaks, best, rates, fs, lsb_uV, delay_s, raw_bps, event_bps, sent_bps, link_bps,
                power, window, num_samples, chip_report, dropped_by_channel, metrics_decoding, lfp):
    import json

    import probeinterface
    from probeinterface import ProbeGroup

    probe, positions, radius = setup.probe, setup.positions_um, setup.radius_um

    w.attrs("/", neurosim_version=__version__, seed=seed, design_toml=design.to_toml())
    w.attrs("recording", fs_hz=fs, duration_s=design.recording.duration_s, adc_lsb_uV=lsb_uV,
            gain_v_per_v=design.chip.front_end.gain_v_per_v)
    w.write("ground_truth/spike_times_s", spike_times_s)
    w.write("ground_truth/spike_samples", spike_samples)
    w.write("ground_truth/spike_units", spike_units)
    w.write("ground_truth/units/alive", elec.cell_alive)
    w.write("probe/channel_alive", elec.alive)
    w.write("probe/signal_gain", elec.signal_gain)
    w.write("ground_truth/units/positions_um", activity.positions_um)
    w.write("ground_truth/units/cell_type", activity.cell_types)
    w.write("ground_truth/units/orientation", activity.orientations)
    w.write("ground_truth/units/firing_rate_hz", rates)
    w.write("ground_truth/units/peak_amplitude_uV", templates.peak_amplitude_uV)
    w.write("ground_truth/units/snr", snr)
    w.write("ground_truth/units/best_channel", best)
    w.write("ground_truth/templates/waveforms_uV", templates.waveforms_uV)
    w.write("ground_truth/templates/channel_index", templates.channel_index)
    w.attrs("ground_truth/templates", nbefore=templates.nbefore, fs_hz=fs)
    w.write("probe/contact_positions_um", positions)
    w.write("probe/contact_plane_axes", np.asarray(probe.contact_plane_axes, float))
    w.write("probe/contact_radius_um", radius)
    w.write("probe/impedance_ohm", impedance)
    group = ProbeGroup()
    group.add_probe(probe)
    probe_json = {"specification": "probeinterface", "version": probeinterface.__version__,
                  **group.to_dict(array_as_list=True)}  # the layout of write_probeinterface
    w.write("probe/probeinterface_json", json.dumps(probe_json))
    w.attrs("probe", layout=design.implant.layout, material=design.implant.material,
            anatomical_class=setup.anatomical_class, days_since_implant=design.implant.days_since_implant)
    w.write("chip/events/sample_index", ev_s)
    w.write("chip/events/channel", ev_c)
    w.write("chip/events_dropped", dropped_by_channel)
    w.write("chip/threshold_uV", threshold_uV)
    w.write("chip/noise_uV_rms", noise_uV)
    w.write("chip/input_noise_uV_rms", sigma_uV)
    w.write("chip/saturated_samples", np.asarray(front_end.num_saturated_samples))
    w.attrs("chip", group_delay_s=delay_s, raw_rate_bps=raw_bps, event_rate_bps=event_bps,
            transmitted_rate_bps=sent_bps, link_capacity_bps=link_bps,
            link_utilisation=sent_bps / link_bps, output_mode=design.chip.radio.output_mode,
            power_amplifier_uW=power.amplifier_uW, power_adc_uW=power.adc_uW,
            power_digital_uW=power.digital_uW, power_radio_uW=power.radio_uW,
            power_static_uW=power.static_uW, power_clock_uW=power.clock_uW,
            power_total_uW=power.total_uW, power_per_channel_uW=power.per_channel_uW,
            detector_kind=design.chip.detector.kind, report_json=json.dumps(chip_report, default=float))
    s = scores
    w.write("scores/channel/precision", s.channel_precision)
    w.write("scores/channel/recall", s.channel_recall)
    w.write("scores/channel/f1", s.channel_f1)
    w.write("scores/channel/num_detected", s.channel_num_detected)
    w.write("scores/channel/num_true", s.channel_num_true)
    w.write("scores/unit/recall", s.unit_recall)
    w.write("scores/unit/precision", s.unit_precision)
    w.write("scores/unit/f1", s.unit_f1)
    w.write("scores/unit/detectable", s.unit_detectable)
    for group in ("behaviour", "lfp_proxy"):
        values = getattr(activity, group, None)
        if values:
            w.write_group(group, values)
    if lfp is not None:
        w.write_group("lfp", lfp)
    dec = {k: v for k, v in metrics_decoding.items()}
    w.attrs("scores", **dec)
    w.attrs("scores", precision=s.precision, recall=s.recall, f1=s.f1,
            tolerance_ms=design.scoring.tolerance_ms, window_start_s=window[0] / fs,
            window_stop_s=window[1] / fs, num_detectable_units=int(s.unit_detectable.sum()))
