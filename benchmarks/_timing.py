"""Timing helpers shared by the benchmark scripts (run them from any directory)."""

import os
import platform
import time

import numpy as np


def best_of(fn, repeats: int = 5) -> float:
    """Best wall time of ``repeats`` calls of ``fn`` after one warm-up call (compile, page faults), s."""
    fn()
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def best_of_each(fn, args) -> float:
    """Best wall time of ``fn(a)`` over the arguments after ``args[0]`` (which warms up), s.

    For work that must not repeat itself, e.g. chunk ``k`` of a stream for k = 0, 1, 2, ...
    """
    args = list(args)
    fn(args[0])
    best = np.inf
    for a in args[1:]:
        t = time.perf_counter()
        fn(a)
        best = min(best, time.perf_counter() - t)
    return best


def cpu_model() -> str:
    """The CPU's model name (Linux /proc/cpuinfo; else what platform knows)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def machine_line() -> str:
    """One line naming the CPU, its cores, the Numba threads in use and the load."""
    import numba

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cpu_model()}, {os.cpu_count()} logical cores, {numba.get_num_threads()} Numba "
            f"thread(s) ({numba.threading_layer() if _layer_known() else 'layer not chosen yet'}), "
            f"load average {load:.2f}")


def _layer_known() -> bool:
    import numba

    try:
        numba.threading_layer()
        return True
    except ValueError:  # no parallel function has run yet
        return False
