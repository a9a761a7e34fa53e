"""Subject/background separation: studio backdrops, people, and general photos.

`subject_matte(rgb)` picks a method per image:

* **alpha**: the input already has transparency → that is the matte.
* **studio**: a plain (possibly graded) backdrop fills the border → model the backdrop
  colour as a smooth polynomial of position, call "background" every pixel reachable from
  the border through backdrop-coloured or soft-shadow pixels (so floor shadows stay
  background and enclosed highlights stay foreground).
* **person**: a face is found → mediapipe's selfie segmentation (optional dependency).
* **general**: otherwise → a saliency map (contrast to the border, focus, centre prior)
  seeds GrabCut.

The rough mask is computed at a reduced resolution and refined on the full image by
`matte.refine_matte`, so the cost is a few ms plus one pass over the full image.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from . import grabcut, people
from .matte import downscale, guided_filter, refine_matte, resize_to

#: Working resolution (longer side) of the rough segmentation per quality tier.
WORK_SIDE = {"low": 320, "medium": 512, "high": 768}
#: Longest side of the subject's box that GrabCut repairs the studio mask on (not at low quality).
GRABCUT_SIDE = {"low": 0, "medium": 256, "high": 384}


@dataclass(frozen=True)
class Segmentation:
    """A matte with the method that produced it (for logs, tests and `explain`)."""

    matte: np.ndarray  # float32 HxW in [0, 1], 1 = subject
    method: str  # alpha | studio | person | general | none


@dataclass(frozen=True)
class Backdrop:
    """A smooth backdrop colour model fitted to the image border (0..255 units)."""

    coef: np.ndarray  # 6x3 polynomial coefficients over (1, x, y, x², xy, y²)
    sigma: float  # robust spread of border pixels around the model
    inliers: float  # fraction of border pixels the model explains
    sides: float  # smallest per-side inlier fraction (a plain backdrop reaches 3+ sides)

    def render(self, h: int, w: int) -> np.ndarray:
        """The modelled backdrop colour at every pixel, float32 HxWx3."""
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        x /= max(w - 1, 1)
        y /= max(h - 1, 1)
        c = self.coef.astype(np.float32)
        out = np.empty((h, w, 3), np.float32)
        for k in range(3):
            out[..., k] = (
                c[0, k] + c[1, k] * x + c[2, k] * y + c[3, k] * x * x + c[4, k] * x * y + c[5, k] * y * y
            )
        return out

    @property
    def plain(self) -> bool:
        """Whether the border looks like a studio/seamless backdrop."""
        return self.sigma <= 7.0 and self.inliers >= 0.55 and self.sides >= 0.2


# --------------------------------------------------------------------------- public API


def subject_matte(rgb: np.ndarray, *, quality: str = "medium") -> np.ndarray:
    """Soft subject matte, float32 HxW in [0, 1] (1 = subject), for uint8 RGB(A) input."""
    return segment(rgb, quality=quality).matte


def subject_center(rgb: np.ndarray) -> tuple[float, float] | None:
    """Centre of mass of the subject as (x, y) fractions of width/height, or None if no subject."""
    m = subject_matte(rgb, quality="low")
    total = float(m.sum())
    if total < 0.005 * m.size or total > 0.97 * m.size:
        return None
    h, w = m.shape
    ys = m.sum(1) @ np.arange(h, dtype=np.float64)
    xs = m.sum(0) @ np.arange(w, dtype=np.float64)
    return (float(xs / total + 0.5) / w, float(ys / total + 0.5) / h)


def subject_box(rgb: np.ndarray) -> tuple[float, float, float, float] | None:
    """Bounding box (x0, y0, x1, y1) of the subject in fractions of width/height, or None."""
    m = subject_matte(rgb, quality="low") > 0.5
    if m.sum() < 0.005 * m.size:
        return None
    h, w = m.shape
    ys, xs = np.where(m.any(1))[0], np.where(m.any(0))[0]
    return (xs[0] / w, ys[0] / h, (xs[-1] + 1) / w, (ys[-1] + 1) / h)


def segment(rgb: np.ndarray, *, quality: str = "medium") -> Segmentation:
    """The subject matte and how it was found (cached for the last few images)."""
    q = quality if quality in WORK_SIDE else "medium"
    key = _cache_key(rgb, q)
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    seg = _segment(rgb, q)
    with _lock:
        _cache[key] = seg
        while len(_cache) > 4:
            _cache.popitem(last=False)
    return seg


# --------------------------------------------------------------------------- dispatch

_cache: OrderedDict[tuple, Segmentation] = OrderedDict()
_lock = threading.Lock()


def _cache_key(rgb: np.ndarray, quality: str) -> tuple:
    """Content hash: the same pixels asked twice (matte, centre, box) are segmented once."""
    h = hashlib.blake2b(np.ascontiguousarray(rgb).data, digest_size=16).hexdigest()
    return (rgb.shape, str(rgb.dtype), quality, h)


def _segment(rgb: np.ndarray, quality: str) -> Segmentation:
    """Choose the method for this image and run it."""
    h, w = rgb.shape[:2]
    if rgb.ndim == 3 and rgb.shape[2] == 4:
        a = rgb[..., 3]
        if (a < 128).mean() > 0.01 and (a >= 128).mean() > 0.005:
            # already cut out: the existing alpha is the best matte there is
            return Segmentation(a.astype(np.float32) / 255, "alpha")
    rgb = np.ascontiguousarray(rgb[..., :3])
    small = downscale(rgb, WORK_SIDE[quality])
    rough, method = _rough_mask(rgb, small, quality)
    if rough is None:
        return Segmentation(np.zeros((h, w), np.float32), "none")
    matte = refine_matte(rgb, rough, quality)
    return Segmentation(matte, method)


def _rough_mask(rgb: np.ndarray, small: np.ndarray, quality: str) -> tuple[np.ndarray | None, str]:
    """A float mask at working resolution (soft for people) and the method's name."""
    fg = studio_subject(small, quality)
    if fg is not None:
        frac = fg.mean()
        if 0.003 <= frac <= 0.9:
            if people.has_face(small, cheap=True):
                pm = people.person_mask(small)
                if pm is not None and (pm > 0.5).mean() > 0.01:
                    # people on a plain backdrop: union keeps white shirts the colour test misses
                    return np.maximum(fg.astype(np.float32), pm), "person"
            return fg.astype(np.float32), "studio"
    if people.has_face(small):
        pm = people.person_mask(small)
        if pm is not None and (pm > 0.5).mean() > 0.01:
            return _clean_person(pm), "person"
    gm = general_mask(small)
    if gm is None:
        return None, "none"
    return gm.astype(np.float32), "general"


