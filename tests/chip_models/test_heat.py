"""Pennes bioheat closed forms vs Kim et al. 2007, a numerical solution and the Bessel integral;
power density, clock/static power."""

import math

import numpy as np
import pytest
from scipy import integrate, special

from chip_models import (
    POWER_DENSITY_LIMIT_MW_PER_CM2,
    chip_power,
    clock_power_uW,
    disc_temperature_rise_K,
    implant_temperature_rise_K,
    perfusion_length_mm,
    power_density_mW_per_cm2,
    sphere_temperature_rise_K,
    thermal_check,
)

K = 0.57
WC = 45000.0


def test_perfusion_length():
    assert perfusion_length_mm() == pytest.approx(math.sqrt(0.57 / 45000.0) * 1e3, rel=1e-12)
    assert perfusion_length_mm() == pytest.approx(3.559, abs=1e-3)


def test_utah_heating_slope_within_20_percent_of_kim_2007():
    slope = implant_temperature_rise_K(1.0, (4.0, 4.0))   # K per mW
    assert slope == pytest.approx(0.029, rel=0.20)
    # ~34 mW for 1 °C (references.md) within the same 20 %
    assert thermal_check(10.0)["max_power_mW_for_limit"] == pytest.approx(34.0, rel=0.20)
    # the flat-disc-on-half-space bound is (much) more pessimistic
    assert implant_temperature_rise_K(1.0, (4.0, 4.0), geometry="disc_half_space") > 3 * slope


def test_sphere_formula_against_numerical_radial_pennes():
    """solve_bvp of theta'' + 2 theta'/r - theta/L^2 = 0 on [a, 15 L] with the flux condition
    -k theta'(a) = P / (4 pi a^2) and theta(15 L) = 0 (e^-15 truncation): agrees within 0.1 %."""
    a_m, p_W = 2.0e-3, 10e-3
    length = math.sqrt(K / WC)
    r = np.geomspace(a_m, 15 * length, 400)

    def rhs(r, y):
        return np.vstack([y[1], y[0] / length ** 2 - 2 * y[1] / r])

    def bc(ya, yb):
        return np.array([-K * ya[1] - p_W / (4 * np.pi * a_m ** 2), yb[0]])

    guess = np.vstack([np.exp(-(r - a_m) / length) * a_m / r, -np.exp(-(r - a_m) / length) / r])
    sol = integrate.solve_bvp(rhs, bc, r, guess, tol=1e-8, max_nodes=100000)
    assert sol.success
    assert sol.sol(a_m)[0] == pytest.approx(sphere_temperature_rise_K(10.0, 2.0), rel=1e-3)


def test_disc_formula_against_bessel_integral():
    """Centre rise = (q a / k) * int_0^inf J1(lambda a) / sqrt(lambda^2 + 1/L^2) d lambda.

    Integrated numerically (x = lambda a) between the zeros of J1 up to the 2000th; the
    alternating tail is removed by averaging the last two partial sums (error < 1e-6)."""
    a_m, p_W = 2.257e-3, 1e-3
    ma = a_m / math.sqrt(K / WC)
    edges = np.concatenate([[0.0], special.jn_zeros(1, 2000)])
    parts = [integrate.quad(lambda x: special.j1(x) / math.hypot(x, ma), lo, hi)[0]
             for lo, hi in zip(edges[:-1], edges[1:])]
    partial = np.cumsum(parts)
    val = 0.5 * (partial[-1] + partial[-2])
    q = p_W / (math.pi * a_m ** 2)
    assert disc_temperature_rise_K(1.0, 2.257) == pytest.approx(q * a_m / K * val, rel=1e-4)
    # no perfusion limit: P / (pi k a)
    assert disc_temperature_rise_K(1.0, 2.257, perfusion_W_per_m3_K=1e-9) == pytest.approx(
        1e-3 / (math.pi * K * a_m), rel=1e-4)


