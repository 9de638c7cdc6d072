r"""Steady-state tissue heating by the implant: Pennes bioheat closed forms.

.. math:: \nabla\cdot(k \nabla T) - \omega_b c_b (T - T_a) + q = 0

Away from the source the excess temperature ``θ = T - T_a`` obeys ``∇²θ = θ / L²`` with the
perfusion length ``L = sqrt(k / (ω_b c_b))`` (3.56 mm for grey matter: k 0.57 W/(m·K),
ω_b c_b 45 000 W/(m³·K), references.md).
"""

from __future__ import annotations

import math

from ._validation import check_option, check_range
from .power import POWER_DENSITY_LIMIT_MW_PER_CM2, power_density_mW_per_cm2

__all__ = [
    "BRAIN_K_W_PER_M_K",
    "BRAIN_PERFUSION_W_PER_M3_K",
    "HEAT_GEOMETRIES",
    "disc_temperature_rise_K",
    "implant_temperature_rise_K",
    "perfusion_length_mm",
    "sphere_temperature_rise_K",
    "thermal_check",
]

#: Thermal conductivity of grey matter, W/(m·K).
BRAIN_K_W_PER_M_K = 0.57
#: Perfusion heat-exchange coefficient ω_b c_b of grey matter, W/(m³·K).
BRAIN_PERFUSION_W_PER_M3_K = 45000.0
#: Geometries of :func:`implant_temperature_rise_K`.
HEAT_GEOMETRIES = ("circumscribed_sphere", "disc_half_space")


def _check_tissue(k_W_per_m_K, perfusion_W_per_m3_K):
    k = check_range("k_W_per_m_K", k_W_per_m_K, 0.0, 100.0, "W/(m·K)", low_inclusive=False)
    w = check_range("perfusion_W_per_m3_K", perfusion_W_per_m3_K, 0.0, 1e7, "W/(m³·K)",
                    low_inclusive=False)
    return k, w


def perfusion_length_mm(k_W_per_m_K: float = BRAIN_K_W_PER_M_K,
                        perfusion_W_per_m3_K: float = BRAIN_PERFUSION_W_PER_M3_K) -> float:
    """Perfusion length ``L = sqrt(k / (ω_b c_b))`` in mm (3.56 mm for grey matter)."""
    k, w = _check_tissue(k_W_per_m_K, perfusion_W_per_m3_K)
    return math.sqrt(k / w) * 1e3


def sphere_temperature_rise_K(power_mW: float, radius_mm: float,
                              k_W_per_m_K: float = BRAIN_K_W_PER_M_K,
                              perfusion_W_per_m3_K: float = BRAIN_PERFUSION_W_PER_M3_K) -> float:
    r"""Surface temperature rise of a sphere dissipating ``P`` into perfused tissue, in K.

    Solution of ``θ'' + 2θ'/r = θ/L²`` for ``r > a`` with ``-k θ'(a) = P / (4π a²)`` and
    ``θ(∞) = 0``: ``θ(r) = θ_a (a/r) e^{-(r-a)/L}`` with

    .. math:: \theta_a = \frac{P}{4 \pi k a} \, \frac{1}{1 + a / L}

    Parameters
    ----------
    power_mW : float
        Dissipated power in mW, >= 0.
    radius_mm : float
        Sphere radius in mm, in (0, 1000].
    k_W_per_m_K, perfusion_W_per_m3_K : float
        Tissue conductivity and ω_b c_b (grey matter defaults).

    References
    ----------
    Pennes (1948), J. Appl. Physiol. 1(2):93-122.
    """
    p = check_range("power_mW", power_mW, 0.0, None, "mW") * 1e-3
    a = check_range("radius_mm", radius_mm, 0.0, 1000.0, "mm", low_inclusive=False) * 1e-3
    k, w = _check_tissue(k_W_per_m_K, perfusion_W_per_m3_K)
    length = math.sqrt(k / w)
    return p / (4.0 * math.pi * k * a) / (1.0 + a / length)


def disc_temperature_rise_K(power_mW: float, radius_mm: float,
                            k_W_per_m_K: float = BRAIN_K_W_PER_M_K,
                            perfusion_W_per_m3_K: float = BRAIN_PERFUSION_W_PER_M3_K) -> float:
    r"""Centre temperature rise of a uniformly heated disc on a perfused half-space, in K.

    Flux ``q = P / (π a²)`` over ``r < a`` into the half-space ``z > 0``, the rest of the surface
    adiabatic. By the Hankel transform ``θ(r, 0) = (q a / k) ∫ J1(λa) J0(λr) / sqrt(λ² + L⁻²) dλ``;
    at the centre ``∫ J1(λa) / sqrt(λ² + m²) dλ = (1 - e^{-ma}) / (ma)``, so

    .. math:: \theta(0, 0) = \frac{P L}{\pi k a^2} \left(1 - e^{-a/L}\right)

    (``→ P / (π k a)``, the classic non-perfused disc, as ``L → ∞``). All heat goes into the
    tissue: an upper bound for a chip lying on cortex under an insulating skull.

    Parameters are those of :func:`sphere_temperature_rise_K` (``radius_mm``: disc radius).
    """
    p = check_range("power_mW", power_mW, 0.0, None, "mW") * 1e-3
    a = check_range("radius_mm", radius_mm, 0.0, 1000.0, "mm", low_inclusive=False) * 1e-3
    k, w = _check_tissue(k_W_per_m_K, perfusion_W_per_m3_K)
    length = math.sqrt(k / w)
    return p * length * (-math.expm1(-a / length)) / (math.pi * k * a * a)


