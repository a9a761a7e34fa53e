"""Synthetic catalogue sets for the consistency pass: products on a light backdrop, shot unevenly.

`product_shot` draws one studio product photo with its ground-truth subject mask; `catalogue`
makes a set of them with exposure ×0.6–1.4 (in linear light), colour casts, and the product at
varied positions and scales (and frame shapes); `photo_set` puts the example photos under mixed
exposure and casts. Everything is seeded: the same arguments give the same pixels.

    from bench.catalogue import catalogue
    shots = catalogue(8, seed=1)       # list of Shot(rgb, fg, exposure, cast, ...)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

#: Product colours (sRGB), shapes and frame sizes the catalogue draws from.
COLOURS = [(196, 48, 52), (38, 104, 190), (46, 142, 78), (222, 158, 40), (120, 66, 160), (70, 70, 76)]
SHAPES = ("bottle", "box", "jar")
FRAMES = ((640, 480), (600, 600), (480, 640), (720, 480))
#: Half the product's width per unit of its height.
HALF_WIDTH = {"box": 0.36, "jar": 0.42, "bottle": 0.28}


@dataclass
class Shot:
    """One generated photo with how it was made."""

    rgb: np.ndarray  # uint8 HxWx3
    fg: np.ndarray | None  # bool HxW: the subject (None for the example photos)
    exposure: float  # linear-light gain applied
    cast: tuple[float, float, float]  # linear-light channel gains applied
    name: str


def expose(rgb: np.ndarray, exposure: float, cast: tuple[float, float, float]) -> np.ndarray:
    """Exposure and a colour cast as linear-light gains (sRGB ≈ a 2.2 power law), clipped like a camera."""
    gains = (exposure * np.asarray(cast, np.float32)) ** (1 / 2.2)
    out = rgb.astype(np.float32) * gains[None, None, :]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def product_shot(
    size: tuple[int, int],
    *,
    colour: tuple[int, int, int],
    shape: str = "bottle",
    centre: tuple[float, float] = (0.5, 0.5),
    height: float = 0.6,
    seed: int = 0,
    draw_scale: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """A product (bottle, box or jar) of `height` × frame height centred at `centre` (fractions), on a
    light seamless backdrop with a soft floor shadow; (uint8 RGB, bool subject mask).

    `draw_scale` < 1 draws at reduced size and enlarges (for fast multi-megapixel sets); the grain
    is added at full size.
    """
    w, h = size
    dw, dh = max(8, round(w * draw_scale)), max(8, round(h * draw_scale))
    yy, xx = np.mgrid[0:dh, 0:dw].astype(np.float32)
    top, bottom = np.array([240, 239, 236], np.float32), np.array([214, 212, 208], np.float32)
    bg = top + (bottom - top) * (yy / dh)[..., None]
    cx, cy = centre[0] * dw, centre[1] * dh
    ph = height * dh
    if shape == "box":
        rx, ry = 0.36 * ph, 0.5 * ph
        fg = (np.abs(xx - cx) <= rx) & (np.abs(yy - cy) <= ry)
    elif shape == "jar":
        rx, ry = 0.42 * ph, 0.5 * ph
        body = (np.abs(xx - cx) <= rx) & (np.abs(yy - cy - 0.08 * ph) <= ry - 0.08 * ph)
        lid = (np.abs(xx - cx) <= rx * 0.85) & (yy >= cy - ry) & (yy < cy - ry + 0.18 * ph)
        fg = body | lid
    else:  # bottle: an ellipse body and a neck
        rx, ry = 0.28 * ph, 0.5 * ph
        body_cy, body_ry = cy + 0.2 * ph, 0.3 * ph
        body = ((xx - cx) / rx) ** 2 + ((yy - body_cy) / body_ry) ** 2 <= 1.0
        neck = (np.abs(xx - cx) < rx * 0.33) & (yy >= cy - ry) & (yy <= body_cy)
        fg = body | neck
    foot = cy + ry
    sh = np.exp(-(((xx - cx - rx * 0.3) / (rx * 1.6)) ** 2 + ((yy - foot) / (0.05 * ph + 2)) ** 2))
    bg *= (1 - 0.3 * sh)[..., None]
    col = np.asarray(colour, np.float32)
    shade = 0.7 + 0.4 * np.clip(1 - ((xx - (cx - rx * 0.3)) / (rx * 1.7)) ** 2, 0, 1)
    spec = np.exp(-(((xx - cx + rx * 0.45) / (rx * 0.12)) ** 2 + ((yy - cy) / (ry * 0.5)) ** 2))
    obj = np.clip(col[None, None, :] * shade[..., None] + 90 * spec[..., None], 0, 255)
    img = np.where(fg[..., None], obj, bg)
    if (dw, dh) != (w, h):
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_CUBIC)
        fg = cv2.resize(fg.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
    # float32 draws from numpy's own generator (OpenCV's global RNG is left alone: the vision
    # layer's k-means draws from it)
    grain = np.random.default_rng(seed).standard_normal((h, w), dtype=np.float32) * np.float32(1.2)
    img = img.astype(np.float32) + grain[..., None] + np.float32(0.5)
    return np.clip(img, 0, 255).astype(np.uint8), fg


def catalogue(
    n: int,
    *,
    seed: int = 0,
    mixed: bool = True,
    frames: tuple[tuple[int, int], ...] = FRAMES,
    draw_scale: float = 1.0,
) -> list[Shot]:
    """n product shots: exposure ×0.6–1.4, casts up to ±15% per channel, varied place, scale and frame.

    mixed: different products (colour and shape) per shot, as a shop's catalogue; otherwise the same
    product in every shot, as a photographer's series.
    """
    return list(iter_catalogue(n, seed=seed, mixed=mixed, frames=frames, draw_scale=draw_scale))


def iter_catalogue(
    n: int,
    *,
    seed: int = 0,
    mixed: bool = True,
    frames: tuple[tuple[int, int], ...] = FRAMES,
    draw_scale: float = 1.0,
) -> Iterator[Shot]:
    """`catalogue`, one shot at a time (for sets too large to hold)."""
    rng = np.random.default_rng(seed)
    for k in range(n):
        size = frames[k % len(frames)]
        colour = COLOURS[(k if mixed else seed) % len(COLOURS)]
        shape = SHAPES[(k if mixed else seed) % len(SHAPES)]
        height = float(rng.uniform(0.35, 0.75))
        centre = (float(rng.uniform(0.32, 0.68)), float(rng.uniform(0.4, 0.6)))
        # a catalogue shows the whole product: keep it inside the frame with 2% to spare
        wide = 2 * HALF_WIDTH[shape] * size[1] / size[0]  # product width / frame width per unit of height
        height = min(height, 0.96 / wide)
        half_w, half_h = wide * height / 2 + 0.02, height / 2 + 0.02
        centre = (min(max(centre[0], half_w), 1 - half_w), min(max(centre[1], half_h), 1 - half_h))
        rgb, fg = product_shot(size, colour=colour, shape=shape, centre=centre, height=height,
                               seed=seed * 1000 + k, draw_scale=draw_scale)
        exposure = float(rng.uniform(0.6, 1.4))
        cast = tuple(float(v) for v in rng.uniform(0.85, 1.15, 3))
        yield Shot(expose(rgb, exposure, cast), fg, exposure, cast, f"product-{k + 1:03d}")  # type: ignore[arg-type]


def photo_set(n: int, *, seed: int = 0, side: int = 640) -> list[Shot]:
    """The example photos (examples/*.png) under mixed exposure ×0.6–1.4 and casts, n shots in turn."""
    photos = sorted(EXAMPLES.glob("*.png"))
    if not photos:
        raise FileNotFoundError(f"no example photos in {EXAMPLES}")
    rng = np.random.default_rng(seed)
    base = []
    for p in photos:
        im = np.asarray(Image.open(p).convert("RGB"))
        s = side / max(im.shape[:2])
        base.append((p.stem, cv2.resize(im, (round(im.shape[1] * s), round(im.shape[0] * s)),
                                        interpolation=cv2.INTER_AREA)))
    shots = []
    for k in range(n):
        stem, rgb = base[k % len(base)]
        exposure = float(rng.uniform(0.6, 1.4))
        cast = tuple(float(v) for v in rng.uniform(0.85, 1.15, 3))
        shots.append(Shot(expose(rgb, exposure, cast), None, exposure, cast, f"{stem}-{k + 1:03d}"))  # type: ignore[arg-type]
    return shots
