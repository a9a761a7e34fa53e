"""Click-to-select: a point or a box on an image -> a mask of the object there.

On a plain backdrop everything standing on it is found the way the subject matte finds it
(`subject.studio_subject`), and a click picks the piece under it. A click on a photo's
person selects the person matte's piece. Elsewhere GrabCut is seeded at the click in
windows of several sizes, and the cut whose outline follows the strongest image edges wins.
A box is GrabCut's own starting point. The edge is then refined on the full-size image (`matte.refine_matte`).

Work happens on a copy at most SELECT_SIDE px on its longer side, so a selection takes a
fraction of a second at any size.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import OptionError
from . import grabcut
from .matte import downscale, refine_matte, resize_to
from .subject import fill_holes, segment, studio_subject

SELECT_SIDE = 512
Point = tuple[float, float]
Box = tuple[float, float, float, float]


def select(
    image: np.ndarray,
    *,
    point: Point | None = None,
    box: Box | None = None,
    quality: str = "medium",
) -> np.ndarray:
    """Bool HxW mask of the object under `point` (x, y) or inside `box` (x0, y0, x1, y1), in pixels.

    Raises OptionError when neither or both are given, or they lie outside the image.
    """
    rgb = _as_rgb8(image)
    h, w = rgb.shape[:2]
    if point is None and box is None:
        raise OptionError("give a point (x, y) or a box (x0, y0, x1, y1) to select", param="point")
    if point is not None and box is not None:
        raise OptionError("give a point or a box to select, not both", param="box")
    small = np.ascontiguousarray(downscale(rgb, SELECT_SIDE))
    s = small.shape[1] / w
    if point is not None:
        x, y = _check_point(point, w, h)
        p = (min(small.shape[1] - 1, int(x * s)), min(small.shape[0] - 1, int(y * s)))
        rough = _select_point(small, p, quality)
    else:
        x0, y0, x1, y1 = _check_box(box, w, h)  # type: ignore[arg-type]
        rough = _select_box(small, (round(x0 * s), round(y0 * s), round(x1 * s), round(y1 * s)), quality)
    if not rough.any():
        return np.zeros((h, w), bool)
    return refine_matte(rgb, rough.astype(np.float32), quality) > 0.5


# --------------------------------------------------------------------------- arguments


def _as_rgb8(image: np.ndarray) -> np.ndarray:
    """uint8 RGB from uint8/float RGB(A) or gray."""
    a = np.asarray(image)
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, 2)
    if a.dtype != np.uint8:
        a = np.clip(a.astype(np.float32) * 255 + 0.5, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(a[..., :3])


def _check_point(point: Point, w: int, h: int) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in point)
    except (TypeError, ValueError):
        raise OptionError("point must be two numbers: x, y in pixels", param="point") from None
    if not (0 <= x < w and 0 <= y < h):
        raise OptionError(f"point ({x:g}, {y:g}) is outside the {w}x{h} image", param="point")
    return x, y


def _check_box(box: Box, w: int, h: int) -> tuple[float, float, float, float]:
    try:
        x0, y0, x1, y1 = (float(v) for v in box)
    except (TypeError, ValueError):
        raise OptionError("box must be four numbers: x0, y0, x1, y1 in pixels", param="box") from None
    x0, x1 = sorted((max(0.0, x0), min(float(w), x1)))
    y0, y1 = sorted((max(0.0, y0), min(float(h), y1)))
    if x1 - x0 < 2 or y1 - y0 < 2:
        raise OptionError(f"box ({x0:g}, {y0:g}, {x1:g}, {y1:g}) does not cover the {w}x{h} image", param="box")
    return x0, y0, x1, y1


# --------------------------------------------------------------------------- points


def _select_point(small: np.ndarray, p: tuple[int, int], quality: str) -> np.ndarray:
    """The object under pixel p of the working copy (bool)."""
    reach = max(3, round(0.02 * max(small.shape[:2])))
    fg = studio_subject(small, quality)
    if fg is not None and 0.001 <= fg.mean() <= 0.9:
        piece = _piece_at(fg, p, reach=reach, join=max(1, round(0.006 * max(small.shape[:2]))))
        if piece is not None:
            return piece
    else:
        # a click on a person selects the person (the salient-object matte is too coarse for this)
        seg = segment(small, quality=quality)
        if seg.method == "person" and seg.matte[p[1], p[0]] > 0.5:
            piece = _piece_at(seg.matte > 0.5, p, reach=0)
            if piece is not None:
                return piece
    return _grabcut_point(small, p)


def _piece_at(fg: np.ndarray, p: tuple[int, int], *, reach: int, join: int = 0) -> np.ndarray | None:
    """The connected piece of `fg` at p, or the nearest one within `reach` px; None if there is none.

    Parts less than `join` px apart count as one piece (a lamp's shade over its thin stem).
    """
    linked: np.ndarray = fg.astype(np.uint8)
    if join > 0:
        linked = cv2.dilate(linked, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * join + 1, 2 * join + 1)))
    _, lab = cv2.connectedComponents(linked, connectivity=8)
    lab[fg == 0] = 0
    x, y = p
    i = lab[y, x]
    if i == 0:
        y0, y1, x0, x1 = max(0, y - reach), y + reach + 1, max(0, x - reach), x + reach + 1
        win = lab[y0:y1, x0:x1]
        ys, xs = np.nonzero(win)
        if len(ys) == 0:
            return None
        k = int(np.argmin((ys + y0 - y) ** 2 + (xs + x0 - x) ** 2))
        i = win[ys[k], xs[k]]
    return lab == i


#: Half-sizes of the windows GrabCut tries around a click, as fractions of the longer side.
WINDOWS = (0.08, 0.16, 0.3)
#: GrabCut runs on each window reduced to at most this many px a side.
CUT_SIDE = 160


def _grabcut_point(small: np.ndarray, p: tuple[int, int]) -> np.ndarray:
    """GrabCut from a click, tried in windows of several sizes around it; the cut with the crispest outline wins.

    An object's outline is where the image changes most; a window too small cuts through the
    object (its piece touches the window's side), one too large takes in neighbours whose
    shared border is weaker. Each cut runs on its window plus a margin of sure background.
    """
    h, w = small.shape[:2]
    side = max(h, w)
    x, y = p
    edges = _edge_strength(small)
    windows = [(x - r, y - r, x + r + 1, y + r + 1) for r in (max(6, round(f * side)) for f in WINDOWS)]
    seed = _grow_region(small, p)
    if seed.sum() >= 16:
        # the click's own colour region, enlarged: the window for a uniformly coloured object
        ys, xs = np.nonzero(seed)
        for g in (0.25,):
            mx, my = round(g * (np.ptp(xs) + 1)) + 3, round(g * (np.ptp(ys) + 1)) + 3
            windows.append((xs.min() - mx, ys.min() - my, xs.max() + 1 + mx, ys.max() + 1 + my))
    best, best_score = None, -1.0
    for wx0, wy0, wx1, wy1 in windows:
        x0, y0, x1, y1 = max(0, wx0), max(0, wy0), min(w, wx1), min(h, wy1)
        r = max(x1 - x0, y1 - y0) // 2
        m = max(4, r // 3)
        cx0, cy0, cx1, cy1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
        labels: np.ndarray = np.full((cy1 - cy0, cx1 - cx0), cv2.GC_BGD, np.uint8)
        labels[y0 - cy0 : y1 - cy0, x0 - cx0 : x1 - cx0] = cv2.GC_PR_FGD
        cv2.circle(labels, (x - cx0, y - cy0), max(2, round(0.01 * side)), cv2.GC_FGD, -1)
        crop = np.ascontiguousarray(small[cy0:cy1, cx0:cx1])
        k = min(1.0, CUT_SIDE / max(crop.shape[:2]))
        if k < 1.0:
            size = (max(8, round(crop.shape[1] * k)), max(8, round(crop.shape[0] * k)))
            crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
            labels = cv2.resize(labels, size, interpolation=cv2.INTER_NEAREST)
        cut = grabcut.grabcut(crop, labels, iters=3)
        if cut is None:
            continue
        if k < 1.0:
            cut = cv2.resize(cut.astype(np.uint8), (cx1 - cx0, cy1 - cy0), interpolation=cv2.INTER_LINEAR) > 0
        piece = _piece_at(cut, (x - cx0, y - cy0), reach=0)
        if piece is None or piece.sum() < 16:
            continue
        full = np.zeros((h, w), bool)
        full[cy0:cy1, cx0:cx1] = piece
        score = _outline_contrast(full, edges)
        # a piece running into the window's side was cut short (unless that side is the image's)
        rim = [
            x0 > 0 and full[y0:y1, x0].mean() > 0.1,
            x1 < w and full[y0:y1, x1 - 1].mean() > 0.1,
            y0 > 0 and full[y0, x0:x1].mean() > 0.1,
            y1 < h and full[y1 - 1, x0:x1].mean() > 0.1,
        ]
        if any(rim):
            score *= 0.3
        if score > best_score:
            best, best_score = full, score
    if best is None:
        return _grow_region(small, p)
    return _tidy(best)


def _edge_strength(small: np.ndarray) -> np.ndarray:
    """Colour gradient magnitude (Lab, lightly smoothed), float32 HxW."""
    lab = cv2.cvtColor(cv2.GaussianBlur(small, (0, 0), 1.0), cv2.COLOR_RGB2Lab).astype(np.float32)
    gx = cv2.Sobel(lab, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(lab, cv2.CV_32F, 0, 1, ksize=3)
    return np.sqrt((gx * gx + gy * gy).sum(-1))


def _outline_contrast(piece: np.ndarray, edges: np.ndarray) -> float:
    """How much stronger the edges along a piece's outline are than those inside it.

    An object's outline is its strongest edge, its inside smoother: a cut that follows the
    object scores high, one that takes in a neighbour (whose shared border is then inside)
    or stops short of the outline scores lower.
    """
    p8 = piece.astype(np.uint8)
    k = np.ones((3, 3), np.uint8)
    core = cv2.erode(p8, k, iterations=2) > 0
    rim = (cv2.dilate(p8, k) > 0) & ~(cv2.erode(p8, k) > 0)
    if not rim.any():
        return 0.0
    inside = float(edges[core].mean()) if core.any() else 0.0
    return float(edges[rim].mean()) / (inside + 10.0)


def _grow_region(small: np.ndarray, p: tuple[int, int]) -> np.ndarray:
    """Pixels reachable from p through colours within a tolerance of the click's (bool), on a smoothed copy."""
    smooth = cv2.bilateralFilter(small, 9, 30, 5)
    lab = cv2.cvtColor(smooth, cv2.COLOR_RGB2Lab)
    h, w = small.shape[:2]
    mask = np.zeros((h + 2, w + 2), np.uint8)
    flags = 8 | cv2.FLOODFILL_MASK_ONLY | cv2.FLOODFILL_FIXED_RANGE | (1 << 8)
    cv2.floodFill(lab, mask, p, (0, 0, 0), (14, 10, 10), (14, 10, 10), flags)
    return mask[1:-1, 1:-1] > 0


def _tidy(m: np.ndarray) -> np.ndarray:
    """Open away specks and fill pinholes smaller than 0.05% of the image (real holes stay)."""
    m8 = cv2.morphologyEx(m.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    holes = fill_holes(m8 > 0) & ~(m8 > 0)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(holes.astype(np.uint8), connectivity=4)
    small = np.zeros(n, bool)
    small[1:] = stats[1:, cv2.CC_STAT_AREA] < 0.0005 * m.size
    return (m8 > 0) | small[lab]


# --------------------------------------------------------------------------- boxes


def _select_box(small: np.ndarray, b: tuple[int, int, int, int], quality: str) -> np.ndarray:
    """The object inside box b of the working copy (bool)."""
    h, w = small.shape[:2]
    x0, y0, x1, y1 = max(0, b[0]), max(0, b[1]), min(w, max(b[2], b[0] + 2)), min(h, max(b[3], b[1] + 2))
    inside = np.zeros((h, w), bool)
    inside[y0:y1, x0:x1] = True
    fg = studio_subject(small, quality)
    if fg is not None:
        # the pieces standing on the backdrop that lie mostly in the box
        n, lab, stats, _ = cv2.connectedComponentsWithStats(fg.astype(np.uint8), connectivity=8)
        hits = np.bincount(lab[inside], minlength=n)
        keep = np.zeros(n, bool)
        keep[1:] = hits[1:] >= 0.6 * stats[1:, cv2.CC_STAT_AREA]
        if keep.any():
            return keep[lab] & inside
    # GrabCut on the box plus a margin of sure background, reduced to at most 1.5·CUT_SIDE px
    m = max(4, max(x1 - x0, y1 - y0) // 8)
    cx0, cy0, cx1, cy1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
    labels: np.ndarray = np.full((cy1 - cy0, cx1 - cx0), cv2.GC_BGD, np.uint8)
    labels[y0 - cy0 : y1 - cy0, x0 - cx0 : x1 - cx0] = cv2.GC_PR_FGD
    crop = np.ascontiguousarray(small[cy0:cy1, cx0:cx1])
    k = min(1.0, 1.5 * CUT_SIDE / max(crop.shape[:2]))
    if k < 1.0:
        size = (max(8, round(crop.shape[1] * k)), max(8, round(crop.shape[0] * k)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        labels = cv2.resize(labels, size, interpolation=cv2.INTER_NEAREST)
    cut = grabcut.grabcut(crop, labels, iters=3)
    if cut is None:
        return inside
    if k < 1.0:
        cut = cv2.resize(cut.astype(np.uint8), (cx1 - cx0, cy1 - cy0), interpolation=cv2.INTER_LINEAR) > 0
    full = np.zeros((h, w), bool)
    full[cy0:cy1, cx0:cx1] = cut
    n, lab, stats, _ = cv2.connectedComponentsWithStats(full.astype(np.uint8), connectivity=8)
    if n <= 1:
        return inside
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(n, bool)
    keep[1:] = areas >= 0.05 * areas.max()
    return _tidy(keep[lab])


def resize_mask(mask: np.ndarray, h: int, w: int) -> np.ndarray:
    """A bool mask resized to HxW (nearest)."""
    return resize_to(mask.astype(np.uint8), h, w, nearest=True) > 0
