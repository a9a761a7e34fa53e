"""Editor recipes written as slider settings: Photoshop menus and Lightroom panels → steps.

People paste what they did in an editor: "Image -> Adjustments -> Levels -> Black 22, Grey 0.72,
White 255", "Hue/Saturation: Saturation -1, Lightness -29", "Exposure +0.5, Highlights -40,
Shadows +30, Clarity +20, Vibrance +15". Each "Slider value" pair maps to the op that moves the same
way, with the editor's scale converted (a ±100 slider is an amount of ±1.0, Exposure is in stops,
Hue in degrees). A pair is read as a slider setting only in a recipe: the text has a menu path
("->", ">", "Adjustments"), lists two or more pairs, or gives one signed whole number ("Contrast -1")
or an editor-only slider ("black level 22"); "reduce brightness 20%" stays an ordinary instruction.
Negligible settings (|value| < 3 on a ±100 slider) are left out with a note. Levels' black and white
points become contrast (a wider tonal range), its grey point a gamma (PS grey > 1 lightens the
midtones, as `gamma` > 1 does here).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from .amounts import clamp


@dataclass(frozen=True)
class Slider:
    """An editor slider: the op it moves, the parameter, the editor units per 1.0 of the parameter, sign."""

    op: str
    param: str
    per_unit: float = 100.0
    sign: int = 1


#: Slider names (lower case, as editors label them) → the op that moves the same way.
SLIDERS: dict[str, Slider] = {
    "exposure": Slider("exposure", "stops", 1.0),
    "brightness": Slider("brightness", "amount"),
    "lightness": Slider("brightness", "amount"),
    "contrast": Slider("contrast", "amount"),
    "highlights": Slider("highlights", "amount"),
    "highlight": Slider("highlights", "amount"),
    "whites": Slider("highlights", "amount"),
    "shadows": Slider("shadows", "amount"),
    "shadow": Slider("shadows", "amount"),
    "blacks": Slider("shadows", "amount"),
    "clarity": Slider("clarity", "amount"),
    "texture": Slider("clarity", "amount"),
    "dehaze": Slider("dehaze", "amount"),
    "vibrance": Slider("vibrance", "amount"),
    "saturation": Slider("saturation", "amount"),
    "sat": Slider("saturation", "amount"),
    "temperature": Slider("temperature", "amount"),
    "temp": Slider("temperature", "amount"),
    "warmth": Slider("temperature", "amount"),
    "tint": Slider("tint", "amount"),
    "hue": Slider("hue_shift", "degrees", 1.0),
    "vignette": Slider("vignette", "amount", 100.0, -1),  # Lightroom: negative darkens the corners
    "vignetting": Slider("vignette", "amount", 100.0, -1),
    "grain": Slider("grain", "amount"),
    "sharpening": Slider("sharpen", "amount", 100.0 / 1.5),
    "sharpness": Slider("sharpen", "amount", 100.0 / 1.5),
    "noise reduction": Slider("denoise", "amount", 100.0 / 1.5),
    "gamma": Slider("gamma", "gamma", 1.0),
    # Photoshop's Color Balance: each slider runs from one colour to its opposite
    "cyan/red": Slider("temperature", "amount"),
    "cyan-red": Slider("temperature", "amount"),
    "magenta/green": Slider("tint", "amount", 100.0, -1),
    "magenta-green": Slider("tint", "amount", 100.0, -1),
    "yellow/blue": Slider("temperature", "amount", 100.0, -1),
    "yellow-blue": Slider("temperature", "amount", 100.0, -1),
    # Levels' points on their own: the black point up (or the white point down) is more contrast
    "black point": Slider("contrast", "amount", 255.0 / 2),
    "black level": Slider("contrast", "amount", 255.0 / 2),
    "input black": Slider("contrast", "amount", 255.0 / 2),
}
#: Slider names that are editor jargon only: one setting is a recipe even without a menu path.
_JARGON = frozenset({"black point", "black level", "input black", "clarity", "dehaze", "vibrance", "texture"})
#: Parameters that are a strength (never negative): their slider's sign is dropped.
_UNSIGNED = frozenset({"sharpen", "denoise", "grain"})

_NUM = r"([+\-−–]?\s?(?:\d+(?:\.\d+)?|\.\d+))"
_NAMES = "|".join(sorted((re.escape(n) for n in SLIDERS), key=len, reverse=True))
_PAIR_RE = re.compile(rf"(?<![\w-])({_NAMES})\s*[:=]?\s*{_NUM}\s*(%?)(?![\w.])", re.IGNORECASE)
_LEVELS_RE = re.compile(
    rf"\blevels?\b[^0-9+\-−]{{0,40}}?(?:black|input)?\D{{0,12}}?{_NUM}\s*(?:,|/|\s)\s*(?:gr[ae]y|gamma|mid(?:tones?)?)?"
    rf"\s*[:=]?\s*(\d?\.\d+|\d)\s*(?:,|/|\s)\s*(?:white)?\s*[:=]?\s*(\d+)",
    re.IGNORECASE,
)
_LEVEL_POINT_RE = re.compile(r"\b(black|gr[ae]y|white)\s*(?:point)?\s*[:=]?\s*(\d+(?:\.\d+)?)", re.IGNORECASE)
_MENU_RE = re.compile(
    r"->|→|=>|>|\badjustments?\b|\bpanel\b|\bcamera raw\b|\blightroom\b|\bphotoshop\b|"
    r"\b(?:brightness\s*/\s*contrast|hue\s*/\s*saturation|shadows?\s*/\s*highlights?|levels?|curves|"
    r"color balance(?:\s*(?:->|>|→|:)?\s*(?:midtones|shadows|highlights))?)\b",
    re.I,
)
#: Photoshop's Shadows/Highlights dialog: its "Highlights" amount darkens the highlights (a recovery).
_SHADOWS_HIGHLIGHTS_DIALOG = re.compile(r"\bshadows?\s*/\s*highlights?\b", re.I)
_QUOTED_RE = re.compile(r'"[^"]*"|“[^”]*”|‘[^’]*’|(?<!\w)\'[^\']*\'(?!\w)')
#: Words before a pair that make it an instruction with a direction, not a slider setting.
_DIRECTION_BEFORE = re.compile(
    r"\b(?:increase|decrease|raise|lower|reduce|boost|add|drop|cut|up|down|more|less|by)\s+(?:the\s+)?$", re.I
)


@dataclass
class SliderStep:
    """One step read from a recipe: op, params, the text it came from."""

    op: str
    params: dict[str, Any]
    text: str


def read_sliders(prompt: str) -> tuple[list[SliderStep], str, list[str]]:
    """Steps for the slider settings in `prompt`, the text left once they (and menu paths) are taken out,
    and notes about settings left out. No steps and the prompt unchanged when it is not a recipe."""
    text = prompt.replace("−", "-").replace("–", "-")
    # quoted text is text to draw ("add the caption 'Exposure +1'"): blanked for the search, spans kept
    masked = _QUOTED_RE.sub(lambda m: " " * len(m.group(0)), text)
    found: list[tuple[int, int, SliderStep | None, str]] = []  # (start, end, step, note)
    levels = _levels(masked)
    if levels is not None:
        found.append(levels)
    found += _curve_points(masked)
    taken = [(a, b) for a, b, _, _ in found]
    pairs = []
    for m in _PAIR_RE.finditer(masked):
        if any(a <= m.start() < b for a, b in taken) or _DIRECTION_BEFORE.search(masked[: m.start()]):
            continue
        pairs.append(m)
    menu = _MENU_RE.search(masked) is not None
    jargon = any(m.group(1).lower() in _JARGON for m in pairs)
    signed_int = jargon or any(re.fullmatch(r"[+-]\s?\d+", m.group(2).strip()) and not m.group(3) for m in pairs)
    if not found and not (pairs and (menu or len(pairs) >= 2 or signed_int)):
        return [], prompt, []
    recovery = _SHADOWS_HIGHLIGHTS_DIALOG.search(masked) is not None
    for m in pairs:
        found.append((m.start(), m.end(), *_pair_step(m, recovery)))
    found.sort(key=lambda f: f[0])
    steps = [f[2] for f in found if f[2] is not None]
    notes = [f[3] for f in found if f[3]]
    rest = text
    for a, b, _, _ in sorted(found, key=lambda f: -f[0]):
        rest = rest[:a] + " " + rest[b:]
    rest = _MENU_RE.sub(" ", rest)
    return steps, rest, notes


def _pair_step(m: re.Match[str], recovery: bool = False) -> tuple[SliderStep | None, str]:
    """The step (or a note that it is negligible) for one "Slider value" pair."""
    name, raw = m.group(1).lower(), m.group(2).replace(" ", "")
    slider = SLIDERS[name]
    value = float(raw)
    if recovery and slider.op == "highlights" and raw[0] not in "+-":
        value = -value  # PS Shadows/Highlights: "Highlights 20%" recovers (darkens) the highlights
    if slider.per_unit >= 100.0 and abs(value) < 3 and slider.op not in _UNSIGNED:
        return None, f"“{m.group(0).strip()}” is too small to change the picture: left out"
    if m.group(3) == "%" and slider.op == "hue_shift":
        value *= 3.6  # a percentage of the colour wheel
    elif m.group(3) == "%" and slider.per_unit == 1.0:
        value = math.log2(1 + value / 100) if slider.op == "exposure" else 1 + value / 100
    v = slider.sign * value / slider.per_unit
    if slider.op in _UNSIGNED:
        v = abs(v)
    return SliderStep(slider.op, {slider.param: round(clamp(slider.op, v), 4)}, m.group(0).strip()), ""


def _levels(text: str) -> tuple[int, int, SliderStep | None, str] | None:
    """Levels' black / grey / white points → contrast and gamma steps (one SliderStep list flattened)."""
    m = _LEVELS_RE.search(text)
    if m is not None:
        black, grey, white = float(m.group(1).replace(" ", "")), float(m.group(2)), float(m.group(3))
        start, end = m.start(), m.end()
    else:
        points = {p.group(1).lower()[:2]: (p, float(p.group(2))) for p in _LEVEL_POINT_RE.finditer(text)}
        if not re.search(r"\blevels?\b", text, re.I) or len(points) < 2:
            return None
        black = points.get("bl", (None, 0.0))[1]
        grey = points.get("gr", (None, 1.0))[1]
        white = points.get("wh", (None, 255.0))[1]
        spans = [p.span() for p, _ in points.values()]
        start, end = min(a for a, _ in spans), max(b for _, b in spans)
    return start, end, _levels_step(black, grey, white, text[start:end]), ""


