"""The layout example designs (validate, run, render) and the render options of the CLI."""

from pathlib import Path

import numpy as np
import pytest

from electrode_models.layouts import REGISTRY
from neurosim.cli import main
from neurosim.design import load_design

EXAMPLES = Path(__file__).parents[2] / "examples"
PIL = pytest.importorskip("PIL.Image")


def _image(path):
    return np.asarray(PIL.open(path).convert("RGB"), float)


def _non_blank(path):
    return _image(path).std() > 5


def _side_by_side(path):
    """A 3-D scene with a contact map beside it: a figure over twice as wide as tall."""
    width, height = PIL.open(path).size
    return width > 2 * height and _non_blank(path)


def _differ(a, b):
    a, b = _image(a), _image(b)
    return a.shape == b.shape and np.mean(np.abs(a - b).max(axis=2) > 30) > 0.001


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.stem)
def test_example_designs_validate(path):
    assert load_design(path).name


def test_every_layout_has_an_example_design():
    for layout in REGISTRY:
        path = EXAMPLES / f"layout_{layout}.toml"
        assert path.is_file(), f"no example design for layout {layout!r}"
        assert load_design(path).implant.layout == layout


@pytest.mark.parametrize("layout", list(REGISTRY))
def test_run_and_render_every_layout_design(layout, tmp_path, capsys):
    """``neurosim run`` on each example, with the default render (F1 and detectability)."""
    out, png = tmp_path / "r.h5", tmp_path / "r.png"
    design = str(EXAMPLES / f"layout_{layout}.toml")
    assert main(["run", design, "-o", str(out), "--render", str(png), "--no-progress"]) == 0
    assert out.is_file() and _non_blank(png)
    assert f"wrote {png}" in capsys.readouterr().out


@pytest.fixture(scope="module")
def linear_result(tmp_path_factory):
    """A run of the linear example written to a file (the source of ``render --from``)."""
    out = tmp_path_factory.mktemp("result") / "linear.h5"
    assert main(["run", str(EXAMPLES / "layout_linear.toml"), "-o", str(out), "--no-progress"]) == 0
    return out


def test_render_colours_from_the_design_alone(tmp_path):
    design = str(EXAMPLES / "layout_utah.toml")
    paths = {c: tmp_path / f"{c}.png" for c in ("none", "impedance", "alive")}
    for color_by, png in paths.items():
        assert main(["render", design, "-o", str(png), "--color-by", color_by]) == 0
        assert _non_blank(png)
    assert _differ(paths["none"], paths["alive"])
    # numbers: the scene with a contact map beside it (data checked in
    # test_render_with_values_puts_a_contact_map_beside_the_scene)
    assert _side_by_side(paths["impedance"]) and not _side_by_side(paths["none"])


def test_render_from_a_result_file(linear_result, tmp_path):
    plain = tmp_path / "plain.png"
    assert main(["render", "--from", str(linear_result), "-o", str(plain)]) == 0  # design from the file
    for color_by in ("snr", "f1", "noise", "impedance", "alive"):
        png = tmp_path / f"{color_by}.png"
        assert main(["render", str(EXAMPLES / "layout_linear.toml"), "--from", str(linear_result),
                     "-o", str(png), "--color-by", color_by]) == 0
        assert _side_by_side(png) if color_by != "alive" else _differ(plain, png), color_by
    det = tmp_path / "det.png"
    assert main(["render", "--from", str(linear_result), "-o", str(det), "--cells", "detectable"]) == 0
    assert _differ(plain, det)


def test_run_render_in_memory_uses_scores(tmp_path, capsys):
    png = tmp_path / "m.png"  # no -o: F1 and detectability come from the run in memory
    assert main(["run", str(EXAMPLES / "layout_tetrode.toml"), "--render", str(png), "--no-progress"]) == 0
    assert _non_blank(png)


