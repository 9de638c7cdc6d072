"""Recording generation: this project's electrode stage vs SpikeInterface's and MEArec's generators, same spec.

Run:  .venv/bin/python benchmarks/bench_vs_peers.py [--quick] [--duration-s 30] [--json out.json]

For each spec (channels, units) both tools produce the same thing — a (samples × channels)
float32 µV recording at 30 kHz with Poisson spike trains of ``--rate-hz`` per unit, templates of
units placed around a Neuropixels probe and white Gaussian noise of 10 µV rms — materialised
chunk by chunk (1 s) in memory and discarded (a checksum keeps the work honest). The probe is a
Neuropixels 1.0 shank up to 960 channels (its bank), beyond that a Neuropixels 2.0 four-shank
probe (up to 5 120 sites, ``channels`` a multiple of 8):

- **neurosim**: ``electrode_models.compute_templates`` (multi-compartment cells in a volume
  conductor, line sources, finite discs) + per chunk ``inject_spikes`` and counter-based
  ``add_gaussian_noise`` (Numba);
- **SpikeInterface**: ``generate_ground_truth_recording`` (analytic templates, noise
  ``on_the_fly``) then ``get_traces`` per chunk.

- **MEArec** (optional, ``pip install neurosim[bench]``): ``gen_recordings`` (spike trains,
  template resampling and jitter, convolution, uncorrelated noise; no filter, no amplitude
  modulation; MEArec's default temporary memmaps) on templates of its own probe with the same channel
  count (Neuronexus-32, Neuropixels-384). The templates come from ``gen_templates`` (NEURON +
  LFPy simulations of 4 of MEArec's bundled BBP cells), made once into ``--mearec-cache`` and not
  timed: only loading them counts as setup. Without MEArec/NEURON, or when a step fails, its
  column says "not available (reason)".

Times: ``setup`` (templates, spike trains, objects), ``generate`` (all chunks), total, and
× real time. Numbers depend on the machine and its load: the output names the CPU, the Numba
threads neurosim used (``--threads``; SpikeInterface's ``get_traces`` runs on one thread) and the
recording duration. ``--quick`` (3 s recordings) checks that everything runs in well under a
minute; the default (30 s) takes a few minutes.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _timing import machine_line  # benchmarks/_timing.py (the script directory is on sys.path)

logger = logging.getLogger("bench_vs_peers")

NOISE_UV = 10.0
FS_HZ = 30000.0


#: Most channels of one Neuropixels 1.0 shank (its first bank).
NP1_MAX_CHANNELS = 960


def _probe(num_channels: int):
    """Neuropixels 1.0 up to 960 channels, else Neuropixels 2.0 with its four shanks."""
    import electrode_models as em

    if num_channels <= NP1_MAX_CHANNELS:
        probe = em.make_probe("neuropixels1", num_channels=num_channels)
    else:
        probe = em.make_probe("neuropixels2", num_channels=num_channels, num_shanks_used=4)
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


#: MEAutility probes with the channel counts of the specs (MEArec templates belong to a probe).
MEAREC_PROBES = {32: "Neuronexus-32", 384: "Neuropixels-384", 1024: "Neuropixels2-1024"}
#: Probes MEAutility does not ship, registered on first use (`_register_probe`): 1 024 sites of one
#: Neuropixels 2.0 shank (two columns 32 µm apart, 15 µm rows, 6 µm square contacts: its
#: ``Neuropixels2-384`` with 512 rows). neurosim's 1 024-channel spec spreads them over the four
#: shanks; the generation cost of both tools scales with channels x units x spikes, not with the
#: shank count.
MEAREC_EXTRA_PROBES = {"Neuropixels2-1024": {
    "electrode_name": "Neuropixels2-1024", "sortlist": None, "pitch": [15.0, 32.0], "dim": [512, 2],
    "size": 6.0, "plane": "yz", "shape": "square", "type": "mea",
    "description": "1024 sites of a Neuropixels 2.0 shank in 2 columns (neurosim benchmark)"}}
#: Bundled BBP cells used for the templates: two pyramidal, two basket cells.
MEAREC_CELLS = ("L5_TTPC1_cADpyr232_1", "L5_UTPC_cADpyr232_1", "L5_NBC_bAC217_1", "L5_LBC_bAC217_1")
# NEURON >= 9 cannot compile the BBP synapse mechanisms (their VERBATIM code uses the old Random
# API: "ambiguating new declaration of 'void* nrn_random_arg(int)'"). MEArec loads synapses.hoc but
# never creates synapses (template argument 0), so name-only stubs stand in for them.
_STUB_MOD = """: stub: the BBP synapse does not compile with NEURON 9; MEArec never instantiates it
NEURON {{
    POINT_PROCESS {name}
    RANGE tau_d_AMPA, tau_d_GABAA, tau_r_GABAA, Use, Dep, Fac, tsv
}}
PARAMETER {{
    tau_d_AMPA = 1.7
    tau_d_GABAA = 8
    tau_r_GABAA = 0.2
    Use = 1
    Dep = 100
    Fac = 10
    tsv = 0
}}
PROCEDURE setRNG() {{ }}
"""


class Unavailable(RuntimeError):
    """A peer tool cannot run here; the message says why."""


def _register_probe(name, cache_dir):
    """Add ``name`` of `MEAREC_EXTRA_PROBES` to MEAutility's probes (a YAML file in its package
    folder, as ``MEAutility.add_mea`` does) unless MEAutility knows it."""
    import MEAutility as mu
    import yaml

    if name not in MEAREC_EXTRA_PROBES or name in mu.return_mea_list():
        return
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"{name}.yaml"
    path.write_text(yaml.safe_dump(MEAREC_EXTRA_PROBES[name], sort_keys=False))
    mu.add_mea(str(path))
    if name not in mu.return_mea_list():
        raise Unavailable(f"MEAutility did not register the probe {name} ({path})")


def copy_bbp_cell(name: str, folder: Path) -> Path:
    """Copy MEArec's bundled Blue Brain cell ``name`` to ``folder``, synapse mechanisms stubbed."""
    import MEArec as mr

    shutil.copytree(Path(mr.__file__).parent / "cell_models" / "bbp" / name, folder)
    for mod in (folder / "mechanisms").glob("Prob*_EMS.mod"):
        mod.write_text(_STUB_MOD.format(name=mod.stem))
    return folder


