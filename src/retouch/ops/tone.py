"""Tone operations: brightness, exposure, contrast, gamma, highlights/shadows, auto levels.

Also the small pixel helpers the colour ops share (luma, affine colour transform, clipping).
All pixel ops are pure functions of their parameters per pixel, so they give identical
results on horizontal strips; global statistics come from `prepare` on a downscaled copy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from .registry import OpContext, register

#: Rec.709 luma weights, the same the evaluator and users' tools measure with.
LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)
#: Longest side of the copy that global statistics are computed on (fast, and stable).
STATS_SIDE = 256
#: Pointwise chains run on row chunks of about this many bytes, which stay in the CPU's L2
#: cache between passes: 2-3x faster than whole-image passes that stream through memory.
CHUNK_BYTES = 1 << 19
_EPS = 1e-6
#: Widest soft shoulder/toe of the contrast curve: narrow keeps tonal separation near the ends.
CONTRAST_KNEE = 0.12
#: Clipping is compensated up to this factor on the gain; beyond, the image cannot take more.
MAX_COMPENSATION = 1.75


# --------------------------------------------------------------------------- helpers


def luma(img: np.ndarray) -> np.ndarray:
    """Rec.709 luma, HxW float32 (alpha ignored)."""
    w = np.zeros((1, img.shape[2]), np.float32)
    w[0, :3] = LUMA
    return cv2.transform(np.ascontiguousarray(img), w)


def rgb_of(img: np.ndarray) -> np.ndarray:
    """The colour channels as a C-contiguous HxWx3 array (no copy when already so)."""
    return np.ascontiguousarray(img if img.shape[2] == 3 else img[..., :3])


def scalar(v: float) -> tuple[float, float, float, float]:
    """An OpenCV scalar with `v` in every channel (a bare float may reach the first one only)."""
    return (v, v, v, v)


def with_alpha(rgb: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Attach the alpha channel of `like` (if any) to the new colour channels `rgb`."""
    if like.shape[2] == 3:
        return rgb
    out = np.empty(like.shape, np.float32)
    out[..., :3] = rgb
    out[..., 3] = like[..., 3]
    return out


Kernel = Callable[[np.ndarray, int], np.ndarray]


