"""Template cache per (cells, probe, settings): hit, identical arrays, miss on any key change."""

import numpy as np
import pytest

import electrode_models as em
from neurosim.electrodes import default_template_cache_dir, get_templates, template_key


@pytest.fixture
def generate_template_inputs():
    rng = np.random.default_rng(5)
    n = 6
    probe = em.make_probe("neuropixels1", num_channels=8, tip_depth_um=800.0)
    pos = np.asarray(probe.contact_positions, float)
    cells = pos[rng.integers(0, len(pos), n)] + rng.normal(size=(n, 3)) * 30.0
    orient = np.tile([0.0, 0.0, 1.0], (n, 1))
    types = np.array(["pyramidal", "interneuron"] * (n // 2))
    return {"cell_types": types, "positions_um": cells, "orientations": orient, "contact_positions_um": pos,
                "contact_normals": em.contact_normals(probe), "site_radius_um": 6.0, "fs_hz": 30000.0,
                "sigma_S_per_m": 0.3}


@pytest.fixture
def counted(monkeypatch):
    calls = []
    real = em.compute_templates

    def wrapper(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(em, "compute_templates", wrapper)
    return calls


def _fields(t):
    return (t.waveforms_uV, t.channel_index, t.peak_amplitude_uV, t.best_channel)


def test_second_call_loads_identical_arrays(tmp_path, generate_template_inputs, counted):
    a = get_templates(**generate_template_inputs, cache_dir=tmp_path)
    files = list(tmp_path.glob("templates-*.npz"))
    assert len(files) == 1 and not list(tmp_path.glob("*.tmp-*"))
    b = get_templates(**generate_template_inputs, cache_dir=tmp_path)
    assert len(counted) == 1  # the second call did not compute
    for x, y in zip(_fields(a), _fields(b)):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)
    assert (a.nbefore, a.fs_hz) == (b.nbefore, b.fs_hz)
    b.waveforms_uV *= 2.0  # callers scale in place: the cache must not change
    c = get_templates(**generate_template_inputs, cache_dir=tmp_path)
    np.testing.assert_array_equal(c.waveforms_uV, a.waveforms_uV)


@pytest.mark.parametrize("change", [
    lambda d: d["cell_types"].__setitem__(0, "interneuron"),
    lambda d: d["positions_um"].__setitem__((1, 2), d["positions_um"][1, 2] + 1e-3),
    lambda d: d["orientations"].__setitem__(2, [0.0, 1.0, 0.0]),
    lambda d: d["contact_positions_um"].__setitem__((0, 0), 5.0),
    lambda d: d["contact_normals"].__setitem__(0, [1.0, 0.0, 0.0]),
    lambda d: d.__setitem__("site_radius_um", 7.0),
    lambda d: d.__setitem__("fs_hz", 20000.0),
    lambda d: d.__setitem__("sigma_S_per_m", 0.25),
    lambda d: d.__setitem__("max_channels", 4),
])
def test_any_key_input_misses(tmp_path, generate_template_inputs, counted, change):
    d = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in generate_template_inputs.items()}
    key0 = template_key(**d)
    get_templates(**d, cache_dir=tmp_path)
    change(d)
    assert template_key(**d) != key0
    get_templates(**d, cache_dir=tmp_path)
    assert len(counted) == 2
    assert len(list(tmp_path.glob("templates-*.npz"))) == 2


def test_default_dir_under_cache_root_and_bypass(tmp_path, monkeypatch, generate_template_inputs, counted):
    monkeypatch.setenv("NEUROSIM_CACHE_DIR", str(tmp_path))
    assert default_template_cache_dir() == tmp_path / "templates"
    get_templates(**generate_template_inputs)
    assert len(list((tmp_path / "templates").glob("templates-*.npz"))) == 1
    get_templates(**generate_template_inputs, use_cache=False)
    assert len(counted) == 2


def test_unreadable_cache_file_is_recomputed(tmp_path, generate_template_inputs, counted):
    get_templates(**generate_template_inputs, cache_dir=tmp_path)
    (path,) = tmp_path.glob("templates-*.npz")
    path.write_bytes(b"not an npz")
    t = get_templates(**generate_template_inputs, cache_dir=tmp_path)
    assert len(counted) == 2 and t.waveforms_uV.shape[0] == 6


def test_file_holds_only_live_columns_and_restores_the_padding(tmp_path, generate_template_inputs):
    """Columns of channel_index -1 (fewer channels above min_amplitude_uV than max_channels) are
    zeros: the file stores the live ones only; loading rebuilds the same dense array."""
    d = dict(generate_template_inputs, min_amplitude_uV=20.0)   # a high floor: padded columns
    a = get_templates(**d, cache_dir=tmp_path)
    live = a.channel_index >= 0
    assert live.any() and not live.all()
    (path,) = tmp_path.glob("templates-*.npz")
    with np.load(path) as f:
        assert "waveforms_uV" not in f.files
        assert f["live_waveforms_uV"].shape == (int(live.sum()), a.n_samples)
    b = get_templates(**d, cache_dir=tmp_path)
    assert b.waveforms_uV.dtype == np.float32 and b.waveforms_uV.flags.writeable
    for x, y in zip(_fields(a) + (a.shift_samples,), _fields(b) + (b.shift_samples,)):
        np.testing.assert_array_equal(x, y)
    assert not b.waveforms_uV.transpose(0, 2, 1)[~live].any()
