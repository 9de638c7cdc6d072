"""Electrode noise: counter-based Gaussian noise and thermal (Johnson-Nyquist) noise level.

Gaussian noise is drawn from a counter-based generator: the value at (global sample n,
channel c) is a pure function of (seed, n, c): the SplitMix64 hash of a per-channel key and the
pair index n // 2 gives 64 bits, turned into the two normals of samples 2k, 2k + 1 by a
vectorised float32 Box-Muller (`electrode_models._counter_rng.normal_pair_f32`). Output is
therefore identical for any chunk size and any number of threads or workers.

Thermal noise of the electrode: ``v_rms = sqrt(4 k_B T Re(Z) df)`` (Johnson 1928, Nyquist 1928).

Assumptions
-----------
- White, stationary, independent between channels (no spatial correlation yet).
- Statistical price of the fast transform (`electrode_models._counter_rng`, tested in
  tests/electrode_models/test_counter_rng.py): each value is within 2.4e-6 sigma (float32
  rounding level) of exact float64 Box-Muller of the same bits; the radius uses 32 bits and
  the angle 29 bits; |z| <= 6.7637 (a true Gaussian exceeds it with probability 1.35e-11 per
  sample). Noise values differ from versions before the fast transform (same hash words, new
  transform).
- Thermal noise: Re(Z) constant over the band (take Re Z at the band's centre).

References
----------
Steele G. L., Lea D., Flood C. H. (2014) Fast splittable pseudorandom number generators.
OOPSLA '14.
Salmon J. K. et al. (2011) Parallel random numbers: as easy as 1, 2, 3. SC '11.
Box G. E. P., Muller M. E. (1958) Ann. Math. Stat. 29, 610.
Johnson J. B. (1928) Phys Rev 32, 97; Nyquist H. (1928) Phys Rev 32, 110.
"""

from __future__ import annotations


import numpy as np

from ._noise_kernels import add_noise_kernel, channel_keys
from ._validation import check_array, check_chunk, check_int, check_range

BOLTZMANN_J_PER_K = 1.380649e-23
_BLOCK_PAIRS = 128   # pairs per thread task (load balance only; values do not depend on it)


def add_gaussian_noise(chunk_uV: np.ndarray, chunk_start_sample: int, sigma_uV, seed: int) -> None:
    """Add white Gaussian noise of standard deviation ``sigma_uV[c]`` to ``chunk_uV`` in place.

    Parameters
    ----------
    chunk_uV : np.ndarray, float32, shape (n_samples, n_channels), C-contiguous, µV; modified.
    chunk_start_sample : int, global index of the first sample, >= 0.
    sigma_uV : array, shape (n_channels,), noise standard deviation per channel (µV), >= 0.
    seed : int, in [0, 2**64 - 1].
    """
    check_chunk("chunk_uV", chunk_uV)
    start = check_int("chunk_start_sample", chunk_start_sample, 0, None)
    sig = check_array("sigma_uV", sigma_uV, shape=(chunk_uV.shape[1],), dtype=float)
    if not np.all(np.isfinite(sig) & (sig >= 0)):
        raise ValueError(f"sigma_uV must be finite and >= 0 µV, got {sig}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2 ** 64:
        raise ValueError(f"seed must be an integer in [0, 2**64 - 1], got {seed!r}")
    if chunk_uV.shape[0] == 0:
        return
    keys = channel_keys(np.uint64(int(seed)), chunk_uV.shape[1])
    add_noise_kernel(chunk_uV, start, np.ascontiguousarray(sig), keys, _BLOCK_PAIRS)


def thermal_noise_uV_rms(impedance_real_ohm, bandwidth_hz, temperature_K: float = 310.0):
    """Johnson-Nyquist noise ``sqrt(4 k_B T Re(Z) df) * 1e6`` (µV rms).

    Parameters
    ----------
    impedance_real_ohm : float or array, real part of the electrode impedance (Ω), >= 0.
    bandwidth_hz : float, noise bandwidth (Hz), > 0.
    temperature_K : float, absolute temperature (K), > 0; 310 K body temperature.

    Returns
    -------
    float or np.ndarray, µV rms (e.g. 37 kΩ, 10 kHz, 310 K -> 2.5 µV).
    """
    r = np.asarray(impedance_real_ohm, dtype=float)
    if not np.all(np.isfinite(r) & (r >= 0)):
        raise ValueError(f"impedance_real_ohm must be finite and >= 0 Ω, got {impedance_real_ohm!r}")
    bw = check_range("bandwidth_hz", bandwidth_hz, 0.0, None, "Hz", low_inclusive=False)
    temp = check_range("temperature_K", temperature_K, 0.0, None, "K", low_inclusive=False)
    v = np.sqrt(4.0 * BOLTZMANN_J_PER_K * temp * r * bw) * 1e6
    return float(v) if v.ndim == 0 else v


__all__ = ["add_gaussian_noise", "thermal_noise_uV_rms", "BOLTZMANN_J_PER_K"]
