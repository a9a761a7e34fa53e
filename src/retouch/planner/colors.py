"""Colour names (CSS/X11 plus everyday names) and modifiers ("pastel pink", "dark navy") → RGB."""

from __future__ import annotations

import colorsys
import re
from typing import TYPE_CHECKING

from retouch.ops.catalog import CASTS

if TYPE_CHECKING:
    from .items import Item

RGB = tuple[int, int, int]

# CSS Color Module 4 named colours (which include the X11 set), written compactly.
_CSS = """
aliceblue f0f8ff antiquewhite faebd7 aqua 00ffff aquamarine 7fffd4 azure f0ffff beige f5f5dc bisque ffe4c4
black 000000 blanchedalmond ffebcd blue 0000ff blueviolet 8a2be2 brown a52a2a burlywood deb887
cadetblue 5f9ea0 chartreuse 7fff00 chocolate d2691e coral ff7f50 cornflowerblue 6495ed cornsilk fff8dc
crimson dc143c cyan 00ffff darkblue 00008b darkcyan 008b8b darkgoldenrod b8860b darkgray a9a9a9
darkgreen 006400 darkkhaki bdb76b darkmagenta 8b008b darkolivegreen 556b2f darkorange ff8c00
darkorchid 9932cc darkred 8b0000 darksalmon e9967a darkseagreen 8fbc8f darkslateblue 483d8b
darkslategray 2f4f4f darkturquoise 00ced1 darkviolet 9400d3 deeppink ff1493 deepskyblue 00bfff
dimgray 696969 dodgerblue 1e90ff firebrick b22222 floralwhite fffaf0 forestgreen 228b22 fuchsia ff00ff
gainsboro dcdcdc ghostwhite f8f8ff gold ffd700 goldenrod daa520 gray 808080 green 008000
greenyellow adff2f honeydew f0fff0 hotpink ff69b4 indianred cd5c5c indigo 4b0082 ivory fffff0 khaki f0e68c
lavender e6e6fa lavenderblush fff0f5 lawngreen 7cfc00 lemonchiffon fffacd lightblue add8e6
lightcoral f08080 lightcyan e0ffff lightgoldenrodyellow fafad2 lightgray d3d3d3 lightgreen 90ee90
lightpink ffb6c1 lightsalmon ffa07a lightseagreen 20b2aa lightskyblue 87cefa lightslategray 778899
lightsteelblue b0c4de lightyellow ffffe0 lime 00ff00 limegreen 32cd32 linen faf0e6 magenta ff00ff
maroon 800000 mediumaquamarine 66cdaa mediumblue 0000cd mediumorchid ba55d3 mediumpurple 9370db
mediumseagreen 3cb371 mediumslateblue 7b68ee mediumspringgreen 00fa9a mediumturquoise 48d1cc
mediumvioletred c71585 midnightblue 191970 mintcream f5fffa mistyrose ffe4e1 moccasin ffe4b5
navajowhite ffdead navy 000080 oldlace fdf5e6 olive 808000 olivedrab 6b8e23 orange ffa500
orangered ff4500 orchid da70d6 palegoldenrod eee8aa palegreen 98fb98 paleturquoise afeeee
palevioletred db7093 papayawhip ffefd5 peachpuff ffdab9 peru cd853f pink ffc0cb plum dda0dd
powderblue b0e0e6 purple 800080 rebeccapurple 663399 red ff0000 rosybrown bc8f8f royalblue 4169e1
saddlebrown 8b4513 salmon fa8072 sandybrown f4a460 seagreen 2e8b57 seashell fff5ee sienna a0522d
silver c0c0c0 skyblue 87ceeb slateblue 6a5acd slategray 708090 snow fffafa springgreen 00ff7f
steelblue 4682b4 tan d2b48c teal 008080 thistle d8bfd8 tomato ff6347 turquoise 40e0d0 violet ee82ee
wheat f5deb3 white ffffff whitesmoke f5f5f5 yellow ffff00 yellowgreen 9acd32
"""

