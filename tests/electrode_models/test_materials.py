import math

import numpy as np
import pytest

from electrode_models.materials import (CPE_PARAMS, electrode_impedance, list_materials,
                                        spreading_resistance_ohm)


def test_list_materials():
    assert {"Pt", "PtIr", "IrOx", "PEDOT", "TiN", "SIROF"} <= set(list_materials())


def test_spreading_resistance_closed_form():
    # Newman 1966: R = 1 / (4 sigma r); 20 µm disc in 0.3 S/m -> 41.67 kΩ
    assert spreading_resistance_ohm(20.0, 0.3) == pytest.approx(1 / (4 * 0.3 * 20e-6))
    assert spreading_resistance_ohm(20.0, 0.3) == pytest.approx(41_666.7, rel=1e-5)


def test_calibration_points():
    # references.md (in saline): Utah Pt ~450 kΩ, SIROF ~75 kΩ, Neuralink PEDOT ~37, IrOx ~56 kΩ
    assert abs(electrode_impedance("Pt", 20.0, 1000.0, 1.5)) == pytest.approx(450e3, rel=0.10)
    assert abs(electrode_impedance("Pt", 20.0)) == pytest.approx(450e3, rel=0.10)  # tissue
    assert abs(electrode_impedance("SIROF", 20.0, 1000.0, 1.5)) == pytest.approx(75e3, rel=0.10)
    assert abs(electrode_impedance("PEDOT", 7.0, 1000.0, 1.5)) == pytest.approx(37e3, rel=0.10)
    assert abs(electrode_impedance("IrOx", 7.0, 1000.0, 1.5)) == pytest.approx(56e3, rel=0.10)


@pytest.mark.parametrize("material", ["Pt", "PEDOT", "TiN"])
def test_cpe_scaling_and_phase(material):
    q, n = CPE_PARAMS[material]
    cpe = {r: electrode_impedance(material, r, 1000.0) - spreading_resistance_ohm(r, 0.3)
           for r in (5.0, 10.0, 40.0)}
    # CPE part ~ 1/area
    assert abs(cpe[5.0]) / abs(cpe[10.0]) == pytest.approx(4.0, rel=1e-9)
    assert abs(cpe[10.0]) / abs(cpe[40.0]) == pytest.approx(16.0, rel=1e-9)
    # phase -n pi/2, magnitude ~ f^-n
    assert np.angle(cpe[10.0]) == pytest.approx(-n * math.pi / 2)
    z2 = electrode_impedance(material, 10.0, 2000.0) - spreading_resistance_ohm(10.0, 0.3)
    assert abs(cpe[10.0]) / abs(z2) == pytest.approx(2 ** n)


def test_materials_errors():
    with pytest.raises(ValueError, match=r"material must be one of \['Pt'"):
        electrode_impedance("gold", 10.0)
    with pytest.raises(ValueError, match=r"site_radius_um must be in \(0, 5000\] µm"):
        electrode_impedance("Pt", 0.0)
    with pytest.raises(ValueError, match=r"f_hz must be in \(0, 1e\+06\] Hz"):
        electrode_impedance("Pt", 10.0, f_hz=-1.0)
    with pytest.raises(ValueError, match=r"sigma_S_per_m must be in \(0, inf\] S/m"):
        electrode_impedance("Pt", 10.0, sigma_S_per_m=0.0)
    with pytest.raises(ValueError, match=r"site_radius_um must be in \(0, inf\] µm"):
        spreading_resistance_ohm(-1.0)


# -- spectra, band-limited thermal noise, amplifier divider --------------------------------

from electrode_models.materials import (BOLTZMANN_J_PER_K, amplifier_divider_gain,  # noqa: E402
                                        encapsulation_resistance_ohm, impedance_spectrum, interface_thermal_noise_uV_rms,
                                        thermal_noise_psd_V2_per_hz)


