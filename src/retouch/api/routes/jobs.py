"""Async jobs: submit (with `Prefer: wait` and `Idempotency-Key`), status, list, cancel,
result, and an SSE stream of a job's events."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from ...service.errors import ApiError
from ...service.idempotency import Replay, fingerprint
from ...service.jobs import JobCreate
from ...service.queue import TERMINAL
from ...service.states import JobStatus
from ..deps import EditKey, Svc, count_images, count_request
from ..jsontext import StrictJSONRoute
from ..schemas import ErrorResponse, ImagesResponse, JobList, JobView
from ..sse import KEEPALIVE, sse
from .images import stored_images_response

router = APIRouter(tags=["jobs"], route_class=StrictJSONRoute)
ERRORS: dict[int | str, dict[str, Any]] = {
    c: {"model": ErrorResponse} for c in (400, 401, 402, 404, 408, 409, 413, 429, 503)
}
_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d+(?:\.\d+)?)", re.IGNORECASE)


def parse_prefer(prefer: str | None) -> float | None:
    """Seconds to wait from `Prefer: wait=N` (RFC 7240), or None."""
    if not prefer:
        return None
    m = _WAIT.search(prefer)
    return float(m.group(1)) if m else None


@router.post(
    "/v1/jobs",
    status_code=202,
    response_model=JobView,
    responses={**ERRORS, 200: {"model": JobView, "description": "Finished within the wait"}},
)
async def create_job(
    request: Request,
    body: JobCreate,
    principal: EditKey,
    svc: Svc,
    prefer: Annotated[str | None, Header(description="`wait=N`: wait up to N seconds for the result")] = None,
    idempotency_key: Annotated[str | None, Header(description="Retry-safe key (Stripe semantics)")] = None,
) -> Response:
    count_request(request, svc, principal)
    count_images(request, svc, principal, body.n * (len(body.images) if body.mode == "batch" else 1))
    record: int | None = None
    if idempotency_key is not None:
        fp = fingerprint("/v1/jobs", await request.body())
        got = await anyio.to_thread.run_sync(
            svc.idempotency.begin, principal.key_id, idempotency_key, "/v1/jobs", fp
        )
        if isinstance(got, Replay):
            return Response(
                got.body,
                status_code=got.status_code,
                media_type="application/json",
                headers={"idempotent-replayed": "true"},
            )
        record = got
    try:
        job = await anyio.to_thread.run_sync(svc.jobs.submit, principal, body)
    except BaseException:
        if record is not None:
            await anyio.to_thread.run_sync(svc.idempotency.abandon, record)
        raise
    if record is not None:
        snapshot = svc.jobs.view(job, position=await anyio.to_thread.run_sync(svc.queue.position, job.id))
        await anyio.to_thread.run_sync(svc.idempotency.complete, record, 202, json.dumps(snapshot))
    wait = parse_prefer(prefer)
    if wait is None and body.sync_mode:
        wait = svc.settings.sync_timeout_s
    headers = {"location": f"/v1/jobs/{job.id}"}
    if wait:
        job = await svc.jobs.wait(job.id, wait)
        headers["preference-applied"] = f"wait={int(wait) if wait == int(wait) else wait}"
    view = await anyio.to_thread.run_sync(svc.jobs.view_with_position, job)
    return JSONResponse(view, status_code=200 if job.status in TERMINAL else 202, headers=headers)


@router.get("/v1/jobs", response_model=JobList, responses=ERRORS)
def list_jobs(
    principal: EditKey,
    svc: Svc,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(description="Id of the last job of the previous page")] = None,
    status: Annotated[str | None, Query(pattern="^(queued|running|succeeded|failed|canceled)$")] = None,
    all: Annotated[bool, Query(description="Admins: jobs of every account")] = False,
) -> dict[str, Any]:
    rows, more = svc.jobs.list(principal, limit=limit, after=after, status=status, all_accounts=all)
    data = [svc.jobs.view_with_position(j) for j in rows]
    return {
        "object": "list",
        "data": data,
        "has_more": more,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


@router.get("/v1/jobs/{job_id}", response_model=JobView, responses=ERRORS)
def get_job(job_id: str, principal: EditKey, svc: Svc) -> dict[str, Any]:
    return svc.jobs.view_with_position(svc.jobs.get(principal, job_id))


@router.post("/v1/jobs/{job_id}/cancel", response_model=JobView, responses=ERRORS)
def cancel_job(job_id: str, principal: EditKey, svc: Svc) -> dict[str, Any]:
    return svc.jobs.view_with_position(svc.jobs.cancel(principal, job_id))


@router.get("/v1/jobs/{job_id}/result", response_model=ImagesResponse, responses=ERRORS)
def job_result(
    job_id: str,
    principal: EditKey,
    svc: Svc,
    response_format: Annotated[str, Query(pattern="^(b64_json|url)$")] = "b64_json",
) -> dict[str, Any]:
    """The outputs of a succeeded job as an OpenAI ImagesResponse."""
    job = svc.jobs.get(principal, job_id)
    if job.status != JobStatus.SUCCEEDED:
        raise ApiError(409, f"Job '{job_id}' has no result: it is {job.status}.", code="job_not_succeeded")
    return stored_images_response(svc, principal, job, response_format)


@router.get("/v1/jobs/{job_id}/events", responses={**ERRORS, 200: {"content": {"text/event-stream": {}}}})
async def job_events(job_id: str, principal: EditKey, svc: Svc) -> StreamingResponse:
    """SSE: `job.status` now, then `job.progress` while it runs, and one final `job.succeeded`,
    `job.failed` or `job.canceled` carrying the whole job."""
    job = await anyio.to_thread.run_sync(svc.jobs.get, principal, job_id)

    async def events() -> AsyncIterator[bytes]:
        q = svc.bus.subscribe(job_id)
        try:
            current = await anyio.to_thread.run_sync(svc.jobs.view_with_position, job)
            yield sse("job.status", current, event_id=f"{job_id}-0")
            seq = 1
            last = (current["status"], current["progress"], current["queue_position"])
            quiet_since = time.monotonic()
            while current["status"] not in TERMINAL:
                event = None
                with contextlib.suppress(TimeoutError):
                    event = await asyncio.wait_for(q.get(), timeout=1.0)
                if event is not None and event.get("type") == "job.progress":
                    yield sse(
                        "job.progress",
                        {
                            "id": job_id,
                            "status": "running",
                            "progress": event["progress"],
                            "stage": event.get("stage", ""),
                        },
                        event_id=f"{job_id}-{seq}",
                    )
                    seq += 1
                    quiet_since = time.monotonic()
                    continue
                fresh = await anyio.to_thread.run_sync(svc.jobs.get, principal, job_id)
                current = await anyio.to_thread.run_sync(svc.jobs.view_with_position, fresh)
                now_state = (current["status"], current["progress"], current["queue_position"])
                if now_state != last and current["status"] not in TERMINAL:
                    yield sse("job.progress", current, event_id=f"{job_id}-{seq}")
                    seq += 1
                    last = now_state
                    quiet_since = time.monotonic()
                elif time.monotonic() - quiet_since > 15:
                    yield KEEPALIVE
                    quiet_since = time.monotonic()
            yield sse(f"job.{current['status']}", current, event_id=f"{job_id}-{seq}")
        finally:
            svc.bus.unsubscribe(job_id, q)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )
