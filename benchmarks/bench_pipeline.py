"""Benchmark the per-chunk chain: each stage against the memory floor, the chain against real time.

Run:  .venv/bin/python benchmarks/bench_pipeline.py [--quick] [--channels 64 256 1024 4096]
                                                   [--reach 30 45 60 75] [--plot out.png]
                                                   [--threads N] [--json out.json] [--end-to-end]

The scene is the long-recording design (``benchmarks/long_recording_1024.toml``): a Utah-style
array of ``side x side`` electrodes (8 x 8 = 64 ... 64 x 64 = 4096 channels, 400 µm pitch) over
the cells within 60 µm of its tips (~53 per channel) firing as generated renewal processes
(~300 spikes per second and channel), at 30 kHz, in chunks of 1 s. The cells, templates, noise
levels and chip are those the pipeline builds for that design (default chip: 10-bit ADC, MAD
threshold detector on the ADC codes).

1. **Stages** at ``--stage-channels`` (1 024): each stage's best wall time per second of
   recording, next to the copy of the float32 chunk measured in the same run (the memory-bound
   floor). The spike feed is timed on chunks it has not served yet (each generates a block).
2. **Chain** at each ``--channels``: one chunk through spike feed, injection, noise, front end
   + ADC (fused, as without a multiplexer) and detector, best over consecutive new chunks, in ms
   per second of recording and as a multiple of real time. Templates are pruned as the pipeline
   prunes them (`electrode_models.prune_template_channels` at 0 µV: padding columns go; and the
   tails below `neurosim.pipeline.injection_floor_uV`, 1 % of the per-sample noise σ, are skipped).
3. **Chain vs cells** (``--reach``): the chain at ``--stage-channels`` with the cells within each
   reach radius of the tips (cells grow as the radius cubed; spikes with them).
4. ``--plot``: both chain curves in one figure (``docs/img/performance_scaling.png``), against
   real time, the issue's 30× goal and the memcpy floor.
5. ``--end-to-end``: the built-in default design through ``neurosim.pipeline.run``.

Numbers depend on the machine and its load; the header says which CPU, how many threads and the
load average. Run it alone on the machine for numbers worth comparing.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from _timing import best_of, best_of_each, machine_line  # benchmarks/_timing.py (script dir on sys.path)

DESIGN = Path(__file__).with_name("long_recording_1024.toml")
FS_HZ = 30000.0


def scene(num_channels: int, duration_s: float, reach_um: float | None = None) -> dict:
    """The long-recording design on a side x side Utah array: probe, streamed cells, templates,
    noise levels and the default chip's stages (cells within ``reach_um`` of the tips: the
    design's 60 µm when None)."""
    import chip_models as cm
    import electrode_models as em
    from neurosim.cortex import get_activity
    from neurosim.design import load_design
    from neurosim.electrodes import build_probe, get_templates, setup_electrodes
    from neurosim.spike_feed import SpikeFeed

    side = int(round(np.sqrt(num_channels)))
    if side * side != num_channels:
        raise ValueError(f"channel counts are side x side Utah arrays, got {num_channels}")
    changes = {"recording.duration_s": duration_s, "implant.layout_params.rows": side,
               "implant.layout_params.cols": side,
               "population.max_neurons": max(100_000, 60 * num_channels)}  # ~54 cells per channel
    if reach_um is not None:
        changes.update({"population.reach_radius_um": reach_um, "population.outer_radius_um": reach_um,
                        "population.max_neurons": max(100_000, int(60 * num_channels * (reach_um / 60) ** 3 * 1.5))})
    design = load_design(DESIGN).replace(**changes)
    t0 = time.perf_counter()
    setup = build_probe(design)
    activity, _ = get_activity(design.population, duration_s, design.seed, setup.placement_positions_um)
    elec = setup_electrodes(design, setup, activity.positions_um, 1)
    cells = activity.template_cells()
    templates = get_templates(cells.pop("cell_classes"), activity.positions_um, activity.orientations,
                              setup.positions_um, setup.normals, float(setup.radius_um.mean()), FS_HZ,
                              sigma_S_per_m=design.tissue.conductivity_S_per_m, use_cache=False,
                              channel_gain=elec.signal_gain, **cells)
    from neurosim.pipeline import injection_floor_uV

    # as the pipeline injects them: padding columns dropped, tails below 1 % of the noise skipped
    pruned = em.prune_template_channels(templates, 0.0, injection_floor_uV(elec))
    chip = design.chip
    fe = chip.front_end
    return dict(
        design=design, activity=activity, templates=templates, pruned=pruned,
        feed=lambda: SpikeFeed(activity, FS_HZ, elec.cell_alive), sigma=elec.noise_sigma_uV,
        front_end=lambda: cm.FrontEnd(FS_HZ, num_channels, gain_v_per_v=fe.gain_v_per_v,
                                      highpass_hz=fe.highpass_hz, lowpass_hz=fe.lowpass_hz,
                                      filter_order=fe.filter_order, output_swing_mV=fe.output_swing_mV,
                                      recovery_s=fe.recovery_ms * 1e-3),
        adc=cm.ADC(chip.adc.bits, fe.output_swing_mV, FS_HZ),
        detector=lambda: cm.MADThresholdDetector(
            num_channels, FS_HZ, threshold_k=chip.detector.threshold_k,
            dead_time_s=chip.detector.dead_time_ms * 1e-3, calibration_s=chip.detector.calibration_s,
            polarity=chip.detector.polarity, adaptive=chip.detector.adaptive,
            adaptation_time_s=chip.detector.adaptation_time_s, quantisation_step=1.0),
        setup_s=time.perf_counter() - t0, num_cells=activity.num_cells)


