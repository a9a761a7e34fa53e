"""remove_object: fill the masked area from its surroundings (inpainting).

low: OpenCV's Telea; medium: Navier-Stokes (smoother, measurably closer to the true
scene); high: Navier-Stokes for the structure plus texture: the fine-detail band is
synthesised by copying patches from around the hole whose coarse structure matches the
fill, so a lawn or a wall gets grain instead of a smooth smear.

Only the crop around the mask is processed; pixels outside the mask are restored bit
for bit by the executor, not here.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import UnsupportedInstruction
from .registry import OpContext, register

MAX_FILL_PIXELS = 250_000  # holes larger than this are filled at a reduced scale, then upsampled


@register("remove_object")
def remove_object(img: np.ndarray, ctx: OpContext, method: str = "auto", **_: object) -> np.ndarray:
    """Fill where ctx.mask > 0.5 (grown a few px to cover the object's fringe) from the surroundings."""
    if ctx.mask is None:
        raise UnsupportedInstruction(
            "removing an object needs a mask that marks it (--mask); the builtin engine cannot find "
            "objects by name",
            engine_hint="a generative engine (openai or diffusers) can remove objects without a mask",
        )
    h, w = img.shape[:2]
    hole = ctx.mask[:h, :w] > 0.5
    if not hole.any():
        return img
    if hole.all():
        raise UnsupportedInstruction(
            "the mask covers the whole image: there is nothing around it to fill from"
        )
    grow = max(1, round(0.003 * max(h, w)))
    hole = cv2.dilate(hole.astype(np.uint8), np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)) > 0
    if hole.all():
        hole = ctx.mask[:h, :w] > 0.5
    kind = _method(method, ctx.quality)
    out = img.copy()
    for y0, y1, x0, x1 in _crops(hole):
        sub = hole[y0:y1, x0:x1]
        out[y0:y1, x0:x1] = fill(img[y0:y1, x0:x1], sub, kind)
    return out


def _method(method: str, quality: str) -> str:
    """The fill method for a requested method and quality tier."""
    if method in ("telea", "ns", "patch"):
        return method
    return {"low": "telea", "high": "patch"}.get(quality, "ns")


