"""POST /v1/images/edits: OpenAI's image edit endpoint, multipart or JSON, plain or streamed."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pybase64  # SIMD base64: 40x the standard library's on megabytes of image data
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.datastructures import UploadFile

from ...schema import EditResult
from ...service.container import Services
from ...service.edits import EditSpec, error_body, sum_usage, usage_dict
from ...service.errors import ApiError, invalid
from ...service.inputs import CONTENT_TYPES, ImageInput, probe
from ...service.keys import Principal
from ...service.models import Job, new_id
from ...service.params import EditOptions, parse_options
from ...service.previews import progressive_previews
from .. import multipart
from ..deps import EditKey, Svc, count_images, count_request
from ..schemas import ErrorResponse, ImagesResponse
from ..sse import KEEPALIVE, sse

router = APIRouter(tags=["images"])

#: Multipart bodies up to this size are parsed in memory (see api/multipart.py).
FAST_MULTIPART_BYTES = 64 * 1024 * 1024
_IMAGE_FIELD = re.compile(r"^image(\[\d*\])?$")
_OPTION_FIELDS = tuple(EditOptions.model_fields)

_IMAGE_EDIT_FORM: dict[str, Any] = {
    "type": "object",
    "required": ["image", "prompt"],
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
    },
}
_IMAGE_REF = {
    "type": "object",
    "properties": {"image_url": {"type": "string"}, "file_id": {"type": "string"}},
}
_IMAGE_EDIT_JSON = {
    "type": "object",
    "required": ["images", "prompt"],
    "properties": {
        **{k: v for k, v in _IMAGE_EDIT_FORM["properties"].items() if k not in ("image", "mask")},
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
    code: {"model": ErrorResponse} for code in (400, 401, 402, 403, 413, 415, 429, 500)
}


Inputs = Callable[[], tuple[list[ImageInput], ImageInput | None]]


async def read_edit_body(
    request: Request, svc: Services, principal: Principal
) -> tuple[dict[str, Any], Inputs]:
    """Options from a multipart or JSON body, and a blocking function that checks (and for URLs
    fetches) the images and the mask, to be run on a worker thread."""
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
        for name, value in await _form_items(request, declared, s):
            if _IMAGE_FIELD.match(name):
                if not isinstance(value, bytes):
                    raise invalid(f"'{name}' must be a file upload.", name, code="invalid_image")
                images.append((f"image[{len(images)}]" if images else "image", value))
            elif name == "mask":
                if not isinstance(value, bytes):
                    raise invalid("'mask' must be a file upload.", "mask", code="invalid_image")
                mask = value
            elif name in _OPTION_FIELDS and isinstance(value, str):
                raw[name] = value
        if len(images) > s.max_images:
            raise invalid(f"Too many images: {len(images)}; at most {s.max_images}.", "image")

        def probed() -> tuple[list[ImageInput], ImageInput | None]:
            ims = [probe(data, param=p, max_bytes=s.max_image_bytes) for p, data in images]
            m = probe(mask, param="mask", max_bytes=s.max_image_bytes) if mask is not None else None
            return ims, m

        return raw, probed
    if ctype.startswith("application/json"):
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise invalid(
                "We could not parse the JSON body of your request.", None, code="invalid_json"
            ) from None
        if not isinstance(body, dict):
            raise invalid("The JSON body must be an object.", None, code="invalid_json")
        refs = body.get("images")
        if refs is None and "image" in body:
            refs = body["image"] if isinstance(body["image"], list) else [body["image"]]
        if not isinstance(refs, list) or not refs:
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

        return raw, resolve
    raise ApiError(
        415, "Send the request as multipart/form-data or application/json.", code="unsupported_media_type"
    )


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


async def _form_items(request: Request, declared: str, s: Any) -> list[tuple[str, str | bytes]]:
    """(name, text or file bytes) of a multipart body: parsed in memory when it is small enough
    (fast), else streamed by Starlette (spooled to disk)."""
    ctype = request.headers.get("content-type", "")
    if declared.isdigit() and int(declared) <= FAST_MULTIPART_BYTES:
        try:
            parts = multipart.parse(await request.body(), ctype, max_parts=s.max_images + 200)
        except multipart.MultipartError as e:
            raise invalid(f"Could not parse the multipart body: {e}.", None, code="invalid_body") from None
        items: list[tuple[str, str | bytes]] = []
        for p in parts:
            if p.filename is not None or (p.content_type and not p.content_type.startswith("text/")):
                if len(p.data) > s.max_image_bytes:
                    raise _too_large(p.name, len(p.data), s.max_image_bytes)
                items.append((p.name, p.data))
            else:
                items.append((p.name, p.data.decode("utf-8", "replace")))
        return items
    try:
        form = await request.form(max_files=s.max_images + 4, max_fields=200)
    except Exception as e:  # a malformed body is the client's problem
        raise invalid(f"Could not parse the multipart body: {e}", None, code="invalid_body") from None
    out: list[tuple[str, str | bytes]] = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            if value.size is not None and value.size > s.max_image_bytes:
                raise _too_large(name, value.size, s.max_image_bytes)
            out.append((name, await value.read()))
        else:
            out.append((name, value))
    return out


def _too_large(name: str, size: int, limit: int) -> ApiError:
    return ApiError(
        413,
        f"The file for '{name}' is {size} bytes; the limit is {limit} bytes.",
        code="file_too_large",
        param=name,
    )


class InlineEdit:
    """One inline edit: `hold` opens its job row and holds the estimate (before `run`, or during
    it); `run` edits and ends the job either way."""

    def __init__(
        self, svc: Services, principal: Principal, spec: EditSpec, worker_id: str, meta: dict[str, Any]
    ) -> None:
        self.svc = svc
        self.principal = principal
        self.spec = spec
        self.worker_id = worker_id
        self.meta = meta
        self.job_id = new_id("job_")
        self.job: Job | None = None
        self.settle_ms: float | None = None

    def hold(self) -> Job:
        """Open the job and hold its estimate (ApiError 402/429 when refused)."""
        self.job = self.svc.edits.open_job(
            self.principal,
            self.spec,
            origin="inline",
            worker_id=self.worker_id,
            meta=self.meta,
            job_id=self.job_id,
        )
        return self.job

    def run(
        self, progress: Any = None, render: Callable[[list[EditResult], list[str]], bytes] | None = None
    ) -> tuple[list[EditResult], int, list[str], bytes | None]:
        """In a worker thread: hold unless held, edit, store outputs if URLs are wanted, settle.
        Settlement happens here rather than in the request coroutine, so a client that
        disconnects cannot leave the hold open. `render` makes the response body."""
        svc, job_id = self.svc, self.job_id
        t0 = time.monotonic()
        cancel = svc.running.add(job_id, self.worker_id)
        status = "failed"
        try:
            # Without a hold yet, it is taken on a side thread while the engine runs: its
            # database round trip then costs the request nothing. When it is refused, the
            # edit is thrown away and the refusal (402/429) is the answer.
            holding = svc.side.submit(self.hold) if self.job is None else None
            try:
                results = svc.edits.execute(self.spec, progress, cancel)
            except Exception as e:
                if holding is not None:
                    holding.result()  # a refused hold is the answer, whatever the engine said
                svc.edits.finish_unsuccessfully(job_id, "failed", error_body(e), worker_id=self.worker_id)
                raise
            if holding is not None:
                holding.result()
            file_ids: list[str] = []
            if self.spec.options.response_format == "url":
                for r in results:
                    for k, data in enumerate(r.images):
                        f = svc.files.create(
                            self.principal,
                            data,
                            filename=f"{job_id}-{k}.{r.output_format}",
                            purpose="output",
                            content_type=CONTENT_TYPES[r.output_format],
                            job_id=job_id,
                        )
                        file_ids.append(f.id)
            first = results[0]
            doc = {
                "images": [{"file_id": f} for f in file_ids],
                "plan": first.plan.model_dump(mode="json"),
                "size": f"{first.width}x{first.height}",
                "quality": first.quality,
                "background": first.background,
                "output_format": first.output_format,
                "timings_ms": first.timings_ms,
            }
            t = time.perf_counter()
            charged = svc.edits.succeed(job_id, results, doc, worker_id=self.worker_id)
            self.settle_ms = (time.perf_counter() - t) * 1000
            status = "succeeded"
            # Rendered here, on this worker thread, not on the event loop (megabytes of base64);
            # not beside the settlement: both need the GIL, and sharing it slows both.
            return results, charged, file_ids, render(results, file_ids) if render is not None else None
        finally:
            svc.running.remove(job_id)
            svc.metrics.edit_duration.labels(model=self.spec.model, status=status).observe(
                time.monotonic() - t0
            )


def images_response(
    svc: Services, results: list[EditResult], file_ids: list[str], created: int
) -> dict[str, Any]:
    """OpenAI's ImagesResponse; `data` holds URLs, or base64 as bytes (see render_images_response)."""
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


