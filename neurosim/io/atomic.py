"""Write a file under a temporary name beside it and rename it when complete (atomic on POSIX).

One helper for every output the orchestrator writes (figures, tables, caches): a reader never
sees half a file, and a failed write leaves nothing under the final name. `AtomicH5Writer` (the
run's result file) follows the same rule with its own open file.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path"]


@contextmanager
def atomic_path(path, suffix: str = ""):
    """Yield a temporary path beside ``path``; rename it to ``path`` when the block succeeds.

    The temporary name is ``<name>.tmp-<pid><suffix>`` (``suffix`` for writers that pick their
    format from the extension, e.g. ``".npz"``); it is removed whether or not the block succeeds.
    """
    path = Path(path)
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}{suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
