"""Writing and reading neurosim HDF5 files, atomically and through the schema."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np

from neurosim.io.atomic import atomic_path, check_writable, temp_path
from neurosim.io.schema import DYNAMIC_GROUPS, FORMAT_NAME, FORMAT_VERSION, ROOT_ATTRS, SCHEMA

__all__ = ["AtomicH5Writer", "read_result", "validate_file", "STORED_TRACES"]

_STR = h5py.string_dtype("utf-8")


class AtomicH5Writer:
    """An HDF5 file that appears under its final name only when complete.

    Use as a context manager: the file is written to ``<name>.tmp-<pid>`` in the same directory
    through `neurosim.io.atomic.atomic_path` and renamed (atomic on POSIX) on a clean exit; on an
    exception the temporary file is removed and nothing appears under the final name. Stale
    temporary files of the same path from killed processes are removed on entry.

    Parameters
    ----------
    path : str or Path
        Final file name.
    compression : {"none", "gzip", "lzf"}
        Filter for the large trace datasets (gzip is portable to every HDF5 reader).
    """

    def __init__(self, path, compression: str = "none"):
        if compression not in ("none", "gzip", "lzf"):
            raise ValueError(f"compression must be one of ['none', 'gzip', 'lzf'], got {compression!r}")
        self.path = Path(path)
        self.tmp_path = temp_path(self.path)
        self.compression = None if compression == "none" else compression
        self.file: h5py.File | None = None
        self._atomic = None

    def __enter__(self) -> "AtomicH5Writer":
        check_writable(self.path)
        self._atomic = atomic_path(self.path)
        self.tmp_path = self._atomic.__enter__()
        try:
            self.file = h5py.File(self.tmp_path, "w")
        except BaseException as exc:
            self._atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self.file.attrs["format"] = FORMAT_NAME
        self.file.attrs["format_version"] = FORMAT_VERSION
        self.file.attrs["created_utc"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            self.file.close()
        finally:
            self._atomic.__exit__(exc_type, exc, tb)  # rename when clean; remove the temp file otherwise
        return False

    # -- datasets ---------------------------------------------------------------------------
    def _entry(self, path: str):
        if path not in SCHEMA:
            raise KeyError(f"{path!r} is not in the neurosim HDF5 schema")
        return SCHEMA[path]

    def create_stream(self, path: str, num_samples: int, num_channels: int,
                      chunk_samples: int) -> h5py.Dataset:
        """Create a (num_samples, num_channels) dataset to be filled chunk by chunk."""
        entry = self._entry(path)
        chunks = (max(1, min(num_samples, chunk_samples, max(1, 2**20 // max(num_channels, 1)))),
                  num_channels) if num_samples and num_channels else None
        ds = self.file.create_dataset(path, shape=(num_samples, num_channels), dtype=entry.dtype,
                                      chunks=chunks, compression=self.compression,
                                      shuffle=self.compression is not None)
        ds.attrs["unit"] = entry.unit
        return ds

    def append(self, path: str, data) -> None:
        """Append rows to an extendable dataset along its first axis (created on the first call).

        ``path`` is a schema path or a dataset inside a model-dependent group
        (`DYNAMIC_GROUPS`, dtype from the data). Lets event lists, ground-truth spikes and
        the LFP of recordings of any length be written as they are produced.
        """
        arr = np.asarray(data)
        if path in SCHEMA:
            entry = SCHEMA[path]
            arr, unit = arr.astype(entry.dtype, copy=False), entry.unit
        elif path.split("/")[0] in DYNAMIC_GROUPS:
            unit = None
        else:
            raise KeyError(f"{path!r} is not in the neurosim HDF5 schema")
        ds = self.file.get(path)
        if ds is None:
            rows = max(1, 2**20 // max(1, int(np.prod(arr.shape[1:], dtype=np.int64)) * arr.itemsize))
            ds = self.file.create_dataset(path, shape=(0, *arr.shape[1:]), dtype=arr.dtype,
                                          maxshape=(None, *arr.shape[1:]), chunks=(rows, *arr.shape[1:]),
                                          compression=self.compression,
                                          shuffle=self.compression is not None)
            if unit is not None:
                ds.attrs["unit"] = unit
        n = ds.shape[0]
        if arr.shape[0]:
            ds.resize(n + arr.shape[0], axis=0)
            ds[n:] = arr

    def write(self, path: str, data) -> None:
        """Write a whole dataset, converting to the schema dtype."""
        entry = self._entry(path)
        if entry.dtype == "str":
            ds = self.file.create_dataset(path, data=str(data), dtype=_STR)
        else:
            arr = np.asarray(data).astype(entry.dtype, copy=False)
            ds = self.file.create_dataset(path, data=arr)
        ds.attrs["unit"] = entry.unit

    def write_group(self, group: str, values: dict) -> None:
        """Write a model-dependent group (`DYNAMIC_GROUPS`): one dataset per array."""
        if group not in DYNAMIC_GROUPS:
            raise KeyError(f"group {group!r} is not a model-dependent group of the neurosim schema")
        node = self.file.require_group(group)
        for name, value in values.items():
            node.create_dataset(name, data=np.asarray(value))

    def attrs(self, group: str, **values) -> None:
        """Set documented attributes of a group (``"/"`` for the root)."""
        allowed = ROOT_ATTRS.get(group, {})
        node = self.file.require_group(group) if group != "/" else self.file
        for name, value in values.items():
            if name not in allowed:
                raise KeyError(f"attribute {name!r} of {group!r} is not in the neurosim HDF5 schema")
            node.attrs[name] = value


@contextmanager
def open_h5(path, wrap_errors: bool = True) -> Iterator[h5py.File]:
    """Open an HDF5 file read-only; every error names the file.

    FileNotFoundError when it does not exist; ValueError when it is not an HDF5 file or when a
    part read inside the block is damaged (h5py's OSError/RuntimeError/KeyError, which name no
    file).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"neurosim file {str(path)!r} does not exist")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ValueError(f"{str(path)!r} is not a readable HDF5 file ({exc})") from None
    try:
        with f:
            yield f
    except (OSError, RuntimeError, KeyError) as exc:  # h5py's errors on damaged objects
        if isinstance(exc, FileNotFoundError) or not wrap_errors:
            raise
        raise ValueError(f"{str(path)!r} is damaged: {exc}") from None