def chunk_rows(width: int) -> int:
    """Rows per chunk of `by_rows` for an image this wide."""
    return max(2, CHUNK_BYTES // (width * 12))


def by_rows(img: np.ndarray, kernel: Kernel) -> np.ndarray:
    """Run kernel(chunk, y) -> chunk colour channels over cache-sized row chunks; alpha kept.

    `y` is the chunk's first row within `img` (add ctx.frame.y0 for the absolute row).
    """
    h, w, c = img.shape
    rows = chunk_rows(w)
    if 2 * rows >= h:  # already cache-sized (e.g. a strip from the executor): one call
        return with_alpha(kernel(img, 0), img)
    out = np.empty((h, w, c), np.float32)
    if c == 4:
        out[..., 3] = img[..., 3]
    rgb = out if c == 3 else out[..., :3]
    for y in range(0, h, rows):
        rgb[y : y + rows] = kernel(img[y : y + rows], y)
    return out


def affine_rgb(img: np.ndarray, m: np.ndarray, offset: Any = 0.0) -> np.ndarray:
    """New HxWx3 array rgb' = m @ rgb + offset, one multithreaded OpenCV pass (alpha ignored)."""
    c = img.shape[2]
    mat = np.zeros((3, c + 1), np.float32)
    mat[:, :3] = m
    mat[:, c] = offset
    return cv2.transform(np.ascontiguousarray(img), mat)


def clip01_(a: np.ndarray) -> np.ndarray:
    """Clip to [0, 1] in place (OpenCV thresholds act on every channel, unlike its scalar min/max)."""
    cv2.threshold(a, 1.0, 1.0, cv2.THRESH_TRUNC, dst=a)
    cv2.threshold(a, 0.0, 0.0, cv2.THRESH_TOZERO, dst=a)
    return a


def roll_off_(a: np.ndarray, lo: float, hi: float, width: float = 1.0) -> np.ndarray:
    """Softly fold the range [lo, hi] of a linear tone map into [0, 1], in place.

    Values in [0, 1] far from the ends are untouched. Near each end a quadratic shoulder
    (toe) starts with the map's slope at a knee and flattens onto 1 (0) with zero slope;
    its width is the overshoot, at most `width`, beyond which values clip. So a tiny gain
    is a tiny change, and a narrow `width` keeps more of the tonal separation (contrast).
    """
    if hi > 1.0:
        c = min(hi - 1.0, width, 1.0)
        t = cv2.subtract(a, scalar(1.0 - c))
        cv2.threshold(t, 0.0, 0.0, cv2.THRESH_TOZERO, dst=t)
        if c < hi - 1.0:  # values beyond the shoulder exist: hold them at its top
            cv2.threshold(t, 2.0 * c, 0.0, cv2.THRESH_TRUNC, dst=t)
        cv2.multiply(t, t, dst=t, scale=0.25 / c)
        cv2.subtract(a, t, dst=a)
    if lo < 0.0:
        c = min(-lo, width, 1.0)
        t = np.subtract(np.float32(c), a)
        cv2.threshold(t, 0.0, 0.0, cv2.THRESH_TOZERO, dst=t)
        if c < -lo:
            cv2.threshold(t, 2.0 * c, 0.0, cv2.THRESH_TRUNC, dst=t)
        cv2.multiply(t, t, dst=t, scale=0.25 / c)
        cv2.add(a, t, dst=a)
    return a


def stats_view(img: np.ndarray, side: int = STATS_SIDE) -> np.ndarray:
    """A small RGB copy for global statistics (area-averaged, so means are preserved)."""
    h, w = img.shape[:2]
    rgb = rgb_of(img)
    f = side / max(h, w)
    if f >= 1.0:
        return rgb
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def bisect(fn: Any, lo: float, hi: float, target: float, iters: int = 14) -> float:
    """x in [lo, hi] with fn(x) ≈ target for an increasing fn; clamps to the ends."""
    if fn(hi) <= target:
        return hi
    if fn(lo) >= target:
        return lo
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if fn(mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _gain_curve(img: np.ndarray, gain: float) -> np.ndarray:
    """rgb × gain with a soft shoulder instead of clipping (HxWx3 result)."""
    out = affine_rgb(img, np.eye(3, dtype=np.float32) * gain)
    if gain > 1.0:
        roll_off_(out, 0.0, gain)
    return clip01_(out)


def contrast_matrix(gain: float) -> np.ndarray:
    """Luma spread × gain, chroma × sqrt(gain): punchier without the garish saturation of per-channel."""
    # Per-channel contrast (Pillow's) also scales chroma by the gain, which on already
    # saturated photos clips channels and turns reds to flat orange; sqrt is a middle way.
    m = float(np.sqrt(max(gain, 0.0)))
    return (m * np.eye(3) + (gain - m) * np.outer(np.ones(3), LUMA)).astype(np.float32)


def _contrast_curve(img: np.ndarray, pivot: float, gain: float) -> np.ndarray:
    """(luma - pivot) × gain + pivot with soft toe and shoulder (HxWx3 result)."""
    out = affine_rgb(img, contrast_matrix(gain), pivot * (1.0 - gain))
    if gain > 1.0:
        roll_off_(out, pivot * (1.0 - gain), pivot + (1.0 - pivot) * gain, width=CONTRAST_KNEE)
    return clip01_(out)


# --------------------------------------------------------------------------- brightness / exposure


def _brightness_prepare(
    img: np.ndarray, ctx: OpContext, amount: float = 0.2, **params: Any
) -> dict[str, Any]:
    """Resolve the gain whose soft-shouldered curve scales mean luma by exactly 1 + amount."""
    target = max(1.0 + float(amount), 0.0)
    if target <= 1.0:
        return {**params, "amount": amount, "gain": target}
    small = stats_view(img)
    base = float(luma(small).mean())
    if base < _EPS:
        return {**params, "amount": amount, "gain": target}
    gain = bisect(
        lambda g: float(luma(_gain_curve(small, g)).mean()) / base, target, MAX_COMPENSATION * target, target
    )
    return {**params, "amount": amount, "gain": gain}


@register("brightness", prepare=_brightness_prepare)
def brightness(img: np.ndarray, ctx: OpContext, amount: float = 0.2, gain: float | None = None) -> np.ndarray:
    """Mean luminance × (1 + amount); brightening rolls highlights off instead of clipping them."""
    if gain is None:
        gain = _brightness_prepare(img, ctx, amount)["gain"]
    g = float(gain)
    return by_rows(img, lambda c, _y: _gain_curve(c, g))


@register("exposure")
def exposure(img: np.ndarray, ctx: OpContext, stops: float = 0.5) -> np.ndarray:
    """Exposure in stops: a linear-light gain 2**stops, i.e. 2**(stops/2.2) on sRGB-coded values."""
    # sRGB is close to a 2.2 power law, under which a linear-light gain is a plain gain on codes.
    g = 2.0 ** (float(stops) / 2.2)
    return by_rows(img, lambda c, _y: _gain_curve(c, g))


# --------------------------------------------------------------------------- contrast / gamma


def _contrast_prepare(img: np.ndarray, ctx: OpContext, amount: float = 0.2, **params: Any) -> dict[str, Any]:
    """Pivot = mean luma; gain chosen so the luma std ratio is 1 + amount after the soft clip."""
    target = max(1.0 + float(amount), 0.0)
    small = stats_view(img)
    lum = luma(small)
    pivot = float(params.get("pivot") or lum.mean())
    base = float(lum.std())
    gain = target
    if target > 1.0 and base > _EPS:
        gain = bisect(
            lambda k: float(luma(_contrast_curve(small, pivot, k)).std()) / base,
            target,
            MAX_COMPENSATION * target,
            target,
        )
    return {**params, "amount": amount, "pivot": pivot, "gain": gain}


@register("contrast", prepare=_contrast_prepare)
def contrast(
    img: np.ndarray,
    ctx: OpContext,
    amount: float = 0.2,
    pivot: float | None = None,
    gain: float | None = None,
) -> np.ndarray:
    """Scale luminance spread around the mean luma by 1 + amount, soft toe and shoulder."""
    if pivot is None or gain is None:
        p = _contrast_prepare(img, ctx, amount, **({"pivot": pivot} if pivot is not None else {}))
        pivot, gain = p["pivot"], p["gain"]
    p, k = float(pivot), float(gain)
    return by_rows(img, lambda c, _y: _contrast_curve(c, p, k))


@register("gamma")
def gamma(img: np.ndarray, ctx: OpContext, gamma: float = 1.2) -> np.ndarray:
    """out = in ** (1 / gamma); gamma > 1 brightens the midtones, black and white stay put."""
    e = 1.0 / float(np.clip(gamma, 0.1, 10.0))
    return by_rows(img, lambda c, _y: cv2.pow(clip01_(rgb_of(c).copy()), e))


# --------------------------------------------------------------------------- highlights / shadows


def _smoothstep(x: np.ndarray, e0: float, e1: float) -> np.ndarray:
    """Hermite ramp 0 → 1 between e0 and e1, new array."""
    t = np.clip((x - e0) * np.float32(1.0 / (e1 - e0)), 0.0, 1.0)
    return t * t * (np.float32(3.0) - np.float32(2.0) * t)


def _scale_rgb(img: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """rgb × per-pixel gain (HxW), clipped: keeps hue and saturation ratios."""
    g3 = cv2.cvtColor(gain.astype(np.float32, copy=False), cv2.COLOR_GRAY2RGB)
    return clip01_(cv2.multiply(rgb_of(img), g3))


def _shadows_kernel(img: np.ndarray, a: float) -> np.ndarray:
    """Gain rising toward black: lifting may double the deepest tones, deepening stays positive."""
    weight = 1.0 - _smoothstep(luma(img), 0.0, 0.6)
    return _scale_rgb(img, 1.0 + (1.2 if a > 0 else 0.6) * a * weight)


@register("shadows")
def shadows(img: np.ndarray, ctx: OpContext, amount: float = 0.3) -> np.ndarray:
    """Lift (+) or deepen (-) dark tones by a luminance-weighted gain; midtones barely move."""
    a = float(np.clip(amount, -1.0, 1.0))
    return by_rows(img, lambda c, _y: _shadows_kernel(c, a))


def _highlights_kernel(img: np.ndarray, a: float) -> np.ndarray:
    """Gain acting above the midtones only."""
    lum = luma(img)
    weight = _smoothstep(lum, 0.45, 1.0)
    if a < 0:
        return _scale_rgb(img, 1.0 + 0.35 * a * weight)
    # move luma part of the way to white, so nothing clips that was not clipped
    target = lum + 0.5 * a * weight * (1.0 - lum)
    return _scale_rgb(img, target / np.maximum(lum, np.float32(_EPS)))


@register("highlights")
def highlights(img: np.ndarray, ctx: OpContext, amount: float = -0.3) -> np.ndarray:
    """Recover (-) or lift (+) bright tones only; shadows and lower midtones are untouched."""
    a = float(np.clip(amount, -1.0, 1.0))
    return by_rows(img, lambda c, _y: _highlights_kernel(c, a))


# --------------------------------------------------------------------------- auto levels


@register("auto_levels")
def auto_levels(img: np.ndarray, ctx: OpContext, clip: float = 0.5) -> np.ndarray:
    """Per-channel levels: the clip% darkest/brightest pixels of each channel become black/white."""
    rgb = rgb_of(img)
    step = max(1, int(np.sqrt(rgb.shape[0] * rgb.shape[1] / 1_000_000)))  # percentiles on ≤ ~1 MP
    sample = rgb[::step, ::step].reshape(-1, 3)
    q = float(np.clip(clip, 0.0, 20.0))
    lo, hi = np.percentile(sample, [q, 100.0 - q], axis=0)
    span = hi - lo
    # a channel with almost no range (flat or graphic image) would only amplify noise
    keep = span < 0.04
    lo = np.where(keep, 0.0, lo)
    scale = np.where(keep, 1.0, 1.0 / np.maximum(span, _EPS))
    out = affine_rgb(img, np.diag(scale).astype(np.float32), (-lo * scale).astype(np.float32))
    return with_alpha(clip01_(out), img)
