"""Pennes bioheat: closed forms vs a numerical radial solution and the Bessel integral; the 3-D
finite-volume solver vs both closed forms; the real-shape Utah implant vs Kim et al. 2007;
power density, clock/static power."""

import math

import numpy as np
import pytest
from scipy import integrate, special

from chip_models import (
    HEAT_GEOMETRIES,
    POWER_DENSITY_LIMIT_MW_PER_CM2,
    block_temperature_rise_K,
    chip_power,
    clock_power_uW,
    disc_temperature_rise_K,
    implant_temperature_rise_K,
    perfusion_length_mm,
    power_density_mW_per_cm2,
    sphere_temperature_rise_K,
    thermal_check,
)
from chip_models._heat_solver import axis_edges, block_rise_K_per_mW, solve_pennes

K = 0.57
WC = 45000.0


def test_perfusion_length():
    assert perfusion_length_mm() == pytest.approx(math.sqrt(0.57 / 45000.0) * 1e3, rel=1e-12)
    assert perfusion_length_mm() == pytest.approx(3.559, abs=1e-3)


def test_circumscribed_sphere_geometry():
    """The old envelope model: the sphere through the footprint's corners (2.83 mm for 4 x 4)."""
    slope = implant_temperature_rise_K(1.0, (4.0, 4.0), geometry="circumscribed_sphere")
    assert slope == pytest.approx(sphere_temperature_rise_K(1.0, math.hypot(4.0, 4.0) / 2))
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
    sphere = dict(geometry="circumscribed_sphere")     # 0.0275 K/mW, closed form
    ok = thermal_check(10.0, (4.0, 4.0), **sphere)
    assert ok["passes_1C"] and ok["passes_2C"]
    assert ok["power_density_mW_per_cm2"] == pytest.approx(10.0 / 0.16)
    assert not ok["passes_power_density"]            # 62.5 > 40 mW/cm²
    hot = thermal_check(50.0, (4.0, 4.0), **sphere)  # 50 mW x 0.0275 = 1.4 K
    assert not hot["passes_1C"] and hot["passes_2C"]
    assert not thermal_check(100.0, **sphere)["passes_2C"]
    assert power_density_mW_per_cm2(6.0, 16.0) == pytest.approx(37.5)
    assert POWER_DENSITY_LIMIT_MW_PER_CM2 == 40.0
    # the default is the real shape: slope x power, limit / slope
    real = thermal_check(10.0, (4.0, 4.0))
    slope = block_temperature_rise_K(1.0, (4.0, 4.0))
    assert HEAT_GEOMETRIES[0] == real["geometry"] == "silicon_block"
    assert real["temperature_rise_K"] == pytest.approx(10.0 * slope, rel=1e-12)
    assert real["max_power_mW_for_limit"] == pytest.approx(1.0 / slope, rel=1e-12)
    assert implant_temperature_rise_K(10.0, (4.0, 4.0)) == pytest.approx(10.0 * slope, rel=1e-12)


# -- 3-D finite-volume solve of the real shape -------------------------------------------------

def test_solver_against_sphere_closed_form():
    """A silicon sphere (a = 2 mm, 0.2 mm cells, octant with mirror faces) dissipating 1 mW in
    perfused grey matter: its temperature matches P / (4 pi k a) / (1 + a/L) within 2 % (the
    staircase sphere's volume-equivalent radius; measured +0.8 %)."""
    a = 2e-3
    e = axis_edges([0.0, 1.1 * a], 0.2e-3, 0.0, 30e-3, growth=1.5)
    c = 0.5 * (e[1:] + e[:-1])
    X, Y, Z = np.meshgrid(c, c, c, indexing="ij")
    inside = X ** 2 + Y ** 2 + Z ** 2 < a * a
    d = np.diff(e)
    vol = d[:, None, None] * d[None, :, None] * d[None, None, :]
    v_sphere = 8 * vol[inside].sum()
    theta = solve_pennes(e, e, e, np.where(inside, 148.0, K), np.where(inside, 0.0, WC),
                         np.where(inside, 1e-3 / v_sphere, 0.0),
                         dict(x0="symmetry", y0="symmetry", z0="symmetry", x1="zero", y1="zero",
                              z1="zero"))
    a_eq_mm = (3 * v_sphere / (4 * math.pi)) ** (1 / 3) * 1e3
    assert theta[inside].mean() == pytest.approx(sphere_temperature_rise_K(1.0, a_eq_mm), rel=0.02)


