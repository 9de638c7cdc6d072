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
from neurosim.io.hdf5 import STORED_TRACES, AtomicH5Writer
from neurosim.metrics import DetectionScorer, DetectionScores
from neurosim.chip_stage import ChipChain
from neurosim.cortex import get_activity
from neurosim.decoding import bin_events, evaluate_decoders
from neurosim.memory import limit_heap_fragmentation
from neurosim.electrodes import (build_probe, get_templates, setup_background, setup_dipole_lfp,
                                 setup_drift, setup_electrodes)
from neurosim.populations import Activity
from neurosim.spike_feed import SpikeFeed

__all__ = ["run", "RunResult", "build_probe", "resolve_seed", "stage_seeds"]

logger = logging.getLogger(__name__)

_TEMPLATE_PAD_S = 2e-3  # zero padding after a template when filtering it (lets the filter ring out)
#: Detection scores are accumulated over blocks of this length (see DetectionScorer), s.
SCORE_BLOCK_S = 10.0
#: Datasets appended chunk by chunk: ground-truth spikes and the events received from the chip.
_APPENDED = (("ground_truth/spike_times_s", np.zeros(0)), ("ground_truth/spike_samples", np.zeros(0, np.int64)),
             ("ground_truth/spike_units", np.zeros(0, np.int64)),
             ("chip/events/sample_index", np.zeros(0, np.int64)), ("chip/events/channel", np.zeros(0, np.int32)))


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
    # (sample_index, channel) of the events received from the chip: kept for runs without a file
    # and for behaviour decoding; runs with a file leave them there (/chip/events) and this empty
    events: tuple = ()


def resolve_seed(design: Design) -> int:
    """The design's seed, or a fresh one drawn from the OS (recorded in the output)."""
    if design.seed is not None:
        return int(design.seed)
    return int(np.random.SeedSequence().entropy % (2**63))


def stage_seeds(seed: int) -> dict[str, int]:
    """The seeds of the run's random stages, spawned from the master seed (63-bit ints).

    The first spawned sequence is the cortex's (see `neurosim.cortex.get_activity`).
    """
    names = ("cortex", "noise", "chronic", "drift", "background")
    return {name: int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
            for name, ss in zip(names, np.random.SeedSequence(seed).spawn(len(names)))}


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


