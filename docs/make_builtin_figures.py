"""Regenerate the pictures of docs/builtin.md with retouch itself, and measure what amounts achieve.

    .venv/bin/python docs/make_builtin_figures.py            # writes docs/images/builtin/*.jpg
    .venv/bin/python docs/make_builtin_figures.py --measure  # prints the accuracy tables instead

Deterministic: the builtin engine gives the same pixels for the same request, the synthetic
inputs are seeded, and the logo is drawn here. Panels are 360 px wide JPEGs, as in
docs/make_examples.py (whose `panel` this reuses).
"""

from __future__ import annotations

import io
import math
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs"))

from make_examples import FONT, PANEL_W, panel  # noqa: E402

import retouch  # noqa: E402
from tests.synth import object_mask, synth_product, synth_product_hard, synth_scene  # noqa: E402

OUT = ROOT / "docs" / "images" / "builtin"
EX = ROOT / "examples"
GAP = 8
JPEG_QUALITY = 78

COFFEE, CHELSEA, MOTO = EX / "coffee.png", EX / "chelsea.png", EX / "motorcycle_left.png"
PHOTOS = {"coffee": COFFEE, "chelsea": CHELSEA, "motorcycle": MOTO}


# --------------------------------------------------------------------------- helpers


def load(src: Path | Image.Image | np.ndarray) -> Image.Image:
    """An input as a PIL image."""
    if isinstance(src, Image.Image):
        return src
    if isinstance(src, np.ndarray):
        return Image.fromarray(src)
    return Image.open(src)


def run(inputs: list, prompt: str, **kw: object) -> Image.Image:
    """The edited image (PNG round trip, so it is exactly what `retouch edit` would write)."""
    res = retouch.edit([load(i) for i in inputs], prompt, **kw)
    return Image.open(io.BytesIO(res.images[0]))


def quoted(prompt: str) -> str:
    """A prompt as a panel label."""
    return f"“{prompt}”"


def sheet(panels: list[tuple[Image.Image, str]], name: str, cols: int = 3) -> None:
    """Write docs/images/builtin/<name>.jpg: labelled panels in rows of `cols`."""
    tiles = [panel(img, label) for img, label in panels]
    cols = min(cols, len(tiles))
    rows = [tiles[i : i + cols] for i in range(0, len(tiles), cols)]
    heights = [max(t.height for t in row) for row in rows]
    width = cols * PANEL_W + (cols - 1) * GAP
    out = Image.new("RGB", (width, sum(heights) + GAP * (len(rows) - 1)), "white")
    y = 0
    for row, h in zip(rows, heights, strict=True):
        for k, t in enumerate(row):
            out.paste(t, (k * (PANEL_W + GAP), y))
        y += h + GAP
    out.save(OUT / f"{name}.jpg", quality=JPEG_QUALITY, optimize=True)
    print(f"{name}.jpg  {', '.join(label for _, label in panels)}")


def before_after(src: Path | Image.Image, prompts: list[str], name: str, cols: int = 3, **kw: object) -> None:
    """The input, then one panel per prompt."""
    panels = [(load(src), "before")] + [(run([src], p, **kw), quoted(p)) for p in prompts]
    sheet(panels, name, cols)


def detail(img: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    """A crop enlarged to the panel width with nearest-neighbour (pixels stay visible)."""
    crop = img.convert("RGB").crop(box)
    return crop.resize((PANEL_W, round(crop.height * PANEL_W / crop.width)), Image.NEAREST)


def mask_overlay(rgb: np.ndarray, area: np.ndarray, tint: tuple[int, int, int] = (230, 30, 30)) -> Image.Image:
    """The image with the mask's edit area (bool or 0..1 weight) tinted, to show what a mask marks."""
    w = (area.astype(np.float32) * 0.6)[..., None]
    out = rgb.astype(np.float32) * (1 - w) + np.array(tint, np.float32) * w
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8))


def soft_ellipse(size: tuple[int, int], centre: tuple[float, float], radii: tuple[float, float]) -> np.ndarray:
    """A 0..1 weight: 1 inside an ellipse (fractions of width/height), falling to 0 over a soft edge."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d = np.hypot((xx / w - centre[0]) / radii[0], (yy / h - centre[1]) / radii[1])
    t = np.clip((1.15 - d) / 0.3, 0, 1)
    return t * t * (3 - 2 * t)


def openai_mask(rgb: np.ndarray, area: np.ndarray) -> Image.Image:
    """An RGBA mask in OpenAI's convention: fully transparent (alpha 0) where to edit."""
    return Image.fromarray(np.dstack([rgb, np.where(area, 0, 255).astype(np.uint8)]))