def test_spectrum_calibration_and_cpe_slope():
    # published |Z(1 kHz)| in saline (1.5 S/m): Pt Utah tip 450 kΩ, SIROF 75 kΩ (Hughes 2021)
    assert abs(impedance_spectrum("Pt", 20.0, [1000.0], 1.5)[0]) == pytest.approx(450e3, rel=1e-3)
    assert abs(impedance_spectrum("SIROF", 20.0, [1000.0], 1.5)[0]) == pytest.approx(75e3, rel=1e-3)
    # CPE part falls as f^-n with phase -n pi/2 (Franks 2005)
    z = impedance_spectrum("Pt", 20.0, [10.0, 100.0], 0.3)
    rs = 1.0 / (4 * 0.3 * 20e-6)
    cpe = z - rs
    assert abs(cpe[0] / cpe[1]) == pytest.approx(10 ** 0.8, rel=1e-9)
    assert np.angle(cpe[0]) == pytest.approx(-0.8 * np.pi / 2, rel=1e-9)
    # scales as 1/area
    z1, z2 = impedance_spectrum("PEDOT", 10.0, [1e3]), impedance_spectrum("PEDOT", 20.0, [1e3])
    assert abs((z1 - 1 / (4 * 0.3 * 10e-6)) / (z2 - 1 / (4 * 0.3 * 20e-6)))[0] == pytest.approx(4.0)


def test_band_thermal_noise_closed_form_against_quadrature():
    from scipy.integrate import quad
    f1, f2, temp = 300.0, 6000.0, 310.0
    got = interface_thermal_noise_uV_rms("Pt", 20.0, f1, f2, temp)
    psd = lambda f: thermal_noise_psd_V2_per_hz("Pt", 20.0, [f], temp)[0]  # noqa: E731
    want = np.sqrt(quad(psd, f1, f2, limit=200)[0]) * 1e6
    assert got == pytest.approx(want, rel=1e-6)
    # loaded with an ideal (infinite) input: equals the unloaded value (grid integration)
    loaded = interface_thermal_noise_uV_rms("Pt", 20.0, f1, f2, temp, input_capacitance_pF=0.0,
                                            input_resistance_ohm=1e16)
    assert loaded == pytest.approx(got, rel=1e-4)


def test_band_thermal_noise_of_a_resistor_reference():
    # references.md: 37 kΩ over 10 kHz at 310 K -> 2.5 µV. A large disc is nearly a resistor
    # (R_s dominates): compare with sqrt(4kT Re Z df) of the same Re Z.
    v = interface_thermal_noise_uV_rms("PEDOT", 1000.0, 10.0, 10010.0, 310.0, sigma_S_per_m=0.3)
    re = np.mean(impedance_spectrum("PEDOT", 1000.0, np.linspace(10, 10010, 20001)).real)
    assert v == pytest.approx(np.sqrt(4 * BOLTZMANN_J_PER_K * 310 * re * 1e4) * 1e6, rel=1e-3)
    assert np.sqrt(4 * BOLTZMANN_J_PER_K * 310 * 37e3 * 1e4) * 1e6 == pytest.approx(2.5, abs=0.05)


@pytest.mark.parametrize("material, radius", [("Pt", 20.0), ("TiN", 12 / np.sqrt(np.pi)), ("SIROF", 20.0)])
@pytest.mark.parametrize("rise", [1.0, 1.48, 3.11, 10.0])
def test_encapsulation_resistance_reproduces_the_impedance_rise(material, radius, rise):
    """A series resistance R with |Z0 + R| = rise |Z0| at 1 kHz: checked on the spectrum itself,
    and its Johnson noise 4 k T R df adds in power to the bare site's thermal noise."""
    z0 = impedance_spectrum(material, radius, [1000.0])[0]
    r = encapsulation_resistance_ohm(material, radius, rise)
    assert r >= 0.0 and (r == 0.0) == (rise == 1.0)
    z = impedance_spectrum(material, radius, [1000.0], encapsulation_ohm=r)[0]
    assert abs(z) == pytest.approx(rise * abs(z0), rel=1e-9)
    assert z.imag == pytest.approx(z0.imag, rel=1e-12)         # a resistance: only Re Z grows
    f1, f2, temp = 300.0, 6000.0, 310.0
    bare = interface_thermal_noise_uV_rms(material, radius, f1, f2, temp)
    enc = interface_thermal_noise_uV_rms(material, radius, f1, f2, temp, encapsulation_ohm=r)
    johnson = np.sqrt(4 * BOLTZMANN_J_PER_K * temp * r * (f2 - f1)) * 1e6
    assert enc == pytest.approx(np.hypot(bare, johnson), rel=1e-9)
    # the loaded (numerical) path agrees with the closed form for an ideal input
    loaded = interface_thermal_noise_uV_rms(material, radius, f1, f2, temp, input_capacitance_pF=0.0,
                                            input_resistance_ohm=1e16, encapsulation_ohm=r)
    assert loaded == pytest.approx(enc, rel=1e-4)


