"""Colour operations: saturation/vibrance (global or per hue band), hue, white balance, monochromes, looks.

Most colour edits are affine maps of RGB (a 3x3 matrix and an offset): they run as one
multithreaded `cv2.transform` pass, keep Rec.709 luma where they should, and are exact on
strips. Hue bands use the same hue angle the evaluator measures (atan2 of opponent axes).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from ..errors import OptionError
from .registry import OpContext, register
from .tone import (
    CONTRAST_KNEE,
    LUMA,
    MAX_COMPENSATION,
    affine_rgb,
    bisect,
    by_rows,
    chunk_rows,
    clip01_,
    contrast_matrix,
    luma,
    rgb_of,
    roll_off_,
    stats_view,
)

_I3 = np.eye(3, dtype=np.float32)
_ONES_W = np.outer(np.ones(3), LUMA).astype(np.float32)  # rgb -> (L, L, L)
_SQ3 = float(np.sqrt(3.0))

#: Hue bands: centre and half-width in degrees of the opponent hue angle (red 0, green 120, blue 240).
BANDS: dict[str, tuple[float, float]] = {
    "red": (0.0, 35.0),
    "orange": (30.0, 25.0),
    "yellow": (60.0, 28.0),
    "green": (120.0, 55.0),
    "cyan": (180.0, 35.0),
    "blue": (228.0, 45.0),
    "purple": (272.0, 30.0),
    "magenta": (312.0, 35.0),
    "skin": (25.0, 22.0),
}


# --------------------------------------------------------------------------- helpers

Affine = tuple[np.ndarray, np.ndarray]


def _affine(m: np.ndarray, off: Any = 0.0) -> Affine:
    """An affine colour map as (3x3 float32 matrix, 3 offsets)."""
    return np.asarray(m, np.float32), np.broadcast_to(np.asarray(off, np.float32), (3,)).copy()


def _then(first: Affine, second: Affine) -> Affine:
    """Composition: apply `first`, then `second`."""
    m1, o1 = first
    m2, o2 = second
    return (m2 @ m1).astype(np.float32), (m2 @ o1 + o2).astype(np.float32)


def _mix(a: Affine, amount: float) -> Affine:
    """Blend identity → `a` by amount (blending outputs of affine maps is affine)."""
    m, o = a
    t = float(amount)
    return ((1.0 - t) * _I3 + t * m).astype(np.float32), (t * o).astype(np.float32)


def _apply(img: np.ndarray, a: Affine, soft: bool = False) -> np.ndarray:
    """Run an affine map on the colour channels, optionally with soft toe/shoulder, clip, keep alpha."""
    m, o = a
    # the range the unit cube maps to tells how far the map can overshoot
    lo = float(np.min(o + np.minimum(m, 0).sum(1))) if soft else 0.0
    hi = float(np.max(o + np.maximum(m, 0).sum(1))) if soft else 1.0

    def kernel(c: np.ndarray, _y: int) -> np.ndarray:
        return clip01_(roll_off_(affine_rgb(c, m, o), lo, hi, width=CONTRAST_KNEE))

    return by_rows(img, kernel)


def sat_matrix(scale: float) -> np.ndarray:
    """Chroma × scale around Rec.709 luma (luma unchanged)."""
    return ((1.0 - scale) * _ONES_W + scale * _I3).astype(np.float32)


def gains_keep_luma(r: float, b: float) -> np.ndarray:
    """Diagonal channel gains with green solved so neutral luma is unchanged."""
    g = (1.0 - LUMA[0] * r - LUMA[2] * b) / LUMA[1]
    return np.diag([r, g, b]).astype(np.float32)


def _hue_rotation(degrees: float) -> np.ndarray:
    """Rotate the opponent hue angle by `degrees`, keeping luma: T⁻¹ R T."""
    t = np.array([LUMA, [2.0, -1.0, -1.0], [0.0, _SQ3, -_SQ3]], np.float64)
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    r = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    return (np.linalg.inv(t) @ r @ t).astype(np.float32)


def _gray3(x: np.ndarray) -> np.ndarray:
    """HxW → HxWx3 by repetition (fast OpenCV path)."""
    return cv2.cvtColor(np.ascontiguousarray(x, np.float32), cv2.COLOR_GRAY2RGB)


def _blend_rgb(img: np.ndarray, target: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """img + (target - img) × weight (HxW weight), colour channels only."""
    rgb = rgb_of(img)
    d = cv2.subtract(target, rgb)
    cv2.multiply(d, _gray3(weight), dst=d)
    return cv2.add(d, rgb, dst=d)


def _sat_of(rgb: np.ndarray) -> np.ndarray:
    """HSV-style saturation (max - min) / max per pixel."""
    r, g, b = cv2.split(rgb)
    mx = cv2.max(cv2.max(r, g), b)
    mn = cv2.min(cv2.min(r, g), b)
    return (mx - mn) / np.maximum(mx, np.float32(1e-6))


def hue_degrees(img: np.ndarray) -> np.ndarray:
    """Opponent hue angle in degrees [0, 360), as the evaluator measures it."""
    m = np.zeros((2, img.shape[2]), np.float32)
    m[:, :3] = [[2.0, -1.0, -1.0], [0.0, _SQ3, -_SQ3]]
    x, y = cv2.split(cv2.transform(np.ascontiguousarray(img), m))
    return cv2.phase(x, y, angleInDegrees=True)


def band_weight(img: np.ndarray, band: str, sat: np.ndarray | None = None) -> np.ndarray:
    """Smooth 0..1 membership of each pixel in a hue band (smoothstep of the hue distance)."""
    if band not in BANDS:
        raise OptionError(f"unknown colour band {band!r}; use one of {', '.join(BANDS)}", param="band")
    centre, half = BANDS[band]
    d = np.abs(hue_degrees(img) - np.float32(centre))
    d = np.minimum(d, np.float32(360.0) - d, out=d)
    # t = 1 - d/half clipped to 0..1, then smoothstep: 1 at the centre, 0 from `half` on
    t = cv2.threshold(np.float32(1.0) - d * np.float32(1.0 / half), 0.0, 0.0, cv2.THRESH_TOZERO)[1]
    w = t * t
    t *= np.float32(-2.0)
    t += np.float32(3.0)
    w *= t
    if band == "skin":  # skin is moderately saturated: not grey, not a saturated orange object
        s = _sat_of(rgb_of(img)) if sat is None else sat
        w *= np.clip((s - np.float32(0.08)) * np.float32(10.0), 0, 1)
        w *= np.clip((np.float32(0.8) - s) * np.float32(5.0), 0, 1)
    return w


def _band_or_none(band: str | None) -> str | None:
    """A hue band name, or None for the whole image ("all" and "" mean the same)."""
    return None if band in (None, "", "all", "none") else str(band).lower()


def _mean_sat(rgb: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean HSV saturation, optionally over a boolean mask."""
    s = _sat_of(np.clip(rgb, 0, 1))
    return float(s[mask].mean() if mask is not None else s.mean())


