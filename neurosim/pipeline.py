"""The end-to-end run: design -> cortex -> electrodes -> chip -> scores -> HDF5.

This module is the only orchestrator: it owns seeding, set-up and the file. A run sets every
stage up once and hands them to the chunk engine (`neurosim.engine`): sources (spikes, noise,
background, LFP, artefacts) → chip (`neurosim.chip_stage`) → sinks (`neurosim.run_sinks`: scoring,
counting, writing). Each stage keeps its own state across chunks and all randomness of the
electrode stage is counter-based (keyed by seed, sample and channel), so the output does not
depend on ``recording.chunk_s`` nor on ``n_jobs``. Metrics and summary: `neurosim.run_summary`;
the static part of the file: `neurosim.io.run_file`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import chip_models as cm
import electrode_models as em
from neurosim.chip_stage import ChipChain
from neurosim.cortex import get_activity
from neurosim.decoding import bin_events, evaluate_decoders
from neurosim.design import Design, load_design
from neurosim.electrodes import (build_probe, get_templates, setup_background, setup_dipole_lfp,
                                 setup_drift, setup_electrodes)
from neurosim.engine import ChunkEngine
from neurosim.io.atomic import check_writable
from neurosim.io.hdf5 import STORED_TRACES, AtomicH5Writer
from neurosim.io.run_file import write_run_file
from neurosim.memory import limit_heap_fragmentation
from neurosim.metrics import DetectionScorer, DetectionScores
from neurosim.populations import Activity
from neurosim.run_sinks import ScoringSink, SpikeCountSink, WriterSink
from neurosim.run_summary import RunFacts, metrics_and_summary, unit_snr
from neurosim.spike_feed import SpikeFeed

__all__ = ["run", "RunResult", "build_probe", "resolve_seed", "stage_seeds", "setup_twin", "TwinSetup",
           "SCORE_BLOCK_S"]

logger = logging.getLogger(__name__)

#: Detection scores are accumulated over blocks of this length (see DetectionScorer), s.
SCORE_BLOCK_S = 10.0


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
    from neurosim.chip_stage import artefact_peaks_uV

    stim = design.chip.stimulation
    if not stim.enabled:
        return np.zeros(len(positions_um))
    return artefact_peaks_uV(stim, positions_um, stim.contact)


#: Template samples at a unit's start and end are injected only where some channel reaches this
#: fraction of the quietest live channel's per-sample noise σ (`injection_floor_uV`).
INJECTION_FLOOR = 0.01


def injection_floor_uV(elec) -> float:
    """``INJECTION_FLOOR`` × the smallest per-sample noise σ of a live channel, µV (0 without
    noise). Each spike's signal then changes by less than 1 % of the noise σ at any sample;
    a 10 ms template (decaying to < 1 % of its trough) keeps ~60 % of its samples at 7 µV σ,
    and injection costs that much less."""
    sigma = np.asarray(elec.noise_sigma_uV, float)[np.asarray(elec.alive, bool)]
    sigma = sigma[sigma > 0]
    return float(INJECTION_FLOOR * sigma.min()) if sigma.size else 0.0


def _sources(design, setup, activity, elec, templates, seeds, chain, cache_dir=None) -> list:
    """The electrode signal as the engine's sources, in the order they are summed."""
    from neurosim.engine import FunctionSource, NoiseSource, SpikeSource

    fs = design.recording.fs_hz
    n_t = templates.waveforms_uV.shape[1]
    drift = setup_drift(design, setup, activity, elec.signal_gain, seeds["drift"],
                        sigma_S_per_m=design.tissue.conductivity_S_per_m)
    if drift is None:
        # the padding columns of the sparse templates cost memory traffic, not signal: dropped
        # for injection (the same samples, tested), and so are the template tails below
        # INJECTION_FLOOR of the quietest live channel's per-sample noise; the stored templates
        # keep their layout and length
        packed = em.prune_template_channels(templates, 0.0, injection_floor_uV(elec))

        def inject(x, start, s, u):
            em.inject_spikes(x, start, s, u, packed)
    else:
        def inject(x, start, s, u):
            em.inject_spikes_drifting(x, start, s, u, drift.templates, drift.displacement_um(s, u))
    feed = SpikeFeed(activity, fs, elec.cell_alive)  # neurons lost to the implant do not fire
    sources = [SpikeSource(feed, inject, templates.nbefore, n_t - templates.nbefore),
               NoiseSource(elec.noise_sigma_uV, seeds["noise"])]
    background = setup_background(design, setup, seeds["background"], activity, cache_dir=cache_dir,
                                  signal_gain=elec.signal_gain)
    if background is not None:
        sources.append(FunctionSource("background", background.add))
    dipole_lfp = setup_dipole_lfp(design, setup, activity, signal_gain=elec.signal_gain)
    if dipole_lfp is not None:
        sources.append(FunctionSource("dipole_lfp", dipole_lfp.add))
    if chain.stim is not None:
        peak_uV = _stimulation_peaks(design, setup.positions_um)
        sources.append(FunctionSource("stimulation", lambda x, start: chain.add_stimulation_artefact(
            x, start, peak_uV)))
    return sources


