"""Input-referred amplifier noise: white plus 1/f below a corner frequency, counter-based."""

from __future__ import annotations

import math

import numba
import numpy as np
from scipy import linalg

# The one counter-based generator of the numerical packages (the only electrode_models module
# chip_models may import: tests/test_architecture.py).
from electrode_models._counter_rng import channel_keys

from . import _noise_kernels
from ._validation import check_array, check_int, check_range

__all__ = ["AmplifierNoise"]


def _every_sample_arma(white_sigma: float, a: np.ndarray, b: np.ndarray):
    """ARMA(k, k) ``y = (N(L) / D(L)) e``, ``e`` unit white, with the autocovariance of
    ``white_sigma w + Σ_i b_i z_i / (1 - a_i L)`` (independent unit white ``w, z_i``; L the lag).

    ``D = Π (1 - a_i L)``; ``D(L) x`` is the MA(k) process ``white_sigma D(L) w + Σ_i b_i
    Π_{j≠i} (1 - a_j L) z_i`` of autocovariance ``γ_m``; ``N`` is its minimum-phase spectral
    factor (the roots of ``z^k Γ(z)`` outside the unit circle; ``Γ > 0`` on the circle since
    ``white_sigma > 0``), scaled so that ``Σ N_t² = γ_0``. Returns ``(N, D, M)``, ``M M^T`` the
    stationary covariance of the transposed-direct-form-II state (discrete Lyapunov equation).
    """
    k = a.size
    d = np.poly(a) if k else np.ones(1)           # coefficients of L^0 .. L^k
    if k == 0 or white_sigma == 0.0:
        return np.array([white_sigma]), np.ones(1), np.zeros((0, 0))
    gam = white_sigma ** 2 * np.correlate(d, d, "full")[k:]
    for i in range(k):
        r = np.poly(np.delete(a, i))
        gam[:k] += b[i] ** 2 * np.correlate(r, r, "full")[k - 1:]
    roots = np.roots(np.concatenate([gam[::-1], gam[1:]]))
    outside = roots[np.abs(roots) > 1.0]
    if outside.size != k:
        raise ValueError(f"the every-sample poles {a} could not be factorised (roots {roots})")
    c = np.real(np.poly(1.0 / outside))           # Π (1 - L / ρ_j), L^0 .. L^k
    num = c * math.sqrt(gam[0] / np.dot(c, c))
    if not np.allclose(np.correlate(num, num, "full")[k:], gam, rtol=1e-8, atol=1e-12 * gam[0]):
        raise ValueError(f"spectral factorisation of the every-sample poles {a} failed")
    A = np.zeros((k, k))
    A[:, 0] = -d[1:]
    A[np.arange(k - 1), np.arange(1, k)] = 1.0
    B = num[1:] - d[1:] * num[0]
    P = linalg.solve_discrete_lyapunov(A, np.outer(B, B))
    ev, V = np.linalg.eigh(0.5 * (P + P.T))
    return num, d, np.ascontiguousarray(V * np.sqrt(np.clip(ev, 0.0, None)))


