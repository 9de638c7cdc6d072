"""Layered cortical column after the Potjans & Diesmann (2014) microcircuit (Brian2).

Eight populations, excitatory (E) and inhibitory (I) in layers 2/3, 4, 5 and 6, of current-based
LIF cells (τ_m 10 ms, C_m 250 pF, τ_syn 0.5 ms, threshold −50 mV, reset −65 mV, refractory 2 ms;
PSC 87.8 pA ≈ 0.15 mV PSP, inhibition g = 4, L4E→L2/3E doubled; delays 1.5 ms E, 0.75 ms I),
the published connection probability table and external Poisson input (K_ext inputs at 8 Hz).

Scaling to the cells within reach of the contacts: each cell takes the layer of its soma depth
(``layer_boundaries_um``) and is E or I with the layer's published E/I ratio. Simulated cells
connect with the *published pairwise probabilities* ``C_ba``; the remainder of each published
in-degree ``K_ba`` (``K_ba − C_ba·N_a,local``) arrives as Poisson input at population a's published
rate. Every cell therefore receives the published number of inputs at the published rates (the mean
and variance of its input are preserved), and the full model is recovered when all its cells are
simulated. Excitatory Poisson inputs of different sizes are lumped into one compound-Poisson
source with the same mean and variance.

Heterogeneous excitability (``excitability_sd_mV``, default 2 mV): each cell's resting potential
is offset by a fixed N(delta_p, s^2) (see `neurosim.populations._lif`). Because the
unsimulated inputs arrive at fixed published rates, the scaled network cannot rebalance; the
mean offset delta_p of population p is the shift that keeps its mean rate in the diffusion
approximation (`neurosim.populations._meanfield.rate_preserving_shift_mV` at
`operating_point`; -0.9 to -0.4 mV for s = 2 mV). Without it the within-population rates
are nearly equal (SD of ln rate 0.05-0.15 on a 960-cell column over 10 s); with it 0.7-1.2, the
sparse L2/3e has 15 % of its cells below 0.1 Hz, and the layer means stay those of the model.

Assumptions
-----------
- Cells in layer 1 (almost no pyramidal cells; not part of the microcircuit) and below layer 6
  (white matter) are not simulated; they are dropped after placement.
- Fixed weights and delays per population pair (the paper draws them from normal distributions).
- Layer boundaries (µm below the surface) default to L1 0–150, L2/3 150–700, L4 700–1000,
  L5 1000–1500, L6 1500–2000: round numbers for a ~2 mm thick cortex (rat S1: Meyer et al. 2010;
  the microcircuit's Table 5 is for a 1 mm² patch of early sensory cortex).

References
----------
Potjans TC, Diesmann M (2014) Cereb Cortex 24:785-806 (Tables 4-5; rates in Fig. 6).
van Albada SJ, Helias M, Diesmann M (2015) PLoS Comput Biol 11:e1004490 (scaling).
Meyer HS et al. (2010) Cereb Cortex 20:2277 (layer thickness in rat S1).
Roxin A et al. (2011) J Neurosci 31:16217 (skewed rates from a Gaussian spread of inputs).
"""

from __future__ import annotations

import numpy as np

from neurosim.populations._lif import DEFAULT_EXCITABILITY_SD_MV, LIFNetwork
from neurosim.populations._meanfield import rate_preserving_shift_mV

__all__ = ["POPULATION_NAMES", "FULL_SIZES", "CONNECTION_PROBABILITY", "EXTERNAL_IN_DEGREE",
           "PUBLISHED_RATES_HZ", "assign_populations", "column_network", "operating_point"]

