"""Geometry: rotate, flip, crop to an aspect or a box, resize, extend the canvas.

Right-angle rotations and flips are exact index permutations (bit-identical pixels);
everything that resamples uses OpenCV with the interpolation chosen by `ctx.quality`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from ..errors import OptionError
from .registry import OpContext, register
from .tone import clip01_

#: Largest side any geometry op may produce (guards memory against absurd requests).
MAX_SIDE = 16384


def _check_size(w: int, h: int, what: str = "size") -> None:
    """Reject sizes outside 1..MAX_SIDE with a clear message."""
    if not (1 <= w <= MAX_SIDE and 1 <= h <= MAX_SIDE):
        raise OptionError(
            f"{what} {w}x{h} is out of range (each side must be 1..{MAX_SIDE} pixels)", param="size"
        )


def _upscale_interp(quality: str) -> int:
    """Interpolation for enlarging: linear (low), cubic (medium), Lanczos (high)."""
    return {"low": cv2.INTER_LINEAR, "high": cv2.INTER_LANCZOS4}.get(quality, cv2.INTER_CUBIC)


def _resample(img: np.ndarray, w: int, h: int, quality: str) -> np.ndarray:
    """Resize to w x h: area averaging to shrink, cubic/Lanczos to enlarge (overshoot clipped)."""
    if (w, h) == (img.shape[1], img.shape[0]):
        return img.copy()
    shrink = w <= img.shape[1] and h <= img.shape[0]
    interp = cv2.INTER_AREA if shrink else _upscale_interp(quality)
    out = cv2.resize(np.ascontiguousarray(img), (w, h), interpolation=interp)
    if out.ndim == 2:
        out = out[..., None]
    return out if interp in (cv2.INTER_AREA, cv2.INTER_LINEAR) else clip01_(out)


def _ratio(ratio: Any) -> float:
    """[w, h], "16:9", "16x9" or a number → width / height."""
    try:
        if isinstance(ratio, str):
            parts = ratio.replace("x", ":").replace("/", ":").split(":")
            vals = [float(p) for p in parts]
        elif isinstance(ratio, Sequence):
            vals = [float(v) for v in ratio]
        else:
            vals = [float(ratio), 1.0]
        r = vals[0] / vals[1] if len(vals) == 2 else vals[0] if len(vals) == 1 else float("nan")
    except (TypeError, ValueError, ZeroDivisionError):
        r = float("nan")
    if not (math.isfinite(r) and 1e-3 < r < 1e3):
        raise OptionError(f"aspect ratio {ratio!r} is not valid (use w:h such as 16:9)", param="ratio")
    return r


def _fill_value(fill: Any, channels: int) -> tuple[float, ...]:
    """[r, g, b] 0..255 (optionally a 4th alpha) → float tuple for `channels` channels."""
    try:
        v = [float(x) / 255.0 for x in fill]
    except TypeError:
        raise OptionError(f"colour {fill!r} must be [r, g, b] with values 0..255", param="color") from None
    if len(v) not in (3, 4):
        raise OptionError(f"colour {fill!r} must be [r, g, b] with values 0..255", param="color")
    v = [min(max(x, 0.0), 1.0) for x in v] + [1.0]
    return tuple(v[:channels])


def _add_alpha(img: np.ndarray) -> np.ndarray:
    """HxWx3 → HxWx4 with opaque alpha (no-op when alpha exists)."""
    if img.shape[2] == 4:
        return img
    return np.dstack([img, np.ones(img.shape[:2], np.float32)])


# --------------------------------------------------------------------------- rotate / flip


@register("rotate")
def rotate(img: np.ndarray, ctx: OpContext, degrees: float = 90.0, fill: Any = "transparent") -> np.ndarray:
    """Counter-clockwise rotation: exact for right angles; other angles expand the canvas."""
    d = float(degrees) % 360.0
    k = round(d / 90.0)
    if abs(d - 90.0 * k) < 1e-6:
        return np.ascontiguousarray(np.rot90(img, k % 4))
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), d, 1.0)  # OpenCV: positive = counter-clockwise
    c, s = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = math.ceil(w * c + h * s - 1e-6), math.ceil(w * s + h * c - 1e-6)
    _check_size(nw, nh, "rotated size")
    m[0, 2] += (nw - w) / 2.0
    m[1, 2] += (nh - h) / 2.0
    interp = cv2.INTER_LINEAR if ctx.quality == "low" else cv2.INTER_CUBIC
    # Warp with alpha so the new corners are transparent and the edge is anti-aliased; for
    # a colour fill the result is then composited over that colour.
    src = _add_alpha(img)
    rgb = src[..., :3] * src[..., 3:4]  # premultiplied: no dark fringes at the edge
    pm = np.dstack([rgb, src[..., 3]])
    out = cv2.warpAffine(
        pm, m, (nw, nh), flags=interp, borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0)
    )
    clip01_(out)
    alpha = out[..., 3:4]
    if isinstance(fill, str) and fill.lower() in ("transparent", "none", "alpha"):
        out[..., :3] = np.where(alpha > 1e-6, out[..., :3] / np.maximum(alpha, 1e-6), 0.0)
        return clip01_(out)
    bg = np.asarray(_fill_value(fill, 3), np.float32)
    out[..., :3] += bg * (1.0 - alpha)  # "over" in premultiplied form
    if img.shape[2] == 3:
        return np.ascontiguousarray(out[..., :3])
    out[..., 3] = 1.0
    return out


@register("flip")
def flip(img: np.ndarray, ctx: OpContext, axis: str = "horizontal") -> np.ndarray:
    """Mirror: horizontal = left↔right, vertical = upside down, both = 180°."""
    a = str(axis).lower()
    if a in ("horizontal", "h", "x", "lr", "left-right", "mirror"):
        return np.ascontiguousarray(img[:, ::-1])
    if a in ("vertical", "v", "y", "ud", "up-down", "upside-down"):
        return np.ascontiguousarray(img[::-1])
    if a == "both":
        return np.ascontiguousarray(img[::-1, ::-1])
    raise OptionError(f"flip axis {axis!r} must be horizontal or vertical", param="axis")


# --------------------------------------------------------------------------- crops


def _subject_centre(img: np.ndarray) -> tuple[float, float] | None:
    """Subject centre (fractions) from the vision module, or None when unknown/unavailable."""
    try:
        from ..vision.subject import subject_center
    except ImportError:
        return None
    rgb = np.clip(img[..., :3] * 255.0 + 0.5, 0, 255).astype(np.uint8)
    try:
        c = subject_center(rgb)
    except Exception:  # a failed detector must not fail a crop: centre it instead
        return None
    return None if c is None else (float(c[0]), float(c[1]))


def crop_window(
    w: int,
    h: int,
    ratio: float,
    anchor: str,
    centre: tuple[float, float] | None = None,
) -> tuple[int, int, int, int]:
    """Largest (x0, y0, cw, ch) of aspect `ratio` in a w x h image, placed by anchor/centre."""
    if w / h > ratio:
        ch, cw = h, max(1, min(w, round(h * ratio)))
    else:
        cw, ch = w, max(1, min(h, round(w / ratio)))
    fx, fy = centre if centre is not None else (0.5, 0.5)
    fx = {"left": 0.0, "right": 1.0}.get(anchor, fx)
    fy = {"top": 0.0, "bottom": 1.0}.get(anchor, fy)
    x0 = min(max(round(fx * w - cw / 2.0), 0), w - cw)
    y0 = min(max(round(fy * h - ch / 2.0), 0), h - ch)
    return x0, y0, cw, ch


@register("crop_aspect")
def crop_aspect(img: np.ndarray, ctx: OpContext, ratio: Any = (1, 1), anchor: str = "subject") -> np.ndarray:
    """The largest crop with aspect w:h (never upscaled), centred on the subject when known."""
    h, w = img.shape[:2]
    anchors = ("center", "centre", "subject", "left", "right", "top", "bottom")
    if anchor not in anchors:
        raise OptionError(f"crop anchor {anchor!r} must be one of {', '.join(anchors)}", param="anchor")
    centre = _subject_centre(img) if anchor == "subject" else None
    x0, y0, cw, ch = crop_window(w, h, _ratio(ratio), anchor, centre)
    return np.ascontiguousarray(img[y0 : y0 + ch, x0 : x0 + cw])


@register("crop_box")
def crop_box(img: np.ndarray, ctx: OpContext, box: Any = (0.0, 0.0, 1.0, 1.0)) -> np.ndarray:
    """Crop to [x0, y0, x1, y1] given as fractions of width and height."""
    h, w = img.shape[:2]
    try:
        x0, y0, x1, y1 = (min(max(float(v), 0.0), 1.0) for v in box)
    except (TypeError, ValueError):
        raise OptionError(f"crop box {box!r} must be [x0, y0, x1, y1] fractions", param="box") from None
    c0, c1 = round(x0 * w), round(x1 * w)
    r0, r1 = round(y0 * h), round(y1 * h)
    if c1 - c0 < 1 or r1 - r0 < 1:
        raise OptionError(f"crop box {list(box)!r} leaves no pixels", param="box")
    return np.ascontiguousarray(img[r0:r1, c0:c1])


# --------------------------------------------------------------------------- resize


def _int_side(v: Any, name: str) -> int:
    """A positive pixel count from user input."""
    try:
        n = round(float(v))
    except (TypeError, ValueError):
        raise OptionError(f"{name} {v!r} is not a number of pixels", param="size") from None
    return n


@register("resize")
def resize(
    img: np.ndarray,
    ctx: OpContext,
    width: int | None = None,
    height: int | None = None,
    scale: float | None = None,
    fit: str = "stretch",
    anchor: str = "center",
) -> np.ndarray:
    """Exact size (stretch, cover-crop or contain), one side keeping the aspect, or a scale factor."""
    h, w = img.shape[:2]
    if width is None and height is None:
        if scale is None:
            raise OptionError("resize needs a width, a height or a scale", param="size")
        s = float(scale)
        if not (math.isfinite(s) and s > 0):
            raise OptionError(f"scale {scale!r} must be a positive number", param="size")
        nw, nh = max(1, round(w * s)), max(1, round(h * s))
        _check_size(nw, nh)
        return _resample(img, nw, nh, ctx.quality)
    tw = _int_side(width, "width") if width is not None else None
    th = _int_side(height, "height") if height is not None else None
    if tw is None or th is None:  # one side: keep the aspect ratio
        nw = tw if tw is not None else max(1, round(w * th / h))
        nh = th if th is not None else max(1, round(h * tw / w))
        _check_size(nw, nh)
        return _resample(img, nw, nh, ctx.quality)
    _check_size(tw, th)
    if fit == "stretch":
        return _resample(img, tw, th, ctx.quality)
    if fit == "cover":  # scale to cover, then crop the overflow (centre or subject)
        centre = _subject_centre(img) if anchor == "subject" else None
        x0, y0, cw, ch = crop_window(w, h, tw / th, anchor, centre)
        return _resample(img[y0 : y0 + ch, x0 : x0 + cw], tw, th, ctx.quality)
    if fit == "contain":  # the largest size that fits inside the box, aspect kept
        s = min(tw / w, th / h)
        return _resample(img, max(1, round(w * s)), max(1, round(h * s)), ctx.quality)
    raise OptionError(f"resize fit {fit!r} must be stretch, cover or contain", param="size")


# --------------------------------------------------------------------------- extend canvas


def _pad_px(v: Any, side: int) -> int:
    """Padding in pixels; a value strictly between 0 and 1 is a fraction of `side`."""
    f = float(v or 0)
    if not math.isfinite(f) or f < 0:
        raise OptionError(f"padding {v!r} must be a non-negative number of pixels", param="padding")
    return round(f * side) if 0 < f < 1 else round(f)


@register("extend_canvas")
def extend_canvas(
    img: np.ndarray,
    ctx: OpContext,
    top: float = 0,
    bottom: float = 0,
    left: float = 0,
    right: float = 0,
    ratio: Any = None,
    color: Any = (255, 255, 255),
) -> np.ndarray:
    """Pad the image by pixels per side, or symmetrically to an aspect ratio, with colour/transparent/edge."""
    h, w = img.shape[:2]
    short = min(h, w)
    if ratio is not None:  # pad the short dimension so w/h becomes the ratio
        r = _ratio(ratio)
        if w / h < r:
            extra = round(h * r) - w
            left, right, top, bottom = extra // 2, extra - extra // 2, 0, 0
        else:
            extra = round(w / r) - h
            top, bottom, left, right = extra // 2, extra - extra // 2, 0, 0
    t, b = _pad_px(top, short), _pad_px(bottom, short)
    lf, rt = _pad_px(left, short), _pad_px(right, short)
    _check_size(w + lf + rt, h + t + b, "canvas")
    src = np.ascontiguousarray(img)
    if isinstance(color, str) and color.lower() == "edge":
        return cv2.copyMakeBorder(src, t, b, lf, rt, cv2.BORDER_REPLICATE).reshape(h + t + b, w + lf + rt, -1)
    if isinstance(color, str) and color.lower() in ("transparent", "none", "alpha"):
        src, value = _add_alpha(src), (0.0, 0.0, 0.0, 0.0)
    elif isinstance(color, str):
        raise OptionError(
            f"canvas colour {color!r} must be [r, g, b], 'transparent' or 'edge'", param="color"
        )
    else:
        value = _fill_value(color, src.shape[2])
    out = cv2.copyMakeBorder(src, t, b, lf, rt, cv2.BORDER_CONSTANT, value=value)
    return out.reshape(h + t + b, w + lf + rt, src.shape[2])


# --------------------------------------------------------------------------- straighten

#: The largest tilt straighten corrects; larger turns are rotations, not levelling.
MAX_STRAIGHTEN = 15.0


def straighten_crop(w: int, h: int, degrees: float, keep_aspect: bool = True) -> tuple[int, int]:
    """The largest axis-aligned w' x h' that fits inside a w x h image rotated by `degrees` (centred).

    keep_aspect: the largest of the image's own aspect ratio (Lightroom's constrained crop);
    else the largest area of any aspect.
    """
    t = math.radians(abs(degrees))
    s, c = math.sin(t), math.cos(t)
    if keep_aspect:
        # the crop, turned back into the source, must fit: W c + H s <= w and W s + H c <= h
        k = min(w / (w * c + h * s), h / (w * s + h * c))
        cw, ch = w * k, h * k
    else:  # the classic maximal rectangle in a rotated rectangle
        long_side, short_side = max(w, h), min(w, h)
        if short_side <= 2.0 * s * c * long_side or abs(s - c) < 1e-10:
            x = 0.5 * short_side
            cw, ch = (x / s, x / c) if w >= h else (x / c, x / s)
        else:
            cos2 = c * c - s * s
            cw, ch = (w * c - h * s) / cos2, (h * c - w * s) / cos2
    # one pixel less on each side: interpolation near the corners must not reach outside
    return max(1, math.floor(cw) - 2), max(1, math.floor(ch) - 2)


def _segments(gray: np.ndarray) -> np.ndarray:
    """Line segments (N x 4: x0, y0, x1, y1) by OpenCV's LSD detector (sub-pixel, no thresholds to tune)."""
    lines = cv2.createLineSegmentDetector(cv2.LSD_REFINE_STD).detect(gray)[0]
    return np.zeros((0, 4)) if lines is None else lines.reshape(-1, 4).astype(np.float64)


