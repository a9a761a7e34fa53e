"""multipart/form-data bodies, parsed as they arrive by python-multipart (the parser behind
Starlette's `request.form()`), into memory.

Which parts are files is the endpoint's to say, by name (`image`, `mask`, ...): a part so
named is a file whether or not the client gave it a filename (`curl -F image=<photo.png`
gives none), and any other part with a filename is a file too; the rest are text fields.
Nothing depends on a part's size or content type. The parts are kept in memory rather than
spooled to disk as `request.form()` does: their bytes are read right back to be decoded
anyway (bench/bench_multipart.py measures both).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from ..service.errors import ApiError, invalid


@dataclass
class Part:
    """One part: a file (it has a filename) or a text field."""

    name: str
    filename: str | None = None
    content_type: str | None = None
    is_file: bool = False
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


async def read_parts(
    request: Request,
    *,
    max_parts: int,
    max_file_bytes: int,
    max_field_bytes: int = 1 << 20,
    files: Callable[[str], bool] = lambda name: False,
) -> list[Part]:
    """The parts of a multipart body, in order: 400 for a malformed body or too many parts,
    413 for a file over `max_file_bytes` (as soon as it passes the limit). `files` names the
    parts that are files even without a filename."""
    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise invalid("The multipart body has no boundary in its Content-Type.", None, code="invalid_body")
    parts: list[Part] = []
    header: list[bytes] = [b"", b""]  # the header being read: name, value
    headers: dict[bytes, bytes] = {}
    ended = [False]

    def on_part_begin() -> None:
        headers.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header[0] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header[1] += data[start:end]

    def on_header_end() -> None:
        headers[header[0].strip().lower()] = header[1].strip()
        header[0] = header[1] = b""

    def on_headers_finished() -> None:
        _, options = parse_options_header(headers.get(b"content-disposition", b""))
        name = options.get(b"name")
        if name is None:
            raise invalid("A multipart part has no name in its Content-Disposition.", None, code="invalid_body")
        if len(parts) >= max_parts:
            raise invalid(f"The multipart body has more than {max_parts} parts.", None, code="invalid_body")
        filename = options.get(b"filename")
        ctype = headers.get(b"content-type")
        text_name = name.decode("utf-8", "replace")
        parts.append(
            Part(
                name=text_name,
                filename=filename.decode("utf-8", "replace") if filename is not None else None,
                content_type=ctype.decode("latin-1") if ctype else None,
                is_file=filename is not None or files(text_name),
            )
        )

    def on_part_data(data: bytes, start: int, end: int) -> None:
        part = parts[-1]
        part.size += end - start
        limit = max_file_bytes if part.is_file else max_field_bytes
        if part.size > limit:
            if not part.is_file:
                raise invalid(f"The field '{part.name}' is over {limit} bytes.", part.name, code="invalid_body")
            raise ApiError(
                413,
                f"The file for '{part.name}' is over the limit of {limit} bytes.",
                code="file_too_large",
                param=part.name,
            )
        part.chunks.append(data[start:end])

    def on_end() -> None:
        ended[0] = True

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_end": on_end,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as e:
        raise invalid(f"Could not parse the multipart body: {e}.", None, code="invalid_body") from None
    if not ended[0]:
        raise invalid("The multipart body ended before its closing boundary.", None, code="invalid_body")
    return parts
