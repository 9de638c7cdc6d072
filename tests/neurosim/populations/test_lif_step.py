"""The LIF cell's exact one-step propagator against the matrix exponential of its linear system."""

import numpy as np
import pytest
from scipy.linalg import expm

from neurosim.populations._lif import exact_step_coefficients


def _propagator(tau_m, tau_s, tau_w, dt):
    """expm(A dt) for x = (v - v_inf, I_e, I_i, w): tau_m v' = -v + I_e + I_i - w, I' = -I/tau_s, w' = -w/tau_w."""
    a = np.array([[-1 / tau_m, 1 / tau_m, 1 / tau_m, -1 / tau_m],
                  [0, -1 / tau_s, 0, 0],
                  [0, 0, -1 / tau_s, 0],
                  [0, 0, 0, -1 / tau_w]])
    return expm(a * dt)


@pytest.mark.parametrize("tau_m,tau_s,tau_w,dt", [
    (20.0, 0.5, 100.0, 0.1),     # the default balanced network
    (10.0, 0.5, 100.0, 0.1),     # column populations
    (10.0, 10.0, 100.0, 0.1),    # tau_s = tau_m: the limit form
    (15.0, 2.0, 15.0, 0.05),     # tau_w = tau_m
    (5.0, 3.0, 50.0, 1.0),       # a coarse step
])
def test_step_equals_the_matrix_exponential(tau_m, tau_s, tau_w, dt):
    p = _propagator(tau_m, tau_s, tau_w, dt)
    e_m, c_s, e_s, c_w, e_w = exact_step_coefficients(np.array([tau_m]), tau_s, tau_w, dt)
    np.testing.assert_allclose([e_m[0], c_s[0], c_s[0], -c_w[0]], p[0], rtol=1e-9, atol=1e-15)
    assert e_s == pytest.approx(p[1, 1], rel=1e-12) and e_w == pytest.approx(p[3, 3], rel=1e-12)


def test_per_cell_time_constants_are_vectorised():
    tau = np.array([5.0, 10.0, 20.0])
    e_m, c_s, *_ = exact_step_coefficients(tau, 0.5, 100.0, 0.1)
    for k, t in enumerate(tau):
        p = _propagator(t, 0.5, 100.0, 0.1)
        assert e_m[k] == pytest.approx(p[0, 0], rel=1e-12) and c_s[k] == pytest.approx(p[0, 1], rel=1e-9)
