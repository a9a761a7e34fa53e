"""Background ops: replace with a colour, a gradient, another image or a blur; remove it.

The subject matte comes from `vision.subject` on the current image. The new background
goes under the decontaminated subject (no halo of the old backdrop on soft edges), and
where the matte is exactly 1 the subject's pixels are returned untouched.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import OptionError, UnsupportedInstruction
from ..imaging.convert import to_uint8
from ..vision.matte import composite, foreground_colors
from ..vision.subject import subject_matte
from .registry import OpContext, register

DEFAULT_GRADIENT = ((236, 236, 236), (178, 178, 178))
BLUR_SIGMA = 0.012  # background blur σ per unit amount, as a fraction of the image diagonal


@register("background_color")
def background_color(
    img: np.ndarray, ctx: OpContext, color: object = (255, 255, 255), **_: object
) -> np.ndarray:
    """Replace the background with a flat colour."""
    h, w = img.shape[:2]
    bg = np.empty((h, w, 3), np.float32)
    bg[:] = parse_color(color)
    return replace_background(img, ctx, bg)


@register("background_gradient")
def background_gradient(
    img: np.ndarray,
    ctx: OpContext,
    colors: object = DEFAULT_GRADIENT,
    direction: str = "vertical",
    **_: object,
) -> np.ndarray:
    """Replace the background with a gradient (vertical, horizontal, diagonal or radial) through two or
    more evenly spaced colour stops ("red to white to blue")."""
    h, w = img.shape[:2]
    cols = list(colors) if isinstance(colors, (list, tuple)) and len(colors) >= 2 else list(DEFAULT_GRADIENT)
    if len(cols) == 2:
        bg = gradient(h, w, parse_color(cols[0]), parse_color(cols[1]), direction)
    else:
        bg = gradient_stops(h, w, [parse_color(c) for c in cols], direction)
    return replace_background(img, ctx, bg)


@register("background_image")
def background_image(img: np.ndarray, ctx: OpContext, ref: int = 1, **_: object) -> np.ndarray:
    """Replace the background with reference image `ref`, scaled to cover and centred."""
    h, w = img.shape[:2]
    ref = int(ref)
    if not 0 < ref < len(ctx.refs):
        given = max(len(ctx.refs), 1)
        raise OptionError(
            f"the background should come from image {ref + 1}, but only {given} image"
            f"{'s were' if given > 1 else ' was'} given",
            param="image",
        )
    bg = cover_fit(ctx.refs[ref][..., :3], h, w)
    return replace_background(img, ctx, bg)


@register("background_blur")
def background_blur(img: np.ndarray, ctx: OpContext, amount: float = 1.0, **_: object) -> np.ndarray:
    """Blur the background (portrait look); the subject's colours do not bleed into the blur."""
    h, w = img.shape[:2]
    alpha, fg = cutout(img, ctx)
    sigma = max(0.5, BLUR_SIGMA * float(np.clip(amount, 0.0, 3.0)) * float(np.hypot(h, w)))
    bg = masked_blur(img[..., :3], 1 - alpha, sigma)
    return _with_channels(img, composite(fg, alpha, bg), opaque=True)


@register("remove_background")
def remove_background(img: np.ndarray, ctx: OpContext, **_: object) -> np.ndarray:
    """Transparent background: RGBA with alpha = subject matte and decontaminated edge colours."""
    alpha, fg = cutout(img, ctx)
    if img.shape[2] == 4:
        alpha = alpha * img[..., 3]
    return np.dstack([fg, alpha]).astype(np.float32)


# --------------------------------------------------------------------------- helpers


def cutout(img: np.ndarray, ctx: OpContext) -> tuple[np.ndarray, np.ndarray]:
    """(matte, decontaminated foreground colours) of the current image; refuses when there is no subject."""
    alpha = subject_matte(to_uint8(img), quality=ctx.quality)
    if float(alpha.max()) < 0.5:
        # an empty matte would silently turn the whole picture into "background"
        raise UnsupportedInstruction(
            "could not find a subject to separate from the background in this image",
            engine_hint="a generative engine (openai or diffusers) can edit backgrounds without a clear "
            "subject",
        )
    return alpha, foreground_colors(img[..., :3], alpha, ctx.quality)


def replace_background(img: np.ndarray, ctx: OpContext, bg: np.ndarray) -> np.ndarray:
    """The subject of `img` composited over `bg` (float32 HxWx3)."""
    alpha, fg = cutout(img, ctx)
    return _with_channels(img, composite(fg, alpha, bg), opaque=True)


def _with_channels(img: np.ndarray, rgb: np.ndarray, *, opaque: bool) -> np.ndarray:
    """Keep the input's channel count: an alpha channel becomes opaque once a background is put in."""
    if img.shape[2] == 3:
        return rgb
    a = np.ones(rgb.shape[:2], np.float32) if opaque else img[..., 3]
    return np.dstack([rgb, a]).astype(np.float32)