class AmplifierNoise:
    r"""Input-referred amplifier noise with a white floor and a 1/f (flicker) part.

    One-sided power spectral density, in µV²/Hz:

    .. math:: S(f) = S_w \left(1 + \frac{f_c}{f}\right), \qquad S_w = e_n^2

    with ``e_n`` the white density in µV/√Hz and ``f_c`` the 1/f corner. The 1/f part is a sum
    of first-order (Lorentzian) processes with poles ``f_i`` spaced by ``r = 2`` (one per octave)
    from ``min_hz`` to ``max_hz`` and weights ``A_i = c / f_i``; since
    ``Σ A_i / (1 + (f/f_i)²) ≈ c π / (2 f ln r)`` between the extreme poles (Kasdin 1995),
    ``c = 2 S_w f_c ln r / π``. Each Lorentzian is an Ornstein-Uhlenbeck process of variance
    ``σ_i² = π f_i A_i / 2`` and correlation time ``1 / (2π f_i)``, sampled exactly as the AR(1)
    ``s[m] = a s[m-1] + b z[m]`` with ``a = exp(-2π f_i h_i / fs)``, ``b = σ_i sqrt(1 - a²)``
    every ``h_i`` samples and held in between (Voss-style multi-rate update, ``h_i`` the largest
    power of two with ``h_i <= fs / (64 f_i)``: the held images alias < ~1 % of the local 1/f
    level). The white floor and the poles with ``h_i = 1`` (``f_i > fs / 64``) are generated
    together as one ARMA(k, k) process driven by a single normal per sample, whose
    autocovariance is exactly that of their sum (spectral factorisation of the MA part; the
    sum of independent Gaussian AR(1) processes and white noise is Gaussian, so the law is the
    same): the cost is about 1 + ``Σ_{h_i > 1} 1 / h_i`` (< 2) normals per sample and channel
    instead of one per pole. Draws are counter-based, keyed by (seed, channel, stream, index)
    through the shared generator (`electrode_models._counter_rng`, float32 Box-Muller whose
    price is stated there): chunked output is bitwise the one-shot output for any thread
    count, and the states start from their stationary law.

    Parameters
    ----------
    num_channels : int
    fs_hz : float
        Sampling rate in Hz, in (0, 1e6].
    density_uV_per_sqrt_hz : float
        White input-referred noise density in µV/√Hz, in [0, 1e3] (e.g. 3 µV rms over 10 kHz is
        0.03 µV/√Hz).
    corner_hz : float, default 0.0
        1/f corner in Hz, in [0, fs/2); 0 disables the 1/f part.
    min_hz : float, default 0.1
        Lowest pole of the 1/f bank in Hz (below it the spectrum flattens), in (0, corner_hz).
    max_hz : float, optional
        Highest pole; default ``min(fs / 4, 20 corner_hz)`` (above ``20 f_c`` the 1/f part is
        < 5 % of the white floor).
    seed : int, default 0
        In [0, 2^63).

    Assumptions
    -----------
    - Noise is independent between channels and stationary; the 1/f law holds between
      ``min_hz`` and ``max_hz`` (within the ~1 % ripple of an octave-spaced bank).

    References
    ----------
    Kasdin (1995), Proc. IEEE 83(5):802-827 (discrete simulation of 1/f^alpha noise);
    Harrison & Charles (2003), IEEE JSSC 38(6) (amplifier 1/f corner).
    """

    RATIO = 2.0

    def __init__(self, num_channels: int, fs_hz: float, density_uV_per_sqrt_hz: float,
                 corner_hz: float = 0.0, min_hz: float = 0.1, max_hz: float | None = None,
                 seed: int = 0):
        self.num_channels = check_int("num_channels", num_channels, 1, None)
        self.fs_hz = check_range("fs_hz", fs_hz, 0.0, 1e6, "Hz", low_inclusive=False)
        self.density_uV_per_sqrt_hz = check_range("density_uV_per_sqrt_hz",
                                                  density_uV_per_sqrt_hz, 0.0, 1e3, "µV/√Hz")
        self.corner_hz = check_range("corner_hz", corner_hz, 0.0, self.fs_hz / 2.0, "Hz",
                                     high_inclusive=False)
        self.seed = check_int("seed", seed, 0, 2 ** 63 - 1)
        s_w = self.density_uV_per_sqrt_hz ** 2
        if self.corner_hz > 0.0:
            self.min_hz = check_range("min_hz", min_hz, 0.0, self.corner_hz, "Hz",
                                      low_inclusive=False, high_inclusive=False)
            top = min(self.fs_hz / 4.0, 20.0 * self.corner_hz) if max_hz is None else max_hz
            self.max_hz = check_range("max_hz", top, self.corner_hz, self.fs_hz / 2.0, "Hz",
                                      high_inclusive=False)
            num = int(math.floor(math.log(self.max_hz / self.min_hz, self.RATIO))) + 1
            poles = self.min_hz * self.RATIO ** np.arange(num)
            c = 2.0 * s_w * self.corner_hz * math.log(self.RATIO) / math.pi
            ratio = self.fs_hz / (64.0 * poles)
            self.hold_samples = np.where(
                ratio >= 1.0, 2 ** np.floor(np.log2(np.maximum(ratio, 1.0))), 1.0).astype(np.int64)
            self.a = np.exp(-2.0 * math.pi * poles * self.hold_samples / self.fs_hz)
            sigma = np.sqrt(math.pi * poles * (c / poles) / 2.0)
            self.b = sigma * np.sqrt(1.0 - self.a ** 2)
            self.poles_hz = poles
        else:
            self.min_hz = self.max_hz = None
            self.a = self.b = self.poles_hz = np.zeros(0)
            self.hold_samples = np.zeros(0, dtype=np.int64)
        self.white_sigma_uV = self.density_uV_per_sqrt_hz * math.sqrt(self.fs_hz / 2.0)
        fast = self.hold_samples == 1
        self._held = (np.ascontiguousarray(self.a[~fast]), np.ascontiguousarray(self.b[~fast]),
                      np.ascontiguousarray(self.hold_samples[~fast]))
        self.arma_num, self.arma_den, self._arma_init = _every_sample_arma(
            self.white_sigma_uV, self.a[fast], self.b[fast])
        self._keys = channel_keys(np.uint64(self.seed), self.num_channels)
        self.reset()

    def reset(self) -> None:
        """Restart the stream at sample 0 (the states are redrawn there)."""
        self._state = np.zeros((self._held[0].size + self.arma_num.size - 1, self.num_channels))
        self._samples_seen = 0

    def psd_uV2_per_hz(self, f_hz) -> np.ndarray:
        """Target one-sided PSD ``S_w (1 + f_c / f)`` in µV²/Hz."""
        f = check_array("f_hz", f_hz, dtype=float)
        return self.density_uV_per_sqrt_hz ** 2 * (1.0 + self.corner_hz / f)

    def add_to(self, x_uV: np.ndarray) -> np.ndarray:
        """Add the next ``len(x_uV)`` samples of noise to ``x_uV`` (float64, in place) and
        return it. Shape (num_samples, num_channels)."""
        x = check_array("x_uV", x_uV, ndim=2, shape=(None, self.num_channels))
        if x.dtype != np.float64 or not x.flags.c_contiguous:
            raise TypeError("x_uV must be a C-contiguous float64 array (added to in place)")
        block = max(16, -(-self.num_channels // numba.get_num_threads()))  # one block per thread
        _noise_kernels.add_amplifier_noise(x, self._samples_seen, self._keys, *self._held,
                                           self.arma_num, self.arma_den, self._arma_init,
                                           self._state, block)
        self._samples_seen += x.shape[0]
        return x

    def generate(self, num_samples: int) -> np.ndarray:
        """The next ``num_samples`` noise samples in µV, shape (num_samples, num_channels)."""
        n = check_int("num_samples", num_samples, 0, None)
        return self.add_to(np.zeros((n, self.num_channels)))