# Everyday names people use that CSS lacks (values from common design palettes).
_EXTRA = """
offwhite f8f6f0 cream fffdd0 eggshell f0ead6 charcoal 36454f slate 708090 graphite 383838 ash b2beb5
stone 928e85 sand c2b280 taupe 8b8589 mocha 967969 espresso 4e312d coffee 6f4e37 caramel c68e17
mustard e1ad01 amber ffbf00 golden ffd700 ochre cc7722 rust b7410e terracotta e2725b copper b87333
bronze cd7f32 burgundy 800020 wine 722f37 plum 8e4585 mauve e0b0ff lilac c8a2c8 periwinkle ccccff
blush de5d83 rose ff66cc peach ffe5b4 apricot fbceb1 mint 98ff98 sage 9caf88 emerald 50c878 jade 00a86b
ruby e0115f sapphire 0f52ba cobalt 0047ab denim 1560bd cerulean 007ba7 ice d6ecef babyblue 89cff0
pastelblue aec6cf pastelpink ffd1dc pastelgreen 77dd77 pastelyellow fdfd96 pastelpurple b39eb5
neongreen 39ff14 neonpink ff6ec7 magentapink cc338b lemon fff44f canary ffff99 bottlegreen 006a4e
hunter 355e3b huntergreen 355e3b army 4b5320 khakigreen 8a865d pine 01796f forest 228b22 lavendergray c4c3d0
grey 808080 nude e3bc9a skin e0ac69 porcelain f0ece2 pearl eae0c8 champagne f7e7ce gunmetal 2a3439
smoke 738276 fog d7d9d7 cloud ececec jet 343434 onyx 353839 ebony 555d50 pitch 000000
"""

#: Colour name → RGB (names without spaces; "navy blue" is matched as "navyblue").
NAMED: dict[str, RGB] = {}
for _blob in (_CSS, _EXTRA):
    _parts = _blob.split()
    for _name, _hex in zip(_parts[::2], _parts[1::2], strict=True):
        NAMED[_name] = (int(_hex[0:2], 16), int(_hex[2:4], 16), int(_hex[4:6], 16))
# British spellings and two-word synonyms that resolve to the same entry.
for _k in list(NAMED):
    if "gray" in _k:
        NAMED[_k.replace("gray", "grey")] = NAMED[_k]
NAMED.update(
    {
        "navyblue": NAMED["navy"],
        "offwhite": NAMED["offwhite"],
        "brightwhite": NAMED["white"],
        "jetblack": (10, 10, 10),
        "pureblack": (0, 0, 0),
        "purewhite": (255, 255, 255),
        "gold": NAMED["gold"],
        "silvergray": NAMED["silver"],
        "darkpink": (231, 84, 128),
        "lightbrown": (181, 101, 29),
        "darkbrown": (101, 67, 33),
        "lightpurple": (203, 160, 227),
        "darkpurple": (72, 25, 96),
        "lightorange": (255, 200, 120),
        "darkorange": NAMED["darkorange"],
        "lightred": (255, 114, 118),
        "darkyellow": (204, 170, 0),
    }
)

#: Names that are everyday nouns too ("snow", "coffee"): a colour only after a modifier or before
#: "colour(ed)", so "remove the snow" is not read as a colour.
SECONDARY = frozenset(
    {
        "skin",
        "cloud",
        "smoke",
        "fog",
        "ice",
        "stone",
        "pitch",
        "jet",
        "ash",
        "forest",
        "army",
        "hunter",
        "pine",
        "snow",
        "coffee",
        "wine",
        "sand",
        "nude",
        "peru",
        "espresso",
        "mocha",
        "porcelain",
        "lemon",
        "peach",
        "mint",
        "plum",
        "rose",
        "chocolate",
        "tomato",
        "salmon",
        "linen",
        "wheat",
        "slate",
        "copper",
        "bronze",
        "rust",
        "pearl",
        "champagne",
        "caramel",
        "honeydew",
        "orchid",
        "thistle",
        "tan",
        "sage",
        "blush",
        "canary",
        "denim",
        "ruby",
        "jade",
        "emerald",
        "sapphire",
        "ochre",
        "golden",
    }
)
_COLOR_NOUNS = frozenset({"color", "colored", "colour", "coloured", "tone", "toned", "hue", "tinted"})