def test_solver_against_disc_closed_form():
    """Flux of 1 mW through a disc of 16 mm² into a perfused half-space, the rest of the surface
    insulated: the centre's surface temperature (top cell, 20 µm thick) matches
    P L (1 - e^(-a/L)) / (pi k a²) within 2 % (measured 0.03 %)."""
    a = math.sqrt(16 / math.pi) * 1e-3
    x = axis_edges([0.0, a], 0.15e-3, 0.0, 36e-3, growth=1.3)
    z = axis_edges([-40e-6, 0.0], 20e-6, -36e-3, 0.0, growth=1.3)
    xc, zc = 0.5 * (x[1:] + x[:-1]), 0.5 * (z[1:] + z[:-1])
    X, Y, Z = np.meshgrid(xc, xc, zc, indexing="ij")
    vol = np.diff(x)[:, None, None] * np.diff(x)[None, :, None] * np.diff(z)[None, None, :]
    src = (X ** 2 + Y ** 2 < a * a) & (Z > -20e-6)
    theta = solve_pennes(x, x, z, np.full(X.shape, K), np.full(X.shape, WC),
                         np.where(src, 1e-3 / (4 * vol[src].sum()), 0.0),
                         dict(x0="symmetry", y0="symmetry", x1="zero", y1="zero", z0="zero",
                              z1="insulated"))
    area = 4 * (vol[src] / np.diff(z)[-1]).sum()
    a_eq_mm = math.sqrt(area / math.pi) * 1e3
    assert theta[0, 0, -1] == pytest.approx(disc_temperature_rise_K(1.0, a_eq_mm), rel=0.02)


def test_kim_2007_integrated_utah_array():
    """Check, not calibration: Kim et al. (2007) report 0.029 °C/mW for the Utah 'integrated
    neural interface' implanted in the brain -- Harrison et al. (2007)'s 4.7 x 5.9 mm IC
    flip-chip bonded on a 10 x 10 Utah array (4 x 4 mm, 1.5 mm shanks). Modelled as that
    silicon (0.5 mm: array base + IC) over a 4 x 4 mm bed of 1.5 mm shanks, embedded in
    perfused grey matter, with no parameter fitted. Tolerance +-30 %: their paper's layer
    details (thicknesses, what lies over the array) are not available here, and within this
    model plausible choices move the slope by 10-20 % (IC thickness 0.3-0.8 mm: +5/-6 %;
    shanks 1.0 mm: +2 %; k 0.51: +8 %; perfusion +10 %: -3 %; CSF/bone over it: +22 %), plus
    2 % discretisation. Measured: 0.037 °C/mW (+28 %)."""
    slope = block_temperature_rise_K(1.0, (5.9, 4.7), thickness_mm=0.5, shank_length_mm=1.5,
                                     shank_footprint_mm=(4.0, 4.0))
    assert slope == pytest.approx(0.029, rel=0.30)


def test_block_physics_orderings_and_linearity():
    base = block_temperature_rise_K(1.0)
    assert block_temperature_rise_K(7.5) == pytest.approx(7.5 * base, rel=1e-12)
    assert block_temperature_rise_K(0.0) == 0.0
    # heat escapes upwards into perfused tissue > into CSF and bone > nowhere
    assert base < block_temperature_rise_K(1.0, above="csf_skull") \
        < block_temperature_rise_K(1.0, above="insulated")
    # all heat into the brain through the footprint: bounded by the isoflux disc of equal area
    # (an isothermal face runs cooler than an isoflux one of the same power)
    flat = block_temperature_rise_K(1.0, shank_length_mm=0.0, above="insulated")
    assert flat < disc_temperature_rise_K(1.0, math.sqrt(16 / math.pi))
    # shanks conduct heat into the cortex; a bigger footprint spreads it
    assert block_temperature_rise_K(1.0, shank_length_mm=0.0) > base \
        > block_temperature_rise_K(1.0, shank_fill=0.05)
    assert block_temperature_rise_K(1.0, (6.0, 6.0)) < base
    # Rayleigh monotonicity (more conductor, more conductance): an isothermal sphere around
    # block and shanks (radius sqrt(2² + 2² + 0.75²) mm about the middle) runs cooler, one
    # inside the silicon (radius 0.25 mm) hotter
    assert sphere_temperature_rise_K(1.0, math.sqrt(8.0 + 0.75 ** 2)) < base \
        < sphere_temperature_rise_K(1.0, 0.25)


