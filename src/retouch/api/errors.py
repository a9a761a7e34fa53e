"""Every error leaves the server in OpenAI's shape: {"error": {message, type, param, code}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import RetouchError
from ..service.edits import error_body, error_headers, error_status
from ..service.errors import ApiError

log = logging.getLogger("retouch.api")

#: `code` of the HTTP errors that Starlette or FastAPI raise themselves.
HTTP_CODES = {
    404: "unknown_url",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "request_too_large",
    415: "unsupported_media_type",
}


class EdgeError(StarletteHTTPException):
    """An ApiError raised where only HTTPExceptions pass (FastAPI's body parsing, the ASGI
    receive channel), rendered like any ApiError."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.status, error.message, headers=error.headers or None)
        self.error = error


def error_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def response_for(e: Exception) -> JSONResponse:
    return error_response(error_status(e), error_body(e), error_headers(e) or None)


def note_code(request: Request, code: str | None) -> None:
    """Tell the middleware the error code, for the retouch_errors_total metric."""
    request.scope.setdefault("state", {})["error_code"] = code or ""


def install(app: FastAPI) -> None:
    @app.exception_handler(RetouchError)
    async def _retouch(request: Request, e: RetouchError) -> JSONResponse:
        note_code(request, e.code)
        return response_for(e)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, e: RequestValidationError) -> JSONResponse:
        err = e.errors()[0] if e.errors() else {}
        loc = [
            str(x)
            for x in err.get("loc", ())
            if x not in ("body", "query", "path", "header") and not isinstance(x, int)
        ]
        param = loc[0] if loc else None
        if err.get("type") == "json_invalid":
            msg, code, param = "We could not parse the JSON body of your request.", "invalid_json", None
        elif err.get("type") == "missing":
            msg, code = f"Missing required parameter: '{'.'.join(loc)}'.", "missing_required_parameter"
        else:
            msg, code = (
                f"Invalid value for '{'.'.join(loc) or 'body'}': {err.get('msg', 'invalid')}.",
                "invalid_value",
            )
        note_code(request, code)
        return error_response(
            400, {"message": msg, "type": "invalid_request_error", "param": param, "code": code}
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, e: StarletteHTTPException) -> JSONResponse:
        if isinstance(e, EdgeError):
            note_code(request, e.error.code)
            return response_for(e.error)
        code = HTTP_CODES.get(e.status_code)
        if e.status_code == 404:
            msg = f"Invalid URL ({request.method} {request.url.path})."
        elif e.status_code == 405:
            msg = f"Method {request.method} is not allowed on {request.url.path}."
        else:
            msg = str(e.detail)
        t = "invalid_request_error" if e.status_code < 500 else "server_error"
        note_code(request, code)
        return error_response(
            e.status_code,
            {"message": msg, "type": t, "param": None, "code": code},
            dict(e.headers) if e.headers else None,
        )
