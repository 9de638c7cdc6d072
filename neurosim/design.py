"""The validated design of an implant experiment: tissue, population, implant, chip, recording.

A :class:`Design` is loaded once (from TOML, a dict or Python objects) and validated then; the
rest of the pipeline trusts it. Every numeric field carries its unit in its name and in its
``unit`` metadata, and a bad value raises :class:`DesignError` with a message naming the field,
the allowed range with its unit, and the value given, e.g.::

    population.density_per_mm3 must be in [1000, 300000] neurons/mm^3, got -5

The built-in default design (``neurosim/data/default_design.toml``) is a Utah 96-channel array in
a balanced E/I network, recorded for 5 s at 30 kHz by a 10-bit chip sending threshold events.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = ["Design", "DesignError", "load_design", "default_design", "design_to_toml"]


class DesignError(ValueError):
    """A design value is missing, of the wrong type or out of its allowed range."""


def _f(default, low=None, high=None, unit="", description="", *, gt=False):
    """A numeric design field with an inclusive (or, with ``gt``, exclusive-low) range and unit."""
    kwargs: dict[str, Any] = {"description": description, "json_schema_extra": {"unit": unit}}
    if low is not None:
        kwargs["gt" if gt else "ge"] = low
    if high is not None:
        kwargs["le"] = high
    return Field(default, **kwargs)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class Tissue(_Section):
    """The block of cortex the implant sits in (the cortical surface is z = 0, tissue is z < 0)."""

    size_um: tuple[float, float, float] = Field(
        (5000.0, 5000.0, 2000.0), description="tissue block extent (x, y, depth) for rendering and bounds",
        json_schema_extra={"unit": "um"})
    conductivity_S_per_m: float = _f(0.3, 0.01, 2.0, "S/m", "extracellular conductivity (grey matter ~0.3)")
    temperature_K: float = _f(310.0, 273.0, 320.0, "K", "tissue temperature (thermal noise)")

    @model_validator(mode="after")
    def _positive_size(self):
        for axis, v in zip("xyz", self.size_um):
            if not (100.0 <= v <= 50000.0):
                raise ValueError(f"size_um[{axis}] must be in [100, 50000] um, got {v!r}")
        return self


class Population(_Section):
    """The simulated neurons: a balanced E/I network placed around the implant's contacts."""

    model: Literal["balanced_ei"] = Field("balanced_ei", description="population model family")
    density_per_mm3: float = _f(60000.0, 1000.0, 300000.0, "neurons/mm^3",
                                "cortical neuron density (40k-90k in cortex)")
    reach_radius_um: float = _f(60.0, 10.0, 500.0, "um",
                                "cells are simulated within this distance of any contact")
    min_distance_um: float = _f(15.0, 0.0, 100.0, "um", "no soma closer than this to a contact (tissue damage)")
    excitatory_fraction: float = _f(0.8, 0.0, 1.0, "", "fraction of pyramidal (excitatory) cells")
    max_neurons: int = _f(50000, 1, 2_000_000, "neurons", "refuse designs that would simulate more cells")
    drive_rate_hz: float = _f(6.0, 0.0, 100.0, "Hz", "rate of each of the external Poisson inputs per cell")
    num_external_inputs: int = _f(100, 0, 10000, "inputs", "external Poisson inputs per cell")
    inhibition_ratio: float = _f(7.0, 0.0, 20.0, "", "relative inhibitory synaptic strength g (Brunel 2000)")
    psp_mV: float = _f(0.8, 0.01, 10.0, "mV", "size of one excitatory synaptic input")
    in_degree: int = _f(100, 1, 10000, "synapses", "excitatory synapses per cell (inhibitory: a quarter)")


class Implant(_Section):
    """The electrode array: layout, placement, material and site size."""

    layout: Literal["utah96", "neuropixels1"] = Field("utah96", description="probe layout")
    position_um: tuple[float, float] = Field((0.0, 0.0), description="lateral insertion point (x, y)",
                                             json_schema_extra={"unit": "um"})
    material: Literal["Pt", "PtIr", "IrOx", "PEDOT", "TiN"] = Field("Pt", description="site material")
    site_radius_um: float | None = _f(None, 1.0, 200.0, "um", "contact radius (None: the layout's default)")
    layout_params: dict[str, float] = Field(default_factory=dict,
                                            description="extra layout parameters, e.g. pitch_um")


