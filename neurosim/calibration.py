"""Calibration: the twin's recordings beside what real implants record.

A chip designer's F1 or an algorithm team's training set is only as good as the recordings it is
computed on. This module runs the twin on reference devices (a Neuropixels 1.0 shank with TiN
sites in the default cortex, a Utah array with Pt tips in motor cortex during a reaching task,
90 days after implantation) and measures, from the files a user gets, the quantities that
are published for those devices:

- ``noise_uV_rms``: total noise, the median over channels of the MAD estimate of the band-passed
  trace (input-referred), what a lab reports as "noise" (spikes, background, thermal and
  amplifier noise together);
- ``units_per_channel``: units with SNR >= 5 on their best channel (filtered template peak over
  that noise) that fire at >= 0.1 Hz with at least `MIN_SPIKES` spikes in the recording (a
  sorter cannot isolate fewer spikes; short runs therefore undercount slow units), per channel;
- ``median_amplitude_uV``: median |peak| of those units' templates on their best channel;
- ``narrow_fraction``: fraction of those units whose trough-to-peak time is < 0.4 ms;
- ``median_isi_cv``: median coefficient of variation of the inter-spike intervals of cells with
  >= 10 spikes;
- ``shape_similarity``: median pairwise cosine similarity of the best-channel waveforms of those
  units (SpikeInterface's ground-truth generator: 0.969);
- ``noise_over_bench``: ``noise_uV_rms`` over the noise of the same channel on the bench (its site
  in saline before implantation, and its amplifier: `bench_noise_uV_rms`), against the published
  rise of microelectrode noise from in vitro to in vivo.

`REFERENCES` holds the published range of each, with its source (also in
``docs/references.md``); `calibrate` returns the table that ``neurosim calibrate`` prints.
"""

from __future__ import annotations

import logging
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from electrode_models.materials import CALIBRATION_SIGMA_S_PER_M
from neurosim.design import Design, default_design

__all__ = ["REFERENCES", "DEVICES", "Reference", "CalibrationRow", "calibration_design", "measure",
           "calibrate", "format_table", "trough_to_peak_ms", "shape_similarity",
           "amplifier_noise_from_bench"]

logger = logging.getLogger(__name__)

#: SNR a unit needs on its best channel to count as isolatable.
SNR_MIN = 5.0
#: Rate a unit needs to count as isolatable (a sorter needs spikes), Hz.
RATE_MIN_HZ = 0.1
#: Days after implantation of the Utah reference: Suner et al. 2005 and Chestek et al. 2011
#: report chronic recordings (weeks to years), not acute ones.
UTAH_DAYS = 90.0
#: Spike band of the Utah reference, Hz: the Cerebus system (Cyberkinetics, later Blackrock) with
#: which the published chronic Utah recordings were made filters its front end to 7.5 kHz and
#: high-passes the spike band at 250 Hz (Suner et al. 2005; Chestek et al. 2011).
UTAH_BAND_HZ = (250.0, 7500.0)
#: Population of the Utah reference: the published chronic Utah recordings are from the primary
#: motor cortex of macaques performing reaching or button-pressing tasks (Suner et al. 2005;
#: Chestek et al. 2011), the condition of the twin's ``motor_cortex`` model (cosine-tuned cells at
#: the baseline and depth of Moran & Schwartz 1999, during a synthetic centre-out task).
UTAH_POPULATION = "motor_cortex"
#: Spikes a unit needs in the recording to count as isolatable (a sorter clusters spikes; at the
#: 60 s acceptance length this is the 0.1 Hz criterion).
MIN_SPIKES = 6
#: Trough-to-peak time separating narrow from broad spikes, ms (Barthó et al. 2004).
NARROW_MS = 0.4
#: Neuropixels 1.0 AP-band noise (300 Hz-10 kHz) with the probe in saline, electrode included,
#: µV rms (Jun et al. 2017: 5.1 +- 0.6).
NP1_SALINE_NOISE_UV_RMS = 5.1
#: Conductivity of the saline of such bench measurements, S/m (phosphate-buffered saline; the
#: value at which `electrode_models.materials` calibrates the site impedances).
SALINE_SIGMA_S_PER_M = CALIBRATION_SIGMA_S_PER_M
#: Temperature of the bench, K (room temperature).
SALINE_TEMPERATURE_K = 298.15


