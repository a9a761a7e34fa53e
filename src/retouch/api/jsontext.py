"""JSON in and out: request bodies read strictly, responses written so that they always encode.

JSON can carry text that is not text: a lone UTF-16 surrogate (`"\\ud800"`) decodes to a
Python string that UTF-8 cannot encode. Stored, it broke every later response that echoed
it; so bodies holding one are refused at the edge (400), as are bodies nested too deeply to
mean anything, and responses replace any such character that is already stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from ..service.errors import ApiError, invalid
from .errors import EdgeError

#: Deeper nesting is refused (no field of the API nests more than a few levels).
MAX_DEPTH = 32


def loads(data: bytes | str) -> Any:
    """A JSON document whose every string is valid text; ApiError 400 otherwise."""
    try:
        doc = json.loads(data)
    except RecursionError:
        raise too_deep() from None
    except ValueError:  # (UnicodeDecodeError too: bytes that are not UTF-8)
        raise invalid("We could not parse the JSON body of your request.", None, code="invalid_json") from None
    check_text(doc)
    return doc


def check_text(doc: Any) -> None:
    """Refuse (400, naming the field) a lone surrogate or a NUL anywhere in keys or values, and nesting
    beyond MAX_DEPTH. Iterative: a deep document cannot exhaust the stack here."""
    stack: list[tuple[Any, str, int]] = [(doc, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise too_deep()
        if isinstance(value, str):
            if not is_text(value):
                raise invalid(
                    f"'{path or 'body'}' holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text.",
                    path.split(".")[0].split("[")[0] or None,
                )
            if "\x00" in value:  # not storable as text (PostgreSQL refuses it), never meaningful
                raise invalid(
                    f"'{path or 'body'}' holds a NUL character (\\u0000), which is not allowed in text.",
                    path.split(".")[0].split("[")[0] or None,
                )
        elif isinstance(value, dict):
            for k, v in value.items():
                key_path = f"{path}.{k}" if path else str(k)
                if not is_text(k) or "\x00" in k:
                    raise invalid(f"A key in '{path or 'body'}' holds a lone UTF-16 surrogate or a NUL.", path or None)
                stack.append((v, key_path, depth + 1))
        elif isinstance(value, list):
            stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value))


def too_deep() -> ApiError:
    return invalid(f"The JSON body is nested too deeply (at most {MAX_DEPTH} levels).", None, code="invalid_json")


def is_text(s: str) -> bool:
    """Whether `s` encodes as UTF-8 (no lone surrogates)."""
    if s.isascii():
        return True
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def mend(s: str) -> str:
    """`s` with each lone surrogate replaced by U+FFFD."""
    return s if is_text(s) else s.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = loads(await self.body())
            except ApiError as e:  # FastAPI lets only HTTPExceptions out of its body parsing
                raise EdgeError(e) from None
        return self._json


class StrictJSONRoute(APIRoute):
    """A route whose JSON body is read with `loads` (routers: `APIRouter(route_class=...)`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict


class SafeJSONResponse(JSONResponse):
    """JSON that always encodes: text stored before the edge refused lone surrogates is sent
    with U+FFFD in their place instead of failing the whole response."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            return mend(text).encode("utf-8")
