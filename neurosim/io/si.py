"""neurosim files as SpikeInterface objects: recording, ground-truth sorting, templates, events.

Needs the ``spikeinterface`` package (``pip install neurosim[interop]``); ``import neurosim.io``
does not import it (the public functions are re-exported lazily).

- `read_recording` — a lazy `spikeinterface.core.BaseRecording` over
  ``/recording/traces_uV`` (or the chip's ``/recording/traces_adc``), slices read with h5py at each
  ``get_traces`` call, so it pickles and runs in SpikeInterface's parallel chunk executor; the probe
  from ``/probe/probeinterface_json``.
- `read_sorting` — the ground truth as a `spikeinterface.core.NumpySorting` with unit
  properties (soma position in the probe's frame and in the tissue frame, cell type, SNR, firing
  rate, best channel).
- `read_templates` — the sparse ground-truth templates as
  `spikeinterface.core.Templates`.
- `read_events_as_sorting` — the chip's threshold crossings, one "unit" per channel.

Channel ids are the integer channel indices of the file (``0 .. C-1``), as in ``/chip/events/channel``;
unit ids are the integer unit indices (``0 .. U-1``), as in ``/ground_truth/spike_units``.

Frames: with ``probe_ndim=2`` (default) positions are in SpikeInterface's frame of the probe
(`neurosim.io._interop.ProbeFrame`): channel locations are the 2-D probe coordinates and
``gt_unit_locations`` adds the signed distance off the probe plane (> 0 in front of the
contacts). With ``probe_ndim=3`` both are in the tissue frame. Spike frames are the sample of
each spike's time: the extremum of the unit's raw template (``nbefore`` in the templates).
"""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import numpy as np
from spikeinterface.core import BaseRecording, BaseRecordingSegment, NumpySorting, Templates
from spikeinterface.core.base import minimum_spike_dtype

from neurosim.io._interop import (ProbeFrame, open_neurosim, read_cell_type_labels, read_probegroup,
                                  to_2d_probe)

__all__ = ["NeurosimRecording", "read_recording", "read_sorting", "read_templates",
           "read_events_as_sorting"]

logger = logging.getLogger(__name__)

_TRACES = {"uV": "recording/traces_uV", "adc": "recording/traces_adc"}


def _check_probe_ndim(probe_ndim) -> int:
    if probe_ndim not in (2, 3) or isinstance(probe_ndim, bool):
        raise ValueError(f"probe_ndim must be 2 or 3, got {probe_ndim!r}")
    return int(probe_ndim)


def _probe_for_si(f: h5py.File, probe_ndim: int):
    """The file's probe group, projected to 2D (onto the axes of its `ProbeFrame`) when asked.

    A probe whose contacts would overlap in 2-D (threads on a grid) becomes one 2-D probe per
    shank, as SpikeInterface's own NWB reader does with electrode groups.
    """
    from probeinterface import ProbeGroup

    group = read_probegroup(f)
    if probe_ndim == 3:
        return group
    axes = ProbeFrame.of_probegroup(group).axes
    cols = ["xyz".index(a) for a in axes]
    out = ProbeGroup()
    for probe in group.probes:
        xy = probe.contact_positions[:, cols]
        if len(np.unique(xy, axis=0)) == len(xy) or probe.shank_ids is None:
            out.add_probe(to_2d_probe(probe, axes))
            continue
        for shank in dict.fromkeys(probe.shank_ids):  # in order of appearance
            part = probe.get_slice(probe.shank_ids == shank)
            part.annotate(**probe.annotations)
            out.add_probe(to_2d_probe(part, axes))
    return out


class _H5Segment(BaseRecordingSegment):
    """One segment reading ``[start:stop]`` row slabs from the HDF5 file at each call."""

    def __init__(self, file_path: str, dataset: str, sampling_frequency: float, num_samples: int):
        BaseRecordingSegment.__init__(self, sampling_frequency=sampling_frequency)
        self._file_path = file_path
        self._dataset = dataset
        self._num_samples = int(num_samples)

    def get_num_samples(self) -> int:
        return self._num_samples

    def get_traces(self, start_frame=None, end_frame=None, channel_indices=None) -> np.ndarray:
        start = 0 if start_frame is None else int(start_frame)
        stop = self._num_samples if end_frame is None else int(end_frame)
        with h5py.File(self._file_path, "r") as f:
            traces = f[self._dataset][start:stop]
        if channel_indices is not None:
            traces = traces[:, channel_indices]
        return traces


