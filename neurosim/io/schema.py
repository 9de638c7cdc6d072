"""The neurosim HDF5 file format: every dataset's path, dtype, shape, unit and meaning.

The writer (`neurosim.io.hdf5`) creates datasets only through `SCHEMA` and the reader
checks files against it; ``docs/file_format.md`` is generated from it
(regenerate with ``neurosim schema > docs/file_format.md``). Shapes use the symbols
``S`` samples, ``C`` channels, ``N`` spikes, ``U`` units (simulated cells), ``T`` template samples,
``K`` sparse channels per unit, ``E`` chip events.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "Entry", "SCHEMA", "ROOT_ATTRS", "DYNAMIC_GROUPS", "markdown"]

FORMAT_NAME = "neurosim"
FORMAT_VERSION = "0.2"   # 0.2: no ground_truth/spike_times_s (= spike_samples / fs_hz)


@dataclass(frozen=True)
class Entry:
    dtype: str
    shape: str
    unit: str
    description: str


SCHEMA: dict[str, Entry] = {
    # recording
    "recording/traces_uV": Entry("float32", "(S, C)", "uV",
                                 "signal at the electrodes: spikes + thermal + amplifier noise (input-referred), before the chip"),
    "recording/traces_adc": Entry("int16", "(S, C)", "ADC code",
                                  "chip output after front end (band-pass, gain, saturation) and ADC; uV = code * attrs adc_lsb_uV"),
    # ground truth
    "ground_truth/spike_samples": Entry("int64", "(N,)", "sample", "true spike times as sample indices (SpikeInterface's spike frames); in seconds: spike_samples / attrs recording fs_hz"),
    "ground_truth/spike_units": Entry("int32", "(N,)", "", "unit index of each spike"),
    "ground_truth/units/positions_um": Entry("float64", "(U, 3)", "um", "soma positions (tissue frame, surface z = 0)"),
    "ground_truth/units/cell_type": Entry("int8", "(U,)", "", "0 pyramidal (excitatory), 1 interneuron (inhibitory)"),
    "ground_truth/units/orientation": Entry("float64", "(U, 3)", "", "unit vector of the cell's main axis"),
    "ground_truth/units/cell_class": Entry("int8", "(U,)", "", "morphological class, index into attrs cell_class_names (electrode_models.CELL_CLASSES)"),
    "ground_truth/units/morphology_variant": Entry("int16", "(U,)", "", "morphological variant of the class (electrode_models.cell_variant)"),
    "ground_truth/units/spin_rad": Entry("float64", "(U,)", "rad", "rotation of the cell about its main axis"),
    "ground_truth/units/generated": Entry("bool", "(U,)", "", "True: beyond the reach radius, fires as an independent renewal process (no synapses)"),
    "ground_truth/units/firing_rate_hz": Entry("float64", "(U,)", "Hz", "mean firing rate over the recording"),
    "ground_truth/units/peak_amplitude_uV": Entry("float32", "(U,)", "uV", "signed peak of the raw template on its best channel"),
    "ground_truth/units/snr": Entry("float32", "(U,)", "", "filtered template peak on best channel / noise sigma (MAD) there"),
    "ground_truth/units/alive": Entry("bool", "(U,)", "", "False: the neuron was lost around the implant (chronic kill zone) and does not fire"),
    "ground_truth/units/best_channel": Entry("int32", "(U,)", "", "channel with the largest filtered amplitude (-1: none)"),
    "ground_truth/templates/waveforms_uV": Entry("float32", "(U, T, K)", "uV", "raw templates on each unit's K channels (K: the most channels any unit has)"),
    "ground_truth/templates/channel_index": Entry("int32", "(U, K)", "", "channels of the sparse templates (-1: padding)"),
    # probe
    "probe/contact_positions_um": Entry("float64", "(C, 3)", "um", "contact centres in the tissue frame"),
    "probe/contact_plane_axes": Entry("float64", "(C, 2, 3)", "", "two unit vectors spanning each contact's plane"),
    "probe/contact_radius_um": Entry("float64", "(C,)", "um", "contact (disc) radius"),
    "probe/impedance_ohm": Entry("float64", "(C,)", "ohm", "|Z| at 1 kHz of each contact"),
    "probe/channel_alive": Entry("bool", "(C,)", "", "False: a dead channel (chronic yield loss): amplifier noise only"),
    "probe/signal_gain": Entry("float64", "(C,)", "", "electrode-amplifier divider at 1 kHz x chronic attenuation (x2 on an insulating surface)"),
    "probe/probeinterface_json": Entry("str", "()", "", "the probe as probeinterface JSON"),
    # chip
    "chip/events/sample_index": Entry("int64", "(E,)", "sample", "events received from the chip (after the link, for event modes): detection sample"),
    "chip/events/channel": Entry("int32", "(E,)", "", "events received from the chip: channel"),
    "chip/events_dropped": Entry("int64", "(C,)", "", "events lost on the link per channel (FIFO overflow or bit errors)"),
    "chip/threshold_uV": Entry("float64", "(C,)", "uV", "detection threshold per channel, input-referred"),
    "chip/noise_uV_rms": Entry("float64", "(C,)", "uV", "noise sigma per channel estimated on chip (median|x|/0.6745), input-referred"),
    "chip/input_noise_uV_rms": Entry("float64", "(C,)", "uV", "white-noise sigma added at the electrodes (thermal over the band + amplifier, spread over 0..fs/2)"),
    "chip/saturated_samples": Entry("int64", "(C,)", "sample", "samples clipped by the front end"),
    # scores
    "scores/channel/precision": Entry("float64", "(C,)", "", "matched detections / detections (NaN: no detection)"),
    "scores/channel/recall": Entry("float64", "(C,)", "", "matched true events / true events (NaN: none)"),
    "scores/channel/f1": Entry("float64", "(C,)", "", "harmonic mean of precision and recall"),
    "scores/channel/num_detected": Entry("int64", "(C,)", "", "detections in the scored window"),
    "scores/channel/num_true": Entry("int64", "(C,)", "", "spikes of units whose noise-free template crosses the threshold"),
    "scores/unit/recall": Entry("float64", "(U,)", "", "fraction of a unit's spikes detected on its best channel"),
    "scores/unit/precision": Entry("float64", "(U,)", "", "precision of the unit's best channel (detection is not sorting)"),
    "scores/unit/f1": Entry("float64", "(U,)", "", "harmonic mean of the unit's precision and recall"),
    "scores/unit/detectable": Entry("bool", "(U,)", "", "noise-free template crosses the threshold on its best channel"),
}

#: Groups whose datasets depend on the population model; each key names its unit as a suffix.
DYNAMIC_GROUPS: dict[str, str] = {
    "behaviour": "behaviour labels of the population model (e.g. motor_cortex: time_s, "
                 "cursor_position_cm, cursor_velocity_cm_per_s, target_cm, trial_start_s, trial_end_s)",
    "lfp": "LFP band of the chip (chip.front_end.lfp_enabled): lfp_uV (S / decimation, C), fs_hz",
    "lfp_proxy": "population LFP proxy and current dipoles (population.record_lfp): time_s, proxy, dipole_nA_um",
}

#: Attributes: path -> {name: description}. Units are in the names.
ROOT_ATTRS: dict[str, dict[str, str]] = {
    "/": {"format": "always 'neurosim'", "format_version": "file format version",
          "neurosim_version": "package version that wrote the file", "seed": "master seed",
          "created_utc": "ISO time of writing", "design_toml": "the full design as TOML"},
    "recording": {"fs_hz": "sampling rate", "duration_s": "recording length",
                  "adc_lsb_uV": "input-referred size of one ADC code", "gain_v_per_v": "front-end gain",
                  "stored_traces": "optional: trace datasets present: all, adc or none "
                                   "(recording.store_traces; absent in older files: all)"},
    "ground_truth/templates": {"nbefore": "template samples before the spike time: each template's extremum on its best channel is at sample nbefore",
                               "fs_hz": "template sampling rate"},
    "ground_truth/units": {"cell_class_names": "optional: JSON list of the morphological class names "
                                               "indexed by ground_truth/units/cell_class"},
    "probe": {"layout": "layout name", "material": "site material",
              "anatomical_class": "intracortical, subdural, epidural or endovascular",
              "days_since_implant": "chronic state of the implant"},
    "chip": {"group_delay_s": "front-end group delay at the band centre (information; detections are matched at their crossing sample)",
             "raw_rate_bps": "raw data rate", "event_rate_bps": "event data rate",
             "transmitted_rate_bps": "rate of the selected output mode", "link_capacity_bps": "radio link capacity",
             "link_utilisation": "transmitted / link capacity", "output_mode": "raw or events",
             "power_amplifier_uW": "amplifiers, all channels", "power_adc_uW": "ADCs", "power_digital_uW": "detector logic",
             "power_radio_uW": "radio", "power_static_uW": "static (bias, leakage)", "power_clock_uW": "clock tree",
             "power_total_uW": "chip total", "power_per_channel_uW": "total / channels",
             "detector_kind": "on-chip detector", "report_json": "the chip design report (rates, power, heat) as JSON"},
    "scores": {"precision": "micro-averaged over channels", "recall": "micro-averaged over channels",
               "f1": "from precision and recall", "tolerance_ms": "matching half-window",
               "window_start_s": "start of scored window (after calibration)", "window_stop_s": "end of scored window",
               "num_detectable_units": "units whose noise-free template crosses threshold",
               "decoding_ridge_r2": "optional: held-out R² of a ridge decoder of cursor velocity (motor model only)",
               "decoding_kalman_r2": "optional: held-out R² of a Kalman decoder of cursor velocity (motor model only)"},
}


def markdown() -> str:
    """The schema as a Markdown document (``docs/file_format.md``)."""
    lines = [f"# The neurosim HDF5 file format (version {FORMAT_VERSION})", "",
             "Generated from `neurosim/io/schema.py`; do not edit by hand. "
             "Shapes: S samples, C channels, N spikes, U units, T template samples, "
             "K sparse channels per unit, E chip events.", "",
             "Files are written to a temporary name and renamed when complete, so a file under "
             "its final name is always whole.", "",
             "Conventions: positions are in the tissue frame (µm; x, y horizontal, z up, cortical "
             "surface z = 0, depth = -z); `neurosim.io.read_sorting` gives SpikeInterface's "
             "`gt_unit_locations` in the probe's frame instead (see `docs/interop.md`). A spike's time "
             "is the extremum (largest absolute value) of its unit's raw template on the best channel, "
             "template sample `nbefore`; `spike_samples` is that time rounded to the nearest sample "
             "(the recording is built from these samples; times in seconds are `spike_samples / fs_hz`, "
             "`neurosim.io.spike_times_s`).", "",
             "## Datasets", "", "| path | dtype | shape | unit | meaning |", "|---|---|---|---|---|"]
    for path, e in SCHEMA.items():
        lines.append(f"| `/{path}` | {e.dtype} | {e.shape} | {e.unit} | {e.description} |")
    lines += ["", "## Model-dependent groups (optional)", "", "| group | contents |", "|---|---|"]
    for group, desc in DYNAMIC_GROUPS.items():
        lines.append(f"| `/{group}/` | {desc} |")
    lines += ["", "## Attributes", "", "| group | attribute | meaning |", "|---|---|---|"]
    for group, attrs in ROOT_ATTRS.items():
        for name, desc in attrs.items():
            lines.append(f"| `{group}` | `{name}` | {desc} |")
    return "\n".join(lines) + "\n"

