"""LFP proxy (Mazzoni et al. 2015) and dipole moments: closed forms on synthetic currents."""

import numpy as np
import pytest

from neurosim.populations.lfp import lfp_proxy


def test_weighted_sum_proxy_delays_ampa_by_6ms_and_weights_gaba():
    t = np.arange(100) * 1e-3
    exc = np.zeros((100, 1))
    exc[20] = 2.0  # AMPA pulse at 20 ms
    inh = np.zeros((100, 1))
    inh[50] = -1.0  # GABA pulse at 50 ms (negative current)
    out = lfp_proxy(t, exc, inh, np.array([10.0]), np.array([[0.0, 0.0, 1.0]]))
    proxy = out["proxy"][:, 0]
    assert proxy[26] == pytest.approx(2.0) and proxy[20] == 0.0  # 6 ms delay
    assert proxy[50] == pytest.approx(-1.65)                   # alpha = 1.65, no delay
    assert np.count_nonzero(proxy) == 2


def test_dipole_points_against_the_apical_axis_in_nA_um():
    t = np.arange(10) * 1e-3
    exc = np.full((10, 1), 4.0)  # R_m * I = 4 mV, R_m = 10 ms / 250 pF = 40 MOhm -> 0.1 nA
    inh = np.zeros((10, 1))
    out = lfp_proxy(t, exc, inh, np.array([10.0]), np.array([[0.0, 0.0, 1.0]]))
    assert out["dipole_nA_um"].shape == (10, 1, 3)
    assert out["dipole_nA_um"][0, 0] == pytest.approx([0.0, 0.0, -0.1 * 300.0])
