"""The far-neuron background level from the cells beyond the outer radius (Campbell's theorem)."""

import numpy as np
import pytest

from neurosim.design import default_design
from neurosim.electrodes import build_probe, far_cell_background_uV_rms, setup_background

BASE = {"population.model": "poisson", "implant.layout": "tetrode"}


def _level(**changes):
    design = default_design().replace(**{**BASE, **changes})
    return far_cell_background_uV_rms(design, build_probe(design), num_cells=400)


def test_level_scales_as_sqrt_of_density_and_rate():
    """Shot noise: variance linear in density and in rate (same cells, same seed)."""
    base = _level()
    assert base > 0
    assert _level(**{"population.density_per_mm3": 240000.0}) == pytest.approx(2 * base, rel=1e-9)
    both = _level(**{"population.poisson.pyramidal_median_hz": 8.0,
                     "population.poisson.interneuron_median_hz": 40.0})
    assert both == pytest.approx(2 * base, rel=1e-9)


def test_level_falls_as_the_outer_radius_grows():
    near, far = _level(**{"population.outer_radius_um": 100.0}), _level(**{"population.outer_radius_um": 300.0})
    assert far < near


def test_no_far_cells_in_the_white_matter():
    """Somata lie in the grey matter: cells below layer 6 do not count (same cells, same seed).
    Deepening the grey matter from 2 to 3.1 mm (past the 2 mm the far cells are drawn to) adds the
    cells 1-2 mm under the contact, a few % of the variance; ending it 10 um under the contact
    removes the L5 and L6 pyramidal cells below, most of the far field of a contact in L4/L5."""
    design = default_design().replace(**BASE)
    depth = float(-np.median(build_probe(design).positions_um[:, 2]))
    b = design.population.column.layer_boundaries_um
    assert b[2] <= depth < b[3] - 20.0 and b[4] - depth == 1000.0
    base = _level()
    deep = _level(**{"population.column.layer_boundaries_um": (*b[:4], depth + 2100.0)})
    thin = _level(**{"population.column.layer_boundaries_um": (*b[:3], depth + 5.0, depth + 10.0)})
    assert base < deep and 0.001 < 1 - (base / deep) ** 2 < 0.1
    assert (thin / base) ** 2 < 0.5


def test_background_on_by_default_and_switchable():
    design = default_design().replace(**BASE)
    probe = build_probe(design)
    assert design.implant.noise.background_uV_rms is None
    gen = setup_background(design, probe, 1)
    assert gen is not None and gen.level_uV_rms > 0
    off = default_design().replace(**{**BASE, "implant.noise.background_uV_rms": 0.0})
    assert setup_background(off, probe, 1) is None
    fixed = default_design().replace(**{**BASE, "implant.noise.background_uV_rms": 7.0})
    assert setup_background(fixed, probe, 1).level_uV_rms == 7.0


def test_cached_far_cell_templates_give_the_same_level(tmp_path, monkeypatch):
    """With a cache folder the far cells' templates are written once and read back: the level is
    exactly the one computed without a cache, and the second call computes no template."""
    import electrode_models as em

    design = default_design().replace(**BASE)
    probe = build_probe(design)
    fresh = far_cell_background_uV_rms(design, probe, num_cells=400)
    first = far_cell_background_uV_rms(design, probe, num_cells=400, cache_dir=tmp_path)
    assert first == fresh
    assert len(list(tmp_path.glob("templates-*.npz"))) == 1

    def no_compute(*args, **kwargs):
        raise AssertionError("templates recomputed although cached")

    monkeypatch.setattr(em, "compute_templates", no_compute)
    assert far_cell_background_uV_rms(design, probe, num_cells=400, cache_dir=tmp_path) == fresh
    # the rates are not part of the cached templates: a new rate changes the level as without a cache
    faster = design.replace(**{"population.poisson.pyramidal_median_hz": 8.0,
                               "population.poisson.interneuron_median_hz": 40.0})
    assert far_cell_background_uV_rms(faster, probe, num_cells=400, cache_dir=tmp_path) == \
        pytest.approx(2 * fresh, rel=1e-9)
