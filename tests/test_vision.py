"""Vision: subject mattes (studio, people, general photos), faces, sky and region weights, measured."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))

from synth import dilate, erode, synth_product, synth_product_hard, synth_scene

from retouch.errors import UnsupportedInstruction
from retouch.vision import faces, people, regions, sky, subject
from retouch.vision.matte import guided_filter, refine_matte

PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "photos"
PERSON = Path(__file__).parent / "data" / "astronaut_256.jpg"     # NASA portrait, public domain
HAS_MP = people.mediapipe() is not None


def photo(name: str) -> np.ndarray:
    """A real photo from the shared evaluation set (skips when it is not there)."""
    p = PHOTOS / f"{name}.png"
    if not p.is_file():
        pytest.skip(f"{p} not available")
    return np.asarray(Image.open(p).convert("RGB"))


def person() -> np.ndarray:
    return np.asarray(Image.open(PERSON).convert("RGB"))


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


@pytest.fixture
def no_mediapipe(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if mediapipe were not installed: its import fails."""
    monkeypatch.setitem(sys.modules, "mediapipe", None)
    subject._cache.clear()
    yield
    subject._cache.clear()


# --------------------------------------------------------------------------- studio shots


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_studio_matte_matches_ground_truth(seed: int) -> None:
    src = synth_product(seed)
    seg = subject.segment(src.rgb)
    assert seg.method == "studio"
    assert iou(seg.matte > 0.5, src.fg) >= 0.98
    # solid inside: compositing leaves the subject's pixels exactly as they were
    assert (seg.matte[erode(src.fg, 6)] == 1.0).all()
    assert seg.matte[~dilate(src.fg, 6)].max() < 0.1
    assert (seg.matte[~dilate(src.fg, 12)] == 0.0).all()


def test_floor_shadow_is_background_and_highlight_is_subject() -> None:
    src = synth_product(2)
    m = subject.subject_matte(src.rgb)
    ys = np.where(src.fg.any(1))[0]
    below = np.zeros_like(src.fg)
    below[ys.max() + 4: ys.max() + 40] = True            # the soft shadow lies on the floor here
    below &= ~dilate(src.fg, 3)
    shade = src.rgb[..., 1].astype(float)[below]
    assert shade.min() < 175                              # there is a real shadow in that band
    assert m[below].mean() < 0.01
    lum = src.rgb.astype(float).mean(-1)
    spec = src.fg & (lum > np.quantile(lum[src.fg], 0.98))
    assert spec.sum() > 50 and (m[spec] > 0.99).all()


@pytest.mark.parametrize("variant", [
    {},                                      # anti-aliased edges, JPEG, contact shadow
    {"color": (150, 150, 156)},              # neutral gray product: as gray as its shadow
    {"backdrop": (45, 30)},                  # dark backdrop
    {"touch_bottom": True},                  # cropped by the bottom edge
    {"shadow": 0.7},                         # deep contact shadow
])
def test_studio_matte_on_harder_shots(variant: dict) -> None:
    src = synth_product_hard(0, size=512, **variant)
    assert iou(subject.subject_matte(src.rgb) > 0.5, src.fg) >= 0.93


@pytest.mark.parametrize("seed", [0, 1])
def test_light_gray_product_on_a_light_graded_backdrop_is_kept_whole(seed: int) -> None:
    """Its shading passes through the backdrop's colour over long stretches of its outline."""
    src = synth_product_hard(seed, size=512, color=(215, 215, 218))
    m = subject.subject_matte(src.rgb) > 0.5
    assert iou(m, src.fg) >= 0.8  # 0.45-0.48 before the shape completion
    below = np.zeros_like(src.fg)
    ys = np.nonzero(src.fg.any(1))[0]
    below[ys.max() + 6:] = True  # the floor shadow under it stays backdrop
    assert m[below].mean() < 0.01


