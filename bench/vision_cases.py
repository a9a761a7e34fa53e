"""Ground-truth cases and scores for the vision benchmark (`bench_vision.py`) and its test subset.

Removal: real photo regions whose clean version is known, with an object pasted in; the
hole is what a user would paint over it. Cut-outs: objects with a known alpha composited
over plain, gradient and light backdrops, and the astronaut portrait with a hand-traced
outline. Everything is generated offline from the example photos, scikit-image's bundled
sample images (when scikit-image is installed: `pip install -e '.[bench]'`) and code.

`subset=True` gives the few cases the tests assert targets on (example photos and
synthetic composites only, no scikit-image needed).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
ASTRONAUT_256 = ROOT / "tests" / "data" / "astronaut_256.jpg"


# --------------------------------------------------------------------------- sources


def example(name: str) -> np.ndarray:
    """One of the photos in examples/ as uint8 RGB."""
    return np.asarray(Image.open(EXAMPLES / f"{name}.png").convert("RGB"))


def skimage_image(name: str) -> np.ndarray | None:
    """A sample image bundled with scikit-image (uint8, as shipped), or None without scikit-image."""
    try:
        from skimage import data
    except ImportError:
        return None
    return np.asarray(getattr(data, name)())


def tint(gray: np.ndarray, dark: tuple[int, int, int], light: tuple[int, int, int]) -> np.ndarray:
    """A gray texture mapped onto a two-colour ramp (dark → light), uint8 RGB."""
    t = gray.astype(np.float32)[..., None] / 255
    out = np.array(dark, np.float32) * (1 - t) + np.array(light, np.float32) * t
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- removal


@dataclass
class RemovalCase:
    """A photo with something pasted in; `clean` is the same photo without it."""

    name: str
    group: str  # flat-over-texture | texture | edge | object
    clean: np.ndarray  # uint8 HxWx3
    image: np.ndarray  # uint8 HxWx3 (clean outside `hole`)
    hole: np.ndarray  # bool HxW: the painted mask


def _shape(h: int, w: int, cx: float, cy: float, r: float, kind: str, angle: float = 0.0) -> np.ndarray:
    """A filled shape of radius ~r at (cx, cy): ellipse | rect | blob (bool HxW)."""
    m = np.zeros((h, w), np.uint8)
    if kind == "ellipse":
        cv2.ellipse(m, (round(cx), round(cy)), (round(r), round(r * 0.7)), angle, 0, 360, 1, -1)
    elif kind == "rect":
        box = cv2.boxPoints(((cx, cy), (2 * r, 1.2 * r), angle)).astype(np.int32)
        cv2.fillConvexPoly(m, box, 1)
    else:
        t = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        rr = r * (1 + 0.25 * np.sin(3 * t + angle) + 0.1 * np.cos(5 * t))
        pts = np.stack([cx + rr * np.cos(t), cy + rr * np.sin(t)], 1).astype(np.int32)
        cv2.fillPoly(m, [pts], 1)
    return m > 0


def _paste_flat(clean: np.ndarray, shape: np.ndarray, color: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A flat sticker of `color` over `shape` (slight shading, anti-aliased rim); hole = shape grown 2 px."""
    h, w = shape.shape
    a = cv2.GaussianBlur(shape.astype(np.float32), (0, 0), 0.7)
    yy = np.mgrid[0:h, 0:w][0].astype(np.float32)
    ys = np.nonzero(shape)[0]
    shade = 1.0 - 0.08 * (yy - ys.min()) / max(np.ptp(ys), 1)
    obj = np.array(color, np.float32)[None, None] * shade[..., None]
    out = clean.astype(np.float32) * (1 - a[..., None]) + obj * a[..., None]
    hole = cv2.dilate(shape.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    return np.clip(out + 0.5, 0, 255).astype(np.uint8), hole


def _paste_rgba(clean: np.ndarray, rgba: np.ndarray, x: int, y: int) -> tuple[np.ndarray, np.ndarray]:
    """An RGBA object pasted with its top-left at (x, y); hole = its alpha > 0, grown 2 px."""
    h, w = rgba.shape[:2]
    out = clean.astype(np.float32).copy()
    a = rgba[..., 3:4].astype(np.float32) / 255
    out[y : y + h, x : x + w] = out[y : y + h, x : x + w] * (1 - a) + rgba[..., :3].astype(np.float32) * a
    hole = np.zeros(clean.shape[:2], np.uint8)
    hole[y : y + h, x : x + w] = rgba[..., 3] > 0
    hole = cv2.dilate(hole, np.ones((5, 5), np.uint8)) > 0
    return np.clip(out + 0.5, 0, 255).astype(np.uint8), hole


#: Flat patches over textured areas of the example photos: (photo, x, y, radius, shape, colour).
FLAT_SPOTS = [
    ("coffee", 535, 335, 24, "ellipse", (40, 90, 200)),  # wood grain, lower right
    ("coffee", 55, 330, 22, "rect", (230, 230, 60)),  # wood grain, lower left
    ("coffee", 520, 70, 22, "blob", (250, 250, 250)),  # wood grain, top right
    ("chelsea", 250, 55, 22, "ellipse", (30, 200, 90)),  # fur on the forehead
    ("chelsea", 80, 175, 22, "blob", (200, 40, 40)),  # fur on the cheek
    ("chelsea", 345, 240, 20, "rect", (20, 20, 20)),  # fur and whiskers, lower right
    ("motorcycle_left", 80, 430, 26, "ellipse", (220, 30, 160)),  # concrete floor
    ("motorcycle_left", 450, 455, 24, "rect", (30, 160, 220)),  # floor with the bike's shadow
    ("motorcycle_left", 80, 60, 22, "blob", (240, 240, 240)),  # wooden wall with posts
]


def flat_over_texture_cases() -> list[RemovalCase]:
    """The issue's removal set: flat patches pasted over textured areas of the three example photos."""
    cases = []
    for i, (photo, x, y, r, kind, color) in enumerate(FLAT_SPOTS):
        clean = example(photo)
        shape = _shape(*clean.shape[:2], x, y, r, kind, angle=17.0 * i)
        img, hole = _paste_flat(clean, shape, color)
        cases.append(RemovalCase(f"{photo.split('_')[0]}-{kind}-{x},{y}", "flat-over-texture", clean, img, hole))
    return cases


def texture_cases() -> list[RemovalCase]:
    """Holes over grass, brick, gravel, sky and skin (scikit-image's samples); empty without it."""
    out: list[RemovalCase] = []
    grass, brick, gravel = (skimage_image(n) for n in ("grass", "brick", "gravel"))
    rocket, astro = skimage_image("rocket"), skimage_image("astronaut")
    if grass is None or brick is None or gravel is None or rocket is None or astro is None:
        return out
    textures = {
        "grass": tint(grass[:256, :256], (30, 60, 15), (150, 200, 90)),
        "brick": tint(brick[128:384, 128:384], (70, 30, 25), (215, 140, 110)),
        "gravel": tint(gravel[:256, 256:], (60, 58, 55), (200, 195, 185)),
        "sky": np.ascontiguousarray(rocket[0:200, 0:300]),  # blue sky with a few clouds
        "skin": np.ascontiguousarray(astro[60:220, 150:310]),  # the astronaut's face
    }
    spots = {
        "grass": [(128, 128, 26, "blob"), (60, 190, 18, "ellipse")],
        "brick": [(128, 128, 26, "rect"), (190, 60, 18, "blob")],
        "gravel": [(128, 128, 26, "ellipse")],
        "sky": [(230, 60, 24, "blob"), (80, 120, 20, "ellipse")],
        "skin": [(48, 72, 11, "ellipse"), (100, 62, 10, "blob")],  # both cheeks
    }
    colors = [(230, 40, 40), (20, 20, 120), (250, 250, 250)]
    for name, tex in textures.items():
        for j, (x, y, r, kind) in enumerate(spots[name]):
            shape = _shape(*tex.shape[:2], x, y, r, kind, angle=30.0 * j)
            img, hole = _paste_flat(tex, shape, colors[j % len(colors)])
            out.append(RemovalCase(f"{name}-{kind}", "texture", tex, img, hole))
    return out


def edge_cases() -> list[RemovalCase]:
    """Holes across straight edges: two textures meeting at a line, and real edges in the example photos."""
    out: list[RemovalCase] = []
    brick, gravel = skimage_image("brick"), skimage_image("gravel")
    if brick is not None and gravel is not None:
        wall = tint(brick[:256, :256], (70, 30, 25), (215, 140, 110))
        floor = tint(gravel[256:, :256], (60, 58, 55), (200, 195, 185))
        yy, xx = np.mgrid[0:256, 0:256]
        line = yy < 120 + 0.15 * (xx - 128)  # a slightly tilted wall/floor line
        clean = np.where(line[..., None], wall, floor).astype(np.uint8)
        img, hole = _paste_flat(clean, _shape(256, 256, 128, 122, 24, "ellipse", 90.0), (20, 20, 20))
        out.append(RemovalCase("wall-floor-line", "edge", clean, img, hole))
    moto = example("motorcycle_left")
    # the white door's left edge (a vertical line between wood and paint)
    img, hole = _paste_flat(moto, _shape(*moto.shape[:2], 182, 55, 16, "rect", 90.0), (240, 60, 40))
    out.append(RemovalCase("moto-door-edge", "edge", moto, img, hole))
    coffee = example("coffee")
    # the saucer's rim against the table, lower left
    img, hole = _paste_flat(coffee, _shape(*coffee.shape[:2], 110, 300, 16, "blob"), (240, 240, 240))
    out.append(RemovalCase("coffee-saucer-rim", "edge", coffee, img, hole))
    return out


def _ball(r: int, color: tuple[int, int, int]) -> np.ndarray:
    """A shaded ball with a highlight, RGBA uint8 (anti-aliased rim)."""
    s = 4
    n = 2 * r * s
    yy, xx = (np.mgrid[0:n, 0:n].astype(np.float32) + 0.5) / s - r
    d = np.sqrt(xx * xx + yy * yy) / r
    z = np.sqrt(np.clip(1 - d * d, 0, 1))
    light = np.clip(0.25 + 0.75 * (-0.4 * xx / r - 0.5 * yy / r + 0.77 * z), 0, 1)
    spec = np.clip(1 - np.hypot(xx / r + 0.35, yy / r + 0.4) / 0.25, 0, 1) ** 2
    rgb = np.array(color, np.float32) * light[..., None] + 255 * spec[..., None]
    a = (d <= 1).astype(np.float32)
    small = cv2.resize(np.dstack([rgb * a[..., None], a * 255]), (2 * r, 2 * r), interpolation=cv2.INTER_AREA)
    rgb_s = small[..., :3] / np.maximum(small[..., 3:4] / 255, 1e-3)
    return np.clip(np.dstack([rgb_s, small[..., 3]]) + 0.5, 0, 255).astype(np.uint8)


def object_cases() -> list[RemovalCase]:
    """Objects (a shaded ball, scikit-image's horse silhouette) pasted over photo backgrounds."""
    out: list[RemovalCase] = []
    coffee, moto = example("coffee"), example("motorcycle_left")
    img, hole = _paste_rgba(coffee, _ball(30, (200, 200, 40)), 470, 300)
    out.append(RemovalCase("ball-on-table", "object", coffee, img, hole))
    img, hole = _paste_rgba(moto, _ball(36, (40, 90, 220)), 30, 380)
    out.append(RemovalCase("ball-on-floor", "object", moto, img, hole))
    horse, grass = skimage_image("horse"), skimage_image("grass")
    if horse is not None and grass is not None:
        sil = cv2.resize((~horse).astype(np.uint8) * 255, (100, 82), interpolation=cv2.INTER_AREA)
        rgba = np.dstack([np.full((*sil.shape, 3), (60, 40, 30), np.uint8), sil])
        lawn = tint(grass[256:, 256:], (30, 60, 15), (150, 200, 90))
        img, hole = _paste_rgba(lawn, rgba, 78, 90)
        out.append(RemovalCase("horse-on-grass", "object", lawn, img, hole))
    return out


def removal_cases(*, subset: bool = False) -> list[RemovalCase]:
    """All removal cases, or the test subset (the flat-over-texture holes of the example photos)."""
    if subset:
        return flat_over_texture_cases()
    return flat_over_texture_cases() + texture_cases() + edge_cases() + object_cases()


def spoon_mask() -> np.ndarray:
    """The coffee spoon as a user would paint it (bool 400x600): bowl, neck and handle, a little generously."""
    m = np.zeros((400, 600), np.uint8)
    cv2.ellipse(m, (367, 284), (42, 45), -15, 0, 360, 1, -1)  # the bowl
    cv2.ellipse(m, (410, 86), (16, 24), 8, 0, 360, 1, -1)  # the handle's end above the saucer
    pts = [(411, 104), (399, 160), (387, 210), (378, 245)]  # the neck, down the cup's side
    for p, q in itertools.pairwise(pts):
        cv2.line(m, p, q, 1, 14)
    return m > 0


# --------------------------------------------------------------------------- removal scores


def _gauss(a: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(a, (0, 0), sigma)


def psnr_in(a: np.ndarray, b: np.ndarray, m: np.ndarray) -> float:
    """PSNR (dB, 0..255 scale) of a against b over the pixels of mask m."""
    d = a[m].astype(np.float64) - b[m].astype(np.float64)
    mse = float(np.mean(d * d))
    return 99.0 if mse == 0 else 10 * float(np.log10(255.0**2 / mse))


def lowpass_psnr_in(a: np.ndarray, b: np.ndarray, m: np.ndarray, sigma: float = 3.0) -> float:
    """PSNR in the hole of Gaussian-low-passed images (σ = 3 px): structure and colour, not grain."""
    return psnr_in(_gauss(a.astype(np.float32), sigma), _gauss(b.astype(np.float32), sigma), m)


def ssim_in(a: np.ndarray, b: np.ndarray, m: np.ndarray) -> float:
    """Mean SSIM (Wang et al. 2004, Gaussian σ 1.5, on luma) over the pixels of mask m."""
    ya, yb = (cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float64) for x in (a, b))
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = _gauss(ya, 1.5), _gauss(yb, 1.5)
    va = _gauss(ya * ya, 1.5) - mu_a**2
    vb = _gauss(yb * yb, 1.5) - mu_b**2
    cov = _gauss(ya * yb, 1.5) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (va + vb + c2))
    return float(s[m].mean())