def validate_file(path) -> list[str]:
    """Check a file against the schema; return a list of problems (empty: valid)."""
    problems = []
    with open_h5(path) as f:
        if f.attrs.get("format") != FORMAT_NAME:
            problems.append(f"root attribute 'format' is {f.attrs.get('format')!r}, expected {FORMAT_NAME!r}")
        stored = _stored_traces(f)
        for p, entry in SCHEMA.items():
            if p.startswith("recording/traces") and p not in stored:
                continue
            if p not in f:
                problems.append(f"missing dataset /{p}")
                continue
            ds = f[p]
            if entry.dtype == "str":
                continue
            if ds.dtype != np.dtype(entry.dtype):
                problems.append(f"/{p} has dtype {ds.dtype}, expected {entry.dtype}")
            ndim = len([s for s in entry.shape.strip("()").split(",") if s.strip()])
            if len(ds.shape) != ndim:
                problems.append(f"/{p} has shape {ds.shape}, expected {entry.shape}")
        for group, attrs in ROOT_ATTRS.items():
            node = f if group == "/" else f.get(group)
            for name, desc in attrs.items():
                if desc.startswith("optional:"):
                    continue
                if node is None or name not in node.attrs:
                    problems.append(f"missing attribute {name!r} of {group!r}")
    return problems


#: Trace datasets written for each value of ``recording.store_traces``.
STORED_TRACES = {"all": ("recording/traces_uV", "recording/traces_adc"),
                 "adc": ("recording/traces_adc",), "none": ()}


def _stored_traces(f) -> tuple[str, ...]:
    rec = f.get("recording")
    kind = rec.attrs.get("stored_traces", "all") if rec is not None else "all"
    return STORED_TRACES.get(kind.decode() if isinstance(kind, bytes) else str(kind), STORED_TRACES["all"])


def read_result(path, traces: bool = False) -> dict:
    """Read a neurosim file into a flat dict keyed by schema path (plus ``attrs/<group>``).

    Large trace datasets are read only with ``traces=True``.
    """
    out: dict = {}
    with open_h5(path) as f:
        if f.attrs.get("format") != FORMAT_NAME:
            raise ValueError(f"{str(path)!r} is not a neurosim file (root attribute 'format' = "
                             f"{f.attrs.get('format')!r})")
        for p, entry in SCHEMA.items():
            if p not in f or (p.startswith("recording/traces") and not traces):
                continue
            if entry.dtype == "str":
                out[p] = f[p][()].decode() if isinstance(f[p][()], bytes) else f[p][()]
            else:
                out[p] = f[p][()]
        for group in DYNAMIC_GROUPS:
            if group in f:
                out[group] = {k: v[()] for k, v in f[group].items()}
        for group in ROOT_ATTRS:
            node = f if group == "/" else f.get(group)
            if node is not None:
                out[f"attrs/{group.strip('/') or 'root'}"] = {k: _plain(v) for k, v in node.attrs.items()}
    return out


def spike_times_s(result: dict) -> np.ndarray:
    """True spike times in seconds of a `read_result` dict: ``spike_samples / fs_hz``.

    The file stores the samples only (the recording is built from them; format 0.1 also stored
    float64 times, 8 bytes a spike that said nothing more about the recording).
    """
    fs = float(result["attrs/recording"]["fs_hz"])
    return np.asarray(result["ground_truth/spike_samples"], np.int64) / fs


def _plain(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, bytes):
        return v.decode()
    return v
