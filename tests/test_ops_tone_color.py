"""Tone and colour ops: measured pixel behaviour, strip equivalence, alpha passthrough."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from retouch.errors import OptionError
from retouch.imaging.convert import to_float, to_uint8
from retouch.ops import color, tone  # importing registers the ops
from retouch.ops.registry import OPS, Frame, OpContext

PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "photos"


# --------------------------------------------------------------------------- fixtures and measures


def synth_photo(h: int = 192, w: int = 288, seed: int = 0) -> np.ndarray:
    """A deterministic photo-like float32 image: sky, ground, coloured objects, skin, texture, highlights."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    fy, fx = yy / h, xx / w
    top, horizon = np.array([0.42, 0.6, 0.9]), np.array([0.85, 0.9, 0.97])
    near, far = np.array([0.36, 0.46, 0.2]), np.array([0.16, 0.2, 0.08])
    sky = top + (horizon - top) * (fy / 0.5)[..., None]
    ground = near + (far - near) * ((fy - 0.5) / 0.5)[..., None]
    img = np.where((fy < 0.5)[..., None], sky, ground)
    disc = (fx - 0.25) ** 2 + ((fy - 0.65) * h / w) ** 2 < 0.012
    img[disc] = [0.8, 0.12, 0.1]
    img[(fx > 0.55) & (fx < 0.75) & (fy > 0.6) & (fy < 0.85)] = [0.12, 0.22, 0.7]
    skin = ((fx - 0.85) / 0.08) ** 2 + ((fy - 0.3) / 0.15) ** 2 < 1
    img[skin] = [0.87, 0.66, 0.54]
    img[(fx > 0.05) & (fx < 0.15) & (fy > 0.05) & (fy < 0.15)] = [0.98, 0.97, 0.95]   # highlight
    img[(fx > 0.4) & (fx < 0.5) & (fy > 0.88)] = [0.03, 0.03, 0.04]                    # shadow
    small = rng.normal(0, 1, (h // 8, w // 8, 1)).astype(np.float32)
    texture = np.asarray(Image.fromarray(small[..., 0]).resize((w, h), Image.BICUBIC))[..., None]
    img = img * (1 + 0.08 * texture) + rng.normal(0, 0.015, (h, w, 1))
    return np.clip(img, 0, 1).astype(np.float32)


@pytest.fixture(scope="module")
def img() -> np.ndarray:
    return synth_photo()


def ctx_for(a: np.ndarray, refs: list[np.ndarray] | None = None) -> OpContext:
    return OpContext(Frame(0, a.shape[0], a.shape[1]), refs=refs or [a])


def run(op_name: str, a: np.ndarray, /, refs: list[np.ndarray] | None = None, **params: object) -> np.ndarray:
    """Run an op as the executor does: prepare on the whole image, then the op."""
    op = OPS[op_name]
    ctx = ctx_for(a, refs)
    if op.prepare:
        params = op.prepare(a, ctx, **params)
    out = op.fn(a, ctx, **params)
    assert out.dtype == np.float32 and out.shape[:2] == a.shape[:2]
    return out


def lum(a: np.ndarray) -> np.ndarray:
    """Rec.709 luma of a uint8 image, as the evaluator measures it."""
    a = a[..., :3].astype(np.float32)
    return 0.2126 * a[..., 0] + 0.7152 * a[..., 1] + 0.0722 * a[..., 2]


def sat(a: np.ndarray) -> np.ndarray:
    a = a[..., :3].astype(np.float32)
    mx, mn = a.max(-1), a.min(-1)
    return np.where(mx > 0, (mx - mn) / np.maximum(mx, 1e-6), 0)


def hue(a: np.ndarray) -> np.ndarray:
    r, g, b = (a[..., i].astype(np.float32) for i in range(3))
    return (np.degrees(np.arctan2(math.sqrt(3) * (g - b), 2 * r - g - b)) + 360) % 360


def warmth(a: np.ndarray) -> float:
    return float((a[..., 0].astype(float) - a[..., 2]).mean())


def u8(a: np.ndarray) -> np.ndarray:
    return to_uint8(a)


# ------------------------------------------------------------------------ contracts shared by all pixel ops

PIXEL_CASES = {
    "brightness": {"amount": 0.3},
    "exposure": {"stops": 0.7},
    "contrast": {"amount": 0.4},
    "gamma": {"gamma": 1.4},
    "highlights": {"amount": -0.5},
    "shadows": {"amount": 0.5},
    "saturation": {"amount": 0.4},
    "vibrance": {"amount": 0.5},
    "hue_shift": {"degrees": 40, "band": "red"},
    "temperature": {"amount": 0.3},
    "tint": {"amount": -0.3},
    "grayscale": {},
    "sepia": {},
    "colorize": {"color": [30, 80, 160]},
    "look": {"name": "teal_orange"},
    "invert": {},
}


@pytest.mark.parametrize("name", sorted(PIXEL_CASES))
def test_strips_equal_whole_image(img: np.ndarray, name: str) -> None:
    op = OPS[name]
    h, w = img.shape[:2]
    params = dict(PIXEL_CASES[name])
    if op.prepare:
        params = op.prepare(img, ctx_for(img), **params)
    whole = op.fn(img, ctx_for(img), **params)
    cuts = [0, 50, 121, h]
    parts = [op.fn(np.ascontiguousarray(img[a:b]), OpContext(Frame(a, h, w)), **params)
             for a, b in itertools.pairwise(cuts)]
    assert np.abs(np.vstack(parts) - whole).max() < 1e-5


@pytest.mark.parametrize("name", ["contrast", "saturation", "look", "colorize"])
def test_cache_chunks_inside_strips_are_seamless(name: str) -> None:
    """A wide image is processed in row chunks inside each call: still equal to any strip split."""
    wide = synth_photo(200, 1024, seed=2)
    assert 2 * tone.chunk_rows(1024) < 200
    op = OPS[name]
    params = dict(PIXEL_CASES[name])
    if op.prepare:
        params = op.prepare(wide, ctx_for(wide), **params)
    whole = op.fn(wide, ctx_for(wide), **params)
    cuts = [(0, 7), (7, 150), (150, 200)]
    parts = [op.fn(wide[a:b], OpContext(Frame(a, 200, 1024)), **params) for a, b in cuts]
    assert np.abs(np.vstack(parts) - whole).max() < 1e-5


@pytest.mark.parametrize("name", sorted(PIXEL_CASES))
def test_alpha_passes_through(img: np.ndarray, name: str) -> None:
    alpha = np.linspace(0, 1, img.shape[0] * img.shape[1], dtype=np.float32).reshape(img.shape[:2])
    rgba = np.dstack([img, alpha])
    out = run(name, rgba, **PIXEL_CASES[name])
    assert out.shape == rgba.shape
    assert np.array_equal(out[..., 3], alpha)
    assert np.abs(out[..., :3] - run(name, img, **PIXEL_CASES[name])).max() < 1e-5
    assert out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize("name", sorted(PIXEL_CASES))
def test_input_not_modified_and_defaults_work(img: np.ndarray, name: str) -> None:
    before = img.copy()
    out = OPS[name].fn(img, ctx_for(img))   # catalogue defaults, no prepare
    assert np.array_equal(img, before)
    assert out.shape == img.shape and out.dtype == np.float32


# --------------------------------------------------------------------------- tone


@pytest.mark.parametrize(("amount", "lo", "hi"), [(-0.2, 0.78, 0.82), (0.25, 1.22, 1.28), (0.5, 1.45, 1.55)])
def test_brightness_scales_mean_luma(img: np.ndarray, amount: float, lo: float, hi: float) -> None:
    src, out = u8(img), u8(run("brightness", img, amount=amount))
    assert lo <= lum(out).mean() / lum(src).mean() <= hi


def test_brightness_protects_highlights(img: np.ndarray) -> None:
    src, out = u8(img), u8(run("brightness", img, amount=0.25))
    # a plain ×1.25 would clip every channel value above 204
    naive_clipped = (src > 204).mean()
    assert (out == 255).mean() < 0.35 * naive_clipped
    assert lum(out)[src.max(-1) > 240].mean() >= lum(src)[src.max(-1) > 240].mean() - 1   # never darker


@pytest.mark.parametrize(("amount", "lo", "hi"), [(-0.15, 0.83, 0.87), (0.2, 1.17, 1.23), (0.4, 1.35, 1.45)])
def test_contrast_scales_luma_std(img: np.ndarray, amount: float, lo: float, hi: float) -> None:
    src, out = u8(img), u8(run("contrast", img, amount=amount))
    assert lo <= lum(out).std() / lum(src).std() <= hi
    assert abs(lum(out).mean() / lum(src).mean() - 1) < 0.05     # pivot at the mean


def test_contrast_pivot_comes_from_prepare(img: np.ndarray) -> None:
    p = OPS["contrast"].prepare(img, ctx_for(img), amount=0.3)
    assert abs(p["pivot"] - lum(img * 255).mean() / 255) < 0.01
    assert p["gain"] >= 1.3


def test_exposure_one_stop_brightens_dark_tones_by_gain(img: np.ndarray) -> None:
    out = run("exposure", img, stops=1.0)
    dark = img.max(-1) < 0.3
    assert np.allclose(out[dark], img[dark] * 2 ** (1 / 2.2), atol=1e-5)
    assert np.allclose(run("exposure", img, stops=-1.0), img * 2 ** (-1 / 2.2), atol=1e-5)


def test_gamma_brightens_midtones_keeps_ends() -> None:
    ramp = np.linspace(0, 1, 256, dtype=np.float32)[None, :, None].repeat(3, 2).repeat(4, 0)
    out = run("gamma", ramp, gamma=2.0)
    assert out[0, 0, 0] == 0 and abs(out[0, -1, 0] - 1) < 1e-6
    assert abs(out[0, 64, 0] - (64 / 255) ** 0.5) < 1e-5


def test_shadows_lift_dark_tones_only(img: np.ndarray) -> None:
    out = run("shadows", img, amount=0.5)
    li, lo = lum(img * 255), lum(out * 255)
    assert (lo[li < 50] / np.maximum(li[li < 50], 1e-3)).mean() > 1.3
    assert np.abs(lo[li > 170] - li[li > 170]).max() < 0.5
    deep = run("shadows", img, amount=-0.5)
    assert lum(deep * 255)[li < 50].mean() < 0.8 * li[li < 50].mean()


def test_highlights_recover_bright_tones_only(img: np.ndarray) -> None:
    out = run("highlights", img, amount=-0.6)
    li, lo = lum(img * 255), lum(out * 255)
    assert lo[li > 230].mean() < li[li > 230].mean() - 20
    assert np.abs(lo[li < 100] - li[li < 100]).max() < 0.5
    up = run("highlights", img, amount=0.6)
    mid = (li > 150) & (li < 220)
    assert lum(up * 255)[mid].mean() > li[mid].mean() + 5 and up.max() <= 1


def test_auto_levels_stretches_to_full_range() -> None:
    dull = synth_photo() * 0.5 + 0.2
    out = run("auto_levels", dull)
    for c in range(3):
        lo, hi = np.percentile(out[..., c], [0.5, 99.5])
        assert lo < 0.02 and hi > 0.98


# --------------------------------------------------------------------------- colour


@pytest.mark.parametrize(("amount", "lo", "hi"), [(-0.5, 0.47, 0.53), (0.3, 1.26, 1.34), (-1.0, 0.0, 0.01)])
def test_saturation_scales_mean_saturation(img: np.ndarray, amount: float, lo: float, hi: float) -> None:
    src, out = u8(img), u8(run("saturation", img, amount=amount))
    assert lo <= sat(out).mean() / sat(src).mean() <= hi
    assert abs(lum(out).mean() / lum(src).mean() - 1) < 0.02      # luma kept


def test_saturation_band_is_selective(img: np.ndarray) -> None:
    src, out = u8(img), u8(run("saturation", img, amount=0.6, band="blue"))
    h, s = hue(src), sat(src)
    blues = (h > 200) & (h < 260) & (s > 0.15)
    reds = ((h < 20) | (h > 340)) & (s > 0.15)
    assert blues.sum() > 500 and reds.sum() > 500
    assert sat(out)[blues].mean() / s[blues].mean() > 1.2
    assert abs(sat(out)[reds].mean() / s[reds].mean() - 1) < 0.02
    with pytest.raises(OptionError):
        run("saturation", img, amount=0.3, band="plaid")


def test_saturation_except_band_keeps_that_band(img: np.ndarray) -> None:
    """A colour splash: amount -1 with except_band red greys everything but the reds."""
    src, out = u8(img), u8(run("saturation", img, amount=-1.0, except_band="red"))
    h, s = hue(src), sat(src)
    reds = ((h < 10) | (h > 350)) & (s > 0.15)
    blues = (h > 200) & (h < 260) & (s > 0.15)
    greens = (h > 90) & (h < 150) & (s > 0.15)
    assert reds.sum() > 500 and blues.sum() > 500
    assert abs(sat(out)[reds].mean() / s[reds].mean() - 1) < 0.05  # reds keep their saturation
    assert sat(out)[blues].mean() < 0.03  # others go to (near) zero chroma
    if greens.sum() > 100:
        assert sat(out)[greens].mean() < 0.03
    assert abs(lum(out).mean() / lum(src).mean() - 1) < 0.03  # luma kept
    with pytest.raises(OptionError):
        run("saturation", img, amount=-1.0, except_band="plaid")


def test_skin_band_targets_skin(img: np.ndarray) -> None:
    w = color.band_weight(img, "skin")
    h, w_img = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w_img]
    skin = ((xx / w_img - 0.85) / 0.06) ** 2 + ((yy / h - 0.3) / 0.12) ** 2 < 1
    assert w[skin].mean() > 0.6
    assert w[~skin].mean() < 0.1


def test_vibrance_favours_muted_colours(img: np.ndarray) -> None:
    src, out = u8(img), u8(run("vibrance", img, amount=0.6))
    s = sat(src)
    muted, vivid = (s > 0.1) & (s < 0.3), s > 0.7
    gain = sat(out) / np.maximum(s, 1e-3)
    assert gain[muted].mean() > gain[vivid].mean() + 0.1
    assert gain[muted].mean() > 1.15


def test_hue_shift_rotates_hue_keeps_luma() -> None:
    red = np.full((8, 8, 3), [0.7, 0.2, 0.2], np.float32)
    out = u8(run("hue_shift", red, degrees=30))
    assert abs(hue(out).mean() - 30) < 2
    assert abs(lum(out).mean() - lum(u8(red)).mean()) < 1.0
    back = run("hue_shift", run("hue_shift", red, degrees=25), degrees=-25)   # in gamut: invertible
    assert np.abs(back - red).max() < 1e-4


@pytest.mark.parametrize("amount", [0.3, -0.3])
def test_temperature_shifts_warmth_keeps_luma(img: np.ndarray, amount: float) -> None:
    src, out = u8(img), u8(run("temperature", img, amount=amount))
    shift = warmth(out) - warmth(src)
    assert shift * np.sign(amount) >= 8
    assert abs(lum(out).mean() / lum(src).mean() - 1) < 0.05


def test_temperature_symmetric(img: np.ndarray) -> None:
    src = u8(img)
    up = warmth(u8(run("temperature", img, amount=0.3))) - warmth(src)
    down = warmth(u8(run("temperature", img, amount=-0.3))) - warmth(src)
    assert abs(up + down) < 0.35 * up     # equal and opposite gains; clipping of the bright sky differs


def test_tint_moves_green_magenta(img: np.ndarray) -> None:
    def magenta(a: np.ndarray) -> float:
        return float(((a[..., 0] + a[..., 2]) / 2 - a[..., 1]).mean())
    assert magenta(run("tint", img, amount=0.4)) > magenta(img) + 0.02
    assert magenta(run("tint", img, amount=-0.4)) < magenta(img) - 0.02


def test_grayscale_has_no_chroma(img: np.ndarray) -> None:
    out = u8(run("grayscale", img))
    assert (out.max(-1).astype(int) - out.min(-1)).max() == 0
    assert abs(lum(out).mean() - lum(u8(img)).mean()) < 1.0
    half = u8(run("grayscale", img, amount=0.5))
    assert 0.4 < sat(half).mean() / sat(u8(img)).mean() < 0.65


def test_sepia_is_toned_monochrome(img: np.ndarray) -> None:
    """The evaluator's sepia check: warm hue, moderate saturation, colour a function of brightness."""
    src, out = u8(img), u8(run("sepia", img))
    hh, ss = hue(out), sat(out)
    assert 0.06 <= ss.mean() <= 0.6
    assert 15 <= np.median(hh[ss > 0.05]) <= 60
    assert np.corrcoef(lum(out).ravel(), lum(src).ravel())[0, 1] > 0.9
    lo, rb = lum(out).ravel(), (out[..., 0].astype(float) - out[..., 2]).ravel()
    bins = np.clip((lo / 8).astype(int), 0, 31)
    means = np.bincount(bins, rb, 32) / np.maximum(np.bincount(bins, minlength=32), 1)
    assert np.mean((rb - means[bins]) ** 2) <= 9


def test_colorize_keeps_luma_and_takes_the_hue(img: np.ndarray) -> None:
    out = u8(run("colorize", img, color=[40, 90, 200]))
    assert np.abs(lum(out) - lum(u8(img))).mean() < 1.5
    tinted = sat(out) > 0.1
    target = hue(np.array([[[40, 90, 200]]], np.uint8))[0, 0]
    assert abs(np.median(hue(out)[tinted]) - target) < 5


def test_looks_are_distinct_and_sensible(img: np.ndarray) -> None:
    outs = {name: run("look", img, name=name) for name in color.LOOKS}
    names = list(outs)
    for i, a in enumerate(names):
        assert np.abs(outs[a] - img).mean() > 0.02, a
        for b in names[i + 1:]:
            assert np.abs(outs[a] - outs[b]).mean() > 0.01, (a, b)
    assert (u8(outs["noir"]).max(-1).astype(int) - u8(outs["noir"]).min(-1)).max() <= 1
    assert lum(u8(outs["noir"])).std() > lum(u8(img)).std()
    assert warmth(u8(outs["golden_hour"])) > warmth(u8(img)) + 8
    assert u8(outs["faded"]).min() >= 20 and u8(outs["matte"]).min() >= 15      # lifted blacks
    assert np.abs(run("look", img, name="vintage", amount=0.0) - img).max() < 1e-5
    with pytest.raises(OptionError):
        run("look", img, name="disco")


def test_invert_twice_is_identity(img: np.ndarray) -> None:
    once = run("invert", img)
    assert np.allclose(once, 1 - img, atol=1e-6)
    assert np.allclose(run("invert", once), img, atol=1e-6)


def _lab_stats(a: np.ndarray) -> np.ndarray:
    lab = np.asarray(Image.fromarray(a[..., :3]).convert("LAB"), np.float32).reshape(-1, 3)
    return np.concatenate([lab.mean(0), lab[:, :1].std(0)])


@pytest.mark.parametrize("amount", [1.0, 0.5])
def test_match_color_moves_lab_stats_to_reference(img: np.ndarray, amount: float) -> None:
    ref = np.clip(synth_photo(160, 240, seed=5)[..., ::-1] * [1.0, 0.8, 0.6] + 0.1, 0, 1).astype(np.float32)
    out = u8(run("match_color", img, refs=[img, ref], ref=1, amount=amount))
    target = _lab_stats(u8(ref))
    before = np.linalg.norm(_lab_stats(u8(img)) - target)
    cut = 1 - np.linalg.norm(_lab_stats(out) - target) / before
    if amount == 1.0:
        assert cut >= 0.8
    else:   # half way in Lab: a clear move toward the reference, short of a full match
        assert 0.15 <= cut <= 0.8
    with pytest.raises(OptionError):
        run("match_color", img, refs=[img], ref=1)


# --------------------------------------------------------------------------- the evaluator's photos


@pytest.mark.skipif(not PHOTOS.is_dir(), reason="evaluation photos not available")
@pytest.mark.parametrize("photo", ["chelsea", "coffee", "motorcycle_left"])
def test_amounts_true_on_real_photos(photo: str) -> None:
    path = PHOTOS / f"{photo}.png"
    if not path.is_file():
        pytest.skip(f"{path} missing")
    src = np.asarray(Image.open(path).convert("RGB"))
    f = to_float(src)
    assert 1.2 <= lum(u8(run("brightness", f, amount=0.25))).mean() / lum(src).mean() <= 1.3
    assert 0.78 <= lum(u8(run("brightness", f, amount=-0.2))).mean() / lum(src).mean() <= 0.82
    assert 1.3 <= lum(u8(run("contrast", f, amount=0.4))).std() / lum(src).std() <= 1.5
    assert 0.82 <= lum(u8(run("contrast", f, amount=-0.15))).std() / lum(src).std() <= 0.88
    assert 1.2 <= sat(u8(run("saturation", f, amount=0.3))).mean() / sat(src).mean() <= 1.35
    assert 0.45 <= sat(u8(run("saturation", f, amount=-0.5))).mean() / sat(src).mean() <= 0.55
    warm = u8(run("temperature", f, amount=0.3))
    assert warmth(warm) - warmth(src) >= 8 and abs(lum(warm).mean() / lum(src).mean() - 1) <= 0.05
    assert warmth(u8(run("temperature", f, amount=-0.3))) - warmth(src) <= -8
