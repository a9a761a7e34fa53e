"""POST /v1/images/edits: OpenAI's image edit endpoint, multipart or JSON, plain or streamed."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
import pybase64  # SIMD base64: 40x the standard library's on megabytes of image data
from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from ...schema import EditResult
from ...service.container import Services
from ...service.edits import error_body, sum_usage, usage_dict
from ...service.errors import ApiError, invalid
from ...service.idempotency import IdempotencyStore, Replay, fingerprint, fingerprint_parts, job_pointer
from ...service.inputs import ImageInput, probe
from ...service.keys import Principal
from ...service.models import Job, new_id
from ...service.params import EditOptions, parse_options
from ...service.previews import progressive_previews
from ...service.runner import Outcome, SyncEdit
from ..deps import EditKey, Svc, count_images, count_request
from ..forms import read_parts
from ..jsontext import StrictJSONRoute, loads
from ..schemas import ErrorResponse, ImagesResponse
from ..sse import KEEPALIVE, sse

router = APIRouter(tags=["images"], route_class=StrictJSONRoute)

_IMAGE_FIELD = re.compile(r"^image(\[\d*\])?$")
_OPTION_FIELDS = tuple(EditOptions.model_fields)

# The images may be left out of a follow-up (`after`): it runs on the inputs its job stored.
_IMAGE_EDIT_FORM: dict[str, Any] = {
    "type": "object",
    "required": ["prompt"],
    "anyOf": [{"required": ["image"]}, {"required": ["after"]}],
    "properties": {
        "image": {
            "oneOf": [
                {"type": "string", "format": "binary"},
                {"type": "array", "items": {"type": "string", "format": "binary"}, "maxItems": 16},
            ],
            "description": "One image, or up to 16 as repeated `image[]` parts; the first is edited",
        },
        "mask": {
            "type": "string",
            "format": "binary",
            "description": "PNG whose transparent pixels (alpha 0) mark the area to edit",
        },
        "prompt": {"type": "string", "maxLength": 32000},
        "model": {"type": "string", "default": "retouch-builtin"},
        "n": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1},
        "size": {"type": "string", "default": "auto", "description": "auto | WxH | 1:1 | 2:3 | 3:2"},
        "quality": {"type": "string", "enum": ["low", "medium", "high", "auto"], "default": "auto"},
        "background": {"type": "string", "enum": ["auto", "transparent", "opaque"], "default": "auto"},
        "output_format": {"type": "string", "enum": ["png", "jpeg", "webp"], "default": "png"},
        "output_compression": {"type": "integer", "minimum": 0, "maximum": 100},
        "input_fidelity": {"type": "string", "enum": ["high", "low"]},
        "stream": {"type": "boolean", "default": False},
        "partial_images": {"type": "integer", "minimum": 0, "maximum": 3, "default": 0},
        "response_format": {"type": "string", "enum": ["b64_json", "url"], "default": "b64_json"},
        "user": {"type": "string"},
        "plan": {
            "type": "string",
            "description": "retouch extension: an EditPlan as JSON text (what `retouch explain --json` prints), "
            "run instead of the prompt's plan; the prompt may then be empty (retouch-builtin only)",
        },
        "after": {
            "type": "string",
            "description": "retouch extension: the id of the job whose output is being edited (the "
            "x-retouch-job-id header of its response); the prompt is read as a follow-up to its plan "
            "('a bit less') and the revised plan runs on the image given here, which must be that job's "
            "input, or on the inputs the job stored when no image is given",
        },
    },
}
_IMAGE_REF = {
    "type": "object",
    "properties": {"image_url": {"type": "string"}, "file_id": {"type": "string"}},
}
_IMAGE_EDIT_JSON = {
    "type": "object",
    "required": ["prompt"],
    "anyOf": [{"required": ["images"]}, {"required": ["after"]}],
    "properties": {
        **{k: v for k, v in _IMAGE_EDIT_FORM["properties"].items() if k not in ("image", "mask", "plan")},
        "plan": {
            "type": "object",
            "description": "retouch extension: an EditPlan run instead of the prompt's plan (retouch-builtin only)",
        },
        "images": {
            "type": "array",
            "items": _IMAGE_REF,
            "minItems": 1,
            "maxItems": 16,
            "description": "`image_url` (data URL or http(s) URL) or `file_id`",
        },
        "mask": _IMAGE_REF,
    },
}
OPENAPI_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": _IMAGE_EDIT_FORM},
            "application/json": {"schema": _IMAGE_EDIT_JSON},
        },
    }
}
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 402, 403, 404, 408, 409, 413, 415, 429, 500, 503)
}


Inputs = Callable[[], tuple[list[ImageInput], ImageInput | None]]
PATH = "/v1/images/edits"


@dataclass
class EditBody:
    """What a request body holds: the options, a blocking function that checks (and for URLs
    fetches) the images and the mask, and the fingerprint that Idempotency-Key compares."""

    raw: dict[str, Any]
    inputs: Inputs
    #: Computed only for requests with an Idempotency-Key (hashing megabytes costs milliseconds).
    fingerprint: Callable[[], str]


async def read_edit_body(request: Request, svc: Services, principal: Principal) -> EditBody:
    """A multipart or JSON body; the images are checked later, on a worker thread."""
    s = svc.settings
    ctype = request.headers.get("content-type", "")
    declared = request.headers.get("content-length", "")
    limit = s.max_images * s.max_image_bytes + 2 * s.max_image_bytes
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"The request body is larger than {limit} bytes.", code="request_too_large")
    if ctype.startswith("multipart/form-data"):
        raw: dict[str, Any] = {}
        images: list[tuple[str, bytes]] = []
        mask: bytes | None = None
        parts = await read_parts(
            request, max_parts=s.max_images + 200, max_file_bytes=s.max_image_bytes, files=_is_file_field
        )
        for part in parts:
            name = part.name
            if name == "mask":
                mask = part.data
            elif _IMAGE_FIELD.match(name):
                images.append((f"image[{len(images)}]" if images else "image", part.data))
            elif name in _OPTION_FIELDS:
                raw[name] = part.text
        if len(images) > s.max_images:
            raise invalid(f"Too many images: {len(images)}; at most {s.max_images}.", "image")

        def probed() -> tuple[list[ImageInput], ImageInput | None]:
            ims = [probe(data, param=p, max_bytes=s.max_image_bytes) for p, data in images]
            m = probe(mask, param="mask", max_bytes=s.max_image_bytes) if mask is not None else None
            return ims, m

        def asked() -> str:
            parts = [json.dumps(raw, sort_keys=True).encode(), *(d for _, d in images)]
            return fingerprint_parts(PATH, [*parts, b"mask", mask] if mask is not None else parts)

        return EditBody(raw, probed, asked)
    if ctype.startswith("application/json"):
        data = await request.body()
        body = loads(data)
        if not isinstance(body, dict):
            raise invalid("The JSON body must be an object.", None, code="invalid_json")
        refs = body.get("images")
        if refs is None and "image" in body:
            refs = body["image"] if isinstance(body["image"], list) else [body["image"]]
        if refs is None and body.get("after"):
            refs = []  # a follow-up may run on the inputs its job stored
        elif not isinstance(refs, list) or not refs:
            raise ApiError(
                400,
                "Missing required parameter: 'images'.",
                code="missing_required_parameter",
                param="images",
            )
        if len(refs) > s.max_images:
            raise invalid(f"Too many images: {len(refs)}; at most {s.max_images}.", "images")
        ref_strs = [_ref(r, f"images[{i}]") for i, r in enumerate(refs)]
        mask_ref = _ref(body["mask"], "mask") if body.get("mask") is not None else None
        raw = {k: v for k, v in body.items() if k in _OPTION_FIELDS}

        def resolve() -> tuple[list[ImageInput], ImageInput | None]:
            ims = [
                svc.resolver.resolve(r, param=f"images[{i}]", principal=principal)
                for i, r in enumerate(ref_strs)
            ]
            m = svc.resolver.resolve(mask_ref, param="mask", principal=principal) if mask_ref else None
            return ims, m

        return EditBody(raw, resolve, lambda: fingerprint(PATH, data))
    raise ApiError(
        415, "Send the request as multipart/form-data or application/json.", code="unsupported_media_type"
    )


def _is_file_field(name: str) -> bool:
    return name == "mask" or _IMAGE_FIELD.match(name) is not None


def _ref(value: Any, param: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        ref = value.get("image_url") or value.get("file_id")
        if isinstance(ref, dict):  # {"image_url": {"url": ...}} as in chat messages
            ref = ref.get("url")
        if isinstance(ref, str) and ref:
            return ref
    raise invalid(
        f"'{param}' must be an object with 'image_url' or 'file_id'.", param, code="invalid_image_url"
    )


def images_response(
    svc: Services, results: list[EditResult], file_ids: list[str], created: int
) -> dict[str, Any]:
    """OpenAI's ImagesResponse; `data` holds URLs (when `file_ids` are given), or base64 as
    bytes (see render_images_response)."""
    first = results[0]
    if file_ids:
        data: list[dict[str, Any]] = [
            {"url": svc.settings.base_url + svc.files.signed_path(f, svc.settings.url_ttl_s)}
            for f in file_ids
        ]
    else:
        data = [{"b64_json": pybase64.b64encode(img)} for r in results for img in r.images]
    return {
        "created": created,
        "data": data,
        "background": first.background,
        "output_format": first.output_format,
        "quality": first.quality,
        "size": f"{first.width}x{first.height}",
        "usage": usage_dict(sum_usage(results)),
    }


def stored_images_response(
    svc: Services, principal: Principal, job: Job, response_format: str = "b64_json"
) -> dict[str, Any]:
    """The ImagesResponse of a succeeded job, from its stored outputs (`data` as text)."""
    res = job.result
    images = res.get("images", [])
    if response_format == "url":
        data: list[dict[str, Any]] = [
            {"url": svc.settings.base_url + svc.files.signed_path(im["file_id"], svc.settings.url_ttl_s)}
            for im in images
        ]
    else:
        data = [
            {"b64_json": pybase64.b64encode(svc.files.content(im["file_id"], principal)).decode()}
            for im in images
        ]
    return {
        "created": int(job.finished_at or job.created_at),
        "data": data,
        "background": res.get("background"),
        "output_format": res.get("output_format"),
        "quality": res.get("quality"),
        "size": res.get("size"),
        "usage": job.usage,
    }


@router.post(
    PATH,
    response_model=ImagesResponse,
    responses={
        **ERRORS,
        200: {
            "content": {"text/event-stream": {}},
            "description": "ImagesResponse, or SSE events when stream=true",
        },
    },
    openapi_extra=OPENAPI_BODY,
    summary="Edit images (OpenAI-compatible)",
)
async def create_image_edit(
    request: Request,
    principal: EditKey,
    svc: Svc,
    idempotency_key: Annotated[
        str | None, Header(max_length=255, description="Retry-safe key (Stripe semantics, as on /v1/jobs)")
    ] = None,
) -> Response:
    timing = ServerTiming(request.scope.get("state", {}).get("t0"))
    timing.mark("auth")
    count_request(request, svc, principal)
    body = await read_edit_body(request, svc, principal)
    timing.mark("read")
    options = parse_options(body.raw)
    assert isinstance(options, EditOptions)
    count_images(request, svc, principal, options.n)
    edit_id = new_id("job_")
    record: int | None = None
    if idempotency_key is not None:
        got = await anyio.to_thread.run_sync(
            lambda: svc.idempotency.begin(principal.key_id, idempotency_key, PATH, body.fingerprint(), job_id=edit_id)
        )
        if isinstance(got, Replay):
            return await replay_edit(svc, principal, got)
        record = got
    try:
        return await run_edit(request, svc, principal, options, body, edit_id, record, timing)
    except BaseException:
        if record is not None:
            await anyio.to_thread.run_sync(svc.idempotency.abandon, record)
        raise


async def run_edit(
    request: Request,
    svc: Services,
    principal: Principal,
    options: EditOptions,
    body: EditBody,
    edit_id: str,
    record: int | None,
    timing: ServerTiming,
) -> Response:
    if not svc.workers.runs(engine_name(options)):
        # an API-only node, or one whose workers run other engines: a worker elsewhere does it
        from ..relay import relay_edit

        return await relay_edit(request, svc, principal, options, body, edit_id, record, timing)
    worker_id = f"{svc.settings.node_name}/{svc.boot_id}/inline"
    pointer = job_pointer(edit_id, stream=options.stream)

    def complete(s: Session) -> None:  # with the capture: a retry from now on gets this result
        if record is not None:
            IdempotencyStore.complete_in(s, record, 200, pointer)

    def prepare() -> SyncEdit:
        # one trip to a worker thread for all the blocking preparation
        images, mask = body.inputs()
        images, mask = svc.jobs.followups.apply(principal, options, images, mask)
        spec = svc.edits.prepare(options, images, mask)
        svc.edits.check_runnable(spec)
        if options.stream:
            svc.edits.check_plan(spec)
        timing.mark("prepare")
        edit = SyncEdit(
            edit_id,
            principal,
            spec,
            worker_id,
            meta={"user": options.user} if options.user else {},
            on_settle=complete,
        )
        if options.stream or not svc.edits.may_hold_during_run(principal, spec):
            # (a stream must know the hold stands before its 200 status line goes out)
            svc.runner.hold_before_run(edit)
            timing.mark("hold")
        return edit

    edit = await anyio.to_thread.run_sync(prepare)
    headers = {"x-retouch-job-id": edit_id}
    if options.stream:
        return StreamingResponse(
            stream_edit(svc, edit, record),
            media_type="text/event-stream",
            headers={**headers, "cache-control": "no-cache", "x-accel-buffering": "no"},
        )

    def render(outcome: Outcome) -> bytes:
        file_ids = outcome.file_ids if options.response_format == "url" else []
        return render_images_response(images_response(svc, outcome.results, file_ids, int(time.time())))

    # The client may hang up while its edit runs: then it is not charged (see runner.ClientGone).
    watcher = asyncio.ensure_future(_until_disconnected(request, edit.gone))
    try:
        outcome, rendered = await anyio.to_thread.run_sync(
            svc.runner.run_sync, edit, None, render, limiter=svc_limiter(svc)
        )
    finally:
        watcher.cancel()
    timing.mark("run")
    assert rendered is not None
    headers["x-retouch-credits-charged"] = str(outcome.charged)
    headers["server-timing"] = timing.header(
        engine=outcome.results[0].timings_ms.get("total"), settle=outcome.settle_ms
    )
    return Response(rendered, media_type="application/json", headers=headers)


def engine_name(options: EditOptions) -> str:
    """The engine a request's `model` names (400 when it names none)."""
    from ...service.routing import resolve_model

    return resolve_model(options.model)[0].name


