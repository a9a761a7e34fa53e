"""Read an edit mask: float32 HxW in [0, 1] where 1 marks the area to edit.

Two conventions, chosen from the file itself:

- the mask has transparency (RGBA, LA, PA, or a palette/colour key with tRNS): OpenAI's
  convention, transparent = edit; the value is 1 - alpha/255, so feathered edges stay soft;
- otherwise (L, RGB, 16-bit gray, or an alpha channel that is fully opaque and so carries no
  mask): white = edit; the value is the luminance / 255.

The mask's colours are data, not colours: any ICC profile is ignored. EXIF orientation is
applied, and the oriented size must equal the first image's size exactly; that is checked
from the header, before any pixel is decoded.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from ..errors import MaskError, RetouchError
from .decode import (
    apply_orientation,
    decode_error,
    exif_orientation,
    gray_to_uint8,
    open_image,
    oriented_size,
    quiet_codecs,
)

_INV255 = np.float32(1.0 / 255.0)
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


def load_mask(data: bytes, size: tuple[int, int]) -> np.ndarray:
    """Decode a mask for an image of `size` (width, height) into float32 HxW, 1 = edit."""
    data = data if isinstance(data, bytes) else bytes(data)
    im = open_image(data, what="mask", limit=None)
    orientation = exif_orientation(im)
    width, height = oriented_size(im, orientation)
    if (width, height) != tuple(size):
        raise MaskError(
            f"mask is {width}x{height} but the image is {size[0]}x{size[1]}; "
            "the mask must match the first image's size"
        )
    try:
        with quiet_codecs():
            values = _mask_values(im)
        mask = apply_orientation(values, orientation)
    except RetouchError:
        raise
    except Exception as exc:
        raise decode_error(exc, "mask", data) from exc
    if not mask.any():
        raise MaskError(
            "mask selects no pixels: mark the area to edit with fully transparent pixels (alpha 0), "
            "or in white on a mask without transparency"
        )
    return mask


def _mask_values(im: Image.Image) -> np.ndarray:
    """Float32 HxW edit weights of a stored (not yet oriented) mask image."""
    alpha = _alpha(im)
    if alpha is not None and int(alpha.min()) < 255:
        inverse = np.subtract(255, alpha, dtype=np.uint8)
        return inverse.astype(np.float32) * _INV255
    return _luminance(im).astype(np.float32) * _INV255


def _alpha(im: Image.Image) -> np.ndarray | None:
    """The alpha channel as uint8 HxW, or None when the mask has no transparency at all."""
    if im.mode in _ALPHA_MODES:
        return np.asarray(im.getchannel("A"))
    if "transparency" in im.info and im.mode in ("P", "L", "RGB", "1"):
        return np.asarray(im.convert("RGBA").getchannel("A"))
    return None


def _luminance(im: Image.Image) -> np.ndarray:
    """uint8 HxW luminance (ITU-R 601 luma for colour masks), from any mode."""
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return gray_to_uint8(np.asarray(im), mode)
    if mode == "PA":
        im = im.convert("RGB")  # Pillow has no direct PA -> L conversion
    return np.asarray(im if im.mode == "L" else im.convert("L"))