class FrontEnd(_Section):
    gain_v_per_v: float = _f(1000.0, 1.0, 1e5, "V/V", "amplifier gain")
    highpass_hz: float = _f(300.0, 0.0, 5000.0, "Hz", "band-pass lower corner", gt=True)
    lowpass_hz: float = _f(6000.0, 100.0, 50000.0, "Hz", "band-pass upper corner")
    filter_order: int = _f(2, 1, 8, "", "Butterworth order of the band-pass")
    output_swing_mV: float = _f(1000.0, 1.0, 5000.0, "mV", "amplifier output swing (saturation)")
    noise_uV_rms: float = _f(3.0, 0.0, 100.0, "uV rms", "input-referred amplifier noise over the band")
    nef: float = _f(2.5, 1.0, 100.0, "", "noise efficiency factor of the amplifier")
    supply_V: float = _f(1.2, 0.3, 5.0, "V", "analog supply voltage")


class ADCConfig(_Section):
    bits: int = _f(10, 1, 16, "bit", "ADC resolution")
    fom_fJ_per_step: float = _f(25.0, 0.01, 10000.0, "fJ/step", "Walden figure of merit")


class Detector(_Section):
    kind: Literal["mad_threshold"] = Field("mad_threshold", description="on-chip detector")
    threshold_k: float = _f(4.5, 1.0, 20.0, "sigma", "threshold in units of median(|x|)/0.6745")
    dead_time_ms: float = _f(1.0, 0.0, 100.0, "ms", "refractory time after a detection")
    calibration_s: float = _f(0.25, 0.01, 60.0, "s", "threshold calibration period (no detections)")
    polarity: Literal["negative", "positive", "both"] = Field("negative", description="crossing polarity")
    energy_pJ_per_op: float = _f(1.0, 0.001, 1000.0, "pJ/op", "digital energy per operation")


class Radio(_Section):
    output_mode: Literal["raw", "events"] = Field("events", description="what the chip transmits")
    link_capacity_mbps: float = _f(1.0, 0.001, 10000.0, "Mbit/s", "radio link capacity")
    energy_pJ_per_bit: float = _f(50.0, 0.1, 100000.0, "pJ/bit", "radio energy per transmitted bit")


class Chip(_Section):
    front_end: FrontEnd = Field(default_factory=FrontEnd)
    adc: ADCConfig = Field(default_factory=ADCConfig)
    detector: Detector = Field(default_factory=Detector)
    radio: Radio = Field(default_factory=Radio)


class Recording(_Section):
    duration_s: float = _f(5.0, 0.0, 86400.0, "s", "recording duration", gt=True)
    fs_hz: float = _f(30000.0, 1000.0, 200000.0, "Hz", "sampling rate")
    chunk_s: float = _f(1.0, 0.01, 60.0, "s", "processing chunk (does not change the output)")


class Scoring(_Section):
    tolerance_ms: float = _f(0.4, 0.01, 5.0, "ms", "matching tolerance of a detection to a true spike")
    present_fraction: float = _f(0.5, 0.0, 1.0, "",
                                 "units reaching this fraction of the threshold justify a detection")


