"""The cell library: classes, class mix by layer, variants, SWC reconstructions, and the
extracellular amplitudes and widths against published ranges."""

import numpy as np
import pytest

import electrode_models as em
from electrode_models.cells import (AP_PARAMETERS, CELL_CLASSES, CLASS_PARAMETERS,
                                    EXCITATORY_CLASSES, INHIBITORY_MIX, L4_STELLATE_FRACTION,
                                    NUM_VARIANTS, assign_cell_classes, cell_variant,
                                    draw_spin_rad, draw_variants, is_excitatory_class, load_swc)
from electrode_models.morphology import action_potential_mV
from electrode_models.templates import compute_templates

FS = 30000.0
PYRAMIDAL = ("L23_PC", "L5_TTPC", "L6_PC")


def test_class_tables():
    assert CELL_CLASSES == ("L23_PC", "L4_SS", "L5_TTPC", "L6_PC", "BC", "MC", "ChC")
    assert EXCITATORY_CLASSES == CELL_CLASSES[:4] and NUM_VARIANTS == 16
    np.testing.assert_array_equal(is_excitatory_class(np.arange(7)), [1, 1, 1, 1, 0, 0, 0])
    assert is_excitatory_class(2) and not is_excitatory_class(np.int8(6))
    with pytest.raises(ValueError, match=r"codes must be integers in \[0, 6\], got"):
        is_excitatory_class([7])
    with pytest.raises(ValueError, match=r"codes must be integers in \[0, 6\]"):
        is_excitatory_class([0.5])


def test_assign_cell_classes_by_layer():
    rng = np.random.default_rng(0)
    depth = np.array([-5.0, 50.0, 300.0, 1200.0, 1700.0, 2500.0])  # above, L1, L2/3, L5, L6, WM
    got = assign_cell_classes(np.ones(6, bool), depth, rng)
    assert got.dtype == np.int8
    assert [CELL_CLASSES[c] for c in got] == ["L23_PC", "L23_PC", "L23_PC", "L5_TTPC", "L6_PC",
                                              "L6_PC"]
    inh_l1 = assign_cell_classes(np.zeros(200, bool), np.full(200, 100.0), rng)
    assert np.all(inh_l1 == CELL_CLASSES.index("MC"))  # layer-1 interneurons: 5HT3aR -> MC
    custom = assign_cell_classes([True], [350.0], rng, layer_boundaries_um=(100, 300, 400, 600, 800))
    assert CELL_CLASSES[custom[0]] in ("L4_SS", "L23_PC")