def texture_ratio(out: np.ndarray, hole: np.ndarray) -> float:
    """High-frequency amplitude inside the hole over that of a ring around it (~1 natural, ~0 a smear).

    High frequency = luma minus its Gaussian blur (σ 2 px), measured as its RMS; the ring is
    4–16 px outside the hole (what the fill grows into is left out).
    """
    y = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY).astype(np.float32)
    hf = y - _gauss(y, 2.0)
    inner = cv2.erode(hole.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0  # skip the seam itself
    near = cv2.dilate(hole.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    far = cv2.dilate(hole.astype(np.uint8), np.ones((33, 33), np.uint8)) > 0
    ring = far & ~near
    e_in = float(np.mean(hf[inner if inner.any() else hole] ** 2))
    e_ring = float(np.mean(hf[ring] ** 2))
    return float(np.sqrt(e_in / max(e_ring, 1e-6)))


# --------------------------------------------------------------------------- cut-outs


@dataclass
class CutoutCase:
    """An image whose subject alpha is known (float32 HxW, 1 = subject)."""

    name: str
    group: str  # product | people
    image: np.ndarray  # uint8 HxWx3
    alpha: np.ndarray  # float32 HxW in [0, 1]
    click: tuple[int, int]  # (x, y): a point on the object near its centre, for click-to-select


def _render_object(kind: str, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Colour (float32 HxWx3, 0..255) and coverage (float32 HxW) of one object, rendered at 3× and reduced."""
    s = 3
    n = size * s
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32) / n  # 0..1 coordinates
    cov = np.zeros((n, n), np.uint8)

    def ell(cx: float, cy: float, rx: float, ry: float, val: int = 1) -> None:
        cv2.ellipse(cov, (round(cx * n), round(cy * n)), (round(rx * n), round(ry * n)), 0, 0, 360, val, -1)

    def rect(x0: float, y0: float, x1: float, y1: float, val: int = 1) -> None:
        cv2.rectangle(cov, (round(x0 * n), round(y0 * n)), (round(x1 * n), round(y1 * n)), val, -1)

    def ring(cx: float, cy: float, r0: float, r1: float) -> None:
        ell(cx, cy, r1, r1)
        ell(cx, cy, r0, r0, 0)

    # horizontal shading of a cylinder: light from the left
    cyl = np.clip(0.55 + 0.6 * np.cos((xx - 0.42) * 5.0), 0.35, 1.15)
    col = np.ones((n, n, 3), np.float32)
    body_alpha = 1.0
    if kind in ("dark", "light", "red"):  # a bottle
        rect(0.36, 0.3, 0.64, 0.86)
        ell(0.5, 0.3, 0.14, 0.06)
        rect(0.45, 0.1, 0.55, 0.3)
        base = {"dark": (28, 28, 32), "light": (238, 238, 233), "red": (190, 35, 40)}[kind]
        col = np.array(base, np.float32) * (cyl[..., None] if kind != "light" else (0.9 + 0.1 * cyl)[..., None])
    elif kind == "metal":  # a silver can: banded reflections
        rect(0.33, 0.18, 0.67, 0.84)
        ell(0.5, 0.18, 0.17, 0.04)
        ell(0.5, 0.84, 0.17, 0.04)
        bands = 0.5 + 0.5 * np.sin((xx - 0.33) * 40.0) * np.exp(-(((xx - 0.5) / 0.2) ** 2))
        col = (150 + 95 * bands)[..., None] * np.array([1.0, 1.0, 1.03], np.float32)
    elif kind == "glass":  # a tumbler: transparent body, dense rim and base
        rect(0.34, 0.22, 0.66, 0.82)
        body_alpha = 0.0  # filled in below
        col = np.full((n, n, 3), (205, 225, 230), np.float32)
    elif kind == "thin":  # a lamp: shade, thin stem, round base
        ell(0.5, 0.85, 0.2, 0.04)
        rect(0.493, 0.3, 0.507, 0.85)  # a stem ~1.4% of the frame wide
        pts = (np.array([[0.35, 0.3], [0.65, 0.3], [0.58, 0.12], [0.42, 0.12]]) * n).astype(np.int32)
        cv2.fillConvexPoly(cov, pts, 1)
        col = np.array((60, 62, 70), np.float32) * cyl[..., None]
        col[yy < 0.31] = (230, 200, 150)
    elif kind == "mug":  # a mug whose handle encloses backdrop
        rect(0.28, 0.3, 0.62, 0.78)
        ring(0.66, 0.54, 0.07, 0.13)
        rect(0.28, 0.3, 0.62, 0.78)
        col = np.array((45, 110, 190), np.float32) * cyl[..., None]
    elif kind == "ring":  # a donut / tape roll: a big hole in the middle
        ring(0.5, 0.52, 0.15, 0.32)
        col = np.array((210, 150, 60), np.float32) * cyl[..., None]
    elif kind == "fur":  # a pom-pom: a body with hair-like strands
        ell(0.5, 0.52, 0.25, 0.25)
        for _ in range(700):
            a = rng.uniform(0, 2 * np.pi)
            r0 = 0.22
            r1 = r0 + rng.uniform(0.04, 0.12)
            bend = rng.uniform(-0.3, 0.3)
            p0 = (0.5 + r0 * np.cos(a), 0.52 + r0 * np.sin(a))
            p1 = (0.5 + r1 * np.cos(a + bend * 0.2), 0.52 + r1 * np.sin(a + bend * 0.2))
            cv2.line(cov, (round(p0[0] * n), round(p0[1] * n)), (round(p1[0] * n), round(p1[1] * n)), 1, 1)
        col = np.array((170, 120, 80), np.float32) * (0.8 + 0.3 * rng.random((n, n, 1), dtype=np.float32))
    else:
        raise ValueError(kind)
    a = cov.astype(np.float32)
    if kind == "glass":
        inner = np.zeros_like(cov)
        cv2.rectangle(inner, (round(0.36 * n), round(0.22 * n)), (round(0.64 * n), round(0.79 * n)), 1, -1)
        a = np.where(inner > 0, 0.6, a)
    elif body_alpha != 1.0:
        a *= body_alpha
    small_a = cv2.resize(a, (size, size), interpolation=cv2.INTER_AREA)
    small_c = cv2.resize(col * a[..., None], (size, size), interpolation=cv2.INTER_AREA)
    small_c = small_c / np.maximum(small_a[..., None], 1e-3)
    return small_c, np.clip(small_a, 0, 1)


def _backdrop(kind: str, size: int) -> np.ndarray:
    """plain (mid gray-blue) | gradient (light to darker, top to bottom) | light (near white), float32 0..255."""
    yy = np.mgrid[0:size, 0:size][0].astype(np.float32) / size
    if kind == "plain":
        return np.broadcast_to(np.array((196, 202, 210), np.float32), (size, size, 3)).copy()
    if kind == "gradient":
        top, bottom = np.array((240, 240, 243), np.float32), np.array((170, 172, 180), np.float32)
        return top + (bottom - top) * yy[..., None]
    return np.broadcast_to(np.array((246, 246, 246), np.float32), (size, size, 3)).copy()


OBJECTS = ("red", "dark", "light", "metal", "glass", "thin", "mug", "ring", "fur")
BACKDROPS = ("plain", "gradient", "light")


def product_case(kind: str, backdrop: str, *, size: int = 384, seed: int = 0) -> CutoutCase:
    """One object on one backdrop with a soft floor shadow (background), grain and JPEG-free noise."""
    rng = np.random.default_rng(seed + 7 * OBJECTS.index(kind) + 31 * BACKDROPS.index(backdrop))
    fg, a = _render_object(kind, size, rng)
    bg = _backdrop(backdrop, size)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    ys = np.nonzero(a.max(1) > 0.5)[0]
    floor = ys.max() / size
    shadow = np.exp(-(((xx - 0.55) / 0.25) ** 2 + ((yy - floor) / 0.025) ** 2))
    bg = bg * (1 - 0.3 * shadow)[..., None]
    img = fg * a[..., None] + bg * (1 - a[..., None])
    img = img + rng.normal(0, 1.5, img.shape).astype(np.float32)
    img = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    return CutoutCase(f"{kind}-on-{backdrop}", "product", img, a.astype(np.float32), click_point(a))


def click_point(alpha: np.ndarray) -> tuple[int, int]:
    """The object's centroid, or the object pixel deepest inside it when the centroid is not on it."""
    m = alpha > 0.5
    ys, xs = np.nonzero(m)
    cx, cy = round(xs.mean()), round(ys.mean())
    if m[cy, cx]:
        return cx, cy
    d = cv2.distanceTransform(m.astype(np.uint8), cv2.DIST_L2, 5)
    y, x = np.unravel_index(int(np.argmax(d)), d.shape)
    return int(x), int(y)


#: The astronaut (scikit-image sample, 512²) traced by hand: the person with her suit and helmet.
ASTRONAUT_OUTLINE = [
    (200, 20), (226, 13), (262, 18), (289, 38), (300, 70), (298, 100), (288, 125), (278, 148),
    (300, 172), (307, 212), (302, 250), (330, 262), (350, 290), (360, 330), (366, 345), (400, 342),
    (450, 350), (482, 372), (500, 405), (511, 440), (511, 511), (24, 511), (18, 470), (20, 400),
    (27, 330), (42, 290), (68, 266), (108, 244), (114, 200), (128, 170), (158, 148), (160, 120),
    (152, 85), (168, 45),
]


def astronaut_case(size: int = 256) -> CutoutCase:
    """The astronaut portrait at `size` px with its hand-traced outline as the (hard) alpha."""
    img = example_astronaut(size)
    m = np.zeros((512, 512), np.uint8)
    cv2.fillPoly(m, [np.array(ASTRONAUT_OUTLINE, np.int32)], 1)
    a = cv2.resize(m.astype(np.float32), (size, size), interpolation=cv2.INTER_AREA)
    return CutoutCase(f"astronaut-{size}", "people", img, a, (size * 110 // 512, size * 320 // 512))  # her chest


def example_astronaut(size: int) -> np.ndarray:
    """The astronaut at `size` px: the tests' 256 px copy, or scikit-image's 512 px original."""
    full = skimage_image("astronaut")
    if full is None or size == 256:
        small = np.asarray(Image.open(ASTRONAUT_256).convert("RGB"))
        return small if size == 256 else cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)
    return full if size == 512 else cv2.resize(full, (size, size), interpolation=cv2.INTER_AREA)


SUBSET_PRODUCTS = [("light", "light"), ("metal", "plain"), ("metal", "light"), ("metal", "gradient"),
                   ("mug", "plain"), ("ring", "gradient"), ("glass", "light"), ("thin", "gradient"),
                   ("fur", "plain")]


def cutout_cases(*, subset: bool = False) -> list[CutoutCase]:
    """Every object on every backdrop plus the people photos, or the tests' fixed subset."""
    if subset:
        return [product_case(k, b) for k, b in SUBSET_PRODUCTS] + [astronaut_case(256)]
    cases = [product_case(k, b) for k in OBJECTS for b in BACKDROPS]
    cases.append(astronaut_case(256))
    if skimage_image("astronaut") is not None:
        cases.append(astronaut_case(512))
    return cases


#: Photo crops (photo, x, y of the 384² crop's corner) that objects are pasted on for select_cases.
SCENE_CROPS = [("coffee", 216, 0), ("motorcycle_left", 0, 116), ("chelsea", 60, 0)]


def scene_case(kind: str, photo: str, x0: int, y0: int, *, at: tuple[int, int] = (200, 150)) -> CutoutCase:
    """One object (160 px) pasted onto a real photo crop (384²): a busy background with a known alpha."""
    rng = np.random.default_rng(OBJECTS.index(kind))
    fg, a = _render_object(kind, 160, rng)
    bg = example(photo)[y0 : y0 + 384, x0 : x0 + 384].astype(np.float32)
    bg = cv2.resize(bg, (384, 384)) if bg.shape[:2] != (384, 384) else bg
    alpha = np.zeros((384, 384), np.float32)
    x, y = at
    alpha[y : y + 160, x : x + 160] = a
    colour = bg.copy()
    colour[y : y + 160, x : x + 160] = fg
    img = np.clip(colour * alpha[..., None] + bg * (1 - alpha[..., None]) + 0.5, 0, 255).astype(np.uint8)
    return CutoutCase(f"{kind}-on-{photo.split('_')[0]}", "scene", img, alpha, click_point(alpha))


def pair_case(kind: str, other: str, backdrop: str) -> CutoutCase:
    """Two objects side by side on one backdrop; the truth (and the click) is the left one."""
    left, right = product_case(kind, backdrop, size=256), product_case(other, backdrop, size=256)
    img = np.concatenate([left.image, right.image], 1)
    alpha = np.concatenate([left.alpha, np.zeros_like(right.alpha)], 1)
    return CutoutCase(f"{kind}+{other}-on-{backdrop}", "pair", img, alpha, left.click)


def select_cases(*, subset: bool = False) -> list[CutoutCase]:
    """Click-to-select cases beyond the cut-outs: objects on real photos, and one object of two."""
    kinds = ("red", "metal", "mug") if subset else OBJECTS
    cases = [scene_case(k, *SCENE_CROPS[i % len(SCENE_CROPS)]) for i, k in enumerate(kinds)]
    pairs = [("mug", "metal", "plain"), ("light", "dark", "light")] if subset else [
        ("mug", "metal", "plain"), ("light", "dark", "light"), ("thin", "ring", "gradient"), ("glass", "red", "light")]
    return cases + [pair_case(*p) for p in pairs]


# --------------------------------------------------------------------------- cut-out scores


def iou(pred: np.ndarray, gt: np.ndarray) -> float:
    """Intersection over union of pred > 0.5 and gt > 0.5."""
    p, g = pred > 0.5, gt > 0.5
    return float((p & g).sum() / max((p | g).sum(), 1))


def sad(pred: np.ndarray, gt: np.ndarray) -> float:
    """Sum of absolute alpha differences, in thousands (the alpha-matting benchmarks' SAD)."""
    return float(np.abs(pred.astype(np.float64) - gt).sum() / 1000)


def edge_error(pred: np.ndarray, gt: np.ndarray, r: int = 4) -> float:
    """Mean absolute alpha error in a band of ±r px around the true edge (0 perfect, 1 all wrong)."""
    g = (gt > 0.5).astype(np.uint8)
    k = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    band = (cv2.dilate(g, k) > 0) & ~(cv2.erode(g, k) > 0) | ((gt > 0.02) & (gt < 0.98))
    return float(np.abs(pred[band] - gt[band]).mean())
