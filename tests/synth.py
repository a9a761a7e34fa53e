"""Synthetic inputs with known ground truth, copied from the evaluator (shared/eval/evaluate.py).

`synth_product` is a studio product shot (subject mask known, soft floor shadow that is
background); `synth_scene` is a sky-over-ground scene with one object to remove (clean
plate known). Kept byte-for-byte equivalent to the evaluator so figures match it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass
class Source:
    """A generated image with its ground truth."""

    rgb: np.ndarray                      # HxWx3 uint8
    fg: np.ndarray | None = None         # bool HxW, subject (product shots)
    clean: np.ndarray | None = None      # HxWx3 uint8, scene without the object
    obj: np.ndarray | None = None        # bool HxW, object to remove


def _smooth_noise(rng: np.random.Generator, h: int, w: int, scale: int, amp: float) -> np.ndarray:
    """Low-frequency noise (bicubic-upsampled white noise), HxWx1, zero-mean-ish, ±amp/2."""
    small = rng.normal(0, 1, (max(2, h // scale), max(2, w // scale), 1)).astype(np.float32)
    img = Image.fromarray(((small[..., 0] - small.min()) / (np.ptp(small) + 1e-6) * 255).astype(np.uint8))
    big = np.asarray(img.resize((w, h), Image.BICUBIC), dtype=np.float32) / 255.0 - 0.5
    return big[..., None] * amp


def synth_product(seed: int, size: int = 768) -> Source:
    """A studio product shot: a shaded coloured bottle-like object on a light seamless backdrop."""
    rng = np.random.default_rng(seed)
    h = w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    top, bottom = np.array([238, 238, 241], np.float32), np.array([206, 207, 212], np.float32)
    bg = top + (bottom - top) * (yy / h)[..., None]
    bg += rng.normal(0, 1.5, (h, w, 1)).astype(np.float32)
    hue_colors = [(200, 40, 45), (30, 110, 200), (40, 150, 70), (230, 160, 30), (130, 60, 170)]
    color = np.array(hue_colors[seed % len(hue_colors)], np.float32)
    cx, cy = w * (0.45 + 0.1 * rng.random()), h * (0.52 + 0.06 * rng.random())
    rx, ry = w * 0.17, h * 0.30
    body = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1.0
    neck = (np.abs(xx - cx) < rx * 0.35) & (yy > cy - ry * 1.45) & (yy <= cy - ry * 0.8)
    fg = body | neck
    sh = np.exp(-(((xx - cx - rx * 0.5) / (rx * 1.3)) ** 2 + ((yy - cy - ry * 0.98) / (ry * 0.12)) ** 2))
    bg *= (1 - 0.35 * sh)[..., None]
    shade = 0.65 + 0.45 * np.clip(1 - ((xx - (cx - rx * 0.35)) / (rx * 1.6)) ** 2, 0, 1)
    obj = color[None, None, :] * shade[..., None]
    spec = np.exp(-(((xx - cx + rx * 0.45) / (rx * 0.12)) ** 2 + ((yy - cy + ry * 0.2) / (ry * 0.35)) ** 2))
    obj = obj + 120 * spec[..., None]
    img = np.where(fg[..., None], obj, bg)
    img = np.clip(img + rng.normal(0, 1.0, img.shape), 0, 255).astype(np.uint8)
    return Source(rgb=img, fg=fg)


def synth_scene(seed: int, w: int = 640, h: int = 480) -> Source:
    """An outdoor-like scene (sky gradient over textured ground) with one object to remove."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    # expressions kept exactly as the evaluator writes them (dtype promotion included)
    sky = np.array([120, 170, 230], np.float32) + (
        np.array([200, 220, 245], np.float32) - [120, 170, 230]) * (yy / (h * 0.55))[..., None]
    ground = np.array([110, 140, 80], np.float32) + (
        np.array([80, 105, 55], np.float32) - [110, 140, 80]) * ((yy - h * 0.55) / (h * 0.45))[..., None]
    clean = np.where((yy < h * 0.55)[..., None], sky, ground)
    clean = clean + _smooth_noise(rng, h, w, 24, 18) + rng.normal(0, 1.2, (h, w, 1))
    clean = np.clip(clean, 0, 255)
    cx, cy, r = w * (0.35 + 0.3 * rng.random()), h * 0.68, min(w, h) * 0.09
    obj = ((xx - cx) ** 2 + (yy - cy) ** 2) <= r * r
    img = clean.copy()
    img[obj] = np.array([35, 30, 40], np.float32) + rng.normal(0, 3, (obj.sum(), 3))
    return Source(rgb=np.clip(img, 0, 255).astype(np.uint8), clean=clean.astype(np.uint8), obj=obj)


