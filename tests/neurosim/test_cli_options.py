"""CLI conventions (issue 13, item 18): --version, --set, --duration, --seed, list, show --minimal."""

import re
import tomllib

import pytest

import electrode_models as em
import neurosim
from neurosim.cli import build_parser, format_summary, main, parse_set
from neurosim.design import DesignError, design_to_toml, load_design
from neurosim.metrics import DETECTABLE_UNIT_DEFINITION


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"neurosim {neurosim.__version__}"


def test_set_parses_toml_scalars_and_bare_words():
    got = parse_set(["chip.adc.bits=8", "implant.layout=neuropixels1", "recording.duration_s=0.5",
                     "implant.noise.thermal=false", "implant.position_um=[100, 0]", 'name="a b"'])
    assert got == {"chip.adc.bits": 8, "implant.layout": "neuropixels1", "recording.duration_s": 0.5,
                   "implant.noise.thermal": False, "implant.position_um": [100, 0], "name": "a b"}
    assert type(got["chip.adc.bits"]) is int
    with pytest.raises(DesignError, match=r"--set must look like FIELD=VALUE .*got 'chip\.adc\.bits'"):
        parse_set(["chip.adc.bits"])


def test_set_duration_seed_change_the_design_shown(capsys):
    assert main(["design", "show", "--set", "implant.layout=neuropixels1", "--set", "chip.adc.bits=8",
                 "--set", "implant.layout_params.num_channels=32", "--duration", "2", "--seed", "5"]) == 0
    data = tomllib.loads(capsys.readouterr().out)
    assert data["implant"]["layout"] == "neuropixels1" and data["chip"]["adc"]["bits"] == 8
    assert data["implant"]["layout_params"] == {"num_channels": 32}
    assert data["recording"]["duration_s"] == 2.0 and data["seed"] == 5


@pytest.mark.parametrize("command", ["run", "render", "sweep", "dataset", "design"])
def test_design_commands_take_set_duration_seed(command):
    extra = {"run": [], "render": ["-o", "x.png"], "sweep": ["--vary", "chip.adc.bits=8", "-o", "s"],
             "dataset": ["-n", "1", "-o", "d"], "design": ["validate"]}[command]
    args = build_parser().parse_args([command, *extra, "--set", "chip.adc.bits=8", "--set", "seed=1",
                                      "--duration", "0.5", "--seed", "3"])
    assert args.set == ["chip.adc.bits=8", "seed=1"] and args.duration == 0.5 and args.seed == 3


def test_set_errors_name_the_field(tmp_path, capsys):
    assert main(["design", "validate", "--set", "chip.adc.bits=40"]) == 2
    assert "chip.adc.bits must be in [1, 16] bit, got 40" in capsys.readouterr().err
    assert main(["design", "validate", "--set", "recording.nope=1"]) == 2
    assert "unknown design field 'recording.nope'" in capsys.readouterr().err
    assert main(["design", "validate", "--duration", "0.1"]) == 2  # calibration period 0.25 s
    assert "chip.detector.calibration_s must be shorter than recording.duration_s = 0.1 s" \
        in capsys.readouterr().err