def mearec_templates(num_channels, num_templates, cache_dir):
    """MEArec templates of ``num_templates`` cells on the probe with ``num_channels`` (cached).

    Returns (path, seconds spent simulating; None when taken from the cache).
    """
    try:
        import MEArec as mr
    except ModuleNotFoundError as exc:
        raise Unavailable(f"MEArec is not installed here ({exc}); pip install 'neurosim[bench]'") from exc
    except Exception as exc:  # a broken dependency at import
        raise Unavailable(f"MEArec does not import ({type(exc).__name__}: {exc})") from exc
    probe = MEAREC_PROBES.get(num_channels)
    if probe is None:
        raise Unavailable(f"no MEAutility probe with {num_channels} channels")
    cache_dir = Path(cache_dir)
    _register_probe(probe, cache_dir)
    per_cell = math.ceil(num_templates / len(MEAREC_CELLS))
    out = cache_dir / f"templates_{probe}_{per_cell}x{len(MEAREC_CELLS)}.h5"
    made = {int(p.stem.split("_")[-1].split("x")[0]): p
            for p in cache_dir.glob(f"templates_{probe}_*x{len(MEAREC_CELLS)}.h5")}
    enough = [n for n in made if n >= per_cell]
    if enough:
        return made[min(enough)], None
    try:
        import LFPy  # noqa: F401
        import neuron  # noqa: F401
    except Exception as exc:
        raise Unavailable(f"MEArec's templates need NEURON and LFPy ({type(exc).__name__}: {exc})") from exc
    # nrnivmodl (compiles the cells' mechanisms) lives next to this interpreter.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    cells = cache_dir / "cells"
    if not cells.is_dir():
        for name in MEAREC_CELLS:
            copy_bbp_cell(name, cells / name)
    params = mr.get_default_templates_params()
    params.update(n=per_cell, probe=probe, seed=0)
    t0 = time.perf_counter()
    try:
        tempgen = mr.gen_templates(str(cells), params=params, templates_tmp_folder=str(cache_dir / "tmp"),
                                   parallel=True, n_jobs=os.cpu_count(), verbose=False)
    except Exception as exc:
        raise Unavailable(f"gen_templates failed ({type(exc).__name__}: {exc})") from exc
    sim_s = time.perf_counter() - t0
    if len(tempgen.templates) < num_templates:
        raise Unavailable(f"gen_templates made {len(tempgen.templates)} templates, {num_templates} needed")
    mr.save_template_generator(tempgen, str(out))
    logger.info("MEArec: %d templates on %s simulated in %.0f s -> %s", len(tempgen.templates), probe,
                sim_s, out)
    return out, sim_s


