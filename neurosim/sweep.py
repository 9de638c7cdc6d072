"""Sweeps over design fields, reusing one simulated cortex for all implant and chip variants.

A sweep is a base design plus, for some dotted design paths, lists of values; its points are
their grid (Cartesian product) or, with ``zip_values=True``, the values taken in step. Points
that share the population section, duration and seed share one cortex: it is simulated once
around the union of all their contacts, and each point receives the cells within its own reach
(`neurosim.cortex.subset_activity`). The result is one table (CSV and HDF5) with a row
per point and trade-off plots.
"""

from __future__ import annotations

import csv
import itertools
import json
import logging
import math
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from neurosim.cortex import get_activity, subset_activity
from neurosim.populations import firing_radius_um
from neurosim.design import Design, DesignError, load_design, parse_value
from neurosim.io.atomic import atomic_path, check_writable
from neurosim.parallel import map_jobs
from neurosim.electrodes import build_probe
from neurosim.pipeline import resolve_seed, run

__all__ = ["parse_vary", "sweep_designs", "run_sweep", "SweepResult"]

logger = logging.getLogger(__name__)


def parse_vary(specs: list[str]) -> dict[str, list]:
    """Parse ``["chip.adc.bits=6,8,10", ...]`` into ``{"chip.adc.bits": [6, 8, 10], ...}``."""
    vary: dict[str, list] = {}
    for spec in specs:
        if "=" not in spec:
            raise DesignError(f"--vary must look like FIELD=V1,V2,...; got {spec!r}")
        path, values = spec.split("=", 1)
        items = [parse_value(v) for v in values.split(",") if v.strip()]
        if not items:
            raise DesignError(f"--vary {path.strip()} has no values; got {spec!r}")
        vary[path.strip()] = items
    return vary


def sweep_designs(base: Design, vary: dict[str, list], zip_values: bool = False):
    """The designs of a sweep and the values that define each point.

    Returns
    -------
    list of (dict, Design)
        ``({path: value}, design)`` per point, validated (a bad value raises DesignError).
    """
    paths = list(vary)
    if zip_values:
        # a single value is held fixed across the points (broadcast), as NumPy does
        lengths = {len(v) for v in vary.values()} - {1}
        if len(lengths) > 1:
            raise DesignError(f"with zip, every --vary needs the same number of values (or one value, "
                              f"held fixed); got { {p: len(v) for p, v in vary.items()} }")
        n = lengths.pop() if lengths else 1
        combos = list(zip(*(list(v) * n if len(v) == 1 else v for v in vary.values())))
    else:
        combos = list(itertools.product(*vary.values()))
    points = []
    for combo in combos:
        changes = dict(zip(paths, combo))
        points.append((changes, base.replace(**changes) if changes else base))
    return points


@dataclass
class SweepResult:
    rows: list[dict]
    csv_path: Path | None
    h5_path: Path | None
    figure_path: Path | None
    wall_time_s: float


def _cortex_group(design: Design, seed: int) -> str:
    return json.dumps({"population": design.population.model_dump(mode="json"),
                       "duration_s": design.recording.duration_s, "seed": seed}, sort_keys=True)


def run_sweep(base: Design | str | Path | None, vary: dict[str, list], out_dir: str | Path | None = None,
              *, zip_values: bool = False, cache_dir: str | Path | None = None,
              keep_files: bool = False, progress: bool = True, workers: int | None = None,
              scheduler: str | None = None) -> SweepResult:
    """Run every point of a sweep; write ``sweep.csv``, ``sweep.h5`` and ``sweep.png`` to out_dir.

    Parameters
    ----------
    base : Design, path or None
        The base design (``None``: the built-in default).
    vary : dict
        Dotted design path -> list of values (see `parse_vary`).
    out_dir : path, optional
        Where the table, plots and (with ``keep_files``) one HDF5 file per point go.
    zip_values : bool
        Take the values in step instead of their grid.
    cache_dir : path, optional
        Activity cache shared with ``neurosim run`` (see `neurosim.cortex`).
    workers, scheduler
        Run the points on Dask (see `neurosim.parallel.map_jobs`); the table is the same.
    """
    t0 = time.perf_counter()
    base = load_design(base)
    seed = resolve_seed(base)
    base = base.replace(seed=seed)
    points = sweep_designs(base, vary, zip_values)
    groups: dict[str, list[int]] = {}
    contacts = []
    for i, (_, design) in enumerate(points):
        contacts.append(build_probe(design).placement_positions_um)  # cells beneath surface contacts
        groups.setdefault(_cortex_group(design, seed), []).append(i)
    out_dir = Path(out_dir) if out_dir is not None else None
    if out_dir is not None:
        check_writable(out_dir / "sweep.csv", "sweep folder")

    jobs = []
    for members in groups.values():
        first = points[members[0]][1]
        union = np.unique(np.concatenate([contacts[i] for i in members]), axis=0)
        logger.info("cortex for %d sweep points around %d contacts", len(members), len(union))
        shared, _ = get_activity(first.population, first.recording.duration_s, seed, union,
                                 cache_dir=cache_dir, progress=progress)
        for i in members:
            changes, design = points[i]
            pop = design.population
            activity = subset_activity(shared, contacts[i], firing_radius_um(pop), pop.min_distance_um)
            path = out_dir / f"point-{i:03d}.h5" if (keep_files and out_dir is not None) else None
            jobs.append((i, changes, design, activity, path))
    results = map_jobs(_run_point, jobs, workers=workers, scheduler=scheduler, progress=progress,
                       desc="sweep")
    rows: list[dict] = [{} for _ in points]
    for i, row in results:
        rows[i] = row
    csv_path = h5_path = fig_path = None
    if out_dir is not None:
        csv_path, h5_path = out_dir / "sweep.csv", out_dir / "sweep.h5"
        _write_csv(csv_path, rows)
        _write_h5(h5_path, rows, base, vary, zip_values)
        from neurosim.report import sweep_figure

        fig_path = sweep_figure(rows, list(vary), out_dir / "sweep.png")
    return SweepResult(rows=rows, csv_path=csv_path, h5_path=h5_path, figure_path=fig_path,
                       wall_time_s=time.perf_counter() - t0)