@router.post(
    "/v1/images/edits",
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
async def create_image_edit(request: Request, principal: EditKey, svc: Svc) -> Any:
    timing = ServerTiming(request.scope.get("state", {}).get("t0"))
    timing.mark("auth")
    count_request(request, svc, principal)
    raw, inputs = await read_edit_body(request, svc, principal)
    timing.mark("read")
    options = parse_options(raw)
    assert isinstance(options, EditOptions)
    worker_id = f"{svc.settings.node_name}/{svc.boot_id}/inline"
    meta = {"user": options.user} if options.user else {}

    def prepare() -> InlineEdit:
        # one trip to a worker thread for all the blocking preparation
        images, mask = inputs()
        spec = svc.edits.prepare(options, images, mask)
        count_images(request, svc, principal, spec.output_count)
        if options.stream:
            svc.edits.check_plan(spec)
        timing.mark("prepare")
        edit = InlineEdit(svc, principal, spec, worker_id, meta)
        if options.stream or not svc.edits.may_hold_during_run(principal, spec):
            # (a stream must know the hold stands before its 200 status line goes out)
            edit.hold()
            timing.mark("hold")
        return edit

    edit = await anyio.to_thread.run_sync(prepare)
    headers = {"x-retouch-job-id": edit.job_id}
    if options.stream:
        return StreamingResponse(
            stream_edit(svc, edit),
            media_type="text/event-stream",
            headers={**headers, "cache-control": "no-cache", "x-accel-buffering": "no"},
        )

    def render(results: list[EditResult], file_ids: list[str]) -> bytes:
        return render_images_response(images_response(svc, results, file_ids, int(time.time())))

    results, charged, _, body = await anyio.to_thread.run_sync(
        edit.run, None, render, limiter=svc_limiter(svc)
    )
    timing.mark("run")
    headers["x-retouch-credits-charged"] = str(charged)
    headers["server-timing"] = timing.header(engine=results[0].timings_ms.get("total"), settle=edit.settle_ms)
    return Response(body, media_type="application/json", headers=headers)


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
    """Inline edits run on at most `workers` threads at once (beyond that they wait their turn)."""
    slots: anyio.CapacityLimiter = svc.inline_slots
    return slots


async def stream_edit(svc: Services, edit: InlineEdit) -> AsyncIterator[bytes]:
    """SSE: `image_edit.partial_image` events, then one `image_edit.completed` per image."""
    o = edit.spec.options
    loop = asyncio.get_running_loop()
    partials: asyncio.Queue[bytes] = asyncio.Queue()

    def progress(fraction: float, stage: str, partial: bytes | None) -> None:
        if partial is not None:
            loop.call_soon_threadsafe(partials.put_nowait, partial)

    task = asyncio.ensure_future(anyio.to_thread.run_sync(edit.run, progress, limiter=svc_limiter(svc)))
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
            results, _charged, _file_ids, _ = task.result()
        except Exception as e:  # reported in the stream: the status line is already sent
            yield sse("error", {"type": "error", "error": error_body(e)})
            return
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
            # The client went away: the edit still finishes and settles in its thread.
            task.add_done_callback(lambda t: t.exception())
