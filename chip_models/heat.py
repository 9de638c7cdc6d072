r"""Steady-state tissue heating by the implant (Pennes bioheat equation).

.. math:: \nabla\cdot(k \nabla T) - \omega_b c_b (T - T_a) + q = 0

Away from the source the excess temperature ``θ = T - T_a`` obeys ``∇²θ = θ / L²`` with the
perfusion length ``L = sqrt(k / (ω_b c_b))`` (3.56 mm for grey matter: k 0.57 W/(m·K),
ω_b c_b 45 000 W/(m³·K), references.md). The implant's real shape is solved in 3-D
(`block_temperature_rise_K`, finite volumes in `chip_models._heat_solver`); the
closed forms (sphere, disc on a half-space) remain for checks and quick bounds.
"""

from __future__ import annotations

import math

from . import _heat_solver
from ._validation import check_option, check_range
from .power import POWER_DENSITY_LIMIT_MW_PER_CM2, power_density_mW_per_cm2

#: Keep the finite-volume results in a folder across processes (None: per process only).
set_heat_cache_dir = _heat_solver.set_result_cache_dir

__all__ = [
    "BONE_K_W_PER_M_K",
    "BONE_PERFUSION_W_PER_M3_K",
    "BRAIN_K_W_PER_M_K",
    "BRAIN_PERFUSION_W_PER_M3_K",
    "CSF_K_W_PER_M_K",
    "HEAT_GEOMETRIES",
    "HEAT_SURROUNDINGS",
    "SILICON_K_W_PER_M_K",
    "block_temperature_rise_K",
    "disc_temperature_rise_K",
    "set_heat_cache_dir",
    "implant_temperature_rise_K",
    "perfusion_length_mm",
    "sphere_temperature_rise_K",
    "thermal_check",
]