def test_design_validate_rejects_what_run_cannot_run(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[implant]\nlayout = "utah"\nlayout_params = { rowz = 4 }\n')
    assert main(["design", "validate", str(bad)]) == 2
    assert "implant.layout_params.rowz is not a parameter of layout 'utah'" in capsys.readouterr().err
    bad.write_text('[implant]\nlayout = "utah"\nlayout_params = { rows = 0 }\n')
    assert main(["design", "validate", str(bad)]) == 2
    assert "implant.layout_params.rows must be in [1, 64], got 0" in capsys.readouterr().err
    bad.write_text(f'[implant]\nlayout = "custom"\nlayout_file = "{tmp_path}"\n')
    assert main(["design", "validate", str(bad)]) == 2
    assert "(a directory)" in capsys.readouterr().err


def test_list_reads_the_registries(capsys):
    from neurosim.populations import MODELS

    assert main(["list", "layouts"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines()[1:] if not line.startswith(" ")}
    assert set(lines) == set(em.list_layouts()) | {"custom"}
    assert lines["utah96"].split()[2] == "96" and lines["neuropixels1"].split()[2] == "384"
    assert main(["list", "materials"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()[1:]] == em.list_materials()
    for material in em.list_materials():  # every listed material is one the design accepts
        assert load_design({"implant": {"material": material}}).implant.material == material
    assert main(["list", "models"]) == 0
    out = capsys.readouterr().out
    models = {line.split()[0]: line.split(None, 1)[1] for line in out.splitlines()}
    assert models["population.model"].split(", ") == list(MODELS)
    assert "mad_threshold" in models["chip.detector.kind"] and "events" in models["chip.radio.output_mode"]


#: A parameter line of `neurosim list layouts`: name, type, range [unit], default [(note)]
_PARAM_LINE = re.compile(r"^    (?P<name>\w+) +(?P<type>int|float) +(?P<range>(?P<lb>[\[(])(?P<lo>[^,]+), "
                         r"(?P<hi>[^\])]+)(?P<hb>[\])])(?: (?P<unit>\S+))?) +default (?P<default>\S+)"
                         r"(?P<note>  \(.*\))?$")


def _listed_layout_params(out: str) -> dict[str, dict]:
    """{layout: {parameter: match of _PARAM_LINE}} from the output of `neurosim list layouts`."""
    layouts, current = {}, None
    for line in out.splitlines()[2:]:
        if line.startswith("    "):
            m = _PARAM_LINE.match(line)
            assert m, f"unparsed parameter line: {line!r}"
            layouts[current][m["name"]] = m
        else:
            current = line.split()[0]
            layouts[current] = {}
    return layouts


def _layout_params_error(layout: str, params: dict) -> str | None:
    """The message of `design validate` for ``implant.layout_params = params``, None if valid."""
    from neurosim.design import Design

    try:
        Design.from_dict({"implant": {"layout": layout, "layout_params": params}})
    except DesignError as exc:
        return str(exc)
    return None


def test_list_layouts_prints_the_ranges_that_validation_accepts(capsys):
    """Every printed range is the validation's: a value at each printed bound passes
    ``design validate`` and a value just beyond it fails (the others at their defaults), and
    where no note says a combined rule narrows it, the error states the printed range and unit."""
    from neurosim.design.implant import layout_parameters

    assert main(["list", "layouts"]) == 0
    listed = _listed_layout_params(capsys.readouterr().out)
    assert set(listed) == set(em.list_layouts()) | {"custom"} and listed["custom"] == {}
    checked = 0
    for layout in em.list_layouts():
        defaults = layout_parameters(layout)
        assert list(listed[layout]) == list(defaults), layout
        for name, m in listed[layout].items():
            where = f"{layout}.{name} {m['range']}"
            default = defaults[name]
            assert m["default"] == ("auto" if default is None else f"{default:g}"), where
            assert m["type"] == ("int" if type(default) is int else "float"), where
            is_int = m["type"] == "int"
            for side, text, bracket in (("low", m["lo"], m["lb"]), ("high", m["hi"], m["hb"])):
                assert text not in ("-inf", "inf"), f"{where}: every layout parameter is bounded"
                bound = int(text) if is_int else float(text)
                sign = -1 if side == "low" else 1
                beyond = bound + sign if is_int else bound + sign * max(1e-9 * abs(bound), 1e-9)
                inside_ok = _layout_params_error(layout, {name: bound})
                assert (inside_ok is None) == (bracket in "[]"), f"{where}: {bound} -> {inside_ok}"
                error = _layout_params_error(layout, {name: beyond})
                assert error is not None, f"{where}: {beyond} passes validation"
                assert "implant.layout_params." in error, error
                if not m["note"]:
                    assert f"{m['range']}, got {beyond!r}" in error, (where, error)
                checked += 1
    assert checked >= 2 * 40  # every parameter of every layout, both sides



def test_design_show_minimal_drops_unused_sections_and_loads_back(tmp_path, capsys):
    assert main(["design", "show"]) == 0
    full = tomllib.loads(capsys.readouterr().out)
    assert main(["design", "show", "--minimal"]) == 0
    text = capsys.readouterr().out
    minimal = tomllib.loads(text)
    assert "motor" in full["population"] and "motor" not in minimal["population"]
    assert "stimulation" in full["chip"] and "stimulation" not in minimal["chip"]
    assert "drift" in full["implant"] and "drift" not in minimal["implant"]
    assert "neo_threshold_c" not in minimal["chip"]["detector"]
    path = tmp_path / "m.toml"
    path.write_text(text)
    assert load_design(path) == load_design(None)  # nothing the default design uses was dropped
    # a section the design uses is shown
    motor = load_design(None).replace(**{"population.model": "motor_cortex", "implant.drift.kind": "zigzag",
                                         "implant.drift.amplitude_um": 5.0})
    path.write_text(design_to_toml(motor))
    assert main(["design", "show", "--minimal", str(path)]) == 0
    shown = tomllib.loads(capsys.readouterr().out)
    assert "motor" in shown["population"] and shown["implant"]["drift"]["amplitude_um"] == 5.0


def test_summary_defines_detectable_units():
    text = format_summary({"channels": 4, "detectable units": 3})
    assert " ".join(text.split()).endswith(" ".join(DETECTABLE_UNIT_DEFINITION.split()) + ".")
    assert "threshold" in DETECTABLE_UNIT_DEFINITION and "best channel" in DETECTABLE_UNIT_DEFINITION
    assert "detectable unit:" not in format_summary({"channels": 4})


def test_docs_quote_the_detectable_unit_definition():
    from pathlib import Path

    index = Path(__file__).parents[2] / "docs" / "index.md"
    text = " ".join(index.read_text().replace("**", "").split())
    body = DETECTABLE_UNIT_DEFINITION.split(": ", 1)[1]  # after "detectable unit: "
    assert " ".join(body.split()) in text


def test_profile_table_reads_the_timings():
    from neurosim.cli import format_profile

    text = format_profile({"cortex_s": 2.0, "recording_s": 1.5, "total_s": 4.0,
                           "stage_noise_s": 0.5, "stage_chip_s": 1.0}, duration_s=2.0)
    rows = {line.split()[1] if line.split()[0] == "stage" else line.split()[0]: line.split()
            for line in text.splitlines()[2:]}
    assert float(rows["cortex"][1]) == 2.0 and float(rows["total"][1]) == 4.0
    # per second of recording and times real time: 0.5 s over 2 s recorded is 0.25 s/s, 4x
    assert rows["noise"][2:] == ["0.50", "0.250", "4.0"]
    assert rows["chip"][2:] == ["1.00", "0.500", "2.0"]


def test_bad_n_jobs_fails_before_simulating(capsys):
    from neurosim.cli import main

    assert main(["run", "--duration", "0.1", "--n-jobs", "0", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "n_jobs must be a non-zero integer" in err and "got 0" in err
