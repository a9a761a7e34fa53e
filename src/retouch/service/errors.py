"""Errors with an HTTP status, raised by service code and rendered in OpenAI's error shape."""

from __future__ import annotations

from ..errors import RetouchError

#: OpenAI's error `type` for each status (the SDKs key their exception classes on the status).
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    402: "insufficient_credits",
    403: "permission_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    408: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


class ApiError(RetouchError):
    """A failure with a status: `code` and `param` as in OpenAI's error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, param=param)
        self.status = status
        self.code = code or ERROR_TYPES.get(status, "server_error")
        self.param = param
        self.headers = headers or {}

    @property
    def type(self) -> str:
        return ERROR_TYPES.get(self.status, "server_error")


def not_found(what: str, ident: str, param: str | None = None) -> ApiError:
    return ApiError(404, f"No {what} found with id '{ident}'.", code="not_found", param=param)


def invalid(message: str, param: str | None, code: str = "invalid_value") -> ApiError:
    return ApiError(400, message, code=code, param=param)


class StartupError(RetouchError):
    """Storage or a setting the server cannot start with: one line saying what and what to do."""

    code = "startup_error"
