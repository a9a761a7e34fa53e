"""Regenerate the before/after pictures in docs/images with retouch itself.

    .venv/bin/python docs/make_examples.py
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import retouch  # noqa: E402
from tests.synth import object_mask, synth_product, synth_scene  # noqa: E402

OUT = ROOT / "docs" / "images"
EX = ROOT / "examples"
FONT = ROOT / "src" / "retouch" / "assets" / "DejaVuSans.ttf"
PANEL_W = 360


def panel(img: Image.Image, label: str) -> Image.Image:
    """Scale to the panel width (checkerboard under transparency) and label it."""
    img = img.convert("RGBA")
    h = round(img.height * PANEL_W / img.width)
    img = img.resize((PANEL_W, h), Image.LANCZOS)
    yy, xx = np.mgrid[0:h, 0:PANEL_W]
    checker = np.where(((yy // 12 + xx // 12) % 2)[..., None] == 0, 235, 200).astype(np.uint8)
    base = Image.fromarray(np.repeat(checker, 3, axis=2)).convert("RGBA")
    base.alpha_composite(img)
    canvas = Image.new("RGB", (PANEL_W, h + 26), "white")
    canvas.paste(base.convert("RGB"), (0, 26))
    font = ImageFont.truetype(str(FONT), 15)
    while font.getlength(label) > PANEL_W - 8 and font.size > 9:
        font = ImageFont.truetype(str(FONT), font.size - 1)
    ImageDraw.Draw(canvas).text((4, 4), label, fill=(30, 30, 30), font=font)
    return canvas


def side_by_side(before: Image.Image, after: Image.Image, prompt: str, name: str) -> None:
    """Write docs/images/<name>.jpg: before | after, with the prompt as the after label."""
    a, b = panel(before, "before"), panel(after, f"“{prompt}”")
    sheet = Image.new("RGB", (a.width + b.width + 8, max(a.height, b.height)), "white")
    sheet.paste(a, (0, 0))
    sheet.paste(b, (a.width + 8, 0))
    sheet.save(OUT / f"{name}.jpg", quality=85)
    print(f"{name}: {prompt}")


def edit(inputs: list, prompt: str, name: str, **kw: object) -> None:
    """Run retouch and save the before/after sheet."""
    res = retouch.edit(inputs, prompt, **kw)
    before = inputs[0] if isinstance(inputs[0], Image.Image) else Image.open(inputs[0])
    side_by_side(before, Image.open(io.BytesIO(res.images[0])), prompt, name)


def consistent_sets() -> None:
    """Contact sheets of `retouch batch --consistent` on uneven sets, written by the CLI itself."""
    import tempfile

    from bench.catalogue import catalogue, photo_set
    from retouch.cli import main as cli

    runs = [
        ("consistent-catalogue", catalogue(8, seed=5, mixed=True), ["--consistent"]),
        ("consistent-shop", catalogue(8, seed=5, mixed=True),
         ["-p", "put them on a white background and crop to a square, make them consistent"]),
        ("consistent-photos", photo_set(6, seed=3), ["-p", "same exposure and colours"]),
    ]
    for name, shots, args in runs:
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for s in shots:
                p = Path(tmp) / f"{s.name}.png"
                Image.fromarray(s.rgb).save(p)
                paths.append(str(p))
            sheet = OUT / f"{name}.jpg"
            rc = cli(["batch", *paths, *args, "--out-dir", str(Path(tmp) / "out"), "-j", "2",
                      "--contact-sheet", str(sheet)])
            assert rc == 0, name
            print(f"{name}: retouch batch ... {' '.join(args)} --contact-sheet {sheet.name}")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    coffee, chelsea, moto = EX / "coffee.png", EX / "chelsea.png", EX / "motorcycle_left.png"
    edit([coffee], "boost the contrast by 20%, make it warmer and add a subtle vignette", "tone-compound")
    edit([chelsea], "give it a sepia tone", "sepia")
    edit([moto], "crop to 16:9 and make the colours punchier", "crop-vivid")
    edit([coffee], "add the caption 'Fresh Coffee' at the bottom left", "caption")
    prod = Image.fromarray(synth_product(3).rgb)
    edit([prod], "change the background color to navy blue", "bg-navy")
    edit([prod], "cut out the product", "cutout", background="transparent")
    edit([Image.fromarray(synth_product(4).rgb)], "replace the backdrop with a soft gray gradient", "bg-gradient")
    scene = synth_scene(1)
    mask = np.dstack([scene.rgb, np.where(object_mask(scene), 0, 255).astype(np.uint8)])
    edit([Image.fromarray(scene.rgb)], "remove this", "remove-object", mask=mask, quality="high")
    edit([coffee, chelsea], "match the colours of the second image", "match-colors")


if __name__ == "__main__":
    if sys.argv[1:] == ["consistent"]:  # only the consistent-batch sheets
        consistent_sets()
    else:
        main()
        consistent_sets()
