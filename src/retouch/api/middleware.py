"""Request id, access log, metrics and rate-limit headers, as one plain ASGI middleware
(no per-request task or body buffering, so streaming responses pass straight through)."""

from __future__ import annotations

import json
import logging
import re
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..service.logs import request_id
from ..service.metrics import Metrics

log = logging.getLogger("retouch.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestContext:
    def __init__(self, app: ASGIApp, metrics: Metrics, *, access_log: bool = True) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

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
                for k, v in (state.get("extra_headers") or {}).items():
                    headers.append((k.encode(), str(v).encode()))
                message["headers"] = headers
            await send(message)

        started = [False]

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                started[0] = True
            await send_wrapper(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            # A bug: log it with the request id and answer in OpenAI's shape, here rather than in
            # Starlette's outermost handler, which re-raises into the server after answering.
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if not started[0]:
                body = json.dumps(
                    {
                        "error": {
                            "message": "The server had an error while processing the request.",
                            "type": "server_error",
                            "param": None,
                            "code": "internal_error",
                        }
                    }
                ).encode()
                await tracking_send(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await tracking_send({"type": "http.response.body", "body": body})
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
