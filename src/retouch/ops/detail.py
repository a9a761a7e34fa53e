"""Detail and effects: sharpen, blur, denoise, vignette, grain, pixelate.

Filters run in OpenCV on float32 (several times faster than Pillow or NumPy). Vignette and
grain are pixel ops that may run on horizontal strips: they place themselves with
`ctx.frame` (absolute rows, full size), so strips stitch without seams.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .registry import OpContext, register
from .tone import by_rows, clip01_, luma, rgb_of, with_alpha

#: Above this σ a blur runs on a downscaled copy (same look, a fraction of the time).
_FAST_BLUR_SIGMA = 8.0


def _diag(img: np.ndarray) -> float:
    """Image diagonal in pixels."""
    return math.hypot(img.shape[0], img.shape[1])


def gaussian(rgb: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of any channel count; large σ via a downscaled copy."""
    if sigma <= 0.05:
        return rgb.copy()
    h, w = rgb.shape[:2]
    if sigma <= _FAST_BLUR_SIGMA or min(h, w) < 64:
        return cv2.GaussianBlur(rgb, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    # Downscale so the remaining blur is ~4 px, blur, upscale smoothly: the area filter and
    # linear upsampling add a little blur of their own, which a wide Gaussian hides.
    f = 4.0 / sigma
    small = cv2.resize(rgb, (max(8, round(w * f)), max(8, round(h * f))), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), 4.0, borderType=cv2.BORDER_REFLECT)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


@register("sharpen")
def sharpen(img: np.ndarray, ctx: OpContext, amount: float = 0.6, radius: float | None = None) -> np.ndarray:
    """Unsharp mask: rgb + amount × (rgb - blur(rgb, radius)); radius scales with image size."""
    rgb = rgb_of(img)
    # auto radius: 1 px up to ~2 MP, growing gently to 2 px at 4096² (detail scales with size)
    sigma = float(radius) if radius else min(2.0, max(1.0, 0.00035 * _diag(img)))
    a = float(np.clip(amount, 0.0, 3.0))
    out = cv2.addWeighted(rgb, 1.0 + a, gaussian(rgb, sigma), -a, 0.0)
    return with_alpha(clip01_(out), img)


@register("blur")
def blur(img: np.ndarray, ctx: OpContext, amount: float = 1.0) -> np.ndarray:
    """Gaussian blur with σ = amount × 0.4% of the diagonal (alpha kept)."""
    sigma = float(np.clip(amount, 0.0, 3.0)) * 0.004 * _diag(img)
    return with_alpha(gaussian(rgb_of(img), sigma), img)


def noise_sigma(gray: np.ndarray) -> float:
    """Std of white noise in a single-channel image (Immerkær's fast estimator, robust to edges)."""
    k = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    h, w = gray.shape
    if h < 3 or w < 3:
        return 0.0
    r = cv2.filter2D(gray, -1, k, borderType=cv2.BORDER_REFLECT)[1:-1, 1:-1]
    return float(math.sqrt(math.pi / 2.0) * np.abs(r).mean() / 6.0)


@register("denoise")
def denoise(img: np.ndarray, ctx: OpContext, amount: float = 1.0) -> np.ndarray:
    """Edge-preserving noise reduction sized to the measured noise (bilateral; NL-means on high)."""
    a = float(np.clip(amount, 0.0, 2.0))
    if a <= 0:
        return img.copy()
    rgb = rgb_of(img)
    sigma_n = float(np.clip(noise_sigma(luma(img)), 0.004, 0.1))
    if ctx.quality == "high":
        u8 = np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)
        h = max(1.0, 255.0 * sigma_n * 1.1 * a)
        out = cv2.fastNlMeansDenoisingColored(u8, None, h, h, 5, 15).astype(np.float32) / np.float32(255.0)
        return with_alpha(out, img)
    # Range σ a few noise σ: noise is averaged away, real edges (many σ) are kept. Two light
    # passes remove more noise than one strong one while blurring edges less.
    out = rgb
    for _ in range(2):  # a 5x5 window: the cost stays linear in pixels, and two passes reach far enough
        out = cv2.bilateralFilter(out, 5, 2.5 * sigma_n * a, 1.5 + a)
    return with_alpha(clip01_(out), img)


# --------------------------------------------------------------------------- vignette


#: The vignette keeps the centre untouched out to this normalised radius (flat top).
VIGNETTE_FLAT = 0.3


