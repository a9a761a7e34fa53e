"""Running edits with the money right: open a job and hold its estimate together, run the
engine, then capture the actual cost (or release the hold) together with the job's end.

Both surfaces use this: inline edits (/v1/images/edits run in the request) and queued
jobs (run by workers). Every edit is a job row, so a crash between hold and capture is
always visible and reconciled at start-up (see `recovery.py`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from ..consistency import ConsistencyRequest
from ..engines import EditCancelled, Engine, ProgressFn
from ..engines import EditOptions as EngineOptions
from ..errors import EngineError, ImageTooLargeError, RetouchError, UnsupportedInstruction, with_hint
from ..plans import PlanError, load_plan
from ..schema import EditPlan, EditRequest, EditResult, Usage
from .consistent import read_request, run_consistent
from .db import Database, now
from .errors import ApiError, invalid
from .inputs import ImageInput
from .keys import Principal
from .ledger import AlreadySettled, InsufficientCredits, Ledger
from .models import Job, UsageRecord, new_id
from .params import EditOptions, Mode
from .pricing import Pricing, Quote
from .routing import check_ready, resolve_model, takes_options, takes_plan
from .settings import ServiceSettings
from .states import ACTIVE, JobStatus, Origin, announce, transition

log = logging.getLogger("retouch.service.edits")

ACTIVE_STATES = (JobStatus.QUEUED, JobStatus.RUNNING)

# Statements on every edit's path, built once with bound parameters so that SQLAlchemy reuses
# their compiled form (see ledger.py).
_INSERT_JOB = insert(Job)
_ACTIVE_JOBS_OF_KEY = (
    select(func.count()).select_from(Job).where(Job.key_id == bindparam("key"), Job.status.in_(ACTIVE))
)
#: What `succeed` returns from its transition (the settlement needs them).
_SETTLED_FIELDS = ("account_id", "key_id", "model", "estimate_credits", "cancel_requested", "webhook_url")
_SET_CHARGED = update(Job).where(Job.id == bindparam("job")).values(charged_credits=bindparam("charged"))
_INSERT_USAGE = insert(UsageRecord)
_PROGRESS = (
    update(Job)
    .where(Job.id == bindparam("job"), Job.status == JobStatus.RUNNING.value)
    .values(progress=bindparam("p"), stage=bindparam("stage"))
)

#: Called inside the settlement transaction of a job with a webhook_url that reached a
#: terminal state (the webhook outbox hooks in here: an event is recorded iff the job ended).
TerminalHook = Callable[[Session, Job], None]


class JobCanceled(Exception):
    """Raised from a progress callback when the job was canceled."""


@dataclass
class EditSpec:
    """Everything needed to run and price an edit, independent of where its bytes came from."""

    options: EditOptions
    images: list[ImageInput]
    mask: ImageInput | None
    mode: Mode
    engine: Engine
    model: str
    quote: Quote
    output_sizes: list[tuple[int, int]] = field(default_factory=list)
    #: A consistent batch (service/consistent.py): the request, and the prompt without its words.
    consistency: ConsistencyRequest | None = None
    instruction: str = ""
    #: The client's plan (retouch extension), checked: it runs instead of the prompt's plan.
    plan: EditPlan | None = None

    @property
    def output_count(self) -> int:
        return self.options.n * (len(self.images) if self.mode == "batch" else 1)

    def requests(self) -> list[EditRequest]:
        o = self.options
        common = dict(
            prompt=o.prompt,
            mask=self.mask.data if self.mask else None,
            size=o.size,
            quality=o.quality,
            output_format=o.output_format,
            output_compression=o.output_compression,
            background=o.background,
            n=o.n,
            engine=self.engine.name,
            model=self.model,
        )
        if self.mode == "batch":
            return [EditRequest(images=[im.data], **common) for im in self.images]
        return [EditRequest(images=[im.data for im in self.images], **common)]


def error_status(e: Exception) -> int:
    """The HTTP status for an error raised while preparing or running an edit."""
    status = getattr(e, "status", None)  # ApiError, and engine errors that know theirs
    if isinstance(e, RetouchError) and isinstance(status, int) and 400 <= status < 600:
        return status
    if isinstance(e, EngineError):
        return 500
    if isinstance(e, ImageTooLargeError | RetouchError):
        return 400
    return 500


def error_headers(e: Exception) -> dict[str, str]:
    headers = dict(getattr(e, "headers", None) or {})
    retry_after = getattr(e, "retry_after", None)
    if isinstance(retry_after, int | float) and retry_after > 0:
        headers["retry-after"] = str(max(1, round(retry_after)))
    return headers


def error_body(e: Exception) -> dict[str, Any]:
    """OpenAI's error object for `e` (internal errors say nothing of their insides)."""
    status = error_status(e)
    # (an ApiError's message is written for the client, whatever its status)
    if isinstance(e, ApiError) or (isinstance(e, RetouchError) and status < 500):
        message = with_hint(e, "http")
        if isinstance(e, UnsupportedInstruction) and e.fragment and e.fragment not in message:
            message = f"{message} (could not do: “{e.fragment}”)"
        body: dict[str, Any] = {
            "message": message,
            "type": getattr(e, "type", "invalid_request_error"),
            "param": e.param,
            "code": e.code,
        }
        if isinstance(e, UnsupportedInstruction):
            body["fragment"] = e.fragment
            body["engine_hint"] = e.engine_hint
            body["reason"] = e.kind or None
        return body
    if isinstance(e, EngineError):
        return {"message": e.message, "type": "server_error", "param": e.param, "code": e.code}
    return {
        "message": "The server had an error while processing the request.",
        "type": "server_error",
        "param": None,
        "code": "internal_error",
    }


