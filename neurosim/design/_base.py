"""Shared pieces of the design model: the field helper, the section base class, error messages."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["DesignError", "format_errors"]


class DesignError(ValueError):
    """A design value is missing, of the wrong type or out of its allowed range."""


def parse_value(text: str):
    """A design value typed on a command line (``--set``, ``--vary``).

    Read as a TOML value first (``8`` int, ``8.0`` float, ``true`` bool, ``[100, 0]`` array,
    ``"a b"`` string); otherwise ``True``/``FALSE`` in any case as a bool, an int or float as
    Python reads it (``08``), and anything else as a bare string (``utah``).
    """
    import tomllib

    text = text.strip()
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def ranged(default, low=None, high=None, unit="", description="", *, gt=False):
    """A numeric design field with an inclusive (or, with ``gt``, exclusive-low) range and unit."""
    kwargs: dict[str, Any] = {"description": description, "json_schema_extra": {"unit": unit}}
    if low is not None:
        kwargs["gt" if gt else "ge"] = low
    if high is not None:
        kwargs["le"] = high
    return Field(default, **kwargs)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _field_info(root, loc: tuple):
    """The pydantic FieldInfo at a validation-error location, or None."""
    model: Any = root
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


def format_errors(root, exc: ValidationError) -> str:
    """Readable lines (field, allowed range with unit, value given) for a ValidationError of ``root``."""
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = ".".join(str(p) for p in loc if not str(p).startswith("function-after"))
        given = err.get("input")
        kind = err["type"]
        info = _field_info(root, tuple(p for p in loc if isinstance(p, (str, int))))
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
