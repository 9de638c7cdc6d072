"""Shared fixtures: tiny designs that run in a few seconds."""

import hashlib
import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
# the CLI caches cortices and templates under NEUROSIM_CACHE_DIR: a temporary folder, never ~/.cache
_CACHE = __import__("tempfile").mkdtemp(prefix="neurosim-test-cache-")
os.environ["NEUROSIM_CACHE_DIR"] = _CACHE
__import__("atexit").register(__import__("shutil").rmtree, _CACHE, ignore_errors=True)


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


#: Datasets that the same design and seed must reproduce bit for bit (traces, events, ground truth).
DETERMINISTIC_DATASETS = ("recording/traces_uV", "recording/traces_adc", "chip/events/sample_index",
                          "chip/events/channel", "ground_truth/spike_samples")


def _h5_digest(path, names=DETERMINISTIC_DATASETS) -> str:
    import h5py

    h = hashlib.sha256()
    with h5py.File(path, "r") as f:
        for name in names:
            h.update(f[name][()].tobytes())
    return h.hexdigest()


@pytest.fixture(scope="session")
def h5_digest():
    """``h5_digest(path, names=DETERMINISTIC_DATASETS)``: SHA-256 over these datasets of a file."""
    return _h5_digest
