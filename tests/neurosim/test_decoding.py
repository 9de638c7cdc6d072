"""Decoders on synthetic systems whose optimal answers are known."""

import numpy as np
import pytest

from neurosim.decoding import (RidgeDecoder, bin_events, evaluate_decoders, r2_score,
                               split_trials)


def _linear_gaussian(n=3000, n_obs=30, noise=1.0, seed=0):
    """A 2-D AR(1) velocity observed linearly in noise (the Kalman filter's own model)."""
    rng = np.random.default_rng(seed)
    a = 0.95
    v = np.zeros((n, 2))
    for t in range(1, n):
        v[t] = a * v[t - 1] + rng.normal(0, np.sqrt(1 - a**2), 2)
    h = rng.normal(0, 1, (n_obs, 2))
    y = v @ h.T + 3.0 + rng.normal(0, noise, (n, n_obs))
    return v, y


def test_r2_closed_forms():
    y = np.array([[1.0], [2.0], [3.0]])
    assert r2_score(y, y) == 1.0
    assert r2_score(y, np.full_like(y, 2.0)) == pytest.approx(0.0)


def test_ridge_recovers_linear_map_without_noise():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 5))
    w = rng.normal(size=(5, 2))
    y = x @ w + 0.5
    dec = RidgeDecoder(alpha=0.0).fit(x, y)
    assert np.allclose(dec.predict(x), y, atol=1e-9)
    with pytest.raises(ValueError, match="alpha must be >= 0, got -1"):
        RidgeDecoder(-1)


def test_kalman_beats_ridge_on_its_own_model_and_matches_expected_accuracy():
    v, y = _linear_gaussian(noise=4.0)
    trial = np.repeat(np.arange(30), 100)
    scores = evaluate_decoders(y, v, trial, seed=0, alpha=1.0)
    # with smooth dynamics and noisy observations, filtering over time must help
    assert scores.kalman_r2 > scores.ridge_r2 > 0.5
    # per-bin optimal linear estimate: R² = 1 - posterior var / prior var; with 30 observations of
    # noise sd 4 and |h|² ~ 30 per dimension, the static posterior var ~ 16/30 ~ 0.35 -> R² ~ 0.65
    assert 0.5 < scores.ridge_r2 < 0.8


def test_split_trials_keeps_trials_whole():
    trial = np.repeat(np.arange(8), 5)
    train, test = split_trials(trial, 0.25, seed=3)
    assert set(trial[test]).isdisjoint(set(trial[train])) and test.sum() == 10
    with pytest.raises(ValueError, match="at least 2 trials"):
        split_trials(np.zeros(10), 0.25)
    with pytest.raises(ValueError, match=r"test_fraction must be in \(0, 1\)"):
        split_trials(trial, 1.5)


def test_bin_events_counts():
    counts, t = bin_events(np.array([0, 10, 30000, 59999]), np.array([0, 0, 1, 1]), 2, 30000.0, 1.0, 2.0)
    assert counts.tolist() == [[2, 0], [0, 2]] and t.tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match="bin_s must be > 0 s"):
        bin_events(np.array([0]), np.array([0]), 1, 30000.0, 0.0, 1.0)


def test_kalman_recursion_converges_to_the_riccati_steady_state():
    """Reference: the steady-state filter whose predicted covariance solves the discrete algebraic
    Riccati equation (scipy.linalg.solve_discrete_are); the time-varying filter must reach it."""
    from scipy.linalg import solve_discrete_are

    from neurosim.decoding import KalmanDecoder

    rng = np.random.default_rng(4)
    a = np.array([[0.9, 0.1, 0.0], [-0.1, 0.9, 0.0], [0.0, 0.0, 1.0]])  # last state: the constant
    w = np.diag([0.2, 0.2, 0.05])
    h = rng.normal(0, 1, (6, 3))
    q = np.diag(rng.uniform(0.5, 2.0, 6))
    dec = KalmanDecoder()
    dec.a_, dec.w_, dec.h_, dec.q_ = a, w, h, q
    dec.x0_, dec.p0_ = np.array([0.0, 0.0, 1.0]), np.eye(3)
    obs = rng.normal(0, 1, (600, 6))
    out = dec.predict(obs)
    p = solve_discrete_are(a.T, h.T, w, q)  # predicted (prior) covariance in steady state
    k = p @ h.T @ np.linalg.inv(h @ p @ h.T + q)
    x = dec.x0_.copy()
    ref = np.empty_like(out)
    for t in range(len(obs)):
        x = a @ x
        x = x + k @ (obs[t] - h @ x)
        ref[t] = x[:-1]
    # the gains converge geometrically: early bins differ, late bins agree to rounding
    assert np.abs(out[:5] - ref[:5]).max() > 1e-3
    assert np.allclose(out[-100:], ref[-100:], atol=1e-8)


def test_ridge_matches_the_closed_form_on_z_scored_features():
    """W = (ZᵀZ + αI)⁻¹ Zᵀ(Y - Ȳ) with Z the z-scored features (the textbook form)."""
    rng = np.random.default_rng(2)
    x = rng.normal(3, 2, size=(200, 4))
    y = rng.normal(size=(200, 2))
    alpha = 7.0
    z = (x - x.mean(0)) / x.std(0)
    w = np.linalg.solve(z.T @ z + alpha * np.eye(4), z.T @ (y - y.mean(0)))
    x_new = rng.normal(3, 2, size=(10, 4))
    expected = ((x_new - x.mean(0)) / x.std(0)) @ w + y.mean(0)
    assert np.allclose(RidgeDecoder(alpha).fit(x, y).predict(x_new), expected, atol=1e-10)
