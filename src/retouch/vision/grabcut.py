"""GrabCut (OpenCV's graph cut over colour mixtures) around a rough mask, and from a click or a box.

A rough mask from colour rules breaks where the subject shows the backdrop's colour: a
silver can's bright band, a white bottle's highlight. GrabCut weighs colour against
contrast-sensitive smoothness, so a thin backdrop-coloured stripe inside a subject costs
more to cut out than to keep, while a real hole with a sharp rim (a mug's handle) is cut.
"""

from __future__ import annotations

import cv2
import numpy as np


def trimap_around(rough: np.ndarray, *, inner: int, outer: int, holes: np.ndarray | None = None) -> np.ndarray:
    """GrabCut labels from a rough bool mask: sure fg deep inside, sure bg far outside, probable between.

    `holes` (bool) marks enclosed regions that look like backdrop: probable background even
    deep inside the subject.
    """
    r8 = rough.astype(np.uint8)
    lab = np.full(rough.shape, cv2.GC_PR_BGD, np.uint8)
    lab[r8 > 0] = cv2.GC_PR_FGD
    if inner > 0:
        sure_fg = cv2.erode(r8, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * inner + 1, 2 * inner + 1))) > 0
        lab[sure_fg] = cv2.GC_FGD
    near = cv2.dilate(r8, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * outer + 1, 2 * outer + 1))) > 0
    lab[~near] = cv2.GC_BGD
    if holes is not None:
        lab[holes] = cv2.GC_PR_BGD
    return lab


def grabcut(rgb: np.ndarray, labels: np.ndarray, *, iters: int = 4) -> np.ndarray | None:
    """Run GrabCut on uint8 RGB with initial labels (cv2.GC_*); bool foreground, or None if it cannot run."""
    has_fg = ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).any()
    has_bg = ((labels == cv2.GC_BGD) | (labels == cv2.GC_PR_BGD)).any()
    if not (has_fg and has_bg):
        return None
    lab = labels.copy()
    bgd = np.zeros((1, 65), np.float64)
    fgd = np.zeros((1, 65), np.float64)
    bgr = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2BGR)
    cv2.setRNGSeed(0)  # its colour mixtures start from k-means: the same input gives the same cut
    try:
        cv2.grabCut(bgr, lab, None, bgd, fgd, iters, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        # too few samples of one class to fit its colour mixture
        return None
    return (lab == cv2.GC_FGD) | (lab == cv2.GC_PR_FGD)


def refine_rough(
    rgb: np.ndarray,
    rough: np.ndarray,
    *,
    holes: np.ndarray | None = None,
    iters: int = 3,
    max_side: int = 320,
) -> np.ndarray:
    """A rough subject mask (bool, at `rgb`'s size) repaired by GrabCut; the rough mask if that fails.

    GrabCut runs on the subject's box (plus a margin of sure background) reduced to at most
    `max_side` px: its cost grows with pixels and iterations, and the edge is refined at full
    resolution afterwards anyway.
    """
    h, w = rough.shape
    ys, xs = np.nonzero(rough)
    if len(ys) == 0:
        return rough
    side = max(h, w)
    inner, outer = max(2, side // 40), max(4, side // 25)
    m = 2 * outer
    y0, y1 = max(0, ys.min() - m), min(h, ys.max() + 1 + m)
    x0, x1 = max(0, xs.min() - m), min(w, xs.max() + 1 + m)
    crop, r_crop = rgb[y0:y1, x0:x1, :3], rough[y0:y1, x0:x1]
    hole_crop = None if holes is None else holes[y0:y1, x0:x1]
    s = min(1.0, max_side / max(y1 - y0, x1 - x0))
    if s < 1.0:
        size = (max(8, round((x1 - x0) * s)), max(8, round((y1 - y0) * s)))
        crop = cv2.resize(np.ascontiguousarray(crop), size, interpolation=cv2.INTER_AREA)
        r_crop = cv2.resize(r_crop.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
        if hole_crop is not None:
            hole_crop = cv2.resize(hole_crop.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
        inner, outer = max(1, round(inner * s)), max(2, round(outer * s))
    labels = trimap_around(r_crop, inner=inner, outer=outer, holes=hole_crop)
    cut = grabcut(np.ascontiguousarray(crop), labels, iters=iters)
    if cut is None:
        return rough
    if s < 1.0:
        soft = cv2.resize(cut.astype(np.float32), (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
        cut = soft > 0.5
    out = np.zeros_like(rough)
    out[y0:y1, x0:x1] = cut
    return out