#: Thermal conductivity of grey matter, W/(m·K).
BRAIN_K_W_PER_M_K = 0.57
#: Perfusion heat-exchange coefficient ω_b c_b of grey matter, W/(m³·K).
BRAIN_PERFUSION_W_PER_M3_K = 45000.0
#: Thermal conductivity of silicon at 300 K, W/(m·K) (Glassbrenner & Slack 1964).
SILICON_K_W_PER_M_K = 148.0
#: Cerebrospinal fluid: conductivity W/(m·K), no perfusion (IT'IS database).
CSF_K_W_PER_M_K = 0.62
#: Skull bone: conductivity W/(m·K) and ω_b c_b W/(m³·K) (IT'IS database).
BONE_K_W_PER_M_K = 0.40
BONE_PERFUSION_W_PER_M3_K = 3400.0
#: Geometries of `implant_temperature_rise_K` (the first is the default).
HEAT_GEOMETRIES = ("silicon_block", "circumscribed_sphere", "disc_half_space")
#: What lies over the cortical surface in `block_temperature_rise_K`.
HEAT_SURROUNDINGS = ("tissue", "csf_skull", "insulated")


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

    Parameters are those of `sphere_temperature_rise_K` (``radius_mm``: disc radius).
    """
    p = check_range("power_mW", power_mW, 0.0, None, "mW") * 1e-3
    a = check_range("radius_mm", radius_mm, 0.0, 1000.0, "mm", low_inclusive=False) * 1e-3
    k, w = _check_tissue(k_W_per_m_K, perfusion_W_per_m3_K)
    length = math.sqrt(k / w)
    return p * length * (-math.expm1(-a / length)) / (math.pi * k * a * a)


def block_temperature_rise_K(power_mW: float, footprint_mm=(4.0, 4.0), thickness_mm: float = 0.5,
                             shank_length_mm: float = 1.0, shank_fill: float = 0.0105,
                             shank_footprint_mm=None, above: str = "tissue",
                             csf_mm: float = 1.0, skull_mm: float = 6.0,
                             k_W_per_m_K: float = BRAIN_K_W_PER_M_K,
                             perfusion_W_per_m3_K: float = BRAIN_PERFUSION_W_PER_M3_K) -> float:
    r"""Steady temperature rise (K) of tissue touching an implant of its real shape.

    The implant is a block of silicon (k = 148 W/(m·K), ~260 x grey matter: isothermal to
    < 1 %) of ``footprint_mm`` x ``thickness_mm`` lying on the cortical surface and
    dissipating ``power_mW``, with a bed of shanks ``shank_length_mm`` deep below it (an
    array's needles: silicon volume fraction ``shank_fill``, an anisotropic effective medium:
    ``k_z = f k_Si + (1 - f) k``, ``k_xy = k (1 + f)/(1 - f)``); perfused grey matter all
    around. ``above`` is what lies over the cortical surface: ``'tissue'`` (perfused tissue:
    the implant embedded, as in Kim et al. 2007), ``'csf_skull'`` (``csf_mm`` of CSF and
    ``skull_mm`` of bone, no scalp: the outer face insulated) or ``'insulated'`` (all heat
    into the brain: an upper bound). Solved by finite volumes on a graded grid
    (`chip_models._heat_solver`, ~1 s; cached by geometry, so sweeps over power pay it
    once). The result is linear in ``power_mW``.

    Why a 3-D solve and not a shape factor: published conduction shape factors are for
    non-perfused media, and perfusion (L = 3.56 mm, the size of the implant) changes the
    answer by a factor ~2 (the sphere: 1/(1 + a/L)); the needles and an IC larger than the
    array also matter by tens of %. Checks: the solver reproduces
    `sphere_temperature_rise_K` within 2 % and `disc_temperature_rise_K` within
    3 %; for Kim et al. (2007)'s device -- a Utah array (4 x 4 mm, 1.5 mm shanks) carrying
    Harrison et al. (2007)'s 4.7 x 5.9 mm IC, implanted in the brain -- it gives 0.037 °C/mW
    against their 0.029 (+28 %; no parameter fitted). A bare 4 x 4 mm Utah with its chip on
    the back gives 0.050 °C/mW embedded, 0.060 under CSF and skull, 0.10 insulated.

    Parameters
    ----------
    power_mW : float
        Dissipated power, mW, >= 0.
    footprint_mm : (float, float)
        Width and height of the silicon block, mm, in (0, 1000].
    thickness_mm : float
        Silicon thickness (array base + IC), mm, in (0, 20]; default 0.5.
    shank_length_mm : float
        Depth of the bed of shanks below the block, mm, in [0, 20]; 0: a flat device.
    shank_fill : float
        Silicon volume fraction of the bed, in [0, 0.5]; default 0.0105 (100 conical shanks of
        80 µm base diameter on 4 x 4 mm).
    shank_footprint_mm : (float, float), optional
        Footprint of the bed of shanks, mm; default the block's (at most the block's).
    above : str
        One of ``HEAT_SURROUNDINGS``.
    csf_mm, skull_mm : float
        Layer thicknesses for ``above='csf_skull'``, mm, in (0, 50].
    k_W_per_m_K, perfusion_W_per_m3_K : float
        Grey matter conductivity and ω_b c_b.

    Returns
    -------
    float
        Mean temperature rise of the silicon (that of the tissue touching it), K.

    Assumptions
    -----------
    - Steady state, homogeneous grey matter below the surface, arterial temperature 10
      perfusion lengths away; metabolism unchanged (the equation is linear in P).
    - Power spread uniformly in the silicon (isothermal anyway); shanks as an effective
      medium; no scalp or air above the skull (insulated: conservative).

    References
    ----------
    Pennes (1948), J Appl Physiol 1(2):93-122. Kim S. et al. (2007), IEEE TNSRE 15(4):493-501
    (0.029 °C/mW). Harrison R. R. et al. (2007), IEEE JSSC 42(1):123-133 (4.7 x 5.9 mm² IC,
    13.5 mW). IT'IS tissue database (Hasgall et al.; CSF, bone, grey matter). Glassbrenner C.
    J. & Slack G. A. (1964), Phys Rev 134:A1058 (silicon).
    """
    p = check_range("power_mW", power_mW, 0.0, None, "mW")
    w_mm = check_range("footprint_mm[0]", footprint_mm[0], 0.0, 1000.0, "mm", low_inclusive=False)
    h_mm = check_range("footprint_mm[1]", footprint_mm[1], 0.0, 1000.0, "mm", low_inclusive=False)
    t_mm = check_range("thickness_mm", thickness_mm, 0.0, 20.0, "mm", low_inclusive=False)
    s_mm = check_range("shank_length_mm", shank_length_mm, 0.0, 20.0, "mm")
    fill = check_range("shank_fill", shank_fill, 0.0, 0.5)
    bed = (w_mm, h_mm) if shank_footprint_mm is None else (
        check_range("shank_footprint_mm[0]", shank_footprint_mm[0], 0.0, w_mm, "mm",
                    low_inclusive=False),
        check_range("shank_footprint_mm[1]", shank_footprint_mm[1], 0.0, h_mm, "mm",
                    low_inclusive=False))
    above = check_option("above", above, HEAT_SURROUNDINGS)
    csf = check_range("csf_mm", csf_mm, 0.0, 50.0, "mm", low_inclusive=False)
    skull = check_range("skull_mm", skull_mm, 0.0, 50.0, "mm", low_inclusive=False)
    k, w = _check_tissue(k_W_per_m_K, perfusion_W_per_m3_K)
    layers = ()
    if above == "csf_skull":
        layers = ((csf, CSF_K_W_PER_M_K, 0.0), (skull, BONE_K_W_PER_M_K, BONE_PERFUSION_W_PER_M3_K))
    slope = _heat_solver.block_rise_K_per_mW(
        w_mm, h_mm, t_mm, s_mm, fill, bed[0], bed[1], SILICON_K_W_PER_M_K, k, w,
        "layers" if above == "csf_skull" else above, layers)
    return p * slope


def implant_temperature_rise_K(power_mW: float, footprint_mm=(4.0, 4.0),
                               geometry: str = "silicon_block",
                               k_W_per_m_K: float = BRAIN_K_W_PER_M_K,
                               perfusion_W_per_m3_K: float = BRAIN_PERFUSION_W_PER_M3_K) -> float:
    """Steady tissue temperature rise for an implant of rectangular footprint, in K.

    Geometries
    ----------
    ``'silicon_block'`` (default)
        The real shape: a 0.5 mm silicon block of the footprint on the cortical surface with a
        1 mm bed of shanks below, embedded in perfused tissue
        (`block_temperature_rise_K` with its defaults; 3-D solve). 0.050 °C/mW for a
        4 x 4 mm Utah array with its chip on the back (~20 mW for 1 °C).
    ``'circumscribed_sphere'``
        The sphere through the footprint's corners, radius ``sqrt(w² + h²) / 2`` (2.83 mm for
        4 x 4 mm), in perfused tissue (`sphere_temperature_rise_K`): 0.0275 °C/mW,
        optimistic: its surface is twice the block's.
    ``'disc_half_space'``
        A flat chip on the cortical surface with all heat into the brain: disc of equal area,
        centre temperature (`disc_temperature_rise_K`); ~6x more pessimistic
        (0.18 °C/mW for 4 x 4 mm), an upper bound.

    Assumptions
    -----------
    - Steady state, homogeneous grey matter, uniform arterial temperature, no metabolic change.
    - Equal-power results scale linearly: ΔT = slope x P.

    References
    ----------
    Pennes (1948); Kim et al. (2007), IEEE TNSRE 15(4):493-501 (0.029 °C/mW, Utah array
    with its IC); Wolf (2008), in Indwelling Neural Implants, CRC Press (~40 mW/cm²).
    """
    geometry = check_option("geometry", geometry, HEAT_GEOMETRIES)
    w_mm = check_range("footprint_mm[0]", footprint_mm[0], 0.0, 1000.0, "mm", low_inclusive=False)
    h_mm = check_range("footprint_mm[1]", footprint_mm[1], 0.0, 1000.0, "mm", low_inclusive=False)
    if geometry == "silicon_block":
        return block_temperature_rise_K(power_mW, (w_mm, h_mm), k_W_per_m_K=k_W_per_m_K,
                                        perfusion_W_per_m3_K=perfusion_W_per_m3_K)
    if geometry == "circumscribed_sphere":
        return sphere_temperature_rise_K(power_mW, math.hypot(w_mm, h_mm) / 2.0, k_W_per_m_K,
                                         perfusion_W_per_m3_K)
    return disc_temperature_rise_K(power_mW, math.sqrt(w_mm * h_mm / math.pi), k_W_per_m_K,
                                   perfusion_W_per_m3_K)


def thermal_check(power_mW: float, footprint_mm=(4.0, 4.0), chip_area_mm2: float | None = None,
                  geometry: str = "silicon_block", limit_K: float = 1.0,
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
        See `implant_temperature_rise_K`.
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