def run_mearec(num_channels, num_units, duration_s, rate_hz, seed=0, cache_dir=None):
    """``gen_recordings`` on pre-made templates: Poisson trains, convolution, white noise."""
    path, sim_s = mearec_templates(num_channels, num_units, cache_dir)  # Unavailable without MEArec
    import MEArec as mr

    t0 = time.perf_counter()
    tempgen = mr.load_templates(str(path), return_h5_objects=False, verbose=False)
    ids = np.random.default_rng(seed).choice(len(tempgen.templates), num_units, replace=False)
    params = mr.get_default_recordings_params()
    params["spiketrains"].update(duration=duration_s, f_exc=rate_hz, f_inh=rate_hz, st_exc=0.0,
                                 st_inh=0.0, min_rate=0.0, process="poisson")
    params["recordings"].update(fs=FS_HZ, dtype="float32", noise_level=NOISE_UV, noise_mode="uncorrelated",
                                noise_color=False, filter=False, modulation="none", bursting=False,
                                drifting=False, overlap=False, extract_waveforms=False)
    params["seeds"] = {"spiketrains": seed + 1, "templates": seed + 2, "convolution": seed + 3, "noise": seed + 4}
    # MEArec's default temporary memmaps (tmp_mode=None fails for > 100 units in 1.11:
    # pad_templates runs in parallel then and asserts that it has a temporary file).
    with tempfile.TemporaryDirectory(prefix="bench_mearec_") as tmp:
        t1 = time.perf_counter()
        try:
            recgen = mr.gen_recordings(params=params, tempgen=tempgen, template_ids=ids, tmp_mode="memmap",
                                       tmp_folder=tmp, verbose=False)
        except Exception as exc:
            raise Unavailable(f"gen_recordings failed ({type(exc).__name__}: {exc!r})") from exc
        x = recgen.recordings
        if x.shape != (round(duration_s * FS_HZ), num_channels):
            raise Unavailable(f"gen_recordings returned shape {x.shape}")
        checksum = float(np.asarray(x[::997, 0]).sum())
        t2 = time.perf_counter()
        num_spikes = int(sum(len(st) for st in recgen.spiketrains))
        del x, recgen
    return {"setup_s": t1 - t0, "generate_s": t2 - t1, "template_sim_s": sim_s,
            "num_spikes": num_spikes, "checksum": checksum}


def _cell(r):
    if "unavailable" in r:
        return f"not available ({r['unavailable']})"
    return f"{r['total_s']:.2f} (setup {r['setup_s']:.2f}, {r['x_real_time']:.1f}× real time)"


