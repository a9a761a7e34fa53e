"""Per-image statistics for the consistency pass, measured on a small copy of each input.

What is measured (all on sRGB-coded values in [0, 1]):

* **gray world**: the mean colour of the whole image (opaque pixels), the classic estimate of a
  cast; its Rec.709 luma is the image's mean luminance;
* **background**: the per-channel median of the pixels outside the subject, and whether they
  form a plain (studio) backdrop — on a catalogue set the backdrop is the one thing that should
  look the same in every shot, so it anchors exposure and white balance there;
* **contrast**: the standard deviation of luma;
* **subject**: the box around the subject (fractions of the frame), from the vision layer.

A `sample` (≤ 128 px) and the mask of the anchor pixels are kept so that the plan can solve
each correction by running the real ops on it: 200 images keep about 10 MB.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..imaging.thumbnail import decode_thumbnail, shrink

#: Longer side of the copy that segmentation and the statistics run on.
MEASURE_SIDE = 512
#: Longer side of the sample kept for solving the corrections.
SAMPLE_SIDE = 128
#: Rec.709 luma weights (as the tone ops and the evaluator measure).
LUMA = np.array([0.2126, 0.7152, 0.0722])

Box = tuple[float, float, float, float]
RGB = tuple[float, float, float]


@dataclass(frozen=True, eq=False)
class ImageStats:
    """What the consistency pass knows about one image."""

    width: int  # full size, EXIF orientation applied
    height: int
    gray: RGB  # mean colour of the opaque pixels
    contrast: float  # std of luma
    subject: Box | None  # (x0, y0, x1, y1) fractions of the frame, None when no subject was found
    background: RGB | None  # per-channel median outside the subject
    plain: bool  # the background is a plain backdrop (studio, seamless paper)
    method: str  # how the subject was found: studio | person | general | alpha | none
    transparent: bool  # has real transparency
    sample: np.ndarray  # uint8 RGB, longer side <= SAMPLE_SIDE
    opaque_mask: np.ndarray  # bool, at the sample's size: the pixels the gray world averages
    background_mask: np.ndarray  # bool, at the sample's size: the pixels outside the subject

    @property
    def luminance(self) -> float:
        """Mean luminance (luma of the gray-world colour)."""
        return float(np.dot(LUMA, self.gray))

    @property
    def chroma(self) -> tuple[float, float]:
        """Gray-world chroma: (ln R/G, ln B/G) of the mean colour; (0, 0) is neutral."""
        return chroma_of(self.gray)

    @property
    def aspect(self) -> float:
        return self.width / self.height


def chroma_of(rgb: RGB | np.ndarray) -> tuple[float, float]:
    """(ln R/G, ln B/G) of a colour."""
    r, g, b = (max(float(v), 1e-4) for v in rgb)
    return float(np.log(r / g)), float(np.log(b / g))


def measure_file(data: bytes, *, what: str = "image") -> ImageStats:
    """Decode a small copy of an encoded image (JPEG at reduced scale in the codec) and measure it."""
    thumb, (w, h) = decode_thumbnail(data, MEASURE_SIDE, what=what)
    return measure(thumb, (w, h))


def measure(thumb: np.ndarray, full_size: tuple[int, int]) -> ImageStats:
    """Statistics of a uint8 RGB(A) copy of an image whose full size is `full_size` (w, h)."""
    from ..vision.subject import fit_backdrop, segment

    thumb = shrink(thumb, MEASURE_SIDE)
    rgb = np.ascontiguousarray(thumb[..., :3])
    opaque = thumb[..., 3] >= 128 if thumb.shape[2] == 4 else np.ones(thumb.shape[:2], bool)
    transparent = not bool(opaque.all())
    seg = segment(thumb, quality="low")
    fg, method = seg.matte > 0.5, seg.method
    # the studio method found a plain backdrop (from four sides, or from three when a floor
    # shadow runs across the bottom edge)
    plain = not transparent and (method == "studio" or fit_backdrop(rgb.astype(np.float32)).plain)
    if method in ("general", "none") and not transparent:
        # a floor shadow or the product reaching the bottom edge can spoil the backdrop test;
        # the top and the sides of a seamless backdrop still show it
        studio = studio_from_three_sides(rgb)
        if studio is not None:
            fg, method, plain = studio, "studio", True
    frac = float(fg.mean())
    found = method != "none" and 0.003 <= frac <= 0.97
    box = _box(fg) if found else None

    # colour statistics on the sample, exactly as the plan's solver will measure them
    sample = shrink(rgb, SAMPLE_SIDE)
    sh, sw = sample.shape[:2]
    s_opaque = _resize_mask(opaque, sw, sh)
    s_back = _resize_mask(~fg & opaque, sw, sh) if found else np.zeros((sh, sw), bool)
    f = sample.astype(np.float32) / 255.0
    gray = anchor_colour(f, s_opaque, median=False)
    contrast = float((f[s_opaque] @ LUMA.astype(np.float32)).std()) if s_opaque.any() else 0.0
    background = anchor_colour(f, s_back, median=True) if s_back.sum() >= 16 else None
    return ImageStats(
        width=int(full_size[0]),
        height=int(full_size[1]),
        gray=gray,
        contrast=contrast,
        subject=box,
        background=background,
        plain=bool(plain and background is not None),
        method=method if found else "none",
        transparent=transparent,
        sample=sample,
        opaque_mask=s_opaque,
        background_mask=s_back,
    )


Frame = tuple[float, float, float, float]


def framed_sample(s: ImageStats, frame: Frame | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(float sample, opaque mask, background mask) of what the output will show: the part of the
    sample inside `frame` (x0, y0, x1, y1 in full-size pixels), padded by repeating the edge as
    the framing does. None: the whole sample."""
    f = s.sample.astype(np.float32) / 255.0
    if frame is None:
        return f, s.opaque_mask, s.background_mask
    sh, sw = f.shape[:2]
    kx, ky = sw / s.width, sh / s.height
    x0, y0 = round(frame[0] * kx), round(frame[1] * ky)
    x1, y1 = max(round(frame[2] * kx), x0 + 1), max(round(frame[3] * ky), y0 + 1)
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, sw), min(y1, sh)
    if cx1 - cx0 < 2 or cy1 - cy0 < 2:
        return f, s.opaque_mask, s.background_mask
    pads = (cy0 - y0, y1 - cy1, cx0 - x0, x1 - cx1)

    def cut(a: np.ndarray) -> np.ndarray:
        part = np.ascontiguousarray(a[cy0:cy1, cx0:cx1])
        return cv2.copyMakeBorder(part, *pads, cv2.BORDER_REPLICATE) if any(pads) else part

    opaque = cut(s.opaque_mask.astype(np.uint8)) > 0
    back = cut(s.background_mask.astype(np.uint8)) > 0
    return cut(f), opaque, back


