"""Chronic change against the published calibration points."""

import numpy as np
import pytest

from electrode_models.chronic import (ChronicParams, cell_survival_mask, channel_yield,
                                      chronic_state, impedance_factor, kill_zone_radius_um,
                                      signal_attenuation)


def test_impedance_rises_in_week_one_then_falls():
    # Utah Pt: 450 kΩ before implant, ~1.4 MΩ at day 7 (Hughes et al. 2021)
    assert impedance_factor(0.0) == pytest.approx(1.0)
    assert impedance_factor(7.0) == pytest.approx(1.4e6 / 450e3, rel=0.02)
    days = np.arange(0, 200)
    f = np.array([impedance_factor(d) for d in days])
    assert np.argmax(f) in range(6, 9)
    assert 1.0 < f[-1] < 0.6 * f[7]  # partial fall


def test_yield_two_percent_per_30_days():
    assert channel_yield(30.0) == pytest.approx(0.98)
    st = chronic_state(300.0, 20000, seed=1)
    assert 1 - st.alive.mean() == pytest.approx(1 - 0.98 ** 10, abs=0.01)
    # dead channels stay dead
    early = chronic_state(60.0, 20000, seed=1).alive
    assert np.all(st.alive <= early)


def test_state_shapes_and_attenuation():
    st = chronic_state(7.0, 96, seed=3)
    assert st.impedance_factor.shape == st.attenuation.shape == st.alive.shape == (96,)
    assert np.exp(np.mean(np.log(st.impedance_factor))) == pytest.approx(impedance_factor(7.0), rel=0.1)
    # the |Z| factor is the encapsulation rise times the site's own spread (mean 1)
    assert st.encapsulation_rise == impedance_factor(7.0)
    np.testing.assert_allclose(st.impedance_factor, st.encapsulation_rise * st.impedance_spread)
    many = chronic_state(7.0, 20000, seed=3).impedance_spread
    assert many.mean() == pytest.approx(1.0, abs=0.01)           # log-normal with mean 1
    assert np.std(np.log(many)) == pytest.approx(ChronicParams().impedance_sd_log, rel=0.05)
    assert signal_attenuation(0.0) == 1.0
    assert signal_attenuation(1e4) == pytest.approx(ChronicParams().attenuation_final)


def test_kill_zone():
    assert kill_zone_radius_um(0.0) == 0.0
    r = kill_zone_radius_um(28.0)
    assert r == pytest.approx(100.0 * (1 - np.exp(-2.0)))   # Biran et al. 2005: 100 µm zone
    full = ChronicParams(kill_loss_fraction=1.0)
    alive = cell_survival_mask(np.array([0.0, r - 1, r + 1, 500.0]), 28.0, seed=0, params=full)
    np.testing.assert_array_equal(alive, [False, False, True, True])
    # default: ~40 % fewer neurons inside the zone (Biran et al. 2005), none lost outside
    partial = cell_survival_mask(np.zeros(10000), 1e3, seed=0)
    assert partial.mean() == pytest.approx(0.6, abs=0.02)
    assert cell_survival_mask(np.full(1000, 150.0), 1e3, seed=0).all()


@pytest.mark.parametrize("call, match", [
    (lambda: impedance_factor(-1.0), r"days_since_implant must be in \[0, 36500\] days"),
    (lambda: chronic_state(1.0, -1, 0), r"num_channels must be in \[0, inf\]"),
    (lambda: chronic_state(1.0, 4, -1), r"seed must be an integer"),
    (lambda: cell_survival_mask(np.array([-1.0]), 1.0, 0), r"distance_to_probe_um must be finite and >= 0"),
    (lambda: cell_survival_mask(np.zeros((2, 2)), 1.0, 0), r"distance_to_probe_um must have 1 dimension"),
])
def test_chronic_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