async def _until_disconnected(request: Request, gone: threading.Event) -> None:
    """Set `gone` when the client disconnects (the body has been read: the next message
    the server sends is the disconnect)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            gone.set()
            return


async def replay_edit(svc: Services, principal: Principal, replay: Replay) -> Response:
    """The stored result of an edit sent before with the same Idempotency-Key."""
    doc = json.loads(replay.body or "{}")
    job = await anyio.to_thread.run_sync(svc.jobs.get, principal, doc.get("job_id", ""))
    headers = {
        "idempotent-replayed": "true",
        "x-retouch-job-id": job.id,
        "x-retouch-credits-charged": str(job.charged_credits),
    }
    fmt = job.params.get("response_format", "b64_json")
    response = await anyio.to_thread.run_sync(stored_images_response, svc, principal, job, fmt)
    if not doc.get("stream"):
        return JSONResponse(response, headers=headers)

    async def events() -> AsyncIterator[bytes]:
        for item in response["data"]:
            yield sse(
                "image_edit.completed",
                {
                    "type": "image_edit.completed",
                    **item,
                    "created_at": response["created"],
                    "size": response["size"],
                    "quality": response["quality"],
                    "background": response["background"],
                    "output_format": response["output_format"],
                    "usage": response["usage"],
                },
            )

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={**headers, "cache-control": "no-cache"}
    )


class ServerTiming:
    """Durations of a request's stages for the Server-Timing header (milliseconds)."""

    def __init__(self, start: float | None = None) -> None:
        self._last = start or time.perf_counter()
        self.stages: dict[str, float] = {}

    def mark(self, name: str) -> None:
        t = time.perf_counter()
        self.stages[name] = (t - self._last) * 1000
        self._last = t

    def header(self, **extra: float | None) -> str:
        items = {**self.stages, **{k: v for k, v in extra.items() if v is not None}}
        return ", ".join(f"{k};dur={v:.1f}" for k, v in items.items())


