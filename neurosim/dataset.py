"""Synthetic training datasets: many sessions of one design family, with an index.

Session ``i`` uses the design with seed ``SeedSequence(base_seed).spawn(n)[i]`` and, for every
field given in ``vary``, value ``i mod len(values)`` of its list: the values cycle in the order
given, so with ``n >= len(values)`` every value appears and the counts differ by at most one
(``-n 4`` over ``0, 10, 20`` gives 0, 10, 20, 0). The dataset is a pure function of (base design,
n, vary, base seed). Each session is written atomically to ``session-NNN.h5`` with its design
(``session-NNN.toml``) and, once the file is complete, its index metrics
(``session-NNN.metrics.json``) beside it. A session whose file has the expected seed and whose
metrics are there is kept, so a generation interrupted at any point (even by kill -9) resumes and
ends with the same files and index as an uninterrupted one (tests/neurosim/test_faults.py).
The index (``index.csv`` and ``index.json``) lists sessions, designs, files and summary scores.
"""

from __future__ import annotations

import csv
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from neurosim.design import Design, DesignError, design_to_toml, load_design
from neurosim.io.atomic import atomic_path, check_writable
from neurosim.parallel import map_jobs
from neurosim.pipeline import resolve_seed, run

__all__ = ["session_designs", "generate_dataset", "DatasetResult"]

logger = logging.getLogger(__name__)

_INDEX_METRICS = ("num_channels", "num_cells", "num_spikes", "num_detectable_units", "num_detections",
                  "precision", "recall", "f1", "median_snr", "noise_uV_rms", "sent_rate_bps",
                  "power_total_uW")


@dataclass
class DatasetResult:
    sessions: list[dict]
    index_path: Path
    wall_time_s: float


def session_designs(base: Design, num_sessions: int, vary: dict[str, list] | None = None):
    """The designs of a dataset and what was drawn for each (validated)."""
    if not 1 <= int(num_sessions) <= 100000:
        raise DesignError(f"num_sessions must be in [1, 100000], got {num_sessions!r}")
    base_seed = resolve_seed(base)
    children = np.random.SeedSequence(base_seed).spawn(int(num_sessions))
    out = []
    for i, child in enumerate(children):
        seed = int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
        drawn = {path: values[i % len(values)] for path, values in (vary or {}).items()}
        design = base.replace(seed=seed, name=f"{base.name}-session{i:03d}", **drawn)
        out.append((i, drawn, design))
    return out


def _session_path(out_dir: Path, i: int) -> Path:
    return out_dir / f"session-{i:03d}.h5"


def _existing_seed(path: Path):
    try:
        with h5py.File(path, "r") as f:
            return int(f.attrs["seed"])
    except (OSError, KeyError):
        return None


def _metrics_path(path: Path) -> Path:
    return path.with_suffix(".metrics.json")


def _run_session(job):
    """Run one session; its index metrics go beside the file (``session-NNN.metrics.json``),
    written after the file, so a session counts as done only when both exist."""
    i, drawn, design, path = job
    result = run(design, path, progress=False)
    metrics = {k: result.metrics[k] for k in _INDEX_METRICS}
    _atomic_write(_metrics_path(path), lambda f: json.dump(metrics, f))
    return i, metrics


def _finished_metrics(path: Path, seed: int):
    """The index metrics of a finished session with this seed, or None (to be run again)."""
    if not path.exists() or _existing_seed(path) != seed:
        return None
    try:
        metrics = json.loads(_metrics_path(path).read_text())
    except (OSError, ValueError):
        return None
    return metrics if set(metrics) == set(_INDEX_METRICS) else None


def generate_dataset(base: Design | str | Path | None, num_sessions: int, out_dir: str | Path, *,
                     vary: dict[str, list] | None = None, workers: int | None = None,
                     scheduler: str | None = None, progress: bool = True) -> DatasetResult:
    """Generate ``num_sessions`` sessions into ``out_dir`` and write the index.

    Parameters
    ----------
    base : Design, path or None
        The session template (``None``: the built-in default). Its seed (or a drawn one) is the
        dataset's base seed.
    vary : dict, optional
        Dotted design path -> values, taken in turn: session ``i`` gets value
        ``i mod len(values)`` (e.g. drift, noise), so every value appears once
        ``num_sessions >= len(values)``.
    workers, scheduler
        Run sessions on Dask (see `neurosim.parallel.map_jobs`).
    """
    t0 = time.perf_counter()
    base = load_design(base)
    base = base.replace(seed=resolve_seed(base))
    out_dir = Path(out_dir)
    check_writable(out_dir / "index.csv", "dataset folder")
    sessions = session_designs(base, num_sessions, vary)
    jobs, kept = [], {}
    for i, drawn, design in sessions:
        path = _session_path(out_dir, i)
        (out_dir / f"session-{i:03d}.toml").write_text(design_to_toml(design))
        done = _finished_metrics(path, design.seed)
        if done is not None:
            kept[i] = done
            continue
        jobs.append((i, drawn, design, path))
    if kept:
        logger.info("resuming: %d of %d sessions already complete", len(kept), len(sessions))
    results = dict(map_jobs(_run_session, jobs, workers=workers, scheduler=scheduler,
                            progress=progress, desc="sessions"))
    results.update(kept)
    rows = []
    for i, drawn, design in sessions:
        rows.append({"session": i, "seed": design.seed, "design": f"session-{i:03d}.toml",
                     "file": f"session-{i:03d}.h5", **drawn, **results[i]})
    index = out_dir / "index.csv"
    _atomic_write(index, lambda f: _write_csv(f, rows))
    _atomic_write(out_dir / "index.json", lambda f: json.dump(
        {"base_design_toml": base.to_toml(), "num_sessions": num_sessions, "vary": vary or {},
         "sessions": rows}, f, indent=1, default=float))
    return DatasetResult(sessions=rows, index_path=index, wall_time_s=time.perf_counter() - t0)


def _write_csv(f, rows):
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    writer = csv.DictWriter(f, fieldnames=cols)
    writer.writeheader()
    writer.writerows(rows)


def _atomic_write(path: Path, write) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        write(f)
