"""Design sections: the tissue and the implanted electrode array."""

from __future__ import annotations

import inspect
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from neurosim.design._base import Section, ranged

__all__ = ["Tissue", "Implant", "ElectrodeNoise", "Drift", "LayoutParamRange", "layout_parameters",
           "check_layout_params", "layout_param_ranges"]


class Tissue(Section):
    """The block of cortex the implant sits in (the cortical surface is z = 0, tissue is z < 0)."""

    size_um: tuple[float, float, float] = Field(
        (5000.0, 5000.0, 2000.0), description="tissue block extent (x, y, depth) for rendering and bounds",
        json_schema_extra={"unit": "um"})
    conductivity_S_per_m: float = ranged(0.3, 0.01, 2.0, "S/m", "extracellular conductivity (grey matter ~0.3)")
    temperature_K: float = ranged(310.0, 273.0, 320.0, "K", "tissue temperature (thermal noise)")

    @model_validator(mode="after")
    def _positive_size(self):
        for axis, v in zip("xyz", self.size_um):
            if not (100.0 <= v <= 50000.0):
                raise ValueError(f"size_um[{axis}] must be in [100, 50000] um, got {v!r}")
        return self


class ElectrodeNoise(Section):
    """Noise sources at the electrodes, each switchable (``electrode_models.noise`` / ``.background``).

    Far-neuron background: 1/f^alpha spectrum (flat below ``background_corner_hz``), RMS
    ``background_uV_rms`` in 300-6000 Hz, correlation exp(-d / length constant) between contacts.
    Unset (default): the level follows from the cells beyond ``population.outer_radius_um`` (their
    density, the simulated cells' rates and their spikes' energy in the band at every distance:
    `neurosim.electrodes.far_cell_background_uV_rms`); a number sets it; 0 switches it off.
    """

    background_uV_rms: float | None = ranged(
        None, 0.0, 1000.0, "uV", "far-neuron background RMS in 300-6000 Hz (unset: from the far cells; 0: off)")
    background_alpha: float = ranged(1.5, 0.0, 3.0, "", "background power-spectrum exponent (1/f^alpha)")
    background_length_constant_um: float = ranged(
        100.0, 0.0, 100000.0, "um", "background spatial correlation length (exp(-d/lambda); 0: independent)")
    background_corner_hz: float = ranged(10.0, 0.1, 1000.0, "Hz", "background spectrum is flat below this")
    thermal: bool = Field(True, description="electrode thermal (Johnson) noise on/off")
    amplifier: bool = Field(True, description="amplifier input-referred noise on/off")


class Drift(Section):
    """Probe micromotion relative to the tissue (``electrode_models.drift``).

    zigzag: triangle wave of peak ``amplitude_um`` and ``period_s``; random_walk: reflected into
    +-amplitude_um, RMS excursion amplitude_um after period_s; step: ``amplitude_um`` at
    ``step_time_s``. Non-rigid: the displacement scales linearly along the probe depth from 1 at
    the top contact to ``nonrigid_bottom_scale`` at the bottom one.
    """

    kind: Literal["none", "zigzag", "random_walk", "step"] = Field("none", description="motion function")
    amplitude_um: float = ranged(0.0, -1000.0, 1000.0, "um", "peak displacement (step: step size)")
    period_s: float = ranged(60.0, 0.0, 1e6, "s", "zigzag period / random-walk time scale", gt=True)
    step_time_s: float = ranged(0.0, 0.0, 1e7, "s", "time of the step")
    non_rigid: bool = Field(False, description="displacement varies linearly along the probe depth")
    nonrigid_bottom_scale: float = ranged(0.5, 0.0, 10.0, "", "displacement factor at the bottom contact")
    direction: Literal["probe_axis", "x", "y", "z"] = Field(
        "probe_axis", description="motion direction (probe_axis: along the insertion axis, z)")
    grid_step_um: float = ranged(2.0, 0.1, 100.0, "um", "template grid step over +-amplitude")

    @model_validator(mode="after")
    def _amplitude_sign(self):
        if self.kind in ("zigzag", "random_walk") and self.amplitude_um < 0:
            raise ValueError(f"amplitude_um must be >= 0 um for kind = {self.kind!r}, got {self.amplitude_um!r}")
        if self.kind == "none" and self.amplitude_um != 0:
            # a drift amplitude that moves nothing would label data with a drift that is not there
            raise ValueError(f"amplitude_um must be 0 um while implant.drift.kind = 'none' (no motion), "
                             f"got {self.amplitude_um!r}: set implant.drift.kind to 'zigzag', "
                             f"'random_walk' or 'step' for the probe to move")
        return self


