"""Virtual cortex: population models that produce `Activity` (plain arrays).

Model families (``population.model``), one module each: ``balanced_ei``
(`neurosim.populations.balanced`), ``cortical_column`` (`neurosim.populations.column`)
``motor_cortex`` (`neurosim.populations.motor`), and ``poisson``
(`neurosim.populations.poisson`: independent renewal spike trains generated on demand, for
recordings of any length). Brian2 is used only inside this package; its quantities are stripped at
the boundary.
"""

from __future__ import annotations

import logging

import numpy as np

from neurosim.populations._brian import choose_device
from neurosim.populations._lif import simulate_lif
from neurosim.populations.activity import CELL_TYPE_NAMES, INTERNEURON, PYRAMIDAL, TUNING_KEYS, Activity
from neurosim.populations.balanced import BalancedParams, balanced_network, simulate_balanced_ei
from neurosim.populations.column import POPULATION_NAMES, assign_populations, column_network
from neurosim.populations.lfp import lfp_proxy
from neurosim.populations.motor import MotorParams, simulate_motor
from neurosim.populations.poisson import poisson_rates_hz
from neurosim.populations.placement import (background_cell_count, draw_orientations,
                                            expected_cell_count, place_cells)

__all__ = ["Activity", "CELL_TYPE_NAMES", "PYRAMIDAL", "INTERNEURON", "simulate_population", "firing_radius_um",
           "dark_cells", "dark_rates_hz", "thin_dark_cells", "DARK_RATE_RANGE_HZ",
           "place_cells", "expected_cell_count", "background_cell_count", "simulate_balanced_ei",
           "BalancedParams", "simulate_motor", "MotorParams", "MODELS"]

logger = logging.getLogger(__name__)

MODELS = ("balanced_ei", "cortical_column", "motor_cortex", "poisson")


