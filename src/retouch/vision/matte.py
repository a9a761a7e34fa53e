"""Matte refinement and compositing: guided filter, colour unmixing at the edge, decontamination.

All functions take uint8 or float32 RGB and float32 mattes in [0, 1] (1 = foreground).
The refined matte is exactly 1.0 (0.0) well inside the foreground (background), so a
composite leaves subject pixels bit-identical; only a thin band around the edge is soft.

Speed: everything smooth (filter coefficients, local colour means) is computed on a
reduced grid and sampled bilinearly at the band's pixels only, so the full-resolution
work is a resize, two morphology passes and arithmetic on the band.
"""

from __future__ import annotations

import cv2
import numpy as np

QUALITIES = ("low", "medium", "high")
_LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)


def as_float_rgb(rgb: np.ndarray) -> np.ndarray:
    """uint8 or float RGB(A) -> float32 HxWx3 in [0, 1]."""
    if rgb.dtype == np.uint8:
        return rgb[..., :3].astype(np.float32) * np.float32(1 / 255)
    return np.ascontiguousarray(rgb[..., :3], dtype=np.float32)


def gray(rgb: np.ndarray) -> np.ndarray:
    """Rec.709 luma as float32 HxW in [0, 1]."""
    f = as_float_rgb(rgb)
    return f[..., 0] * _LUMA[0] + f[..., 1] * _LUMA[1] + f[..., 2] * _LUMA[2]


def resize_to(a: np.ndarray, h: int, w: int, *, nearest: bool = False) -> np.ndarray:
    """Resize an array to HxW (area when shrinking, linear when enlarging)."""
    if a.shape[:2] == (h, w):
        return a
    if nearest:
        interp = cv2.INTER_NEAREST
    elif h <= a.shape[0] and w <= a.shape[1]:
        interp = cv2.INTER_AREA
    else:
        interp = cv2.INTER_LINEAR
    return cv2.resize(a, (w, h), interpolation=interp)


def downscale(rgb: np.ndarray, long_side: int) -> np.ndarray:
    """Shrink so the longer side is at most `long_side` (area filter); never enlarges."""
    h, w = rgb.shape[:2]
    s = long_side / max(h, w)
    if s >= 1:
        return rgb
    return cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


def smoothstep(x: np.ndarray | float, lo: float, hi: float) -> np.ndarray:
    """0 below lo, 1 above hi, C1-smooth in between (float32)."""
    t = np.clip((np.asarray(x, np.float32) - np.float32(lo)) / np.float32(hi - lo), 0, 1)
    return t * t * (np.float32(3) - np.float32(2) * t)