LayoutName = Literal["utah96", "utah", "neuropixels1", "neuropixels2", "threads", "linear", "multishank",
                     "tetrode", "ecog", "uecog", "epidural", "stent", "custom"]


class Implant(Section):
    """The electrode array: layout, placement, material, site size, interface and chronic state.

    ``layout = "custom"`` reads the probe from ``layout_file`` (probeinterface JSON, 3-D, µm, in
    the tissue frame); every other layout is built by ``electrode_models.make_probe``.
    """

    layout: LayoutName = Field("utah96", description="probe layout (custom: read layout_file)")
    layout_file: str | None = Field(None, description="probeinterface JSON file of a custom layout")
    position_um: tuple[float, float] = Field((0.0, 0.0), description="lateral insertion point (x, y)",
                                             json_schema_extra={"unit": "um"})
    material: Literal["Pt", "PtIr", "SIROF", "IrOx", "PEDOT", "TiN"] = Field("Pt", description="site material")
    site_radius_um: float | None = ranged(None, 1.0, 5000.0, "um", "contact radius (None: the layout's default)")
    layout_params: dict[str, int | float] = Field(
        default_factory=dict, description="parameters of the layout's generator, e.g. rows, pitch_um "
                                          "(names, defaults: `neurosim list layouts`)")
    amplifier_input_capacitance_pF: float = ranged(
        10.0, 0.0, 10000.0, "pF", "amplifier input capacitance (electrode-amplifier divider)")
    amplifier_input_resistance_ohm: float = ranged(
        1e12, 1e3, 1e16, "Ohm", "amplifier input resistance (electrode-amplifier divider)")
    days_since_implant: float = ranged(
        0.0, 0.0, 36500.0, "days", "time since implantation (encapsulation, dead channels, neuron loss)")
    noise: ElectrodeNoise = Field(default_factory=ElectrodeNoise, description="electrode noise sources")
    drift: Drift = Field(default_factory=Drift, description="probe micromotion")

    @model_validator(mode="before")
    @classmethod
    def _integer_layout_params(cls, data: Any):
        """Integral floats (``rows = 8.0``) of integer layout parameters become ints."""
        if isinstance(data, dict) and isinstance(data.get("layout_params"), dict):
            defaults = layout_parameters(data.get("layout", "utah96"))
            data = {**data, "layout_params": {
                k: int(v) if _is_int_default(defaults.get(k)) and isinstance(v, float) and v.is_integer()
                else v for k, v in data["layout_params"].items()}}
        return data

    @model_validator(mode="after")
    def _layout_file(self):
        if self.layout == "custom":
            if not self.layout_file:
                raise ValueError("layout_file must name a probeinterface JSON file when layout = 'custom'")
            path = Path(self.layout_file)
            if not path.is_file():
                why = "a directory" if path.is_dir() else "no such file"
                raise ValueError(f"layout_file must name an existing probeinterface JSON file when "
                                 f"layout = 'custom', got {self.layout_file!r} ({why})")
            if self.layout_params:
                raise ValueError(f"layout_params are not used with layout = 'custom' (the probe is read "
                                 f"from layout_file), got {self.layout_params!r}")
        elif self.layout_file:
            raise ValueError(f"layout_file is only used with layout = 'custom', got layout {self.layout!r}")
        else:
            check_layout_params(self.layout, self.layout_params, prefix="layout_params.")
        return self


def _is_int_default(default) -> bool:
    return isinstance(default, int) and not isinstance(default, bool)


