"""Async jobs: submit (inputs stored, estimate held), look up, list, cancel, wait, and the
public view of a job."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select, update

from ..schema import Background, OutputFormat, Quality
from .db import Database, now
from .edits import EditService, EditSpec
from .errors import ApiError, invalid, not_found
from .events import EventBus
from .fetch import SafeFetcher
from .files import FileStore
from .followups import FollowUps
from .inputs import CONTENT_TYPES, ImageInput, InputResolver
from .keys import Principal
from .models import Job
from .params import Consistency, EditOptions, Mode, prompt_optional_with_plan
from .queue import JobQueue
from .settings import ServiceSettings
from .states import ACTIVE, TERMINAL, JobStatus, Origin


class ImageRef(BaseModel):
    """An input image: a data URL or http(s) URL (`image_url`), or an uploaded file (`file_id`)."""

    model_config = ConfigDict(extra="forbid")

    image_url: str | None = None
    file_id: str | None = None

    def ref(self) -> str:
        value = self.image_url or self.file_id
        if not value:
            raise invalid("Each image needs 'image_url' or 'file_id'.", "images")
        return value


class JobCreate(BaseModel):
    """POST /v1/jobs: an edit (or a batch of independent edits) to run in the background."""

    model_config = ConfigDict(extra="forbid")

    images: list[str | ImageRef] = Field(
        default_factory=list,
        max_length=16,
        description="Data URLs, http(s) URLs, file ids, or {image_url|file_id}; required unless 'after' is given",
    )
    prompt: str = Field(max_length=32000)
    mask: str | ImageRef | None = None
    mode: Mode = Field(
        default="edit",
        description="edit: first image edited, others references; batch: every image edited independently",
    )
    model: str | None = None
    n: int = Field(default=1, ge=1, le=10)
    size: str = "auto"
    quality: Quality = "auto"
    background: Background = "auto"
    output_format: OutputFormat = "png"
    output_compression: int | None = Field(default=None, ge=0, le=100)
    webhook_url: str | None = Field(default=None, max_length=2000)
    sync_mode: bool = Field(default=False, description="Wait for the result before responding")
    metadata: dict[str, str] | None = Field(default=None, description="Echoed back on the job and webhooks")
    consistency: bool | Consistency | None = Field(
        default=None,
        description="retouch extension, batch mode: make the set look like one shoot (true, or "
        "{aspects, reference}); words such as 'make them consistent' in the prompt do the same",
    )
    plan: dict[str, Any] | list[Any] | None = Field(
        default=None, description="retouch extension: an EditPlan run instead of the prompt's plan (builtin engine)"
    )
    after: str | None = Field(
        default=None,
        max_length=100,
        description="retouch extension: the id of the job whose output is being edited. The prompt is read as a "
        "follow-up to that job's plan ('a bit less', 'undo the vignette') and the revised full plan runs on its "
        "original inputs: 'images' if given (send what that job got, not its output), else the ones it stored",
    )

    _prompt_optional_with_plan = model_validator(mode="before")(lambda data: prompt_optional_with_plan(data))

    @field_validator("metadata")
    @classmethod
    def _small_metadata(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        if v is not None and (len(v) > 16 or any(len(k) > 64 or len(x) > 512 for k, x in v.items())):
            raise ValueError("at most 16 keys of 64 characters with values of 512 characters")
        return v

    def options(self) -> EditOptions:
        return EditOptions(
            prompt=self.prompt,
            model=self.model,
            n=self.n,
            size=self.size,
            quality=self.quality,
            background=self.background,
            output_format=self.output_format,
            output_compression=self.output_compression,
            consistency=Consistency() if self.consistency is True else self.consistency or None,
            plan=self.plan,
            after=self.after,
        )


def _ref(x: str | ImageRef) -> str:
    return x if isinstance(x, str) else x.ref()


class JobService:
    def __init__(
        self,
        settings: ServiceSettings,
        db: Database,
        edits: EditService,
        queue: JobQueue,
        files: FileStore,
        resolver: InputResolver,
        fetcher: SafeFetcher,
        bus: EventBus,
    ) -> None:
        self.settings = settings
        self.db = db
        self.edits = edits
        self.queue = queue
        self.files = files
        self.resolver = resolver
        self.fetcher = fetcher
        self.bus = bus
        self.followups = FollowUps(db, files, settings.max_image_bytes)
        #: Tells this process's running job to stop now (the heartbeat would notice later).
        self.on_cancel: Callable[[str], None] = lambda job_id: None

    # ---- submit

    def submit(self, principal: Principal, body: JobCreate) -> Job:
        if not body.images and body.after is None:
            raise ApiError(
                400, "Missing required parameter: 'images'.", code="missing_required_parameter", param="images"
            )
        images = [
            self.resolver.resolve(_ref(x), param=f"images[{i}]", principal=principal)
            for i, x in enumerate(body.images)
        ]
        mask = (
            self.resolver.resolve(_ref(body.mask), param="mask", principal=principal) if body.mask else None
        )
        options = body.options()
        images, mask = self.followups.apply(principal, options, images, mask, body.mode)
        spec = self.edits.prepare(options, images, mask, body.mode)
        self.edits.check_runnable(spec)
        self.edits.check_plan(spec)
        if body.webhook_url:
            self.fetcher.check(body.webhook_url, param="webhook_url")
        return self.enqueue(principal, spec, webhook_url=body.webhook_url, meta=body.metadata or {})

    def enqueue(
        self,
        principal: Principal,
        spec: EditSpec,
        *,
        origin: str = Origin.QUEUED,
        job_id: str | None = None,
        webhook_url: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Job:
        """Store the inputs and open the job with its hold (one transaction; workers are woken
        when it commits). On a refused hold the stored inputs are deleted again."""
        stored = [self._store(principal, im, f"input-{i}") for i, im in enumerate(spec.images)]
        mask_id = self._store(principal, spec.mask, "mask") if spec.mask else None
        try:
            job = self.edits.open_job(
                principal,
                spec,
                origin=origin,
                inputs=stored,
                mask=mask_id,
                webhook_url=webhook_url,
                meta=meta or {},
                job_id=job_id,
            )
        except Exception:
            for fid in [*stored, *([mask_id] if mask_id else [])]:
                self.files.delete(fid, principal)
            raise
        self.queue.notify()
        self.bus.publish(job.id, {"type": "job.queued", "id": job.id, "status": JobStatus.QUEUED.value})
        return job

    def _store(self, principal: Principal, im: ImageInput, name: str) -> str:
        return self.files.create(
            principal,
            im.data,
            filename=f"{name}.{im.format}",
            purpose="job_input",
            content_type=CONTENT_TYPES.get(im.format, "application/octet-stream"),
        ).id

    # ---- read

    def get(self, principal: Principal, job_id: str) -> Job:
        with self.db.read() as s:
            job = s.get(Job, job_id)
        if job is None or (job.account_id != principal.account_id and not principal.is_admin):
            raise not_found("job", job_id, param="job_id")
        return job

    def list(
        self,
        principal: Principal,
        *,
        limit: int = 20,
        after: str | None = None,
        status: str | None = None,
        all_accounts: bool = False,
    ) -> tuple[list[Job], bool]:
        """Newest first; `after` is the last id of the previous page (cursor pagination)."""
        everyone = all_accounts and principal.is_admin
        with self.db.read() as s:
            q = select(Job).order_by(Job.created_at.desc(), Job.id.desc())
            if not everyone:
                q = q.where(Job.account_id == principal.account_id)
            if status:
                q = q.where(Job.status == status)
            if after:
                anchor = s.get(Job, after)
                # (another account's job is as absent as a job that never was: no existence oracle)
                if anchor is None or not (everyone or anchor.account_id == principal.account_id):
                    raise not_found("job", after, param="after")
                q = q.where(
                    (Job.created_at < anchor.created_at)
                    | ((Job.created_at == anchor.created_at) & (Job.id < anchor.id))
                )
            rows = list(s.scalars(q.limit(limit + 1)))
        return rows[:limit], len(rows) > limit

    # ---- cancel

    def cancel(self, principal: Principal, job_id: str) -> Job:
        """Queued: canceled now, hold released. Running: asked to stop (it ends `canceled`).
        Already ended: unchanged."""
        self.get(principal, job_id)
        self.stop(job_id)
        job = self.get(principal, job_id)
        if job.status in TERMINAL:
            self.bus.publish(job.id, {"type": f"job.{job.status}", "id": job.id, "status": str(job.status)})
        return job

    def stop(self, job_id: str, error: dict[str, Any] | None = None) -> None:
        """Cancel a job by id: a queued one ends now (hold released), a running one is asked to
        stop wherever its worker is (and is not charged: its capture checks the flag)."""
        error = error or {"code": "canceled", "message": "Canceled.", "param": None, "type": "canceled"}
        with self.db.read() as s:
            status = s.scalar(select(Job.status).where(Job.id == job_id))
        if status == JobStatus.QUEUED:
            self.edits.finish_unsuccessfully(job_id, JobStatus.CANCELED, error, only_if_running=False)
            with self.db.read() as s:
                status = s.scalar(select(Job.status).where(Job.id == job_id))
        if status == JobStatus.RUNNING:
            # (also when it was claimed in between: the flag is what its worker's heartbeat reads)
            with self.db.write() as s:
                s.execute(update(Job).where(Job.id == job_id).values(cancel_requested=True))
            self.on_cancel(job_id)  # this process's workers now, others' through the broadcast

    # ---- wait

    async def wait(self, job_id: str, timeout: float) -> Job:
        """Until the job ends or `timeout` passes (bus events, with a database poll as fallback)."""
        deadline = time.monotonic() + min(timeout, self.settings.sync_timeout_s)
        q = self.bus.subscribe(job_id)
        try:
            while True:
                with self.db.read() as s:
                    job = s.get(Job, job_id)
                assert job is not None
                left = deadline - time.monotonic()
                if job.status in TERMINAL or left <= 0:
                    return job
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(q.get(), timeout=min(left, 0.5))
        finally:
            self.bus.unsubscribe(job_id, q)

    # ---- the public view

    def view(self, job: Job, *, position: int | None = None) -> dict[str, Any]:
        def ts(t: float | None) -> int | None:
            return int(t) if t is not None else None

        timings: dict[str, float] = {}
        if job.started_at:
            timings["queued_ms"] = round((job.started_at - job.created_at) * 1000, 1)
            end = job.finished_at or now()
            timings["run_ms"] = round((end - job.started_at) * 1000, 1)
        result = None
        if job.status == JobStatus.SUCCEEDED and job.result:
            result = dict(job.result)
            images = job.result.get("images", [])
            urls = self.files.urls([im["file_id"] for im in images], self.settings.url_ttl_s, self.settings.base_url)
            result["images"] = [{**im, "url": urls[im["file_id"]]} for im in images]
        return {
            "id": job.id,
            "object": "job",
            "status": job.status,
            "mode": job.mode,
            "model": job.model,
            "created_at": ts(job.created_at),
            "started_at": ts(job.started_at),
            "finished_at": ts(job.finished_at),
            "queue_position": position if job.status == JobStatus.QUEUED else None,
            "progress": round(job.progress, 4),
            "stage": job.stage,
            "attempts": job.attempts,
            "timings": timings,
            "estimate": {"credits": job.estimate_credits},
            "charged_credits": job.charged_credits if job.status == JobStatus.SUCCEEDED else 0,
            "usage": job.usage if job.status == JobStatus.SUCCEEDED else None,
            "params": {
                k: v
                for k, v in job.params.items()
                if k not in ("stream", "partial_images", "response_format")
            },
            "result": result,
            "error": job.error,
            "webhook_url": job.webhook_url,
            "metadata": job.meta or {},
        }

    def view_with_position(self, job: Job) -> dict[str, Any]:
        return self.view(job, position=self.queue.position(job.id) if job.status == JobStatus.QUEUED else None)

    @staticmethod
    def is_active(job: Job) -> bool:
        return job.status in ACTIVE
