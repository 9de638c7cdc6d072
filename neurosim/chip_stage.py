"""The chip stage as the orchestrator drives it: one object per run, fed chunk by chunk.

Builds the ``chip_models`` blocks from the design's ``chip`` section and keeps their state across
chunks: front end (band-pass, gain, saturation) → ADC → on-chip detector (``chip.detector.kind``)
→ (multiplexed sampling skew) → output mode (raw, lossless-compressed raw with the real Rice codec, events, snippets, binned
counts, spike-band power) → telemetry (FIFO, packets, bit errors) → power and heat.

Two measurement-only blocks sit beside the chip and cost it nothing in the power model:

- a noise meter (MAD, σ = median|x|/0.6745 over the calibration window, read on the ADC's bins
  and at least the quantisation noise LSB/√12: `chip_models.detection.quantised_mad_sigma`) gives
  every channel's noise level for SNR and for deciding which units are detectable, whatever the
  detector is;
- the stimulation artefact and blanking (``chip.stimulation``) act on the recording path.

Scores use the events that reach the receiver: for event-like modes (events, snippets) that is
what the link delivered; otherwise every detection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import chip_models as cm

__all__ = ["ChipChain", "ChipOutcome", "artefact_peaks_uV"]

_EVENT_MODES = ("events", "snippets")


@dataclass
class ChipOutcome:
    detected: tuple[np.ndarray, np.ndarray]
    received: tuple[np.ndarray, np.ndarray]
    dropped_by_channel: np.ndarray
    threshold_uV: np.ndarray
    noise_uV: np.ndarray
    rates_bps: dict
    sent_bps: float
    compression_ratio: float
    power: cm.PowerBudget
    thermal: dict
    report: dict
    saturated_samples: np.ndarray | None = None
    lfp_uV: np.ndarray | None = None
    lfp_fs_hz: float | None = None



def artefact_peaks_uV(stim, positions_um: np.ndarray, contact: int, amplitude_uA: float | None = None) -> np.ndarray:
    """Stimulation artefact peak per channel, µV, for a pulse on ``contact``.

    ``stim.artefact_peak_uV`` at 100 µm from the contact, scaled as 1/distance (a point current
    source; distances below 10 µm count as 10 µm) and in proportion to the pulse current relative
    to ``stim.amplitude_uA`` (the medium is linear).

    Parameters
    ----------
    stim : neurosim.design.chip.Stimulation
    positions_um : np.ndarray, shape (C, 3)
        Contact positions, µm.
    contact : int
        Stimulating contact, in [0, C - 1].
    amplitude_uA : float, optional
        Phase current of the pulse, µA (default: ``stim.amplitude_uA``).
    """
    pos = np.asarray(positions_um, float)
    if not 0 <= int(contact) < len(pos):
        raise ValueError(f"chip.stimulation.contact must be in [0, {len(pos) - 1}], got {contact}")
    scale = 1.0 if amplitude_uA is None else float(amplitude_uA) / stim.amplitude_uA
    d = np.linalg.norm(pos - pos[int(contact)], axis=1)
    return stim.artefact_peak_uV * scale * 100.0 / np.maximum(d, 10.0)

class ChipChain:
    """Front end → ADC → detector → output → link for one run (stateful across chunks)."""

    def __init__(self, design, num_channels: int, seed: int, keep: bool = True):
        chip, fs = design.chip, design.recording.fs_hz
        self.keep = keep  # keep every chunk's events and LFP for finish() (False: caller streams them)
        fe = chip.front_end
        self.design, self.num_channels, self.fs = design, num_channels, fs
        input_noise = None
        if fe.add_amplifier_noise:  # white + 1/f, generated on the chip side instead of as white noise
            density = fe.noise_uV_rms / np.sqrt(fe.lowpass_hz - fe.highpass_hz)
            input_noise = cm.AmplifierNoise(num_channels, fs, density, corner_hz=fe.noise_corner_hz,
                                            seed=seed)
        self.front_end = cm.FrontEnd(fs, num_channels, gain_v_per_v=fe.gain_v_per_v,
                                     highpass_hz=fe.highpass_hz, lowpass_hz=fe.lowpass_hz,
                                     filter_order=fe.filter_order, output_swing_mV=fe.output_swing_mV,
                                     recovery_s=fe.recovery_ms * 1e-3, input_noise=input_noise)
        self.adc = cm.ADC(bits=chip.adc.bits, full_scale_mV=fe.output_swing_mV, fs_hz=fs,
                          channels_per_adc=chip.adc.channels_per_adc, mux_scheme=chip.adc.mux_scheme)
        self.mux = cm.MuxSkew(fs, self.adc.sample_offsets_s(num_channels)) \
            if chip.adc.channels_per_adc > 1 else None
        self.lfp = cm.LFPPath(fs, num_channels, fe.lfp_highpass_hz, fe.lfp_lowpass_hz,
                              decimation=fe.lfp_decimation) if fe.lfp_enabled else None
        self._lfp_chunks: list[np.ndarray] = []
        self.lsb_uV = self.adc.lsb_mV / fe.gain_v_per_v * 1000.0
        d = chip.detector
        common = {"dead_time_s": d.dead_time_ms * 1e-3}
        params = {
            # the detectors see ADC codes (step 1): noise read on the bins, >= 1/sqrt(12) code
            "mad_threshold": dict(threshold_k=d.threshold_k, calibration_s=d.calibration_s,
                                  polarity=d.polarity, adaptive=d.adaptive,
                                  adaptation_time_s=d.adaptation_time_s, quantisation_step=1.0),
            "rms_threshold": dict(threshold_k=d.threshold_k, calibration_s=d.calibration_s,
                                  polarity=d.polarity, quantisation_step=1.0),
            "absolute_threshold": dict(threshold=d.absolute_threshold_uV / self.lsb_uV, polarity=d.polarity),
            "neo": dict(threshold_c=d.neo_threshold_c, window_samples=d.neo_window_samples,
                        calibration_s=d.calibration_s),
        }[d.kind]
        self.detector = cm.make_detector(d.kind, num_channels, fs, **common, **params)

        radio = chip.radio
        self.encoder = cm.RiceEncoder(num_channels, chip.adc.bits, radio.compression_block_samples) \
            if radio.output_mode == "compressed" else None
        self.compressed_bytes = 0
        self.link = None
        if radio.output_mode in _EVENT_MODES:
            ev_bits = cm.event_bits(num_channels, fs)
            if radio.output_mode == "snippets":
                ev_bits = cm.snippet_bits(num_channels, fs, chip.adc.bits, radio.snippet_samples)
            self.link = cm.EventLink(num_channels, fs, radio.link_capacity_mbps * 1e6,
                                     payload_bits=radio.payload_bits, header_bits=radio.header_bits,
                                     bit_error_rate=radio.bit_error_rate, buffer_events=radio.buffer_events,
                                     frame_s=radio.frame_ms * 1e-3, seed=seed, bits_per_event=ev_bits)
        self.stim = None
        # pulses commanded while the twin runs (`command_pulses`, the live stream's stimulation
        # inlet): blanked like the design's own train
        self.blanking_samples = int(round(chip.stimulation.blanking_ms * 1e-3 * fs))
        self._commanded = np.zeros(0, np.int64)
        if chip.stimulation.enabled:
            s = chip.stimulation
            pulse = cm.BiphasicPulse(s.amplitude_uA, s.phase_width_us, s.interphase_gap_us, s.rate_hz,
                                     s.site_area_um2, s.k_limit)
            self.stim = (cm.pulse_sample_indices(pulse, fs, 0.0, design.recording.duration_s),
                         int(round(s.blanking_ms * 1e-3 * fs)))
        # The noise meter is the detector itself when that is the fixed-threshold MAD estimator
        # on the unblanked codes (the default); otherwise a separate MAD estimator runs beside it.
        if d.kind == "mad_threshold" and not d.adaptive and self.stim is None:
            self.meter = self.detector
        else:
            self.meter = cm.MADThresholdDetector(num_channels, fs, threshold_k=d.threshold_k,
                                                 calibration_s=d.calibration_s, dead_time_s=0.0,
                                                 quantisation_step=1.0)
        self._det, self._rx, self._drop = [], [], np.zeros(num_channels, np.int64)
        self._samples = 0
        self.num_detected = self.num_received = 0
        empty = (np.zeros(0, np.int64), np.zeros(0, np.int32))
        self.last_detected, self.last_received, self.last_lfp = empty, empty, None

    def add_stimulation_artefact(self, x_uV: np.ndarray, start: int, artefact_peak_uV: np.ndarray) -> None:
        """Add the artefact of every pulse to a chunk (peak per channel, µV), in place."""
        if self.stim is not None:
            s = self.design.chip.stimulation
            x_uV += cm.stimulation_artefact_uV(start, len(x_uV), self.fs, self.stim[0], artefact_peak_uV,
                                               s.artefact_tau_ms * 1e-3).astype(np.float32)

    def command_pulses(self, onsets) -> None:
        """Pulses delivered on command while running (sample indices of their onsets): the
        detector is blanked after each as after the design's train. The caller adds their artefact
        to the signal (`artefact_peaks_uV`) and checks their safety."""
        self._commanded = np.union1d(self._commanded, np.asarray(onsets, np.int64))

    def _blanked_onsets(self, start: int, n: int) -> np.ndarray:
        """Pulse onsets whose blanking reaches into samples ``[start, start + n)``."""
        onsets = self._commanded if self.stim is None else np.concatenate([self._commanded, self.stim[0]])
        return onsets[(onsets < start + n) & (onsets + self.blanking_samples > start)]

    def process(self, x_uV: np.ndarray) -> np.ndarray:
        """Run one chunk of electrode signal (µV) through the chip; return the ADC codes.

        The chunk's detections, received events and LFP samples are left in ``last_detected``,
        ``last_received`` and ``last_lfp``.
        """
        start = self._samples
        if self.lfp is not None:
            self.last_lfp = np.asarray(self.lfp.process(x_uV), np.float32)
            if self.keep:
                self._lfp_chunks.append(self.last_lfp)
        if self.mux is None:    # front end and ADC in one pass (no float32 chunk in between)
            codes = self.front_end.process_codes(x_uV, self.adc)
        else:
            codes = self.adc.convert(self.mux.process(self.front_end.process(x_uV)))
        onsets = self._blanked_onsets(start, len(codes))
        det_in = cm.blank_samples(codes, start, onsets, self.blanking_samples) if onsets.size else codes
        s, c = self.detector.process(det_in)
        if self.meter is not self.detector:
            self.meter.process(codes)
        self.last_detected = self.last_received = (s, c)
        self.num_detected += len(s)
        if self.keep:
            self._det.append((s, c))
        if self.encoder is not None:
            self.compressed_bytes += len(self.encoder.encode(codes))
        if self.link is not None:
            res = self.link.process(s, c, len(codes))
            self.last_received = (res.delivered_sample, res.delivered_channel)
            if self.keep:
                self._rx.append(self.last_received)
            np.add.at(self._drop, res.overflow_channel, 1)
            np.add.at(self._drop, res.corrupted_channel, 1)
        self.num_received += len(self.last_received[0])
        self._samples += len(codes)
        return codes

    def template_peaks_uV(self, templates, pad_s: float = 2e-3, rows_per_block: int = 32768) -> np.ndarray:
        """Signed peak of every sparse template after the front end's band-pass, µV, shape (U, K).

        The band-pass is linear and starts from rest: each live template column, followed by
        ``pad_s`` of zeros (the filter rings out), goes through the front end's filter
        (`FrontEnd.filter_uV`, one vectorised ``sosfilt`` along the rows of a block of columns).
        """
        wf, chan = templates.waveforms_uV, np.asarray(templates.channel_index)
        u, t, k = wf.shape
        n = t + int(round(pad_s * self.fs))
        peaks = np.zeros((u, k))
        ui, ki = np.nonzero(chan >= 0)
        for lo in range(0, len(ui), rows_per_block):
            uu, kk = ui[lo:lo + rows_per_block], ki[lo:lo + rows_per_block]
            x = np.zeros((len(uu), n))
            x[:, :t] = wf[uu, :, kk]
            y = self.front_end.filter_uV(x, axis=1)
            idx = np.argmax(np.abs(y), axis=1)
            peaks[uu, kk] = y[np.arange(len(uu)), idx]
        return peaks

    def threshold_uV(self) -> np.ndarray:
        """The amplitude threshold per channel now, µV (the noise meter's for NEO); NaN while
        calibrating."""
        amplitude_detector = self.design.chip.detector.kind != "neo"
        thr = np.asarray(self.detector.threshold if amplitude_detector else self.meter.threshold, float)
        return thr * self.lsb_uV

    def finish(self, duration_s: float) -> ChipOutcome:
        """Close the streams; data rates, power, heat and the chip report."""
        chip, fe, radio = self.design.chip, self.design.chip.front_end, self.design.chip.radio

        def cat(pairs):
            if not pairs:
                return np.zeros(0, np.int64), np.zeros(0, np.int32)
            return np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])

        detected = cat(self._det)
        received = cat(self._rx) if self.link is not None else detected
        ratio = float("nan")
        if self.encoder is not None:
            self.compressed_bytes += len(self.encoder.flush())
            ratio = self.encoder.ratio
        rates = cm.mode_rates_bps(duration_s, self.num_channels, self.fs, chip.adc.bits,
                                  num_events=self.num_detected,
                                  compressed_bytes=self.compressed_bytes if self.encoder else None,
                                  snippet_samples=radio.snippet_samples, bin_s=radio.bin_ms * 1e-3,
                                  dead_samples=int(round(chip.detector.dead_time_ms * 1e-3 * self.fs)),
                                  sbp_bits=radio.sbp_bits)
        offered = rates[radio.output_mode]
        link_bps = radio.link_capacity_mbps * 1e6
        sent = self.link.sent_rate_bps() if self.link is not None else min(offered, link_bps)
        extra_ops = self.encoder.ops_per_sample if self.encoder is not None else 0.0
        power = cm.chip_power(
            num_channels=self.num_channels, fs_hz=self.fs, bits=chip.adc.bits, nef=fe.nef,
            noise_uV_rms=fe.noise_uV_rms, bandwidth_hz=fe.lowpass_hz - fe.highpass_hz,
            adc_fom_fJ_per_step=chip.adc.fom_fJ_per_step,
            detector_ops_per_sample=self.detector.ops_per_sample,
            energy_pJ_per_op=chip.detector.energy_pJ_per_op, radio_bit_rate_bps=min(sent, link_bps),
            radio_energy_pJ_per_bit=radio.energy_pJ_per_bit, supply_V=fe.supply_V,
            extra_ops_per_sample=extra_ops, static_uW=chip.power.static_uW,
            clock_hz=chip.power.clock_mhz * 1e6,
            clock_energy_pJ_per_cycle=chip.power.clock_energy_pJ_per_cycle)
        th = chip.thermal
        thermal = cm.thermal_check(power.total_mW, th.footprint_mm, th.chip_area_mm2, th.geometry, th.limit_K)
        report = cm.chip_report(
            num_channels=self.num_channels, fs_hz=self.fs, highpass_hz=fe.highpass_hz,
            lowpass_hz=fe.lowpass_hz, bits=chip.adc.bits, detector_kind=chip.detector.kind,
            output_mode=radio.output_mode, rates_bps=rates, link_capacity_bps=link_bps, power=power,
            footprint_mm=th.footprint_mm, chip_area_mm2=th.chip_area_mm2, heat_geometry=th.geometry,
            compression_ratio=None if np.isnan(ratio) else ratio)
        return ChipOutcome(detected=detected, received=received, dropped_by_channel=self._drop,
                           threshold_uV=self.threshold_uV(),
                           noise_uV=np.asarray(self.meter.sigma, float) * self.lsb_uV,
                           rates_bps=rates, sent_bps=float(sent), compression_ratio=ratio,
                           power=power, thermal=thermal, report=report,
                           saturated_samples=np.asarray(self.front_end.num_saturated_samples),
                           lfp_uV=np.concatenate(self._lfp_chunks) if self._lfp_chunks else None,
                           lfp_fs_hz=self.fs / self.design.chip.front_end.lfp_decimation if self.lfp else None)
