"""Dependencies: the services, the authenticated principal, rate limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import anyio
from fastapi import Depends, Request

from ..service.container import Services
from ..service.errors import ApiError
from ..service.keys import Principal

SESSION_COOKIE = "retouch_session"


async def services(request: Request) -> Services:
    # async: a plain lookup needs no trip through the thread pool
    svc: Services = request.app.state.services
    return svc


def add_headers(request: Request, headers: dict[str, str]) -> None:
    """Headers the middleware adds to whatever response this request ends with."""
    request.scope.setdefault("state", {}).setdefault("extra_headers", {}).update(headers)


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _authenticate(request: Request, svc: Services) -> Principal:
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(
                401, "The Authorization header must be 'Bearer YOUR_API_KEY'.", code="invalid_api_key"
            )
        p = svc.keys.verify(token)
        if p is None:
            shown = token[:10] + "*" * 4 + token[-4:] if len(token) > 16 else "****"
            raise ApiError(
                401,
                f"Incorrect API key provided: {shown}. Create keys with `retouch keys create`.",
                code="invalid_api_key",
            )
        return p
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        p = svc.keys.verify_session_cookie(cookie)
        if p is not None:
            return p
    raise ApiError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization "
        "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        code="missing_api_key",
    )


def require(scope: str = "edit") -> Callable[..., Awaitable[Principal]]:
    """A dependency giving the caller's principal, which must have `scope`."""

    async def dep(request: Request, svc: Annotated[Services, Depends(services)]) -> Principal:
        token = _bearer(request)
        p = svc.keys.cached(token) if token else None
        if p is None:  # the database read runs on a worker thread
            p = await anyio.to_thread.run_sync(_authenticate, request, svc)
        request.scope.setdefault("state", {})["key_id"] = p.key_id
        if not p.can(scope):
            raise ApiError(403, f"This API key lacks the '{scope}' scope.", code="insufficient_scope")
        return p

    return dep


def count_request(request: Request, svc: Services, principal: Principal) -> None:
    """Count a unit of work against requests/min (raises 429) and report the window."""
    headers = svc.limiter.hit(principal.key_id, svc.settings.tier(principal.tier), kind="requests")
    headers.update(svc.limiter.peek(principal.key_id, svc.settings.tier(principal.tier), "images"))
    add_headers(request, headers)


def count_images(request: Request, svc: Services, principal: Principal, n: int) -> None:
    headers = svc.limiter.hit(principal.key_id, svc.settings.tier(principal.tier), kind="images", amount=n)
    add_headers(request, headers)


Svc = Annotated[Services, Depends(services)]
EditKey = Annotated[Principal, Depends(require("edit"))]
AdminKey = Annotated[Principal, Depends(require("admin"))]
