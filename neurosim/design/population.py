"""Design section: the simulated population."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from neurosim.design._base import Section, ranged

__all__ = ["Population"]


class Population(Section):
    """The simulated neurons: a balanced E/I network placed around the implant's contacts."""

    model: Literal["balanced_ei"] = Field("balanced_ei", description="population model family")
    density_per_mm3: float = ranged(60000.0, 1000.0, 300000.0, "neurons/mm^3",
                                "cortical neuron density (40k-90k in cortex)")
    reach_radius_um: float = ranged(60.0, 10.0, 500.0, "um",
                                "cells are simulated within this distance of any contact")
    min_distance_um: float = ranged(15.0, 0.0, 100.0, "um", "no soma closer than this to a contact (tissue damage)")
    excitatory_fraction: float = ranged(0.8, 0.0, 1.0, "", "fraction of pyramidal (excitatory) cells")
    max_neurons: int = ranged(50000, 1, 2_000_000, "neurons", "refuse designs that would simulate more cells")
    drive_rate_hz: float = ranged(6.0, 0.0, 100.0, "Hz", "rate of each of the external Poisson inputs per cell")
    num_external_inputs: int = ranged(100, 0, 10000, "inputs", "external Poisson inputs per cell")
    inhibition_ratio: float = ranged(7.0, 0.0, 20.0, "", "relative inhibitory synaptic strength g (Brunel 2000)")
    psp_mV: float = ranged(0.8, 0.01, 10.0, "mV", "size of one excitatory synaptic input")
    in_degree: int = ranged(100, 1, 10000, "synapses", "excitatory synapses per cell (inhibitory: a quarter)")