class NeurosimRecording(BaseRecording):
    """A lazy SpikeInterface recording of a neurosim file.

    The HDF5 file is opened at each ``get_traces`` call (not held open), so the object pickles
    and can be sent to SpikeInterface's worker processes.

    Parameters
    ----------
    file_path : str or Path
        A neurosim HDF5 file.
    which : {"uV", "adc"}
        ``"uV"``: ``/recording/traces_uV``, float32 µV at the electrodes (gain 1, offset 0).
        ``"adc"``: ``/recording/traces_adc``, int16 chip codes after the band-pass front end;
        gain = ``recording`` attribute ``adc_lsb_uV`` (input-referred µV per code), offset 0.
    probe_ndim : {2, 3}
        ``2`` (default): the probe projected onto the two tissue axes along which its contacts
        spread most (``"xz"`` for a vertical shank, ``"xy"`` for a Utah array or a surface grid;
        recorded in the probe annotation ``neurosim_plane_axes``), which is what
        SpikeInterface's sorters and plots expect; `read_sorting` gives unit locations in
        the same frame. ``3``: the probe as stored, in the tissue frame (use
        ``get_channel_locations(axes="xyz")``).

    Notes
    -----
    The 3D contact centres (µm, tissue frame) are also the channel property
    ``"tissue_position_um"``, whatever ``probe_ndim``; files with ``/probe/channel_alive`` add
    the boolean channel property ``"channel_alive"`` (False: dead channel).
    """

    def __init__(self, file_path, which: str = "uV", probe_ndim: int = 2):
        if which not in _TRACES:
            raise ValueError(f"which must be one of {sorted(_TRACES)}, got {which!r}")
        probe_ndim = _check_probe_ndim(probe_ndim)
        file_path = Path(file_path).resolve()
        dataset = _TRACES[which]
        with open_neurosim(file_path, required=(dataset, "probe/probeinterface_json",
                                                "probe/contact_positions_um")) as f:
            num_samples, num_channels = f[dataset].shape
            dtype = f[dataset].dtype
            fs = float(f["recording"].attrs["fs_hz"])
            gain = 1.0 if which == "uV" else float(f["recording"].attrs["adc_lsb_uV"])
            probegroup = _probe_for_si(f, probe_ndim)
            tissue_um = f["probe/contact_positions_um"][()]
            alive = f["probe/channel_alive"][()] if "probe/channel_alive" in f else None
        BaseRecording.__init__(self, fs, np.arange(num_channels), dtype)
        self.add_recording_segment(_H5Segment(str(file_path), dataset, fs, num_samples))
        self.set_channel_gains(gain)
        self.set_channel_offsets(0.0)
        if num_channels:  # per-shank 2-D probes of a non-planar array may overlap
            self.set_probegroup(probegroup, check_overlap=probe_ndim == 3 or len(probegroup.probes) == 1)
        self.set_property("tissue_position_um", np.asarray(tissue_um, float))
        if alive is not None:  # newer files: chronic yield loss
            self.set_property("channel_alive", np.asarray(alive, bool))
        self.annotate(neurosim_file=str(file_path), neurosim_traces=dataset)
        self.extra_requirements.extend(["neurosim", "h5py"])
        self._kwargs = {"file_path": str(file_path), "which": which, "probe_ndim": probe_ndim}


def read_recording(path, *, which: str = "uV", probe_ndim: int = 2) -> NeurosimRecording:
    """The traces of a neurosim file as a lazy SpikeInterface recording.

    Parameters
    ----------
    path : str or Path
        A neurosim HDF5 file.
    which : {"uV", "adc"}
        Electrode signal (float32 µV, ``gain_to_uV = 1``) or chip output (int16 ADC codes,
        ``gain_to_uV`` = input-referred µV per code); see `NeurosimRecording`.
    probe_ndim : {2, 3}
        Attach the probe in the plane of its contacts (2, default) or in 3D tissue coordinates.

    Returns
    -------
    NeurosimRecording
        One segment, channel ids ``0 .. C-1``; ``get_traces(return_in_uV=True)`` gives µV.

    Raises
    ------
    FileNotFoundError, ValueError
        When the file is missing, not a neurosim file, or lacks the traces.
    """
    return NeurosimRecording(path, which=which, probe_ndim=probe_ndim)


def _sorting(samples: np.ndarray, units: np.ndarray, fs: float, num_units: int) -> NumpySorting:
    """A NumpySorting with unit ids ``0 .. num_units-1`` (units without spikes included)."""
    order = np.lexsort((units, samples))
    spikes = np.zeros(samples.size, dtype=minimum_spike_dtype)
    spikes["sample_index"] = samples[order]
    spikes["unit_index"] = units[order]
    return NumpySorting(spikes, fs, np.arange(num_units))


