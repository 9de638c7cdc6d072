"""Biological background noise: far neurons as 1/f^α noise, correlated between contacts by distance.

The background at contact c and global sample n is

    v[n, c] = g · Σ_j M[c, j] · (h ∗ w_j)[n]

- ``w_j[m]``: independent unit white Gaussian latent sources, drawn by the counter-based
  generator of `electrode_models.noise` (a pure function of (seed, j, m));
- ``h``: a recursive (IIR) filter, a cascade of K first-order pole-zero sections
  ``H(z) = G · Π_k (1 - b_k z⁻¹) / (1 - a_k z⁻¹)`` with ``|H(f)| ≈ (max(f, f_c) / f_c)^(-α/2)``
  (power spectrum 1/f^α above the corner ``f_c``, flat below). Design (`design_background_iir`):
  poles and zeros interleaved log-uniformly, 3 per decade from ``f_c`` to fs/2, zero k at
  ``r^(α/2)`` times pole k (``r = 10^(1/3)``: the average slope of the cascade is then -α/2;
  Kasdin 1995), mapped by ``a = exp(-2π f_pole / fs)``, then refined by Levenberg-Marquardt in
  log magnitude on a log-frequency grid over [f_c/30, 0.8 fs/2]. Deviation from the target for
  f_c = 10 Hz at 30 kHz: ≲ 0.5 dB over [3 f_c, 0.8 fs/2] for α ≤ 2, larger (≲ 2 dB) in the
  octave above the corner, which real first-order sections cannot make as sharp as max(f, f_c);
- ``M`` (contacts × latent): ``M Mᵀ ≈ C``, ``C_ab = exp(-d_ab / λ)`` (d: contact distance, λ:
  length constant), from the eigen-decomposition of ``C``: the symmetric square root
  ``V Λ^½ Vᵀ`` when all of it is kept (exact, and local: its entries fall off with distance like
  ``C``'s, so each row's entries below a fraction of its largest are dropped — the largest
  fraction of 1e-3…2e-2 that moves no correlation by more than
  `MIX_MAX_CORRELATION_ERROR` = 0.01 (pairwise correlations of cortical neurons are ~0.01
  themselves: Ecker et al. 2010) — and ``M`` is applied as a sparse matrix where that leaves
  under 5 % of it: ~5 non-zeros per row for a 32 × 32 Utah array at λ = 100 µm and ~25 for
  1 024 contacts on 32 threads (50 µm pitch) instead of 1 024; denser matrices go to BLAS,
  ~20× faster per multiply-add), otherwise
  the largest eigenvalues up to ``variance_kept`` of the trace; rows rescaled so that
  ``diag(M Mᵀ) = 1``;
- ``g``: sets the RMS of ``v`` in the band ``band_hz`` (default 300-6000 Hz) to ``level_uV_rms``:
  ``g² · (2/N) Σ_{f_k ∈ band} |H(f_k)|² = level²`` (Parseval on the exact response of the
  cascade on the N = 2^20-point grid, evaluated at the grid points inside the band).

Stationarity from sample 0: the filter state at n = 0 is drawn from its stationary distribution
(covariance P of the discrete Lyapunov equation ``P = A P Aᵀ + q qᵀ`` of the cascade's
state-space form, ``state = P^½ z`` with z from the same counter generator at counters 2^62 + k),
so there is no start-up transient.

Chunk and worker independence: the draws and the cascade run over global blocks of ``B`` = 8192
samples; block b draws ``w`` over [bB, (b+1)B) and runs the cascade from the state at bB
(float64 state, float32 in/out, threads own disjoint groups of latent sources, so the arithmetic
of a value does not depend on the number of threads). The state at the start of a block is a
pure function of (seed, b); the generator keeps it as checkpoints (block 0 and recent block
starts). With a sparse (or no) mixing a chunk is computed only up to its end, the cascade
continuing from where the last chunk ended (the frontier): the arithmetic of a sample does not
depend on how many rows are filtered or mixed at once, so consecutive chunks, the pipeline's
case, cost in proportion to their length (no block-sized lumps for a live stream); a dense
mixing goes through BLAS, which must always see the same shape, so whole blocks are mixed and a
chunk takes its slice (the last block is kept for the next chunk). A chunk that starts elsewhere
is recomputed from the nearest checkpoint before it (filtering only, ~B·K multiply-adds per
latent and block). Output at (n, c) therefore does not
depend on chunk boundaries or order (bitwise, on one machine and BLAS build).

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
- The spectrum follows the target within the design tolerance above ~3 f_c; around the corner
  it turns over smoothly (first-order sections), below it is flat.

References
----------
Kasdin N. J. (1995) Discrete simulation of colored noise and stochastic processes and 1/f^α
power law noise generation. Proc IEEE 83, 802-827.
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

import functools
import logging
import math

import numpy as np
from numba import get_num_threads, njit, prange
from scipy.linalg import solve_discrete_lyapunov

from ._noise_kernels import add_noise_kernel, channel_keys, dia_mix_kernel, sparse_mix_kernel
from ._validation import check_array, check_chunk, check_int, check_range

logger = logging.getLogger(__name__)

_NOISE_BLOCK_PAIRS = 1024
_LEVEL_GRID = 2 ** 20
_BLOCK = 8192               # samples per global block
_SECTIONS_PER_DECADE = 3
_INIT_COUNTER = 2 ** 62     # counters of the initial-state draws (far from any sample index)
_MAX_CHECKPOINTS = 8


def design_background_fir(fs_hz: float, alpha: float, corner_hz: float, num_taps: int) -> np.ndarray:
    """FIR taps (float64, shape (num_taps,)) with ``|H(f)| ≈ (max(f, corner_hz)/corner_hz)^(-α/2)``.

    Frequency sampling on the ``num_taps``-point grid, zero-phase impulse response shifted to the
    middle of the window, Hann window. Unnormalised (|H(0)| ≈ 1). Not used by `BackgroundNoise`
    (which runs the IIR of `design_background_iir`); kept as a reference design.
    """
    f = np.fft.rfftfreq(num_taps, 1.0 / fs_hz)
    amp = (np.maximum(f, corner_hz) / corner_hz) ** (-alpha / 2.0)
    h = np.roll(np.fft.irfft(amp, num_taps), num_taps // 2)
    return h * np.hanning(num_taps + 2)[1:-1]


def background_target_db(f_hz, alpha: float, corner_hz: float) -> np.ndarray:
    """Target amplitude response in dB: ``-10 α log10(max(f, f_c) / f_c)``."""
    return -10.0 * alpha * np.log10(np.maximum(np.asarray(f_hz, float), corner_hz) / corner_hz)


def _cascade_db(a, b, f_hz, fs_hz):
    """20 log10 |Π (1 - b z⁻¹)/(1 - a z⁻¹)| at ``f_hz``, and the complex terms for the Jacobian."""
    z = np.exp(-2j * np.pi * np.asarray(f_hz, float) / fs_hz)
    num = 1.0 - b[:, None] * z
    den = 1.0 - a[:, None] * z
    db = 20.0 * (np.log10(np.abs(num)).sum(axis=0) - np.log10(np.abs(den)).sum(axis=0))
    return db, z, num, den


@njit(cache=True)
def _lm_step(J, r, lam):  # pragma: no cover - numba
    """Levenberg-Marquardt step ``d`` solving ``(JᵀJ + λ diag(JᵀJ)) d = -Jᵀr`` by Cholesky, with
    plain loops: every sum runs in one fixed order, so the step is the same bits in any process
    (BLAS/LAPACK kernels may pick their summation order by memory alignment). NaNs when the
    matrix is not positive definite."""
    n, p = J.shape
    A = np.zeros((p, p))
    g = np.zeros(p)
    for i in range(p):
        for j in range(i, p):
            s = 0.0
            for t in range(n):
                s += J[t, i] * J[t, j]
            A[i, j] = s
            A[j, i] = s
        s = 0.0
        for t in range(n):
            s += J[t, i] * r[t]
        g[i] = -s
    for i in range(p):
        A[i, i] *= 1.0 + lam
    L = np.zeros((p, p))
    for i in range(p):
        for j in range(i + 1):
            s = A[i, j]
            for k in range(j):
                s -= L[i, k] * L[j, k]
            if i == j:
                if not s > 0.0:
                    return np.full(p, np.nan)
                L[i, i] = np.sqrt(s)
            else:
                L[i, j] = s / L[j, j]
    y = np.empty(p)
    for i in range(p):
        s = g[i]
        for k in range(i):
            s -= L[i, k] * y[k]
        y[i] = s / L[i, i]
    d = np.empty(p)
    for i in range(p - 1, -1, -1):
        s = y[i]
        for k in range(i + 1, p):
            s -= L[k, i] * d[k]
        d[i] = s / L[i, i]
    return d


def _levenberg_marquardt(resid, jac, th0: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                         max_iter: int = 300, max_step: float = 0.2):
    """Minimise ``sum(resid(θ)²)`` from ``th0`` within ``[lower, upper]`` (Levenberg-Marquardt,
    damping ``λ diag(JᵀJ)``, each bounded component's step clipped to ``±max_step``, then
    projected on the bounds).

    Written out instead of `scipy.optimize.least_squares`: MINPACK's result there changes in its
    last bits from one process to the next (its work arrays' memory alignment changes its
    summation order), and a local optimiser turns that into different filter coefficients, so the
    same design and seed gave different traces in different processes. Here the residuals and
    Jacobian are numpy element-wise operations (alignment-independent), the step is `_lm_step`
    and the cost `math.fsum` (exact): the same θ in every process.
    """
    th = np.clip(np.array(th0, dtype=float), lower, upper)
    r = resid(th)
    cost = math.fsum(r * r)
    lam = 1e-3
    bounded = np.isfinite(lower) & np.isfinite(upper)   # only these steps are limited
    for _ in range(max_iter):
        J = jac(th)
        scale = np.sqrt(np.maximum((J * J).sum(axis=0), 1e-300))
        d = _lm_step(np.ascontiguousarray(J / scale), np.ascontiguousarray(r), lam) / scale
        if not np.all(np.isfinite(d)):
            lam *= 2.0
            continue
        d = np.where(bounded, np.clip(d, -max_step, max_step), d)
        th_new = np.clip(th + d, lower, upper)
        r_new = resid(th_new)
        cost_new = math.fsum(r_new * r_new)
        if np.isfinite(cost_new) and cost_new < cost:
            th, r, cost = th_new, r_new, cost_new
            lam = max(lam / 3.0, 1e-12)
        else:
            lam *= 2.0
            if lam > 1e10:
                break
    return th


@functools.lru_cache(maxsize=32)
def design_background_iir(fs_hz: float, alpha: float, corner_hz: float):
    """Cascade of first-order sections with ``|H(f)| ≈ (max(f, f_c)/f_c)^(-α/2)``.

    Returns ``(a, b, gain_db)``: float64 arrays (K,) of poles ``a_k`` and zeros ``b_k``
    (``H(z) = 10^(gain_db/20) · Π (1 - b_k z⁻¹)/(1 - a_k z⁻¹)``, all in (0, 1)) and the gain that
    best fits the target (|H| ≈ 1 below the corner). K = 0 for α = 0. See the module docstring.
    """
    fs, alpha, fc = float(fs_hz), float(alpha), float(corner_hz)
    if alpha == 0.0:
        return np.zeros(0), np.zeros(0), 0.0
    k_sec = int(np.ceil(_SECTIONS_PER_DECADE * np.log10(fs / 2 / fc)))
    r = 10.0 ** (1.0 / _SECTIONS_PER_DECADE)
    poles = fc * r ** np.arange(k_sec)
    th0 = np.r_[np.log(poles), np.log(poles * r ** (alpha / 2)), 0.0]
    f = np.geomspace(fc / 30.0, 0.8 * fs / 2, 400)
    tgt = background_target_db(f, alpha, fc)

    def coefs(th):
        return (np.exp(-2 * np.pi * np.exp(np.clip(th[:k_sec], -20, 20)) / fs),
                np.exp(-2 * np.pi * np.exp(np.clip(th[k_sec:2 * k_sec], -20, 20)) / fs))

    def resid(th):
        a, b = coefs(th)
        return _cascade_db(a, b, f, fs)[0] + th[-1] - tgt

    def jac(th):
        a, b = coefs(th)
        _, z, num, den = _cascade_db(a, b, f, fs)
        c = 20.0 / np.log(10.0)
        # d/dx ln|1 - x z| = Re(-z / (1 - x z)); dx/dθ = x · (-2π e^θ / fs)
        dzero = c * np.real(-z / num) * (b * (-2 * np.pi * np.exp(th[k_sec:2 * k_sec]) / fs))[:, None]
        dpole = -c * np.real(-z / den) * (a * (-2 * np.pi * np.exp(th[:k_sec]) / fs))[:, None]
        return np.vstack([dpole, dzero, np.ones((1, f.size))]).T

    th0[-1] = -resid(th0).mean()
    # poles and zeros in [f_c/30, 20 fs] (one that reaches the top is ~0: the section is dropped)
    lower = np.r_[np.full(2 * k_sec, np.log(fc / 30.0)), -np.inf]
    upper = np.r_[np.full(2 * k_sec, np.log(20 * fs)), np.inf]
    th = _levenberg_marquardt(resid, jac, th0, lower, upper)
    a, b = coefs(th)
    if not (np.all(np.abs(a) < 1) and np.abs(resid(th)).max() < np.abs(resid(th0)).max()):
        a, b = coefs(th0)       # pragma: no cover - the refinement did not help: interleaved design
        th = th0
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b, float(th[-1])


def iir_response_db(fs_hz: float, alpha: float, corner_hz: float, f_hz) -> np.ndarray:
    """Amplitude response (dB) of `design_background_iir` at ``f_hz``, gain included."""
    a, b, gain_db = design_background_iir(float(fs_hz), float(alpha), float(corner_hz))
    return _cascade_db(a, b, f_hz, fs_hz)[0] + gain_db


def _stationary_state_sqrt(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Square root S (K, K) of the stationary covariance of the cascade's state under unit white
    input: state ``s_k`` of section k (transposed direct form, ``y_k = u_k + s_k``,
    ``s_k ← a_k y_k - b_k u_k``, ``u_0 = x``, ``u_k = y_(k-1)``), so ``s' = A s + q x`` with
    ``A_ki = a_k - b_k`` (i < k), ``A_kk = a_k``, ``q_k = a_k - b_k``; ``P = A P Aᵀ + q qᵀ``."""
    k_sec = a.size
    if k_sec == 0:
        return np.zeros((0, 0))
    q = a - b
    A = np.tril(np.repeat(q[:, None], k_sec, axis=1), -1) + np.diag(a)
    P = solve_discrete_lyapunov(A, np.outer(q, q))
    w, v = np.linalg.eigh(0.5 * (P + P.T))
    return v * np.sqrt(np.clip(w, 0.0, None))


