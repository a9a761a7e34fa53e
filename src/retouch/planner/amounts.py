"""How words and numbers become amounts: per-op defaults, intensity words, and catalog ranges.

The rule, documented for users (`retouch explain`, docs):

* No amount given → the op's moderate default (DEFAULT_AMOUNTS), with the sign of the request.
* An intensity word scales that default (LEVELS): "slightly" ×0.5, "a lot" ×1.7, ...
* A percentage is taken literally as the op's fraction: "brighten by 25%" → brightness +0.25,
  "20% darker" → -0.20, "reduce saturation by 30%" → -0.30. "to 80%" means a target: -0.20.
* Fractions and multiples: "by half" → 0.5, "by a fifth" → 0.2, "double"/"twice as" → +1.0,
  "half as" / "halve" → -0.5.
* Results are clamped to the catalog's range for the op.
"""

from __future__ import annotations

from retouch.ops.catalog import CATALOG, OpSpec, Param


def _magnitude(op: str, spec: OpSpec) -> float | None:
    """The moderate size of a change of `op` when the instruction gives none (from the spec's default)."""
    if spec.main is None:
        return None
    p = spec.params[spec.main]
    if not isinstance(p, Param) or not isinstance(p.default, int | float):
        return None
    if op == "gamma":
        return round(p.default - 1, 6)  # a deviation from 1: brighten midtones → 1.25, darken → 1/1.25
    return abs(float(p.default))


#: Moderate amount per op when the instruction gives none (catalog units), read from the op spec.
DEFAULT_AMOUNTS: dict[str, float] = {
    op: m for op, s in CATALOG.items() if (m := _magnitude(op, s)) is not None
}
DEFAULT_AMOUNTS["auto_levels"] = float(CATALOG["auto_levels"].default("clip"))

#: Intensity words → multiplier of the default. Multi-word entries are matched as phrases.
LEVELS: dict[str, float] = {}
_LEVEL_GROUPS: list[tuple[float, str, tuple[str, ...]]] = [
    (
        0.25,
        "tiny",
        (
            "a tiny bit",
            "a tiny amount",
            "very slightly",
            "barely",
            "a hint",
            "a hint of",
            "a smidge",
            "a hair",
            "a smidge",
            "a smidgen",
            "a tad",
            "ever so slightly",
            "very subtle",
            "very subtly",
            "very gentle",
            "very light",
            "very lightly",
            "very mild",
            "very soft",
            "tiny",
            "minimal",
            "faint",
            "a wee bit",
        ),
    ),
    (
        0.5,
        "slight",
        (
            "slightly",
            "slight",
            "a little",
            "a little bit",
            "a bit",
            "a touch",
            "a touch of",
            "subtle",
            "subtly",
            "gentle",
            "gently",
            "mild",
            "mildly",
            "soft",
            "softly",
            "light",
            "lightly",
            "somewhat",
            "just a bit",
            "small",
            "a small amount",
            "delicate",
            "minor",
            "marginally",
            "a few",
        ),
    ),
    (
        1.0,
        "moderate",
        (
            "moderately",
            "moderate",
            "some",
            "medium",
            "noticeably",
            "noticeable",
            "normal",
            "a fair bit",
            "reasonably",
            "fairly",
            "quite",
            "pretty",
        ),
    ),
    (
        1.7,
        "strong",
        (
            "a lot",
            "lots",
            "much",
            "strongly",
            "strong",
            "significantly",
            "significant",
            "dramatically",
            "dramatic",
            "very",
            "heavily",
            "heavy",
            "intense",
            "intensely",
            "really",
            "considerably",
            "way",
            "way more",
            "a lot more",
            "much more",
            "far more",
            "hard",
            "bold",
            "big",
            "large",
            "deep",
            "high",
            "substantially",
            "greatly",
            "seriously",
            "loads",
            "tons",
            "a ton of",
            "a ton",
            "a whole lot",
            "a great deal",
            "a good deal",
            "bunch",
        ),
    ),
    (
        2.5,
        "extreme",
        (
            "extremely",
            "extreme",
            "massively",
            "hugely",
            "huge",
            "very strong",
            "very strongly",
            "super",
            "maximum",
            "max",
            "as much as possible",
            "insanely",
            "crazy",
            "drastically",
            "very heavy",
            "very heavily",
            "very much",
            "very dramatic",
            "enormously",
            "totally",
        ),
    ),
]
for _mult, _name, _words in _LEVEL_GROUPS:
    for _w in _words:
        LEVELS[_w] = _mult

