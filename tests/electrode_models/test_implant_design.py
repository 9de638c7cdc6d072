"""The implant section of the design accepts every layout and the new interface/chronic fields."""

import pytest

import electrode_models as em
from neurosim.design import Design


def test_every_layout_is_a_design_option():
    from typing import get_args

    from neurosim.design.implant import LayoutName
    assert set(get_args(LayoutName)) == set(em.list_layouts()) | {"custom"}


def test_new_fields_defaults_and_ranges():
    d = Design.from_dict({"implant": {"layout": "ecog", "site_radius_um": 600.0, "material": "SIROF",
                                      "days_since_implant": 30.0}})
    imp = d.implant
    assert imp.amplifier_input_capacitance_pF == 10.0 and imp.days_since_implant == 30.0
    with pytest.raises(ValueError, match=r"implant\.days_since_implant must be in \[0, 36500\] days"):
        Design.from_dict({"implant": {"days_since_implant": -1.0}})
    with pytest.raises(ValueError, match=r"amplifier_input_capacitance_pF must be in \[0, 10000\] pF"):
        Design.from_dict({"implant": {"amplifier_input_capacitance_pF": -1.0}})


def test_custom_layout_needs_a_file(tmp_path):
    with pytest.raises(ValueError, match=r"layout_file must name a probeinterface JSON file"):
        Design.from_dict({"implant": {"layout": "custom"}})
    with pytest.raises(ValueError, match=r"layout_file is only used with layout = 'custom'"):
        Design.from_dict({"implant": {"layout": "utah96", "layout_file": "x.json"}})
    f = tmp_path / "p.json"
    em.probe_to_json(em.make_probe("tetrode"), f)
    d = Design.from_dict({"implant": {"layout": "custom", "layout_file": str(f)}})
    assert em.probe_from_json(d.implant.layout_file).get_contact_count() == 4


def test_noise_and_drift_sections():
    d = Design.from_dict({"implant": {}})
    assert d.implant.noise.background_uV_rms is None and d.implant.drift.kind == "none"
    d = Design.from_dict({"implant": {
        "noise": {"background_uV_rms": 7.0, "background_alpha": 2.0, "thermal": False},
        "drift": {"kind": "zigzag", "amplitude_um": 20.0, "period_s": 30.0, "non_rigid": True}}})
    assert d.implant.noise.background_alpha == 2.0 and not d.implant.noise.thermal
    assert d.implant.drift.amplitude_um == 20.0 and d.implant.drift.non_rigid
    with pytest.raises(ValueError, match=r"implant\.noise\.background_alpha must be in \[0, 3\]"):
        Design.from_dict({"implant": {"noise": {"background_alpha": 5.0}}})
    with pytest.raises(ValueError, match=r"implant\.noise\.background_uV_rms must be in \[0, 1000\] uV"):
        Design.from_dict({"implant": {"noise": {"background_uV_rms": -1.0}}})
    with pytest.raises(ValueError, match=r"implant\.drift\.kind must be one of"):
        Design.from_dict({"implant": {"drift": {"kind": "wobble"}}})
    with pytest.raises(ValueError, match=r"implant\.drift\.period_s must be in \(0, 1e\+06\] s"):
        Design.from_dict({"implant": {"drift": {"period_s": 0.0}}})
    with pytest.raises(ValueError, match=r"amplitude_um must be >= 0 um for kind = 'zigzag'"):
        Design.from_dict({"implant": {"drift": {"kind": "zigzag", "amplitude_um": -5.0}}})
