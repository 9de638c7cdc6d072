"""Biological background noise: level, 1/f^α slope, spatial correlation, chunk independence."""

import numpy as np
import pytest
from scipy.signal import welch

import numba
from scipy.signal import sosfreqz

from electrode_models.background import (BackgroundNoise, add_background_noise,
                                         background_level_uV_rms, correlation_mixing_matrix,
                                         design_background_fir, design_background_iir)

FS = 30000.0
POS = np.array([[0.0, 0, 0], [50.0, 0, 0], [100.0, 0, 0], [0.0, 0, -30.0]])
LAM = 100.0


def _record(bg, seconds):
    x = np.zeros((int(seconds * FS), bg.n_contacts), np.float32)
    bg.add(x, 0)
    return x


def _band(x, lo=300.0, hi=6000.0):
    """Brick-wall band-pass by FFT of the whole record (exact Parseval)."""
    X = np.fft.rfft(x.astype(float), axis=0)
    f = np.fft.rfftfreq(x.shape[0], 1.0 / FS)
    X[(f < lo) | (f > hi)] = 0.0
    return np.fft.irfft(X, x.shape[0], axis=0)


@pytest.fixture(scope="module")
def generate_background():
    bg = BackgroundNoise(POS, FS, 7.0, seed=21, alpha=1.5, length_constant_um=LAM)
    return bg, _record(bg, 10.0)


def test_band_rms_equals_the_level(generate_background):
    # 10 s x 5.7 kHz band: ~1.1e5 degrees of freedom -> RMS standard error ~0.2 %; allow 2 %
    _, x = generate_background
    rms = np.sqrt((_band(x) ** 2).mean(axis=0))
    np.testing.assert_allclose(rms, 7.0, rtol=0.02)


@pytest.mark.parametrize("alpha", [1.0, 2.0])
def test_welch_slope_is_minus_alpha(alpha):
    # Welch, 8192-point segments, 60 segments: log-PSD scatter ~0.13 per bin over ~1600 bins ->
    # slope standard error < 0.01; the IIR follows the target within 0.5 dB above 3 f_c = 30 Hz
    # (test_iir_response_matches_the_target). Tolerance 0.05.
    bg = BackgroundNoise(POS[:1], FS, 5.0, seed=3, alpha=alpha, length_constant_um=0.0)
    x = _record(bg, 8.0)[:, 0]
    f, p = welch(x, FS, nperseg=8192)
    m = (f >= 50.0) & (f <= 5000.0)
    slope = np.polyfit(np.log(f[m]), np.log(p[m]), 1)[0]
    assert abs(slope + alpha) < 0.05


def test_fir_response_closed_form():
    h = design_background_fir(FS, 1.5, 10.0, 8192)
    H = np.abs(np.fft.rfft(h, 2 ** 20))
    f = np.fft.rfftfreq(2 ** 20, 1.0 / FS)
    at = lambda hz: H[np.argmin(np.abs(f - hz))]  # noqa: E731
    assert abs(at(1000.0) / at(100.0) / 10 ** -0.75 - 1) < 0.01   # |H| ∝ f^(-α/2)
    assert abs(at(1.0) / at(3.0) - 1) < 0.05                       # flat below the corner


def test_correlation_follows_exp_minus_d_over_lambda(generate_background):
    # correlation of band-passed traces (mixing is frequency-independent); standard error
    # (1 - ρ²)/sqrt(N_eff) with N_eff ~ 1.1e5 -> < 0.003; tolerance 0.015
    _, x = generate_background
    r = np.corrcoef(_band(x).T)
    d = np.linalg.norm(POS[:, None] - POS[None], axis=2)
    np.testing.assert_allclose(r, np.exp(-d / LAM), atol=0.015)


def test_chunked_equals_one_shot_and_seeds_differ(generate_background):
    bg, x = generate_background
    n = 40000
    rng = np.random.default_rng(4)
    edges = np.unique(np.r_[0, np.sort(rng.integers(1, n, 9)), n])
    y = np.zeros((n, 4), np.float32)
    for a, b in zip(edges[:-1], edges[1:]):
        part = np.zeros((b - a, 4), np.float32)
        bg.add(part, int(a))
        y[a:b] = part
    np.testing.assert_array_equal(y, x[:n])
    # another worker, chunks in reverse order, fresh generator: the same bits
    other = BackgroundNoise(POS, FS, 7.0, seed=21, alpha=1.5, length_constant_um=LAM)
    for a, b in list(zip(edges[:-1], edges[1:]))[::-1]:
        part = np.zeros((b - a, 4), np.float32)
        other.add(part, int(a))
        np.testing.assert_array_equal(part, x[a:b])
    z = np.zeros((n, 4), np.float32)
    add_background_noise(z, 0, POS, FS, 7.0, 22, alpha=1.5, length_constant_um=LAM)
    assert np.corrcoef(z[:, 0], x[:n, 0])[0, 1] < 0.5 and not np.array_equal(z, x[:n])
    w = np.zeros((n, 4), np.float32)
    add_background_noise(w, 0, POS, FS, 7.0, 21, alpha=1.5, length_constant_um=LAM)
    np.testing.assert_array_equal(w, x[:n])