POPULATION_NAMES = ("L23e", "L23i", "L4e", "L4i", "L5e", "L5i", "L6e", "L6i")
#: Cells per population in the full 1 mm² microcircuit (Potjans & Diesmann 2014, Table 5).
FULL_SIZES = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
#: Connection probabilities C[post, pre] (Potjans & Diesmann 2014, Table 5).
CONNECTION_PROBABILITY = np.array([
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.1350, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.0600, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.0010, 0.0034, 0.0005, 0.0277, 0.0080, 0.0658, 0.1443]])
#: External (thalamo-cortical and cortico-cortical background) in-degrees, inputs per cell.
EXTERNAL_IN_DEGREE = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
#: Mean rates of the full model, Hz (Potjans & Diesmann 2014, Fig. 6; used for the Poisson
#: replacement of unsimulated inputs).
PUBLISHED_RATES_HZ = np.array([0.86, 2.8, 4.45, 5.7, 7.6, 8.7, 1.1, 7.7])
_EXCITATORY = (True, False) * 4
_BACKGROUND_RATE_HZ = 8.0
_PSC_PA, _C_M_PF, _TAU_M_MS, _G = 87.8, 250.0, 10.0, 4.0
_TAU_SYN_MS, _V_REST_MV, _V_THRESHOLD_MV, _REFRACTORY_MS = 0.5, -65.0, -50.0, 2.0


def full_in_degree() -> np.ndarray:
    """Published in-degrees K[post, pre] from the total synapse counts (P&D 2014, Eq. 1), inputs."""
    n_pre, n_post = FULL_SIZES[None, :].astype(float), FULL_SIZES[:, None].astype(float)
    total = np.log(1.0 - CONNECTION_PROBABILITY) / np.log(1.0 - 1.0 / (n_pre * n_post))
    return total / n_post


def assign_populations(depth_um: np.ndarray, layer_boundaries_um, rng: np.random.Generator):
    """Population index (0..7, see `POPULATION_NAMES`) of cells at the given depths.

    Parameters
    ----------
    depth_um : np.ndarray, shape (num_cells,)
        Soma depth below the surface, µm (positive).
    layer_boundaries_um : sequence of 5 floats
        Lower boundaries of L1, L2/3, L4, L5 and L6, µm below the surface.
    rng : np.random.Generator
        Draws E or I with each layer's published E/I ratio.

    Returns
    -------
    np.ndarray, shape (num_cells,), int64
        Population index, or -1 for cells in layer 1 or below layer 6 (not simulated).
    """
    edges = np.asarray(layer_boundaries_um, dtype=float)
    layer = np.searchsorted(edges, depth_um, side="right") - 1  # 0: L2/3 .. 3: L6
    inside = (depth_um >= edges[0]) & (depth_um < edges[-1])
    frac_e = FULL_SIZES[0::2] / (FULL_SIZES[0::2] + FULL_SIZES[1::2])
    layer_c = np.clip(layer, 0, 3)
    inhibitory = rng.random(len(depth_um)) >= frac_e[layer_c]
    return np.where(inside, 2 * layer_c + inhibitory, -1).astype(np.int64)


def _weights_mV() -> np.ndarray:
    """Synaptic current jumps w[post, pre] (mV of R_m * I), signed: + excitatory, - inhibitory."""
    jump = _PSC_PA * _TAU_M_MS / _C_M_PF  # mV of R_m * I (R_m = tau_m / C_m = 40 MOhm)
    w = np.where(np.array(_EXCITATORY)[None, :], jump, -_G * jump) * np.ones((8, 8))
    w[0, 2] *= 2.0  # L4e -> L2/3e doubled (P&D 2014)
    return w


def operating_point() -> tuple[np.ndarray, np.ndarray]:
    """Mean free membrane potential and noise amplitude of each population of the full model, mV.

    With every input at its published rate (recurrent: `PUBLISHED_RATES_HZ` through the
    published in-degrees; external: ``K_ext`` inputs at 8 Hz): ``mu = V_rest + sum K r w tau_s``,
    ``sigma^2 = sum K r w^2 tau_s^2 / tau_m`` (diffusion approximation; see
    `neurosim.populations._meanfield`). The scaled network has the same input mean and
    variance by construction.

    Returns
    -------
    mu_mV, sigma_mV : np.ndarray, shape (8,)
    """
    w = _weights_mV()
    tau_s, tau_m = _TAU_SYN_MS * 1e-3, _TAU_M_MS * 1e-3
    jump = _PSC_PA * _TAU_M_MS / _C_M_PF
    drive = full_in_degree() * PUBLISHED_RATES_HZ[None, :]
    ext = EXTERNAL_IN_DEGREE * _BACKGROUND_RATE_HZ
    mu = _V_REST_MV + ((drive * w).sum(1) + ext * jump) * tau_s
    sigma = np.sqrt(((drive * w**2).sum(1) + ext * jump**2) * tau_s**2 / tau_m)
    return mu, sigma


