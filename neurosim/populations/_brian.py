"""Brian2 plumbing shared by the population models: import, device choice, build cache.

Every model builds its objects inside `brian_device`, which selects Brian2's runtime device
(NumPy code generation: no compiler) or the C++ standalone device (one compiled program), and
always restores the runtime device, the code generation target and the log level on exit, so
several simulations run one after another in one process. ``device = "auto"`` picks, for a LIF
network, the device of the smaller expected wall time (`COST_MODEL`, measured with
benchmarks/bench_populations.py), counting the one-off compilation (~10-20 s) only when no
program of this network has been compiled yet: a first run on a fresh machine never waits for
a compiler unless the simulation is long enough to repay it.

Standalone builds are cached per build key under ``$NEUROSIM_CACHE_DIR/brian2/<key>`` (default
``~/.cache/neurosim``). The key holds only what enters the generated code: a hash of the model's
structure and its array sizes, which `size_bucket` rounds up (the network is padded with inert
cells and zero-weight synapses; `program_sizes` also takes a compiled program up to 30 % larger).
The seed and the duration are run-time arguments of the program (`standalone_control`), so a new
seed, a new duration or a design of a similar cell count reuses the compiled program: Brian2
rewrites only source files whose contents changed, ``make`` finds nothing to do, and the run
costs the program's execution plus ~0.5 s.
A build directory is used by one process at a time (a lock file); a second process copies a
finished build to a private directory instead of waiting.

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
import math
import os
import platform
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

__all__ = ["import_brian2", "choose_device", "cache_root", "build_key", "brian_device",
           "AUTO_STANDALONE_MIN_CELLS", "DEVICES", "run_network", "standalone_dir", "size_bucket",
           "steps_for", "standalone_control", "RUN_HORIZON_S", "expected_wall_s", "COST_MODEL",
           "compiler_available", "standalone_built", "program_sizes", "PROGRAM_HEADROOM"]

logger = logging.getLogger(__name__)

#: ``device = "auto"`` without a step count (the motor model) compiles a standalone program from
#: this many simulated cells on.
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


def choose_device(device: str, num_cells: int, num_steps: int | None = None,
                  compiled: bool = False) -> str:
    """Resolve ``"auto"`` to ``"runtime"`` or ``"cpp_standalone"``.

    With ``num_steps`` (the LIF networks): the device of the smaller expected wall time
    (`expected_wall_s`), counting the one-off compilation unless the standalone program of this
    network is ``compiled`` already, and never the standalone device without a C++ compiler.
    Without it: standalone from `AUTO_STANDALONE_MIN_CELLS` cells on.

    Raises
    ------
    ValueError
        If ``device`` is not one of `DEVICES`.
    """
    if device not in DEVICES:
        raise ValueError(f"population.device must be one of {DEVICES}, got {device!r}")
    if device != "auto":
        return device
    if num_steps is None:
        return "cpp_standalone" if num_cells >= AUTO_STANDALONE_MIN_CELLS else "runtime"
    if not compiler_available():
        return "runtime"
    # The choice must not depend on what happens to be compiled already: the two devices draw
    # different random numbers, so the same design and seed must always get the same device.
    # The one-off compilation is therefore always counted (``compiled`` is ignored here).
    runtime = expected_wall_s("runtime", num_cells, num_steps)
    standalone = expected_wall_s("cpp_standalone", num_cells, num_steps, compiled=False)
    return "cpp_standalone" if standalone < runtime else "runtime"


#: Wall-time model of a LIF network (`simulate_lif`), s: per run, per step and per cell-step,
#: and the one-off compilation of a standalone program. Measured on a 2-core machine
#: (benchmarks/bench_populations.py; the balanced network at ~8 Hz).
COST_MODEL = {"runtime": {"run_s": 0.3, "step_s": 58e-6, "cell_step_s": 21e-9},
              "cpp_standalone": {"run_s": 0.25, "step_s": 9e-6, "cell_step_s": 14e-9, "compile_s": 10.0}}


def expected_wall_s(device: str, num_cells: int, num_steps: int, compiled: bool = True) -> float:
    """Expected wall time (s) of a LIF network on ``device`` (`COST_MODEL`)."""
    c = COST_MODEL[device]
    wall = c["run_s"] + num_steps * (c["step_s"] + c["cell_step_s"] * num_cells)
    return wall + (0.0 if compiled else c.get("compile_s", 0.0))


def compiler_available() -> bool:
    """Whether the standalone device can build here (``make`` and a C++ compiler on the PATH)."""
    cxx = os.environ.get("CXX", "g++").split()[0]
    return shutil.which("make") is not None and (shutil.which(cxx) or shutil.which("c++")) is not None


def program_sizes(structure_key: str, needed: list[int], max_padding: float = 1.3) -> tuple[str, list[int], bool]:
    """Build key and array sizes of the standalone program for a network of this structure.

    ``needed`` are the smallest sizes the network's arrays need (cells, synapse groups, ...).
    A compiled program of the same structure whose every size covers the need by at most
    ``max_padding`` is reused (the smallest such); otherwise the sizes are the `size_bucket` of
    each need plus `PROGRAM_HEADROOM` (a new program). A new seed changes the cell count by a
    few per cent: the headroom and the reuse of a larger program keep it on the same program.

    Returns
    -------
    key : str
        ``<structure_key>-<size>-<size>...`` (the project directory's name).
    sizes : list of int
    compiled : bool
        Whether that program has been compiled here before.
    """
    root = standalone_dir(structure_key).parent
    best = None
    if root.is_dir():
        for d in root.glob(f"{structure_key}-*"):
            try:
                sizes = [int(x) for x in d.name[len(structure_key) + 1:].split("-")]
            except ValueError:  # a private copy (".<pid>") or a foreign name
                continue
            if len(sizes) == len(needed) and (d / _DONE).exists() and all(
                    need <= size <= max(max_padding * need, size_bucket(need))
                    for need, size in zip(needed, sizes)):
                if best is None or sizes < best:
                    best = sizes
    if best is not None:
        return f"{structure_key}-{'-'.join(map(str, best))}", best, True
    # a new program: 5 % headroom, so that other seeds' cell counts (a few per cent apart) fit
    sizes = [size_bucket(math.ceil(PROGRAM_HEADROOM * need)) for need in needed]
    key = f"{structure_key}-{'-'.join(map(str, sizes))}"
    return key, sizes, standalone_built(key)


def standalone_built(key: str) -> bool:
    """Whether a standalone program of this build key has been compiled and run here before."""
    return (standalone_dir(key) / _DONE).exists()


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


def size_bucket(n: int) -> int:
    """The smallest ``m * 2**k >= n`` with ``8 <= m < 16`` (at most 12.5 % above ``n``; 16 for small n).

    Standalone programs compile array sizes in: a network padded to its bucket (with inert cells
    and zero-weight synapses) reuses the build of every other network in the same bucket.
    """
    n = max(int(n), 16)
    k = max(0, n.bit_length() - 4)
    return -(-n // (1 << k)) << k


def steps_for(duration_s: float, dt_s: float) -> int:
    """Number of steps Brian2 runs for ``duration_s`` (its ``Clock._calc_timestep``)."""
    i = int(round(duration_s / dt_s))
    if i * dt_s == duration_s or abs(i * dt_s - duration_s) / dt_s <= 1e-4:
        return i
    return int(math.ceil(duration_s / dt_s))


_STOP_CPP = """
static inline double _neurosim_stop(const double last_step)
{
    if (last_step > 0.5)
        Network::_globally_stopped = true;
    return last_step;
}
"""


def standalone_control(b2):
    """A one-cell group that makes the seed and the duration run-time arguments of a standalone program.

    The program is built to run for `RUN_HORIZON_S`; this group stops it at the end of step
    ``n_steps`` and its ``rng_seed`` seeds Brian2's random generators (`run_network` passes both on
    the command line), so a new seed or duration reuses the compiled program.
    """
    stop = b2.Function(lambda last: last, arg_units=[1], return_unit=1, stateless=False)
    stop.implementations.add_implementation("cpp", code=_STOP_CPP, name="_neurosim_stop")
    ctrl = b2.NeuronGroup(1, "n_steps : 1 (shared, constant)\nrng_seed : 1 (shared, constant)\n"
                             "last_step : 1 (shared)", namespace={"neurosim_stop": stop},
                          name="neurosim_control")
    ctrl.run_regularly("last_step = neurosim_stop(int(timestep(t, dt) + 1 >= n_steps))", when="end",
                       name="neurosim_stop_check")
    return ctrl


#: Biological time a standalone program with a `standalone_control` is built to run for, s; the
#: control group stops it after the requested number of steps.
RUN_HORIZON_S = 1.0e6
#: A new standalone program is sized for this factor more cells and synapses than the network
#: that compiles it needs (`program_sizes`).
PROGRAM_HEADROOM = 1.05
_DONE = "neurosim-build-complete"
_active = threading.local()


@contextmanager
def brian_device(device: str, key: str | None = None):
    """Select a Brian2 device for the objects built inside the block; restore everything after.

    Parameters
    ----------
    device : {"runtime", "cpp_standalone"}
        Resolved device (see `choose_device`).
    key : str, optional
        Build key of the standalone project directory (required for ``"cpp_standalone"``). The
        directory is locked for the block (read the results inside it); when another process
        holds it, a finished build is copied to a private directory (removed on exit).

    Yields
    ------
    b2 : module
        The brian2 module; build objects and call `run_network` inside the block.
    """
    b2 = import_brian2()
    old_target = b2.prefs.codegen.target
    old_level = b2.prefs.logging.console_log_level
    old_dt = b2.defaultclock.dt
    b2.prefs.logging.console_log_level = "WARNING"
    claim = None
    try:
        if device == "cpp_standalone":
            # objects of earlier runs still registered would make Brian2 suffix the names of the
            # generated code objects ("_1"), which changes the sources and forces a recompile
            gc.collect()
            claim = _claim_directory(standalone_dir(key))
            _active.directory = claim[0]
            b2.set_device("cpp_standalone", build_on_run=False, directory=str(claim[0]))
            b2.device.reinit()
            b2.device.activate(build_on_run=False, directory=str(claim[0]))
        else:
            b2.prefs.codegen.target = "numpy"
        yield b2
    finally:
        if device == "cpp_standalone":
            b2.device.reinit()
            b2.set_device("runtime")
            _active.directory = None
            if claim is not None:
                _release_directory(*claim)
        b2.defaultclock.dt = old_dt
        b2.prefs.codegen.target = old_target
        b2.prefs.logging.console_log_level = old_level


def standalone_dir(key: str | None) -> Path:
    """Standalone project directory of a build key."""
    return cache_root() / "brian2" / str(key)


def _claim_directory(directory: Path):
    """(directory to build in, lock file handle, private copy?) for a build key's directory."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # no advisory locks (Windows): use the directory as it is
        directory.mkdir(exist_ok=True)
        return directory, None, False
    handle = open(directory.parent / f"{directory.name}.lock", "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        if (directory / _DONE).exists():  # busy but built: work on a private copy
            handle.close()
            private = directory.parent / f"{directory.name}.{os.getpid()}.{threading.get_ident()}"
            shutil.rmtree(private, ignore_errors=True)
            shutil.copytree(directory, private, ignore=shutil.ignore_patterns("results", "*.lock"))
            return private, None, True
        fcntl.flock(handle, fcntl.LOCK_EX)  # being built: wait for it
    directory.mkdir(exist_ok=True)
    return directory, handle, False


def _release_directory(directory: Path, handle, private: bool) -> None:
    if private:
        shutil.rmtree(directory, ignore_errors=True)
    if handle is not None:
        handle.close()


def run_network(b2, net, duration_s: float, device: str, key: str | None = None,
                report=None, *, seed: int | None = None, control=None) -> None:
    """Run ``net`` for ``duration_s`` s; on the standalone device also compile (cached) and execute.

    On the standalone device with a ``control`` group (`standalone_control`, part of ``net``),
    the program is built for `RUN_HORIZON_S` and receives the number of steps and ``seed`` on its
    command line; without one, both are compiled in (call ``b2.seed`` before).
    """
    if device != "cpp_standalone":
        net.run(duration_s * b2.second, namespace={}, report=report,
                report_period=0.5 * b2.second)
        return
    directory = str(getattr(_active, "directory", None) or standalone_dir(key))
    run_args = None
    if control is not None:
        b2.device.apply_run_args()
        seed_array = b2.device.get_array_name(control.variables["rng_seed"])
        b2.device.insert_code("main", "for (size_t _i = 0; _i < brian::_random_generators.size(); _i++)\n"
                              f"    brian::_random_generators[_i].seed((unsigned long) {seed_array}[0] + _i);")
        net.run(RUN_HORIZON_S * b2.second, namespace={})
        steps = steps_for(duration_s, float(control.clock.dt_))
        run_args = [f"{control.name}.n_steps={steps}", f"{control.name}.rng_seed={int(seed or 0) % 2**32}"]
    else:
        net.run(duration_s * b2.second, namespace={})
    logger.info("Brian2 standalone build in %s", directory)
    b2.device.build(directory=directory, compile=True, run=True, with_output=False, run_args=run_args)
    Path(directory, _DONE).touch()
