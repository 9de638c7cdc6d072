"""Design section: the implant chip (front end, ADC, detector, radio, power, heat, stimulation)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

import chip_models as cm
from neurosim.design._base import Section, ranged

__all__ = [
    "ADCConfig",
    "Chip",
    "Detector",
    "FrontEnd",
    "PowerConfig",
    "Radio",
    "Stimulation",
    "Thermal",
]


class FrontEnd(Section):
    gain_v_per_v: float = ranged(1000.0, 1.0, 1e5, "V/V", "amplifier gain")
    highpass_hz: float = ranged(300.0, 0.0, 5000.0, "Hz", "band-pass lower corner", gt=True)
    lowpass_hz: float = ranged(6000.0, 100.0, 50000.0, "Hz", "band-pass upper corner")
    filter_order: int = ranged(2, 1, 8, "", "Butterworth order of the band-pass")
    output_swing_mV: float = ranged(1000.0, 1.0, 5000.0, "mV", "amplifier output swing (saturation)")
    noise_uV_rms: float = ranged(3.0, 0.0, 100.0, "uV rms", "input-referred amplifier noise over the band")
    nef: float = ranged(2.5, 1.0, 100.0, "", "noise efficiency factor of the amplifier")
    supply_V: float = ranged(1.2, 0.3, 5.0, "V", "analog supply voltage")
    noise_corner_hz: float = ranged(0.0, 0.0, 10000.0, "Hz",
                                    "1/f corner of the amplifier noise (0: white only)")
    add_amplifier_noise: bool = Field(False, description="add the input-referred amplifier noise "
                                      "(noise_uV_rms over the band, white + 1/f) to the signal")
    recovery_ms: float = ranged(0.0, 0.0, 1000.0, "ms", "overload recovery time (output held at the rail)")
    lfp_enabled: bool = Field(False, description="also record the LFP band path")
    lfp_highpass_hz: float = ranged(0.5, 0.01, 100.0, "Hz", "LFP band lower corner")
    lfp_lowpass_hz: float = ranged(500.0, 10.0, 5000.0, "Hz", "LFP band upper corner")
    lfp_decimation: int = ranged(12, 1, 1000, "", "LFP decimation factor (30 kHz / 12 = 2.5 kHz)")


class ADCConfig(Section):
    bits: int = ranged(10, 1, 16, "bit", "ADC resolution")
    fom_fJ_per_step: float = ranged(25.0, 0.01, 10000.0, "fJ/step", "Walden figure of merit")
    channels_per_adc: int = ranged(1, 1, 1024, "", "channels multiplexed per ADC (Neuropixels 1.0: 12)")
    mux_scheme: Literal["contiguous", "neuropixels"] = Field(
        "contiguous", description="channel-to-slot assignment of the multiplexed ADCs")


class Detector(Section):
    kind: Literal["mad_threshold", "rms_threshold", "absolute_threshold", "neo"] = Field(
        "mad_threshold", description="on-chip detector")
    threshold_k: float = ranged(4.5, 1.0, 20.0, "sigma", "threshold in units of median(|x|)/0.6745")
    dead_time_ms: float = ranged(1.0, 0.0, 100.0, "ms", "refractory time after a detection")
    calibration_s: float = ranged(0.25, 0.01, 60.0, "s", "threshold calibration period (no detections)")
    polarity: Literal["negative", "positive", "both"] = Field("negative", description="crossing polarity")
    energy_pJ_per_op: float = ranged(1.0, 0.001, 1000.0, "pJ/op", "digital energy per operation")
    adaptive: bool = Field(False, description="track median(|x|) on chip after calibration (mad_threshold)")
    adaptation_time_s: float = ranged(1.0, 0.001, 3600.0, "s", "time constant of the running MAD tracker")
    absolute_threshold_uV: float = ranged(50.0, 0.1, 10000.0, "uV", "input-referred level of absolute_threshold")
    neo_threshold_c: float = ranged(8.0, 0.1, 1000.0, "", "NEO threshold in units of mean smoothed energy")
    neo_window_samples: int = ranged(4, 1, 64, "samples", "Bartlett smoothing window of the NEO")


class Radio(Section):
    output_mode: Literal["raw", "compressed", "events", "snippets", "binned_counts", "sbp"] = Field(
        "events", description="what the chip transmits")
    link_capacity_mbps: float = ranged(1.0, 0.001, 10000.0, "Mbit/s", "radio link capacity")
    energy_pJ_per_bit: float = ranged(50.0, 0.1, 100000.0, "pJ/bit", "radio energy per transmitted bit")
    payload_bits: int = ranged(256, 8, 1000000, "bit", "payload bits per packet")
    header_bits: int = ranged(32, 0, 1000000, "bit", "header bits per packet")
    bit_error_rate: float = ranged(0.0, 0.0, 0.5, "", "independent bit-error probability")
    buffer_events: int = ranged(1024, 1, 10000000, "events", "on-chip FIFO size")
    frame_ms: float = ranged(1.0, 0.01, 1000.0, "ms", "link frame length")
    snippet_samples: int = ranged(48, 1, 4096, "samples", "samples per waveform snippet")
    bin_ms: float = ranged(20.0, 0.1, 10000.0, "ms", "bin length of binned counts and SBP")
    sbp_bits: int = ranged(16, 1, 32, "bit", "bits per spike-band-power value")
    sbp_low_hz: float = ranged(300.0, 1.0, 10000.0, "Hz", "spike-band-power band lower corner")
    sbp_high_hz: float = ranged(1000.0, 10.0, 20000.0, "Hz", "spike-band-power band upper corner")
    compression_block_samples: int = ranged(64, 1, 65536, "samples", "block length of the lossless codec")


class PowerConfig(Section):
    static_uW: float = ranged(0.0, 0.0, 1e6, "uW", "static power (bias, references, leakage)")
    clock_mhz: float = ranged(0.0, 0.0, 10000.0, "MHz", "digital clock frequency")
    clock_energy_pJ_per_cycle: float = ranged(1.0, 0.0, 1e6, "pJ/cycle", "clock-tree energy per cycle")


class Thermal(Section):
    footprint_mm: tuple[float, float] = Field((4.0, 4.0), description="implant footprint width, height (mm)")
    chip_area_mm2: float = ranged(16.0, 0.01, 10000.0, "mm^2", "area for the power density")
    geometry: Literal["silicon_block", "circumscribed_sphere", "disc_half_space"] = Field(
        "silicon_block", description="Pennes bioheat geometry (silicon_block: 3-D solve of the real shape)")
    limit_K: float = ranged(1.0, 0.01, 10.0, "K", "tissue temperature-rise limit")

    @model_validator(mode="after")
    def _positive_footprint(self):
        for axis, v in zip(("width", "height"), self.footprint_mm):
            if not (0.01 <= v <= 1000.0):
                raise ValueError(f"footprint_mm {axis} must be in [0.01, 1000] mm, got {v!r}")
        return self


class Stimulation(Section):
    enabled: bool = Field(False, description="deliver biphasic stimulation")
    contact: int = ranged(0, 0, 100000, "", "stimulating contact index")
    amplitude_uA: float = ranged(20.0, 0.1, 10000.0, "uA", "phase current")
    phase_width_us: float = ranged(200.0, 1.0, 10000.0, "us", "width of each phase")
    interphase_gap_us: float = ranged(50.0, 0.0, 10000.0, "us", "gap between the phases")
    rate_hz: float = ranged(100.0, 0.1, 10000.0, "Hz", "pulse rate")
    site_area_um2: float = ranged(2000.0, 1.0, 1e7, "um^2", "geometric area of the stimulating contact")
    k_limit: float = ranged(1.75, 0.1, 1.85, "", "refuse pulses above this Shannon k (damage at 1.85)")
    artefact_peak_uV: float = ranged(500.0, 0.0, 1e6, "uV", "artefact peak at 100 um from the contact")
    artefact_tau_ms: float = ranged(0.3, 0.001, 100.0, "ms", "artefact decay time constant")
    blanking_ms: float = ranged(2.0, 0.0, 100.0, "ms", "detector blanking after each pulse")

    @model_validator(mode="after")
    def _shannon(self):
        if self.enabled:
            cm.BiphasicPulse(self.amplitude_uA, self.phase_width_us, self.interphase_gap_us,
                             self.rate_hz, self.site_area_um2, self.k_limit)
        return self


class Chip(Section):
    front_end: FrontEnd = Field(default_factory=FrontEnd)
    adc: ADCConfig = Field(default_factory=ADCConfig)
    detector: Detector = Field(default_factory=Detector)
    radio: Radio = Field(default_factory=Radio)
    power: PowerConfig = Field(default_factory=PowerConfig)
    thermal: Thermal = Field(default_factory=Thermal)
    stimulation: Stimulation = Field(default_factory=Stimulation)