def _filtered_peaks(front_end, templates, fs_hz: float, units_per_block: int = 2048) -> np.ndarray:
    """Signed peak of every sparse template after the front-end filter, µV, shape (U, K).

    Filtered in blocks of units so memory stays bounded for tens of thousands of cells.
    """
    wf = templates.waveforms_uV
    u, t, k = wf.shape
    peaks = np.zeros((u, k))
    pad = int(round(_TEMPLATE_PAD_S * fs_hz))
    for lo in range(0, u, units_per_block):
        hi = min(lo + units_per_block, u)
        x = np.zeros((t + pad, (hi - lo) * k), dtype=np.float64)
        x[:t] = wf[lo:hi].transpose(1, 0, 2).reshape(t, (hi - lo) * k)
        y = front_end.filter_uV(x).reshape(t + pad, hi - lo, k)
        idx = np.argmax(np.abs(y), axis=0)
        peaks[lo:hi] = np.take_along_axis(y, idx[None], axis=0)[0]
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
        contacts) and the templates under ``<cache_dir>/templates`` (keyed by cells, probe and
        settings), and reuse them when present; see `neurosim.cortex` and
        `neurosim.electrodes.get_templates`.
    activity : Activity, optional
        Use this activity instead of simulating (e.g. a sweep's shared cortex, already reduced to
        the cells in reach of this design's contacts).
    """
    design = load_design(design)
    limit_heap_fragmentation()  # chunk-sized buffers to mmap: a flat memory floor (neurosim.memory)
    seed = resolve_seed(design)
    rec, chip = design.recording, design.chip
    fs = rec.fs_hz
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    seeds = stage_seeds(seed)
    noise_seed, chronic_seed, drift_seed, background_seed = (
        seeds["noise"], seeds["chronic"], seeds["drift"], seeds["background"])

    setup = build_probe(design)
    positions, normals, radius = setup.positions_um, setup.normals, setup.radius_um
    num_channels = positions.shape[0]

    from_cache = activity is not None
    if activity is None:
        logger.info("simulating the population (%s)", design.population.model)
        activity, from_cache = get_activity(design.population, rec.duration_s, seed,
                                            setup.placement_positions_um,  # beneath surface contacts
                                            cache_dir=cache_dir, progress=progress)
    timings["cortex_s"] = time.perf_counter() - t0

    elec = setup_electrodes(design, setup, activity.positions_um, chronic_seed)
    t1 = time.perf_counter()
    cells = activity.template_cells()
    # the channel gains enter before channels are ranked and the spike time (the extremum on the
    # best channel) is aligned, so the stored templates keep that convention
    templates = get_templates(
        cells.pop("cell_classes"), activity.positions_um, activity.orientations,
        positions, normals, float(radius.mean()), fs, sigma_S_per_m=design.tissue.conductivity_S_per_m,
        cache_dir=None if cache_dir is None else Path(cache_dir) / "templates",
        use_cache=cache_dir is not None, channel_gain=elec.signal_gain,
        **cells)  # like the cortex: cached only where the user asks
    timings["templates_s"] = time.perf_counter() - t1

    sigma_uV, impedance = elec.noise_sigma_uV, elec.impedance_ohm
    num_samples = int(round(rec.duration_s * fs))
    background = setup_background(design, setup, background_seed, activity)
    dipole_lfp = setup_dipole_lfp(design, setup, activity, signal_gain=elec.signal_gain)
    feed = SpikeFeed(activity, fs, elec.cell_alive)  # neurons lost to the implant do not fire
    drift = setup_drift(design, setup, activity, elec.signal_gain, drift_seed,
                        sigma_S_per_m=design.tissue.conductivity_S_per_m)
    # Event lists and the LFP are kept in memory only for runs without a file and for behaviour
    # decoding; otherwise they go to the file chunk by chunk (bounded memory).
    keep = out_path is None or bool(activity.behaviour)
    chain = ChipChain(design, num_channels, noise_seed, keep=keep)
    front_end = chain.front_end
    stim_peak_uV = _stimulation_peaks(design, positions)

    # -- scoring set-up: detections are scored block by block as the chunks come ------------
    peaks = _filtered_peaks(front_end, templates, fs)
    delay_s = front_end.group_delay_s()
    tol = int(round(design.scoring.tolerance_ms * 1e-3 * fs))
    n_t = templates.waveforms_uV.shape[1]
    n_before, n_after = templates.nbefore, n_t - templates.nbefore
    window = (int(np.ceil(chip.detector.calibration_s * fs)) + n_before, num_samples - n_after)
    # Detections are matched at their threshold-crossing sample, without a latency shift:
    # the crossing leads the template trough (~0.1 ms) by about as much as the filter's
    # group delay lags it, so removing only the group delay would bias the match.
    block = max(1, int(round(SCORE_BLOCK_S * fs)))
    scorer = DetectionScorer(templates.channel_index, peaks, num_channels, tol, window=window,
                             present_fraction=design.scoring.present_fraction, block_samples=block)
    # a block is scored once every event it can receive is in: the link's FIFO holds events for
    # up to buffer_events / events_per_frame frames
    margin = n_t + tol + int(np.ceil(0.1 * fs))
    if chain.link is not None:
        frames = int(np.ceil(chip.radio.buffer_events / max(chain.link.events_per_frame, 1))) + 2
        margin += frames * chain.link.frame_samples
    block_thresholds: dict[int, np.ndarray] = {}  # threshold at each block's end (adaptive detectors)
    spike_counts = np.zeros(activity.num_cells, np.int64)

    chunk = max(1, int(round(rec.chunk_s * fs)))
    # chunks never straddle a scoring block's end, so thresholds are taken there whatever the chunk
    bounds = np.union1d(np.arange(0, num_samples, chunk), np.arange(0, num_samples, block))
    bounds = np.append(bounds, num_samples)
    stored = STORED_TRACES[rec.store_traces]
    writer = AtomicH5Writer(out_path, compression) if out_path is not None else None
    t2 = time.perf_counter()
    buf = np.empty((min(chunk, num_samples), num_channels), dtype=np.float32)
    try:
        if writer is not None:
            writer.__enter__()
            streams = {p: writer.create_stream(p, num_samples, num_channels, chunk) for p in stored}
            for path, empty in _APPENDED:
                writer.append(path, empty)
        for start, stop in tqdm(zip(bounds[:-1], bounds[1:]), desc="recording", unit="chunk",
                                disable=not progress, total=len(bounds) - 1):
            start, stop = int(start), int(stop)
            x = buf[: stop - start]
            x.fill(0.0)
            _, s_in, u_in = feed.between(start - n_after + 1, stop + n_before)
            if drift is None:
                em.inject_spikes(x, start, s_in, u_in, templates)
            else:
                em.inject_spikes_drifting(x, start, s_in, u_in, drift.templates,
                                          drift.displacement_um(s_in, u_in))
            em.add_gaussian_noise(x, start, sigma_uV, noise_seed)
            if background is not None:
                background.add(x, start)
            if dipole_lfp is not None:
                dipole_lfp.add(x, start)
            chain.add_stimulation_artefact(x, start, stim_peak_uV)
            codes = chain.process(x)
            t_new, s_new, u_new = feed.between(start, stop)
            spike_counts += np.bincount(u_new, minlength=activity.num_cells)
            ev_s, ev_c = chain.last_received
            scorer.add(s_new, u_new, ev_s, ev_c)
            if stop % block == 0:
                block_thresholds[stop // block - 1] = chain.threshold_uV()
            for b in sorted(b for b in block_thresholds if (b + 1) * block + margin <= stop):
                scorer.flush((b + 1) * block, block_thresholds.pop(b))
            if writer is not None:
                if "recording/traces_uV" in streams:
                    streams["recording/traces_uV"][start:stop] = x
                if "recording/traces_adc" in streams:
                    streams["recording/traces_adc"][start:stop] = codes
                for path, values in zip((p for p, _ in _APPENDED),
                                        (t_new, s_new, u_new, ev_s, ev_c)):
                    writer.append(path, values)
                if chain.last_lfp is not None:
                    writer.append("lfp/lfp_uV", chain.last_lfp)
        timings["recording_s"] = time.perf_counter() - t2
        out = chain.finish(rec.duration_s)
        threshold_uV, noise_uV = out.threshold_uV, out.noise_uV
        for b in sorted(block_thresholds):
            scorer.flush((b + 1) * block, block_thresholds.pop(b))
        scores = scorer.finish(threshold_uV)
        ev_s, ev_c = out.received if keep else (np.zeros(0, np.int64), np.zeros(0, np.int32))
        num_spikes = int(spike_counts.sum())

        # -- scores ------------------------------------------------------------------------
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
        rates = spike_counts / rec.duration_s
        detectable = scores.unit_detectable
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
            "design": design.name, "seed": seed, "layout": design.implant.layout,
            "channels": num_channels, "cells simulated": activity.num_cells,
            "background cells (not simulated)": int(round(getattr(activity, "num_background_cells", 0))),
            "cortex": "reused" if from_cache else "simulated",
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
        decoding = _decode_behaviour(activity, ev_s, ev_c, num_channels, fs, window) if keep else None
        if decoding is not None:
            metrics.update(decoding_ridge_r2=decoding.ridge_r2, decoding_kalman_r2=decoding.kalman_r2)
            summary["decoding R2 ridge / Kalman"] = f"{decoding.ridge_r2:.3f} / {decoding.kalman_r2:.3f}"
        lsb_uV = chain.lsb_uV

        if writer is not None:
            parts = dict(seed=seed, activity=activity, templates=templates, setup=setup, elec=elec,
                         out=out, scores=scores, lsb_uV=lsb_uV, delay_s=delay_s, window=window,
                         unit_stats={"snr": snr, "best_channel": best, "firing_rate_hz": rates},
                         decoding={k: metrics[k] for k in ("decoding_ridge_r2", "decoding_kalman_r2")
                                   if k in metrics})
            _write_file(writer, design, **parts)
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


def _write_file(w, design, *, seed, activity, templates, setup, elec, out, scores, lsb_uV, delay_s,
                window, unit_stats, decoding):
    """Everything but the streamed datasets (traces, spikes, events, LFP), at the end of a run."""
    import json

    import probeinterface
    from probeinterface import ProbeGroup

    probe, positions, radius = setup.probe, setup.positions_um, setup.radius_um
    fs, chip = design.recording.fs_hz, design.chip
    w.attrs("/", neurosim_version=__version__, seed=seed, design_toml=design.to_toml())
    w.attrs("recording", fs_hz=fs, duration_s=design.recording.duration_s, adc_lsb_uV=lsb_uV,
            gain_v_per_v=chip.front_end.gain_v_per_v, stored_traces=design.recording.store_traces)
    w.write("ground_truth/units/alive", elec.cell_alive)
    w.write("probe/channel_alive", elec.alive)
    w.write("probe/signal_gain", elec.signal_gain)
    w.write("ground_truth/units/positions_um", activity.positions_um)
    w.write("ground_truth/units/cell_type", activity.cell_types)
    w.write("ground_truth/units/orientation", activity.orientations)
    if activity.cell_class is not None:
        w.write("ground_truth/units/cell_class", activity.cell_class)
        w.write("ground_truth/units/morphology_variant", activity.morphology_variant)
        w.write("ground_truth/units/spin_rad", activity.spin_rad)
        w.attrs("ground_truth/units", cell_class_names=json.dumps(list(em.CELL_CLASSES)))
    w.write("ground_truth/units/generated", activity.generated_mask())
    for name, values in unit_stats.items():
        w.write(f"ground_truth/units/{name}", values)
    w.write("ground_truth/units/peak_amplitude_uV", templates.peak_amplitude_uV)
    w.write("ground_truth/templates/waveforms_uV", templates.waveforms_uV)
    w.write("ground_truth/templates/channel_index", templates.channel_index)
    w.attrs("ground_truth/templates", nbefore=templates.nbefore, fs_hz=fs)
    w.write("probe/contact_positions_um", positions)
    w.write("probe/contact_plane_axes", np.asarray(probe.contact_plane_axes, float))
    w.write("probe/contact_radius_um", radius)
    w.write("probe/impedance_ohm", elec.impedance_ohm)
    group = ProbeGroup()
    group.add_probe(probe)
    probe_json = {"specification": "probeinterface", "version": probeinterface.__version__,
                  **group.to_dict(array_as_list=True)}  # the layout of write_probeinterface
    w.write("probe/probeinterface_json", json.dumps(probe_json))
    w.attrs("probe", layout=design.implant.layout, material=design.implant.material,
            anatomical_class=setup.anatomical_class, days_since_implant=design.implant.days_since_implant)
    w.write("chip/events_dropped", out.dropped_by_channel)
    w.write("chip/threshold_uV", out.threshold_uV)
    w.write("chip/noise_uV_rms", out.noise_uV)
    w.write("chip/input_noise_uV_rms", elec.noise_sigma_uV)
    w.write("chip/saturated_samples", np.asarray(out.saturated_samples))
    power, rates, link_bps = out.power, out.rates_bps, chip.radio.link_capacity_mbps * 1e6
    w.attrs("chip", group_delay_s=delay_s, raw_rate_bps=rates["raw"], event_rate_bps=rates["events"],
            transmitted_rate_bps=out.sent_bps, link_capacity_bps=link_bps,
            link_utilisation=out.sent_bps / link_bps, output_mode=chip.radio.output_mode,
            power_amplifier_uW=power.amplifier_uW, power_adc_uW=power.adc_uW,
            power_digital_uW=power.digital_uW, power_radio_uW=power.radio_uW,
            power_static_uW=power.static_uW, power_clock_uW=power.clock_uW,
            power_total_uW=power.total_uW, power_per_channel_uW=power.per_channel_uW,
            detector_kind=chip.detector.kind, report_json=json.dumps(out.report, default=float))
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
    if out.lfp_fs_hz is not None:
        w.write_group("lfp", {"fs_hz": out.lfp_fs_hz})
    w.attrs("scores", **decoding)
    w.attrs("scores", precision=s.precision, recall=s.recall, f1=s.f1,
            tolerance_ms=design.scoring.tolerance_ms, window_start_s=window[0] / fs,
            window_stop_s=window[1] / fs, num_detectable_units=int(s.unit_detectable.sum()))
