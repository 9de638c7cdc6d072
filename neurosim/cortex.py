"""The cortex stage of the orchestrator: simulate once, cache, and reuse across implant variants.

The activity of the virtual cortex depends on the population section of the design, the duration,
the seed and where the cells are (around which contacts). It is stored in HDF5 under a key that
hashes exactly those, so a sweep over chip parameters simulates the cortex once, and a sweep over
implant variants simulates it once around the union of their contacts and hands each variant the
cells within its reach (`subset_activity`).

Cache files are written atomically (temporary name, then rename) and hold every field of
`neurosim.populations.Activity`: arrays as datasets, dicts of arrays as groups, scalars as
attributes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from pathlib import Path

import h5py
import numpy as np
from scipy.spatial import cKDTree

from neurosim import __version__
from neurosim.io.atomic import atomic_path
from neurosim.populations import Activity, simulate_population
from neurosim.populations.activity import PER_CELL_BEHAVIOUR_KEYS
from neurosim.populations._brian import cache_root

__all__ = ["activity_key", "get_activity", "save_activity", "load_activity", "subset_activity",
           "default_cache_dir", "placed_cells"]

logger = logging.getLogger(__name__)

_SPIKE_FIELDS = ("spike_times_s", "spike_units")


def default_cache_dir() -> Path:
    """Where activity caches go by default: ``<cache root>/activity`` (``$NEUROSIM_CACHE_DIR``
    or ``~/.cache/neurosim``, the root shared with the Brian2 build cache)."""
    return cache_root() / "activity"


def activity_key(population, duration_s: float, seed: int, contact_positions_um: np.ndarray) -> str:
    """Hash of everything the activity depends on (population section, duration, seed, contacts)."""
    h = hashlib.sha256()
    h.update(json.dumps({"population": population.model_dump(mode="json"), "duration_s": duration_s,
                         "seed": int(seed), "neurosim": __version__}, sort_keys=True).encode())
    h.update(np.round(np.asarray(contact_positions_um, dtype=float), 3).tobytes())
    return h.hexdigest()[:24]


def population_seed_sequence(seed: int) -> np.random.SeedSequence:
    """The seed sequence of the cortex of a design with this seed (placement, network, spikes)."""
    return np.random.SeedSequence(seed).spawn(2)[0]


def get_activity(population, duration_s: float, seed: int, contact_positions_um: np.ndarray, *,
                 cache_dir: str | Path | None = None, progress: bool = False) -> tuple[Activity, bool]:
    """The activity for these inputs, from the cache when present.

    Returns
    -------
    activity : Activity
    from_cache : bool
    """
    key = activity_key(population, duration_s, seed, contact_positions_um)
    path = Path(cache_dir) / f"activity-{key}.h5" if cache_dir is not None else None
    if path is not None and path.exists():
        logger.info("cortex from cache %s", path)
        return load_activity(path), True
    activity = simulate_population(population, contact_positions_um, duration_s, population_seed_sequence(seed),
                                   progress=progress)
    if path is not None:
        save_activity(path, activity)
    return activity, False


def placed_cells(population, seed: int, contact_positions_um: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cells that `get_activity` would simulate, placed without simulating them.

    Same seeds and the same placement functions as `neurosim.populations.simulate_population`
    (`neurosim.populations.placed_cells`): the network's
    cells within ``population.reach_radius_um`` (for ``cortical_column``, those inside the
    column's layers, typed by layer), sorted by population, then the generated shell out to
    `neurosim.populations.firing_radius_um`. So a render of a design shows, and counts, the
    cells that ``neurosim run`` with the same seed simulates.

    Parameters
    ----------
    population : neurosim.design.Population
    seed : int
        The design's seed (`neurosim.pipeline.resolve_seed`).
    contact_positions_um : np.ndarray, shape (num_contacts, 3)
        Where the cortex is placed (the probe's ``placement_positions_um``), µm.

    Returns
    -------
    positions_um : np.ndarray, shape (num_cells, 3)
    cell_types : np.ndarray of int8, shape (num_cells,)
        0 pyramidal, 1 interneuron.
    """
    from neurosim.populations import placed_cells as _placed

    return _placed(population, np.asarray(contact_positions_um, float), population_seed_sequence(seed))