def simulate_population(population, contact_positions_um: np.ndarray, duration_s: float,
                        seed_sequence: np.random.SeedSequence, *, progress: bool = False) -> Activity:
    """Place cells around the contacts and simulate the population model.

    Parameters
    ----------
    population : neurosim.design.Population
        The validated population section of a design.
    contact_positions_um : np.ndarray, shape (num_contacts, 3)
        Contact centres in the tissue frame, µm.
    duration_s : float
        Biological time to simulate, s.
    seed_sequence : np.random.SeedSequence
        Source of the placement, network and spike-time jitter seeds.
    progress : bool
        Show a progress bar while the network runs (runtime device).

    Returns
    -------
    Activity
        Cells sorted by population (excitatory cells first for ``balanced_ei``, then by
        ``population_labels``); spike times carry a uniform sub-step jitter (within one
        simulation step) so they are not locked to the simulation grid.

    Raises
    ------
    ValueError
        If ``population.model`` is not one of `MODELS` (or the placement exceeds
        ``max_neurons``).
    """
    if population.model not in MODELS:
        raise ValueError(f"population.model must be one of {MODELS}, got {population.model!r}")
    place_ss, net_ss, jitter_ss, morph_ss, outer_ss, dark_ss = seed_sequence.spawn(SEED_STREAMS)
    dark_ss, thin_ss = dark_ss.spawn(2)
    positions, types, orientations, labels, names = place_network_cells(population, contact_positions_um,
                                                                        place_ss)
    net_seed = int(net_ss.generate_state(1, dtype=np.uint32)[0])
    extra: dict = {}
    outer = firing_radius_um(population)
    bg_radius = population.background_radius_um or 3.0 * outer
    num_bg = background_cell_count(contact_positions_um, outer, max(bg_radius, outer * (1 + 1e-9)),
                                   population.density_per_mm3)
    if population.model == "poisson":  # nothing to simulate: spike trains are generated on demand
        if outer > population.reach_radius_um:  # the generated shell is more of the same trains
            o_pos, o_types, o_ori = place_shell_cells(population, contact_positions_um, outer,
                                                      np.random.default_rng(outer_ss))
            positions, types, orientations = (np.concatenate([positions, o_pos]),
                                              np.concatenate([types, o_types]),
                                              np.concatenate([orientations, o_ori]))
            labels = np.concatenate([labels, o_types.astype(np.int64)])
        morph = _morphology(types, positions, population, morph_ss)
        opt = population.poisson
        rates = poisson_rates_hz(types, (opt.pyramidal_median_hz, opt.interneuron_median_hz),
                                 opt.rate_sigma_ln, opt.max_rate_hz, np.random.default_rng(jitter_ss))
        dark = dark_cells(types, population.dark_fraction, dark_ss)
        rates = np.where(dark, dark_rates_hz(len(types), np.random.default_rng(thin_ss)), rates)
        empty = np.zeros(0)
        return Activity(spike_times_s=empty, spike_units=empty.astype(np.int64), positions_um=positions,
                        cell_types=types, orientations=orientations, duration_s=float(duration_s),
                        population_labels=labels, population_names=tuple(names),
                        num_background_cells=num_bg, background_radius_um=float(bg_radius),
                        background_rate_hz=float(rates.mean()) if rates.size else 0.0, device="none",
                        stream_rates_hz=rates, stream_cell_ids=np.arange(len(types), dtype=np.int64),
                        stream_seed=net_seed, stream_refractory_s=opt.refractory_ms * 1e-3, **morph)
    # LIF networks resolve "auto" themselves (by expected wall time, knowing their compiled programs)
    device = choose_device(population.device, len(types)) if population.model == "motor_cortex" \
        else population.device
    if population.model == "motor_cortex":
        params = MotorParams(**population.motor.model_dump())
        out = simulate_motor(types, duration_s, net_seed, params, device=device)
        extra["behaviour"] = dict(out["behaviour"],
                                  preferred_direction_rad=out["preferred_direction_rad"],
                                  baseline_hz=out["baseline_hz"], modulation_hz=out["modulation_hz"],
                                  speed_gain_hz=out["speed_gain_hz"])
        dt_ms = params.dt_ms
    else:
        options = dict(oscillation_hz=population.oscillation_hz,
                       oscillation_depth=population.oscillation_depth,
                       burst_fraction=population.burst_fraction,
                       excitability_sd_mV=population.excitability_sd_mV,
                       record_currents=population.record_lfp)
        if population.model == "balanced_ei":
            n_e = int(np.sum(types == PYRAMIDAL))
            spec = balanced_network(n_e, len(types) - n_e, BalancedParams(
                inhibition_ratio=population.inhibition_ratio, in_degree=population.in_degree,
                num_external_inputs=population.num_external_inputs,
                drive_rate_hz=population.drive_rate_hz, psp_e_mV=population.psp_mV, **options))
        else:
            spec = column_network(np.bincount(labels, minlength=len(POPULATION_NAMES)), **options)
        out = simulate_lif(spec, duration_s, net_seed, device=device, progress=progress)
        device = out["device"]
        dt_ms = spec.dt_ms
        if population.record_lfp:
            axis = np.array([_mean_axis(orientations[(labels == p) & (types == PYRAMIDAL)])
                             for p in range(len(spec.sizes))])
            extra["lfp_proxy"] = lfp_proxy(out["current_time_s"], out["i_exc_mV"],
                                           out["i_inh_mV"], np.asarray(spec.tau_m_ms), axis)
    logger.info("%s: %d cells on the %s device", population.model, len(types), device)
    times, units = out["spike_times_s"], out["spike_units"]
    rng = np.random.default_rng(jitter_ss)
    times = times + rng.random(times.shape) * dt_ms * 1e-3
    times = np.minimum(times, np.nextafter(duration_s, 0.0))
    dark = dark_cells(types, population.dark_fraction, dark_ss)
    times, units = thin_dark_cells(times, units, dark, duration_s, thin_ss)
    if "behaviour" in extra and "baseline_hz" in extra["behaviour"]:
        for key in TUNING_KEYS:  # a dark cell does not follow its tuning: no tuning to react with
            extra["behaviour"][key] = np.where(dark, np.nan, np.asarray(extra["behaviour"][key], float))
    rate = len(times) / (len(types) * duration_s) if len(types) and duration_s > 0 else 0.0
    num_generated = 0
    if outer > population.reach_radius_um:
        shell = _generated_shell(population, contact_positions_um, positions, types, labels, names,
                                 times, units, duration_s, outer, outer_ss)
        positions, types, orientations, labels, names, times, units, num_generated = (
            shell[0], shell[1], np.concatenate([orientations, shell[2]]), *shell[3:])
        if "behaviour" in extra and "preferred_direction_rad" in extra["behaviour"]:
            for key in ("preferred_direction_rad",) + TUNING_KEYS:  # generated: untuned
                if key in extra["behaviour"]:
                    v = np.asarray(extra["behaviour"][key], float)
                    extra["behaviour"][key] = np.concatenate([v, np.full(num_generated, np.nan)])
    morph = _morphology(types, positions, population, morph_ss)
    o = np.lexsort((units, times))
    return Activity(spike_times_s=times[o], spike_units=units[o], positions_um=positions,
                    cell_types=types, orientations=orientations, duration_s=float(duration_s),
                    population_labels=labels, population_names=tuple(names),
                    num_background_cells=num_bg, background_radius_um=float(bg_radius),
                    background_rate_hz=float(rate), device=device, **morph, **extra)