_CURVE_RE = re.compile(
    r"\bcurves?\b[^0-9]{0,30}?\b(?:input|in)\s*[:=]?\s*(\d{1,3})\D{1,12}?\b(?:output|out)\s*[:=]?\s*(\d{1,3})", re.I
)


def _curve_points(text: str) -> list[tuple[int, int, SliderStep | None, str]]:
    """A Curves point "input 128, output 150": the gamma that moves that input level to that output."""
    out: list[tuple[int, int, SliderStep | None, str]] = []
    for m in _CURVE_RE.finditer(text):
        x, y = int(m.group(1)), int(m.group(2))
        if not (0 < x < 255 and 0 < y < 255) or x == y:
            continue
        gamma = math.log(x / 255) / math.log(y / 255)  # (x/255) ** (1/gamma) == y/255
        out.append(
            (m.start(), m.end(), SliderStep("gamma", {"gamma": round(clamp("gamma", gamma), 4)}, m.group(0)), "")
        )
    return out


def _levels_step(black: float, grey: float, white: float, text: str) -> SliderStep | None:
    """One step for a Levels setting: the larger of its range and midtone moves (both kept in `levels_*`)."""
    spread = (max(0.0, black) + max(0.0, 255 - white)) / 255
    if not 0.1 <= grey <= 10:
        grey = 1.0
    # Levels is two moves; the step list carries both: contrast for the range, gamma for the midtones.
    return SliderStep("levels", {"contrast": round(clamp("contrast", spread * 2), 4), "gamma": grey}, text)


def expand(step: SliderStep) -> list[tuple[str, dict[str, Any]]]:
    """A slider step as plan ops (a Levels setting is a contrast and a gamma step)."""
    if step.op != "levels":
        return [(step.op, step.params)]
    out: list[tuple[str, dict[str, Any]]] = []
    if step.params["contrast"] > 0.005:
        out.append(("contrast", {"amount": step.params["contrast"]}))
    if abs(step.params["gamma"] - 1) > 0.005:
        out.append(("gamma", {"gamma": step.params["gamma"]}))
    return out
