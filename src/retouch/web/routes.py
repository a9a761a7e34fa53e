"""The web UI's own endpoints under /ui/api: sign-in with a key, the plan of an instruction,
version histories, and zips of batch results. Everything else the page does goes through
the public API (/v1/files, /v1/jobs, /v1/estimates, /v1/balance, /v1/usage)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from .. import __version__
from ..api.deps import SESSION_COOKIE, EditKey, Svc
from ..api.jsontext import StrictJSONRoute
from ..errors import RetouchError
from ..imaging.sizes import MAX_SIDE, MIN_SIDE
from ..service.edits import error_body, error_status
from ..service.errors import ApiError
from ..service.params import Mode
from . import plan as planning
from .history import HistoryStore
from .zipper import build_zip, output_names

#: Bodies are read as the API's are (lone surrogates, NUL, deep nesting: a 400 naming the field).
router = APIRouter(prefix="/ui/api", include_in_schema=False, route_class=StrictJSONRoute)
#: Version images never change (new edits are new versions): cache them for good.
IMMUTABLE = "private, max-age=31536000, immutable"


def history(request: Request) -> HistoryStore:
    return request.app.state.web_history


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=200)


class PlanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(max_length=32000)
    model: str | None = Field(default=None, max_length=200)
    n_images: int = Field(default=1, ge=1, le=16)
    has_mask: bool = False
    mode: Mode = "edit"
    #: The job that made the version being edited: the prompt is then a follow-up to its plan.
    after: str | None = Field(default=None, max_length=100)


class TreeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file_id: str = Field(max_length=40)
    name: str = Field(default="", max_length=300)


class TreeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    selected_id: str | None = Field(default=None, max_length=40)
    name: str | None = Field(default=None, max_length=300)


class VersionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job_id: str = Field(max_length=40)
    parent_id: str | None = Field(default=None, max_length=40)


@router.get("/config")
def config(svc: Svc, _: EditKey) -> dict[str, Any]:
    """What the page needs to set itself up: engines (and why one is not ready), limits."""
    s = svc.settings
    return {
        "version": __version__,
        "engines": planning.engines(),
        "max_images": s.max_images,
        "max_image_bytes": s.max_image_bytes,
        "max_prompt_chars": s.max_prompt_chars,
        "size_range": [MIN_SIDE, MAX_SIDE],
    }


@router.get("/ops")
def ops(_: EditKey, response: Response) -> dict[str, Any]:
    """The op spec (types, ranges, defaults, choices) the plan's controls are built from."""
    response.headers["cache-control"] = "private, max-age=300"
    return planning.op_specs()


@router.post("/session")
def sign_in(body: SessionCreate, svc: Svc) -> Response:
    """Exchange an API key for the same session cookie as the login link: the key itself then
    never has to be kept by the page's script."""
    principal = svc.keys.verify(body.key.strip())
    if principal is None:
        raise ApiError(401, "This API key is not valid (or was revoked).", code="invalid_api_key", param="key")
    resp = JSONResponse({"object": "session", "key_id": principal.key_id})
    resp.set_cookie(
        SESSION_COOKIE,
        svc.keys.session_cookie(principal.key_id),
        httponly=True,
        samesite="strict",
        max_age=30 * 24 * 3600,
        secure=svc.settings.base_url.startswith("https"),
    )
    return resp


@router.delete("/session")
def sign_out() -> Response:
    resp = JSONResponse({"object": "session", "deleted": True})
    resp.delete_cookie(SESSION_COOKIE, samesite="strict")
    return resp