def _half_sq(n: int, start: int, count: int) -> np.ndarray:
    """½ × squared normalised coordinate (-1..1 over n pixels) of pixels start..start+count."""
    c = (np.arange(start, start + count, dtype=np.float32) + np.float32(0.5)) * np.float32(2.0 / n)
    c -= np.float32(1.0)
    c *= c
    c *= np.float32(0.5)
    return c


def vignette_falloff(xq: np.ndarray, yq: np.ndarray) -> np.ndarray:
    """0 in the flat centre rising smoothly to 1 at the corners, from ½x² (row) and ½y² (column)."""
    q0 = VIGNETTE_FLAT**2
    # t = (r² - q0) / (1 - q0) with r² = ½x² + ½y², so 1 exactly at the corners on any aspect
    k = np.float32(1.0 / (1.0 - q0))
    t = (xq * k)[None, :] + ((yq - np.float32(q0)) * k)[:, None]
    np.clip(t, 0.0, 1.0, out=t)
    # smoothstep in r²: zero slope at the edge of the flat top, steepest toward the corners
    s = t * t
    t *= np.float32(-2.0)
    t += np.float32(3.0)
    s *= t
    return s


@register("vignette")
def vignette(img: np.ndarray, ctx: OpContext, amount: float = 0.35) -> np.ndarray:
    """Corners × (1 - amount) with a flat centre; negative amounts fade the corners to white."""
    a = float(np.clip(amount, -1.0, 1.0))
    if a == 0:
        return img.copy()
    f = ctx.frame
    xq = _half_sq(f.width, 0, f.width)
    yq = _half_sq(f.height, f.y0, img.shape[0])

    def kernel(c: np.ndarray, y: int) -> np.ndarray:
        s = vignette_falloff(xq, yq[y : y + c.shape[0]])
        s *= np.float32(-abs(a))
        s += np.float32(1.0)  # s = gain, 1 in the centre
        g3 = cv2.cvtColor(s, cv2.COLOR_GRAY2RGB)
        out = cv2.multiply(rgb_of(c), g3)
        if a < 0:  # white vignette: 1 - (1 - rgb) × gain
            cv2.subtract(out, g3, dst=out)
            cv2.add(out, (1.0, 1.0, 1.0, 0.0), dst=out)
        return out

    return by_rows(img, kernel)


# --------------------------------------------------------------------------- grain

_GRAIN_BLOCK = 32


def _noise_rows(seed: int, y0: int, y1: int, width: int) -> np.ndarray:
    """Zero-mean unit-variance noise for absolute rows [y0, y1): each 32-row block has its own seed."""
    b0, b1 = y0 // _GRAIN_BLOCK, (y1 - 1) // _GRAIN_BLOCK
    block = np.empty(((b1 - b0 + 1) * _GRAIN_BLOCK, width), np.float32)
    for i, b in enumerate(range(b0, b1 + 1)):
        rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, b + (1 << 20), width])
        # uniform is 4x faster to draw than normal, and the grain blur makes it Gaussian anyway
        rows = block[i * _GRAIN_BLOCK : (i + 1) * _GRAIN_BLOCK]
        rng.random((_GRAIN_BLOCK, width), dtype=np.float32, out=rows)
    off = y0 - b0 * _GRAIN_BLOCK
    out = block[off : off + (y1 - y0)]
    out -= np.float32(0.5)
    out *= np.float32(math.sqrt(12.0))
    return out


def grain_field(seed: int, y0: int, rows: int, height: int, width: int) -> np.ndarray:
    """Unit-std grain for rows y0..y0+rows of a height x width image (same values for any strip)."""
    sigma = max(0.6, min(height, width) / 1600.0)  # grain grows with resolution
    r = math.ceil(2.0 * sigma)
    m = r + 1
    # noise for the strip plus margins from the absolute rows around it: the blur is then seamless
    n = _noise_rows(seed, y0 - m, y0 + rows + m, width)
    k = cv2.getGaussianKernel(2 * r + 1, sigma, cv2.CV_32F)
    n = cv2.sepFilter2D(n, -1, k, k, borderType=cv2.BORDER_REFLECT)[m : m + rows]
    n *= np.float32(1.0 / float((k * k).sum()))  # blurred unit noise has std Σk² (separable kernel)
    return n


