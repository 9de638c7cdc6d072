"""Compile the Numba kernels of a run ahead of the first one: ``python -m neurosim.warmup``.

Numba compiles a kernel the first time it is called and keeps the machine code in its cache
(``__pycache__/*.nbi, *.nbc`` beside the sources, or ``$NUMBA_CACHE_DIR``); later processes load
it in a fraction of a second. On a fresh clone the first run of the default design therefore
spends a minute or more compiling (2-core machine). ``make install`` (and so ``make demo``)
runs this module once after installing, so that the demo and every later run start from
compiled code; a ``pip install`` user gets the same compilation on the first run instead.

What it runs: the built-in default design for ``WARMUP_DURATION_S`` of recording with another
seed (``WARMUP_SEED``), written to a temporary file that is deleted, **without** the cortex and
template caches (``cache_dir=None``). So it leaves behind compiled code only (Numba's cache and,
for designs whose Brian2 device is the standalone one, the compiled program under the user
cache), never a result that a later run reads back: the demo still simulates its cortex and
computes its templates.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

__all__ = ["warm_up", "WARMUP_DURATION_S", "WARMUP_SEED"]

#: Seconds of recording of the warm-up run: past the detector's calibration period
#: (``chip.detector.calibration_s``, 0.25 s by default) so that detection and scoring run too.
WARMUP_DURATION_S = 0.5
#: Seed of the warm-up run (not the default design's: no cell, spike or template is shared).
WARMUP_SEED = 1


def warm_up(design=None, *, quiet: bool = False) -> float:
    """Run ``design`` (default: the built-in one) briefly to compile its kernels; return the wall time, s.

    Parameters
    ----------
    design : Design, path or dict, optional
        The design whose code path to compile (default: the built-in default design).
    quiet : bool
        No progress bars.
    """
    from neurosim.design import load_design
    from neurosim.pipeline import run

    t0 = time.perf_counter()
    d = load_design(design).replace(**{"recording.duration_s": WARMUP_DURATION_S, "seed": WARMUP_SEED})
    with tempfile.TemporaryDirectory(prefix="neurosim-warmup-") as tmp:
        run(d, Path(tmp) / "warmup.h5", progress=not quiet, cache_dir=None)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    """``python -m neurosim.warmup [DESIGN] [--quiet]``: the same as ``neurosim warmup``."""
    from neurosim.cli import main as cli_main

    return cli_main(["warmup", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
