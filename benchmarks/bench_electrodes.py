"""Benchmark the electrode stage kernels against the memory-bound floor.

Run:  .venv/bin/python benchmarks/bench_electrodes.py [--json out.json] [--repeats 5]

One 1 s chunk at 30 kHz for 1024 channels (float32, 123 MB):

1. memcpy floor: a Numba ``prange`` kernel copying a preallocated chunk into the output, and
   ``np.copyto`` (the output is written once either way);
2. pickup: ``inject_spikes`` (2 000 spikes x 90 samples x 32 channels) and
   ``inject_spikes_drifting`` (same, templates on 21 drift positions, per-spike interpolation);
   each reported in ms and as a ratio to the memcpy floor (the kernel adds into the chunk, so it
   reads and writes it; the ratio says how far from memory-bound it runs);
3. background noise (``BackgroundNoise.add``) per 1 s chunk: independent contacts, and
   correlated (λ = 100 µm) on a 32 x 32 grid of 50 µm pitch, full rank and 99 % of the variance.
Numbers depend on the machine (and on other load on it); best of ``repeats`` after a warm-up.
"""

from __future__ import annotations

import argparse
import json
import logging
import time

import numpy as np
from numba import njit, prange

from _timing import best_of  # benchmarks/_timing.py (the script directory is on sys.path)

logger = logging.getLogger("bench_electrodes")


@njit(cache=True, parallel=True)
def _copy_kernel(dst, src):
    for i in prange(dst.shape[0]):
        for c in range(dst.shape[1]):
            dst[i, c] = src[i, c]


def bench(num_channels=1024, fs_hz=30000.0, num_spikes=2000, num_units=200, n_q=32, n_t=90,
          n_positions=21, repeats=5):
    from electrode_models.background import BackgroundNoise
    from electrode_models.drift import DriftingTemplates, inject_spikes_drifting
    from electrode_models.pickup import inject_spikes
    from electrode_models.templates import SparseTemplates

    n = int(fs_hz)
    rng = np.random.default_rng(0)
    chunk = np.zeros((n, num_channels), np.float32)
    src = rng.standard_normal((n, num_channels), dtype=np.float32)
    wave = rng.normal(0, 20, (n_positions, num_units, n_t, n_q)).astype(np.float32)
    chan = np.stack([rng.choice(num_channels, n_q, replace=False) for _ in range(num_units)]).astype(np.int32)
    tmpl = SparseTemplates(np.ascontiguousarray(wave[n_positions // 2]), chan, 30, fs_hz,
                           wave[0, :, 0, 0].copy(), chan[:, 0].copy())
    grid = np.linspace(-20.0, 20.0, n_positions)
    dtmpl = DriftingTemplates(wave, chan, grid, np.array([0, 0, 1.0]), 30, fs_hz)
    s = np.sort(rng.integers(0, n, num_spikes))
    u = rng.integers(0, num_units, num_spikes)
    d = rng.uniform(-20.0, 20.0, num_spikes)

    out = {"num_channels": num_channels, "fs_hz": fs_hz, "chunk_s": 1.0, "num_spikes": num_spikes,
           "template": f"{n_t} samples x {n_q} channels", "drift_positions": n_positions}
    out["memcpy_numba_ms"] = 1e3 * best_of(lambda: _copy_kernel(chunk, src), repeats)
    out["memcpy_np_copyto_ms"] = 1e3 * best_of(lambda: np.copyto(chunk, src), repeats)
    floor = min(out["memcpy_numba_ms"], out["memcpy_np_copyto_ms"])
    out["inject_spikes_ms"] = 1e3 * best_of(lambda: inject_spikes(chunk, 0, s, u, tmpl), repeats)
    out["inject_spikes_drifting_ms"] = 1e3 * best_of(
        lambda: inject_spikes_drifting(chunk, 0, s, u, dtmpl, d), repeats)
    out["ratio_inject_to_memcpy"] = out["inject_spikes_ms"] / floor
    out["ratio_drifting_to_memcpy"] = out["inject_spikes_drifting_ms"] / floor

    side = int(np.sqrt(num_channels))
    gx, gy = np.meshgrid(np.arange(side) * 50.0, np.arange(num_channels // side) * 50.0)
    pos = np.stack([gx.ravel(), gy.ravel(), np.zeros(gx.size)], axis=1)
    for name, kw in [("independent", dict(length_constant_um=0.0)),
                     ("correlated_full_rank", dict(length_constant_um=100.0)),
                     ("correlated_99pct", dict(length_constant_um=100.0, variance_kept=0.99))]:
        t = time.perf_counter()
        bg = BackgroundNoise(pos, fs_hz, 7.0, seed=1, **kw)
        out[f"background_{name}_setup_s"] = time.perf_counter() - t
        out[f"background_{name}_latent"] = bg.n_latent
        out[f"background_{name}_ms"] = 1e3 * best_of(lambda: bg.add(chunk, n), max(1, repeats // 2))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="write the results to this JSON file")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    res = bench(repeats=args.repeats)
    for k, v in res.items():
        logger.info("%-40s %s", k, f"{v:.3f}" if isinstance(v, float) else v)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
