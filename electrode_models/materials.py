"""Electrode-tissue impedance: spreading resistance plus a constant-phase element (CPE).

    Z(f) = R_s + Z_CPE,   R_s = 1 / (4 sigma r)          (disc on an insulating plane; Newman 1966)
                          Z_CPE = 1 / (Q A (j 2 pi f)^n),  A = pi r^2

with Q (S·s^n per m²) and n per material. Q is calibrated at import so that |Z(1 kHz)| of a
calibration site, measured in saline (sigma = 1.5 S/m, phosphate-buffered saline at room
temperature), reproduces the published value:

=========  ====  ===============  =========  ==========================================
material   n     site radius µm   |Z| 1 kHz  source
=========  ====  ===============  =========  ==========================================
Pt         0.80  20 (Utah tip)    450 kΩ     Hughes et al. 2021 (Utah, before implant)
PtIr       0.80  20 (Utah tip)    450 kΩ     assumed equal to Pt
SIROF      0.90  20 (Utah tip)     75 kΩ     Hughes et al. 2021
IrOx       0.90   7 (Neuralink)    56 kΩ     Musk & Neuralink 2019
PEDOT      0.90   7 (Neuralink)    37 kΩ     Musk & Neuralink 2019
TiN        0.90   6.77 (NP 1.0)   150 kΩ     Jun et al. 2017 (~150 kΩ, 12 x 12 µm TiN)
=========  ====  ===============  =========  ==========================================

Assumptions
-----------
- The Utah tip's exposed metal is modelled as a 20 µm-radius disc; the Neuralink contact as a
  7 µm-radius disc (~154 µm², the published geometric area is not given in the white paper).
- The CPE part scales exactly as 1/area; n (0.8 for smooth metal, 0.9 for porous coatings)
  is a typical literature value, not fitted.
- In tissue (sigma ~0.3 S/m) only R_s changes; encapsulation and chronic changes are not
  modelled here.

References
----------
Newman J. (1966) Resistance for flow of current to a disk. J Electrochem Soc 113, 501.
Franks W. et al. (2005) Impedance characterization and modeling of electrodes for biomedical
applications. IEEE TBME 52, 1295-1302.
Hughes C. L. et al. (2021) Neural stimulation and recording performance in human sensorimotor
cortex over 1500 days. J Neural Eng 18, 045012.
"""

from __future__ import annotations

import math


from ._validation import check_option, check_range

CALIBRATION_SIGMA_S_PER_M = 1.5
# material: (n, calibration radius µm, |Z| at 1 kHz in Ω)
_CALIBRATION = {
    "Pt": (0.80, 20.0, 450e3),
    "PtIr": (0.80, 20.0, 450e3),
    "SIROF": (0.90, 20.0, 75e3),
    "IrOx": (0.90, 7.0, 56e3),
    "PEDOT": (0.90, 7.0, 37e3),
    "TiN": (0.90, 12.0 / math.sqrt(math.pi), 150e3),
}


def spreading_resistance_ohm(site_radius_um: float, sigma_S_per_m: float = 0.3) -> float:
    """Access resistance of a disc on an insulating plane, ``1 / (4 sigma r)`` (Ω)."""
    r = check_range("site_radius_um", site_radius_um, 0.0, None, "µm", low_inclusive=False)
    s = check_range("sigma_S_per_m", sigma_S_per_m, 0.0, None, "S/m", low_inclusive=False)
    return 1.0 / (4.0 * s * r * 1e-6)


def _fit_q(n: float, radius_um: float, target_ohm: float) -> float:
    """Q (S·s^n/m²) so that |R_s + K e^{-j n pi/2}| = target at 1 kHz in saline."""
    rs = 1.0 / (4.0 * CALIBRATION_SIGMA_S_PER_M * radius_um * 1e-6)
    cphi = math.cos(n * math.pi / 2.0)
    k = -rs * cphi + math.sqrt(rs * rs * cphi * cphi - rs * rs + target_ohm ** 2)
    area_m2 = math.pi * (radius_um * 1e-6) ** 2
    return 1.0 / (k * area_m2 * (2.0 * math.pi * 1000.0) ** n)


#: material -> (Q in S·s^n/m², n)
CPE_PARAMS = {m: (_fit_q(*v), v[0]) for m, v in _CALIBRATION.items()}


def list_materials() -> list[str]:
    """Names accepted by :func:`electrode_impedance`."""
    return list(CPE_PARAMS)


def electrode_impedance(material: str, site_radius_um: float, f_hz: float = 1000.0,
                        sigma_S_per_m: float = 0.3) -> complex:
    """Complex impedance (Ω) of a disc electrode of ``material`` in a medium of ``sigma``.

    Parameters
    ----------
    material : str, one of :func:`list_materials`.
    site_radius_um : float, disc radius (µm), in (0, 1000].
    f_hz : float, frequency (Hz), in (0, 1e6].
    sigma_S_per_m : float, conductivity of the medium (S/m), > 0 (0.3 tissue, 1.5 saline).

    Returns
    -------
    complex, ``1/(4 sigma r) + 1/(Q pi r^2 (j 2 pi f)^n)`` in Ω.
    """
    check_option("material", material, list(CPE_PARAMS))
    r = check_range("site_radius_um", site_radius_um, 0.0, 1000.0, "µm", low_inclusive=False)
    f = check_range("f_hz", f_hz, 0.0, 1e6, "Hz", low_inclusive=False)
    rs = spreading_resistance_ohm(r, sigma_S_per_m)
    q, n = CPE_PARAMS[material]
    area_m2 = math.pi * (r * 1e-6) ** 2
    return complex(rs + 1.0 / (q * area_m2 * (1j * 2.0 * math.pi * f) ** n))


