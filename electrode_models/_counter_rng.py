"""The one counter-based random number generator of the numerical packages (Numba, inputs trusted).

Every random stream of a run (electrode noise, biological background, drift, amplifier noise,
telemetry packet loss, Poisson spike trains) is a pure function of (key, counter) through the
SplitMix64 finaliser (Steele, Lea & Flood 2014), so any block can be drawn in any order, by any
number of threads or workers, and chunked output is bitwise the one-shot output. ``chip_models``
imports this module and nothing else of ``electrode_models`` (tests/test_architecture.py).

Streams
-------
- ``counter_hash(key, k) = splitmix64(key + k * GAMMA)``: the k-th 64-bit word of stream ``key``
  (electrode noise, drift, background, amplifier noise, Poisson spikes).
- ``xor_hash(key, k) = splitmix64(key ^ (k * GAMMA))``: the telemetry's packet-loss stream
  (kept as it was: changing it would change every packet-loss pattern).
- ``channel_keys(seed, n)[c] = splitmix64(splitmix64(c) ^ seed)``; ``stream_key(key, s) =
  key ^ (s * STREAM)`` separates the streams of one channel (amplifier poles).
- ``uniform53(h)`` in [0, 1) and ``uniform53_open(h)`` in (0, 1): the top 53 bits of ``h``;
  ``uniform_at(key, k) = uniform53_open(counter_hash(key, k))`` (Poisson spike trains).
- ``hash_row(keys, k, hi, lo)`` / ``normal_rows(hi, lo, z0, z1)``: ``counter_hash`` and
  ``normal_pair_u32`` over a row of keys, as two loops LLVM vectorises (64-bit, then 8 float32 lanes).

Fast normal transform (``normal_pair_f32``)
-------------------------------------------
One 64-bit word gives two standard normals by Box-Muller, written so that LLVM vectorises it
without a vector maths library (Numba here has no SVML): float32 arithmetic only, a
branch-free logarithm (Cephes ``logf`` polynomial on the mantissa, exponent from the bits) and
sine/cosine polynomials on [0, pi/4] (Cephes ``sinf``/``cosf``). The angle is drawn as
``theta = q pi/2 +/- phi`` from bits: bit 31 and bit 30 of the low word are the signs of the two
outputs, bit 29 swaps (cos, sin) -> (sin, cos), bits 0-28 give ``phi`` uniform on [0, pi/4);
the reflections map [0, pi/4) onto the four quadrants exactly, so ``theta`` is uniform on
[0, 2 pi) to 29 bits. The radius is ``sqrt(-2 ln u)`` with ``u = (hi + 1/2) 2^-32``, ``hi`` the
high 32 bits; above ``u = sqrt(1/2)`` the logarithm takes ``u - 1`` from the complement of
``hi`` so the radius keeps its relative accuracy down to 0.

Statistical price, against exact (float64) Box-Muller of the same 64 bits (checked once
exhaustively, and by sampling in tests/electrode_models/test_counter_rng.py):
- radius: relative error <= 1.5e-7 over all 2^32 values of ``hi``; cos/sin: absolute error
  <= 1.7e-7 over all 2^29 angles; so each output is within 3.5e-7 r <= 2.4e-6 of the exact
  value (float32 rounding level): invisible to any moment, KS or tail test;
- ``|z| <= r <= sqrt(2 ln 2^33) = 6.7637`` (``u >= 2^-33``): the pair misses the radial tail
  ``r > 6.7637`` of mass 2^-33 = 1.2e-10 (the total-variation distance of the pair from exact
  Box-Muller, apart from quantisation); a true normal exceeds 6.7637 with probability
  1.35e-11 per sample (one sample in ~40 min of a 1 024-channel, 30 kHz recording). The
  previous float64 transform with 32-bit uniforms had the same bound;
- the radius is quantised to 32 bits and the angle to 29 bits (each pair lies on a grid of
  2^61 points).
Arithmetic is IEEE float32 without fast-math (no FMA contraction), so a value is the same
whether its lane was vectorised or not, for any thread count, on any CPU.

References
----------
Steele G. L., Lea D., Flood C. H. (2014) Fast splittable pseudorandom number generators.
OOPSLA '14. Box G. E. P., Muller M. E. (1958) Ann. Math. Stat. 29, 610.
Moshier S. L. (1989) Methods and Programs for Mathematical Functions (Cephes).
"""