def _ratio(r, base):
    return "n/a" if "unavailable" in r else f"{r['total_s'] / base['total_s']:.2f}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration-s", type=float, default=None, help="recording length, s (30; quick 3)")
    ap.add_argument("--quick", action="store_true", help="3 s recordings (a check that runs in < 1 min)")
    ap.add_argument("--rate-hz", type=float, default=5.0)
    ap.add_argument("--specs", default="32:100,384:250,1024:250", help="channels:units,...")
    ap.add_argument("--threads", type=int, default=None, help="Numba threads of neurosim (default: all)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--no-mearec", action="store_true", help="leave MEArec out")
    ap.add_argument("--mearec-cache", default=str(Path.home() / ".cache" / "neurosim" / "mearec"),
                    help="folder of MEArec's cell models and generated templates (made on first use)")
    args = ap.parse_args(argv)
    if args.duration_s is None:
        args.duration_s = 3.0 if args.quick else 30.0
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import numba

    if args.threads:
        numba.set_num_threads(args.threads)
    specs = [tuple(int(v) for v in s.split(":")) for s in args.specs.split(",")]
    for c, _ in specs:
        if c > NP1_MAX_CHANNELS and c % 8:
            ap.error(f"above {NP1_MAX_CHANNELS} channels the probe is a four-shank Neuropixels 2.0: "
                     f"channels must be a multiple of 8, got {c}")
    t_start = time.perf_counter()
    header = (f"{args.duration_s:g} s at {FS_HZ / 1e3:g} kHz, {args.rate_hz:g} Hz per unit; "
              f"neurosim on {numba.get_num_threads()} Numba thread(s), SpikeInterface get_traces on 1; "
              f"{machine_line()}")
    logger.info("# bench_vs_peers: %s", header)
    tools = [("neurosim", run_neurosim), ("spikeinterface", run_spikeinterface)]
    if not args.no_mearec:
        tools.append(("mearec", lambda *a: run_mearec(*a, cache_dir=args.mearec_cache)))
    # Warm-up: Numba compilation (cached) and imports are not part of a generation.
    run_neurosim(8, 5, 1.0, args.rate_hz)
    run_spikeinterface(8, 5, 1.0, args.rate_hz)
    rows = []
    for num_channels, num_units in specs:
        for name, fn in tools:
            r = {"tool": name, "channels": num_channels, "units": num_units, "duration_s": args.duration_s}
            try:
                r.update(fn(num_channels, num_units, args.duration_s, args.rate_hz))
            except Unavailable as exc:
                r["unavailable"] = str(exc)
                logger.info("%-15s %4d ch %4d units: not available (%s)", name, num_channels, num_units, exc)
                rows.append(r)
                continue
            r["total_s"] = r["setup_s"] + r["generate_s"]
            r["x_real_time"] = args.duration_s / r["total_s"]
            logger.info("%-15s %4d ch %4d units: setup %6.2f s, generate %6.2f s, total %6.2f s "
                        "(%5.1f x real time, %d spikes)", name, num_channels, num_units,
                        r["setup_s"], r["generate_s"], r["total_s"], r["x_real_time"], r["num_spikes"])
            rows.append(r)
    names = {"neurosim": "neurosim", "spikeinterface": "SpikeInterface", "mearec": "MEArec"}
    logger.info("\n## Recording generation, %s", header)
    peers = [name for name, _ in tools[1:]]
    lines = ["| channels | units | neurosim total (s) | "
             + " | ".join(f"{names[p]} total (s) | {names[p]} / neurosim" for p in peers)
             + " |", "|---|---|---|" + "---|---|" * len(peers)]
    for i in range(0, len(rows), len(tools)):
        base, others = rows[i], rows[i + 1:i + len(tools)]
        lines.append(f"| {base['channels']} | {base['units']} | {_cell(base)} | "
                     + " | ".join(f"{_cell(r)} | {_ratio(r, base)}" for r in others) + " |")
    table = "\n".join(lines)
    logger.info("%s\n(ratio = peer total / neurosim total; %s; whole benchmark %.0f s)", table,
                "probes: Neuropixels 1.0 up to 960 channels, Neuropixels 2.0 four-shank above",
                time.perf_counter() - t_start)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"rows": rows, "table": table, "header": header}, fh, indent=2)
    return rows


if __name__ == "__main__":
    main()
