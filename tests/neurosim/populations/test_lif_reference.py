"""The Brian2 LIF network (runtime device) spike for spike against a plain NumPy loop of its
documented equations (neurosim/populations/_lif.py module docstring), same draws.

The reference is written from the model, not from the Brian2 code: per step of dt, the Poisson
background (counts from `_background.poisson_counts` on the stream the network documents), the
exact linear step (`exact_step_coefficients`, itself checked against the matrix exponential in
test_lif_step.py), v frozen for the refractory period, threshold, synaptic jumps after the
delay, reset (and spike-triggered adaptation of bursting cells). Brian2's order within a step:
state update, threshold, synapses, reset. Units: SI (V, s), as Brian2 stores them.
"""

import numpy as np
import pytest

from neurosim.populations._background import poisson_counts
from neurosim.populations._lif import connectivity, exact_step_coefficients, simulate_lif
from neurosim.populations.balanced import BalancedParams, balanced_network


def reference_spikes(spec, duration_s, seed):
    n, mV = sum(spec.sizes), 1e-3
    rng = np.random.default_rng(seed)   # the documented order of the network's NumPy draws
    pop = np.repeat(np.arange(len(spec.sizes)), spec.sizes)
    exc = np.asarray(spec.excitatory)[pop]
    bursting = exc & (rng.random(n) < spec.burst_fraction)
    syn = connectivity(spec, rng)
    v0 = spec.v_rest_mV + rng.random(n) * (spec.v_threshold_mV - spec.v_rest_mV)
    offset = spec.excitability_sd_mV * rng.standard_normal(n)
    dt = spec.dt_ms * 1e-3
    e_m, c_s, e_s, c_w, e_w = exact_step_coefficients(np.asarray(spec.tau_m_ms)[pop], spec.tau_syn_ms,
                                                      spec.burst_tau_ms, spec.dt_ms)
    v_inf = (spec.v_rest_mV + spec.per_pop("dc_mV")[pop] + offset) * mV
    lam, j_bg = spec.per_pop("bg_rate_e_hz")[pop], spec.per_pop("bg_jump_e_mV")[pop] * mV
    v_reset = np.where(bursting, spec.v_threshold_mV - 2.0, spec.v_reset_mV) * mV
    b_ad = np.where(bursting, spec.burst_adaptation_mV, 0.0) * mV
    pre = np.concatenate([syn["e"][0], syn["i"][0]])
    post = np.concatenate([syn["e"][1], syn["i"][1]])
    w = np.concatenate([syn["e"][2], -syn["i"][2]]) * mV
    by_pre = np.argsort(pre, kind="stable")
    first = np.searchsorted(pre[by_pre], np.arange(n + 1))
    delay = int(round(spec.delay_e_ms / spec.dt_ms))
    refractory = int(round(spec.refractory_ms / spec.dt_ms))
    background = np.random.default_rng([seed, 0x6267])
    v, cur, adapt = v0 * mV, np.zeros(n), np.zeros(n)
    last = np.full(n, -10**9)
    pending, times, units = {}, [], []
    for k in range(int(round(duration_s / dt))):
        free = (k - last) >= refractory
        cur += j_bg * poisson_counts(dt * lam, background)
        step = (v_inf - v) * (1.0 - e_m) + cur * c_s
        if spec.burst_fraction > 0:
            step = step - adapt * c_w
        v += np.where(free, step, 0.0)
        cur *= e_s
        adapt *= e_w
        fired = np.flatnonzero((v > spec.v_threshold_mV * mV) & free)
        last[fired] = k
        times += [k * dt] * len(fired)
        units += fired.tolist()
        if len(fired):
            pending[k + delay] = np.concatenate([by_pre[first[i]:first[i + 1]] for i in fired])
        arriving = pending.pop(k, None)
        if arriving is not None:
            np.add.at(cur, post[arriving], w[arriving])
        v[fired] = v_reset[fired]
        adapt[fired] += b_ad[fired]
    times, units = np.array(times), np.array(units, dtype=np.int64)
    order = np.lexsort((units, times))
    return times[order], units[order]


@pytest.mark.parametrize("params", [BalancedParams(), BalancedParams(burst_fraction=0.3)],
                         ids=["default", "bursting"])
def test_runtime_network_equals_the_reference_loop(params):
    spec = balanced_network(320, 80, params)
    out = simulate_lif(spec, 0.3, seed=3, device="runtime")
    t_ref, u_ref = reference_spikes(spec, 0.3, 3)
    assert out["device"] == "runtime" and len(t_ref) > 300     # ~8 Hz
    np.testing.assert_array_equal(out["spike_units"], u_ref)
    np.testing.assert_array_equal(np.round(out["spike_times_s"] / 1e-4), np.round(t_ref / 1e-4))
