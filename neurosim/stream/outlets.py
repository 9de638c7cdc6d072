"""Transports of the live twin: where its streams go (outlets) and where commands come from (inlets).

An outlet is opened once with the descriptions of its streams (`StreamSpec`), then receives
``push(name, data, timestamps_s)`` per chunk and is closed. Every timestamp is on one clock, the
outlet's ``clock_s()`` (LSL's ``local_clock`` for `LSLOutlet`), so a receiver can align the chip's
output, the ground truth and the behaviour sample by sample.

- `MemoryOutlet` keeps everything in memory and calls subscribers synchronously (tests,
  notebooks, in-process decoders);
- `LSLOutlet` publishes one Lab Streaming Layer outlet per stream (needs ``pylsl``, the optional
  ``stream`` extra; its wheel bundles liblsl).

An inlet gives the twin commands (e.g. decoded cursor velocity): `QueueInlet` in process,
`LSLInlet` from an LSL stream of another program.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

__all__ = ["StreamSpec", "Outlet", "MemoryOutlet", "LSLOutlet", "make_outlet", "Inlet", "QueueInlet",
           "LSLInlet", "require_pylsl", "OUTLET_BACKENDS"]

#: Names accepted by `make_outlet` (and ``neurosim stream --backend``).
OUTLET_BACKENDS = ("memory", "lsl")

_DTYPES = {"int16": np.int16, "int32": np.int32, "float32": np.float32, "float64": np.float64}


@dataclass(frozen=True)
class StreamSpec:
    """One stream of the twin.

    Parameters
    ----------
    name : str
        Stream name (unique within a twin), e.g. ``"neurosim_events"``.
    content_type : str
        LSL content type (``"Markers"`` for irregular events, ``"EEG"``-like for samples...).
    channel_labels : tuple of str
        One label per column of the pushed arrays.
    rate_hz : float
        Nominal sampling rate in Hz; 0 for irregular streams (events, spikes).
    dtype : {"int16", "int32", "float32", "float64"}
        Type of the values.
    unit : str
        Unit of the values (``"code"``, ``"count"``, ``"cm"``...).
    """

    name: str
    content_type: str
    channel_labels: tuple
    rate_hz: float
    dtype: str
    unit: str = ""

    @property
    def num_columns(self) -> int:
        return len(self.channel_labels)


class Outlet(Protocol):
    """What the twin needs from a transport."""

    def open(self, specs: list[StreamSpec], source_id: str) -> None:
        """Create the streams."""

    def push(self, name: str, data: np.ndarray, timestamps_s: np.ndarray) -> None:
        """Publish rows ``data`` (shape (n, columns)) with their timestamps (s, shape (n,))."""

    def clock_s(self) -> float:
        """The clock of every timestamp, s."""

    def close(self) -> None:
        """Release the streams."""


class MemoryOutlet:
    """Streams kept in memory; ``subscribe`` calls a function with every push (same thread).

    ``data(name)`` and ``timestamps(name)`` concatenate what was pushed so far; ``num_rows``
    counts the rows per stream.

    Parameters
    ----------
    keep : bool, default True
        Keep the rows; False only counts them and calls the subscribers (bounded memory for long
        streams, e.g. the CLI's memory backend).
    """

    def __init__(self, keep: bool = True):
        self.keep = bool(keep)
        self.num_rows: dict[str, int] = {}
        self.specs: dict[str, StreamSpec] = {}
        self._rows: dict[str, list] = {}
        self._times: dict[str, list] = {}
        self._subscribers: dict[str, list] = collections.defaultdict(list)
        self.source_id = ""
        self.closed = False

    def open(self, specs: list[StreamSpec], source_id: str) -> None:
        self.source_id = source_id
        for spec in specs:
            self.specs[spec.name] = spec
            self._rows[spec.name], self._times[spec.name] = [], []

    def subscribe(self, name: str, callback: Callable[[np.ndarray, np.ndarray], None]) -> None:
        """Call ``callback(data, timestamps_s)`` with every push to stream ``name``."""
        self._subscribers[name].append(callback)

    def push(self, name: str, data: np.ndarray, timestamps_s: np.ndarray) -> None:
        spec = self.specs[name]
        data = np.asarray(data, _DTYPES[spec.dtype]).reshape(-1, spec.num_columns)
        times = np.asarray(timestamps_s, float).reshape(-1)
        self.num_rows[name] = self.num_rows.get(name, 0) + len(data)
        if self.keep:
            self._rows[name].append(data.copy())
            self._times[name].append(times.copy())
        for callback in self._subscribers[name]:
            callback(data, times)

    def clock_s(self) -> float:
        return time.perf_counter()

    def close(self) -> None:
        self.closed = True

    def data(self, name: str) -> np.ndarray:
        """Every row pushed to ``name``, shape (n, columns)."""
        if name not in self.specs:
            raise KeyError(f"no stream {name!r}; streams: {sorted(self.specs)}")
        spec = self.specs[name]
        rows = self._rows[name]
        return np.concatenate(rows) if rows else np.zeros((0, spec.num_columns), _DTYPES[spec.dtype])

    def timestamps(self, name: str) -> np.ndarray:
        """Timestamps of every row of ``name``, s."""
        if name not in self.specs:
            raise KeyError(f"no stream {name!r}; streams: {sorted(self.specs)}")
        t = self._times[name]
        return np.concatenate(t) if t else np.zeros(0)


def require_pylsl():
    """Import ``pylsl``, or raise ``ImportError`` saying how to install it."""
    try:
        import pylsl
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the LSL backend needs pylsl (with its liblsl): pip install 'neurosim[stream]' "
                          f"or pip install pylsl ({exc})") from exc
    except (OSError, RuntimeError) as exc:  # pylsl without a loadable liblsl
        raise ImportError(f"pylsl is installed but its liblsl cannot be loaded ({exc}); install "
                          "a pylsl wheel that bundles liblsl (pip install -U pylsl)") from exc
    return pylsl


class LSLOutlet:
    """One Lab Streaming Layer outlet per stream; timestamps on ``pylsl.local_clock()``.

    Parameters
    ----------
    chunk_size : int, default 0
        LSL transmission chunk size in samples (0: as pushed).
    max_buffered_s : float, default 360
        Seconds of data each outlet keeps for slow inlets.
    """

    def __init__(self, chunk_size: int = 0, max_buffered_s: float = 360.0):
        self._lsl = require_pylsl()
        self.chunk_size, self.max_buffered_s = int(chunk_size), float(max_buffered_s)
        self.outlets: dict = {}
        self.specs: dict[str, StreamSpec] = {}

    def open(self, specs: list[StreamSpec], source_id: str) -> None:
        lsl = self._lsl
        formats = {"int16": lsl.cf_int16, "int32": lsl.cf_int32, "float32": lsl.cf_float32,
                   "float64": lsl.cf_double64}
        for spec in specs:
            rate = spec.rate_hz if spec.rate_hz > 0 else lsl.IRREGULAR_RATE
            info = lsl.StreamInfo(spec.name, spec.content_type, spec.num_columns, rate,
                                  formats[spec.dtype], f"{source_id}/{spec.name}")
            chans = info.desc().append_child("channels")
            for label in spec.channel_labels:
                ch = chans.append_child("channel")
                ch.append_child_value("label", str(label))
                ch.append_child_value("unit", spec.unit)
            info.desc().append_child_value("manufacturer", "neurosim digital twin")
            self.outlets[spec.name] = lsl.StreamOutlet(info, self.chunk_size, int(self.max_buffered_s))
            self.specs[spec.name] = spec

    def push(self, name: str, data: np.ndarray, timestamps_s: np.ndarray) -> None:
        spec = self.specs[name]
        data = np.ascontiguousarray(np.asarray(data, _DTYPES[spec.dtype]).reshape(-1, spec.num_columns))
        if len(data):
            self.outlets[name].push_chunk(data, np.asarray(timestamps_s, float).tolist())

    def clock_s(self) -> float:
        return float(self._lsl.local_clock())

    def close(self) -> None:
        self.outlets.clear()  # pylsl destroys an outlet when its object goes


def make_outlet(backend) -> Outlet:
    """An outlet from a backend name (`OUTLET_BACKENDS`) or an outlet object (returned as is).

    ``"memory"`` gives a `MemoryOutlet` that counts rows without keeping them (pass
    ``MemoryOutlet()`` to keep them).
    """
    if not isinstance(backend, str):
        return backend
    if backend not in OUTLET_BACKENDS:
        raise ValueError(f"outlet backend must be one of {list(OUTLET_BACKENDS)}, got {backend!r}")
    return MemoryOutlet(keep=False) if backend == "memory" else LSLOutlet()


class Inlet(Protocol):
    """Commands for the twin: ``pull()`` returns the rows received since the last call."""

    def pull(self) -> tuple[np.ndarray, np.ndarray]:
        """``(data (n, columns), timestamps_s (n,))``, possibly empty."""


class QueueInlet:
    """An in-process inlet: ``put(row, timestamp_s)`` from a decoder, ``pull()`` by the twin."""

    def __init__(self, num_columns: int):
        if int(num_columns) < 1:
            raise ValueError(f"num_columns must be >= 1, got {num_columns}")
        self.num_columns = int(num_columns)
        self._rows: collections.deque = collections.deque()

    def put(self, row, timestamp_s: float) -> None:
        row = np.asarray(row, float).reshape(-1)
        if row.size != self.num_columns:
            raise ValueError(f"row must have {self.num_columns} values, got {row.size}")
        self._rows.append((row, float(timestamp_s)))

    def pull(self) -> tuple[np.ndarray, np.ndarray]:
        rows, times = [], []
        while self._rows:
            r, t = self._rows.popleft()
            rows.append(r)
            times.append(t)
        if not rows:
            return np.zeros((0, self.num_columns)), np.zeros(0)
        return np.vstack(rows), np.asarray(times)


class LSLInlet:
    """Commands from an LSL stream of another program (e.g. an external decoder).

    Parameters
    ----------
    name : str
        Name of the LSL stream to resolve.
    timeout_s : float, default 5
        How long to look for it, s.
    """

    def __init__(self, name: str, timeout_s: float = 5.0):
        lsl = require_pylsl()
        found = lsl.resolve_byprop("name", name, timeout=float(timeout_s))
        if not found:
            raise ValueError(f"no LSL stream named {name!r} found within {timeout_s:g} s")
        self.inlet = lsl.StreamInlet(found[0])
        self.num_columns = found[0].channel_count()

    def pull(self) -> tuple[np.ndarray, np.ndarray]:
        data, times = self.inlet.pull_chunk(timeout=0.0)
        if not times:
            return np.zeros((0, self.num_columns)), np.zeros(0)
        return np.asarray(data, float), np.asarray(times, float)