def save_activity(path: str | Path, activity: Activity) -> None:
    """Write an Activity to HDF5 atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = "neurosim-activity"
        for field in dataclasses.fields(activity):
            _write_value(f, field.name, getattr(activity, field.name))


def _write_value(group, name, value):
    if value is None:
        return
    if isinstance(value, dict):
        sub = group.create_group(name)
        sub.attrs["__dict__"] = True
        for k, v in value.items():
            _write_value(sub, str(k), v)
    elif isinstance(value, np.ndarray):
        if value.dtype.kind == "U":
            group.create_dataset(name, data=value.astype(h5py.string_dtype()))
            group[name].attrs["__str__"] = True
        else:
            group.create_dataset(name, data=value)
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        group.create_dataset(name, data=np.asarray(value, dtype=h5py.string_dtype()))
        group[name].attrs["__strlist__"] = True
    else:
        group.attrs[name] = value


def _read_group(group) -> dict:
    out = {name: (v.item() if isinstance(v, np.generic) else v) for name, v in group.attrs.items()
           if not name.startswith("__") and name != "format"}
    for name, item in group.items():
        if isinstance(item, h5py.Group):
            out[name] = _read_group(item)
        elif item.attrs.get("__strlist__", False):
            out[name] = tuple(s.decode() if isinstance(s, bytes) else s for s in item[()])
        elif item.attrs.get("__str__", False):
            out[name] = item.asstr()[()]
        else:
            out[name] = item[()]
    return out


def load_activity(path: str | Path) -> Activity:
    """Read an Activity written by `save_activity`."""
    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != "neurosim-activity":
            raise ValueError(f"{str(path)!r} is not a neurosim activity file")
        data = _read_group(f)
    names = {fl.name for fl in dataclasses.fields(Activity)}
    return Activity(**{k: v for k, v in data.items() if k in names})


def subset_activity(activity: Activity, contact_positions_um: np.ndarray, reach_radius_um: float,
                    min_distance_um: float = 0.0) -> Activity:
    """The cells of ``activity`` within reach of these contacts, with their spikes (ids remapped).

    Per-cell arrays (first axis of length ``num_cells``) are indexed, and so are the per-cell
    entries of ``behaviour`` (`neurosim.populations.activity.PER_CELL_BEHAVIOUR_KEYS`);
    spikes are filtered and renumbered; population-level fields (time series, scalars) are kept,
    except the LFP proxy and current dipoles (``lfp_proxy``), which are sums over a population's
    pyramidal cells: each population's series is scaled by the fraction of its pyramidal cells
    kept, so that the moment per cell (`neurosim.electrodes.setup_dipole_lfp`) stays that
    of the whole network.
    """
    dist, _ = cKDTree(np.asarray(contact_positions_um, float)).query(activity.positions_um, k=1)
    keep = (dist <= reach_radius_um) & (dist >= min_distance_um)
    new_id = np.full(activity.num_cells, -1, dtype=np.int64)
    new_id[keep] = np.arange(int(keep.sum()))
    spike_keep = keep[activity.spike_units]
    changes = {"spike_times_s": activity.spike_times_s[spike_keep],
               "spike_units": new_id[activity.spike_units[spike_keep]]}
    for field in dataclasses.fields(activity):
        value = getattr(activity, field.name)
        if field.name in _SPIKE_FIELDS:
            continue
        if isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == activity.num_cells:
            changes[field.name] = value[keep]
    if activity.behaviour:  # per-cell tuning rides in the behaviour dict; time series do not change
        changes["behaviour"] = {k: (np.asarray(v)[keep] if k in PER_CELL_BEHAVIOUR_KEYS else v)
                                for k, v in activity.behaviour.items()}
    if activity.lfp_proxy:
        changes["lfp_proxy"] = _subset_lfp_proxy(activity, keep)
    return dataclasses.replace(activity, **changes)


def _subset_lfp_proxy(activity: Activity, keep: np.ndarray) -> dict:
    """``lfp_proxy`` of the kept cells: each population's sums scaled by its kept pyramidal fraction."""
    from neurosim.populations import PYRAMIDAL

    lp = dict(activity.lfp_proxy)
    labels = activity.population_labels if activity.population_labels is not None \
        else activity.cell_types.astype(np.int64)
    pyramidal = np.asarray(activity.cell_types) == PYRAMIDAL
    for name in ("proxy", "dipole_nA_um"):
        if name not in lp:
            continue
        series = np.array(lp[name], dtype=float)
        for p in range(series.shape[1]):
            total = np.count_nonzero((labels == p) & pyramidal)
            series[:, p] *= np.count_nonzero((labels == p) & pyramidal & keep) / total if total else 0.0
        lp[name] = series
    return lp
