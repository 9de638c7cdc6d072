"""Faults a user meets: kill -9 and SIGTERM mid-write, outputs that cannot be written, a Dask
scheduler that does not answer. Nothing half-written appears; temporary files do not pile up."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import neurosim.pipeline as pipeline
from neurosim.io.atomic import OutputError, atomic_path, check_writable, remove_stale_temps, temp_path

NEUROSIM = [sys.executable, "-m", "neurosim.cli"]


def _dead_pid() -> int:
    """A pid that no process has now (a child that has exited and been reaped)."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_temp_files_of_dead_processes_are_removed_live_ones_kept(tmp_path):
    target = tmp_path / "out.h5"
    stale = target.with_name(f"out.h5.tmp-{_dead_pid()}")
    live = target.with_name(f"out.h5.tmp-{os.getppid()}")  # our parent is alive
    other = tmp_path / "out.h5.tmp-notapid"
    unrelated = tmp_path / "other.h5.tmp-1"
    for f in (stale, live, other, unrelated):
        f.write_text("x")
    assert remove_stale_temps(target) == [stale]
    assert not stale.exists() and live.exists() and other.exists() and unrelated.exists()
    # every atomic write cleans its path first, and leaves only the final file
    stale.write_text("x")
    with atomic_path(target) as tmp:
        assert tmp == temp_path(target)
        tmp.write_text("done")
    assert target.read_text() == "done" and not stale.exists() and not tmp.exists()


def test_unwritable_outputs_name_the_path_and_the_reason(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    with pytest.raises(OutputError, match=r"output .*a_file/out.h5.*is a file, not a folder"):
        check_writable(a_file / "out.h5")
    with pytest.raises(OutputError, match=r"is a folder; give a file name"):
        check_writable(tmp_path)
    if Path("/sys").is_dir() and not os.access("/sys", os.W_OK | os.X_OK) or os.geteuid() == 0:
        try:
            (Path("/sys") / "neurosim-probe").touch()
        except OSError:
            with pytest.raises(OutputError, match=r"/sys/neurosim/out.h5.*cannot create the folder"):
                check_writable("/sys/neurosim/out.h5")


def test_run_refuses_an_unwritable_output_before_simulating(tiny_design, tmp_path, capsys):
    from neurosim.cli import main

    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    t = time.perf_counter()
    with pytest.raises(OutputError, match="output file"):
        pipeline.run(tiny_design, a_file / "run.h5", progress=False)
    with pytest.raises(OutputError, match="cache folder"):
        pipeline.run(tiny_design, None, progress=False, cache_dir=a_file)
    assert main(["run", "--duration", "0.1", "--no-progress", "--render", str(a_file / "x.png")]) == 2
    assert "--render" in capsys.readouterr().err
    assert main(["render", "-o", str(a_file / "x.png")]) == 2
    assert "-o/--output" in capsys.readouterr().err
    assert time.perf_counter() - t < 20  # refused up front, nothing simulated


def test_unanswered_scheduler_is_a_clear_error(monkeypatch):
    from neurosim import parallel

    monkeypatch.setattr(parallel, "SCHEDULER_TIMEOUT_S", 2.0)
    with pytest.raises(ValueError, match=r"scheduler 'tcp://127.0.0.1:9' did not answer within 2 s"):
        parallel.map_jobs(abs, [1, 2], scheduler="tcp://127.0.0.1:9", progress=False)


def _write_design(tiny_design, path: Path, duration_s: float, chunk_s: float) -> Path:
    path.write_text(tiny_design.replace(**{"recording.duration_s": duration_s,
                                           "recording.chunk_s": chunk_s}).to_toml())
    return path


def _start_and_catch_temp(cmd, temp_glob: str, folder: Path, timeout_s: float = 120.0):
    """Start ``cmd``; return (process, temp file) once a temp file matching the glob exists."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t_end = time.monotonic() + timeout_s
    while time.monotonic() < t_end:
        found = list(folder.glob(temp_glob))
        if found:
            return proc, found[0]
        if proc.poll() is not None:
            raise AssertionError(f"finished before writing: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.01)
    proc.kill()
    raise AssertionError("no temporary file appeared")


@pytest.mark.slow
def test_kill_9_and_sigterm_during_run(tiny_design, tmp_path, h5_digest):
    design = _write_design(tiny_design, tmp_path / "d.toml", duration_s=4.0, chunk_s=0.02)
    # the runs that get killed record long enough that none can finish before its signal, however
    # long a loaded machine keeps this process from sending it (a 4 s run could, on a fast one)
    long_design = _write_design(tiny_design, tmp_path / "long.toml", duration_s=60.0, chunk_s=0.02)
    out = tmp_path / "out.h5"
    cmd = [*NEUROSIM, "run", str(long_design), "-o", str(out), "--no-progress"]
    # SIGTERM: the process exits and removes its temporary file itself
    proc, tmp = _start_and_catch_temp(cmd, "out.h5.tmp-*", tmp_path)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 128 + signal.SIGTERM
    assert not tmp.exists() and not out.exists()
    # SIGKILL: the temporary file stays, never the final name; the next run removes it
    proc, tmp = _start_and_catch_temp(cmd, "out.h5.tmp-*", tmp_path)
    proc.kill()
    proc.wait(60)
    assert tmp.exists() and not out.exists()
    pipeline.run(design, out, progress=False)
    assert not tmp.exists() and out.exists()
    reference = tmp_path / "reference.h5"
    pipeline.run(design, reference, progress=False)
    assert h5_digest(out) == h5_digest(reference)


def _index_rows(folder: Path):
    with open(folder / "index.csv") as f:
        return [{k: v for k, v in row.items() if k != "wall_time_s"} for row in csv.DictReader(f)]


@pytest.mark.slow
def test_dataset_resumes_after_kill_9_with_the_same_files(tiny_design, tmp_path, h5_digest):
    design = _write_design(tiny_design, tmp_path / "d.toml", duration_s=0.6, chunk_s=0.02)
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    cmd = [*NEUROSIM, "dataset", str(design), "-n", "3", "-o", str(killed), "--no-progress"]
    killed.mkdir()
    proc, tmp = _start_and_catch_temp(cmd, "session-001.h5.tmp-*", killed)
    proc.kill()
    proc.wait(60)
    assert (killed / "session-000.h5").exists() and not (killed / "session-001.h5").exists()
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    assert subprocess.run([*NEUROSIM, "dataset", str(design), "-n", "3", "-o", str(whole),
                           "--no-progress"], capture_output=True).returncode == 0
    assert sorted(p.name for p in killed.iterdir()) == sorted(p.name for p in whole.iterdir())
    for i in range(3):
        assert h5_digest(killed / f"session-{i:03d}.h5") == h5_digest(whole / f"session-{i:03d}.h5")
    assert _index_rows(killed) == _index_rows(whole)
