"""Dehaze: remove (or add) atmospheric haze with the dark channel prior (He, Sun & Tang, CVPR 2009).

Haze mixes each pixel with the airlight A: I = J·t + A·(1 - t), where t is the transmission.
In haze-free outdoor photos most patches have some channel near zero (the dark channel), so
the dark channel of I / A measures 1 - t. The transmission is estimated on a copy at most
`WORK_SIDE` px long, refined by a guided filter with the luminance as guide (He et al. 2010)
and brought to full size as guided-filter coefficients (the "fast guided filter", He & Sun
2015), so edges stay sharp at any size while the cost is one pass over the full image.
Negative amounts add haze with the same model: the farther (hazier) parts get more of it.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..vision.matte import guided_coeffs
from .registry import OpContext, register
from .tone import by_rows, clip01_, luma, rgb_of

#: Longest side of the copy the airlight and the transmission are estimated on.
WORK_SIDE = 768
#: How much haze a full-strength dehaze removes (He et al.'s ω: a little is kept so depth still reads).
OMEGA = 0.95
#: Lowest transmission divided by: deeper haze would only amplify noise.
T_MIN = 0.12
#: Share of the brightest dark-channel pixels the airlight is measured on.
AIRLIGHT_TOP = 0.001


def dark_channel(rgb: np.ndarray, radius: int) -> np.ndarray:
    """Minimum over the channels and a (2r+1)² patch."""
    m = np.min(rgb, axis=2)
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * radius + 1, 2 * radius + 1))
    return cv2.erode(m, k, borderType=cv2.BORDER_REFLECT)


def airlight(rgb: np.ndarray, dark: np.ndarray) -> np.ndarray:
    """The haze colour: mean colour of the 0.1% of pixels with the brightest dark channel."""
    flat = dark.reshape(-1)
    n = max(1, int(flat.size * AIRLIGHT_TOP))
    idx = np.argpartition(flat, flat.size - n)[-n:]
    a = rgb.reshape(-1, 3)[idx].mean(axis=0)
    return np.clip(a, 0.05, 1.0).astype(np.float32)


def haze_map(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Airlight, and the dark channel of I / A as guided-filter coefficients (a, b) on the work copy.

    haze = a × luma + b, sampled at any size; 0 = clear, 1 = all airlight.
    """
    h, w = rgb.shape[:2]
    f = min(1.0, WORK_SIDE / max(h, w))
    small = rgb if f >= 1.0 else cv2.resize(
        rgb, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA
    )
    side = max(small.shape[:2])
    radius = max(2, round(side * 0.01))  # He et al.'s 15 px patch on a ~600 px image
    a = airlight(small, dark_channel(small, radius))
    dark = dark_channel(small / a, radius)
    guide = luma(small)
    ca, cb = guided_coeffs(guide, dark, 4 * radius, 1e-3)
    return a, ca, cb


def _full(coeff: np.ndarray, h: int, w: int) -> np.ndarray:
    """Coefficients from the work copy, bilinearly enlarged to h x w."""
    if coeff.shape[:2] == (h, w):
        return coeff
    return cv2.resize(coeff, (w, h), interpolation=cv2.INTER_LINEAR)


@register("dehaze")
def dehaze(img: np.ndarray, ctx: OpContext, amount: float = 0.5) -> np.ndarray:
    """Remove haze (+, 1 = He et al.'s full strength) or add it (-), by the dark channel prior."""
    a = float(np.clip(amount, -1.0, 1.0))
    rgb = rgb_of(img)
    if a == 0.0:
        return img.copy()
    h, w = rgb.shape[:2]
    air, ca, cb = haze_map(rgb)
    ca, cb = _full(ca, h, w), _full(cb, h, w)
    air4 = (*(float(v) for v in air), 0.0)

    def kernel(c: np.ndarray, y: int) -> np.ndarray:
        n = c.shape[0]
        haze = cv2.multiply(ca[y : y + n], luma(c))
        cv2.add(haze, cb[y : y + n], dst=haze)
        clip01_(haze)
        diff = cv2.subtract(rgb_of(c), air4)  # I - A
        if a > 0:  # J = (I - A) / t + A, t = 1 - ω·haze, at least T_MIN
            t = cv2.addWeighted(haze, -OMEGA * a, haze, 0.0, 1.0)
            cv2.max(t, T_MIN, dst=t)
            cv2.divide(diff, cv2.cvtColor(t, cv2.COLOR_GRAY2RGB), dst=diff)
        else:  # more haze where there already is some (it stands in for depth), never a flat veil
            veil = cv2.addWeighted(haze, 0.65 * -a * 0.75, haze, 0.0, 0.35 * -a * 0.75)
            cv2.multiply(diff, cv2.cvtColor(veil, cv2.COLOR_GRAY2RGB), dst=diff)
            cv2.subtract(rgb_of(c), diff, dst=diff)  # I + (A - I)·veil
            return clip01_(diff)
        return clip01_(cv2.add(diff, air4, dst=diff))

    return by_rows(img, kernel)
