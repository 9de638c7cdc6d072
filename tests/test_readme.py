"""Every command in README.md runs as written (issue 13, acceptance; items 1 and 2).

The commands are read from README.md's code blocks: each ``.venv/bin/neurosim ...`` line (with
its ``\\`` continuations, ``# comments`` dropped, ``> FILE`` honoured) is run through the same
entry point as the installed script (:func:`neurosim.cli.main`), in a temporary folder, in the
README's order. The one addition is the short-run override that README.md documents: the
commands that simulate get ``QUICK`` appended (``calibrate`` gets ``--duration 0.3``), and the
Python example runs with ``default_design`` returning the default design with the same changes.
"""

import contextlib
import csv
import io
import re
import shlex
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
PROGRAM = ".venv/bin/neurosim"
#: the documented short-run override (README.md, "tests/test_readme.py runs every command ...")
QUICK = ["--duration", "0.3", "--set", "chip.detector.calibration_s=0.1",
         "--set", "population.outer_radius_um=60", "--set", "population.density_per_mm3=3000"]
QUICK_CALIBRATE = ["--duration", "0.3"]
SIMULATING = {"run", "sweep", "dataset", "stream"}


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", README.read_text(), flags=re.M | re.S)


def readme_commands() -> list[tuple[str, list[str], str | None]]:
    """``(text, argv, stdout_file)`` of every neurosim command line in README.md's bash blocks."""
    out = []
    for block in _blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            tokens = shlex.split(line, comments=True)
            if not tokens or tokens[0] != PROGRAM:
                continue
            argv, redirect = tokens[1:], None
            if ">" in argv:
                i = argv.index(">")
                argv, redirect = argv[:i], argv[i + 1]
            out.append((" ".join(tokens), argv, redirect))
    return out


def quick(argv: list[str]) -> list[str]:
    """``argv`` with the documented short-run override appended."""
    if argv[0] in SIMULATING:
        return argv + QUICK
    if argv[0] == "calibrate":
        return argv + QUICK_CALIBRATE
    return argv


def python_example() -> str:
    (code,) = [b for b in _blocks("python") if "import neurosim" in b]
    return code


def test_readme_lists_every_command_family():
    commands = [argv for _, argv, _ in readme_commands()]
    families = {tuple(a[:2]) if a[0] in ("design", "list") else (a[0],) for a in commands}
    assert {("design", "show"), ("design", "validate"), ("run",), ("render",), ("calibrate",),
            ("sweep",), ("dataset",), ("stream",), ("list", "layouts")} <= families
    assert any("benchmarks/long_recording_1024.toml" in a for a in commands)


@pytest.mark.parametrize("text, argv", [(t, a) for t, a, _ in readme_commands()],
                         ids=[t[len(PROGRAM) + 1:][:60] for t, _, _ in readme_commands()])
def test_readme_command_parses_and_its_designs_validate(text, argv, monkeypatch):
    """Fast: every command parses, and the designs it would run (every sweep point, every
    dataset session) pass validation, without simulating anything."""
    from neurosim.cli import _load, build_parser
    from neurosim.dataset import session_designs
    from neurosim.sweep import parse_vary, sweep_designs

    monkeypatch.chdir(ROOT)  # README paths are relative to the repository
    args = build_parser().parse_args(quick(argv))
    if argv[0] not in SIMULATING or (args.design and not Path(args.design).exists()):
        return  # a design written by an earlier command (my_design.toml): checked when run
    design = _load(args.design, args)
    if argv[0] == "sweep":
        points = sweep_designs(design, parse_vary(args.vary), args.zip)
        assert len(points) >= 2
    elif argv[0] == "dataset":
        vary = parse_vary(args.vary) if args.vary else None
        sessions = session_designs(design, args.sessions, vary)
        for path, values in (vary or {}).items():  # every value is used (values taken in turn)
            assert {drawn[path] for _, drawn, _ in sessions} == set(values)


def test_readme_channel_sweep_and_dataset_say_what_they_do():
    """The channel sweep's comment matches its designs (utah drops corners unless told); the
    dataset's drift amplitudes apply to sessions that drift."""
    import electrode_models as em
    from neurosim.cli import _load, build_parser
    from neurosim.dataset import session_designs
    from neurosim.sweep import parse_vary, sweep_designs

    by_command = {}
    for text, argv, _ in readme_commands():
        by_command.setdefault(argv[0], []).append((text, argv))
    (text, argv), = [c for c in by_command["sweep"] if "--zip" in c[1]]
    args = build_parser().parse_args(argv)
    counts = [em.make_probe(d.implant.layout, **d.implant.layout_params).get_contact_count()
              for _, d in sweep_designs(_load(args.design, args), parse_vary(args.vary), args.zip)]
    assert "# " + ", ".join(map(str, counts)) + " channels" in README.read_text()
    assert counts == [64, 256, 1024]
    (text, argv), = by_command["dataset"]
    args = build_parser().parse_args(argv)
    sessions = session_designs(_load(args.design, args), args.sessions, parse_vary(args.vary))
    assert all(d.implant.drift.kind != "none" for _, _, d in sessions)
    amps = [d.implant.drift.amplitude_um for _, _, d in sessions]
    assert sorted(amps) == [0, 10, 20]


def _outputs(argv: list[str]) -> list[str]:
    """Files and folders a command says it writes (-o/--output/--render/--report/--out)."""
    out = []
    for flag in ("-o", "--output", "--render", "--report", "--out"):
        if flag in argv:
            out.append(argv[argv.index(flag) + 1])
    return out


@pytest.mark.slow
def test_every_readme_command_runs_as_written(tmp_path, monkeypatch):
    from neurosim.cli import main

    for name in ("benchmarks", "examples"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    for text, argv, redirect in readme_commands():
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            code = main(quick(argv))
        assert code == 0, f"{text!r} exited with {code}"
        if redirect:
            Path(redirect).write_text(stdout.getvalue())
            assert Path(redirect).stat().st_size > 0, text
        for path in _outputs(argv):
            assert Path(path).exists(), f"{text!r} did not write {path}"
    # what the README's comments promise
    channels = list(csv.DictReader(open("channels/sweep.csv")))
    assert [int(r["num_channels"]) for r in channels] == [64, 256, 1024]
    index = list(csv.DictReader(open("data/index.csv")))
    amps = [float(r["implant.drift.amplitude_um"]) for r in index]
    assert sorted(amps) == [0, 10, 20]
    for row in index:
        session = tomllib.loads(Path("data", row["design"]).read_text())
        assert session["implant"]["drift"]["kind"] == "zigzag"
        assert session["implant"]["drift"]["amplitude_um"] == float(row["implant.drift.amplitude_um"])


@pytest.mark.slow
def test_readme_python_example_runs(tmp_path, monkeypatch):
    import neurosim.design
    from neurosim.cli import _with_options, build_parser

    quick_args = build_parser().parse_args(["run", *QUICK])
    default = neurosim.design.default_design
    monkeypatch.setattr(neurosim.design, "default_design", lambda: _with_options(default(), quick_args))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(python_example(), "README.md", "exec"), namespace)
    assert Path("np.h5").exists()
    assert namespace["design"].implant.layout == "neuropixels1"
    assert namespace["data"]  # the file read back
