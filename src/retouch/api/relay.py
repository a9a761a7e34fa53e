"""Sync edits on an API-only node (`retouch serve --workers 0`): the edit goes through the queue
to a worker and comes back within the same request, as `Prefer: wait` does for jobs, so that
clients see no difference.

The job is opened with its hold (origin `relayed`) and the request waits for its end through
the event bus (which the cluster's broadcast feeds) with the database as fallback. The rules
of sync edits hold: refused before anything is held when the instruction cannot be done or no
live worker runs the engine (503 `no_worker_available`); a client that hangs up before the
result has its job canceled and is not charged, unless the worker had already settled it (then
the paid result stays retrievable: `GET /v1/jobs/{id}/result`, or the same Idempotency-Key).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import anyio
from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from ..service.container import Services
from ..service.errors import ApiError
from ..service.idempotency import job_pointer
from ..service.keys import Principal
from ..service.models import Job
from ..service.nodes import serves
from ..service.params import EditOptions
from ..service.previews import progressive_previews
from ..service.recovery import no_worker_message
from ..service.runner import CLIENT_GONE_ERROR, ClientGone
from ..service.states import TERMINAL, JobStatus, Origin
from .sse import KEEPALIVE, sse

if TYPE_CHECKING:
    from .routes.images import EditBody, ServerTiming

#: How old an answer to "which engines do live workers run" may be for a sync edit.
OFFERED_MAX_AGE_S = 1.0


async def relay_edit(
    request: Request,
    svc: Services,
    principal: Principal,
    options: EditOptions,
    body: EditBody,
    edit_id: str,
    record: int | None,
    timing: ServerTiming,
) -> Response:
    """Queue the edit for a worker and answer with its result (or its error)."""

    def enqueue() -> Job:
        images, mask = body.inputs()
        images, mask = svc.jobs.followups.apply(principal, options, images, mask)
        spec = svc.edits.prepare(options, images, mask)
        svc.edits.check_plan(spec)  # refused before anything is held, as a stream is
        engine = spec.engine.name
        if not serves(svc.nodes.offered(OFFERED_MAX_AGE_S), engine):
            raise ApiError(
                503,
                f"{no_worker_message(engine)}: this node relays edits to workers and none runs it now. "
                "Nothing was charged; try again later or choose another model.",
                code="no_worker_available",
                param="model",
                headers={"retry-after": "10"},
            )
        timing.mark("prepare")
        job = svc.jobs.enqueue(
            principal,
            spec,
            origin=Origin.RELAYED,
            job_id=edit_id,
            meta={"user": options.user} if options.user else {},
        )
        timing.mark("hold")
        return job

    await anyio.to_thread.run_sync(enqueue)
    headers = {"x-retouch-job-id": edit_id}
    if options.stream:
        return StreamingResponse(
            stream_relayed(svc, principal, options, edit_id),
            media_type="text/event-stream",
            headers={**headers, "cache-control": "no-cache", "x-accel-buffering": "no"},
        )
    gone = asyncio.Event()
    watcher = asyncio.ensure_future(_until_disconnected(request, gone))
    try:
        job = await _wait(svc, edit_id, gone)
    finally:
        watcher.cancel()
    if gone.is_set() and job.status not in TERMINAL:
        await anyio.to_thread.run_sync(svc.jobs.stop, edit_id, dict(CLIENT_GONE_ERROR))
        raise ClientGone(edit_id)
    timing.mark("run")
    response = await anyio.to_thread.run_sync(_answer, svc, principal, job, options, headers, timing)
    if record is not None:  # (a retry finds the succeeded job anyway; this makes it final)
        await anyio.to_thread.run_sync(svc.idempotency.complete, record, 200, job_pointer(edit_id, stream=False))
    return response


async def _until_disconnected(request: Request, gone: asyncio.Event) -> None:
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            gone.set()
            return


async def _wait(svc: Services, job_id: str, gone: asyncio.Event | None = None) -> Job:
    """Until the job ends (or `sync_timeout_s` passes, or the client leaves): its row."""
    deadline = time.monotonic() + svc.settings.sync_timeout_s
    q = svc.bus.subscribe(job_id)
    try:
        while True:
            job = await anyio.to_thread.run_sync(_row, svc, job_id)
            left = deadline - time.monotonic()
            if job.status in TERMINAL or left <= 0 or (gone is not None and gone.is_set()):
                return job
            waiters: set[asyncio.Future[Any]] = {asyncio.ensure_future(q.get())}
            if gone is not None:
                waiters.add(asyncio.ensure_future(gone.wait()))
            # the bus says when it ends; the row is read again at least every second regardless
            _, pending = await asyncio.wait(waiters, timeout=min(left, 1.0), return_when=asyncio.FIRST_COMPLETED)
            for w in pending:
                w.cancel()
    finally:
        svc.bus.unsubscribe(job_id, q)


def _row(svc: Services, job_id: str) -> Job:
    with svc.db.read() as s:
        job = s.get(Job, job_id)
    assert job is not None
    return job


def _answer(
    svc: Services,
    principal: Principal,
    job: Job,
    options: EditOptions,
    headers: dict[str, str],
    timing: ServerTiming,
) -> Response:
    """The ImagesResponse of a succeeded job, or its error as the sync edit would have raised it."""
    from .routes.images import stored_images_response

    if job.status != JobStatus.SUCCEEDED:
        if job.status in TERMINAL:
            raise job_error(job)
        svc.jobs.stop(job.id, {**CLIENT_GONE_ERROR, "code": "timeout", "message": "The edit took too long."})
        raise ApiError(
            504,
            f"The edit did not finish within {svc.settings.sync_timeout_s:g} s; it was canceled and "
            "nothing was charged.",
            code="timeout",
        )
    body = stored_images_response(svc, principal, job, options.response_format)
    if options.response_format == "url":  # presigned by the object store where it can
        urls = svc.files.urls(
            [im["file_id"] for im in job.result.get("images", [])], svc.settings.url_ttl_s, svc.settings.base_url
        )
        body["data"] = [{"url": u} for u in urls.values()]
    headers = {
        **headers,
        "x-retouch-credits-charged": str(job.charged_credits),
        "server-timing": timing.header(engine=(job.result.get("timings_ms") or {}).get("total")),
    }
    return Response(json.dumps(body, separators=(",", ":")), media_type="application/json", headers=headers)


def job_error(job: Job) -> ApiError:
    """The error a failed or canceled job ended with, with the status the edit would have had."""
    e = dict(job.error or {})
    code = str(e.get("code") or "internal_error")
    if job.status == JobStatus.CANCELED:
        return ApiError(409, f"The edit was canceled (POST /v1/jobs/{job.id}/cancel).", code="job_canceled")
    status = (
        400
        if e.get("type") == "invalid_request_error"
        else {"insufficient_credits": 402, "rate_limit_exceeded": 429}.get(
            code, 503 if code in _UNAVAILABLE else 502 if code.startswith("upstream") else 500
        )
    )
    return ApiError(status, str(e.get("message") or "The edit failed."), code=code, param=e.get("param"))


_UNAVAILABLE = ("engine_unavailable", "storage_unavailable", "no_worker_available", "interrupted")


async def stream_relayed(
    svc: Services, principal: Principal, options: EditOptions, job_id: str
) -> AsyncIterator[bytes]:
    """SSE for a relayed edit: keep-alives while it runs, then partial images (progressively
    sharper renders of the result) and one `image_edit.completed` per image."""
    from .routes.images import stored_images_response

    task = asyncio.ensure_future(_wait(svc, job_id))
    try:
        while not task.done():
            done, _ = await asyncio.wait({task}, timeout=15)
            if not done:
                yield KEEPALIVE
        job = task.result()
        if job.status != JobStatus.SUCCEEDED:
            from ..service.edits import error_body

            err = job_error(job) if job.status in TERMINAL else ApiError(504, "The edit took too long.", code="timeout")
            yield sse("error", {"type": "error", "error": error_body(err)})
            return
        body = await anyio.to_thread.run_sync(stored_images_response, svc, principal, job, "b64_json")
        created = int(time.time())
        common = {
            "size": body["size"],
            "quality": body["quality"],
            "background": body["background"],
            "output_format": body["output_format"],
        }
        if options.partial_images:
            import pybase64

            first = pybase64.b64decode(body["data"][0]["b64_json"])
            previews = await anyio.to_thread.run_sync(
                progressive_previews, first, body["output_format"], options.partial_images
            )
            for i, p in enumerate(previews):
                yield sse(
                    "image_edit.partial_image",
                    {
                        "type": "image_edit.partial_image",
                        "b64_json": pybase64.b64encode(p).decode(),
                        "created_at": created,
                        "partial_image_index": i,
                        **common,
                    },
                )
        for item in body["data"]:
            yield sse(
                "image_edit.completed",
                {"type": "image_edit.completed", "b64_json": item["b64_json"], "created_at": created,
                 "usage": body["usage"], **common},
            )
    finally:
        if not task.done():  # the client went away: stop the job (not charged unless already settled)
            task.cancel()
            with contextlib.suppress(Exception):
                await anyio.to_thread.run_sync(svc.jobs.stop, job_id, dict(CLIENT_GONE_ERROR))
