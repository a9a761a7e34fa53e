"""remove_object: fill the masked area from its surroundings (inpainting).

low: OpenCV's Telea (milliseconds, smooth). medium and high: PatchMatch (Barnes et al.
2009, the `pypatchmatch` package), which copies real texture from around the hole, so a
lawn, a wall or a table gets grain instead of a smear; high fills larger holes at full
resolution (larger patches or a best-of-several-seeds pick measured no better).

Measured in `bench/bench_vision.py` (docs/vision.md) against Telea, Navier-Stokes, OpenCV
contrib's FSR and the home-made patch synthesis this replaced: PatchMatch wins on
structure (low-pass PSNR) and texture on every group of holes.

Only the crop around the mask is processed; pixels outside the mask are restored bit
for bit by the executor, not here.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from ..errors import UnsupportedInstruction
from .registry import OpContext, register

#: Holes with more pixels than this (per tier) are filled at a reduced scale, then upsampled.
MAX_FILL_PIXELS = {"low": 250_000, "medium": 80_000, "high": 250_000}
#: PatchMatch patch radius: patches of 5x5 px (radius 3 and 5 measured no better, and slower).
PATCH_RADIUS = 2
_PM_LOCK = threading.Lock()
#: Methods `fill` knows. "patch" is the old name of the high tier's method; the library
#: methods fall back to Navier-Stokes when their package is missing.
METHODS = ("telea", "ns", "patchmatch", "patch", "fsr_fast", "fsr_best")


@register("remove_object")
def remove_object(img: np.ndarray, ctx: OpContext, method: str = "auto", **_: object) -> np.ndarray:
    """Fill where ctx.mask > 0.5 (grown a few px to cover the object's fringe) from the surroundings."""
    if ctx.mask is None:
        raise UnsupportedInstruction(
            "removing an object needs a mask that marks it (--mask); the builtin engine cannot find "
            "objects by name",
            engine_hint="a generative engine (openai or diffusers) can remove objects without a mask",
        )
    h, w = img.shape[:2]
    hole = ctx.mask[:h, :w] > 0.5
    if not hole.any():
        return img
    if hole.all():
        raise UnsupportedInstruction(
            "the mask covers the whole image: there is nothing around it to fill from"
        )
    grow = max(1, round(0.003 * max(h, w)))
    hole = cv2.dilate(hole.astype(np.uint8), np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)) > 0
    if hole.all():
        hole = ctx.mask[:h, :w] > 0.5
    kind = _method(method, ctx.quality)
    quality = ctx.quality if ctx.quality in MAX_FILL_PIXELS else "medium"
    out = img.copy()
    for y0, y1, x0, x1 in _crops(hole):
        sub = hole[y0:y1, x0:x1]
        out[y0:y1, x0:x1] = fill(img[y0:y1, x0:x1], sub, kind, quality=quality)
    return out


def _method(method: str, quality: str) -> str:
    """The fill method for a requested method and quality tier."""
    if method == "patch":
        return "patchmatch"
    if method in METHODS:
        return method
    return "telea" if quality == "low" else "patchmatch"


