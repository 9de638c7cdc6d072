"""The ``neurosim`` command line: run, stream, render, sweep, dataset, calibrate, list, design show/validate.

Commands that take a design also take ``--set FIELD=VALUE`` (repeatable; a dotted design path and
a TOML scalar or array, e.g. ``--set implant.layout=neuropixels1 --set chip.adc.bits=8``),
``--duration SECONDS`` (``recording.duration_s``) and ``--seed N`` (``seed``), applied to the
loaded design in that order and validated together.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from pathlib import Path

from neurosim.io.atomic import OutputError, check_writable

__all__ = ["main"]

logger = logging.getLogger("neurosim")


def _format_value(v) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "n/a"
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def format_summary(summary: dict) -> str:
    """A two-column text table of a run summary, with the definition of "detectable units" below."""
    import textwrap

    from neurosim.metrics import DETECTABLE_UNIT_DEFINITION

    width = max(len(k) for k in summary)
    lines = ["-" * (width + 24)]
    lines += [f"{k:<{width}}  {_format_value(v)}" for k, v in summary.items()]
    lines.append(lines[0])
    if "detectable units" in summary:
        lines += textwrap.wrap(f"* {DETECTABLE_UNIT_DEFINITION}.", width=width + 24,
                               subsequent_indent="  ")
    return "\n".join(lines)


def format_profile(timings_s: dict, duration_s: float) -> str:
    """The run's timings as a table: set-up steps, then each chunk stage per second of recording."""
    setup = [("cortex", "cortex_s"), ("templates", "templates_s"), ("set-up", "setup_s"),
             ("recording (all stages)", "recording_s"), ("finish (scores, file)", "finish_s"),
             ("total", "total_s")]
    lines = ["", "profile                          s     s per s recorded   x real time"]
    for label, key in setup:
        if key in timings_s:
            lines.append(f"  {label:<28s}{timings_s[key]:8.2f}")
    for key, v in timings_s.items():
        if key.startswith("stage_"):
            per_s = v / duration_s if duration_s > 0 else float("nan")
            speed = f"{1 / per_s:10.1f}" if per_s > 0 else "         -"
            lines.append(f"    stage {key[6:-2]:<22s}{v:8.2f}{per_s:14.3f}      {speed}")
    return "\n".join(lines)


def _cmd_run(args) -> int:
    from neurosim.pipeline import run

    from neurosim.engine import resolve_n_jobs

    resolve_n_jobs(args.n_jobs)  # fail on a bad option before simulating, not after
    for option, path in (("--render", args.render), ("--report", args.report)):
        if path:
            check_writable(path, option)
    design = _load(args.design, args)
    if args.render:
        _check_render_source(args.color_by or "f1", args.cells or "detectable", "run",
                             has_file=bool(args.output), has_scores=True)
    result = run(design, args.output, progress=not args.no_progress, compression=args.compression,
                 cache_dir=_run_cache_dir(args), n_jobs=args.n_jobs)
    print(format_summary(result.summary))
    if args.profile:
        print(format_profile(result.timings_s, design.recording.duration_s))
    if args.output:
        print(f"wrote {args.output}")
    if args.report:
        from neurosim.report import design_report_figure

        design_report_figure(result, args.report)
        print(f"wrote {args.report}")
    if args.render:
        stored = _read_stored(args.output) if args.output else None
        _render(design, args.render, result.activity, color_by=args.color_by or "f1",
                cells=args.cells or "detectable", stored=stored, scores=result.scores, command="run")
        print(f"wrote {args.render}")
    return 0


def _run_cache_dir(args):
    """``run``'s cache folder: ``--cache-dir``, else the user cache root; None with ``--no-cache``."""
    if args.no_cache:
        if args.cache_dir:
            raise ValueError("--no-cache and --cache-dir exclude each other")
        return None
    from neurosim.populations._brian import cache_root

    if args.cache_dir:
        return args.cache_dir
    root = cache_root()
    try:  # the default cache is a convenience: a home folder that cannot be written just skips it
        check_writable(Path(root) / "templates" / "index", "cache folder")
    except OutputError as exc:
        logging.getLogger(__name__).warning("not caching the cortex: %s", exc)
        return None
    return root


