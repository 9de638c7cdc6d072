"""A library of cortical cell classes with per-cell morphological and spike-shape diversity.

Seven classes (``CELL_CLASSES``; the class code of a cell is its index there):

========  ===================================================  ==============================
code      class                                                built-in morphology
========  ===================================================  ==============================
L23_PC    layer 2/3 pyramidal cell                             short apical trunk + tuft
L4_SS     layer 4 spiny stellate cell                          multipolar, no apical dendrite
L5_TTPC   layer 5 thick-tufted pyramidal cell                  long thick apical trunk + tuft
L6_PC     layer 6 pyramidal cell                               medium apical trunk, small tuft
BC        basket cell (PV, fast spiking)                       multipolar
MC        Martinotti cell (SST, non fast spiking)              bitufted + ascending axon
ChC       chandelier cell (PV, fast spiking)                   vertically bitufted
========  ===================================================  ==============================

Built-in morphologies are **parametric** (no reconstruction is shipped): each class is a
generator whose parameters (soma size; number, length, diameter and angles of the apical,
oblique, tuft, basal or multipolar dendrites; axon initial segment) and action-potential
parameters (half-width, rise/fall asymmetry, amplitude, after-hyperpolarisation, current scale)
are drawn per *variant* from the class ranges in ``CLASS_PARAMETERS`` / ``AP_PARAMETERS``.
`cell_variant` is a pure function of (class, variant) (its generator is seeded by both);
variant 0 is the class prototype (every parameter at the centre of its range). Templates then
add per-cell diversity through the orientation (tilt) and the spin about the cell's own axis
(`draw_spin_rad`).

Reconstructed morphologies
--------------------------
`load_swc` reads an SWC file, the format of NeuroMorpho.org reconstructions, also read by
LFPy/NEURON's Import3d; the Blue Brain cell models that MEArec uses come as Neurolucida ASC files
that MorphIO or NeuroM write out as SWC. It centres the soma at the origin, optionally aligns the
apical dendrite with +z and merges points into segments of at most ``max_segment_um``. Pair it with an AP of its class, e.g.
``ap = dict(cell_variant("L5_TTPC", 0)[1], current_scale=1.0)`` (a full reconstruction carries
its whole membrane, so k = 1), and pass ``library=[(morph, ap), ...]`` to
`electrode_models.templates.compute_templates`: a cell of class c then uses the library
entries of class c (entry ``variant mod count``) instead of the built-in variants.

Assumptions
-----------
- The extracellular spike is shaped by the somatic AP (clamped, see
  `electrode_models.morphology`) and the passive tree; dendritic active currents are
  omitted. The reduced trees carry less membrane than real cells (spines, fine branches); the
  class ``current_scale`` k (parallel copies of the tree: L2/3 3.8, L4 6.0, L5 2.4, L6 4.0,
  BC 4.2, MC 5.0, ChC 5.5) calibrates the amplitude against published extracellular
  recordings: pyramidal cells >= ~100 µV within ~30 µm of the soma and tens of µV at 100 µm
  (Henze et al. 2000; Gold et al. 2006; Pettersen & Einevoll 2008), interneurons smaller at the
  same distance. Class medians over the 16 variants at 30 µm: L2/3 -132, L4 -79, L5 -211,
  L6 -127, BC -64, MC -51, ChC -52 µV; at 100 µm L5 -17.8 µV. Per variant k varies
  log-uniformly within x/÷ 1.35.
- AP half-widths at the soma: excitatory cells 0.40-0.60 ms with a fall/rise slope ratio of
  2.5-4 (4.12 regular spiking: McCormick et al. 1985), fast-spiking basket and chandelier cells
  0.15-0.26 ms (ratio 1.2-1.8) with a fast, deep AHP, Martinotti cells 0.30-0.45 ms (SST cells
  are broader than FS cells: Ma et al. 2006). The passive dendrites lengthen the extracellular
  trough-to-peak width by ~40 % over the somatic AP, so these half-widths lie below the in vitro
  values (0.80 ms regular spiking, 0.32 ms fast spiking: McCormick et al. 1985) by design: they
  put the extracellular trough-to-peak widths in the published groups, narrow < 0.4 ms (BC
  0.28, ChC 0.27 ms medians) and broad 0.5-0.9 ms (pyramidal and stellate 0.67-0.77 ms
  medians), Martinotti cells in between (0.50 ms) (Barthó et al. 2004; Nowak et al. 2003).
- Morphological ranges follow rat/mouse somatosensory and visual cortex reconstructions:
  pyramidal dendrites (Larkman 1991; Oberlaender et al. 2012: L2/3 apical ~150-300 µm to the
  tuft, L5 thick-tufted 700-1100 µm with a 3.5-5.5 µm trunk, L6 300-600 µm), spiny stellate
  cells without apical dendrite (Staiger et al. 2004), multipolar basket cells (Wang et al.
  2002), bitufted Martinotti cells with an axon ascending to layer 1 (Wang et al. 2004) and
  vertically oriented chandelier cells (Taniguchi et al. 2013).
- Class mix (`assign_cell_classes`): excitatory cells take the class of their layer; in
  layer 4, 58 % spiny stellate and 42 % star-pyramidal/pyramidal cells whose apical dendrite
  reaches layer 2/3 (Staiger et al. 2004), modelled as L23_PC. Inhibitory cells: PV 40 %,
  SST 30 %, 5HT3aR 30 % (Rudy et al. 2011; Tremblay et al. 2016). PV cells are basket cells
  except chandelier cells, taken as 10 % of PV (a rare type: Markram et al. 2004; Tremblay et
  al. 2016); SST and 5HT3aR cells (both non fast spiking, with broader spikes and vertically
  oriented dendrites) use the MC class; layer-1 interneurons are all 5HT3aR (Tremblay et al.
  2016), hence MC.

References
----------
Barthó P. et al. (2004) J Neurophysiol 92, 600-608. Nowak L. G. et al. (2003) J Neurophysiol 89,
1541-1566. Henze D. A. et al. (2000) J Neurophysiol 84, 390-400. Gold C. et al. (2006) J Neurophysiol 95, 3113-3128. Pettersen K. H. & Einevoll
G. T. (2008) Biophys J 94, 784-802. McCormick D. A. et al. (1985) J Neurophysiol 54, 782-806.
Ma Y. et al. (2006) J Neurosci 26, 5069-5082. Larkman A. U. (1991) J Comp Neurol 306, 307-319.
Oberlaender M. et al. (2012) Cereb Cortex 22, 2375-2391. Staiger J. F. et al. (2004) Cereb
Cortex 14, 690-701. Wang Y. et al. (2002) Cereb Cortex 12, 395-410. Wang Y. et al. (2004)
J Physiol 561, 65-90. Taniguchi H. et al. (2013) Science 339, 70-74. Markram H. et al. (2004)
Nat Rev Neurosci 5, 793-807. Rudy B. et al. (2011)
Dev Neurobiol 71, 45-61. Tremblay R., Lee S., Rudy B. (2016) Neuron 91, 260-292.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ._validation import check_array, check_int, check_option
from .morphology import AP_KEYS, Morphology, MorphologyBuilder
from .swc import read_swc, swc_to_segments

CELL_CLASSES: tuple[str, ...] = ("L23_PC", "L4_SS", "L5_TTPC", "L6_PC", "BC", "MC", "ChC")
EXCITATORY_CLASSES: tuple[str, ...] = CELL_CLASSES[:4]
#: Legacy two-type names still accepted wherever a class is: pyramidal -> L5_TTPC,
#: interneuron -> BC (variant 0 unless told otherwise).
CLASS_ALIASES = {"pyramidal": "L5_TTPC", "interneuron": "BC"}
#: Default number of morphological variants per class (`draw_variants`).
NUM_VARIANTS: int = 16
#: Largest variant index accepted (variants are int16).
MAX_VARIANT = 2 ** 15 - 1

#: Inhibitory class mix below layer 1 (fractions of interneurons; see the module Assumptions).
INHIBITORY_MIX = {"BC": 0.36, "MC": 0.60, "ChC": 0.04}
#: Fraction of layer-4 excitatory cells that are spiny stellate (Staiger et al. 2004).
L4_STELLATE_FRACTION = 0.58

_SEED = 20261122  # salt of the per-(class, variant) generator
#: Longest segment of the built-in trees (µm): dendrites near the soma / apical trunk, tuft and
#: axon (line sources and cable both resolve these: lambda_AC at 1 kHz is a few hundred µm).
SEGMENT_UM = 30.0
SEGMENT_FAR_UM = 50.0

# Morphological parameter ranges (lo, hi) per class: µm, degrees, counts. Variant 0 = centres.
_PYR_KEYS = ("soma_diam_um", "apical_len_um", "apical_d0_um", "apical_d1_um", "n_tuft",
             "tuft_len_um", "tuft_diam_um", "tuft_angle_deg", "n_oblique", "oblique_len_um",
             "oblique_diam_um", "n_basal", "basal_len_um", "basal_diam_um", "basal_angle_deg",
             "ais_len_um", "ais_diam_um")
CLASS_PARAMETERS = {
    "L23_PC": dict(kind="pyramidal", soma_diam_um=(12, 18), apical_len_um=(150, 300),
                   apical_d0_um=(2.0, 3.5), apical_d1_um=(0.8, 1.4), n_tuft=(2, 4),
                   tuft_len_um=(80, 180), tuft_diam_um=(0.6, 1.0), tuft_angle_deg=(20, 50),
                   n_oblique=(2, 5), oblique_len_um=(60, 150), oblique_diam_um=(0.6, 1.0),
                   n_basal=(4, 7), basal_len_um=(100, 200), basal_diam_um=(0.9, 1.5),
                   basal_angle_deg=(0, 45), ais_len_um=(25, 45), ais_diam_um=(0.9, 1.4)),
    "L4_SS": dict(kind="multipolar", soma_diam_um=(10, 14), n_dend=(4, 7), dend_len_um=(100, 180),
                  dend_diam_um=(0.9, 1.4), up_bias=(-0.1, 0.3), ais_len_um=(25, 40),
                  ais_diam_um=(0.8, 1.2)),
    "L5_TTPC": dict(kind="pyramidal", soma_diam_um=(18, 26), apical_len_um=(700, 1100),
                    apical_d0_um=(3.5, 5.5), apical_d1_um=(1.2, 2.0), n_tuft=(2, 4),
                    tuft_len_um=(150, 300), tuft_diam_um=(0.9, 1.4), tuft_angle_deg=(25, 55),
                    n_oblique=(3, 6), oblique_len_um=(100, 200), oblique_diam_um=(0.8, 1.2),
                    n_basal=(5, 9), basal_len_um=(150, 250), basal_diam_um=(1.3, 2.2),
                    basal_angle_deg=(0, 45), ais_len_um=(30, 50), ais_diam_um=(1.2, 1.8)),
    "L6_PC": dict(kind="pyramidal", soma_diam_um=(12, 18), apical_len_um=(300, 600),
                  apical_d0_um=(2.0, 3.0), apical_d1_um=(0.8, 1.2), n_tuft=(1, 3),
                  tuft_len_um=(50, 150), tuft_diam_um=(0.6, 1.0), tuft_angle_deg=(15, 45),
                  n_oblique=(1, 4), oblique_len_um=(60, 140), oblique_diam_um=(0.6, 1.0),
                  n_basal=(4, 7), basal_len_um=(100, 180), basal_diam_um=(1.0, 1.5),
                  basal_angle_deg=(0, 45), ais_len_um=(25, 45), ais_diam_um=(0.9, 1.4)),
    "BC": dict(kind="multipolar", soma_diam_um=(12, 18), n_dend=(5, 8), dend_len_um=(100, 220),
               dend_diam_um=(0.8, 1.4), up_bias=(-0.1, 0.1), ais_len_um=(0, 0),
               ais_diam_um=(0.8, 0.8)),
    "MC": dict(kind="bitufted", soma_diam_um=(10, 15), n_up=(2, 3), n_down=(1, 3),
               up_len_um=(100, 200), down_len_um=(80, 160), dend_diam_um=(0.7, 1.1),
               cone_deg=(15, 40), axon_len_um=(200, 500), axon_diam_um=(0.4, 0.6)),
    "ChC": dict(kind="bitufted", soma_diam_um=(10, 14), n_up=(2, 4), n_down=(1, 2),
                up_len_um=(120, 220), down_len_um=(60, 140), dend_diam_um=(0.7, 1.1),
                cone_deg=(10, 30), axon_len_um=(0, 0), axon_diam_um=(0.5, 0.5)),
}

# AP parameter ranges per class: half-width (ms), fall/rise sigma ratio, amplitude (mV), AHP
# (mV, delay ms, sigma ms), and the class current scale k (variants: x/÷ 1.35, log-uniform).
_RS = dict(half_width_ms=(0.40, 0.60), fall_rise_ratio=(2.5, 4.0), amplitude_mV=(85, 100),
           ahp_mV=(4, 10), ahp_delay_ms=(1.2, 2.0), ahp_sigma_ms=(0.5, 0.9))
_FS = dict(half_width_ms=(0.15, 0.26), fall_rise_ratio=(1.2, 1.8), amplitude_mV=(70, 90),
           ahp_mV=(10, 20), ahp_delay_ms=(0.4, 0.7), ahp_sigma_ms=(0.2, 0.35))
AP_PARAMETERS = {
    "L23_PC": dict(_RS, current_scale=3.8), "L4_SS": dict(_RS, current_scale=6.0),
    "L5_TTPC": dict(_RS, current_scale=2.4), "L6_PC": dict(_RS, current_scale=4.0),
    "BC": dict(_FS, current_scale=4.2),
    "MC": dict(half_width_ms=(0.30, 0.45), fall_rise_ratio=(1.5, 2.5), amplitude_mV=(75, 95),
               ahp_mV=(8, 15), ahp_delay_ms=(0.8, 1.3), ahp_sigma_ms=(0.4, 0.7),
               current_scale=5.0),
    "ChC": dict(_FS, current_scale=5.5),
}
_SCALE_SPREAD = 1.35
_HALF_WIDTH_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0)) / 2.0  # 1.1774: HW = 1.1774 (s_r + s_f)


def class_index(cell_class) -> int:
    """Class code of ``cell_class`` (a name in ``CELL_CLASSES``, an alias or an int code)."""
    if isinstance(cell_class, (int, np.integer)) and not isinstance(cell_class, bool):
        return check_int("cell_class", cell_class, 0, len(CELL_CLASSES) - 1)
    name = CLASS_ALIASES.get(cell_class, cell_class)
    check_option("cell_class", name, list(CELL_CLASSES) + list(CLASS_ALIASES))
    return CELL_CLASSES.index(name)


def is_excitatory_class(codes) -> np.ndarray:
    """True where the class code (int, or array of them) is excitatory (``EXCITATORY_CLASSES``)."""
    c = np.asarray(codes)
    if c.size and (c.dtype.kind not in "iu" or c.min() < 0 or c.max() >= len(CELL_CLASSES)):
        raise ValueError(f"codes must be integers in [0, {len(CELL_CLASSES) - 1}], got {codes!r}")
    return c < len(EXCITATORY_CLASSES)


def assign_cell_classes(excitatory, depth_um, rng: np.random.Generator,
                        layer_boundaries_um=(150.0, 700.0, 1000.0, 1500.0, 2000.0)) -> np.ndarray:
    """Class code of each cell from its E/I type and soma depth below the surface.

    Parameters
    ----------
    excitatory : array of bool, shape (n,)
    depth_um : array, shape (n,)
        Soma depth below the cortical surface (µm, positive down).
    rng : np.random.Generator
    layer_boundaries_um : sequence of 5 floats
        Lower boundaries of L1, L2/3, L4, L5, L6 (µm, > 0, strictly ascending).

    Returns
    -------
    np.ndarray, int8, shape (n,)
        Codes into ``CELL_CLASSES``. Excitatory: L1 and L2/3 -> L23_PC; L4 -> L4_SS with
        probability ``L4_STELLATE_FRACTION`` (0.58) else L23_PC; L5 -> L5_TTPC; L6 and below ->
        L6_PC. Inhibitory: L1 -> MC (5HT3aR cells); below, ``INHIBITORY_MIX`` (BC 0.36, MC
        0.60, ChC 0.04). See the module Assumptions for the sources.
    """
    exc = check_array("excitatory", excitatory, ndim=1).astype(bool)
    depth = check_array("depth_um", depth_um, shape=(exc.shape[0],), dtype=float)
    bounds = check_array("layer_boundaries_um", layer_boundaries_um, shape=(5,), dtype=float)
    if not (np.all(np.isfinite(bounds)) and bounds[0] > 0 and np.all(np.diff(bounds) > 0)):
        raise ValueError(f"layer_boundaries_um must be 5 strictly ascending depths > 0 µm, "
                         f"got {list(bounds)}")
    if depth.size and not np.all(np.isfinite(depth)):
        raise ValueError("depth_um must be finite (µm)")
    layer = np.searchsorted(bounds, depth, side="right")      # 0 = L1, 1 = L2/3, ..., 5 = below
    code = CELL_CLASSES.index
    exc_of_layer = np.array([code("L23_PC"), code("L23_PC"), code("L4_SS"), code("L5_TTPC"),
                             code("L6_PC"), code("L6_PC")], np.int8)
    out = exc_of_layer[layer]
    u = rng.random(exc.shape[0])
    l4_pyr = exc & (layer == 2) & (u >= L4_STELLATE_FRACTION)
    out[l4_pyr] = code("L23_PC")
    names = list(INHIBITORY_MIX)
    cum = np.cumsum([INHIBITORY_MIX[k] for k in names])
    inh_code = np.array([code(k) for k in names], np.int8)[
        np.minimum(np.searchsorted(cum / cum[-1], rng.random(exc.shape[0]), side="right"),
                   len(names) - 1)]
    inh_code[layer == 0] = code("MC")
    return np.where(exc, out, inh_code).astype(np.int8)


def draw_variants(n: int, rng: np.random.Generator, num_variants: int = NUM_VARIANTS) -> np.ndarray:
    """Variant index of each of ``n`` cells, uniform in [0, num_variants), int16."""
    n = check_int("n", n, 0, None)
    k = check_int("num_variants", num_variants, 1, MAX_VARIANT + 1)
    return rng.integers(0, k, n).astype(np.int16)


def draw_spin_rad(n: int, rng: np.random.Generator) -> np.ndarray:
    """Rotation of each of ``n`` cells about its own axis, uniform in [0, 2π) rad, float64."""
    n = check_int("n", n, 0, None)
    return rng.random(n) * (2.0 * math.pi)


def _draw(rng, lo_hi, proto: bool, integer=False):
    lo, hi = lo_hi
    if integer:
        return int(round((lo + hi) / 2)) if proto else int(rng.integers(lo, hi + 1))
    return 0.5 * (lo + hi) if proto else float(rng.uniform(lo, hi))


def _unit(az, elev):
    """Unit vector at azimuth ``az`` and elevation ``elev`` above the xy plane (rad)."""
    return np.array([math.cos(az) * math.cos(elev), math.sin(az) * math.cos(elev), math.sin(elev)])


def _bifurcating(b: MorphologyBuilder, origin, direction, length_um, diam_um, rng, proto,
                 parent=0, taper=0.8):
    """A dendrite that splits once: a stem of 40 % of the length, then two daughters at ±25°
    with diameters d / 2^(2/3) (Rall's 3/2 rule)."""
    direction = np.asarray(direction, float) / np.linalg.norm(direction)
    stem = b.branch(origin, direction, 0.4 * length_um, diam_um, diam_um * taper,
                    seg_len_um=SEGMENT_UM, parent=parent)
    helper = np.array([0.0, 0.0, 1.0]) if abs(direction[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    side = np.cross(direction, helper)
    side /= np.linalg.norm(side)
    roll = 0.0 if proto else rng.uniform(0, 2 * math.pi)
    side = side * math.cos(roll) + np.cross(direction, side) * math.sin(roll)
    d_child = diam_um * taper * 2.0 ** (-2.0 / 3.0)
    for sgn in (1.0, -1.0):
        ang = math.radians(25.0 if proto else rng.uniform(15.0, 35.0))
        dvec = direction * math.cos(ang) + sgn * side * math.sin(ang)
        b.branch(b.tip(stem), dvec, 0.6 * length_um, d_child, d_child * 0.7, seg_len_um=SEGMENT_UM,
                 parent=stem)


def _pyramidal(name, p, rng, proto) -> Morphology:
    soma = p["soma_diam_um"]
    b = MorphologyBuilder(name, soma)
    h = soma / 2.0
    L, d0, d1 = p["apical_len_um"], p["apical_d0_um"], p["apical_d1_um"]
    trunk = b.branch([0, 0, h], [0, 0, 1], L, d0, d1, seg_len_um=SEGMENT_FAR_UM)
    az0 = 0.0 if proto else rng.uniform(0, 2 * math.pi)
    for k in range(p["n_tuft"]):
        az = az0 + 2 * math.pi * k / p["n_tuft"]
        elev = math.pi / 2 - math.radians(p["tuft_angle_deg"])
        b.branch(b.tip(trunk), _unit(az, elev), p["tuft_len_um"], p["tuft_diam_um"],
                 0.6 * p["tuft_diam_um"], seg_len_um=SEGMENT_FAR_UM, parent=trunk)
    trunk_segs = [i for i in range(1, len(b.diam)) if i <= trunk]
    for k in range(p["n_oblique"]):
        frac = (k + 1) / (p["n_oblique"] + 1) if proto else rng.uniform(0.1, 0.7)
        seg = trunk_segs[min(int(frac * len(trunk_segs)), len(trunk_segs) - 1)]
        az = 2 * math.pi * k / p["n_oblique"] + (0.0 if proto else rng.uniform(-0.5, 0.5))
        elev = math.radians(30.0 if proto else rng.uniform(10.0, 50.0))
        b.branch(b.tip(seg), _unit(az, elev), p["oblique_len_um"], p["oblique_diam_um"],
                 0.6 * p["oblique_diam_um"], seg_len_um=SEGMENT_UM, parent=seg)
    az0 = 0.0 if proto else rng.uniform(0, 2 * math.pi)
    for k in range(p["n_basal"]):
        az = az0 + 2 * math.pi * k / p["n_basal"] + (0.0 if proto else rng.uniform(-0.3, 0.3))
        elev = -math.radians(p["basal_angle_deg"] if proto else rng.uniform(
            0.0, 2.0 * p["basal_angle_deg"]))
        d = _unit(az, elev)
        _bifurcating(b, h * d, d, p["basal_len_um"], p["basal_diam_um"], rng, proto)
    b.branch([0, 0, -h], [0, 0, -1], p["ais_len_um"], p["ais_diam_um"], p["ais_diam_um"])
    return b.build()


def _multipolar(name, p, rng, proto) -> Morphology:
    soma = p["soma_diam_um"]
    b = MorphologyBuilder(name, soma)
    n = p["n_dend"]
    for k in range(n):  # Fibonacci-sphere directions, lifted by up_bias, jittered per variant
        z = 1.0 - 2.0 * (k + 0.5) / n
        r = math.sqrt(max(1.0 - z * z, 0.0))
        az = k * math.pi * (3.0 - math.sqrt(5.0)) + (0.0 if proto else rng.uniform(-0.4, 0.4))
        d = np.array([r * math.cos(az), r * math.sin(az), z + p["up_bias"]])
        if not proto:
            d = d + rng.normal(0.0, 0.2, 3)
        d /= np.linalg.norm(d)
        L = p["dend_len_um"] * (1.0 if proto else rng.uniform(0.75, 1.25))
        _bifurcating(b, 0.5 * soma * d, d, L, p["dend_diam_um"], rng, proto)
    if p["ais_len_um"] > 0:
        b.branch([0, 0, -soma / 2], [0, 0, -1], p["ais_len_um"], p["ais_diam_um"], p["ais_diam_um"])
    return b.build()


def _bitufted(name, p, rng, proto) -> Morphology:
    soma = p["soma_diam_um"]
    b = MorphologyBuilder(name, soma)
    cone = math.radians(p["cone_deg"])
    for sgn, n, L in ((1.0, p["n_up"], p["up_len_um"]), (-1.0, p["n_down"], p["down_len_um"])):
        az0 = 0.0 if proto else rng.uniform(0, 2 * math.pi)
        for k in range(n):
            tilt = cone if proto else rng.uniform(0.3, 1.0) * cone
            az = az0 + 2 * math.pi * k / n
            d = np.array([math.sin(tilt) * math.cos(az), math.sin(tilt) * math.sin(az),
                          sgn * math.cos(tilt)])
            length = L * (1.0 if proto else rng.uniform(0.8, 1.2))
            _bifurcating(b, 0.5 * soma * d, d, length, p["dend_diam_um"], rng, proto)
    if p["axon_len_um"] > 0:  # ascending axon (Martinotti: to layer 1)
        az = 0.0 if proto else rng.uniform(0, 2 * math.pi)
        d = np.array([0.25 * math.cos(az), 0.25 * math.sin(az), 1.0])
        b.branch(0.5 * soma * d / np.linalg.norm(d), d, p["axon_len_um"], p["axon_diam_um"],
                 p["axon_diam_um"], seg_len_um=SEGMENT_FAR_UM)
    return b.build()


_BUILDERS = {"pyramidal": _pyramidal, "multipolar": _multipolar, "bitufted": _bitufted}


def _ap_of(name: str, rng, proto: bool) -> dict:
    a = AP_PARAMETERS[name]
    hw = _draw(rng, a["half_width_ms"], proto)
    ratio = _draw(rng, a["fall_rise_ratio"], proto)
    s_rise = hw / _HALF_WIDTH_PER_SIGMA / (1.0 + ratio)
    k = a["current_scale"] * (1.0 if proto else _SCALE_SPREAD ** rng.uniform(-1.0, 1.0))
    return dict(amplitude_mV=_draw(rng, a["amplitude_mV"], proto), sigma_rise_ms=s_rise,
                sigma_fall_ms=ratio * s_rise, ahp_mV=_draw(rng, a["ahp_mV"], proto),
                ahp_delay_ms=_draw(rng, a["ahp_delay_ms"], proto),
                ahp_sigma_ms=_draw(rng, a["ahp_sigma_ms"], proto), current_scale=k)


@functools.lru_cache(maxsize=1024)
def _cell_variant(ci: int, variant: int) -> tuple[Morphology, tuple]:
    name = CELL_CLASSES[ci]
    proto = variant == 0
    rng = np.random.default_rng((_SEED, ci, variant))
    spec = CLASS_PARAMETERS[name]
    p = {k: _draw(rng, v, proto, integer=k.startswith("n_")) for k, v in spec.items()
         if k != "kind"}
    ap = _ap_of(name, rng, proto)
    morph = _BUILDERS[spec["kind"]](name, p, rng, proto)
    for arr in (morph.start_um, morph.end_um, morph.diam_um, morph.parent):
        arr.setflags(write=False)
    return morph, tuple(ap[k] for k in AP_KEYS)


def cell_variant(cell_class, variant: int = 0) -> tuple[Morphology, dict]:
    """Morphology and AP parameters of one variant of a class (a pure function of both).

    Parameters
    ----------
    cell_class : str or int
        A name in ``CELL_CLASSES`` (or an alias in ``CLASS_ALIASES``) or a class code.
    variant : int
        In [0, 32767]; 0 is the class prototype (parameter ranges' centres).

    Returns
    -------
    morphology : Morphology
        Read-only arrays, cell frame (µm).
    ap : dict
        Action-potential parameters (keys ``electrode_models.morphology.AP_KEYS``) including
        ``current_scale``; a fresh dict on every call.
    """
    ci = class_index(cell_class)
    v = check_int("variant", variant, 0, MAX_VARIANT)
    morph, ap = _cell_variant(ci, v)
    return morph, dict(zip(AP_KEYS, ap))


def get_morphology(cell_class, variant: int = 0) -> Morphology:
    """The morphology of `cell_variant` (default: the class prototype)."""
    return cell_variant(cell_class, variant)[0]


def load_swc(path, cell_class="L5_TTPC", *, align_apical: bool = True,
             max_segment_um: float = 25.0, swc_types=(1, 3, 4)) -> Morphology:
    """Read a reconstructed morphology from an SWC file (NeuroMorpho.org format).

    Parameters
    ----------
    path : str or path-like
        SWC file: lines ``id type x y z radius parent`` (µm), ``#`` comments; soma (type 1)
        as one point (a sphere) or several (the three-point convention or a contour).
    cell_class : str or int
        Class of the cell (a name in ``CELL_CLASSES``, an alias or a code); stored in
        ``Morphology.cell_type`` and used by ``compute_templates(library=...)``.
    align_apical : bool
        Rotate the cell so that the mean direction of its apical dendrite (type 4) from the soma
        is +z (no rotation when the file has no apical points).
    max_segment_um : float
        Unbranched runs of points are merged into straight segments of at most this path
        length (µm), in (0, 1000].
    swc_types : sequence of int
        SWC point types kept besides the soma (default soma, basal and apical dendrites; add 2
        to keep the axon).

    Returns
    -------
    Morphology
        Soma (segment 0) a cylinder along z of length = diameter = that of the SWC soma,
        centred at the origin.
    """
    name = CELL_CLASSES[class_index(cell_class)]
    pts = read_swc(path)
    start, end, diam, parent = swc_to_segments(pts, align_apical=align_apical,
                                               max_segment_um=max_segment_um, swc_types=swc_types)
    return Morphology(name, start, end, diam, parent)
