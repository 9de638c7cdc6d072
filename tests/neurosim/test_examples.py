"""The example designs demonstrate something: the right material, cells and spikes, and, for the
surface and endovascular examples, the LFP of the network's current dipoles (and units on µECoG)."""

from pathlib import Path

import h5py
import numpy as np
import pytest

import neurosim
from neurosim.cortex import get_activity
from neurosim.design import load_design
from neurosim.electrodes import build_probe, setup_dipole_lfp

EXAMPLES = Path(__file__).parents[2] / "examples"
ALL = sorted(EXAMPLES.glob("*.toml"))
SURFACE = ("layout_ecog", "layout_uecog", "layout_epidural", "layout_stent")
POISSON = [pytest.param(p, marks=pytest.mark.slow) if p.stem == "layout_utah96" else p  # 96 tips: ~40 s
           for p in ALL if p.stem.startswith("layout_") and p.stem not in SURFACE]
OTHER = [p for p in ALL if not p.stem.startswith("layout_")]


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_neuropixels_examples_use_tin(path):
    """Neuropixels 1.0 and 2.0 sites are TiN (Jun et al. 2017; Steinmetz et al. 2021), the material
    ``electrode_models.materials`` calibrates on the NP 1.0 site (150 kΩ at 1 kHz); Pt there would
    read ~3.9 MΩ and lose a fifth of the signal in the amplifier divider."""
    d = load_design(path)
    if d.implant.layout in ("neuropixels1", "neuropixels2"):
        assert d.implant.material == "TiN"


def _run(path, tmp_path):
    out = tmp_path / f"{path.stem}.h5"
    r = neurosim.run(path, out, progress=False)
    assert r.summary["cells simulated"] > 0
    assert r.summary["spikes"] > 0
    return r, out


@pytest.mark.parametrize("path", POISSON, ids=lambda p: getattr(p, "stem", None))
def test_intracortical_examples_have_cells_spikes_and_units(path, tmp_path):
    r, _ = _run(path, tmp_path)
    assert r.summary["detectable units"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("name", SURFACE)
def test_surface_examples_record_the_lfp_of_the_cells_beneath(name, tmp_path):
    """Cells in the cortex beneath every contact; the chip's LFP band carries the dipole LFP (the
    head model's potential of the network's dipoles, :func:`setup_dipole_lfp`) at tens of µV or more
    (ECoG and µECoG LFPs: tens to hundreds of µV; Buzsáki et al. 2012), well above the band's noise;
    the µECoG's 20 µm sites on the pia also record single units (Khodagholy et al. 2015)."""
    path = EXAMPLES / f"{name}.toml"
    r, out = _run(path, tmp_path)
    design = load_design(path)
    setup = build_probe(design)
    ch = int(np.argmin(setup.positions_um[:, 2]))  # the contact nearest the cortex
    with h5py.File(out, "r") as f:
        lfp = f["lfp/lfp_uV"][:, ch].astype(float)
        fs_lfp = float(f["lfp/fs_hz"][()])
    lfp = lfp[int(0.1 * fs_lfp):]  # past the filters' and the network's onset
    recorded = float(np.std(lfp))
    model = setup_dipole_lfp(design, setup, r.activity)
    dip = model.potential_uV(int(0.1 * design.recording.fs_hz), int(0.4 * design.recording.fs_hz))[:, ch]
    assert recorded >= 10.0
    assert 0.5 <= recorded / float(np.std(dip)) <= 1.5  # what the chip records is the dipole LFP
    if name == "layout_uecog":
        assert r.summary["detectable units"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("path", OTHER, ids=lambda p: p.stem)
def test_model_examples_have_cells_and_spikes(path):
    """The model-family examples (network, column, motor task, sweep base): their cortex, over a
    shortened recording."""
    d = load_design(path)
    act, _ = get_activity(d.population, 0.3, d.seed, build_probe(d).placement_positions_um)
    assert act.num_cells > 0 and act.num_spikes > 0
