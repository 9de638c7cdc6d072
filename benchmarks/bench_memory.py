"""Peak memory of long recordings: bounded, whatever the duration (issue 14: 1 h x 1024 ch < 1 GiB).

Runs ``neurosim run`` on ``benchmarks/long_recording_1024.toml`` (1024 channels, ~53 000 cells
firing as generated renewal processes, events only in the file) for several durations, each in
a fresh process, and reports the peak resident set size (``ru_maxrss`` of the child), the wall
time and the real-time factor. Memory that does not grow with duration is what makes an hour
(or a day) fit: everything that scales with time (spikes, events, LFP) goes to the file chunk by
chunk and the scores are accumulated over 10 s blocks.

    python benchmarks/bench_memory.py --durations 10 60 300

``--json`` keeps the numbers and the RSS traces; ``--replot RESULTS.json --plot FIG.png`` redraws
the figure from them without running anything.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DESIGN = Path(__file__).with_name("long_recording_1024.toml")


def _rss_mib(pid: int) -> float:
    """Resident set size of a process now, MiB (Linux /proc; NaN elsewhere)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def measure(duration_s: float, design: Path = DESIGN, sample_s: float = 2.0) -> dict:
    """Run one recording in a child process; return its peak RSS (MiB), wall time (s) and the
    RSS sampled every ``sample_s`` (``trace``: list of (wall s, MiB))."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "long.h5"
        code = ("import sys; from neurosim.design import load_design; from neurosim.pipeline import run; "
                "d = load_design(sys.argv[1]).replace(**{'recording.duration_s': float(sys.argv[2])}); "
                "r = run(d, sys.argv[3], progress=False); "
                "print(r.metrics['num_spikes'], r.metrics['num_events_received'], r.metrics['f1'])")
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", code, str(design), str(duration_s), str(out)],
                                stdout=subprocess.PIPE, text=True)
        trace = []  # (wall s, RSS MiB) every sample_s while the child runs
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            trace.append((time.perf_counter() - t0, _rss_mib(proc.pid)))
            time.sleep(sample_s)
        wall = time.perf_counter() - t0
        stdout = proc.stdout.read()
        if status != 0:
            raise RuntimeError(f"run of {duration_s} s failed with status {status}")
        spikes, events, f1 = stdout.split()[-3:]
        size_mb = out.stat().st_size / 2**20
    return {"duration_s": duration_s, "peak_rss_MiB": usage.ru_maxrss / 1024, "wall_s": wall,
            "x_real_time": duration_s / wall, "spikes": int(spikes), "events": int(events),
            "f1": float(f1), "file_MiB": size_mb, "trace": trace}


#: Peak resident memory an hour at 1024 channels must stay under (issue 14), MiB.
GOAL_MIB = 1024.0


def plot_traces(results: list[dict], path) -> None:
    """RSS against the fraction of each run done (wall time / total): flat means bounded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for r in results:
        t = [w / r["wall_s"] * r["duration_s"] / 60 for w, _ in r["trace"]]
        ax.plot(t, [m for _, m in r["trace"]], label=f"{r['duration_s']:.0f} s recording "
                                                    f"(peak {r['peak_rss_MiB']:.0f} MiB)")
    ax.axhline(GOAL_MIB, color="k", ls="--", lw=1, label=f"{GOAL_MIB / 1024:.0f} GiB (goal)")
    ax.set_xlabel("recording time processed (min, wall-time scale)")
    ax.set_ylabel("resident memory (MiB)")
    ax.set_ylim(0, max(1.15 * GOAL_MIB, 1.1 * max(r["peak_rss_MiB"] for r in results)))
    ax.legend(loc="lower right")
    ax.set_title("neurosim run: resident memory while recording")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--durations", type=float, nargs="+", default=[10.0, 60.0, 300.0],
                   help="recording lengths to run, s")
    p.add_argument("--design", type=Path, default=DESIGN)
    p.add_argument("--plot", type=Path, help="write the RSS-over-time figure here (PNG)")
    p.add_argument("--json", type=Path, help="also write the results (with the RSS traces) here")
    p.add_argument("--replot", type=Path, metavar="RESULTS.json",
                   help="redraw --plot from a --json file of an earlier run; runs nothing")
    args = p.parse_args(argv)
    if args.replot:
        if not args.plot:
            p.error("--replot needs --plot")
        plot_traces(json.loads(args.replot.read_text()), args.plot)
        print(f"wrote {args.plot}")
        return 0
    print(f"{'duration (s)':>12} {'peak RSS (MiB)':>15} {'wall (s)':>9} {'x real time':>12} "
          f"{'spikes':>10} {'events':>9} {'F1':>6} {'file (MiB)':>10}", flush=True)
    results = []
    for d in args.durations:
        r = measure(d, args.design)
        results.append(r)
        print(f"{r['duration_s']:12.0f} {r['peak_rss_MiB']:15.0f} {r['wall_s']:9.1f} "
              f"{r['x_real_time']:12.2f} {r['spikes']:10d} {r['events']:9d} {r['f1']:6.3f} "
              f"{r['file_MiB']:10.1f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results))
    if args.plot:
        plot_traces(results, args.plot)
        print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