def _crops(hole: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes (y0, y1, x0, x1) around each group of hole pixels, with context to fill from."""
    h, w = hole.shape
    n, _, stats, _ = cv2.connectedComponentsWithStats(hole.astype(np.uint8), connectivity=8)
    boxes = []
    for i in range(1, n):
        x, y, bw, bh = stats[i, :4]
        m = max(24, round(0.6 * max(bw, bh)))
        boxes.append([max(0, y - m), min(h, y + bh + m), max(0, x - m), min(w, x + bw + m)])
    # merge overlapping boxes so every fill sees all its context once
    merged: list[list[int]] = []
    for b in sorted(boxes):
        for mb in merged:
            if b[0] < mb[1] and mb[0] < b[1] and b[2] < mb[3] and mb[2] < b[3]:
                mb[:] = [min(b[0], mb[0]), max(b[1], mb[1]), min(b[2], mb[2]), max(b[3], mb[3])]
                break
        else:
            merged.append(b)
    return [tuple(b) for b in merged]


def fill(img: np.ndarray, hole: np.ndarray, kind: str) -> np.ndarray:
    """Fill `hole` (bool HxW) of a float32 HxWx3|4 crop; other pixels are returned as they were."""
    scale = min(1.0, float(np.sqrt(MAX_FILL_PIXELS / max(int(hole.sum()), 1))))
    rgb = img[..., :3]
    base = _smooth_fill(rgb, hole, "telea" if kind == "telea" else "ns", scale)
    if kind == "patch":
        base = patch_fill(rgb, hole, base) if scale >= 1.0 else base + synthesize_detail(rgb, base, hole)
    out = img.copy()
    out[..., :3][hole] = np.clip(base[hole], 0, 1)
    if img.shape[2] == 4:
        # alpha is filled smoothly too (a hole in an opaque image stays opaque)
        a = _smooth_fill(img[..., 3:4].repeat(3, 2), hole, "ns", scale)[..., 0]
        out[..., 3][hole] = np.clip(a[hole], 0, 1)
    return out


def _smooth_fill(rgb: np.ndarray, hole: np.ndarray, kind: str, scale: float) -> np.ndarray:
    """OpenCV inpainting of the hole (optionally at a reduced scale for very large holes), float32."""
    h, w = hole.shape
    flag = cv2.INPAINT_TELEA if kind == "telea" else cv2.INPAINT_NS
    u8 = (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)
    m8 = hole.astype(np.uint8)
    if scale < 1.0:
        sw, sh = max(8, round(w * scale)), max(8, round(h * scale))
        u8s = cv2.resize(u8, (sw, sh), interpolation=cv2.INTER_AREA)
        m8s = cv2.dilate(cv2.resize(m8, (sw, sh), interpolation=cv2.INTER_NEAREST), np.ones((3, 3), np.uint8))
        r = max(3, round(0.008 * max(sh, sw)))
        small = cv2.inpaint(u8s, m8s, r, flag)
        filled = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    else:
        r = max(3, round(0.008 * max(h, w)))
        filled = cv2.inpaint(u8, m8, r, flag)
    out = rgb.astype(np.float32).copy()
    out[hole] = filled[hole].astype(np.float32) / 255
    return out


def synthesize_detail(rgb: np.ndarray, base: np.ndarray, hole: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """Fine texture for the hole: detail-band patches copied from around it, chosen by matching structure.

    Returns a float32 HxWx3 detail layer (zero outside the hole). Patches overlap by half
    and are blended with a raised-cosine window, so there are no block seams.
    """
    h, w = hole.shape
    sigma = max(1.5, 0.003 * max(h, w))
    filled = np.where(hole[..., None], base, rgb).astype(np.float32)
    low = cv2.GaussianBlur(filled, (0, 0), sigma)
    detail = filled - low
    p = max(8, round(sigma * 6) // 2 * 2)
    step = p // 2
    # sources: patch positions whose whole window lies outside the (slightly grown) hole
    bad = cv2.dilate(hole.astype(np.uint8), np.ones((3, 3), np.uint8))
    integ = cv2.integral(bad)
    ys, xs = np.mgrid[0 : h - p + 1 : max(2, step // 2), 0 : w - p + 1 : max(2, step // 2)]
    ys, xs = ys.ravel(), xs.ravel()
    inside = integ[ys + p, xs + p] - integ[ys, xs + p] - integ[ys + p, xs] + integ[ys, xs]
    ok = inside == 0
    src_y, src_x = ys[ok], xs[ok]
    if len(src_y) < 4:
        return np.zeros_like(base, dtype=np.float32)
    rng = np.random.default_rng(seed)
    if len(src_y) > 3000:
        pick = rng.choice(len(src_y), 3000, replace=False)
        src_y, src_x = src_y[pick], src_x[pick]
    # targets: a half-overlapping grid covering the hole
    hy, hx = np.where(hole)
    ty0, ty1 = max(0, hy.min() - step), min(h - p, hy.max())
    tx0, tx1 = max(0, hx.min() - step), min(w - p, hx.max())
    tys, txs = np.mgrid[ty0 : ty1 + 1 : step, tx0 : tx1 + 1 : step]
    tys, txs = tys.ravel(), txs.ravel()
    hole_integ = cv2.integral(hole.astype(np.uint8))
    cover = (
        hole_integ[tys + p, txs + p]
        - hole_integ[tys, txs + p]
        - hole_integ[tys + p, txs]
        + hole_integ[tys, txs]
    )
    tys, txs = tys[cover > 0], txs[cover > 0]
    if len(tys) == 0:
        return np.zeros_like(base, dtype=np.float32)
    # match on coarse structure (the low band, 4x subsampled), preferring nearby sources
    q = max(1, p // 4)
    feat_src = _patch_features(low, src_y, src_x, p, q)
    feat_tgt = _patch_features(low, tys, txs, p, q)
    d2 = np.sum(feat_tgt**2, 1)[:, None] + np.sum(feat_src**2, 1)[None, :] - 2 * feat_tgt @ feat_src.T
    dist = np.hypot(tys[:, None] - src_y[None, :], txs[:, None] - src_x[None, :]) / max(h, w)
    cost = d2 / feat_src.shape[1] + 0.002 * dist
    # a random pick among the best few avoids tiling the same patch across the hole
    k = min(3, cost.shape[1])
    best = np.argpartition(cost, k - 1, axis=1)[:, :k]
    choice = best[np.arange(len(tys)), rng.integers(0, k, len(tys))]
    win = np.outer(np.hanning(p + 2)[1:-1], np.hanning(p + 2)[1:-1]).astype(np.float32)
    acc = np.zeros((h, w, 3), np.float32)
    wsum = np.zeros((h, w), np.float32)
    for ty, tx, c in zip(tys, txs, choice, strict=True):
        sy, sx = src_y[c], src_x[c]
        acc[ty : ty + p, tx : tx + p] += detail[sy : sy + p, sx : sx + p] * win[..., None]
        wsum[ty : ty + p, tx : tx + p] += win
    out = acc / np.maximum(wsum, 1e-6)[..., None]
    # windows overlapping by half sum to ~1 except at the grid's rim: fade the detail there
    out *= np.clip(wsum / 0.5, 0, 1)[..., None]
    out[~hole] = 0
    return out


def patch_fill(
    rgb: np.ndarray, hole: np.ndarray, init: np.ndarray, *, patch: int = 8, iters: int = 3
) -> np.ndarray:
    """Exemplar-based fill, coarse to fine (Wexler et al. style EM on an image pyramid).

    At each level every patch overlapping the hole is matched (SSD) against patches of the
    known surroundings, and hole pixels become the window-weighted vote of the matched
    patches; a few such rounds per level, the coarsest level starting from `init` (a smooth
    fill) and each finer one from the upsampled coarser result. Returns float32 HxWx3.
    """
    imgs, holes = [rgb.astype(np.float32)], [hole]
    while len(imgs) < 4:
        hy, hx = np.where(holes[-1])
        if len(hy) == 0 or max(hy.ptp(), hx.ptp()) < 4 * patch or min(imgs[-1].shape[:2]) < 6 * patch:
            break
        imgs.append(cv2.pyrDown(imgs[-1]))
        hh, hw = imgs[-1].shape[:2]
        holes.append(cv2.resize(holes[-1].astype(np.uint8), (hw, hh), interpolation=cv2.INTER_AREA) > 0)
    cur = cv2.resize(init.astype(np.float32), imgs[-1].shape[1::-1], interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(0)
    for lvl in range(len(imgs) - 1, -1, -1):
        im, ho = imgs[lvl], holes[lvl]
        if cur.shape[:2] != im.shape[:2]:
            cur = cv2.resize(cur, im.shape[1::-1], interpolation=cv2.INTER_LINEAR)
        cur = np.where(ho[..., None], cur, im)
        cur = _em_rounds(im, ho, cur, patch, iters if lvl else max(1, iters - 1), rng)
    return cur


def _em_rounds(
    im: np.ndarray, hole: np.ndarray, cur: np.ndarray, p: int, iters: int, rng: np.random.Generator
) -> np.ndarray:
    """Rounds of match-and-vote on one pyramid level; known pixels never change."""
    h, w = hole.shape
    if h < p + 1 or w < p + 1:
        return cur
    step = max(2, p // 2)
    bad = cv2.dilate(hole.astype(np.uint8), np.ones((3, 3), np.uint8))
    integ = cv2.integral(bad)
    ys, xs = np.mgrid[0 : h - p + 1 : 2, 0 : w - p + 1 : 2]
    ys, xs = ys.ravel(), xs.ravel()
    clean = (integ[ys + p, xs + p] - integ[ys, xs + p] - integ[ys + p, xs] + integ[ys, xs]) == 0
    src_y, src_x = ys[clean], xs[clean]
    if len(src_y) < 4:
        return cur
    if len(src_y) > 4000:
        pick = rng.choice(len(src_y), 4000, replace=False)
        src_y, src_x = src_y[pick], src_x[pick]
    hy, hx = np.where(hole)
    tys, txs = np.mgrid[
        max(0, hy.min() - p + 1) : min(h - p, hy.max()) + 1 : step,
        max(0, hx.min() - p + 1) : min(w - p, hx.max()) + 1 : step,
    ]
    tys, txs = tys.ravel(), txs.ravel()
    hi = cv2.integral(hole.astype(np.uint8))
    cover = hi[tys + p, txs + p] - hi[tys, txs + p] - hi[tys + p, txs] + hi[tys, txs]
    tys, txs = tys[cover > 0], txs[cover > 0]
    if len(tys) == 0:
        return cur
    q = 2 if p >= 8 else 1
    fs = _patch_features(im, src_y, src_x, p, q)
    fs2 = np.sum(fs * fs, 1)[None, :]
    win = np.outer(np.hanning(p + 2)[1:-1], np.hanning(p + 2)[1:-1]).astype(np.float32)
    for _ in range(iters):
        ft = _patch_features(cur, tys, txs, p, q)
        cost = fs2 - 2 * ft @ fs.T
        choice = np.argmin(cost, axis=1)
        acc = np.zeros((h, w, 3), np.float32)
        wsum = np.zeros((h, w), np.float32)
        for ty, tx, c in zip(tys, txs, choice, strict=True):
            sy, sx = src_y[c], src_x[c]
            acc[ty : ty + p, tx : tx + p] += im[sy : sy + p, sx : sx + p] * win[..., None]
            wsum[ty : ty + p, tx : tx + p] += win
        voted = acc / np.maximum(wsum, 1e-6)[..., None]
        upd = hole & (wsum > 1e-3)
        cur = cur.copy()
        cur[upd] = voted[upd]
    return cur


def _patch_features(a: np.ndarray, ys: np.ndarray, xs: np.ndarray, p: int, q: int) -> np.ndarray:
    """Flattened, q-subsampled p×p patches of `a` at top-left corners (ys, xs): N x D float32."""
    offs = np.arange(0, p, q)
    yy = ys[:, None, None] + offs[None, :, None]
    xx = xs[:, None, None] + offs[None, None, :]
    return a[yy, xx].reshape(len(ys), -1).astype(np.float32)
