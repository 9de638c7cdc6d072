"""Export a neurosim file to NWB (Neurodata Without Borders) with pynwb.

Needs ``pynwb`` (``pip install neurosim[interop]``); ``import neurosim.io`` does not import it.

What goes where (NWB 2.x core types only):

==================================  ===========================================================
neurosim                            NWB
==================================  ===========================================================
root attrs (design, created_utc)    ``NWBFile``: identifier (UUID), ``session_start_time`` =
                                    ``created_utc``, ``session_description`` from the design
probe (probeinterface JSON)         ``Device`` + one ``ElectrodeGroup`` per shank + the
                                    ``electrodes`` table: ``x, y, z`` = contact centre in the
                                    twin's tissue frame (µm, surface z = 0; *not* a stereotaxic
                                    frame), ``rel_x, rel_y`` = position on the probe plane (µm,
                                    the 2-D probe of `neurosim.io.si`),
                                    ``contact_radius_um``, ``impedance_ohm``
``recording/traces_uV``             ``acquisition/ElectricalSeries`` (float32 µV,
                                    ``conversion = 1e-6`` to volts), streamed in chunks
``recording/traces_adc``            ``acquisition/ElectricalSeriesChip`` (int16 codes,
                                    ``conversion`` = input-referred LSB in volts), optional
ground truth                        ``units``: spike times (s; the time of each template's
                                    extremum), ``electrodes`` (the template's channels), soma
                                    position (µm) in the tissue frame (``soma_x/y/z_um``) and in
                                    the probe's frame (``soma_rel_x/y/z_um``: along ``rel_x``,
                                    ``rel_y``, and off the probe plane), cell type, firing rate,
                                    SNR, best channel; ``resolution = 1 / fs``
``behaviour/<name>`` (if present)   ``processing/behavior`` ``TimeSeries``, one per dataset
``chip/events/{sample_index,        with ``ElectricalSeriesChip`` exported:
channel}``                          ``processing/ecephys/ChipEvents``, an ``EventDetection`` whose
                                    ``source_idx`` holds one (sample, channel) pair per event in
                                    the codes the detector ran on; otherwise an ``EventsTable``
                                    ``events/ChipEvents`` (NWB 2.10+) with columns ``timestamp``
                                    (s), ``sample_index`` and ``electrodes`` (row of the
                                    electrodes table), left out when it would be empty (no link
                                    to ``ElectricalSeries``: SpikeInterface would count the link
                                    as a second series).
                                    ``detection_method`` describes the detector (kind, threshold
                                    multiplier, dead time, calibration)
``chip/threshold_uV``,              ``electrodes`` columns ``chip_threshold_uV`` (input-referred
``chip/events_dropped``             µV) and ``chip_events_dropped``
==================================  ===========================================================

Event times are not written as seconds next to ``source_idx`` (``EventDetection.times`` is
deprecated in pynwb 4): an event's time is ``starting_time + sample / rate`` of its source series
(here ``sample / fs_hz``), exact for the twin's sample clock.

SpikeInterface: ``read_nwb_recording(path)`` opens the default export as is (one
``ElectricalSeries``; with ``include_chip_traces=True`` there are two, pass
``electrical_series_path``): traces in µV (``gain_to_uV = 1``), channel locations = the 2-D probe.
``read_nwb_sorting(path)`` opens a file without trace series (``include_traces=False``) as is
(``t_start = 0``, ``sampling_frequency = 1 / units.resolution``); on a file with traces,
SpikeInterface (0.105) requires the time base to be named:
``read_nwb_sorting(path, electrical_series_path="acquisition/ElectricalSeries")``.

The behaviour layout read here is a proposal (the schema has no behaviour yet): datasets
``/behaviour/<name>`` of shape (B,) or (B, d), with a dataset attribute ``unit`` and the group
attribute ``fs_hz``.
"""

from __future__ import annotations

import datetime as _dt
import logging
import tomllib
import uuid
from pathlib import Path

import h5py
import numpy as np

from neurosim.io.atomic import atomic_path, check_writable
from neurosim.io._interop import ProbeFrame, open_neurosim, read_cell_type_labels, read_probegroup

__all__ = ["export_nwb"]

logger = logging.getLogger(__name__)

