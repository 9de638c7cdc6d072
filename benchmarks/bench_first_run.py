"""Benchmark: the first result of a new user, from a fresh clone (issues 13 and 14, "fast first result").

Copies the working tree (tracked and untracked files that git does not ignore: no Numba cache)
into a temporary folder and runs ``neurosim run`` there in fresh processes (``PYTHONPATH`` set to
the copy, so an editable install elsewhere is not used), each with its own empty or reused
``NEUROSIM_CACHE_DIR``:

1. the default demo (5 s, ``--render``) on the fresh clone, nothing compiled, new cortex;
2. the same again (Numba's cache and the cortex and template caches now filled);
3. the install's warm-up (``python -m neurosim.warmup``) on a fresh copy, then the demo with a new
   cortex and then cached;
4. a 0.5 s recording with a new cortex, then cached (compiled code present).

Prints the wall time of each (imports, set-up, render included), the run's own ``--profile``
total, and the load average before each (the machine may be shared: compare rows measured
together). ``--quick`` skips the fresh copies (1 and 3) and runs 3's last two rows and 4 on this
checkout as installed (its Numba cache as it is).

Run: ``.venv/bin/python benchmarks/bench_first_run.py [--quick]``
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN = [sys.executable, "-c", "import sys; from neurosim.cli import main; sys.exit(main())", "run", "--no-progress"]


def demo(out: Path) -> list[str]:
    return RUN + ["-o", str(out / "demo.h5"), "--render", str(out / "demo.png"), "--profile"]


def short(out: Path) -> list[str]:
    return RUN + ["--duration", "0.5", "-o", str(out / "short.h5"), "--profile"]


def fresh_copy(dest: Path) -> Path:
    """The working tree without ignored files (no ``__pycache__``, so no compiled kernels)."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def timed(label: str, argv: list[str], tree: Path, cache: Path) -> None:
    load = os.getloadavg()[0]
    env = {**os.environ, "PYTHONPATH": str(tree), "NEUROSIM_CACHE_DIR": str(cache)}
    env.pop("NUMBA_CACHE_DIR", None)  # Numba's cache beside the copy's sources
    t0 = time.perf_counter()
    proc = subprocess.run(argv, cwd=tree, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(f"{label} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    total = re.search(r"^\s+total\s+([\d.]+)", proc.stdout, flags=re.M)
    total_s = f"{float(total.group(1)):8.1f}" if total else "       -"
    print(f"{label:<48s}{wall:8.1f}{total_s}{load:8.2f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the fresh-clone demo and the warm-up")
    args = ap.parse_args()
    print(f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    print(f"{'neurosim run':<48s}{'wall s':>8s}{'run s':>8s}{'load':>8s}")
    with tempfile.TemporaryDirectory(prefix="neurosim-first-run-") as tmp:
        tmp = Path(tmp)
        out = tmp / "out"
        out.mkdir()
        tree = ROOT
        if not args.quick:
            tree = fresh_copy(tmp / "clone")
            timed("demo, fresh clone (compiles), new cortex", demo(out), tree, tmp / "c1")
            timed("demo, compiled, cortex cached", demo(out), tree, tmp / "c1")
            warm = fresh_copy(tmp / "clone2")
            load = os.getloadavg()[0]
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "neurosim.warmup", "--quiet"], cwd=warm, check=True,
                           env={**os.environ, "PYTHONPATH": str(warm), "NEUROSIM_CACHE_DIR": str(tmp / "c2")})
            print(f"{'install warm-up (python -m neurosim.warmup)':<48s}{time.perf_counter() - t0:8.1f}"
                  f"{'-':>8s}{load:8.2f}", flush=True)
            tree = warm
        timed("demo, compiled, new cortex", demo(out), tree, tmp / "c3")
        timed("demo, compiled, cortex cached", demo(out), tree, tmp / "c3")
        timed("0.5 s recording, compiled, new cortex", short(out), tree, tmp / "c4")
        timed("0.5 s recording, compiled, cortex cached", short(out), tree, tmp / "c4")


if __name__ == "__main__":
    main()
