"""Reconciling jobs whose process died: nothing lost, nothing charged twice.

A job is orphaned when it is `running` but its worker is gone: at start-up, every
running job claimed by this node under an earlier boot; at any time, a job whose
heartbeat is older than the lease. Queued jobs go back to the queue (their hold stays,
the next run settles it) until they have used their attempts; then they fail with the
hold released. Inline edits (the client is gone) always fail and release.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import or_, select

from .db import Database
from .edits import EditService
from .models import Job
from .nodes import NodeRegistry, serves
from .settings import ServiceSettings
from .states import QUEUE_ORIGINS, JobStatus, Origin, transition

log = logging.getLogger("retouch.service.recovery")


def recover_orphans(
    settings: ServiceSettings, db: Database, edits: EditService, *, current_boot: str, at_startup: bool
) -> dict[str, int]:
    """Requeue or fail orphaned jobs; returns counts."""
    mine = f"{settings.node_name}/"
    live = f"{settings.node_name}/{current_boot}/"
    with db.read() as s:
        # the lease is judged by the database's clock, the one heartbeats are written with
        stale = db.clock() - settings.job_lease_s
        conds = [Job.heartbeat_at < stale, Job.heartbeat_at.is_(None)]
        if at_startup:
            conds.append(Job.worker_id.like(mine + "%") & ~Job.worker_id.like(live + "%"))
        orphans = list(s.scalars(select(Job).where(Job.status == JobStatus.RUNNING, or_(*conds))))
    counts = {"requeued": 0, "failed": 0}
    for job in orphans:
        if job.origin in QUEUE_ORIGINS and job.attempts < settings.job_max_attempts and not job.cancel_requested:
            with db.write() as s:
                row = transition(
                    s.connection(),
                    job.id,
                    JobStatus.QUEUED,
                    frm=(JobStatus.RUNNING,),
                    worker_id=job.worker_id,
                    values={
                        "worker_id": None,
                        "heartbeat_at": None,
                        "progress": 0.0,
                        "stage": "requeued: its worker stopped",
                    },
                    returning=("id", "engine"),
                )
            if row is not None:
                counts["requeued"] += 1
                log.info("requeued job %s (attempt %d was interrupted)", job.id, job.attempts)
        else:
            status = JobStatus.CANCELED if job.cancel_requested else JobStatus.FAILED
            reason = (
                "The server stopped while this request was running."
                if job.origin == Origin.INLINE
                else f"The job was interrupted {job.attempts} time(s) and was not retried again."
            )
            if edits.finish_unsuccessfully(
                job.id,
                status,
                {"code": "interrupted", "message": reason, "param": None, "type": "server_error"},
                worker_id=job.worker_id,
            ):
                counts["failed"] += 1
                log.info("failed orphaned job %s and released its hold", job.id)
    return counts


class UnservedJobs:
    """Queued jobs of an engine that no live worker runs: marked as waiting for one, then
    failed (hold released) when none has come for `no_worker_timeout_s`."""

    def __init__(self, settings: ServiceSettings, db: Database, edits: EditService, nodes: NodeRegistry) -> None:
        self.settings = settings
        self.db = db
        self.edits = edits
        self.nodes = nodes
        self._since: dict[str, float] = {}  # engine -> when this process first saw it unserved

    def check(self) -> int:
        """One pass (the janitor's); returns how many jobs were failed."""
        with self.db.read() as s:
            waiting = set(
                s.scalars(
                    select(Job.engine)
                    .where(Job.status == JobStatus.QUEUED, Job.origin.in_(QUEUE_ORIGINS))
                    .distinct()
                )
            )
        if not waiting:
            self._since.clear()
            return 0
        offered = self.nodes.offered()
        t = time.monotonic()
        failed = 0
        for engine in waiting:
            if serves(offered, engine):
                self._since.pop(engine, None)
                continue
            first = self._since.setdefault(engine, t)
            if t - first < self.settings.no_worker_timeout_s:
                self._mark_waiting(engine)
                continue
            failed += self._fail(engine)
        return failed

    def _mark_waiting(self, engine: str) -> None:
        from sqlalchemy import update

        with self.db.write() as s:
            s.execute(
                update(Job)
                .where(Job.status == JobStatus.QUEUED, Job.origin.in_(QUEUE_ORIGINS), Job.engine == engine)
                .values(stage=no_worker_message(engine)[:100])
            )

    def _fail(self, engine: str) -> int:
        with self.db.read() as s:
            ids = list(
                s.scalars(
                    select(Job.id).where(
                        Job.status == JobStatus.QUEUED, Job.origin.in_(QUEUE_ORIGINS), Job.engine == engine
                    )
                )
            )
        n = 0
        error = {
            "code": "no_worker_available",
            "message": no_worker_message(engine)
            + f" for {self.settings.no_worker_timeout_s:g} s. Start a worker with "
            f"`retouch worker --engines {engine}` or choose another model.",
            "param": "model",
            "type": "server_error",
        }
        for job_id in ids:
            if self.edits.finish_unsuccessfully(job_id, JobStatus.FAILED, error, only_if_running=False):
                n += 1
                log.info("failed job %s: no live worker runs engine %s", job_id, engine)
        return n


def no_worker_message(engine: str) -> str:
    return f"No live worker runs the {engine} engine"
