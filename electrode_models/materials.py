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
- In tissue (sigma ~0.3 S/m) only R_s changes. Encapsulation adds a series resistance R_enc
  (`encapsulation_resistance_ohm`, from the chronic rise of |Z(1 kHz)| in
  `electrode_models.chronic`); a site's own spread scales the whole impedance
  (``impedance_factor``): ``Z = factor (R_s + R_enc + Z_CPE)``.
- Thermal noise of the interface is that of Re Z(f) (fluctuation-dissipation theorem):
  ``v^2 = int 4 k T Re Z(f) |H(f)|^2 df`` over the band, with ``H`` the divider formed with
  the amplifier input impedance ``Z_in = R_in || 1/(j 2 pi f C_in)``:
  ``H = Z_in / (Z_in + Z_e)``. Without loading (``H = 1``) the integral has the closed form
  ``4 k T [(R_s + R_enc) (f2 - f1) + cos(n pi/2) / (Q A (2 pi)^n) (f2^(1-n) - f1^(1-n)) / (1-n)]``.

References
----------
Newman J. (1966) Resistance for flow of current to a disk. J Electrochem Soc 113, 501.
Franks W. et al. (2005) Impedance characterization and modeling of electrodes for biomedical
applications. IEEE TBME 52, 1295-1302.
Harrison R. R. (2007) A versatile integrated circuit for the acquisition of biopotentials.
IEEE CICC, 115-122 (input capacitance ~ pF, divider with the electrode).
Hughes C. L. et al. (2021) Neural stimulation and recording performance in human sensorimotor
cortex over 1500 days. J Neural Eng 18, 045012.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import check_array, check_option, check_range

BOLTZMANN_J_PER_K = 1.380649e-23

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
    """Names accepted by `electrode_impedance`."""
    return list(CPE_PARAMS)


def electrode_impedance(material: str, site_radius_um: float, f_hz: float = 1000.0,
                        sigma_S_per_m: float = 0.3) -> complex:
    """Complex impedance (Ω) of a disc electrode of ``material`` in a medium of ``sigma``.

    Parameters
    ----------
    material : str, one of `list_materials`.
    site_radius_um : float, disc radius (µm), in (0, 1000].
    f_hz : float, frequency (Hz), in (0, 1e6].
    sigma_S_per_m : float, conductivity of the medium (S/m), > 0 (0.3 tissue, 1.5 saline).

    Returns
    -------
    complex, ``1/(4 sigma r) + 1/(Q pi r^2 (j 2 pi f)^n)`` in Ω.
    """
    check_option("material", material, list(CPE_PARAMS))
    r = check_range("site_radius_um", site_radius_um, 0.0, 5000.0, "µm", low_inclusive=False)
    f = check_range("f_hz", f_hz, 0.0, 1e6, "Hz", low_inclusive=False)
    rs = spreading_resistance_ohm(r, sigma_S_per_m)
    q, n = CPE_PARAMS[material]
    area_m2 = math.pi * (r * 1e-6) ** 2
    return complex(rs + 1.0 / (q * area_m2 * (1j * 2.0 * math.pi * f) ** n))


def impedance_spectrum(material: str, site_radius_um: float, f_hz, sigma_S_per_m: float = 0.3,
                       impedance_factor: float = 1.0, encapsulation_ohm: float = 0.0) -> np.ndarray:
    """Complex impedance spectrum Z(f) (Ω) of a disc site: ``factor (R_s + R_enc + Z_CPE(f))``.

    Parameters
    ----------
    material : str, one of `list_materials`.
    site_radius_um : float, disc radius (µm), in (0, 5000].
    f_hz : array_like, frequencies (Hz), each in (0, 1e6].
    sigma_S_per_m : float, conductivity of the medium (S/m), > 0.
    impedance_factor : float, the site's own |Z| factor (site-to-site spread), in (0, 100].
    encapsulation_ohm : float, series resistance of encapsulating tissue (Ω), >= 0
        (`encapsulation_resistance_ohm`).

    Returns
    -------
    np.ndarray, complex, shape of ``f_hz``, Ω.
    """
    check_option("material", material, list(CPE_PARAMS))
    r = check_range("site_radius_um", site_radius_um, 0.0, 5000.0, "µm", low_inclusive=False)
    f = np.asarray(f_hz, dtype=float)
    if not np.all(np.isfinite(f) & (f > 0) & (f <= 1e6)):
        raise ValueError(f"f_hz must be in (0, 1e6] Hz, got {f_hz!r}")
    fac = check_range("impedance_factor", impedance_factor, 0.0, 100.0, low_inclusive=False)
    renc = check_range("encapsulation_ohm", encapsulation_ohm, 0.0, 1e10, "Ω")
    q, n = CPE_PARAMS[material]
    area_m2 = math.pi * (r * 1e-6) ** 2
    return fac * (spreading_resistance_ohm(r, sigma_S_per_m) + renc
                  + 1.0 / (q * area_m2 * (1j * 2.0 * math.pi * f) ** n))


