"""Input validation helpers for the public boundary of ``chip_models``.

Every message names the parameter, what is allowed (with its unit) and the value given.
Kernels trust their inputs; only public functions and classes call these helpers.
(``electrode_models`` keeps an identical copy: the numerical packages are independent of each
other and of ``neurosim``; the one module they share is the counter-based generator
``electrode_models._counter_rng``, which chip_models imports; validation is not shared.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np


def check_range(name: str, value, low=None, high=None, unit: str = "", *,
                low_inclusive: bool = True, high_inclusive: bool = True) -> float:
    """Return ``float(value)`` if it lies in the range, else raise ``ValueError``.

    ``low``/``high`` of ``None`` mean unbounded. The message reads
    ``"<name> must be in [low, high] <unit>, got <value>"``.
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number{f' in {unit}' if unit else ''}, got {value!r}") from None
    ok = math.isfinite(v)
    if ok and low is not None:
        ok = v >= low if low_inclusive else v > low
    if ok and high is not None:
        ok = v <= high if high_inclusive else v < high
    if not ok:
        lo_b = "[" if low_inclusive else "("
        hi_b = "]" if high_inclusive else ")"
        lo_s = "-inf" if low is None else f"{low:g}"
        hi_s = "inf" if high is None else f"{high:g}"
        u = f" {unit}" if unit else ""
        raise ValueError(f"{name} must be in {lo_b}{lo_s}, {hi_s}{hi_b}{u}, got {value!r}")
    return v


def check_int(name: str, value, low=None, high=None) -> int:
    """Return ``int(value)`` for an integral value within ``[low, high]``."""
    if isinstance(value, bool) or not float(value).is_integer():
        raise ValueError(f"{name} must be an integer, got {value!r}")
    check_range(name, value, low, high)
    return int(value)


def check_option(name: str, value, allowed: Iterable) -> object:
    """Return ``value`` if it is one of ``allowed``, else raise ``ValueError``."""
    allowed = list(allowed)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def check_array(name: str, value, ndim: int | None = None, shape: tuple | None = None,
                dtype=None) -> np.ndarray:
    """Return ``np.asarray(value, dtype)`` after checking ``ndim`` and ``shape``.

    ``shape`` entries of ``None`` match any length.
    """
    arr = np.asarray(value, dtype=dtype)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    return arr
