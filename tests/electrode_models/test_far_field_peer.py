"""The templates' far field against a peer: Blue Brain cells in NEURON through LFPy.

The peer's curves are stored (``tests/data/bbp_far_field.json``, written by
``benchmarks/bench_far_field.py --peer --store`` with MEArec 1.11.0, LFPy 2.3.7, NEURON 9.0.2), so
CI needs neither NEURON nor MEArec; the twin's side is recomputed here with the benchmark's
protocol (same points, band, energy). The far-cell background of a run integrates exactly this
band energy over distance (`neurosim.electrodes.far_cell_background_uV_rms`).
"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_far_field", ROOT / "benchmarks" / "bench_far_field.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

PEER = json.loads(bench.STORED.read_text())
FAR = (bench.DISTANCES_UM >= 200) & (bench.DISTANCES_UM <= 1000)


@pytest.fixture(scope="module")
def twin():
    return {cls: bench.twin_far_field(cls) for cls, _ in bench.PAIRS}


def test_stored_peer_curves_are_complete():
    assert PEER["_meta"]["distances_um"] == bench.DISTANCES_UM.tolist()
    for _, bbp in bench.PAIRS:
        assert len(PEER[bbp]["sphere"]["E_over_E50"]) == len(bench.DISTANCES_UM)
        assert PEER[bbp]["spikes"] >= 2


@pytest.mark.parametrize("twin_class, bbp", bench.PAIRS)
def test_far_field_is_dipolar_like_the_peer(twin, twin_class, bbp):
    """Beyond 200 µm both sides fall like a current dipole, E ∝ d^-4 (p = 4), within 0.3 of each other."""
    p_twin = twin[twin_class]["sphere"]["p_200_1000"]
    p_peer = PEER[bbp]["sphere"]["p_200_1000"]
    assert 3.7 <= p_twin <= 4.5
    assert p_twin == pytest.approx(p_peer, abs=0.3)


@pytest.mark.parametrize("twin_class, bbp", [
    pytest.param(*pair, marks=pytest.mark.xfail(strict=True, reason=reason))
    for pair, reason in zip(bench.PAIRS, (
        "the twin's L5 pyramidal cell carries 2.5-4.6x the BBP cell's far energy relative to 50 um "
        "(docs/physics.md, calibration: what is left)",
        "the twin's basket cell carries ~0.1x the BBP basket cell's far energy relative to 50 um"))])
def test_far_energy_relative_to_50_um_within_2x_of_the_peer(twin, twin_class, bbp):
    """How much of a spike's band energy reaches 200 µm-1 mm, relative to 50 µm, as in the peer (2x)."""
    ratio = np.array(twin[twin_class]["sphere"]["E_over_E50"]) / np.array(PEER[bbp]["sphere"]["E_over_E50"])
    assert np.all((ratio[FAR] > 0.5) & (ratio[FAR] < 2.0)), ratio[FAR]
