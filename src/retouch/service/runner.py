"""Running an edit to its end, whatever happens: the one path for queued jobs (claimed by
workers) and sync edits (`/v1/images/edits`, run inside the request).

Both end the same way: the outputs are stored as files, the job row gets the same result
document, and the capture (or the release of the hold) commits together with the job's
end. A sync edit differs only in when it holds (see `SyncEdit`) and in one rule: it is
charged only if its client is still there when the result is ready (`ClientGone`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.orm import Session

from ..engines import ProgressFn
from ..errors import RetouchError
from ..schema import EditResult
from .db import Database
from .edits import EditService, EditSpec, JobCanceled, error_body
from .errors import ApiError
from .events import EventBus
from .files import FileStore, StagedFile
from .inputs import CONTENT_TYPES, probe
from .keys import Principal
from .ledger import AlreadySettled
from .metrics import Metrics
from .models import Job
from .params import EditOptions, Mode
from .settings import ServiceSettings
from .states import JobStatus

log = logging.getLogger("retouch.service.runner")

CANCELED_ERROR = {"code": "canceled", "message": "Canceled.", "param": None, "type": "canceled"}
CLIENT_GONE_ERROR = {
    "code": "client_disconnected",
    "message": "The client disconnected before the result was ready; nothing was charged.",
    "param": None,
    "type": "canceled",
}
#: How a run ended, for metrics ("lost": another node ended it first).
RunOutcome = Literal["succeeded", "failed", "canceled", "lost"]
#: Called inside the transaction that captures a job (e.g. to complete an idempotency record).
SettleHook = Callable[[Session], None]


class ClientGone(Exception):
    """The client of a sync edit left before its response could start: not charged."""


class RunningSet:
    """Jobs running in this process (queued jobs and sync edits), for heartbeats and cancels."""

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
    # a consistent batch plans every image on its own: each output then carries its plan
    own_plans = any(r.plan != first.plan for r in results)
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
                    **({"plan": r.plan.model_dump(mode="json")} if own_plans else {}),
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


@dataclass
class Outcome:
    """A job that succeeded: its results, what it cost and the document it keeps."""

    job_id: str
    results: list[EditResult]
    charged: int
    document: dict[str, Any]
    settle_ms: float = 0.0

    @property
    def file_ids(self) -> list[str]:
        return [im["file_id"] for im in self.document["images"]]


class Hold:
    """A sync edit's credit hold (job row + estimate held, one transaction), taken either
    before the run or, on a side thread, when the engine first reports progress: its inputs
    are decoded and its instruction planned by then, so a request that fails on its input
    leaves nothing behind, and the rest of the run hides the hold's database round trip."""

    def __init__(self, take: Callable[[], object], side: Executor, on_refused: threading.Event) -> None:
        self._take = take
        self._side = side
        self._on_refused = on_refused
        self._lock = threading.Lock()
        self._future: Future[object] | None = None

    def _run(self) -> object:
        try:
            return self._take()
        except BaseException:
            self._on_refused.set()  # stop the engine: its result would be thrown away
            raise

    def now(self) -> None:
        """Take the hold on this thread (raises its refusal: 402/429)."""
        self.begin()
        self.wait()

    def begin(self) -> None:
        """Start taking the hold on a side thread, once."""
        with self._lock:
            if self._future is None:
                self._future = self._side.submit(self._run)

    @property
    def begun(self) -> bool:
        return self._future is not None

    def wait(self) -> None:
        """Until the hold stands; raises its refusal."""
        self.begin()
        assert self._future is not None
        self._future.result()


@dataclass
class SyncEdit:
    """A sync edit: its job id is known before anything is held (the response names it)."""

    job_id: str
    principal: Principal
    spec: EditSpec
    worker_id: str
    meta: dict[str, Any] = field(default_factory=dict)
    #: Set when the client disconnects; checked just before the capture.
    gone: threading.Event = field(default_factory=threading.Event)
    #: Run inside the capture's transaction (the idempotency record completes with the charge).
    on_settle: SettleHook | None = None
    hold: Hold | None = None