from __future__ import annotations

import numpy as np
from numba import njit

GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
STREAM = np.uint64(0xD1B54A32D192ED03)
_S11 = np.uint64(11)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_INV53 = 1.0 / 9007199254740992.0

_U32 = np.uint32
_I32 = np.int32
_F32 = np.float32
# logf (Cephes): ln x = e ln2 + f - f^2/2 + f^3 P(f), f = m - 1, m in [sqrt(1/2), sqrt(2))
_SQRTH_BITS = np.int32(0x3F3504F3)
_MANT = np.int32(0x007FFFFF)
_LN2_HI = _F32(0.693359375)
_LN2_LO = _F32(-2.12194440e-4)
_L0, _L1, _L2 = _F32(7.0376836292e-2), _F32(-1.1514610310e-1), _F32(1.1676998740e-1)
_L3, _L4, _L5 = _F32(-1.2420140846e-1), _F32(1.4249322787e-1), _F32(-1.6668057665e-1)
_L6, _L7, _L8 = _F32(2.0000714765e-1), _F32(-2.4999993993e-1), _F32(3.3333331174e-1)
_HALF = _F32(0.5)
_ONE = _F32(1.0)
_MINUS2 = _F32(-2.0)
# sinf / cosf (Cephes) on [0, pi/4]
_S1, _S2, _S3 = _F32(-1.6666654611e-1), _F32(8.3321608736e-3), _F32(-1.9515295891e-4)
_C1, _C2, _C3 = _F32(4.166664568298827e-2), _F32(-1.388731625493765e-3), _F32(2.443315711809948e-5)
_TWO_M32 = _F32(2.0 ** -32)
_PHI_SCALE = _F32(np.pi / 4 * 2.0 ** -29)
_PHI_MASK = _U32(0x1FFFFFFF)
_SIGN = _U32(0x80000000)
_SWAP = _U32(0x20000000)
_LOW32 = np.uint64(0xFFFFFFFF)
_ALL32 = _U32(0xFFFFFFFF)
_HI_SQRTH = _U32(0xB504F334)   # ceil(2^32 sqrt(1/2))
_ZERO = _F32(0.0)


@njit(cache=True, inline="always")
def splitmix64(x):  # pragma: no cover - numba
    """SplitMix64 finaliser of ``x + GAMMA`` (uint64 in, uint64 out; Steele et al. 2014)."""
    z = x + GAMMA
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def counter_hash(key, k):  # pragma: no cover - numba
    """The k-th 64-bit word of the stream ``key``: ``splitmix64(key + k * GAMMA)``."""
    return splitmix64(key + np.uint64(k) * GAMMA)


@njit(cache=True, inline="always")
def xor_hash(key, k):  # pragma: no cover - numba
    """``splitmix64(key ^ (k * GAMMA))`` (the telemetry's packet-loss stream)."""
    return splitmix64(key ^ (np.uint64(k) * GAMMA))


@njit(cache=True, inline="always")
def stream_key(key, stream):  # pragma: no cover - numba
    """Key of sub-stream ``stream`` of ``key``: ``key ^ (stream * STREAM)``."""
    return key ^ (np.uint64(stream) * STREAM)


@njit(cache=True)
def channel_keys(seed, n_channels):  # pragma: no cover - numba
    """Per-channel 64-bit keys ``splitmix64(splitmix64(c) ^ seed)`` (uint64 array)."""
    keys = np.empty(n_channels, np.uint64)
    for c in range(n_channels):
        keys[c] = splitmix64(splitmix64(np.uint64(c)) ^ np.uint64(seed))
    return keys


@njit(cache=True, inline="always")
def uniform53(h):  # pragma: no cover - numba
    """Uniform in [0, 1) from the top 53 bits of ``h`` (float64)."""
    return float(h >> _S11) * _INV53


@njit(cache=True, inline="always")
def uniform53_open(h):  # pragma: no cover - numba
    """Uniform in (0, 1) from the top 53 bits of ``h`` (float64, centred on the 2^-53 grid)."""
    return (float(h >> _S11) + 0.5) * _INV53


