"""Design sections: recording (duration, sampling) and scoring."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from neurosim.design._base import Section, ranged

__all__ = ["Recording", "Scoring"]


class Recording(Section):
    duration_s: float = ranged(5.0, 0.0, 86400.0, "s", "recording duration", gt=True)
    fs_hz: float = ranged(30000.0, 1000.0, 200000.0, "Hz", "sampling rate")
    chunk_s: float = ranged(1.0, 0.01, 60.0, "s", "processing chunk (does not change the output)")
    store_traces: Literal["all", "adc", "none"] = Field(
        "all", description="trace datasets written to the file: electrode signal and ADC codes, ADC "
                           "codes only, or none (events, ground truth and scores only: hour-long "
                           "recordings at 1024 channels)")


class Scoring(Section):
    tolerance_ms: float = ranged(0.4, 0.01, 5.0, "ms", "matching tolerance of a detection to a true spike")
    present_fraction: float = ranged(0.5, 0.0, 1.0, "",
                                 "units reaching this fraction of the threshold justify a detection")
