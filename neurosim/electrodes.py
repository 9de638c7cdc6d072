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

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

import electrode_models as em
from electrode_models._validation import check_array, check_chunk, check_option, check_range

__all__ = [
    "LFP_PATCH_RADIUS_UM",
    "DipoleLFP",
    "DriftSetup",
    "ElectrodeSetup",
    "ProbeSetup",
    "build_probe",
    "default_template_cache_dir",
    "far_cell_background_uV_rms",
    "get_templates",
    "placement_positions_um",
    "setup_background",
    "setup_dipole_lfp",
    "setup_drift",
    "setup_electrodes",
    "template_key",
]


@dataclass
class ProbeSetup:
    probe: object
    positions_um: np.ndarray
    normals: np.ndarray
    radius_um: np.ndarray
    anatomical_class: str

    @property
    def placement_positions_um(self) -> np.ndarray:
        """Where the cortex places cells for this probe, µm, shape (C, 3): `placement_positions_um`."""
        return placement_positions_um(self.positions_um, self.anatomical_class)


def placement_positions_um(contact_positions_um, anatomical_class: str) -> np.ndarray:
    """The points around which the cortex places cells for these contacts, µm.

    Cells are simulated within ``population.reach_radius_um`` (and ``outer_radius_um``) of these
    points and below the cortical surface (`neurosim.populations.place_cells`).
    Intracortical contacts are their own points. Subdural, epidural and endovascular contacts sit
    on or above the surface (z >= 0): each is projected onto the surface, ``(x, y, min(z, 0))``,
    so that its cells lie in the cortex beneath it; otherwise a contact 1 mm above the cortex
    (epidural grid, stent in a sinus) would have no tissue within reach and record nothing. The
    templates, the dipole LFP and the chronic kill zone still use the true contact positions.

    Parameters
    ----------
    contact_positions_um : np.ndarray, shape (num_contacts, 3)
        Contact centres in the tissue frame (surface z = 0, tissue z < 0), µm.
    anatomical_class : str
        One of ``electrode_models.ANATOMICAL_CLASSES``.

    Returns
    -------
    np.ndarray, shape (num_contacts, 3), µm (a new array).
    """
    pos = check_array("contact_positions_um", contact_positions_um, shape=(None, 3), dtype=float).copy()
    check_option("anatomical_class", anatomical_class, em.ANATOMICAL_CLASSES)
    if anatomical_class != "intracortical":
        pos[:, 2] = np.minimum(pos[:, 2], 0.0)
    return pos


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
    for c, (r, zf) in enumerate(zip(probe.radius_um, chronic.impedance_spread)):
        key = (round(float(r), 6), round(float(zf), 9))
        if key not in cache:
            # encapsulation: a series resistance that raises the bare site's |Z(1 kHz)| by F(d)
            renc = em.encapsulation_resistance_ohm(imp.material, r, chronic.encapsulation_rise, sigma_t)
            h = em.amplifier_divider_gain(imp.material, r, 1000.0, imp.amplifier_input_capacitance_pF,
                                          imp.amplifier_input_resistance_ohm, sigma_t, zf, renc)
            band = em.interface_thermal_noise_uV_rms(
                imp.material, r, fe.highpass_hz, fe.lowpass_hz, tissue.temperature_K, sigma_t, zf,
                input_capacitance_pF=imp.amplifier_input_capacitance_pF or None,
                input_resistance_ohm=imp.amplifier_input_resistance_ohm, encapsulation_ohm=renc)
            z = abs(complex(em.impedance_spectrum(imp.material, r, 1000.0, sigma_t, zf, renc)))
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
    motion: object               # electrode_models.DriftMotion
    fs_hz: float
    unit_scale: np.ndarray | None  # per-unit factor of non-rigid motion (None: rigid)

    def displacement_um(self, spike_samples, spike_units) -> np.ndarray:
        """Probe displacement at each spike, µm (a pure function of the spike's sample)."""
        return em.spike_displacements_um(spike_samples, spike_units, self.fs_hz, self.motion,
                                         unit_scale=self.unit_scale)


