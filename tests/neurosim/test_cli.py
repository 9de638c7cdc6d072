"""The command line on a tiny design, and headless rendering."""

import numpy as np
import pytest

from neurosim.cli import main
from neurosim.design import design_to_toml


@pytest.fixture()
def tiny_toml(tiny_design, tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(design_to_toml(tiny_design))
    return path


def test_cli_run_prints_summary_and_writes(tiny_toml, tmp_path, capsys):
    out = tmp_path / "o.h5"
    png = tmp_path / "o.png"
    assert main(["run", str(tiny_toml), "-o", str(out), "--render", str(png), "--no-progress"]) == 0
    text = capsys.readouterr().out
    for key in ("channels", "cells simulated", "F1", "power total (mW)", "raw rate (Mbit/s)"):
        assert key in text
    assert out.exists() and png.exists()


def test_cli_design_show_and_validate(tiny_toml, capsys):
    assert main(["design", "show"]) == 0
    assert 'layout = "utah96"' in capsys.readouterr().out
    assert main(["design", "validate", str(tiny_toml)]) == 0
    assert "valid" in capsys.readouterr().out


def test_cli_bad_design_exit_code_and_message(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[chip.adc]\nbits = 40\n")
    assert main(["design", "validate", str(bad)]) == 2
    assert "chip.adc.bits must be in [1, 16] bit, got 40" in capsys.readouterr().err
    bad.write_text('[implant]\nlayout = "utah96"\nlayout_params = { pitch_um = -3 }\n')
    assert main(["render", str(bad), "-o", str(tmp_path / "x.png")]) == 2
    assert "pitch_um" in capsys.readouterr().err


def test_render_png_non_blank_and_layout_specific(tiny_toml, tmp_path):
    from PIL import Image

    a, b = tmp_path / "np.png", tmp_path / "utah.png"
    assert main(["render", str(tiny_toml), "-o", str(a)]) == 0
    assert main(["render", "-o", str(b)]) == 0
    ia = np.asarray(Image.open(a).convert("L"), float)
    ib = np.asarray(Image.open(b).convert("L"), float)
    assert ia.std() > 5 and ib.std() > 5  # not a blank canvas
    assert ia.shape == ib.shape and np.mean(np.abs(ia - ib)) > 2  # layouts look different
