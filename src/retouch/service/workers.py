"""In-process workers: threads that claim queued jobs and run them (with `runner.JobRunner`),
and a heartbeat that keeps their leases (and notices cancellations)."""

from __future__ import annotations

import logging
import threading
import uuid

from sqlalchemy import select

from .db import Database
from .models import Job
from .nodes import ANY_ENGINE, NodeRegistry
from .queue import JobQueue
from .runner import JobRunner, RunningSet, result_document
from .settings import ServiceSettings

__all__ = ["JobRunner", "RunningSet", "WorkerPool", "result_document"]

log = logging.getLogger("retouch.service.workers")


class WorkerPool:
    """N threads claiming jobs of the engines this process runs, plus one heartbeat thread that
    keeps their leases and this node's row alive and notices cancels and lost leases."""

    def __init__(
        self,
        settings: ServiceSettings,
        db: Database,
        queue: JobQueue,
        runner: JobRunner,
        running: RunningSet,
        boot_id: str | None = None,
        nodes: NodeRegistry | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.queue = queue
        self.runner = runner
        self.running = running
        self.boot_id = boot_id or uuid.uuid4().hex[:8]
        self.nodes = nodes
        engines = set(settings.worker_engines)
        #: None: every engine (the embedded default); else the names this process claims
        self.engines: frozenset[str] | None = None if ANY_ENGINE in engines else frozenset(engines)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._heartbeat_thread: threading.Thread | None = None

    def runs(self, engine: str) -> bool:
        """Whether this process's workers run `engine`."""
        return self.settings.workers > 0 and (self.engines is None or engine in self.engines)

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
        self._heartbeat_thread = hb

    def alive(self) -> tuple[int, int]:
        """(worker threads alive, worker threads started)."""
        return sum(t.is_alive() for t in self._threads), len(self._threads)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.queue.notify()
        for t in [*self._threads, *([self._heartbeat_thread] if self._heartbeat_thread else [])]:
            t.join(timeout)

    def _loop(self, worker_id: str) -> None:
        while not self._stop.is_set():
            try:
                job_id = self.queue.claim(worker_id, self.engines)
            except Exception:  # a database hiccup must not kill the worker
                log.exception("claiming a job failed")
                job_id = None
                self._stop.wait(1.0)
            if job_id is None:
                # woken by NOTIFY (PostgreSQL) or this process's enqueues; the timeout is a
                # safety net for a notification lost while the LISTEN connection was down
                self.queue.wait(5.0 if not self.db.is_sqlite else 1.0)
                continue
            try:
                self.runner.run(job_id, worker_id)
            except Exception:  # the job stays running; its lease expires and recovery takes it
                log.exception("running job %s failed unexpectedly", job_id)

    def _heartbeat(self) -> None:
        interval = max(0.2, min(5.0, self.settings.job_lease_s / 4))
        while not self._stop.wait(interval):
            try:
                if self.nodes is not None:
                    self.nodes.beat()
                items = self.running.items()
                if not items:
                    continue
                for job_id in self.queue.heartbeat(items):
                    # the job was taken over (its lease ran out while this process stalled) or
                    # ended elsewhere: stop working on it, its settlement would be refused anyway
                    log.warning("job %s is no longer this worker's; stopping it", job_id)
                    self.running.cancel(job_id)
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
