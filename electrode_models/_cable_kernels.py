"""Numba kernel of the passive cable's modal solution (inputs trusted)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def modal_response(u, decay, w_now, w_next, b, sub, n_out):
    """First-order-hold exact integration of ``y_k' = -lambda_k y_k + b_k u(t)``, y(0) = 0.

    ``u`` (n_fine,) is the input on the fine grid (step h), linear between grid points;
    ``decay = exp(-lambda h)``, ``w_now``/``w_next`` the weights of u at the step's start/end
    (all (n_modes,)). Returns y at every ``sub``-th fine step, shape (n_modes, n_out).
    """
    n_modes = decay.shape[0]
    out = np.zeros((n_modes, n_out))
    n_fine = u.shape[0]
    for k in range(n_modes):
        y = 0.0
        a = decay[k]
        c0 = b[k] * w_now[k]
        c1 = b[k] * w_next[k]
        for step in range(1, n_fine):
            y = a * y + c0 * u[step - 1] + c1 * u[step]
            m, rem = divmod(step, sub)
            if rem == 0 and m < n_out:
                out[k, m] = y
    return out