@njit(cache=True, inline="always")
def uniform_at(key, k):  # pragma: no cover - numba
    """The k-th uniform in (0, 1) of the stream ``key``: ``uniform53_open(counter_hash(key, k))``."""
    return uniform53_open(counter_hash(key, k))


@njit(cache=True, inline="always")
def log_u32(hi):  # pragma: no cover - numba
    """``ln((hi + 1/2) 2^-32)`` for a uint32 ``hi`` in float32, branch-free, to a few ulp.

    Cephes ``logf``: ``ln x = e ln 2 + f - f^2/2 + f^3 P(f)``, ``f = m - 1``, ``m`` the mantissa
    scaled into [sqrt(1/2), sqrt(2)). Above ``u = sqrt(1/2)`` ``f = u - 1`` is taken from the
    complement ``2^32 - 1 - hi`` instead, exact where ``u`` itself would round (near 1), so the
    Box-Muller radius ``sqrt(-2 ln u)`` keeps its relative accuracy down to 0.
    """
    # Numba widens 32-bit integer arithmetic to 64 bits: each step is cast back to 32 bits.
    u = (_F32(hi) + _HALF) * _TWO_M32
    i = _I32(np.float32(u).view(np.int32) - _SQRTH_BITS)
    top = hi >= _HI_SQRTH
    e = _ZERO if top else _F32(_I32(i >> _I32(23)))
    m = np.int32(_I32(i & _MANT) + _SQRTH_BITS).view(np.float32)   # in [sqrt(1/2), sqrt(2))
    f = -((_F32(_U32(_ALL32 - hi)) + _HALF) * _TWO_M32) if top else m - _ONE
    z = f * f
    p = _L0 * f + _L1
    p = p * f + _L2
    p = p * f + _L3
    p = p * f + _L4
    p = p * f + _L5
    p = p * f + _L6
    p = p * f + _L7
    p = p * f + _L8
    y = f * z * p + e * _LN2_LO - _HALF * z
    return f + y + e * _LN2_HI


@njit(cache=True, inline="always")
def normal_pair_u32(hi, lo):  # pragma: no cover - numba
    """Two independent standard normals (float32) from two uint32 words (module docstring)."""
    r = np.sqrt(_MINUS2 * log_u32(hi))
    phi = (_F32(_U32(lo & _PHI_MASK)) + _HALF) * _PHI_SCALE
    x = phi * phi
    s = phi + phi * x * ((_S3 * x + _S2) * x + _S1)
    c = _ONE - _HALF * x + x * x * ((_C3 * x + _C2) * x + _C1)
    swap = _U32(lo & _SWAP) != _U32(0)
    a = s if swap else c
    b = c if swap else s
    z0 = np.uint32(np.float32(r * a).view(np.uint32) ^ _U32(lo & _SIGN)).view(np.float32)
    z1 = np.uint32(np.float32(r * b).view(np.uint32) ^ _U32(_U32(lo << _U32(1)) & _SIGN)).view(np.float32)
    return z0, z1


@njit(cache=True, inline="always")
def normal_pair_f32(h):  # pragma: no cover - numba
    """Two independent standard normals (float32) from one 64-bit word: high word radius,
    low word angle and signs (module docstring)."""
    return normal_pair_u32(_U32(h >> _S32), _U32(h & _LOW32))


@njit(cache=True, error_model="numpy")
def hash_row(keys, k, hi, lo):  # pragma: no cover - numba
    """``h = counter_hash(keys[c], k)`` for every c, split into ``hi[c] = h >> 32`` and
    ``lo[c] = h mod 2^32`` (uint32 rows; a loop LLVM vectorises with 64-bit lanes)."""
    ctr = np.uint64(k) * GAMMA
    for c in range(keys.shape[0]):
        h = splitmix64(keys[c] + ctr)
        hi[c] = _U32(h >> _S32)
        lo[c] = _U32(h & _LOW32)


@njit(cache=True, error_model="numpy")
def normal_rows(hi, lo, z0, z1):  # pragma: no cover - numba
    """``z0[c], z1[c] = normal_pair_u32(hi[c], lo[c])`` (float32 rows; 8 float32 lanes)."""
    for c in range(hi.shape[0]):
        a, b = normal_pair_u32(hi[c], lo[c])
        z0[c] = a
        z1[c] = b
