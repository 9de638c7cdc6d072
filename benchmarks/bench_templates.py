"""Benchmark the cell library's templates: shape diversity, decay, and build time at scale.

Run:  .venv/bin/python benchmarks/bench_templates.py [--json out.json] [--cells 50000] [--skip-scale]

1. Diversity: 300 cells of the :func:`electrode_models.assign_cell_classes` mix (80 %
   excitatory, somata 600-1400 µm deep, i.e. L2/3 to L5) with random variants, spins and tilts
   (pyramidal cells 10° rms about the radial axis, interneurons isotropic) within 20-80 µm of a
   64-channel Neuropixels-1.0-like column. Reported: the median pairwise cosine similarity of
   the units' best-channel waveforms (issue 12 target <= 0.97) and, for comparison, the same
   number for SpikeInterface's ``generate_templates`` on the same probe and unit count (0.969
   in issue 12), plus the fraction of neighbouring pairs (best channels <= 40 µm apart) with
   best-channel cosine > 0.9, for both.
2. Decay: the largest |value| in each template's last ``TAPER_MS`` before the end taper and in
   the first one after the start taper, relative to its extremum (target < 1 %), the trough-to-
   peak width per class on the best channel, and the range of the alignment shift.
3. Scale: templates of ``--cells`` (50 000) cells on a 32 x 32 Utah array (1 020 contacts,
   400 µm pitch, 20 µm tips 1 mm deep), cells within 150 µm of a contact; numba compilation is
   excluded (a warm-up call on a few cells at another sampling rate). Reported: the first build
   (every (class, variant) cable solved: 7 x 16) and a rebuild with the currents cached.
4. First run: a fresh process computing 20 cells' templates with an empty Numba cache (what a
   fresh clone pays: compilation of the template kernels) and again with the cache filled.
Numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import logging
import time

import numpy as np

logger = logging.getLogger("bench_templates")
FS_HZ = 30000.0


def _orientations(excitatory, rng):
    """Pyramidal/stellate axes up with a 10° rms tilt, interneurons isotropic (unit vectors)."""
    n = excitatory.size
    tilt = np.deg2rad(10.0) * rng.standard_normal((n, 2))
    up = np.column_stack([np.sin(tilt[:, 0]), np.sin(tilt[:, 1]), np.ones(n)])
    iso = rng.standard_normal((n, 3))
    out = np.where(excitatory[:, None], up, iso)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def _population(n, contacts, rng, r_min_um, r_max_um, depth_range_um=None):
    """n cells at distances uniform-in-volume in [r_min, r_max] of random contacts."""
    import electrode_models as em

    centre = contacts[rng.integers(0, len(contacts), n)]
    u = rng.standard_normal((n, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    r = (r_min_um ** 3 + rng.random(n) * (r_max_um ** 3 - r_min_um ** 3)) ** (1 / 3)
    pos = centre + u * r[:, None]
    if depth_range_um is not None:
        pos[:, 2] = np.clip(pos[:, 2], -depth_range_um[1], -depth_range_um[0])
    exc = rng.random(n) < 0.8
    classes = em.assign_cell_classes(exc, -pos[:, 2], rng)
    return dict(cell_classes=classes, positions_um=pos, orientations=_orientations(exc, rng),
                variants=em.draw_variants(n, rng), spin_rad=em.draw_spin_rad(n, rng))


def median_cosine(best_waveforms: np.ndarray) -> tuple[float, np.ndarray]:
    """Median over pairs of the cosine similarity of rows (n_units, n_samples); and the matrix."""
    w = best_waveforms / np.linalg.norm(best_waveforms, axis=1, keepdims=True)
    sim = w @ w.T
    iu = np.triu_indices(len(w), 1)
    return float(np.median(sim[iu])), sim


def trough_to_peak_ms(w: np.ndarray, fs_hz: float) -> float:
    """Trough to the following positive peak (within 2 ms) of one waveform, ms."""
    k = int(np.argmin(w))
    return float(np.argmax(w[k:k + int(2e-3 * fs_hz)]) / fs_hz * 1e3)


def diversity(num_units=300, seed=0):
    import electrode_models as em
    from electrode_models.templates import TAPER_MS

    rng = np.random.default_rng(seed)
    probe = em.make_probe("neuropixels1", num_channels=64, tip_depth_um=1400.0)
    pos = np.asarray(probe.contact_positions, float)
    nrm = em.contact_normals(probe)
    cells = _population(num_units, pos, rng, 20.0, 80.0, depth_range_um=(600.0, 1400.0))
    t = em.compute_templates(cells["cell_classes"], cells["positions_um"], cells["orientations"], pos, nrm, 6.77, FS_HZ,
                             variants=cells["variants"], spin_rad=cells["spin_rad"],
                             max_channels=16)
    ok = t.best_channel >= 0
    best = t.waveforms_uV[ok, :, 0].astype(np.float64)
    out = {"units": int(ok.sum()), "template_samples": t.n_samples, "nbefore": t.nbefore}
    out["median_cosine_best_channel"], sim = median_cosine(best)
    bc = pos[t.best_channel[ok]]
    dist = np.linalg.norm(bc[:, None] - bc[None], axis=2)
    iu = np.triu_indices(len(bc), 1)
    near = dist[iu] <= 40.0
    out["neighbour_pairs_cos_gt_0.9"] = float(np.mean(sim[iu][near] > 0.9))
    ext = np.abs(best[:, t.nbefore])
    n_tap = int(round(TAPER_MS * 1e-3 * FS_HZ))
    out["max_end_residual_fraction"] = float(np.max(
        np.abs(t.waveforms_uV[ok, -2 * n_tap:-n_tap]).max(axis=(1, 2)) / ext))
    out["max_start_residual_fraction"] = float(np.max(
        np.abs(t.waveforms_uV[ok, n_tap:2 * n_tap]).max(axis=(1, 2)) / ext))
    out["shift_samples_range"] = [int(t.shift_samples.min()), int(t.shift_samples.max())]
    cls = cells["cell_classes"][ok]
    for c, name in enumerate(em.CELL_CLASSES):
        sel = np.nonzero((cls == c) & (best[:, t.nbefore] < 0))[0]
        if sel.size:
            widths = [trough_to_peak_ms(best[i], FS_HZ) for i in sel]
            out[f"t2p_ms_{name}"] = [round(float(np.median(widths)), 3), len(sel)]
    try:
        from spikeinterface.core.generate import generate_templates, generate_unit_locations

        loc = generate_unit_locations(num_units, pos[:, 1:], seed=seed)
        gen = generate_templates(pos[:, 1:], loc, FS_HZ, 1.5, 3.0, seed=seed)
        best_g = np.argmax(np.abs(gen).max(axis=1), axis=1)
        g = gen[np.arange(num_units), :, best_g]
        out["spikeinterface_generator_median_cosine"], sim_g = median_cosine(g.astype(np.float64))
        bg = pos[best_g][:, 1:]
        near_g = np.linalg.norm(bg[:, None] - bg[None], axis=2)[iu] <= 40.0
        out["spikeinterface_generator_neighbour_pairs_cos_gt_0.9"] = float(
            np.mean(sim_g[iu][near_g] > 0.9))
    except ImportError:  # spikeinterface is optional (test/interop extras)
        pass
    return out


def scale(num_cells=50_000, seed=1):
    import electrode_models as em
    from electrode_models.templates import variant_currents

    rng = np.random.default_rng(seed)
    probe = em.make_probe("utah", rows=32, cols=32)
    pos = np.asarray(probe.contact_positions, float)
    nrm = em.contact_normals(probe)
    radius = float(probe.contact_shape_params[0]["radius"])
    cells = _population(num_cells, pos, rng, 10.0, 150.0)
    classes = cells.pop("cell_classes")
    few = {k: v[:20] for k, v in cells.items()}
    em.compute_templates(classes[:20], few["positions_um"], few["orientations"], pos, nrm, radius,
                         20000.0, variants=few["variants"], spin_rad=few["spin_rad"])  # compile
    variant_currents.cache_clear()
    out = {"cells": num_cells, "contacts": len(pos)}
    t0 = time.perf_counter()
    t = em.compute_templates(classes, cells["positions_um"], cells["orientations"], pos, nrm,
                             radius, FS_HZ, variants=cells["variants"], spin_rad=cells["spin_rad"])
    out["first_build_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    em.compute_templates(classes, cells["positions_um"], cells["orientations"], pos, nrm, radius,
                         FS_HZ, variants=cells["variants"], spin_rad=cells["spin_rad"])
    out["cached_currents_build_s"] = time.perf_counter() - t0
    out["template_shape"] = list(t.waveforms_uV.shape)
    out["template_MB"] = t.waveforms_uV.nbytes / 1e6
    out["units_with_a_channel"] = int((t.best_channel >= 0).sum())
    return out


_FIRST_RUN = """
import time
t0 = time.perf_counter()
import numpy as np
import electrode_models as em
probe = em.make_probe("utah", rows=10, cols=10)
pos = np.asarray(probe.contact_positions, float)
cells = pos[:20] + np.array([30.0, 0.0, -20.0])
em.compute_templates(["L5_TTPC"] * 20, cells, np.tile([0.0, 0.0, 1.0], (20, 1)), pos,
                     em.contact_normals(probe), 20.0, 30000.0)
print(time.perf_counter() - t0)
"""


def first_run():
    """Wall time (s) of a fresh process building a few templates: empty / filled Numba cache."""
    import os
    import subprocess
    import sys
    import tempfile

    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("empty_numba_cache_s", "filled_numba_cache_s"):
            res = subprocess.run([sys.executable, "-c", _FIRST_RUN], env=env, capture_output=True,
                                 text=True, check=True)
            out[label] = float(res.stdout.split()[-1])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="write the results to this JSON file")
    ap.add_argument("--cells", type=int, default=50_000)
    ap.add_argument("--skip-scale", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    res = {"first_run": first_run(), "diversity": diversity()}
    if not args.skip_scale:
        res["scale"] = scale(args.cells)
    for part, d in res.items():
        for k, v in d.items():
            logger.info("%-12s %-40s %s", part, k, f"{v:.4g}" if isinstance(v, float) else v)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