def sum_usage(results: list[EditResult]) -> Usage:
    u = Usage()
    for r in results:
        u.input_tokens += r.usage.input_tokens
        u.input_image_tokens += r.usage.input_image_tokens
        u.input_text_tokens += r.usage.input_text_tokens
        u.output_tokens += r.usage.output_tokens
    return u


def usage_dict(u: Usage) -> dict[str, Any]:
    """OpenAI's usage object."""
    return {
        "input_tokens": u.input_tokens,
        "output_tokens": u.output_tokens,
        "total_tokens": u.total_tokens,
        "input_tokens_details": {"image_tokens": u.input_image_tokens, "text_tokens": u.input_text_tokens},
    }


class EditService:
    #: Seconds a key refused a hold (402/429) takes its holds before the engine runs again.
    REFUSAL_MEMORY_S = 60.0

    def __init__(self, settings: ServiceSettings, db: Database, ledger: Ledger, pricing: Pricing) -> None:
        self.settings = settings
        self.db = db
        self.ledger = ledger
        self.pricing = pricing
        self.terminal_hooks: list[TerminalHook] = []
        #: whether this process's workers run an engine (set by the container from worker_engines)
        self.runs_here: Callable[[str], bool] = lambda engine: True
        self._refused: dict[str, float] = {}  # key id -> monotonic time of its last refused hold

    def may_hold_during_run(self, principal: Principal, spec: EditSpec) -> bool:
        """Whether an inline edit may take its hold while the engine runs rather than before:
        only on local engines (their work costs CPU, never money) and for keys not refused a
        hold lately, so that a key without credits cannot keep the engine busy."""
        if spec.engine.capabilities.generative:
            return False
        refused = self._refused.get(principal.key_id)
        return refused is None or time.monotonic() - refused > self.REFUSAL_MEMORY_S

    def _remember_refusal(self, key_id: str) -> None:
        if len(self._refused) > 10_000:
            cutoff = time.monotonic() - self.REFUSAL_MEMORY_S
            self._refused = {k: t for k, t in self._refused.items() if t > cutoff}
        self._refused[key_id] = time.monotonic()

    # ---- before anything is held

    def prepare(
        self, options: EditOptions, images: list[ImageInput], mask: ImageInput | None, mode: Mode = "edit"
    ) -> EditSpec:
        """Check the request as a whole and price it."""
        if not images:
            raise ApiError(
                400, "Missing required parameter: 'image'.", code="missing_required_parameter", param="image"
            )
        if len(images) > self.settings.max_images:
            raise invalid(f"Too many images: {len(images)}; at most {self.settings.max_images}.", "image")
        prompt = options.prompt
        if not prompt.strip() and options.consistency is None and options.plan is None:
            raise invalid("The prompt is empty.", "prompt")
        if len(prompt) > self.settings.max_prompt_chars:
            raise invalid(
                f"The prompt is {len(prompt)} characters; at most {self.settings.max_prompt_chars}.",
                "prompt",
                code="string_above_max_length",
            )
        if options.background == "transparent" and options.output_format == "jpeg":
            raise invalid(
                "background=transparent needs output_format png or webp (jpeg has no alpha).", "background"
            )
        if options.output_compression is not None and options.output_format == "png":
            # OpenAI accepts and ignores it for png; so do we (PNG is lossless).
            pass
        if mode == "edit" and mask is not None and mask.size not in (images[0].size, images[0].size[::-1]):
            # (either orientation: only the engine, which applies EXIF, knows which one is right)
            raise invalid(
                f"The mask is {mask.width}x{mask.height} but the image is {images[0].width}x{images[0].height}; "
                "they must be the same size.",
                "mask",
                code="invalid_mask",
            )
        if mode == "batch" and mask is not None and len({im.size for im in images}) > 1:
            raise invalid(
                "In batch mode a mask applies to every image, so all images must have its size.", "mask"
            )
        engine, model = resolve_model(options.model)
        consistency, instruction = read_request(
            options, mode, images=len(images), has_mask=mask is not None, engine=engine.name
        )
        plan = self._read_plan(
            options, engine, model, n_images=1 if mode == "batch" else len(images), mask=mask, consistent=consistency
        )
        firsts = images if mode == "batch" else images[:1]
        sizes = [self._output_size(options.size, im) for im in firsts]
        quotes = []
        for im, out in zip(firsts, sizes, strict=True):
            inputs = [im.size] if mode == "batch" else [x.size for x in images]
            quotes.append(self.pricing.quote(model, inputs, prompt, out, options.quality, options.n))
        usage = sum_usage_quotes(quotes)
        quote = Quote(model=model, usage=usage, credits=sum(q.credits for q in quotes))
        return EditSpec(
            options=options,
            images=images,
            mask=mask,
            mode=mode,
            engine=engine,
            model=model,
            quote=quote,
            output_sizes=sizes,
            consistency=consistency,
            instruction=instruction,
            plan=plan,
        )

    @staticmethod
    def _read_plan(
        options: EditOptions,
        engine: Engine,
        model: str,
        *,
        n_images: int,
        mask: ImageInput | None,
        consistent: ConsistencyRequest | None,
    ) -> EditPlan | None:
        """The request's `plan`, checked against the op spec (400 with param `plan` naming the step)."""
        if options.plan is None:
            return None
        if not takes_plan(engine):
            if not options.prompt.strip():
                raise invalid(
                    f"The prompt is empty: model '{model}' needs a prompt (a plan runs on retouch-builtin only).",
                    "prompt",
                )
            raise invalid(f"A plan runs on retouch-builtin only; model '{model}' follows the prompt.", "plan")
        if consistent is not None:
            raise invalid("A plan cannot be combined with 'consistency' (nor its words in the prompt).", "plan")
        try:
            plan = load_plan(options.plan, n_images=n_images, has_mask=mask is not None)
        except PlanError as e:
            message = e.message.removeprefix("plan ")
            raise invalid(f"Invalid value for 'plan': {message}.", "plan", code="invalid_plan") from None
        options.plan = plan.model_dump(mode="json")  # stored on the job as read
        return plan

    @staticmethod
    def _output_size(size: str, first: ImageInput) -> tuple[int, int]:
        from ..imaging import parse_size

        try:
            target = parse_size(size)
        except RetouchError as e:
            raise invalid(f"Invalid value for 'size': {e.message}.", "size") from None
        return target or first.size

    def check_runnable(self, spec: EditSpec) -> None:
        """503 engine_unavailable before anything is held when the engine cannot run here. Only
        where this process's workers run the engine: a cluster node that hands the job to other
        machines leaves the question to them (an edit relayed to workers asks whether any live
        one runs it; a queued job waits for one, see `recovery.UnservedJobs`)."""
        if self.runs_here(spec.engine.name):
            check_ready(spec.engine, spec.model)

    @staticmethod
    def check_plan(spec: EditSpec) -> None:
        """Refuse an instruction the engine cannot do before anything is held or streamed."""
        if spec.plan is not None:
            return  # checked against the op spec in prepare
        if spec.consistency is not None and not spec.instruction.strip():
            return  # only the consistency pass: nothing to plan
        spec.engine.plan(
            spec.instruction if spec.consistency is not None else spec.options.prompt,
            n_images=1 if spec.mode == "batch" else len(spec.images),
            has_mask=spec.mask is not None,
        )

    # ---- hold

    def open_job(
        self,
        principal: Principal,
        spec: EditSpec,
        *,
        origin: str,
        worker_id: str | None = None,
        inputs: list[str] | None = None,
        mask: str | None = None,
        webhook_url: str | None = None,
        meta: dict[str, Any] | None = None,
        job_id: str | None = None,
    ) -> Job:
        """Insert the job and hold its estimate in one transaction (429 over the concurrency
        limit, 402 without enough credits)."""
        tier = self.settings.tier(principal.tier)
        t = now()
        job = Job(
            id=job_id or new_id("job_"),
            account_id=principal.account_id,
            key_id=principal.key_id,
            origin=origin,
            mode=spec.mode,
            model=spec.model,
            params=spec.options.model_dump(mode="json"),
            inputs=inputs or [],
            mask=mask,
            webhook_url=webhook_url,
            meta=meta or {},
            estimate_credits=spec.quote.credits,
            usage=usage_dict(spec.quote.usage),
            created_at=t,
            status=JobStatus.RUNNING if origin == Origin.INLINE else JobStatus.QUEUED,
            engine=spec.engine.name,
            worker_id=worker_id if origin == Origin.INLINE else None,
            started_at=t if origin == Origin.INLINE else None,
            heartbeat_at=t if origin == Origin.INLINE else None,
            attempts=1 if origin == Origin.INLINE else 0,
            # every column given: the row is inserted with Core, and callers read this object
            priority=0,
            progress=0.0,
            stage="",
            charged_credits=0,
            result={},
            error=None,
            cancel_requested=False,
            finished_at=None,
        )
        with self.db.write() as s:
            # Core statements on the session's connection: on every request's path, and the ORM's
            # unit of work and bulk paths cost more than the statements themselves.
            conn = s.connection()
            if tier.concurrent_jobs > 0:
                active = conn.scalar(_ACTIVE_JOBS_OF_KEY, {"key": principal.key_id}) or 0
                if active >= tier.concurrent_jobs:
                    self._remember_refusal(principal.key_id)
                    raise ApiError(
                        429,
                        f"Too many concurrent jobs for this key: limit {tier.concurrent_jobs}.",
                        code="concurrency_limit_exceeded",
                        headers={"retry-after": "1"},
                    )
            values = {c.key: getattr(job, c.key) for c in Job.__table__.columns}
            # (None left out rather than bound: a JSON column would store JSON null, not NULL)
            conn.execute(_INSERT_JOB, {k: v for k, v in values.items() if v is not None})
            if job.status == JobStatus.QUEUED:
                announce(conn, job.engine)
            try:
                self.ledger.hold(
                    s, principal.account_id, spec.quote.credits, job_id=job.id, key_id=principal.key_id
                )
            except InsufficientCredits as e:
                self._remember_refusal(principal.key_id)
                raise ApiError(
                    402,
                    f"Insufficient credits: this request needs {e.needed} credits and "
                    f"{e.available} are available.",
                    code="insufficient_credits",
                ) from None
        return job

    # ---- run

    @staticmethod
    def execute(
        spec: EditSpec, progress: ProgressFn | None = None, cancel: threading.Event | None = None
    ) -> list[EditResult]:
        """Run the engine on each request of the spec (one; or one per image in batch mode),
        stopping at the first failure."""
        return [r for r in _run(spec, progress, cancel, keep_going=False) if isinstance(r, EditResult)]

    @staticmethod
    def execute_each(
        spec: EditSpec, progress: ProgressFn | None = None, cancel: threading.Event | None = None
    ) -> list[EditResult | Exception]:
        """Batch mode: run every request, going on past failures; one result or error per input
        (a cancel still stops the whole run)."""
        return _run(spec, progress, cancel, keep_going=True)

    # ---- settle

    def succeed(
        self,
        job_id: str,
        results: list[EditResult],
        result_doc: dict[str, Any],
        *,
        worker_id: str | None = None,
        also: Callable[[Session], None] | None = None,
    ) -> int:
        """Capture and finish a job; returns the credits charged. Raises AlreadySettled when
        the job is no longer this run's (canceled, recovered elsewhere). `also` runs inside the
        same transaction (the output files' rows, an idempotency record)."""
        usage = sum_usage(results)
        t = now()
        with self.db.write() as s:
            conn = s.connection()  # Core statements, as in open_job
            # Claim the right to settle with the guarded transition: exactly one settlement wins.
            row = transition(
                conn,
                job_id,
                JobStatus.SUCCEEDED,
                frm=(JobStatus.RUNNING,),
                worker_id=worker_id,
                values={
                    "progress": 1.0,
                    "stage": "done",
                    "finished_at": t,
                    "usage": usage_dict(usage),
                    "result": result_doc,
                },
                returning=_SETTLED_FIELDS,
            )
            if row is None:
                raise AlreadySettled(f"job {job_id} is no longer running here")
            account_id, key_id, model, held, cancel_requested, webhook_url = tuple(row)
            if cancel_requested:
                raise JobCanceled(job_id)  # rolls back; the caller ends it as canceled
            # priced per result, as the estimate is (per input in batch mode): the same rounding
            actual = sum(self.pricing.cost(model, r.usage) for r in results)
            charged = self.ledger.capture(s, account_id, job_id=job_id, key_id=key_id, held=held, actual=actual)
            conn.execute(_SET_CHARGED, {"job": job_id, "charged": charged})
            conn.execute(
                _INSERT_USAGE,
                {
                    "account_id": account_id,
                    "key_id": key_id,
                    "job_id": job_id,
                    "model": model,
                    "images": sum(len(r.images) for r in results),
                    "input_text_tokens": usage.input_text_tokens,
                    "input_image_tokens": usage.input_image_tokens,
                    "output_tokens": usage.output_tokens,
                    "credits": charged,
                    "day": day_of(t),
                    "created_at": t,
                },
            )
            if also is not None:
                also(s)
            if webhook_url:
                self._terminal(s, job_id)
        return charged

    def record_progress(self, job_id: str, fraction: float, stage: str) -> None:
        """Progress of a running job, for status reads (throttled by the caller)."""
        with self.db.write() as s:
            s.connection().execute(_PROGRESS, {"job": job_id, "p": fraction, "stage": stage[:100]})

    def finish_unsuccessfully(
        self,
        job_id: str,
        status: str,
        error: dict[str, Any] | None,
        *,
        worker_id: str | None = None,
        only_if_running: bool = True,
    ) -> bool:
        """Fail or cancel a job and release its hold; False if it had already ended (or, with
        `worker_id` and `only_if_running`, is no longer that worker's)."""
        to = JobStatus(status)
        with self.db.write() as s:
            # A conditional UPDATE: it takes the job's row first (so a capture under way is waited
            # for, then seen, never overwritten, and the two cannot deadlock over the account's row;
            # tests/service/test_races.py), and changes nothing when the job has already ended.
            row = transition(
                s.connection(),
                job_id,
                to,
                frm=ACTIVE_STATES,
                worker_id=worker_id if only_if_running else None,
                values={"error": error, "finished_at": now()},
                returning=("id", "account_id", "key_id", "estimate_credits", "webhook_url"),
            )
            if row is None:
                return False
            try:
                with s.begin_nested():  # a savepoint: a duplicate release must not poison the transaction
                    self.ledger.release(
                        s,
                        row.account_id,
                        job_id=job_id,
                        key_id=row.key_id,
                        held=row.estimate_credits,
                        memo=f"hold released: job {to}",
                    )
            except AlreadySettled:
                log.warning("job %s was already settled", job_id)
            if row.webhook_url:
                self._terminal(s, job_id)
        return True

    def _terminal(self, s: Session, job_id: str) -> None:
        job = s.get(Job, job_id, populate_existing=True)
        assert job is not None
        for hook in self.terminal_hooks:
            hook(s, job)


