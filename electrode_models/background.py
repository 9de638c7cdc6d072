"""Biological background noise: far neurons as 1/f^α noise, correlated between contacts by distance.

The background at contact c and global sample n is

    v[n, c] = g · Σ_j M[c, j] · Σ_{k=0}^{L-1} h[k] · w_j[n - k + L - 1]

- ``w_j[m]``: independent unit white Gaussian latent sources, drawn by the counter-based
  generator of `electrode_models.noise` (a pure function of (seed, j, m));
- ``h``: a fixed FIR of ``L`` taps with amplitude response ``|H(f)| ≈ (max(f, f_c) / f_c)^(-α/2)``
  (power spectrum 1/f^α above the corner ``f_c``, flat below), designed once by frequency
  sampling and a Hann window;
- ``M`` (contacts × latent): ``M Mᵀ ≈ C``, ``C_ab = exp(-d_ab / λ)`` (d: contact distance, λ:
  length constant), from the eigen-decomposition of ``C``: the symmetric square root
  ``V Λ^½ Vᵀ`` when all of it is kept (exact, and local: its entries fall off with distance like
  ``C``'s, so entries below 1e-3 of a row's largest are dropped, which moves no correlation by
  more than 3e-4, and ``M`` is applied as a sparse matrix where that leaves under 5 % of it,
  e.g. ~9 non-zeros per row for a 32 × 32 Utah array at λ = 100 µm instead of 1024; denser
  matrices go to BLAS, ~20× faster per multiply-add), otherwise
  the largest eigenvalues up to ``variance_kept`` of the trace; rows rescaled so that
  ``diag(M Mᵀ) = 1``;
- ``g``: sets the RMS of ``v`` in the band ``band_hz`` (default 300-6000 Hz) to ``level_uV_rms``:
  ``g² · (2/N) Σ_{f_k ∈ band} |H_k|² = level²`` (Parseval on an N-point grid, N = 2^20).

Chunk and worker independence: output is computed in fixed global blocks of ``B = 3 L``
samples (block b covers [bB, (b+1)B)); each block draws ``w`` over [bB, bB + B + L - 1) and
convolves by FFT (N = 4 L) with always the same shapes, then a chunk takes its slice (the last
block is kept for the next chunk; a cache of a pure function of b). Output at (n, c) therefore
does not depend on chunk boundaries (bitwise, on one machine and BLAS/FFT build).

Calibration
-----------
Far-neuron background in the AP band (300-6000 Hz) of intracortical microelectrodes is a few
µV rms: ~5-10 µV rms for Utah-like contacts in cortex is a reasonable default (assumption taken
from the ranges reported by Lempka et al. 2011 and Camuñas-Mesa & Quian Quiroga 2013, where far
neurons are the largest noise source ahead of the electrode-tissue interface; Yang et al. 2009).
Spectral exponent: in vivo noise spectra 1/f^x with x = 1.5 ± 0.5 (Yang et al. 2009); the LFP
below a few hundred Hz ~1/f² (Milstein et al. 2009). `background_level_uV_rms` gives the
level from a count of far cells with independent contributions: ``sqrt(N_cells) · v_cell``.

Assumptions
-----------
- Stationary Gaussian process; same spectrum on every contact.
- exp(-d/λ) is a valid (positive definite) correlation in 3-D for any λ > 0; λ = 0 means
  independent contacts (M = I).
- Hann-windowed FIR: the spectrum follows the target above ~4 fs/L; below the corner it is flat.

References
----------
Yang Z., Zhao Q., Keefer E., Liu W. (2009) Noise characterization, modeling, and reduction for
in vivo neural recording. NeurIPS 22, 2160-2168.
Milstein J., Mormann F., Fried I., Koch C. (2009) Neuronal shot noise and Brownian 1/f² behavior
in the local field potential. PLoS ONE 4, e4338.
Lempka S. F. et al. (2011) Theoretical analysis of intracortical microelectrode recordings.
J Neural Eng 8, 045006.
Camuñas-Mesa L. A., Quian Quiroga R. (2013) A detailed and fast model of extracellular
recordings. Neural Comput 25, 1191-1212.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.fft as sfft

from ._noise_kernels import add_noise_kernel, channel_keys, sparse_mix_kernel
from ._validation import check_array, check_chunk, check_int, check_range

logger = logging.getLogger(__name__)

_NOISE_BLOCK_PAIRS = 1024
_LEVEL_GRID = 2 ** 20


def design_background_fir(fs_hz: float, alpha: float, corner_hz: float, num_taps: int) -> np.ndarray:
    """FIR taps (float64, shape (num_taps,)) with ``|H(f)| ≈ (max(f, corner_hz)/corner_hz)^(-α/2)``.

    Frequency sampling on the ``num_taps``-point grid, zero-phase impulse response shifted to the
    middle of the window, Hann window. Unnormalised (|H(0)| ≈ 1).
    """
    f = np.fft.rfftfreq(num_taps, 1.0 / fs_hz)
    amp = (np.maximum(f, corner_hz) / corner_hz) ** (-alpha / 2.0)
    h = np.roll(np.fft.irfft(amp, num_taps), num_taps // 2)
    return h * np.hanning(num_taps + 2)[1:-1]


def background_level_uV_rms(num_cells: int, per_cell_uV_rms: float) -> float:
    """Background level from far cells with independent contributions: ``sqrt(N) · v_cell`` (µV rms)."""
    n = check_int("num_cells", num_cells, 0, None)
    v = check_range("per_cell_uV_rms", per_cell_uV_rms, 0.0, None, "µV")
    return float(np.sqrt(n) * v)


def correlation_mixing_matrix(contact_positions_um, length_constant_um: float,
                              variance_kept: float = 1.0) -> np.ndarray:
    """Mixing matrix M (n_contacts, n_latent) with ``M Mᵀ ≈ exp(-d/λ)`` and unit diagonal.

    Parameters
    ----------
    contact_positions_um : array, shape (n_contacts, 3), µm.
    length_constant_um : float, λ (µm), >= 0; 0 gives the identity (independent contacts).
    variance_kept : float, fraction of the trace kept by the largest eigenvalues, in (0, 1].
    """
    pos = check_array("contact_positions_um", contact_positions_um, shape=(None, 3), dtype=float)
    lam = check_range("length_constant_um", length_constant_um, 0.0, 1e6, "µm")
    keep = check_range("variance_kept", variance_kept, 0.0, 1.0, low_inclusive=False)
    n = pos.shape[0]
    if lam == 0.0 or n <= 1:
        return np.eye(n)
    d = np.linalg.norm(pos[:, None, :] - pos[None, :, :], axis=2)
    w, v = np.linalg.eigh(np.exp(-d / lam))
    w, v = np.clip(w[::-1], 0.0, None), v[:, ::-1]
    if keep == 1.0:  # the symmetric square root: exact and local (see the module docstring)
        m = (v * np.sqrt(w)) @ v.T
    else:
        k = min(int(np.searchsorted(np.cumsum(w), keep * w.sum() * (1 - 1e-12))) + 1, n)
        m = v[:, :k] * np.sqrt(w[:k])
    return m / np.linalg.norm(m, axis=1, keepdims=True)


class BackgroundNoise:
    """Far-neuron background noise generator (equations in the module docstring).

    Parameters
    ----------
    contact_positions_um : array, shape (n_contacts, 3), µm.
    fs_hz : float, sampling rate (Hz), in [1e3, 1e6].
    level_uV_rms : float, RMS in ``band_hz`` (µV), >= 0 (0: ``add`` does nothing).
    seed : int, in [0, 2**64 - 1].
    alpha : float, power-spectrum exponent α in [0, 3] (1-2 typical; 1.5 default).
    length_constant_um : float, spatial correlation length λ (µm), >= 0 (0: independent).
    corner_hz : float, the spectrum is flat below this (Hz), in [0.1, fs/4].
    band_hz : (float, float), band in which ``level_uV_rms`` holds (Hz), 0 <= low < high <= fs/2.
    num_taps : int, FIR length L (blocks are 3 L); default the power of two >= 2 fs/f_c.
    variance_kept : float, eigenvalue fraction kept for the spatial mixing, in (0, 1].
    """

    def __init__(self, contact_positions_um, fs_hz: float, level_uV_rms: float, seed: int,
                 alpha: float = 1.5, length_constant_um: float = 100.0, corner_hz: float = 10.0,
                 band_hz=(300.0, 6000.0), num_taps: int | None = None, variance_kept: float = 1.0):
        self.fs_hz = check_range("fs_hz", fs_hz, 1e3, 1e6, "Hz")
        self.level_uV_rms = check_range("level_uV_rms", level_uV_rms, 0.0, 1e5, "µV")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2 ** 64:
            raise ValueError(f"seed must be an integer in [0, 2**64 - 1], got {seed!r}")
        self.alpha = check_range("alpha", alpha, 0.0, 3.0)
        self.corner_hz = check_range("corner_hz", corner_hz, 0.1, self.fs_hz / 4, "Hz")
        band = check_array("band_hz", band_hz, shape=(2,), dtype=float)
        if not (0.0 <= band[0] < band[1] <= self.fs_hz / 2):
            raise ValueError(f"band_hz must satisfy 0 <= low < high <= fs_hz/2 = {self.fs_hz / 2:g} Hz, "
                             f"got {tuple(band_hz)}")
        if num_taps is None:
            num_taps = int(2 ** np.ceil(np.log2(2.0 * self.fs_hz / self.corner_hz)))
        self.num_taps = check_int("num_taps", num_taps, 16, 1_000_000)
        self.mixing = correlation_mixing_matrix(contact_positions_um, length_constant_um, variance_kept)
        self.n_contacts, self.n_latent = self.mixing.shape
        h = design_background_fir(self.fs_hz, self.alpha, self.corner_hz, self.num_taps)
        p = np.abs(np.fft.rfft(h, _LEVEL_GRID)) ** 2
        f = np.fft.rfftfreq(_LEVEL_GRID, 1.0 / self.fs_hz)
        band_var = 2.0 * p[(f >= band[0]) & (f <= band[1])].sum() / _LEVEL_GRID
        self.fir = h * (self.level_uV_rms / np.sqrt(band_var))
        self.block_samples = 3 * self.num_taps
        self._nfft = sfft.next_fast_len(self.block_samples + self.num_taps - 1, real=True)
        self._last = (-1, None)
        self._fir_f = sfft.rfft(self.fir.astype(np.float32), self._nfft)
        self._keys = channel_keys(np.uint64(int(seed)), self.n_latent)
        self._mix_t = np.ascontiguousarray(self.mixing.T.astype(np.float32))
        self._identity = self.n_latent == self.n_contacts and np.array_equal(
            self.mixing, np.eye(self.n_contacts))
        self._sparse = _sparse_rows(self.mixing)
        logger.debug("background: %d contacts, %d latent, %d taps", self.n_contacts,
                     self.n_latent, self.num_taps)

    def block(self, b: int) -> np.ndarray:
        """Background of global block ``b`` (samples [bB, (b+1)B), B = 3 L), float32 (B, n_contacts), µV."""
        if self._last[0] == b:
            return self._last[1]
        L, B = self.num_taps, self.block_samples
        w = np.zeros((B + L - 1, self.n_latent), np.float32)
        add_noise_kernel(w, b * B, np.ones(self.n_latent), self._keys, _NOISE_BLOCK_PAIRS)
        spec = sfft.rfft(w, self._nfft, axis=0, workers=-1)
        del w
        spec *= self._fir_f[:, None]
        y = sfft.irfft(spec, self._nfft, axis=0, workers=-1)[L - 1:L - 1 + B]
        if self._identity:
            y = np.ascontiguousarray(y)
        elif self._sparse is not None:
            out = np.empty((B, self.n_contacts), np.float32)
            sparse_mix_kernel(np.ascontiguousarray(y, np.float32), *self._sparse, out)
            y = out
        else:
            y = y @ self._mix_t
        self._last = (b, y)
        return y

    def add(self, chunk_uV: np.ndarray, chunk_start_sample: int) -> None:
        """Add the background to ``chunk_uV`` (float32, (n_samples, n_contacts), µV) in place."""
        check_chunk("chunk_uV", chunk_uV)
        start = check_int("chunk_start_sample", chunk_start_sample, 0, None)
        if chunk_uV.shape[1] != self.n_contacts:
            raise ValueError(f"chunk_uV must have {self.n_contacts} channels (contacts), "
                             f"got {chunk_uV.shape[1]}")
        n = chunk_uV.shape[0]
        if n == 0 or self.level_uV_rms == 0.0:
            return
        B = self.block_samples
        for b in range(start // B, (start + n - 1) // B + 1):
            a, e = max(b * B, start), min((b + 1) * B, start + n)
            chunk_uV[a - start:e - start] += self.block(b)[a - b * B:e - b * B]


def _sparse_rows(m: np.ndarray, rel_tol: float = 1e-3, max_fill: float = 0.05):
    """CSR arrays (indptr, indices, float32 data) of ``m`` without entries below ``rel_tol`` of
    their row's largest, rows rescaled to unit norm; None when more than ``max_fill`` is left
    (dense BLAS is faster then)."""
    keep = np.abs(m) >= rel_tol * np.abs(m).max(axis=1, keepdims=True)
    if keep.mean() > max_fill:
        return None
    m = np.where(keep, m, 0.0)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    rows, cols = np.nonzero(keep)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=m.shape[0]))]).astype(np.int64)
    return indptr, cols.astype(np.int64), m[rows, cols].astype(np.float32)


def add_background_noise(chunk_uV: np.ndarray, chunk_start_sample: int, contact_positions_um,
                         fs_hz: float, level_uV_rms: float, seed: int, **kwargs) -> None:
    """One-call form of `BackgroundNoise` (builds the FIR and mixing each call: prefer the
    class for many chunks). ``kwargs``: alpha, length_constant_um, corner_hz, band_hz, num_taps,
    variance_kept."""
    BackgroundNoise(contact_positions_um, fs_hz, level_uV_rms, seed, **kwargs).add(
        chunk_uV, chunk_start_sample)


__all__ = ["BackgroundNoise", "add_background_noise", "background_level_uV_rms",
           "correlation_mixing_matrix", "design_background_fir"]
