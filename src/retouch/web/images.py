"""Small renditions of version images: thumbnails for the history tree and downscaled previews
for the browser (a 24-megapixel original is not what a 400-pixel-wide panel needs)."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

from ..service.errors import invalid

THUMB_SIDE = 192  # 2x the 96 CSS pixels of a tree node, sharp on high-density screens
PREVIEW_SIDE = 1600
CONTENT_TYPES = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
}
#: What every browser shows; anything else (TIFF) always gets a preview.
BROWSER_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")


@dataclass(frozen=True)
class Renditions:
    width: int
    height: int
    content_type: str
    thumb: bytes
    preview: bytes | None  # None when the image is small enough to be its own preview


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            im.load()
    except Exception as e:  # a stored output that does not decode is a bad input here
        raise invalid("The image cannot be read: it is corrupt or not an image.", "image", "invalid_image") from e
    return im


def _webp(im: Image.Image, side: int, quality: int) -> bytes:
    im = im.copy()
    im.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    if im.mode not in ("RGB", "RGBA"):
        im = im.convert("RGBA" if "A" in im.getbands() or "transparency" in im.info else "RGB")
    buf = io.BytesIO()
    im.save(buf, "WEBP", quality=quality, method=2)  # method 2: fast, thumbnails need no more
    return buf.getvalue()


def renditions(data: bytes) -> Renditions:
    """Thumbnail, preview and facts of an encoded image (EXIF orientation applied)."""
    im = _open(data)
    fmt = im.format or ""
    content_type = CONTENT_TYPES.get(fmt, "application/octet-stream")
    rotated = im.getexif().get(0x0112, 1) not in (0, 1)
    oriented = ImageOps.exif_transpose(im) if rotated else im
    w, h = oriented.size
    # EXIF-rotated originals get a preview too: the server's edits apply the orientation, and the
    # preview must show what they see.
    needs = max(w, h) > PREVIEW_SIDE or fmt not in BROWSER_FORMATS or rotated
    preview = _webp(oriented, PREVIEW_SIDE, 88) if needs else None
    return Renditions(w, h, content_type, _webp(oriented, THUMB_SIDE, 75), preview)
