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

import chip_models as cm
import electrode_models as em
from neurosim import __version__
from neurosim.design import Design, load_design
from neurosim.io.hdf5 import AtomicH5Writer
from neurosim.metrics import DetectionScores, score_detection
from neurosim.cortex import get_activity
from neurosim.populations import CELL_TYPE_NAMES, Activity

__all__ = ["run", "RunResult", "build_probe", "resolve_seed", "electrode_noise_sigma_uV"]

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


def resolve_seed(design: Design) -> int:
    """The design's seed, or a fresh one drawn from the OS (recorded in the output)."""
    if design.seed is not None:
        return int(design.seed)
    return int(np.random.SeedSequence().entropy % (2**63))


def build_probe(design: Design):
    """The design's probe, translated to its lateral insertion point.

    Returns
    -------
    probe : probeinterface.Probe
    positions_um : np.ndarray, shape (C, 3)
    normals : np.ndarray, shape (C, 3)
    radius_um : np.ndarray, shape (C,)
    """
    imp = design.implant
    probe = em.make_probe(imp.layout, site_radius_um=imp.site_radius_um, **imp.layout_params)
    probe.move([imp.position_um[0], imp.position_um[1], 0.0])
    positions = np.asarray(probe.contact_positions, dtype=float)
    normals = em.contact_normals(probe)
    radius = np.array([p["radius"] for p in probe.contact_shape_params], dtype=float)
    return probe, positions, normals, radius


def electrode_noise_sigma_uV(design: Design, radius_um: np.ndarray):
    """White-noise sigma per channel over 0..fs/2 (thermal + amplifier), µV, and |Z(1 kHz)|.

    The thermal part is sqrt(4 k T Re Z(1 kHz) fs/2): Re Z is taken flat over the band (a
    first-order model; the frequency-resolved spectrum belongs to the electrode-noise issue). The
    amplifier's ``noise_uV_rms`` is specified over the front-end band and spread as white noise.
    """
    fs = design.recording.fs_hz
    fe = design.chip.front_end
    z = np.array([em.electrode_impedance(design.implant.material, float(r),
                                         sigma_S_per_m=design.tissue.conductivity_S_per_m)
                  for r in radius_um])
    thermal = em.thermal_noise_uV_rms(z.real, fs / 2, design.tissue.temperature_K)
    amp = fe.noise_uV_rms * np.sqrt((fs / 2) / (fe.lowpass_hz - fe.highpass_hz))
    return np.hypot(thermal, amp), np.abs(z)