def test_mixing_matrix_and_level_helpers():
    assert np.array_equal(correlation_mixing_matrix(POS, 0.0), np.eye(4))
    grid = np.stack(np.meshgrid(np.arange(10) * 20.0, np.arange(10) * 20.0, [0.0]), -1).reshape(-1, 3)
    m = correlation_mixing_matrix(grid, 200.0, variance_kept=0.95)
    assert m.shape[1] < 50
    np.testing.assert_allclose(np.diag(m @ m.T), 1.0, rtol=1e-12)
    full = correlation_mixing_matrix(grid, 200.0)
    d = np.linalg.norm(grid[:, None] - grid[None], axis=2)
    np.testing.assert_allclose(full @ full.T, np.exp(-d / 200.0), atol=1e-9)
    assert background_level_uV_rms(100, 0.8) == pytest.approx(8.0)
    x = np.zeros((100, 4), np.float32)
    BackgroundNoise(POS, FS, 0.0, 1).add(x, 0)
    assert not x.any()


def test_errors():
    with pytest.raises(ValueError, match=r"fs_hz must be in \[1000, 1e\+06\] Hz"):
        BackgroundNoise(POS, 10.0, 5.0, 1)
    with pytest.raises(ValueError, match=r"level_uV_rms must be in \[0, 100000\] µV"):
        BackgroundNoise(POS, FS, -1.0, 1)
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 2\*\*64 - 1\]"):
        BackgroundNoise(POS, FS, 5.0, -1)
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 3\]"):
        BackgroundNoise(POS, FS, 5.0, 1, alpha=4.0)
    with pytest.raises(ValueError, match=r"corner_hz must be in \[0.1, 7500\] Hz"):
        BackgroundNoise(POS, FS, 5.0, 1, corner_hz=0.0)
    with pytest.raises(ValueError, match=r"band_hz must satisfy 0 <= low < high <= fs_hz/2"):
        BackgroundNoise(POS, FS, 5.0, 1, band_hz=(300.0, 20000.0))
    with pytest.raises(ValueError, match=r"num_taps must be in \[16, 1e\+06\]"):
        BackgroundNoise(POS, FS, 5.0, 1, num_taps=8)
    with pytest.raises(ValueError, match=r"length_constant_um must be in \[0, 1e\+06\] µm"):
        BackgroundNoise(POS, FS, 5.0, 1, length_constant_um=-1.0)
    with pytest.raises(ValueError, match=r"variance_kept must be in \(0, 1\]"):
        correlation_mixing_matrix(POS, 10.0, variance_kept=0.0)
    with pytest.raises(ValueError, match=r"contact_positions_um must have shape \(any, 3\)"):
        correlation_mixing_matrix(POS[:, :2], 10.0)
    with pytest.raises(ValueError, match=r"num_cells must be an integer"):
        background_level_uV_rms(1.5, 1.0)
    bg = BackgroundNoise(POS, FS, 5.0, 1)
    with pytest.raises(ValueError, match=r"chunk_uV must have 4 channels"):
        bg.add(np.zeros((10, 3), np.float32), 0)
    with pytest.raises(ValueError, match=r"chunk_start_sample must be in \[0, inf\]"):
        bg.add(np.zeros((10, 4), np.float32), -1)
    with pytest.raises(ValueError, match=r"chunk_uV must be a C-contiguous float32"):
        bg.add(np.zeros((10, 4)), 0)


