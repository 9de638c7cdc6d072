"""``implant.layout_params``, custom layouts and drift are validated when the design is loaded.

What ``design validate`` accepts, ``run`` and ``render`` can build (issue 13, item 5); what they
cannot, validation rejects with the field path, the allowed range with its unit and the value.
"""

import pytest

import electrode_models as em
from neurosim.design import Design, DesignError, design_to_toml, load_design
from neurosim.design.implant import layout_parameters
from neurosim.electrodes import build_probe


def _implant(**implant):
    return Design.from_dict({"implant": implant})


def test_unknown_layout_parameter_is_named_with_the_allowed_ones():
    with pytest.raises(DesignError, match=r"implant\.layout_params\.rowz is not a parameter of "
                                          r"layout 'utah' \(allowed: rows .*cols .*\), got rowz = 4"):
        _implant(layout="utah", layout_params={"rowz": 4})


@pytest.mark.parametrize("layout, params, message", [
    ("utah", {"rows": 0}, r"implant\.layout_params\.rows must be in \[1, 64\], got 0$"),
    ("utah", {"pitch_um": 5.0}, r"implant\.layout_params\.pitch_um must be in \[10, 5000\] µm, got 5\.0"),
    ("neuropixels1", {"num_channels": 33}, r"implant\.layout_params\.num_channels must be an even integer "
                                           r"in \[2, 960\], got 33"),
    ("linear", {"num_channels": 2.5}, r"implant\.layout_params\.num_channels must be an integer, got 2\.5"),
    # linear is multishank with one shank: the message names linear's parameter, not multishank's
    ("linear", {"num_channels": 0}, r"implant\.layout_params\.num_channels must be in \[1, 1024\], got 0$"),
    ("uecog", {"rows": 64, "cols": 64}, r"implant\.layout_params\.rows x cols must be <= 1024 contacts, "
                                        r"got 4096"),
    ("stent", {"vessel_radius_um": 50.0}, r"implant\.layout_params\.vessel_radius_um must be in "
                                          r"\[100, 20000\] µm, got 50\.0"),
])
def test_out_of_range_layout_parameter_names_path_range_and_value(layout, params, message):
    with pytest.raises(DesignError, match=message):
        _implant(layout=layout, layout_params=params)


def test_integer_layout_parameters_stay_integers(tmp_path):
    d = _implant(layout="neuropixels1", layout_params={"num_channels": 32.0})
    assert d.implant.layout_params == {"num_channels": 32}
    assert type(d.implant.layout_params["num_channels"]) is int
    text = design_to_toml(d)
    assert "num_channels = 32\n" in text and "32.0" not in text
    path = tmp_path / "d.toml"
    path.write_text(text)
    assert type(load_design(path).implant.layout_params["num_channels"]) is int
    # a float parameter keeps its float value
    assert _implant(layout="linear", layout_params={"pitch_um": 20.5}).implant.layout_params["pitch_um"] == 20.5


@pytest.mark.parametrize("layout", em.list_layouts())
def test_every_layout_accepts_its_own_defaults(layout):
    params = {k: v for k, v in layout_parameters(layout).items() if v is not None}
    assert params, f"{layout} has no parameters to check"
    d = _implant(layout=layout, layout_params=params)
    assert len(build_probe(d).positions_um) == em.make_probe(layout).get_contact_count()


@pytest.mark.parametrize("layout, params", [
    ("utah", {"rows": 3, "cols": 3, "drop_corners": 0}), ("utah", {"rows": 65}),
    ("neuropixels2", {"num_channels": 6, "num_shanks_used": 4}), ("neuropixels2", {"num_channels": 8}),
    ("threads", {"num_threads": 2, "contacts_per_thread": 64, "pitch_um": 50.0}),
    ("tetrode", {"num_tetrodes": 2, "wire_spacing_um": 300.0}), ("ecog", {"rows": 2, "cols": 3}),
])
def test_validate_accepts_exactly_what_run_can_build(layout, params):
    """A design either fails validation or its probe builds: never valid-then-TypeError."""
    try:
        d = _implant(layout=layout, layout_params=params)
    except DesignError as exc:
        assert "implant.layout_params." in str(exc)
        with pytest.raises((ValueError, TypeError)):
            em.make_probe(layout, **params)
    else:
        assert len(build_probe(d).positions_um) > 0


def test_custom_layout_file_must_exist_and_be_a_file(tmp_path):
    with pytest.raises(DesignError, match=r"implant\.layout_file must name an existing probeinterface JSON "
                                          r"file when layout = 'custom', got '.*missing\.json' \(no such file\)"):
        _implant(layout="custom", layout_file=str(tmp_path / "missing.json"))
    with pytest.raises(DesignError, match=r"implant\.layout_file .*got '.*' \(a directory\)"):
        _implant(layout="custom", layout_file=str(tmp_path))
    f = tmp_path / "p.json"
    em.probe_to_json(em.make_probe("tetrode"), f)
    with pytest.raises(DesignError, match=r"implant\.layout_params are not used with layout = 'custom'"):
        _implant(layout="custom", layout_file=str(f), layout_params={"rows": 2})
    assert len(build_probe(_implant(layout="custom", layout_file=str(f))).positions_um) == 4


def test_drift_amplitude_without_a_drift_kind_is_rejected():
    with pytest.raises(DesignError, match=r"implant\.drift\.amplitude_um must be 0 um while "
                                          r"implant\.drift\.kind = 'none' .*got 10\.0"):
        _implant(drift={"amplitude_um": 10.0})
    assert _implant(drift={"kind": "zigzag", "amplitude_um": 10.0}).implant.drift.amplitude_um == 10.0
    assert _implant(drift={"kind": "zigzag", "amplitude_um": 0.0}).implant.drift.amplitude_um == 0.0
