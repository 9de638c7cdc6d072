"""Benchmark the end-to-end run and the per-chunk kernels.

Run:  .venv/bin/python benchmarks/bench_pipeline.py [--json out.json]

1. The built-in default design end to end (stage wall times).
2. One 1 s chunk at 30 kHz for 1024 channels: each stage of the electrode and chip path against
   the memory-bound floor (copying the chunk), as in the design document's table.
Numbers depend on the machine; the issue notes record them for the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from _timing import best_of  # benchmarks/_timing.py (the script directory is on sys.path)


def bench_kernels(num_channels=1024, fs_hz=30000.0, num_spikes=2000):
    import chip_models as cm
    import electrode_models as em

    n = int(fs_hz)
    rng = np.random.default_rng(0)
    half = num_channels // 2  # two 512-channel shanks, 250 µm apart
    probe = em.make_probe("neuropixels1", num_channels=half, tip_depth_um=6000.0)
    pos = np.asarray(probe.contact_positions)
    pos = np.concatenate([pos, pos + [250.0, 0, 0]])
    normals = np.tile([0.0, 1.0, 0.0], (num_channels, 1))
    cells = pos[rng.integers(0, num_channels, 500)] + rng.normal(0, 30, (500, 3)) + [0, 40, 0]
    types = np.where(rng.random(500) < 0.8, "pyramidal", "interneuron")
    ori = np.tile([0.0, 0.0, 1.0], (500, 1))
    t0 = time.perf_counter()
    templates = em.compute_templates(types, cells, ori, pos, normals, 6.77, fs_hz)
    t_templates = time.perf_counter() - t0
    spikes = np.sort(rng.integers(0, n, num_spikes)).astype(np.int64)
    units = rng.integers(0, 500, num_spikes).astype(np.int64)
    src = np.zeros((n, num_channels), np.float32)
    em.add_gaussian_noise(src, 0, np.full(num_channels, 10.0), 2)  # a realistic chunk to process
    buf = np.zeros((n, num_channels), np.float32)
    sigma = np.full(num_channels, 10.0)
    fe = cm.FrontEnd(fs_hz, num_channels)
    adc = cm.ADC(10, 1000.0, fs_hz)
    y = fe.process(src)
    codes = adc.convert(y)
    det = cm.MADThresholdDetector(num_channels, fs_hz, calibration_s=0.01)
    det.process(codes[: int(0.02 * fs_hz)])
    rows = {
        "copy chunk (memory floor)": best_of(lambda: np.copyto(buf, src)),
        f"inject {num_spikes} spikes x {templates.waveforms_uV.shape[1]} samples x "
        f"{templates.waveforms_uV.shape[2]} ch": best_of(lambda: em.inject_spikes(buf, 0, spikes, units, templates)),
        "gaussian noise (counter-based, numba)": best_of(lambda: em.add_gaussian_noise(buf, 0, sigma, 1)),
        "numpy standard_normal float32 (reference)": best_of(
            lambda: np.random.default_rng(1).standard_normal((n, num_channels), dtype=np.float32)),
        "front end (band-pass, gain, clip)": best_of(lambda: fe.process(buf)),
        "ADC": best_of(lambda: adc.convert(y)),
        "MAD threshold detector": best_of(lambda: det.process(codes)),
    }
    return rows, t_templates, templates.waveforms_uV.shape[0]


def bench_default_run():
    from neurosim.pipeline import run

    result = run(None, None, progress=False)
    return result.timings_s, result.summary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", help="also write the numbers to this JSON file")
    args = ap.parse_args()
    timings, summary = bench_default_run()
    print("## Default design end to end (Utah 96 ch, 5 s @ 30 kHz)")
    print(f"cells {summary['cells simulated']}, spikes {summary['spikes']}, F1 {summary['F1']:.3f}")
    for k, v in timings.items():
        print(f"  {k:<14s} {v:7.2f} s")
    rows, t_templates, n_units = bench_kernels()
    floor = rows["copy chunk (memory floor)"]
    print("\n## One 1 s chunk, 1024 channels @ 30 kHz (best of 5)")
    print(f"templates for {n_units} cells x 1024 channels: {t_templates:.2f} s (incl. first-call compile)")
    print("| step | ms per s of recording | x real time | x memory floor |")
    print("|---|---|---|---|")
    for k, v in rows.items():
        print(f"| {k} | {v * 1e3:.1f} | {1 / v:.0f}x | {v / floor:.1f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"default_run_s": timings, "chunk_1024ch_s": rows}, f, indent=2)


if __name__ == "__main__":
    main()
