"""relight: directional light on a face, the subject or the whole image.

A smooth gain field rises toward the `direction` the light comes from and dips slightly
on the far side, spans the target's extent (not the frame's) and is confined to it by a
soft weight. All three channels are scaled by the same factor, so hue and saturation
hold; a soft shoulder on luminance keeps lit highlights from clipping.
"""

from __future__ import annotations

import numpy as np

from ..imaging.convert import to_uint8
from ..vision.faces import detect_faces, face_weight
from ..vision.matte import smoothstep
from ..vision.subject import subject_matte
from .registry import OpContext, register

DIRECTIONS = ("left", "right", "top", "bottom", "front")
_LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)
LIFT, DIP = 0.8, 0.4  # gain = 1 + amount·(LIFT on the lit side … -DIP on the far side)


@register("relight")
def relight(
    img: np.ndarray,
    ctx: OpContext,
    direction: str = "left",
    amount: float = 0.35,
    target: str = "face",
    **_: object,
) -> np.ndarray:
    """Light from `direction` on `target` (face → subject → all when the former is not found)."""
    if direction not in DIRECTIONS:
        direction = "front"
    amount = float(np.clip(amount, 0.0, 1.0))
    weight = target_weight(to_uint8(img[..., :3]), target, ctx.quality)
    gain = gain_field(weight, direction, amount)
    # only where the light reaches (a face is a small part of the frame)
    rows, cols = np.nonzero((weight > 0).any(1))[0], np.nonzero((weight > 0).any(0))[0]
    out = img.copy()
    if len(rows) == 0:
        return out
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    out[y0:y1, x0:x1, :3] = apply_gain(img[y0:y1, x0:x1, :3], gain[y0:y1, x0:x1])
    return out


def target_weight(rgb: np.ndarray, target: str, quality: str) -> np.ndarray:
    """Soft weight of what is lit: the face(s), else the subject, else the whole frame."""
    h, w = rgb.shape[:2]
    if target == "face":
        faces = detect_faces(rgb)
        if faces:
            return face_weight(rgb, faces)
        target = "subject"
    if target == "subject":
        m = subject_matte(rgb, quality=quality)
        if 0.005 * m.size <= float(m.sum()) <= 0.97 * m.size:
            return m
    return np.ones((h, w), np.float32)


def gain_field(weight: np.ndarray, direction: str, amount: float) -> np.ndarray:
    """Per-pixel gain (float32 HxW): 1 outside the target, brighter on the lit side inside it."""
    h, w = weight.shape
    core = weight > 0.5
    if not core.any():
        core = weight > 0
    if not core.any():
        return np.ones((h, w), np.float32)
    ys, xs = np.where(core.any(1))[0], np.where(core.any(0))[0]
    y0, y1, x0, x1 = ys[0], ys[-1] + 1, xs[0], xs[-1] + 1
    u = (np.arange(w, dtype=np.float32) + 0.5 - x0) / max(x1 - x0, 1)  # 0..1 across the target
    v = (np.arange(h, dtype=np.float32) + 0.5 - y0) / max(y1 - y0, 1)
    if direction == "left":
        t = np.broadcast_to(1 - smoothstep(u, 0.0, 1.0)[None, :], (h, w))
    elif direction == "right":
        t = np.broadcast_to(smoothstep(u, 0.0, 1.0)[None, :], (h, w))
    elif direction == "top":
        t = np.broadcast_to(1 - smoothstep(v, 0.0, 1.0)[:, None], (h, w))
    elif direction == "bottom":
        t = np.broadcast_to(smoothstep(v, 0.0, 1.0)[:, None], (h, w))
    else:  # front: a key light from the camera, brightest at the centre of the target
        r = np.hypot((u - 0.5)[None, :], (v - 0.5)[:, None]) * 2
        t = 1 - smoothstep(r, 0.0, 1.2)
    g = np.float32(amount) * (np.float32(LIFT + DIP) * t - np.float32(DIP))
    return (1 + g * weight).astype(np.float32)


def apply_gain(rgb: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """Scale luminance by `gain` with all channels alike (hue kept); lit highlights roll off softly.

    Luminance pushed past 0.8 approaches 1 along a tanh shoulder; a channel that would
    still overflow is pulled toward the pixel's luminance (a highlight desaturates, as on
    film) instead of clipping to another hue.
    """
    lum = rgb @ _LUMA
    target = lum * gain
    knee = np.float32(0.8)
    soft = knee + (1 - knee) * np.tanh((target - knee) / (1 - knee))
    # brightening never makes a pixel darker than it was, darkening is plain scaling
    lit = np.maximum(soft, np.minimum(lum, 1))
    target = np.where((gain > 1) & (target > knee), lit, target)
    out = rgb * (target / np.maximum(lum, 1e-6))[..., None]
    peak = out.max(-1)
    over = peak > 1
    if over.any():
        t = target[over][:, None]
        s = (1 - t) / np.maximum(peak[over][:, None] - t, 1e-6)
        out[over] = t + (out[over] - t) * np.clip(s, 0, 1)
    return np.clip(out, 0, 1).astype(np.float32)