def layout_parameters(layout: str) -> dict[str, Any]:
    """The parameters of a generated layout and their defaults (``None``: derived from the others).

    Read from the signature of the layout's generator in `electrode_models.layouts`; an
    integer default marks an integer parameter. Unknown layouts give ``{}``.
    """
    from electrode_models.layouts import REGISTRY

    if layout not in REGISTRY:
        return {}
    builder = REGISTRY[layout][0]
    return {name: p.default for name, p in inspect.signature(builder).parameters.items()}


def check_layout_params(layout: str, params: dict, prefix: str = "implant.layout_params.") -> None:
    """Raise ``ValueError`` unless ``layout``'s generator accepts ``params`` (names, types, ranges).

    Messages name the parameter as ``prefix + name``, the allowed range with its unit and the
    value given, e.g. ``implant.layout_params.rows must be in [1, 64], got 0``.
    """
    from electrode_models.layouts import REGISTRY

    defaults = layout_parameters(layout)
    for name, value in params.items():
        if name not in defaults:
            allowed = ", ".join(f"{k} (default {v!r})" for k, v in defaults.items()) or "none"
            raise ValueError(f"{prefix}{name} is not a parameter of layout {layout!r} (allowed: "
                             f"{allowed}), got {name} = {value!r}")
        if _is_int_default(defaults[name]) and (isinstance(value, bool) or not float(value).is_integer()):
            raise ValueError(f"{prefix}{name} must be an integer, got {value!r}")
    try:
        REGISTRY[layout][0](**params)  # the generator's own checks: ranges with units, combinations
    except (TypeError, ValueError) as exc:
        msg = str(exc)
        first, _, rest = msg.partition(" ")
        if first not in defaults:
            # a wrapper's generator names the parameter as its own (linear's num_channels is
            # multishank's channels_per_shank): name the one whose value the message quotes
            quoted = [k for k, v in params.items() if msg.endswith(f", got {v!r}")]
            if len(quoted) == 1:
                msg, first = f"{quoted[0]} {rest}", quoted[0]
        raise ValueError(f"{prefix}{msg}" if first in defaults
                         else f"{prefix.rstrip('.')} of layout {layout!r}: {msg}") from None


@dataclass(frozen=True)
class LayoutParamRange:
    """What `check_layout_params` accepts for one parameter of a layout, the others at their defaults.

    ``low``/``high`` of ``None``: unbounded on that side (or no bound stated, see ``note``).
    """

    name: str
    type: str  # "int" or "float"
    default: Any  # None: derived from the other parameters ("auto")
    low: float | None
    high: float | None
    low_inclusive: bool
    high_inclusive: bool
    unit: str
    note: str = ""

    def interval(self) -> str:
        """The range as written in the validation messages, e.g. ``[10, 5000] µm`` (a bound that
        ``:g`` would round is written in full)."""
        lo = "-inf" if self.low is None else _exact(self.low)
        hi = "inf" if self.high is None else _exact(self.high)
        text = f"{'[' if self.low_inclusive else '('}{lo}, {hi}{']' if self.high_inclusive else ')'}"
        return f"{text} {self.unit}" if self.unit else text


def _exact(x: float) -> str:
    return f"{x:g}" if float(f"{x:g}") == x else repr(float(x))


#: A range in a validation message: "<name> must be [words] in [lo, hi] [unit], got <value>"
_RANGE_MESSAGE = re.compile(r"(?:^|: )(?P<name>\w+) must be (?:[\w ]+ )?in (?P<lb>[\[(])(?P<lo>[^,]+), "
                            r"(?P<hi>[^\])]+)(?P<hb>[\])])(?: (?P<unit>[^,]+))?, got (?P<got>.+)$")
#: Integer bounds are tightened by trying values one by one from the stated bound inwards (rules
#: that combine parameters, e.g. rows x cols <= 1024); at most this many tries per bound.
_MAX_SCAN = 4096


def _rejection(layout: str, name: str, value) -> str | None:
    """The message `check_layout_params` gives for ``{name: value}`` (no prefix), None if accepted."""
    try:
        check_layout_params(layout, {name: value}, prefix="")
    except ValueError as exc:
        return str(exc)
    return None


