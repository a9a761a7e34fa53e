"""Pixel tests of the overlay ops: text (caption/title/watermark), border, place_image."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from retouch.errors import RetouchError
from retouch.ops import overlay
from retouch.ops.overlay import add_border, draw_text, place_image, text_coverage
from retouch.ops.registry import Frame, OpContext, get_op

H, W = 240, 360


def ctx_for(img: np.ndarray, *refs: np.ndarray, quality: str = "medium") -> OpContext:
    """An OpContext whose refs are the image itself followed by `refs`."""
    return OpContext(Frame(0, img.shape[0], img.shape[1]), [img, *refs], quality)


def flat(value: float | tuple[float, float, float], h: int = H, w: int = W) -> np.ndarray:
    """A uniform float32 RGB image."""
    return np.broadcast_to(np.asarray(value, np.float32), (h, w, 3)).copy()


def noisy(h: int = H, w: int = W, seed: int = 0) -> np.ndarray:
    """A busy image: per-pixel uniform noise over coarse random blocks of colour (worst case for text)."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((h // 12, w // 12, 3), np.float32)
    blocks = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_NEAREST)
    return np.clip(0.5 * blocks + 0.5 * rng.random((h, w, 3), np.float32), 0, 1)


def photo_like(h: int = H, w: int = W) -> np.ndarray:
    """A smooth mid-tone gradient with mild noise, standing in for a photo."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.dstack([0.3 + 0.3 * xx / w, 0.25 + 0.2 * yy / h, 0.35 - 0.1 * xx / w])
    return np.clip(base + np.random.default_rng(1).normal(0, 0.02, (h, w, 3)), 0, 1).astype(np.float32)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG 2 relative luminance (written independently of the module under test)."""
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return lin[..., 0] * 0.2126 + lin[..., 1] * 0.7152 + lin[..., 2] * 0.0722


def contrast(a: float, b: float) -> float:
    """WCAG contrast ratio of two luminances."""
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def changed(a: np.ndarray, b: np.ndarray, levels: int = 24) -> np.ndarray:
    """Pixels whose RGB changed by more than `levels` of 255 (the evaluator's criterion)."""
    return np.abs(a[..., :3] - b[..., :3]).max(-1) > levels / 255


