"""Conversions between stored uint8 pixels and the float32 [0, 1] working format of ops."""

from __future__ import annotations

import numpy as np

_INV255 = np.float32(1.0 / 255.0)


def to_float(a: np.ndarray) -> np.ndarray:
    """uint8 HxWxC -> float32 in [0, 1]."""
    out = a.astype(np.float32)
    out *= _INV255
    return out


def to_uint8(f: np.ndarray) -> np.ndarray:
    """float32 in [0, 1] -> uint8, rounded and clipped."""
    tmp = f * np.float32(255.0)
    tmp += np.float32(0.5)
    np.clip(tmp, 0, 255, out=tmp)
    return tmp.astype(np.uint8)