def test_block_grid_convergence():
    """Default grid (10 cells per half width, growth 1.4) within 3 % of a finer one (16, 1.25)."""
    args = (4.0, 4.0, 0.5, 1.0, 0.0105, 4.0, 4.0, 148.0, K, WC, "tissue")
    coarse = block_rise_K_per_mW(*args)
    fine = block_rise_K_per_mW(*args, cells_per_half_width=16, growth=1.25)
    assert coarse == pytest.approx(fine, rel=0.03)


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
    (lambda: block_temperature_rise_K(1.0, (2000.0, 4.0)), ValueError,
     r"footprint_mm\[0\] must be in \(0, 1000\] mm, got 2000.0"),
    (lambda: block_temperature_rise_K(1.0, thickness_mm=0.0), ValueError,
     r"thickness_mm must be in \(0, 20\] mm"),
    (lambda: block_temperature_rise_K(1.0, shank_length_mm=-1.0), ValueError,
     r"shank_length_mm must be in \[0, 20\] mm"),
    (lambda: block_temperature_rise_K(1.0, shank_fill=0.6), ValueError,
     r"shank_fill must be in \[0, 0.5\], got 0.6"),
    (lambda: block_temperature_rise_K(1.0, shank_footprint_mm=(5.0, 4.0)), ValueError,
     r"shank_footprint_mm\[0\] must be in \(0, 4\] mm"),
    (lambda: block_temperature_rise_K(1.0, above="air"), ValueError, r"above must be one of"),
    (lambda: block_temperature_rise_K(1.0, above="csf_skull", skull_mm=0.0), ValueError,
     r"skull_mm must be in \(0, 50\] mm"),
    (lambda: block_temperature_rise_K(-1.0), ValueError, r"power_mW must be in \[0, inf\] mW"),
    (lambda: clock_power_uW(-1.0, 1.0), ValueError, r"clock_hz must be in \[0, inf\] Hz"),
    (lambda: chip_power(4, 2e4, 10, 2.0, 3.0, 1e4, 25.0, 3.0, 1.0, 0.0, 50.0, static_uW=-1.0),
     ValueError, r"static_uW must be in \[0, inf\]"),
])
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_heat_results_cached_across_processes_are_the_solver_s(tmp_path, monkeypatch):
    # a result read back from the cache folder is the solve's own value; without the folder the
    # solver runs; an unreadable file is solved again and rewritten
    import chip_models._heat_solver as hs

    args = (2.0, 2.0, 0.5, 1.0, 0.05, 2.0, 2.0, 150.0, 0.5, 4e4, "tissue")
    solved = hs._solve_block_rise(*args, (), 6, 1.5)
    hs.set_result_cache_dir(tmp_path)
    try:
        hs.block_rise_K_per_mW.cache_clear()
        assert hs.block_rise_K_per_mW(*args, cells_per_half_width=6, growth=1.5) == solved
        files = list(tmp_path.glob("heat-*.json"))
        assert len(files) == 1
        hs.block_rise_K_per_mW.cache_clear()          # a new process: only the file remains

        def no_solve(*a):
            raise AssertionError("solved although cached")
        monkeypatch.setattr(hs, "_solve_block_rise", no_solve)
        assert hs.block_rise_K_per_mW(*args, cells_per_half_width=6, growth=1.5) == solved
        files[0].write_text("not json")
        hs.block_rise_K_per_mW.cache_clear()
        monkeypatch.undo()
        assert hs.block_rise_K_per_mW(*args, cells_per_half_width=6, growth=1.5) == solved
        assert '"rise_K_per_mW"' in files[0].read_text()
    finally:
        hs.set_result_cache_dir(None)
        hs.block_rise_K_per_mW.cache_clear()