def test_subject_center_and_box() -> None:
    src = synth_product(3)
    h, w = src.fg.shape
    ys, xs = np.nonzero(src.fg)
    cx, cy = subject.subject_center(src.rgb)
    assert abs(cx - xs.mean() / w) < 0.01 and abs(cy - ys.mean() / h) < 0.01
    x0, y0, x1, y1 = subject.subject_box(src.rgb)
    assert abs(x0 - xs.min() / w) < 0.01 and abs(y1 - (ys.max() + 1) / h) < 0.01
    assert abs(x1 - (xs.max() + 1) / w) < 0.01 and abs(y0 - ys.min() / h) < 0.01


def test_flat_image_has_no_subject() -> None:
    flat = np.full((200, 300, 3), 128, np.uint8)
    assert subject.subject_matte(flat).max() == 0.0
    assert subject.subject_center(flat) is None and subject.subject_box(flat) is None


def test_existing_alpha_is_the_matte() -> None:
    rgba = np.zeros((100, 100, 4), np.uint8)
    rgba[..., :3] = 200
    rgba[30:70, 20:60, 3] = 255
    seg = subject.segment(rgba)
    assert seg.method == "alpha"
    assert seg.matte[50, 40] == 1.0 and seg.matte[5, 5] == 0.0


# --------------------------------------------------------------------------- general photos


@pytest.mark.parametrize(("name", "inside", "outside"), [
    ("chelsea", [(170, 110), (280, 115), (230, 200)], [(440, 150), (445, 60)]),     # eyes, nose / blur
    ("coffee", [(300, 150), (250, 300), (420, 250)], [(30, 380), (580, 60)]),        # crema, saucer / wood
    ("motorcycle_left", [(390, 320), (200, 310)], [(20, 480), (720, 480)]),          # engine, tank / floor
])
def test_general_photo_matte(name: str, inside: list, outside: list) -> None:
    rgb = photo(name)
    seg = subject.segment(rgb)
    assert seg.method == "general"
    m = seg.matte
    assert 0.1 < (m > 0.5).mean() < 0.8
    for x, y in inside:
        assert m[y, x] > 0.5, (name, x, y)
    for x, y in outside:
        assert m[y, x] < 0.5, (name, x, y)


def test_general_path_without_mediapipe(no_mediapipe: None) -> None:
    rgb = photo("coffee")
    seg = subject.segment(rgb)
    assert seg.method == "general" and seg.matte[150, 300] > 0.5


def test_studio_path_without_mediapipe(no_mediapipe: None) -> None:
    src = synth_product(1)
    assert people.person_mask(src.rgb) is None
    assert iou(subject.subject_matte(src.rgb) > 0.5, src.fg) >= 0.98


# --------------------------------------------------------------------------- people and faces


@pytest.mark.skipif(not HAS_MP, reason="mediapipe not installed")
def test_person_path_and_face() -> None:
    rgb = person()
    found = faces.detect_faces(rgb)
    assert len(found) == 1
    f = found[0]
    assert 0.3 < (f.x0 + f.x1) / 2 < 0.55 and 0.15 < (f.y0 + f.y1) / 2 < 0.35    # her face
    seg = subject.segment(rgb)
    assert seg.method == "person"
    x0, y0, x1, y1 = f.pixels(256, 256)
    assert seg.matte[y0:y1, x0:x1].mean() > 0.9          # the face is part of the person
    assert seg.matte[5:40, 200:250].mean() < 0.1          # the wall behind her is not
    assert seg.matte[200:256, 60:120].mean() > 0.9        # her suit is
    w = faces.face_weight(rgb, found)
    cy, cx = (y0 + y1) // 2, (x0 + x1) // 2
    assert w[cy, cx] == 1.0 and w[5, 5] == 0.0 and w[250, 250] == 0.0


def test_haar_fallback_finds_the_face(no_mediapipe: None) -> None:
    found = faces.detect_faces(person())
    assert len(found) == 1
    assert 0.3 < (found[0].x0 + found[0].x1) / 2 < 0.55


def test_no_face_in_photos_without_people() -> None:
    for name in ("coffee", "motorcycle_left"):
        assert faces.detect_faces(photo(name)) == []


def test_person_without_mediapipe_falls_back(no_mediapipe: None) -> None:
    seg = subject.segment(person())
    assert seg.method in ("general", "studio")
    assert seg.matte.shape == (256, 256) and seg.matte.min() >= 0.0 and seg.matte.max() <= 1.0


