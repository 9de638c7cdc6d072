"""electrode_models: from cells to microvolts on the electrodes of a brain implant.

A numerical library (arrays and floats in, arrays out; no I/O, no orchestration):

- :mod:`~electrode_models.probes`: probe layouts (Utah 96, Neuropixels 1.0) as probeinterface
  objects placed in the tissue frame (µm; surface z = 0, tissue z < 0).
- :mod:`~electrode_models.morphology`: reduced multi-compartment cells and their transmembrane
  currents during a spike.
- :mod:`~electrode_models.conductor`: point/line sources and finite disc electrodes in an
  infinite homogeneous volume conductor (gain matrices, µV per nA).
- :mod:`~electrode_models.templates`: sparse spike templates of many cells on a probe.
- :mod:`~electrode_models.pickup`: injecting spikes into a (samples x channels) chunk.
- :mod:`~electrode_models.noise`: counter-based Gaussian noise, thermal noise level.
- :mod:`~electrode_models.materials`: electrode impedance per material and site size.

Units: µm, s (ms where named), Hz, µV, nA, S/m, Ω; every physical name carries its unit.
"""

from .conductor import gain_matrix, point_source_potential_uV
from .materials import electrode_impedance, list_materials, spreading_resistance_ohm
from .morphology import (CELL_TYPES, Morphology, get_morphology, interneuron_morphology,
                         pyramidal_morphology, transmembrane_currents)
from .noise import add_gaussian_noise, thermal_noise_uV_rms
from .pickup import inject_spikes
from .probes import contact_normals, list_layouts, make_probe, probe_from_json, probe_to_json
from .templates import SparseTemplates, compute_templates

__all__ = [
    "CELL_TYPES", "Morphology", "SparseTemplates", "add_gaussian_noise", "compute_templates",
    "contact_normals", "electrode_impedance", "gain_matrix", "get_morphology", "inject_spikes",
    "interneuron_morphology", "list_layouts", "list_materials", "make_probe",
    "point_source_potential_uV", "probe_from_json", "probe_to_json", "pyramidal_morphology",
    "spreading_resistance_ohm", "thermal_noise_uV_rms", "transmembrane_currents",
]
