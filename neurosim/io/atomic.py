"""Write a file under a temporary name beside it and rename it when complete (atomic on POSIX).

The one helper for every output the orchestrator writes (result files through
`neurosim.io.hdf5.AtomicH5Writer`, NWB exports, figures, tables, caches): a reader never sees
half a file, and a failed write leaves nothing under the final name.

- The temporary name is ``<name>.tmp-<pid><suffix>``; it is removed when the block fails,
  including on Ctrl-C (KeyboardInterrupt) and, under the ``neurosim`` command, on SIGTERM
  (turned into SystemExit by `neurosim.cli.main`; `neurosim.interrupt` when that exception is
  lost).
- A process killed with SIGKILL cannot clean up: the next write to the same path recognises
  temporary files whose process no longer exists and removes them (`remove_stale_temps`).
- `check_writable` tells, before any work, that an output cannot be written, naming the path and
  the reason (read-only file system, permission, a file where a folder should be).
"""

from __future__ import annotations

import errno
import os
import re
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "temp_path", "remove_stale_temps", "check_writable", "OutputError"]

_TEMP = re.compile(r"\.tmp-(\d+)")


class OutputError(OSError):
    """An output or cache location that cannot be written; the message names it and why."""


def temp_path(path, suffix: str = "") -> Path:
    """The temporary name of ``path`` for this process: ``<name>.tmp-<pid><suffix>``."""
    path = Path(path)
    return path.with_name(f"{path.name}.tmp-{os.getpid()}{suffix}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale_temps(path) -> list[Path]:
    """Remove the temporary files of ``path`` left by processes that no longer exist.

    Temporary files of live processes (another run writing the same path now) are left alone.
    Returns the files removed.
    """
    path = Path(path)
    removed = []
    try:
        candidates = list(path.parent.glob(f"{glob_escape(path.name)}.tmp-*"))
    except OSError:
        return removed
    for tmp in candidates:
        m = _TEMP.match(tmp.name[len(path.name):])
        if m is None:
            continue
        pid = int(m.group(1))
        if pid != os.getpid() and not _alive(pid):
            try:
                tmp.unlink()
                removed.append(tmp)
            except OSError:
                pass
    return removed


def glob_escape(name: str) -> str:
    """``name`` with glob metacharacters escaped."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def check_writable(path, what: str = "output") -> Path:
    """Make sure ``path`` can be written (its folder created if needed); raise `OutputError` if not.

    ``what`` names the option or role in the message (e.g. ``"-o/--output"``, ``"cache folder"``).
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(errno.EISDIR, f"{what} {str(path)!r} is a folder; give a file name")
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(errno.ENOTDIR, f"{what} {str(path)!r}: {str(parent)!r} is a file, not a folder") from None
    except OSError as exc:
        raise OutputError(exc.errno, f"{what} {str(path)!r}: cannot create the folder {str(parent)!r} "
                                     f"({exc.strerror})") from None
    probe = temp_path(path, ".probe")
    try:
        probe.touch()
    except OSError as exc:
        raise OutputError(exc.errno, f"{what} {str(path)!r}: cannot write in {str(parent)!r} "
                                     f"({exc.strerror})") from None
    probe.unlink(missing_ok=True)
    return path


@contextmanager
def atomic_path(path, suffix: str = ""):
    """Yield a temporary path beside ``path``; rename it to ``path`` when the block succeeds.

    The temporary name is ``<name>.tmp-<pid><suffix>`` (``suffix`` for writers that pick their
    format from the extension, e.g. ``".npz"``); it is removed whether or not the block succeeds.
    Stale temporary files of ``path`` from killed processes are removed first.
    """
    path = Path(path)
    remove_stale_temps(path)
    tmp = temp_path(path, suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
