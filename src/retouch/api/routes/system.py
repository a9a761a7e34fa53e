"""Health, readiness, metrics, the login link, and the landing page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from ...service.errors import ApiError
from ..deps import SESSION_COOKIE, Svc
from ..jsontext import StrictJSONRoute

router = APIRouter(tags=["system"], route_class=StrictJSONRoute)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(svc: Svc) -> Response:
    """Ready to serve: database reachable, file storage writable, Redis reachable (where
    configured), workers alive (none on an API-only node), default engine ready."""
    from ...service.routing import resolve_model

    checks = svc.check()
    alive, started = svc.workers.alive()
    if svc.settings.workers > 0:
        checks["workers"] = "ok" if alive == started and alive else f"{alive} of {started} alive"
    try:
        ok, why = resolve_model(None)[0].ready()
        checks["engine"] = "ok" if ok else why
    except Exception as e:  # readiness reports, it does not crash
        checks["engine"] = f"error: {type(e).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
    )


@router.get("/metrics", include_in_schema=False)
def metrics(svc: Svc) -> Response:
    return Response(svc.metrics.render(), media_type=CONTENT_TYPE_LATEST)


@router.get("/login", include_in_schema=False)
def login(token: Annotated[str, Query(max_length=200)], svc: Svc) -> Response:
    """Exchange a one-time login token (printed by `retouch serve`) for a session cookie."""
    key_id = svc.keys.redeem_login_token(token)
    if key_id is None:
        raise ApiError(
            401,
            "This login link is invalid, expired or already used; restart `retouch serve` "
            "for a new one, or use an API key.",
            code="invalid_login_token",
        )
    resp = RedirectResponse("/", status_code=303)
    resp.set_cookie(
        SESSION_COOKIE,
        svc.keys.session_cookie(key_id),
        httponly=True,
        samesite="strict",
        max_age=30 * 24 * 3600,
        secure=svc.settings.base_url.startswith("https"),
    )
    return resp


def landing() -> HTMLResponse:
    """`/` when the web UI is not installed (see create_app)."""
    return HTMLResponse(
        "<!doctype html><title>retouch</title><h1>retouch</h1>"
        "<p>The API is running. See <a href='/docs'>/docs</a>.</p>"
    )