_NEED = ("probe/probeinterface_json", "probe/contact_positions_um", "probe/contact_radius_um",
         "probe/impedance_ohm", "ground_truth/spike_samples", "ground_truth/spike_units",
         "ground_truth/units/positions_um", "ground_truth/units/cell_type",
         "ground_truth/units/firing_rate_hz", "ground_truth/units/snr",
         "ground_truth/units/best_channel", "ground_truth/templates/channel_index")
_COMPRESSION = ("gzip", "lzf", None)


def _trace_iterator(dataset: h5py.Dataset, buffer_gb: float):
    """A chunk iterator over an open (samples, channels) h5py dataset (bounded memory)."""
    from hdmf.data_utils import GenericDataChunkIterator

    class _Traces(GenericDataChunkIterator):
        def __init__(self, ds, **kwargs):
            self._ds = ds
            super().__init__(**kwargs)

        def _get_data(self, selection):
            return self._ds[selection]

        def _get_maxshape(self):
            return self._ds.shape

        def _get_dtype(self):
            return self._ds.dtype

    num_samples, num_channels = dataset.shape
    chunk_rows = max(1, min(num_samples, (1 << 20) // max(4 * num_channels, 1)))  # ~1 MB chunks
    buffer_rows = max(chunk_rows, int(buffer_gb * 1e9 // max(4 * num_channels, 1)) // chunk_rows * chunk_rows)
    return _Traces(dataset, chunk_shape=(chunk_rows, num_channels),
                   buffer_shape=(min(num_samples, buffer_rows), num_channels))


def _session_metadata(f: h5py.File, path) -> dict:
    created = f.attrs.get("created_utc")
    created = created.decode() if isinstance(created, bytes) else created
    try:
        start = _dt.datetime.fromisoformat(str(created))
    except ValueError as exc:
        raise ValueError(f"neurosim file {str(path)!r}: root attribute 'created_utc' is "
                         f"{created!r}, not an ISO time") from exc
    if start.tzinfo is None:
        start = start.replace(tzinfo=_dt.timezone.utc)
    toml = f.attrs.get("design_toml", "")
    toml = toml.decode() if isinstance(toml, bytes) else str(toml)
    try:
        name = tomllib.loads(toml).get("name", "") if toml else ""
    except tomllib.TOMLDecodeError:
        name = ""
    layout = f["probe"].attrs.get("layout", "probe")
    seed = f.attrs.get("seed", "unknown")
    description = (f"neurosim simulation of design '{name or 'unnamed'}' (seed {seed}): "
                   f"{f['probe/contact_positions_um'].shape[0]} contacts of a {layout} array in a "
                   "simulated cortex, with exact ground truth")
    return {"start": start, "name": name, "description": description, "design_toml": toml}


def _subject(f: h5py.File, overrides: dict | None):
    from pynwb.file import Subject

    # There is no animal: the simulated cortex exists from the simulation on (age P0D); species
    # stays unset unless the user says which animal the model stands for.
    kwargs = {"subject_id": f"neurosim-seed{f.attrs.get('seed', 'unknown')}", "sex": "U", "age": "P0D",
              "description": "no animal: a simulated piece of cortex (neurosim digital twin); "
                             "age P0D = created by the simulation"}
    kwargs.update(overrides or {})
    return Subject(**kwargs)


def _add_electrodes(nwbfile, f: h5py.File, path):
    """Device, electrode groups (one per shank) and the electrodes table; returns the region."""
    group = read_probegroup(f)
    pos = f["probe/contact_positions_um"][()]
    radius = f["probe/contact_radius_um"][()]
    impedance = f["probe/impedance_ohm"][()]
    layout = str(f["probe"].attrs.get("layout", "probe"))
    material = str(f["probe"].attrs.get("material", "unknown"))
    device = nwbfile.create_device(
        name=f"neurosim_{layout}",
        description=f"simulated {layout} electrode array, {material} contacts (neurosim, no hardware)")
    nwbfile.add_electrode_column("contact_radius_um", "contact (disc) radius, µm")
    nwbfile.add_electrode_column("impedance_ohm", "|Z| at 1 kHz of the contact, ohm")
    alive = f["probe/channel_alive"][()].astype(bool) if "probe/channel_alive" in f else None
    if alive is not None:
        nwbfile.add_electrode_column("channel_alive", "False: dead channel (chronic yield loss)")
    chip = {}
    if "chip/threshold_uV" in f:
        chip["chip_threshold_uV"] = f["chip/threshold_uV"][()].astype(float)
        nwbfile.add_electrode_column("chip_threshold_uV", "on-chip detection threshold, input-referred, "
                                                          "µV (NEO detector: the MAD level beside it)")
    if "chip/events_dropped" in f:
        chip["chip_events_dropped"] = f["chip/events_dropped"][()].astype(np.int64)
        nwbfile.add_electrode_column("chip_events_dropped", "chip events lost on the telemetry link "
                                                            "(FIFO overflow or bit errors)")
    num_channels = pos.shape[0]
    group_of = [""] * num_channels
    plane = ProbeFrame.of_probegroup(group).to_probe(pos)[:, :2]  # the 2-D probe of neurosim.io.si
    channel = 0
    for i, probe in enumerate(group.probes):
        n = probe.get_contact_count()
        shanks = probe.shank_ids if probe.shank_ids is not None else np.array([""] * n)
        dci = probe.device_channel_indices
        for j in range(n):
            c = int(dci[j]) if dci is not None else channel + j
            if 0 <= c < num_channels:
                group_of[c] = f"probe{i}_shank{shanks[j] or 0}"
        channel += n
    if "" in group_of:
        raise ValueError(f"neurosim file {str(path)!r}: /probe/probeinterface_json maps no contact to channels "
                         f"{[c for c, g in enumerate(group_of) if not g]}")
    groups: dict[str, object] = {}
    for c in range(num_channels):
        key = group_of[c]
        if key not in groups:
            groups[key] = nwbfile.create_electrode_group(
                name=key, device=device, location="simulated cortex",
                description=f"contacts of {key.replace('_', ' ')} ({layout})")
        nwbfile.add_electrode(
            group=groups[key], location="simulated cortex", x=float(pos[c, 0]), y=float(pos[c, 1]),
            z=float(pos[c, 2]), rel_x=float(plane[c, 0]), rel_y=float(plane[c, 1]),
            contact_radius_um=float(radius[c]), impedance_ohm=float(impedance[c]),
            **({} if alive is None else {"channel_alive": bool(alive[c])}),
            **{name: values[c].item() for name, values in chip.items()})
    return nwbfile.create_electrode_table_region(list(range(num_channels)), "all contacts")


def _add_units(nwbfile, f: h5py.File, fs: float):
    times = f["ground_truth/spike_samples"][()].astype(np.int64) / fs
    units = f["ground_truth/spike_units"][()].astype(np.int64)
    pos = f["ground_truth/units/positions_um"][()]
    rel = ProbeFrame.of_probegroup(read_probegroup(f)).to_probe(pos)
    num_units = pos.shape[0]
    cell_type = read_cell_type_labels(f["ground_truth/units/cell_type"][()])
    rate = f["ground_truth/units/firing_rate_hz"][()]
    snr = f["ground_truth/units/snr"][()]
    best = f["ground_truth/units/best_channel"][()]
    chans = f["ground_truth/templates/channel_index"][()]
    from pynwb.misc import Units

    # Spike times are exact simulation times; the traces carry each spike at its nearest sample.
    nwbfile.units = Units(name="units", resolution=1.0 / fs,
                          description="ground truth: every simulated cell near the probe, with its "
                                      "exact spike times (s)")
    columns = {"soma_x_um": "soma x, µm (twin tissue frame)", "soma_y_um": "soma y, µm",
               "soma_z_um": "soma z, µm (surface z = 0, negative into tissue)",
               "soma_rel_x_um": "soma in the probe's frame, µm: coordinate along rel_x of the electrodes",
               "soma_rel_y_um": "soma in the probe's frame, µm: coordinate along rel_y of the electrodes",
               "soma_rel_z_um": "soma in the probe's frame, µm: signed distance off the probe plane, "
                                "> 0 in front of the contacts (non-planar arrays: tissue coordinate "
                                "along the third axis)",
               "cell_type": "pyramidal (excitatory) or interneuron (inhibitory)",
               "firing_rate_hz": "mean firing rate over the recording, Hz",
               "snr": "filtered template peak on the best channel / noise sigma there",
               "best_channel": "channel with the largest filtered amplitude (-1: none)"}
    alive = f["ground_truth/units/alive"][()].astype(bool) if "ground_truth/units/alive" in f else None
    if alive is not None:
        columns["alive"] = "False: the neuron was lost around the implant and does not fire"
    for name, desc in columns.items():
        nwbfile.add_unit_column(name=name, description=desc)
    order = np.argsort(units, kind="stable")
    bounds = np.searchsorted(units[order], np.arange(num_units + 1))
    for u in range(num_units):
        nwbfile.add_unit(
            id=u, spike_times=np.sort(times[order[bounds[u]:bounds[u + 1]]]),
            electrodes=sorted(int(c) for c in chans[u] if c >= 0) if u < len(chans) else [],
            soma_x_um=float(pos[u, 0]), soma_y_um=float(pos[u, 1]), soma_z_um=float(pos[u, 2]),
            soma_rel_x_um=float(rel[u, 0]), soma_rel_y_um=float(rel[u, 1]), soma_rel_z_um=float(rel[u, 2]),
            cell_type=str(cell_type[u]), firing_rate_hz=float(rate[u]), snr=float(snr[u]),
            best_channel=int(best[u]), **({} if alive is None else {"alive": bool(alive[u])}))


def _add_behaviour(nwbfile, f: h5py.File) -> int:
    if "behaviour" not in f:
        return 0
    from pynwb import TimeSeries

    group = f["behaviour"]
    fs = float(group.attrs["fs_hz"])
    module = nwbfile.create_processing_module("behavior", "simulated behaviour covariates")
    count = 0
    for name, ds in group.items():
        if not isinstance(ds, h5py.Dataset):
            continue
        unit = ds.attrs.get("unit", "n.a.")
        module.add(TimeSeries(name=name, data=ds[()], unit=str(unit) or "n.a.", rate=fs,
                              starting_time=0.0, description=f"simulated behaviour: {name}"))
        count += 1
    return count


def _detection_method(f: h5py.File) -> str:
    """A sentence describing the chip's detector, from the design stored in the file."""
    attrs = f["chip"].attrs
    toml = f.attrs.get("design_toml", "")
    toml = toml.decode() if isinstance(toml, bytes) else str(toml)
    try:
        d = tomllib.loads(toml).get("chip", {}).get("detector", {}) if toml else {}
    except tomllib.TOMLDecodeError:
        d = {}
    kind = str(attrs.get("detector_kind", d.get("kind", "unknown")))
    cal = f"over the first {d.get('calibration_s', '?')} s (calibration, no detections)"
    pol = d.get("polarity", "negative")
    rules = {
        "mad_threshold": f"{pol} threshold crossing at k = {d.get('threshold_k', '?')} x sigma per channel, "
                         f"sigma = median(|x|)/0.6745 {cal}"
                         + (f", then tracked with a {d.get('adaptation_time_s', '?')} s time constant"
                            if d.get("adaptive") else ""),
        "rms_threshold": f"{pol} threshold crossing at k = {d.get('threshold_k', '?')} x RMS per channel, "
                         f"RMS {cal}",
        "absolute_threshold": f"{pol} crossing of a fixed level of {d.get('absolute_threshold_uV', '?')} uV "
                              "(input-referred)",
        "neo": f"smoothed nonlinear energy operator (x[n]^2 - x[n-1] x[n+1], Bartlett window of "
               f"{d.get('neo_window_samples', '?')} samples) above C = {d.get('neo_threshold_c', '?')} "
               f"x its mean {cal}",
    }
    dropped = int(f["chip/events_dropped"][()].sum()) if "chip/events_dropped" in f else 0
    return (f"neurosim chip model, on-chip detector '{kind}': {rules.get(kind, 'see the design')}; "
            f"dead time {d.get('dead_time_ms', '?')} ms. Runs causally on the chip's ADC codes (after the "
            "front end band-pass, gain and ADC). Event time = the first sample past the threshold (not "
            f"aligned to the spike peak). Events as received over the telemetry link (output mode "
            f"'{attrs.get('output_mode', '?')}'; {dropped} lost on the link are not included). Per-channel "
            "thresholds (input-referred, uV): electrodes column chip_threshold_uV.")


def _add_chip_events(nwbfile, f: h5py.File, path, source) -> int | None:
    """The chip's events ``/chip/events``; returns their number, None when the file has none.

    With ``source`` (the ElectricalSeries the indices point into): an ``EventDetection``
    ``processing/ecephys/ChipEvents``. Without: an ``EventsTable`` ``events/ChipEvents``.
    """
    if "chip/events/sample_index" not in f or "chip/events/channel" not in f:
        return None
    samples = f["chip/events/sample_index"][()].astype(np.int64)
    channels = f["chip/events/channel"][()].astype(np.int64)
    num_channels = len(nwbfile.electrodes)
    if samples.shape != channels.shape or samples.ndim != 1:
        raise ValueError(f"neurosim file {str(path)!r}: /chip/events/sample_index {samples.shape} and "
                         f"/chip/events/channel {channels.shape} must be 1-D of one length")
    bad = (channels < 0) | (channels >= num_channels) | (samples < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"neurosim file {str(path)!r}: chip event {i} (sample {samples[i]}, channel "
                         f"{channels[i]}) is outside samples >= 0 and channels 0..{num_channels - 1}")
    method = _detection_method(f)
    if source is not None:
        from pynwb.ecephys import EventDetection

        module = nwbfile.processing.get("ecephys") or nwbfile.create_processing_module(
            "ecephys", "chip output: spike detections of the on-chip detector, as received over the "
                       "telemetry link (neurosim chip model)")
        module.add(EventDetection(name="ChipEvents", detection_method=method,
                                  source_electricalseries=source,
                                  source_idx=np.column_stack([samples, channels])))
        return samples.size
    if samples.size == 0:
        # An empty table fails nwbinspector (check_empty_table, and column checks that crash).
        logger.info("no chip events and no trace series: events/ChipEvents not written")
        return 0
    from hdmf.common import DynamicTableRegion, VectorData
    from pynwb.event import EventsTable, TimestampVectorData

    fs = float(f["recording"].attrs["fs_hz"])
    nwbfile.add_events_table(EventsTable(
        name="ChipEvents", description=f"one row per chip event. {method}",
        source_description="neurosim chip model: on-chip spike detector, received over the telemetry link",
        columns=[TimestampVectorData(name="timestamp", data=samples / fs, resolution=1.0 / fs,
                                     description=f"detection time, s (= sample_index / {fs:g} Hz)"),
                 VectorData(name="sample_index", data=samples,
                            description=f"detection sample at {fs:g} Hz from the recording start"),
                 DynamicTableRegion(name="electrodes", data=channels, table=nwbfile.electrodes,
                                    description="channel of the event (row of the electrodes table)")]))
    return samples.size


def export_nwb(h5_path, nwb_path, *, include_traces: bool = True, include_chip_traces: bool = False,
               include_chip_events: bool = True, compression: str | None = "gzip",
               buffer_gb: float = 0.25, subject: dict | None = None) -> Path:
    """Write a neurosim file as an NWB file (atomically).

    Parameters
    ----------
    h5_path : str or Path
        A neurosim HDF5 file.
    nwb_path : str or Path
        The NWB file to write; written to ``<name>.tmp-<pid><suffix>`` in the same folder and
        renamed when complete (nothing appears under ``nwb_path`` if the export fails).
    include_traces : bool
        Write the electrode signal ``/recording/traces_uV`` as ``acquisition/ElectricalSeries``
        (µV stored as float32 with ``conversion = 1e-6``: NWB readers get volts).
    include_chip_traces : bool
        Also write the chip output ``/recording/traces_adc`` (int16 codes) as
        ``acquisition/ElectricalSeriesChip`` (``conversion`` = input-referred LSB, V).
    include_chip_events : bool
        Write the chip's detections ``/chip/events`` (when the file has them): with
        ``include_chip_traces``, as ``processing/ecephys/ChipEvents``, an ``EventDetection`` into
        ``ElectricalSeriesChip``; otherwise as ``events/ChipEvents``, an ``EventsTable`` of
        timestamp (s), sample index and electrode (not written when empty).
    compression : {"gzip", "lzf", None}
        HDF5 filter of the trace datasets (gzip: readable everywhere; slow, ~50–80 MB/s).
    buffer_gb : float
        Traces are copied in buffers of at most about this size (GB), so memory stays bounded.

    subject : dict, optional
        Keyword arguments of `pynwb.file.Subject` replacing the defaults (a subject
        ``neurosim-seed<seed>`` described as simulated tissue, sex ``"U"``, age ``"P0D"``, no
        species): pass ``species``,
        ``age`` etc. when the simulated cortex stands for a particular animal.

    Returns
    -------
    Path
        ``nwb_path``. ``spikeinterface.extractors.read_nwb_recording(nwb_path)`` reads it as is
        unless ``include_chip_traces`` (two series: pass ``electrical_series_path``);
        ``read_nwb_sorting(nwb_path)`` as is when ``include_traces=False`` (see the module
        docstring).

    Raises
    ------
    FileNotFoundError, ValueError
        When ``h5_path`` is missing or not a neurosim file with probe and ground truth, or an
        argument is out of range.
    """
    from hdmf.backends.hdf5 import H5DataIO
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.ecephys import ElectricalSeries

    if compression not in _COMPRESSION:
        raise ValueError(f"compression must be one of {list(_COMPRESSION)}, got {compression!r}")
    if not buffer_gb > 0:
        raise ValueError(f"buffer_gb must be > 0 GB, got {buffer_gb!r}")
    need = _NEED + (("recording/traces_uV",) if include_traces else ()) \
        + (("recording/traces_adc",) if include_chip_traces else ())
    nwb_path = Path(nwb_path)
    check_writable(nwb_path, "NWB file")
    with open_neurosim(h5_path, required=need) as f:
        meta = _session_metadata(f, h5_path)
        nwbfile = NWBFile(
            session_description=meta["description"], identifier=str(uuid.uuid4()),
            session_start_time=meta["start"], session_id=meta["name"] or None,
            experiment_description="synthetic extracellular recording with exact ground truth "
                                   "(neurosim digital twin of a brain implant)",
            notes=meta["design_toml"] or None, source_script="neurosim.io.nwb.export_nwb",
            source_script_file_name="neurosim/io/nwb.py",
            keywords=["simulation", "ground truth", "extracellular electrophysiology"])
        nwbfile.subject = _subject(f, subject)
        region = _add_electrodes(nwbfile, f, h5_path)
        rec = f["recording"].attrs
        fs = float(rec["fs_hz"])
        kw = {} if compression is None else {"compression": compression}
        series = {}
        if include_traces:
            series["raw"] = ElectricalSeries(
                name="ElectricalSeries", electrodes=region, rate=fs, starting_time=0.0,
                data=H5DataIO(_trace_iterator(f["recording/traces_uV"], buffer_gb), **kw),
                conversion=1e-6, filtering="none (wide band at the electrodes: spikes + thermal + "
                                           "amplifier noise, input-referred)",
                description="simulated signal at the electrodes, stored in µV")
        if include_chip_traces:
            series["chip"] = ElectricalSeries(
                name="ElectricalSeriesChip", electrodes=region, rate=fs, starting_time=0.0,
                data=H5DataIO(_trace_iterator(f["recording/traces_adc"], buffer_gb), **kw),
                conversion=float(rec["adc_lsb_uV"]) * 1e-6,
                filtering="chip front end (band-pass, gain, saturation) and ADC; input-referred",
                description="simulated chip output, ADC codes")
        for es in series.values():
            nwbfile.add_acquisition(es)
        _add_units(nwbfile, f, fs)
        n_beh = _add_behaviour(nwbfile, f)
        # The detector ran on the ADC codes: an EventDetection links to them when they are
        # exported. Not to the raw series: SpikeInterface's readers count that link as a second
        # ElectricalSeries and would then need electrical_series_path.
        n_events = _add_chip_events(nwbfile, f, h5_path, series.get("chip")) \
            if include_chip_events else None
        with atomic_path(nwb_path, nwb_path.suffix) as tmp, NWBHDF5IO(str(tmp), "w") as io:
            io.write(nwbfile)
    logger.info("wrote %s (%d units, %d behaviour series, traces: %s, chip events: %s)", nwb_path,
                len(nwbfile.units), n_beh, include_traces, n_events)
    return nwb_path
