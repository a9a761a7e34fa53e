"""The web UI: a single-page editor served at `/` by `retouch serve`.

`mount(app)` (called by `retouch.api.app.create_app`) adds the page, its static assets
(plain ES modules and CSS under `static/`, no build step) and the UI's own endpoints
under `/ui/api`; the page uses the public API for everything else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from ..api.deps import Svc

STATIC = Path(__file__).with_name("static")

#: The page loads nothing from elsewhere (no CDN, no fonts): the policy says so and enforces it.
CSP = (
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def index() -> Response:
    return FileResponse(
        STATIC / "index.html",
        media_type="text/html",
        headers={
            "cache-control": "no-cache",
            "content-security-policy": CSP,
            "x-content-type-options": "nosniff",
            "referrer-policy": "same-origin",
        },
    )


def login(request: Request, svc: Svc, token: str = "") -> Response:
    """The one-time login link: the API's session cookie; a used link sends a browser to the
    sign-in page, which says why (other clients get the API's 401)."""
    from ..api.routes.system import login as api_login
    from ..service.errors import ApiError

    try:
        return api_login(token[:200], svc)
    except ApiError:
        if "text/html" not in request.headers.get("accept", ""):
            raise
        return RedirectResponse("/?signin=link-used", status_code=303)


def mount(app: FastAPI) -> None:
    from .history import HistoryStore
    from .routes import router

    svc = app.state.services
    app.state.web_history = HistoryStore(svc.db, svc.files.blobs, svc.files, svc.jobs)
    # The editor at /, and a login link that lands on the editor's sign-in when it is used up
    # (not on a JSON error page). They go first: the first route that matches a path wins, so
    # they stand in for the API's own, however its routers are included.
    before = len(app.router.routes)
    app.add_api_route("/", index, methods=["GET"], include_in_schema=False)
    app.add_api_route("/login", login, methods=["GET"], include_in_schema=False)
    ours = app.router.routes[before:]
    app.router.routes[:] = ours + app.router.routes[:before]
    app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    _migrate_on_start(app)


def _migrate_on_start(app: FastAPI) -> None:
    """Run the web tables' migrations after the service has started (and migrated its own)."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        async with inner(a) as state:
            from .migrate import upgrade

            await anyio.to_thread.run_sync(upgrade, a.state.services.db)
            yield state

    app.router.lifespan_context = lifespan
