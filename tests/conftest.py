"""Shared fixtures: tiny designs that run in a few seconds."""

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def tiny_design():
    """A 16-channel Neuropixels-like shank, 0.6 s: ~100 cells, runs in seconds."""
    from neurosim.design import Design

    return Design.from_dict({
        "name": "tiny", "seed": 7,
        "population": {"reach_radius_um": 40.0},
        "implant": {"layout": "neuropixels1", "layout_params": {"num_channels": 16}},
        "chip": {"detector": {"calibration_s": 0.1}},
        "recording": {"duration_s": 0.6, "chunk_s": 0.25},
    })
