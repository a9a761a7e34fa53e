"""Output size: parse the `size` option, cover-crop and resample to an exact size.

`size` accepts:
- ``auto``: keep the first image's size (returns None);
- ``WxH`` (also ``W×H``, ``W X H``, ``W*H``): exactly that, each side 16-8192;
- the aliases ``1:1``, ``2:3``, ``3:2``: 1024x1024, 1024x1536, 1536x1024 (OpenAI's sizes);
- any other aspect ratio ``W:H`` (e.g. ``16:9``, ``4:3``, ``2.39:1``): the size with about the
  pixel count of 1024x1024 and that ratio, each side rounded to a multiple of 16
  (16:9 -> 1360x768, 4:3 -> 1184x880, 9:16 -> 768x1360).
"""

from __future__ import annotations

import math
import re

import cv2
import numpy as np

from ..errors import OptionError
from ..schema import SIZE_ALIASES

MIN_SIDE = 16
MAX_SIDE = 8192
RATIO_AREA = 1024 * 1024
# Digits are bounded: a side has at most 5 (the largest is 8192), a ratio's parts at most 6
# with 6 decimals, so every number parsed here is small and finite.
_WXH = re.compile(r"([0-9]{1,5})\s*[x×*]\s*([0-9]{1,5})")
_RATIO = re.compile(r"([0-9]{1,6}(?:\.[0-9]{1,6})?)\s*:\s*([0-9]{1,6}(?:\.[0-9]{1,6})?)")
_HELP = "use auto, WxH (e.g. 1024x1536, each side 16-8192) or an aspect ratio W:H (e.g. 1:1, 3:2, 16:9)"


def parse_size(size: str) -> tuple[int, int] | None:
    """(width, height) for a size option, or None for auto; OptionError (param="size") when invalid."""
    text = str(size).strip().lower()
    if text == "auto":
        return None
    text = SIZE_ALIASES.get(text.replace(" ", ""), text)
    if m := _WXH.fullmatch(text):
        return _checked(int(m[1]), int(m[2]), size)
    if m := _RATIO.fullmatch(text):
        return _size_for_ratio(float(m[1]), float(m[2]), size)
    raise OptionError(f"invalid size {_shown(size)}: {_HELP}", param="size")


def fit_to_size(
    arr: np.ndarray,
    width: int,
    height: int,
    *,
    center: tuple[float, float] | None = None,
    quality: str = "medium",
) -> np.ndarray:
    """Cover-crop to the aspect of width x height around `center` (fractions of the image), then resample."""
    h, w = arr.shape[:2]
    target = width / height
    if w / h > target:
        crop_w, crop_h = max(1, min(w, round(h * target))), h
    else:
        crop_w, crop_h = w, max(1, min(h, round(w / target)))
    cx, cy = center if center is not None else (0.5, 0.5)
    x0 = _window_start(cx, w, crop_w)
    y0 = _window_start(cy, h, crop_h)
    crop = arr[y0 : y0 + crop_h, x0 : x0 + crop_w]
    return resample(crop, width, height, quality)


def resample(arr: np.ndarray, width: int, height: int, quality: str = "medium") -> np.ndarray:
    """Resize uint8 or float32 (HxW or HxWxC) to exactly width x height; RGBA is resampled premultiplied."""
    h, w = arr.shape[:2]
    if (w, h) == (width, height):
        return arr.copy()
    interpolation = interpolation_for(w, h, width, height, quality)
    if arr.ndim == 3 and arr.shape[2] == 4 and _has_transparency(arr):
        return _resample_premultiplied(arr, width, height, interpolation)
    out = cv2.resize(arr, (width, height), interpolation=interpolation)
    if out.dtype == np.float32 and interpolation in (cv2.INTER_CUBIC, cv2.INTER_LANCZOS4):
        np.clip(out, 0.0, 1.0, out=out)  # these kernels overshoot; ops expect [0, 1]
    return out


def interpolation_for(w: int, h: int, width: int, height: int, quality: str = "medium") -> int:
    """OpenCV interpolation: low = linear; medium = area to shrink, cubic to enlarge; high = area/Lanczos."""
    if quality == "low":
        return cv2.INTER_LINEAR
    if width <= w and height <= h:
        return cv2.INTER_AREA  # the only OpenCV kernel that averages every source pixel: no aliasing
    return cv2.INTER_LANCZOS4 if quality == "high" else cv2.INTER_CUBIC


# --------------------------------------------------------------------------- internals


def _checked(width: int, height: int, original: str) -> tuple[int, int]:
    """(width, height) when both sides are within 16..8192, else OptionError."""
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise OptionError(
            f"invalid size {_shown(original)}: each side must be between {MIN_SIDE} and {MAX_SIDE} pixels",
            param="size",
        )
    return width, height


def _size_for_ratio(rw: float, rh: float, original: str) -> tuple[int, int]:
    """Size with ~1024x1024 pixels and ratio rw:rh, sides rounded to multiples of 16."""
    if not (rw > 0 and rh > 0 and math.isfinite(rw) and math.isfinite(rh)):
        raise OptionError(f"invalid size {_shown(original)}: both parts of a ratio must be positive", param="size")
    ratio = rw / rh
    width = max(MIN_SIDE, round(math.sqrt(RATIO_AREA * ratio) / 16) * 16)
    height = max(MIN_SIDE, round(math.sqrt(RATIO_AREA / ratio) / 16) * 16)
    if width > MAX_SIDE or height > MAX_SIDE:
        reason = f"aspect ratio is too extreme (max side {MAX_SIDE})"
        raise OptionError(f"invalid size {_shown(original)}: {reason}", param="size")
    return width, height


def _shown(size: object) -> str:
    """The size as quoted in an error (a long one cut short)."""
    text = repr(str(size))
    return text if len(text) <= 40 else text[:37] + "...'"


def _window_start(center: float, full: int, window: int) -> int:
    """Start of a `window`-long span centred on fraction `center` of `full`, kept inside."""
    start = round(min(max(center, 0.0), 1.0) * full - window / 2)
    return min(max(start, 0), full - window)


def _has_transparency(arr: np.ndarray) -> bool:
    """True when an RGBA array (uint8 or float in [0, 1]) has any non-opaque pixel."""
    opaque = 255 if arr.dtype == np.uint8 else 1.0
    return bool(arr[..., 3].min() < opaque)


def _resample_premultiplied(arr: np.ndarray, width: int, height: int, interpolation: int) -> np.ndarray:
    """Resize RGBA with colour premultiplied by alpha, so transparent pixels do not bleed into edges."""
    is_uint8 = arr.dtype == np.uint8
    f = arr.astype(np.float32) * np.float32(1 / 255) if is_uint8 else arr.astype(np.float32, copy=True)
    f[..., :3] *= f[..., 3:4]
    out = cv2.resize(f, (width, height), interpolation=interpolation)
    np.clip(out, 0.0, 1.0, out=out)
    alpha = out[..., 3:4]
    np.divide(out[..., :3], alpha, out=out[..., :3], where=alpha > 1e-6)
    out[..., :3][np.broadcast_to(alpha <= 1e-6, out[..., :3].shape)] = 0.0
    np.clip(out, 0.0, 1.0, out=out)
    if is_uint8:
        return (out * np.float32(255) + np.float32(0.5)).astype(np.uint8)
    return out.astype(arr.dtype, copy=False)