# --------------------------------------------------------------------------- saturation / vibrance


def _saturate(img: np.ndarray, scale: float, band: str | None, except_band: str | None = None) -> np.ndarray:
    """Chroma × scale around luma, globally or weighted by a hue band (colour channels only).

    With `except_band`, every pixel changes except that band ("desaturate all but the reds").
    """
    if band is None and except_band is None:
        return clip01_(affine_rgb(img, sat_matrix(scale)))
    target = affine_rgb(img, sat_matrix(scale))
    w = band_weight(img, band) if band is not None else np.ones(img.shape[:2], np.float32)
    if except_band is not None:
        w = w * (np.float32(1.0) - band_weight(img, except_band))
    return clip01_(_blend_rgb(img, target, w))


def _saturation_prepare(
    img: np.ndarray, ctx: OpContext, amount: float = 0.2, band: str | None = None, **params: Any
) -> dict[str, Any]:
    """Scale so the mean (max-min)/max saturation changes by 1 + amount despite clipping."""
    band = _band_or_none(band)
    except_band = _band_or_none(params.pop("except_band", None))
    if except_band is not None:
        params["except_band"] = except_band
    target = max(1.0 + float(amount), 0.0)
    small = stats_view(img)
    mask = None
    if band is not None or except_band is not None:
        mask = np.ones(small.shape[:2], bool)
        if band is not None:
            mask &= band_weight(small, band) > 0.5
        if except_band is not None:
            mask &= band_weight(small, except_band) < 0.5
        if mask.sum() < 20:
            return {**params, "amount": amount, "band": band, "scale": target}
    base = _mean_sat(small, mask)
    if base < 1e-4 or target == 1.0:
        return {**params, "amount": amount, "band": band, "scale": target}

    def ratio(s: float) -> float:
        return _mean_sat(_saturate(small, s, band, except_band), mask) / base

    if target > 1.0:
        scale = bisect(ratio, target, MAX_COMPENSATION * target, target)
    else:
        scale = bisect(ratio, 0.0, 1.0, target)
    return {**params, "amount": amount, "band": band, "scale": scale}


