"""simulate_population: every model family from a design section, plain arrays, determinism."""

import numpy as np
import pytest

from neurosim.design import Population
from neurosim.populations import simulate_population

LAMINAR = np.array([[0.0, 0.0, -z] for z in np.arange(200.0, 2000.0, 150.0)])  # 12 contacts


def test_balanced_plain_arrays_background_and_determinism():
    pop = Population(reach_radius_um=45.0, outer_radius_um=None)  # network cells only
    act = simulate_population(pop, LAMINAR[:4], 0.3, np.random.SeedSequence(2))
    again = simulate_population(pop, LAMINAR[:4], 0.3, np.random.SeedSequence(2))
    assert np.array_equal(act.spike_times_s, again.spike_times_s)
    assert np.array_equal(act.spike_units, again.spike_units)
    assert act.positions_um.shape == (act.num_cells, 3) and act.device == "runtime"
    assert np.all(np.diff(act.spike_times_s) >= 0) and act.spike_times_s.max() < 0.3
    assert np.all(act.cell_types[:-1] <= act.cell_types[1:])  # excitatory first
    assert act.spike_times_s.dtype == np.float64 and act.behaviour is None and act.lfp_proxy is None
    # background shell 45-135 um around 4 contacts 150 um apart: below 4 disjoint shells
    shell = 60000.0 * 4 / 3 * np.pi * (135.0**3 - 45.0**3) * 1e-9
    assert 0.5 * 4 * shell < act.num_background_cells < 4 * shell
    assert act.background_radius_um == 135.0
    assert act.background_rate_hz == pytest.approx(act.num_spikes / act.num_cells / 0.3)


@pytest.mark.slow
def test_column_labels_cells_by_layer_depth_and_records_lfp():
    pop = Population(model="cortical_column", reach_radius_um=40.0, record_lfp=True)
    act = simulate_population(pop, LAMINAR, 0.2, np.random.SeedSequence(3))
    depth = -act.positions_um[:, 2]
    names = np.asarray(act.population_names)[act.population_labels]
    assert np.all(depth[np.char.startswith(names, "L23")] < 700.0)
    assert np.all(depth[np.char.startswith(names, "L5")] >= 1000.0)
    assert np.all((depth >= 150.0) & (depth < 2000.0))
    assert np.array_equal(act.cell_types, act.population_labels % 2)
    lfp = act.lfp_proxy
    assert lfp["proxy"].shape == (200, 8) and lfp["dipole_nA_um"].shape == (200, 8, 3)
    assert np.all(np.isfinite(lfp["proxy"])) and np.any(lfp["proxy"] != 0)


def test_motor_behaviour_aligned_with_spikes():
    pop = Population(model="motor_cortex", reach_radius_um=40.0)
    act = simulate_population(pop, LAMINAR[:3], 3.0, np.random.SeedSequence(4))
    b = act.behaviour
    assert b["time_s"][-1] < 3.0 and b["cursor_velocity_cm_per_s"].shape == (300, 2)
    assert b["preferred_direction_rad"].shape == (act.num_cells,)
    assert act.num_spikes > 0 and act.spike_times_s.max() < 3.0


def test_generated_shell_and_cell_classes():
    """Network cells within reach, generated cells out to the outer radius; classes follow E/I."""
    from scipy.spatial import cKDTree

    import electrode_models as em

    pop = Population(reach_radius_um=35.0, outer_radius_um=70.0)
    act = simulate_population(pop, LAMINAR[:2], 0.5, np.random.SeedSequence(5))
    gen = act.generated_mask()
    d, _ = cKDTree(LAMINAR[:2]).query(act.positions_um)
    assert gen.any() and (~gen).any()
    assert np.all(d[~gen] <= 35.0) and np.all((d[gen] > 35.0) & (d[gen] <= 70.0))
    assert np.array_equal(em.is_excitatory_class(act.cell_class), act.cell_types == 0)
    assert act.morphology_variant.shape == act.spin_rad.shape == (act.num_cells,)
    assert np.isin(act.spike_units, np.flatnonzero(gen)).any()       # generated cells fire
    names = np.asarray(act.population_names)[act.population_labels]
    assert set(names[gen]) <= {"E (generated)", "I (generated)"}