def point_label(i: int, changes: dict) -> str:
    """``"sweep point 3 (chip.adc.bits=6)"``: how messages name a point of a sweep."""
    values = ", ".join(f"{k}={v}" for k, v in changes.items())
    return f"sweep point {i}" + (f" ({values})" if values else "")


#: Loggers whose warnings during a sweep point are prefixed with the point (`point_messages`).
_POINT_LOGGERS = ("neurosim", "chip_models", "electrode_models")


class _PointPrefix(logging.Handler):
    """Prefixes WARNING and above with the sweep point; placed first on a package's logger, it
    runs before the handlers that print the record (those of the package and its parents)."""

    def __init__(self, label: str):
        super().__init__(logging.WARNING)
        self.label = label

    def handle(self, record):
        if not getattr(record, "sweep_point", None):
            record.msg, record.args = f"{self.label}: {record.getMessage()}", None
            record.sweep_point = self.label
        return True

    def emit(self, record):  # nothing to write: the record goes on to the real handlers
        pass


@contextmanager
def point_messages(label: str):
    """Name the sweep point in every warning logged or warned inside the block.

    Log records of WARNING or above from ``neurosim``, ``chip_models`` and ``electrode_models``
    get the prefix ``"<label>: "``; Python warnings are re-issued with it.
    """
    handler = _PointPrefix(label)
    loggers = [logging.getLogger(name) for name in _POINT_LOGGERS]
    for log in loggers:
        log.handlers.insert(0, handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:
        for log in loggers:
            if handler in log.handlers:
                log.handlers.remove(handler)
    for w in caught:
        warnings.warn_explicit(f"{label}: {w.message}", w.category, w.filename, w.lineno)


def _run_point(job):
    i, changes, design, activity, path = job
    label = point_label(i, changes)
    try:
        with point_messages(label):
            result = run(design, path, progress=False, activity=activity)
    except Exception as exc:  # the traceback names the point too
        exc.add_note(f"in {label}")
        raise
    return i, {"point": i, **{k: _plain(v) for k, v in changes.items()},
               **{k: _plain(v) for k, v in result.metrics.items()}}


def _plain(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, dict):
        return json.dumps(v, sort_keys=True)
    return v


def _columns(rows):
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    return cols


def _write_csv(path: Path, rows: list[dict]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=_columns(rows))
        writer.writeheader()
        writer.writerows(rows)


def _write_h5(path: Path, rows: list[dict], base: Design, vary: dict, zip_values: bool) -> None:
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = "neurosim-sweep"
        f.attrs["base_design_toml"] = base.to_toml()
        f.attrs["vary_json"] = json.dumps(vary)
        f.attrs["zip"] = zip_values
        table = f.create_group("table")
        for col in _columns(rows):
            values = [r.get(col) for r in rows]
            if all(isinstance(v, (bool, np.bool_)) for v in values):
                table.create_dataset(col, data=np.asarray(values, dtype=bool))
            elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                table.create_dataset(col, data=np.asarray(values, dtype=float))
            else:
                table.create_dataset(col, data=np.asarray(["" if v is None else str(v) for v in values],
                                                          dtype=h5py.string_dtype()))


def format_table(rows: list[dict], columns: list[str]) -> str:
    """A plain-text table of selected columns."""
    def fmt(v):
        if isinstance(v, float):
            return "n/a" if math.isnan(v) else f"{v:.4g}"
        return str(v)
    widths = [max(len(c), *(len(fmt(r.get(c, ""))) for r in rows)) for c in columns]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(fmt(r.get(c, "")).ljust(w) for c, w in zip(columns, widths)) for r in rows]
    return "\n".join(lines)