class JobRunner:
    """Runs jobs to their end: `run` for a queued job a worker claimed, `run_sync` for a sync edit."""

    def __init__(
        self,
        settings: ServiceSettings,
        db: Database,
        edits: EditService,
        files: FileStore,
        bus: EventBus,
        running: RunningSet,
        metrics: Metrics,
        side: Executor,
    ) -> None:
        self.settings = settings
        self.db = db
        self.edits = edits
        self.files = files
        self.bus = bus
        self.running = running
        self.metrics = metrics
        self.side = side

    # ---- queued jobs

    def run(self, job_id: str, worker_id: str) -> None:
        """Run a claimed job; it ends succeeded, failed or canceled whatever happens."""
        with self.db.read() as s:
            job = s.get(Job, job_id)
        if job is None:
            return
        cancel = self.running.add(job_id, worker_id)
        t0 = time.monotonic()
        self.bus.publish(job_id, {"type": "job.running", "id": job_id, "status": "running", "progress": 0.0})
        owner = Principal(key_id=job.key_id, account_id=job.account_id, scopes=frozenset(), tier=None)
        status: RunOutcome = "failed"
        try:
            try:
                spec = self._spec(job)
                results, inputs, failures = self._edit(spec, self._progress(job_id), cancel)
            except BaseException as e:
                self._end_unsuccessfully(job_id, e, worker_id)
                raise
            self._settle(job_id, owner, results, inputs, failures, worker_id, cancel)
            status = "succeeded"
        except (JobCanceled, ClientGone):
            status = "canceled"
        except AlreadySettled:
            status = "lost"
            log.warning("job %s ended elsewhere while running here", job_id)
        except Exception:  # already ended as failed, with its hold released
            status = "failed"
        finally:
            self.running.remove(job_id)
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

    def _spec(self, job: Job) -> EditSpec:
        max_bytes = self.settings.max_image_bytes
        images = [
            probe(self.files.content(fid, None), param="image", max_bytes=max_bytes) for fid in job.inputs
        ]
        mask = (
            probe(self.files.content(job.mask, None), param="mask", max_bytes=max_bytes) if job.mask else None
        )
        mode: Mode = "batch" if job.mode == "batch" else "edit"
        return self.edits.prepare(EditOptions(**job.params), images, mask, mode)

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
            if t - last[0] >= self.settings.progress_write_s:  # progress is for humans: not a write per step
                last[0] = t
                self.edits.record_progress(job_id, fraction, stage)

        return progress

    # ---- sync edits

    def hold_before_run(self, edit: SyncEdit) -> None:
        """Take a sync edit's hold now (generative engines, streams, keys refused lately)."""
        edit.hold = self._hold_for(edit, threading.Event())
        edit.hold.now()

    def _hold_for(self, edit: SyncEdit, on_refused: threading.Event) -> Hold:
        def take() -> object:
            return self.edits.open_job(
                edit.principal,
                edit.spec,
                origin="inline",
                worker_id=edit.worker_id,
                meta=edit.meta,
                job_id=edit.job_id,
            )

        return Hold(take, self.side, on_refused)

    def run_sync(
        self,
        edit: SyncEdit,
        progress: ProgressFn | None = None,
        render: Callable[[Outcome], bytes] | None = None,
    ) -> tuple[Outcome, bytes | None]:
        """In a worker thread: hold (unless held), edit, store the outputs, settle, and render the
        response body (`render`). Raises the failure the client should see; the job, if one was
        opened, has ended by then."""
        job_id, worker_id = edit.job_id, edit.worker_id
        t0 = time.monotonic()
        cancel = self.running.add(job_id, worker_id)
        hold = edit.hold or self._hold_for(edit, cancel)
        status: RunOutcome = "failed"

        def reporting(fraction: float, stage: str, partial: bytes | None) -> None:
            if edit.gone.is_set() or cancel.is_set():
                raise JobCanceled(job_id)
            hold.begin()  # inputs decoded, instruction planned: hold beside the rest of the run
            if progress is not None:
                progress(fraction, stage, partial)

        try:
            try:
                if edit.gone.is_set():  # left while waiting for a slot
                    raise ClientGone(job_id)
                results, inputs, failures = self._edit(edit.spec, reporting, cancel)
            except BaseException as e:
                gone = edit.gone.is_set() and not isinstance(e, ClientGone)
                if hold.begun:
                    hold.wait()  # a refused hold is the answer, whatever the engine said
                    self._end_unsuccessfully(job_id, ClientGone(job_id) if gone else e, worker_id)
                # else it failed on its input or plan: no job row, nothing held
                if gone:
                    raise ClientGone(job_id) from None
                raise
            hold.wait()  # (taken here if the engine never reported progress)
            outcome = self._settle(
                job_id, edit.principal, results, inputs, failures, worker_id, cancel, edit.gone, edit.on_settle
            )
            status = "succeeded"
            # Rendered here, on this worker thread, not on the event loop (megabytes of base64).
            return outcome, render(outcome) if render is not None else None
        except ClientGone:
            status = "canceled"
            raise
        except JobCanceled:
            status = "canceled"
            raise ApiError(
                409, f"The edit was canceled (POST /v1/jobs/{job_id}/cancel).", code="job_canceled"
            ) from None
        finally:
            self.running.remove(job_id)
            self.metrics.edit_duration.labels(model=edit.spec.model, status=status).observe(
                time.monotonic() - t0
            )

    # ---- shared

    def _edit(
        self, spec: EditSpec, progress: ProgressFn, cancel: threading.Event
    ) -> tuple[list[EditResult], list[int], list[dict[str, Any]] | None]:
        """(results, the input index of each, failures in batch mode) of running the engine."""
        if spec.mode == "batch":
            # One bad image does not sink the others: the job succeeds with what worked, is
            # charged for that only, and lists the inputs that failed and why.
            each = self.edits.execute_each(spec, progress=progress, cancel=cancel)
            errors = [(i, r) for i, r in enumerate(each) if isinstance(r, Exception)]
            if len(errors) == len(each):
                raise errors[0][1]
            inputs = [i for i, r in enumerate(each) if isinstance(r, EditResult)]
            results = [r for r in each if isinstance(r, EditResult)]
            return results, inputs, [{"input_index": i, "error": error_body(e)} for i, e in errors]
        results = self.edits.execute(spec, progress=progress, cancel=cancel)
        return results, list(range(len(results))), None

    def _settle(
        self,
        job_id: str,
        owner: Principal,
        results: list[EditResult],
        inputs: list[int],
        failures: list[dict[str, Any]] | None,
        worker_id: str,
        cancel: threading.Event,
        gone: threading.Event | None = None,
        on_settle: SettleHook | None = None,
    ) -> Outcome:
        """Store the outputs and capture, in that order; on any failure end the job unsuccessfully
        (hold released, stored outputs deleted) and re-raise."""
        staged: list[StagedFile] = []
        try:
            if cancel.is_set():
                raise JobCanceled(job_id)
            if gone is not None and gone.is_set():
                raise ClientGone(job_id)
            staged, doc = self._stage_outputs(job_id, owner, results, inputs, failures)
            t = time.perf_counter()

            def in_transaction(s: Session) -> None:
                self.files.insert(s, staged)
                if on_settle is not None:
                    on_settle(s)

            charged = self.edits.succeed(job_id, results, doc, worker_id=worker_id, also=in_transaction)
            return Outcome(job_id, results, charged, doc, settle_ms=(time.perf_counter() - t) * 1000)
        except BaseException as e:
            self.files.discard(staged)
            self._end_unsuccessfully(job_id, e, worker_id)
            raise

    def _stage_outputs(
        self,
        job_id: str,
        owner: Principal,
        results: list[EditResult],
        inputs: list[int],
        failures: list[dict[str, Any]] | None,
    ) -> tuple[list[StagedFile], dict[str, Any]]:
        """Write every output to the blob store (rows are inserted with the capture)."""
        staged: list[StagedFile] = []
        ids: list[list[str]] = []
        sizes: list[list[int]] = []
        try:
            for i, r in zip(inputs, results, strict=True):
                ids.append([])
                sizes.append([])
                for k, data in enumerate(r.images):
                    f = self.files.stage(
                        owner,
                        data,
                        filename=f"{job_id}-{i}-{k}.{r.output_format}",
                        purpose="output",
                        content_type=CONTENT_TYPES[r.output_format],
                        job_id=job_id,
                    )
                    staged.append(f)
                    ids[-1].append(f.id)
                    sizes[-1].append(len(data))
        except BaseException:
            self.files.discard(staged)
            raise
        return staged, result_document(results, ids, sizes, inputs, failures)

    def _end_unsuccessfully(self, job_id: str, e: BaseException, worker_id: str) -> None:
        """Fail or cancel the job (its hold released) for the exception that stopped it."""
        if isinstance(e, AlreadySettled):
            return
        if isinstance(e, JobCanceled):
            self.edits.finish_unsuccessfully(job_id, JobStatus.CANCELED, dict(CANCELED_ERROR), worker_id=worker_id)
        elif isinstance(e, ClientGone):
            self.edits.finish_unsuccessfully(
                job_id, JobStatus.CANCELED, dict(CLIENT_GONE_ERROR), worker_id=worker_id
            )
        elif isinstance(e, Exception):
            if not isinstance(e, RetouchError):
                log.error("job %s failed", job_id, exc_info=e)
            self.edits.finish_unsuccessfully(job_id, JobStatus.FAILED, error_body(e), worker_id=worker_id)
        else:  # KeyboardInterrupt, SystemExit: the process is going; recovery ends the job
            return