@pytest.mark.parametrize("argv, match", [
    (["render", "-o", "x.png", "--color-by", "snr"],
     "--color-by snr needs simulation results: give --from RESULT.h5"),
    (["render", "-o", "x.png", "--color-by", "noise", "--cells", "detectable"],
     "--color-by noise and --cells detectable need simulation results"),
    (["render", "-o", "x.png", "--cells", "detectable"], "--cells detectable needs simulation results"),
    (["run", "--render", "x.png", "--color-by", "noise"],
     "--color-by noise needs simulation results: add -o FILE.h5"),
    (["render", "--from", "missing.h5", "-o", "x.png"],
     "--from must name a result file written by 'neurosim run -o', got 'missing.h5' (no such file)"),
])
def test_render_needs_results_error(argv, match, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert match in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_render_from_file_of_another_design(linear_result, tmp_path, capsys):
    argv = ["render", str(EXAMPLES / "layout_multishank.toml"), "--from", str(linear_result),
            "-o", str(tmp_path / "x.png"), "--color-by", "f1"]
    assert main(argv) == 2
    assert "--from file has 16 channels but the design's implant has 32" in capsys.readouterr().err


def test_render_from_a_file_missing_what_is_asked(linear_result, tmp_path, capsys):
    import shutil

    import h5py

    partial = tmp_path / "partial.h5"
    shutil.copy(linear_result, partial)
    with h5py.File(partial, "a") as f:
        del f["scores/channel/f1"]
        del f.attrs["design_toml"]
    argv = ["render", str(EXAMPLES / "layout_linear.toml"), "--from", str(partial), "-o", str(tmp_path / "x.png")]
    assert main([*argv, "--color-by", "f1"]) == 2
    assert "--from file has no dataset /scores/channel/f1, which --color-by f1 needs" in capsys.readouterr().err
    assert main(["render", "--from", str(partial), "-o", str(tmp_path / "x.png")]) == 2
    assert "stores no design (root attribute 'design_toml'): give the design file" in capsys.readouterr().err


def test_render_from_a_file_that_is_not_a_result(tmp_path, capsys):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5")
    assert main(["render", "--from", str(bad), "-o", str(tmp_path / "x.png")]) == 2
    assert "--from must name a result file written by 'neurosim run -o'" in capsys.readouterr().err


@pytest.mark.parametrize("option, value, allowed", [
    ("--color-by", "bogus", "'none', 'impedance', 'alive', 'snr', 'f1', 'noise'"),
    ("--cells", "size", "'type', 'detectable'"),
])
def test_render_bad_option_value(option, value, allowed, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["render", "-o", str(tmp_path / "x.png"), option, value])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: invalid choice: '{value}'" in err and allowed in err


# -- a render a designer can read, counting the cells a run counts (issue 13, items 4 and 10) --

def _capture_render(monkeypatch):
    import electrode_models.render as render

    calls = []
    real = render.render_implant

    def spy(path, *args, **kwargs):
        calls.append((args, kwargs))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(render, "render_implant", spy)
    return calls


def test_render_and_run_report_the_same_cells(tmp_path, monkeypatch, capsys):
    from neurosim.design import design_to_toml
    from neurosim.pipeline import run

    design = load_design(EXAMPLES / "layout_linear.toml").replace(**{
        "population.model": "poisson", "seed": 5, "recording.duration_s": 0.4,
        "chip.detector.calibration_s": 0.1})
    toml = tmp_path / "d.toml"
    toml.write_text(design_to_toml(design))
    calls = _capture_render(monkeypatch)
    assert main(["render", str(toml), "-o", str(tmp_path / "r.png")]) == 0
    (_, _, _, cell_pos, types), kwargs = calls[0]
    result = run(design, progress=False)
    assert len(cell_pos) == result.metrics["num_cells"] == result.summary["cells simulated"]
    np.testing.assert_array_equal(cell_pos, result.activity.positions_um)
    assert f"{result.metrics['num_cells']} cells simulated" in kwargs["title"]


def test_render_with_values_puts_a_contact_map_beside_the_scene(tmp_path, monkeypatch):
    import neurosim.report as report

    figures = []
    real = report.make_implant_figure

    def spy(*args, **kwargs):
        fig = real(*args, **kwargs)
        figures.append((args, kwargs, fig))
        return fig

    monkeypatch.setattr(report, "make_implant_figure", spy)
    calls = _capture_render(monkeypatch)
    png = tmp_path / "imp.png"
    assert main(["render", str(EXAMPLES / "layout_utah.toml"), "-o", str(png),
                 "--color-by", "impedance"]) == 0
    (_, _, _, _, _), render_kwargs = calls[0]
    values = render_kwargs["contact_values"]
    (scene, positions, map_values, _), kwargs, fig = figures[0]
    np.testing.assert_array_equal(map_values, values)  # the same numbers in 3-D and in the map
    assert kwargs["label"] == "impedance at 1 kHz (kOhm)"
    contacts = fig.axes[1].collections[0]
    np.testing.assert_array_equal(contacts.get_array(), values[np.isfinite(values)])
    assert fig.axes[2].get_ylabel() == "impedance at 1 kHz (kOhm)"  # the colour bar, with its unit
    assert PIL.open(png).size[0] > PIL.open(png).size[1]  # scene and map side by side
    assert not Path(scene).exists()  # the intermediate scene went with its temporary folder
