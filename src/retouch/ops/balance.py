"""Automatic white balance: estimate the scene's illuminant and remove the colour cast it gives.

The illuminant is estimated in linear light on a small copy by *gray edge* (van de Weijer,
Gevers & Gijsenij 2007): the Minkowski p=6 mean of each channel's gradient magnitude, which
assumes the average edge, not the average colour, is grey. It is among the best statistical
estimators on real photo sets (Gijsenij, Gevers & van de Weijer, IEEE TIP 2011), and a large
coloured surface (a wall, a lawn) pulls it far less than gray world. Clipped and near-black
pixels carry no illuminant and are left out. `bench/bench_white_balance.py` measures it against
gray world, white patch, shades of gray and OpenCV xphoto's three balancers on the same inputs
(docs/builtin.md has the figures).

The correction is a von Kries diagonal gain in linear light, normalised so a neutral grey
keeps its luminance, with a soft shoulder per raised channel instead of clipping (white stays
white). It runs as three tabulated curves on the sRGB codes (decode, gain, encode), one
OpenCV remap per chunk, so the strips of a large image cost no power functions.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

from ..errors import OptionError
from .color import BANDS
from .registry import OpContext, register
from .tone import LUMA, affine_rgb, by_rows, chunk_rows, clip01_, roll_off_, stats_view

#: Minkowski norm of shades of gray and gray edge (p = 6 is the survey's best fixed choice for both).
MINKOWSKI_P = 6.0
#: Longest side of the copy the illuminant is estimated on.
ESTIMATE_SIDE = 512
#: Largest cast removed, as a ratio between two channels' gains (beyond it, the colour is the scene's).
MAX_CAST_RATIO = 3.0
#: A named cast ("remove the red tint") is removed by at least this much (log-chroma units:
#: the named channel × about 0.93 against the others, in linear light) even when the estimate
#: sees little of it: the user has seen it.
MIN_NAMED_CAST = 0.15
#: Hue angles of named casts that are not hue bands of the colour ops.
EXTRA_CASTS = {"pink": 340.0, "violet": 285.0, "teal": 195.0, "amber": 40.0}

_SQ3 = math.sqrt(3.0)


def to_linear(rgb: np.ndarray) -> np.ndarray:
    """sRGB codes (0..1) → linear light, the exact piecewise curve."""
    c = np.clip(rgb, 0.0, 1.0).astype(np.float32)
    lin = cv2.pow((c + np.float32(0.055)) * np.float32(1 / 1.055), 2.4)
    np.copyto(lin, c * np.float32(1 / 12.92), where=c <= np.float32(0.04045))
    return lin


def _minkowski(values: np.ndarray, mask: np.ndarray, p: float) -> np.ndarray:
    """Per-channel Minkowski p-mean of an HxWx3 float32 image over a uint8 mask (values below ~1e5)."""
    v2 = cv2.multiply(values, values)
    vp = cv2.multiply(cv2.multiply(v2, v2), v2) if p == 6.0 else cv2.pow(values, p)
    return np.power(np.maximum(np.array(cv2.mean(vp, mask)[:3]), 1e-300), 1.0 / p)


def _unit(e: np.ndarray) -> np.ndarray:
    """An illuminant colour scaled to unit length (only its direction matters)."""
    e = np.maximum(np.asarray(e, np.float64), 1e-9)
    return e / np.linalg.norm(e)


#: The estimators `estimate_illuminant` knows (the op uses gray edge; the others are for comparison).
METHODS = ("gray_edge", "shades_of_gray", "gray_world", "white_patch")


def estimate_illuminant(rgb: np.ndarray, method: str = "gray_edge") -> np.ndarray:
    """The scene illuminant's colour (unit vector in linear RGB) from an sRGB float image.

    Methods: "gray_edge" (the default), "shades_of_gray" (p = 6), "gray_world" (p = 1) and
    "white_patch" (the 99.5th percentile).
    """
    if method not in METHODS:
        raise ValueError(f"unknown illuminant estimator {method!r}")
    small = stats_view(rgb, ESTIMATE_SIDE)
    lin = to_linear(small)
    r, g, b = cv2.split(small)
    mx = cv2.max(cv2.max(r, g), b)
    # clipped and near-black pixels say nothing of the light
    valid = cv2.inRange(mx, 0.04, 0.97)
    if cv2.countNonZero(valid) < 0.05 * valid.size:  # a very dark or blown-out image: use what there is
        valid[:] = 255
    if method == "gray_world":
        return _unit(np.array(cv2.mean(lin, valid)[:3]))
    if method == "white_patch":
        return _unit(np.percentile(lin[valid > 0], 99.5, axis=0))
    if method == "shades_of_gray":
        return _unit(_minkowski(lin, valid, MINKOWSKI_P))
    smooth = cv2.GaussianBlur(lin, (0, 0), 1.0)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    grad = cv2.sqrt(cv2.add(cv2.multiply(gx, gx), cv2.multiply(gy, gy)))
    # edges next to clipped pixels are as unreliable as the clipped pixels themselves
    edge_ok = cv2.erode(valid, np.ones((3, 3), np.uint8))
    ge = _minkowski(grad, edge_ok, MINKOWSKI_P)
    if cv2.countNonZero(edge_ok) < 50 or float(ge.max()) < 1e-4:  # flat image: no edges to read
        return _unit(_minkowski(lin, valid, MINKOWSKI_P))
    return _unit(ge)


# --------------------------------------------------------------------------- casts as log-chroma vectors


def cast_vector(illuminant: np.ndarray) -> np.ndarray:
    """An illuminant colour → its cast as an opponent log-chroma vector (u = red-vs-rest, v = green-vs-blue)."""
    lr, lg, lb = np.log(np.maximum(np.asarray(illuminant, np.float64), 1e-9))
    return np.array([2.0 * lr - lg - lb, _SQ3 * (lg - lb)])


def cast_gains(cast: np.ndarray) -> np.ndarray:
    """Linear-light channel gains that remove a log-chroma cast (their log-mean is 0)."""
    u, v = float(cast[0]), float(cast[1])
    log_gain = -np.array([u / 3.0, -u / 6.0 + v / (2.0 * _SQ3), -u / 6.0 - v / (2.0 * _SQ3)])
    return np.exp(log_gain)


def named_direction(cast: str | None) -> np.ndarray | None:
    """The unit log-chroma direction of a named cast colour, or None for automatic (None or "auto")."""
    m = "" if cast is None else str(cast).lower().strip()
    if m in ("auto", "", "none"):
        return None
    if m in BANDS and m != "skin":
        angle = BANDS[m][0]
    elif m in EXTRA_CASTS:
        angle = EXTRA_CASTS[m]
    else:
        names = [b for b in BANDS if b != "skin"] + list(EXTRA_CASTS)
        raise OptionError(f"unknown colour cast {cast!r}; use auto or one of {', '.join(names)}", param="cast")
    return np.array([math.cos(math.radians(angle)), math.sin(math.radians(angle))])


def _limited(cast: np.ndarray) -> np.ndarray:
    """The cast, shortened to the largest one removed."""
    limit = 2.0 * math.log(MAX_CAST_RATIO)  # |u| when one channel is MAX_CAST_RATIO × the other two
    size = float(np.hypot(*cast))
    return cast * (limit / size) if size > limit else cast


def correction_gains(
    rgb: np.ndarray, cast: str | None = None, amount: float = 1.0, method: str = "gray_edge"
) -> np.ndarray:
    """Linear-light channel gains that remove the image's cast (auto) or a named one, luminance kept."""
    a = float(np.clip(amount, 0.0, 1.0))
    found = _limited(cast_vector(estimate_illuminant(rgb, method)))
    direction = named_direction(cast)
    if direction is not None:
        # only the part of the cast along the named colour, and at least a noticeable amount of it
        found = direction * max(float(found @ direction), MIN_NAMED_CAST)
    g = cast_gains(found * a)
    return (g / float(g @ LUMA)).astype(np.float32)  # a neutral grey keeps its luminance


