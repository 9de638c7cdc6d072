"""chip_models: the implant chip behind the electrodes, as numerical models.

The signal chain, one chunk of ``(num_samples, num_channels)`` at a time, state kept across
chunks so the result does not depend on the chunk size:

1. `FrontEnd` -- causal Butterworth band-pass, gain, saturation with optional recovery
   and input-referred `AmplifierNoise` (white + 1/f); `LFPPath` for the
   decimated LFP band (input-referred µV in, amplifier output in mV out).
2. `ADC` -- bipolar mid-tread quantiser (mV in, int16 codes out), multiplexed sampling
   skew (`mux_sample_offsets_s`, `MuxSkew`).
3. `chip_models.detection` (`make_detector`): `MADThresholdDetector` (frozen or running MAD),
   `RMSThresholdDetector`, `AbsoluteThresholdDetector`, `NEODetector`;
   `SpikeBandPower` features (codes in, ``(sample_index, channel)`` events out).
4. Output modes: `RiceEncoder` (lossless), `mode_rates_bps` (raw, compressed,
   events, snippets, binned counts, SBP), `chip_models.datarate`.
5. `EventLink` -- framed telemetry with FIFO overflow and bit-error packet loss.
6. `chip_models.power` -- amplifier NEF, ADC figure of merit, digital ops, radio bits,
   static and clock power (`PowerBudget`), power density.
7. `chip_models.heat` -- Pennes bioheat temperature rise vs the 1 °C / 2 °C limits.
8. `chip_models.stimulation` -- biphasic pulses, Shannon limit, artefact, blanking.
9. `chip_report` -- one flat dict of a design's chip numbers.

This package is a numerical library: arrays and floats in, arrays out. It does not import
``neurosim``, h5py, Dask or PyVista, and of ``electrode_models`` only the shared counter-based
generator ``electrode_models._counter_rng`` (one SplitMix64 for every random stream of a run;
tests/test_architecture.py).
"""

from .adc import ADC
from .codec import RiceEncoder, rice_decode
from .datarate import event_bits, event_rate_bps, raw_rate_bps
from .detection import (
                        DETECTOR_KINDS,
                        AbsoluteThresholdDetector,
                        MADThresholdDetector,
                        NEODetector,
                        RMSThresholdDetector,
                        SpikeBandPower,
                        make_detector,
)
from .frontend import FrontEnd
from .heat import (
                        BRAIN_K_W_PER_M_K,
                        BRAIN_PERFUSION_W_PER_M3_K,
                        HEAT_GEOMETRIES,
                        HEAT_SURROUNDINGS,
                        block_temperature_rise_K,
                        disc_temperature_rise_K,
                        implant_temperature_rise_K,
                        perfusion_length_mm,
                        set_heat_cache_dir,
                        sphere_temperature_rise_K,
                        thermal_check,
)
from .lfp import LFPPath
from .mux import MUX_SCHEMES, MuxSkew, mux_sample_offsets_s
from .noise import AmplifierNoise
from .outputs import (
                        OUTPUT_MODES,
                        count_bits,
                        mode_rate_bps,
                        mode_rates_bps,
                        snippet_bits,
)
from .power import (
                        POWER_DENSITY_LIMIT_MW_PER_CM2,
                        PowerBudget,
                        adc_power_uW,
                        amplifier_power_uW,
                        chip_power,
                        clock_power_uW,
                        digital_power_uW,
                        power_density_mW_per_cm2,
                        radio_power_uW,
)
from .report import chip_report
from .stimulation import (
                        SHANNON_K_DAMAGE,
                        SHANNON_K_DEFAULT_LIMIT,
                        BiphasicPulse,
                        blank_samples,
                        pulse_sample_indices,
                        shannon_k,
                        stimulation_artefact_uV,
)
from .telemetry import EventLink, LinkResult, packet_loss_probability

__all__ = [
                        "ADC",
                        "BRAIN_K_W_PER_M_K",
                        "BRAIN_PERFUSION_W_PER_M3_K",
                        "DETECTOR_KINDS",
                        "HEAT_GEOMETRIES",
                        "HEAT_SURROUNDINGS",
                        "MUX_SCHEMES",
                        "OUTPUT_MODES",
                        "POWER_DENSITY_LIMIT_MW_PER_CM2",
                        "SHANNON_K_DAMAGE",
                        "SHANNON_K_DEFAULT_LIMIT",
                        "AbsoluteThresholdDetector",
                        "AmplifierNoise",
                        "BiphasicPulse",
                        "EventLink",
                        "FrontEnd",
                        "LFPPath",
                        "LinkResult",
                        "MADThresholdDetector",
                        "MuxSkew",
                        "NEODetector",
                        "PowerBudget",
                        "RMSThresholdDetector",
                        "RiceEncoder",
                        "SpikeBandPower",
                        "adc_power_uW",
                        "amplifier_power_uW",
                        "blank_samples",
                        "block_temperature_rise_K",
                        "chip_power",
                        "chip_report",
                        "clock_power_uW",
                        "count_bits",
                        "digital_power_uW",
                        "disc_temperature_rise_K",
                        "event_bits",
                        "event_rate_bps",
                        "implant_temperature_rise_K",
                        "make_detector",
                        "mode_rate_bps",
                        "mode_rates_bps",
                        "mux_sample_offsets_s",
                        "packet_loss_probability",
                        "perfusion_length_mm",
                        "set_heat_cache_dir",
                        "power_density_mW_per_cm2",
                        "pulse_sample_indices",
                        "radio_power_uW",
                        "raw_rate_bps",
                        "rice_decode",
                        "shannon_k",
                        "snippet_bits",
                        "sphere_temperature_rise_K",
                        "stimulation_artefact_uV",
                        "thermal_check",
]
