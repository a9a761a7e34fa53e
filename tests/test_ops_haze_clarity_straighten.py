"""Dehaze, clarity, straighten and crop_aspect: measured haze, local contrast, angles and areas."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from retouch.engines import builtin
from retouch.errors import OptionError, RetouchError
from retouch.imaging.convert import to_float, to_uint8
from retouch.ops import detail, geometry, haze  # noqa: F401  (registers the ops)
from retouch.ops.geometry import crop_window, detect_tilt, straighten_crop
from retouch.ops.haze import dark_channel
from retouch.ops.registry import OPS, Frame, OpContext
from retouch.schema import EditPlan, PlanStep

from .conftest import photo_array


def run(name: str, a: np.ndarray, /, quality: str = "medium", **params: object) -> np.ndarray:
    out = OPS[name].fn(a, OpContext(Frame(0, a.shape[0], a.shape[1]), refs=[a], quality=quality), **params)
    assert out.dtype == np.float32
    return out


def lum(a: np.ndarray) -> np.ndarray:
    return a[..., :3] @ np.array([0.2126, 0.7152, 0.0722], np.float32)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.mean((a[..., :3] - b[..., :3]) ** 2)))


# --------------------------------------------------------------------------- dehaze

AIR = np.array([0.86, 0.88, 0.9], np.float32)


@pytest.fixture(scope="module")
def clear() -> np.ndarray:
    """A clear, colourful photo-like scene whose dark channel is low (as in haze-free photos)."""
    img = to_float(photo_array(320, 240, seed=5))
    return np.clip((img - 0.25) * 1.4, 0, 1).astype(np.float32)


def hazy(clear: np.ndarray, beta: float = 1.4) -> np.ndarray:
    """The atmospheric scattering model, denser haze toward the top (the far distance)."""
    h = clear.shape[0]
    t = np.exp(-beta * np.linspace(1.0, 0.3, h, dtype=np.float32))[:, None, None]
    return (clear * t + AIR * (1 - t)).astype(np.float32)


def test_dehaze_recovers_the_clear_scene(clear: np.ndarray) -> None:
    foggy = hazy(clear)
    out = run("dehaze", foggy, amount=1.0)
    assert psnr(out, clear) > psnr(foggy, clear) + 6
    d_clear, d_foggy, d_out = (float(dark_channel(x, 7).mean()) for x in (clear, foggy, out))
    assert d_foggy > d_clear + 0.3
    assert d_out < d_clear + 0.25 * (d_foggy - d_clear)  # three quarters of the haze gone
    assert lum(out).std() > 1.3 * lum(foggy).std()       # contrast comes back


def test_dehaze_amount_is_monotone_and_negative_adds_haze(clear: np.ndarray) -> None:
    foggy = hazy(clear, 0.8)
    darks = [float(dark_channel(run("dehaze", foggy, amount=a), 7).mean()) for a in (-0.6, 0.0, 0.3, 0.6, 1.0)]
    assert darks == sorted(darks, reverse=True)
    added = run("dehaze", clear, amount=-0.7)
    assert float(dark_channel(added, 7).mean()) > float(dark_channel(clear, 7).mean()) + 0.1
    assert lum(added).std() < 0.9 * lum(clear).std()
    assert np.array_equal(run("dehaze", foggy, amount=0.0), foggy)


def test_dehaze_keeps_alpha_and_range(clear: np.ndarray) -> None:
    alpha = np.linspace(0, 1, clear.shape[0] * clear.shape[1], dtype=np.float32).reshape(clear.shape[:2])
    out = run("dehaze", np.dstack([hazy(clear), alpha]), amount=0.8)
    assert out.shape[2] == 4 and np.array_equal(out[..., 3], alpha)
    assert out.min() >= 0 and out.max() <= 1


def test_dehaze_is_sharp_at_full_size_from_a_small_transmission(clear: np.ndarray) -> None:
    """The transmission comes from a reduced copy but follows edges at full size: a 4x larger input
    gives the same result as the small one, enlarged (no blocky or blurred haze edges)."""
    foggy = hazy(clear)
    big = cv2.resize(foggy, None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC)
    small_out = run("dehaze", foggy, amount=0.8)
    big_out = cv2.resize(run("dehaze", big, amount=0.8), foggy.shape[1::-1], interpolation=cv2.INTER_AREA)
    assert np.abs(big_out - small_out).mean() < 0.02


# --------------------------------------------------------------------------- clarity


def local_contrast(a: np.ndarray, sigma: float) -> float:
    """Std of luminance around its large-scale local mean (what clarity changes)."""
    y = lum(a)
    return float((y - cv2.GaussianBlur(y, (0, 0), sigma)).std())


def test_clarity_raises_midtone_local_contrast_and_keeps_the_tones() -> None:
    img = to_float(photo_array(400, 300, seed=6))
    sigma = 0.01 * math.hypot(400, 300)
    up, down = run("clarity", img, amount=0.5), run("clarity", img, amount=-0.5)
    base = local_contrast(img, sigma)
    assert local_contrast(up, sigma) > 1.3 * base
    assert local_contrast(down, sigma) < 0.8 * base
    assert abs(lum(up).mean() - lum(img).mean()) < 0.01
    assert np.abs(up - img).mean() > 2 / 255
    # chroma is kept: the same change on every channel
    chroma = lambda a: a.max(-1) - a.min(-1)  # noqa: E731
    inner = (img.min(-1) > 0.05) & (img.max(-1) < 0.95) & (up.min(-1) > 0.01) & (up.max(-1) < 0.99)
    assert np.abs(chroma(up) - chroma(img))[inner].max() < 1e-4


def test_clarity_does_not_halo_at_strong_edges() -> None:
    """A step between two flat areas: an unsharp mask of the same radius and strength overshoots by
    a tenth of full scale; clarity's edge-aware base and detail compression keep most of that away."""
    img = np.full((200, 300, 3), 0.3, np.float32)
    img[:, 150:] = 0.7
    out = run("clarity", img, amount=1.0)
    sigma = 0.01 * math.hypot(200, 300)
    usm = img + 1.5 * (img - cv2.GaussianBlur(img, (0, 0), sigma))
    overshoot = lambda a: max(float(a.max() - 0.7), float(0.3 - a.min()))  # noqa: E731
    assert overshoot(usm) > 0.1
    assert overshoot(out) < 0.4 * overshoot(usm)


