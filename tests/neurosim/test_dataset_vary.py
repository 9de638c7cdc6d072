"""Dataset ``vary`` values (issue 13, item 2): taken in turn, so every value appears; a drift
amplitude without a drift kind is an error, not a label on sessions that do not drift."""

import pytest

from neurosim.dataset import generate_dataset, session_designs
from neurosim.design import DesignError


def test_vary_values_cycle_in_order_so_every_value_appears(tiny_design):
    base = tiny_design.replace(**{"implant.drift.kind": "zigzag"})
    sessions = session_designs(base, 4, {"implant.drift.amplitude_um": [0.0, 10.0, 20.0],
                                         "chip.front_end.noise_uV_rms": [2.0, 6.0]})
    amps = [d.implant.drift.amplitude_um for _, _, d in sessions]
    noise = [d.chip.front_end.noise_uV_rms for _, _, d in sessions]
    assert amps == [0.0, 10.0, 20.0, 0.0] and noise == [2.0, 6.0, 2.0, 6.0]
    assert [drawn["implant.drift.amplitude_um"] for _, drawn, _ in sessions] == amps
    # seeds do not depend on vary: the same sessions with other values keep their seeds
    plain = session_designs(base, 4)
    assert [d.seed for _, _, d in plain] == [d.seed for _, _, d in sessions]


def test_drift_amplitude_without_kind_fails_before_any_session(tiny_design, tmp_path):
    with pytest.raises(DesignError, match=r"implant\.drift\.amplitude_um must be 0 um while "
                                          r"implant\.drift\.kind = 'none'.*got 10"):
        generate_dataset(tiny_design, 3, tmp_path / "d", vary={"implant.drift.amplitude_um": [0, 10, 20]},
                         progress=False)
    assert not list((tmp_path / "d").glob("session-*"))
