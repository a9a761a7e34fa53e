"""The Files API: upload inputs, download inputs and outputs (with a key or a signed URL), delete."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from ...service.errors import ApiError
from ...service.inputs import CONTENT_TYPES, probe
from ...service.models import FileObject
from ..deps import EditKey, Svc, _authenticate
from ..jsontext import StrictJSONRoute
from ..schemas import DeletedFile, ErrorResponse, FileList, FileView

router = APIRouter(tags=["files"], route_class=StrictJSONRoute)
ERRORS: dict[int | str, dict[str, Any]] = {
    c: {"model": ErrorResponse} for c in (400, 401, 403, 404, 408, 413, 415, 503)
}


def file_view(f: FileObject) -> dict[str, Any]:
    return {
        "id": f.id,
        "object": "file",
        "bytes": f.bytes,
        "created_at": int(f.created_at),
        "expires_at": int(f.expires_at) if f.expires_at else None,
        "filename": f.filename,
        "purpose": f.purpose,
        "content_type": f.content_type,
    }


@router.post("/v1/files", response_model=FileView, responses=ERRORS)
async def upload_file(
    file: Annotated[UploadFile, File(description="An image (png, jpeg, webp, gif, tiff, bmp)")],
    principal: EditKey,
    svc: Svc,
    purpose: Annotated[str, Form(pattern="^(input|vision|user_data)$")] = "input",
) -> dict[str, Any]:
    limit = svc.settings.max_image_bytes
    if file.size is not None and file.size > limit:
        raise ApiError(
            413,
            f"The file is {file.size} bytes; the limit is {limit} bytes.",
            code="file_too_large",
            param="file",
        )
    data = await file.read()
    im = await anyio.to_thread.run_sync(lambda: probe(data, param="file", max_bytes=limit))
    f = await anyio.to_thread.run_sync(
        lambda: svc.files.create(
            principal,
            data,
            filename=file.filename or f"upload.{im.format}",
            purpose=purpose,
            content_type=CONTENT_TYPES[im.format],
        )
    )
    return file_view(f)


@router.get("/v1/files", response_model=FileList, responses=ERRORS)
def list_files(
    principal: EditKey,
    svc: Svc,
    purpose: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [file_view(f) for f in svc.files.list(principal, purpose=purpose, limit=limit)],
    }


@router.get("/v1/files/{file_id}", response_model=FileView, responses=ERRORS)
def get_file(file_id: str, principal: EditKey, svc: Svc) -> dict[str, Any]:
    return file_view(svc.files.get(file_id, principal))


@router.get("/v1/files/{file_id}/content", responses={**ERRORS, 200: {"content": {"image/*": {}}}})
def file_content(
    request: Request,
    file_id: str,
    svc: Svc,
    expires: Annotated[int | None, Query(description="Signed URL: expiry (Unix seconds)")] = None,
    signature: Annotated[str | None, Query(max_length=100, description="Signed URL: signature")] = None,
) -> Response:
    """With an API key, or without one through a signed, expiring URL."""
    if expires is not None and signature is not None:
        if not svc.files.verify_signature(file_id, expires, signature):
            raise ApiError(403, "This link is invalid or has expired.", code="invalid_signature")
        owner = None
    else:
        owner = _authenticate(request, svc)
    f = svc.files.get(file_id, owner)
    data = svc.files.content(file_id, owner)
    return Response(
        data,
        media_type=f.content_type,
        headers={
            "cache-control": "private, max-age=300",
            "content-disposition": f'inline; filename="{f.filename}"',
        },
    )


@router.delete("/v1/files/{file_id}", response_model=DeletedFile, responses=ERRORS)
def delete_file(file_id: str, principal: EditKey, svc: Svc) -> dict[str, Any]:
    svc.files.delete(file_id, principal)
    return {"id": file_id, "object": "file", "deleted": True}
