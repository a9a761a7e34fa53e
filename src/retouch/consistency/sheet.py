"""A contact sheet of a set: the inputs in one row, the outputs under them, at the same cell size.

Every image is letterboxed into a cell of the same height (so differences in size, framing,
exposure and colour show at a glance) on a neutral gray; sets wider than `columns` wrap into
further before/after row pairs. Images are read as small copies, so a sheet of 200 photos
costs a few megabytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..imaging.thumbnail import decode_thumbnail

FONT = Path(__file__).resolve().parents[1] / "assets" / "DejaVuSans.ttf"
GAP = 6
LABEL_W = 64
SHEET_GRAY = (236, 236, 236)
CELL_GRAY = (250, 250, 250)


def contact_sheet(
    before: Sequence[bytes | np.ndarray | None],
    after: Sequence[bytes | np.ndarray | None],
    *,
    cell: int = 160,
    columns: int = 8,
    labels: tuple[str, str] = ("before", "after"),
) -> np.ndarray:
    """uint8 RGB sheet: `before` images in a row with the `after` images under them (None = empty cell)."""
    n = max(len(before), len(after))
    cols = max(1, min(columns, n))
    rows = (n + cols - 1) // cols
    width = LABEL_W + cols * (cell + GAP) + GAP
    height = rows * (2 * (cell + GAP) + GAP) + GAP
    sheet = Image.new("RGB", (width, height), SHEET_GRAY)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.truetype(str(FONT), 13)
    for r in range(rows):
        y_row = GAP + r * (2 * (cell + GAP) + GAP)
        for j, (images, label) in enumerate(((before, labels[0]), (after, labels[1]))):
            y = y_row + j * (cell + GAP)
            draw.text((8, y + cell // 2 - 8), label, fill=(60, 60, 60), font=font)
            for c in range(cols):
                k = r * cols + c
                x = LABEL_W + GAP + c * (cell + GAP)
                draw.rectangle((x, y, x + cell - 1, y + cell - 1), fill=CELL_GRAY)
                if k < len(images) and images[k] is not None:
                    tile = _tile(images[k], cell)  # type: ignore[arg-type]
                    sheet.paste(tile, (x + (cell - tile.width) // 2, y + (cell - tile.height) // 2))
    return np.asarray(sheet)


def _tile(image: bytes | np.ndarray, cell: int) -> Image.Image:
    """The image fitted inside a cell x cell square (transparency shown on white)."""
    arr = decode_thumbnail(image, 2 * cell)[0] if isinstance(image, bytes) else image
    im = Image.fromarray(arr)
    if im.mode == "RGBA":
        base = Image.new("RGB", im.size, (255, 255, 255))
        base.paste(im, mask=im.split()[3])
        im = base
    im.thumbnail((cell, cell), Image.Resampling.LANCZOS)
    return im.convert("RGB")