class Chain:
    """Buffers and stages for one stream: ``run(k)`` processes chunk k (1 s) from scratch."""

    def __init__(self, sc: dict, num_channels: int, templates):
        self.sc, self.templates = sc, templates
        self.n = int(FS_HZ)
        self.x = np.empty((self.n, num_channels), np.float32)
        self.codes = np.empty((self.n, num_channels), np.int16)
        self.feed, self.fe, self.det = sc["feed"](), sc["front_end"](), sc["detector"]()
        self.spikes = 0

    def run(self, k: int) -> None:
        import electrode_models as em

        start, stop, t = k * self.n, (k + 1) * self.n, self.templates
        self.x.fill(0.0)
        (s_in, u_in), own = self.feed.for_chunk(start, stop, t.nbefore, t.nafter)
        em.inject_spikes(self.x, start, s_in, u_in, t)
        em.add_gaussian_noise(self.x, start, self.sc["sigma"], 12345)
        self.fe.process_codes(self.x, self.sc["adc"], out=self.codes)
        self.det.process(self.codes)
        self.spikes = own[1].size


def stage_table(sc: dict, num_channels: int, repeats: int) -> dict:
    """Best wall time of each stage on one 1 s chunk, s (see the module docstring)."""
    import electrode_models as em

    n = int(FS_HZ)
    rows = {}
    chain = Chain(sc, num_channels, sc["pruned"])
    chain.run(0)  # compile, calibrate the detector
    chain.run(1)
    src = chain.x.copy()  # a realistic chunk: spikes + noise
    buf = np.empty_like(src)
    y = np.empty_like(src)
    codes = np.empty((n, num_channels), np.int16)
    t = sc["templates"]
    feed = sc["feed"]()
    (s_in, u_in), own = feed.for_chunk(n, 2 * n, t.nbefore, t.nafter)
    fe, adc, det = sc["front_end"](), sc["adc"], chain.det
    rows["copy chunk (memory floor)"] = best_of(lambda: np.copyto(buf, src), repeats)
    rows["zero the chunk (fill)"] = best_of(lambda: buf.fill(0.0), repeats)
    rows["spike feed: both windows of a new chunk"] = best_of_each(
        lambda k: feed.for_chunk(k * n, (k + 1) * n, t.nbefore, t.nafter), range(2, 3 + repeats))
    k_cols, k_live = t.waveforms_uV.shape[2], sc["pruned"].waveforms_uV.shape[2]
    rows[f"inject {s_in.size} spikes, templates as computed ({k_cols} columns)"] = best_of(
        lambda: em.inject_spikes(buf, n, s_in, u_in, t), repeats)
    rows[f"inject, templates pruned, tails skipped ({k_live} column(s))"] = best_of(
        lambda: em.inject_spikes(buf, n, s_in, u_in, sc["pruned"]), repeats)
    rows["noise (counter-based Gaussian)"] = best_of(
        lambda: em.add_gaussian_noise(buf, n, sc["sigma"], 1), repeats)
    rows["front end (band-pass, gain, clip) into a buffer"] = best_of(
        lambda: fe.process(src, out=y), repeats)
    rows["front end, new output array (as before)"] = best_of(lambda: fe.process(src), repeats)
    fe.process(src, out=y)
    rows["ADC into a buffer"] = best_of(lambda: adc.convert(y, out=codes), repeats)
    rows["front end + ADC fused (process_codes)"] = best_of(
        lambda: fe.process_codes(src, adc, out=codes), repeats)
    fe.process_codes(src, adc, out=codes)
    rows["MAD threshold detector on the codes"] = best_of(lambda: det.process(codes), repeats)
    rows["chain: all of the above, fused, pruned (new chunk each time)"] = best_of_each(
        chain.run, range(2, 3 + repeats))
    return rows, s_in.size


