"""The job queue, persisted in the database, behind a small interface.

`DbJobQueue` is the default: workers in this process claim jobs with a conditional
UPDATE (PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED), so distributed workers on other
machines can share the same table later without the API changing.
"""

from __future__ import annotations

import threading
from typing import Protocol

from sqlalchemy import and_, func, or_, select, update

from .db import Database, now, rowcount
from .models import Job

ACTIVE = ("queued", "running")
TERMINAL = ("succeeded", "failed", "canceled")


class JobQueue(Protocol):
    def notify(self) -> None:
        """New work was enqueued."""

    def wait(self, timeout: float) -> None:
        """Block until notified or `timeout` seconds pass."""

    def claim(self, worker_id: str) -> str | None:
        """Mark the next queued job running for `worker_id`; its id, or None."""

    def heartbeat(self, job_id: str, worker_id: str) -> bool:
        """Extend the lease; False if the job is no longer this worker's."""

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

    def claim(self, worker_id: str) -> str | None:
        # Look before taking the write lock: idle workers poll, and on SQLite every write
        # transaction serialises with the API's holds and captures.
        with self.db.read() as s:
            if (
                s.scalar(select(Job.id).where(Job.status == "queued", Job.origin == "queued").limit(1))
                is None
            ):
                return None
        with self.db.write() as s:
            q = (
                select(Job.id)
                .where(Job.status == "queued", Job.origin == "queued")
                .order_by(Job.priority.desc(), Job.created_at)
                .limit(1)
            )
            if not self.db.is_sqlite:
                q = q.with_for_update(skip_locked=True)
            job_id = s.scalar(q)
            if job_id is None:
                return None
            t = now()
            res = s.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == "queued")
                .values(
                    status="running",
                    worker_id=worker_id,
                    attempts=Job.attempts + 1,
                    heartbeat_at=t,
                    started_at=t,
                    stage="started",
                    progress=0.0,
                )
            )
            return job_id if rowcount(res) == 1 else None

    def heartbeat(self, job_id: str, worker_id: str) -> bool:
        with self.db.write() as s:
            res = s.execute(
                update(Job)
                .where(Job.id == job_id, Job.worker_id == worker_id, Job.status == "running")
                .values(heartbeat_at=now())
            )
            return rowcount(res) == 1

    def position(self, job_id: str) -> int | None:
        with self.db.read() as s:
            job = s.get(Job, job_id)
            if job is None or job.status != "queued":
                return None
            ahead = s.scalar(
                select(func.count())
                .select_from(Job)
                .where(
                    Job.status == "queued",
                    Job.origin == "queued",
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
                    .where(Job.status == "queued", Job.origin == "queued")
                )
                or 0
            )
