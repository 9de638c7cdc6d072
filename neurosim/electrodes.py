"""The electrode stage as the orchestrator sets it up: probe, interface, noise and chronic state.

Everything here turns the design into arrays for the ``electrode_models`` kernels:

- the probe (a layout generator or a probeinterface JSON file), moved to its insertion point;
- per-channel signal gain: the electrode–amplifier divider |Z_in/(Z_in + Z_e)| at 1 kHz (a spike's
  energy is near 1 kHz; a first-order, frequency-flat approximation), times the chronic signal
  attenuation, times 2 for contacts on an insulating surface (the image of every source in the
  insulating backing doubles the potential on the plane: subdural grids);
- per-channel white-noise sigma over 0..fs/2: electrode thermal noise integrated over the front
  end's band from 4kT·Re Z(f)·|H(f)|² (then spread flat over the Nyquist band so that the band
  noise is right after filtering), plus the amplifier's input-referred noise;
- chronic change at ``implant.days_since_implant``: impedance factor (thermal noise), attenuation
  (signal), dead channels (no neural signal, no electrode noise; only the amplifier's), and loss of
  neurons in the kill zone around the contacts (their spikes are removed from the recording and
  they are flagged in the ground truth).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

import electrode_models as em

__all__ = ["ProbeSetup", "build_probe", "ElectrodeSetup", "setup_electrodes", "DriftSetup",
           "setup_drift", "setup_background"]


@dataclass
class ProbeSetup:
    probe: object
    positions_um: np.ndarray
    normals: np.ndarray
    radius_um: np.ndarray
    anatomical_class: str


def build_probe(design) -> ProbeSetup:
    """The design's probe (generated, or read from ``implant.layout_file``), moved laterally."""
    imp = design.implant
    if imp.layout == "custom":
        probe = em.probe_from_json(imp.layout_file)
    else:
        probe = em.make_probe(imp.layout, site_radius_um=imp.site_radius_um, **imp.layout_params)
    probe.move([imp.position_um[0], imp.position_um[1], 0.0])
    positions = np.asarray(probe.contact_positions, dtype=float)
    radius = np.array([p.get("radius", np.sqrt(p.get("width", 10.0) * p.get("height", p.get("width", 10.0))
                                                   / np.pi)) for p in probe.contact_shape_params], float)
    return ProbeSetup(probe=probe, positions_um=positions, normals=em.contact_normals(probe),
                      radius_um=radius, anatomical_class=em.anatomical_class(probe))


@dataclass
class ElectrodeSetup:
    """Per-channel arrays of the electrode stage (C = channels)."""

    signal_gain: np.ndarray        # (C,) multiplies every template on the channel
    noise_sigma_uV: np.ndarray     # (C,) white-noise sigma over 0..fs/2 (thermal + amplifier)
    impedance_ohm: np.ndarray      # (C,) |Z(1 kHz)| including the chronic factor
    alive: np.ndarray              # (C,) bool
    cell_alive: np.ndarray         # (U,) bool, neurons surviving the chronic kill zone