def chain_time(sc: dict, num_channels: int, repeats: int) -> tuple[float, int]:
    chain = Chain(sc, num_channels, sc["pruned"])
    chain.run(0)  # compile, calibrate
    return best_of_each(chain.run, range(1, 2 + repeats)), chain.spikes


def plot_scaling(out: dict, path) -> None:
    """Chain cost per second of recording against channels and against cells (log-log)."""
    import matplotlib

    matplotlib.use("Agg")  # a script, not library code
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    panels = [(axes[0], out["chain"], "channels", "channels (Utah-style grid, ~54 cells each)"),
              (axes[1], out.get("chain_vs_cells", []), "cells",
               f"cells within reach of the tips ({out.get('stage_channels', 1024)} channels)")]
    for ax, rows, key, label in panels:
        if not rows:
            ax.set_axis_off()
            continue
        x = np.array([r[key] for r in rows], float)
        ax.loglog(x, [r["chain_s"] * 1e3 for r in rows], "o-", label="chain (feed, inject, noise, FE+ADC, detector)")
        ax.loglog(x, [r["floor_s"] * 1e3 for r in rows], "s--", color="grey", label="memcpy of the chunk")
        ax.axhline(1000.0, color="k", lw=1, label="real time")
        ax.axhline(1000.0 / 30, color="C3", lw=1, ls=":", label="30x real time (issue goal)")
        for r in rows:
            ax.annotate(f"{1 / r['chain_s']:.1f}x", (r[key], r["chain_s"] * 1e3), textcoords="offset points",
                        xytext=(4, 4), fontsize=8)
        ax.set_xlabel(label)
        ax.set_ylabel("ms per second of recording")
    axes[0].legend(fontsize=8, loc="upper left")
    fig.suptitle(f"neurosim chain cost, {out['threads']} thread(s): {out['machine']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def bench_default_run():
    from neurosim.pipeline import run

    result = run(None, None, progress=False)
    return result.timings_s, result.summary


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="64/256/1024 channels, fewer repeats (< 1 min)")
    ap.add_argument("--channels", type=int, nargs="+", default=None,
                    help="channel counts of the chain (squares; default 64 256 1024 4096)")
    ap.add_argument("--stage-channels", type=int, default=1024, help="channels of the stage table")
    ap.add_argument("--repeats", type=int, default=None, help="timed repeats (default 5, quick 2)")
    ap.add_argument("--threads", type=int, default=None, help="Numba threads (default: all)")
    ap.add_argument("--end-to-end", action="store_true", help="also run the default design end to end")
    ap.add_argument("--reach", type=float, nargs="+", default=None, metavar="UM",
                    help="also time the chain at --stage-channels with the cells within each of these "
                         "reach radii of the tips, µm (cost vs cells), e.g. 30 45 60 75")
    ap.add_argument("--plot", help="write the chain vs channels (and vs cells) figure here (PNG)")
    ap.add_argument("--json", help="also write the numbers to this JSON file")
    args = ap.parse_args(argv)
    import numba

    if args.threads:
        numba.set_num_threads(args.threads)
    channels = args.channels or ([64, 256, 1024] if args.quick else [64, 256, 1024, 4096])
    repeats = args.repeats or (2 if args.quick else 5)
    t_start = time.perf_counter()
    out = {"machine": machine_line(), "repeats": repeats, "threads": numba.get_num_threads(),
           "stage_channels": args.stage_channels}
    print(f"# bench_pipeline: {machine_line()}")
    print(f"best of {repeats} (after a warm-up), 1 s chunks at {FS_HZ / 1e3:g} kHz\n")

    scenes = {}
    need = sorted(set(channels) | {args.stage_channels})
    for c in need:
        scenes[c] = scene(c, duration_s=float(repeats + 5))
        print(f"scene {c:5d} ch: {scenes[c]['num_cells']:7d} cells, set-up {scenes[c]['setup_s']:5.1f} s",
              flush=True)

    c = args.stage_channels
    rows, n_spikes = stage_table(scenes[c], c, repeats)
    floor = rows["copy chunk (memory floor)"]
    print(f"\n## Stages, {c} channels, one 1 s chunk ({n_spikes} spikes touch it), "
          f"{numba.get_num_threads()} thread(s)")
    print("| stage | ms per s of recording | x memory floor | x real time |")
    print("|---|---|---|---|")
    for k, v in rows.items():
        print(f"| {k} | {v * 1e3:.1f} | {v / floor:.1f} | {1 / v:.0f} |")
    out["stages_s"] = {"channels": c, "spikes": n_spikes, **rows}

    print(f"\n## Chain (feed + inject + noise + front end/ADC + detector) vs real time, "
          f"{numba.get_num_threads()} thread(s)")
    print("| channels | cells | spikes per s | chain ms per s | memory floor ms | x real time |")
    print("|---|---|---|---|---|---|")
    out["chain"] = []
    for c in channels:
        sc = scenes[c]
        t, spikes = chain_time(sc, c, repeats)
        src = np.ones((int(FS_HZ), c), np.float32)  # not np.zeros: untouched pages read free
        dst = np.empty_like(src)
        fl = best_of(lambda: np.copyto(dst, src), repeats)
        print(f"| {c} | {sc['num_cells']} | {spikes} | {t * 1e3:.0f} | {fl * 1e3:.1f} | {1 / t:.2f} |",
              flush=True)
        out["chain"].append({"channels": c, "cells": sc["num_cells"], "spikes": spikes, "chain_s": t,
                             "floor_s": fl})
        del src, dst
    if args.reach:
        c = args.stage_channels
        print(f"\n## Chain vs cells at {c} channels (cells within the reach radius of the tips)")
        print("| reach (µm) | cells | spikes per s | chain ms per s | x real time |")
        print("|---|---|---|---|---|")
        out["chain_vs_cells"] = []
        src = np.ones((int(FS_HZ), c), np.float32)
        dst = np.empty_like(src)
        fl = best_of(lambda: np.copyto(dst, src), repeats)
        del src, dst
        for r_um in args.reach:
            sc = scene(c, duration_s=float(repeats + 5), reach_um=r_um)
            t, spikes = chain_time(sc, c, repeats)
            print(f"| {r_um:g} | {sc['num_cells']} | {spikes} | {t * 1e3:.0f} | {1 / t:.2f} |", flush=True)
            out["chain_vs_cells"].append({"reach_um": r_um, "cells": sc["num_cells"], "spikes": spikes,
                                          "chain_s": t, "floor_s": fl})
            del sc
    if args.plot:
        plot_scaling(out, args.plot)
        print(f"wrote {args.plot}")
    if args.end_to_end:
        timings, summary = bench_default_run()
        print("\n## Default design end to end (Utah 96 ch, 5 s @ 30 kHz)")
        print(f"cells {summary['cells simulated']}, spikes {summary['spikes']}, F1 {summary['F1']:.3f}")
        for k, v in timings.items():
            print(f"  {k:<14s} {v:7.2f} s")
        out["default_run_s"] = timings
    print(f"\n(total {time.perf_counter() - t_start:.0f} s; {machine_line()})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2, default=float)
    return out


if __name__ == "__main__":
    main()
