"""Decoding behaviour from neural features: ridge regression and a Kalman filter.

Features are binned neural signals (threshold crossings per channel, spike-band power, ...) of
shape ``(num_bins, num_features)``; targets are kinematics (e.g. cursor velocity) of shape
``(num_bins, num_dims)``. Trials are kept whole when splitting into training and test sets so the
test score is on held-out trials.

Ridge regression, R² and the trial-grouped splits are scikit-learn's (``StandardScaler`` +
``Ridge``, ``r2_score``, ``GroupShuffleSplit``), the field's standard. scikit-learn has no Kalman
filter, so that decoder is written here and tested against the steady-state gain of the discrete
algebraic Riccati equation (``scipy.linalg.solve_discrete_are``).

Kalman filter (Wu et al. 2006): state x_t = A x_{t-1} + w (cov W), observation
y_t = H x_t + q (cov Q); A, W, H, Q fitted by least squares on training data; decoding runs the
standard predict/update recursion. The state includes a constant so the observation model has an
intercept.

References
----------
Wu W, Gao Y, Bienenstock E, Donoghue JP, Black MJ (2006) Neural Comput 18:80-118.
Glaser JI et al. (2020) eNeuro 7:ENEURO.0506-19.2020 (decoder comparison).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["bin_events", "r2_score", "RidgeDecoder", "KalmanDecoder", "split_trials",
           "select_alpha", "evaluate_decoders"]


def bin_events(sample_index: np.ndarray, channel: np.ndarray, num_channels: int, fs_hz: float,
               bin_s: float, duration_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Count events per channel in consecutive bins.

    Returns
    -------
    counts : np.ndarray, shape (num_bins, num_channels)
    bin_start_s : np.ndarray, shape (num_bins,)
    """
    if bin_s <= 0:
        raise ValueError(f"bin_s must be > 0 s, got {bin_s!r}")
    num_bins = int(np.floor(duration_s / bin_s + 1e-9))
    b = np.floor(np.asarray(sample_index) / fs_hz / bin_s).astype(np.int64)
    ok = (b >= 0) & (b < num_bins)
    counts = np.zeros((num_bins, num_channels))
    np.add.at(counts, (b[ok], np.asarray(channel)[ok]), 1.0)
    return counts, np.arange(num_bins) * bin_s


