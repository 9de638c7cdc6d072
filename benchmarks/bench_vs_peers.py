"""Recording generation: this project's electrode stage vs SpikeInterface's generator, same spec.

Run:  .venv/bin/python benchmarks/bench_vs_peers.py [--duration-s 60] [--json out.json]

For each spec (channels, units) both tools produce the same thing — a (samples × channels)
float32 µV recording at 30 kHz with Poisson spike trains of ``--rate-hz`` per unit, templates of
units placed around a Neuropixels-like probe and white Gaussian noise of 10 µV rms — materialised
chunk by chunk (1 s) in memory and discarded (a checksum keeps the work honest):

- **neurosim**: ``electrode_models.compute_templates`` (multi-compartment cells in a volume
  conductor, line sources, finite discs) + per chunk ``inject_spikes`` and counter-based
  ``add_gaussian_noise`` (Numba);
- **SpikeInterface**: ``generate_ground_truth_recording`` (analytic templates, noise
  ``on_the_fly``) then ``get_traces`` per chunk.

Times: ``setup`` (templates, spike trains, objects), ``generate`` (all chunks), total, and
× real time. MEArec is not run: it installs from PyPI but its templates need NEURON + LFPy
simulations of compiled cell models (minutes to hours per probe), see docs/interop.md.
Numbers depend on the machine and its load (Numba uses all cores it is given).
"""

from __future__ import annotations

import argparse
import json
import logging
import time

import numpy as np

logger = logging.getLogger("bench_vs_peers")

NOISE_UV = 10.0
FS_HZ = 30000.0


def _probe(num_channels: int):
    import electrode_models as em

    probe = em.make_probe("neuropixels1", num_channels=num_channels)
    pos = np.asarray(probe.contact_positions, float)
    return probe, pos, em.contact_normals(probe), 12.0 / np.sqrt(np.pi)


def _poisson_trains(rng, num_units, duration_s, rate_hz, fs_hz):
    counts = rng.poisson(rate_hz * duration_s, num_units)
    samples = rng.integers(0, int(duration_s * fs_hz), counts.sum()).astype(np.int64)
    units = np.repeat(np.arange(num_units), counts).astype(np.int64)
    order = np.argsort(samples, kind="stable")
    return samples[order], units[order]


def run_neurosim(num_channels, num_units, duration_s, rate_hz, seed=0):
    """Templates for random cells around the probe, then inject + noise per 1 s chunk."""
    import electrode_models as em

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    _, pos, normals, radius = _probe(num_channels)
    lo, hi = pos.min(axis=0) - [40, 40, 40], pos.max(axis=0) + [40, 40, 40]
    cells = rng.uniform(lo, hi, (num_units, 3))
    types = np.where(rng.random(num_units) < 0.8, "pyramidal", "interneuron")
    ori = np.tile([0.0, 0.0, 1.0], (num_units, 1))
    templates = em.compute_templates(types, cells, ori, pos, normals, radius, FS_HZ)
    samples, units = _poisson_trains(rng, num_units, duration_s, rate_hz, FS_HZ)
    sigma = np.full(num_channels, NOISE_UV)
    t1 = time.perf_counter()
    chunk = int(FS_HZ)
    num_samples = int(duration_s * FS_HZ)
    buf = np.empty((chunk, num_channels), np.float32)
    checksum = 0.0
    for start in range(0, num_samples, chunk):
        x = buf[: min(chunk, num_samples - start)]
        x.fill(0.0)
        em.inject_spikes(x, start, samples, units, templates)
        em.add_gaussian_noise(x, start, sigma, seed)
        checksum += float(x[::997, 0].sum())
    t2 = time.perf_counter()
    return {"setup_s": t1 - t0, "generate_s": t2 - t1, "num_spikes": int(samples.size),
            "checksum": checksum}


def run_spikeinterface(num_channels, num_units, duration_s, rate_hz, seed=0):
    """``generate_ground_truth_recording`` on the same probe, materialised per 1 s chunk."""
    from spikeinterface.core import generate_ground_truth_recording

    t0 = time.perf_counter()
    probe3d, _, _, _ = _probe(num_channels)
    probe = probe3d.to_2d(axes="xz")
    probe.set_device_channel_indices(np.arange(num_channels))
    rec, sorting = generate_ground_truth_recording(
        durations=[duration_s], sampling_frequency=FS_HZ, num_channels=num_channels,
        num_units=num_units, probe=probe, seed=seed, dtype="float32",
        generate_sorting_kwargs={"firing_rates": rate_hz, "refractory_period_ms": 4.0},
        noise_kwargs={"noise_levels": NOISE_UV, "strategy": "on_the_fly"})
    t1 = time.perf_counter()
    chunk = int(FS_HZ)
    num_samples = rec.get_num_samples()
    checksum = 0.0
    for start in range(0, num_samples, chunk):
        x = rec.get_traces(start_frame=start, end_frame=min(start + chunk, num_samples))
        checksum += float(x[::997, 0].sum())
    t2 = time.perf_counter()
    return {"setup_s": t1 - t0, "generate_s": t2 - t1,
            "num_spikes": int(sorting.count_total_num_spikes()), "checksum": checksum}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration-s", type=float, default=60.0)
    ap.add_argument("--rate-hz", type=float, default=5.0)
    ap.add_argument("--specs", default="32:100,384:250", help="channels:units,...")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    specs = [tuple(int(v) for v in s.split(":")) for s in args.specs.split(",")]
    # Warm-up: Numba compilation (cached) and imports are not part of a generation.
    run_neurosim(8, 5, 1.0, args.rate_hz)
    run_spikeinterface(8, 5, 1.0, args.rate_hz)
    rows = []
    for num_channels, num_units in specs:
        for name, fn in (("neurosim", run_neurosim), ("spikeinterface", run_spikeinterface)):
            r = fn(num_channels, num_units, args.duration_s, args.rate_hz)
            r.update(tool=name, channels=num_channels, units=num_units, duration_s=args.duration_s,
                     total_s=r["setup_s"] + r["generate_s"])
            r["x_real_time"] = args.duration_s / r["total_s"]
            logger.info("%-15s %4d ch %4d units: setup %6.2f s, generate %6.2f s, total %6.2f s "
                        "(%5.1f x real time, %d spikes)", name, num_channels, num_units,
                        r["setup_s"], r["generate_s"], r["total_s"], r["x_real_time"], r["num_spikes"])
            rows.append(r)
    lines = ["| channels | units | neurosim total (s) | SpikeInterface total (s) | "
             "SI / neurosim | neurosim × real time | SI × real time |", "|---|---|---|---|---|---|---|"]
    for i in range(0, len(rows), 2):
        a, b = rows[i], rows[i + 1]
        lines.append(f"| {a['channels']} | {a['units']} | {a['total_s']:.2f} "
                     f"(setup {a['setup_s']:.2f}) | {b['total_s']:.2f} (setup {b['setup_s']:.2f}) | "
                     f"{b['total_s'] / a['total_s']:.2f} | {a['x_real_time']:.1f} | {b['x_real_time']:.1f} |")
    table = "\n".join(lines)
    logger.info("\n%s", table)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"rows": rows, "table": table}, fh, indent=2)
    return rows


if __name__ == "__main__":
    main()
