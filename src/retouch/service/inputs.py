"""Turning what a client sent (uploads, data URLs, http(s) URLs, file ids) into checked image bytes."""

from __future__ import annotations

import binascii
import io
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pybase64  # SIMD base64: 40x the standard library's on megabytes of image data

from ..imaging.dataurl import MIME_TYPES, sniff_format
from .errors import ApiError, invalid

if TYPE_CHECKING:
    from .fetch import SafeFetcher
    from .files import FileStore
    from .keys import Principal

#: Format name -> MIME type (the imaging layer's table).
CONTENT_TYPES = MIME_TYPES
#: Formats the core decodes; sniff_format also names others (avif, heic, ...) so errors can say so.
DECODABLE = frozenset(MIME_TYPES)
_DATA_URL = re.compile(
    r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(;[\w.+-]+=[\w.+-]+)*)(?P<b64>;base64)?,", re.IGNORECASE
)


def sniff(data: bytes) -> str | None:
    """The format of `data` when the core can decode it, else None."""
    fmt = sniff_format(data)
    return fmt if fmt in DECODABLE else None


@dataclass(frozen=True)
class ImageInput:
    """Encoded image bytes with what a quick header read tells (size after EXIF orientation)."""

    data: bytes
    format: str
    width: int
    height: int

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height


def probe(data: bytes, *, param: str, max_bytes: int) -> ImageInput:
    """Check size and type and read the dimensions without decoding the pixels."""
    if len(data) > max_bytes:
        raise ApiError(
            413,
            f"The file for '{param}' is {len(data)} bytes; the limit is {max_bytes} bytes.",
            code="file_too_large",
            param=param,
        )
    if not data:
        raise invalid(f"The file for '{param}' is empty.", param, code="invalid_image")
    fmt = sniff(data)
    if fmt is None:
        raise ApiError(
            415,
            f"The file for '{param}' is not a supported image (png, jpeg, webp, gif, tiff, bmp).",
            code="unsupported_media_type",
            param=param,
        )
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            w, h = im.size
            # EXIF orientation only from JPEG headers: elsewhere reading it can mean decoding the
            # whole file (PNG keeps eXIf after the pixels), and pricing is symmetric in w and h.
            orientation = im.getexif().get(0x0112, 1) if fmt == "jpeg" else 1
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise invalid(f"The image for '{param}' has too many pixels.", param, code="image_too_large") from e
    except Exception as e:  # any decoder failure is a bad upload, not a crash
        raise invalid(
            f"The image for '{param}' cannot be read: it is corrupt or truncated.",
            param,
            code="invalid_image",
        ) from e
    if orientation in (5, 6, 7, 8):
        w, h = h, w
    return ImageInput(data=data, format=fmt, width=w, height=h)


def decode_data_url(url: str, *, param: str) -> bytes:
    m = _DATA_URL.match(url)
    if not m:
        raise invalid(f"'{param}' is not a valid data URL.", param, code="invalid_image_url")
    payload = url[m.end() :]
    if not m.group("b64"):
        from urllib.parse import unquote_to_bytes

        return unquote_to_bytes(payload)
    try:
        return pybase64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError) as e:
        raise invalid(f"The base64 data in '{param}' is invalid.", param, code="invalid_image_url") from e


class InputResolver:
    """Resolves image references: data URLs, http(s) URLs (fetched safely) and file ids."""

    def __init__(self, fetcher: SafeFetcher, files: FileStore, *, max_bytes: int) -> None:
        self.fetcher = fetcher
        self.files = files
        self.max_bytes = max_bytes

    def resolve(self, ref: str, *, param: str, principal: Principal) -> ImageInput:
        return probe(
            self.resolve_bytes(ref, param=param, principal=principal), param=param, max_bytes=self.max_bytes
        )

    def resolve_bytes(self, ref: str, *, param: str, principal: Principal) -> bytes:
        ref = ref.strip()
        if ref.startswith("data:"):
            return decode_data_url(ref, param=param)
        if ref.startswith("file-"):
            return self.files.content(ref, principal)
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", ref):
            data, _ = self.fetcher.get(ref, param=param)
            return data
        raise invalid(
            f"'{param}' must be a data URL, an http(s) URL or a file id.", param, code="invalid_image_url"
        )
