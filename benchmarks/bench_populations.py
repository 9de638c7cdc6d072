"""Benchmark: Brian2 devices for the balanced E/I network, by network size.

For each size: the runtime device (NumPy code generation, no compiler), the C++ standalone
device on its first run (code generation + compilation + run, in an empty build cache) and on a
later run with a *new seed and duration* (the compiled program is reused: seed and duration are
run-time arguments), and what ``device = "auto"`` picks for a first and a later run. Every wall
time is the best of ``--repeat`` runs (the machine may be shared), measured in fresh processes
(each pays nothing for imports: Brian2 is imported before the clock starts).

Run: ``.venv/bin/python benchmarks/bench_populations.py [--sizes 1000 5000 20000] [--duration-s 1]
[--cases runtime auto-empty standalone-first standalone-later auto-compiled]`` (the issue's
100 k cells x 10 s: ``--sizes 100000 --duration-s 10 --repeat 1 --cases standalone-first
standalone-later``; the runtime device takes ~10 min there).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

_CHILD = """
import json, sys, time
from neurosim.populations._brian import import_brian2
import_brian2()
from neurosim.populations import BalancedParams, simulate_balanced_ei
from neurosim.populations._lif import simulate_lif
from neurosim.populations.balanced import balanced_network
n, duration, seed, device = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
n_e = int(0.8 * n)
t0 = time.perf_counter()
out = simulate_lif(balanced_network(n_e, n - n_e, BalancedParams()), duration, seed, device=device)
wall = time.perf_counter() - t0
print(json.dumps({"wall_s": wall, "rate_hz": len(out["spike_times_s"]) / n / duration,
                  "device": out.get("device", device)}))
"""


def _child(n: int, duration_s: float, seed: int, device: str, cache: str) -> dict:
    env = dict(os.environ, NEUROSIM_CACHE_DIR=cache)
    out = subprocess.run([sys.executable, "-c", _CHILD, str(n), str(duration_s), str(seed), device],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


#: case key: (label, Brian2 device, seed); in this order, in one build cache per repeat (so
#: "standalone-later" reuses the program "standalone-first" compiled).
CASES = {"runtime": ("runtime (NumPy)", "runtime", 1),
         "auto-empty": ("auto, empty cache", "auto", 1),
         "standalone-first": ("standalone, first run (compiles)", "cpp_standalone", 1),
         "standalone-later": ("standalone, new seed + duration", "cpp_standalone", 2),
         "auto-compiled": ("auto, program compiled", "auto", 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--duration-s", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES),
                        help="which devices and cache states to time (default: all)")
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        best: dict[str, float] = {}
        picks: dict[str, str] = {}
        for r in range(args.repeat):
            with tempfile.TemporaryDirectory() as cache:
                cases = [(label, device, seed, cache) for key, (label, device, seed) in CASES.items()
                         if key in args.cases]
                for label, device, seed, where in cases:
                    # the reused program runs a 10 % longer simulation with a new seed
                    dur = args.duration_s * (1.1 if seed == 2 else 1.0)
                    res = _child(n, dur, seed + 10 * r, device, where)
                    wall = res["wall_s"] * args.duration_s / dur
                    best[label] = min(best.get(label, float("inf")), wall)
                    picks[label] = res["device"]
        for label, wall in best.items():
            rows.append((n, label, wall, picks[label]))
            print(f"{n:7d} cells x {args.duration_s:g} s  {label:34s} {wall:7.2f} s  ({picks[label]})",
                  flush=True)
    print("\n| cells | device | wall time per biological second (s) | ran on |\n|---|---|---|---|")
    for n, label, wall, dev in rows:
        print(f"| {n} | {label} | {wall / args.duration_s:.2f} | {dev} |")


if __name__ == "__main__":
    main()
