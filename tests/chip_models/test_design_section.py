"""The Chip design section's new fields (kept with the chip tests; neurosim owns the loader)."""

import pytest

from neurosim.design import DesignError, default_design, load_design


def test_defaults_and_default_toml_still_valid():
    d = default_design()
    assert d.chip.detector.kind == "mad_threshold" and not d.chip.detector.adaptive
    assert d.chip.adc.channels_per_adc == 1 and d.chip.thermal.footprint_mm == (4.0, 4.0)
    assert d.chip.stimulation.k_limit == 1.75 and not d.chip.stimulation.enabled


def test_new_fields_load():
    d = load_design({"chip": {"detector": {"kind": "neo", "neo_threshold_c": 10.0},
                              "radio": {"output_mode": "compressed", "bit_error_rate": 1e-6},
                              "adc": {"channels_per_adc": 12, "mux_scheme": "neuropixels"},
                              "stimulation": {"enabled": True, "amplitude_uA": 20.0}}})
    assert d.chip.radio.output_mode == "compressed" and d.chip.adc.channels_per_adc == 12


@pytest.mark.parametrize("patch, match", [
    ({"chip": {"radio": {"output_mode": "fax"}}}, r"chip\.radio\.output_mode must be one of"),
    ({"chip": {"detector": {"adaptation_time_s": 0.0}}},
     r"chip\.detector\.adaptation_time_s must be in \[0\.001, 3600\] s"),
    ({"chip": {"stimulation": {"enabled": True, "amplitude_uA": 2000.0}}},
     r"stimulation refused: Shannon k = .* exceeds k_limit = 1\.75"),
    ({"chip": {"thermal": {"footprint_mm": [0.0, 4.0]}}}, r"footprint_mm width must be in"),
])
def test_errors(patch, match):
    with pytest.raises(DesignError, match=match):
        load_design(patch)
