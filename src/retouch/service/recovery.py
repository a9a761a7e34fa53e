"""Reconciling jobs whose process died: nothing lost, nothing charged twice.

A job is orphaned when it is `running` but its worker is gone: at start-up, every
running job claimed by this node under an earlier boot; at any time, a job whose
heartbeat is older than the lease. Queued jobs go back to the queue (their hold stays,
the next run settles it) until they have used their attempts; then they fail with the
hold released. Inline edits (the client is gone) always fail and release.
"""

from __future__ import annotations

import logging

from sqlalchemy import or_, select, update

from .db import Database, now, rowcount
from .edits import EditService
from .models import Job
from .settings import ServiceSettings

log = logging.getLogger("retouch.service.recovery")


def recover_orphans(
    settings: ServiceSettings, db: Database, edits: EditService, *, current_boot: str, at_startup: bool
) -> dict[str, int]:
    """Requeue or fail orphaned jobs; returns counts."""
    stale = now() - settings.job_lease_s
    mine = f"{settings.node_name}/"
    live = f"{settings.node_name}/{current_boot}/"
    with db.read() as s:
        conds = [Job.heartbeat_at < stale, Job.heartbeat_at.is_(None)]
        if at_startup:
            conds.append(Job.worker_id.like(mine + "%") & ~Job.worker_id.like(live + "%"))
        orphans = list(s.scalars(select(Job).where(Job.status == "running", or_(*conds))))
    counts = {"requeued": 0, "failed": 0}
    for job in orphans:
        if job.origin == "queued" and job.attempts < settings.job_max_attempts and not job.cancel_requested:
            with db.write() as s:
                res = s.execute(
                    update(Job)
                    .where(Job.id == job.id, Job.status == "running", Job.worker_id == job.worker_id)
                    .values(
                        status="queued",
                        worker_id=None,
                        heartbeat_at=None,
                        progress=0.0,
                        stage="requeued after a restart",
                    )
                )
            if rowcount(res) == 1:
                counts["requeued"] += 1
                log.info("requeued job %s (attempt %d was interrupted)", job.id, job.attempts)
        else:
            status = "canceled" if job.cancel_requested else "failed"
            reason = (
                "The server stopped while this request was running."
                if job.origin == "inline"
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
