"""A multi-population network of current-based leaky integrate-and-fire cells (Brian2).

Shared engine of `neurosim.populations.balanced` and `neurosim.populations.column`.
Cells of population ``p`` occupy one contiguous block of indices. Per cell::

    tau_m dv/dt = -(v - E_L) + I_e + I_i + I_dc,k - w        (v in mV; I in mV, i.e. R_m * current)
    I_dc,k = I_dc[p] + sigma_exc * xi_k,   xi_k ~ N(0, 1) per cell, fixed
    tau_s dI_e/dt = -I_e,   tau_s dI_i/dt = -I_i,   tau_w dw/dt = -w
    v > V_th  ->  v = V_reset (bursting cells: V_th - 2 mV), w += b,  refractory t_ref

A presynaptic spike of an excitatory (inhibitory) cell adds ``+J`` (``-J``) to ``I_e`` (``I_i``)
of its targets after the delay. Inputs from outside the simulated cells arrive as Poisson event
counts per step (``poisson(lam * dt)`` events of size ``J_bg``), the excitatory ones modulated by
``1 + depth * sin(2 pi f t)`` when an oscillation is requested.

Assumptions
-----------
- Connectivity: every post cell of population b draws Binomial(N_a, K_ba / N_a) inputs from
  population a, uniformly with replacement (multapses and autapses allowed, as in Potjans &
  Diesmann 2014); weights and delays are fixed per pair of populations.
- Bursting cells (a fraction of the excitatory cells) reset just below threshold and carry a
  spike-triggered adaptation ``b`` with ``tau_w``: they fire bursts of 2-4 spikes a few ms apart
  (adaptive LIF, e.g. Gerstner et al. 2014 ch. 6).
- Heterogeneous excitability: each cell's resting potential (equivalently its distance to
  threshold) is offset by a fixed Gaussian ``sigma_exc * xi_k`` (``excitability_sd_mV``). Through
  the expansive f-I curve of the fluctuation-driven regime a Gaussian spread of inputs gives a
  skewed, approximately log-normal distribution of rates with near-silent cells (Roxin et al.
  2011; as in the threshold-heterogeneous E/I networks of Mejias & Longtin 2014). Cortical
  pyramidal cells of one class differ in resting potential and in threshold with an SD of about
  4 mV each (the experimental ranges compiled in PLoS Comput Biol 15:e1006781, 2019, Table 1).
- Synaptic currents for the LFP proxy are summed over the excitatory (pyramidal) cells of each
  population and sampled every ``lfp_dt_ms``.

References
----------
Roxin A, Brunel N, Hansel D, Mongillo G, van Vreeswijk C (2011) J Neurosci 31:16217-16226.
Mejias JF, Longtin A (2014) Front Comput Neurosci 8:107.
PLoS Comput Biol (2019) 15:e1006781, doi:10.1371/journal.pcbi.1006781 (Table 1).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np
from tqdm.auto import tqdm

from electrode_models._validation import check_range
from neurosim.populations._brian import brian_device, build_key, run_network

__all__ = ["LIFNetwork", "simulate_lif", "connectivity", "exact_step_coefficients", "DEFAULT_EXCITABILITY_SD_MV"]

logger = logging.getLogger(__name__)

#: Default SD across cells of the resting-potential offset, mV, of the network builders (and of
#: ``population.excitability_sd_mV``): below the ~4 mV SD each of resting potential and threshold
#: of cortical pyramidal cells (PLoS Comput Biol 15:e1006781, Table 1), because in the balanced
#: network the random in-degrees already spread the mean input across cells.
DEFAULT_EXCITABILITY_SD_MV = 2.0


@dataclass(frozen=True)
class LIFNetwork:
    """Plain-number specification of a LIF network; per-population sequences have length P.

    ``in_degree`` and ``jump_mV`` are (P, P) nested tuples indexed [post, pre]; ``jump_mV`` is the
    magnitude of the synaptic current jump (mV of R_m * I), its sign set by the presynaptic type.
    ``excitability_sd_mV`` is the standard deviation across cells of a fixed offset of the resting
    potential (mV), drawn per cell from the seed.
    """

    sizes: tuple[int, ...]
    excitatory: tuple[bool, ...]
    tau_m_ms: tuple[float, ...]
    in_degree: tuple[tuple[float, ...], ...]
    jump_mV: tuple[tuple[float, ...], ...]
    bg_rate_e_hz: tuple[float, ...]
    bg_jump_e_mV: tuple[float, ...]
    bg_rate_i_hz: tuple[float, ...] = ()
    bg_jump_i_mV: tuple[float, ...] = ()
    dc_mV: tuple[float, ...] = ()
    tau_syn_ms: float = 5.0
    v_rest_mV: float = -65.0
    v_threshold_mV: float = -50.0
    v_reset_mV: float = -60.0
    refractory_ms: float = 2.0
    delay_e_ms: float = 1.5
    delay_i_ms: float = 1.5
    dt_ms: float = 0.1
    oscillation_hz: float = 0.0
    oscillation_depth: float = 0.0
    burst_fraction: float = 0.0
    burst_adaptation_mV: float = 4.0
    burst_tau_ms: float = 100.0
    excitability_sd_mV: float = 0.0
    record_currents: bool = False
    lfp_dt_ms: float = 1.0

    def __post_init__(self):
        check_range("excitability_sd_mV", self.excitability_sd_mV, 0.0, None, "mV")

    def per_pop(self, name: str, default: float = 0.0) -> np.ndarray:
        values = getattr(self, name)
        return np.asarray(values if len(values) else [default] * len(self.sizes), dtype=float)


def connectivity(spec: LIFNetwork, rng: np.random.Generator):
    """Draw (pre, post) index arrays for the excitatory and inhibitory synapses and their weights.

    Returns
    -------
    dict
        ``{"e": (pre, post, jump_mV), "i": (pre, post, jump_mV)}``, int64 / float64 arrays.
    """
    starts = np.concatenate([[0], np.cumsum(spec.sizes)])
    k = np.asarray(spec.in_degree, dtype=float)
    j = np.asarray(spec.jump_mV, dtype=float)
    out = {"e": ([], [], []), "i": ([], [], [])}
    for b, n_post in enumerate(spec.sizes):
        for a, n_pre in enumerate(spec.sizes):
            if n_post == 0 or n_pre == 0 or k[b, a] <= 0:
                continue
            counts = rng.binomial(n_pre, min(1.0, k[b, a] / n_pre), size=n_post)
            total = int(counts.sum())
            post = np.repeat(np.arange(starts[b], starts[b + 1]), counts)
            pre = rng.integers(starts[a], starts[a + 1], size=total)
            kind = "e" if spec.excitatory[a] else "i"
            out[kind][0].append(pre)
            out[kind][1].append(post)
            out[kind][2].append(np.full(total, j[b, a]))
    return {kind: tuple(np.concatenate(x) if x else np.zeros(0) for x in parts)
            for kind, parts in out.items()}


def exact_step_coefficients(tau_m_ms, tau_s_ms: float, tau_w_ms: float, dt_ms: float):
    """Coefficients of one exact step of dt of the cell's linear equations (module docstring).

    Between inputs ``I(t) = I e^(-t/tau_s)`` and ``w(t) = w e^(-t/tau_w)``, so over one step::

        v' = v_inf + (v - v_inf) E_m + (I_e + I_i) c_s - w c_w,   I' = I E_s,   w' = w E_w
        E_x = exp(-dt / tau_x),  c_x = tau_x / (tau_x - tau_m) (E_x - E_m)

    (``c_x -> (dt / tau_m) E_m`` as ``tau_x -> tau_m``), ``v_inf = E_L + I_dc``. This is the
    matrix exponential of the linear system that Brian2's ``method="exact"`` computes
    symbolically.

    Returns
    -------
    E_m (array like tau_m_ms), c_s (array), E_s (float), c_w (array), E_w (float)
    """
    tau_m = np.asarray(tau_m_ms, float)
    e_m = np.exp(-dt_ms / tau_m)

    def drive(tau_x: float) -> tuple[np.ndarray, float]:
        e_x = float(np.exp(-dt_ms / tau_x))
        gap = tau_x - tau_m
        close = np.abs(gap) < 1e-9 * tau_x
        safe = np.where(close, 1.0, gap)
        c = np.where(close, dt_ms / tau_m * e_m, tau_x / safe * (e_x - e_m))
        return c, e_x

    c_s, e_s = drive(float(tau_s_ms))
    c_w, e_w = drive(float(tau_w_ms))
    return e_m, c_s, e_s, c_w, e_w


def simulate_lif(spec: LIFNetwork, duration_s: float, seed: int, device: str = "runtime",
                 progress: bool = False) -> dict:
    """Simulate the network; return plain arrays.

    Parameters
    ----------
    spec : LIFNetwork
    duration_s : float
        Biological time, s.
    seed : int
        Seeds connectivity, initial state, bursting cells, excitability offsets (NumPy) and the
        Poisson input (Brian2).
    device : {"runtime", "cpp_standalone"}
    progress : bool
        Progress bar (runtime device only).

    Returns
    -------
    dict
        ``spike_times_s`` (float64, on the ``dt_ms`` grid), ``spike_units`` (int64), sorted by time
        then unit; ``is_bursting`` (bool per cell); ``rest_offset_mV`` (float64 per cell: the
        excitability offset added to the resting potential, mV); with ``record_currents`` also
        ``current_time_s`` (n_t,), ``i_exc_mV`` and ``i_inh_mV`` (n_t, P): R_m * synaptic current
        summed over the excitatory cells of each population, mV.
    """
    n = int(sum(spec.sizes))
    rng = np.random.default_rng(seed)
    pop_of = np.repeat(np.arange(len(spec.sizes)), spec.sizes)
    exc_cell = np.asarray(spec.excitatory, dtype=bool)[pop_of] if n else np.zeros(0, bool)
    bursting = exc_cell & (rng.random(n) < spec.burst_fraction)
    result = {"spike_times_s": np.zeros(0), "spike_units": np.zeros(0, np.int64),
              "is_bursting": bursting, "rest_offset_mV": np.zeros(n)}
    if n == 0:
        return result
    syn = connectivity(spec, rng)
    v0 = spec.v_rest_mV + rng.random(n) * (spec.v_threshold_mV - spec.v_rest_mV)
    # drawn last, so the other draws do not depend on it
    offset_mV = spec.excitability_sd_mV * rng.standard_normal(n)
    result["rest_offset_mV"] = offset_mV
    spec_dict = asdict(spec)
    key = build_key({"spec": spec_dict, "seed": int(seed), "duration_s": float(duration_s)}) \
        if device == "cpp_standalone" else None
    with brian_device(device, key) as b2:
        ms, mV, Hz = b2.ms, b2.mV, b2.Hz
        dt = spec.dt_ms * ms
        b2.seed(int(seed) % (2**32))
        # the exact propagator of the linear equations (module docstring), one step of dt:
        # written out (exact_step_coefficients) instead of Brian2's method="exact", whose symbolic
        # matrix exponential costs 20-40 s of sympy in every new network
        eqs = """
        v : volt
        I_e : volt
        I_i : volt
        w_ad : volt
        tau_m : second (constant)
        E_m : 1 (constant)
        c_s : 1 (constant)
        c_w : 1 (constant)
        I_dc : volt (constant)
        lam_e : Hz (constant)
        lam_i : Hz (constant)
        J_bg_e : volt (constant)
        J_bg_i : volt (constant)
        v_reset_cell : volt (constant)
        b_ad : volt (constant)
        """
        tau_m_ms = np.asarray(spec.tau_m_ms, float)[pop_of]
        e_m, c_s, e_s, c_w, e_w = exact_step_coefficients(tau_m_ms, spec.tau_syn_ms, spec.burst_tau_ms,
                                                          spec.dt_ms)
        ns = dict(v_rest=spec.v_rest_mV * mV, E_s=e_s, E_w=e_w, f_osc=spec.oscillation_hz * Hz,
                  depth=spec.oscillation_depth)
        g = b2.NeuronGroup(n, eqs, threshold=f"v > {spec.v_threshold_mV}*mV",
                           reset="v = v_reset_cell; w_ad += b_ad",
                           refractory=spec.refractory_ms * ms, namespace=ns,
                           dt=dt, name="cells")
        g.run_regularly("v = int(not_refractory) * (v_rest + I_dc + (v - v_rest - I_dc) * E_m"
                        " + (I_e + I_i) * c_s - w_ad * c_w) + (1 - int(not_refractory)) * v\n"
                        "I_e = I_e * E_s\n"
                        "I_i = I_i * E_s\n"
                        "w_ad = w_ad * E_w", when="groups", name="exact_step")
        g.tau_m = tau_m_ms * ms
        g.E_m, g.c_s, g.c_w = e_m, c_s, c_w
        g.I_dc = (spec.per_pop("dc_mV")[pop_of] + offset_mV) * mV
        g.lam_e = spec.per_pop("bg_rate_e_hz")[pop_of] * Hz
        g.lam_i = spec.per_pop("bg_rate_i_hz")[pop_of] * Hz
        g.J_bg_e = spec.per_pop("bg_jump_e_mV")[pop_of] * mV
        g.J_bg_i = spec.per_pop("bg_jump_i_mV")[pop_of] * mV
        g.v_reset_cell = np.where(bursting, spec.v_threshold_mV - 2.0, spec.v_reset_mV) * mV
        g.b_ad = np.where(bursting, spec.burst_adaptation_mV, 0.0) * mV
        g.v = v0 * mV
        mod = "(1 + depth * sin(2 * pi * f_osc * t))" if spec.oscillation_depth > 0 else "1"
        g.run_regularly(f"I_e += J_bg_e * poisson(lam_e * {mod} * dt)\n"
                        "I_i -= J_bg_i * poisson(lam_i * dt)", when="start", name="background")
        objects = [g]
        for kind, delay_ms, sign in (("e", spec.delay_e_ms, "+"), ("i", spec.delay_i_ms, "-")):
            pre, post, w = syn[kind]
            if len(pre) == 0:
                continue
            s = b2.Synapses(g, g, "w : volt (constant)", on_pre=f"I_{kind}_post {sign}= w",
                            delay=delay_ms * ms, dt=dt, name=f"syn_{kind}")
            s.connect(i=pre.astype(np.int32), j=post.astype(np.int32))
            s.w = w * mV
            objects.append(s)
        spikes = b2.SpikeMonitor(g, name="spikes")
        objects.append(spikes)
        currents = None
        if spec.record_currents:
            num_pops = len(spec.sizes)
            lfp = b2.NeuronGroup(num_pops, "Ie_tot : volt\nIi_tot : volt", dt=dt, name="lfp_sums")
            summ = b2.Synapses(g, lfp, "Ie_tot_post = I_e_pre : volt (summed)\n"
                                       "Ii_tot_post = I_i_pre : volt (summed)", dt=dt, name="lfp_sum")
            cells = np.flatnonzero(exc_cell)
            summ.connect(i=cells.astype(np.int32), j=pop_of[cells].astype(np.int32))
            currents = b2.StateMonitor(lfp, ["Ie_tot", "Ii_tot"], record=True,
                                       dt=spec.lfp_dt_ms * ms, name="lfp_monitor")
            objects += [lfp, summ, currents]
        net = b2.Network(*objects, name="lif_network")
        with tqdm(total=round(duration_s, 3), desc="cortex (Brian2)", unit="s bio",
                  disable=not progress or device != "runtime",
                  bar_format="{l_bar}{bar}| {n:.2f}/{total:.2f} s [{elapsed}]") as bar:
            def report(elapsed, completed, start, duration):
                bar.n = round(float(completed) * duration_s, 3)
                bar.refresh()

            run_network(b2, net, duration_s, device, key, report=report)
        times = np.asarray(spikes.t_[:], dtype=np.float64)
        units = np.asarray(spikes.i[:], dtype=np.int64)
        if currents is not None:
            result["current_time_s"] = np.asarray(currents.t_[:], dtype=np.float64)
            result["i_exc_mV"] = np.asarray(currents.Ie_tot_[:], dtype=np.float64).T * 1e3
            result["i_inh_mV"] = np.asarray(currents.Ii_tot_[:], dtype=np.float64).T * 1e3
    order = np.lexsort((units, times))
    result["spike_times_s"], result["spike_units"] = times[order], units[order]
    return result