def encapsulation_resistance_ohm(material: str, site_radius_um: float, impedance_rise: float,
                                 sigma_S_per_m: float = 0.3, f_hz: float = 1000.0) -> float:
    """Series resistance (Ω) of encapsulating tissue that raises the site's ``|Z(f_hz)|`` by a factor.

    Chronic impedance rises because a sheath of glia and matrix grows around the site, in
    series with it; impedance spectroscopy sees it as an added resistance (Williams et al. 2007,
    J Neural Eng 4:410; McConnell et al. 2009, J Neural Eng 6:055005). With the bare site's
    ``Z0 = R_s + Z_CPE(f)``, the resistance ``R`` with ``|Z0 + R| = rise |Z0|`` is
    ``R = -Re Z0 + sqrt(rise² |Z0|² - (Im Z0)²)`` (0 for ``rise = 1``).

    Parameters
    ----------
    material, site_radius_um, sigma_S_per_m : see `impedance_spectrum`.
    impedance_rise : float, |Z| with encapsulation over |Z| without, in [1, 100].
    f_hz : float, frequency at which the rise is measured (Hz), in (0, 1e6].

    Returns
    -------
    float, Ω.
    """
    rise = check_range("impedance_rise", impedance_rise, 1.0, 100.0)
    if rise == 1.0:
        return 0.0
    z0 = complex(impedance_spectrum(material, site_radius_um, f_hz, sigma_S_per_m))
    return max(0.0, -z0.real + math.sqrt((rise * abs(z0)) ** 2 - z0.imag ** 2))


def _input_impedance(f_hz: np.ndarray, c_pF: float, r_ohm: float) -> np.ndarray:
    y = 1.0 / r_ohm + 1j * 2.0 * math.pi * f_hz * c_pF * 1e-12
    return 1.0 / y


def amplifier_divider_gain(material: str, site_radius_um: float, f_hz,
                           input_capacitance_pF: float = 10.0, input_resistance_ohm: float = 1e12,
                           sigma_S_per_m: float = 0.3, impedance_factor: float = 1.0,
                           encapsulation_ohm: float = 0.0) -> np.ndarray:
    """Complex signal gain ``H(f) = Z_in / (Z_in + Z_e)`` of the electrode-amplifier divider.

    ``Z_in = R_in || 1/(j 2 pi f C_in)``; ``|H| < 1`` is the signal lost on small, high-impedance
    sites (e.g. a 7 µm Pt disc: |Z_e(1 kHz)| ~ 3.7 MΩ against |Z_in| = 15.9 MΩ for 10 pF).

    Parameters
    ----------
    material, site_radius_um, f_hz, sigma_S_per_m, impedance_factor, encapsulation_ohm : see
        `impedance_spectrum`.
    input_capacitance_pF : float, amplifier input capacitance (pF), in [0, 1e6].
    input_resistance_ohm : float, amplifier input resistance (Ω), in [1e3, 1e16].

    Returns
    -------
    np.ndarray, complex, shape of ``f_hz``.
    """
    c = check_range("input_capacitance_pF", input_capacitance_pF, 0.0, 1e6, "pF")
    rin = check_range("input_resistance_ohm", input_resistance_ohm, 1e3, 1e16, "Ω")
    ze = impedance_spectrum(material, site_radius_um, f_hz, sigma_S_per_m, impedance_factor,
                            encapsulation_ohm)
    zin = _input_impedance(np.asarray(f_hz, dtype=float), c, rin)
    return zin / (zin + ze)


