"""White balance and replace_color: measured casts and hues, strips and masks through the executor."""

from __future__ import annotations

import numpy as np
import pytest

from retouch.engines import builtin
from retouch.errors import OptionError
from retouch.imaging.convert import to_float, to_uint8
from retouch.ops import balance, color  # noqa: F401  (registers the ops)
from retouch.ops.balance import to_linear
from retouch.ops.registry import OPS, Frame, OpContext
from retouch.schema import EditPlan, PlanStep

from .conftest import photo_array


def run(name: str, a: np.ndarray, /, **params: object) -> np.ndarray:
    """Prepare on the whole image, then run, as the executor does on one strip."""
    op = OPS[name]
    ctx = OpContext(Frame(0, a.shape[0], a.shape[1]), refs=[a])
    if op.prepare:
        params = op.prepare(a, ctx, **params)
    out = op.fn(a, ctx, **params)
    assert out.dtype == np.float32 and out.shape == a.shape
    return out


def to_srgb(lin: np.ndarray) -> np.ndarray:
    c = np.clip(lin, 0.0, 1.0)
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * np.power(c, 1 / 2.4) - 0.055).astype(np.float32)


def with_cast(img: np.ndarray, gains: tuple[float, float, float]) -> np.ndarray:
    """The image as a camera with the wrong white balance would record it (gains in linear light)."""
    return to_srgb(to_linear(img) * np.asarray(gains, np.float32))


