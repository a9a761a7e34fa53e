"""Small copies of images for statistics: decoded at reduced size where the codec allows.

JPEG decodes at 1/2, 1/4 or 1/8 scale in the codec itself (Pillow's draft mode: the DCT is
scaled, so a 12 MP photo costs about what a 0.2 MP one does and never exists at full size);
other formats are decoded in full, shrunk, and the full copy dropped at once. Orientation,
ICC conversion and the pixel limit are the same as `decode_image`'s.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import RetouchError
from . import limits
from .decode import (
    _pillow_pixels,
    apply_orientation,
    decode_error,
    decode_image,
    drop_opaque_alpha,
    exif_orientation,
    open_image,
    oriented_size,
    quiet_codecs,
)


def decode_thumbnail(data: bytes, side: int, *, what: str = "image") -> tuple[np.ndarray, tuple[int, int]]:
    """(uint8 RGB/RGBA copy whose longer side is at most `side`, full (width, height) once oriented)."""
    limit = limits.max_pixels()
    im = open_image(data, what=what, limit=limit)
    try:
        with quiet_codecs():
            orientation = exif_orientation(im)
            full = oriented_size(im, orientation)
            if im.format == "JPEG" and max(im.size) > side:
                # draft keeps the scaled size >= the requested one, so the area filter below
                # still averages every decoded pixel
                scale = side / max(im.size)
                wanted = (max(1, int(im.width * scale + 0.999)), max(1, int(im.height * scale + 0.999)))
                im.draft("RGB" if im.mode not in ("L", "CMYK") else im.mode, wanted)
                arr = apply_orientation(_pillow_pixels(im), orientation)
            else:
                im.close()
                arr = decode_image(data, max_pixels=limit, what=what)
    except RetouchError:
        raise
    except Exception as exc:  # a codec failure becomes one clear line, as in decode_image
        raise decode_error(exc, what, data) from exc
    return shrink(drop_opaque_alpha(arr), side), full


def shrink(arr: np.ndarray, side: int) -> np.ndarray:
    """Area-averaged copy with the longer side at most `side` (no copy when already small)."""
    h, w = arr.shape[:2]
    s = side / max(h, w)
    if s >= 1:
        return arr
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return cv2.resize(arr, size, interpolation=cv2.INTER_AREA)
