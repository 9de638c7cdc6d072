"""Dask runs are quiet (issue 13, item 3): no INFO chatter from distributed, errors still raised."""

import logging

import pytest

from neurosim.parallel import map_jobs


def _double(x):
    return 2 * x


def _fail(x):
    raise ValueError(f"job {x} failed")


def _dask_records(caplog, below=logging.WARNING):
    return [r for r in caplog.records if r.name.startswith("distributed") and r.levelno < below]


@pytest.mark.slow
def test_local_cluster_info_logs_are_held_back(caplog):
    caplog.set_level(logging.INFO)
    assert map_jobs(_double, [1, 2, 3], workers=2, progress=False) == [2, 4, 6]
    assert _dask_records(caplog) == [], [r.getMessage() for r in _dask_records(caplog)][:5]
    assert logging.getLogger("distributed").level == logging.INFO  # Dask's own setting, restored
    # the same run asking for Dask's INFO messages shows them: the check above can fail
    caplog.clear()
    assert map_jobs(_double, [1, 2], workers=2, progress=False, dask_log_level=logging.INFO) == [2, 4]
    assert any("Scheduler" in r.getMessage() or "Nanny" in r.getMessage() for r in _dask_records(caplog))


@pytest.mark.slow
def test_a_failing_job_still_raises_on_dask(caplog):
    caplog.set_level(logging.INFO)
    with pytest.raises(ValueError, match="job 1 failed"):
        map_jobs(_fail, [1], workers=2, progress=False)
