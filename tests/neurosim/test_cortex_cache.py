"""Activity cache (round trip, key sensitivity) and subsetting for implant variants."""

import numpy as np
import pytest

from neurosim.cortex import activity_key, get_activity, load_activity, save_activity, subset_activity
from neurosim.design import Population

CONTACTS = np.array([[0.0, 0.0, -800.0], [250.0, 0.0, -800.0]])


@pytest.fixture(scope="module")
def pop():
    return Population(reach_radius_um=50.0)


def test_cache_hit_returns_identical_activity(pop, tmp_path):
    a, hit_a = get_activity(pop, 0.3, 11, CONTACTS, cache_dir=tmp_path)
    b, hit_b = get_activity(pop, 0.3, 11, CONTACTS, cache_dir=tmp_path)
    assert (hit_a, hit_b) == (False, True)
    assert len(list(tmp_path.glob("activity-*.h5"))) == 1
    for name in ("spike_times_s", "spike_units", "positions_um", "cell_types", "orientations"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert a.duration_s == b.duration_s


def test_key_depends_on_what_activity_depends_on(pop):
    k = activity_key(pop, 0.3, 11, CONTACTS)
    assert k == activity_key(Population(reach_radius_um=50.0), 0.3, 11, CONTACTS.copy())
    assert k != activity_key(pop, 0.4, 11, CONTACTS)
    assert k != activity_key(pop, 0.3, 12, CONTACTS)
    assert k != activity_key(Population(reach_radius_um=51.0), 0.3, 11, CONTACTS)
    assert k != activity_key(pop, 0.3, 11, CONTACTS + [1.0, 0, 0])


def test_save_load_dict_fields(tmp_path):
    from neurosim.populations import Activity

    act = Activity(spike_times_s=np.array([0.1, 0.2]), spike_units=np.array([0, 1]),
                   positions_um=np.zeros((2, 3)), cell_types=np.array([0, 1], np.int8),
                   orientations=np.tile([0.0, 0, 1], (2, 1)), duration_s=1.0)
    save_activity(tmp_path / "a.h5", act)
    back = load_activity(tmp_path / "a.h5")
    assert np.array_equal(back.spike_units, act.spike_units) and back.duration_s == 1.0
    (tmp_path / "bad.h5").write_bytes(b"")
    import h5py

    with h5py.File(tmp_path / "bad.h5", "w") as f:
        f.attrs["format"] = "other"
    with pytest.raises(ValueError, match="not a neurosim activity file"):
        load_activity(tmp_path / "bad.h5")


def test_subset_keeps_cells_in_reach_and_their_spikes(pop):
    a, _ = get_activity(pop, 0.3, 5, CONTACTS)
    sub = subset_activity(a, CONTACTS[:1], 50.0, 15.0)
    d_all = np.linalg.norm(a.positions_um - CONTACTS[0], axis=1)
    keep = (d_all <= 50.0) & (d_all >= 15.0)
    assert sub.num_cells == keep.sum()
    assert np.array_equal(sub.positions_um, a.positions_um[keep])
    # every kept cell keeps exactly its spikes
    old_ids = np.nonzero(keep)[0]
    for new, old in list(enumerate(old_ids))[:20]:
        assert np.array_equal(sub.spike_times_s[sub.spike_units == new],
                              a.spike_times_s[a.spike_units == old])
    assert sub.num_spikes == np.isin(a.spike_units, old_ids).sum()


def test_subset_reindexes_per_cell_tuning_but_not_time_series():
    """The motor model's preferred directions are per cell: a variant's subset must keep each
    kept cell's own direction; behaviour time series (here as long as the cell count) stay whole."""
    from neurosim.populations import Activity

    rng = np.random.default_rng(3)
    n = 40
    pos = np.column_stack([rng.uniform(-100, 350, n), np.zeros(n), np.full(n, -800.0)])
    pd = rng.uniform(0, 2 * np.pi, n)
    time_s = np.arange(n) * 0.01  # same length as the cells on purpose
    act = Activity(spike_times_s=np.sort(rng.uniform(0, 1, 200)), spike_units=rng.integers(0, n, 200),
                   positions_um=pos, cell_types=np.zeros(n, np.int8), orientations=np.tile([0, 0, 1.0], (n, 1)),
                   duration_s=1.0, behaviour={"time_s": time_s, "preferred_direction_rad": pd})
    sub = subset_activity(act, CONTACTS[:1], 50.0)
    keep = np.linalg.norm(pos - CONTACTS[0], axis=1) <= 50.0
    assert 0 < keep.sum() < n
    assert np.array_equal(sub.behaviour["preferred_direction_rad"], pd[keep])
    assert np.array_equal(sub.behaviour["time_s"], time_s)
    assert act.behaviour["preferred_direction_rad"].shape == (n,)  # the original is untouched


# -- render and run count the same cells (issue 13, item 10) ----------------------------------

def _check_placed_equals_simulated(model):
    from neurosim.cortex import placed_cells

    population = Population(model=model, reach_radius_um=40.0, outer_radius_um=70.0)
    activity, _ = get_activity(population, 0.05, 11, CONTACTS)
    positions, types = placed_cells(population, 11, CONTACTS)
    assert len(positions) == activity.num_cells  # network cells and the generated shell
    np.testing.assert_array_equal(positions, activity.positions_um)
    np.testing.assert_array_equal(types, activity.cell_types)
    # the shell beyond the reach is counted: cells out to the outer radius
    dist = np.min(np.linalg.norm(positions[:, None] - CONTACTS[None], axis=2), axis=1)
    assert dist.max() > 40.0 and dist.max() <= 70.0


def test_placed_cells_are_the_cells_simulated_poisson():
    _check_placed_equals_simulated("poisson")


@pytest.mark.slow
@pytest.mark.parametrize("model", ["balanced_ei", "cortical_column"])
def test_placed_cells_are_the_cells_simulated_network(model):
    _check_placed_equals_simulated(model)
