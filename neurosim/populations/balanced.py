"""Balanced excitatory/inhibitory network of leaky integrate-and-fire neurons (Brian2).

A sparse, randomly connected network in the spirit of Brunel (2000) and Vogels & Abbott (2005):
pyramidal (E) and interneuron (I) LIF cells with exponentially decaying synaptic currents,
recurrent E and I input of fixed expected in-degree, relative inhibitory strength ``g``, and
independent external Poisson drive. With inhibition dominating (g ≳ 4) and the mean input below
threshold it settles in the asynchronous-irregular (AI) state: low rates, CV of the inter-spike
intervals ≈ 1, Fano factor ≈ 1, weak synchrony. Options: a sinusoidal modulation of the external
drive (theta/gamma rhythms) and a fraction of bursting pyramidal cells.
The engine is `neurosim.populations._lif`.

Assumptions
-----------
- Connectivity ignores distance (the simulated cells of one module are well mixed; see
  docs/populations.md for how modules tile a large array).
- Interneurons have a shorter membrane time constant (10 ms vs 20 ms) and fire faster.
- External drive: ``num_external_inputs`` independent Poisson inputs at ``drive_rate_hz`` per
  cell, each with the excitatory PSP size.
- Rate heterogeneity: the binomial in-degrees already spread the mean input across cells (SD
  ``J tau_m sqrt(Var K_E r_E^2 + Var K_I (g r_I)^2)``, ~6 mV at the defaults, dominated by the
  inhibitory in-degree); a fixed N(0, ``excitability_sd_mV``^2) offset of each cell's resting
  potential (default 2 mV) adds the intrinsic spread. Through the expansive f-I curve the rates
  become skewed, log-normal-like, with near-silent pyramidal cells (Roxin et al. 2011). The
  offsets are centred on 0: recurrent inhibition regulates the mean rates (+7-25 % at 2 mV).

References
----------
Brunel N (2000) J Comput Neurosci 8:183-208. Vogels TP, Abbott LF (2005) J Neurosci 25:10786.
Roxin A, Brunel N, Hansel D, Mongillo G, van Vreeswijk C (2011) J Neurosci 31:16217.
"""

from __future__ import annotations

from dataclasses import dataclass


from neurosim.populations._brian import import_brian2 as _import_brian2  # noqa: F401 (compat)
from neurosim.populations._lif import DEFAULT_EXCITABILITY_SD_MV, LIFNetwork, simulate_lif

__all__ = ["simulate_balanced_ei", "BalancedParams", "balanced_network"]


@dataclass(frozen=True)
class BalancedParams:
    """Network parameters; physical values in the units of their suffixes."""

    tau_m_e_ms: float = 20.0
    tau_m_i_ms: float = 10.0
    tau_syn_ms: float = 5.0
    v_rest_mV: float = -65.0
    v_threshold_mV: float = -50.0
    v_reset_mV: float = -60.0
    refractory_ms: float = 2.0
    delay_ms: float = 1.5
    psp_e_mV: float = 1.0        # size of one excitatory input, mV (same charge as an instantaneous jump)
    inhibition_ratio: float = 5.0
    in_degree: int = 100
    num_external_inputs: int = 100
    drive_rate_hz: float = 10.0
    dt_ms: float = 0.1
    oscillation_hz: float = 0.0
    oscillation_depth: float = 0.0
    burst_fraction: float = 0.0
    excitability_sd_mV: float = DEFAULT_EXCITABILITY_SD_MV  # SD of per-cell rest offsets, mV
    record_currents: bool = False


def balanced_network(num_excitatory: int, num_inhibitory: int,
                     params: BalancedParams = BalancedParams()) -> LIFNetwork:
    """The `LIFNetwork` of a balanced E/I network (population 0: E, 1: I)."""
    p = params
    # one input's charge over tau_s equals a PSP of psp_e_mV on the excitatory membrane
    jump = p.psp_e_mV * p.tau_m_e_ms / p.tau_syn_ms
    k_e = min(float(p.in_degree), float(num_excitatory))
    k_i = min(float(max(1, p.in_degree // 4)), float(num_inhibitory))
    drive_hz = p.num_external_inputs * p.drive_rate_hz
    return LIFNetwork(
        sizes=(int(num_excitatory), int(num_inhibitory)), excitatory=(True, False),
        tau_m_ms=(p.tau_m_e_ms, p.tau_m_i_ms),
        in_degree=((k_e, k_i), (k_e, k_i)),
        jump_mV=((jump, p.inhibition_ratio * jump), (jump, p.inhibition_ratio * jump)),
        bg_rate_e_hz=(drive_hz, drive_hz), bg_jump_e_mV=(jump, jump),
        tau_syn_ms=p.tau_syn_ms, v_rest_mV=p.v_rest_mV, v_threshold_mV=p.v_threshold_mV,
        v_reset_mV=p.v_reset_mV, refractory_ms=p.refractory_ms, delay_e_ms=p.delay_ms,
        delay_i_ms=p.delay_ms, dt_ms=p.dt_ms, oscillation_hz=p.oscillation_hz,
        oscillation_depth=p.oscillation_depth, burst_fraction=p.burst_fraction,
        excitability_sd_mV=p.excitability_sd_mV, record_currents=p.record_currents)


def simulate_balanced_ei(num_excitatory: int, num_inhibitory: int, duration_s: float, seed: int,
                         params: BalancedParams = BalancedParams(), progress: bool = False,
                         device: str = "runtime", full_output: bool = False):
    """Simulate the network and return plain arrays.

    Parameters
    ----------
    num_excitatory, num_inhibitory : int
        Cell counts; cells ``0 .. num_excitatory-1`` are excitatory.
    duration_s : float
        Biological time, s.
    seed : int
        Seed for the connectivity, initial state (NumPy) and the Poisson drive (Brian2).
    progress : bool
        Show a progress bar over biological time.
    device : {"runtime", "cpp_standalone"}
        Brian2 device.
    full_output : bool
        Return the whole result dict of `neurosim.populations._lif.simulate_lif`
        (bursting cells, synaptic currents) instead of the two spike arrays.

    Returns
    -------
    spike_times_s : np.ndarray, float64, shape (num_spikes,)
        Spike times on the simulation grid (multiples of ``dt_ms``), s.
    spike_units : np.ndarray, int64, shape (num_spikes,)
    """
    out = simulate_lif(balanced_network(num_excitatory, num_inhibitory, params), duration_s,
                       seed, device=device, progress=progress)
    return out if full_output else (out["spike_times_s"], out["spike_units"])
