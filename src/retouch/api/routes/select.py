"""POST /v1/images/select (a retouch extension): a point or a box on an image -> a PNG mask of the object."""

from __future__ import annotations

import json
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...service.errors import ApiError, invalid
from ...service.inputs import probe
from ..deps import EditKey, Svc, count_request
from ..forms import read_parts
from ..schemas import ErrorResponse

router = APIRouter(tags=["images"])

_SELECT_FORM = {
    "type": "object",
    "required": ["image"],
    "properties": {
        "image": {"type": "string", "format": "binary", "description": "The image to select in"},
        "point": {"type": "string", "description": "x,y in pixels of the image (EXIF orientation applied)"},
        "box": {"type": "string", "description": "x0,y0,x1,y1 in pixels; give a point or a box"},
        "quality": {"type": "string", "enum": ["low", "medium", "high", "auto"], "default": "auto"},
    },
}


@router.post(
    "/v1/images/select",
    summary="Select the object at a point or in a box (retouch extension)",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "Grayscale PNG mask, white = selected"},
        400: {"model": ErrorResponse},
        401: {"model": ErrorResponse},
        413: {"model": ErrorResponse},
        415: {"model": ErrorResponse},
        429: {"model": ErrorResponse},
    },
    openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": _SELECT_FORM}}}},
)
async def select_object(request: Request, svc: Svc, principal: EditKey) -> Response:
    """A mask (the image's size, white = selected) of the object under `point` or inside `box`.

    Use it as the `mask` of an edit (white marks the area to edit). Free of charge; counts as
    a request against the key's rate limit.
    """
    count_request(request, svc, principal)
    s = svc.settings
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ApiError(415, "Send the request as multipart/form-data.", code="unsupported_media_type")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > 2 * s.max_image_bytes:
        raise ApiError(413, f"The request body is larger than {2 * s.max_image_bytes} bytes.", code="request_too_large")
    parts = await read_parts(request, max_parts=16, max_file_bytes=s.max_image_bytes, files=lambda n: n == "image")
    items: dict[str, bytes | str] = {}
    for part in parts:  # the first part of a name counts
        items.setdefault(part.name, part.data if part.is_file else part.text)
    data = items.get("image")
    if data is None:
        raise invalid("Missing required parameter: 'image'.", "image", code="missing_required_parameter")
    if isinstance(data, str):
        raise invalid("'image' must be a file.", "image", code="invalid_image")
    probe(data, param="image", max_bytes=s.max_image_bytes)
    point, box = _numbers(items.get("point"), "point", 2), _numbers(items.get("box"), "box", 4)
    quality = items.get("quality", "auto")
    if not isinstance(quality, str):
        raise invalid("'quality' must be text.", "quality")

    def run() -> tuple[bytes, int]:
        from ...selecting import mask_png, select

        mask = select(data, point=point, box=box, quality=quality)
        return mask_png(mask), int(mask.sum())

    png, selected = await anyio.to_thread.run_sync(run, limiter=svc.inline_slots)
    return Response(png, media_type="image/png", headers={"x-retouch-selected-pixels": str(selected)})


def _numbers(value: Any, param: str, n: int) -> list[float] | None:
    """'x,y' / '[x, y]' (or 4 numbers for a box) -> floats; None when absent."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid(f"'{param}' must be text: {n} numbers separated by commas.", param)
    text = value.strip()
    try:
        nums = json.loads(text) if text.startswith("[") else [float(v) for v in text.split(",")]
        nums = [float(v) for v in nums]
    except (ValueError, TypeError):
        nums = []
    if len(nums) != n:
        example = "320,240" if n == 2 else "100,80,420,360"
        raise invalid(f"'{param}' must be {n} numbers separated by commas, e.g. {example}.", param)
    return nums
