"""Stop requests: a SIGTERM whose exception is lost still stops the run (neurosim.interrupt).

A signal handler's exception is dropped when the signal lands in a weakref callback or a
``__del__`` ("Exception ignored in ..."), and can come out of a compiled call as a SystemError;
on the 60 s run of test_faults.py about one SIGTERM in four was lost that way and the run
finished with status 0. These tests put the process in that state directly (a request recorded,
its exception gone) and check that the command still stops with 128 + signum (the chunk loop's
check: tests/neurosim/test_engine.py).
"""

import signal

import pytest

from neurosim import cli
from neurosim.interrupt import clear_stop, request_stop, stop_requested


@pytest.fixture(autouse=True)
def _no_leftover_request():
    clear_stop()
    yield
    clear_stop()


def _command(behaviour, monkeypatch):
    """Run `cli.main` on a command whose work records a SIGTERM, then does ``behaviour``."""
    def fake(args):
        request_stop(signal.SIGTERM)
        return behaviour()

    monkeypatch.setattr(cli, "_cmd_list", fake)   # the parser binds the command when main builds it
    return cli.main(["list", "materials"])


def test_command_exits_with_the_signal_status_when_the_exception_surfaced_as_another(monkeypatch):
    def compiled_call_error():
        raise SystemError("returned a result with an exception set")

    with pytest.raises(SystemExit) as exc:
        _command(compiled_call_error, monkeypatch)
    assert exc.value.code == 128 + signal.SIGTERM
    assert stop_requested() is None               # the command forgets the request when it ends


def test_command_reports_a_request_whose_exception_was_lost_after_the_last_safe_point(monkeypatch):
    assert _command(lambda: 0, monkeypatch) == 128 + signal.SIGTERM
    assert stop_requested() is None


def test_command_without_a_request_returns_its_status():
    assert cli.main(["list", "materials"]) == 0
    assert stop_requested() is None