def test_clarity_leaves_flat_images_alone() -> None:
    flat = np.full((64, 64, 3), 0.4, np.float32)
    assert np.abs(run("clarity", flat, amount=1.0) - flat).max() < 1e-5


# --------------------------------------------------------------------------- straighten


def scene(h: int = 480, w: int = 640) -> np.ndarray:
    """A seascape-like scene: sky over sea with a sharp horizon, a pier post and a building edge."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.where((yy < h * 0.45)[..., None], [0.55, 0.7, 0.92], [0.12, 0.3, 0.42]).astype(np.float32)
    img[(xx > w * 0.7) & (xx < w * 0.74) & (yy > h * 0.25)] = (0.3, 0.22, 0.15)  # a post
    img[(xx < w * 0.12) & (yy > h * 0.1)] = (0.75, 0.72, 0.66)  # a building's wall
    img += rng.normal(0, 0.015, img.shape).astype(np.float32)
    return np.clip(img, 0, 1)


def tilted(img: np.ndarray, degrees: float) -> np.ndarray:
    """The scene photographed with the camera turned: rotated, the frame still full (no corners)."""
    h, w = img.shape[:2]
    big = cv2.copyMakeBorder(img, h // 2, h // 2, w // 2, w // 2, cv2.BORDER_REFLECT)
    m = cv2.getRotationMatrix2D(((big.shape[1] - 1) / 2, (big.shape[0] - 1) / 2), degrees, 1.0)
    rot = cv2.warpAffine(big, m, big.shape[1::-1], flags=cv2.INTER_CUBIC)
    return np.ascontiguousarray(np.clip(rot[h // 2 : h // 2 + h, w // 2 : w // 2 + w], 0, 1))


def horizon_rows(img: np.ndarray) -> tuple[float, float]:
    """Row of the sky/sea edge near the left and the right end (strongest vertical luma step)."""
    y = lum(img)
    dy = np.abs(np.diff(y, axis=0))
    w = img.shape[1]
    cols = [slice(int(w * 0.2), int(w * 0.25)), slice(int(w * 0.6), int(w * 0.65))]
    return tuple(float(np.argmax(dy[:, c].mean(1))) for c in cols)  # type: ignore[return-value]


@pytest.mark.parametrize("degrees", [3.0, -2.0, 7.5])
def test_straighten_detects_the_tilt_and_levels_the_horizon(degrees: float) -> None:
    img = tilted(scene(), degrees)
    found = detect_tilt(img)
    assert found is not None and abs(found + degrees) < 0.25  # the correction turns the other way
    left, right = horizon_rows(img)
    assert abs(left - right) > 8  # tilted before
    out = run("straighten", img)  # no angle: detected
    left, right = horizon_rows(out)
    assert abs(left - right) <= 1.5


def test_straighten_leaves_no_empty_corners() -> None:
    """The crop lies inside the turned image: an expanding rotation (transparent corners) of the same
    angle is fully opaque over straighten's window, and shows the same pixels there."""
    img = scene(300, 400)
    for degrees in (4.0, -11.0):
        out = run("straighten", img, angle=degrees)
        ref = run("rotate", img, degrees=degrees, fill="transparent")
        H, W = ref.shape[:2]
        h, w = out.shape[:2]
        y0, x0 = (H - h) // 2, (W - w) // 2
        window = ref[y0 : y0 + h, x0 : x0 + w]
        assert window[..., 3].min() > 0.999
        assert np.abs(window[4:-4, 4:-4, :3] - out[4:-4, 4:-4]).mean() < 0.02


