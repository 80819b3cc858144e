"""What-if simulations off the request.

A simulation of years with many runs takes minutes; holding a request (and a web worker)
that long is no answer.  :func:`start` records a job and runs it in a background thread;
the job's progress and, once done, its result live in the database, so whichever web worker
a progress poll reaches can answer it.  A short simulation is still answered in the request:
the caller waits up to ``INLINE_WAIT`` for it.  Users see only their own jobs.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from seawall.errors import Conflict
from seawall.operations.simulation import Progress
from seawall.store.models import utcnow
from seawall.store.web_models import SimulationJob

log = logging.getLogger(__name__)

# How long a request waits for its simulation before answering with a progress page.
INLINE_WAIT = 2.0
# A running job that has not moved for this long died with its worker process.
STALLED_AFTER = timedelta(minutes=5)
# Finished jobs are kept this long (the result page can be reloaded), then deleted.
KEEP_FINISHED = timedelta(hours=1)
# Simulations are CPU-bound: a few at a time, so pages stay responsive.
MAX_RUNNING = 4
MAX_RUNNING_PER_USER = 2
# Progress is written at most this often (each write is a short transaction).
PROGRESS_EVERY = 0.5

Work = Callable[[Session, Progress], dict]


class TooManySimulations(Conflict):
    http_status = 429


def _stalled(job: SimulationJob) -> bool:
    return job.status == "running" and utcnow() - job.updated_at > STALLED_AFTER


def _update(make_session: sessionmaker, job_id: str, **values) -> None:
    with make_session() as db:
        db.execute(update(SimulationJob).where(SimulationJob.id == job_id)
                   .values(**values, updated_at=utcnow()))
        db.commit()


def start(make_session: sessionmaker, owner: str, params: dict, runs_total: int,
          work: Work) -> tuple[str, threading.Event | None]:
    """(job id, event set when it ends) for ``work`` run as ``owner``; a job of the same
    owner and ``params`` still running is reused (event None: another thread runs it)."""
    with make_session() as db:
        db.execute(delete(SimulationJob).where(SimulationJob.status != "running",
                                               SimulationJob.updated_at < utcnow() - KEEP_FINISHED))
        running = [job for job in db.scalars(select(SimulationJob).where(
            SimulationJob.status == "running")) if not _stalled(job)]
        for job in running:
            if job.owner == owner and job.params == params:
                db.commit()
                return job.id, None
        if (len(running) >= MAX_RUNNING
                or sum(job.owner == owner for job in running) >= MAX_RUNNING_PER_USER):
            raise TooManySimulations("Too many simulations are running; try again when one "
                                     "has finished.")
        job_id = secrets.token_urlsafe(24)
        db.add(SimulationJob(id=job_id, owner=owner, params=params, status="running",
                             runs_done=0, runs_total=runs_total))
        db.commit()
    finished = threading.Event()
    threading.Thread(target=_run, args=(make_session, job_id, work, finished), daemon=True,
                     name=f"simulation-{job_id[:8]}").start()
    return job_id, finished


def _run(make_session: sessionmaker, job_id: str, work: Work,
         finished: threading.Event) -> None:
    last_write = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last_write
        if time.monotonic() - last_write >= PROGRESS_EVERY:
            last_write = time.monotonic()
            _update(make_session, job_id, runs_done=done, runs_total=total)

    try:
        with make_session() as db:
            result = work(db, progress)
        _update(make_session, job_id, status="done", result=result)
    except Exception as exc:  # noqa: BLE001 - the job reports it; the server goes on
        log.exception("simulation %s failed", job_id)
        _update(make_session, job_id, status="failed",
                error=str(exc) or type(exc).__name__)
    finally:
        finished.set()


def wait(finished: threading.Event | None) -> None:
    """Give a job started by this request up to INLINE_WAIT to finish."""
    if finished is not None:
        finished.wait(INLINE_WAIT)


def get(db: Session, job_id: str, owner: str) -> SimulationJob | None:
    """The job if it is ``owner``'s (anyone else's is None, like one that does not exist);
    a stalled job reads as failed."""
    job = db.get(SimulationJob, job_id[:64])
    if job is None or job.owner != owner:
        return None
    if _stalled(job):
        job.status, job.error = "failed", "interrupted (the web server was restarted)"
    return job
