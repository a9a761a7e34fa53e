"""Overlays: text (caption, title, watermark), a border/frame, and placing a reference image (a logo).

Text is rendered with antialiasing by FreeType (Pillow) into coverage masks, turned into one
premultiplied RGBA layer (text, a contrasting halo, and a scrim box where the background is busy)
and alpha-composited in float. The font is the bundled DejaVu Sans (assets/, Bitstream Vera
licence, see assets/LICENSE-DejaVu.txt); characters it lacks (e.g. CJK) fall back per character to
fonts listed in $RETOUCH_FONTS or found at well-known system paths, then to Pillow's embedded
font; a character no font has is drawn as the primary font's "missing glyph" box.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from importlib import resources
from io import BytesIO
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..errors import RetouchError
from .registry import OpContext, register

MARGIN_FRAC = 0.03  # distance from the edges, fraction of the shorter side
WRAP_FRAC = 0.90  # text wraps to this fraction of the image width
MIN_PX = 6  # smallest font size the layout shrinks to when text does not fit
MIN_CONTRAST = 4.5  # WCAG AA for normal text: below this a scrim is added behind captions/titles
POSITIONS = (
    "top",
    "bottom",
    "center",
    "top-left",
    "top-right",
    "bottom-left",
    "bottom-right",
    "left",
    "right",
)
SIZE_WORDS = {
    "tiny": 0.03,
    "small": 0.04,
    "medium": 0.06,
    "normal": 0.06,
    "large": 0.1,
    "big": 0.1,
    "huge": 0.15,
}


@dataclass(frozen=True)
class TextStyle:
    """Defaults of one text style; explicit parameters override them."""

    size: float
    position: str
    opacity: float
    bold: bool
    halo_alpha: float  # strength of the contrasting outline/shadow
    scrim: bool  # allow a soft box behind the text when the background is busy


STYLES = {
    "caption": TextStyle(0.06, "bottom", 1.0, False, 0.8, True),
    "title": TextStyle(0.09, "top", 1.0, True, 0.8, True),
    "watermark": TextStyle(0.045, "bottom-right", 0.35, False, 0.5, False),
}

_WHITE = np.ones(3, np.float32)
_BLACK = np.zeros(3, np.float32)


# ---------------------------------------------------------------- colours, positions, compositing


def parse_rgb(color: Sequence[float] | str) -> np.ndarray:
    """[r, g, b] in 0..255 (or "#rrggbb") -> float32 RGB in [0, 1]."""
    if isinstance(color, str):
        hexdigits = color.strip().lstrip("#")
        if not re.fullmatch(r"[0-9a-fA-F]{6}", hexdigits):
            raise RetouchError(
                f"cannot read the colour {color!r}; expected [r, g, b] or #rrggbb", param="prompt"
            )
        values = [int(hexdigits[i : i + 2], 16) for i in (0, 2, 4)]
    else:
        values = list(color)
        if len(values) not in (3, 4):
            raise RetouchError(f"a colour needs three values [r, g, b], got {color!r}", param="prompt")
    return np.clip(np.asarray(values[:3], np.float32) / 255.0, 0.0, 1.0)


def relative_luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of sRGB values in [0, 1] (RGB on the last axis)."""
    c = np.asarray(rgb, np.float32)
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722], np.float32)


def contrast_ratio(l1: np.ndarray | float, l2: np.ndarray | float) -> np.ndarray:
    """WCAG contrast ratio (1..21) between relative luminances."""
    return (np.maximum(l1, l2) + 0.05) / (np.minimum(l1, l2) + 0.05)


def normalize_position(position: str) -> str:
    """Position words ("upper left", "bottom_right", "centre", "top center") -> one of POSITIONS."""
    aliases = {
        "upper": "top",
        "lower": "bottom",
        "centre": "center",
        "middle": "center",
        "centred": "center",
        "centered": "center",
    }
    words = [aliases.get(w, w) for w in re.split(r"[\s_\-]+", position.strip().lower()) if w]
    words = [w for w in words if w not in ("the", "corner", "side", "edge")]
    vert = next((w for w in words if w in ("top", "bottom")), None)
    horiz = next((w for w in words if w in ("left", "right")), None)
    if vert and horiz:
        return f"{vert}-{horiz}"
    if vert or horiz:
        return vert or horiz  # type: ignore[return-value]
    if words and all(w == "center" for w in words):
        return "center"
    raise RetouchError(f"unknown position {position!r}; use one of: {', '.join(POSITIONS)}", param="prompt")