def _filtered_peaks(front_end: cm.FrontEnd, templates, fs_hz: float) -> np.ndarray:
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
    noise_ss = np.random.SeedSequence(seed).spawn(2)[1]
    noise_seed = int(noise_ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))

    probe, positions, normals, radius = build_probe(design)
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

    num_samples = int(round(rec.duration_s * fs))
    spike_samples = np.round(activity.spike_times_s * fs).astype(np.int64)
    spike_units = activity.spike_units.astype(np.int64)
    sigma_uV, impedance = electrode_noise_sigma_uV(design, radius)

    fe_cfg = chip.front_end
    front_end = cm.FrontEnd(fs, num_channels, gain_v_per_v=fe_cfg.gain_v_per_v,
                            highpass_hz=fe_cfg.highpass_hz, lowpass_hz=fe_cfg.lowpass_hz,
                            filter_order=fe_cfg.filter_order, output_swing_mV=fe_cfg.output_swing_mV)
    adc = cm.ADC(bits=chip.adc.bits, full_scale_mV=fe_cfg.output_swing_mV, fs_hz=fs)
    det_cfg = chip.detector
    detector = cm.MADThresholdDetector(num_channels, fs, threshold_k=det_cfg.threshold_k,
                                       dead_time_s=det_cfg.dead_time_ms * 1e-3,
                                       calibration_s=det_cfg.calibration_s, polarity=det_cfg.polarity)
    lsb_uV = adc.lsb_mV / fe_cfg.gain_v_per_v * 1000.0

    chunk = max(1, int(round(rec.chunk_s * fs)))
    writer = AtomicH5Writer(out_path, compression) if out_path is not None else None
    t2 = time.perf_counter()
    ev_samples, ev_channels = [], []
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
            em.inject_spikes(x, start, spike_samples, spike_units, templates)
            em.add_gaussian_noise(x, start, sigma_uV, noise_seed)
            codes = adc.convert(front_end.process(x))
            s, c = detector.process(codes)
            ev_samples.append(s)
            ev_channels.append(c)
            if writer is not None:
                raw_ds[start:stop] = x
                adc_ds[start:stop] = codes
        timings["recording_s"] = time.perf_counter() - t2

        ev_s = np.concatenate(ev_samples) if ev_samples else np.zeros(0, np.int64)
        ev_c = np.concatenate(ev_channels) if ev_channels else np.zeros(0, np.int32)
        threshold_uV = np.asarray(detector.threshold, float) * lsb_uV
        noise_uV = np.asarray(detector.sigma, float) * lsb_uV

        # -- scores ------------------------------------------------------------------------
        peaks = _filtered_peaks(front_end, templates, fs)
        delay_s = front_end.group_delay_s()
        tol = int(round(design.scoring.tolerance_ms * 1e-3 * fs))
        n_t = templates.waveforms_uV.shape[1]
        window = (int(np.ceil(det_cfg.calibration_s * fs)) + templates.nbefore,
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
        snr = np.where(has_best, best_peak / noise_uV[np.where(has_best, best, 0)], 0.0)

        # -- data rate and power -----------------------------------------------------------
        bits = chip.adc.bits
        raw_bps = cm.raw_rate_bps(num_channels, fs, bits)
        event_bps = cm.event_rate_bps(len(ev_s) / rec.duration_s, num_channels, fs)
        radio = chip.radio
        sent_bps = raw_bps if radio.output_mode == "raw" else event_bps
        link_bps = radio.link_capacity_mbps * 1e6
        power = cm.chip_power(
            num_channels=num_channels, fs_hz=fs, bits=bits, nef=fe_cfg.nef,
            noise_uV_rms=fe_cfg.noise_uV_rms, bandwidth_hz=fe_cfg.lowpass_hz - fe_cfg.highpass_hz,
            adc_fom_fJ_per_step=chip.adc.fom_fJ_per_step,
            detector_ops_per_sample=detector.ops_per_sample,
            energy_pJ_per_op=det_cfg.energy_pJ_per_op,
            radio_bit_rate_bps=min(sent_bps, link_bps), radio_energy_pJ_per_bit=radio.energy_pJ_per_bit,
            supply_V=fe_cfg.supply_V)

        rates = activity.rates_hz()
        detectable = scores.unit_detectable
        metrics = {
            "num_channels": num_channels, "num_cells": activity.num_cells,
            "num_spikes": activity.num_spikes, "num_detectable_units": int(detectable.sum()),
            "num_detections": int(len(ev_s)), "precision": scores.precision,
            "recall": scores.recall, "f1": scores.f1,
            "median_unit_f1": _median(scores.unit_f1[detectable]),
            "median_snr": _median(snr[detectable]), "noise_uV_rms": float(np.median(noise_uV)),
            "impedance_kohm": float(np.median(impedance) / 1e3),
            "raw_rate_bps": raw_bps, "event_rate_bps": event_bps, "sent_rate_bps": sent_bps,
            "link_capacity_bps": link_bps, "fits_link": bool(sent_bps <= link_bps),
            **{f"power_{k}": v for k, v in power.as_dict().items()},
        }
        summary = {
            "design": design.name, "seed": seed, "layout": design.implant.layout,
            "channels": num_channels, "cells simulated": activity.num_cells,
            "cortex": "reused" if from_cache else "simulated",
            "pyramidal / interneuron": f"{int(np.sum(activity.cell_types == 0))} / "
                                       f"{int(np.sum(activity.cell_types == 1))}",
            "mean rate E / I (Hz)": f"{_mean(rates[activity.cell_types == 0]):.1f} / "
                                    f"{_mean(rates[activity.cell_types == 1]):.1f}",
            "spikes": activity.num_spikes,
            "detectable units": int(scores.unit_detectable.sum()),
            "median SNR of detectable units": _median(snr[scores.unit_detectable]),
            "median F1 of detectable units": _median(scores.unit_f1[scores.unit_detectable]),
            "noise (uV rms, median channel)": float(np.median(noise_uV)),
            "impedance at 1 kHz (kOhm)": float(np.median(impedance) / 1e3),
            "detections": int(len(ev_s)),
            "precision": scores.precision, "recall": scores.recall, "F1": scores.f1,
            "raw rate (Mbit/s)": raw_bps / 1e6, "event rate (Mbit/s)": event_bps / 1e6,
            "sent rate (Mbit/s)": sent_bps / 1e6, "link (Mbit/s)": link_bps / 1e6,
            "fits link": bool(sent_bps <= link_bps),
            "power total (mW)": power.total_uW / 1e3,
            "power per channel (uW)": power.per_channel_uW,
            "power amp / ADC / digital / radio (uW)":
                f"{power.amplifier_uW:.0f} / {power.adc_uW:.1f} / {power.digital_uW:.1f} / {power.radio_uW:.1f}",
        }

        if writer is not None:
            _write_file(writer, design, seed, activity, templates, probe, positions, radius, impedance,
                        spike_samples, ev_s, ev_c, threshold_uV, noise_uV, sigma_uV, front_end, scores,
                        snr, peaks, best, rates, fs, lsb_uV, delay_s, raw_bps, event_bps, sent_bps,
                        link_bps, power, window, num_samples)
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
                     timings_s=timings)


