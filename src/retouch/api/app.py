"""The FastAPI application: `create_app(settings)` builds services and routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from .. import __version__
from ..service.container import Services, build_services
from ..service.settings import ServiceSettings, load_settings
from . import errors
from .jsontext import SafeJSONResponse
from .middleware import RequestContext
from .routes import admin, billing, files, images, jobs, models, select, system

log = logging.getLogger("retouch.api")

DESCRIPTION = """Self-hosted natural-language image editing.

`POST /v1/images/edits` is OpenAI-compatible: point the official SDKs at this server
(`OpenAI(base_url="http://HOST:PORT/v1", api_key="rt_live_...")`). Async jobs with
webhooks, files, pricing, usage and statements are retouch extensions. Errors always
have OpenAI's shape `{"error": {"message", "type", "param", "code"}}`.
"""


def create_app(
    settings: ServiceSettings | None = None, *, services: Services | None = None, banner: bool = False
) -> FastAPI:
    settings = settings or (services.settings if services else load_settings())
    svc = services or build_services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(svc.start)
        svc.inline_slots = anyio.CapacityLimiter(max(1, settings.workers))
        if banner:
            from ..service.bootstrap import startup_banner

            print(await anyio.to_thread.run_sync(startup_banner, svc), flush=True)
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(svc.stop)

    app = FastAPI(
        title="retouch",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=SafeJSONResponse,
    )
    app.state.services = svc
    errors.install(app)
    for r in (images.router, jobs.router, files.router, models.router, billing.router, admin.router, system.router):
        app.include_router(r)
    app.include_router(select.router)  # POST /v1/images/select (retouch extension)
    app.add_middleware(
        RequestContext,
        metrics=svc.metrics,
        access_log=settings.access_log,
        # 16 images of 50 MB, as base64 in JSON (x4/3), plus room for the other fields
        max_body_bytes=settings.max_images * settings.max_image_bytes * 4 // 3 + (8 << 20),
        body_timeout_s=settings.body_timeout_s,
    )
    if not mount_web_ui(app):
        app.add_api_route("/", system.landing, include_in_schema=False)
    return app


def mount_web_ui(app: FastAPI) -> bool:
    """Serve the web UI at / when it is installed: `retouch.web.mount(app)` (see issue 4)."""
    try:
        from ..web import mount
    except ImportError:
        return False
    mount(app)
    return True