#: --color-by value -> (what it needs, label of the scalar bar or legend)
COLOR_BY = {"none": ("design", ""), "impedance": ("design", "impedance at 1 kHz (kOhm)"),
            "alive": ("design", "channel"), "snr": ("result", "SNR of best unit (peak / noise rms)"),
            "f1": ("result", "detection F1"), "noise": ("result", "noise (uV rms)")}
CELLS = ("type", "detectable")


def _check_render_source(color_by: str, cells: str, command: str, *, has_file: bool,
                         has_scores: bool = False) -> None:
    """Raise ``ValueError`` when a colouring needs results that this command does not have."""
    if color_by not in COLOR_BY:
        raise ValueError(f"--color-by must be one of {list(COLOR_BY)}, got {color_by!r}")
    if cells not in CELLS:
        raise ValueError(f"--cells must be one of {list(CELLS)}, got {cells!r}")
    # a run in memory has its scores (F1, detectability); SNR and noise are read from its file
    available = {"design", "result"} if has_file else {"design"}
    needs = [] if COLOR_BY[color_by][0] in available or (color_by == "f1" and has_scores) \
        else [f"--color-by {color_by}"]
    if cells == "detectable" and not (has_file or has_scores):
        needs.append("--cells detectable")
    if needs:
        how = ("add -o FILE.h5 so that the run's results are stored" if command == "run" else
               "give --from RESULT.h5 (a file written by 'neurosim run -o')")
        raise ValueError(f"{' and '.join(needs)} {'need' if len(needs) > 1 else 'needs'} "
                         f"simulation results: {how}")


def _read_stored(path) -> dict:
    """The arrays of a result file that a render can use (see `neurosim.io.hdf5.read_result`)."""
    from neurosim.io.hdf5 import read_result

    if not Path(path).is_file():
        raise ValueError(f"--from must name a result file written by 'neurosim run -o', "
                         f"got {str(path)!r} (no such file)")
    try:
        return read_result(path)
    except (OSError, ValueError) as exc:
        raise ValueError(f"--from must name a result file written by 'neurosim run -o', "
                         f"got {str(path)!r} ({exc})") from None


def _stored(stored: dict, key: str, option: str):
    """``stored[key]``, or a ``ValueError`` naming the dataset and the option that needs it."""
    if key not in stored:
        raise ValueError(f"--from file has no dataset /{key}, which {option} needs "
                         f"(written by another neurosim version?)")
    return stored[key]


def _channel_snr(stored: dict, num_channels: int):
    """Per channel, the largest SNR of the units whose best channel it is (NaN: none)."""
    import numpy as np

    snr = np.full(num_channels, np.nan)
    best = _stored(stored, "ground_truth/units/best_channel", "--color-by snr")
    unit_snr = _stored(stored, "ground_truth/units/snr", "--color-by snr").astype(float)
    for c, s in zip(best, unit_snr):
        if c >= 0:
            snr[c] = s if np.isnan(snr[c]) else max(snr[c], s)
    return snr


def _channel_values(color_by, design, setup, stored, scores):
    """The per-channel array and its label for ``--color-by`` (None: plain contacts)."""
    num_channels = len(setup.positions_um)
    if color_by == "none":
        return None, ""
    label = COLOR_BY[color_by][1]
    if stored is not None:
        if color_by == "snr":
            values = _channel_snr(stored, num_channels)
        else:
            key = {"impedance": "probe/impedance_ohm", "alive": "probe/channel_alive",
                   "f1": "scores/channel/f1", "noise": "chip/noise_uV_rms"}[color_by]
            values = _stored(stored, key, f"--color-by {color_by}")
            if color_by == "alive":
                values = values.astype(bool)
            elif color_by == "impedance":
                values = values / 1e3
    elif color_by == "f1":
        values = scores.channel_f1
    else:  # impedance, alive: from the design, as the pipeline sets them up
        import numpy as np

        from neurosim.electrodes import setup_electrodes
        from neurosim.pipeline import resolve_seed, stage_seeds

        chronic_seed = stage_seeds(resolve_seed(design))["chronic"]  # as neurosim.pipeline.run
        elec = setup_electrodes(design, setup, np.zeros((0, 3)), chronic_seed)
        values = elec.impedance_ohm / 1e3 if color_by == "impedance" else elec.alive
    return values, label


