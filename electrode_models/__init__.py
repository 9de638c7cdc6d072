"""electrode_models: from cells to microvolts on the electrodes of a brain implant.

A numerical library (arrays and floats in, arrays out; no I/O, no orchestration):

- `electrode_models.probes`: the layout library (intracortical, subdural, epidural,
  endovascular; generators in `electrode_models.layouts`) as probeinterface objects placed
  in the tissue frame (µm; surface z = 0, tissue z < 0).
- `electrode_models.conductor`: volume conductors as gain matrices, µV per nA (point/line
  sources and finite disc electrodes in the infinite isotropic medium; anisotropic medium;
  half-space with the method of images; current dipoles).
- `electrode_models.headmodel`: the four-sphere head model (brain, CSF, skull, scalp) for
  current dipoles seen by subdural, epidural, endovascular and scalp electrodes.
- `electrode_models.chronic`: encapsulation, dead channels, neuron loss vs days since implant.
- `electrode_models.morphology`: multi-compartment cells and their transmembrane
  currents during a spike.
- `electrode_models.cells`: the cell library (seven cortical classes, morphological and
  spike-shape variants, class mix by layer, SWC reconstructions via `electrode_models.swc`).
- `electrode_models.templates`: sparse spike templates of many cells on a probe.
- `electrode_models.pickup`: injecting spikes into a (samples x channels) chunk.
- `electrode_models.noise`: counter-based Gaussian noise, thermal noise level.
- `electrode_models.background`: far-neuron background noise (1/f^α, correlated by distance).
- `electrode_models.drift`: rigid/non-rigid micromotion and the drifting pickup.
- `electrode_models.materials`: impedance spectra per material and site size, band thermal
  noise, the electrode-amplifier divider.

Units: µm, s (ms where named), Hz, µV, nA, S/m, Ω; every physical name carries its unit.
"""

from .conductor import gain_matrix, point_source_potential_uV
from .background import (BackgroundNoise, add_background_noise, background_level_uV_rms,
                         correlation_mixing_matrix)
from .chronic import (ChronicParams, ChronicState, cell_survival_mask, channel_yield,
                      chronic_state, impedance_factor, kill_zone_radius_um, signal_attenuation)
from .drift import (DRIFT_KINDS, DriftingTemplates, DriftMotion, compute_drifting_templates,
                    inject_spikes_drifting, nonrigid_scale, spike_displacements_um)
from .materials import (amplifier_divider_gain, electrode_impedance, encapsulation_resistance_ohm,
                        impedance_spectrum, interface_thermal_noise_uV_rms, list_materials,
                        spreading_resistance_ohm, thermal_noise_psd_V2_per_hz)
from .cells import (CELL_CLASSES, CLASS_ALIASES, EXCITATORY_CLASSES, NUM_VARIANTS,
                    assign_cell_classes, cell_variant, draw_spin_rad, draw_variants, get_morphology,
                    is_excitatory_class, load_swc)
from .morphology import Morphology, action_potential_mV, transmembrane_currents
from .noise import add_gaussian_noise, thermal_noise_uV_rms
from .pickup import inject_spikes, prune_template_channels
from .probes import (ANATOMICAL_CLASSES, anatomical_class, contact_normals, layout_anatomical_class,
                     list_layouts, make_probe, probe_from_json, probe_to_json)
from .templates import SparseTemplates, compute_templates
from .headmodel import DEFAULT_RADII_UM, DEFAULT_SIGMA_S_PER_M, FourSphereConductor
from .conductor import HalfSpaceConductor, InfiniteConductor

__all__ = [
    "BackgroundNoise", "add_background_noise", "background_level_uV_rms",
    "correlation_mixing_matrix", "DRIFT_KINDS", "DriftingTemplates", "DriftMotion",
    "compute_drifting_templates", "inject_spikes_drifting", "nonrigid_scale",
    "spike_displacements_um",
    "DEFAULT_RADII_UM", "DEFAULT_SIGMA_S_PER_M", "FourSphereConductor",
    "ANATOMICAL_CLASSES", "ChronicParams", "ChronicState", "HalfSpaceConductor", "InfiniteConductor",
    "amplifier_divider_gain", "anatomical_class", "cell_survival_mask", "channel_yield",
    "chronic_state", "encapsulation_resistance_ohm", "impedance_factor", "impedance_spectrum",
    "interface_thermal_noise_uV_rms",
    "kill_zone_radius_um", "layout_anatomical_class", "signal_attenuation",
    "thermal_noise_psd_V2_per_hz",
    "CELL_CLASSES", "CLASS_ALIASES", "EXCITATORY_CLASSES", "NUM_VARIANTS", "assign_cell_classes",
    "cell_variant", "draw_spin_rad", "draw_variants", "is_excitatory_class", "load_swc",
    "action_potential_mV",
    "Morphology", "SparseTemplates", "add_gaussian_noise", "compute_templates",
    "contact_normals", "electrode_impedance", "gain_matrix", "get_morphology", "inject_spikes",
    "list_layouts", "list_materials", "make_probe", "prune_template_channels",
    "point_source_potential_uV", "probe_from_json", "probe_to_json",
    "spreading_resistance_ohm", "thermal_noise_uV_rms", "transmembrane_currents",
]