#: Single-word colour names that also serve as hue bands for per-band edits ("the blues").
HUE_OF: dict[str, float] = {
    "red": 0,
    "orange": 30,
    "yellow": 60,
    "green": 120,
    "cyan": 180,
    "teal": 180,
    "aqua": 180,
    "blue": 230,
    "purple": 275,
    "violet": 275,
    "magenta": 300,
    "pink": 330,
}
#: Band names the saturation / hue_shift ops accept (catalog: band).
BANDS = ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "magenta", "skin")


def _mix(c: RGB, target: RGB, t: float) -> RGB:
    """Linear mix of `c` toward `target` by fraction t."""
    return tuple(round(a + (b - a) * t) for a, b in zip(c, target, strict=True))  # type: ignore[return-value]


def _desaturate(c: RGB, t: float) -> RGB:
    """Move `c` toward its own luminance gray by fraction t."""
    y = round(0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2])
    return _mix(c, (y, y, y), t)


def _saturate(c: RGB) -> RGB:
    """Push a colour to full saturation at its own hue, keeping its brightest channel."""
    hi, lo = max(c), min(c)
    if hi == lo:
        return c
    return tuple(round((v - lo) / (hi - lo) * hi) for v in c)  # type: ignore[return-value]


_WHITE: RGB = (255, 255, 255)
_BLACK: RGB = (0, 0, 0)
_SOFT_GRAY: RGB = (200, 200, 200)

#: Modifier word → function on RGB. Applied right to left ("very pale pink" = very(pale(pink))).
MODIFIERS = {
    "light": lambda c: _mix(c, _WHITE, 0.45),
    "pale": lambda c: _mix(c, _WHITE, 0.6),
    "pastel": lambda c: _mix(_desaturate(c, 0.2), _WHITE, 0.55),
    "soft": lambda c: _mix(c, _SOFT_GRAY, 0.3),
    "muted": lambda c: _desaturate(c, 0.45),
    "dusty": lambda c: _mix(_desaturate(c, 0.4), _SOFT_GRAY, 0.2),
    "dull": lambda c: _desaturate(c, 0.4),
    "dark": lambda c: _mix(c, _BLACK, 0.4),
    "deep": lambda c: _mix(_saturate(c), _BLACK, 0.3),
    "rich": lambda c: _mix(_saturate(c), _BLACK, 0.15),
    "bright": lambda c: _saturate(_mix(c, _WHITE, 0.1)) if min(c) != max(c) else _mix(c, _WHITE, 0.15),
    "vivid": _saturate,
    "neon": lambda c: _mix(_saturate(c), _WHITE, 0.1),
    "hot": _saturate,
    "warm": lambda c: _mix(c, (255, 170, 80), 0.12),
    "cool": lambda c: _mix(c, (80, 140, 255), 0.12),
    "pure": lambda c: c,
    "solid": lambda c: c,
    "plain": lambda c: c,
    "flat": lambda c: c,
    "clean": lambda c: c,
    "true": lambda c: c,
    "medium": lambda c: c,
    "mid": lambda c: c,
}
#: Intensifiers in front of a modifier ("very light gray"): how many times to apply it.
INTENSIFIERS = {"very": 2, "really": 2, "super": 2, "extra": 2, "slightly": 0, "somewhat": 0}

_HEX_RE = re.compile(r"^#([0-9a-f]{3}|[0-9a-f]{6})$")
_RGB_RE = re.compile(r"^rgba?\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*(?:,\s*[\d.]+\s*)?\)$")