def sample(a: np.ndarray, ys: np.ndarray, xs: np.ndarray, h: int, w: int) -> np.ndarray:
    """Bilinear samples of grid `a` (a resized copy of an HxW image) at full-size pixels (ys, xs).

    Returns N (2-D grid) or NxC values; cv2.remap does the gathering (≈10× numpy indexing).
    """
    hs, ws = a.shape[:2]
    n = len(ys)
    # remap wants maps narrower than 32767: lay the points out as rows of 4096
    cols = min(max(n, 1), 4096)
    rows = -(-n // cols)
    fx = np.zeros(rows * cols, np.float32)
    fy = np.zeros(rows * cols, np.float32)
    fx[:n] = (xs.astype(np.float32) + 0.5) * np.float32(ws / w) - 0.5
    fy[:n] = (ys.astype(np.float32) + 0.5) * np.float32(hs / h) - 0.5
    fx, fy = fx.reshape(rows, cols), fy.reshape(rows, cols)
    a = np.ascontiguousarray(a, dtype=np.float32)
    if a.ndim == 2:
        return cv2.remap(a, fx, fy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).reshape(-1)[:n]
    parts = [
        cv2.remap(
            np.ascontiguousarray(a[..., c : c + 4]), fx, fy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        ).reshape(rows * cols, -1)[:n]
        for c in range(0, a.shape[2], 4)
    ]
    return np.concatenate(parts, 1)


def _box(x: np.ndarray, r: int) -> np.ndarray:
    return cv2.boxFilter(x, -1, (2 * r + 1, 2 * r + 1), borderType=cv2.BORDER_REFLECT)


def guided_coeffs(
    guide: np.ndarray, src: np.ndarray, radius: int, eps: float
) -> tuple[np.ndarray, np.ndarray]:
    """Gray guided-filter coefficients (a, b): filtered = a·guide + b (He et al. 2010)."""
    mg, mp = _box(guide, radius), _box(src, radius)
    cov = _box(guide * src, radius) - mg * mp
    var = _box(guide * guide, radius) - mg * mg
    a = cov / (var + np.float32(eps))
    b = mp - a * mg
    return _box(a, radius), _box(b, radius)


def guided_coeffs_color(
    guide: np.ndarray, src: np.ndarray, radius: int, eps: float
) -> tuple[np.ndarray, np.ndarray]:
    """Colour guided-filter coefficients (a HxWx3, b): a·guide + b; sharper between equiluminant colours."""
    mi = _box(guide, radius)
    mp = _box(src, radius)
    cov = _box(guide * src[..., None], radius) - mi * mp[..., None]
    s = {
        (i, j): _box(guide[..., i] * guide[..., j], radius) - mi[..., i] * mi[..., j]
        for i in range(3)
        for j in range(i, 3)
    }
    e = np.float32(eps)
    a00, a01, a02 = s[0, 0] + e, s[0, 1], s[0, 2]
    a11, a12, a22 = s[1, 1] + e, s[1, 2], s[2, 2] + e
    # symmetric 3x3 inverse by cofactors, vectorised over pixels
    c00, c01, c02 = a11 * a22 - a12 * a12, a02 * a12 - a01 * a22, a01 * a12 - a02 * a11
    c11, c12, c22 = a00 * a22 - a02 * a02, a01 * a02 - a00 * a12, a00 * a11 - a01 * a01
    det = a00 * c00 + a01 * c01 + a02 * c02
    det = np.where(np.abs(det) < 1e-12, np.float32(1e-12), det)
    cx, cy, cz = cov[..., 0], cov[..., 1], cov[..., 2]
    a = np.stack(
        [
            (c00 * cx + c01 * cy + c02 * cz) / det,
            (c01 * cx + c11 * cy + c12 * cz) / det,
            (c02 * cx + c12 * cy + c22 * cz) / det,
        ],
        -1,
    )
    b = mp - (a * mi).sum(-1)
    return _box(a, radius), _box(b, radius)


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Edge-preserving smoothing of `src` (HxW) following `guide` (HxW gray or HxWx3 colour)."""
    if guide.ndim == 3:
        a, b = guided_coeffs_color(guide, src, radius, eps)
        return (a * guide).sum(-1) + b
    a, b = guided_coeffs(guide, src, radius, eps)
    return a * guide + b


def local_means(
    img: np.ndarray, weight: np.ndarray, sigma: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted local mean colour, mean square and support (normalised Gaussian convolution), same grid."""
    w = weight.astype(np.float32)
    den = cv2.GaussianBlur(w, (0, 0), sigma)
    inv = 1 / np.maximum(den, 1e-6)
    mean = cv2.GaussianBlur(img * w[..., None], (0, 0), sigma) * inv[..., None]
    sq = cv2.GaussianBlur(img * img * w[..., None], (0, 0), sigma) * inv[..., None]
    return mean, sq, den


def band_radius(h: int, w: int, quality: str = "medium") -> int:
    """Half-width in px of the soft edge band: ~0.6% of the longer side (wider at high quality)."""
    f = {"low": 0.005, "medium": 0.006, "high": 0.008}.get(quality, 0.006)
    return max(2, round(f * max(h, w)))


def _band(hard: np.ndarray, r: int) -> tuple[np.ndarray, np.ndarray]:
    """(eroded fg, dilated fg) of a uint8 0/1 mask with a (2r+1) square (separable, fast)."""
    k = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    ero = cv2.erode(hard, k, borderType=cv2.BORDER_REPLICATE)
    dil = cv2.dilate(hard, k, borderType=cv2.BORDER_REPLICATE)
    return ero, dil


def refine_matte(rgb: np.ndarray, matte: np.ndarray, quality: str = "medium") -> np.ndarray:
    """Refine a rough (possibly lower-resolution) matte on `rgb`'s edges; float32 HxW in [0, 1].

    Well inside the foreground/background the result is exactly 1/0. In a band of
    ~0.6% of the image size around the edge: a guided filter makes the matte follow the
    image's edges, and where foreground and background colours are well separated
    (studio backdrops) linear colour unmixing gives a sub-pixel, anti-aliased alpha.
    `quality` low: guided filter only; medium: + unmixing; high: colour guide, wider band.
    """
    h, w = rgb.shape[:2]
    m = resize_to(matte.astype(np.float32), h, w)
    hard = (m > 0.5).astype(np.uint8)
    if hard.all() or not hard.any():
        return hard.astype(np.float32)
    r = band_radius(h, w, quality)
    ero, dil = _band(hard, r)
    ys, xs = np.nonzero(ero != dil)
    alpha = ero.astype(np.float32)
    # the reduced grid: filters of radius ~2+ px there, the band sampled back at full size
    sub = max(1, r // 2)
    hs, ws = max(8, h // sub), max(8, w // sub)
    rs = max(1, round(r * hs / h))
    img_s = as_float_rgb(resize_to(rgb[..., :3], hs, ws))
    # the rough matte is usually coarser than this grid already: resize it, not its upsampled copy
    m_s = resize_to(matte.astype(np.float32), hs, ws)
    i_band = as_float_rgb(rgb[ys, xs][None])[0]
    if quality == "high":
        a, b = guided_coeffs_color(img_s, m_s, rs, 1e-3)
        a_gf = (sample(a, ys, xs, h, w) * i_band).sum(1) + sample(b, ys, xs, h, w)
    else:
        a, b = guided_coeffs(img_s @ _LUMA, m_s, rs, 2e-3)
        a_gf = sample(a, ys, xs, h, w) * (i_band @ _LUMA) + sample(b, ys, xs, h, w)
    if quality == "low":
        alpha[ys, xs] = np.clip(a_gf, 0, 1)
        return alpha
    a_mix, conf = _unmix(img_s, m_s, (h, w), i_band, ys, xs, r)
    alpha[ys, xs] = np.clip(conf * a_mix + (1 - conf) * a_gf, 0, 1)
    return alpha


def _coarse_grid(h: int, w: int, r: int) -> tuple[int, int, float]:
    """A grid for local colour statistics over ~2r px: (height, width, Gaussian sigma on it)."""
    step = max(1.0, 2.0 * r / 3.0)
    hs, ws = max(8, round(h / step)), max(8, round(w / step))
    return hs, ws, max(1.0, 2.0 * r * hs / h)


def _unmix(
    img_g: np.ndarray,
    m_g: np.ndarray,
    size: tuple[int, int],
    i_band: np.ndarray,
    ys: np.ndarray,
    xs: np.ndarray,
    r: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Alpha by projecting band pixels on the local fg→bg colour line, with a confidence in [0, 1].

    `img_g`/`m_g` are the image and rough matte on some reduced grid of the full `size`.
    """
    h, w = size
    hs, ws, sig = _coarse_grid(h, w, r)
    img_s = resize_to(img_g, hs, ws)
    m_s = resize_to(m_g, hs, ws)
    ero, dil = _band((m_s > 0.5).astype(np.uint8), max(1, round(r * hs / h)))
    f_mean, f_sq, f_den = local_means(img_s, ero, sig)
    b_mean, b_sq, b_den = local_means(img_s, 1 - dil, sig)
    stack = np.concatenate([f_mean, f_sq, b_mean, b_sq, f_den[..., None], b_den[..., None]], -1)
    s = sample(stack, ys, xs, h, w)
    f, fsq, b, bsq = s[:, 0:3], s[:, 3:6], s[:, 6:9], s[:, 9:12]
    support = np.minimum(s[:, 12], s[:, 13])
    d = f - b
    dd = (d * d).sum(1)
    a = ((i_band - b) * d).sum(1) / np.maximum(dd, 1e-6)
    # trim the ends a little: shading inside the object must not read as transparency
    a = np.clip((a - 0.06) / 0.88, 0, 1)
    # trust unmixing only where the two colours are far apart relative to their texture
    spread = np.sqrt(np.clip(fsq - f * f, 0, None).sum(1)) + np.sqrt(np.clip(bsq - b * b, 0, None).sum(1))
    conf = np.clip((np.sqrt(dd) - 2.5 * spread - 0.04) / 0.12, 0, 1) * np.clip(support * 20, 0, 1)
    return a.astype(np.float32), conf.astype(np.float32)


def foreground_colors(rgb: np.ndarray, alpha: np.ndarray, quality: str = "medium") -> np.ndarray:
    """Decontaminated foreground colours F (float32 HxWx3): I where alpha is 1, old backdrop removed at edges.

    Solves I = αF + (1-α)B for F with B the local background colour, so a semi-transparent
    edge carries no halo of the old backdrop. Where B is unreliable (textured backgrounds)
    F stays closer to the observed colour.
    """
    img = as_float_rgb(rgb)
    h, w = alpha.shape
    ys, xs = np.nonzero((alpha > 0) & (alpha < 1))
    if len(ys) == 0:
        return img
    r = band_radius(h, w, quality)
    hs, ws, sig = _coarse_grid(h, w, r)
    img_s = resize_to(img, hs, ws)
    a_s = resize_to(alpha, hs, ws)
    f_mean, _, _ = local_means(img_s, a_s >= 0.98, sig)
    b_mean, b_sq, b_den = local_means(img_s, a_s <= 0.02, sig)
    s = sample(np.concatenate([f_mean, b_mean, b_sq, b_den[..., None]], -1), ys, xs, h, w)
    f_loc, b_loc, bsq, bsup = s[:, 0:3], s[:, 3:6], s[:, 6:9], s[:, 9]
    a = alpha[ys, xs][:, None]
    i = img[ys, xs]
    f_calc = np.clip((i - (1 - a) * b_loc) / np.maximum(a, 0.05), 0, 1)
    # low alpha: the division amplifies noise, lean on the nearby solid foreground colour
    t = np.clip((a - 0.1) / 0.4, 0, 1)
    f_dec = t * f_calc + (1 - t) * f_loc
    # a textured or absent local background makes B a guess: keep the observed colour there
    b_spread = np.sqrt(np.clip(bsq - b_loc * b_loc, 0, None).sum(1))
    conf = (np.clip((0.12 - b_spread) / 0.08, 0, 1) * np.clip(bsup * 20, 0, 1))[:, None]
    out = img.copy()
    out[ys, xs] = conf * f_dec + (1 - conf) * i
    return out


def composite(fg: np.ndarray, alpha: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """fg·α + bg·(1-α), float32 HxWx3; where α is exactly 1 the fg pixel is returned untouched.

    Only the soft band is blended; the solid subject and the pure background are copies.
    """
    out = np.array(fg[..., :3], dtype=np.float32, copy=True)
    np.copyto(out, bg, where=(alpha <= 0)[..., None])
    ys, xs = np.nonzero((alpha > 0) & (alpha < 1))
    a = alpha[ys, xs][:, None]
    out[ys, xs] = fg[ys, xs, :3] * a + bg[ys, xs] * (1 - a)
    return out