def r2_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination averaged over target dimensions (scikit-learn's; NaN for a
    constant target)."""
    from sklearn.metrics import r2_score as _r2

    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    return float(_r2(y_true, y_pred, multioutput="uniform_average", force_finite=False))


def split_trials(trial_id: np.ndarray, test_fraction: float = 0.25, seed: int = 0):
    """Boolean train/test masks over bins, keeping whole trials together (``GroupShuffleSplit``)."""
    from sklearn.model_selection import GroupShuffleSplit

    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    trial_id = np.asarray(trial_id)
    trials = np.unique(trial_id)
    if len(trials) < 2:
        raise ValueError(f"need at least 2 trials to hold one out, got {len(trials)}")
    n_test = min(len(trials) - 1, max(1, int(round(test_fraction * len(trials)))))
    split = GroupShuffleSplit(n_splits=1, test_size=n_test, random_state=seed)
    _, test_idx = next(split.split(np.zeros(len(trial_id)), groups=trial_id))
    test = np.zeros(len(trial_id), bool)
    test[test_idx] = True
    return ~test, test


class RidgeDecoder:
    """Linear decoder with L2 penalty ``alpha`` on z-scored features, with an intercept
    (scikit-learn ``StandardScaler`` then ``Ridge``; the fitted pipeline is ``model_``)."""

    def __init__(self, alpha: float = 1.0):
        if not alpha >= 0:
            raise ValueError(f"alpha must be >= 0, got {alpha!r}")
        self.alpha = float(alpha)

    def fit(self, x: np.ndarray, y: np.ndarray) -> "RidgeDecoder":
        from sklearn.linear_model import LinearRegression, Ridge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        # alpha = 0 is ordinary least squares (Ridge warns and may be unstable there)
        reg = Ridge(alpha=self.alpha) if self.alpha > 0 else LinearRegression()
        self.model_ = make_pipeline(StandardScaler(), reg).fit(np.asarray(x, float), np.asarray(y, float))
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.model_.predict(np.asarray(x, float))


class KalmanDecoder:
    """Kalman-filter decoder (Wu et al. 2006) of kinematics from features; ``ridge`` regularises H."""

    def __init__(self, ridge: float = 1e-3, shrinkage: float = 0.5):
        if not 0 <= shrinkage <= 1:
            raise ValueError(f"shrinkage must be in [0, 1], got {shrinkage!r}")
        self.ridge = float(ridge)
        self.shrinkage = float(shrinkage)

    def fit(self, x: np.ndarray, y: np.ndarray) -> "KalmanDecoder":
        obs, state = np.asarray(x, float), np.asarray(y, float)
        s = np.column_stack([state, np.ones(len(state))])
        s0, s1 = s[:-1], s[1:]
        self.a_ = np.linalg.lstsq(s0, s1, rcond=None)[0].T
        resid = s1 - s0 @ self.a_.T
        self.w_ = np.cov(resid.T) + 1e-9 * np.eye(s.shape[1])
        self.w_[-1, :] = self.w_[:, -1] = 0.0
        self.w_[-1, -1] = 1e-12
        g = s.T @ s + self.ridge * np.eye(s.shape[1])
        self.h_ = np.linalg.solve(g, s.T @ obs).T
        r = obs - s @ self.h_.T
        q = np.atleast_2d(np.cov(r.T))
        # shrink towards the diagonal: a full covariance of many channels from few bins is noisy
        self.q_ = (1 - self.shrinkage) * q + self.shrinkage * np.diag(np.diag(q)) + 1e-6 * np.eye(obs.shape[1])
        self.x0_ = s.mean(axis=0)
        self.p0_ = np.cov(s.T) + 1e-9 * np.eye(s.shape[1])
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        obs = np.asarray(x, float)
        a, w, h, q = self.a_, self.w_, self.h_, self.q_
        xs, p = self.x0_.copy(), self.p0_.copy()
        out = np.empty((len(obs), len(xs) - 1))
        eye = np.eye(len(xs))
        for t in range(len(obs)):
            xs = a @ xs
            p = a @ p @ a.T + w
            s = h @ p @ h.T + q
            k = np.linalg.solve(s, h @ p).T  # p hᵀ s⁻¹ (s symmetric)
            xs = xs + k @ (obs[t] - h @ xs)
            p = (eye - k @ h) @ p
            out[t] = xs[:-1]
        return out


@dataclass
class DecodingScores:
    ridge_r2: float
    kalman_r2: float
    num_train_bins: int
    num_test_bins: int


def select_alpha(features, target, trial_id, alphas=(0.1, 1.0, 10.0, 100.0, 1000.0, 1e4), seed: int = 0):
    """The ridge penalty with the best R² on trials held out from the training set."""
    inner_train, inner_test = split_trials(trial_id, 0.25, seed + 1)
    scores = [r2_score(target[inner_test], RidgeDecoder(a).fit(features[inner_train], target[inner_train])
                       .predict(features[inner_test])) for a in alphas]
    return float(alphas[int(np.nanargmax(scores))])


def evaluate_decoders(features: np.ndarray, target: np.ndarray, trial_id: np.ndarray,
                      test_fraction: float = 0.25, seed: int = 0, alpha: float | None = None) -> DecodingScores:
    """Fit ridge and Kalman decoders on training trials; R² on held-out trials.

    ``alpha=None`` chooses the ridge penalty by an inner split of the training trials.
    """
    train, test = split_trials(trial_id, test_fraction, seed)
    if alpha is None:
        alpha = select_alpha(features[train], target[train], trial_id[train], seed=seed)
    ridge = RidgeDecoder(alpha).fit(features[train], target[train])
    kalman = KalmanDecoder().fit(features[train], target[train])
    return DecodingScores(ridge_r2=r2_score(target[test], ridge.predict(features[test])),
                          kalman_r2=r2_score(target[test], kalman.predict(features[test])),
                          num_train_bins=int(train.sum()), num_test_bins=int(test.sum()))
