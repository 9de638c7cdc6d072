"""Multi-compartment cells and their transmembrane currents during a spike.

Each cell is a tree of cylindrical segments in its own frame: soma = segment 0 centred at the
origin, main (apical) axis along +z. During a spike the soma is voltage-clamped to an analytic
action-potential waveform and the passive dendrites are solved as a compartmental cable

    C_i dV_i/dt = -g_L,i V_i + sum_{j ~ i} g_ij (V_j - V_i),      V_0(t) = V_AP(t)

The transmembrane current of a dendritic compartment is ``I_i = C_i dV_i/dt + g_L,i V_i``
(capacitive + leak) = the net axial current flowing into it; the soma's current is
``I_0 = -sum_{i>0} I_i`` (it stands for the clamp, i.e. the active Na/K currents), so
``sum_i I_i = 0`` at every time (current conservation, as required for a closed cell).

Solution (exact for an input linear between fine steps)
-------------------------------------------------------
With ``K = diag(g_L) + G_DD`` (the dendritic block of the axial Laplacian) and ``C`` the
capacitances, ``C^-1/2 K C^-1/2 = Q diag(lambda) Q^T`` decouples the cable into modes
``y_k' = -lambda_k y_k + b_k V_AP(t)``, ``b = Q^T C^-1/2 g_D0``. Each mode is integrated exactly
over fine steps of at most ``max_step_us`` with a first-order hold on V_AP (no stability or
stiffness limit; error O(h^2 V_AP''): 1.2e-4 of the peak current at the default 2.5 µs against a
Radau solution of the full cable, see the tests), then ``V = C^-1/2 Q y`` and
``I_D = -G_DD V + g_D0 V_AP``.

Action potential (mV above rest)
--------------------------------
    V_AP(t) = A exp(-(t - t_p)^2 / (2 sigma^2)) - A_ahp exp(-(t - t_p - delay)^2 / (2 s_ahp^2))

with ``sigma = sigma_rise_ms`` before the peak ``t_p`` and ``sigma_fall_ms`` after it (smooth,
C1, so the capacitive currents are finite). The half-width is ``1.1774 (sigma_rise +
sigma_fall)`` (without the AHP), and the ratio of the largest rising to falling slope is
``sigma_fall / sigma_rise``. The parameters of each cell class and variant live in
`electrode_models.cells`.

Assumptions
-----------
- Passive dendrites (C_m 1 µF/cm², R_a 150 Ω·cm, R_m 10 kΩ·cm²); all active currents sit in
  the soma (and are represented only by the clamp). Back-propagation is passive. R_m is the
  effective in vivo value: background synaptic activity lowers the input resistance of
  neocortical pyramidal cells about five-fold against slices (Destexhe & Paré 1999), so
  R_m ~ 30 kΩ·cm² measured in vitro becomes ~6-10 kΩ·cm² (membrane time constant 10 ms).
- All currents are multiplied by ``ap["current_scale"]`` (k), a documented calibration standing
  for the branches and spines the reduced trees omit: multiplying every C, g_L and axial
  conductance by k (k identical trees in parallel at the same place) multiplies every
  transmembrane current by exactly k.
- Currents are sampled instantaneously at ``fs_hz``.

References
----------
Holt G. R. & Koch C. (1999) Electrical interactions via the extracellular potential near cell
bodies. J Comput Neurosci 6, 169-184.
Gold C., Henze D. A., Koch C., Buzsáki G. (2006) On the origin of the extracellular action
potential waveform. J Neurophysiol 95, 3113-3128.
Destexhe A. & Paré D. (1999) Impact of network activity on the integrative properties of
neocortical pyramidal neurons in vivo. J Neurophysiol 81, 1531-1547.
McCormick D. A. et al. (1985) Comparative electrophysiology of pyramidal and sparsely spiny
stellate neurons of the neocortex. J Neurophysiol 54, 782-806 (half-widths 0.80 ms regular
spiking, 0.32 ms fast spiking; rise/fall rate ratio 4.12 regular spiking).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from ._cable_kernels import modal_response
from ._validation import check_array, check_range

logger = logging.getLogger(__name__)

#: Keys of an action-potential parameter dict (units in the names; ``current_scale`` is k).
AP_KEYS = ("amplitude_mV", "sigma_rise_ms", "sigma_fall_ms", "ahp_mV", "ahp_delay_ms",
           "ahp_sigma_ms", "current_scale")
_AP_RANGES = {"amplitude_mV": (1.0, 200.0, "mV"), "sigma_rise_ms": (0.01, 5.0, "ms"),
              "sigma_fall_ms": (0.01, 5.0, "ms"), "ahp_mV": (0.0, 100.0, "mV"),
              "ahp_delay_ms": (0.0, 50.0, "ms"), "ahp_sigma_ms": (0.01, 50.0, "ms"),
              "current_scale": (0.0, 1000.0, "")}


def check_ap_params(ap) -> dict:
    """Return a validated copy of an action-potential parameter dict (keys ``AP_KEYS``).

    Ranges: amplitude_mV [1, 200] mV, sigma_rise_ms and sigma_fall_ms [0.01, 5] ms, ahp_mV
    [0, 100] mV, ahp_delay_ms [0, 50] ms, ahp_sigma_ms [0.01, 50] ms, current_scale [0, 1000].
    """
    if not isinstance(ap, dict):
        raise TypeError(f"ap must be a dict with keys {list(AP_KEYS)}, got {type(ap).__name__}")
    missing = [k for k in AP_KEYS if k not in ap]
    if missing:
        raise ValueError(f"ap must have the keys {list(AP_KEYS)}, missing {missing}")
    return {k: check_range(f"ap['{k}']", ap[k], lo, hi, unit)
            for k, (lo, hi, unit) in _AP_RANGES.items()}


@dataclass(frozen=True)
class Morphology:
    """Cell geometry as a tree of cylinders (cell frame, µm; main axis +z).

    Attributes
    ----------
    cell_type : str
        Cell class name (see `electrode_models.cells.CELL_CLASSES`).
    start_um, end_um : np.ndarray, shape (n_seg, 3)
        Segment end points (µm). Segment 0 is the soma, centred at the origin.
    diam_um : np.ndarray, shape (n_seg,)
        Diameters (µm).
    parent : np.ndarray, shape (n_seg,), int
        Parent segment index (-1 for the soma, segment 0; parents precede children).
    """

    cell_type: str
    start_um: np.ndarray
    end_um: np.ndarray
    diam_um: np.ndarray
    parent: np.ndarray

    def __post_init__(self):
        n = np.asarray(self.diam_um).shape[0] if np.ndim(self.diam_um) == 1 else -1
        check_array("diam_um", self.diam_um, ndim=1)
        check_array("start_um", self.start_um, shape=(n, 3))
        check_array("end_um", self.end_um, shape=(n, 3))
        par = check_array("parent", self.parent, shape=(n,))
        if n < 1 or par[0] != -1 or np.any(par[1:] < 0) or np.any(par[1:] >= np.arange(1, n)):
            raise ValueError("parent must be -1 for segment 0 and in [0, i) for segment i > 0")
        if not np.all(np.asarray(self.diam_um) > 0):
            raise ValueError(f"diam_um must be > 0 µm, got minimum {np.min(self.diam_um)!r}")

    @property
    def n_seg(self) -> int:
        return int(self.diam_um.shape[0])

    @property
    def length_um(self) -> np.ndarray:
        return np.linalg.norm(self.end_um - self.start_um, axis=1)

    @property
    def area_um2(self) -> np.ndarray:
        """Lateral membrane area of each cylinder, pi d L (µm²)."""
        return math.pi * self.diam_um * self.length_um


class MorphologyBuilder:
    """Grows a `Morphology`: a cylindrical soma along z, then unbranched cables.

    Parameters
    ----------
    cell_type : str
    soma_diam_um : float
        Soma diameter = length of the soma cylinder (µm).
    """

    def __init__(self, cell_type: str, soma_diam_um: float):
        h = soma_diam_um / 2.0
        self.cell_type = cell_type
        self.start = [np.array([0.0, 0.0, -h])]
        self.end = [np.array([0.0, 0.0, h])]
        self.diam = [float(soma_diam_um)]
        self.parent = [-1]

    def branch(self, origin, direction, length_um, d0_um, d1_um, seg_len_um=25.0, parent=0) -> int:
        """Add a straight cable of ``length_um`` from ``origin`` along ``direction``, diameter
        tapering linearly d0 -> d1, cut into segments of at most ``seg_len_um``; return the index
        of its last segment (the parent of what grows from its tip)."""
        direction = np.asarray(direction, float) / np.linalg.norm(direction)
        origin = np.asarray(origin, float)
        n = max(1, int(math.ceil(length_um / seg_len_um - 1e-9)))
        p = parent
        for k in range(n):
            self.start.append(origin + direction * length_um * k / n)
            self.end.append(origin + direction * length_um * (k + 1) / n)
            self.diam.append(d0_um + (d1_um - d0_um) * (k + 0.5) / n)
            self.parent.append(p)
            p = len(self.diam) - 1
        return p

    def tip(self, seg: int) -> np.ndarray:
        return self.end[seg]

    def build(self) -> Morphology:
        return Morphology(self.cell_type, np.array(self.start), np.array(self.end),
                          np.array(self.diam, float), np.array(self.parent, dtype=np.int64))


def action_potential_mV(t_ms, ap: dict, spike_peak_ms: float = 1.0) -> np.ndarray:
    """Somatic AP waveform (mV above rest) at times ``t_ms`` (ms); see the module docstring.

    Parameters
    ----------
    t_ms : array
        Times (ms).
    ap : dict
        Action-potential parameters (keys ``AP_KEYS``, see `check_ap_params`).
    spike_peak_ms : float
        Time of the AP peak (ms).
    """
    p = check_ap_params(ap)
    return _ap_mV(np.asarray(t_ms, float), p, float(spike_peak_ms))


def _ap_mV(t_ms: np.ndarray, p: dict, spike_peak_ms: float) -> np.ndarray:
    dt = t_ms - spike_peak_ms
    sig = np.where(dt < 0.0, p["sigma_rise_ms"], p["sigma_fall_ms"])
    v = p["amplitude_mV"] * np.exp(-0.5 * (dt / sig) ** 2)
    return v - p["ahp_mV"] * np.exp(-0.5 * ((dt - p["ahp_delay_ms"]) / p["ahp_sigma_ms"]) ** 2)


def _cable_matrices(morph: Morphology, cm: float, ra: float, rm: float):
    """Capacitance C (F), leak g_L (S) and axial Laplacian G (S), shape (n, n)."""
    n = morph.n_seg
    L_cm = morph.length_um * 1e-4
    d_cm = morph.diam_um * 1e-4
    area_cm2 = math.pi * d_cm * L_cm
    C = cm * 1e-6 * area_cm2
    gL = area_cm2 / rm
    half_r = ra * (L_cm / 2.0) / (math.pi * d_cm ** 2 / 4.0)   # Ω
    G = np.zeros((n, n))
    i = np.arange(1, n)
    p = morph.parent[1:]
    g = 1.0 / (half_r[i] + half_r[p])
    np.add.at(G, (i, i), g)
    np.add.at(G, (p, p), g)
    np.add.at(G, (i, p), -g)
    np.add.at(G, (p, i), -g)
    return C, gL, G


def transmembrane_currents(morph: Morphology, ap: dict, fs_hz: float, duration_ms: float = 3.0,
                           spike_peak_ms: float = 1.0, cm_uF_per_cm2: float = 1.0,
                           ra_ohm_cm: float = 150.0, rm_ohm_cm2: float = 10000.0,
                           max_step_us: float = 2.5,
                           current_scale: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Transmembrane currents of every segment during one somatic action potential.

    Parameters
    ----------
    morph : Morphology
    ap : dict
        Action-potential parameters (keys ``AP_KEYS``; see `check_ap_params`), e.g. the
        second item of `electrode_models.cells.cell_variant`.
    fs_hz : float
        Output sampling rate (Hz), in [1e3, 1e6].
    duration_ms : float
        Length of the output (ms), in (0, 1000].
    spike_peak_ms : float
        Time of the somatic AP peak (ms), in [0, duration_ms].
    cm_uF_per_cm2, ra_ohm_cm, rm_ohm_cm2 : float
        Passive parameters (> 0).
    max_step_us : float
        Largest internal step (µs), in [0.01, 100].
    current_scale : float, optional
        Membrane multiplier k in [0, 1000] applied to all currents (default
        ``ap["current_scale"]``). Use 1.0 for the bare tree.

    Returns
    -------
    currents_nA : np.ndarray, shape (n_seg, n_samples)
        Outward positive; sums to 0 over axis 0.
    t_ms : np.ndarray, shape (n_samples,)
        Sample times (ms), ``n_samples = round(duration * fs)``.

    Notes
    -----
    Axial conductance between a segment and its parent:
    ``g = 1 / (R_a (L_i/2) / (pi d_i^2/4) + R_a (L_p/2) / (pi d_p^2/4))``; membrane
    ``C_i = c_m pi d_i L_i``, ``g_L,i = pi d_i L_i / R_m``.
    """
    p = check_ap_params(ap)
    fs_hz = check_range("fs_hz", fs_hz, 1e3, 1e6, "Hz")
    duration_ms = check_range("duration_ms", duration_ms, 0.0, 1000.0, "ms", low_inclusive=False)
    spike_peak_ms = check_range("spike_peak_ms", spike_peak_ms, 0.0, duration_ms, "ms")
    cm = check_range("cm_uF_per_cm2", cm_uF_per_cm2, 0.0, None, "µF/cm²", low_inclusive=False)
    ra = check_range("ra_ohm_cm", ra_ohm_cm, 0.0, None, "Ω·cm", low_inclusive=False)
    rm = check_range("rm_ohm_cm2", rm_ohm_cm2, 0.0, None, "Ω·cm²", low_inclusive=False)
    max_step_us = check_range("max_step_us", max_step_us, 0.01, 100.0, "µs")
    k_scale = p["current_scale"] if current_scale is None else current_scale
    k_scale = check_range("current_scale", k_scale, 0.0, 1000.0)

    n = morph.n_seg
    n_samples = int(round(duration_ms * 1e-3 * fs_hz))
    t_ms = np.arange(n_samples) / fs_hz * 1e3
    cur = np.zeros((n, n_samples))
    if n > 1 and n_samples:
        C, gL, G = _cable_matrices(morph, cm, ra, rm)
        sub = max(1, int(math.ceil(1e6 / fs_hz / max_step_us)))
        h = 1.0 / fs_hz / sub                                           # s
        t_fine_ms = np.arange((n_samples - 1) * sub + 1) * h * 1e3
        u = _ap_mV(t_fine_ms, p, spike_peak_ms) * 1e-3                   # V
        D = slice(1, n)
        cs = np.sqrt(C[D])
        K = np.diag(gL[D]) + G[D, D]
        lam, Q = np.linalg.eigh(K / np.outer(cs, cs))                    # 1/s
        coup = -G[D, 0]
        b = Q.T @ (coup / cs)
        x = lam * h
        decay = np.exp(-x)
        one_minus = -np.expm1(-x)                                        # 1 - e^{-x}
        w_next = (x - one_minus) / (x * lam)                             # ∫ e^{-λ(h-s)} s/h ds
        w_now = one_minus / lam - w_next
        y = modal_response(u, decay, w_now, w_next, b, sub, n_samples)
        v = (Q @ y) / cs[:, None]                                        # V, (n-1, n_samples)
        u_out = u[::sub][:n_samples]
        cur[D] = (-G[D, D] @ v + np.outer(coup, u_out)) * 1e9 * k_scale  # nA
        cur[0] = -cur[D].sum(axis=0)
    logger.debug("%s currents: %d seg, %d samples, peak soma %.2f nA", morph.cell_type, n,
                 n_samples, cur[0].min() if cur.size else 0.0)
    return cur, t_ms
