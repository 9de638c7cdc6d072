"""Mean-field rate of a current-based LIF neuron and the mean shift that keeps a population's
mean rate when its excitability is spread across cells.

Diffusion approximation (Siegert 1951; Amit & Brunel 1997; Brunel 2000, Eq. 21)::

    1 / nu = t_ref + tau_m sqrt(pi) * integral_{y_r}^{y_th} exp(u^2) (1 + erf u) du
    y_th = (V_th - mu) / sigma + (a / 2) sqrt(tau_s / tau_m)
    y_r  = (V_r  - mu) / sigma + (a / 2) sqrt(tau_s / tau_m)

with ``mu`` the mean free membrane potential, ``sigma`` the noise amplitude (``sigma^2 = tau_m
sum_k K_k r_k J_k^2`` for Poisson inputs of rate ``r_k`` and PSP size ``J_k``; the free membrane
potential has SD ``sigma / sqrt(2)``) and ``a = sqrt(2) |zeta(1/2)| = 2.0653`` the correction for
exponentially filtered synaptic currents of time constant ``tau_s`` (Fourcaud & Brunel 2002;
exact to first order in ``sqrt(tau_s / tau_m)``).

A fixed Gaussian offset ``s * xi`` of each cell's resting potential makes the population's rates
``nu(mu + s xi)``. Because the f-I curve is expansive below threshold, the mean rate grows with
``s`` (for an exponential f-I curve ``nu ~ exp(beta mu)`` by ``exp(beta^2 s^2 / 2)``).
`rate_preserving_shift_mV` returns the shift ``delta`` of the mean offset with
``E[nu(mu + delta + s xi)] = nu(mu)``: the spread then redistributes the same mean rate.

Assumptions
-----------
- Inputs are independent Poisson processes (asynchronous state), the diffusion approximation
  holds (many small inputs) and ``tau_s << tau_m``.

References
----------
Siegert AJF (1951) Phys Rev 81:617. Amit DJ, Brunel N (1997) Cereb Cortex 7:237.
Brunel N (2000) J Comput Neurosci 8:183. Fourcaud N, Brunel N (2002) Neural Comput 14:2057.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import quad
from scipy.optimize import brentq
from scipy.special import erfcx

__all__ = ["siegert_rate_hz", "rate_preserving_shift_mV"]

#: sqrt(2) |zeta(1/2)| (Fourcaud & Brunel 2002).
_ALPHA = math.sqrt(2.0) * 1.4603545088095868


def siegert_rate_hz(mu_mV: float, sigma_mV: float, *, tau_m_ms: float, tau_syn_ms: float,
                    v_threshold_mV: float, v_reset_mV: float, refractory_ms: float) -> float:
    """Stationary rate of a LIF neuron driven by Gaussian white (or weakly coloured) noise, Hz.

    Parameters
    ----------
    mu_mV : float
        Mean free membrane potential (resting potential plus mean input), mV.
    sigma_mV : float
        Noise amplitude (``sqrt(2)`` times the SD of the free membrane potential), mV; > 0.
    tau_m_ms, tau_syn_ms, refractory_ms : float
        Membrane and synaptic time constants and absolute refractory period, ms.
    v_threshold_mV, v_reset_mV : float
        Threshold and reset, mV.
    """
    shift = 0.5 * _ALPHA * math.sqrt(tau_syn_ms / tau_m_ms)
    y_th = (v_threshold_mV - mu_mV) / sigma_mV + shift
    y_r = (v_reset_mV - mu_mV) / sigma_mV + shift
    if y_th > 26.0:  # exp(y^2) overflows the integral long before: the rate is 0 to double precision
        return 0.0
    # exp(u^2) (1 + erf u) = erfcx(-u), finite for large negative u
    integral, _ = quad(lambda u: erfcx(-u), y_r, y_th, limit=200)
    return 1.0 / (refractory_ms * 1e-3 + tau_m_ms * 1e-3 * math.sqrt(math.pi) * integral)


def rate_preserving_shift_mV(mu_mV: float, sigma_mV: float, spread_mV: float, **lif) -> float:
    """Mean offset (mV) that keeps the population's mean rate when offsets have SD ``spread_mV``.

    Solves ``E[nu(mu + delta + spread * xi)] = nu(mu)``, ``xi ~ N(0, 1)`` (Gauss-Hermite, 40
    nodes), ``nu`` = `siegert_rate_hz` with the keyword arguments ``lif``. Returns 0 for no
    spread or a silent population.
    """
    target = siegert_rate_hz(mu_mV, sigma_mV, **lif)
    if spread_mV <= 0.0 or target <= 0.0:
        return 0.0
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    weights = weights / weights.sum()

    def excess(delta):
        rates = [siegert_rate_hz(mu_mV + delta + spread_mV * x, sigma_mV, **lif) for x in nodes]
        return float(np.dot(weights, rates)) / target - 1.0

    span = 4.0 * spread_mV + sigma_mV
    return float(brentq(excess, -span, span, xtol=1e-4))
