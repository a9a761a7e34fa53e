"""In-process workers: threads that claim queued jobs and run them, and a heartbeat that
keeps their leases (and notices cancellations)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

from sqlalchemy import select

from ..engines import ProgressFn
from ..errors import RetouchError
from ..schema import EditResult
from .db import Database
from .edits import EditService, EditSpec, JobCanceled, error_body
from .events import EventBus
from .files import FileStore
from .inputs import CONTENT_TYPES, probe
from .keys import Principal
from .ledger import AlreadySettled
from .metrics import Metrics
from .models import Job
from .nodes import ANY_ENGINE, NodeRegistry
from .params import EditOptions
from .queue import JobQueue
from .settings import ServiceSettings

log = logging.getLogger("retouch.service.workers")


class RunningSet:
    """Jobs running in this process (queued jobs and inline edits), for heartbeats and cancels."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, tuple[str, threading.Event]] = {}  # job id -> (worker id, cancel event)

    def add(self, job_id: str, worker_id: str) -> threading.Event:
        """Register a running job; the event is set when it should stop."""
        with self._lock:
            event = threading.Event()
            self._jobs[job_id] = (worker_id, event)
            return event

    def remove(self, job_id: str) -> None:
        with self._lock:
            self._jobs.pop(job_id, None)

    def items(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(j, w) for j, (w, _) in self._jobs.items()]

    def cancel(self, job_id: str) -> None:
        with self._lock:
            if job_id in self._jobs:
                self._jobs[job_id][1].set()

    def is_canceled(self, job_id: str) -> bool:
        with self._lock:
            entry = self._jobs.get(job_id)
            return entry is not None and entry[1].is_set()