def place_box(position: str, h: int, w: int, box_h: int, box_w: int, margin: int) -> tuple[int, int]:
    """Top-left (y, x) of a box_h × box_w box at `position` inside h × w, `margin` from the edges."""
    if position.startswith("top"):
        y = margin
    elif position.startswith("bottom"):
        y = h - margin - box_h
    else:
        y = (h - box_h) // 2
    if position.endswith("left"):
        x = margin
    elif position.endswith("right"):
        x = w - margin - box_w
    else:
        x = (w - box_w) // 2
    # A box larger than the space inside the margins is centred on that axis rather than pushed out.
    y = min(max(y, 0), max(h - box_h, 0)) if box_h <= h else (h - box_h) // 2
    x = min(max(x, 0), max(w - box_w, 0)) if box_w <= w else (w - box_w) // 2
    return y, x


def margin_px(h: int, w: int) -> int:
    """The margin between overlays and the image edges, in pixels."""
    return max(1, round(MARGIN_FRAC * min(h, w)))


def composite(img: np.ndarray, y: int, x: int, prem: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """A copy of `img` with a premultiplied layer (prem HxWx3, alpha HxW) composited over it at (y, x)."""
    out = img.copy()
    composite_into(out, y, x, prem, alpha)
    return out


def composite_into(out: np.ndarray, y: int, x: int, prem: np.ndarray, alpha: np.ndarray) -> None:
    """Composite a premultiplied layer over `out` at (y, x) in place, clipped to the image."""
    h, w = out.shape[:2]
    lh, lw = alpha.shape
    y0, x0, y1, x1 = max(y, 0), max(x, 0), min(y + lh, h), min(x + lw, w)
    if y0 >= y1 or x0 >= x1:
        return
    a = alpha[y0 - y : y1 - y, x0 - x : x1 - x, None].astype(np.float32)
    p = prem[y0 - y : y1 - y, x0 - x : x1 - x].astype(np.float32)
    win = out[y0:y1, x0:x1]
    if out.shape[2] == 3:
        win[...] = p + win * (1.0 - a)
    else:
        # Straight (non-premultiplied) alpha in and out: the "over" operator.
        under = win[..., 3:4] * (1.0 - a)
        out_a = a + under
        rgb = (p + win[..., :3] * under) / np.maximum(out_a, 1e-6)
        win[..., :3] = np.where(out_a > 1e-6, rgb, win[..., :3])
        win[..., 3:4] = out_a
    np.clip(win, 0.0, 1.0, out=win)


# ---------------------------------------------------------------- fonts

_PILLOW_DEFAULT = "pillow:default"
_SYSTEM_FALLBACKS = (  # optional: used only when present, for scripts DejaVu Sans lacks (CJK)
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/meiryo.ttc",
    "C:/Windows/Fonts/malgun.ttf",
)


@lru_cache(maxsize=4)
def _asset_bytes(name: str) -> bytes | None:
    """The bytes of a bundled font, or None when the assets are missing."""
    try:
        return (resources.files("retouch") / "assets" / name).read_bytes()
    except (FileNotFoundError, OSError, ModuleNotFoundError):
        return None


@lru_cache(maxsize=64)
def load_font(source: str, px: int) -> ImageFont.FreeTypeFont:
    """A font from the chain at `px` pixels: "asset:NAME", a file path, or Pillow's embedded font."""
    if source == _PILLOW_DEFAULT:
        font = ImageFont.load_default(size=px)  # Pillow ≥ 10.1: embedded Aileron TrueType, any size
        if not isinstance(font, ImageFont.FreeTypeFont):
            raise RetouchError("text needs Pillow built with FreeType", param="prompt")
        return font
    if source.startswith("asset:"):
        return ImageFont.truetype(BytesIO(_asset_bytes(source[6:]) or b""), px)
    return ImageFont.truetype(source, px)


@lru_cache(maxsize=2)
def font_chain(bold: bool) -> tuple[str, ...]:
    """Fonts tried for each character, in order: bundled DejaVu, extra/system fonts, Pillow's own."""
    primary = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    chain = [f"asset:{primary}"] if _asset_bytes(primary) else []
    extra = [p for p in os.environ.get("RETOUCH_FONTS", "").split(os.pathsep) if p]
    for path in (*extra, *_SYSTEM_FALLBACKS):
        if os.path.isfile(path):
            try:
                load_font(path, 16)
            except OSError:
                continue  # unreadable font file: skip it rather than fail the edit
            chain.append(path)
    chain.append(_PILLOW_DEFAULT)
    return tuple(chain)


def _mask_key(font: ImageFont.FreeTypeFont, ch: str) -> tuple[tuple[int, int], bytes]:
    """The rendered bitmap of one character, comparable between characters."""
    mask = font.getmask(ch)
    return mask.size, bytes(mask)


@lru_cache(maxsize=8192)
def has_glyph(source: str, ch: str) -> bool:
    """Whether font `source` draws `ch` (rather than its .notdef "missing glyph" box)."""
    if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs"):
        return True
    font = load_font(source, 32)
    # U+10FFFD is a private-use code point no normal font maps: it renders as .notdef.
    return _mask_key(font, ch) != _mask_key(font, "\U0010fffd")


def _source_for(ch: str, chain: Sequence[str]) -> str:
    """The first font of the chain that has `ch`; the primary one (drawing a box) if none has."""
    return next((s for s in chain if has_glyph(s, ch)), chain[0])


def _runs(line: str, chain: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Split a line into runs of (font source, text) drawn with one font each."""
    runs: list[list[str]] = []
    for ch in line:
        # Spaces join the current run so that fallback fonts do not fragment words.
        src = runs[-1][0] if runs and ch.isspace() else _source_for(ch, chain)
        if runs and runs[-1][0] == src:
            runs[-1][1] += ch
        else:
            runs.append([src, ch])
    return tuple((s, t) for s, t in runs)


def _measure(line: str, chain: Sequence[str], px: int) -> float:
    """Advance width of a line in pixels."""
    return sum(load_font(s, px).getlength(t) for s, t in _runs(line, chain))


# ---------------------------------------------------------------- layout

# Break opportunities: spaces, and between any two CJK characters (those scripts do not use spaces).
_CJK = "\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff"
_TOKEN = re.compile(rf"\s+|[{_CJK}]|[^\s{_CJK}]+")


def clean_text(text: str) -> str:
    """NFC-normalised text with tabs as spaces and control characters other than newlines removed."""
    text = unicodedata.normalize("NFC", str(text)).replace("\r\n", "\n").replace("\t", " ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc").strip()


def wrap(paragraph: str, max_w: float, measure: Callable[[str], float]) -> list[str]:
    """Greedy line breaking at spaces (and between CJK characters); over-long words break anywhere."""
    lines: list[str] = []
    cur = ""
    for tok in _TOKEN.findall(paragraph):
        if tok.isspace():
            cur += " " if cur else ""
            continue
        if measure(cur + tok) <= max_w:
            cur += tok
            continue
        if cur.strip():
            lines.append(cur.rstrip())
        while len(tok) > 1 and measure(tok) > max_w:
            k = max(1, next((i for i in range(len(tok) - 1, 0, -1) if measure(tok[:i]) <= max_w), 1))
            lines.append(tok[:k])
            tok = tok[k:]
        cur = tok
    if cur.strip():
        lines.append(cur.rstrip())
    return lines or [""]


def _truncate(lines: list[str], keep: int, max_w: float, measure: Callable[[str], float]) -> list[str]:
    """The first `keep` lines, the last ending in an ellipsis that fits `max_w` (text too long to fit)."""
    kept = lines[:keep]
    last = kept[-1]
    while last and measure(last.rstrip() + "…") > max_w:
        last = last[:-1]
    kept[-1] = last.rstrip() + "…"
    return kept


@dataclass(frozen=True)
class TextLayout:
    """Lines of text broken into font runs, with the metrics needed to draw them."""

    lines: tuple[tuple[tuple[str, str], ...], ...]
    widths: tuple[float, ...]
    px: int
    ascent: int
    line_h: int
    block_w: int
    block_h: int
    bold: bool


def layout_text(text: str, px: int, max_w: float, max_h: float, bold: bool) -> TextLayout:
    """Wrap `text` to `max_w`, shrinking the font until the block fits `max_h` (down to MIN_PX)."""
    chain = font_chain(bold)
    while True:
        measure: Callable[[str], float] = partial(_measure, chain=chain, px=px)
        lines = [ln for para in text.split("\n") for ln in wrap(para, max_w, measure)]
        ascent, descent = load_font(chain[0], px).getmetrics()
        line_h = round((ascent + descent) * 1.1)
        block_h = line_h * (len(lines) - 1) + ascent + descent
        if block_h <= max_h or px <= MIN_PX:
            break
        px = max(MIN_PX, min(px - 1, int(px * math.sqrt(max_h / block_h))))
    if block_h > max_h:
        lines = _truncate(lines, max(1, int((max_h - ascent - descent) // line_h) + 1), max_w, measure)
        block_h = line_h * (len(lines) - 1) + ascent + descent
    widths = tuple(measure(ln) for ln in lines)
    return TextLayout(
        tuple(_runs(ln, chain) for ln in lines),
        widths,
        px,
        ascent,
        line_h,
        max(1, math.ceil(max(widths))),
        block_h,
        bold,
    )


def render_coverage(layout: TextLayout, align: str, pad: int) -> np.ndarray:
    """Antialiased glyph coverage (float32 [0, 1]) of the block, with `pad` pixels around it."""
    canvas = Image.new("L", (layout.block_w + 2 * pad, layout.block_h + 2 * pad), 0)
    draw = ImageDraw.Draw(canvas)
    for i, (runs, width) in enumerate(zip(layout.lines, layout.widths, strict=True)):
        slack = layout.block_w - width
        x = pad + (0.0 if align == "left" else slack if align == "right" else slack / 2)
        baseline = pad + layout.ascent + i * layout.line_h
        for source, part in runs:
            font = load_font(source, layout.px)
            # Fonts without a bold face (fallbacks) get a thin stroke instead.
            stroke = max(1, round(layout.px / 30)) if layout.bold and "Bold" not in source else 0
            draw.text(
                (x, baseline), part, font=font, fill=255, anchor="ls", stroke_width=stroke, stroke_fill=255
            )
            x += font.getlength(part)
    return np.asarray(canvas, np.float32) / 255.0


def _align_for(position: str) -> str:
    """Lines are left-aligned on the left, right-aligned on the right, centred otherwise."""
    return "left" if position.endswith("left") else "right" if position.endswith("right") else "center"


# ---------------------------------------------------------------- legibility


def _sample(rgb: np.ndarray, limit: int = 20000) -> np.ndarray:
    """Up to `limit` pixels (Nx3) of an image region, evenly strided."""
    step = max(1, math.ceil(math.sqrt(rgb.shape[0] * rgb.shape[1] / limit)))
    return rgb[::step, ::step, :3].reshape(-1, 3)  # strided first: no full-size copy of RGBA


def choose_colors(
    background: np.ndarray,
    color: Sequence[float] | str | None,
) -> tuple[np.ndarray, np.ndarray]:
    """(text colour, halo colour): the given or most legible of white/black, and its opposite."""
    lum = relative_luminance(background)
    if color is None:
        # Judge each candidate by the background pixels that are worst for it (bright ones for white).
        white = float(contrast_ratio(1.0, np.percentile(lum, 85)))
        black = float(contrast_ratio(0.0, np.percentile(lum, 15)))
        # White reads as the conventional caption colour (and, where neither suffices, white on a
        # dark scrim looks more natural than black on a light one): prefer it unless black is clearly better.
        text_rgb = _WHITE if 1.5 * white >= black or max(white, black) < MIN_CONTRAST else _BLACK
    else:
        text_rgb = parse_rgb(color)
    # 0.179 is where a colour contrasts equally with white and black.
    halo_rgb = _BLACK if float(relative_luminance(text_rgb)) > 0.179 else _WHITE
    return text_rgb, halo_rgb


def scrim_strength(background: np.ndarray, text_rgb: np.ndarray, scrim_rgb: np.ndarray) -> float:
    """The lightest scrim opacity that lifts the worst 10% of the background to MIN_CONTRAST with the text."""
    text_lum = float(relative_luminance(text_rgb))
    for s in (0.0, 0.35, 0.45, 0.55, 0.65):
        lum = relative_luminance(background * (1.0 - s) + scrim_rgb * s)
        if np.percentile(contrast_ratio(text_lum, lum), 10) >= MIN_CONTRAST:
            return s
    return 0.75


def halo_mask(cov: np.ndarray, px: int) -> np.ndarray:
    """A soft outline around the glyphs (≈8% of the font size wide) with a small drop-shadow offset."""
    r = max(1.0, px * 0.08)
    ramp = max(1.0, r * 0.5)
    # A distance transform costs the same at any radius (a dilation's cost grows with its kernel).
    dist = cv2.distanceTransform((cov < 0.5).astype(np.uint8), cv2.DIST_L2, 5)
    halo = np.clip((r + ramp - dist) / ramp, 0.0, 1.0)
    d = max(1, round(r / 2))
    halo[d:, d:] = np.maximum(halo[d:, d:], halo[:-d, :-d])
    return halo


def scrim_mask(shape: tuple[int, int], block: tuple[int, int, int, int], grow: float) -> np.ndarray:
    """A soft-edged rounded box extending `grow` pixels around `block` (y0, x0, y1, x1)."""
    y0, x0, y1, x1 = block
    ys = np.arange(shape[0], dtype=np.float32)
    xs = np.arange(shape[1], dtype=np.float32)
    dy = np.maximum(np.maximum(y0 - ys, ys - y1), 0.0)
    dx = np.maximum(np.maximum(x0 - xs, xs - x1), 0.0)
    outside = np.hypot(dy[:, None], dx[None, :]) - grow  # < 0 inside the rounded box
    feather = max(1.0, grow / 2)
    return np.clip(0.5 - outside / feather, 0.0, 1.0)


def text_layer(
    cov: np.ndarray,
    halo: np.ndarray,
    text_rgb: np.ndarray,
    halo_rgb: np.ndarray,
    halo_alpha: float,
    scrim: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Premultiplied (rgb, alpha): text over its halo over an optional scrim, both in the halo colour."""
    back = halo * np.float32(halo_alpha)
    if scrim is not None:
        back = 1.0 - (1.0 - back) * (1.0 - scrim)
    alpha = 1.0 - (1.0 - cov) * (1.0 - back)
    prem = cov[..., None] * text_rgb + (back * (1.0 - cov))[..., None] * halo_rgb
    return prem.astype(np.float32), alpha.astype(np.float32)


# ---------------------------------------------------------------- text op


def _style(style: str) -> TextStyle:
    """The TextStyle named `style`, or a clear error."""
    if style not in STYLES:
        raise RetouchError(f"unknown text style {style!r}; use one of: {', '.join(STYLES)}", param="prompt")
    return STYLES[style]


def _font_px(size: float | str | None, default: float, h: int) -> int:
    """Font size in pixels from a fraction of the image height (or a size word)."""
    if isinstance(size, str):
        frac = SIZE_WORDS.get(size.strip().lower(), default)
    else:
        frac = default if size is None else float(size)
    if not 0 < frac <= 1:
        raise RetouchError(
            f"text size must be a fraction of the image height in (0, 1], got {size!r}", param="prompt"
        )
    return max(10, round(frac * h))


@dataclass(frozen=True)
class PlacedText:
    """Glyph coverage on a padded canvas, where that canvas sits on the image, and the text block in it."""

    cov: np.ndarray
    y: int
    x: int
    block: tuple[int, int, int, int]
    px: int


def place_text(h: int, w: int, text: str, position: str, px: int, bold: bool) -> PlacedText:
    """Lay out and render `text` for an h × w image at `position`."""
    margin = margin_px(h, w)
    layout = layout_text(text, px, max(1.0, WRAP_FRAC * w), max(1, h - 2 * margin), bold)
    pad = math.ceil(layout.px * 0.45) + 2  # room for the halo and the scrim's soft edge
    cov = render_coverage(layout, _align_for(position), pad)
    by, bx = place_box(position, h, w, layout.block_h, layout.block_w, margin)
    block = (pad, pad, pad + layout.block_h, pad + layout.block_w)
    return PlacedText(cov, by - pad, bx - pad, block, layout.px)


def text_coverage(
    h: int, w: int, text: str, position: str | None = None, size: float | None = None, style: str = "caption"
) -> np.ndarray:
    """Glyph coverage (float32 HxW) exactly where `text` would draw the letters on an h × w image."""
    st = _style(style)
    pos = normalize_position(position or st.position)
    placed = place_text(h, w, clean_text(text), pos, _font_px(size, st.size, h), st.bold)
    return _paste(h, w, placed.y, placed.x, placed.cov)


def _paste(h: int, w: int, y: int, x: int, layer: np.ndarray) -> np.ndarray:
    """An h × w float32 array holding `layer` at (y, x), clipped."""
    out = np.zeros((h, w), np.float32)
    lh, lw = layer.shape
    y0, x0, y1, x1 = max(y, 0), max(x, 0), min(y + lh, h), min(x + lw, w)
    if y0 < y1 and x0 < x1:
        out[y0:y1, x0:x1] = layer[y0 - y : y1 - y, x0 - x : x1 - x]
    return out


def rotate_expand(layer: np.ndarray, angle: float) -> np.ndarray:
    """`layer` rotated counter-clockwise by `angle` degrees on a canvas that holds all of it."""
    th, tw = layer.shape[:2]
    c, s = abs(math.cos(math.radians(angle))), abs(math.sin(math.radians(angle)))
    rw, rh = math.ceil(tw * c + th * s), math.ceil(tw * s + th * c)
    m = cv2.getRotationMatrix2D((tw / 2, th / 2), angle, 1.0)
    m[:, 2] += (rw / 2 - tw / 2, rh / 2 - th / 2)
    return cv2.warpAffine(layer, m, (rw, rh), flags=cv2.INTER_LINEAR, borderValue=0)


def tile_diagonally(
    tile: np.ndarray, block: tuple[int, int, int, int], h: int, w: int, px: int, angle: float = 30.0
) -> np.ndarray:
    """An h × w layer of `tile` (HxWxC) repeated in staggered rows that rise at `angle` degrees."""
    y0, x0, y1, x1 = block
    step_x, step_y = (x1 - x0) + 3 * px, (y1 - y0) + 3 * px
    rot = rotate_expand(tile, angle)
    rot = rot.reshape(*rot.shape[:2], -1)  # warpAffine drops a single channel's axis
    rh, rw = rot.shape[:2]
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    reach = math.hypot(h, w) / 2 + max(rh, rw)
    out = np.zeros((h, w, rot.shape[2]), np.float32)
    # Tile centres on a staggered grid in the rotated frame, mapped onto the image (y grows downward).
    for j in range(-math.ceil(reach / step_y), math.ceil(reach / step_y) + 1):
        for i in range(-math.ceil(reach / step_x) - 1, math.ceil(reach / step_x) + 1):
            u, v = i * step_x + (j % 2) * step_x / 2, j * step_y
            ty = round(h / 2 - s * u + c * v - rh / 2)
            tx = round(w / 2 + c * u + s * v - rw / 2)
            oy0, ox0, oy1, ox1 = max(ty, 0), max(tx, 0), min(ty + rh, h), min(tx + rw, w)
            if oy0 < oy1 and ox0 < ox1:
                win = out[oy0:oy1, ox0:ox1]
                np.maximum(win, rot[oy0 - ty : oy1 - ty, ox0 - tx : ox1 - tx], out=win)
    return out


@register("text")
def draw_text(
    img: np.ndarray,
    ctx: OpContext,
    *,
    text: str = "",
    position: str | None = None,
    size: float | str | None = None,
    color: Sequence[float] | str | None = None,
    opacity: float | None = None,
    style: str = "caption",
    **_: Any,
) -> np.ndarray:
    """Draw a caption, title or watermark that stays legible on any background."""
    st = _style(style)
    text = clean_text(text)
    if not text:
        raise RetouchError(
            "there is no text to add; put the words in quotes, e.g. add the caption 'Hello'", param="prompt"
        )
    h, w = img.shape[:2]
    px = _font_px(size, st.size, h)
    opacity = st.opacity if opacity is None else float(np.clip(opacity, 0.0, 1.0))
    tiled = (position or "").strip().lower() in ("tiled", "tile", "repeated", "all over", "everywhere")
    pos = "center" if tiled else normalize_position(position or st.position)
    placed = place_text(h, w, text, pos, px, st.bold)

    halo = halo_mask(placed.cov, placed.px)
    if tiled:
        both = tile_diagonally(np.dstack([placed.cov, halo]), placed.block, h, w, placed.px)
        cov, halo, y, x = both[..., 0], both[..., 1], 0, 0
        background = _sample(img)
    else:
        cov, y, x = placed.cov, placed.y, placed.x
        ch, cw = cov.shape
        under = img[max(y, 0) : y + ch, max(x, 0) : x + cw]
        background = _sample(under if under.size else img)

    text_rgb, halo_rgb = choose_colors(background, color)
    strength = scrim_strength(background, text_rgb, halo_rgb) if st.scrim and not tiled else 0.0
    scrim = None
    if strength > 0:
        scrim = scrim_mask(cov.shape, placed.block, max(2.0, placed.px * 0.3)) * np.float32(strength)
    out = img.copy()
    o = np.float32(opacity)
    for r0 in range(0, cov.shape[0], 256):  # strips keep the temporaries small and in cache
        rows = slice(r0, r0 + 256)
        prem, alpha = text_layer(
            cov[rows], halo[rows], text_rgb, halo_rgb, st.halo_alpha, None if scrim is None else scrim[rows]
        )
        # Opacity scales the whole flattened layer, so the change to the image scales with it exactly.
        composite_into(out, y + r0, x, prem * o, alpha * o)
    return out


# ---------------------------------------------------------------- border


def border_px(width: float, h: int, w: int) -> int:
    """Border thickness in pixels: a fraction of the shorter side (values ≥ 1 are taken as pixels)."""
    width = float(width)
    if width <= 0:
        raise RetouchError(f"border width must be positive, got {width!r}", param="prompt")
    return max(1, int((width if width >= 1 else width * min(h, w)) + 0.5))  # half up, not to even


@register("border")
def add_border(
    img: np.ndarray,
    ctx: OpContext,
    *,
    width: float = 0.02,
    color: Sequence[float] | str = (0, 0, 0),
    inside: bool = False,
    **_: Any,
) -> np.ndarray:
    """Frame the image: grow it by the border on every side, or paint over its edges (`inside`)."""
    h, w, channels = img.shape
    px = border_px(width, h, w)
    value = parse_rgb(color)
    if channels == 4:
        value = np.append(value, np.float32(1.0))  # the frame is opaque even around transparency
    if inside:
        px = min(px, (min(h, w) + 1) // 2)
        out = img.copy()
        out[:px], out[-px:], out[:, :px], out[:, -px:] = value, value, value, value
        return out
    out = np.empty((h + 2 * px, w + 2 * px, channels), np.float32)
    out[...] = value
    out[px : px + h, px : px + w] = img
    return out


# ---------------------------------------------------------------- place_image


def flat_border_color(rgb: np.ndarray, tolerance: float = 0.08) -> np.ndarray | None:
    """The colour of a near-uniform background around the edges of `rgb`, or None if it is not flat."""
    h, w = rgb.shape[:2]
    k = max(1, round(0.02 * min(h, w)))
    ring = np.concatenate(
        [
            rgb[:k].reshape(-1, 3),
            rgb[-k:].reshape(-1, 3),
            rgb[:, :k].reshape(-1, 3),
            rgb[:, -k:].reshape(-1, 3),
        ]
    )
    color = np.median(ring, axis=0).astype(np.float32)
    near = np.linalg.norm(ring - color, axis=1) <= tolerance
    return color if near.mean() >= 0.9 else None


def knock_out(
    rgb: np.ndarray,
    bg: np.ndarray,
    lo: float = 0.05,
    hi: float = 0.15,
) -> tuple[np.ndarray, np.ndarray]:
    """(rgb, alpha) with pixels near colour `bg` made transparent and edge pixels un-mixed from it."""
    dist = np.linalg.norm(rgb - bg, axis=-1)
    alpha = np.clip((dist - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)
    # Antialiased edges are part background: remove that share so no light fringe remains.
    a = np.maximum(alpha, 1e-3)[..., None]
    clean = np.clip((rgb - (1.0 - a) * bg) / a, 0.0, 1.0)
    return np.where(alpha[..., None] > 0, clean, rgb).astype(np.float32), alpha


def logo_rgba(ref: np.ndarray, knockout: bool | None) -> tuple[np.ndarray, np.ndarray]:
    """(rgb, alpha) of a reference image: its own alpha, or a knocked-out flat background."""
    rgb = ref[..., :3].astype(np.float32)
    if ref.shape[2] == 4 and float(ref[..., 3].min()) < 0.999:
        return rgb, ref[..., 3].astype(np.float32)
    bg = flat_border_color(rgb) if knockout is not False else None
    if bg is None:
        return rgb, np.ones(rgb.shape[:2], np.float32)
    return knock_out(rgb, bg)


def _resize_rgba(rgb: np.ndarray, alpha: np.ndarray, size: tuple[int, int], quality: str) -> np.ndarray:
    """Resize premultiplied RGBA (so transparent pixels do not bleed colour into the edges)."""
    rgba = np.dstack([rgb * alpha[..., None], alpha]).astype(np.float32)
    shrinking = size[0] < rgb.shape[1]
    interp = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC if quality == "high" else cv2.INTER_LINEAR
    return np.clip(cv2.resize(rgba, size, interpolation=interp), 0.0, 1.0)


@register("place_image")
def place_image(
    img: np.ndarray,
    ctx: OpContext,
    *,
    ref: int = 1,
    position: str = "bottom-right",
    scale: float = 0.2,
    opacity: float = 1.0,
    knockout: bool | None = None,
    **_: Any,
) -> np.ndarray:
    """Overlay input image `ref` (a logo) scaled to `scale` × the image width at `position`.

    A reference without transparency whose edges are a near-uniform colour (a logo on white) has
    that colour keyed out (`knockout=None`, automatic); `knockout=False` keeps it opaque.
    """
    index = int(ref)
    if not 0 <= index < len(ctx.refs):
        raise RetouchError(
            f"placing image {index + 1} needs at least {index + 1} input images, but {len(ctx.refs)} "
            f"{'was' if len(ctx.refs) == 1 else 'were'} given; pass the logo as another input image",
            param="image",
        )
    if not 0 < float(scale) <= 1:
        raise RetouchError(
            f"the placed image's scale must be in (0, 1] of the width, got {scale!r}", param="prompt"
        )
    h, w = img.shape[:2]
    margin = margin_px(h, w)
    rgb, alpha = logo_rgba(ctx.refs[index], knockout)
    lh, lw = alpha.shape
    # Keep the aspect ratio and fit inside the margins.
    target_w = min(float(scale) * w, (w - 2 * margin) or w, ((h - 2 * margin) or h) * lw / lh)
    tw = max(1, round(target_w))
    th = max(1, round(tw * lh / lw))
    rgba = _resize_rgba(rgb, alpha, (tw, th), ctx.quality)
    y, x = place_box(normalize_position(position), h, w, th, tw, margin)
    o = np.float32(np.clip(opacity, 0.0, 1.0))
    return composite(img, y, x, rgba[..., :3] * o, rgba[..., 3] * o)