def detect_tilt(img: np.ndarray) -> float | None:
    """The rotation (degrees, + = counter-clockwise) that levels the image's dominant straight lines.

    Near-horizontal and near-vertical segments (LSD) within MAX_STRAIGHTEN of level vote with
    their squared length (a horizon or a wall edge outweighs texture); the answer is the
    weighted mean around the strongest 0.5° bin. None when too few lines agree, or when another
    direction has nearly as much support (converging lines of a tilted camera: no clear level).
    """
    rgb = np.clip(img[..., :3], 0.0, 1.0)
    h, w = rgb.shape[:2]
    f = min(1.0, 1024 / max(h, w))
    small = cv2.resize(rgb, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor((small * 255.0 + 0.5).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    side = max(gray.shape)
    x0, y0, x1, y1 = _segments(gray).T
    length = np.hypot(x1 - x0, y1 - y0)
    ang = np.degrees(np.arctan2(y1 - y0, x1 - x0))  # image coordinates, y down
    ang = (ang + 90.0) % 180.0 - 90.0  # -90..90
    horizontal = np.abs(ang) <= MAX_STRAIGHTEN
    vertical = np.abs(np.abs(ang) - 90.0) <= MAX_STRAIGHTEN
    keep = (horizontal | vertical) & (length >= side / 25)
    if not keep.any():
        return None
    dev = np.where(horizontal, ang, np.where(ang > 0, ang - 90.0, ang + 90.0))[keep]
    length = length[keep]
    weight = length * length
    bins = np.arange(-MAX_STRAIGHTEN, MAX_STRAIGHTEN + 0.5, 0.5)
    hist, _ = np.histogram(dev, bins=bins, weights=weight)
    smooth = np.convolve(hist, [0.5, 1.0, 0.5], mode="same")  # a peak split between two bins still wins
    top = int(np.argmax(smooth))
    peak = bins[top] + 0.25
    near = np.abs(dev - peak) <= 1.0
    if float(length[near].sum()) < 0.5 * side:  # not even half the frame's size of agreeing lines
        return None
    rival = np.abs(bins[:-1] + 0.25 - peak) > 2.0
    if rival.any() and float(smooth[rival].max()) > 0.6 * float(smooth[top]):
        return None
    # y points down, so a segment at +a° in image coordinates is turned a° clockwise on screen;
    # turning the image a° counter-clockwise levels it: +a in rotate's convention.
    return float(np.average(dev[near], weights=weight[near]))


@register("straighten")
def straighten(
    img: np.ndarray, ctx: OpContext, angle: float | None = None, keep_aspect: bool = True
) -> np.ndarray:
    """Rotate by a small angle (+ = counter-clockwise; None = level the horizon/dominant lines) and
    crop to the largest rectangle inside, so no empty corners remain."""
    if angle is None:
        found = detect_tilt(img)
        if found is None:
            raise OptionError(
                "could not find a horizon or straight lines to level in this image; "
                "give the angle instead, e.g. 'straighten by 2 degrees clockwise'",
                param="angle",
            )
        angle = found
    try:
        d = float(angle)
    except (TypeError, ValueError):
        raise OptionError(f"straighten angle {angle!r} is not a number of degrees", param="angle") from None
    if not (math.isfinite(d) and abs(d) <= MAX_STRAIGHTEN):
        raise OptionError(
            f"straighten corrects tilts up to {MAX_STRAIGHTEN:g} degrees, not {angle!r}; "
            "use rotate for larger turns",
            param="angle",
        )
    if abs(d) < 1e-3:
        return img.copy()
    h, w = img.shape[:2]
    cw, ch = straighten_crop(w, h, d, bool(keep_aspect))
    m = cv2.getRotationMatrix2D(((w - 1) / 2.0, (h - 1) / 2.0), d, 1.0)  # + = counter-clockwise
    m[0, 2] += (cw - 1) / 2.0 - (w - 1) / 2.0
    m[1, 2] += (ch - 1) / 2.0 - (h - 1) / 2.0
    interp = {"low": cv2.INTER_LINEAR, "high": cv2.INTER_LANCZOS4}.get(ctx.quality, cv2.INTER_CUBIC)
    out = cv2.warpAffine(np.ascontiguousarray(img), m, (cw, ch), flags=interp, borderMode=cv2.BORDER_REPLICATE)
    out = out.reshape(ch, cw, img.shape[2])
    return out if interp == cv2.INTER_LINEAR else clip01_(out)