def make_logo(size: int = 240) -> Image.Image:
    """A small RGBA logo with transparency: a teal disc with a white 'R' and a ring."""
    s = 4  # draw large, shrink: smooth edges
    big = Image.new("RGBA", (size * s, size * s), (0, 0, 0, 0))
    d = ImageDraw.Draw(big)
    d.ellipse((0, 0, size * s - 1, size * s - 1), fill=(0, 128, 128, 255))
    d.ellipse((14 * s, 14 * s, (size - 14) * s, (size - 14) * s), outline=(255, 255, 255, 255), width=6 * s)
    font = ImageFont.truetype(str(FONT.with_name("DejaVuSans-Bold.ttf")), int(size * 0.55 * s))
    d.text((size * s / 2, size * s / 2), "R", fill=(255, 255, 255, 255), font=font, anchor="mm")
    return big.resize((size, size), Image.LANCZOS)


# --------------------------------------------------------------------------- figures


def figures() -> None:
    """Every picture of docs/builtin.md."""
    OUT.mkdir(parents=True, exist_ok=True)
    product = Image.fromarray(synth_product(3).rgb)
    scene = synth_scene(1)
    moto = load(MOTO)

    # tone
    before_after(COFFEE, ["brighten by 25%", "increase the contrast by 40%"], "tone")
    before_after(MOTO, ["lift the shadows", "make it 20% darker"], "tone-shadows")
    # colour
    before_after(MOTO, ["increase saturation by 50%", "desaturate the reds"], "saturation")
    before_after(MOTO, ["turn the reds blue", "make the colours more muted"], "hue-band")
    before_after(CHELSEA, ["make it warmer", "make it much cooler"], "temperature")
    before_after(
        COFFEE,
        [
            "make it black and white",
            "give it a sepia tone",
            "make it cinematic",
            "give it a vintage look",
            "teal and orange",
        ],
        "mono-looks",
    )
    sheet(
        [
            (moto, "before"),
            (load(COFFEE), "image 2 (the reference)"),
            (run([MOTO, COFFEE], "match the colours of the second image"), quoted("match the colours of image 2")),
        ],
        "match",
    )
    # detail and effects
    before_after(MOTO, ["add a strong vignette", "lighten the edges"], "vignette")
    box = (80, 60, 260, 180)
    cat = load(CHELSEA)
    sheet(
        [(detail(cat, box), "before (detail, 2×)")]
        + [(detail(run([CHELSEA], p), box), quoted(p)) for p in ("sharpen it a lot", "blur it slightly")],
        "sharpen-blur",
    )
    # geometry
    before_after(MOTO, ["crop to 16:9", "crop to a square"], "crop")
    # background
    sheet(
        [(product, "before")]
        + [
            (run([product, COFFEE], p), quoted(p))
            for p in (
                "change the background to navy blue",
                "a white to light blue gradient background",
                "remove the background",
                "replace the background with image 2",
                "put the product on a pure white background",
            )
        ],
        "background",
    )
    before_after(CHELSEA, ["blur the background", "make the background black and white"], "background-photo")
    # object removal under a mask
    area = object_mask(scene)
    mask = openai_mask(scene.rgb, area)
    sheet(
        [
            (Image.fromarray(scene.rgb), "before"),
            (mask_overlay(scene.rgb, area), "the mask (red: alpha 0 = edit)"),
            (run([scene.rgb], "remove this", mask=mask, quality="low"), quoted("remove this") + ", --quality low"),
            (run([scene.rgb], "remove this", mask=mask, quality="high"), quoted("remove this") + ", --quality high"),
        ],
        "remove-object",
        cols=2,
    )
    # light
    sheet(
        [
            (product, "before"),
            (run([product], "light the product from the left"), quoted("light the product from the left")),
            (load(CHELSEA), "before"),
            (
                run([CHELSEA], "strongly light the subject from the left"),
                quoted("strongly light the subject from the left"),
            ),
        ],
        "relight",
        cols=2,
    )
    # overlays
    sheet(
        [
            (run([COFFEE], 'add the title "Espresso" at the top'), quoted('add the title "Espresso" at the top')),
            (
                run([MOTO], 'add a watermark "© retouch" in the bottom right corner'),
                quoted('add a watermark "© retouch" bottom right'),
            ),
            (run([CHELSEA], "add a thick black frame"), quoted("add a thick black frame")),
        ],
        "overlays",
    )
    logo = make_logo()
    sheet(
        [
            (logo, "image 2: a logo (transparent PNG)"),
            (
                run([COFFEE, logo], "place the logo in the top right corner"),
                quoted("place the logo in the top right corner"),
            ),
            (
                run([COFFEE, logo], "add a large logo at the bottom left at 50% opacity"),
                quoted("add a large logo bottom left at 50% opacity"),
            ),
        ],
        "logo",
    )
    # regions
    sheet(
        [
            (moto, "before"),
            (run([MOTO], "brighten the left side by 30%"), quoted("brighten the left side by 30%")),
            (
                run([MOTO], "make the top right corner black and white"),
                quoted("make the top right corner black and white"),
            ),
            (Image.fromarray(scene.rgb), "before"),
            (run([scene.rgb], "darken the sky"), quoted("darken the sky")),
            (run([scene.rgb], "make the sky deeper blue"), quoted("make the sky deeper blue")),
        ],
        "regions",
    )
    soft = soft_ellipse(moto.size, (0.5, 0.56), (0.42, 0.36))
    rgb = np.asarray(moto.convert("RGB"))
    soft_mask = Image.fromarray(np.dstack([rgb, (255 * (1 - soft)).round().astype(np.uint8)]))
    sheet(
        [
            (mask_overlay(rgb, soft, (30, 90, 230)), "the mask (blue: transparent = edit, soft edge)"),
            (run([MOTO], "make it black and white", mask=soft_mask), quoted("make it black and white") + " + mask"),
            (run([MOTO], "brighten it by 30%", mask=soft_mask), quoted("brighten it by 30%") + " + mask"),
        ],
        "mask",
    )

    # a known limit: a product close to the backdrop's colour
    gray = Image.fromarray(synth_product_hard(0, color=(215, 215, 218)).rgb)
    silver = Image.fromarray(synth_product_hard(0, color=(185, 185, 190)).rgb)
    sheet(
        [
            (gray, "before: light gray on a light backdrop"),
            (run([gray], "remove the background"), quoted("remove the background")),
            (run([silver], "remove the background"), "the same, silver product"),
        ],
        "limit-light-product",
    )