def setup_drift(design, probe: ProbeSetup, activity, signal_gain, seed: int,
                **template_kwargs) -> DriftSetup | None:
    """Templates on a grid of displacements and the motion (None: no drift).

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
    cells = activity.template_cells()
    dt = em.compute_drifting_templates(
        grid, np.asarray(direction), cells.pop("cell_classes"),
        activity.positions_um, activity.orientations, probe.positions_um, probe.normals,
        float(probe.radius_um.mean()), fs, channel_gain=np.asarray(signal_gain, float), **cells,
        **template_kwargs)
    return DriftSetup(templates=dt, motion=motion, fs_hz=fs, unit_scale=scale)


def setup_background(design, probe: ProbeSetup, seed: int, activity=None, *, cache_dir=None,
                     signal_gain=None):
    """The far-neuron background generator, or None when ``implant.noise.background_uV_rms`` is 0.

    With ``background_uV_rms`` unset the level is `far_cell_background_uV_rms` for the
    design's population (rates from ``activity``, the simulated cells; without it, the
    ``population.poisson`` medians) at the contact of median depth; ``cache_dir`` (optional)
    caches the far cells' templates there (`get_templates`). ``signal_gain`` (per channel,
    `ElectrodeSetup.signal_gain`) scales each channel's background like its spikes and LFP: the
    far cells' potential passes the same electrode-amplifier divider and chronic attenuation,
    and a dead channel records none of it.
    """
    nz = design.implant.noise
    level = nz.background_uV_rms
    if level is None:
        level = far_cell_background_uV_rms(design, probe, activity, cache_dir=cache_dir)
    if level <= 0:
        return None
    return em.BackgroundNoise(probe.positions_um, design.recording.fs_hz, level, seed,
                              alpha=nz.background_alpha, length_constant_um=nz.background_length_constant_um,
                              corner_hz=nz.background_corner_hz, channel_gain=signal_gain)


#: Far-neuron background: cells are sampled out to this distance from the contact, µm (beyond it
#: the band-limited spike energy, falling as ~1/d^4 or faster, adds < 10 % of the level's square).
FAR_CELLS_MAX_DISTANCE_UM = 2000.0


def _type_rates_hz(design, activity) -> tuple[float, float]:
    """Mean rate (Hz) of pyramidal and interneuron cells: the simulated ones, or the poisson medians."""
    from neurosim.populations import INTERNEURON, PYRAMIDAL

    if activity is not None and activity.num_cells:
        rates = activity.rates_hz()
        out = []
        for t in (PYRAMIDAL, INTERNEURON):
            r = rates[activity.cell_types == t]
            out.append(float(r.mean()) if r.size else 0.0)
        return out[0], out[1]
    opt = design.population.poisson  # log-normal: mean = median exp(sigma^2 / 2)
    boost = float(np.exp(opt.rate_sigma_ln ** 2 / 2))
    return opt.pyramidal_median_hz * boost, opt.interneuron_median_hz * boost


def far_cell_background_uV_rms(design, probe: ProbeSetup, activity=None, *, num_cells: int = 3000,
                               seed: int = 0, max_distance_um: float = FAR_CELLS_MAX_DISTANCE_UM,
                               band_hz: tuple[float, float] = (300.0, 6000.0),
                               cache_dir=None) -> float:
    """RMS (µV, in ``band_hz``) of the spikes of every cell beyond the firing radius: shot noise.

    Physics
    -------
    Cells beyond ``population.outer_radius_um`` (``R_o``) of the contact are not simulated one by
    one; each fires as a stationary point process of mean rate ``r`` (its type's mean rate), and
    its spike leaves a waveform ``v_x(t)`` at the contact that depends on its position, class,
    variant and orientation. By Campbell's theorem the variance of the sum of independent such
    processes is ``σ² = ρ ∫_{|x| > R_o} E[r] E[∫ v_x(t)² dt] d³x`` (energy taken in ``band_hz``:
    Parseval on the zero-padded template). The integral is a Monte-Carlo over ``num_cells``
    cells at distances log-uniform in ``[R_o, max_distance_um]`` (weight ``4π d³ ln(R_max/R_o)``),
    uniform directions, zero weight outside the grey matter (above the cortical surface and
    below layer 6, in the white matter: ``population.column.layer_boundaries_um``), cell classes
    drawn for their depth, random variants, spins and orientations — the same library as the
    simulated cells.

    Assumptions
    -----------
    - Far cells fire independently (pairwise correlations in the asynchronous state are ~0.01:
      Ecker et al. 2010) with the mean rate of the simulated cells of their type.
    - Homogeneous density ``population.density_per_mm3`` in the grey matter; the contact of
      median depth stands for all (the level is one number per design).

    The far cells' templates (one channel each, independent of the rates) are cached in
    ``cache_dir`` when given (`get_templates`: the same numbers, read back from a file).

    Returns
    -------
    float
        Background RMS, µV (before the channel's signal gain).
    """
    from neurosim.populations import PYRAMIDAL, draw_orientations

    pop = design.population
    r_o = float(max(pop.outer_radius_um or 0.0, pop.reach_radius_um))
    r_max = check_range("max_distance_um", max_distance_um, r_o, 1e5, "µm", low_inclusive=False)
    k = int(np.argsort(probe.positions_um[:, 2])[len(probe.positions_um) // 2])
    contact = probe.positions_um[k]
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((num_cells, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    d = r_o * np.exp(rng.random(num_cells) * np.log(r_max / r_o))
    pos = contact + u * d[:, None]
    # somata lie in the grey matter: below the surface and above the white matter under layer 6
    grey = (pos[:, 2] < -20.0) & (-pos[:, 2] <= pop.column.layer_boundaries_um[-1])
    weight = 4 * np.pi * d ** 3 * np.log(r_max / r_o) * grey
    types = np.where(rng.random(num_cells) < pop.excitatory_fraction, PYRAMIDAL, 1).astype(np.int8)
    classes = em.assign_cell_classes(types == PYRAMIDAL, -pos[:, 2], rng, pop.column.layer_boundaries_um)
    fs = design.recording.fs_hz
    t = get_templates(np.asarray(em.CELL_CLASSES)[classes], pos, draw_orientations(types, rng),
                      contact[None, :], probe.normals[k:k + 1], float(probe.radius_um[k]), fs,
                      sigma_S_per_m=design.tissue.conductivity_S_per_m,
                      cache_dir=cache_dir, use_cache=cache_dir is not None,
                      variants=em.draw_variants(num_cells, rng), spin_rad=em.draw_spin_rad(num_cells, rng),
                      max_channels=1, min_amplitude_uV=0.0, cutoff_um=r_max * 1.01)
    w = t.waveforms_uV[:, :, 0].astype(np.float64)
    n_fft = 1 << int(np.ceil(np.log2(4 * w.shape[1])))
    spec = np.fft.rfft(w, n=n_fft, axis=1) / fs
    f = np.fft.rfftfreq(n_fft, 1.0 / fs)
    in_band = (f >= band_hz[0]) & (f <= band_hz[1])
    energy = 2.0 * np.sum(np.abs(spec[:, in_band]) ** 2, axis=1) * (fs / n_fft)   # µV² s
    rate = np.where(types == PYRAMIDAL, *_type_rates_hz(design, activity))
    var = pop.density_per_mm3 * 1e-9 * np.mean(weight * rate * energy)
    return float(np.sqrt(var))


# -- LFP of the population's current dipoles ------------------------------------------------------

#: Lateral radius of the cortical patch around a contact whose pyramidal cells share the simulated
#: dipole dynamics coherently, µm: the measured spatial reach of the LFP, ~250 µm (Katzner et al.
#: 2009; Xing et al. 2009). See `setup_dipole_lfp`.
LFP_PATCH_RADIUS_UM = 250.0
#: CSF conductivity above the cortex for intracortical contacts (the four-sphere CSF value), S/m.
CSF_SIGMA_S_PER_M = em.DEFAULT_SIGMA_S_PER_M[1]
_FOUR_SPHERE_CLASSES = ("subdural", "epidural", "endovascular")


@dataclass
class DipoleLFP:
    """Adds the potential of the populations' current dipoles to chunks of the recording.

    Attributes
    ----------
    time_s : np.ndarray, shape (n_t,)
        Sample times of the dipole moments, s.
    moment_nA_um : np.ndarray, shape (n_t, P)
        Dipole moment of one pyramidal cell of each population along its apical axis, nA·µm,
        time mean removed.
    gain_uV_per_nA_um : np.ndarray, shape (C, P)
        Potential on each channel per unit per-cell moment of each population, µV/(nA·µm):
        the simulated cells near the contact plus the unsimulated rest of the patch, times the
        channel's signal gain.
    fs_hz : float
        Sampling rate of the recording, Hz.
    conductor : str
        ``"four_sphere"`` or ``"half_space"``.
    """

    time_s: np.ndarray
    moment_nA_um: np.ndarray
    gain_uV_per_nA_um: np.ndarray
    fs_hz: float
    conductor: str

    def moments_at(self, sample_index: np.ndarray) -> np.ndarray:
        """Per-cell moments (nA·µm) linearly interpolated at these samples, shape (n, P)."""
        t = np.asarray(sample_index, dtype=np.float64) / self.fs_hz
        return np.column_stack([np.interp(t, self.time_s, m) for m in self.moment_nA_um.T]) \
            if self.moment_nA_um.shape[1] else np.zeros((len(t), 0))

    def potential_uV(self, start_sample: int, num_samples: int) -> np.ndarray:
        """The dipole LFP on every channel for samples ``start_sample ..``, µV, (num_samples, C)."""
        m = self.moments_at(np.arange(start_sample, start_sample + num_samples))
        return m @ self.gain_uV_per_nA_um.T

    def add(self, x: np.ndarray, start_sample: int) -> None:
        """Add the dipole LFP to the float32 chunk ``x`` (samples x channels, µV) in place.

        The value at each sample depends only on its absolute index ``start_sample + i`` (linear
        interpolation of the dipole time series), so the output does not depend on chunking.
        """
        check_chunk("x", x)
        if x.shape[1] != self.gain_uV_per_nA_um.shape[0]:
            raise ValueError(f"x must have {self.gain_uV_per_nA_um.shape[0]} channels, got {x.shape[1]}")
        x += self.potential_uV(int(start_sample), x.shape[0]).astype(np.float32)


def _population_layers(design, num_populations: int) -> list[tuple[float, float, float] | None]:
    """(top depth µm, bottom depth µm, pyramidal density per µm³) of each population, or None.

    ``cortical_column``: population 2l (excitatory) of layer l spans that layer's depths
    (``population.column.layer_boundaries_um``) at the layer's published E fraction of
    ``density_per_mm3`` (the placement of `neurosim.populations.column.assign_populations`);
    inhibitory populations carry no dipole. ``balanced_ei``: population 0 (E) spans layers 2/3-6
    at ``excitatory_fraction * density_per_mm3``.
    """
    from neurosim.populations.column import FULL_SIZES

    pop = design.population
    edges = np.asarray(pop.column.layer_boundaries_um, dtype=float)
    out: list = [None] * num_populations
    if pop.model == "cortical_column":
        frac_e = FULL_SIZES[0::2] / (FULL_SIZES[0::2] + FULL_SIZES[1::2])
        for layer in range(min(4, (num_populations + 1) // 2)):
            out[2 * layer] = (edges[layer], edges[layer + 1], pop.density_per_mm3 * frac_e[layer] * 1e-9)
    elif num_populations:
        out[0] = (edges[0], edges[-1], pop.density_per_mm3 * pop.excitatory_fraction * 1e-9)
    return out


def _gauss_panels(breaks: np.ndarray, nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on consecutive panels between sorted break points."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    a, b = breaks[:-1, None], breaks[1:, None]
    return ((a + b) / 2 + (b - a) / 2 * x).ravel(), ((b - a) / 2 * w).ravel()


def _continuum_gain(conductor, contact_z_um: float, reach_um: float, top_um: float, bottom_um: float,
                    patch_radius_um: float, head: bool) -> float:
    """Potential (µV) at a contact per unit vertical moment (nA·µm) of every cell in a slab, per cell/µm³.

    The integral of ``g(contact, x) . e_z dV`` over the cortical patch within ``patch_radius_um``
    (lateral, or geodesic on the brain surface for the head model) of the contact and between
    ``top_um`` and ``bottom_um`` below the surface, excluding the sphere of radius ``reach_um``
    around the contact (its cells are simulated and added one by one). The geometry is
    axisymmetric about the contact's radial axis, so a 2-D (lateral distance, depth) Gauss-Legendre
    quadrature with weight ``2 pi s`` suffices (times the volume element of the wrapped frame,
    ``(r/r_1)^2 sin(s/r_1)/(s/r_1)``, in the head model).
    """
    zc = float(contact_z_um)
    depth_c = -zc
    s_breaks = np.unique(np.concatenate([[0.0], np.geomspace(max(reach_um, 20.0) / 4, patch_radius_um, 24)]))
    s, ws = _gauss_panels(s_breaks, 6)
    d_breaks = [top_um, bottom_um]
    for off in (-3 * reach_um, -reach_um, 0.0, reach_um, 3 * reach_um):
        d_breaks.append(depth_c + off)
    d_breaks = np.unique(np.clip(d_breaks, top_um, bottom_um))
    fine = []
    for a, b in itertools.pairwise(d_breaks):
        near = min(abs(a - depth_c), abs(b - depth_c)) < 4 * reach_um
        step = reach_um / 3 if near else 100.0
        fine.append(np.linspace(a, b, max(2, int(np.ceil((b - a) / step)) + 1)))
    d, wd = _gauss_panels(np.unique(np.concatenate(fine)), 4)
    S, D = np.meshgrid(s, d, indexing="ij")
    W = np.outer(ws * 2 * np.pi * s, wd)
    pts = np.column_stack([S.ravel(), np.zeros(S.size), -D.ravel()])
    keep = np.hypot(pts[:, 0], pts[:, 2] - zc) > reach_um
    pts, W = pts[keep], W.ravel()[keep]
    if head:
        r1 = conductor.radii_um[0]
        theta = pts[:, 0] / r1
        W = W * ((r1 + pts[:, 2]) / r1) ** 2 * np.sinc(theta / np.pi)
    g = conductor.dipole_gain_matrix(np.array([[0.0, 0.0, zc]]), pts)[0, :, 2]
    return float(np.sum(W * g))


def setup_dipole_lfp(design, setup: ProbeSetup, activity, *, signal_gain: np.ndarray | None = None,
                     patch_radius_um: float = LFP_PATCH_RADIUS_UM) -> DipoleLFP | None:
    """The LFP of the populations' current dipoles on every contact, or None.

    None unless ``population.record_lfp`` is set and the activity holds
    ``lfp_proxy["dipole_nA_um"]`` (``(n_t, P, 3)``: the summed dipole of each population's
    simulated pyramidal cells, `neurosim.populations.lfp`).

    Physics
    -------
    - **Per cell.** Population ``p``'s dipole is shared equally by its ``N_p`` simulated
      pyramidal cells: cell ``i`` carries ``m_p(t) o_i`` with ``m_p = (p_p . ō_p) / N_p`` along its
      own apical axis ``o_i``, placed at its soma. The time mean of ``m_p`` is removed: the proxy
      sums current magnitudes, so its mean is not a physical DC, and electrodes and AC-coupled
      amplifiers do not record DC.
    - **Scaled to the patch.** The network simulates only the cells within
      ``population.reach_radius_um`` of the contacts, but the LFP of a contact comes from every
      pyramidal cell of the cortex around it. Mean-field assumption: the cells of population ``p``
      within ``patch_radius_um`` of the contact (laterally; geodesic on the brain surface in the
      head model), at the population's depths and density (`_population_layers`), share
      ``m_p(t)`` coherently. The contact sees its own simulated cells one by one (within reach) plus
      the integral of the rest of the patch (`_continuum_gain`, along the mean axis).
      The default radius, 250 µm, is the measured spatial reach of the LFP (Katzner et al. 2009;
      Xing et al. 2009); with strongly correlated input the reach grows to millimetres (Łęski et
      al. 2013), and surface signals grow with it (on a surface contact, a disc of dipoles of
      radius R subtends a solid angle 2π(1 - d/sqrt(d² + R²)) at depth d). Beyond the patch,
      activity is taken as uncorrelated with the simulated one, and its contribution (which
      adds in power, not in amplitude) is left out.
    - **Volume conductor.** Subdural, epidural and endovascular contacts: the four-sphere head
      model (`electrode_models.FourSphereConductor`, brain conductivity from
      ``tissue.conductivity_S_per_m``); an endovascular contact is evaluated in the CSF layer at
      its lateral position (height clamped to the inner skull surface: blood, ~0.7 S/m, conducts
      like CSF, and the vessel is not part of the spheres). Intracortical contacts: the half-space
      of tissue under CSF (`electrode_models.HalfSpaceConductor`).
    - **Gain.** Each channel's ``signal_gain`` (electrode-amplifier divider, chronic attenuation,
      dead channels) multiplies the LFP, without the x2 of an insulating subdural backing (the
      head model puts CSF, not silicone, above the cortex).

    Parameters
    ----------
    design : neurosim.design.Design
    setup : ProbeSetup
        The probe (positions and anatomical class).
    activity : neurosim.populations.Activity
    signal_gain : np.ndarray, shape (C,), optional
        Per-channel gain from `setup_electrodes` (default 1).
    patch_radius_um : float
        Radius of the coherent patch, µm, in [100, 20000]; default `LFP_PATCH_RADIUS_UM`.

    Returns
    -------
    DipoleLFP or None
    """
    from neurosim.populations import PYRAMIDAL

    lp = getattr(activity, "lfp_proxy", None)
    if not design.population.record_lfp or not lp or "dipole_nA_um" not in lp:
        return None
    patch = check_range("patch_radius_um", patch_radius_um, 100.0, 20000.0, "µm")
    dip = np.asarray(lp["dipole_nA_um"], dtype=float)
    time_s = np.asarray(lp["time_s"], dtype=float)
    if dip.ndim != 3 or dip.shape[2] != 3 or dip.shape[0] != len(time_s):
        raise ValueError(f"lfp_proxy['dipole_nA_um'] must have shape (n_t, P, 3) with n_t = "
                         f"{len(time_s)}, got {dip.shape}")
    num_pop = dip.shape[1]
    pos = setup.positions_um.copy()
    num_ch = len(pos)
    labels = activity.population_labels if activity.population_labels is not None \
        else activity.cell_types.astype(np.int64)
    pyramidal = activity.cell_types == PYRAMIDAL
    reach = design.population.reach_radius_um
    sigma = design.tissue.conductivity_S_per_m
    head = setup.anatomical_class in _FOUR_SPHERE_CLASSES
    if head:
        radii = em.DEFAULT_RADII_UM
        conductor = em.FourSphereConductor(radii, (sigma,) + tuple(em.DEFAULT_SIGMA_S_PER_M[1:]))
        if setup.anatomical_class == "endovascular":
            pos[:, 2] = np.minimum(pos[:, 2], radii[1] - radii[0])
    else:
        conductor = em.HalfSpaceConductor(sigma, CSF_SIGMA_S_PER_M)
    layers = _population_layers(design, num_pop)
    moment = np.zeros((len(time_s), num_pop))
    gain = np.zeros((num_ch, num_pop))
    continuum_cache: dict = {}
    for p in range(num_pop):
        cells = np.flatnonzero((labels == p) & pyramidal)
        if len(cells) == 0:
            continue
        axis = activity.orientations[cells].mean(axis=0)
        unit = axis / max(np.linalg.norm(axis), 1e-12)
        m = dip[:, p, :] @ unit / len(cells)
        moment[:, p] = m - m.mean()
        cpos, cori = activity.positions_um[cells], activity.orientations[cells]
        near = cKDTree(cpos).query_ball_point(pos, reach)
        for c, cells_c in enumerate(near):  # simulated cells within reach, one by one (a call per channel)
            if cells_c:
                g = conductor.dipole_gain_matrix(pos[c:c + 1], cpos[cells_c])[0]
                gain[c, p] += float(np.einsum("nk,nk->", g, cori[cells_c]))
        if layers[p] is None:
            continue
        top, bottom, density = layers[p]
        tilt = float(np.linalg.norm(axis))  # |mean axis|: the rest of the patch along e_z
        for c in range(num_ch):
            key = round(float(pos[c, 2]), 3)
            if key not in continuum_cache:
                continuum_cache[key] = {}
            if p not in continuum_cache[key]:
                continuum_cache[key][p] = _continuum_gain(conductor, key, reach, top, bottom, patch, head)
            gain[c, p] += density * tilt * continuum_cache[key][p]
    if signal_gain is None:
        g_ch = np.ones(num_ch)
    else:
        g_ch = check_array("signal_gain", signal_gain, shape=(num_ch,), dtype=float)
        if setup.anatomical_class == "subdural":
            g_ch = g_ch / 2.0  # setup_electrodes doubles subdural gains for the insulating backing
    return DipoleLFP(time_s=time_s, moment_nA_um=moment, gain_uV_per_nA_um=gain * g_ch[:, None],
                     fs_hz=float(design.recording.fs_hz),
                     conductor="four_sphere" if head else "half_space")


# -- template cache ----------------------------------------------------------------------------------

_TEMPLATE_FORMAT = 4  # bump when the cached file layout or the template physics changes


def default_template_cache_dir():
    """Where templates are cached by default: ``<cache root>/templates`` (``$NEUROSIM_CACHE_DIR`` or
    ``~/.cache/neurosim``, the root of the activity and Brian2 caches)."""
    from neurosim.populations._brian import cache_root

    return cache_root() / "templates"


def template_key(cell_types, positions_um, orientations, contact_positions_um, contact_normals,
                 site_radius_um: float, fs_hz: float, sigma_S_per_m: float = 0.3, **kwargs) -> str:
    """Hash (24 hex digits) of everything the templates depend on.

    Cell types, soma positions and orientations, contact positions and normals, site radius,
    sampling rate, conductivity, the keyword arguments of
    `electrode_models.compute_templates`, the neurosim version and the cache format.
    Arrays enter with their dtype, shape and exact bytes (float64).
    """
    import hashlib
    import json

    from neurosim import __version__

    h = hashlib.sha256()
    h.update(json.dumps({"site_radius_um": float(site_radius_um), "fs_hz": float(fs_hz),
                         "sigma_S_per_m": float(sigma_S_per_m),
                         "kwargs": {k: (np.asarray(v).tolist() if isinstance(v, np.ndarray) else v)
                                    for k, v in sorted(kwargs.items())},
                         "neurosim": __version__, "format": _TEMPLATE_FORMAT},
                        sort_keys=True, default=str).encode())
    ct = np.asarray(cell_types)
    h.update(np.asarray(ct.astype(str) if ct.dtype.kind in "US" or ct.dtype == object else ct).tobytes())
    for arr in (positions_um, orientations, contact_positions_um, contact_normals):
        a = np.ascontiguousarray(np.asarray(arr, dtype=np.float64))
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:24]


def get_templates(cell_types, positions_um, orientations, contact_positions_um, contact_normals,
                  site_radius_um: float, fs_hz: float, sigma_S_per_m: float = 0.3, *,
                  cache_dir=None, use_cache: bool = True, **kwargs):
    """`electrode_models.compute_templates`, cached on disk per (cells, probe, settings).

    Parameters
    ----------
    cell_types, positions_um, orientations, contact_positions_um, contact_normals, site_radius_um, fs_hz, sigma_S_per_m
        As `electrode_models.compute_templates` (µm, Hz, S/m).
    cache_dir : path, optional
        Directory of the cache files (``templates-<key>.npz``); default
        `default_template_cache_dir`.
    use_cache : bool
        False computes without reading or writing the cache.
    **kwargs
        Further arguments of `electrode_models.compute_templates` (part of the key).

    Returns
    -------
    electrode_models.SparseTemplates
        A fresh object on every call (callers scale it in place).

    Notes
    -----
    Files are written to a temporary name and renamed (atomic on POSIX), so concurrent runs
    never read a partial file; an unreadable cache file is recomputed and replaced.
    """
    import logging
    import zipfile
    from pathlib import Path

    from neurosim.io.atomic import atomic_path

    log = logging.getLogger(__name__)
    args = (cell_types, positions_um, orientations, contact_positions_um, contact_normals,
            site_radius_um, fs_hz, sigma_S_per_m)
    if not use_cache:
        return em.compute_templates(*args, **kwargs)
    key = template_key(*args, **kwargs)
    path = Path(cache_dir if cache_dir is not None else default_template_cache_dir()) / f"templates-{key}.npz"
    if path.exists():
        try:
            with np.load(path) as f:
                chan = f["channel_index"]
                wave = np.zeros((chan.shape[0], int(f["num_samples"]), chan.shape[1]), np.float32)
                u, q = np.nonzero(chan >= 0)
                wave[u, :, q] = f["live_waveforms_uV"]
                t = em.SparseTemplates(waveforms_uV=wave, channel_index=chan,
                                       nbefore=int(f["nbefore"]), fs_hz=float(f["fs_hz"]),
                                       peak_amplitude_uV=f["peak_amplitude_uV"],
                                       best_channel=f["best_channel"],
                                       shift_samples=f["shift_samples"] if "shift_samples" in f else None)
            log.info("templates from cache %s", path)
            return t
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            log.warning("ignoring unreadable template cache %s (%s)", path, exc)
    t = em.compute_templates(*args, **kwargs)
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = {} if t.shift_samples is None else {"shift_samples": t.shift_samples}
    # only the live columns (channel_index >= 0; the rest are zeros): a Utah unit has ~1 of its 8
    u, q = np.nonzero(t.channel_index >= 0)
    with atomic_path(path, ".npz") as tmp, open(tmp, "wb") as fh:
        np.savez(fh, live_waveforms_uV=t.waveforms_uV[u, :, q], num_samples=t.n_samples,
                 channel_index=t.channel_index, nbefore=t.nbefore, fs_hz=t.fs_hz,
                 peak_amplitude_uV=t.peak_amplitude_uV, best_channel=t.best_channel, **extra)
    return t
