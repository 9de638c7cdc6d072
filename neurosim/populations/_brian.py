"""Brian2 plumbing shared by the population models: import, device choice, build cache.

Every model builds its objects inside `brian_device`, which selects Brian2's runtime device
(NumPy code generation: no compiler, best for small networks) or the C++ standalone device (one
compiled program: best for large networks), and always restores the runtime device, the code
generation target and the log level on exit, so several simulations run one after another in one
process. The standalone project directory is cached per build key (a hash of everything that
enters the generated code) under ``$NEUROSIM_CACHE_DIR/brian2/<key>`` (default
``~/.cache/neurosim``): Brian2 rewrites only source files whose contents changed and ``make``
recompiles only those, so a repeat run with the same design does not recompile.

Assumptions
-----------
- Standalone builds use ``-march=native``: a cache directory is tied to its machine; the key
  includes the host name and the Brian2 version.
- Standalone runs single-threaded (no OpenMP), which keeps them deterministic run to run.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import platform
import threading
from contextlib import contextmanager
from pathlib import Path

__all__ = ["import_brian2", "choose_device", "cache_root", "build_key", "brian_device",
           "AUTO_STANDALONE_MIN_CELLS", "DEVICES", "run_network",
           "standalone_dir"]

logger = logging.getLogger(__name__)

#: ``device = "auto"`` compiles a standalone program from this many simulated cells on.
AUTO_STANDALONE_MIN_CELLS = 20_000
DEVICES = ("auto", "runtime", "cpp_standalone")
_IMPORT_LOCK = threading.Lock()


def import_brian2():
    """Import Brian2 without letting it replace ``sys.excepthook``, from any thread.

    Brian2 installs a hook that reports *every* uncaught exception of the process as a Brian2
    bug; neurosim's own errors must reach the user as they are. It also installs a SIGINT
    handler at import, which Python allows only in the main thread: a Dask worker runs its tasks
    in another thread, so there the handler is skipped (Ctrl+C belongs to the scheduler's
    process anyway).
    """
    import signal
    import sys

    if "brian2" in sys.modules:
        return sys.modules["brian2"]
    hook = sys.excepthook
    if threading.current_thread() is threading.main_thread():
        import brian2
    else:
        with _IMPORT_LOCK:
            set_handler = signal.signal
            signal.signal = lambda signum, handler: signal.getsignal(signum)
            try:
                import brian2
            finally:
                signal.signal = set_handler
    sys.excepthook = hook
    return brian2


def choose_device(device: str, num_cells: int) -> str:
    """Resolve ``"auto"`` to ``"runtime"`` or ``"cpp_standalone"`` by cell count.

    Raises
    ------
    ValueError
        If ``device`` is not one of `DEVICES`.
    """
    if device not in DEVICES:
        raise ValueError(f"population.device must be one of {DEVICES}, got {device!r}")
    if device == "auto":
        return "cpp_standalone" if num_cells >= AUTO_STANDALONE_MIN_CELLS else "runtime"
    return device


def cache_root() -> Path:
    """Root of neurosim's caches: ``$NEUROSIM_CACHE_DIR`` or ``~/.cache/neurosim``."""
    env = os.environ.get("NEUROSIM_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "neurosim"


def build_key(spec: dict) -> str:
    """A stable hash (16 hex digits) of a JSON-serialisable build specification."""
    b2 = import_brian2()
    payload = json.dumps({"spec": spec, "brian2": b2.__version__, "host": platform.node()},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@contextmanager
def brian_device(device: str, key: str | None = None):
    """Select a Brian2 device for the objects built inside the block; restore everything after.

    Parameters
    ----------
    device : {"runtime", "cpp_standalone"}
        Resolved device (see `choose_device`).
    key : str, optional
        Build key of the standalone project directory (required for ``"cpp_standalone"``).

    Yields
    ------
    b2 : module
        The brian2 module; build objects and call `run_network` inside the block.
    """
    b2 = import_brian2()
    old_target = b2.prefs.codegen.target
    old_level = b2.prefs.logging.console_log_level
    b2.prefs.logging.console_log_level = "WARNING"
    try:
        if device == "cpp_standalone":
            # objects of earlier runs still registered would make Brian2 suffix the names of the
            # generated code objects ("_1"), which changes the sources and forces a recompile
            gc.collect()
            directory = standalone_dir(key)
            directory.mkdir(parents=True, exist_ok=True)
            b2.set_device("cpp_standalone", build_on_run=False, directory=str(directory))
            b2.device.reinit()
            b2.device.activate(build_on_run=False, directory=str(directory))
        else:
            b2.prefs.codegen.target = "numpy"
        yield b2
    finally:
        if device == "cpp_standalone":
            b2.device.reinit()
            b2.set_device("runtime")
        b2.prefs.codegen.target = old_target
        b2.prefs.logging.console_log_level = old_level


def standalone_dir(key: str | None) -> Path:
    """Standalone project directory of a build key."""
    return cache_root() / "brian2" / str(key)


def run_network(b2, net, duration_s: float, device: str, key: str | None = None,
                report=None) -> None:
    """Run ``net`` for ``duration_s`` s; on the standalone device also compile (cached) and execute."""
    if device == "cpp_standalone":
        net.run(duration_s * b2.second, namespace={})
        directory = str(standalone_dir(key))
        logger.info("Brian2 standalone build in %s", directory)
        b2.device.build(directory=directory, compile=True, run=True, with_output=False)
    else:
        net.run(duration_s * b2.second, namespace={}, report=report,
                report_period=0.5 * b2.second)