def _render(design, path, activity=None, *, color_by: str = "none", cells: str = "type",
            stored: dict | None = None, scores=None, command: str = "render") -> None:
    """Render ``design``'s implant; colour contacts by ``color_by`` and cells by ``cells``.

    Data come from ``stored`` (a result file read by `_read_stored`), else from a run's
    ``activity`` and ``scores``, else from the design alone (cells placed, not simulated).
    """
    import tempfile

    import numpy as np

    from electrode_models.render import render_implant
    from neurosim.cortex import placed_cells
    from neurosim.electrodes import build_probe
    from neurosim.pipeline import resolve_seed

    _check_render_source(color_by, cells, command, has_file=stored is not None,
                         has_scores=scores is not None)
    setup = build_probe(design)
    positions, normals, radius = setup.positions_um, setup.normals, setup.radius_um
    if stored is not None:
        n_file = len(_stored(stored, "probe/contact_positions_um", "--from"))
        if n_file != len(positions):
            raise ValueError(f"--from file has {n_file} channels but the design's implant has "
                             f"{len(positions)}: give the design the file was written from")
        cell_pos = _stored(stored, "ground_truth/units/positions_um", "--from")
        types = _stored(stored, "ground_truth/units/cell_type", "--from")
        detectable = _stored(stored, "scores/unit/detectable", "--cells detectable") \
            if cells == "detectable" else None
    elif activity is not None:
        cell_pos, types = activity.positions_um, activity.cell_types
        detectable = None if scores is None else scores.unit_detectable
    else:  # placement only (no network): the cells a run with this seed simulates
        cell_pos, types = placed_cells(design.population, resolve_seed(design), setup.placement_positions_um)
        detectable = None
    values, label = _channel_values(color_by, design, setup, stored, scores)
    seed_note = " (random seed)" if stored is None and activity is None and design.seed is None else ""
    title = (f"{design.name}: {design.implant.layout}, {len(positions)} contacts, "
             f"{len(cell_pos)} cells simulated{seed_note}")
    value_range = (0.0, 1.0) if color_by == "f1" else None
    with_map = values is not None and np.asarray(values).dtype != bool  # numbers: a 2-D map beside
    with tempfile.TemporaryDirectory() as tmp:
        scene = Path(tmp) / "scene.png" if with_map else path
        render_implant(scene, positions, normals, radius, cell_pos, types,
                       tissue_size_um=design.tissue.size_um, contact_values=values, value_label=label,
                       value_range=value_range, category_labels=("alive", "dead"), cell_colour_by=cells,
                       cell_detectable=detectable if cells == "detectable" else None,
                       anatomical_class=setup.anatomical_class,
                       layer_boundaries_um=design.population.column.layer_boundaries_um,
                       title="" if with_map else title)
        if with_map:
            from neurosim.report import implant_figure

            implant_figure(scene, positions, values, radius, path, label=label,
                           value_range=value_range, title=title)


