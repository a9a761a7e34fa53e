"""In-process workers: threads that claim queued jobs and run them (with `runner.JobRunner`),
and a heartbeat that keeps their leases (and notices cancellations)."""

from __future__ import annotations

import logging
import threading
import time
import uuid

from sqlalchemy import select

from .db import Database
from .models import Job
from .queue import JobQueue
from .runner import JobRunner, RunningSet, result_document
from .settings import ServiceSettings

__all__ = ["JobRunner", "RunningSet", "WorkerPool", "result_document"]

log = logging.getLogger("retouch.service.workers")


class WorkerPool:
    """N threads claiming jobs from the queue, plus one heartbeat thread."""

    def __init__(
        self,
        settings: ServiceSettings,
        db: Database,
        queue: JobQueue,
        runner: JobRunner,
        running: RunningSet,
        boot_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.queue = queue
        self.runner = runner
        self.running = running
        self.boot_id = boot_id or uuid.uuid4().hex[:8]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def worker_id(self, name: str) -> str:
        # node/boot/thread: at start-up, jobs held by this node with another boot id are orphans.
        return f"{self.settings.node_name}/{self.boot_id}/{name}"

    def start(self) -> None:
        for i in range(self.settings.workers):
            t = threading.Thread(
                target=self._loop, args=(self.worker_id(f"w{i}"),), name=f"retouch-worker-{i}", daemon=True
            )
            t.start()
            self._threads.append(t)
        hb = threading.Thread(target=self._heartbeat, name="retouch-heartbeat", daemon=True)
        hb.start()
        self._threads.append(hb)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.queue.notify()
        for t in self._threads:
            t.join(timeout)

    def _loop(self, worker_id: str) -> None:
        while not self._stop.is_set():
            try:
                job_id = self.queue.claim(worker_id)
            except Exception:  # a database hiccup must not kill the worker
                log.exception("claiming a job failed")
                job_id = None
                self._stop.wait(1.0)
            if job_id is None:
                self.queue.wait(1.0)
                continue
            try:
                self.runner.run(job_id, worker_id)
            except Exception:  # the job stays running; its lease expires and recovery takes it
                log.exception("running job %s failed unexpectedly", job_id)

    def _heartbeat(self) -> None:
        interval = max(0.2, min(5.0, self.settings.job_lease_s / 4))
        while not self._stop.wait(interval):
            items = self.running.items()
            if not items:
                continue
            try:
                from sqlalchemy import update

                with self.db.write() as s:
                    for job_id, wid in items:
                        s.execute(
                            update(Job)
                            .where(Job.id == job_id, Job.worker_id == wid, Job.status == "running")
                            .values(heartbeat_at=time.time())
                        )
                with self.db.read() as s:
                    canceled = s.scalars(
                        select(Job.id).where(
                            Job.id.in_([j for j, _ in items]), Job.cancel_requested.is_(True)
                        )
                    )
                    for job_id in canceled:
                        self.running.cancel(job_id)
            except Exception:
                log.exception("heartbeat failed")