def test_straighten_crop_sizes() -> None:
    w, h = 640, 480
    cw, ch = straighten_crop(w, h, 5.0)
    assert abs(cw / ch - w / h) < 0.01
    mw, mh = straighten_crop(w, h, 5.0, keep_aspect=False)
    assert mw * mh >= cw * ch
    # the window's corners, turned back by the angle, lie inside the source
    t = math.radians(5.0)
    for cx, cy in ((cw / 2, ch / 2), (cw / 2, -ch / 2)):
        x = cx * math.cos(t) - cy * math.sin(t)
        y = cx * math.sin(t) + cy * math.cos(t)
        assert abs(x) <= w / 2 and abs(y) <= h / 2
    out = run("straighten", scene(h, w), angle=5.0, keep_aspect=False)
    assert out.shape[:2] == (mh, mw)


def test_straighten_refuses_big_angles_and_images_without_lines() -> None:
    with pytest.raises(OptionError, match="15 degrees"):
        run("straighten", scene(), angle=30)
    noise = np.random.default_rng(1).random((200, 300, 3)).astype(np.float32)
    with pytest.raises(OptionError, match="give the angle"):
        run("straighten", noise)


def test_straighten_through_the_executor_and_not_with_a_mask() -> None:
    img = to_uint8(tilted(scene(240, 320), 3.0))
    plan = EditPlan(prompt="x", steps=[PlanStep(op="straighten")])
    out = builtin.run_plan(img, plan, [img])
    assert out.shape[0] < 240 and out.shape[1] < 320
    with pytest.raises(RetouchError, match="mask"):
        builtin.run_plan(img, plan, [img], mask=np.ones((240, 320), np.float32))


# --------------------------------------------------------------------------- crop to a ratio: the largest area


@pytest.mark.parametrize("size", [(1000, 1000), (1920, 1080), (640, 959), (333, 500)])
@pytest.mark.parametrize("ratio", [(1, 1), (16, 9), (9, 16), (4, 5), (3, 1)])
def test_crop_aspect_keeps_the_largest_area(size: tuple[int, int], ratio: tuple[int, int]) -> None:
    w, h = size
    x0, y0, cw, ch = crop_window(w, h, ratio[0] / ratio[1], "center")
    assert cw == w or ch == h  # one side is whole: no larger window of that ratio fits
    assert abs(cw / ch - ratio[0] / ratio[1]) <= 1.0 / min(cw, ch) * (ratio[0] / ratio[1]) + 1e-9
    assert 0 <= x0 <= w - cw and 0 <= y0 <= h - ch


# --------------------------------------------------------------------------- image ops with masks


@pytest.mark.parametrize("step", [PlanStep(op="dehaze", params={"amount": 0.7}),
                                  PlanStep(op="clarity", params={"amount": 0.6})])
def test_image_ops_are_bit_exact_outside_the_mask(step: PlanStep) -> None:
    img = photo_array(240, 180, seed=7)
    mask = np.zeros((180, 240), np.float32)
    mask[40:140, 60:200] = 1.0
    out = builtin.run_plan(img, EditPlan(prompt="x", steps=[step]), [img], mask=mask)
    assert np.array_equal(out[mask == 0], img[mask == 0])
    assert np.abs(out[mask == 1].astype(int) - img[mask == 1]).mean() > 1.0