@register("saturation", prepare=_saturation_prepare)
def saturation(
    img: np.ndarray,
    ctx: OpContext,
    amount: float = 0.2,
    band: str | None = None,
    scale: float | None = None,
    except_band: str | None = None,
) -> np.ndarray:
    """Mean saturation × (1 + amount), luma kept; with `band`, only that hue range changes; with
    `except_band`, everything but that hue range changes (a colour splash: amount -1, except_band red)."""
    band = _band_or_none(band)
    except_band = _band_or_none(except_band)
    if scale is None:
        scale = _saturation_prepare(img, ctx, amount, band, except_band=except_band)["scale"]
    s = float(scale)
    return by_rows(img, lambda c, _y: _saturate(c, s, band, except_band))


@register("vibrance")
def vibrance(img: np.ndarray, ctx: OpContext, amount: float = 0.3) -> np.ndarray:
    """Saturation boost that favours muted colours and spares skin; negative mutes the loudest first."""
    a = float(np.clip(amount, -1.0, 2.0))
    m = sat_matrix(1.0 + a)

    def kernel(c: np.ndarray, _y: int) -> np.ndarray:
        s = _sat_of(rgb_of(c))
        # boosting favours muted pixels and spares skin; muting takes the loudest colours first
        if a >= 0:
            w = np.float32(1.0) - s
            w *= w
            w *= np.float32(1.0) - np.float32(0.7) * band_weight(c, "skin", s)
        else:
            w = np.sqrt(s)
        return clip01_(_blend_rgb(c, affine_rgb(c, m), w))

    return by_rows(img, kernel)


# --------------------------------------------------------------------------- hue / white balance


@register("hue_shift")
def hue_shift(img: np.ndarray, ctx: OpContext, degrees: float = 30.0, band: str | None = None) -> np.ndarray:
    """Rotate hue by degrees (red → yellow → green for +), luma kept; optionally one band only."""
    m = _hue_rotation(float(degrees))
    band = _band_or_none(band)
    if band is None:
        return _apply(img, _affine(m))
    band_weight(img[:1], band)  # validate the band name once

    def kernel(c: np.ndarray, _y: int) -> np.ndarray:
        return clip01_(_blend_rgb(c, affine_rgb(c, m), band_weight(c, band)))

    return by_rows(img, kernel)


def temperature_matrix(amount: float) -> np.ndarray:
    """White-balance gains: + raises red and lowers blue (amber), - the reverse; luma kept."""
    a = float(np.clip(amount, -1.0, 1.0))
    return gains_keep_luma(1.0 + 0.25 * a, 1.0 - 0.5 * a)