def object_mask(src: Source, grow: int = 4) -> np.ndarray:
    """The evaluator's 'object' mask: the object dilated by `grow` px (PIL MaxFilter), bool."""
    from PIL import ImageFilter

    m = Image.fromarray((src.obj * 255).astype(np.uint8)).filter(ImageFilter.MaxFilter(2 * grow + 1))
    return np.asarray(m) > 0


def erode(m: np.ndarray, r: int) -> np.ndarray:
    """Binary erosion by a (2r+1) square, like the evaluator's PIL MinFilter (OpenCV: much faster)."""
    import cv2

    k = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    return cv2.erode(m.astype(np.uint8), k, borderType=cv2.BORDER_REPLICATE) > 0


def dilate(m: np.ndarray, r: int) -> np.ndarray:
    """Binary dilation by a (2r+1) square, like the evaluator's PIL MaxFilter."""
    import cv2

    k = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    return cv2.dilate(m.astype(np.uint8), k, borderType=cv2.BORDER_REPLICATE) > 0


def bg_region(fg: np.ndarray) -> np.ndarray:
    """The evaluator's 'bg' region: backdrop away from the object and its floor shadow rows."""
    m = ~dilate(fg, 14)
    ys = np.where(fg.any(1))[0]
    m[ys.max() - 10: ys.max() + 60, :] = False
    return m


def lum(a: np.ndarray) -> np.ndarray:
    """Rec.709 luminance of uint8 RGB(A), float32 0..255."""
    a = a[..., :3].astype(np.float32)
    return 0.2126 * a[..., 0] + 0.7152 * a[..., 1] + 0.0722 * a[..., 2]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two uint8 arrays (inf if identical)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * float(np.log10(255**2 / mse))


def synth_product_hard(seed: int, size: int = 768, *, color: tuple[int, int, int] | None = None,
                       backdrop: tuple[float, float] = (238, 206), shadow: float = 0.5,
                       touch_bottom: bool = False, jpeg: int | None = 85) -> Source:
    """A harder studio shot than the evaluator's: anti-aliased edges, a darker contact shadow right
    under the object, optional neutral/white product colours, dark backdrops, JPEG artefacts."""
    import io

    rng = np.random.default_rng(1000 + seed)
    s = 2                                   # render at 2x and area-downsample: soft, realistic edges
    h = w = size * s
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    top, bottom = backdrop
    bg = (top + (bottom - top) * (yy / h))[..., None] * np.array([1.0, 1.0, 1.015], np.float32)
    cx, cy = w * (0.4 + 0.2 * rng.random()), h * (0.5 + 0.05 * rng.random())
    rx, ry = w * (0.14 + 0.06 * rng.random()), h * (0.25 + 0.05 * rng.random())
    if touch_bottom:
        cy = h - ry * 0.7
    body = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1.0
    cap = (np.abs(xx - cx) < rx * 0.3) & (yy > cy - ry * 1.35) & (yy <= cy - ry * 0.8)
    fg = body | cap
    # contact shadow hugging the base plus a long soft cast shadow
    contact = np.exp(-(((xx - cx) / (rx * 0.95)) ** 2 + ((yy - cy - ry * 0.97) / (ry * 0.05)) ** 2))
    cast = np.exp(-(((xx - cx - rx * 0.9) / (rx * 1.6)) ** 2 + ((yy - cy - ry * 0.95) / (ry * 0.15)) ** 2))
    bg = bg * (1 - np.clip(shadow * contact + 0.3 * cast, 0, 0.8))[..., None]
    if color is None:
        palette = [(200, 40, 45), (30, 110, 200), (40, 150, 70), (230, 160, 30), (130, 60, 170)]
        color = palette[seed % len(palette)]
    base = np.array(color, np.float32)
    shade = 0.7 + 0.4 * np.clip(1 - ((xx - (cx - rx * 0.3)) / (rx * 1.5)) ** 2, 0, 1)
    obj = base[None, None, :] * shade[..., None]
    spec = np.exp(-(((xx - cx + rx * 0.5) / (rx * 0.1)) ** 2 + ((yy - cy + ry * 0.1) / (ry * 0.4)) ** 2))
    obj = obj + 110 * spec[..., None]
    img = np.where(fg[..., None], obj, bg)
    img = np.clip(img + rng.normal(0, 1.5, img.shape), 0, 255).astype(np.float32)
    small = np.asarray(Image.fromarray(img.astype(np.uint8)).resize((size, size), Image.BOX))
    fg_small = np.asarray(Image.fromarray(fg.astype(np.uint8) * 255).resize((size, size), Image.BOX)) > 127
    if jpeg:
        buf = io.BytesIO()
        Image.fromarray(small).save(buf, "JPEG", quality=jpeg)
        small = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    return Source(rgb=small, fg=fg_small)