def neutral_scene(h: int = 160, w: int = 240, seed: int = 0) -> np.ndarray:
    """Grey surfaces of many tones with shading, edges and texture: every statistic says neutral."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    tone = 0.25 + 0.5 * (xx / w) * (0.6 + 0.4 * np.sin(yy / 13.0))
    tone[(xx // 40 + yy // 40) % 2 == 0] *= 0.6
    tone = tone + rng.normal(0, 0.02, tone.shape)
    return np.repeat(np.clip(tone, 0.02, 0.95)[..., None], 3, 2).astype(np.float32)


def chroma_spread(a: np.ndarray) -> float:
    """Largest difference between the mean R, G and B levels (0..255): 0 for gray-world neutral."""
    m = to_uint8(a).reshape(-1, 3).mean(0)
    return float(m.max() - m.min())


# --------------------------------------------------------------------------- white balance

TUNGSTEN = (1.35, 1.0, 0.62)
CASTS = [TUNGSTEN, (0.8, 1.0, 1.3), (0.88, 1.15, 0.9), (1.15, 0.85, 1.1)]


@pytest.mark.parametrize("gains", CASTS)
def test_white_balance_brings_a_cast_back_to_neutral(gains: tuple[float, float, float]) -> None:
    scene = neutral_scene()
    cast = with_cast(scene, gains)
    assert chroma_spread(cast) > 8
    out = run("white_balance", cast)
    assert chroma_spread(out) < 2.0


def test_white_balance_keeps_mean_luminance() -> None:
    cast = with_cast(neutral_scene(), TUNGSTEN)
    lum = lambda a: float((a.reshape(-1, 3) @ [0.2126, 0.7152, 0.0722]).mean())  # noqa: E731
    assert abs(lum(run("white_balance", cast)) / lum(cast) - 1) < 0.03


def test_white_balance_of_a_cast_photo_matches_the_balanced_original() -> None:
    """Cast invariance on a photo-like image: the answer hardly depends on the cast.

    (Luminance is the cast image's, which the cast changed: compared at the same mean level.)
    """
    img = to_float(photo_array(240, 180, seed=2))  # strongly coloured: mild casts stay within MAX_CAST_RATIO
    ref = run("white_balance", img)
    for gains in [(1.2, 1.0, 0.8), (0.85, 1.0, 1.2), (0.95, 1.1, 0.95)]:
        out = run("white_balance", with_cast(img, gains))
        out = np.clip(out * (ref.mean() / out.mean()), 0, 1)
        assert np.abs(to_uint8(out).astype(int) - to_uint8(ref)).mean() < 2.0


def test_white_balance_amount_scales_the_correction() -> None:
    cast = with_cast(neutral_scene(), TUNGSTEN)
    none = run("white_balance", cast, amount=0.0)
    half = run("white_balance", cast, amount=0.5)
    full = run("white_balance", cast, amount=1.0)
    assert np.abs(to_uint8(none).astype(int) - to_uint8(cast)).max() <= 1
    assert chroma_spread(full) < chroma_spread(half) < chroma_spread(cast)
    assert 0.3 < chroma_spread(half) / chroma_spread(cast) < 0.7


def test_white_balance_named_cast_moves_only_along_that_colour() -> None:
    """"Remove the red tint": red goes down against green and blue; green against blue is kept."""
    img = with_cast(neutral_scene(), (1.25, 1.0, 1.0))
    out = run("white_balance", img, cast="red")
    m_in, m_out = img.reshape(-1, 3).mean(0), out.reshape(-1, 3).mean(0)
    assert m_out[0] / m_out[1] < 0.92 * m_in[0] / m_in[1]
    assert abs(m_out[1] / m_out[2] - m_in[1] / m_in[2]) < 0.01
    assert chroma_spread(out) < 2.5


def test_white_balance_named_cast_acts_even_when_the_estimate_sees_none() -> None:
    """The user says there is a pink cast: something visible happens even on a neutral image."""
    img = neutral_scene()
    out = run("white_balance", img, cast="pink")
    r_in, g_in, _ = img.reshape(-1, 3).mean(0)
    r, g, b = out.reshape(-1, 3).mean(0)
    assert g / r > 1.02 * g_in / r_in and g / b > 1.01


def test_white_balance_rejects_an_unknown_cast() -> None:
    with pytest.raises(OptionError, match="colour cast"):
        run("white_balance", neutral_scene(), cast="plaid")


def test_white_balance_highlights_roll_off_instead_of_clipping() -> None:
    """A raised channel approaches 1 smoothly: nearby bright levels stay distinct."""
    ramp = np.repeat(np.linspace(0.6, 1.0, 256, dtype=np.float32)[None, :, None], 8, 0)
    img = np.concatenate([ramp * [0.7, 0.85, 1.0], neutral_scene(40, 256)], 0).astype(np.float32)
    out = run("white_balance", img, gains=None)
    red = to_uint8(out[:8, :, 0])[0]
    assert np.all(np.diff(red.astype(int)) >= 0)
    assert (red == 255).sum() <= 3


# --------------------------------------------------------------------------- replace colour

PATCHES = {  # name: (sRGB colour, hue band it is in)
    "red": (0.8, 0.12, 0.1),
    "green": (0.2, 0.6, 0.25),
    "blue": (0.15, 0.25, 0.75),
    "yellow": (0.9, 0.85, 0.2),
    "gray": (0.5, 0.5, 0.5),
    "purple": (0.45, 0.2, 0.65),
}


def patch_image(seed: int = 0) -> tuple[np.ndarray, dict[str, tuple[slice, slice]]]:
    """Six textured colour patches in a row (48x48 each)."""
    rng = np.random.default_rng(seed)
    img = np.zeros((48, 48 * len(PATCHES), 3), np.float32)
    where = {}
    for i, (name, rgb) in enumerate(PATCHES.items()):
        sl = (slice(0, 48), slice(48 * i, 48 * (i + 1)))
        shade = 1.0 + 0.25 * np.sin(np.arange(48) / 5.0)[:, None] + rng.normal(0, 0.02, (48, 48))
        img[sl] = np.clip(np.asarray(rgb, np.float32) * shade[..., None], 0, 1)
        where[name] = sl
    return img, where


def opp_hue(rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    return np.degrees(np.arctan2(np.sqrt(3) * (g - b), 2 * r - g - b)) % 360


def test_replace_color_turns_the_red_band_blue_and_leaves_other_hues() -> None:
    img, where = patch_image()
    target = (40, 90, 200)
    out = run("replace_color", img, band="red", color=target)
    red = out[where["red"]]
    hue = opp_hue(red).mean()
    assert abs(hue - opp_hue(np.asarray(target, np.float64) / 255)) < 8
    # the red patch's mean colour becomes the target
    assert np.abs(to_uint8(red).reshape(-1, 3).mean(0) - target).max() < 12
    for name in ("green", "blue", "yellow", "gray", "purple"):
        diff = np.abs(to_uint8(out[where[name]]).astype(int) - to_uint8(img[where[name]]))
        assert diff.max() <= 1, name


def test_replace_color_keeps_shading_and_texture() -> None:
    img, where = patch_image()
    out = run("replace_color", img, band="red", color=(40, 160, 60))
    lum = lambda a: a[..., :3] @ np.array([0.2126, 0.7152, 0.0722], np.float32)  # noqa: E731
    before, after = lum(img[where["red"]]).ravel(), lum(out[where["red"]]).ravel()
    assert np.corrcoef(before, after)[0, 1] > 0.95
    assert 0.5 < after.std() / before.std() < 2.5


def test_replace_color_to_white_and_black() -> None:
    img, where = patch_image()
    white = to_uint8(run("replace_color", img, band="red", color=(255, 255, 255))[where["red"]])
    black = to_uint8(run("replace_color", img, band="red", color=(10, 10, 10))[where["red"]])
    sat = lambda a: (a.max(-1).astype(int) - a.min(-1)).mean()  # noqa: E731
    assert white.mean() > 225 and sat(white) < 12
    assert black.mean() < 25 and sat(black) < 12


def test_replace_color_amount_blends() -> None:
    img, where = patch_image()
    full = run("replace_color", img, band="red", color=(40, 90, 200))[where["red"]]
    half = run("replace_color", img, band="red", color=(40, 90, 200), amount=0.5)[where["red"]]
    mid = 0.5 * (full + img[where["red"]])
    assert np.abs(half - mid).max() < 1.5 / 255


def test_replace_color_needs_a_known_band() -> None:
    img, _ = patch_image()
    with pytest.raises(OptionError, match="band"):
        run("replace_color", img, band="plaid", color=(0, 0, 255))
    with pytest.raises(OptionError, match="band"):
        run("replace_color", img, band=None, color=(0, 0, 255))


# --------------------------------------------------------------------------- through the executor


@pytest.mark.parametrize(
    "step",
    [
        PlanStep(op="white_balance", params={"cast": None}),
        PlanStep(op="replace_color", params={"band": "red", "color": [40, 90, 200]}),
    ],
)
def test_strips_equal_whole_image_and_mask_is_bit_exact(monkeypatch: pytest.MonkeyPatch, step: PlanStep) -> None:
    img = to_uint8(with_cast(to_float(photo_array(300, 200, seed=4)), TUNGSTEN))
    plan = EditPlan(prompt="x", steps=[step])
    whole = builtin.run_plan(img, plan, [img])
    assert np.abs(whole.astype(int) - img).mean() > 1.0  # it did something
    monkeypatch.setattr(builtin, "STRIP_PIXELS", 300 * 7)  # 29 strips
    strips = builtin.run_plan(img, plan, [img])
    assert np.abs(whole.astype(int) - strips).max() <= 1
    mask = np.zeros((200, 300), np.float32)
    mask[50:150, 60:240] = 1.0
    masked = builtin.run_plan(img, plan, [img], mask=mask)
    assert np.array_equal(masked[mask == 0], img[mask == 0])
    assert np.abs(masked[mask == 1].astype(int) - whole[mask == 1]).max() <= 1