def render_images_response(body: dict[str, Any]) -> bytes:
    """JSON bytes of an ImagesResponse. Base64 needs no escaping, so the (megabytes of) image
    data are spliced in, with one copy, rather than scanned by the JSON encoder."""
    data = body.pop("data")
    pieces = [json.dumps(body, separators=(",", ":"))[:-1].encode(), b',"data":[']
    for i, d in enumerate(data):
        if i:
            pieces.append(b",")
        if "b64_json" in d:
            pieces += [b'{"b64_json":"', d["b64_json"], b'"}']
        else:
            pieces.append(json.dumps(d, separators=(",", ":")).encode())
    pieces.append(b"]}")
    return b"".join(pieces)


def svc_limiter(svc: Services) -> anyio.CapacityLimiter:
    """Sync edits run on at most `workers` threads at once (beyond that they wait their turn)."""
    slots: anyio.CapacityLimiter = svc.inline_slots
    return slots


async def stream_edit(svc: Services, edit: SyncEdit, record: int | None) -> AsyncIterator[bytes]:
    """SSE: `image_edit.partial_image` events, then one `image_edit.completed` per image."""
    o = edit.spec.options
    loop = asyncio.get_running_loop()
    partials: asyncio.Queue[bytes] = asyncio.Queue()

    def progress(fraction: float, stage: str, partial: bytes | None) -> None:
        if partial is not None:
            loop.call_soon_threadsafe(partials.put_nowait, partial)

    task = asyncio.ensure_future(
        anyio.to_thread.run_sync(svc.runner.run_sync, edit, progress, None, limiter=svc_limiter(svc))
    )
    sent = 0

    def partial_event(data: bytes, index: int, size: str = o.size) -> bytes:
        return sse(
            "image_edit.partial_image",
            {
                "type": "image_edit.partial_image",
                "b64_json": pybase64.b64encode(data).decode(),
                "created_at": int(time.time()),
                "size": size,
                "quality": o.quality,
                "background": o.background,
                "output_format": o.output_format,
                "partial_image_index": index,
            },
        )

    try:
        while not task.done():
            getter = asyncio.ensure_future(partials.get())
            done, _ = await asyncio.wait({task, getter}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                if sent < o.partial_images:
                    yield partial_event(getter.result(), sent)
                    sent += 1
            else:
                getter.cancel()
                if not done:
                    yield KEEPALIVE
        try:
            outcome, _ = task.result()
        except Exception as e:  # reported in the stream: the status line is already sent
            if record is not None:
                await anyio.to_thread.run_sync(svc.idempotency.abandon, record)
            yield sse("error", {"type": "error", "error": error_body(e)})
            return
        results = outcome.results
        first = results[0]
        if sent < o.partial_images:
            previews = await anyio.to_thread.run_sync(
                progressive_previews, first.images[0], first.output_format, o.partial_images - sent
            )
            for p in previews:
                yield partial_event(p, sent, f"{first.width}x{first.height}")
                sent += 1
        usage = usage_dict(sum_usage(results))
        size = f"{first.width}x{first.height}"
        for r in results:
            for img in r.images:
                yield sse(
                    "image_edit.completed",
                    {
                        "type": "image_edit.completed",
                        "b64_json": pybase64.b64encode(img).decode(),
                        "created_at": int(time.time()),
                        "size": size,
                        "quality": r.quality,
                        "background": r.background,
                        "output_format": r.output_format,
                        "usage": usage,
                    },
                )
    finally:
        if not task.done():
            # The client went away before the result: the edit stops and is not charged.
            edit.gone.set()
            task.add_done_callback(lambda t: t.exception())
            if record is not None:
                record_id = record
                task.add_done_callback(lambda t: svc.side.submit(svc.idempotency.abandon, record_id))