def result_document(
    results: list[EditResult],
    files: list[list[str]],
    sizes: list[list[int]],
    inputs: list[int],
    failures: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """What a finished job keeps: output file ids (with the index of the input each came from),
    the plan that ran, sizes and timings; and in batch mode the inputs that failed."""
    first = results[0]
    images = []
    for item, r, ids, nbytes in zip(inputs, results, files, sizes, strict=True):
        for fid, nb in zip(ids, nbytes, strict=True):
            images.append(
                {
                    "file_id": fid,
                    "input_index": item,
                    "bytes": nb,
                    "size": f"{r.width}x{r.height}",
                    "output_format": r.output_format,
                }
            )
    return {
        "images": images,
        "plan": first.plan.model_dump(mode="json"),
        "size": f"{first.width}x{first.height}",
        "quality": first.quality,
        "background": first.background,
        "output_format": first.output_format,
        "engine": first.engine,
        "timings_ms": first.timings_ms,
        **({"failures": failures} if failures is not None else {}),
    }


class JobRunner:
    """Runs one claimed job to its end, whatever happens."""

    def __init__(
        self,
        settings: ServiceSettings,
        db: Database,
        edits: EditService,
        files: FileStore,
        bus: EventBus,
        running: RunningSet,
        metrics: Metrics,
    ) -> None:
        self.settings = settings
        self.db = db
        self.edits = edits
        self.files = files
        self.bus = bus
        self.running = running
        self.metrics = metrics

    def run(self, job_id: str, worker_id: str) -> None:
        with self.db.read() as s:
            job = s.get(Job, job_id)
        if job is None:
            return
        cancel = self.running.add(job_id, worker_id)
        t0 = time.monotonic()
        self.bus.publish(job_id, {"type": "job.running", "id": job_id, "status": "running", "progress": 0.0})
        if job.attempts > 1:  # outputs an interrupted run stored (it never settled) are not the result
            self.files.delete_outputs(job_id)
        stored: dict[str, Any] | None = None
        try:
            spec = self._spec(job)
            inputs: list[int] | None = None
            failures: list[dict[str, Any]] | None = None
            if spec.mode == "batch":
                # One bad image does not sink the others: the job succeeds with what worked,
                # is charged for that only, and lists the inputs that failed and why.
                each = self.edits.execute_each(spec, progress=self._progress(job_id), cancel=cancel)
                errors = [(i, r) for i, r in enumerate(each) if isinstance(r, Exception)]
                if len(errors) == len(each):
                    raise errors[0][1]
                inputs = [i for i, r in enumerate(each) if isinstance(r, EditResult)]
                results = [r for r in each if isinstance(r, EditResult)]
                failures = [{"input_index": i, "error": error_body(e)} for i, e in errors]
            else:
                results = self.edits.execute(spec, progress=self._progress(job_id), cancel=cancel)
            if self.running.is_canceled(job_id):
                raise JobCanceled(job_id)
            stored = self._store_outputs(job, results, inputs, failures)
            self.edits.succeed(job_id, results, stored, worker_id=worker_id)
            status = "succeeded"
        except JobCanceled:
            status = "canceled"
            self.edits.finish_unsuccessfully(
                job_id,
                "canceled",
                {"code": "canceled", "message": "Canceled.", "param": None, "type": "canceled"},
                worker_id=worker_id,
            )
        except AlreadySettled:
            status = "lost"
            log.warning("job %s ended elsewhere while running here", job_id)
        except Exception as e:  # any failure ends the job and releases its hold
            status = "failed"
            if not isinstance(e, RetouchError):
                log.exception("job %s failed", job_id)
            self.edits.finish_unsuccessfully(job_id, "failed", error_body(e), worker_id=worker_id)
        finally:
            self.running.remove(job_id)
        if stored is not None and status != "succeeded":
            # stored, then not settled here (canceled, failed, or taken over): not anyone's result
            keep = self._result_files(job_id)
            self.files.delete_outputs(job_id, keep=keep)
        self.metrics.job_duration.labels(mode=job.mode, status=status).observe(time.monotonic() - t0)
        with self.db.read() as s:
            final = s.get(Job, job_id)
        self.bus.publish(
            job_id,
            {
                "type": f"job.{final.status}" if final else "job.gone",
                "id": job_id,
                "status": final.status if final else None,
            },
        )

    def _result_files(self, job_id: str) -> set[str]:
        """File ids the job's stored result names (another run's, when this one lost the job)."""
        with self.db.read() as s:
            job = s.get(Job, job_id)
        return {im["file_id"] for im in (job.result or {}).get("images", [])} if job else set()

    def _spec(self, job: Job) -> EditSpec:
        max_bytes = self.settings.max_image_bytes
        images = [
            probe(self.files.content(fid, None), param="image", max_bytes=max_bytes) for fid in job.inputs
        ]
        mask = (
            probe(self.files.content(job.mask, None), param="mask", max_bytes=max_bytes) if job.mask else None
        )
        return self.edits.prepare(EditOptions(**job.params), images, mask, job.mode)

    def _progress(self, job_id: str) -> ProgressFn:
        last = [0.0]

        def progress(fraction: float, stage: str, partial: bytes | None) -> None:
            if self.running.is_canceled(job_id):
                raise JobCanceled(job_id)
            event: dict[str, Any] = {
                "type": "job.progress",
                "id": job_id,
                "status": "running",
                "progress": round(fraction, 4),
                "stage": stage,
            }
            self.bus.publish(job_id, event)
            t = time.monotonic()
            if t - last[0] >= 0.5:  # throttled: progress is for humans, not a write per step
                last[0] = t
                from sqlalchemy import update

                with self.db.write() as s:
                    s.execute(
                        update(Job)
                        .where(Job.id == job_id, Job.status == "running")
                        .values(progress=fraction, stage=stage[:100])
                    )

        return progress

    def _store_outputs(
        self,
        job: Job,
        results: list[EditResult],
        inputs: list[int] | None = None,
        failures: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        owner = Principal(key_id=job.key_id, account_id=job.account_id, scopes=frozenset(), tier=None)
        ids: list[list[str]] = []
        sizes: list[list[int]] = []
        inputs = inputs if inputs is not None else list(range(len(results)))
        for i, r in zip(inputs, results, strict=True):
            ids.append([])
            sizes.append([])
            for k, data in enumerate(r.images):
                f = self.files.create(
                    owner,
                    data,
                    filename=f"{job.id}-{i}-{k}.{r.output_format}",
                    purpose="output",
                    content_type=CONTENT_TYPES[r.output_format],
                    job_id=job.id,
                )
                ids[-1].append(f.id)
                sizes[-1].append(len(data))
        return result_document(results, ids, sizes, inputs, failures)


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
