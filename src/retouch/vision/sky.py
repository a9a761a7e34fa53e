"""Sky: smooth, bright or blue regions connected to the top of the frame, as a soft weight."""

from __future__ import annotations

import cv2
import numpy as np

from .matte import downscale, guided_coeffs, resize_to

WORK_SIDE = 256


def sky_weight(rgb: np.ndarray) -> np.ndarray:
    """Soft sky weight, float32 HxW in [0, 1] (all zeros when there is no sky), for uint8 RGB(A)."""
    h, w = rgb.shape[:2]
    small = np.ascontiguousarray(downscale(np.ascontiguousarray(rgb[..., :3]), WORK_SIDE))
    hard = sky_mask(small)
    if hard is None:
        return np.zeros((h, w), np.float32)
    return _soft_edges(rgb, small, hard)


def sky_mask(small: np.ndarray) -> np.ndarray | None:
    """Hard sky mask at the working size (bool), or None when no sky region is found."""
    hs, ws = small.shape[:2]
    f = small.astype(np.float32) / 255
    lab = cv2.cvtColor(f, cv2.COLOR_RGB2LAB)
    light, b = lab[..., 0] / 100, lab[..., 2]
    # texture: local standard deviation of lightness (skies, even cloudy ones, are smooth)
    k = (5, 5)
    m1 = cv2.blur(light, k)
    m2 = cv2.blur(light * light, k)
    std = np.sqrt(np.maximum(m2 - m1 * m1, 0))
    smooth = std < 0.035
    blue = (b < -6) & (light > 0.22)
    neutral = (np.abs(lab[..., 1]) < 10) & (np.abs(b) < 14) & (light > 0.6)
    cand = smooth & (blue | neutral)
    cand = cv2.morphologyEx(cand.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)) > 0
    n, lab_ids, stats, _ = cv2.connectedComponentsWithStats(cand.astype(np.uint8), connectivity=8)
    if n <= 1:
        return None
    top = lab_ids[0]
    bright = float(np.quantile(light, 0.75))
    sky = np.zeros((hs, ws), bool)
    for i in range(1, n):
        along_top = float((top == i).mean())
        comp = lab_ids == i
        is_blue = float(blue[comp].mean()) > 0.5
        if not is_blue and float(light[comp].mean()) < max(0.7, bright):
            continue  # a gray sky is the brightest thing in view; a gray wall or backdrop is not
        # a sky spans the top of the frame; a bright wall or door touching it usually does not
        need = 0.1 if is_blue else 0.3
        cy = stats[i, cv2.CC_STAT_TOP] + stats[i, cv2.CC_STAT_HEIGHT] / 2
        if along_top >= need and cy < 0.6 * hs and stats[i, cv2.CC_STAT_AREA] >= 0.02 * hs * ws:
            sky |= comp
    if not sky.any():
        return None
    # patches of the same sky seen through branches or between buildings
    mean = lab[sky].mean(0)
    dist = np.linalg.norm(lab - mean, axis=-1)
    yy = np.arange(hs)[:, None] < 0.7 * hs
    sky |= cand & yy & (dist < 8)
    return sky


def _soft_edges(rgb: np.ndarray, small: np.ndarray, hard: np.ndarray) -> np.ndarray:
    """Full-size soft weight: guided filter of the hard mask (coefficients at working size)."""
    h, w = rgb.shape[:2]
    g = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
    r = max(2, round(0.012 * max(small.shape[:2])))
    a, b = guided_coeffs(g, hard.astype(np.float32), r, 1e-3)
    a_full, b_full = resize_to(a, h, w), resize_to(b, h, w)
    g_full = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
    out = np.clip(a_full * g_full + b_full, 0, 1)
    # nothing far below the detected sky: keep stray responses of the filter at zero
    reach = cv2.dilate(hard.astype(np.uint8), np.ones((2 * r + 1, 2 * r + 1), np.uint8))
    out *= resize_to(reach.astype(np.float32), h, w)
    return out.astype(np.float32)


__all__ = ["sky_mask", "sky_weight"]
