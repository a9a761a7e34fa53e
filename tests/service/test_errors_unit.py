"""Error shapes that a real server rarely shows: unhandled bugs become OpenAI-shaped 500s."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from retouch.api import errors
from retouch.api.middleware import RequestContext
from retouch.service.errors import ApiError
from retouch.service.metrics import Metrics


def _app(metrics: Metrics) -> FastAPI:
    app = FastAPI()
    errors.install(app)

    @app.get("/bug")
    def bug() -> None:
        raise RuntimeError("a bug with secrets in it")

    @app.get("/teapot")
    def teapot() -> None:
        raise ApiError(429, "slow down", code="rate_limit_exceeded", headers={"retry-after": "3"})

    app.add_middleware(RequestContext, metrics=metrics, access_log=False)
    return app


def _get(app: FastAPI, path: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await c.get(path)

    return asyncio.run(go())


def test_unhandled_error_is_an_openai_shaped_500() -> None:
    metrics = Metrics()
    r = _get(_app(metrics), "/bug")
    assert r.status_code == 500 and r.headers["x-request-id"].startswith("req_")
    err = r.json()["error"]
    assert err == {
        "message": "The server had an error while processing the request.",
        "type": "server_error",
        "param": None,
        "code": "internal_error",
    }
    assert "secrets" not in r.text
    assert 'retouch_errors_total{code="internal_error",status="500"} 1.0' in metrics.render().decode()


def test_api_error_keeps_status_headers_and_code() -> None:
    metrics = Metrics()
    r = _get(_app(metrics), "/teapot")
    assert r.status_code == 429 and r.headers["retry-after"] == "3"
    assert r.json()["error"]["type"] == "rate_limit_error"
    assert 'retouch_errors_total{code="rate_limit_exceeded",status="429"} 1.0' in metrics.render().decode()


def test_cli_does_not_import_the_server_stack() -> None:
    import subprocess
    import sys

    code = (
        "import sys, retouch.cli; retouch.cli.build_parser(); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'fastapi', 'sqlalchemy', 'uvicorn', 'alembic', 'starlette', 'httpx', 'prometheus_client'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
