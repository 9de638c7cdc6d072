"""LFP proxy and current-dipole moments from the summed synaptic currents of a LIF network.

Weighted-sum proxy (Mazzoni et al. 2015, their best proxy for pyramidal populations)::

    LFP_p(t) ∝ Σ_cells |I_AMPA(t − 6 ms)| − 1.65 Σ_cells |I_GABA(t)|

summed over the pyramidal (excitatory) cells of population p; ``I_AMPA`` is the excitatory
synaptic current (recurrent and external), ``I_GABA`` the inhibitory one, both as R_m * I in mV
(the proxy is in mV, arbitrary units: the sign and shape are meaningful, not the scale).

Current dipole of a population's pyramidal cells along their mean apical axis ``ō`` (unit
vector)::

    p_p(t) = −L · (Σ I_AMPA(t) + Σ |I_GABA(t)|) · ō          nA·µm,   I = (R_m * I) / R_m

Assumptions
-----------
- Excitatory synapses sit on the apical dendrite and inhibitory ones around the soma (as in the
  Mazzoni et al. 2015 morphologies); both then draw a current sink–source pair separated by an
  effective length ``L`` (``DIPOLE_LENGTH_UM`` = 300 µm) whose dipole points against the apical
  axis (towards the white matter).
- Membrane resistance R_m = τ_m / C_m with C_m = 250 pF (Potjans & Diesmann 2014).

References
----------
Mazzoni A et al. (2015) PLoS Comput Biol 11:e1004584. Hagen E et al. (2016) Cereb Cortex 26:4461.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lfp_proxy", "PROXY_DELAY_MS", "PROXY_ALPHA", "DIPOLE_LENGTH_UM", "C_M_PF"]

PROXY_DELAY_MS, PROXY_ALPHA = 6.0, 1.65
DIPOLE_LENGTH_UM = 300.0
C_M_PF = 250.0


def lfp_proxy(time_s: np.ndarray, i_exc_mV: np.ndarray, i_inh_mV: np.ndarray,
              tau_m_ms: np.ndarray, apical_axis: np.ndarray) -> dict[str, np.ndarray]:
    """Weighted-sum LFP proxy and dipole moment per population.

    Parameters
    ----------
    time_s : np.ndarray, shape (n_t,)
        Sample times on a regular grid, s.
    i_exc_mV, i_inh_mV : np.ndarray, shape (n_t, num_populations)
        R_m * excitatory / inhibitory synaptic current summed over each population's pyramidal
        cells, mV.
    tau_m_ms : np.ndarray, shape (num_populations,)
        Membrane time constant of each population's pyramidal cells, ms.
    apical_axis : np.ndarray, shape (num_populations, 3)
        Mean apical direction of each population's pyramidal cells (zeros where none).

    Returns
    -------
    dict
        ``time_s`` (n_t,), ``proxy`` (n_t, P) in mV, ``dipole_nA_um`` (n_t, P, 3) in nA·µm.
    """
    time_s = np.asarray(time_s, dtype=float)
    step_s = float(time_s[1] - time_s[0]) if len(time_s) > 1 else 1e-3
    shift = int(round(PROXY_DELAY_MS * 1e-3 / step_s))
    exc = np.abs(np.asarray(i_exc_mV, dtype=float))
    inh = np.abs(np.asarray(i_inh_mV, dtype=float))
    delayed = np.concatenate([np.repeat(exc[:1], shift, axis=0), exc[:len(exc) - shift]])
    proxy = delayed[:len(exc)] - PROXY_ALPHA * inh
    r_m_mohm = np.asarray(tau_m_ms, dtype=float) / C_M_PF * 1e3  # 1 ms / 1 pF = 1e3 MOhm
    current_nA = (exc + inh) / r_m_mohm[None, :]  # mV / MOhm = nA
    axis = np.asarray(apical_axis, dtype=float)
    dipole = -DIPOLE_LENGTH_UM * current_nA[:, :, None] * axis[None, :, :]
    return {"time_s": time_s, "proxy": proxy, "dipole_nA_um": dipole}