_GT = ("ground_truth/spike_samples", "ground_truth/spike_units", "ground_truth/units/positions_um",
       "ground_truth/units/cell_type", "ground_truth/units/firing_rate_hz", "ground_truth/units/snr",
       "ground_truth/units/best_channel", "ground_truth/units/peak_amplitude_uV",
       "probe/probeinterface_json")


def read_sorting(path, *, probe_ndim: int = 2) -> NumpySorting:
    """The ground-truth spike trains of a neurosim file as a SpikeInterface sorting.

    Parameters
    ----------
    path : str or Path
        A neurosim HDF5 file.
    probe_ndim : {2, 3}
        Frame of ``gt_unit_locations``: that of `read_recording` with the same
        ``probe_ndim`` (2, default: the probe's frame; 3: the tissue frame).

    Returns
    -------
    NumpySorting
        Unit ids ``0 .. U-1`` (every simulated cell, also those that never fired); spike frames
        are ``/ground_truth/spike_samples``, the sample of each spike's time, where the unit's
        raw template has its extremum (template sample ``nbefore``). Properties:

        - ``gt_unit_locations`` (µm, shape (U, 3); SpikeInterface's name for ground-truth
          positions, as in its ``generate_ground_truth_recording``): the soma in the frame of
          ``read_recording(path, probe_ndim=...).get_channel_locations()``. ``probe_ndim=2``:
          columns 0-1 are the soma's 2-D probe coordinates, column 2 its signed distance off the
          probe plane, > 0 on the side the contacts face (for contacts that are not in one plane,
          threads on a grid or the stent, the tissue coordinate along the third axis); see
          `neurosim.io._interop.ProbeFrame`. ``probe_ndim=3``: the tissue frame.
        - ``tissue_position_um`` (µm, (U, 3)): the soma in the twin's tissue frame (x, y
          horizontal, z up, cortical surface z = 0), as ``/ground_truth/units/positions_um``.
        - ``cell_type`` (``"pyramidal"`` / ``"interneuron"``), ``firing_rate_hz`` (Hz), ``snr``
          (filtered template peak / noise sigma on the best channel), ``best_channel`` (-1:
          none), ``peak_amplitude_uV`` (µV), and ``alive`` (False: lost around the implant)
          where the file has ``/ground_truth/units/alive``.

    Raises
    ------
    FileNotFoundError, ValueError
        When the file is missing, not a neurosim file, or lacks the ground truth or the probe;
        when ``probe_ndim`` is not 2 or 3.
    """
    probe_ndim = _check_probe_ndim(probe_ndim)
    with open_neurosim(path, required=_GT) as f:
        fs = float(f["recording"].attrs["fs_hz"])
        samples = f["ground_truth/spike_samples"][()].astype(np.int64)
        units = f["ground_truth/spike_units"][()].astype(np.int64)
        tissue_um = f["ground_truth/units/positions_um"][()].astype(float)
        frame = ProbeFrame.of_probegroup(read_probegroup(f)) if probe_ndim == 2 else None
        props = {
            "gt_unit_locations": tissue_um if frame is None else frame.to_probe(tissue_um),
            "tissue_position_um": tissue_um,
            "cell_type": read_cell_type_labels(f["ground_truth/units/cell_type"][()]),
            "firing_rate_hz": f["ground_truth/units/firing_rate_hz"][()].astype(float),
            "snr": f["ground_truth/units/snr"][()].astype(float),
            "best_channel": f["ground_truth/units/best_channel"][()].astype(np.int64),
            "peak_amplitude_uV": f["ground_truth/units/peak_amplitude_uV"][()].astype(float),
        }
        if "ground_truth/units/alive" in f:  # newer files: neurons lost around the implant
            props["alive"] = f["ground_truth/units/alive"][()].astype(bool)
    num_units = props["gt_unit_locations"].shape[0]
    if units.size and (units.min() < 0 or units.max() >= num_units):
        raise ValueError(f"neurosim file {str(path)!r}: /ground_truth/spike_units holds values in "
                         f"[{units.min()}, {units.max()}], outside [0, {num_units - 1}]")
    sorting = _sorting(samples, units, fs, num_units)
    for name, values in props.items():
        sorting.set_property(name, values)
    sorting.annotate(neurosim_file=str(Path(path).resolve()))
    return sorting