@dataclass(frozen=True)
class Reference:
    """A published range: ``low <= value <= high`` in ``unit``, from ``source``."""

    low: float
    high: float
    unit: str
    source: str


#: Noise of implanted microelectrodes over that of the same electrodes in vitro: 1.5-3x for Utah
#: arrays and TDT microwires in rat cortex under deep anaesthesia (Walker lab, University of Utah,
#: 2018; OpenAlex W2901937024; their impedance rose 2.25-9x). The twin's ratio is its in-brain
#: noise over its channel on the bench (`bench_noise_uV_rms`: site in saline + amplifier).
IN_VIVO_OVER_BENCH = Reference(1.5, 3.0, "x bench", "in vivo / in vitro, Utah and microwire arrays "
                               "(Walker lab 2018, OpenAlex W2901937024)")

#: Published ranges per device and quantity (see docs/references.md for the details).
REFERENCES: dict[str, dict[str, Reference]] = {
    "neuropixels1": {
        "noise_uV_rms": Reference(5.0, 7.0, "uV rms", "Jun et al. 2017 (5.1 uV AP band, saline); "
                                  "Steinmetz et al. 2021 (in brain)"),
        "units_per_channel": Reference(0.2, 1.0, "units/ch", "Steinmetz et al. 2019 (~0.8); "
                                       "Siegle et al. 2021 (~0.3 passing QC)"),
        "median_amplitude_uV": Reference(40.0, 200.0, "uV", "Buzsaki 2004; Siegle et al. 2021"),
        "narrow_fraction": Reference(0.08, 0.35, "", "Bartho et al. 2004; Siegle et al. 2021"),
        "median_isi_cv": Reference(0.7, 1.5, "", "Softky & Koch 1993; Shinomoto et al. 2003"),
        "shape_similarity": Reference(0.0, 0.97, "", "SpikeInterface generator 0.969 (issue 12)"),
        "noise_over_bench": IN_VIVO_OVER_BENCH,
    },
    "utah": {
        "noise_uV_rms": Reference(10.0, 20.0, "uV rms", "Suner et al. 2005; Chestek et al. 2011"),
        "units_per_channel": Reference(0.2, 1.0, "units/ch", "Suner et al. 2005; Chestek et al. 2011"),
        "median_amplitude_uV": Reference(40.0, 200.0, "uV", "Suner et al. 2005; Buzsaki 2004"),
        "narrow_fraction": Reference(0.08, 0.35, "", "Bartho et al. 2004; Vigneswaran et al. 2011"),
        "median_isi_cv": Reference(0.7, 1.5, "", "Softky & Koch 1993; Shinomoto et al. 2003"),
        "shape_similarity": Reference(0.0, 0.97, "", "SpikeInterface generator 0.969 (issue 12)"),
        "noise_over_bench": IN_VIVO_OVER_BENCH,
    },
}
DEVICES = tuple(REFERENCES)