def implant_temperature_rise_K(power_mW: float, footprint_mm=(4.0, 4.0),
                               geometry: str = "circumscribed_sphere",
                               k_W_per_m_K: float = BRAIN_K_W_PER_M_K,
                               perfusion_W_per_m3_K: float = BRAIN_PERFUSION_W_PER_M3_K) -> float:
    """Steady tissue temperature rise for an implant of rectangular footprint, in K.

    Geometries
    ----------
    ``'circumscribed_sphere'`` (default)
        An intracortical array (silicon, k ≈ 150 W/(m·K), ~260 x tissue, so nearly isothermal)
        heats tissue on all sides; it is represented by the sphere through the footprint's
        corners, radius ``sqrt(w² + h²) / 2`` (2.83 mm for a 4 x 4 mm Utah array), surrounded by
        perfused tissue (:func:`sphere_temperature_rise_K`). This gives 0.0275 °C/mW for the Utah
        footprint against Kim et al. (2007)'s 0.029 °C/mW (-5 %).
    ``'disc_half_space'``
        A flat chip on the cortical surface with all heat into the brain: disc of equal area,
        centre temperature (:func:`disc_temperature_rise_K`); ~6x more pessimistic
        (0.18 °C/mW for 4 x 4 mm), an upper bound.

    Assumptions
    -----------
    - Steady state, homogeneous grey matter, uniform arterial temperature, no metabolic change.
    - Equal-power results scale linearly: ΔT = slope x P.

    References
    ----------
    Pennes (1948); Kim et al. (2007), IEEE TNSRE 15(4):493-501 (0.029 °C/mW, Utah array);
    Wolf (2008), in Indwelling Neural Implants, CRC Press (~40 mW/cm²).
    """
    geometry = check_option("geometry", geometry, HEAT_GEOMETRIES)
    w_mm = check_range("footprint_mm[0]", footprint_mm[0], 0.0, 1000.0, "mm", low_inclusive=False)
    h_mm = check_range("footprint_mm[1]", footprint_mm[1], 0.0, 1000.0, "mm", low_inclusive=False)
    if geometry == "circumscribed_sphere":
        return sphere_temperature_rise_K(power_mW, math.hypot(w_mm, h_mm) / 2.0, k_W_per_m_K,
                                         perfusion_W_per_m3_K)
    return disc_temperature_rise_K(power_mW, math.sqrt(w_mm * h_mm / math.pi), k_W_per_m_K,
                                   perfusion_W_per_m3_K)


def thermal_check(power_mW: float, footprint_mm=(4.0, 4.0), chip_area_mm2: float | None = None,
                  geometry: str = "circumscribed_sphere", limit_K: float = 1.0,
                  surface_limit_K: float = 2.0) -> dict:
    """Temperature rise and power density of an implant against the usual limits.

    Parameters
    ----------
    power_mW : float
        Total dissipated power in mW.
    footprint_mm : (float, float)
        Width and height of the implant's footprint in mm.
    chip_area_mm2 : float, optional
        Area over which the power density is computed, mm²; default the footprint.
    geometry : str
        See :func:`implant_temperature_rise_K`.
    limit_K, surface_limit_K : float
        Tissue limit (1 °C) and ISO 14708-1 surface limit (2 °C), in K.

    Returns
    -------
    dict
        ``temperature_rise_K``, ``slope_K_per_mW``, ``passes_1C``, ``passes_2C``,
        ``power_density_mW_per_cm2``, ``power_density_limit_mW_per_cm2``,
        ``passes_power_density``, ``max_power_mW_for_limit``, ``geometry``.
    """
    p = check_range("power_mW", power_mW, 0.0, None, "mW")
    lim = check_range("limit_K", limit_K, 0.0, 100.0, "K", low_inclusive=False)
    slim = check_range("surface_limit_K", surface_limit_K, 0.0, 100.0, "K", low_inclusive=False)
    slope = implant_temperature_rise_K(1.0, footprint_mm, geometry)
    area = (float(footprint_mm[0]) * float(footprint_mm[1]) if chip_area_mm2 is None
            else check_range("chip_area_mm2", chip_area_mm2, 0.0, None, "mm²",
                             low_inclusive=False))
    density = power_density_mW_per_cm2(p, area)
    return {
        "geometry": geometry,
        "temperature_rise_K": slope * p,
        "slope_K_per_mW": slope,
        "passes_1C": slope * p <= lim,
        "passes_2C": slope * p <= slim,
        "max_power_mW_for_limit": lim / slope,
        "power_density_mW_per_cm2": density,
        "power_density_limit_mW_per_cm2": POWER_DENSITY_LIMIT_MW_PER_CM2,
        "passes_power_density": density <= POWER_DENSITY_LIMIT_MW_PER_CM2,
    }
