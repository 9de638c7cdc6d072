"""Benchmark the counter-based noise generators against the memory-bound floor.

Run:  .venv/bin/python benchmarks/bench_noise.py [--channels 64 256 1024 4096] [--threads N]
      [--repeats 5] [--json out.json]

Per second of recording at 30 kHz (one 1 s chunk), for each channel count:

1. memcpy floor: ``np.copyto`` of a preallocated float32 chunk (the noise kernel reads and writes
   the chunk once, so this is what a memory-bound kernel costs);
2. ``electrode_models.add_gaussian_noise`` (in place, float32) and its ratio to the floor;
3. NumPy ``Generator.standard_normal(dtype=float32, out=...)`` (one thread) for comparison;
4. ``chip_models.AmplifierNoise.add_to`` (white + 1/f, float64 chunk, 0.03 µV/√Hz, 100 Hz corner:
   15 poles from 0.1 Hz to 1.6 kHz) next to the float64 memcpy, at the channel counts <= 1024.

Times are the best of ``repeats`` after a warm-up (benchmarks/_timing.py); the machine may be
shared, so read the ratios to the memcpy measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform

import numba
import numpy as np

from _timing import best_of  # benchmarks/_timing.py (the script directory is on sys.path)

logger = logging.getLogger("bench_noise")


def machine_info() -> dict:
    """CPU, core and thread counts and the Numba set-up the numbers were taken with."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "numba_threads": numba.get_num_threads(),
            "numba": numba.__version__, "numpy": np.__version__,
            "numba_cpu": numba.config.CPU_NAME or "host", "svml": bool(numba.config.USING_SVML)}


def bench(channels=(64, 256, 1024, 4096), fs_hz=30000.0, repeats=5) -> dict:
    from chip_models import AmplifierNoise
    from electrode_models.noise import add_gaussian_noise

    n = int(fs_hz)
    out = {**machine_info(), "fs_hz": fs_hz, "chunk_s": 1.0}
    rng = np.random.default_rng(0)
    for num_channels in channels:
        chunk = np.zeros((n, num_channels), np.float32)
        src = np.ones_like(chunk)
        sigma = np.full(num_channels, 5.0)
        row = {"memcpy_ms": 1e3 * best_of(lambda: np.copyto(chunk, src), repeats)}
        row["gaussian_noise_ms"] = 1e3 * best_of(lambda: add_gaussian_noise(chunk, 0, sigma, 1),
                                                 repeats)
        row["numpy_standard_normal_ms"] = 1e3 * best_of(
            lambda: rng.standard_normal(chunk.shape, dtype=np.float32, out=chunk), repeats)
        row["gaussian_noise_over_memcpy"] = row["gaussian_noise_ms"] / row["memcpy_ms"]
        del chunk, src
        if num_channels <= 1024:
            x = np.zeros((n, num_channels))
            x_src = np.ones_like(x)
            amp = AmplifierNoise(num_channels, fs_hz, 0.03, corner_hz=100.0, seed=1)
            amp.add_to(x[:10])                       # compile; then time a running stream
            row["amplifier_poles"] = int(amp.a.size)
            row["memcpy_float64_ms"] = 1e3 * best_of(lambda: np.copyto(x, x_src), repeats)
            row["amplifier_noise_ms"] = 1e3 * best_of(lambda: amp.add_to(x), repeats)
            row["amplifier_noise_over_memcpy_float64"] = (row["amplifier_noise_ms"]
                                                          / row["memcpy_float64_ms"])
            del x, x_src
        out[f"{num_channels}_channels"] = row
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--channels", type=int, nargs="+", default=[64, 256, 1024, 4096])
    ap.add_argument("--threads", type=int, help="Numba threads (default: all)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", help="write the results to this JSON file")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.threads:
        numba.set_num_threads(args.threads)
    res = bench(tuple(args.channels), repeats=args.repeats)
    for k, v in res.items():
        if isinstance(v, dict):
            logger.info("%s (ms per second of recording)", k)
            for kk, vv in v.items():
                logger.info("  %-40s %s", kk, f"{vv:.2f}" if isinstance(vv, float) else vv)
        else:
            logger.info("%-42s %s", k, v)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