def calibration_design(device: str, duration_s: float = 10.0, *, num_channels: int | None = None,
                       seed: int = 20261129) -> Design:
    """The reference design of ``device`` (``"neuropixels1"``: TiN shank in the default cortex,
    AP band; ``"utah"``: Pt Utah 96 at day 90 in motor cortex, Cerebus spike band).

    Parameters
    ----------
    device : {"neuropixels1", "utah"}
    duration_s : float
        Recording length, s.
    num_channels : int, optional
        Neuropixels channels (default 64, a 1.3 mm stretch of cortex); ignored for Utah.
    seed : int
    """
    if device not in REFERENCES:
        raise ValueError(f"device must be one of {list(DEVICES)}, got {device!r}")
    changes = {"name": f"calibration-{device}", "seed": seed, "recording.duration_s": float(duration_s),
               "recording.chunk_s": 1.0}
    if device == "neuropixels1":
        changes.update({"implant.layout": "neuropixels1", "implant.material": "TiN",
                        "implant.layout_params": {"num_channels": int(num_channels or 64),
                                                  "tip_depth_um": 1500.0},
                        "chip.front_end.highpass_hz": 300.0, "chip.front_end.lowpass_hz": 10000.0})
        design = default_design().replace(**changes)
        # Jun et al. 2017: 5.1 uV rms AP band with the probe in saline, electrode included. The
        # site's thermal noise in that saline is ~2.3 uV, which leaves ~4.5 uV to the amplifier;
        # in tissue the same site adds ~4.7 uV (its spreading resistance is 5x that in saline).
        return design.replace(**{"chip.front_end.noise_uV_rms": amplifier_noise_from_bench(
            design, NP1_SALINE_NOISE_UV_RMS)})
    else:
        # the published Utah numbers are from chronic implants (months to years): day 90
        changes.update({"implant.layout": "utah96", "implant.material": "Pt",
                        "implant.days_since_implant": UTAH_DAYS,
                        "population.model": UTAH_POPULATION,
                        "chip.front_end.highpass_hz": UTAH_BAND_HZ[0],
                        "chip.front_end.lowpass_hz": UTAH_BAND_HZ[1]})
    return default_design().replace(**changes)


def amplifier_noise_from_bench(design: Design, bench_noise_uV_rms: float, *,
                               sigma_S_per_m: float = SALINE_SIGMA_S_PER_M,
                               temperature_K: float = SALINE_TEMPERATURE_K) -> float:
    """Amplifier noise (µV rms) that a bench measurement of the whole channel in saline implies.

    A probe's noise "in saline, electrode included" is the amplifier's input-referred noise plus
    the thermal noise of the site in that saline, ``v_bench² = v_amp² + v_th,saline²``. The site's
    thermal noise is that of Re Z(f) over the design's front-end band (``electrode_models.
    interface_thermal_noise_uV_rms``, loaded by the amplifier input), with the median site of the
    design's probe, its material, and the saline's conductivity and temperature. In tissue the
    same site is noisier: its spreading resistance ``1 / (4 sigma r)`` grows with the lower
    conductivity, and the run adds that through its own thermal noise. Subtracting the in-tissue
    thermal noise from a saline number instead under-states the amplifier (2.4 instead of
    4.56 µV for Neuropixels 1.0).

    Parameters
    ----------
    design : Design
        The design whose probe, material and front end measured ``bench_noise_uV_rms``.
    bench_noise_uV_rms : float
        Noise of the channel in saline over the front-end band, µV rms, > 0.
    sigma_S_per_m : float
        Conductivity of the saline, S/m (phosphate-buffered saline ~1.5).
    temperature_K : float
        Temperature of the bench, K (room temperature by default).

    Returns
    -------
    float
        Amplifier input-referred noise over the band, µV rms.

    Raises
    ------
    ValueError
        If the site's thermal noise alone exceeds the bench number (no amplifier noise fits).
    """
    from electrode_models._validation import check_range

    total = check_range("bench_noise_uV_rms", bench_noise_uV_rms, 0.0, 1000.0, "uV rms", low_inclusive=False)
    thermal = saline_site_noise_uV_rms(design, sigma_S_per_m=sigma_S_per_m, temperature_K=temperature_K)
    if thermal >= total:
        imp = design.implant
        raise ValueError(f"bench_noise_uV_rms must exceed the site's thermal noise in saline "
                         f"({thermal:.3g} uV rms for {imp.material}), got {total:g}")
    return float(np.sqrt(total ** 2 - thermal ** 2))