def _mean(x):
    return float(np.mean(x)) if len(x) else float("nan")


def _median(x):
    x = np.asarray(x, float)
    x = x[~np.isnan(x)]
    return float(np.median(x)) if len(x) else float("nan")


def _write_file(w, design, seed, activity, templates, probe, positions, radius, impedance,
                spike_samples, ev_s, ev_c, threshold_uV, noise_uV, sigma_uV, front_end, scores, snr,
                peaks, best, rates, fs, lsb_uV, delay_s, raw_bps, event_bps, sent_bps, link_bps,
                power, window, num_samples):
    import json

    import probeinterface
    from probeinterface import ProbeGroup

    w.attrs("/", neurosim_version=__version__, seed=seed, design_toml=design.to_toml())
    w.attrs("recording", fs_hz=fs, duration_s=design.recording.duration_s, adc_lsb_uV=lsb_uV,
            gain_v_per_v=design.chip.front_end.gain_v_per_v)
    w.write("ground_truth/spike_times_s", activity.spike_times_s)
    w.write("ground_truth/spike_samples", spike_samples)
    w.write("ground_truth/spike_units", activity.spike_units)
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
    w.attrs("probe", layout=design.implant.layout, material=design.implant.material)
    w.write("chip/events/sample_index", ev_s)
    w.write("chip/events/channel", ev_c)
    w.write("chip/threshold_uV", threshold_uV)
    w.write("chip/noise_uV_rms", noise_uV)
    w.write("chip/input_noise_uV_rms", sigma_uV)
    w.write("chip/saturated_samples", np.asarray(front_end.num_saturated_samples))
    w.attrs("chip", group_delay_s=delay_s, raw_rate_bps=raw_bps, event_rate_bps=event_bps,
            transmitted_rate_bps=sent_bps, link_capacity_bps=link_bps,
            link_utilisation=sent_bps / link_bps, output_mode=design.chip.radio.output_mode,
            power_amplifier_uW=power.amplifier_uW, power_adc_uW=power.adc_uW,
            power_digital_uW=power.digital_uW, power_radio_uW=power.radio_uW,
            power_total_uW=power.total_uW, power_per_channel_uW=power.per_channel_uW)
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
    w.attrs("scores", precision=s.precision, recall=s.recall, f1=s.f1,
            tolerance_ms=design.scoring.tolerance_ms, window_start_s=window[0] / fs,
            window_stop_s=window[1] / fs, num_detectable_units=int(s.unit_detectable.sum()))