def test_sparse_mixing_of_a_wide_array_matches_the_dense_correlation():
    # 16 x 16 contacts at 400 um, lambda = 100 um: the symmetric square root of exp(-d/lambda)
    # is local, so the generator applies it as a sparse matrix (by diagonals, on a grid); the
    # correlations it gives stay within MIX_MAX_CORRELATION_ERROR of exp(-d/lambda)
    from electrode_models.background import MIX_MAX_CORRELATION_ERROR

    grid = np.stack(np.meshgrid(np.arange(16) * 400.0, np.arange(16) * 400.0, [0.0]), -1).reshape(-1, 3)
    sparse = BackgroundNoise(grid, FS, 5.0, 11, length_constant_um=100.0)
    assert sparse._sparse is not None and sparse._sparse[1].size < 0.05 * 256 ** 2
    assert sparse._diagonals is not None          # a grid: few diagonals
    dense = BackgroundNoise(grid, FS, 5.0, 11, length_constant_um=100.0)
    dense._sparse = dense._diagonals = None
    a, b = np.zeros((4000, 256), np.float32), np.zeros((4000, 256), np.float32)
    sparse.add(a, 123)
    dense.add(b, 123)
    m = correlation_mixing_matrix(grid, 100.0)
    d = np.linalg.norm(grid[:, None] - grid[None], axis=2)
    indptr, indices, data = sparse._sparse
    rows = np.zeros((256, 256))
    for c in range(256):
        rows[c, indices[indptr[c]:indptr[c + 1]]] = data[indptr[c]:indptr[c + 1]]
    np.testing.assert_allclose(rows @ rows.T, np.exp(-d / 100.0), atol=MIX_MAX_CORRELATION_ERROR)
    np.testing.assert_allclose(m @ m.T, np.exp(-d / 100.0), atol=1e-9)
    # the signal is the sparse rows' product of the same latent signal as the dense one
    latent = np.linalg.solve(m, b.astype(np.float64).T).T
    np.testing.assert_allclose(a, latent @ rows.T, atol=1e-4 * b.std())


def test_diagonal_and_row_mixing_kernels_agree_with_the_matrix_product():
    from electrode_models._noise_kernels import dia_mix_kernel, sparse_mix_kernel
    from electrode_models.background import _diagonals, _sparse_rows

    rng = np.random.default_rng(3)
    pos = np.zeros((40, 3))
    pos[:, 2] = np.arange(40) * 50.0                      # one shank: a banded matrix
    m = correlation_mixing_matrix(pos, 100.0)
    csr = _sparse_rows(m, max_fill=1.0)
    offsets, diag = _diagonals(csr, m.shape)
    full = np.zeros((40, 40))
    for k, off in enumerate(offsets):
        c = np.arange(max(0, -off), min(40, 40 - off))
        full[c, c + off] = diag[k, c]
    y = rng.standard_normal((301, 40)).astype(np.float32)   # not a multiple of the tiles
    out_dia, out_csr = np.empty_like(y), np.empty_like(y)
    dia_mix_kernel(y, offsets, diag, out_dia)
    sparse_mix_kernel(y, *csr, out_csr)
    want = y.astype(np.float64) @ full.T
    np.testing.assert_allclose(out_dia, want, atol=1e-5)
    np.testing.assert_allclose(out_csr, want, atol=1e-5)
    assert np.abs(full).sum() > np.abs(np.diag(full)).sum()  # the off-diagonals are used


def test_symmetric_square_root_is_local():
    grid = np.stack(np.meshgrid(np.arange(16) * 400.0, np.arange(16) * 400.0, [0.0]), -1).reshape(-1, 3)
    m = correlation_mixing_matrix(grid, 100.0)
    d = np.linalg.norm(grid[:, None] - grid[None], axis=2)
    assert np.abs(m[0, d[0] > 1500.0]).max() < 1e-6 * np.abs(m[0]).max()  # local


def _iir_db(alpha, f):
    """|H| (dB) of the designed cascade, evaluated here with scipy (not the module's code)."""
    a, b, gain_db = design_background_iir(FS, alpha, 10.0)
    sos = np.zeros((a.size, 6))
    sos[:, 0] = sos[:, 3] = 1.0
    sos[:, 1], sos[:, 4] = -b, -a
    _, h = sosfreqz(sos, worN=f, fs=FS)
    return 20 * np.log10(np.abs(h)) + gain_db


