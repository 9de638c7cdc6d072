"""The ``neurosim`` command line: run, render, design show/validate."""

from __future__ import annotations

import argparse
import logging
import math
import sys
from pathlib import Path

__all__ = ["main"]

logger = logging.getLogger("neurosim")


def _format_value(v) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "n/a"
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def format_summary(summary: dict) -> str:
    """A two-column text table of a run summary."""
    width = max(len(k) for k in summary)
    lines = ["-" * (width + 24)]
    lines += [f"{k:<{width}}  {_format_value(v)}" for k, v in summary.items()]
    lines.append(lines[0])
    return "\n".join(lines)


def _cmd_run(args) -> int:
    from neurosim.pipeline import run

    design = _load(args.design)
    result = run(design, args.output, progress=not args.no_progress, compression=args.compression,
                 cache_dir=args.cache_dir)
    print(format_summary(result.summary))
    if args.output:
        print(f"wrote {args.output}")
    if args.report:
        from neurosim.report import design_report_figure

        design_report_figure(result, args.report)
        print(f"wrote {args.report}")
    if args.render:
        _render(design, args.render, result.activity)
        print(f"wrote {args.render}")
    return 0


def _render(design, path, activity=None) -> None:
    import numpy as np

    from electrode_models.render import render_implant
    from neurosim.electrodes import build_probe
    from neurosim.populations import place_cells

    setup = build_probe(design)
    positions, normals, radius = setup.positions_um, setup.normals, setup.radius_um
    if activity is None:  # placement only: no network needed to show the layout
        pop = design.population
        cells, types, _ = place_cells(positions, pop.reach_radius_um, pop.density_per_mm3,
                                      pop.excitatory_fraction, pop.min_distance_um,
                                      np.random.default_rng(design.seed), pop.max_neurons)
    else:
        cells, types = activity.positions_um, activity.cell_types
    render_implant(path, positions, normals, radius, cells, types,
                   tissue_size_um=design.tissue.size_um,
                   title=f"{design.name}: {design.implant.layout}, {len(positions)} contacts, "
                         f"{len(cells)} cells")


def _cmd_sweep(args) -> int:
    from neurosim.sweep import format_table, parse_vary, run_sweep

    vary = parse_vary(args.vary)
    result = run_sweep(_load(args.design), vary, args.output, zip_values=args.zip,
                       cache_dir=args.cache_dir, keep_files=args.keep_files,
                       progress=not args.no_progress, workers=args.workers,
                       scheduler=args.scheduler)
    cols = ["point", *vary, "num_channels", "num_cells", "precision", "recall", "f1",
            "raw_rate_bps", "sent_rate_bps", "fits_link", "power_total_mW", "power_per_channel_uW"]
    print(format_table(result.rows, cols))
    print(f"{len(result.rows)} designs in {result.wall_time_s:.1f} s")
    for p in (result.csv_path, result.h5_path, result.figure_path):
        if p:
            print(f"wrote {p}")
    return 0


def _cmd_dataset(args) -> int:
    from neurosim.dataset import generate_dataset
    from neurosim.sweep import format_table, parse_vary

    vary = parse_vary(args.vary) if args.vary else None
    result = generate_dataset(_load(args.design), args.sessions, args.output, vary=vary,
                              workers=args.workers, scheduler=args.scheduler,
                              progress=not args.no_progress)
    cols = ["session", "seed", *(vary or {}), "num_cells", "num_detections", "f1", "sent_rate_bps"]
    print(format_table(result.sessions, cols))
    print(f"{len(result.sessions)} sessions in {result.wall_time_s:.1f} s; index {result.index_path}")
    return 0


def _cmd_schema(args) -> int:
    from neurosim.io.schema import markdown

    print(markdown(), end="")
    return 0


def _cmd_render(args) -> int:
    design = _load(args.design)
    _render(design, args.output)
    print(f"wrote {args.output}")
    return 0


def _cmd_design(args) -> int:
    design = _load(args.design)
    if args.action == "show":
        print(design.to_toml(), end="")
    else:
        print(f"{args.design or 'default design'}: valid")
    return 0


def _load(path):
    from neurosim.design import load_design

    return load_design(Path(path) if path else None)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="neurosim", description="A digital twin of a brain implant.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress messages")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="simulate a design end to end and write an HDF5 file")
    p.add_argument("design", nargs="?", help="design TOML (default: the built-in design)")
    p.add_argument("-o", "--output", help="HDF5 output file (written atomically)")
    p.add_argument("--render", help="also write a PNG of the layout in tissue")
    p.add_argument("--compression", default="none", choices=["none", "gzip", "lzf"],
                   help="HDF5 filter for the traces (default: none)")
    p.add_argument("--report", help="also write the design report figure (PNG)")
    p.add_argument("--cache-dir", help="reuse the simulated cortex from this activity cache")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("sweep", help="run a design over values of some of its fields; table + plots",
                       description="Example: neurosim sweep --vary chip.adc.bits=6,8,10,12 -o sweep/")
    p.add_argument("design", nargs="?", help="base design TOML (default: the built-in design)")
    p.add_argument("--vary", action="append", required=True, metavar="FIELD=V1,V2,...",
                   help="a dotted design field and its values (repeat for a grid)")
    p.add_argument("--zip", action="store_true", help="take the --vary values in step, not as a grid")
    p.add_argument("-o", "--output", required=True, help="output folder (sweep.csv, sweep.h5, sweep.png)")
    p.add_argument("--cache-dir", help="activity cache (default: none)")
    p.add_argument("--keep-files", action="store_true", help="also write one HDF5 file per point")
    p.add_argument("--workers", type=int, help="run points on a local Dask cluster of N processes")
    p.add_argument("--scheduler", help="run points on an existing Dask cluster (tcp://host:8786)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=_cmd_sweep)

    p = sub.add_parser("dataset", help="generate N sessions of a design (labelled training data)",
                       description="Example: neurosim dataset -n 10 -o data/ --vary chip.front_end.noise_uV_rms=2,4,8")
    p.add_argument("design", nargs="?", help="session design TOML (default: the built-in design)")
    p.add_argument("-n", "--sessions", type=int, required=True, help="number of sessions")
    p.add_argument("-o", "--output", required=True, help="output folder (session files + index)")
    p.add_argument("--vary", action="append", metavar="FIELD=V1,V2,...",
                   help="draw this field per session from these values (repeatable)")
    p.add_argument("--workers", type=int, help="run sessions on a local Dask cluster of N processes")
    p.add_argument("--scheduler", help="run sessions on an existing Dask cluster (tcp://host:8786)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=_cmd_dataset)

    p = sub.add_parser("render", help="write a PNG of the implant in tissue (off-screen)")
    p.add_argument("design", nargs="?", help="design TOML (default: the built-in design)")
    p.add_argument("-o", "--output", required=True, help="PNG file")
    p.set_defaults(func=_cmd_render)

    p = sub.add_parser("schema", help="print the HDF5 file format (Markdown) from the schema module")
    p.set_defaults(func=_cmd_schema)

    p = sub.add_parser("design", help="show or validate a design")
    p.add_argument("action", choices=["show", "validate"])
    p.add_argument("design", nargs="?", help="design TOML (default: the built-in design)")
    p.set_defaults(func=_cmd_design)
    return parser


def main(argv=None) -> int:
    from neurosim.design import DesignError

    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except DesignError as exc:
        print(f"neurosim: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # parameter errors raised at a numerical package's boundary
        if args.verbose:
            raise
        print(f"neurosim: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