def parse_color(c: object) -> np.ndarray:
    """[r, g, b] in 0..255 (or '#rrggbb') -> float32 RGB in [0, 1]."""
    if isinstance(c, str):
        s = c.strip().lstrip("#")
        if len(s) == 3:
            s = "".join(ch * 2 for ch in s)
        if len(s) != 6:
            raise OptionError(f"not a colour: {c!r}", param="prompt")
        vals = [int(s[i : i + 2], 16) for i in (0, 2, 4)]
    elif isinstance(c, (list, tuple, np.ndarray)) and len(c) >= 3:
        vals = [float(v) for v in list(c)[:3]]
    else:
        raise OptionError(f"not a colour: {c!r}", param="prompt")
    return (np.clip(np.array(vals, np.float32), 0, 255) / 255).astype(np.float32)


def gradient(h: int, w: int, c0: np.ndarray, c1: np.ndarray, direction: str = "vertical") -> np.ndarray:
    """A two-colour gradient, float32 HxWx3, with ±½ LSB of fixed-seed dither against banding."""
    t = _gradient_t(h, w, direction)
    out = c0[None, None, :] + (c1 - c0)[None, None, :] * t[..., None]
    return _dither(out, h, w)


def gradient_stops(h: int, w: int, stops: list[np.ndarray], direction: str = "vertical") -> np.ndarray:
    """A gradient through evenly spaced colour stops (first at t=0, last at t=1), dithered like `gradient`."""
    t = _gradient_t(h, w, direction)
    pos = np.linspace(0.0, 1.0, len(stops), dtype=np.float32)
    cols = np.stack(stops).astype(np.float32)
    out = np.stack([np.interp(t, pos, cols[:, k]).astype(np.float32) for k in range(3)], axis=-1)
    return _dither(out, h, w)


def _dither(out: np.ndarray, h: int, w: int) -> np.ndarray:
    """±½ LSB of fixed-seed noise against banding, clipped to [0, 1]."""
    noise = np.random.default_rng(7).random((h, w, 1), dtype=np.float32) - np.float32(0.5)
    out = out + noise * np.float32(1 / 255)
    return np.clip(out, 0, 1).astype(np.float32)


def _gradient_t(h: int, w: int, direction: str) -> np.ndarray:
    """Gradient parameter 0..1 per pixel for a direction (vertical: top 0 → bottom 1)."""
    y = (np.arange(h, dtype=np.float32) + 0.5) / h
    x = (np.arange(w, dtype=np.float32) + 0.5) / w
    if direction == "horizontal":
        t = np.broadcast_to(x[None, :], (h, w))
    elif direction == "diagonal":
        t = (x[None, :] + y[:, None]) / 2
    elif direction == "radial":
        r = np.hypot((x[None, :] - 0.5) * (w / max(h, w)), (y[:, None] - 0.5) * (h / max(h, w)))
        t = np.clip(r / max(float(r.max()), 1e-6), 0, 1)
    else:
        t = np.broadcast_to(y[:, None], (h, w))
    return np.asarray(t, np.float32)


def cover_fit(ref: np.ndarray, h: int, w: int) -> np.ndarray:
    """Scale `ref` to cover HxW (aspect kept) and crop the centre, float32 HxWx3."""
    rh, rw = ref.shape[:2]
    s = max(w / rw, h / rh)
    nw, nh = max(w, round(rw * s)), max(h, round(rh * s))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    big = cv2.resize(np.ascontiguousarray(ref, dtype=np.float32), (nw, nh), interpolation=interp)
    y0, x0 = (nh - h) // 2, (nw - w) // 2
    return np.clip(big[y0 : y0 + h, x0 : x0 + w], 0, 1).astype(np.float32)


def masked_blur(rgb: np.ndarray, weight: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of the pixels under `weight` only (normalised convolution), float32 HxWx3.

    Works at a reduced scale when sigma is large (the result is smooth anyway), so the
    cost does not grow with the blur radius.
    """
    h, w = weight.shape
    step = max(1.0, sigma / 4.0)
    sh, sw = max(4, round(h / step)), max(4, round(w / step))
    wt = cv2.resize(weight.astype(np.float32), (sw, sh), interpolation=cv2.INTER_AREA)
    src = cv2.resize(
        np.ascontiguousarray(rgb, dtype=np.float32) * weight[..., None],
        (sw, sh),
        interpolation=cv2.INTER_AREA,
    )
    s = sigma * sh / h
    num = cv2.GaussianBlur(src, (0, 0), s)
    den = cv2.GaussianBlur(wt, (0, 0), s)
    # under a large subject no background is near: widen the search there
    far = den < 0.05
    if far.any():
        num2 = cv2.GaussianBlur(src, (0, 0), 4 * s)
        den2 = cv2.GaussianBlur(wt, (0, 0), 4 * s)
        num = np.where(far[..., None], num2, num)
        den = np.where(far, den2, den)
    out = num / np.maximum(den, 1e-6)[..., None]
    if (sh, sw) != (h, w):
        out = cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(out, 0, 1).astype(np.float32)