def test_encapsulation_of_a_utah_tip_at_day_7():
    """Hughes et al. 2021: a Pt Utah tip of 450 kΩ in saline reads 1.4 MΩ a week after implant;
    as a series resistance that is ~1.3 MΩ, whose Johnson noise over 300 Hz-6 kHz (~11 µV at
    310 K) is what the site then adds, far above the bare site's ~4 µV."""
    r = encapsulation_resistance_ohm("Pt", 20.0, 1.4e6 / abs(impedance_spectrum("Pt", 20.0, [1e3])[0]))
    z0 = impedance_spectrum("Pt", 20.0, [1e3])[0]
    assert r == pytest.approx(-z0.real + np.sqrt(1.4e6 ** 2 - z0.imag ** 2), rel=1e-9)
    assert 1.1e6 < r < 1.4e6
    v = interface_thermal_noise_uV_rms("Pt", 20.0, 300.0, 6000.0, 310.0, encapsulation_ohm=r)
    assert 10.0 < v < 13.0


def test_divider_closed_form_and_small_site_loss():
    f = np.array([1000.0])
    ze = impedance_spectrum("Pt", 7.0, f)[0]
    zin = 1.0 / (1.0 / 1e12 + 1j * 2 * np.pi * 1000.0 * 10e-12)
    h = amplifier_divider_gain("Pt", 7.0, f, 10.0, 1e12)[0]
    assert h == pytest.approx(zin / (zin + ze), rel=1e-12)
    assert abs(h) < 0.9  # a small Pt site loses > 10 % of the signal at 10 pF
    big = amplifier_divider_gain("SIROF", 20.0, f, 10.0, 1e12)[0]
    assert abs(big) > 0.99


@pytest.mark.parametrize("call, match", [
    (lambda: impedance_spectrum("Pt", 10.0, [0.0]), r"f_hz must be in \(0, 1e6\] Hz"),
    (lambda: impedance_spectrum("Pt", 10.0, [1e3], impedance_factor=0.0), r"impedance_factor must be in \(0, 100\]"),
    (lambda: impedance_spectrum("Pt", 10.0, [1e3], encapsulation_ohm=-1.0),
     r"encapsulation_ohm must be in \[0, 1e\+?10\] Ω"),
    (lambda: encapsulation_resistance_ohm("Pt", 10.0, 0.5), r"impedance_rise must be in \[1, 100\]"),
    (lambda: amplifier_divider_gain("Pt", 10.0, [1e3], input_capacitance_pF=-1.0), r"input_capacitance_pF must be in \[0, 1e\+06\] pF"),
    (lambda: amplifier_divider_gain("Pt", 10.0, [1e3], input_resistance_ohm=1.0), r"input_resistance_ohm must be in"),
    (lambda: interface_thermal_noise_uV_rms("Pt", 10.0, 500.0, 100.0), r"f_high_hz must be in \(500"),
    (lambda: interface_thermal_noise_uV_rms("Pt", 10.0, 100.0, 500.0, temperature_K=0.0), r"temperature_K must be in"),
    (lambda: interface_thermal_noise_uV_rms("Au", 10.0, 100.0, 500.0), r"material must be one of"),
    (lambda: interface_thermal_noise_uV_rms("Pt", 10.0, 100.0, 500.0, input_capacitance_pF=1.0, n_points=2), r"n_points must be in"),
    (lambda: thermal_noise_psd_V2_per_hz("Pt", 10.0, [1e3], temperature_K=-1.0), r"temperature_K must be in"),
])
def test_spectrum_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
