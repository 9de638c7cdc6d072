"""Stop requests from signals, honoured even where an exception raised by a handler is lost.

`neurosim.cli.main` turns SIGTERM into ``SystemExit(128 + signum)`` so that temporary files are
removed as on Ctrl-C (`neurosim.io.atomic`). A signal handler runs between two bytecodes of the
main thread, wherever it happens to be, and an exception raised there is not always delivered:
inside a weakref callback or a ``__del__`` Python prints "Exception ignored in ..." and carries on,
and inside a compiled call it can come out as a ``SystemError``. Measured on the 60 s run of
``tests/neurosim/test_faults.py``: about one SIGTERM in four during the chunk loop was lost that
way, and the run finished and exited 0.

So the handler also *records* the request (`request_stop`), the chunk loop checks it between
chunks (`check_stop`, `neurosim.engine.ChunkEngine.run`), and the command maps any exception
that follows a request to the signal's exit status (`stop_requested`). A run therefore stops
within one chunk of the signal in every case.
"""

from __future__ import annotations

__all__ = ["request_stop", "stop_requested", "check_stop", "clear_stop"]

_requested: int | None = None


def request_stop(signum: int) -> None:
    """Record that signal ``signum`` asked the process to stop."""
    global _requested
    _requested = int(signum)


def stop_requested() -> int | None:
    """The signal number of a pending stop request, or None."""
    return _requested


def check_stop() -> None:
    """Raise ``SystemExit(128 + signum)`` when a stop was requested (a safe point of a long loop)."""
    if _requested is not None:
        raise SystemExit(128 + _requested)


def clear_stop() -> None:
    """Forget a stop request (when the command that installed the handler returns)."""
    global _requested
    _requested = None