#: (words, meaning) rows for docs and `retouch explain`.
AMOUNTS_TABLE: list[tuple[str, str]] = [
    (
        "(no amount)",
        "the op's moderate default: "
        + ", ".join(
            f"{op} {v:g}"
            for op, v in DEFAULT_AMOUNTS.items()
            if op
            in (
                "brightness",
                "contrast",
                "saturation",
                "vibrance",
                "temperature",
                "vignette",
                "sharpen",
                "blur",
                "grain",
                "exposure",
                "hue_shift",
            )
        ),
    ),
    *[
        (", ".join(f'"{w}"' for w in words[:8]), f"×{mult:g} of the default ({name})")
        for mult, name, words in _LEVEL_GROUPS
    ],
    (
        '"by 20%", "20 percent", "+20%", "20 %"',
        "literal: amount 0.20 (sign from the wording: 20% darker → -0.20)",
    ),
    ('"to 80%"', "a target: amount -0.20 (80% of the original)"),
    ('"0.2" (a bare fraction)', "literal amount 0.2"),
    ('"by half", "by a third", "by a quarter", "by a fifth"', "0.5, 0.33, 0.25, 0.2"),
    (
        '"double", "twice as", "triple"',
        "brightness/contrast/saturation/vibrance +1.0, +1.0, +2.0; others ×2, ×3 the default",
    ),
    ('"half as", "halve"', "-0.5 (brightness/contrast/saturation/vibrance)"),
    ('"+1 stop", "1 EV", "half a stop"', "exposure stops 1, 1, 0.5"),
    ('"30 degrees", "30°"', "hue shift or rotation in degrees"),
    ('"too dark", "it is too X"', "the opposite of X at the default amount"),
]

#: Ranges (min, max) of each op's main parameter, from the op spec, used to clamp.
RANGES: dict[str, tuple[float, float]] = {
    op: (float(p.min), float(p.max))
    for op, s in CATALOG.items()
    if s.main is not None
    and isinstance(p := s.params[s.main], Param)
    and p.min is not None
    and p.max is not None
}
#: Ops whose amount is a strength on a 0..N scale rather than a fraction of change: a bare
#: number up to N is read as that strength ("blur 2"), larger as a percent.
STRENGTH_OPS = frozenset({"sharpen", "blur", "denoise", "background_blur"})

#: Word fractions and multiples.
FRACTIONS: dict[str, float] = {
    "half": 0.5,
    "third": 1 / 3,
    "quarter": 0.25,
    "fourth": 0.25,
    "fifth": 0.2,
    "sixth": 1 / 6,
    "tenth": 0.1,
    "eighth": 0.125,
}
MULTIPLES: dict[str, float] = {
    "double": 2.0,
    "twice": 2.0,
    "triple": 3.0,
    "thrice": 3.0,
    "quadruple": 4.0,
    "halve": 0.5,
}


def default_amount(op: str) -> float:
    """The moderate default amount of `op` (catalog units); 1.0 for ops without one."""
    return DEFAULT_AMOUNTS.get(op, 1.0)


def clamp(op: str, value: float) -> float:
    """Clamp `value` into the catalog range of `op` (unchanged for ops without a range)."""
    lo, hi = RANGES.get(op, (float("-inf"), float("inf")))
    return max(lo, min(hi, value))


def level_amount(op: str, sign: int, mult: float) -> float:
    """Default amount of `op` scaled by an intensity multiplier, with a sign, clamped."""
    return clamp(op, sign * default_amount(op) * mult)