def quadrant(name: str, h: int = H, w: int = W) -> np.ndarray:
    """Boolean mask of one image quadrant, e.g. "bottom_left"."""
    m = np.zeros((h, w), bool)
    v, hz = name.split("_")
    rows = slice(0, h // 2) if v == "top" else slice(h // 2, h)
    cols = slice(w // 2, w) if hz == "right" else slice(0, w // 2)
    m[rows, cols] = True
    return m


def legibility(out: np.ndarray, cov: np.ndarray) -> float:
    """Contrast between the glyphs' cores and a 2-pixel ring just around the glyphs."""
    core = cov > 0.9
    ink = (cov > 0.05).astype(np.uint8)
    ring = cv2.dilate(ink, np.ones((5, 5), np.uint8)).astype(bool) & ~ink.astype(bool)
    y = luminance(out[..., :3])
    return contrast(float(y[core].mean()), float(y[ring].mean()))


# ---------------------------------------------------------------- text


def test_ops_are_registered() -> None:
    assert get_op("text").fn is draw_text
    assert get_op("border").fn is add_border
    assert get_op("place_image").fn is place_image


def test_caption_bottom_left_meets_the_evaluator_check() -> None:
    img = photo_like()
    out = draw_text(img, ctx_for(img), text="Fresh Coffee", position="bottom-left")
    diff = changed(out, img)
    assert out.shape == img.shape and out.dtype == np.float32
    assert diff.mean() >= 0.002
    assert (diff & quadrant("bottom_left")).sum() / diff.sum() >= 0.95


@pytest.mark.parametrize(
    ("position", "cy", "cx"),
    [("top-left", 0, 0), ("top", 0, 1), ("top-right", 0, 2), ("left", 1, 0), ("center", 1, 1),
     ("right", 1, 2), ("bottom-left", 2, 0), ("bottom", 2, 1), ("bottom-right", 2, 2),
     ("upper right corner", 0, 2), ("lower_left", 2, 0), ("centre", 1, 1)],
)
def test_position_words_put_the_text_in_that_third(position: str, cy: int, cx: int) -> None:
    img = flat(0.5)
    diff = changed(draw_text(img, ctx_for(img), text="Hello", position=position), img)
    ys, xs = np.nonzero(diff)
    assert int(3 * ys.mean() / H) == cy and int(3 * xs.mean() / W) == cx
    assert (diff & ~_third(cy, cx)).sum() / diff.sum() < 0.1


def _third(cy: int, cx: int) -> np.ndarray:
    """Boolean mask of one cell of a 3×3 grid, grown by 10% so a margin-hugging block still fits."""
    m = np.zeros((H, W), bool)
    gy, gx = H // 10, W // 10
    m[max(0, cy * H // 3 - gy) : (cy + 1) * H // 3 + gy,
      max(0, cx * W // 3 - gx) : (cx + 1) * W // 3 + gx] = True
    return m


@pytest.mark.parametrize("background", ["white", "black", "gray", "noise", "stripes"])
def test_automatic_colour_is_legible_on_any_background(background: str) -> None:
    img = {
        "white": flat(1.0), "black": flat(0.0), "gray": flat(0.5), "noise": noisy(),
        "stripes": np.repeat((np.arange(W) // 3 % 2).astype(np.float32), 3).reshape(1, W, 3).repeat(H, 0),
    }[background]
    out = draw_text(img, ctx_for(img), text="Legible 123", position="bottom")
    cov = text_coverage(H, W, "Legible 123", "bottom")
    assert legibility(out, cov) >= 4.5
    # Against the wider box behind the text too (the scrim on busy backgrounds).
    ys, xs = np.nonzero(cov > 0.05)
    box = np.zeros((H, W), bool)
    box[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] = True
    y = luminance(out)
    ink = float(y[cov > 0.9].mean())
    # The background pixels in the box that are worst for this ink (brightest for dark ink and vice versa).
    worst = float(np.percentile(y[box & (cov < 0.05)], 90 if ink < 0.5 else 10))
    assert contrast(ink, worst) >= 3


def test_automatic_colour_is_black_on_white_and_white_on_black() -> None:
    for value, expected in ((1.0, 0.0), (0.0, 1.0)):
        img = flat(value)
        out = draw_text(img, ctx_for(img), text="Ink", position="center", size=0.15)
        core = text_coverage(H, W, "Ink", "center", size=0.15) > 0.99
        assert np.allclose(out[core], expected, atol=0.02)


def test_explicit_colour_and_legible_even_on_the_same_colour() -> None:
    img = flat((1.0, 0.0, 0.0))
    out = draw_text(img, ctx_for(img), text="Red on red", color=[255, 0, 0], position="center")
    cov = text_coverage(H, W, "Red on red", "center")
    assert np.allclose(out[cov > 0.99], (1.0, 0.0, 0.0), atol=0.01)
    assert legibility(out, cov) >= 3      # the halo separates it from an identical background


def test_opacity_scales_the_change_proportionally() -> None:
    img = noisy()
    full = np.abs(draw_text(img, ctx_for(img), text="Half", opacity=1.0) - img).sum()
    half = np.abs(draw_text(img, ctx_for(img), text="Half", opacity=0.5) - img).sum()
    zero = np.abs(draw_text(img, ctx_for(img), text="Half", opacity=0.0) - img).sum()
    assert half / full == pytest.approx(0.5, abs=0.01)
    assert zero == 0


def test_watermark_is_semi_transparent_in_the_bottom_right() -> None:
    img = flat(0.0)
    out = draw_text(img, ctx_for(img), text="© retouch", style="watermark")
    cov = text_coverage(H, W, "© retouch", style="watermark")
    assert np.allclose(out[cov > 0.99], 0.35, atol=0.02)   # white text at 35% on black
    diff = changed(out, img, 8)
    assert (diff & quadrant("bottom_right")).sum() / diff.sum() >= 0.95


def test_tiled_watermark_covers_the_whole_image() -> None:
    img = photo_like()
    diff = changed(draw_text(img, ctx_for(img), text="PROOF", style="watermark", position="tiled"), img, 12)
    cells = diff.reshape(4, H // 4, 4, W // 4).any(axis=(1, 3))
    assert cells.all()
    assert 0.03 < diff.mean() < 0.5                      # repeated, yet most of the picture shows through


def test_title_is_bold_larger_and_centred_at_the_top() -> None:
    img = flat(0.5)
    title = text_coverage(H, W, "Title", style="title")
    caption = text_coverage(H, W, "Title", style="caption")
    ys, xs = np.nonzero(title > 0.5)
    assert ys.max() < H / 3 and abs(xs.mean() - W / 2) < W * 0.05
    assert title.sum() > 2 * caption.sum()                # larger and heavier strokes
    out = draw_text(img, ctx_for(img), text="Title", style="title")
    assert changed(out, img)[: H // 3].sum() / changed(out, img).sum() > 0.95


def test_long_text_wraps_inside_the_image() -> None:
    text = "a long caption that cannot possibly fit on one line of such a narrow picture, so it wraps"
    cov = text_coverage(300, 160, text, "bottom")
    ink = cov > 0.05
    cols = np.nonzero(ink.any(0))[0]
    rows = ink.any(1)
    lines = int(np.count_nonzero(rows[1:] & ~rows[:-1]))
    assert lines >= 4
    assert cols.min() >= 0.03 * 160 - 1 and cols.max() <= 160 - 0.03 * 160      # nothing clipped at the sides
    assert cols.max() - cols.min() <= 0.9 * 160
    img = flat(0.3, 300, 160)
    assert changed(draw_text(img, ctx_for(img), text=text, position="bottom"), img)[:, :3].sum() == 0


def test_too_much_text_shrinks_to_fit_the_height() -> None:
    fits = text_coverage(120, 200, " ".join(["word"] * 40), "center", size=0.2) > 0.05
    rows = np.nonzero(fits.any(1))[0]
    assert rows.min() >= 3 and rows.max() <= 116                      # shrunk to fit within the margins
    # Far too much for even the smallest size: cut with an ellipsis rather than run off the image.
    cut = text_coverage(120, 200, " ".join(["word"] * 2000), "center") > 0.05
    rows = np.nonzero(cut.any(1))[0]
    assert rows.min() >= 0 and rows.max() < 119 and cut[rows.min() + 1].any()


def test_unicode_accents_render_and_missing_glyphs_do_not_fail() -> None:
    plain = text_coverage(H, W, "Cafe", "center", size=0.15)
    accented = text_coverage(H, W, "Café", "center", size=0.15)
    assert np.abs(plain - accented).sum() > 20         # the accent is drawn, not a blank
    assert text_coverage(H, W, "日本語 ok", "center").sum() > 0
    assert text_coverage(H, W, "Привет, Ελλάδα", "center").sum() > 0


def test_without_bundled_fonts_text_uses_pillows_embedded_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(overlay, "_asset_bytes", lambda name: None)
    overlay.font_chain.cache_clear()
    try:
        chain = overlay.font_chain(True)
        assert not any(src.startswith("asset:") for src in chain) and chain[-1] == "pillow:default"
        assert text_coverage(H, W, "Bold fallback", style="title").sum() > 100
    finally:
        overlay.font_chain.cache_clear()


def test_rgba_keeps_alpha_and_text_is_visible_on_transparency() -> None:
    img = np.zeros((H, W, 4), np.float32)
    out = draw_text(img, ctx_for(img), text="Floating", position="center")
    cov = text_coverage(H, W, "Floating", "center")
    assert out.shape == (H, W, 4)
    assert np.allclose(out[cov > 0.99, 3], 1.0, atol=0.01)
    assert out[..., 3][cov == 0].mean() < 0.2            # transparency elsewhere mostly kept


@pytest.mark.parametrize(
    "params", [{"text": "   "}, {"text": "x", "position": "somewhere"}, {"text": "x", "style": "comic"}]
)
def test_text_errors_are_clear(params: dict) -> None:
    img = flat(0.5)
    with pytest.raises(RetouchError):
        draw_text(img, ctx_for(img), **params)


# ---------------------------------------------------------------- border


def test_border_extends_the_image_with_a_ring_of_the_colour() -> None:
    img = noisy(200, 300)
    out = add_border(img, ctx_for(img), width=0.05, color=[255, 255, 255])
    assert out.shape == (220, 320, 3)                    # 0.05 × 200 = 10 px a side
    assert np.array_equal(out[10:-10, 10:-10], img)
    ring = np.ones(out.shape[:2], bool)
    ring[10:-10, 10:-10] = False
    assert np.all(out[ring] == 1.0)


def test_thin_black_border_default_and_pixel_widths() -> None:
    img = flat(0.8, 300, 451)
    out = add_border(img, ctx_for(img), width=0.015, color=[0, 0, 0])
    assert out.shape == (300 + 10, 451 + 10, 3)          # round(0.015 × 300) = 5 px a side
    assert np.all(out[:5] == 0) and np.all(out[:, -5:] == 0)
    assert add_border(img, ctx_for(img)).shape == (312, 463, 3)            # default 2%
    assert add_border(img, ctx_for(img), width=7).shape == (314, 465, 3)   # ≥ 1 means pixels


def test_inside_border_keeps_the_size_and_paints_the_edges() -> None:
    img = noisy(200, 300)
    out = add_border(img, ctx_for(img), width=0.05, color="#ff0000", inside=True)
    assert out.shape == img.shape
    assert np.array_equal(out[10:-10, 10:-10], img[10:-10, 10:-10])
    assert np.all(out[:10] == (1, 0, 0)) and np.all(out[:, :10] == (1, 0, 0))


def test_border_on_alpha_image_is_opaque() -> None:
    img = np.zeros((100, 100, 4), np.float32)
    out = add_border(img, ctx_for(img), width=0.1)
    assert out.shape == (120, 120, 4)
    assert np.all(out[:10, :, 3] == 1) and np.all(out[10:-10, 10:-10, 3] == 0)


# ---------------------------------------------------------------- place_image


def logo_with_alpha(h: int = 50, w: int = 100) -> np.ndarray:
    """A red RGBA logo: opaque disc on the left half, transparent elsewhere."""
    logo = np.zeros((h, w, 4), np.float32)
    logo[..., 0] = 1.0
    disc = np.zeros((h, w), np.uint8)
    cv2.circle(disc, (h // 2, h // 2), h // 2 - 2, 1, -1)
    logo[..., 3] = disc
    return logo


def test_logo_is_scaled_and_placed_bottom_right_with_its_alpha() -> None:
    img = flat(0.5, 300, 400)
    logo = logo_with_alpha()
    logo[..., 3] = 1.0                                  # fully opaque: the bounding box is the logo
    logo[..., 3][0, 0] = 0.99                          # keep it an alpha logo (not knocked out)
    out = place_image(img, ctx_for(img, logo), ref=1, scale=0.25)
    ys, xs = np.nonzero(changed(out, img))
    margin = round(0.03 * 300)
    assert xs.max() - xs.min() + 1 == pytest.approx(100, abs=1)        # 0.25 × 400
    assert ys.max() - ys.min() + 1 == pytest.approx(50, abs=1)         # aspect kept
    assert xs.max() == 400 - margin - 1 and ys.max() == 300 - margin - 1


def test_logo_transparency_and_opacity_are_respected() -> None:
    img = flat(0.0, 300, 400)
    logo = logo_with_alpha()
    out = place_image(img, ctx_for(img, logo), position="top-left", scale=0.25, opacity=0.5)
    margin = round(0.03 * 300)
    disc_center = out[margin + 25, margin + 25]
    assert np.allclose(disc_center, (0.5, 0, 0), atol=0.01)            # red at 50% over black
    assert np.all(out[margin : margin + 50, margin + 55 : margin + 100] == 0)   # transparent half
    assert changed(out, img)[150:].sum() == 0


def test_logo_on_flat_white_has_its_background_knocked_out() -> None:
    img = flat((0.0, 0.0, 1.0), 300, 400)
    logo = np.ones((60, 120, 3), np.float32)
    cv2.rectangle(logo, (20, 15), (100, 45), (0.0, 0.6, 0.0), -1)
    out = place_image(img, ctx_for(img, logo), position="center", scale=0.3)
    assert np.allclose(out[150, 200], (0, 0.6, 0), atol=0.02)          # logo content
    assert not np.any(np.all(out > 0.9, axis=-1))                     # no white box left
    opaque = place_image(img, ctx_for(img, logo), position="center", scale=0.3, knockout=False)
    assert np.all(opaque[150 - 16, 200 - 58] > 0.95)                   # kept when asked


def test_logo_on_rgba_image_keeps_four_channels() -> None:
    img = np.zeros((100, 200, 4), np.float32)
    out = place_image(img, ctx_for(img, logo_with_alpha()), position="center", scale=0.5, quality="high")
    assert out.shape == (100, 200, 4)
    assert out[50, 75, 3] == pytest.approx(1.0) and np.allclose(out[50, 75, :3], (1, 0, 0), atol=0.01)


def test_missing_reference_is_a_clear_error() -> None:
    img = flat(0.5)
    with pytest.raises(RetouchError, match="2 input images"):
        place_image(img, ctx_for(img), ref=1)
