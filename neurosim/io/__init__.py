"""File formats: the neurosim HDF5 schema, atomic writer and reader; SpikeInterface and NWB interop.

The interop functions need optional packages (``pip install neurosim[interop]``: spikeinterface,
pynwb). They are imported on first use, so ``import neurosim.io`` needs neither:

- `read_recording`, `read_sorting`, `read_templates`,
  `read_events_as_sorting` — from `neurosim.io.si` (SpikeInterface);
- `export_nwb` — from `neurosim.io.nwb` (pynwb).
"""

import importlib

from neurosim.io.hdf5 import AtomicH5Writer, read_result, spike_times_s, validate_file
from neurosim.io.schema import SCHEMA

_LAZY = {"read_recording": "neurosim.io.si", "read_sorting": "neurosim.io.si",
         "read_templates": "neurosim.io.si", "read_events_as_sorting": "neurosim.io.si",
         "export_nwb": "neurosim.io.nwb"}

__all__ = ["AtomicH5Writer", "read_result", "spike_times_s", "validate_file", "SCHEMA", *_LAZY]


def __getattr__(name):
    """Import an interop function (and its optional dependency) on first access (PEP 562)."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'neurosim.io' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
