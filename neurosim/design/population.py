"""Design section: the simulated population (model family, placement, device, options)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from neurosim.design._base import Section, ranged

__all__ = ["Population", "ColumnOptions", "MotorOptions", "PoissonOptions"]


class ColumnOptions(Section):
    """``cortical_column``: the Potjans & Diesmann (2014) microcircuit mapped onto soma depth."""

    layer_boundaries_um: tuple[float, float, float, float, float] = Field(
        (150.0, 700.0, 1000.0, 1500.0, 2000.0),
        description="lower boundaries of L1, L2/3, L4, L5, L6 below the surface",
        json_schema_extra={"unit": "um"})

    @model_validator(mode="after")
    def _increasing(self):
        b = self.layer_boundaries_um
        if any(x <= 0 or x > 5000 for x in b) or any(hi <= lo for lo, hi in zip(b, b[1:])):
            raise ValueError(f"layer_boundaries_um must increase strictly within (0, 5000] um, "
                             f"got {list(b)}")
        return self


class MotorOptions(Section):
    """``motor_cortex``: cosine velocity tuning during a synthetic reaching task."""

    task: Literal["center_out", "random_target"] = Field("center_out", description="reaching task")
    baseline_hz: float = ranged(10.0, 0.0, 100.0, "Hz", "baseline rate of pyramidal cells")
    modulation_hz: float = ranged(15.0, 0.0, 200.0, "Hz", "cosine-tuning depth at the reference speed")
    speed_gain_hz: float = ranged(5.0, 0.0, 200.0, "Hz", "untuned speed modulation at the reference speed")
    lag_ms: float = ranged(100.0, 0.0, 500.0, "ms", "neural activity leads movement by this much")
    num_targets: int = ranged(8, 2, 64, "targets", "peripheral targets of the centre-out task")
    target_distance_cm: float = ranged(10.0, 0.5, 50.0, "cm", "distance of the targets from the centre")
    reach_s: float = ranged(0.6, 0.1, 5.0, "s", "mean movement time of a reach")
    hold_s: float = ranged(0.3, 0.0, 5.0, "s", "hold time before each reach")


class PoissonOptions(Section):
    """``poisson``: independent renewal spike trains with log-normal rates, generated on demand
    (any duration, constant memory; see `neurosim.populations.poisson`)."""

    pyramidal_median_hz: float = ranged(2.0, 0.0, 100.0, "Hz", "median rate of pyramidal cells")
    interneuron_median_hz: float = ranged(10.0, 0.0, 200.0, "Hz", "median rate of interneurons")
    rate_sigma_ln: float = ranged(1.0, 0.0, 3.0, "", "standard deviation of ln(rate) across cells")
    max_rate_hz: float = ranged(100.0, 0.1, 400.0, "Hz", "rates are clipped here")
    refractory_ms: float = ranged(2.0, 0.0, 10.0, "ms", "absolute refractory period (dead time)")

    @model_validator(mode="after")
    def _rate_below_refractory_limit(self):
        if self.max_rate_hz * self.refractory_ms * 1e-3 >= 1.0:
            raise ValueError(f"population.poisson.max_rate_hz must be below 1 / refractory_ms = "
                             f"{1e3 / self.refractory_ms:g} Hz, got {self.max_rate_hz:g} Hz")
        return self


class Population(Section):
    """The simulated neurons: a population model placed around the implant's contacts."""

    model: Literal["balanced_ei", "cortical_column", "motor_cortex", "poisson"] = Field(
        "balanced_ei", description="population model family")
    density_per_mm3: float = ranged(60000.0, 1000.0, 300000.0, "neurons/mm^3",
                                "cortical neuron density (40k-90k in cortex)")
    reach_radius_um: float = ranged(60.0, 10.0, 500.0, "um",
                                "cells are simulated within this distance of any contact")
    outer_radius_um: float | None = ranged(
        150.0, 10.0, 1000.0, "um",
        "cells between reach_radius_um and this fire as independent renewal trains with the network's "
        "rate distribution (None or <= reach: none); beyond it they are the Gaussian far-neuron background")
    background_radius_um: float | None = ranged(
        None, 10.0, 5000.0, "um", "outer radius of the far-neuron background shell (None: 3x reach)")
    min_distance_um: float = ranged(15.0, 0.0, 100.0, "um", "no soma closer than this to a contact (tissue damage)")
    excitatory_fraction: float = ranged(0.8, 0.0, 1.0, "", "fraction of pyramidal (excitatory) cells")
    max_neurons: int = ranged(50000, 1, 2_000_000, "neurons", "refuse designs that would simulate more cells")
    device: Literal["auto", "runtime", "cpp_standalone"] = Field(
        "auto", description="Brian2 device: auto = C++ standalone from 20 000 cells on")
    record_lfp: bool = Field(False, description="record synaptic currents for the LFP proxy and dipoles")
    # balanced_ei
    drive_rate_hz: float = ranged(10.0, 0.0, 100.0, "Hz", "rate of each of the external Poisson inputs per cell")
    num_external_inputs: int = ranged(100, 0, 10000, "inputs", "external Poisson inputs per cell")
    inhibition_ratio: float = ranged(5.0, 0.0, 20.0, "", "relative inhibitory synaptic strength g (Brunel 2000)")
    psp_mV: float = ranged(1.0, 0.01, 10.0, "mV", "size of one excitatory synaptic input")
    in_degree: int = ranged(100, 1, 10000, "synapses", "excitatory synapses per cell (inhibitory: a quarter)")
    # rhythms and bursting (balanced_ei and cortical_column)
    oscillation_hz: float = ranged(0.0, 0.0, 200.0, "Hz", "frequency of a sinusoidal modulation of the external drive")
    oscillation_depth: float = ranged(0.0, 0.0, 1.0, "", "relative depth of that modulation")
    burst_fraction: float = ranged(0.0, 0.0, 1.0, "", "fraction of pyramidal cells that fire bursts")
    # firing-rate heterogeneity (balanced_ei and cortical_column; docs/populations.md)
    excitability_sd_mV: float = ranged(
        2.0, 0.0, 10.0, "mV",
        "SD across cells of a fixed offset of the resting potential (distance to threshold): skewed, "
        "log-normal-like rates with near-silent cells (Roxin et al. 2011); cortex: ~4 mV")
    dark_fraction: float = ranged(
        0.92, 0.0, 0.99, "",
        "fraction of pyramidal cells that are 'dark' (Shoham et al. 2006): they fire at 0.001-0.03 Hz "
        "whatever the model gives them; cortex: 0.8-0.95 (Henze et al. 2000: 60-100 of ~1000 cells near "
        "a tetrode isolatable; Hromadka et al. 2008: < 10 % respond). 0: every cell fires as modelled")
    column: ColumnOptions = Field(default_factory=ColumnOptions)
    motor: MotorOptions = Field(default_factory=MotorOptions)
    poisson: PoissonOptions = Field(default_factory=PoissonOptions)

    @model_validator(mode="after")
    def _background_outside_reach(self):
        if self.background_radius_um is not None and self.background_radius_um <= self.reach_radius_um:
            raise ValueError(f"population.background_radius_um must be above population.reach_radius_um"
                             f" = {self.reach_radius_um:g} um, got {self.background_radius_um:g}")
        return self