def saline_site_noise_uV_rms(design: Design, *, sigma_S_per_m: float = SALINE_SIGMA_S_PER_M,
                             temperature_K: float = SALINE_TEMPERATURE_K) -> float:
    """Thermal noise (µV rms) of the design's median site in saline before implantation.

    ``electrode_models.interface_thermal_noise_uV_rms`` over the front-end band, loaded by the
    amplifier input, with the saline's conductivity and temperature and no encapsulation.
    """
    import electrode_models as em
    from neurosim.electrodes import build_probe

    imp, fe = design.implant, design.chip.front_end
    radius = float(np.median(build_probe(design).radius_um))
    return em.interface_thermal_noise_uV_rms(
        imp.material, radius, fe.highpass_hz, fe.lowpass_hz, temperature_K, sigma_S_per_m, 1.0,
        input_capacitance_pF=imp.amplifier_input_capacitance_pF or None,
        input_resistance_ohm=imp.amplifier_input_resistance_ohm)


def bench_noise_uV_rms(design: Design) -> float:
    """Noise (µV rms) of the design's channel on the bench: its site in saline before implantation
    (`saline_site_noise_uV_rms`) and its amplifier, over the front-end band."""
    return float(np.hypot(saline_site_noise_uV_rms(design), design.chip.front_end.noise_uV_rms))


def trough_to_peak_ms(waveforms_uV: np.ndarray, fs_hz: float) -> np.ndarray:
    """Time from the trough to the following maximum of each waveform, ms (NaN: no trough).

    Parameters
    ----------
    waveforms_uV : np.ndarray, shape (n_units, n_samples)
    fs_hz : float
    """
    w = np.asarray(waveforms_uV, float)
    out = np.full(w.shape[0], np.nan)
    for i, x in enumerate(w):
        t = int(np.argmin(x))
        if x[t] >= 0 or t >= len(x) - 1:
            continue
        out[i] = (int(np.argmax(x[t:])) if t < len(x) else 0) / fs_hz * 1e3
    return out


def shape_similarity(waveforms_uV: np.ndarray) -> float:
    """Median pairwise cosine similarity of waveforms, shape (n_units, n_samples) (NaN if < 2)."""
    w = np.asarray(waveforms_uV, float)
    if w.shape[0] < 2:
        return float("nan")
    w = w / np.maximum(np.linalg.norm(w, axis=1, keepdims=True), 1e-12)
    c = w @ w.T
    return float(np.median(c[np.triu_indices(len(w), k=1)]))


def band_noise_uV_rms(result: dict) -> np.ndarray:
    """Noise of each channel as a lab measures it: median(|x|)/0.6745 of the input-referred trace
    (``recording/traces_uV``) band-passed like the front end (zero-phase 3rd-order Butterworth
    between its ``highpass_hz`` and ``lowpass_hz``), µV. Falls back to the chip's estimate
    (``chip/noise_uV_rms``, quantised to the ADC step) when the file holds no float traces.

    Parameters
    ----------
    result : dict
        `neurosim.io.read_result` of the file, with ``traces=True``.
    """
    from scipy.signal import butter, sosfiltfilt

    if "recording/traces_uV" not in result:
        return np.asarray(result["chip/noise_uV_rms"], float)
    fe = tomllib.loads(result["attrs/root"]["design_toml"]).get("chip", {}).get("front_end", {})
    fs = float(result["attrs/recording"]["fs_hz"])
    band = (fe.get("highpass_hz", 300.0), min(fe.get("lowpass_hz", 6000.0), 0.45 * fs))
    sos = butter(3, band, btype="band", fs=fs, output="sos")
    traces = result["recording/traces_uV"]
    out = np.empty(traces.shape[1])
    for c0 in range(0, traces.shape[1], 16):  # blocks of channels: bounded float64 copies
        x = sosfiltfilt(sos, np.asarray(traces[:, c0:c0 + 16], float), axis=0)
        out[c0:c0 + 16] = np.median(np.abs(x), axis=0) / 0.6745
    return out


