"""The validated design of an implant experiment: tissue, population, implant, chip, recording.

A `Design` is loaded once (from TOML, a dict or Python objects) and validated then; the
rest of the pipeline trusts it. Every numeric field carries its unit in its name and in its
``unit`` metadata, and a bad value raises `DesignError` with a message naming the field,
the allowed range with its unit, and the value given, e.g.::

    population.density_per_mm3 must be in [1000, 300000] neurons/mm^3, got -5

The built-in default design (``neurosim/data/default_design.toml``) is a Utah 96-channel array in
a balanced E/I network, recorded for 5 s at 30 kHz by a 10-bit chip sending threshold events.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

from neurosim.design._base import DesignError, Section, format_errors, parse_value, ranged
from neurosim.design._minimal import minimal_toml
from neurosim.design.chip import ADCConfig, Chip, Detector, FrontEnd, Radio
from neurosim.design.implant import Implant, Tissue
from neurosim.design.population import Population
from neurosim.design.recording import Recording, Scoring

__all__ = ["Design", "DesignError", "load_design", "default_design", "design_to_toml", "Tissue",
           "Population", "Implant", "Chip", "FrontEnd", "ADCConfig", "Detector", "Radio",
           "Recording", "Scoring", "minimal_toml", "parse_value"]


class Design(Section):
    """A whole implant experiment. Build with keywords, `load_design` or `default_design`."""

    name: str = Field("default", description="free-text design name")
    seed: int | None = ranged(None, 0, 2**63 - 1, "", "master seed (None: drawn and recorded)")
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
        """A validated copy with dotted-path changes, e.g. ``replace(**{"recording.duration_s": 1})``.

        Paths name section fields; inside a free-form dict field (``implant.layout_params``) new
        keys may be set, e.g. ``"implant.layout_params.pitch_um"``.
        """
        data = self.model_dump()
        for path, value in changes.items():
            node, model = data, type(self)
            *parents, leaf = path.split(".")
            for key in parents:
                fields = getattr(model, "model_fields", {}) if model is not None else {}
                if not isinstance(node.get(key), dict) or (model is not None and key not in fields):
                    raise DesignError(f"unknown design field {path!r}")
                annotation = fields[key].annotation if model is not None else None
                model = annotation if isinstance(annotation, type) and issubclass(annotation, Section) \
                    else None
                node = node[key]
            if leaf not in node and model is not None:
                raise DesignError(f"unknown design field {path!r}")
            node[leaf] = value
        return Design.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict) -> "Design":
        """Validate a nested dict; raise `DesignError` with readable messages."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise DesignError(format_errors(cls, exc)) from None

    def to_toml(self) -> str:
        return design_to_toml(self)


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
