"""Timing helper shared by the benchmark scripts (run them from any directory)."""

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
