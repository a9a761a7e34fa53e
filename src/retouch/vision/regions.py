"""Soft weights for the catalogue's regions (retouch.ops.catalog.REGIONS).

Every weight is float32 HxW in [0, 1]. Spatial regions ramp smoothly over ~10% of the
image size so an edit confined to "the left side" has no visible seam.
"""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedInstruction
from .faces import face_weight
from .matte import smoothstep
from .sky import sky_weight
from .subject import subject_matte

RAMP = 0.10  # width of the soft transition of spatial regions, as a fraction of the image size

SPATIAL = (
    "left",
    "right",
    "top",
    "bottom",
    "top-left",
    "top-right",
    "bottom-left",
    "bottom-right",
    "center",
    "edges",
)


def region_weight(
    name: str, rgb: np.ndarray, *, quality: str = "medium", fragment: str = ""
) -> np.ndarray | None:
    """Weight of region `name` on uint8 RGB(A) `rgb`; None for "all" (and "mask", the executor's).

    Raises UnsupportedInstruction when the region needs something that is not in the
    image (a face) or the name is unknown; `fragment` is the instruction's wording for it.
    """
    h, w = rgb.shape[:2]
    if name in ("all", "mask"):
        return None
    if name == "subject":
        return subject_matte(rgb, quality=quality)
    if name == "background":
        return (1.0 - subject_matte(rgb, quality=quality)).astype(np.float32)
    if name == "sky":
        s = sky_weight(rgb)
        if s.max() < 0.5:
            raise UnsupportedInstruction(
                f"no sky found in the image to apply '{fragment or 'the edit'}' to", fragment=fragment
            )
        return s
    if name == "face":
        f = face_weight(rgb)
        if f.max() < 0.5:
            raise UnsupportedInstruction(
                f"no face found in the image to apply '{fragment or 'the edit'}' to", fragment=fragment
            )
        return f
    if name in SPATIAL:
        return spatial_weight(name, h, w)
    raise UnsupportedInstruction(f"unknown region {name!r}", fragment=fragment or name)


def spatial_weight(name: str, h: int, w: int) -> np.ndarray:
    """Soft positional weight: halves, quarters, the centre or the edges of an HxW frame."""
    x = (np.arange(w, dtype=np.float32) + 0.5) / w
    y = (np.arange(h, dtype=np.float32) + 0.5) / h
    half = RAMP / 2
    left = 1 - smoothstep(x, 0.5 - half, 0.5 + half)  # 1 on the left half, ramp across the middle
    top = 1 - smoothstep(y, 0.5 - half, 0.5 + half)
    cols = {"left": left, "right": 1 - left}
    rows = {"top": top, "bottom": 1 - top}
    if name in cols:
        return np.broadcast_to(cols[name][None, :], (h, w)).astype(np.float32)
    if name in rows:
        return np.broadcast_to(rows[name][:, None], (h, w)).astype(np.float32)
    if name in ("top-left", "top-right", "bottom-left", "bottom-right"):
        v, hz = name.split("-")
        return (rows[v][:, None] * cols[hz][None, :]).astype(np.float32)
    # centre / edges: a rounded rectangle, inner half of the frame vs its outer band
    dx = np.abs(x - 0.5)[None, :] * 2  # 0 at the centre, 1 at the border
    dy = np.abs(y - 0.5)[:, None] * 2
    d = np.maximum(dx, dy) * 0.6 + np.sqrt(dx * dx + dy * dy) / np.sqrt(2) * 0.4
    center = 1 - smoothstep(d, 0.5 - RAMP, 0.5 + RAMP)
    if name == "center":
        return center.astype(np.float32)
    if name == "edges":
        return (1 - center).astype(np.float32)
    raise ValueError(f"not a spatial region: {name}")
