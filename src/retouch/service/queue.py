"""The job queue, persisted in the database, behind a small interface.

`DbJobQueue` is the default and the distributed one: a worker claims the next queued job
of an engine it runs with one conditional UPDATE (PostgreSQL: the candidate is chosen with
`SELECT ... FOR UPDATE SKIP LOCKED`, so any number of workers on any number of machines
share the table). Idle workers sleep until woken: on PostgreSQL by `LISTEN retouch_jobs`
(a job that becomes queued sends NOTIFY in its own transaction, see `states.announce`),
in one process by an event; a slow poll covers a lost notification.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from typing import Protocol

from sqlalchemy import and_, func, or_, select

from .db import Database, now, rowcount
from .models import Job
from .states import ACTIVE, QUEUE_ORIGINS, TERMINAL, JobStatus, transition

__all__ = ["ACTIVE", "TERMINAL", "DbJobQueue", "JobQueue"]


class JobQueue(Protocol):
    def notify(self) -> None:
        """New work was enqueued."""

    def wait(self, timeout: float) -> None:
        """Block until notified or `timeout` seconds pass."""

    def claim(self, worker_id: str, engines: Collection[str] | None = None) -> str | None:
        """Mark the next queued job (of one of `engines`; None: any) running for `worker_id`."""

    def heartbeat(self, jobs: Collection[tuple[str, str]]) -> set[str]:
        """Extend the leases of (job id, worker id) pairs; returns the jobs no longer theirs."""

    def position(self, job_id: str) -> int | None:
        """1-based place in the queue of a queued job."""

    def depth(self) -> int:
        """Jobs waiting."""


class DbJobQueue:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._event = threading.Event()

    def notify(self) -> None:
        self._event.set()

    def wait(self, timeout: float) -> None:
        self._event.wait(timeout)
        self._event.clear()

    def _next(self, engines: Collection[str] | None) -> object:
        q = select(Job.id).where(Job.status == JobStatus.QUEUED, Job.origin.in_(QUEUE_ORIGINS))
        if engines is not None:
            q = q.where(Job.engine.in_(sorted(engines)))
        return q.order_by(Job.priority.desc(), Job.created_at)

    def claim(self, worker_id: str, engines: Collection[str] | None = None) -> str | None:
        if self.db.is_sqlite:
            # Look before taking the write lock: on SQLite every write transaction serialises
            # with the API's holds and captures, and idle workers poll.
            with self.db.read() as s:
                if s.scalar(self._next(engines).limit(1)) is None:  # type: ignore[attr-defined]
                    return None
        chosen = self._next(engines).limit(1).with_for_update(skip_locked=True)  # type: ignore[attr-defined]
        t = now()
        with self.db.write() as s:
            row = transition(
                s.connection(),
                chosen.scalar_subquery(),
                JobStatus.RUNNING,
                frm=(JobStatus.QUEUED,),
                values={
                    "worker_id": worker_id,
                    "attempts": Job.attempts + 1,
                    "heartbeat_at": self.db.clock(),
                    "started_at": t,
                    "stage": "started",
                    "progress": 0.0,
                },
            )
            return str(row[0]) if row is not None else None

    def heartbeat(self, jobs: Collection[tuple[str, str]]) -> set[str]:
        """One transaction for all of this process's running jobs; the lease is kept by the
        database's clock, so machines with skewed clocks agree on who is late."""
        lost: set[str] = set()
        if not jobs:
            return lost
        from sqlalchemy import update

        missed: list[str] = []
        with self.db.write() as s:
            for job_id, worker_id in jobs:
                res = s.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.worker_id == worker_id, Job.status == JobStatus.RUNNING)
                    .values(heartbeat_at=self.db.clock())
                )
                if rowcount(res) != 1:
                    missed.append(job_id)
            if missed:
                # a sync edit whose hold (and row) is still being taken beside its engine has no
                # row yet: not lost; a row that is no longer running here is
                lost.update(s.scalars(select(Job.id).where(Job.id.in_(missed))))
        return lost

    def position(self, job_id: str) -> int | None:
        with self.db.read() as s:
            job = s.get(Job, job_id)
            if job is None or job.status != JobStatus.QUEUED:
                return None
            ahead = s.scalar(
                select(func.count())
                .select_from(Job)
                .where(
                    Job.status == JobStatus.QUEUED,
                    Job.origin.in_(QUEUE_ORIGINS),
                    or_(
                        Job.priority > job.priority,
                        and_(Job.priority == job.priority, Job.created_at < job.created_at),
                    ),
                )
            )
            return int(ahead or 0) + 1

    def depth(self) -> int:
        with self.db.read() as s:
            return int(
                s.scalar(
                    select(func.count())
                    .select_from(Job)
                    .where(Job.status == JobStatus.QUEUED, Job.origin.in_(QUEUE_ORIGINS))
                )
                or 0
            )
