"""A multi-population network of current-based leaky integrate-and-fire cells (Brian2).

Shared engine of `neurosim.populations.balanced` and `neurosim.populations.column`.
Cells of population ``p`` occupy one contiguous block of indices. Per cell::

    tau_m dv/dt = -(v - E_L) + I_e + I_i + I_dc,k - w        (v in mV; I in mV, i.e. R_m * current)
    I_dc,k = I_dc[p] + sigma_exc * xi_k,   xi_k ~ N(0, 1) per cell, fixed
    tau_s dI_e/dt = -I_e,   tau_s dI_i/dt = -I_i,   tau_w dw/dt = -w
    v > V_th  ->  v = V_reset (bursting cells: V_th - 2 mV), w += b,  refractory t_ref

A presynaptic spike of an excitatory (inhibitory) cell adds ``+J`` (``-J``) to ``I_e`` (``I_i``)
of its targets after the delay. Inputs from outside the simulated cells arrive as Poisson event
counts per step (Poisson(``lam * dt``) events of size ``J_bg``, independent across cells and
steps), the excitatory ones modulated by ``1 + depth * sin(2 pi f t)`` when an oscillation is
requested. One step of dt: background counts, the exact step of the linear equations (v held
while refractory), threshold, synaptic jumps due now, reset; ``tests/neurosim/populations/
test_lif_reference.py`` checks the Brian2 network spike for spike against a NumPy loop of it.

Speed (`simulate_lif` Notes; docs/populations.md): one code object does the whole cell update,
the background counts are drawn in O(expected events) (`neurosim.populations._background`), and
the standalone program is compiled once per network structure and size bucket.

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
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from electrode_models._validation import check_range
from neurosim.populations._background import poisson_counts
from neurosim.populations._brian import (brian_device, build_key, choose_device, program_sizes,
                                        run_network, standalone_control, steps_for)

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
        Poisson input (a NumPy generator on the runtime device, Brian2's on the standalone one).
    device : {"auto", "runtime", "cpp_standalone"}
        ``"auto"``: the device of the smaller expected wall time (`_brian.choose_device`).
    progress : bool
        Progress bar (runtime device only).

    Returns
    -------
    dict
        ``spike_times_s`` (float64, on the ``dt_ms`` grid), ``spike_units`` (int64), sorted by time
        then unit; ``is_bursting`` (bool per cell); ``rest_offset_mV`` (float64 per cell: the
        excitability offset added to the resting potential, mV); with ``record_currents`` also
        ``current_time_s`` (n_t,), ``i_exc_mV`` and ``i_inh_mV`` (n_t, P): R_m * synaptic current
        summed over the excitatory cells of each population, mV; ``device``: the device that ran.

    Notes
    -----
    One code object per step does the whole update (a hand-written state updater: the Poisson
    background, then the exact step of `exact_step_coefficients`); without ``record_currents``
    the excitatory and inhibitory currents, which decay alike, are one variable; background
    terms whose rate is 0 everywhere and the adaptation of networks without bursting cells are
    left out. On the runtime device the background counts come from `_background.poisson_counts`.
    On the standalone device the network is padded to `_brian.size_bucket` sizes (inert cells,
    zero-weight synapses) and the seed and duration are run-time arguments, so the compiled
    program is reused (`neurosim.populations._brian`).
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
    num_pops = len(spec.sizes)
    steps = steps_for(duration_s, spec.dt_ms * 1e-3)
    result["device"] = device = choose_device(device, n, 0) if steps == 0 else device
    if steps == 0:
        if spec.record_currents:
            result.update(current_time_s=np.zeros(0), i_exc_mV=np.zeros((0, num_pops)),
                          i_inh_mV=np.zeros((0, num_pops)))
        return result
    cells = _cell_arrays(spec, pop_of, bursting, v0, offset_mV)
    groups = _synapse_groups(spec, syn)
    lfp_pre = np.flatnonzero(exc_cell)
    structure = _structure(spec, cells, groups)
    # the standalone program: its structure and padded sizes (at least one inert cell, index n,
    # the source of the padding synapses); an existing program of slightly larger sizes serves
    needed = [n + 1] + [len(g[3]) + 1 for g in groups] + ([len(lfp_pre) + 1] if spec.record_currents else [])
    sa_key, sizes, compiled = program_sizes(build_key({"lif": structure}), needed)
    result["device"] = device = choose_device(device, n, steps, compiled=compiled)
    standalone = device == "cpp_standalone"
    n_sim = sizes[0] if standalone else n
    if standalone:
        cells = {k: np.concatenate([a, np.full(n_sim - n, _INERT.get(k, 0.0))]) for k, a in cells.items()}
        groups = [(cur, sign, delay, *_pad_synapses(pre, post, w, n, size))
                  for (cur, sign, delay, pre, post, w), size in zip(groups, sizes[1:])]
        if spec.record_currents:
            lfp_pre = np.concatenate([lfp_pre, np.full(sizes[-1] - len(lfp_pre), n)])
    lfp_post = pop_of[np.minimum(lfp_pre, n - 1)] * (lfp_pre < n)
    key = sa_key if standalone else None
    with brian_device(device, key) as b2:
        ms, mV = b2.ms, b2.mV
        b2.defaultclock.dt = spec.dt_ms * ms
        if not standalone:  # the standalone program takes its seed on the command line
            b2.seed(int(seed) % (2**32))
        ns = dict(v_rest=spec.v_rest_mV * mV, E_s=structure["E_s"], E_w=structure["E_w"],
                  tau_s=spec.tau_syn_ms * ms, tau_w=spec.burst_tau_ms * ms,
                  f_osc=spec.oscillation_hz * b2.Hz, depth=spec.oscillation_depth)
        ns["bg_counts"] = _cpp_counts_function(b2) if standalone else \
            _numpy_counts_function(b2, np.random.default_rng([int(seed) % 2**63, 0x6267]))
        # refractoriness by hand (`_step_code`): v is frozen at its reset value, below threshold,
        # until ref_until (half a step early: exactly refractory_ms / dt_ms steps, no rounding
        # question); Brian2's own mechanism costs a timestep() per cell and step
        ns["t_refractory"] = (spec.refractory_ms - 0.5 * spec.dt_ms) * ms
        g = b2.NeuronGroup(n_sim, _equations(structure), threshold=f"v > {spec.v_threshold_mV}*mV",
                           reset="v = v_reset_cell\nref_until = t + t_refractory"
                                 + ("\nw_ad += b_ad" if structure["adapt"] else ""),
                           method=_ExactStep(_step_code(structure, standalone)), namespace=ns, name="cells")
        for name, values in cells.items():
            if name in structure["params"]:
                setattr(g, name, values * _UNITS[name](b2))
        objects = [g]
        for k, (cur, sign, delay_ms, pre, post, w) in enumerate(groups):
            s = b2.Synapses(g, g, "w : volt (constant)", on_pre=f"{cur}_post {sign}= w",
                            delay=delay_ms * ms, name=f"syn_{k}")
            s.connect(i=pre.astype(np.int32), j=post.astype(np.int32))
            s.w = w * mV
            objects.append(s)
        spikes = b2.SpikeMonitor(g, name="spikes")
        objects.append(spikes)
        currents = None
        if spec.record_currents:
            lfp = b2.NeuronGroup(num_pops, "Ie_tot : volt\nIi_tot : volt", name="lfp_sums")
            summ = b2.Synapses(g, lfp, "Ie_tot_post = I_e_pre : volt (summed)\n"
                                       "Ii_tot_post = I_i_pre : volt (summed)", name="lfp_sum")
            summ.connect(i=lfp_pre.astype(np.int32), j=lfp_post.astype(np.int32))
            currents = b2.StateMonitor(lfp, ["Ie_tot", "Ii_tot"], record=True,
                                       dt=spec.lfp_dt_ms * ms, name="lfp_monitor")
            objects += [lfp, summ, currents]
        control = standalone_control(b2) if standalone else None
        net = b2.Network(*objects, *([control] if control is not None else []), name="lif_network")
        with tqdm(total=round(duration_s, 3), desc="cortex (Brian2)", unit="s bio",
                  disable=not progress or standalone,
                  bar_format="{l_bar}{bar}| {n:.2f}/{total:.2f} s [{elapsed}]") as bar:
            def report(elapsed, completed, start, duration):
                bar.n = round(float(completed) * duration_s, 3)
                bar.refresh()

            run_network(b2, net, duration_s, device, key, report=report, seed=seed, control=control)
        times = np.asarray(spikes.t_[:], dtype=np.float64)
        units = np.asarray(spikes.i[:], dtype=np.int64)
        if currents is not None:
            result["current_time_s"] = np.asarray(currents.t_[:], dtype=np.float64)
            result["i_exc_mV"] = np.asarray(currents.Ie_tot_[:], dtype=np.float64).T * 1e3
            result["i_inh_mV"] = np.asarray(currents.Ii_tot_[:], dtype=np.float64).T * 1e3
    keep = units < n  # inert padding never fires; kept for safety
    times, units = times[keep], units[keep]
    order = np.lexsort((units, times))
    result["spike_times_s"], result["spike_units"] = times[order], units[order]
    return result


def _numpy_counts_function(b2, rng: np.random.Generator):
    """Brian2 function ``bg_counts(lam_dt)`` of the NumPy target: `poisson_counts` of the cells."""
    def counts(lam_dt, _vectorisation_idx):
        n = len(_vectorisation_idx)
        lam = lam_dt if np.shape(lam_dt) == (n,) else np.full(n, lam_dt, dtype=np.float64)
        return poisson_counts(lam, rng)

    fn = b2.Function(counts, arg_units=[1], return_unit=1, stateless=False, auto_vectorise=True)
    fn.implementations.add_implementation("numpy", code=counts)  # no unit wrapper per call
    return fn


#: Poisson counts on the standalone device, O(expected events) per step: one Poisson process of
#: rate ``top`` per call (calls: the cells in index order, step after step; Brian2's C++ loop,
#: single-threaded) by exponential gaps, thinned to ``lam`` (see `_background`). The gap left
#: over from one cell carries to the next (memoryless), one stream per call site.
_BG_CPP = """
static double _neurosim_bg_gap[2] = {-1.0, -1.0};
static inline double _neurosim_bg(const double lam, const double top, const int32_t stream,
                                  const int _vectorisation_idx)
{
    if (!(top > 0.0))
        return 0.0;
    double gap = _neurosim_bg_gap[stream];
    if (gap < 0.0)
        gap = -log(1.0 - _rand(_vectorisation_idx)) / top;
    double n = 0.0;
    while (gap < 1.0) {
        if (lam >= top || _rand(_vectorisation_idx) * top < lam)
            n += 1.0;
        gap -= log(1.0 - _rand(_vectorisation_idx)) / top;
    }
    _neurosim_bg_gap[stream] = gap - 1.0;
    return n;
}
"""


def _cpp_counts_function(b2):
    """Brian2 function ``bg_counts(lam_dt, top_dt, stream)`` of the C++ standalone target."""
    from brian2.core.functions import DEFAULT_FUNCTIONS

    fn = b2.Function(lambda lam, top, stream: np.random.poisson(lam), arg_units=[1, 1, 1], return_unit=1,
                     arg_types=["float", "float", "integer"], stateless=False, auto_vectorise=True)
    fn.implementations.add_implementation("cpp", code=_BG_CPP, name="_neurosim_bg",
                                          dependencies={"_rand": DEFAULT_FUNCTIONS["rand"]})
    return fn


class _ExactStep:
    """A Brian2 state-update method that returns fixed abstract code (the exact step)."""

    def __init__(self, code: str):
        self.code = code
        self.__name__ = "exact_lif_step"

    def __call__(self, equations, variables=None, method_options=None) -> str:
        return self.code


#: Units of the per-cell parameters (callables of the brian2 module).
_UNITS = {"v": lambda b2: b2.mV, "tau_m": lambda b2: b2.ms, "E_m": lambda b2: 1, "F_m": lambda b2: 1,
          "c_s": lambda b2: 1, "c_w": lambda b2: 1, "v_inf": lambda b2: b2.mV,
          "lam_e": lambda b2: b2.Hz, "lam_i": lambda b2: b2.Hz, "J_bg_e": lambda b2: b2.mV,
          "J_bg_i": lambda b2: b2.mV, "top_e": lambda b2: b2.Hz, "top_i": lambda b2: b2.Hz, "v_reset_cell": lambda b2: b2.mV, "b_ad": lambda b2: b2.mV}
#: Values of the padding cells of a standalone network: far below threshold, no input (``top``
#: 0: the background draw skips them).
_INERT = {"v": -1000.0, "v_inf": -1000.0, "v_reset_cell": -1000.0, "tau_m": 10.0, "E_m": 1.0}


def _cell_arrays(spec: LIFNetwork, pop_of, bursting, v0, offset_mV) -> dict:
    """Per-cell parameters and initial state (mV, ms, Hz, or dimensionless)."""
    tau_m = np.asarray(spec.tau_m_ms, float)[pop_of]
    e_m, c_s, _, c_w, _ = exact_step_coefficients(tau_m, spec.tau_syn_ms, spec.burst_tau_ms, spec.dt_ms)
    return {"v": v0, "tau_m": tau_m, "E_m": e_m, "F_m": 1.0 - e_m, "c_s": c_s, "c_w": c_w,
            "v_inf": spec.v_rest_mV + spec.per_pop("dc_mV")[pop_of] + offset_mV,
            "lam_e": spec.per_pop("bg_rate_e_hz")[pop_of], "lam_i": spec.per_pop("bg_rate_i_hz")[pop_of],
            "J_bg_e": spec.per_pop("bg_jump_e_mV")[pop_of], "J_bg_i": spec.per_pop("bg_jump_i_mV")[pop_of],
            # upper bounds of the (modulated) rates, Hz, for the thinning of the standalone draw
            "top_e": np.full(len(pop_of), spec.per_pop("bg_rate_e_hz").max(initial=0.0)
                             * (1.0 + max(spec.oscillation_depth, 0.0))),
            "top_i": np.full(len(pop_of), spec.per_pop("bg_rate_i_hz").max(initial=0.0)),
            "v_reset_cell": np.where(bursting, spec.v_threshold_mV - 2.0, spec.v_reset_mV),
            "b_ad": np.where(bursting, spec.burst_adaptation_mV, 0.0)}


def _synapse_groups(spec: LIFNetwork, syn: dict) -> list:
    """(current variable, sign, delay_ms, pre, post, |w| mV) per Synapses object: one per current
    and delay (one current ``I_s`` unless the currents are recorded)."""
    split = spec.record_currents
    out: dict = {}
    for kind, delay, sign in (("e", spec.delay_e_ms, "+"), ("i", spec.delay_i_ms, "-")):
        pre, post, w = syn[kind]
        if len(pre) == 0:
            continue
        # recorded currents: I_e += |w|, I_i -= |w|; one current: I_s += signed w
        key = (f"I_{kind}", sign, float(delay)) if split else ("I_s", "+", float(delay))
        parts = out.setdefault(key, ([], [], []))
        parts[0].append(pre)
        parts[1].append(post)
        parts[2].append(w if split or sign == "+" else -w)
    return [(cur, sign, delay, np.concatenate(p), np.concatenate(q), np.concatenate(w))
            for (cur, sign, delay), (p, q, w) in out.items()]


def _pad_synapses(pre, post, w, inert: int, size: int):
    """Synapses padded to ``size`` with zero-weight ones on the (silent) inert cell."""
    extra = size - len(pre)
    fill = np.full(extra, inert, dtype=np.int64)
    return np.concatenate([pre, fill]), np.concatenate([post, fill]), np.concatenate([w, np.zeros(extra)])


def _structure(spec: LIFNetwork, cells: dict, groups: list) -> dict:
    """Everything of the network that enters the generated code (the standalone build key)."""
    _, _, e_s, _, e_w = exact_step_coefficients(np.array([10.0]), spec.tau_syn_ms, spec.burst_tau_ms,
                                                spec.dt_ms)
    adapt = bool(np.any(cells["b_ad"] > 0))
    bg_e, bg_i = bool(np.any(cells["lam_e"] > 0)), bool(np.any(cells["lam_i"] > 0))
    params = ["v", "tau_m", "F_m", "c_s", "v_inf", "v_reset_cell"] + (["c_w", "b_ad"] if adapt else []) \
        + (["lam_e", "J_bg_e", "top_e"] if bg_e else []) + (["lam_i", "J_bg_i", "top_i"] if bg_i else [])
    return {"E_s": float(e_s), "E_w": float(e_w), "adapt": adapt, "bg_e": bg_e, "bg_i": bg_i,
            "split": bool(spec.record_currents), "params": params,
            "oscillation": [spec.oscillation_hz, spec.oscillation_depth] if spec.oscillation_depth > 0 else None,
            "synapses": [(cur, sign, delay) for cur, sign, delay, *_ in groups],
            "model": {k: getattr(spec, k) for k in ("v_rest_mV", "v_threshold_mV", "refractory_ms", "dt_ms",
                                                    "tau_syn_ms", "burst_tau_ms", "lfp_dt_ms")},
            "record_currents": bool(spec.record_currents), "num_pops": len(spec.sizes), "version": 2}


def _equations(st: dict) -> str:
    """The model equations (documentation and units; `_step_code` integrates them exactly)."""
    currents = ["I_e", "I_i"] if st["split"] else ["I_s"]
    w = " - w_ad" if st["adapt"] else ""
    # v is frozen while refractory (t < ref_until) by `_step_code` itself: Brian2's "(unless
    # refractory)" flag would make its NumPy target write v through boolean masks (10x slower)
    lines = [f"dv/dt = (v_inf - v + {' + '.join(currents)}{w}) / tau_m : volt", "ref_until : second"]
    lines += [f"d{c}/dt = -{c} / tau_s : volt" for c in currents]
    if st["adapt"]:
        lines += ["dw_ad/dt = -w_ad / tau_w : volt", "c_w : 1 (constant)", "b_ad : volt (constant)"]
    lines += ["tau_m : second (constant)", "F_m : 1 (constant)", "c_s : 1 (constant)",
              "v_inf : volt (constant)", "v_reset_cell : volt (constant)"]
    for kind in ("e", "i"):
        if st[f"bg_{kind}"]:
            lines += [f"lam_{kind} : Hz (constant)", f"J_bg_{kind} : volt (constant)",
                      f"top_{kind} : Hz (constant)"]
    return "\n".join(lines)


def _step_code(st: dict, standalone: bool) -> str:
    """Abstract code of one step: Poisson background, then the exact propagator (v frozen while
    refractory)."""
    mod = " * (1 + depth * sin(2 * pi * f_osc * t))" if st["oscillation"] else ""
    cur_e, cur_i = ("I_e", "I_i") if st["split"] else ("I_s", "I_s")
    lines = []
    for k, (kind, cur, op, m) in enumerate((("e", cur_e, "+=", mod), ("i", cur_i, "-=", ""))):
        if st[f"bg_{kind}"]:
            # standalone: the rate bound of the thinning is a per-cell array (data, not code)
            args = f"lam_{kind}{m} * dt, top_{kind} * dt, {k}" if standalone else f"lam_{kind}{m} * dt"
            lines.append(f"{cur} {op} J_bg_{kind} * bg_counts({args})")
    drive = "(I_e + I_i) * c_s" if st["split"] else "I_s * c_s"
    w = " - w_ad * c_w" if st["adapt"] else ""
    lines.append(f"v += int(t >= ref_until) * ((v_inf - v) * F_m + {drive}{w})")
    lines += [f"{c} = {c} * E_s" for c in ((cur_e, cur_i) if st["split"] else (cur_e,))]
    if st["adapt"]:
        lines.append("w_ad = w_ad * E_w")
    return "\n".join(lines)