class Design(_Section):
    """A whole implant experiment. Build with keywords, :func:`load_design` or :func:`default_design`."""

    name: str = Field("default", description="free-text design name")
    seed: int | None = _f(None, 0, 2**63 - 1, "", "master seed (None: drawn and recorded)")
    tissue: Tissue = Field(default_factory=Tissue)
    population: Population = Field(default_factory=Population)
    implant: Implant = Field(default_factory=Implant)
    chip: Chip = Field(default_factory=Chip)
    recording: Recording = Field(default_factory=Recording)
    scoring: Scoring = Field(default_factory=Scoring)

    @model_validator(mode="after")
    def _cross_checks(self):
        fe, fs = self.chip.front_end, self.recording.fs_hz
        if fe.lowpass_hz >= fs / 2:
            raise ValueError(f"chip.front_end.lowpass_hz must be below the Nyquist frequency "
                             f"recording.fs_hz/2 = {fs / 2:g} Hz, got {fe.lowpass_hz:g}")
        if fe.highpass_hz >= fe.lowpass_hz:
            raise ValueError(f"chip.front_end.highpass_hz must be below chip.front_end.lowpass_hz "
                             f"= {fe.lowpass_hz:g} Hz, got {fe.highpass_hz:g}")
        if self.chip.detector.calibration_s >= self.recording.duration_s:
            raise ValueError(f"chip.detector.calibration_s must be shorter than recording.duration_s "
                             f"= {self.recording.duration_s:g} s, got {self.chip.detector.calibration_s:g}")
        if self.population.min_distance_um >= self.population.reach_radius_um:
            raise ValueError(f"population.min_distance_um must be below population.reach_radius_um "
                             f"= {self.population.reach_radius_um:g} um, got {self.population.min_distance_um:g}")
        return self

    # -- convenience -------------------------------------------------------------------------
    def replace(self, **changes: Any) -> "Design":
        """A validated copy with dotted-path changes, e.g. ``replace(**{"recording.duration_s": 1})``."""
        data = self.model_dump()
        for path, value in changes.items():
            node = data
            *parents, leaf = path.split(".")
            for key in parents:
                if not isinstance(node.get(key), dict):
                    raise DesignError(f"unknown design field {path!r}")
                node = node[key]
            if leaf not in node:
                raise DesignError(f"unknown design field {path!r}")
            node[leaf] = value
        return Design.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict) -> "Design":
        """Validate a nested dict; raise :class:`DesignError` with readable messages."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise DesignError(_format_errors(exc)) from None

    def to_toml(self) -> str:
        return design_to_toml(self)


# -- errors ---------------------------------------------------------------------------------

def _field_info(loc: tuple):
    """The pydantic FieldInfo at a validation-error location, or None."""
    model: Any = Design
    info = None
    for key in loc:
        fields = getattr(model, "model_fields", None)
        if fields is None or key not in fields:
            return info if isinstance(key, int) else None
        info = fields[key]
        model = info.annotation
    return info


def _range_text(info) -> str:
    low = high = None
    low_open = False
    for m in info.metadata:
        if getattr(m, "ge", None) is not None:
            low = m.ge
        if getattr(m, "gt", None) is not None:
            low, low_open = m.gt, True
        if getattr(m, "le", None) is not None:
            high = m.le
    unit = (info.json_schema_extra or {}).get("unit", "")
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f"{'(' if low_open else '['}{lo}, {hi}]" + (f" {unit}" if unit else "")


def _format_errors(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = ".".join(str(p) for p in loc if not str(p).startswith("function-after"))
        given = err.get("input")
        kind = err["type"]
        info = _field_info(tuple(p for p in loc if isinstance(p, (str, int))))
        if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal") and info:
            lines.append(f"{path} must be in {_range_text(info)}, got {given!r}")
        elif kind == "literal_error":
            allowed = err.get("ctx", {}).get("expected", "")
            lines.append(f"{path} must be one of {allowed}, got {given!r}")
        elif kind == "extra_forbidden":
            lines.append(f"{path} is not a design field (misspelt?); got {given!r}")
        elif kind == "value_error":
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
            lines.append(f"{path + '.' if path else ''}{msg}")
        else:
            unit = _range_text(info) if info is not None and info.metadata else ""
            lines.append(f"{path}: {err['msg'].lower()}{f' (allowed {unit})' if unit else ''}, got {given!r}")
    return "invalid design:\n  " + "\n  ".join(lines)


# -- loading --------------------------------------------------------------------------------

def load_design(source: str | Path | dict | Design | None = None) -> Design:
    """Load and validate a design from a TOML path, a dict, a Design, or ``None`` (the default)."""
    if source is None:
        return default_design()
    if isinstance(source, Design):
        return source
    if isinstance(source, dict):
        return Design.from_dict(source)
    path = Path(source)
    if not path.is_file():
        raise DesignError(f"design file {str(path)!r} does not exist")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise DesignError(f"design file {str(path)!r} is not valid TOML: {exc}") from None
    return Design.from_dict(data)


def default_design() -> Design:
    """The built-in default design (``neurosim/data/default_design.toml``)."""
    text = resources.files("neurosim.data").joinpath("default_design.toml").read_text()
    return Design.from_dict(tomllib.loads(text))


def design_to_toml(design: Design) -> str:
    """Serialise a design to TOML (``None`` values are omitted, as TOML has no null)."""
    import tomli_w

    def strip(d):
        return {k: strip(v) if isinstance(v, dict) else (list(v) if isinstance(v, tuple) else v)
                for k, v in d.items() if v is not None}

    return tomli_w.dumps(strip(design.model_dump()))
