"""The static part of a run's HDF5 file (probe, ground truth, chip, scores), written once at the end.

The streamed part (traces, spikes, events, LFP) is appended chunk by chunk by
`neurosim.run_sinks.WriterSink`; both follow `neurosim.io.schema`.
"""

from __future__ import annotations

import json

import numpy as np

import electrode_models as em
from neurosim import __version__

__all__ = ["write_run_file"]


def write_run_file(w, design, *, seed, activity, templates, setup, elec, out, scores, lsb_uV, delay_s,
                   window, unit_stats, decoding):
    """Write everything but the streamed datasets (traces, spikes, events, LFP) at the end of a run.

    ``w`` is the run's open `neurosim.io.hdf5.AtomicH5Writer`; the paths follow
    `neurosim.io.schema`.
    """
    import probeinterface
    from probeinterface import ProbeGroup

    probe, positions, radius = setup.probe, setup.positions_um, setup.radius_um
    fs, chip = design.recording.fs_hz, design.chip
    w.attrs("/", neurosim_version=__version__, seed=seed, design_toml=design.to_toml())
    w.attrs("recording", fs_hz=fs, duration_s=design.recording.duration_s, adc_lsb_uV=lsb_uV,
            gain_v_per_v=chip.front_end.gain_v_per_v, stored_traces=design.recording.store_traces)
    w.write("ground_truth/units/alive", elec.cell_alive)
    w.write("probe/channel_alive", elec.alive)
    w.write("probe/signal_gain", elec.signal_gain)
    w.write("ground_truth/units/positions_um", activity.positions_um)
    w.write("ground_truth/units/cell_type", activity.cell_types)
    w.write("ground_truth/units/orientation", activity.orientations)
    if activity.cell_class is not None:
        w.write("ground_truth/units/cell_class", activity.cell_class)
        w.write("ground_truth/units/morphology_variant", activity.morphology_variant)
        w.write("ground_truth/units/spin_rad", activity.spin_rad)
        w.attrs("ground_truth/units", cell_class_names=json.dumps(list(em.CELL_CLASSES)))
    w.write("ground_truth/units/generated", activity.generated_mask())
    for name, values in unit_stats.items():
        w.write(f"ground_truth/units/{name}", values)
    w.write("ground_truth/units/peak_amplitude_uV", templates.peak_amplitude_uV)
    # K = the most channels any unit has: the columns that every unit pads (-1) are not written
    # (a Utah unit has ~1 live column of the library's 8: the file is that much smaller)
    templates = em.prune_template_channels(templates, 0.0)
    w.write("ground_truth/templates/waveforms_uV", templates.waveforms_uV)
    w.write("ground_truth/templates/channel_index", templates.channel_index)
    w.attrs("ground_truth/templates", nbefore=templates.nbefore, fs_hz=fs)
    w.write("probe/contact_positions_um", positions)
    w.write("probe/contact_plane_axes", np.asarray(probe.contact_plane_axes, float))
    w.write("probe/contact_radius_um", radius)
    w.write("probe/impedance_ohm", elec.impedance_ohm)
    group = ProbeGroup()
    group.add_probe(probe)
    probe_json = {"specification": "probeinterface", "version": probeinterface.__version__,
                  **group.to_dict(array_as_list=True)}  # the layout of write_probeinterface
    w.write("probe/probeinterface_json", json.dumps(probe_json))
    w.attrs("probe", layout=design.implant.layout, material=design.implant.material,
            anatomical_class=setup.anatomical_class, days_since_implant=design.implant.days_since_implant)
    w.write("chip/events_dropped", out.dropped_by_channel)
    w.write("chip/threshold_uV", out.threshold_uV)
    w.write("chip/noise_uV_rms", out.noise_uV)
    w.write("chip/input_noise_uV_rms", elec.noise_sigma_uV)
    w.write("chip/saturated_samples", np.asarray(out.saturated_samples))
    power, rates, link_bps = out.power, out.rates_bps, chip.radio.link_capacity_mbps * 1e6
    w.attrs("chip", group_delay_s=delay_s, raw_rate_bps=rates["raw"], event_rate_bps=rates["events"],
            transmitted_rate_bps=out.sent_bps, link_capacity_bps=link_bps,
            link_utilisation=out.sent_bps / link_bps, output_mode=chip.radio.output_mode,
            power_amplifier_uW=power.amplifier_uW, power_adc_uW=power.adc_uW,
            power_digital_uW=power.digital_uW, power_radio_uW=power.radio_uW,
            power_static_uW=power.static_uW, power_clock_uW=power.clock_uW,
            power_total_uW=power.total_uW, power_per_channel_uW=power.per_channel_uW,
            detector_kind=chip.detector.kind, report_json=json.dumps(out.report, default=float))
    s = scores
    w.write("scores/channel/precision", s.channel_precision)
    w.write("scores/channel/recall", s.channel_recall)
    w.write("scores/channel/f1", s.channel_f1)
    w.write("scores/channel/num_detected", s.channel_num_detected)
    w.write("scores/channel/num_true", s.channel_num_true)
    w.write("scores/unit/recall", s.unit_recall)
    w.write("scores/unit/precision", s.unit_precision)
    w.write("scores/unit/f1", s.unit_f1)
    w.write("scores/unit/detectable", s.unit_detectable)
    for group in ("behaviour", "lfp_proxy"):
        values = getattr(activity, group, None)
        if values:
            w.write_group(group, values)
    if out.lfp_fs_hz is not None:
        w.write_group("lfp", {"fs_hz": out.lfp_fs_hz})
    w.attrs("scores", **decoding)
    w.attrs("scores", precision=s.precision, recall=s.recall, f1=s.f1,
            tolerance_ms=design.scoring.tolerance_ms, window_start_s=window[0] / fs,
            window_stop_s=window[1] / fs, num_detectable_units=int(s.unit_detectable.sum()))