def interface_thermal_noise_uV_rms(material: str, site_radius_um: float, f_low_hz: float,
                                   f_high_hz: float, temperature_K: float = 310.0,
                                   sigma_S_per_m: float = 0.3, impedance_factor: float = 1.0,
                                   input_capacitance_pF: float | None = None,
                                   input_resistance_ohm: float = 1e12,
                                   n_points: int = 2048, encapsulation_ohm: float = 0.0) -> float:
    """Thermal noise (µV rms) of the electrode over a band, ``sqrt(int 4 k T Re Z |H|^2 df)``.

    Without ``input_capacitance_pF`` (no loading, ``H = 1``) the closed form of the module
    docstring is used; otherwise the integral is evaluated on a log-spaced grid of
    ``n_points`` (trapezoid in ln f; relative error < 1e-4 for 2048 points over 3 decades).

    Parameters
    ----------
    material, site_radius_um, sigma_S_per_m, impedance_factor, encapsulation_ohm : see
        `impedance_spectrum` (the encapsulation's resistance adds its white Johnson noise).
    f_low_hz, f_high_hz : float, band edges (Hz), 0 < f_low < f_high <= 1e6.
    temperature_K : float, absolute temperature (K), > 0.
    input_capacitance_pF, input_resistance_ohm : amplifier input (see `amplifier_divider_gain`).
    n_points : int, integration points (loaded case), in [16, 1e6].

    Returns
    -------
    float, µV rms.
    """
    f1 = check_range("f_low_hz", f_low_hz, 0.0, 1e6, "Hz", low_inclusive=False)
    f2 = check_range("f_high_hz", f_high_hz, f1, 1e6, "Hz", low_inclusive=False)
    temp = check_range("temperature_K", temperature_K, 0.0, None, "K", low_inclusive=False)
    fac = check_range("impedance_factor", impedance_factor, 0.0, 100.0, low_inclusive=False)
    renc = check_range("encapsulation_ohm", encapsulation_ohm, 0.0, 1e10, "Ω")
    kt4 = 4.0 * BOLTZMANN_J_PER_K * temp
    if input_capacitance_pF is None:
        check_option("material", material, list(CPE_PARAMS))
        r = check_range("site_radius_um", site_radius_um, 0.0, 5000.0, "µm", low_inclusive=False)
        q, n = CPE_PARAMS[material]
        area_m2 = math.pi * (r * 1e-6) ** 2
        rs = spreading_resistance_ohm(r, sigma_S_per_m)
        cpe = math.cos(n * math.pi / 2.0) / (q * area_m2 * (2.0 * math.pi) ** n)
        band = (rs + renc) * (f2 - f1) + cpe * (f2 ** (1.0 - n) - f1 ** (1.0 - n)) / (1.0 - n)
        return math.sqrt(kt4 * fac * band) * 1e6
    npts = int(check_range("n_points", n_points, 16, 1e6))
    f = np.geomspace(f1, f2, npts)
    ze = impedance_spectrum(material, site_radius_um, f, sigma_S_per_m, fac, renc)
    h = amplifier_divider_gain(material, site_radius_um, f, input_capacitance_pF,
                               input_resistance_ohm, sigma_S_per_m, fac, renc)
    psd = kt4 * ze.real * np.abs(h) ** 2  # V^2/Hz
    y = psd * f  # integrate in ln f
    lnf = np.log(f)
    return math.sqrt(float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(lnf)))) * 1e6


def thermal_noise_psd_V2_per_hz(material: str, site_radius_um: float, f_hz,
                                temperature_K: float = 310.0, sigma_S_per_m: float = 0.3,
                                impedance_factor: float = 1.0,
                                encapsulation_ohm: float = 0.0) -> np.ndarray:
    """One-sided thermal-noise PSD ``4 k T Re Z(f)`` (V²/Hz) of the electrode, shape of ``f_hz``."""
    temp = check_range("temperature_K", temperature_K, 0.0, None, "K", low_inclusive=False)
    f = check_array("f_hz", f_hz, dtype=float)
    return 4.0 * BOLTZMANN_J_PER_K * temp * impedance_spectrum(
        material, site_radius_um, f, sigma_S_per_m, impedance_factor, encapsulation_ohm).real