# --------------------------------------------------------------------------- studio backdrops


def studio_subject(small: np.ndarray, quality: str = "medium") -> np.ndarray | None:
    """Everything standing on a plain backdrop (bool, at `small`'s size), or None without a plain backdrop.

    The backdrop flood of `studio_mask`, repaired by GrabCut except at low quality.
    """
    f = small[..., :3].astype(np.float32)
    bd = fit_backdrop(f)
    if not bd.plain:
        # a floor shadow (or the product) across the bottom edge spoils the border's fit; the
        # top and both sides of a seamless backdrop still show it, all three almost wholly
        bd = fit_backdrop(f, bottom=False)
        if not (bd.plain and bd.sides >= 0.75 and _shadowed_bottom(f, bd)):
            return None
    fg = studio_mask(f, bd)
    if quality != "low" and 0.003 <= fg.mean() <= 0.9:
        holes = backdrop_holes(fg | fill_holes(fg), _backdrop_distance(f, bd), bd.sigma)
        # GrabCut only adds: it repairs leaks; where colour says backdrop it would also eat into
        # a subject that shares the backdrop's colours (a light gray bottle on a graded backdrop)
        fg = fg | grabcut.refine_rough(small, fg, holes=holes, max_side=GRABCUT_SIDE.get(quality, 256))
    return fg


def _shadowed_bottom(img: np.ndarray, bd: Backdrop) -> bool:
    """Whether the bottom strip is the backdrop, darkened or not, with its colour kept (a floor shadow).

    A table or a floor of another colour under a plain wall is not: that is a scene, not a
    seamless backdrop.
    """
    h, w = img.shape[:2]
    b = max(2, round(0.03 * min(h, w)))
    strip = img[h - b :]
    bgc = bd.render(h, w)[h - b :]
    bb = np.maximum(np.einsum("ijk,ijk->ij", bgc, bgc), 1.0)
    k = np.einsum("ijk,ijk->ij", strip, bgc) / bb
    chroma = np.sqrt(np.maximum(np.einsum("ijk,ijk->ij", strip, strip) - k * k * bb, 0))
    t = max(3.5 * bd.sigma, 12.0)
    like = (k > 0.3) & (k < 1.0 + t / np.sqrt(bb)) & (chroma < t + 0.08 * k * np.sqrt(bb))
    return float(like.mean()) >= 0.8


