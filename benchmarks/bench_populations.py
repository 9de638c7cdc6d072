"""Benchmark: Brian2 balanced E/I network, 10 k and 100 k neurons x 10 s biological time.

Wall times of the C++ standalone device (first run: code generation + compilation + run;
second run: cached build, no recompilation) and, for 10 k, of the runtime NumPy device.

Run: ``.venv/bin/python benchmarks/bench_populations.py [--sizes 10000 100000] [--duration-s 10]``
"""

from __future__ import annotations

import argparse
import logging
import time


from neurosim.populations import BalancedParams, simulate_balanced_ei

logger = logging.getLogger("bench_populations")


def bench(num_cells: int, duration_s: float, device: str, seed: int = 1) -> tuple[float, float]:
    """Wall time (s) and mean rate (Hz) of one simulation."""
    n_e = int(0.8 * num_cells)
    t0 = time.perf_counter()
    times, _ = simulate_balanced_ei(n_e, num_cells - n_e, duration_s, seed, BalancedParams(),
                                    device=device)
    wall = time.perf_counter() - t0
    return wall, len(times) / num_cells / duration_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--duration-s", type=float, default=10.0)
    parser.add_argument("--runtime", action="store_true", help="also time the runtime device (slow)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    rows = []
    for n in args.sizes:
        for label, device in (("standalone, first run", "cpp_standalone"),
                              ("standalone, cached build", "cpp_standalone")) + (
                (("runtime (NumPy)", "runtime"),) if args.runtime else ()):
            wall, rate = bench(n, args.duration_s, device)
            rows.append((n, label, wall, rate))
            logger.info("%7d neurons x %g s  %-26s %8.1f s wall  (%.1f Hz mean)", n,
                        args.duration_s, label, wall, rate)
    logger.info("\n| neurons | device | wall time (s) | x real time |\n|---|---|---|---|")
    for n, label, wall, _ in rows:
        logger.info("| %d | %s | %.1f | %.2f |", n, label, wall, wall / args.duration_s)


if __name__ == "__main__":
    main()