def _stated_bound(layout: str, name: str, probe, side: str):
    """(bound, inclusive, unit, stated) from the message for a value far beyond one side."""
    message = _rejection(layout, name, probe)
    if message is None:
        return None, True, "", True  # accepted: unbounded on that side
    m = _RANGE_MESSAGE.search(message)
    # the range of this parameter (a wrapper's generator may name it as its own: linear's
    # num_channels is multishank's channels_per_shank) when the message quotes the value tried
    if m is None or m["got"] != repr(probe):
        return None, True, "", False
    text, bracket = (m["lo"], m["lb"]) if side == "low" else (m["hi"], m["hb"])
    bound = None if text in ("-inf", "inf") else float(text)
    return bound, bracket in "[]", m["unit"] or "", True


def layout_param_ranges(layout: str) -> dict[str, LayoutParamRange]:
    """Each parameter of a generated layout: type, allowed range with unit, default.

    Read from the validation itself (`check_layout_params`, i.e. the generator's own checks):
    each parameter is tried far below and far above, with the other parameters at their
    defaults, and the range stated in the message is taken. A stated bound that a rule
    combining parameters rejects (``rows x cols <= 1024``, an even channel count, a tip depth
    that must hold every contact) is moved inwards to the last value accepted: integers one by
    one, floats by bisection to the exact float. So every bound holds with the other parameters
    at their defaults (``note`` then gives the stated range). Unknown layouts give ``{}``.
    """
    ranges = {}
    for name, default in layout_parameters(layout).items():
        is_int = _is_int_default(default)
        far = 2 ** 40 if is_int else 1e300
        low, low_inc, unit_lo, ok_lo = _stated_bound(layout, name, -far, "low")
        high, high_inc, unit_hi, ok_hi = _stated_bound(layout, name, far, "high")
        notes = [f"{side} bound not stated: see design validate"
                 for side, ok in (("lower", ok_lo), ("upper", ok_hi)) if not ok]
        stated = LayoutParamRange(name, "int" if is_int else "float", default, low, high, low_inc,
                                  high_inc, unit_lo or unit_hi)
        if low_inc:
            low = _accepted_bound(layout, name, low, default, is_int)
        if high_inc:
            high = _accepted_bound(layout, name, high, default, is_int)
        if (low, high) != (stated.low, stated.high):
            notes.append(f"{stated.interval()} with other values of the others")
        ranges[name] = LayoutParamRange(stated.name, stated.type, default, low, high, low_inc,
                                        high_inc, stated.unit, "; ".join(notes))
    return ranges


def _accepted_bound(layout: str, name: str, bound, default, is_int: bool):
    """The accepted value nearest to the stated (inclusive) ``bound`` between it and ``default``:
    ``bound`` itself when accepted; integers tried one by one (rules such as 'even' are not
    monotonic), floats bisected to the exact float (the rules on floats are bounds)."""
    if bound is None or default is None or _rejection(layout, name, int(bound) if is_int else bound) is None:
        return bound
    if is_int:
        step = 1 if bound < default else -1
        value = int(bound)
        for _ in range(_MAX_SCAN):
            value += step
            if _rejection(layout, name, value) is None or value == default:
                return float(value)
        return bound
    inside, outside = _float_key(float(default)), _float_key(bound)  # accepted, rejected
    while abs(outside - inside) > 1:
        mid = (inside + outside) // 2
        if _rejection(layout, name, _key_float(mid)) is None:
            inside = mid
        else:
            outside = mid
    return _key_float(inside)


def _float_key(x: float) -> int:
    """An integer that orders as the float does, consecutive for adjacent floats."""
    (bits,) = struct.unpack("<q", struct.pack("<d", x))
    return bits if bits >= 0 else -(bits & 0x7FFFFFFFFFFFFFFF)


def _key_float(key: int) -> float:
    bits = key if key >= 0 else (-key) | -0x8000000000000000
    return struct.unpack("<d", struct.pack("<q", bits))[0]
