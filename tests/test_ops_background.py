"""Background ops, measured as the evaluator measures them (plus halo and decontamination checks)."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).parent))

from synth import bg_region, dilate, erode, lum, psnr, synth_product, synth_product_hard

from retouch.errors import OptionError, UnsupportedInstruction
from retouch.imaging.convert import to_float, to_uint8
from retouch.ops import background as B
from retouch.ops.registry import Frame, OpContext

PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "photos"


def ctx_for(*imgs: np.ndarray, quality: str = "medium") -> OpContext:
    """An op context whose refs are the given uint8 images (first = the edited one)."""
    h, w = imgs[0].shape[:2]
    return OpContext(frame=Frame(0, h, w), refs=[to_float(i) for i in imgs], quality=quality)


def coffee() -> np.ndarray:
    p = PHOTOS / "coffee.png"
    if not p.is_file():
        pytest.skip("coffee.png not available")
    return np.asarray(Image.open(p).convert("RGB"))


def mean_dist(a: np.ndarray, rgb: tuple[int, int, int]) -> float:
    return float(np.linalg.norm(a.astype(float) - np.array(rgb, float), axis=-1).mean())


@pytest.mark.parametrize(("seed", "color"), [(1, (255, 255, 255)), (3, (0, 0, 128)), (5, (250, 200, 210))])
def test_background_color(seed: int, color: tuple[int, int, int]) -> None:
    src = synth_product(seed)
    out = to_uint8(B.background_color(to_float(src.rgb), ctx_for(src.rgb), color=list(color)))
    assert out.shape == src.rgb.shape
    assert mean_dist(out[bg_region(src.fg)], color) <= 2.0           # evaluator: ≤ 12 (white), ≤ 40 (navy)
    fg = erode(src.fg, 6)
    assert psnr(out[fg], src.rgb[fg]) >= 60                           # evaluator: ≥ 35
    # right up to the edge the new colour is there: no rim of the old backdrop
    ring = dilate(src.fg, 3) & ~dilate(src.fg, 1)
    assert mean_dist(out[ring], color) <= 8


@pytest.mark.parametrize("shape", ["box", "jar"])
def test_background_color_when_the_floor_shadow_reaches_the_bottom_edge(shape: str) -> None:
    """The shadow across the bottom edge spoils a four-sided backdrop fit; the backdrop is still plain."""
    from bench.catalogue import product_shot

    rgb, fg = product_shot((640, 480), colour=(38, 104, 190), shape=shape, centre=(0.5, 0.7), height=0.55)
    assert lum(rgb[-3:]).min() < 0.85 * lum(rgb[-3:]).max()  # the shadow is on the bottom rows
    out = to_uint8(B.background_color(to_float(rgb), ctx_for(rgb), color=[255, 255, 255]))
    back = ~dilate(fg, 2)
    # before: the general (saliency) path kept ~7% of the backdrop, its floor shadow, as subject
    assert (np.linalg.norm(out[back].astype(float) - 255, axis=-1) > 8).mean() < 0.005
    assert psnr(out[erode(fg, 4)], rgb[erode(fg, 4)]) >= 60


def test_background_color_accepts_hex_and_rejects_nonsense() -> None:
    src = synth_product(1)
    out = to_uint8(B.background_color(to_float(src.rgb), ctx_for(src.rgb), color="#00ff00"))
    assert mean_dist(out[bg_region(src.fg)], (0, 255, 0)) <= 2
    with pytest.raises(OptionError):
        B.background_color(to_float(src.rgb), ctx_for(src.rgb), color="greenish")


@pytest.mark.parametrize("seed", [2, 4])
def test_background_gray_gradient(seed: int) -> None:
    src = synth_product(seed)
    out = to_uint8(B.background_gradient(to_float(src.rgb), ctx_for(src.rgb),
                                         colors=[[235, 235, 235], [175, 175, 175]], direction="vertical"))
    m = bg_region(src.fg)
    chroma = (out.max(-1).astype(int) - out.min(-1))[m].mean()
    lo = lum(out)
    rows = np.array([lo[y][m[y]].mean() for y in range(out.shape[0]) if m[y].sum() > 20])
    assert chroma <= 1.0                                              # evaluator: ≤ 12
    assert np.ptp(rows) >= 50                                         # evaluator: span ≥ 15
    assert np.all(np.diff(rows) <= 0.5)                               # monotone top → bottom
    assert np.abs(lo[m] - lum(src.rgb)[m]).mean() >= 5
    fg = erode(src.fg, 6)
    assert psnr(out[fg], src.rgb[fg]) >= 60


def test_gradient_directions() -> None:
    c0, c1 = np.array([1.0, 0, 0], np.float32), np.array([0, 0, 1.0], np.float32)
    hz = B.gradient(40, 80, c0, c1, "horizontal")
    assert hz[20, 0, 0] > 0.95 and hz[20, -1, 2] > 0.95 and np.ptp(hz[:, 40, 0]) < 0.01
    rad = B.gradient(80, 80, c0, c1, "radial")
    assert rad[40, 40, 0] > 0.95 and rad[0, 0, 2] > 0.95
    diag = B.gradient(80, 80, c0, c1, "diagonal")
    assert diag[0, 0, 0] > 0.95 and diag[-1, -1, 2] > 0.95


def test_gradient_three_stops() -> None:
    """Red → white → blue: each stop's colour at its place (top, middle, bottom), blended in between."""
    red, white, blue = ([1.0, 0, 0], [1.0, 1.0, 1.0], [0, 0, 1.0])
    g = B.gradient_stops(101, 40, [np.array(c, np.float32) for c in (red, white, blue)], "vertical")
    assert np.allclose(g[0, 20], red, atol=0.02)
    assert np.allclose(g[50, 20], white, atol=0.02)
    assert np.allclose(g[-1, 20], blue, atol=0.02)
    assert np.allclose(g[25, 20], [1.0, 0.5, 0.5], atol=0.03)  # halfway red → white
    hz = B.gradient_stops(20, 101, [np.array(c, np.float32) for c in (red, white, blue, red)], "horizontal")
    assert np.allclose(hz[10, 0], red, atol=0.02) and np.allclose(hz[10, -1], red, atol=0.02)


