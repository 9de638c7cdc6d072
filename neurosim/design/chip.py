"""Design section: the implant chip (front end, ADC, detector, radio)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from neurosim.design._base import Section, ranged

__all__ = ["Chip", "FrontEnd", "ADCConfig", "Detector", "Radio"]


class FrontEnd(Section):
    gain_v_per_v: float = ranged(1000.0, 1.0, 1e5, "V/V", "amplifier gain")
    highpass_hz: float = ranged(300.0, 0.0, 5000.0, "Hz", "band-pass lower corner", gt=True)
    lowpass_hz: float = ranged(6000.0, 100.0, 50000.0, "Hz", "band-pass upper corner")
    filter_order: int = ranged(2, 1, 8, "", "Butterworth order of the band-pass")
    output_swing_mV: float = ranged(1000.0, 1.0, 5000.0, "mV", "amplifier output swing (saturation)")
    noise_uV_rms: float = ranged(3.0, 0.0, 100.0, "uV rms", "input-referred amplifier noise over the band")
    nef: float = ranged(2.5, 1.0, 100.0, "", "noise efficiency factor of the amplifier")
    supply_V: float = ranged(1.2, 0.3, 5.0, "V", "analog supply voltage")


class ADCConfig(Section):
    bits: int = ranged(10, 1, 16, "bit", "ADC resolution")
    fom_fJ_per_step: float = ranged(25.0, 0.01, 10000.0, "fJ/step", "Walden figure of merit")


class Detector(Section):
    kind: Literal["mad_threshold"] = Field("mad_threshold", description="on-chip detector")
    threshold_k: float = ranged(4.5, 1.0, 20.0, "sigma", "threshold in units of median(|x|)/0.6745")
    dead_time_ms: float = ranged(1.0, 0.0, 100.0, "ms", "refractory time after a detection")
    calibration_s: float = ranged(0.25, 0.01, 60.0, "s", "threshold calibration period (no detections)")
    polarity: Literal["negative", "positive", "both"] = Field("negative", description="crossing polarity")
    energy_pJ_per_op: float = ranged(1.0, 0.001, 1000.0, "pJ/op", "digital energy per operation")


class Radio(Section):
    output_mode: Literal["raw", "events"] = Field("events", description="what the chip transmits")
    link_capacity_mbps: float = ranged(1.0, 0.001, 10000.0, "Mbit/s", "radio link capacity")
    energy_pJ_per_bit: float = ranged(50.0, 0.1, 100000.0, "pJ/bit", "radio energy per transmitted bit")


class Chip(Section):
    front_end: FrontEnd = Field(default_factory=FrontEnd)
    adc: ADCConfig = Field(default_factory=ADCConfig)
    detector: Detector = Field(default_factory=Detector)
    radio: Radio = Field(default_factory=Radio)
