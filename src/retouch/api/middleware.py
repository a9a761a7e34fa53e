"""Request id, access log, metrics, rate-limit headers and the request body's limits (size,
and the longest pause while it arrives), as one plain ASGI middleware (no per-request task
or body buffering, so streaming responses pass straight through)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..service.errors import ApiError
from ..service.logs import request_id
from ..service.metrics import Metrics
from .errors import EdgeError

log = logging.getLogger("retouch.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestContext:
    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        *,
        access_log: bool = True,
        max_body_bytes: int | None = None,
        body_timeout_s: float | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log
        self.max_body_bytes = max_body_bytes
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _SAFE_ID.match(incoming) else "req_" + secrets.token_hex(12)
        token = request_id.set(rid)
        state = scope.setdefault("state", {})
        t0 = time.perf_counter()
        state["t0"] = t0
        status = [500]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                # OpenAI's header: server time until the response starts.
                ms = round((time.perf_counter() - t0) * 1000)
                headers.append((b"openai-processing-ms", str(ms).encode()))
                present = {k.lower() for k, _ in headers}
                for k, v in (state.get("extra_headers") or {}).items():
                    if k.encode().lower() not in present:  # an error's own x-ratelimit-* win
                        headers.append((k.encode(), str(v).encode()))
                message["headers"] = headers
            await send(message)

        started = [False]

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                started[0] = True
            await send_wrapper(message)

        try:
            await self.app(scope, self._guarded(scope, receive), tracking_send)
        except EdgeError as e:  # raised by the body guard outside any route's error handling
            state["error_code"] = e.error.code
            if not started[0]:
                await self._error(tracking_send, e.error.status, {
                    "message": e.error.message, "type": e.error.type, "param": e.error.param, "code": e.error.code,
                })
        except Exception:
            # A bug: log it with the request id and answer in OpenAI's shape, here rather than in
            # Starlette's outermost handler, which re-raises into the server after answering.
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if not started[0]:
                await self._error(tracking_send, 500, {
                    "message": "The server had an error while processing the request.",
                    "type": "server_error",
                    "param": None,
                    "code": "internal_error",
                })
        finally:
            elapsed = time.perf_counter() - t0
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method=method, route=route, status=str(status[0])).inc()
            self.metrics.latency.labels(method=method, route=route).observe(elapsed)
            if status[0] >= 400:
                code = state.get("error_code") or ("internal_error" if status[0] >= 500 else "")
                self.metrics.errors.labels(status=str(status[0]), code=code).inc()
            if self.access_log and route not in ("/healthz", "/metrics"):
                log.info(
                    "%s %s %d",
                    method,
                    scope["path"],
                    status[0],
                    extra={
                        "method": method,
                        "path": scope["path"],
                        "status": status[0],
                        "duration_ms": round(elapsed * 1000, 1),
                        "key_id": state.get("key_id"),
                    },
                )
            request_id.reset(token)

    @staticmethod
    async def _error(send: Send, status: int, error: dict[str, object]) -> None:
        body = json.dumps({"error": error}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _guarded(self, scope: Scope, receive: Receive) -> Receive:
        """`receive`, refusing a body over max_body_bytes (413) and one that stalls for
        body_timeout_s (408) while it arrives; after the body it passes messages through."""
        limit, timeout = self.max_body_bytes, self.body_timeout_s
        if limit is None and timeout is None:
            return receive
        declared = dict(scope["headers"]).get(b"content-length", b"")
        received = 0
        done = False

        def too_large() -> EdgeError:
            return EdgeError(ApiError(413, f"The request body is larger than {limit} bytes.", code="request_too_large"))

        async def guarded() -> Message:
            nonlocal received, done
            if done:
                return await receive()
            if limit is not None and declared.isdigit() and int(declared) > limit:
                raise too_large()
            try:
                async with asyncio.timeout(timeout):
                    message = await receive()
            except TimeoutError:
                raise EdgeError(
                    ApiError(
                        408,
                        f"The request body stopped arriving: nothing came for {timeout:g} seconds.",
                        code="request_timeout",
                    )
                ) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if limit is not None and received > limit:
                    raise too_large()
                done = not message.get("more_body", False)
            else:
                done = True
            return message

        return guarded