def test_background_gradient_three_colours() -> None:
    src = synth_product(2)
    out = to_uint8(B.background_gradient(to_float(src.rgb), ctx_for(src.rgb),
                                         colors=[[255, 0, 0], [255, 255, 255], [0, 0, 255]]))
    m = bg_region(src.fg)
    h = out.shape[0]
    top = out[: h // 10][m[: h // 10]].mean(0)
    mid = out[h // 2 - 2 : h // 2 + 2][m[h // 2 - 2 : h // 2 + 2]].mean(0)
    bottom = out[-(h // 10) :][m[-(h // 10) :]].mean(0)
    assert top[0] > 200 and top[2] < 60                               # red at the top
    assert mid.min() > 200                                            # white in the middle
    assert bottom[2] > 200 and bottom[0] < 60                         # blue at the bottom


def test_background_image_from_reference() -> None:
    src, ref = synth_product(5), coffee()
    out = to_uint8(B.background_image(to_float(src.rgb), ctx_for(src.rgb, ref), ref=1))
    m = bg_region(src.fg)
    h, w = out.shape[:2]
    fitted = np.asarray(ImageOps.fit(Image.fromarray(ref), (w, h), Image.BICUBIC))
    corr = np.corrcoef(lum(out)[m], lum(fitted)[m])[0, 1]
    assert corr >= 0.98                                               # evaluator: ≥ 0.8
    fg = erode(src.fg, 6)
    assert psnr(out[fg], src.rgb[fg]) >= 60                           # evaluator: ≥ 30


def test_background_image_needs_that_image() -> None:
    src = synth_product(5)
    with pytest.raises(OptionError, match="image 2"):
        B.background_image(to_float(src.rgb), ctx_for(src.rgb), ref=1)


def test_cover_fit_keeps_aspect_and_centre() -> None:
    ref = np.zeros((100, 400, 3), np.float32)
    ref[:, 195:205] = 1                                               # a white band in the middle
    out = B.cover_fit(ref, 200, 200)                                  # scale 2, crop x 300..500
    assert out.shape == (200, 200, 3)
    assert out[:, 92:108].min() > 0.9 and out[:, :85].max() < 0.05 and out[:, 115:].max() < 0.05


def test_background_blur_softens_backdrop_without_halo() -> None:
    src = synth_product(1)                                            # a red product
    f = to_float(src.rgb)
    # give the backdrop texture so a blur is measurable
    tex = (np.indices(src.fg.shape).sum(0) % 8 < 4).astype(np.float32)[..., None] * 0.2
    f = np.where(src.fg[..., None], f, np.clip(f - tex, 0, 1)).astype(np.float32)
    u8 = to_uint8(f)
    out = to_uint8(B.background_blur(f, ctx_for(u8), amount=1.0))
    m = bg_region(src.fg)
    lap = lambda a: cv2.Laplacian(lum(a), cv2.CV_32F)[m].var()  # noqa: E731
    assert lap(out) < 0.05 * lap(u8)
    fg = erode(src.fg, 6)
    assert psnr(out[fg], u8[fg]) >= 60
    # the subject's red must not bleed into the blurred backdrop around it
    ring = dilate(src.fg, 12) & ~dilate(src.fg, 3)
    redness = (out[..., 0].astype(float) - out[..., 1])[ring].mean()
    assert redness < 6


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_remove_background_alpha(seed: int) -> None:
    src = synth_product(seed)
    out = B.remove_background(to_float(src.rgb), ctx_for(src.rgb))
    assert out.shape == (*src.rgb.shape[:2], 4) and out.dtype == np.float32
    a = to_uint8(out)[..., 3] > 127
    assert (a & src.fg).sum() / (a | src.fg).sum() >= 0.98           # evaluator: IoU ≥ 0.92


def test_remove_background_on_antialiased_jpeg_shot() -> None:
    src = synth_product_hard(1, size=512)
    out = to_uint8(B.remove_background(to_float(src.rgb), ctx_for(src.rgb)))
    a = out[..., 3] > 127
    assert (a & src.fg).sum() / (a | src.fg).sum() >= 0.95


def test_edges_are_decontaminated() -> None:
    # a flat red disk, anti-aliased onto a light backdrop: edge pixels are red/gray mixtures
    n, s = 256, 4
    yy, xx = np.mgrid[0: n * s, 0: n * s]
    cover = ((xx - 128 * s) ** 2 + (yy - 128 * s) ** 2 < (60 * s) ** 2).astype(np.float32)
    cover = cover.reshape(n, s, n, s).mean((1, 3))
    red, gray = np.array([200, 30, 30], np.float32), np.array([228, 228, 230], np.float32)
    rgb = (red * cover[..., None] + gray * (1 - cover[..., None])).astype(np.uint8)
    out = B.remove_background(to_float(rgb), ctx_for(rgb))
    alpha, fg = out[..., 3], out[..., :3] * 255
    soft = (alpha > 0.15) & (alpha < 0.85)
    assert soft.sum() > 100
    before = np.linalg.norm(rgb[soft].astype(float) - red, axis=-1).mean()
    after = np.linalg.norm(fg[soft] - red, axis=-1).mean()
    assert before > 60 and after < 20                                 # the gray is taken out of the edge
    # and the alpha follows the true coverage
    assert np.abs(alpha - cover)[(cover > 0.05) & (cover < 0.95)].mean() < 0.1


def test_rgba_input_keeps_channels_and_uses_its_alpha() -> None:
    src = synth_product(2)
    rgba = np.dstack([src.rgb, np.where(src.fg, 255, 0).astype(np.uint8)])
    out = B.background_color(to_float(rgba), ctx_for(rgba), color=[0, 0, 0])
    assert out.shape[2] == 4 and (out[..., 3] == 1).all()
    assert mean_dist(to_uint8(out[..., :3])[~dilate(src.fg, 2)], (0, 0, 0)) < 1


def test_remove_background_on_photo_is_sensible() -> None:
    img = coffee()
    out = B.remove_background(to_float(img), ctx_for(img))
    a = out[..., 3]
    assert 0.2 < (a > 0.5).mean() < 0.8
    assert a[150, 300] > 0.5 and a[380, 30] < 0.5                     # the cup stays, the table goes


def test_no_subject_is_refused_not_blanked() -> None:
    flat = np.full((120, 160, 3), 90, np.uint8)
    with pytest.raises(UnsupportedInstruction, match="subject"):
        B.remove_background(to_float(flat), ctx_for(flat))
    with pytest.raises(UnsupportedInstruction, match="subject"):
        B.background_color(to_float(flat), ctx_for(flat), color=[255, 255, 255])
