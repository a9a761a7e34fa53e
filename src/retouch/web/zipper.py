"""All outputs of a job in one zip, named after the inputs they came from."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from .history import stem

EXT = {"png": "png", "jpeg": "jpg", "webp": "webp"}


def output_names(images: list[dict[str, Any]], names: list[str]) -> list[str]:
    """`<input stem>-edited.<ext>`; several outputs of one input get `-2`, `-3`...; never a clash."""
    seen: dict[str, int] = {}
    out = []
    for im in images:
        i = int(im.get("input_index", 0))
        base = stem(names[i]) if i < len(names) and names[i] else f"image-{i + 1:02d}"
        ext = EXT.get(str(im.get("output_format", "png")), "png")
        name = f"{base}-edited.{ext}"
        k = seen.get(name, 0) + 1
        seen[name] = k
        out.append(name if k == 1 else f"{base}-edited-{k}.{ext}")
    return out


def build_zip(files: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    # Stored, not deflated: PNG, JPEG and WebP are compressed already.
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in files:
            z.writestr(name, data)
    return buf.getvalue()
