"""Where independent jobs (sweep points, dataset sessions) run: in-process, or on Dask.

- no scheduler and ``workers`` of 0/1: a serial loop in this process (the embedded default);
- ``workers > 1``: a ``dask.distributed.LocalCluster`` of that many single-threaded processes;
- ``scheduler="tcp://host:8786"``: an existing Dask cluster.

Results come back in input order and do not depend on where they ran: every job is a pure
function of its inputs (its design carries its seed). Inside each Dask worker, Numba's thread
pool is capped at the worker's threads so processes do not oversubscribe the cores.

Dask's ``distributed`` loggers are held at WARNING while a cluster runs (``dask_log_level``): its
INFO messages (scheduler and nanny start-up, "Worker process ... was killed by signal 9" when
a local cluster closes its workers) are routine; warnings and errors still show, and a job that
fails raises its exception here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import contextmanager

from tqdm.auto import tqdm

__all__ = ["map_jobs"]

logger = logging.getLogger(__name__)


def _capped(fn: Callable, threads: int):
    def call(item):
        import numba

        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
        return fn(item)

    return call


@contextmanager
def _dask_logs_at(level: int):
    """Hold the ``distributed`` logger at ``level`` or above inside the block; restore it after."""
    log = logging.getLogger("distributed")
    old = log.level
    if log.getEffectiveLevel() < level:
        log.setLevel(level)
    try:
        yield
    finally:
        log.setLevel(old)


def map_jobs(fn: Callable, items: Sequence, *, workers: int | None = None, scheduler: str | None = None,
             progress: bool = True, desc: str = "jobs", threads_per_worker: int = 1,
             dask_log_level: int = logging.WARNING) -> list:
    """Apply ``fn`` to every item, serially or on Dask, and return the results in order.

    Parameters
    ----------
    fn : callable
        A picklable top-level function of one argument.
    items : sequence
        Its arguments.
    workers : int, optional
        Local worker processes (> 1 starts a LocalCluster).
    scheduler : str, optional
        Address of an existing Dask scheduler; takes precedence over ``workers``.
    dask_log_level : int
        Least level of the ``distributed`` log messages shown while the cluster runs (default
        ``logging.WARNING``; ``logging.INFO`` shows Dask's start-up and shut-down messages).
    """
    if workers is not None and workers < 0:
        raise ValueError(f"workers must be >= 0, got {workers!r}")
    if scheduler is None and (workers is None or workers <= 1):
        return [fn(item) for item in tqdm(items, desc=desc, disable=not progress)]

    import dask.distributed  # noqa: F401  (its import sets the distributed loggers' levels: first)

    with _dask_logs_at(dask_log_level):
        return _map_on_dask(fn, items, workers, scheduler, progress, desc, threads_per_worker)


#: How long to wait for an existing Dask scheduler to answer, s.
SCHEDULER_TIMEOUT_S = 10.0


def _map_on_dask(fn, items, workers, scheduler, progress, desc, threads_per_worker) -> list:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            raise ValueError(f"scheduler {scheduler!r} did not answer within {SCHEDULER_TIMEOUT_S:g} s "
                             f"({type(exc).__name__}: {exc}); give the address of a running Dask "
                             f"scheduler (tcp://host:8786) or leave --scheduler out") from None
    try:
        logger.info("running %d %s on %s", len(items), desc, client)
        futures = client.map(_capped(fn, threads_per_worker), list(items), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        results: list = [None] * len(futures)
        with tqdm(total=len(futures), desc=desc, disable=not progress) as bar:
            for fut in as_completed(futures):
                results[index[fut.key]] = fut.result()
                bar.update(1)
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