def setup_electrodes(design, probe: ProbeSetup, cell_positions_um: np.ndarray, seed: int) -> ElectrodeSetup:
    """Per-channel gains, noise and chronic state for a design (see the module docstring)."""
    imp, fe, tissue = design.implant, design.chip.front_end, design.tissue
    fs = design.recording.fs_hz
    num_channels = len(probe.positions_um)
    chronic = em.chronic_state(imp.days_since_implant, num_channels, seed)
    sigma_t = tissue.conductivity_S_per_m
    gain = np.empty(num_channels)
    thermal = np.empty(num_channels)
    impedance = np.empty(num_channels)
    cache: dict = {}
    for c, (r, zf) in enumerate(zip(probe.radius_um, chronic.impedance_factor)):
        key = (round(float(r), 6), round(float(zf), 9))
        if key not in cache:
            h = em.amplifier_divider_gain(imp.material, r, 1000.0, imp.amplifier_input_capacitance_pF,
                                          imp.amplifier_input_resistance_ohm, sigma_t, zf)
            band = em.interface_thermal_noise_uV_rms(
                imp.material, r, fe.highpass_hz, fe.lowpass_hz, tissue.temperature_K, sigma_t, zf,
                input_capacitance_pF=imp.amplifier_input_capacitance_pF or None,
                input_resistance_ohm=imp.amplifier_input_resistance_ohm)
            z = abs(complex(em.impedance_spectrum(imp.material, r, 1000.0, sigma_t, zf)))
            cache[key] = (abs(complex(h)), band, z)
        gain[c], thermal[c], impedance[c] = cache[key]
    spread = np.sqrt((fs / 2) / (fe.lowpass_hz - fe.highpass_hz))  # band rms -> white over Nyquist
    thermal_white = np.where(chronic.alive & imp.noise.thermal, thermal * spread, 0.0)
    # the amplifier's noise is white here, unless the chip generates it (with its 1/f corner)
    amp_white = fe.noise_uV_rms * spread if (imp.noise.amplifier and not fe.add_amplifier_noise) else 0.0
    gain = gain * chronic.attenuation * np.where(chronic.alive, 1.0, 0.0)
    if probe.anatomical_class == "subdural":
        gain = gain * 2.0
    if len(cell_positions_um):
        dist, _ = cKDTree(probe.positions_um).query(cell_positions_um, k=1)
        cell_alive = em.cell_survival_mask(dist, imp.days_since_implant, seed)
    else:
        cell_alive = np.zeros(0, bool)
    return ElectrodeSetup(signal_gain=gain, noise_sigma_uV=np.hypot(thermal_white, amp_white),
                          impedance_ohm=impedance, alive=chronic.alive, cell_alive=cell_alive)


@dataclass
class DriftSetup:
    templates: object            # electrode_models.DriftingTemplates
    displacement_um: np.ndarray  # (num_spikes,) displacement at each spike


def setup_drift(design, probe: ProbeSetup, activity, spike_samples, spike_units, signal_gain, seed: int,
                **template_kwargs) -> DriftSetup | None:
    """Templates on a grid of displacements and each spike's displacement (None: no drift).

    The ground-truth templates stay the undisplaced ones; the recording moves with the probe.
    """
    dr = design.implant.drift
    if dr.kind == "none" or dr.amplitude_um == 0:
        return None
    fs = design.recording.fs_hz
    motion = em.DriftMotion(dr.kind, dr.amplitude_um, dr.period_s, dr.step_time_s, seed=seed)
    scale = None
    top, bottom = probe.positions_um[:, 2].max(), probe.positions_um[:, 2].min()
    if dr.non_rigid and top > bottom:
        scale = em.nonrigid_scale(activity.positions_um[:, 2], top, bottom, 1.0, dr.nonrigid_bottom_scale)
    reach = motion.max_abs_um * (max(1.0, dr.nonrigid_bottom_scale) if dr.non_rigid else 1.0)
    grid = np.arange(-reach - dr.grid_step_um, reach + 2 * dr.grid_step_um, dr.grid_step_um)
    direction = {"probe_axis": (0.0, 0.0, 1.0), "x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0),
                 "z": (0.0, 0.0, 1.0)}[dr.direction]
    from neurosim.populations import CELL_TYPE_NAMES

    dt = em.compute_drifting_templates(
        grid, np.asarray(direction), np.asarray(CELL_TYPE_NAMES)[activity.cell_types],
        activity.positions_um, activity.orientations, probe.positions_um, probe.normals,
        float(probe.radius_um.mean()), fs, **template_kwargs)
    idx = dt.channel_index
    col_gain = np.where(idx >= 0, signal_gain[np.maximum(idx, 0)], 0.0).astype(np.float32)
    dt.waveforms_uV *= col_gain[None, :, None, :]
    disp = em.spike_displacements_um(spike_samples, spike_units, fs, motion, unit_scale=scale)
    return DriftSetup(templates=dt, displacement_um=disp)


def setup_background(design, probe: ProbeSetup, seed: int):
    """The far-neuron background generator, or None when ``implant.noise.background_uV_rms`` is 0."""
    nz = design.implant.noise
    if nz.background_uV_rms <= 0:
        return None
    return em.BackgroundNoise(probe.positions_um, design.recording.fs_hz, nz.background_uV_rms, seed,
                              alpha=nz.background_alpha, length_constant_um=nz.background_length_constant_um,
                              corner_hz=nz.background_corner_hz)
