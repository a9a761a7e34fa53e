"""Pixel helpers for the web UI tests: test photos, decoding downloads and masks."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
from PIL import Image

from ..conftest import photo_array


def write_photo(path: Path, w: int, h: int, seed: int) -> np.ndarray:
    arr = photo_array(w, h, seed=seed)
    Image.fromarray(arr).save(path)
    return arr


def rgb(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(np.int16)


def mask_alpha(data_url: str) -> np.ndarray:
    """The alpha channel of the RGBA PNG mask the page sent (0 = edit)."""
    head, _, b64 = data_url.partition(",")
    assert head == "data:image/png;base64", head
    im = Image.open(io.BytesIO(base64.b64decode(b64)))
    assert im.mode == "RGBA", im.mode
    return np.asarray(im.getchannel("A"))


def grayness(arr: np.ndarray) -> np.ndarray:
    """Per-pixel spread between channels: 0 for a gray pixel."""
    return arr.max(axis=-1) - arr.min(axis=-1)