#: Rates of dark cells, Hz (log-uniform): below what a sorter isolates in minutes (0.1 Hz); some
#: cortical cells fire below 0.01 Hz (Hromadka et al. 2008). An hour-long recording still sees the
#: fastest of them (0.03 Hz: ~100 spikes).
DARK_RATE_RANGE_HZ = (0.001, 0.03)


def dark_cells(types: np.ndarray, dark_fraction: float, seed_sequence: np.random.SeedSequence) -> np.ndarray:
    """Which cells are dark: each pyramidal cell with probability ``dark_fraction``, shape (n,).

    Sparse firing (Shoham et al. 2006; Barth & Poulet 2012): most pyramidal cells near an
    electrode fire too rarely to be recorded, for reasons outside a local network model (they are
    not driven by the current state or stimulus). The network is simulated as usual; a dark cell
    then keeps only enough of its spikes to fire at a rate in `DARK_RATE_RANGE_HZ`
    (`thin_dark_cells`). Interneurons are never dark (fast-spiking cells fire densely:
    Barth & Poulet 2012). The draw depends only on ``seed_sequence`` and the number of cells.
    """
    rng = np.random.default_rng(seed_sequence)
    return (rng.random(len(types)) < float(dark_fraction)) & (np.asarray(types) == PYRAMIDAL)


def dark_rates_hz(num_cells: int, rng: np.random.Generator) -> np.ndarray:
    """Target rate of each dark cell, log-uniform in `DARK_RATE_RANGE_HZ`, Hz."""
    lo, hi = DARK_RATE_RANGE_HZ
    return lo * np.exp(rng.random(num_cells) * np.log(hi / lo))


def thin_dark_cells(times: np.ndarray, units: np.ndarray, dark: np.ndarray, duration_s: float,
                    seed_sequence: np.random.SeedSequence) -> tuple[np.ndarray, np.ndarray]:
    """Spike trains in which each dark cell keeps each of its ``n`` spikes with probability
    ``min(1, r T / n)``, ``r`` its target rate (`dark_rates_hz`) and ``T`` the duration:
    its expected rate is ``min(r, n / T)``, whatever the network made it fire. Other cells are
    untouched."""
    if not dark.any() or len(times) == 0:
        return times, units
    rng = np.random.default_rng(seed_sequence)
    target = dark_rates_hz(len(dark), rng)
    counts = np.bincount(units, minlength=len(dark))
    keep_p = np.where(dark, np.minimum(1.0, target * float(duration_s) / np.maximum(counts, 1)), 1.0)
    keep = rng.random(len(times)) < keep_p[units]
    return times[keep], units[keep]


#: Independent seed streams of `simulate_population` (placement, network, jitter,
#: morphology, generated shell, dark cells), spawned in this order from its seed sequence.
SEED_STREAMS = 6


def place_network_cells(population, contact_positions_um: np.ndarray, seed_sequence: np.random.SeedSequence):
    """The network's cells within ``population.reach_radius_um``, placed as
    `simulate_population` places them (its placement stream ``seed_sequence``).

    For ``cortical_column`` only cells inside the column's layers are kept and typed by layer.
    Cells are sorted by population label.

    Returns
    -------
    positions_um (n, 3), cell_types (n,) int8, orientations (n, 3), labels (n,) int64, names (tuple of str)
    """
    rng = np.random.default_rng(seed_sequence)
    positions, types, orientations = place_cells(
        contact_positions_um, population.reach_radius_um, population.density_per_mm3,
        population.excitatory_fraction, population.min_distance_um, rng,
        max_neurons=population.max_neurons)
    if population.model == "cortical_column":
        labels = assign_populations(-positions[:, 2], population.column.layer_boundaries_um, rng)
        keep = labels >= 0
        positions, orientations, labels = positions[keep], orientations[keep], labels[keep]
        types = (labels % 2).astype(np.int8)  # even: excitatory, odd: inhibitory
        orientations = draw_orientations(types, rng)  # types were re-drawn per layer
        names = POPULATION_NAMES
    else:
        labels = types.astype(np.int64)
        names = ("E", "I") if population.model == "balanced_ei" else ("pyramidal", "interneuron")
    order = np.argsort(labels, kind="stable")
    return positions[order], types[order], orientations[order], labels[order], names