@router.post("/plan")
def explain(body: PlanRequest, principal: EditKey, svc: Svc) -> dict[str, Any]:
    """What the engine understood. An instruction it cannot do is still a 200, with `error` in
    the API's error shape naming the part: the page asks while the user types, and a refusal of
    a half-typed word is an answer, not a failed request (browsers log every 4xx)."""
    empty: dict[str, Any] = {"object": "plan", "model": None, "engine": None, "steps": [], "summary": ""}
    if not body.prompt.strip():
        return empty
    n = 1 if body.mode == "batch" else body.n_images
    try:
        prev = svc.jobs.followups.previous(principal, body.after) if body.after else None
        return planning.explain(
            body.prompt,
            model=body.model,
            n_images=n,
            has_mask=body.has_mask,
            after=prev.plan if prev else None,
            before=prev.before if prev else None,
        )
    except RetouchError as e:
        if error_status(e) >= 500:
            raise
        return {**empty, "error": error_body(e)}


@router.get("/trees")
def list_trees(request: Request, principal: EditKey, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Any:
    return {"object": "list", "data": history(request).list_trees(principal, limit=limit)}


@router.post("/trees", status_code=201)
def create_tree(request: Request, body: TreeCreate, principal: EditKey) -> dict[str, Any]:
    return history(request).create_tree(principal, body.file_id, body.name)


@router.get("/trees/{tree_id}")
def get_tree(request: Request, tree_id: str, principal: EditKey) -> dict[str, Any]:
    return history(request).get_tree(principal, tree_id)


@router.patch("/trees/{tree_id}")
def update_tree(request: Request, tree_id: str, body: TreeUpdate, principal: EditKey) -> dict[str, Any]:
    h = history(request)
    if body.selected_id:
        h.select(principal, tree_id, body.selected_id)
    if body.name is not None:
        h.rename(principal, tree_id, body.name)
    return h.get_tree(principal, tree_id, reconcile=False)


@router.delete("/trees/{tree_id}")
def delete_tree(request: Request, tree_id: str, principal: EditKey) -> dict[str, Any]:
    history(request).delete_tree(principal, tree_id)
    return {"id": tree_id, "object": "tree", "deleted": True}


@router.post("/trees/{tree_id}/versions", status_code=201)
def add_versions(request: Request, tree_id: str, body: VersionCreate, principal: EditKey) -> dict[str, Any]:
    """Record a succeeded edit job's outputs as new versions (idempotent per job)."""
    data = history(request).add_from_job(principal, tree_id, body.job_id, body.parent_id)
    return {"object": "list", "data": data}


@router.get("/versions/{version_id}/{kind}")
def version_image(
    request: Request,
    version_id: str,
    kind: Literal["image", "preview", "thumb"],
    principal: EditKey,
    download: bool = False,
) -> Response:
    data, ctype, name = history(request).image(principal, version_id, kind)
    disposition = "attachment" if download else "inline"
    return Response(
        data,
        media_type=ctype,
        headers={"cache-control": IMMUTABLE, "content-disposition": f'{disposition}; filename="{name}"'},
    )


@router.post("/versions/{version_id}/file")
def version_file(request: Request, version_id: str, principal: EditKey) -> dict[str, Any]:
    """A file id with the version's image: the input of an edit made from it."""
    return {"object": "file_ref", "file_id": history(request).input_file(principal, version_id)}


@router.get("/jobs/{job_id}/zip")
def job_zip(
    job_id: str,
    principal: EditKey,
    svc: Svc,
    name: Annotated[list[str] | None, Query(max_length=16, description="Input file names, in order")] = None,
) -> Response:
    """Every output of a succeeded job (a batch, or an edit with n > 1) as one zip."""
    job = svc.jobs.get(principal, job_id)
    if job.status != "succeeded":
        raise ApiError(409, f"Job '{job_id}' has no result: it is {job.status}.", code="job_not_succeeded")
    images = (job.result or {}).get("images", [])
    names = output_names(images, [n[:300] for n in (name or [])])
    blob = build_zip([(n, svc.files.content(im["file_id"], principal)) for n, im in zip(names, images, strict=True)])
    return Response(
        blob,
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="retouch-{job_id[-8:]}.zip"'},
    )