@register("grain")
def grain(img: np.ndarray, ctx: OpContext, amount: float = 0.3, seed: int = 0) -> np.ndarray:
    """Monochrome film grain, strongest in the midtones, sized to the image; deterministic per seed."""
    a = float(np.clip(amount, 0.0, 1.0))
    if a == 0:
        return img.copy()
    f = ctx.frame
    n = grain_field(seed, f.y0, img.shape[0], f.height, f.width)
    n *= np.float32(0.1 * a)

    def kernel(c: np.ndarray, y: int) -> np.ndarray:
        lum = luma(c)
        w = lum * (np.float32(1.0) - lum)
        w *= np.float32(3.0)
        w += np.float32(0.25)  # midtones ~1, black and white keep a quarter
        w *= n[y : y + c.shape[0]]
        return clip01_(cv2.add(rgb_of(c), cv2.cvtColor(w, cv2.COLOR_GRAY2RGB)))

    return by_rows(img, kernel)


# --------------------------------------------------------------------------- pixelate


@register("pixelate")
def pixelate(img: np.ndarray, ctx: OpContext, amount: float = 0.5) -> np.ndarray:
    """Mosaic of square blocks, block side = amount × 1/24 of the longer side (≥ 2 px)."""
    h, w, c = img.shape
    b = max(2, round(float(np.clip(amount, 0.0, 1.0)) * max(h, w) / 24.0))
    hp, wp = -(-h // b) * b, -(-w // b) * b
    padded = np.ascontiguousarray(img)
    if (hp, wp) != (h, w):  # partial blocks at the right/bottom average what is there, repeated
        padded = cv2.copyMakeBorder(padded, 0, hp - h, 0, wp - w, cv2.BORDER_REPLICATE)
    # an integer-factor area resize is exactly the block mean; nearest scales the blocks back
    means = cv2.resize(padded, (wp // b, hp // b), interpolation=cv2.INTER_AREA)
    big = cv2.resize(means, (wp, hp), interpolation=cv2.INTER_NEAREST)
    return np.ascontiguousarray(big[:h, :w]).reshape(h, w, c)


# --------------------------------------------------------------------------- clarity

#: Radius of clarity's local contrast: 1% of the diagonal (Lightroom's Clarity works at tens of px).
CLARITY_RADIUS = 0.01
#: Guided-filter ε: luminance steps much larger than sqrt(ε) are edges that keep their base (no halo).
CLARITY_EPS = 0.01
#: Halo control: luminance detail is compressed softly toward this size (x / (1 + |x| / limit)).
CLARITY_LIMIT: float | None = 0.1
#: Local contrast gain at amount 1: the detail around the base is × (1 + CLARITY_GAIN) in the midtones.
CLARITY_GAIN = 1.5


def local_base(lum: np.ndarray, radius: float, eps: float) -> np.ndarray:
    """Edge-aware large-scale luminance: a guided filter (self-guided) run on a reduced grid."""
    from ..vision.matte import guided_coeffs

    h, w = lum.shape
    f = min(1.0, 6.0 / max(radius, 1e-6))  # the filter needs only ~6 px of radius on its grid
    if f < 1.0:
        small = cv2.resize(lum, (max(8, round(w * f)), max(8, round(h * f))), interpolation=cv2.INTER_AREA)
    else:
        small = lum
    r = max(1, round(radius * small.shape[1] / w))
    a, b = guided_coeffs(small, small, r, eps)
    if small.shape != lum.shape:
        a = cv2.resize(a, (w, h), interpolation=cv2.INTER_LINEAR)
        b = cv2.resize(b, (w, h), interpolation=cv2.INTER_LINEAR)
    return a * lum + b


@register("clarity")
def clarity(img: np.ndarray, ctx: OpContext, amount: float = 0.4) -> np.ndarray:
    """Midtone local contrast (+ crisper, - softer): luminance detail around an edge-aware base, × gain."""
    a = float(np.clip(amount, -1.0, 2.0))
    if a == 0:
        return img.copy()
    rgb = rgb_of(img)
    lum = luma(img)
    base = local_base(lum, CLARITY_RADIUS * _diag(img), CLARITY_EPS)
    # the midtones take the full change; shadows and highlights less, so nothing new clips
    mid = lum * (np.float32(1.0) - lum)
    mid *= np.float32(4.0)
    gain = np.float32(CLARITY_GAIN * a if a > 0 else a)  # at -1 the detail is removed entirely
    delta = cv2.subtract(lum, base)
    if CLARITY_LIMIT:  # halo control: detail beyond ±limit (a strong edge, not texture) is compressed
        k = np.float32(CLARITY_LIMIT)
        delta = delta / (np.float32(1.0) + np.abs(delta) * np.float32(1.0 / k))
    delta *= mid
    delta *= gain
    # the same luminance change on every channel keeps chroma (no saturation shift)
    out = cv2.add(rgb, cv2.cvtColor(delta, cv2.COLOR_GRAY2RGB))
    return with_alpha(clip01_(out), img)
