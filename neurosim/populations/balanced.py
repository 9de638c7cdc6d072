"""Balanced excitatory/inhibitory network of leaky integrate-and-fire neurons (Brian2).

A sparse, randomly connected network in the spirit of Brunel (2000) and Vogels & Abbott (2005):
pyramidal (E) and interneuron (I) LIF cells with exponentially decaying synaptic currents,
recurrent E and I input of fixed expected in-degree, relative inhibitory strength ``g``, and
independent external Poisson drive. With inhibition dominating (g ≳ 4) it settles in an
asynchronous-irregular state with low rates.

Membrane equation (per cell)::

    tau_m dv/dt = -(v - E_L) + I_syn,     tau_s dI_syn/dt = -I_syn
    v > V_th  ->  v = V_reset, refractory t_ref

Assumptions
-----------
- Connectivity ignores distance (the simulated cells are the few within reach of the contacts,
  treated as one well-mixed module); issue 3 brings layered, distance-dependent models.
- Interneurons have a shorter membrane time constant (10 ms vs 20 ms) and fire faster.
- Runtime device with the NumPy code-generation target: no compiler is needed and, for the few
  thousand cells within reach of an array, it is faster than compiling (see the issue note).

References
----------
Brunel N (2000) J Comput Neurosci 8:183-208. Vogels TP, Abbott LF (2005) J Neurosci 25:10786.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

__all__ = ["simulate_balanced_ei", "BalancedParams"]

logger = logging.getLogger(__name__)


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
    psp_e_mV: float = 0.8        # size of one excitatory input, mV (same charge as an instantaneous jump)
    inhibition_ratio: float = 7.0
    in_degree: int = 100
    num_external_inputs: int = 100
    drive_rate_hz: float = 6.0
    dt_ms: float = 0.1


def _import_brian2():
    """Import Brian2 without letting it replace ``sys.excepthook``.

    Brian2 installs a hook that reports *every* uncaught exception of the process as a Brian2
    bug; neurosim's own errors must reach the user as they are.
    """
    import sys

    hook = sys.excepthook
    import brian2

    sys.excepthook = hook
    return brian2


def simulate_balanced_ei(num_excitatory: int, num_inhibitory: int, duration_s: float, seed: int,
                         params: BalancedParams = BalancedParams(), progress: bool = False):
    """Simulate the network and return plain arrays.

    Parameters
    ----------
    num_excitatory, num_inhibitory : int
        Cell counts; cells ``0 .. num_excitatory-1`` are excitatory.
    duration_s : float
        Biological time, s.
    seed : int
        Seed for Brian2's and NumPy's generators (connectivity, initial state, Poisson drive).
    progress : bool
        Show a progress bar over biological time.

    Returns
    -------
    spike_times_s : np.ndarray, float64, shape (num_spikes,)
        Spike times on the simulation grid (multiples of ``dt_ms``), s.
    spike_units : np.ndarray, int64, shape (num_spikes,)
    """
    b2 = _import_brian2()
    n = num_excitatory + num_inhibitory
    if n == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    old_target = b2.prefs.codegen.target
    old_level = b2.prefs.logging.console_log_level
    b2.prefs.codegen.target = "numpy"
    b2.prefs.logging.console_log_level = "WARNING"
    try:
        b2.seed(int(seed) % (2**32))
        p = params
        ms, mV, Hz = b2.ms, b2.mV, b2.Hz
        # One unit of synaptic current raises v by about 'w' mV at its peak for tau_s << tau_m;
        # the jump is scaled so an input's charge matches a PSP of psp_e_mV.
        eqs = """
        dv/dt = (-(v - v_rest) + I_syn) / tau_m : volt (unless refractory)
        dI_syn/dt = -I_syn / tau_s : volt
        tau_m : second (constant)
        """
        ns = dict(v_rest=p.v_rest_mV * mV, tau_s=p.tau_syn_ms * ms)
        group = b2.NeuronGroup(n, eqs, threshold=f"v > {p.v_threshold_mV}*mV",
                               reset=f"v = {p.v_reset_mV}*mV", refractory=p.refractory_ms * ms,
                               method="exact", namespace=ns, dt=p.dt_ms * ms, name="cells")
        tau_m = np.full(n, p.tau_m_e_ms)
        tau_m[num_excitatory:] = p.tau_m_i_ms
        group.tau_m = tau_m * ms
        rng = np.random.default_rng(seed)
        group.v = (p.v_rest_mV + rng.random(n) * (p.v_threshold_mV - p.v_rest_mV)) * mV
        jump = p.psp_e_mV * p.tau_m_e_ms / p.tau_syn_ms  # mV: charge of one PSP over tau_s
        objects = [group]
        if num_excitatory > 0:
            exc = b2.Synapses(group[:num_excitatory], group, on_pre=f"I_syn_post += {jump}*mV",
                              delay=p.delay_ms * ms, name="exc", dt=p.dt_ms * ms)
            exc.connect(p=min(1.0, p.in_degree / num_excitatory))
            objects.append(exc)
        if num_inhibitory > 0:
            k_i = max(1, p.in_degree // 4)
            inh = b2.Synapses(group[num_excitatory:], group,
                              on_pre=f"I_syn_post -= {p.inhibition_ratio * jump}*mV",
                              delay=p.delay_ms * ms, name="inh", dt=p.dt_ms * ms)
            inh.connect(p=min(1.0, k_i / num_inhibitory))
            objects.append(inh)
        if p.num_external_inputs > 0 and p.drive_rate_hz > 0:
            objects.append(b2.PoissonInput(group, "v", p.num_external_inputs, p.drive_rate_hz * Hz,
                                           weight=p.psp_e_mV * mV))
        monitor = b2.SpikeMonitor(group, name="spikes")
        objects.append(monitor)
        net = b2.Network(*objects)
        with tqdm(total=round(duration_s, 3), desc="cortex (Brian2)", unit="s bio",
                  disable=not progress, bar_format="{l_bar}{bar}| {n:.2f}/{total:.2f} s [{elapsed}]") as bar:
            def report(elapsed, completed, start, duration):
                bar.n = round(float(completed) * duration_s, 3)
                bar.refresh()

            net.run(duration_s * b2.second, namespace={}, report=report,
                    report_period=0.5 * b2.second)
        times = np.asarray(monitor.t_[:], dtype=np.float64)
        units = np.asarray(monitor.i[:], dtype=np.int64)
    finally:
        b2.prefs.codegen.target = old_target
        b2.prefs.logging.console_log_level = old_level
    order = np.lexsort((units, times))
    return times[order], units[order]