def column_network(local_sizes, *, dt_ms: float = 0.1, oscillation_hz: float = 0.0,
                   oscillation_depth: float = 0.0, burst_fraction: float = 0.0,
                   excitability_sd_mV: float = DEFAULT_EXCITABILITY_SD_MV,
                   record_currents: bool = False) -> LIFNetwork:
    """The `LIFNetwork` of the simulated part of the microcircuit.

    Parameters
    ----------
    local_sizes : sequence of 8 ints
        Simulated cells per population (order of `POPULATION_NAMES`).
    excitability_sd_mV : float
        SD across cells of the resting-potential offset, mV (see
        `neurosim.populations._lif`). Each population's offsets are centred on the shift of
        `neurosim.populations._meanfield.rate_preserving_shift_mV` at its
        `operating_point`, so the spread widens the rate distribution but keeps the
        published mean rates (to the accuracy of the diffusion approximation).
    """
    n_loc = np.asarray(local_sizes, dtype=float)
    k_full = full_in_degree()
    k_loc = np.minimum(k_full, CONNECTION_PROBABILITY * n_loc[None, :])
    k_rem = k_full - k_loc
    jump = _PSC_PA * _TAU_M_MS / _C_M_PF  # mV of R_m * I (R_m = tau_m / C_m = 40 MOhm)
    w = np.abs(_weights_mV())
    exc = np.array(_EXCITATORY)
    # excitatory background: external inputs + unsimulated excitatory cells, lumped into one
    # compound-Poisson source with the same mean (sum lam*w) and variance (sum lam*w^2)
    lam = k_rem[:, exc] * PUBLISHED_RATES_HZ[exc][None, :]
    lam_ext = EXTERNAL_IN_DEGREE * _BACKGROUND_RATE_HZ
    mean = (lam * w[:, exc]).sum(1) + lam_ext * jump
    second = (lam * w[:, exc] ** 2).sum(1) + lam_ext * jump**2
    bg_jump_e = second / mean
    bg_rate_e = mean**2 / second
    bg_rate_i = (k_rem[:, ~exc] * PUBLISHED_RATES_HZ[~exc][None, :]).sum(1)
    lif = dict(tau_m_ms=_TAU_M_MS, tau_syn_ms=_TAU_SYN_MS, v_threshold_mV=_V_THRESHOLD_MV,
               v_reset_mV=_V_REST_MV, refractory_ms=_REFRACTORY_MS)
    shift = np.zeros(8)
    if excitability_sd_mV > 0:
        shift = np.array([rate_preserving_shift_mV(m, sd, excitability_sd_mV, **lif)
                          for m, sd in zip(*operating_point())])
    return LIFNetwork(
        sizes=tuple(int(x) for x in n_loc), excitatory=_EXCITATORY, tau_m_ms=(_TAU_M_MS,) * 8,
        in_degree=tuple(map(tuple, k_loc.tolist())), jump_mV=tuple(map(tuple, w.tolist())),
        bg_rate_e_hz=tuple(bg_rate_e.tolist()), bg_jump_e_mV=tuple(bg_jump_e.tolist()),
        bg_rate_i_hz=tuple(bg_rate_i.tolist()), bg_jump_i_mV=(_G * jump,) * 8,
        dc_mV=tuple(shift.tolist()), tau_syn_ms=_TAU_SYN_MS, v_rest_mV=_V_REST_MV,
        v_threshold_mV=_V_THRESHOLD_MV, v_reset_mV=_V_REST_MV, refractory_ms=_REFRACTORY_MS,
        delay_e_ms=1.5, delay_i_ms=0.75, dt_ms=dt_ms, oscillation_hz=oscillation_hz,
        oscillation_depth=oscillation_depth, burst_fraction=burst_fraction,
        excitability_sd_mV=excitability_sd_mV, record_currents=record_currents)