def _cmd_sweep(args) -> int:
    from neurosim.sweep import format_table, parse_vary, run_sweep

    vary = parse_vary(args.vary)
    result = run_sweep(_load(args.design, args), vary, args.output, zip_values=args.zip,
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
    result = generate_dataset(_load(args.design, args), args.sessions, args.output, vary=vary,
                              workers=args.workers, scheduler=args.scheduler,
                              progress=not args.no_progress)
    cols = ["session", "seed", *(vary or {}), "num_cells", "num_detections", "f1", "sent_rate_bps"]
    print(format_table(result.sessions, cols))
    print(f"{len(result.sessions)} sessions in {result.wall_time_s:.1f} s; index {result.index_path}")
    return 0


def _cmd_stream(args) -> int:
    from neurosim.stream import latency_figure, stream
    from neurosim.stream.live import MAX_CHUNK_S

    if args.duration is not None and not 0 < args.duration <= 86400:
        raise ValueError(f"--duration must be in (0, 86400] s, got {args.duration:g}")
    if not 0 < args.chunk <= MAX_CHUNK_S:
        raise ValueError(f"--chunk must be in (0, {MAX_CHUNK_S:g}] s, got {args.chunk:g}")
    if args.latency_figure:
        check_writable(args.latency_figure, "--latency-figure")
    design = _load(args.design, args)
    controllers = []
    try:
        if args.stim_inlet:
            from neurosim.stream import LSLInlet, StimulationCommands

            inlet = LSLInlet(args.stim_inlet)
            if inlet.num_columns != 3:
                raise ValueError(f"--stim-inlet {args.stim_inlet!r}: the stream must have 3 channels "
                                 f"(contact, amplitude_uA, phase_width_us), got {inlet.num_columns}")
            controllers.append(StimulationCommands(inlet, external=True))
        report = stream(design, realtime=not args.no_realtime, outlet=args.backend, chunk_s=args.chunk,
                        n_jobs=args.n_jobs, cache_dir=_run_cache_dir(args), controllers=controllers)
    except ImportError as exc:  # the LSL backend without pylsl
        raise ValueError(f"--backend {args.backend}: {exc}") from None
    print(format_summary(report.summary()))
    for c in report.controllers:
        if "refused" in c:
            print(f"stimulation commands: {c['delivered']} delivered, {c['refused']} refused")
    print("streams: " + ", ".join(report.streams))
    if args.latency_figure:
        latency_figure(report.latency, args.latency_figure, title=f"{design.name}: latency budget")
        print(f"wrote {args.latency_figure}")
    return 0


def _cmd_warmup(args) -> int:
    from neurosim.warmup import warm_up

    dt = warm_up(args.design, quiet=args.quiet)
    if not args.quiet:
        print(f"neurosim: kernels compiled and cached in {dt:.0f} s (later runs load them)")
    return 0


def _cmd_schema(args) -> int:
    from neurosim.io.schema import markdown

    print(markdown(), end="")
    return 0


def _cmd_calibrate(args) -> int:
    from neurosim.calibration import DEVICES, calibrate, format_table

    if not args.duration > 0:
        raise ValueError(f"--duration must be > 0 s, got {args.duration:g}")
    if args.plot is not None and not args.budget:
        raise ValueError("--plot draws the noise budget: give --budget with it")
    if args.budget:
        from neurosim.noise_budget import format_budget, noise_budget, noise_budget_figure

        if args.plot is not None:
            check_writable(args.plot, "--plot")
        budgets = [noise_budget(d, args.duration, out_dir=args.out, progress=not args.quiet,
                                num_channels=args.channels) for d in (args.device or DEVICES)]
        print(format_budget(budgets))
        if args.plot is not None:
            print(f"wrote {noise_budget_figure(budgets, args.plot)}")
        return 0
    rows = calibrate(args.device or None, args.duration, out_dir=args.out, progress=not args.quiet,
                     num_channels=args.channels)
    print(format_table(rows))
    bad = [r for r in rows if not r.inside]
    print(f"{len(rows) - len(bad)} of {len(rows)} quantities inside their published range")
    return 1 if (bad and args.strict) else 0


def _cmd_render(args) -> int:
    check_writable(args.output, "-o/--output")
    stored = _read_stored(args.result) if args.result else None
    if args.design is None and stored is not None:  # the design the file was written from
        import tomllib

        from neurosim.design import Design

        toml = stored.get("attrs/root", {}).get("design_toml")
        if toml is None:
            raise ValueError(f"--from file {args.result!r} stores no design (root attribute "
                             f"'design_toml'): give the design file as well")
        design = _with_options(Design.from_dict(tomllib.loads(toml)), args)
    else:
        design = _load(args.design, args)
    _render(design, args.output, color_by=args.color_by or "none", cells=args.cells or "type",
            stored=stored)
    print(f"wrote {args.output}")
    return 0


def _cmd_design(args) -> int:
    design = _load(args.design, args)
    if args.action == "show":
        if args.minimal:
            from neurosim.design import minimal_toml

            print(minimal_toml(design), end="")
        else:
            print(design.to_toml(), end="")
    else:
        print(f"{args.design or 'default design'}: valid")
    return 0


def _cmd_list(args) -> int:
    from neurosim.catalog import format_layouts, format_materials, format_models

    print({"layouts": format_layouts, "materials": format_materials, "models": format_models}[args.what]())
    return 0


def parse_set(specs: list[str] | None) -> dict:
    """``["chip.adc.bits=8", "implant.layout=utah"]`` -> ``{"chip.adc.bits": 8, ...}``.

    Values are read by `neurosim.design.parse_value` (TOML, else a bare word such as ``utah``).
    """
    from neurosim.design import DesignError, parse_value

    changes: dict = {}
    for spec in specs or []:
        path, sep, text = spec.partition("=")
        if not sep or not path.strip() or not text.strip():
            raise DesignError(f"--set must look like FIELD=VALUE (a dotted design path, e.g. "
                              f"chip.adc.bits=8), got {spec!r}")
        changes[path.strip()] = parse_value(text)
    return changes


def _with_options(design, args):
    """``design`` with the command's ``--set``, ``--duration`` and ``--seed`` applied (validated)."""
    changes = parse_set(getattr(args, "set", None))
    if getattr(args, "duration", None) is not None:
        changes["recording.duration_s"] = args.duration
    if getattr(args, "seed", None) is not None:
        changes["seed"] = args.seed
    return design.replace(**changes) if changes else design


def _load(path, args=None):
    from neurosim.design import load_design

    design = load_design(Path(path) if path else None)
    return _with_options(design, args) if args is not None else design


def _add_render_options(p, color_default: str, cells_default: str) -> None:
    p.add_argument("--color-by", choices=list(COLOR_BY), metavar="{" + ",".join(COLOR_BY) + "}",
                   help="colour the contacts by this per-channel value: impedance (kOhm) and alive "
                        "come from the design; snr, f1 and noise need results "
                        f"(default: {color_default})")
    p.add_argument("--cells", choices=list(CELLS),
                   help=f"colour the cells by type or by whether they are detectable (needs results; "
                        f"default: {cells_default})")


def _add_design_options(p) -> None:
    """``--set``, ``--duration``, ``--seed``: changes to the loaded design (see `_with_options`)."""
    p.add_argument("--set", action="append", metavar="FIELD=VALUE",
                   help="set a design field (dotted path; value as in TOML), e.g. --set "
                        "implant.layout=neuropixels1 --set chip.adc.bits=8 (repeatable)")
    p.add_argument("--duration", type=float, metavar="SECONDS",
                   help="seconds of recording (sets recording.duration_s)")
    p.add_argument("--seed", type=int, metavar="N", help="master seed (sets seed)")


def build_parser() -> argparse.ArgumentParser:
    from neurosim import __version__

    parser = argparse.ArgumentParser(prog="neurosim", description="A digital twin of a brain implant.")
    parser.add_argument("--version", action="version", version=f"neurosim {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress messages")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="simulate a design end to end and write an HDF5 file")
    p.add_argument("design", nargs="?", help="design TOML (default: the built-in design)")
    p.add_argument("-o", "--output", help="HDF5 output file (written atomically)")
    p.add_argument("--render", help="also write a PNG of the layout in tissue (contacts coloured by "
                                    "detection F1, cells by detectability unless --color-by/--cells)")
    _add_render_options(p, color_default="f1", cells_default="detectable")
    p.add_argument("--compression", default="none", choices=["none", "gzip", "lzf"],
                   help="HDF5 filter for the traces (default: none)")
    p.add_argument("--report", help="also write the design report figure (PNG)")
    p.add_argument("--cache-dir",
                   help="cache of the simulated cortex (and its templates, under <dir>/templates): a "
                        "second run of the same population, seed, duration and contacts reuses them "
                        "(default: $NEUROSIM_CACHE_DIR or ~/.cache/neurosim)")
    p.add_argument("--no-cache", action="store_true",
                   help="neither read nor write the cortex and template cache")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--n-jobs", type=int, default=None,
                   help="threads for the per-chunk kernels (-1: all, the default; the output does not "
                        "depend on it)")
    p.add_argument("--profile", action="store_true",
                   help="also print the time of every set-up step and chunk stage")
    _add_design_options(p)
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
    _add_design_options(p)
    p.set_defaults(func=_cmd_sweep)

    p = sub.add_parser("dataset", help="generate N sessions of a design (labelled training data)",
                       description="Example: neurosim dataset -n 10 -o data/ --vary chip.front_end.noise_uV_rms=2,4,8")
    p.add_argument("design", nargs="?", help="session design TOML (default: the built-in design)")
    p.add_argument("-n", "--sessions", type=int, required=True, help="number of sessions")
    p.add_argument("-o", "--output", required=True, help="output folder (session files + index)")
    p.add_argument("--vary", action="append", metavar="FIELD=V1,V2,...",
                   help="give this field these values in turn: session i takes value i mod "
                        "(number of values), so every value appears once n reaches it (repeatable)")
    p.add_argument("--workers", type=int, help="run sessions on a local Dask cluster of N processes")
    p.add_argument("--scheduler", help="run sessions on an existing Dask cluster (tcp://host:8786)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    _add_design_options(p)
    p.set_defaults(func=_cmd_dataset)

    p = sub.add_parser("stream", help="run the twin live: publish what the chip sends (LSL or memory), "
                                      "paced to wall-clock time",
                       description="Example: neurosim stream design.toml --duration 60 --backend lsl")
    p.add_argument("design", nargs="?", help="design TOML (default: the built-in design)")
    p.add_argument("--backend", default="memory", choices=["memory", "lsl"],
                   help="where the streams go: Lab Streaming Layer outlets (needs pylsl) or memory "
                        "(default: memory)")
    p.add_argument("--no-realtime", action="store_true",
                   help="publish as fast as computed instead of paced to wall-clock time")
    p.add_argument("--chunk", type=float, default=0.05, metavar="SECONDS",
                   help="processing chunk, s, in (0, 1] (default 0.05; the content does not depend on it)")
    p.add_argument("--n-jobs", type=int, default=1,
                   help="threads for the per-chunk kernels (default 1: best for short chunks)")
    p.add_argument("--latency-figure", metavar="PNG", help="also write the latency budget figure")
    p.add_argument("--stim-inlet", metavar="LSL_NAME",
                   help="take stimulation commands (contact, amplitude_uA, phase_width_us) from this LSL "
                        "stream; each goes through the safety model (chip.stimulation)")
    p.add_argument("--cache-dir", help="cortex and template cache (default: $NEUROSIM_CACHE_DIR or "
                                       "~/.cache/neurosim)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    _add_design_options(p)
    p.set_defaults(func=_cmd_stream)

    p = sub.add_parser("render", help="write a PNG of the implant in tissue (off-screen)")
    p.add_argument("design", nargs="?", help="design TOML (default: the built-in design)")
    p.add_argument("-o", "--output", required=True, help="PNG file")
    _add_render_options(p, color_default="none", cells_default="type")
    p.add_argument("--from", dest="result", metavar="RESULT.h5",
                   help="colour with the results in this file (written by 'neurosim run -o'); "
                        "without a design argument, render the design stored in the file")
    _add_design_options(p)
    p.set_defaults(func=_cmd_render)

    p = sub.add_parser("calibrate", help="run reference devices and print twin vs published ranges "
                                         "(noise, unit yield, amplitudes, widths, ISI CV, shape similarity)")
    p.add_argument("--device", action="append", choices=["neuropixels1", "utah"],
                   help="device to run (repeat; default: all)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds of recording per device (default 10)")
    p.add_argument("--channels", type=int, default=None, help="Neuropixels channels (default 64)")
    p.add_argument("-o", "--out", default=None, help="keep the runs' HDF5 files in this folder")
    p.add_argument("--strict", action="store_true", help="exit with 1 when a quantity is out of range")
    p.add_argument("--budget", action="store_true",
                   help="print each device's noise budget instead (thermal, amplifier, far and near "
                        "cells against the measured total; three runs per device)")
    p.add_argument("--plot", default=None, metavar="PNG", help="with --budget: draw the budget to this file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_calibrate)

    p = sub.add_parser("schema", help="print the HDF5 file format (Markdown) from the schema module")
    p.set_defaults(func=_cmd_schema)

    p = sub.add_parser("warmup", help="compile the kernels of a run once (make install does it; "
                                      "see neurosim.warmup)")
    p.add_argument("design", nargs="?", help="design TOML whose code path to compile (default: the built-in design)")
    p.add_argument("--quiet", action="store_true", help="no progress bars, no message")
    p.set_defaults(func=_cmd_warmup)

    p = sub.add_parser("design", help="show or validate a design")
    actions = p.add_subparsers(dest="action", required=True)
    for action, text in (("show", "print the design as TOML (with --set etc. applied)"),
                         ("validate", "check a design; errors name the field, allowed range and value")):
        a = actions.add_parser(action, help=text)
        a.add_argument("design", nargs="?", help="design TOML (default: the built-in design)")
        if action == "show":
            a.add_argument("--minimal", action="store_true",
                           help="print only the sections the design's models use (e.g. no "
                                "population.motor unless population.model = 'motor_cortex')")
        _add_design_options(a)
    p.set_defaults(func=_cmd_design)

    p = sub.add_parser("list", help="list the layouts, electrode materials or models a design can name")
    p.add_argument("what", choices=["layouts", "materials", "models"])
    p.set_defaults(func=_cmd_list)
    return parser


def main(argv=None) -> int:
    from neurosim.design import DesignError
    from neurosim.interrupt import clear_stop, stop_requested

    args = build_parser().parse_args(argv)
    previous = _exit_cleanly_on_sigterm()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        status = args.func(args)
    except DesignError as exc:
        print(f"neurosim: {exc}", file=sys.stderr)
        return 2
    except (ValueError, OutputError) as exc:  # parameter errors; outputs that cannot be written
        if args.verbose:
            raise
        print(f"neurosim: error: {exc}", file=sys.stderr)
        return 2
    except BaseException:
        # a signal's SystemExit can surface as another exception (a SystemError out of a compiled
        # call): exit with the signal's status all the same (`neurosim.interrupt`)
        if stop_requested() is not None:
            raise SystemExit(128 + stop_requested()) from None
        raise
    finally:
        signum = stop_requested()
        clear_stop()
        if previous is not None:
            import signal

            signal.signal(signal.SIGTERM, previous)
    # a stop whose exception was lost after the last safe point: report the signal all the same
    return status if signum is None else 128 + signum


def _exit_cleanly_on_sigterm():
    """SIGTERM records a stop request and raises SystemExit, so that temporary files are removed
    as on Ctrl-C (`neurosim.io.atomic`; `neurosim.interrupt` for when that exception is lost);
    only from the main thread. Returns the handler it replaced."""
    import signal
    import threading

    from neurosim.interrupt import request_stop

    if threading.current_thread() is not threading.main_thread():
        return None

    def _on_sigterm(signum, frame):
        request_stop(signum)
        sys.exit(128 + signum)

    return signal.signal(signal.SIGTERM, _on_sigterm)


if __name__ == "__main__":
    sys.exit(main())