def _crops(hole: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes (y0, y1, x0, x1) around each group of hole pixels, with context to fill from."""
    h, w = hole.shape
    n, _, stats, _ = cv2.connectedComponentsWithStats(hole.astype(np.uint8), connectivity=8)
    boxes = []
    for i in range(1, n):
        x, y, bw, bh = stats[i, :4]
        m = max(24, round(0.6 * max(bw, bh)))
        boxes.append([max(0, y - m), min(h, y + bh + m), max(0, x - m), min(w, x + bw + m)])
    # merge overlapping boxes so every fill sees all its context once
    merged: list[list[int]] = []
    for b in sorted(boxes):
        for mb in merged:
            if b[0] < mb[1] and mb[0] < b[1] and b[2] < mb[3] and mb[2] < b[3]:
                mb[:] = [min(b[0], mb[0]), max(b[1], mb[1]), min(b[2], mb[2]), max(b[3], mb[3])]
                break
        else:
            merged.append(b)
    return [tuple(b) for b in merged]


def fill(img: np.ndarray, hole: np.ndarray, kind: str, *, quality: str = "medium") -> np.ndarray:
    """Fill `hole` (bool HxW) of a float32 HxWx3|4 crop; other pixels are returned as they were."""
    scale = min(1.0, float(np.sqrt(MAX_FILL_PIXELS.get(quality, 80_000) / max(int(hole.sum()), 1))))
    rgb = img[..., :3]
    base = None
    if kind in ("patchmatch", "fsr_fast", "fsr_best"):
        base = _library_fill(rgb, hole, kind, scale, radius=PATCH_RADIUS)
    if base is None:
        base = _smooth_fill(rgb, hole, "telea" if kind == "telea" else "ns", scale)
    out = img.copy()
    out[..., :3][hole] = np.clip(base[hole], 0, 1)
    if img.shape[2] == 4:
        # alpha is filled smoothly (a hole in an opaque image stays opaque)
        a = _smooth_fill(img[..., 3:4].repeat(3, 2), hole, "ns", scale)[..., 0]
        out[..., 3][hole] = np.clip(a[hole], 0, 1)
    return out


def _smooth_fill(rgb: np.ndarray, hole: np.ndarray, kind: str, scale: float) -> np.ndarray:
    """OpenCV inpainting of the hole (optionally at a reduced scale for very large holes), float32."""
    h, w = hole.shape
    flag = cv2.INPAINT_TELEA if kind == "telea" else cv2.INPAINT_NS
    u8 = (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)
    m8 = hole.astype(np.uint8)
    if scale < 1.0:
        sw, sh = max(8, round(w * scale)), max(8, round(h * scale))
        u8s = cv2.resize(u8, (sw, sh), interpolation=cv2.INTER_AREA)
        m8s = cv2.dilate(cv2.resize(m8, (sw, sh), interpolation=cv2.INTER_NEAREST), np.ones((3, 3), np.uint8))
        r = max(3, round(0.008 * max(sh, sw)))
        small = cv2.inpaint(u8s, m8s, r, flag)
        filled = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    else:
        r = max(3, round(0.008 * max(h, w)))
        filled = cv2.inpaint(u8, m8, r, flag)
    out = rgb.astype(np.float32).copy()
    out[hole] = filled[hole].astype(np.float32) / 255
    return out


def _library_fill(
    rgb: np.ndarray, hole: np.ndarray, kind: str, scale: float, *, radius: int = 2
) -> np.ndarray | None:
    """PatchMatch (pypatchmatch) or OpenCV contrib's FSR, float32 HxWx3; None when the library is missing."""
    u8 = (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)
    m8 = hole.astype(np.uint8)
    h, w = hole.shape
    if scale < 1.0:
        sw, sh = max(8, round(w * scale)), max(8, round(h * scale))
        u8 = cv2.resize(u8, (sw, sh), interpolation=cv2.INTER_AREA)
        m8 = cv2.dilate(cv2.resize(m8, (sw, sh), interpolation=cv2.INTER_NEAREST), np.ones((3, 3), np.uint8))
    filled = _patchmatch(u8, m8, radius) if kind == "patchmatch" else _fsr(u8, m8, best=kind == "fsr_best")
    if filled is None:
        return None
    if scale < 1.0:
        filled = cv2.resize(filled, (w, h), interpolation=cv2.INTER_CUBIC)
    out = rgb.astype(np.float32).copy()
    out[hole] = filled[hole].astype(np.float32) / 255
    return out


def _patchmatch(u8: np.ndarray, m8: np.ndarray, radius: int) -> np.ndarray | None:
    """pypatchmatch's inpainting (seeded: the same input gives the same pixels), or None without it."""
    try:
        from patchmatch import patch_match
    except ImportError:
        return None
    if not patch_match.patchmatch_available:
        return None
    with _PM_LOCK:  # the seed is global state in the native library
        patch_match.set_random_seed(0)
        return patch_match.inpaint(np.ascontiguousarray(u8), np.ascontiguousarray(m8), patch_size=radius)


def _fsr(u8: np.ndarray, m8: np.ndarray, *, best: bool) -> np.ndarray | None:
    """OpenCV contrib's frequency-selective reconstruction, or None when cv2 has no xphoto module."""
    xphoto = getattr(cv2, "xphoto", None)
    if xphoto is None:
        return None
    filled = np.zeros_like(u8)
    flag = xphoto.INPAINT_FSR_BEST if best else xphoto.INPAINT_FSR_FAST
    xphoto.inpaint(u8, (1 - m8).astype(np.uint8), filled, flag)
    return filled