@pytest.mark.parametrize("alpha", [1.0, 1.5, 2.0])
def test_iir_response_matches_the_target(alpha):
    # target -10 α log10(max(f, f_c)/f_c) dB; stated tolerance: 0.5 dB over [3 f_c, 0.8 fs/2],
    # 2 dB over [f_c, 0.8 fs/2] (real first-order sections round the corner), 0.5 dB below f_c/3
    f = np.geomspace(10.0, 0.8 * FS / 2, 3000)
    err = _iir_db(alpha, f) - (-10 * alpha * np.log10(f / 10.0))
    assert np.abs(err).max() < 2.0
    assert np.abs(err[f >= 30.0]).max() < 0.5
    lo = np.geomspace(0.1, 3.0, 50)
    assert np.abs(_iir_db(alpha, lo)).max() < 0.5
    a, b, _ = design_background_iir(FS, alpha, 10.0)
    assert np.all((0 < a) & (a < 1)) and np.all(np.abs(b) < 1)   # stable, minimum phase


@pytest.mark.parametrize("alpha", [1.0, 1.5, 2.0])
def test_welch_psd_follows_f_to_the_minus_alpha_within_1_db(alpha):
    # 16 independent contacts x 4 s, Welch 4096-point segments (58 per contact), averaged over
    # contacts and over 1/6-octave bands (>= 2 bins): log-PSD standard error < 0.15 dB per band.
    # The PSD / f^-α, with its mean (the level) removed, must stay within ±1 dB over 50-5000 Hz.
    bg = BackgroundNoise(POS[:1] + np.arange(16)[:, None] * [100.0, 0, 0], FS, 5.0, seed=9,
                         alpha=alpha, length_constant_um=0.0)
    x = _record(bg, 4.0)
    f, p = welch(x, FS, nperseg=4096, axis=0)
    p = p.mean(axis=1)
    edges = np.geomspace(50.0, 5000.0, int(6 * np.log2(100)) + 1)
    fc = np.sqrt(edges[:-1] * edges[1:])
    band = np.array([p[(f >= lo) & (f < hi)].mean() for lo, hi in zip(edges[:-1], edges[1:])])
    dev = 10 * np.log10(band) + 10 * alpha * np.log10(fc)
    dev -= dev.mean()
    assert np.abs(dev).max() < 1.0