@register("temperature")
def temperature(img: np.ndarray, ctx: OpContext, amount: float = 0.3) -> np.ndarray:
    """Warmer (+, amber) or cooler (-, blue) white balance with luminance kept."""
    # plain clipping: a soft shoulder would also pull down channels whose gain is below 1
    return _apply(img, _affine(temperature_matrix(amount)))


@register("tint")
def tint(img: np.ndarray, ctx: OpContext, amount: float = 0.2) -> np.ndarray:
    """Magenta (+) or green (-) tint with luminance kept."""
    a = float(np.clip(amount, -1.0, 1.0))
    g = 1.0 - 0.15 * a
    rb = 1.0 + (1.0 - g) * LUMA[1] / (LUMA[0] + LUMA[2])
    return _apply(img, _affine(np.diag([rb, g, rb])))


# --------------------------------------------------------------------------- replace colour

#: Opponent transform: rgb → (luma, x = 2r - g - b, y = √3 (g - b)); the hue angle is atan2(y, x).
_OPP = np.array([LUMA, [2.0, -1.0, -1.0], [0.0, _SQ3, -_SQ3]], np.float32)
_OPP_INV = np.linalg.inv(_OPP.astype(np.float64)).astype(np.float32)
#: Below this HSV saturation a pixel is grey, whatever its hue angle says: it is not recoloured.
_GREY_SAT = (0.06, 0.16)
#: Pixels whose chroma is below these fractions of the band's mean chroma are (partly) left alone.
_DULL = (0.2, 0.45)


