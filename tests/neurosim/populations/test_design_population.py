"""The population design section: model choice, options, clear errors."""

import pytest

from neurosim.design import DesignError, default_design, load_design


def test_default_design_is_balanced_and_valid():
    pop = default_design().population
    assert pop.model == "balanced_ei" and pop.device == "auto" and pop.record_lfp is False
    assert pop.column.layer_boundaries_um == (150.0, 700.0, 1000.0, 1500.0, 2000.0)
    assert pop.motor.task == "center_out"


@pytest.mark.parametrize("changes, message", [
    ({"model": "hopfield"}, r"population\.model must be one of .*'hopfield'"),
    ({"device": "gpu"}, r"population\.device must be one of .*'gpu'"),
    ({"oscillation_depth": 1.5}, r"population\.oscillation_depth must be in \[0, 1\], got 1\.5"),
    ({"burst_fraction": -0.1}, r"population\.burst_fraction must be in \[0, 1\], got -0\.1"),
    ({"oscillation_hz": 500.0}, r"population\.oscillation_hz must be in \[0, 200\] Hz, got 500"),
    ({"motor": {"lag_ms": 900.0}}, r"population\.motor\.lag_ms must be in \[0, 500\] ms, got 900"),
    ({"motor": {"task": "spiral"}}, r"population\.motor\.task must be one of .*'spiral'"),
    ({"column": {"layer_boundaries_um": [150, 100, 1000, 1500, 2000]}},
     r"layer_boundaries_um must increase strictly .* got \[150\.0, 100\.0"),
    ({"background_radius_um": 50.0}, r"background_radius_um must be above .*reach_radius_um = 60 um, got 50"),
])
def test_bad_population_values_name_field_range_and_value(changes, message):
    data = {"population": changes}
    with pytest.raises(DesignError, match=message):
        load_design(data)