def test_stationary_from_the_first_sample():
    # the filter starts from its stationary state: the variance over the first 64 samples equals
    # the process variance g² (2/N) Σ_k |H_k|² (Parseval, one-sided grid incl. f = 0 once);
    # 512 independent contacts, correlation time ~ fs/(2π f_c) >> 64 samples -> ~512 degrees of
    # freedom, standard error ~6 %; tolerance 20 % (a zero start would give << 50 %)
    bg = BackgroundNoise(np.c_[np.arange(512) * 50.0, np.zeros((512, 2))], FS, 5.0, seed=5,
                         alpha=1.5, length_constant_um=0.0)
    x = np.zeros((64, 512), np.float32)
    bg.add(x, 0)
    a, b, _ = design_background_iir(FS, 1.5, 10.0)
    sos = np.zeros((a.size, 6))
    sos[:, 0] = sos[:, 3] = 1.0
    sos[:, 1], sos[:, 4] = -b, -a
    n = 2 ** 20
    _, h = sosfreqz(sos, worN=n // 2, fs=FS)
    p = np.abs(h) ** 2
    var = bg.gain ** 2 * (2 * p.sum() - p[0]) / n
    assert abs((x.astype(float) ** 2).mean() / var - 1) < 0.2


def test_independent_of_the_number_of_threads():
    grid = np.stack(np.meshgrid(np.arange(12) * 400.0, np.arange(12) * 400.0, [0.0]), -1).reshape(-1, 3)
    out = []
    n_max = numba.config.NUMBA_NUM_THREADS
    for threads in sorted({1, n_max}):
        numba.set_num_threads(threads)
        try:
            bg = BackgroundNoise(grid, FS, 5.0, 7, length_constant_um=100.0)
            x = np.zeros((20000, 144), np.float32)
            bg.add(x[:7000], 0)
            bg.add(x[7000:], 7000)
            out.append(x)
        finally:
            numba.set_num_threads(n_max)
    assert all(np.array_equal(out[0], o) for o in out)


def test_lm_step_solves_the_damped_normal_equations():
    # closed form: (JᵀJ + λ diag(JᵀJ)) d = -Jᵀr, solved here with numpy
    from electrode_models.background import _lm_step

    rng = np.random.default_rng(3)
    J, r = rng.standard_normal((60, 7)), rng.standard_normal(60)
    for lam in (0.0, 1e-3, 10.0):
        a = J.T @ J
        a[np.diag_indices(7)] *= 1 + lam
        np.testing.assert_allclose(_lm_step(J, r, lam), np.linalg.solve(a, -J.T @ r), rtol=1e-10)
    assert np.isnan(_lm_step(np.zeros((5, 2)), np.ones(5), 0.0)).all()   # singular: refused


_DESIGN_DIGEST = """
import hashlib, sys, numpy as np
from electrode_models.background import design_background_iir
junk, rng = [], np.random.default_rng(int(sys.argv[1]))
for _ in range(15):             # a different allocation history before each design
    junk.append(np.empty(int(rng.integers(1, 5000))))
    a, b, g = design_background_iir.__wrapped__(30000.0, 1.5, 10.0)
    print(hashlib.sha256(a.tobytes() + b.tobytes() + np.float64(g).tobytes()).hexdigest())
"""


def test_iir_design_is_the_same_bits_in_every_process():
    # regression: scipy's MINPACK gave last-bit differences from process to process (alignment of
    # its work arrays), so the same design and seed gave different background traces
    import subprocess
    import sys

    digests = set()
    for seed in (0, 1):
        digests |= set(subprocess.run([sys.executable, "-c", _DESIGN_DIGEST, str(seed)],
                                      check=True, capture_output=True, text=True).stdout.split())
    assert len(digests) == 1


@pytest.mark.parametrize("kernel", ["diagonals", "rows"])
def test_row_wise_mixing_gives_the_same_bits_for_any_chunking(kernel):
    # sparse mixings are computed up to each chunk's end (segments of blocks, the cascade
    # continued from the frontier): any chunking, in order or not, gives the whole run's bits
    pos = np.stack(np.meshgrid(np.arange(16) * 400.0, np.arange(16) * 400.0, [0.0]), -1).reshape(-1, 3)
    n = 20000

    def generator():
        bg = BackgroundNoise(pos, FS, 5.0, 7)
        assert bg._sparse is not None and bg._diagonals is not None
        if kernel == "rows":
            bg._diagonals = None
        return bg

    whole = np.zeros((n, len(pos)), np.float32)
    generator().add(whole, 0)
    chunked = np.zeros_like(whole)
    bg = generator()
    for a in range(0, n, 1499):
        bg.add(chunked[a:a + 1499], a)
    np.testing.assert_array_equal(chunked, whole)
    shuffled = np.zeros_like(whole)
    bg = generator()
    starts = list(range(0, n, 3001))
    for a in starts[::-1] + starts[:2]:          # backwards, then again from the start
        part = np.zeros((min(3001, n - a), len(pos)), np.float32)
        bg.add(part, a)
        shuffled[a:a + len(part)] = part
    np.testing.assert_array_equal(shuffled, whole)


@pytest.mark.parametrize("n, length_um, spacing_um, path", [(12, 0.0, 20.0, (True, False)),
                                                            (12, 100.0, 20.0, (False, False)),
                                                            (64, 10.0, 100.0, (False, True))],
                         ids=["identity", "dense", "sparse"])
def test_channel_gain_scales_each_contact_and_silences_dead_ones(n, length_um, spacing_um, path):
    """``channel_gain`` multiplies each contact's background (identity, sparse and dense mixings):
    a channel with gain g carries g times the background it would carry otherwise, and 0 on a dead
    channel, the same for any chunking."""
    pos = np.zeros((n, 3))
    pos[:, 2] = -spacing_um * np.arange(n)
    gain = np.linspace(0.0, 2.0, n)
    plain = np.zeros((7000, n), np.float32)
    BackgroundNoise(pos, 30000.0, 6.0, 5, length_constant_um=length_um).add(plain, 0)
    scaled = np.zeros_like(plain)
    gen = BackgroundNoise(pos, 30000.0, 6.0, 5, length_constant_um=length_um, channel_gain=gain)
    assert (gen._identity, gen._sparse is not None) == path   # (identity, sparse) mixing taken
    for a in range(0, 7000, 1750):
        gen.add(scaled[a:a + 1750], a)
    # the gain is folded into the mixing: float32 rounding of the products, ~1e-6 of the 6 uV level
    np.testing.assert_allclose(scaled, plain * gain.astype(np.float32), rtol=1e-5, atol=1e-4)
    assert not scaled[:, 0].any()
    with pytest.raises(ValueError, match="channel_gain must be finite and >= 0"):
        BackgroundNoise(pos, 30000.0, 6.0, 5, channel_gain=-gain)
    with pytest.raises(ValueError, match="channel_gain"):
        BackgroundNoise(pos, 30000.0, 6.0, 5, channel_gain=gain[:3])
