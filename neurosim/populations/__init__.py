"""Virtual cortex: population models that produce :class:`Activity` (plain arrays).

Brian2 is used only inside this package; its quantities are stripped at the boundary.
"""

from __future__ import annotations

import numpy as np

from neurosim.populations.activity import CELL_TYPE_NAMES, INTERNEURON, PYRAMIDAL, Activity
from neurosim.populations.balanced import BalancedParams, simulate_balanced_ei
from neurosim.populations.placement import expected_cell_count, place_cells

__all__ = ["Activity", "CELL_TYPE_NAMES", "PYRAMIDAL", "INTERNEURON", "simulate_population",
           "place_cells", "expected_cell_count", "simulate_balanced_ei", "BalancedParams"]


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
        Show a progress bar while the network runs.

    Returns
    -------
    Activity
        Cells sorted so excitatory cells come first; spike times carry a uniform sub-step jitter
        (within one simulation step) so they are not locked to the 0.1 ms grid.
    """
    place_ss, net_ss, jitter_ss = seed_sequence.spawn(3)
    positions, types, orientations = place_cells(
        contact_positions_um, population.reach_radius_um, population.density_per_mm3,
        population.excitatory_fraction, population.min_distance_um,
        np.random.default_rng(place_ss), max_neurons=population.max_neurons)
    order = np.argsort(types, kind="stable")  # excitatory (0) first, as the network expects
    positions, types, orientations = positions[order], types[order], orientations[order]
    n_e = int(np.sum(types == PYRAMIDAL))
    params = BalancedParams(inhibition_ratio=population.inhibition_ratio,
                            in_degree=population.in_degree,
                            num_external_inputs=population.num_external_inputs,
                            drive_rate_hz=population.drive_rate_hz,
                            psp_e_mV=population.psp_mV)
    net_seed = int(net_ss.generate_state(1, dtype=np.uint32)[0])
    times, units = simulate_balanced_ei(n_e, len(types) - n_e, duration_s, net_seed, params,
                                        progress=progress)
    rng = np.random.default_rng(jitter_ss)
    times = times + rng.random(times.shape) * params.dt_ms * 1e-3
    times = np.minimum(times, np.nextafter(duration_s, 0.0))
    o = np.lexsort((units, times))
    return Activity(spike_times_s=times[o], spike_units=units[o], positions_um=positions,
                    cell_types=types, orientations=orientations, duration_s=float(duration_s))
