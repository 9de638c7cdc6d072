"""Input-referred amplifier noise: white plus 1/f below a corner frequency, counter-based."""

from __future__ import annotations

import math

import numpy as np

from . import _noise_kernels
from ._telemetry_kernels import splitmix64
from ._validation import check_array, check_int, check_range

__all__ = ["AmplifierNoise"]


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
    level, and the cost falls from one draw per pole per sample to about ``1 + 128 f_max / fs``
    draws). Draws are counter-based, keyed by (seed, channel, pole, update index): chunked output
    is bitwise the one-shot output, and the states start from their stationary law.

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
        self._keys = np.array([splitmix64(splitmix64(np.uint64(c)) ^ np.uint64(self.seed))
                               for c in range(self.num_channels)], dtype=np.uint64)
        self.reset()

    def reset(self) -> None:
        """Restart the stream at sample 0 (the states are redrawn there)."""
        self._state = np.zeros((self.a.size, self.num_channels))
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
        _noise_kernels.add_amplifier_noise(x, self._samples_seen, self._keys,
                                           self.white_sigma_uV, self.a, self.b,
                                           self.hold_samples, self._state)
        self._samples_seen += x.shape[0]
        return x

    def generate(self, num_samples: int) -> np.ndarray:
        """The next ``num_samples`` noise samples in µV, shape (num_samples, num_channels)."""
        n = check_int("num_samples", num_samples, 0, None)
        return self.add_to(np.zeros((n, self.num_channels)))
