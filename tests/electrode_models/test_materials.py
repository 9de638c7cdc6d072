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
    with pytest.raises(ValueError, match=r"site_radius_um must be in \(0, 1000\] µm"):
        electrode_impedance("Pt", 0.0)
    with pytest.raises(ValueError, match=r"f_hz must be in \(0, 1e\+06\] Hz"):
        electrode_impedance("Pt", 10.0, f_hz=-1.0)
    with pytest.raises(ValueError, match=r"sigma_S_per_m must be in \(0, inf\] S/m"):
        electrode_impedance("Pt", 10.0, sigma_S_per_m=0.0)
    with pytest.raises(ValueError, match=r"site_radius_um must be in \(0, inf\] µm"):
        spreading_resistance_ohm(-1.0)