def parse_hex(text: str) -> RGB | None:
    """`#ff8800` or `#f80` → RGB, else None."""
    m = _HEX_RE.match(text.strip().lower())
    if not m:
        return None
    h = m.group(1)
    if len(h) == 3:
        h = "".join(ch * 2 for ch in h)
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))


def parse_rgb_call(text: str) -> RGB | None:
    """`rgb(10, 20, 30)` → RGB (components clamped to 0..255), else None."""
    m = _RGB_RE.match(text.strip().lower())
    if not m:
        return None
    return tuple(min(255, int(g)) for g in m.groups())  # type: ignore[return-value]


def _strip_ish(word: str) -> str:
    """`bluish`/`reddish`/`greeny` → the colour word they come from."""
    for suffix, repl in (("dish", ""), ("ish", ""), ("ish", "e"), ("y", "")):
        if word.endswith(suffix):
            base = word[: -len(suffix)] + repl
            if base in NAMED:
                return base
    return word


def name_to_rgb(name: str) -> RGB | None:
    """A single (possibly joined) colour name → RGB, else None."""
    key = name.replace(" ", "").replace("-", "").replace("grey", "gray")
    if key in NAMED:
        return NAMED[key]
    key = _strip_ish(key)
    return NAMED.get(key)


def match_color(words: list[str], start: int) -> tuple[RGB, int] | None:
    """Longest colour phrase at words[start:]: (intensifier|modifier)* name; returns (rgb, n_words)."""
    i = start
    while i < len(words) and (words[i] in MODIFIERS or words[i] in INTENSIFIERS):
        i += 1
    # The name may begin inside the modifier run ("light blue" is a CSS name itself); the earliest
    # start wins, then the longest name ("light sky blue" over "light" + "sky blue").
    for j in range(start, i + 1):
        for n in (3, 2, 1):
            if j + n > len(words) or j + n <= i:
                continue
            rgb = name_to_rgb("".join(words[j : j + n]))
            if rgb is None:
                continue
            used = j + n - start
            if n == 1 and (words[j] in SECONDARY or _strip_ish(words[j]) in SECONDARY) and j == start:
                # An everyday noun is a colour only when "colour(ed)" follows it.
                if j + 1 >= len(words) or words[j + 1] not in _COLOR_NOUNS:
                    continue
                used += 1
            return _apply_mods(rgb, words[start:j]), used
    return None


def _apply_mods(rgb: RGB, mods: list[str]) -> RGB:
    """Apply modifiers right to left; an intensifier repeats (or softens) the modifier after it."""
    out = rgb
    repeat = 1
    for word in reversed(mods):
        if word in INTENSIFIERS:
            # "very light" = light applied once more; "slightly dark" = half-strength, approximated by a mix.
            times = INTENSIFIERS[word]
            out = _mix(rgb, out, 0.5) if times == 0 else out
            repeat = times
            continue
        fn = MODIFIERS[word]
        for _ in range(repeat):
            out = fn(out)
        repeat = 1
    return out


# ---------------------------------------------------------------- colour items: hue, band, cast


def cast_name(it: Item) -> str:
    """The white_balance cast a colour item names ("pink" stays pink; "brown" is its hue band)."""
    word = it.text.split()[-1]
    return word if word in CASTS else (band_name(it) or "red")


def band_name(it: Item) -> str | None:
    """A colour item → the catalog hue band it names."""
    if it.text == "skin":
        return "skin"
    word = it.text.split()[-1].rstrip("s")
    if word in ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "magenta"):
        return word
    h = hue_of(it.value)
    if h is None:
        return None
    names = ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "magenta")
    centers = (0, 30, 60, 120, 180, 230, 275, 300)
    return min(zip(names, centers, strict=True), key=lambda nc: min(abs(h - nc[1]), 360 - abs(h - nc[1])))[0]


def hue_of(rgb: tuple[int, int, int]) -> float | None:
    """Hue in degrees of an RGB colour, None for grays."""
    h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in rgb))
    if s < 0.15 or v < 0.08:
        return None
    return h * 360
