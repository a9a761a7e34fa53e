"""Base64 and data-URL helpers, and format sniffing from magic bytes."""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import unquote_to_bytes

from ..errors import InputError

#: Short format name -> MIME type, for the formats retouch reads or writes.
MIME_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "tiff": "image/tiff",
    "bmp": "image/bmp",
}

_URLSAFE = str.maketrans("-_", "+/")
_DATA_URL = re.compile(r"data:(?P<mime>[^,;]*)(?P<params>(?:;[^,;]*)*),(?P<payload>.*)", re.DOTALL | re.I)
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


def to_base64(data: bytes) -> str:
    """Standard base64 text of `data`, no line breaks."""
    return base64.b64encode(data).decode("ascii")


def from_base64(s: str | bytes, *, what: str = "image") -> bytes:
    """Decode base64, tolerating whitespace, missing padding, the URL-safe alphabet and a data-URL prefix."""
    text = s.decode("ascii", errors="replace") if isinstance(s, bytes | bytearray) else s
    text = "".join(text.split())
    if text[:5].lower() == "data:":
        return parse_data_url(text, what=what)[0]
    text = text.translate(_URLSAFE).rstrip("=")
    if len(text) % 4 == 1:  # no amount of padding makes this length valid
        raise InputError(f"{what} is not valid base64 (its length is impossible)")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        reason = "it contains characters outside the alphabet"
        raise InputError(f"{what} is not valid base64 ({reason})") from None


def mime_type(fmt: str) -> str:
    """MIME type for a short format name ("jpg" and "image/png" style inputs accepted)."""
    key = fmt.strip().lower().removeprefix("image/")
    key = {"jpg": "jpeg", "tif": "tiff"}.get(key, key)
    return MIME_TYPES.get(key, f"image/{key}")


def to_data_url(data: bytes, fmt: str) -> str:
    """`data:image/<fmt>;base64,...` for encoded image bytes."""
    return f"data:{mime_type(fmt)};base64,{to_base64(data)}"


def parse_data_url(url: str, *, what: str = "image") -> tuple[bytes, str]:
    """Split a data URL into (bytes, mime type); base64 and percent-encoded payloads both work."""
    m = _DATA_URL.fullmatch(url.strip())
    if m is None:
        raise InputError(f"{what} is not a data URL (expected data:<mime>;base64,<data>)")
    mime = m["mime"].strip().lower() or "text/plain"
    params = [p.strip().lower() for p in m["params"].split(";") if p.strip()]
    if "base64" in params:
        return from_base64(m["payload"], what=what), mime
    return unquote_to_bytes(m["payload"]), mime


def sniff_format(data: bytes) -> str | None:
    """Short format name from magic bytes: png, jpeg, webp, gif, tiff, bmp; also avif, heic, pdf, psd,
    ico and svg so unsupported inputs can be named in errors; None when unrecognised."""
    head = bytes(data[:32])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[:2] == b"BM" and len(head) >= 26:
        return "bmp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand in _HEIF_BRANDS:
            return "heic"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"8BPS"):
        return "psd"
    if head[:4] == b"\x00\x00\x01\x00":
        return "ico"
    text = bytes(data[:1024]).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return "svg"
    return None
