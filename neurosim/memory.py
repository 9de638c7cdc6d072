"""Process-level memory settings for long recordings.

Why: a recording allocates and frees chunk-sized arrays (spikes, events, filtered blocks) whose
sizes vary from chunk to chunk. glibc raises its mmap threshold each time a large mmapped block
is freed (up to 32 MiB). After that, those arrays come from the heap, where the holes they leave
fragment it and the resident memory floor creeps up.

Measured on ``benchmarks/long_recording_1024.toml`` (1024 ch, 54 783 cells, events only):
- default allocator: floor 960 → 1040 MiB over the first 20 min;
- 1 MiB fixed threshold: floor 695 → 714 MiB, peak 1077 MiB instead of ~1400, same speed
  (0.99× real time).

This module only touches the allocator of this process, and only on glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

__all__ = ["MMAP_THRESHOLD_BYTES", "limit_heap_fragmentation"]

logger = logging.getLogger(__name__)

#: Allocations from this size up are served by mmap and returned to the OS when freed.
MMAP_THRESHOLD_BYTES = 1 << 20
_M_MMAP_THRESHOLD = -3  # glibc <malloc.h>
_applied: bool | None = None


def limit_heap_fragmentation() -> bool:
    """Fix glibc's mmap threshold at `MMAP_THRESHOLD_BYTES` (once per process).

    Large arrays then go straight to mmap and back to the OS when freed, instead of fragmenting
    the heap. A ``MALLOC_MMAP_THRESHOLD_`` set in the environment is the user's choice and is
    left alone.

    Returns
    -------
    bool
        True when the threshold is in force: set here, or set earlier in this process.
        False on other C libraries, or when the environment variable is set.
    """
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return _applied
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl without mallopt)
        return _applied
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    _applied = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
    logger.debug("mmap threshold fixed at %d bytes: %s", MMAP_THRESHOLD_BYTES, _applied)
    return _applied