def _design(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Quadratic polynomial basis in normalised coordinates, Nx6."""
    return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], 1)


def fit_backdrop(img: np.ndarray, *, bottom: bool = True) -> Backdrop:
    """Robustly fit a smooth colour model to a strip along the image border (img float32 0..255).

    `bottom=False` leaves the bottom strip out; `sides` is then the smallest of the three
    sides' inlier fractions, not the second smallest of four.
    """
    h, w = img.shape[:2]
    b = max(2, round(0.03 * min(h, w)))
    yy, xx = np.mgrid[0:h, 0:w]
    strip = np.zeros((h, w), bool)
    strip[:b] = strip[-b:] = True
    strip[:, :b] = strip[:, -b:] = True
    side = np.full((h, w), -1, np.int8)  # which side each strip pixel belongs to
    side[:, :b], side[:, -b:] = 0, 1
    side[:b], side[-b:] = 2, 3
    if not bottom:
        strip &= side != 3
    # every k-th strip pixel is plenty for six coefficients and keeps the fit ~1 ms
    step = max(1, int(strip.sum()) // 6000)
    x = xx[strip][::step].astype(np.float32) / max(w - 1, 1)
    y = yy[strip][::step].astype(np.float32) / max(h - 1, 1)
    c = img[strip][::step].astype(np.float32)
    s_id = side[strip][::step]
    a = _design(x, y)
    keep = np.ones(len(c), bool)
    coef = np.zeros((6, 3), np.float32)
    sigma = 255.0
    for _ in range(5):
        if keep.sum() < 12:
            break
        ak = a[keep]
        # normal equations: a 6x6 solve, cheaper than lstsq's SVD and well conditioned here
        coef = np.linalg.solve(ak.T @ ak + 1e-6 * np.eye(6, dtype=np.float32), ak.T @ c[keep])
        res = np.linalg.norm(c - a @ coef, axis=1)
        sigma = float(1.4826 * np.median(res[keep])) + 0.5
        keep = res < max(3.0 * sigma, 6.0)
    fracs = [float(keep[s_id == k].mean()) for k in range(4) if (s_id == k).any()]
    # a plain backdrop shows on at least three sides; the object may cover one
    sides = (sorted(fracs)[1] if bottom else min(fracs)) if len(fracs) >= 2 else 0.0
    return Backdrop(coef.astype(np.float32), sigma, float(keep.mean()), sides)


def _backdrop_distance(img: np.ndarray, bd: Backdrop) -> np.ndarray:
    """Colour distance of every pixel to the backdrop model (0..255 units), float32 HxW."""
    diff = img - bd.render(*img.shape[:2])
    return np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))


def studio_mask(img: np.ndarray, bd: Backdrop) -> np.ndarray:
    """Foreground (bool) on a plain backdrop: what the border cannot reach through backdrop or soft shadow."""
    h, w = img.shape[:2]
    bgc = bd.render(h, w)
    diff = img - bgc
    dist = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    t = max(3.5 * bd.sigma, 12.0)
    like = dist < t
    # shadows: the backdrop darkened (ratio k < 1) with its colour kept
    bb = np.maximum(np.einsum("ijk,ijk->ij", bgc, bgc), 1.0)
    k = np.einsum("ijk,ijk->ij", img, bgc) / bb
    # |img - k·bgc|² = |img|² - k²|bgc|² (k is the projection)
    chroma = np.sqrt(np.maximum(np.einsum("ijk,ijk->ij", img, img) - k * k * bb, 0))
    neutral = chroma < t + 0.08 * k * np.sqrt(bb)
    shadow = (k > 0.3) & (k < 1.0) & neutral
    # ...and soft: a shadow's ratio changes slowly, an object's outline is a sharp step
    ks = cv2.GaussianBlur(k.astype(np.float32), (0, 0), 1.0)
    gx = cv2.Sobel(ks, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(ks, cv2.CV_32F, 0, 1, ksize=3) / 8
    grad = np.sqrt(gx * gx + gy * gy)
    soft_thr = 0.03 + 3.0 * bd.sigma / max(float(np.sqrt(bb.mean())), 1.0)
    edge = grad >= soft_thr
    passable = like | _soft_shadows(shadow & ~like & ~edge, like, edge & neutral & ~like)
    # outlines stop the flood even where the subject matches the backdrop's colour (a white
    # bottle on white, a silver band): a step is visible long after a pixel's colour is not
    bg = _reach_border(passable)
    # the flood leaks where the subject matches the backdrop's colour (a white bottle on white,
    # a silver band): a second flood, stopped by outlines and too wide for narrow gaps, shows
    # where; a leaked region as smooth as a surface is subject, one full of edges (the gaps
    # between hairs) really is backdrop
    outline = outline_edges(img)
    barrier = cv2.dilate(outline.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    r = max(2, round(0.01 * max(h, w)))
    guarded = _grow_within(_reach_border_ball(passable & ~barrier, r), passable, r + 3)
    bg &= ~_smooth_leaks(bg & ~guarded, outline)
    fg = _clean(~bg, min_frac=0.002)
    fg = complete_shapes(fg, outline, fits_backdrop(diff))
    return fg & ~backdrop_holes(fg, dist, bd.sigma)


def fits_backdrop(residual: np.ndarray) -> np.ndarray:
    """Pixels the backdrop model explains within its noise (bool), from the image minus the model.

    Judged on a lightly smoothed residual against the border strip's own spread: tighter than
    the flood's colour test, so a subject whose shading passes through the backdrop's colour
    matches it only along thin lines, not over areas.
    """
    h, w = residual.shape[:2]
    res = cv2.GaussianBlur(residual, (0, 0), 1.5)
    d = np.sqrt(np.einsum("ijk,ijk->ij", res, res))
    b = max(2, round(0.03 * min(h, w)))
    border = np.concatenate([d[:b].ravel(), d[-b:].ravel(), d[:, :b].ravel(), d[:, -b:].ravel()])
    med = float(np.median(border))
    spread = 1.4826 * float(np.median(np.abs(border - med)))
    return d < max(med + 4.0 * spread, 3.0)


def complete_shapes(fg: np.ndarray, outline: np.ndarray, fits: np.ndarray) -> np.ndarray:
    """The subject with what its outline encloses but the colour tests lost (bool): a shape prior.

    Where a silver or light gray product's shading passes through the backdrop's colour, the
    flood runs into the product over a long stretch. Each object (the mask's pieces within
    2.5% of each other, with the outline chains that come within 5% of them) is completed to
    its convex hull; from the hull, everything a disc can reach from outside through pixels the backdrop
    model explains goes back (concavities: beside a lamp's stem, between a mug and its
    handle), and of the rest, pieces whose rim is mostly subject or outline are kept (a soft
    floor shadow inside the hull is open to the backdrop and is not). Enclosed holes are
    judged afterwards by `backdrop_holes`.
    """
    h, w = fg.shape
    side = max(h, w)
    rg = max(3, round(0.025 * side))
    near = cv2.dilate(fg.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * rg + 1, 2 * rg + 1)))
    n, groups = cv2.connectedComponents(near, connectivity=8)
    if n <= 1:
        return fg
    # outline chains, bridged over gaps of a few px (a faint outline breaks up)
    bridged = cv2.dilate(outline.astype(np.uint8), np.ones((7, 7), np.uint8))
    n_ch, chains = cv2.connectedComponents(bridged, connectivity=8)
    # only long chains: a silhouette, not JPEG ringing or grain around a strong edge
    long_ = np.bincount(chains[outline], minlength=n_ch) >= 0.06 * side
    long_[0] = False
    # the hull spans the mask's body, not thin appendages (a strip of contact shadow at the base)
    ro = max(1, round(0.006 * side))
    body = cv2.morphologyEx(fg.astype(np.uint8), cv2.MORPH_OPEN,
                            cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * ro + 1, 2 * ro + 1))) > 0
    hull = np.zeros((h, w), np.uint8)
    reach = 0.05 * side  # an outline this far from the mask may be the part of the object it lost
    for i in range(1, n):
        group = groups == i
        close = cv2.distanceTransform((~group).astype(np.uint8), cv2.DIST_L2, 3) <= reach
        touching = np.unique(chains[close & outline])
        pts = body & group | np.isin(chains, touching[long_[touching]]) & outline
        # the hull of the outer contours' points: the same hull, from far fewer points
        contours, _ = cv2.findContours(pts.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if contours:
            cv2.fillConvexPoly(hull, cv2.convexHull(np.concatenate(contours)), 1)
    inside = hull > 0
    cand = inside & ~fg
    if not cand.any():
        return fg
    # the rest happens around the hulls: beyond them everything is open backdrop anyway
    r = max(2, round(0.02 * side))
    ys, xs = np.nonzero(hull)
    m = r + 6
    box = np.s_[max(0, ys.min() - m) : ys.max() + 1 + m, max(0, xs.min() - m) : xs.max() + 1 + m]
    out = fg.copy()
    out[box] |= _enclosed(fg[box], cand[box], inside[box], fits[box], outline[box], r, max(20, int(0.0005 * h * w)))
    return out


def _enclosed(fg: np.ndarray, cand: np.ndarray, inside: np.ndarray, fits: np.ndarray, outline: np.ndarray,
              r: int, min_area: int) -> np.ndarray:
    """The pieces of `cand` (inside the hulls, not yet subject) that are lost parts of the subject (bool).

    Open backdrop is what a disc of radius r reaches from outside the hulls through pixels the
    backdrop model explains. A piece is kept when it is smooth, under 30% of its rim touches
    that backdrop without an outline between them, and it continues the subject: a stretch
    of its rim meets the subject with no outline between (a lost part's shading runs on into
    the rest; a shadow or the backdrop in a handle meets the subject at the subject's outline).
    """
    open_ = ~inside | fits
    outside = _grow_within(_reach_border_ball(open_, r), open_, r + 3)
    # a surface, not the gaps between strands of fur (those are full of edges)
    rest = _smooth_leaks(cand & ~outside, outline)
    # pieces split along outlines: a floor shadow under the object is judged apart from it
    k3 = np.ones((3, 3), np.uint8)
    barrier = cv2.dilate(outline.astype(np.uint8), k3) > 0
    walls = cv2.dilate(outline.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    n, lab, stats, _ = cv2.connectedComponentsWithStats((rest & ~barrier).astype(np.uint8), connectivity=4)
    keep = np.zeros(n, bool)
    for i, (y0, y1, x0, x1), _piece, ring in _pieces_with_rims(lab, stats, min_area):
        # open = touching reached backdrop where no outline separates them
        free = ring & ~walls[y0:y1, x0:x1]
        gap = free & outside[y0:y1, x0:x1]
        joined = free & (fg[y0:y1, x0:x1] | fits[y0:y1, x0:x1] & ~outside[y0:y1, x0:x1])
        n_ring = max(int(ring.sum()), 1)
        keep[i] = gap.sum() < 0.3 * n_ring and joined.sum() >= max(10, 0.1 * n_ring)
    # ...and grown back over the outline they were split along
    return _grow_within(keep[lab], rest, 3)


def outline_edges(img: np.ndarray) -> np.ndarray:
    """Sharp colour steps well above the backdrop's noise (bool): outlines, not soft shadows or shading.

    A step's gradient falls ~3x from a 1 px to a 3 px blur, a soft ramp's hardly at all; the
    strength threshold is 1.5x the border strip's 99.5th percentile (its noise).
    """
    h, w = img.shape[:2]

    ones = np.ones((1, 3), np.float32)

    def grad2(sigma: float) -> np.ndarray:
        """Squared colour gradient (Sobel, summed over channels) of the image blurred by sigma."""
        sm = cv2.GaussianBlur(img, (0, 0), sigma)
        gx = cv2.Sobel(sm, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(sm, cv2.CV_32F, 0, 1, ksize=3)
        cv2.multiply(gx, gx, dst=gx)
        cv2.multiply(gy, gy, dst=gy)
        cv2.add(gx, gy, dst=gx)
        return cv2.transform(gx, ones).reshape(h, w) * np.float32(1 / 64)  # Sobel gains 8x

    g1, g3 = grad2(1.0), grad2(3.0)
    b = max(2, round(0.03 * min(h, w)))
    border = np.concatenate([g1[:b].ravel(), g1[-b:].ravel(), g1[:, :b].ravel(), g1[:, -b:].ravel()])
    thr = max(1.5, 1.5 * float(np.sqrt(np.quantile(border, 0.995))))
    return (g1 > thr * thr) & (g1 > 1.6 * 1.6 * g3)


def _smooth_leaks(cand: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The sizeable regions of `cand` that are smooth surfaces (bool), not gaps between strands.

    Judged on each region's core (3 px in from its rim, where the outline itself lies): a
    surface has a solid core with few edges; the gaps between hairs have almost no core.
    """
    n, lab, stats, _ = cv2.connectedComponentsWithStats(cand.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros_like(cand)
    core = cv2.erode(cand.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    area = np.maximum(stats[:, cv2.CC_STAT_AREA], 1).astype(np.float64)
    core_n = np.bincount(lab[core], minlength=n).astype(np.float64)
    core_edges = np.bincount(lab[core & edges], minlength=n).astype(np.float64)
    min_area = max(20, int(0.0004 * cand.size))
    keep = (area >= min_area) & (core_n >= 0.3 * area) & (core_edges < 0.08 * np.maximum(core_n, 1))
    keep[0] = False
    return keep[lab]


def _grow_within(seed: np.ndarray, allowed: np.ndarray, steps: int) -> np.ndarray:
    """Geodesic dilation: `seed` grown `steps` px (8-connected) through `allowed` pixels only."""
    k = np.ones((3, 3), np.uint8)
    cur: np.ndarray = seed.astype(np.uint8)
    ok: np.ndarray = allowed.astype(np.uint8)
    for _ in range(steps):
        cur = cv2.dilate(cur, k) & ok | cur
    return cur > 0


def _reach_border_ball(passable: np.ndarray, r: int) -> np.ndarray:
    """Pixels of `passable` a disc of radius r can reach from the border: gaps narrower than 2r+1 px hold."""
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    core = cv2.erode(passable.astype(np.uint8), k, borderType=cv2.BORDER_REPLICATE) > 0
    grown = cv2.dilate(_reach_border(core).astype(np.uint8), k) > 0
    return grown & passable


def backdrop_holes(fg: np.ndarray, dist: np.ndarray, sigma: float) -> np.ndarray:
    """Enclosed regions of `fg` that show the backdrop itself (a mug handle's hole), as bool.

    A region counts when it is sizeable, nearly all its pixels match the backdrop model
    within the noise, and it is as flat as the backdrop: a printed label or a highlight has
    texture or a colour of its own and stays subject.
    """
    h, w = fg.shape
    tight = (dist < max(2.5 * sigma, 7.0)) & fg
    n, lab, stats, _ = cv2.connectedComponentsWithStats(tight.astype(np.uint8), connectivity=4)
    out = np.zeros_like(fg)
    min_area = max(30, int(0.0015 * h * w))
    # open it: backdrop-coloured slivers along the subject's shading (a line where a light gray
    # product's shading equals the backdrop) are not holes
    ro = max(2, round(0.012 * max(h, w)))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * ro + 1, 2 * ro + 1))
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        if area < min_area:
            continue
        comp = lab[y : y + bh, x : x + bw] == i
        if float(np.std(dist[y : y + bh, x : x + bw][comp])) > 1.5 * sigma:
            continue
        core = cv2.morphologyEx(comp.astype(np.uint8), cv2.MORPH_OPEN, disc) > 0
        out[y : y + bh, x : x + bw] |= core
    return out


def _pieces_with_rims(
    lab: np.ndarray, stats: np.ndarray, min_area: int
) -> Iterator[tuple[int, tuple[int, int, int, int], np.ndarray, np.ndarray]]:
    """(label, its box padded by 2 px, the piece in that box, its one-pixel rim) for each labelled piece
    of at least `min_area` pixels."""
    h, w = lab.shape
    k3 = np.ones((3, 3), np.uint8)
    for i in range(1, len(stats)):
        x, y, bw, bh, area = stats[i]
        if area < min_area:
            continue
        y0, y1, x0, x1 = max(0, y - 2), min(h, y + bh + 2), max(0, x - 2), min(w, x + bw + 2)
        comp = lab[y0:y1, x0:x1] == i
        yield i, (y0, y1, x0, x1), comp, (cv2.dilate(comp.astype(np.uint8), k3) > 0) & ~comp


def _soft_shadows(cand: np.ndarray, like: np.ndarray, sharp: np.ndarray) -> np.ndarray:
    """The candidate regions that are shadows: mostly bordered by backdrop, not by sharp neutral edges.

    A gray or silver object is as neutral as a shadow and as smooth inside, but its outline
    is a sharp step; a shadow fades into the backdrop. A region with a real stretch of sharp
    neutral outline keeps what that outline encloses as object. Regions too small to judge
    count as shadow.
    """
    _, lab, stats, _ = cv2.connectedComponentsWithStats(cand.astype(np.uint8), connectivity=8)
    out = cand.copy()
    h, w = cand.shape
    for _, (y0, y1, x0, x1), comp, ring in _pieces_with_rims(lab, stats, max(16, int(0.0005 * h * w))):
        soft = int((ring & like[y0:y1, x0:x1]).sum())
        hard = int((ring & sharp[y0:y1, x0:x1]).sum())
        if hard >= max(20, 0.67 * soft):
            # an object, perhaps merged with its own shadow: the object is what its sharp
            # outline encloses (convex hull), the rest of the region is still shadow
            pts = np.argwhere(ring & sharp[y0:y1, x0:x1])[:, ::-1].astype(np.int32)
            hull = np.zeros(comp.shape, np.uint8)
            cv2.fillConvexPoly(hull, cv2.convexHull(pts), 1)
            out[y0:y1, x0:x1][comp & (hull > 0)] = False
    return out


def _reach_border(passable: np.ndarray) -> np.ndarray:
    """Pixels of `passable` connected (8-way) to the image border."""
    n, lab = cv2.connectedComponents(passable.astype(np.uint8), connectivity=8)
    if n <= 1:
        return passable.copy()
    edge = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    hit = np.zeros(n, bool)
    hit[np.unique(edge)] = True
    hit[0] = False
    return hit[lab]


def _clean(fg: np.ndarray, *, min_frac: float) -> np.ndarray:
    """Open away specks, keep sizeable components (relative to the largest), fill holes."""
    m = cv2.morphologyEx(fg.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, lab, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    if n <= 1:
        return m > 0
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(n, bool)
    keep[1:] = (areas >= min_frac * m.size) & (areas >= 0.05 * areas.max())
    return fill_holes(keep[lab])


def fill_holes(m: np.ndarray) -> np.ndarray:
    """Fill background regions not connected to the border."""
    return ~_reach_border(~m)


def _clean_person(pm: np.ndarray) -> np.ndarray:
    """Keep the person mask's sizeable components; holes inside a body are filled, soft values kept."""
    hard = _clean(pm > 0.5, min_frac=0.003)
    return np.where(hard, np.maximum(pm, 0.5), np.minimum(pm, 0.49)).astype(np.float32)


# --------------------------------------------------------------------------- general photos


GENERAL_SIDE = 200  # saliency and colour models are coarse by nature; the edge is refined at full size


def general_mask(small: np.ndarray) -> np.ndarray | None:
    """Salient-object mask (bool, at `small`'s size) for a photo without a plain backdrop.

    Saliency (contrast to the border colours, focus, centre prior) seeds colour models of
    subject and background; their posterior, averaged with the saliency and smoothed by an
    edge-aware (guided) filter, is thresholded (Otsu). Small components are dropped and
    holes filled.
    """
    img = np.ascontiguousarray(downscale(small, GENERAL_SIDE))
    h, w = img.shape[:2]
    sal = saliency(img)
    g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
    radius = max(2, round(0.03 * max(h, w)))
    fg_seed, bg_seed = sal >= np.quantile(sal, 0.7), sal <= np.quantile(sal, 0.35)
    p = colour_posterior(img, fg_seed, bg_seed)
    # (a second round with models learnt from this result grew into clutter on busy photos)
    score = guided_filter(g, (0.5 * p + 0.5 * sal).astype(np.float32), radius, 1e-2)
    fg = _clean(score > max(0.35, _otsu(np.clip(score, 0, 1))), min_frac=0.01)
    if not 0.01 <= fg.mean() <= 0.95:
        return None
    return resize_to(fg.astype(np.uint8), small.shape[0], small.shape[1]) > 0


def colour_posterior(img: np.ndarray, fg: np.ndarray, bg: np.ndarray, bins: int = 12) -> np.ndarray:
    """P(subject | colour) from 3-D colour histograms of two seed sets (float32 HxW)."""
    q = img.astype(np.int32) * bins // 256
    idx = (q[..., 0] * bins + q[..., 1]) * bins + q[..., 2]
    hf = np.bincount(idx[fg], minlength=bins**3).astype(np.float32)
    hb = np.bincount(idx[bg], minlength=bins**3).astype(np.float32)
    hf /= max(hf.sum(), 1)
    hb /= max(hb.sum(), 1)
    post = (hf + 1e-4) / (hf + hb + 2e-4)
    return post[idx].astype(np.float32)


def _otsu(x: np.ndarray) -> float:
    """Otsu threshold of values in [0, 1]."""
    t, _ = cv2.threshold((x * 255).astype(np.uint8), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(t) / 255


def saliency(img: np.ndarray) -> np.ndarray:
    """Object saliency in [0, 1] (float32 HxW): colour contrast to the border, focus and a centre prior."""
    h, w = img.shape[:2]
    # contrast of regions, not of texture: smooth within edges first
    flat = cv2.bilateralFilter(np.ascontiguousarray(img), 9, 40, 5)
    lab = cv2.cvtColor(flat.astype(np.float32) / 255, cv2.COLOR_RGB2LAB)
    contrast = cv2.GaussianBlur(_border_contrast(lab), (0, 0), max(1.0, 0.01 * max(h, w)))
    focus, informative = _focus(img)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    center = np.exp(-(((xx / w - 0.5) / 0.45) ** 2 + ((yy / h - 0.5) / 0.45) ** 2))
    # a shallow depth of field is the strongest cue there is when present
    wf = 0.5 if informative else 0.2
    s = ((1 - wf) * contrast + wf * focus) * (0.5 + 0.5 * center)
    lo, hi = np.quantile(s, [0.02, 0.98])
    return np.clip((s - lo) / max(hi - lo, 1e-6), 0, 1).astype(np.float32)


def _border_contrast(lab: np.ndarray) -> np.ndarray:
    """How unlike the border's colours each pixel is, in [0, 1]; colours seen on few sides count less."""
    h, w = lab.shape[:2]
    b = max(2, round(0.04 * min(h, w)))
    sides = [
        lab[:b].reshape(-1, 3),
        lab[-b:].reshape(-1, 3),
        lab[:, :b].reshape(-1, 3),
        lab[:, -b:].reshape(-1, 3),
    ]
    samples = np.concatenate(sides).astype(np.float32)
    k = 8
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0)
    # k-means++ draws from OpenCV's (per-thread) RNG: reset it (0 = its initial state, as in a
    # fresh process), or the matte depends on what the process did before (a server's earlier
    # requests, a test run's order)
    cv2.setRNGSeed(0)
    _, labels, centers = cv2.kmeans(samples, k, None, crit, 1, cv2.KMEANS_PP_CENTERS)
    labels = labels.ravel()
    # a cluster on all four sides is surely background; one only on a single side may be the subject
    counts = np.zeros((k, 4))
    start = 0
    for i, s in enumerate(sides):
        counts[:, i] = np.bincount(labels[start : start + len(s)], minlength=k) / len(s)
        start += len(s)
    spread = (counts > 0.05).sum(1) / 4.0
    weight = np.clip(spread, 0.25, 1.0) * np.clip(counts.sum(1) * 4, 0, 1)
    flat = lab.reshape(-1, 3)
    d = np.stack([np.linalg.norm(flat - c, axis=1) for c in centers], 1)  # N x k
    # distance to the nearest border colour, a weak cluster pulls less
    eff = d / np.maximum(weight[None, :], 1e-3)
    near = eff.min(1).reshape(h, w)
    return np.clip(near / max(float(np.quantile(near, 0.95)), 1e-6), 0, 1).astype(np.float32)


def _focus(img: np.ndarray) -> tuple[np.ndarray, bool]:
    """Local sharpness in [0, 1], and whether it varies enough (a blurred background) to be a cue."""
    g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    lap = np.abs(cv2.Laplacian(g, cv2.CV_32F, ksize=3))
    e = cv2.GaussianBlur(lap, (0, 0), max(2.0, 0.03 * max(img.shape[:2])))
    lo, mid, hi = np.quantile(e, [0.05, 0.5, 0.95])
    if hi - lo < 1.0:
        return np.zeros(g.shape, np.float32), False
    informative = bool(hi > 4 * max(lo, 0.25) and hi > 2 * mid)
    return np.clip((e - lo) / (hi - lo), 0, 1).astype(np.float32), informative