def measure(path: str | Path) -> dict[str, float]:
    """The calibration quantities (module docstring) of a run's HDF5 file."""
    from neurosim.io import read_result, spike_times_s

    d = read_result(path, traces=True)
    snr = np.asarray(d["ground_truth/units/snr"], float)
    rate = np.asarray(d["ground_truth/units/firing_rate_hz"], float)
    noise = band_noise_uV_rms(d)
    n_ch = len(noise)
    duration = float(d["attrs/recording"]["duration_s"])
    good = (snr >= SNR_MIN) & (rate >= RATE_MIN_HZ) & (np.round(rate * duration) >= MIN_SPIKES)
    if "ground_truth/units/alive" in d:
        good &= np.asarray(d["ground_truth/units/alive"], bool)
    waves = np.asarray(d["ground_truth/templates/waveforms_uV"], float)[:, :, 0]
    fs = float(d["attrs/recording"]["fs_hz"])
    peak = np.abs(np.asarray(d["ground_truth/units/peak_amplitude_uV"], float))
    width = trough_to_peak_ms(waves[good], fs)
    times = spike_times_s(d)
    units = np.asarray(d["ground_truth/spike_units"], np.int64)
    order = np.lexsort((times, units))
    times, units = times[order], units[order]
    cvs = []
    bounds = np.searchsorted(units, np.arange(len(snr) + 1))
    for u in range(len(snr)):
        t = times[bounds[u]:bounds[u + 1]]
        if len(t) >= 10:
            isi = np.diff(t)
            cvs.append(isi.std() / isi.mean())
    design = Design.from_dict(tomllib.loads(d["attrs/root"]["design_toml"]))
    return {
        "noise_uV_rms": float(np.median(noise)),
        "noise_over_bench": float(np.median(noise)) / bench_noise_uV_rms(design),
        "units_per_channel": float(good.sum() / max(n_ch, 1)),
        "median_amplitude_uV": float(np.median(peak[good])) if good.any() else float("nan"),
        "narrow_fraction": float(np.mean(width[~np.isnan(width)] < NARROW_MS)) if np.isfinite(width).any()
        else float("nan"),
        "median_isi_cv": float(np.median(cvs)) if cvs else float("nan"),
        "shape_similarity": shape_similarity(waves[good]),
    }


@dataclass(frozen=True)
class CalibrationRow:
    """One line of the calibration table."""

    device: str
    quantity: str
    twin: float
    reference: Reference

    @property
    def inside(self) -> bool:
        return bool(self.reference.low <= self.twin <= self.reference.high)


def calibrate(devices=None, duration_s: float = 10.0, *, out_dir: str | Path | None = None,
              progress: bool = False, **design_kwargs) -> list[CalibrationRow]:
    """Run each device's reference design and compare every quantity with its published range.

    Parameters
    ----------
    devices : iterable of str, optional
        Names in `DEVICES` (default: all).
    duration_s : float
        Recording length of each run, s (60 s gives the acceptance numbers of issue 12).
    out_dir : path, optional
        Keep the runs' HDF5 files here (default: a temporary folder, removed afterwards).
    progress : bool
        Show the runs' progress bars.
    **design_kwargs
        Passed to `calibration_design` (``num_channels``, ``seed``).

    Returns
    -------
    list of CalibrationRow
    """
    from neurosim.pipeline import run

    devices = DEVICES if devices is None else tuple(devices)
    for device in devices:
        if device not in REFERENCES:
            raise ValueError(f"device must be one of {list(DEVICES)}, got {device!r}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(out_dir) if out_dir is not None else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for device in devices:
            design = calibration_design(device, duration_s, **design_kwargs)
            path = folder / f"calibration-{device}.h5"
            logger.info("calibration run: %s, %.0f s", device, duration_s)
            run(design, path, progress=progress)
            values = measure(path)
            rows += [CalibrationRow(device, q, values[q], ref) for q, ref in REFERENCES[device].items()]
    return rows


def format_table(rows: list[CalibrationRow]) -> str:
    """The calibration table as aligned text: device, quantity, twin, range, unit, ok, source."""
    lines = [f"{'device':<14}{'quantity':<22}{'twin':>10}  {'published range':<18}{'unit':<10}{'ok':<5}source"]
    for r in rows:
        ref = r.reference
        rng = f"{ref.low:g} - {ref.high:g}"
        lines.append(f"{r.device:<14}{r.quantity:<22}{r.twin:>10.3g}  {rng:<18}{ref.unit:<10}"
                     f"{'yes' if r.inside else 'NO':<5}{ref.source}")
    return "\n".join(lines)