@njit(cache=True, error_model="numpy")
def _iir_row(xr, s, a, b, gain, y):  # pragma: no cover - numba
    """One sample of the cascade for a group of columns: ``xr`` float32 row (w,), state ``s``
    float64 (K, w), ``y`` float64 scratch (w,). The column loops are innermost (vectorised)."""
    w = xr.shape[0]
    for c in range(w):
        y[c] = xr[c]
    for k in range(a.shape[0]):
        ak = a[k]
        bk = b[k]
        sk = s[k]
        for c in range(w):
            u = y[c]
            yy = u + sk[c]
            sk[c] = ak * yy - bk * u
            y[c] = yy
    for c in range(w):
        xr[c] = np.float32(gain * y[c])


@njit(cache=True, parallel=True, error_model="numpy")
def iir_cascade_kernel(x, a, b, gain, state, col_group):  # pragma: no cover - numba
    """In place: ``x[:, j] ← gain · H(x[:, j])`` for the cascade (a, b) (transposed direct form:
    ``y_k = u_k + s_k``, ``s_k ← a_k y_k - b_k u_k``), float64 ``state`` (K, m) updated.

    ``x`` float32 (n, m) C-contiguous. Threads own disjoint groups of ``col_group`` columns; each
    column's arithmetic is the same whatever the group, lane or thread (no fast-math, so no
    contraction into FMA in one code path and not in another)."""
    n, m = x.shape
    n_grp = (m + col_group - 1) // col_group
    for g in prange(n_grp):
        c0 = g * col_group
        c1 = min(m, c0 + col_group)
        s = state[:, c0:c1].copy()
        y = np.empty(c1 - c0)
        for t in range(n):
            _iir_row(x[t, c0:c1], s, a, b, gain, y)
        state[:, c0:c1] = s


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
    num_taps : int or None, ignored (validated, in [16, 1e6], for compatibility with the former
        FIR design; the recursive filter has no taps).
    variance_kept : float, eigenvalue fraction kept for the spatial mixing, in (0, 1].
    channel_gain : array of shape (n_contacts,) or None, factors >= 0 on each contact's
        background (the electrode's signal gain: amplifier divider, chronic attenuation, 0 on
        dead channels), folded into the rows of the mixing; None: 1 everywhere.
        ``level_uV_rms`` is the level before it, in the tissue.
    """

    def __init__(self, contact_positions_um, fs_hz: float, level_uV_rms: float, seed: int,
                 alpha: float = 1.5, length_constant_um: float = 100.0, corner_hz: float = 10.0,
                 band_hz=(300.0, 6000.0), num_taps: int | None = None, variance_kept: float = 1.0,
                 channel_gain=None):
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
        self.num_taps = None if num_taps is None else check_int("num_taps", num_taps, 16, 1_000_000)
        self.mixing = correlation_mixing_matrix(contact_positions_um, length_constant_um, variance_kept)
        self.n_contacts, self.n_latent = self.mixing.shape
        self.channel_gain = None
        if channel_gain is not None:
            g = check_array("channel_gain", channel_gain, shape=(self.n_contacts,), dtype=float)
            if not (np.all(np.isfinite(g)) and np.all(g >= 0)):
                raise ValueError(f"channel_gain must be finite and >= 0 on every contact, got min "
                                 f"{np.nanmin(g):g}")
            if not np.all(g == 1.0):
                self.channel_gain = g.astype(np.float32)
        self.poles, self.zeros, _ = design_background_iir(self.fs_hz, self.alpha, self.corner_hz)
        # |H|² on the grid points f_k = k fs / N inside the band (the others add nothing)
        k = np.arange(int(np.ceil(band[0] * _LEVEL_GRID / self.fs_hz)),
                      int(np.floor(band[1] * _LEVEL_GRID / self.fs_hz)) + 1)
        zinv = np.exp(-2j * np.pi * k / _LEVEL_GRID)
        p = np.ones(k.size)
        for a, b in zip(self.poles, self.zeros):
            p *= np.abs(1.0 - b * zinv) ** 2 / np.abs(1.0 - a * zinv) ** 2
        band_var = 2.0 * p.sum() / _LEVEL_GRID
        self.gain = float(self.level_uV_rms / np.sqrt(band_var))
        self.block_samples = _BLOCK
        self._keys = channel_keys(np.uint64(int(seed)), self.n_latent)
        self._mix_t = np.ascontiguousarray(self.mixing.T.astype(np.float32))
        self._identity = self.n_latent == self.n_contacts and np.array_equal(
            self.mixing, np.eye(self.n_contacts))
        self._sparse = _sparse_rows(self.mixing)
        if self.channel_gain is not None:   # folded into the mixing: no pass of its own
            self._mix_t *= self.channel_gain[None, :]
            if self._sparse is not None:
                indptr, cols, vals = self._sparse
                self._sparse = (indptr, cols, (vals * np.repeat(self.channel_gain, np.diff(indptr)))
                                .astype(np.float32))
        self._diagonals = _diagonals(self._sparse, self.mixing.shape)
        self._last = (-1, None)
        self._next = None          # (b, state at the start of block b): the frontier
        self._front = None         # (sample, state there): where the last segment ended
        self._checkpoints = {}     # b -> state at the start of block b (block 0 and recent calls)
        logger.debug("background: %d contacts, %d latent, %d IIR sections", self.n_contacts,
                     self.n_latent, self.poles.size)

    def _col_group(self) -> int:
        """Latent sources per thread task: 64-256 (wide rows avoid 4 KiB-strided access), enough
        tasks for the threads. Values do not depend on it (each column's arithmetic is fixed)."""
        per = -(-self.n_latent // max(1, get_num_threads()))
        return int(min(256, max(64, -(-per // 16) * 16)))

    def _initial_state(self) -> np.ndarray:
        """State at sample 0: stationary, ``S z`` with z the counter draws at 2^62 + k (K, n_latent)."""
        k_sec = self.poles.size
        z = np.zeros((k_sec, self.n_latent), np.float32)
        if k_sec:
            add_noise_kernel(z, _INIT_COUNTER, np.ones(self.n_latent), self._keys, _NOISE_BLOCK_PAIRS)
        return _stationary_state_sqrt(self.poles, self.zeros) @ z.astype(np.float64)

    def _state_at(self, b: int) -> np.ndarray:
        """Filter state at the start of block ``b`` (a copy), from the frontier or a checkpoint."""
        if self._next is not None and self._next[0] == b:
            return self._next[1].copy()
        if b in self._checkpoints:
            return self._checkpoints[b].copy()
        starts = [c for c in self._checkpoints if c < b]
        if self._next is not None and self._next[0] < b:
            starts.append(self._next[0])
        if starts:
            b0 = max(starts)
            state = (self._next[1] if self._next is not None and self._next[0] == b0
                     else self._checkpoints[b0]).copy()
        else:
            b0, state = 0, self._initial_state()
            self._checkpoints[0] = state.copy()
        if b > b0:
            logger.debug("background: filtering blocks %d..%d to reach block %d", b0, b - 1, b)
        w = np.empty((_BLOCK, self.n_latent), np.float32)
        for bb in range(b0, b):
            w[:] = 0.0
            add_noise_kernel(w, bb * _BLOCK, np.ones(self.n_latent), self._keys, _NOISE_BLOCK_PAIRS)
            iir_cascade_kernel(w, self.poles, self.zeros, 1.0, state, self._col_group())
        return state

    def _remember(self, b: int, state: np.ndarray) -> None:
        if b in self._checkpoints:
            return
        if len(self._checkpoints) >= _MAX_CHECKPOINTS:   # drop the oldest, keep block 0
            del self._checkpoints[next(c for c in self._checkpoints if c != 0)]
        self._checkpoints[b] = state.copy()

    def _mix(self, y: np.ndarray) -> np.ndarray:
        """Latent rows (n, n_latent) to contact rows (n, n_contacts), µV, times ``channel_gain``."""
        if self._identity:
            out = y
        elif self._sparse is not None:
            out = np.empty((y.shape[0], self.n_contacts), np.float32)
            if self._diagonals is not None:
                dia_mix_kernel(y, *self._diagonals, out)
            else:
                sparse_mix_kernel(y, *self._sparse, out)
        else:
            out = y @ self._mix_t
        if self._identity and self.channel_gain is not None:  # the other mixings carry the gain
            out *= self.channel_gain
        return out

    def _filtered(self, a: int, e: int, state: np.ndarray, gain: float) -> np.ndarray:
        """Latent samples [a, e): counter draws through the cascade from ``state`` (updated)."""
        y = np.zeros((e - a, self.n_latent), np.float32)
        add_noise_kernel(y, a, np.ones(self.n_latent), self._keys, _NOISE_BLOCK_PAIRS)
        iir_cascade_kernel(y, self.poles, self.zeros, gain, state, self._col_group())
        return y

    def _block(self, b: int, first: bool) -> np.ndarray:
        """Background of global block ``b`` (samples [bB, (b+1)B)), float32 (B, n_contacts), µV."""
        if self._last[0] == b:
            return self._last[1]
        state = self._state_at(b)
        if first:
            self._remember(b, state)
        y = self._mix(self._filtered(b * _BLOCK, (b + 1) * _BLOCK, state, self.gain))
        self._next = (b + 1, state)
        self._last = (b, y)
        return y

    def _segment(self, a: int, e: int) -> np.ndarray:
        """Background of samples [a, e) inside one block, float32 (e - a, n_contacts), µV.

        The cascade continues from the frontier when ``a`` is where the last segment ended;
        otherwise from the state at the block's start, filtered forward to ``a``. Only for the
        row-wise mixings (identity, sparse): their value at a sample does not depend on how
        many rows are mixed at once, so segments give the bits of whole blocks."""
        b = a // _BLOCK
        if self._front is not None and self._front[0] == a:
            state = self._front[1]
        else:
            state = self._state_at(b)
            if a > b * _BLOCK:
                self._filtered(b * _BLOCK, a, state, 1.0)
        if a == b * _BLOCK:
            self._remember(b, state)
        y = self._mix(self._filtered(a, e, state, self.gain))
        self._front = (e, state)
        if e == (b + 1) * _BLOCK:
            self._next = (b + 1, state.copy())
        return y

    def add(self, chunk_uV: np.ndarray, chunk_start_sample: int) -> None:
        """Add the background to ``chunk_uV`` (float32, (n_samples, n_contacts), µV) in place.

        Consecutive chunks cost one pass each, in proportion to their length (sparse and
        identity mixing: computed up to the chunk's end only; dense mixing: whole blocks, which
        BLAS must see with one shape to give the same bits); a chunk that does not follow the
        previous one is recomputed from a checkpoint (same values, more time; see the module
        docstring)."""
        check_chunk("chunk_uV", chunk_uV)
        start = check_int("chunk_start_sample", chunk_start_sample, 0, None)
        if chunk_uV.shape[1] != self.n_contacts:
            raise ValueError(f"chunk_uV must have {self.n_contacts} channels (contacts), "
                             f"got {chunk_uV.shape[1]}")
        n = chunk_uV.shape[0]
        if n == 0 or self.level_uV_rms == 0.0:
            return
        B = _BLOCK
        b_first = start // B
        for b in range(b_first, (start + n - 1) // B + 1):
            a, e = max(b * B, start), min((b + 1) * B, start + n)
            if self._identity or self._sparse is not None:
                chunk_uV[a - start:e - start] += self._segment(a, e)
            else:
                chunk_uV[a - start:e - start] += self._block(b, b == b_first)[a - b * B:e - b * B]


#: Largest change of any correlation (M Mᵀ) that dropping small mixing entries may cause.
MIX_MAX_CORRELATION_ERROR = 0.01
_MIX_REL_TOLS = (1e-3, 2e-3, 5e-3, 1e-2, 2e-2)


def _sparse_rows(m: np.ndarray, max_error: float = MIX_MAX_CORRELATION_ERROR, max_fill: float = 0.05):
    """CSR arrays (indptr, indices, float32 data) of ``m`` without its small entries, rows
    rescaled to unit norm, or None (dense BLAS is faster, or nothing can be dropped).

    Entries below ``rel_tol`` of their row's largest are dropped, for the largest ``rel_tol`` of
    `_MIX_REL_TOLS` whose result changes no entry of ``M Mᵀ`` (the correlations) by more than
    ``max_error``; None when more than ``max_fill`` of the matrix is left at that tolerance.
    """
    from scipy import sparse

    target = m @ m.T
    peak = np.abs(m).max(axis=1, keepdims=True)
    best = None
    for tol in _MIX_REL_TOLS:
        keep = np.abs(m) >= tol * peak
        if keep.mean() > max_fill and tol == _MIX_REL_TOLS[-1]:
            break
        mm = np.where(keep, m, 0.0)
        mm /= np.linalg.norm(mm, axis=1, keepdims=True)
        sm = sparse.csr_matrix(mm)
        prod = (sm @ sm.T).tocoo()
        diff = target.copy()
        diff[prod.row, prod.col] -= prod.data
        if np.abs(diff).max() > max_error:
            break
        best = (keep, mm)
    if best is None or best[0].mean() > max_fill:
        return None
    keep, m = best
    rows, cols = np.nonzero(keep)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=m.shape[0]))]).astype(np.int64)
    return indptr, cols.astype(np.int64), m[rows, cols].astype(np.float32)


def _diagonals(csr, shape):
    """The CSR matrix ``csr`` of a square ``shape`` as (offsets, data (n_diag, n)) for
    `dia_mix_kernel`, or None when it is not square or `sparse_mix_kernel` is faster for it.

    Measured on one core (AVX-512, 1 024 contacts): `sparse_mix_kernel` costs ~0.1 s per second
    of recording for its transposes plus ~2.3 ms per non-zero per row, `dia_mix_kernel` ~5 ms per
    diagonal (a 32 × 32 Utah array: 5 diagonals, 0.05 s against 0.11 s; 32 threads × 32
    contacts: 63 diagonals for 49 non-zeros per row, 0.31 s against 0.21 s). The diagonals are
    used when ``n_diag <= 20 + nnz_per_row / 2``.
    """
    if csr is None or shape[0] != shape[1]:
        return None
    indptr, cols, vals = csr
    rows = np.repeat(np.arange(shape[0]), np.diff(indptr))
    offsets, k = np.unique(cols - rows, return_inverse=True)
    if offsets.size > 20 + 0.5 * cols.size / shape[0]:
        return None
    data = np.zeros((offsets.size, shape[0]), np.float32)
    data[k, rows] = vals
    return offsets.astype(np.int64), data


def add_background_noise(chunk_uV: np.ndarray, chunk_start_sample: int, contact_positions_um,
                         fs_hz: float, level_uV_rms: float, seed: int, **kwargs) -> None:
    """One-call form of `BackgroundNoise` (designs the filter and mixing each call: prefer the
    class for many chunks). ``kwargs``: alpha, length_constant_um, corner_hz, band_hz, num_taps,
    variance_kept."""
    BackgroundNoise(contact_positions_um, fs_hz, level_uV_rms, seed, **kwargs).add(
        chunk_uV, chunk_start_sample)


__all__ = ["BackgroundNoise", "add_background_noise", "background_level_uV_rms",
           "background_target_db", "correlation_mixing_matrix", "design_background_fir",
           "design_background_iir", "iir_response_db"]
