"""Detail, effect and geometry ops: measured pixel behaviour, strips, exactness, sizes."""

from __future__ import annotations

import itertools
import math
import sys
import types

import numpy as np
import pytest
from PIL import Image

from retouch.errors import OptionError
from retouch.imaging.convert import to_uint8
from retouch.ops import detail, geometry  # noqa: F401  (registers the ops)
from retouch.ops.registry import OPS, Frame, OpContext


def synth_photo(h: int = 180, w: int = 270, seed: int = 1) -> np.ndarray:
    """A deterministic photo-like float32 image with edges, texture and smooth areas."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([0.5 + 0.3 * np.sin(xx / w * 3.0), 0.45 + 0.25 * np.cos(yy / h * 2.5),
                    0.4 + 0.2 * np.sin((xx + yy) / (w + h) * 4.0)], -1)
    img[(xx - w * 0.6) ** 2 + (yy - h * 0.5) ** 2 < (min(w, h) * 0.22) ** 2] = (0.8, 0.25, 0.15)
    img[20:60, 30:90] = (0.15, 0.3, 0.6)
    small = rng.normal(0, 1, (h // 4, w // 4)).astype(np.float32)
    texture = np.asarray(Image.fromarray(small).resize((w, h), Image.BICUBIC))[..., None]
    img = img * (1 + 0.1 * texture) + rng.normal(0, 0.01, (h, w, 1))
    return np.clip(img, 0, 1).astype(np.float32)


@pytest.fixture(scope="module")
def img() -> np.ndarray:
    return synth_photo()


def ctx_for(a: np.ndarray, quality: str = "medium") -> OpContext:
    return OpContext(Frame(0, a.shape[0], a.shape[1]), refs=[a], quality=quality)


def run(op_name: str, a: np.ndarray, /, quality: str = "medium", **params: object) -> np.ndarray:
    out = OPS[op_name].fn(a, ctx_for(a, quality), **params)
    assert out.dtype == np.float32
    return out


def lum(a: np.ndarray) -> np.ndarray:
    a = a[..., :3].astype(np.float32)
    return 0.2126 * a[..., 0] + 0.7152 * a[..., 1] + 0.0722 * a[..., 2]


def lap_var(a: np.ndarray) -> float:
    """Variance of the Laplacian of luma on uint8 values, as the evaluator measures sharpness."""
    x = lum(to_uint8(a))
    k = -4 * x[1:-1, 1:-1] + x[:-2, 1:-1] + x[2:, 1:-1] + x[1:-1, :-2] + x[1:-1, 2:]
    return float(np.var(k))


def corner_ratio(src: np.ndarray, out: np.ndarray) -> tuple[float, float]:
    """The evaluator's vignette figures: corner light vs a linear fit on the central disk; centre ratio."""
    i, o = lum(to_uint8(src)), lum(to_uint8(out))
    h, w = i.shape
    yy, xx = np.mgrid[0:h, 0:w]
    rad = np.hypot((xx - w / 2) / (w / 2), (yy - h / 2) / (h / 2)) / math.sqrt(2)
    core = rad < 0.3
    slope, icpt = np.polyfit(i[core], o[core], 1)
    k = max(4, min(h, w) // 10)
    m = np.zeros((h, w), bool)
    m[:k, :k] = m[:k, -k:] = m[-k:, :k] = m[-k:, -k:] = True
    cr = o[m].mean() / max((slope * i[m] + icpt).clip(0, 255).mean(), 1e-6)
    c = np.zeros((h, w), bool)
    c[int(h * .4): int(h * .6), int(w * .4): int(w * .6)] = True
    return float(cr), float(o[c].mean() / i[c].mean())


# --------------------------------------------------------------------------- pixel ops: strips, alpha


@pytest.mark.parametrize(("name", "params"), [("vignette", {"amount": 0.6}), ("vignette", {"amount": -0.4}),
                                              ("grain", {"amount": 0.5, "seed": 7})])
def test_position_dependent_ops_stitch_from_strips(img: np.ndarray, name: str, params: dict) -> None:
    h, w = img.shape[:2]
    whole = run(name, img, **params)
    cuts = [0, 31, 32, 97, h]       # includes a one-row strip and a strip crossing grain blocks
    parts = [OPS[name].fn(np.ascontiguousarray(img[a:b]), OpContext(Frame(a, h, w)), **params)
             for a, b in itertools.pairwise(cuts)]
    assert np.abs(np.vstack(parts) - whole).max() < 1e-5


@pytest.mark.parametrize("name", ["vignette", "grain"])
def test_wide_strips_with_inner_chunks_stitch(name: str) -> None:
    wide = synth_photo(200, 1024, seed=4)
    whole = run(name, wide)
    cuts = [(0, 5), (5, 133), (133, 200)]
    parts = [OPS[name].fn(wide[a:b], OpContext(Frame(a, 200, 1024))) for a, b in cuts]
    assert np.abs(np.vstack(parts) - whole).max() < 1e-5


@pytest.mark.parametrize("name", ["vignette", "grain"])
def test_pixel_effects_keep_alpha(img: np.ndarray, name: str) -> None:
    alpha = np.tile(np.linspace(0, 1, img.shape[1], dtype=np.float32), (img.shape[0], 1))
    out = run(name, np.dstack([img, alpha]))
    assert out.shape[2] == 4 and np.array_equal(out[..., 3], alpha)
    assert np.abs(out[..., :3] - run(name, img)).max() < 1e-6


# --------------------------------------------------------------------------- vignette


@pytest.mark.parametrize(("amount", "lo", "hi"), [(0.3, 0.68, 0.78), (0.5, 0.5, 0.6), (0.8, 0.2, 0.36)])
def test_vignette_corners_follow_amount(img: np.ndarray, amount: float, lo: float, hi: float) -> None:
    cr, centre = corner_ratio(img, run("vignette", img, amount=amount))
    assert lo <= cr <= hi
    assert abs(centre - 1) <= 0.03


@pytest.mark.parametrize("shape", [(120, 360), (360, 120)])
def test_vignette_works_on_any_aspect(shape: tuple[int, int]) -> None:
    flat = np.full((*shape, 3), 0.6, np.float32)
    out = run("vignette", flat, amount=0.5)
    assert abs(out[0, 0, 0] / 0.6 - 0.5) < 0.02 and abs(out[-1, -1, 0] / 0.6 - 0.5) < 0.02
    assert out[shape[0] // 2, shape[1] // 2, 0] == pytest.approx(0.6)
    # smooth: no step anywhere along the diagonal
    t = np.linspace(0, 1, 400)
    diag = out[(t * (shape[0] - 1)).astype(int), (t * (shape[1] - 1)).astype(int), 0]
    assert np.abs(np.diff(diag)).max() < 0.01


def test_negative_vignette_lightens_corners_toward_white(img: np.ndarray) -> None:
    out = run("vignette", img, amount=-0.5)
    assert out[0, 0].min() > img[0, 0].min()
    assert np.allclose(out[0, 0], 1 - (1 - img[0, 0]) * 0.5, atol=0.02)
    assert np.abs(out[80:100, 125:145] - img[80:100, 125:145]).max() < 1e-6


# --------------------------------------------------------------------------- grain


def test_grain_is_seeded_luminance_weighted_and_scaled(img: np.ndarray) -> None:
    a, b, c = run("grain", img, seed=1), run("grain", img, seed=1), run("grain", img, seed=2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    gray = np.full((200, 200, 3), 0.5, np.float32)
    light = run("grain", gray, amount=0.3)[..., 0] - 0.5
    heavy = run("grain", gray, amount=0.9)[..., 0] - 0.5
    assert abs(light.mean()) < 0.003
    assert 0.025 < light.std() < 0.035 and heavy.std() > 2.5 * light.std()
    dark = run("grain", np.full((200, 200, 3), 0.05, np.float32), amount=0.3)[..., 0] - 0.05
    assert dark.std() < 0.6 * light.std()            # grain is strongest in the midtones
    assert np.array_equal(light, run("grain", gray, amount=0.3)[..., 1] - 0.5)   # monochrome


# --------------------------------------------------------------------------- sharpen / blur / denoise


def test_sharpen_raises_laplacian_variance(img: np.ndarray) -> None:
    assert lap_var(run("sharpen", img)) / lap_var(img) >= 1.5
    assert lap_var(run("sharpen", img, amount=1.5)) > lap_var(run("sharpen", img, amount=0.6))


def test_blur_lowers_laplacian_variance(img: np.ndarray) -> None:
    assert lap_var(run("blur", img)) / lap_var(img) <= 0.4
    soft = run("blur", img, amount=0.2)
    assert lap_var(run("blur", img)) < lap_var(soft) < lap_var(img)
    assert abs(soft.mean() - img.mean()) < 0.005


def test_large_blur_takes_fast_path_and_stays_smooth() -> None:
    big = synth_photo(600, 900)
    out = run("blur", big, amount=2.0)              # σ ≈ 8.6 px: downscaled path
    ref = detail.cv2.GaussianBlur(big, (0, 0), 2.0 * 0.004 * math.hypot(600, 900))
    assert np.abs(out - ref)[50:-50, 50:-50].mean() < 0.01


@pytest.mark.parametrize("quality", ["medium", "high"])
def test_denoise_removes_noise_keeps_edge(quality: str) -> None:
    rng = np.random.default_rng(3)
    clean = np.full((160, 160, 3), 0.35, np.float32)
    clean[:, 80:] = 0.75
    noisy = np.clip(clean + rng.normal(0, 0.04, clean.shape), 0, 1).astype(np.float32)
    out = run("denoise", noisy, quality=quality)
    flat = np.s_[:, 10:70]
    assert (out - clean)[flat].std() <= 0.6 * (noisy - clean)[flat].std()
    # the edge stays a step: left and right of it within a couple of pixels are still far apart
    assert out[:, 77, 0].mean() < 0.45 and out[:, 82, 0].mean() > 0.65


def test_pixelate_makes_uniform_blocks(img: np.ndarray) -> None:
    out = run("pixelate", img, amount=0.5)          # block = 0.5 × 270 / 24 ≈ 6 px
    b = 6
    block = out[b: 2 * b, b: 2 * b]
    assert np.ptp(block.reshape(-1, 3), axis=0).max() < 1e-6
    assert np.allclose(block[0, 0], img[b: 2 * b, b: 2 * b].reshape(-1, 3).mean(0), atol=1e-5)
    assert out.shape == img.shape


# --------------------------------------------------------------------------- rotate / flip


@pytest.mark.parametrize(("degrees", "k"), [(90, 1), (-90, 3), (180, 2), (270, 3), (-270, 1), (360, 0)])
def test_right_angle_rotations_are_exact(img: np.ndarray, degrees: int, k: int) -> None:
    out = run("rotate", img, degrees=degrees)
    assert np.array_equal(out, np.rot90(img, k)) and out.flags.c_contiguous


def test_rotate_plus_90_is_counterclockwise() -> None:
    a = np.zeros((2, 3, 3), np.float32)
    a[0, -1] = 1                                     # top-right pixel
    assert run("rotate", a, degrees=90)[0, 0, 0] == 1   # goes to the top-left


def test_free_rotation_expands_canvas_transparent(img: np.ndarray) -> None:
    out = run("rotate", img, degrees=30)
    h, w = img.shape[:2]
    c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
    assert abs(out.shape[1] - (w * c + h * s)) <= 2 and abs(out.shape[0] - (w * s + h * c)) <= 2
    assert out.shape[2] == 4 and out[0, 0, 3] == 0 and out[out.shape[0] // 2, out.shape[1] // 2, 3] > 0.99
    cy, cx = out.shape[0] // 2, out.shape[1] // 2
    centre = out[cy - 5: cy + 5, cx - 5: cx + 5, :3].mean((0, 1))
    assert np.abs(centre - img[h // 2 - 5: h // 2 + 5, w // 2 - 5: w // 2 + 5].mean((0, 1))).max() < 0.05


def test_free_rotation_with_fill_colour(img: np.ndarray) -> None:
    out = run("rotate", img, degrees=-15, fill=[255, 255, 255])
    assert out.shape[2] == 3 and np.allclose(out[0, 0], 1.0)
    # positive angles turn counter-clockwise: the top-left corner of the source moves down
    marked = img.copy()
    marked[:8, :8] = (0, 1, 0)
    ccw = run("rotate", marked, degrees=20, fill=[0, 0, 0])
    ys, xs = np.nonzero(ccw[..., 1] - ccw[..., 0] > 0.8)
    assert ys.mean() > ccw.shape[0] * 0.25 and xs.mean() < ccw.shape[1] * 0.25


def test_flips_are_exact(img: np.ndarray) -> None:
    assert np.array_equal(run("flip", img, axis="horizontal"), img[:, ::-1])
    assert np.array_equal(run("flip", img, axis="vertical"), img[::-1])
    with pytest.raises(OptionError):
        run("flip", img, axis="sideways")


# --------------------------------------------------------------------------- crops


@pytest.mark.parametrize(("ratio", "expect"), [([1, 1], (180, 180)), ([16, 9], (270, 152)),
                                               ("9:16", (101, 180)), ([3, 2], (270, 180))])
def test_crop_aspect_is_largest_crop(img: np.ndarray, ratio: object, expect: tuple[int, int]) -> None:
    out = run("crop_aspect", img, ratio=ratio, anchor="center")
    assert (out.shape[1], out.shape[0]) == expect


def test_crop_aspect_anchors(img: np.ndarray) -> None:
    assert np.array_equal(run("crop_aspect", img, ratio=[1, 1], anchor="left"), img[:, :180])
    assert np.array_equal(run("crop_aspect", img, ratio=[1, 1], anchor="right"), img[:, -180:])
    assert np.array_equal(run("crop_aspect", img, ratio=[1, 1], anchor="center"), img[:, 45:225])


def test_crop_aspect_follows_subject(img: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("retouch.vision.subject")
    fake.subject_center = lambda rgb: (0.9, 0.5)   # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "retouch.vision.subject", fake)
    assert np.array_equal(run("crop_aspect", img, ratio=[1, 1], anchor="subject"), img[:, -180:])
    fake.subject_center = lambda rgb: None         # type: ignore[attr-defined]
    assert np.array_equal(run("crop_aspect", img, ratio=[1, 1], anchor="subject"), img[:, 45:225])


def test_crop_box_fractions(img: np.ndarray) -> None:
    out = run("crop_box", img, box=[0.1, 0.2, 0.6, 0.9])
    assert np.array_equal(out, img[36:162, 27:162])
    with pytest.raises(OptionError):
        run("crop_box", img, box=[0.5, 0.5, 0.5, 0.9])


# --------------------------------------------------------------------------- resize


def test_resize_exact_one_side_and_scale(img: np.ndarray) -> None:
    assert run("resize", img, width=300, height=200).shape == (200, 300, 3)
    assert run("resize", img, width=135).shape == (90, 135, 3)
    assert run("resize", img, height=360).shape == (360, 540, 3)
    assert run("resize", img, scale=0.5).shape == (90, 135, 3)
    down = run("resize", img, scale=0.5)
    assert abs(down.mean() - img.mean()) < 0.003 and down.min() >= 0 and down.max() <= 1
    up = run("resize", img, scale=2.0, quality="high")
    assert up.shape == (360, 540, 3) and up.min() >= 0 and up.max() <= 1


def test_resize_cover_and_contain(img: np.ndarray) -> None:
    cover = run("resize", img, width=100, height=100, fit="cover")
    assert cover.shape == (100, 100, 3)
    assert np.abs(cover - run("resize", img[:, 45:225], width=100, height=100)).max() < 1e-6
    assert run("resize", img, width=100, height=100, fit="contain").shape == (67, 100, 3)


@pytest.mark.parametrize("params", [{"width": 0, "height": 10}, {"width": 20000}, {"scale": 1000.0},
                                    {"scale": -1.0}, {}, {"width": 10, "height": 10, "fit": "squash"}])
def test_resize_rejects_absurd_sizes(img: np.ndarray, params: dict) -> None:
    with pytest.raises(OptionError):
        run("resize", img, **params)


# --------------------------------------------------------------------------- extend canvas


def test_extend_canvas_pixels_and_colour(img: np.ndarray) -> None:
    out = run("extend_canvas", img, top=10, bottom=5, left=3, right=0, color=[255, 0, 0])
    assert out.shape == (195, 273, 3)
    assert np.array_equal(out[10:-5, 3:], img)
    assert np.allclose(out[0, 0], (1, 0, 0)) and np.allclose(out[-1, 5], (1, 0, 0))


def test_extend_canvas_to_ratio_transparent(img: np.ndarray) -> None:
    out = run("extend_canvas", img, ratio=[1, 1], color="transparent")
    assert out.shape == (270, 270, 4)
    assert np.array_equal(out[45:225, :, :3], img) and np.all(out[45:225, :, 3] == 1)
    assert np.all(out[:45, :, 3] == 0) and np.all(out[225:, :, 3] == 0)


def test_extend_canvas_edge_replicates(img: np.ndarray) -> None:
    out = run("extend_canvas", img, left=4, right=4, color="edge")
    assert out.shape == (180, 278, 3)
    assert np.array_equal(out[:, 0], img[:, 0]) and np.array_equal(out[:, -1], img[:, -1])