def _run(
    spec: EditSpec, progress: ProgressFn | None, cancel: threading.Event | None, *, keep_going: bool
) -> list[EditResult | Exception]:
    if spec.consistency is not None:
        return run_consistent(
            spec.consistency, spec.instruction, spec.requests(), progress, cancel, lambda: JobCanceled(spec.model)
        )
    o = spec.options
    kwargs: dict[str, Any] = {}
    if takes_options(spec.engine):
        kwargs["options"] = EngineOptions(
            input_fidelity=o.input_fidelity, partial_images=o.partial_images, user=o.user, cancel=cancel
        )
    if spec.plan is not None:
        kwargs["plan"] = spec.plan
    out: list[EditResult | Exception] = []
    reqs = spec.requests()
    for i, req in enumerate(reqs):
        sub = progress
        if progress is not None and len(reqs) > 1:

            def sub(f: float, stage: str, partial: bytes | None, _i: int = i) -> None:
                progress((_i + f) / len(reqs), f"image {_i + 1}/{len(reqs)}: {stage}", partial)

        if cancel is not None and cancel.is_set():
            raise JobCanceled(spec.model)
        try:
            out.append(spec.engine.edit(req, progress=sub, **kwargs))
        except EditCancelled:
            raise JobCanceled(spec.model) from None
        except JobCanceled:
            raise
        except Exception as e:
            if not keep_going:
                raise
            if not isinstance(e, RetouchError):
                log.exception("image %d of a batch failed", i)
            out.append(e)
    return out


def sum_usage_quotes(quotes: list[Quote]) -> Usage:
    u = Usage()
    for q in quotes:
        u.input_tokens += q.usage.input_tokens
        u.input_image_tokens += q.usage.input_image_tokens
        u.input_text_tokens += q.usage.input_text_tokens
        u.output_tokens += q.usage.output_tokens
    return u


def day_of(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d")