# --------------------------------------------------------------------------- measurements
# The same definitions as the behavioural evaluation (shared/eval/evaluate.py).


def lum(a: np.ndarray) -> np.ndarray:
    """Rec.709 luminance, 0..255."""
    a = a[..., :3].astype(np.float32)
    return 0.2126 * a[..., 0] + 0.7152 * a[..., 1] + 0.0722 * a[..., 2]


def sat(a: np.ndarray) -> np.ndarray:
    """HSV saturation (max - min) / max."""
    a = a[..., :3].astype(np.float32)
    mx, mn = a.max(-1), a.min(-1)
    return np.where(mx > 0, (mx - mn) / np.maximum(mx, 1e-6), 0)


def hue(a: np.ndarray) -> np.ndarray:
    """Opponent hue angle in degrees (red 0, green 120, blue 240)."""
    r, g, b = (a[..., i].astype(np.float32) for i in range(3))
    return (np.degrees(np.arctan2(math.sqrt(3) * (g - b), 2 * r - g - b)) + 360) % 360


def corner_ratio(i: np.ndarray, o: np.ndarray) -> float:
    """Corner light relative to what the centre's tone change predicts (the evaluator's vignette measure)."""
    h, w = o.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    rad = np.hypot((xx - w / 2) / (w / 2), (yy - h / 2) / (h / 2)) / math.sqrt(2)
    li, lo = lum(i), lum(o)
    core = rad < 0.3
    slope, icpt = np.polyfit(li[core], lo[core], 1)
    k = max(4, min(h, w) // 10)
    m = np.zeros((h, w), bool)
    m[:k, :k] = m[:k, -k:] = m[-k:, :k] = m[-k:, -k:] = True
    return float(lo[m].mean() / max((slope * li[m] + icpt).clip(0, 255).mean(), 1e-6))


def reds(i: np.ndarray) -> np.ndarray:
    """Pixels of the input that are clearly red (hue within 15° of 0, saturation > 0.15)."""
    h = hue(i)
    return ((h <= 15) | (h >= 345)) & (sat(i) > 0.15)


#: (prompt, what is measured, nominal value, measure(input, output))
MEASURES = [
    ("brighten by 25%", "mean luminance ×", 1.25, lambda i, o: lum(o).mean() / lum(i).mean()),
    ("make it 20% darker", "mean luminance ×", 0.80, lambda i, o: lum(o).mean() / lum(i).mean()),
    ("increase the exposure by 1 stop", "mean luminance ×", 2 ** (1 / 2.2), lambda i, o: lum(o).mean() / lum(i).mean()),
    ("increase the contrast by 40%", "luminance std ×", 1.40, lambda i, o: lum(o).std() / lum(i).std()),
    ("reduce the contrast by 30%", "luminance std ×", 0.70, lambda i, o: lum(o).std() / lum(i).std()),
    ("increase saturation by 30%", "mean saturation ×", 1.30, lambda i, o: sat(o).mean() / sat(i).mean()),
    ("desaturate by half", "mean saturation ×", 0.50, lambda i, o: sat(o).mean() / sat(i).mean()),
    (
        "make the reds 50% more saturated",
        "mean saturation of red pixels ×",
        1.50,
        lambda i, o: sat(o)[reds(i)].mean() / sat(i)[reds(i)].mean(),
    ),
    ("add a subtle vignette", "corner light ×", 1 - 0.175, corner_ratio),
    ("add a strong vignette", "corner light ×", 1 - 0.595, corner_ratio),
    (
        "make it warmer",
        "mean R − B (0..255) +",
        None,
        lambda i, o: float((o[..., 0] - o[..., 2]).mean() - (i[..., 0] - i[..., 2]).mean()),
    ),
    ("make it black and white", "mean max − min (0..255)", 0.0, lambda i, o: float((o.max(-1) - o.min(-1)).mean())),
]


def edited(src: Path | np.ndarray, prompt: str, **kw: object) -> np.ndarray:
    """The edited image as a float array (PNG output: lossless)."""
    return np.asarray(run([src], prompt, **kw).convert("RGB"), np.float64)


def measure() -> None:
    """Print markdown tables: what amounts achieve on the example photos, and mask/inpainting figures."""
    inputs = {name: np.asarray(load(p).convert("RGB"), np.float64) for name, p in PHOTOS.items()}
    print("| instruction | measured | nominal | " + " | ".join(PHOTOS) + " |")
    print("|---|---|---|" + "---|" * len(PHOTOS))
    for prompt, what, nominal, fn in MEASURES:
        vals = [fn(inputs[name], edited(path, prompt)) for name, path in PHOTOS.items()]
        nom = "" if nominal is None else f"{nominal:.2f}"
        print(f"| `{prompt}` | {what} | {nom} | " + " | ".join(f"{v:.3f}" for v in vals) + " |")

    print()
    print("| masked edit | pixels changed outside the mask | mean luminance × inside (mask = 1) |")
    print("|---|---|---|")
    moto = load(MOTO).convert("RGB")
    rgb = np.asarray(moto)
    soft = soft_ellipse(moto.size, (0.5, 0.56), (0.42, 0.36))
    alpha = (255 * (1 - soft)).round().astype(np.uint8)
    mask = Image.fromarray(np.dstack([rgb, alpha]))
    for prompt in ("brighten it by 30%", "make it black and white"):
        out = edited(MOTO, prompt, mask=mask)
        outside = alpha == 255
        changed = int((out[outside] != rgb[outside]).any(-1).sum())
        inside = alpha == 0
        ratio = lum(out)[inside].mean() / lum(rgb.astype(np.float64))[inside].mean()
        print(f"| `{prompt}` | {changed} of {int(outside.sum())} | {ratio:.3f} |")

    print()
    print("| remove an object (synthetic scenes, seeds 1-3) | PSNR inside the hole vs the clean plate, dB |")
    print("|---|---|")
    for quality in ("low", "medium", "high"):
        scores = []
        for seed in (1, 2, 3):
            scene = synth_scene(seed)
            area = object_mask(scene)
            out = edited(scene.rgb, "remove this", mask=openai_mask(scene.rgb, area), quality=quality)
            mse = float(np.mean((out[area] - scene.clean[area].astype(np.float64)) ** 2))
            scores.append(10 * math.log10(255**2 / mse))
        print(f"| `--quality {quality}` | " + ", ".join(f"{v:.1f}" for v in scores) + " |")

    print()
    print(
        "| studio product shot (tests/synth.py) | matte method | IoU of the subject matte with the truth, seeds 0, 1 |"
    )
    print("|---|---|---|")
    from retouch.vision.subject import segment

    cases = [
        ("coloured product, light backdrop (the evaluator's)", None),
        ("red product, soft edges + JPEG", {"color": (200, 40, 45)}),
        ("silver product, light backdrop", {"color": (185, 185, 190)}),
        ("white product, light backdrop", {"color": (245, 245, 245)}),
        ("light gray product, light backdrop", {"color": (215, 215, 218)}),
        ("silver product, dark backdrop", {"color": (185, 185, 190), "backdrop": (60, 40)}),
    ]
    for label, kw in cases:
        ious, method = [], ""
        for seed in (0, 1):
            src = synth_product(seed) if kw is None else synth_product_hard(seed, **kw)
            seg = segment(src.rgb)
            fg = seg.matte > 0.5
            ious.append(float((fg & src.fg).sum() / (fg | src.fg).sum()))
            method = seg.method
        print(f"| {label} | {method} | " + ", ".join(f"{v:.2f}" for v in ious) + " |")


def main() -> None:
    if "--measure" in sys.argv[1:]:
        measure()
    else:
        figures()


if __name__ == "__main__":
    main()
