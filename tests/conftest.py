"""Shared fixtures: small deterministic photos written to disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

PHOTOS = Path(__file__).resolve().parent / "data"


def photo_array(w: int = 320, h: int = 240, seed: int = 0) -> np.ndarray:
    """A deterministic photo-like RGB image: smooth colour fields, edges and texture."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([
        120 + 80 * np.sin(xx / w * 3.1 + seed),
        110 + 70 * np.cos(yy / h * 2.7),
        100 + 60 * np.sin((xx + yy) / (w + h) * 4.0),
    ], -1)
    base[(xx - w * 0.6) ** 2 + (yy - h * 0.5) ** 2 < (min(w, h) * 0.2) ** 2] = (200, 60, 40)
    base += rng.normal(0, 6, base.shape)
    return np.clip(base, 0, 255).astype(np.uint8)


@pytest.fixture
def photo_path(tmp_path: Path) -> Path:
    """A 320x240 PNG photo."""
    p = tmp_path / "photo.png"
    Image.fromarray(photo_array()).save(p)
    return p
