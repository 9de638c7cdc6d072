"""The plain-array output of a population model: what the virtual cortex did."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Activity", "CELL_TYPE_NAMES", "PYRAMIDAL", "INTERNEURON"]

#: Integer codes of the cell types, as stored in ``Activity.cell_types`` and the HDF5 file.
PYRAMIDAL, INTERNEURON = 0, 1
CELL_TYPE_NAMES = ("pyramidal", "interneuron")


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
        :data:`PYRAMIDAL` (excitatory) or :data:`INTERNEURON` (inhibitory).
    orientations : np.ndarray, shape (num_cells, 3), float64
        Unit vector of each cell's main (apical) axis in the tissue frame.
    duration_s : float
        Simulated biological time, s.
    """

    spike_times_s: np.ndarray
    spike_units: np.ndarray
    positions_um: np.ndarray
    cell_types: np.ndarray
    orientations: np.ndarray
    duration_s: float

    @property
    def num_cells(self) -> int:
        return int(self.positions_um.shape[0])

    @property
    def num_spikes(self) -> int:
        return int(self.spike_times_s.shape[0])

    def rates_hz(self) -> np.ndarray:
        """Mean firing rate of every cell, Hz, shape (num_cells,)."""
        counts = np.bincount(self.spike_units, minlength=self.num_cells)
        return counts / self.duration_s

    def type_names(self) -> np.ndarray:
        """Cell type names, shape (num_cells,)."""
        return np.asarray(CELL_TYPE_NAMES)[self.cell_types]