def _ramp(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """0 below lo, 1 above hi, linear between (new float32 array)."""
    t = (x - np.float32(lo)) * np.float32(1.0 / (hi - lo))
    return cv2.threshold(cv2.threshold(t, 1.0, 1.0, cv2.THRESH_TRUNC)[1], 0.0, 0.0, cv2.THRESH_TOZERO)[1]


def _replace_weight(img: np.ndarray, band: str, ref_chroma: float | None = None) -> np.ndarray:
    """Band membership × a ramp that leaves near-grey pixels alone, and, once the band's mean
    chroma is known, one that leaves pixels far duller than the band's colour alone (the brown
    wood behind a red car is in the red band too)."""
    rgb = rgb_of(img)
    s = _sat_of(rgb)
    w = band_weight(img, band, s)
    w *= _ramp(s, *_GREY_SAT)
    if ref_chroma is not None:
        opp = cv2.transform(rgb, _OPP[1:])
        c = cv2.magnitude(opp[..., 0], opp[..., 1])
        w *= _ramp(c, _DULL[0] * ref_chroma, _DULL[1] * ref_chroma)
    return w


def _replace_prepare(
    img: np.ndarray, ctx: OpContext, band: str | None = None, color: Any = None, **params: Any
) -> dict[str, Any]:
    """The band's mean luma and chroma (weighted by membership), measured once on a small copy."""
    b = _band_or_none(band)
    if b is None:
        raise OptionError("replace_color needs the hue band to change, e.g. band='red'", param="band")
    if color is None:
        raise OptionError("replace_color needs the colour to change it to, e.g. color=[40, 90, 200]", param="color")
    small = stats_view(img)
    w = _replace_weight(small, b)
    opp = cv2.transform(np.ascontiguousarray(small), _OPP)
    total = float(w.sum())
    if total < 4.0:  # the band is (almost) absent: nothing will change, any reference will do
        ref_l, ref_c = 0.5, 1.0
    else:
        ref_l = float((opp[..., 0] * w).sum() / total)
        ref_c = float((np.hypot(opp[..., 1], opp[..., 2]) * w).sum() / total)
    return {**params, "band": b, "color": color, "ref_luma": ref_l, "ref_chroma": ref_c}


def _toward(lum: np.ndarray, ref: float, target: float) -> np.ndarray:
    """Map luma so `ref` lands on `target`, shading kept: scaled toward black, or screened toward white."""
    ref = min(max(ref, 1e-3), 1.0 - 1e-3)
    if target <= ref:
        return lum * np.float32(target / ref)
    k = np.float32((1.0 - target) / (1.0 - ref))
    return np.float32(1.0) - (np.float32(1.0) - lum) * k


def _recolor(c: np.ndarray, band: str, target: np.ndarray, ref_l: float, ref_c: float, a: float) -> np.ndarray:
    """The band's pixels with the target's hue, their chroma and luma rescaled, inside the RGB gamut."""
    tl, tx, ty = (float(v) for v in _OPP @ target)
    tc = float(np.hypot(tx, ty))
    w = _replace_weight(c, band, ref_c)
    if a < 1.0:
        w *= np.float32(a)
    opp = cv2.transform(rgb_of(c), _OPP)
    lum = _toward(opp[..., 0], ref_l, tl)
    chroma = cv2.magnitude(opp[..., 1], opp[..., 2]) * np.float32(1.0 / max(ref_c, 0.02))
    # chroma as rgb offsets of zero luma, in the target's hue direction, scaled per pixel
    d = _OPP_INV[:, 1] * np.float32(tx) + _OPP_INV[:, 2] * np.float32(ty)  # rgb direction of the target's chroma
    # the largest scale s (<= the wanted one) that keeps lum + s·d inside [0, 1] in every channel
    s = chroma
    for k in range(3):
        if d[k] > 1e-6:
            s = np.minimum(s, (np.float32(1.0) - lum) * np.float32(1.0 / d[k]))
        elif d[k] < -1e-6:
            s = np.minimum(s, lum * np.float32(-1.0 / d[k]))
    if tc < 1e-6:
        s = np.zeros_like(s)
    new = _gray3(lum)
    new += _gray3(s) * d.reshape(1, 1, 3)
    return clip01_(_blend_rgb(c, clip01_(new), w))


@register("replace_color", prepare=_replace_prepare)
def replace_color(
    img: np.ndarray,
    ctx: OpContext,
    band: str | None = None,
    color: Any = None,
    amount: float = 1.0,
    ref_luma: float | None = None,
    ref_chroma: float | None = None,
) -> np.ndarray:
    """Recolour one hue band: its mean colour becomes `color`, its shading and texture are kept."""
    if ref_luma is None or ref_chroma is None:
        p = _replace_prepare(img, ctx, band, color)
        ref_luma, ref_chroma, band = p["ref_luma"], p["ref_chroma"], p["band"]
    b = _band_or_none(band)
    if b is None:
        raise OptionError("replace_color needs the hue band to change, e.g. band='red'", param="band")
    target = _color01(color)
    a = float(np.clip(amount, 0.0, 1.0))
    rl, rc = float(ref_luma), float(ref_chroma)
    return by_rows(img, lambda c, _y: _recolor(c, b, target, rl, rc, a))


# --------------------------------------------------------------------------- monochromes


@register("grayscale")
def grayscale(img: np.ndarray, ctx: OpContext, amount: float = 1.0) -> np.ndarray:
    """Black and white by Rec.709 luma; amount 1 gives exactly equal channels."""
    a = float(np.clip(amount, 0.0, 1.0))
    if a >= 1.0:  # one luma plane copied to all three: bit-identical channels
        return by_rows(img, lambda c, _y: clip01_(_gray3(luma(c))))
    return _apply(img, _affine(sat_matrix(1.0 - a)))


#: Sepia tone per unit luma (a warm brown, hue ≈ 38°, saturation ≈ 0.41).
SEPIA = np.array([1.15, 0.97, 0.68], np.float32) / np.float32(np.dot([1.15, 0.97, 0.68], LUMA))


@register("sepia")
def sepia(img: np.ndarray, ctx: OpContext, amount: float = 1.0) -> np.ndarray:
    """Warm brown monochrome whose colour depends on brightness alone."""
    return _apply(img, _mix(_affine(np.outer(SEPIA, LUMA)), float(np.clip(amount, 0.0, 1.0))))


def _color01(color: Any, param: str = "color") -> np.ndarray:
    """[r, g, b] in 0..255 → float32 0..1, validated."""
    c = np.asarray(color, np.float32).reshape(-1)
    if c.size != 3 or not np.all(np.isfinite(c)):
        raise OptionError(f"{param} must be [r, g, b] with values 0..255, got {color!r}", param=param)
    return np.clip(c / 255.0, 0.0, 1.0)


@register("colorize")
def colorize(img: np.ndarray, ctx: OpContext, color: Any = (112, 66, 20), amount: float = 1.0) -> np.ndarray:
    """Duotone: black → `color` (at its own luma) → white, so luminance is kept exactly."""
    c = _color01(color)
    lc = float(np.clip(np.dot(c, LUMA), 0.02, 0.98))
    a = float(np.clip(amount, 0.0, 1.0))

    def kernel(chunk: np.ndarray, _y: int) -> np.ndarray:
        lum = luma(chunk)
        lower = np.minimum(lum * np.float32(1.0 / lc), np.float32(1.0))
        upper = np.maximum((lum - np.float32(lc)) * np.float32(1.0 / (1.0 - lc)), np.float32(0.0))
        toned = _gray3(lower)
        cv2.multiply(toned, (*map(float, c), 0.0), dst=toned)
        up = _gray3(upper)
        cv2.multiply(up, (*map(float, 1.0 - c), 0.0), dst=up)
        cv2.add(toned, up, dst=toned)
        out = toned if a >= 1.0 else cv2.addWeighted(toned, a, rgb_of(chunk), 1.0 - a, 0.0)
        return clip01_(out)

    return by_rows(img, kernel)


@register("invert")
def invert(img: np.ndarray, ctx: OpContext) -> np.ndarray:
    """Negative image (alpha kept)."""
    return _apply(img, _affine(-_I3, 1.0))


# --------------------------------------------------------------------------- looks


def _levels(black: Any, white: Any) -> Affine:
    """Output levels: 0 → black, 1 → white (per channel)."""
    b = np.broadcast_to(np.asarray(black, np.float32), (3,))
    w = np.broadcast_to(np.asarray(white, np.float32), (3,))
    return _affine(np.diag(w - b), b)


def _contrast(k: float) -> Affine:
    """Contrast around mid-grey with the same luma/chroma split as the contrast op."""
    return _affine(contrast_matrix(k), 0.5 * (1.0 - k))


def _split_tone(k: float) -> Affine:
    """Shadows toward teal, highlights toward orange: rgb + k (L - ½) d, luma neutral d."""
    d = np.array([1.0, -0.2, -1.0], np.float32)
    d -= np.float32(np.dot(d, LUMA))  # exactly luma-neutral
    return _affine(_I3 + k * np.outer(d, LUMA), -0.5 * k * d)


def _chain(*steps: Affine) -> Affine:
    """Compose affine steps left to right."""
    out = _affine(_I3)
    for s in steps:
        out = _then(out, s)
    return out


def _looks() -> dict[str, Affine]:
    """The named looks as affine colour maps (each a small recipe of familiar grading moves)."""
    warm = _affine(temperature_matrix(0.25))
    return {
        "vintage": _chain(
            _affine(sat_matrix(0.7)), warm, _contrast(0.92), _levels([0.08, 0.06, 0.04], [0.96, 0.93, 0.82])
        ),
        "faded": _chain(_affine(sat_matrix(0.8)), _contrast(0.85), _levels(0.1, 0.95)),
        "cinematic": _chain(
            _contrast(1.12), _affine(sat_matrix(0.85)), _split_tone(0.18), _levels([0.02, 0.025, 0.03], 0.98)
        ),
        "teal_orange": _chain(_split_tone(0.4), _affine(sat_matrix(1.1)), _contrast(1.05)),
        "noir": _chain(_affine(sat_matrix(0.0)), _contrast(1.45)),
        "bleach_bypass": _chain(_affine(sat_matrix(0.45)), _contrast(1.3)),
        "cross_process": _chain(
            _affine(np.diag([1.15, 1.08, 0.72]), [-0.04, -0.01, 0.13]), _affine(sat_matrix(1.1))
        ),
        "golden_hour": _chain(
            _affine(temperature_matrix(0.5)),
            _affine(sat_matrix(1.12)),
            _affine(_I3 * 1.04),
            _levels([0.03, 0.015, 0.0], 1.0),
        ),
        "matte": _chain(_affine(sat_matrix(0.9)), _contrast(0.95), _levels(0.08, 0.94)),
    }


LOOKS = _looks()


@register("look")
def look(img: np.ndarray, ctx: OpContext, name: str = "cinematic", amount: float = 1.0) -> np.ndarray:
    """A named colour grade (vintage, faded, cinematic, teal_orange, noir, ...), blended by amount."""
    if name not in LOOKS:
        raise OptionError(f"unknown look {name!r}; use one of {', '.join(LOOKS)}", param="name")
    return _apply(img, _mix(LOOKS[name], float(np.clip(amount, 0.0, 1.0))), soft=True)


# --------------------------------------------------------------------------- match colour

#: Quantiles that describe a channel's distribution for histogram matching.
_QUANTILES = np.linspace(0.0, 100.0, 513)


#: Linear sRGB → XYZ adapted to D50 (Bradford), the ICC connection space Pillow's "LAB" uses.
_RGB2XYZ_D50 = np.array(
    [[0.4360747, 0.3850649, 0.1430804], [0.2225045, 0.7168786, 0.0606169], [0.0139322, 0.0971045, 0.7141733]],
    np.float32,
)
_WHITE_D50 = np.array([0.96422, 1.0, 0.82521], np.float32)
_RGB2XYZN = (_RGB2XYZ_D50 / _WHITE_D50[:, None]).astype(np.float32)  # to white-normalised XYZ
_XYZN2RGB = np.linalg.inv(_RGB2XYZN).astype(np.float32)
_E = np.float32((6.0 / 29.0) ** 3)
_K = np.float32(1.0 / (3.0 * (6.0 / 29.0) ** 2))


def _lab(rgb: np.ndarray) -> np.ndarray:
    """float sRGB 0..1 → CIE Lab (D50, L 0..100), the space colour-managed tools measure in."""
    c = clip01_(rgb_of(rgb).copy())
    lin = cv2.pow(affine_rgb(c, _I3 / np.float32(1.055), 0.055 / 1.055), 2.4)
    np.copyto(lin, c * np.float32(1 / 12.92), where=c <= np.float32(0.04045))  # sRGB's linear toe
    xyz = cv2.transform(lin, _RGB2XYZN)
    f = cv2.pow(cv2.threshold(xyz, 0.0, 0.0, cv2.THRESH_TOZERO)[1], 1.0 / 3.0)
    np.copyto(f, xyz * _K + np.float32(4.0 / 29.0), where=xyz <= _E)
    m = np.array([[0, 116, 0, -16], [500, -500, 0, 0], [0, 200, -200, 0]], np.float32)
    return cv2.transform(f, m)


def _rgb(lab: np.ndarray) -> np.ndarray:
    """CIE Lab (D50) → float sRGB, clipped to 0..1."""
    m = np.array(
        [
            [1 / 116, 1 / 500, 0, 16 / 116],  # fx
            [1 / 116, 0, 0, 16 / 116],  # fy
            [1 / 116, 0, -1 / 200, 16 / 116],
        ],  # fz
        np.float32,
    )
    f = cv2.transform(np.ascontiguousarray(lab, np.float32), m)
    xyz = cv2.multiply(f, f)
    cv2.multiply(xyz, f, dst=xyz)
    np.copyto(xyz, (f - np.float32(4.0 / 29.0)) * np.float32(1.0 / _K), where=f <= np.float32(6.0 / 29.0))
    lin = clip01_(cv2.transform(xyz, _XYZN2RGB))
    out = cv2.pow(lin, 1.0 / 2.4)
    cv2.addWeighted(out, 1.055, out, 0.0, -0.055, dst=out)
    np.copyto(out, lin * np.float32(12.92), where=lin <= np.float32(0.0031308))
    return clip01_(out)


#: Lab channel ranges the per-channel tables of match_color cover, and their resolution.
_LAB_LO = np.array([0.0, -128.0, -128.0])
_LAB_HI = np.array([100.0, 128.0, 128.0])
_TABLE_SIZE = 4096


def _quantiles(lab: np.ndarray) -> np.ndarray:
    """513 x 3 quantiles of each Lab channel (nearest rank: one sort, no interpolation needed)."""
    v = np.sort(lab.reshape(-1, 3), axis=0)
    return v[np.round(_QUANTILES / 100.0 * (len(v) - 1)).astype(int)]


def _quantile_tables(src_q: np.ndarray, ref_q: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """3 x N monotone maps (tabulated on `grid`) taking each channel's distribution to the reference's."""
    ramp = np.arange(len(_QUANTILES)) * 1e-6  # keeps knots increasing where a value repeats
    return np.stack([np.interp(grid[c], src_q[:, c] + ramp, ref_q[:, c]) for c in range(3)])


def _table_rows(h: int, w: int) -> np.ndarray:
    """The remap y coordinate that picks table row = channel for an h x w x 3 image."""
    return np.ascontiguousarray(np.broadcast_to(np.arange(3, dtype=np.float32), (h, w, 3)).reshape(h, w * 3))


def _apply_tables(lab: np.ndarray, tables: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Per-channel table lookup with linear interpolation: one OpenCV remap for all three channels."""
    h, w = lab.shape[:2]
    scale = (tables.shape[1] - 1) / (_LAB_HI - _LAB_LO)
    idx = cv2.transform(lab, np.hstack([np.diag(scale), (-_LAB_LO * scale)[:, None]]).astype(np.float32))
    rows = _table_rows(h, w) if rows is None or rows.shape[0] < h else rows[:h]
    out = cv2.remap(
        tables.astype(np.float32),
        idx.reshape(h, w * 3),
        rows,
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return out.reshape(h, w, 3)


@register("match_color")
def match_color(img: np.ndarray, ctx: OpContext, ref: int = 1, amount: float = 1.0) -> np.ndarray:
    """Give the image the colour grade of reference `ref`: Lab histogram matching, blended by amount.

    Matching whole per-channel distributions (not only mean and std, as Reinhard's transfer
    does) keeps neutrals neutral relative to the reference and matches how much of the
    image sits on each side of grey, which is what the eye reads as the cast.
    """
    if not 0 <= int(ref) < len(ctx.refs):
        raise OptionError(
            f"reference image {ref} does not exist ({len(ctx.refs)} images given)", param="image"
        )
    a = float(np.clip(amount, 0.0, 1.0))
    ref_q = _quantiles(_lab(stats_view(ctx.refs[int(ref)], 512)))
    small = _lab(stats_view(img, 512))
    grid = np.linspace(_LAB_LO, _LAB_HI, _TABLE_SIZE).T  # 3 x N
    first = _quantile_tables(_quantiles(small), ref_q, grid)
    # a second map, measured on the small copy after the RGB gamut has clipped the first,
    # corrects what clipping took away; the two compose into one table per channel
    clipped = _lab(_rgb(_apply_tables(small, first)))
    second = _quantile_tables(_quantiles(clipped), ref_q, first)
    tables = (grid + a * (second - grid)).astype(np.float32)  # amount blends in Lab
    rows = _table_rows(min(img.shape[0], 2 * chunk_rows(img.shape[1])), img.shape[1])
    return by_rows(img, lambda c, _y: _rgb(_apply_tables(_lab(c), tables, rows)))