@dataclass
class TwinSetup:
    """What a run sets up once, before the chunks (`setup_twin`); shared by `run` and
    `neurosim.stream`, so that both drive the same chain.

    ``timings_s`` holds ``cortex_s`` and ``templates_s``, s; ``template_cache_dir`` (None: no
    cache) is where the templates, and the far-neuron background's, are cached.
    """

    seed: int
    seeds: dict
    setup: object
    activity: Activity
    from_cache: bool
    elec: object
    templates: object
    timings_s: dict
    template_cache_dir: Path | None = None

    @property
    def num_channels(self) -> int:
        return int(self.setup.positions_um.shape[0])

    def chip_and_sources(self, design, keep: bool = True) -> tuple[ChipChain, list]:
        """A fresh chip (`neurosim.chip_stage.ChipChain`) and the engine's sources for it."""
        chain = ChipChain(design, self.num_channels, self.seeds["noise"], keep=keep)
        return chain, _sources(design, self.setup, self.activity, self.elec, self.templates,
                               self.seeds, chain, cache_dir=self.template_cache_dir)


def setup_twin(design: Design, seed: int, *, cache_dir: str | Path | None = None,
               activity: Activity | None = None, progress: bool = True) -> TwinSetup:
    """Probe, cortex (simulated or given), electrodes and templates of ``design`` with ``seed``.

    The set-up part of `run` (see its parameters); the chip and sources come from
    `TwinSetup.chip_and_sources`.
    """
    rec = design.recording
    fs = rec.fs_hz
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    seeds = stage_seeds(seed)

    setup = build_probe(design)
    positions, normals, radius = setup.positions_um, setup.normals, setup.radius_um
    # the implant's heat (a finite-volume solve per geometry) is cached beside the templates
    cm.set_heat_cache_dir(None if cache_dir is None else Path(cache_dir) / "heat")

    from_cache = activity is not None
    if activity is None:
        logger.info("simulating the population (%s)", design.population.model)
        activity, from_cache = get_activity(design.population, rec.duration_s, seed,
                                            setup.placement_positions_um,  # beneath surface contacts
                                            cache_dir=cache_dir, progress=progress)
    timings["cortex_s"] = time.perf_counter() - t0

    elec = setup_electrodes(design, setup, activity.positions_um, seeds["chronic"])
    t1 = time.perf_counter()
    template_cache = None if cache_dir is None else Path(cache_dir) / "templates"
    cells = activity.template_cells()
    # the channel gains enter before channels are ranked and the spike time (the extremum on the
    # best channel) is aligned, so the stored templates keep that convention
    templates = get_templates(
        cells.pop("cell_classes"), activity.positions_um, activity.orientations,
        positions, normals, float(radius.mean()), fs, sigma_S_per_m=design.tissue.conductivity_S_per_m,
        cache_dir=template_cache, use_cache=template_cache is not None, channel_gain=elec.signal_gain,
        **cells)  # like the cortex: cached only where the user asks
    # the columns every unit pads (-1) go at once: the same signal, scores and file, and the
    # run holds ~1/8 of the library's array for a Utah array (one live column of eight)
    templates = em.prune_template_channels(templates, 0.0)
    timings["templates_s"] = time.perf_counter() - t1
    return TwinSetup(seed=seed, seeds=seeds, setup=setup, activity=activity, from_cache=from_cache,
                     elec=elec, templates=templates, timings_s=timings, template_cache_dir=template_cache)


def _scoring(design, chain, templates, num_samples: int) -> tuple[ScoringSink, np.ndarray, tuple]:
    """The scoring sink, the filtered template peaks (µV) and the scored window (samples)."""
    fs, chip = design.recording.fs_hz, design.chip
    peaks = chain.template_peaks_uV(templates)
    tol = int(round(design.scoring.tolerance_ms * 1e-3 * fs))
    n_t = templates.waveforms_uV.shape[1]
    window = (int(np.ceil(chip.detector.calibration_s * fs)) + templates.nbefore,
              num_samples - (n_t - templates.nbefore))
    # Detections are matched at their threshold-crossing sample, without a latency shift:
    # the crossing leads the template trough (~0.1 ms) by about as much as the filter's
    # group delay lags it, so removing only the group delay would bias the match.
    block = max(1, int(round(SCORE_BLOCK_S * fs)))
    scorer = DetectionScorer(templates.channel_index, peaks, chain.num_channels, tol, window=window,
                             present_fraction=design.scoring.present_fraction, block_samples=block)
    # a block is scored once every event it can receive is in: the link's FIFO holds events for
    # up to buffer_events / events_per_frame frames
    margin = n_t + tol + int(np.ceil(0.1 * fs))
    if chain.link is not None:
        frames = int(np.ceil(chip.radio.buffer_events / max(chain.link.events_per_frame, 1))) + 2
        margin += frames * chain.link.frame_samples
    return ScoringSink(scorer, chain, block, margin), peaks, window