def read_templates(path, *, probe_ndim: int = 2) -> Templates:
    """The ground-truth templates of a neurosim file as sparse SpikeInterface templates.

    Parameters
    ----------
    path : str or Path
        A neurosim HDF5 file.
    probe_ndim : {2, 3}
        Probe attached to the templates, as in `read_recording`.

    Returns
    -------
    spikeinterface.core.Templates
        Raw (unfiltered) templates in µV, sparse: ``templates_array`` of shape
        (U, T, K) with each unit's channels in ascending channel order, ``sparsity_mask`` of
        shape (U, C); ``get_dense_templates()`` gives (U, T, C). ``nbefore`` samples precede the
        spike time, which is the template's extremum (largest |value| on the unit's best
        channel) at sample ``nbefore``.

    Raises
    ------
    FileNotFoundError, ValueError
        When the file is missing, not a neurosim file, lacks the templates, or the templates name
        channels outside the probe.
    """
    probe_ndim = _check_probe_ndim(probe_ndim)
    need = ("ground_truth/templates/waveforms_uV", "ground_truth/templates/channel_index",
            "probe/probeinterface_json", "probe/contact_positions_um")
    with open_neurosim(path, required=need) as f:
        wf = f["ground_truth/templates/waveforms_uV"][()]
        ch = f["ground_truth/templates/channel_index"][()].astype(np.int64)
        attrs = f["ground_truth/templates"].attrs
        nbefore, fs = int(attrs["nbefore"]), float(attrs["fs_hz"])
        num_channels = f["probe/contact_positions_um"].shape[0]
        probegroup = _probe_for_si(f, probe_ndim)
    if ch.size and ch.max() >= num_channels:
        raise ValueError(f"neurosim file {str(path)!r}: /ground_truth/templates/channel_index names "
                         f"channel {ch.max()}, but the probe has {num_channels} channels")
    num_units, num_t, k = wf.shape
    valid = ch >= 0
    # SpikeInterface's sparse layout: each unit's active channels in ascending order, then zeros.
    order = np.argsort(np.where(valid, ch, np.iinfo(np.int64).max), axis=1, kind="stable")
    ch_sorted = np.take_along_axis(ch, order, axis=1)
    wf_sorted = np.take_along_axis(wf, order[:, None, :], axis=2)
    valid_sorted = ch_sorted >= 0
    wf_sorted = np.where(valid_sorted[:, None, :], wf_sorted, 0.0).astype(np.float32)
    k_active = int(valid_sorted.sum(axis=1).max(initial=0))
    mask = np.zeros((num_units, num_channels), dtype=bool)
    rows, cols = np.nonzero(valid_sorted)
    mask[rows, ch_sorted[rows, cols]] = True
    probe = probegroup.probes[0] if len(probegroup.probes) == 1 else None
    return Templates(templates_array=np.ascontiguousarray(wf_sorted[:, :, :max(k_active, 1)]),
                     sampling_frequency=fs, nbefore=nbefore, is_in_uV=True, sparsity_mask=mask,
                     channel_ids=np.arange(num_channels), unit_ids=np.arange(num_units), probe=probe)


def read_events_as_sorting(path) -> NumpySorting:
    """The chip's detections as a SpikeInterface sorting with one unit per channel.

    Parameters
    ----------
    path : str or Path
        A neurosim HDF5 file.

    Returns
    -------
    NumpySorting
        Unit id ``c`` holds the threshold crossings (sample of the crossing) of channel ``c``,
        for every channel ``0 .. C-1`` (channels without detections included). Useful for
        comparing detection with the ground truth (``spikeinterface.comparison``): threshold
        detection is not sorting, so compare a unit with the channel where it is best seen.

    Raises
    ------
    FileNotFoundError, ValueError
        When the file is missing, not a neurosim file, lacks the events, or an event names a
        channel outside the probe.
    """
    need = ("chip/events/sample_index", "chip/events/channel", "probe/contact_positions_um")
    with open_neurosim(path, required=need) as f:
        fs = float(f["recording"].attrs["fs_hz"])
        samples = f["chip/events/sample_index"][()].astype(np.int64)
        channels = f["chip/events/channel"][()].astype(np.int64)
        num_channels = f["probe/contact_positions_um"].shape[0]
    if channels.size and (channels.min() < 0 or channels.max() >= num_channels):
        raise ValueError(f"neurosim file {str(path)!r}: /chip/events/channel holds values in "
                         f"[{channels.min()}, {channels.max()}], outside [0, {num_channels - 1}]")
    sorting = _sorting(samples, channels, fs, num_channels)
    sorting.annotate(neurosim_file=str(Path(path).resolve()), neurosim_units="chip channels")
    return sorting
