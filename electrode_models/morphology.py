"""Reduced multi-compartment cells and their transmembrane currents during a spike.

Each cell is a tree of cylindrical segments in its own frame: soma = segment 0 centred at the
origin, main (apical) axis along +z. During a spike the soma is voltage-clamped to an analytic
action-potential waveform and the passive dendrites are solved as a compartmental cable

    C_i dV_i/dt = -g_L,i V_i + sum_{j ~ i} g_ij (V_j - V_i),      V_0(t) = V_AP(t)

(backward Euler on a fine internal step, dense LU factorised once). The transmembrane current
of a dendritic compartment is ``I_i = C_i dV_i/dt + g_L,i V_i`` (capacitive + leak); the soma's
current is ``I_0 = -sum_{i>0} I_i`` (it stands for the clamp, i.e. the active Na/K currents), so
``sum_i I_i = 0`` at every time (current conservation, as required for a closed cell).

Assumptions
-----------
- Passive dendrites (C_m 1 µF/cm², R_a 150 Ω·cm, R_m 30 kΩ·cm²); all active currents sit in
  the soma (and are represented only by the clamp). Back-propagation is passive.
- AP waveform (mV above rest): asymmetric Gaussian (rise width ``sigma_rise_ms``, fall width
  ``sigma_fall_ms``) minus a Gaussian after-hyperpolarisation. Pyramidal: 100 mV, half-width
  ~0.8 ms, slow 8 mV AHP; interneuron (fast-spiking basket): 90 mV, half-width ~0.27 ms, fast
  15 mV AHP (McCormick et al. 1985 half-widths). Smooth (C1) so the capacitive currents are
  finite.
- All currents are multiplied by ``CURRENT_SCALE[cell_type]`` (pyramidal 2.0, interneuron
  2.5), a documented calibration standing for the branches and spines the reduced trees omit,
  so that amplitudes match published extracellular recordings (see ``CURRENT_SCALE``).
- Currents are sampled instantaneously at ``fs_hz`` (internal step <= 2.5 µs).

References
----------
Henze D. A. et al. (2000) Intracellular features predicted by extracellular recordings in the
hippocampus in vivo. J Neurophysiol 84, 390-400.
Holt G. R. & Koch C. (1999) J Comput Neurosci 6, 169-184.
Gold C., Henze D. A., Koch C., Buzsáki G. (2006) On the origin of the extracellular action
potential waveform. J Neurophysiol 95, 3113-3128.
McCormick D. A. et al. (1985) Comparative electrophysiology of pyramidal and sparsely spiny
stellate neurons of the neocortex. J Neurophysiol 54, 782-806.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import lu_factor, lu_solve

from ._validation import check_option, check_range

logger = logging.getLogger(__name__)

CELL_TYPES = ("pyramidal", "interneuron")

#: Current multiplier k per cell type (dimensionless). The reduced trees omit most dendritic
#: branches and spines; multiplying every C, g_L and axial conductance by k (k identical trees
#: in parallel at the same place) multiplies every transmembrane current by exactly k. k is
#: chosen so that the peak-negative amplitude lands in the published range (pyramidal
#: >= 100 µV within ~30 µm of the soma, tens of µV at 50-100 µm: Henze et al. 2000, Gold et
#: al. 2006); the passive reduced trees alone give ~80 µV at 30 µm.
CURRENT_SCALE = {"pyramidal": 2.0, "interneuron": 2.5}

#: AP waveform parameters per cell type (mV, ms).
AP_SHAPES = {
    "pyramidal": dict(amplitude_mV=100.0, sigma_rise_ms=0.2, sigma_fall_ms=0.5,
                      ahp_mV=8.0, ahp_delay_ms=1.5, ahp_sigma_ms=0.8),
    "interneuron": dict(amplitude_mV=90.0, sigma_rise_ms=0.08, sigma_fall_ms=0.15,
                        ahp_mV=15.0, ahp_delay_ms=0.5, ahp_sigma_ms=0.25),
}


@dataclass(frozen=True)
class Morphology:
    """Cell geometry as a tree of cylinders (cell frame, µm; main axis +z).

    Attributes
    ----------
    cell_type : str
    start_um, end_um : np.ndarray, shape (n_seg, 3), segment end points (µm).
    diam_um : np.ndarray, shape (n_seg,), diameters (µm).
    parent : np.ndarray, shape (n_seg,), int, parent segment index (-1 for the soma, segment 0).
    """

    cell_type: str
    start_um: np.ndarray
    end_um: np.ndarray
    diam_um: np.ndarray
    parent: np.ndarray

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


class _Builder:
    def __init__(self, cell_type: str, soma_diam_um: float):
        h = soma_diam_um / 2.0
        self.cell_type = cell_type
        self.start = [np.array([0.0, 0.0, -h])]
        self.end = [np.array([0.0, 0.0, h])]
        self.diam = [soma_diam_um]
        self.parent = [-1]

    def branch(self, origin, direction, length_um, d0_um, d1_um, seg_len_um=20.0, parent=0):
        direction = np.asarray(direction, float) / np.linalg.norm(direction)
        n = max(1, int(round(length_um / seg_len_um)))
        p = parent
        for k in range(n):
            a = np.asarray(origin, float) + direction * length_um * k / n
            b = np.asarray(origin, float) + direction * length_um * (k + 1) / n
            self.start.append(a)
            self.end.append(b)
            self.diam.append(d0_um + (d1_um - d0_um) * (k + 0.5) / n)
            self.parent.append(p)
            p = len(self.diam) - 1
        return p

    def build(self) -> Morphology:
        return Morphology(self.cell_type, np.array(self.start), np.array(self.end),
                          np.array(self.diam, float), np.array(self.parent, dtype=np.int64))


def pyramidal_morphology() -> Morphology:
    """Layer-5-like pyramidal cell: 20 µm soma (cylinder L = d), 600 µm apical trunk tapering
    4 -> 1.5 µm, two 150 µm apical tuft branches, 5 basal dendrites (180 µm, d 1.5 µm) pointing
    30° below the horizontal, and a 40 µm axon initial segment (d 1.2 µm) along -z."""
    b = _Builder("pyramidal", 20.0)
    top = b.branch([0, 0, 10.0], [0, 0, 1], 600.0, 5.0, 1.5)
    tip = b.end[top]
    for az in (0.0, math.pi):
        b.branch(tip, [math.cos(az), math.sin(az), 1.0], 150.0, 1.2, 0.8, parent=top)
    for k in range(6):
        az = 2 * math.pi * k / 6
        d = np.array([math.cos(az) * math.cos(math.pi / 6), math.sin(az) * math.cos(math.pi / 6),
                      -math.sin(math.pi / 6)])
        b.branch(10.0 * d, d, 200.0, 2.0, 1.2)
    b.branch([0, 0, -10.0], [0, 0, -1], 40.0, 1.2, 1.2)
    return b.build()


def interneuron_morphology() -> Morphology:
    """Basket-like interneuron: 14 µm soma, 7 dendrites of 120 µm (d 1.0 µm) radiating along
    Fibonacci-sphere directions (near-spherical symmetry, hence a weak far field)."""
    b = _Builder("interneuron", 14.0)
    n = 7
    for k in range(n):
        z = 1.0 - 2.0 * (k + 0.5) / n
        r = math.sqrt(1.0 - z * z)
        az = k * math.pi * (3.0 - math.sqrt(5.0))
        d = np.array([r * math.cos(az), r * math.sin(az), z])
        b.branch(7.0 * d, d, 120.0, 1.0, 1.0)
    return b.build()


def get_morphology(cell_type: str) -> Morphology:
    """Return the morphology of ``cell_type`` (``'pyramidal'`` or ``'interneuron'``)."""
    check_option("cell_type", cell_type, CELL_TYPES)
    return pyramidal_morphology() if cell_type == "pyramidal" else interneuron_morphology()


def action_potential_mV(t_ms: np.ndarray, cell_type: str, spike_peak_ms: float = 1.0) -> np.ndarray:
    """Somatic AP waveform (mV above rest) at times ``t_ms``; see the module Assumptions."""
    check_option("cell_type", cell_type, CELL_TYPES)
    p = AP_SHAPES[cell_type]
    dt = np.asarray(t_ms, float) - spike_peak_ms
    sig = np.where(dt < 0.0, p["sigma_rise_ms"], p["sigma_fall_ms"])
    v = p["amplitude_mV"] * np.exp(-0.5 * (dt / sig) ** 2)
    return v - p["ahp_mV"] * np.exp(-0.5 * ((dt - p["ahp_delay_ms"]) / p["ahp_sigma_ms"]) ** 2)


def transmembrane_currents(morph: Morphology, fs_hz: float, duration_ms: float = 3.0,
                           spike_peak_ms: float = 1.0, cm_uF_per_cm2: float = 1.0,
                           ra_ohm_cm: float = 150.0, rm_ohm_cm2: float = 30000.0,
                           max_step_us: float = 2.5,
                           current_scale: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Transmembrane currents of every segment during one somatic action potential.

    Parameters
    ----------
    morph : Morphology
    fs_hz : float, output sampling rate (Hz), in [1e3, 1e6].
    duration_ms : float, length of the output (ms), in (0, 1000].
    spike_peak_ms : float, time of the somatic AP peak (ms), in [0, duration_ms].
    cm_uF_per_cm2, ra_ohm_cm, rm_ohm_cm2 : float, passive parameters (> 0).
    max_step_us : float, largest internal backward-Euler step (µs).
    current_scale : float, optional, membrane multiplier k >= 0 applied to all currents
        (default ``CURRENT_SCALE[cell_type]``; see that constant). Use 1.0 for the bare tree.

    Returns
    -------
    currents_nA : np.ndarray, shape (n_seg, n_samples), outward positive; sums to 0 over axis 0.
    t_ms : np.ndarray, shape (n_samples,), sample times (ms), ``n_samples = round(duration * fs)``.

    Notes
    -----
    Axial conductance between a segment and its parent:
    ``g = 1 / (R_a (L_i/2) / (pi d_i^2/4) + R_a (L_p/2) / (pi d_p^2/4))``; membrane
    ``C_i = c_m pi d_i L_i``, ``g_L,i = pi d_i L_i / R_m``.
    """
    fs_hz = check_range("fs_hz", fs_hz, 1e3, 1e6, "Hz")
    duration_ms = check_range("duration_ms", duration_ms, 0.0, 1000.0, "ms", low_inclusive=False)
    spike_peak_ms = check_range("spike_peak_ms", spike_peak_ms, 0.0, duration_ms, "ms")
    cm = check_range("cm_uF_per_cm2", cm_uF_per_cm2, 0.0, None, "µF/cm²", low_inclusive=False)
    ra = check_range("ra_ohm_cm", ra_ohm_cm, 0.0, None, "Ω·cm", low_inclusive=False)
    rm = check_range("rm_ohm_cm2", rm_ohm_cm2, 0.0, None, "Ω·cm²", low_inclusive=False)
    max_step_us = check_range("max_step_us", max_step_us, 0.01, 100.0, "µs")
    if current_scale is None:
        current_scale = CURRENT_SCALE.get(morph.cell_type, 1.0)
    current_scale = check_range("current_scale", current_scale, 0.0, 1000.0)

    n = morph.n_seg
    L_cm = morph.length_um * 1e-4
    d_cm = morph.diam_um * 1e-4
    area_cm2 = math.pi * d_cm * L_cm
    C = cm * 1e-6 * area_cm2           # F
    gL = area_cm2 / rm                 # S
    half_r = ra * (L_cm / 2.0) / (math.pi * d_cm ** 2 / 4.0)   # Ω
    G = np.zeros((n, n))
    for i in range(1, n):
        p = morph.parent[i]
        g = 1.0 / (half_r[i] + half_r[p])
        G[i, i] += g
        G[p, p] += g
        G[i, p] -= g
        G[p, i] -= g

    n_samples = int(round(duration_ms * 1e-3 * fs_hz))
    sub = max(1, int(math.ceil(1e6 / fs_hz / max_step_us)))
    dt = 1.0 / fs_hz / sub             # s
    t_ms = np.arange(n_samples) / fs_hz * 1e3
    t_fine_ms = np.arange(n_samples * sub + 1) * dt * 1e3
    vs = action_potential_mV(t_fine_ms, morph.cell_type, spike_peak_ms) * 1e-3   # V

    D = slice(1, n)
    A = np.diag(C[D] / dt + gL[D]) + G[D, D]
    lu = lu_factor(A)
    coup = -G[D, 0]                    # conductance of each dendritic compartment to the soma
    v = np.zeros(n - 1)
    cur = np.zeros((n, n_samples))
    for step in range(1, n_samples * sub + 1):
        v_new = lu_solve(lu, C[D] / dt * v + coup * vs[step])
        m, rem = divmod(step, sub)
        if rem == 0 and m < n_samples:
            cur[D, m] = (C[D] * (v_new - v) / dt + gL[D] * v_new) * 1e9   # nA
        v = v_new
    cur *= current_scale
    cur[0] = -cur[D].sum(axis=0)
    logger.debug("%s currents: %d seg, %d samples, peak soma %.2f nA", morph.cell_type, n,
                 n_samples, cur[0].min())
    return cur, t_ms