def run(design: Design | str | Path | dict | None = None, out_path: str | Path | None = None, *,
        progress: bool = True, compression: str = "none", cache_dir: str | Path | None = None,
        activity: Activity | None = None, n_jobs: int | None = None) -> RunResult:
    """Run the whole twin on a design and (optionally) write the HDF5 file.

    Set-up (probe, cortex, electrodes, templates, chip, scorer) happens once; then the chunk
    engine (`neurosim.engine`) drives the sources, the chip and the sinks (scoring, counting,
    the file) chunk by chunk; the metrics and summary are read from the finished stages.
    ``RunResult.timings_s`` holds the set-up times and each stage's time (``stage_<name>_s``).

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
    n_jobs : int, optional
        Threads of the per-chunk kernels (``None`` or -1: all, -2: all but one). The output does
        not depend on it, nor on ``recording.chunk_s``.
    """
    design = load_design(design)
    if out_path is not None:  # fail before simulating, not after
        check_writable(out_path, "output file")
    if cache_dir is not None:
        check_writable(Path(cache_dir) / "templates" / "index", "cache folder")
    limit_heap_fragmentation()  # chunk-sized buffers to mmap: a flat memory floor (neurosim.memory)
    seed = resolve_seed(design)
    rec = design.recording
    fs = rec.fs_hz
    t0 = time.perf_counter()
    twin = setup_twin(design, seed, cache_dir=cache_dir, activity=activity, progress=progress)
    timings: dict[str, float] = dict(twin.timings_s)
    setup, activity, from_cache = twin.setup, twin.activity, twin.from_cache
    elec, templates, num_channels = twin.elec, twin.templates, twin.num_channels

    t1 = time.perf_counter()
    num_samples = int(round(rec.duration_s * fs))
    # Event lists and the LFP are kept in memory only for runs without a file and for behaviour
    # decoding; otherwise they go to the file chunk by chunk (bounded memory).
    keep = out_path is None or bool(activity.behaviour)
    chain, sources = twin.chip_and_sources(design, keep=keep)
    scoring, peaks, window = _scoring(design, chain, templates, num_samples)
    counting = SpikeCountSink(activity.num_cells)
    chunk = max(1, int(round(rec.chunk_s * fs)))
    timings["setup_s"] = time.perf_counter() - t1

    writer = AtomicH5Writer(out_path, compression) if out_path is not None else None
    t2 = time.perf_counter()
    try:
        sinks = [scoring, counting]
        if writer is not None:
            writer.__enter__()
            sinks.append(WriterSink(writer, STORED_TRACES[rec.store_traces], num_samples, num_channels, chunk))
        # chunks never straddle a scoring block's end, so thresholds are taken there whatever the chunk
        engine = ChunkEngine(sources, chain, sinks, num_samples, num_channels, chunk,
                             boundaries=scoring.block)
        stage_times = engine.run(progress=progress, n_jobs=n_jobs)
        timings["recording_s"] = time.perf_counter() - t2
        timings.update({f"stage_{k}_s": v for k, v in stage_times.items()})
        t3 = time.perf_counter()
        out = chain.finish(rec.duration_s)
        scores = scoring.finish(out.threshold_uV)
        ev_s, ev_c = out.received if keep else (np.zeros(0, np.int64), np.zeros(0, np.int32))
        snr = unit_snr(scores, peaks, templates.channel_index, out.noise_uV)
        metrics, summary = metrics_and_summary(RunFacts(
            design=design, seed=seed, activity=activity, elec=elec, chain=chain, out=out, scores=scores,
            spike_counts=counting.counts, snr=snr, from_cache=from_cache))
        decoding = _decode_behaviour(activity, ev_s, ev_c, num_channels, fs, window) if keep else None
        if decoding is not None:
            metrics.update(decoding_ridge_r2=decoding.ridge_r2, decoding_kalman_r2=decoding.kalman_r2)
            summary["decoding R2 ridge / Kalman"] = f"{decoding.ridge_r2:.3f} / {decoding.kalman_r2:.3f}"
        if writer is not None:
            write_run_file(writer, design, seed=seed, activity=activity, templates=templates, setup=setup,
                           elec=elec, out=out, scores=scores, lsb_uV=chain.lsb_uV,
                           delay_s=chain.front_end.group_delay_s(), window=window,
                           unit_stats={"snr": snr, "best_channel": scores.unit_best_channel,
                                       "firing_rate_hz": counting.counts / rec.duration_s},
                           decoding={k: metrics[k] for k in ("decoding_ridge_r2", "decoding_kalman_r2")
                                     if k in metrics})
            writer.__exit__(None, None, None)
        timings["finish_s"] = time.perf_counter() - t3
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