def place_shell_cells(population, contact_positions_um: np.ndarray, outer_um: float, rng: np.random.Generator):
    """Cells between ``population.reach_radius_um`` and ``outer_um`` (the generated shell); for
    ``cortical_column`` those inside the column's layers with the layer's own E/I mix.

    Returns
    -------
    positions_um (n, 3), cell_types (n,) int8, orientations (n, 3)
    """
    o_pos, o_types, o_ori = place_cells(contact_positions_um, outer_um, population.density_per_mm3,
                                        population.excitatory_fraction, population.reach_radius_um, rng)
    if population.model == "cortical_column":  # the layer's own E/I mix, as in the network
        col = assign_populations(-o_pos[:, 2], population.column.layer_boundaries_um, rng)
        inside = col >= 0   # the column's layers only, as for the network's cells
        o_pos, o_types = o_pos[inside], (col[inside] % 2).astype(np.int8)
        o_ori = draw_orientations(o_types, rng)
    return o_pos, o_types, o_ori


def placed_cells(population, contact_positions_um: np.ndarray, seed_sequence: np.random.SeedSequence):
    """Positions and types of every cell `simulate_population` would simulate with this
    ``seed_sequence`` (network, then generated shell), without simulating them (renders)."""
    place_ss, _, _, _, outer_ss, _ = seed_sequence.spawn(SEED_STREAMS)
    positions, types, _, _, _ = place_network_cells(population, contact_positions_um, place_ss)
    outer = firing_radius_um(population)
    if outer > population.reach_radius_um:
        o_pos, o_types, _ = place_shell_cells(population, contact_positions_um, outer,
                                              np.random.default_rng(outer_ss))
        positions = np.concatenate([positions, o_pos])
        types = np.concatenate([types, o_types]).astype(np.int8)
    return positions, types


def firing_radius_um(population) -> float:
    """Outer radius of the cells that fire (network + generated shell), µm."""
    return max(float(population.outer_radius_um or 0.0), float(population.reach_radius_um))


def _morphology(types, positions, population, seed_sequence) -> dict:
    """Per-cell morphological class (by E/I and layer), variant and spin (the Activity fields)."""
    import electrode_models as em

    rng = np.random.default_rng(seed_sequence)
    n = len(types)
    return {"cell_class": em.assign_cell_classes(np.asarray(types) == PYRAMIDAL, -positions[:, 2], rng,
                                                 population.column.layer_boundaries_um),
            "morphology_variant": em.draw_variants(n, rng), "spin_rad": em.draw_spin_rad(n, rng)}


def _generated_shell(population, contacts, positions, types, labels, names, times, units, duration_s,
                     outer_um, seed_sequence):
    """Cells between the reach and the outer radius, firing as independent renewal processes.

    Each generated cell takes the rate of a simulated cell of its type drawn at random (the
    network's own rate distribution, near-silent cells included), and fires as a Poisson process
    with a 2 ms dead time (`neurosim.populations.poisson.poisson_spikes`). Its population is
    ``"<name of its type> (generated)"``; it has no synapses and no LFP dipole.

    Returns positions, types, orientations (of the new cells only), labels, names, times, units
    (all spikes, network first) and the number of generated cells.
    """
    from neurosim.populations.poisson import poisson_spikes

    rng = np.random.default_rng(seed_sequence)
    o_pos, o_types, o_ori = place_shell_cells(population, contacts, outer_um, rng)
    n_new = len(o_types)
    refractory_s = 2e-3
    sim_rates = np.bincount(units, minlength=len(types)) / duration_s if duration_s > 0 else np.zeros(len(types))
    rates = np.zeros(n_new)
    for t in (PYRAMIDAL, INTERNEURON):
        pool = sim_rates[types == t]
        mine = o_types == t
        if pool.size and mine.any():
            rates[mine] = rng.choice(pool, size=int(mine.sum()))
    rates = np.minimum(rates, 0.5 / refractory_s)
    seed = int(rng.integers(2 ** 63))
    g_times, g_units = poisson_spikes(rates, np.arange(n_new, dtype=np.int64), seed, refractory_s,
                                      0.0, float(duration_s))
    n_names = len(names)
    type_names = ("E", "I") if tuple(names) == ("E", "I") else CELL_TYPE_NAMES
    new_names = tuple(names) + tuple(f"{type_names[t]} (generated)" for t in (PYRAMIDAL, INTERNEURON))
    return (np.concatenate([positions, o_pos]), np.concatenate([types, o_types]).astype(np.int8), o_ori,
            np.concatenate([labels, n_names + o_types.astype(np.int64)]), new_names,
            np.concatenate([times, g_times]), np.concatenate([units, g_units + len(types)]), n_new)


def _mean_axis(orientations: np.ndarray) -> np.ndarray:
    if len(orientations) == 0:
        return np.zeros(3)
    mean = orientations.mean(axis=0)
    return mean / max(np.linalg.norm(mean), 1e-12)