def framed_colours(s: ImageStats, frame: Frame | None) -> tuple[RGB, RGB | None, float]:
    """(gray-world colour, backdrop colour, luma std) of what a frame of the image shows."""
    f, opaque, back = framed_sample(s, frame)
    gray = anchor_colour(f, opaque, median=False)
    background = anchor_colour(f, back, median=True) if s.background is not None and back.sum() >= 16 else None
    contrast = float((f[opaque] @ LUMA.astype(np.float32)).std()) if opaque.any() else 0.0
    return gray, background, contrast


def anchor_colour(f: np.ndarray, mask: np.ndarray, *, median: bool) -> RGB:
    """The colour of the masked pixels of a float image: per-channel median (backdrop) or mean (gray world)."""
    px = f[..., :3][mask] if mask.any() else f[..., :3].reshape(-1, 3)
    c = np.median(px, axis=0) if median else px.mean(0)
    return (float(c[0]), float(c[1]), float(c[2]))


def _resize_mask(m: np.ndarray, w: int, h: int) -> np.ndarray:
    """A bool mask at another size (nearest neighbour)."""
    return cv2.resize(m.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0


def studio_from_three_sides(rgb: np.ndarray) -> np.ndarray | None:
    """Subject mask (bool) on a plain backdrop judged from the top, left and right borders only, or None.

    Fits the backdrop's smooth colour (a quadratic in x and y) to those border strips with a robust
    start (the strips' median colour), so shadows and a product on the bottom edge do not spoil it.
    """
    from ..vision.subject import Backdrop, studio_mask

    f = rgb.astype(np.float32)
    h, w = f.shape[:2]
    b = max(2, round(0.03 * min(h, w)))
    yy, xx = np.mgrid[0:h, 0:w]
    strip = np.zeros((h, w), bool)
    strip[:b] = True
    strip[:, :b] = strip[:, -b:] = True
    side = np.full((h, w), -1, np.int8)
    side[:, :b], side[:, -b:], side[:b] = 0, 1, 2
    x = xx[strip].astype(np.float32) / max(w - 1, 1)
    y = yy[strip].astype(np.float32) / max(h - 1, 1)
    c, s_id = f[strip], side[strip]
    design = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], 1)
    res = np.linalg.norm(c - np.median(c, axis=0), axis=1)
    keep = res < max(3 * 1.4826 * float(np.median(res)), 8.0)
    coef, sigma = np.zeros((6, 3), np.float32), 255.0
    for _ in range(4):
        if keep.sum() < 12:
            return None
        a = design[keep]
        coef = np.linalg.solve(a.T @ a + 1e-6 * np.eye(6, dtype=np.float32), a.T @ c[keep])
        res = np.linalg.norm(c - design @ coef, axis=1)
        sigma = float(1.4826 * np.median(res[keep])) + 0.5
        keep = res < max(3.0 * sigma, 6.0)
    sides = min(float(keep[s_id == k].mean()) for k in range(3))
    bd = Backdrop(coef.astype(np.float32), sigma, float(keep.mean()), sides)
    if not bd.plain:
        return None
    fg = studio_mask(f, bd)
    return fg if 0.003 <= fg.mean() <= 0.9 else None


def _box(fg: np.ndarray) -> Box | None:
    """Bounding box of the subject's sizeable parts, in fractions (x0, y0, x1, y1)."""
    h, w = fg.shape
    rows, cols = np.where(fg.any(1))[0], np.where(fg.any(0))[0]
    if len(rows) == 0:
        return None
    return (cols[0] / w, rows[0] / h, (cols[-1] + 1) / w, (rows[-1] + 1) / h)
