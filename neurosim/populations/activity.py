"""The plain-array output of a population model: what the virtual cortex did."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Activity", "CELL_TYPE_NAMES", "PER_CELL_BEHAVIOUR_KEYS", "PYRAMIDAL", "INTERNEURON",
           "TUNING_KEYS"]

#: Integer codes of the cell types, as stored in ``Activity.cell_types`` and the HDF5 file.
PYRAMIDAL, INTERNEURON = 0, 1
CELL_TYPE_NAMES = ("pyramidal", "interneuron")

#: Velocity tuning of the motor model's cells (Hz; NaN: the cell does not follow it: dark or
#: generated), ``r = b + m (v . u) / v_ref + s |v| / v_ref`` (`neurosim.populations.motor`).
TUNING_KEYS = ("baseline_hz", "modulation_hz", "speed_gain_hz")
#: Entries of ``Activity.behaviour`` indexed by cell (first axis ``num_cells``), not by time or trial.
PER_CELL_BEHAVIOUR_KEYS = ("preferred_direction_rad",) + TUNING_KEYS


@dataclass(frozen=True)
class Activity:
    """Spikes and cells of a simulated population (no Brian2 objects).

    Attributes
    ----------
    spike_times_s : np.ndarray, shape (num_spikes,), float64
        Spike times in s, sorted ascending (ties broken by unit id).
    spike_units : np.ndarray, shape (num_spikes,), int64
        Index of the firing cell, in ``[0, num_cells)``.
    positions_um : np.ndarray, shape (num_cells, 3), float64
        Soma positions in the tissue frame, µm (surface at z = 0, tissue z < 0).
    cell_types : np.ndarray, shape (num_cells,), int8
        `PYRAMIDAL` (excitatory) or `INTERNEURON` (inhibitory).
    orientations : np.ndarray, shape (num_cells, 3), float64
        Unit vector of each cell's main (apical) axis in the tissue frame.
    duration_s : float
        Simulated biological time, s.
    behaviour : dict of str to np.ndarray, optional
        Behaviour labels aligned with the spikes (motor model): ``time_s`` (n_t,),
        ``cursor_position_cm`` and ``cursor_velocity_cm_per_s`` (n_t, 2), ``target_cm`` (n_t, 2),
        ``trial_start_s``, ``trial_end_s``, ``movement_start_s`` (n_trials,), ``trial_target_cm``
        (n_trials, 2), and the tuning of each cell: ``preferred_direction_rad`` (num_cells,).
    population_labels : np.ndarray, shape (num_cells,), int64, optional
        Index into ``population_names`` of each cell's population (e.g. layer and type).
    population_names : tuple of str
        Names of the populations (``("E", "I")``, ``("L23e", ..., "L6i")``, ``("motor",)``).
    lfp_proxy : dict of str to np.ndarray, optional
        With ``population.record_lfp``: ``time_s`` (n_t,), ``proxy`` (n_t, num_populations), the
        weighted-sum LFP proxy of Mazzoni et al. (2015) in mV (R_m * current summed over the
        pyramidal cells; arbitrary units for comparison between populations and designs), and
        ``dipole_nA_um`` (n_t, num_populations, 3), the current-dipole moment of each population's
        pyramidal cells, nA·µm (see `neurosim.populations.lfp`).
    num_background_cells : float
        Expected number of neurons in the background shell (beyond the reach radius, within
        ``background_radius_um`` of a contact); not simulated, for the noise model.
    background_radius_um : float
        Outer radius of the background shell, µm.
    background_rate_hz : float
        Mean firing rate assumed for the background neurons (that of the simulated cells), Hz.
    device : str
        Brian2 device that ran the simulation (``"runtime"`` or ``"cpp_standalone"``; ``"none"``
        for generated spike trains).
    stream_rates_hz, stream_cell_ids : np.ndarray, shape (num_cells,), optional
        Set for generated (streamed) activity (``population.model = "poisson"``): the spikes are
        not stored but produced on demand by `spikes_between` from each cell's rate and
        stable id; ``spike_times_s`` and ``spike_units`` are then empty.
    stream_seed : int
        Seed of the generated spike trains.
    stream_refractory_s : float
        Refractory period of the generated spike trains, s.
    cell_class : np.ndarray, shape (num_cells,), int8, optional
        Morphological class of each cell, an index into `electrode_models.CELL_CLASSES`
        (L2/3, L4, L5, L6 excitatory; basket, Martinotti, chandelier), drawn from its E/I type and
        soma depth (`electrode_models.assign_cell_classes`). None: the legacy two-shape
        library (``"pyramidal"``/``"interneuron"`` aliases of the cell types).
    morphology_variant : np.ndarray, shape (num_cells,), int16, optional
        Which morphological variant of its class each cell has (dendritic lengths, diameters,
        soma size, spike width: `electrode_models.cell_variant`).
    spin_rad : np.ndarray, shape (num_cells,), float64, optional
        Rotation of each cell about its own main axis, rad.
    """

    spike_times_s: np.ndarray
    spike_units: np.ndarray
    positions_um: np.ndarray
    cell_types: np.ndarray
    orientations: np.ndarray
    duration_s: float
    behaviour: dict | None = None
    population_labels: np.ndarray | None = None
    population_names: tuple[str, ...] = field(default=())
    lfp_proxy: dict | None = None
    num_background_cells: float = 0.0
    background_radius_um: float = 0.0
    background_rate_hz: float = 0.0
    device: str = "runtime"
    stream_rates_hz: np.ndarray | None = None
    stream_cell_ids: np.ndarray | None = None
    stream_seed: int = 0
    stream_refractory_s: float = 0.0
    cell_class: np.ndarray | None = None
    morphology_variant: np.ndarray | None = None
    spin_rad: np.ndarray | None = None

    @property
    def num_cells(self) -> int:
        return int(self.positions_um.shape[0])

    @property
    def num_spikes(self) -> int:
        return int(self.spike_times_s.shape[0])

    @property
    def streamed(self) -> bool:
        """True when the spikes are generated on demand (`spikes_between`), not stored."""
        return self.stream_rates_hz is not None

    def spikes_between(self, t0_s: float, t1_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Spike times (s) and units in ``[t0_s, t1_s)``, sorted by time (ties by unit)."""
        if self.streamed:
            from neurosim.populations.poisson import poisson_spikes

            return poisson_spikes(self.stream_rates_hz, self.stream_cell_ids, self.stream_seed,
                                  self.stream_refractory_s, max(t0_s, 0.0),
                                  max(min(t1_s, self.duration_s), max(t0_s, 0.0)))
        lo, hi = np.searchsorted(self.spike_times_s, [t0_s, t1_s])
        return self.spike_times_s[lo:hi], self.spike_units[lo:hi]

    def rates_hz(self) -> np.ndarray:
        """Mean firing rate of every cell, Hz, shape (num_cells,) (the set rate when streamed)."""
        if self.streamed:
            return np.asarray(self.stream_rates_hz, float)
        counts = np.bincount(self.spike_units, minlength=self.num_cells)
        return counts / self.duration_s

    def generated_mask(self) -> np.ndarray:
        """True for the cells beyond ``population.reach_radius_um`` (up to ``outer_radius_um``) that
        fire as independent renewal processes with the network's rate distribution instead of
        being simulated in the network (their population name ends in ``"(generated)"``)."""
        if self.population_labels is None or not self.population_names:
            return np.zeros(self.num_cells, bool)
        gen = np.array([n.endswith("(generated)") for n in self.population_names], bool)
        return gen[np.asarray(self.population_labels, np.int64)]

    def template_cells(self) -> dict:
        """Keyword arguments that describe the cells to `electrode_models.compute_templates`:
        ``cell_classes`` (names), ``variants`` and ``spin_rad`` (legacy activities without classes:
        the ``"pyramidal"``/``"interneuron"`` aliases, variant 0, no spin)."""
        if self.cell_class is None:
            return {"cell_classes": self.type_names()}
        from electrode_models import CELL_CLASSES

        return {"cell_classes": np.asarray(CELL_CLASSES)[np.asarray(self.cell_class, np.int64)],
                "variants": np.asarray(self.morphology_variant, np.int64),
                "spin_rad": np.asarray(self.spin_rad, np.float64)}

    def type_names(self) -> np.ndarray:
        """Cell type names, shape (num_cells,)."""
        return np.asarray(CELL_TYPE_NAMES)[self.cell_types]