# --------------------------------------------------------------------------- sky


@pytest.mark.parametrize("seed", [1, 2])
def test_sky_weight_on_scene(seed: int) -> None:
    src = synth_scene(seed)
    s = sky.sky_weight(src.rgb)
    h = s.shape[0]
    assert s[: int(0.5 * h)].mean() > 0.95
    assert s[int(0.6 * h):].mean() < 0.01


def test_no_sky_indoors() -> None:
    for name in ("coffee", "motorcycle_left", "chelsea"):
        assert sky.sky_weight(photo(name)).max() < 0.5


# --------------------------------------------------------------------------- regions


def test_spatial_regions_are_soft_and_complementary() -> None:
    rgb = np.zeros((200, 300, 3), np.uint8)
    left = regions.region_weight("left", rgb)
    right = regions.region_weight("right", rgb)
    assert left.shape == (200, 300) and left.dtype == np.float32
    assert np.allclose(left + right, 1)
    assert (left[:, :130] == 1).all() and (left[:, 170:] == 0).all()
    # no seam: the ramp spans ~10% of the width, never more than a few % per column
    assert np.abs(np.diff(left[0])).max() < 0.06
    tl = regions.region_weight("top-left", rgb)
    assert tl[10, 10] == 1 and tl[190, 10] == 0 and tl[10, 290] == 0
    c, e = regions.region_weight("center", rgb), regions.region_weight("edges", rgb)
    assert np.allclose(c + e, 1) and c[100, 150] == 1 and e[0, 0] == 1
    assert regions.region_weight("all", rgb) is None and regions.region_weight("mask", rgb) is None


def test_subject_and_background_regions() -> None:
    src = synth_product(4)
    s = regions.region_weight("subject", src.rgb)
    b = regions.region_weight("background", src.rgb)
    assert np.allclose(s + b, 1) and iou(s > 0.5, src.fg) > 0.98


def test_face_region_without_a_face_is_refused() -> None:
    msg = "no face found in the image to apply 'brighten her face'"
    with pytest.raises(UnsupportedInstruction, match=msg):
        regions.region_weight("face", photo("coffee"), fragment="brighten her face")
    with pytest.raises(UnsupportedInstruction, match="no sky"):
        regions.region_weight("sky", photo("coffee"), fragment="darken the sky")
    with pytest.raises(UnsupportedInstruction):
        regions.region_weight("elbow", photo("coffee"))


# --------------------------------------------------------------------------- matte refinement


def test_refine_matte_recovers_antialiased_edge() -> None:
    # a disk rendered at 4x and averaged: its true coverage is the ideal alpha
    n, s = 256, 4
    yy, xx = np.mgrid[0: n * s, 0: n * s]
    big = ((xx - 130 * s) ** 2 + (yy - 120 * s) ** 2 < (70 * s) ** 2).astype(np.float32)
    cover = big.reshape(n, s, n, s).mean((1, 3))
    rgb = (np.array([210, 40, 40]) * cover[..., None] + np.array([225, 225, 228]) * (1 - cover[..., None]))
    rgb = rgb.astype(np.uint8)
    rough = np.asarray(Image.fromarray((cover > 0.5).astype(np.uint8) * 255).resize((64, 64), Image.BOX))
    alpha = refine_matte(rgb, rough.astype(np.float32) / 255, "medium")
    edge = (cover > 0.02) & (cover < 0.98)
    assert np.abs(alpha - cover)[edge].mean() < 0.08
    assert iou(alpha > 0.5, cover > 0.5) > 0.99
    assert (alpha[cover == 1][erode(cover == 1, 4)[cover == 1]] == 1).all()


def test_guided_filter_keeps_edges() -> None:
    g = np.zeros((64, 64), np.float32)
    g[:, 32:] = 1
    noisy = g + np.random.default_rng(0).normal(0, 0.1, g.shape).astype(np.float32)
    out = guided_filter(g, noisy, 4, 1e-3)
    assert np.abs(out - g)[:, 4:28].std() < 0.05 and out[:, 36:].mean() > 0.9
