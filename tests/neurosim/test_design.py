"""Design loading and validation: every bad value names field, allowed range with unit, value."""

import pytest

from neurosim.design import Design, DesignError, default_design, design_to_toml, load_design


def test_default_design_is_valid_and_documented():
    d = default_design()
    assert d.implant.layout == "utah96"
    assert d.recording.fs_hz == 30000.0
    assert d.chip.front_end.lowpass_hz < d.recording.fs_hz / 2


def test_toml_round_trip(tmp_path):
    d = default_design().replace(**{"recording.duration_s": 1.5, "implant.layout": "neuropixels1"})
    path = tmp_path / "d.toml"
    path.write_text(design_to_toml(d))
    assert load_design(path) == d


@pytest.mark.parametrize("data, message", [
    ({"population": {"density_per_mm3": -5}},
     r"population\.density_per_mm3 must be in \[1000, 300000\] neurons/mm\^3, got -5"),
    ({"recording": {"duration_s": 0}}, r"recording\.duration_s must be in \(0, 86400\] s, got 0"),
    ({"chip": {"adc": {"bits": 20}}}, r"chip\.adc\.bits must be in \[1, 16\] bit, got 20"),
    ({"tissue": {"conductivity_S_per_m": 9}}, r"tissue\.conductivity_S_per_m must be in \[0\.01, 2\] S/m, got 9"),
    ({"implant": {"layout": "foo"}}, r"implant\.layout must be one of .*utah96.*got 'foo'"),
    ({"recording": {"duratoin_s": 3}}, r"recording\.duratoin_s is not a design field"),
    ({"chip": {"front_end": {"lowpass_hz": 20000}}},
     r"chip\.front_end\.lowpass_hz must be below the Nyquist frequency .* 15000 Hz, got 20000"),
    ({"chip": {"front_end": {"highpass_hz": 4000, "lowpass_hz": 3000}}},
     r"chip\.front_end\.highpass_hz must be below chip\.front_end\.lowpass_hz = 3000 Hz, got 4000"),
    ({"chip": {"detector": {"calibration_s": 10}}}, r"chip\.detector\.calibration_s must be shorter"),
    ({"population": {"min_distance_um": 80}}, r"population\.min_distance_um must be below"),
    ({"tissue": {"size_um": [1, 2, 3]}}, r"tissue\.size_um\[x\] must be in \[100, 50000\] um, got 1"),
    ({"chip": {"adc": {"bits": "ten"}}}, r"chip\.adc\.bits: .*valid integer.*got 'ten'"),
])
def test_bad_values_raise_clear_errors(data, message):
    with pytest.raises(DesignError, match=message):
        Design.from_dict(data)


def test_replace_unknown_field():
    with pytest.raises(DesignError, match="unknown design field 'recording.nope'"):
        default_design().replace(**{"recording.nope": 1})
    with pytest.raises(DesignError, match="unknown design field"):
        default_design().replace(**{"nosection.x": 1})


def test_load_errors(tmp_path):
    with pytest.raises(DesignError, match="does not exist"):
        load_design(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[recording\nduration_s = 1")
    with pytest.raises(DesignError, match="not valid TOML"):
        load_design(bad)