#: Entries of the per-channel curve tables (linear interpolation between them: < 0.05 levels off).
TABLE_SIZE = 4096


def gain_tables(gains: Any) -> np.ndarray:
    """3 x TABLE_SIZE curves on sRGB codes: decode, × gain in linear light, soft shoulder, encode."""
    g = np.asarray(gains, np.float32).reshape(3)
    x = np.linspace(0.0, 1.0, TABLE_SIZE, dtype=np.float32)
    lin = to_linear(x.reshape(1, -1))[0]
    rows = []
    for gc in g:
        v = (lin * gc).reshape(1, -1)
        if gc > 1.0:  # a shoulder as wide as the overshoot: white stays white, nothing clips
            roll_off_(v, 0.0, float(gc), width=1.0)
        v = clip01_(v)[0]
        rows.append(np.where(v <= 0.0031308, v * 12.92, 1.055 * np.power(v, 1 / 2.4) - 0.055))
    return np.stack(rows).astype(np.float32)


def apply_tables(img: np.ndarray, tables: np.ndarray) -> np.ndarray:
    """Per-channel curves (3 x N tables over 0..1) with linear interpolation: one cv2.remap per chunk."""
    n = tables.shape[1]
    h, w = img.shape[:2]
    scale = np.eye(3, dtype=np.float32) * np.float32(n - 1)
    # the remap row of every sample is its channel: built once, for the tallest chunk
    rows = np.ascontiguousarray(
        np.broadcast_to(np.arange(3, dtype=np.float32), (min(h, 2 * chunk_rows(w)), w, 3)).reshape(-1, w * 3)
    )

    def kernel(c: np.ndarray, _y: int) -> np.ndarray:
        k = c.shape[0]
        idx = affine_rgb(c, scale).reshape(k, w * 3)
        out = cv2.remap(tables, idx, rows[:k], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return out.reshape(k, w, 3)

    return by_rows(img, kernel)


def apply_gains(img: np.ndarray, gains: Any) -> np.ndarray:
    """rgb × per-channel gains in linear light; a raised channel rolls off softly to exactly 1 at white."""
    return apply_tables(img, gain_tables(gains))


def _white_balance_prepare(
    img: np.ndarray, ctx: OpContext, cast: str | None = None, amount: float = 1.0, **params: Any
) -> dict[str, Any]:
    """Estimate the cast on the (downscaled) image once; the strips then share the gains."""
    gains = correction_gains(img, cast, amount)
    return {**params, "cast": cast, "amount": amount, "gains": [float(x) for x in gains]}


@register("white_balance", prepare=_white_balance_prepare)
def white_balance(
    img: np.ndarray, ctx: OpContext, cast: str | None = None, amount: float = 1.0, gains: Any = None
) -> np.ndarray:
    """Remove the colour cast: automatic (gray edge), or only the part along a named cast ("red")."""
    if gains is None:
        gains = correction_gains(img, cast, amount)
    return apply_gains(img, gains)
