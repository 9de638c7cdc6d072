"""Benchmark: firing-rate distribution of the LIF models against the published ranges.

Simulates the network of the default design (``balanced_ei`` around the default Utah array) or a
scaled ``cortical_column`` for each requested ``excitability_sd_mV`` and prints
:func:`neurosim.populations.rate_stats.rate_statistics` per cell type beside
:data:`~neurosim.populations.rate_stats.PUBLISHED_RATE_RANGES`, with the wall and CPU time of the
simulation (docs/populations.md, "Firing-rate heterogeneity").

Run: ``.venv/bin/python benchmarks/bench_rate_distribution.py [--model balanced_ei]
[--duration-s 5] [--sd-mV 0 2] [--seed 1]``
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np

from neurosim.design import Design
from neurosim.electrodes import build_probe
from neurosim.populations import BalancedParams, balanced_network, place_cells
from neurosim.populations._lif import simulate_lif
from neurosim.populations.column import FULL_SIZES, column_network
from neurosim.populations.rate_stats import PUBLISHED_RATE_RANGES, rate_statistics

logger = logging.getLogger("bench_rate_distribution")


def default_design_network(sd_mV: float, seed: int):
    """The balanced network of the default design's cells (placement as in simulate_population)."""
    design = Design()
    pop = design.population
    positions = build_probe(design).positions_um
    place_ss, net_ss = np.random.SeedSequence(seed).spawn(2)[0].spawn(5)[:2]
    _, types, _ = place_cells(positions, pop.reach_radius_um, pop.density_per_mm3,
                              pop.excitatory_fraction, pop.min_distance_um,
                              np.random.default_rng(place_ss), max_neurons=pop.max_neurons)
    types = np.sort(types)
    n_e = int(np.sum(types == 0))
    spec = balanced_network(n_e, len(types) - n_e, BalancedParams(excitability_sd_mV=sd_mV))
    return spec, types, int(net_ss.generate_state(1, dtype=np.uint32)[0])


def column(sd_mV: float, seed: int, divisor: int = 80):
    sizes = np.maximum(FULL_SIZES // divisor, 8)
    return column_network(sizes, excitability_sd_mV=sd_mV), np.repeat(np.arange(8), sizes) % 2, seed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", choices=("balanced_ei", "cortical_column"), default="balanced_ei")
    parser.add_argument("--duration-s", type=float, default=5.0)
    parser.add_argument("--sd-mV", type=float, nargs="+", default=[0.0, 2.0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for sd in args.sd_mV:
        build = default_design_network if args.model == "balanced_ei" else column
        spec, types, net_seed = build(sd, args.seed)
        t0, c0 = time.perf_counter(), time.process_time()
        out = simulate_lif(spec, args.duration_s, net_seed)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        stats = rate_statistics(out["spike_times_s"], out["spike_units"], types, args.duration_s)
        logger.info("%s, %d cells x %g s, excitability_sd_mV = %g: %.1f s wall, %.1f s CPU",
                    args.model, len(types), args.duration_s, sd, wall, cpu)
        for name, values in stats.items():
            logger.info("  %-11s %s", name, "  ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                                                   for k, v in values.items()))
    logger.info("published: %s", "; ".join(f"{k} [{lo:g}, {hi:g}]"
                                            for k, (lo, hi, _) in PUBLISHED_RATE_RANGES.items()))


if __name__ == "__main__":
    main()