def test_thermal_check_pass_fail_and_density():
    ok = thermal_check(10.0, (4.0, 4.0))
    assert ok["passes_1C"] and ok["passes_2C"]
    assert ok["power_density_mW_per_cm2"] == pytest.approx(10.0 / 0.16)
    assert not ok["passes_power_density"]            # 62.5 > 40 mW/cm²
    hot = thermal_check(50.0, (4.0, 4.0))            # 50 mW x 0.0275 = 1.4 K
    assert not hot["passes_1C"] and hot["passes_2C"]
    assert not thermal_check(100.0)["passes_2C"]
    assert power_density_mW_per_cm2(6.0, 16.0) == pytest.approx(37.5)
    assert POWER_DENSITY_LIMIT_MW_PER_CM2 == 40.0


def test_budget_with_static_clock_and_density():
    """Neuralink-like 1024 ch: 10 b, 20 kS/s, 25 fJ/step -> ADC 0.512 µW/ch; clock 10 MHz x
    1 pJ = 10 µW; static 100 µW; density over 4 x 4 mm."""
    b = chip_power(1024, 20000.0, 10, 2.0, 3.0, 1e4, 25.0, 3.0, 1.0, 1e6, 50.0,
                   extra_ops_per_sample=2.0, static_uW=100.0, clock_hz=1e7,
                   clock_energy_pJ_per_cycle=1.0)
    assert b.adc_uW / 1024 == pytest.approx(0.512, rel=1e-12)
    assert b.digital_uW == pytest.approx(1024 * 5 * 2e4 * 1e-12 * 1e6, rel=1e-12)
    assert b.clock_uW == pytest.approx(10.0) == clock_power_uW(1e7, 1.0)
    assert b.static_uW == 100.0
    parts = b.amplifier_uW + b.adc_uW + b.digital_uW + b.radio_uW + 100.0 + 10.0
    assert b.total_uW == pytest.approx(parts, rel=1e-12)
    assert b.density_mW_per_cm2(16.0) == pytest.approx(b.total_mW / 0.16, rel=1e-12)
    assert b.as_dict()["static_uW"] == 100.0


@pytest.mark.parametrize("call, exc, match", [
    (lambda: sphere_temperature_rise_K(-1.0, 1.0), ValueError, r"power_mW must be in \[0, inf\] mW"),
    (lambda: sphere_temperature_rise_K(1.0, 0.0), ValueError, r"radius_mm must be in \(0, 1000\] mm"),
    (lambda: disc_temperature_rise_K(1.0, 1.0, k_W_per_m_K=0.0), ValueError,
     r"k_W_per_m_K must be in \(0, 100\]"),
    (lambda: perfusion_length_mm(perfusion_W_per_m3_K=0.0), ValueError,
     r"perfusion_W_per_m3_K must be in \(0, 1e\+07\]"),
    (lambda: implant_temperature_rise_K(1.0, geometry="cube"), ValueError,
     r"geometry must be one of"),
    (lambda: implant_temperature_rise_K(1.0, (0.0, 4.0)), ValueError,
     r"footprint_mm\[0\] must be in \(0, 1000\] mm"),
    (lambda: thermal_check(1.0, limit_K=0.0), ValueError, r"limit_K must be in \(0, 100\] K"),
    (lambda: thermal_check(1.0, chip_area_mm2=0.0), ValueError, r"chip_area_mm2 must be in \(0"),
    (lambda: power_density_mW_per_cm2(1.0, 0.0), ValueError, r"area_mm2 must be in \(0, inf\]"),
    (lambda: clock_power_uW(-1.0, 1.0), ValueError, r"clock_hz must be in \[0, inf\] Hz"),
    (lambda: chip_power(4, 2e4, 10, 2.0, 3.0, 1e4, 25.0, 3.0, 1.0, 0.0, 50.0, static_uW=-1.0),
     ValueError, r"static_uW must be in \[0, inf\]"),
])
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
