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