def test_assign_cell_classes_fractions():
    # L4: 58 % spiny stellate (Staiger et al. 2004); interneurons: BC 36 %, MC 60 %, ChC 4 %
    # (PV 40 % with 10 % of it chandelier, SST + 5HT3aR 60 %: Rudy et al. 2011). Binomial 5 sigma.
    rng = np.random.default_rng(1)
    n = 20000
    l4 = assign_cell_classes(np.ones(n, bool), np.full(n, 850.0), rng)
    p = np.mean(l4 == CELL_CLASSES.index("L4_SS"))
    assert abs(p - L4_STELLATE_FRACTION) < 5 * np.sqrt(0.58 * 0.42 / n)
    assert set(np.unique(l4).tolist()) == {0, 1}
    inh = assign_cell_classes(np.zeros(n, bool), np.full(n, 1200.0), rng)
    for name, frac in INHIBITORY_MIX.items():
        p = np.mean(inh == CELL_CLASSES.index(name))
        assert abs(p - frac) < 5 * np.sqrt(frac * (1 - frac) / n)
    assert abs(INHIBITORY_MIX["BC"] + INHIBITORY_MIX["ChC"] - 0.40) < 1e-12  # PV share
    # seeded: the same generator state gives the same classes
    a = assign_cell_classes(np.ones(50, bool), np.full(50, 850.0), np.random.default_rng(3))
    b = assign_cell_classes(np.ones(50, bool), np.full(50, 850.0), np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("args, match", [
    (([True], [1.0, 2.0]), r"depth_um must have shape \(1\)"),
    (([True], [np.nan]), r"depth_um must be finite"),
    (([[True]], [1.0]), r"excitatory must have 1 dimension"),
    (([True], [1.0], (100, 50, 400, 600, 800)), r"layer_boundaries_um must be 5 strictly ascending"),
    (([True], [1.0], (0, 50, 400, 600, 800)), r"layer_boundaries_um must be 5 strictly ascending"),
    (([True], [1.0], (100, 200)), r"layer_boundaries_um must have shape \(5\)"),
])
def test_assign_cell_classes_errors(args, match):
    exc, depth, *bounds = args
    with pytest.raises(ValueError, match=match):
        assign_cell_classes(exc, depth, np.random.default_rng(0), *bounds)


def test_draws():
    rng = np.random.default_rng(2)
    v = draw_variants(10000, rng)
    assert v.dtype == np.int16 and v.min() == 0 and v.max() == NUM_VARIANTS - 1
    assert draw_variants(10, rng, num_variants=3).max() <= 2
    s = draw_spin_rad(10000, rng)
    assert s.dtype == np.float64 and s.min() >= 0 and s.max() < 2 * np.pi
    assert abs(s.mean() - np.pi) < 5 * (2 * np.pi / np.sqrt(12)) / 100  # uniform: mean pi
    with pytest.raises(ValueError, match=r"n must be in \[0, inf\]"):
        draw_variants(-1, rng)
    with pytest.raises(ValueError, match=r"num_variants must be in \[1, 32768\]"):
        draw_variants(3, rng, num_variants=0)
    with pytest.raises(ValueError, match=r"n must be an integer"):
        draw_spin_rad(2.5, rng)


def test_cell_variant_is_deterministic_and_varied():
    from electrode_models import cells

    m1, ap1 = cell_variant("L5_TTPC", 7)
    cells._cell_variant.cache_clear()
    m2, ap2 = cell_variant(2, 7)
    assert ap1 == ap2
    np.testing.assert_array_equal(m1.end_um, m2.end_um)
    assert not m1.end_um.flags.writeable
    ap1["amplitude_mV"] = 0.0  # a fresh dict: the cache is not modified
    assert cell_variant("L5_TTPC", 7)[1]["amplitude_mV"] > 0
    assert cell_variant("pyramidal")[0] is cell_variant("L5_TTPC", 0)[0]
    assert cell_variant("interneuron")[0].cell_type == "BC"
    sizes = {cell_variant("L23_PC", v)[0].n_seg for v in range(NUM_VARIANTS)}
    widths = {round(cell_variant("L23_PC", v)[1]["sigma_fall_ms"], 6) for v in range(NUM_VARIANTS)}
    assert len(sizes) > 5 and len(widths) == NUM_VARIANTS


@pytest.mark.parametrize("name", CELL_CLASSES)
def test_variants_within_published_ranges(name):
    # soma size, apical extent and AP half-width of every variant inside the class ranges
    spec, aps = CLASS_PARAMETERS[name], AP_PARAMETERS[name]
    t = np.arange(0, 12, 0.001)
    for v in range(NUM_VARIANTS):
        m, ap = cell_variant(name, v)
        lo, hi = spec["soma_diam_um"]
        assert lo <= m.diam_um[0] <= hi
        if spec["kind"] == "pyramidal":
            top = m.end_um[:, 2].max()
            assert spec["apical_len_um"][0] + lo / 2 <= top
            assert top <= spec["apical_len_um"][1] + hi / 2 + spec["tuft_len_um"][1]
        vm = action_potential_mV(t, dict(ap, ahp_mV=0.0), 3.0)
        above = t[vm >= vm.max() / 2]
        lo, hi = aps["half_width_ms"]
        assert lo - 2e-3 <= above[-1] - above[0] <= hi + 2e-3
        k = ap["current_scale"] / aps["current_scale"]
        assert 1 / 1.35 - 1e-9 <= k <= 1.35 + 1e-9
    with pytest.raises(ValueError, match=r"variant must be in \[0, 32767\]"):
        cell_variant(name, -1)


def test_cell_class_errors():
    with pytest.raises(ValueError, match=r"cell_class must be one of \['L23_PC'.*got 'purkinje'"):
        cell_variant("purkinje")
    with pytest.raises(ValueError, match=r"cell_class must be in \[0, 6\]"):
        cell_variant(9)
    with pytest.raises(ValueError, match=r"cell_class must be one of"):
        em.get_morphology("glia")


@pytest.fixture(scope="module")
def generate_class_waveforms():
    """Trough (µV) at 30 and 100 µm and trough-to-peak width (ms) at 30 µm, per class and variant:
    soma-centred cells, apical axis +z, point contacts on the x and y axes at soma depth."""
    el = np.array([[30.0, 0, 0], [0, 30.0, 0], [100.0, 0, 0], [0, 100.0, 0]])
    nrm = np.tile([0, 0, 1.0], (4, 1))
    out = {}
    n = NUM_VARIANTS
    for name in CELL_CLASSES:
        t = compute_templates([name] * n, np.zeros((n, 3)), np.tile([0, 0, 1.0], (n, 1)), el, nrm,
                              0.0, FS, variants=np.arange(n), max_channels=4,
                              min_amplitude_uV=0.0)
        d = t.dense(4)
        trough30 = d[:, :, :2].min(axis=1).mean(axis=1)
        trough100 = d[:, :, 2:].min(axis=1).mean(axis=1)
        w = d[:, :, 0]
        k = np.argmin(w, axis=1)
        t2p = np.array([np.argmax(w[i, k[i]:k[i] + int(2e-3 * FS)]) for i in range(n)]) / FS * 1e3
        out[name] = (trough30, trough100, t2p)
    return out


def test_amplitudes_against_published(generate_class_waveforms):
    # Pyramidal cells: >= ~100 µV within ~30 µm of the soma and tens of µV at 100 µm (Henze et
    # al. 2000; Gold et al. 2006; Pettersen & Einevoll 2008); interneurons smaller at the same
    # distance.
    res = generate_class_waveforms
    for name in PYRAMIDAL:
        assert np.median(res[name][0]) <= -100.0
        assert np.median(res[name][1]) <= -5.0
    assert -60.0 <= np.median(res["L5_TTPC"][1]) <= -10.0
    pyr30 = np.median(np.concatenate([res[n][0] for n in PYRAMIDAL]))
    for name in ("BC", "MC", "ChC"):
        assert pyr30 < np.median(res[name][0]) < -30.0
    # amplitude falls with distance for every variant
    for name in CELL_CLASSES:
        assert np.all(res[name][1] > res[name][0])


def test_widths_against_published(generate_class_waveforms):
    # trough-to-peak: narrow (< 0.4 ms) for fast-spiking BC and ChC, broad (0.5-0.9 ms typical)
    # for pyramidal and spiny stellate cells (Barthó et al. 2004); Martinotti cells in between.
    res = generate_class_waveforms
    for name in ("BC", "ChC"):
        assert np.all(res[name][2] < 0.4)
    for name in EXCITATORY_CLASSES:
        assert np.all(res[name][2] > 0.45) and np.all(res[name][2] < 1.0)
        assert 0.5 <= np.median(res[name][2]) <= 0.9
    mc = np.median(res["MC"][2])
    assert np.median(res["BC"][2]) < mc < min(np.median(res[n][2]) for n in EXCITATORY_CLASSES)


SWC = """# test cell: three-point soma (r = 8 µm) at (100, 200, 300), an apical dendrite along +x,
# a basal dendrite along -x with a branch, an axon along -y
1 1 100 200 300 8 -1
2 1 100 192 300 8 1
3 1 100 208 300 8 1
4 4 108 200 300 1.5 1
5 4 158 200 300 1.2 4
6 4 208 200 300 1.0 5
7 4 258 200 300 0.8 6
8 3 92 200 300 1.0 1
9 3 72 200 300 0.8 8
10 3 52 210 300 0.6 9
11 3 52 190 300 0.6 9
12 2 100 192 300 0.5 1
13 2 100 100 300 0.5 12
"""


def test_load_swc(tmp_path):
    path = tmp_path / "cell.swc"
    path.write_text(SWC)
    m = load_swc(path, cell_class="L5_TTPC")
    assert m.cell_type == "L5_TTPC" and m.diam_um[0] == pytest.approx(16.0)
    np.testing.assert_allclose((m.start_um[0] + m.end_um[0]) / 2, 0.0)
    # apical (type 4) aligned with +z: its tip 158 µm from the soma centre
    assert m.end_um[:, 2].max() == pytest.approx(158.0)
    np.testing.assert_allclose(m.end_um[np.argmax(m.end_um[:, 2]), :2], 0.0, atol=1e-9)
    assert np.all(m.length_um[1:] <= 25.0 + 1e-9)
    # path length kept: apical 150 µm from the soma surface (8 µm), basal 20 + 2 x 22.4 µm
    apical = (m.end_um[:, 2] > 1.0) & (np.arange(m.n_seg) > 0)
    assert m.length_um[apical].sum() == pytest.approx(150.0)
    assert m.length_um[1:].sum() == pytest.approx(150.0 + 20.0 + 2 * np.hypot(20, 10))
    assert m.parent[0] == -1 and np.all(m.parent[1:] < np.arange(1, m.n_seg))
    m_axon = load_swc(path, cell_class="BC", swc_types=(2, 3, 4), align_apical=False)
    assert m_axon.length_um[1:].sum() == pytest.approx(m.length_um[1:].sum() + 92.0)
    assert m_axon.end_um[:, 0].max() == pytest.approx(158.0)  # not rotated: apical along +x
    # a loaded cell in compute_templates: the library replaces the class's built-in variants
    ap = dict(cell_variant("L5_TTPC", 0)[1], current_scale=1.0)
    t = compute_templates(["L5_TTPC"], [[0, 0, 0.0]], [[0, 0, 1.0]], [[20.0, 0, 0]], [[1.0, 0, 0]],
                          0.0, FS, library=[(m, ap)], min_amplitude_uV=0.0)
    b = compute_templates(["L5_TTPC"], [[0, 0, 0.0]], [[0, 0, 1.0]], [[20.0, 0, 0]], [[1.0, 0, 0]],
                          0.0, FS, min_amplitude_uV=0.0)
    assert t.peak_amplitude_uV[0] < 0 and not np.allclose(t.waveforms_uV, b.waveforms_uV)


def test_single_point_soma(tmp_path):
    path = tmp_path / "one.swc"
    path.write_text("1 1 0 0 0 6 -1\n2 3 0 0 -10 1 1\n3 3 0 0 -40 1 2\n")
    m = load_swc(path, cell_class="BC")
    assert m.n_seg == 4 and m.diam_um[0] == pytest.approx(12.0)  # 4 µm, then 30 µm split in 2
    np.testing.assert_allclose(m.start_um[1], [0, 0, -6.0])  # starts on the soma sphere
    np.testing.assert_allclose(m.end_um[3], [0, 0, -40.0])


@pytest.mark.parametrize("text, match", [
    ("1 1 0 0 0 5\n", r"line 1 must be 'id type x y z radius parent'"),
    ("1 3 0 0 0 5 -1\n", r"at least one soma point"),
    ("1 1 0 0 0 5 -1\n2 3 0 0 5 1 7\n", r"parent ids \[7\] do not exist"),
    ("1 1 0 0 0 5 -1\n1 3 0 0 5 1 1\n", r"point ids must be unique"),
    ("# only a comment\n", r"no SWC points found"),
    ("1 1 0 0 0 -5 -1\n", r"radii >= 0"),
])
def test_swc_errors(tmp_path, text, match):
    path = tmp_path / "bad.swc"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        load_swc(path)


def test_load_swc_argument_errors(tmp_path):
    path = tmp_path / "cell.swc"
    path.write_text(SWC)
    with pytest.raises(ValueError, match=r"max_segment_um must be in \(0, 1000\] µm"):
        load_swc(path, max_segment_um=0.0)
    with pytest.raises(ValueError, match=r"cell_class must be one of"):
        load_swc(path, cell_class="glia")
