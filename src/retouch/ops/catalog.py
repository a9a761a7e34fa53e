"""The operations the builtin engine knows: one spec per op.

Each `OpSpec` is the whole contract of an operation, read by everything that needs it:

* the planner (which emits `PlanStep(op, params, region)`): the words that name the op and their
  direction, the default of each parameter, the range it clamps to;
* the executor (`engines/builtin.py`): the defaults of parameters a plan leaves out;
* `validate_plan` (the API, `retouch edit --plan`, the web editor): types, ranges and choices;
* the docs tables (`docs/make_builtin_tables.py`) and `retouch explain`.

Amounts are fractions: `+0.20` means "20% more", `-0.5` means "half as much". Pure data, no
imports beyond the standard library, so reading it is cheap.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

OpKind = Literal["pixel", "image", "geometry"]
OpStatus = Literal["ready", "planned"]

#: Hue bands a colour op may be confined to.
BANDS = ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "magenta", "skin")
#: Casts white_balance can remove by name: the hue bands, and a few everyday names between them.
CASTS = ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "magenta", "pink", "violet", "teal", "amber")
#: Named colour looks.
LOOKS = (
    "vintage",
    "faded",
    "cinematic",
    "teal_orange",
    "noir",
    "bleach_bypass",
    "cross_process",
    "golden_hour",
    "matte",
)
#: Placements for text and logos.
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
    "tiled",
)

#: Region names a step may be confined to.
REGIONS = (
    "all",
    "mask",
    "subject",
    "background",
    "sky",
    "face",
    "left",
    "right",
    "top",
    "bottom",
    "top-left",
    "top-right",
    "bottom-left",
    "bottom-right",
    "center",
    "edges",
)


class PType(StrEnum):
    """What a parameter holds (the web editor picks its control from this)."""

    FLOAT = "float"
    INT = "int"
    BOOL = "bool"
    CHOICE = "choice"  # one of `choices`
    COLOR = "color"  # [r, g, b] 0..255, or one of `choices` ("transparent", "edge")
    COLORS = "colors"  # [[r, g, b], ...]
    RATIO = "ratio"  # [w, h]
    BOX = "box"  # [x0, y0, x1, y1] fractions
    REF = "ref"  # index of another input image (1 = the second)
    TEXT = "text"
    ANY = "any"  # described only by its help (an op added in the short form)


@dataclass(frozen=True)
class Param:
    """One parameter: type, default, range or choices, and what a positive value means."""

    type: PType
    default: Any = None
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    positive: str = ""  # what a positive value does ("brighter"); "" when the sign has no meaning
    help: str = ""
    nullable: bool = False  # None is allowed (and means what `help` says)


@dataclass(frozen=True)
class Words:
    """Phrases that name an op, with the direction they carry and their part of speech.

    `sign` +1/-1 for words that carry a direction ("brighter", "darken"), 0 for neutral nouns
    ("contrast") that take the sentence's direction. `pos` is n (noun), a (adjective) or v (verb):
    nouns take the direction of the sentence ("lower the contrast"), adjectives and verbs carry their
    own ("darker", "desaturate"), which "less"/"too" invert. `trigger` is the planner's concept when
    it is not the op itself (e.g. "crop" plans crop_aspect or crop_box).
    """

    phrases: str  # "|"-separated, in base forms
    sign: int = 0
    pos: str = "n"
    trigger: str = ""


@dataclass(frozen=True)
class OpSpec:
    """The contract of one operation."""

    kind: OpKind  # pixel: per-pixel (may run on strips); image: needs the whole image; geometry: changes size
    help: str
    params: Mapping[str, Param | str] = field(default_factory=dict)
    regional: bool = True  # can be confined to a region/mask
    main: str | None = None  # the parameter a direction/amount applies to ("a bit less" changes it)
    words: tuple[Words, ...] = ()
    refs: bool = False  # reads another input image (a reference)
    status: OpStatus = "ready"  # planned: named in the spec, implementation still to land

    def __post_init__(self) -> None:
        # The short form (name -> description) is accepted, so an op can be added in one line.
        fixed = {k: (v if isinstance(v, Param) else Param(PType.ANY, help=v)) for k, v in self.params.items()}
        object.__setattr__(self, "params", fixed)

    def param(self, name: str) -> Param:
        """The spec of parameter `name` (KeyError naming the op when unknown)."""
        try:
            return self.params[name]  # type: ignore[return-value]
        except KeyError:
            raise KeyError(f"op has no parameter {name!r}") from None

    def default(self, name: str | None = None) -> Any:
        """Default of parameter `name` (the main one when None)."""
        key = name or self.main
        if key is None:
            raise KeyError("op has no main parameter")
        return self.param(key).default

    def defaults(self) -> dict[str, Any]:
        """Every parameter that has a default, with it."""
        return {k: p.default for k, p in self.params.items() if isinstance(p, Param) and p.default is not None}

    def clamp(self, name: str, value: float) -> float:
        """`value` clamped into the range of numeric parameter `name`."""
        p = self.param(name)
        lo = -math.inf if p.min is None else p.min
        hi = math.inf if p.max is None else p.max
        return max(lo, min(hi, value))


#: Backward-compatible name: ops are added as `OpInfo(kind, help, {"param": "meaning"})`.
OpInfo = OpSpec

F = PType.FLOAT


def amount(default: float, lo: float, hi: float, positive: str = "", help: str = "") -> Param:
    """A float amount parameter."""
    return Param(F, default, lo, hi, positive=positive, help=help)


def band(help: str = "only this hue band; None = every colour") -> Param:
    """An optional hue band."""
    return Param(PType.CHOICE, None, choices=BANDS, help=help, nullable=True)


W = Words

CATALOG: dict[str, OpSpec] = {
    # ---- tone
    "brightness": OpSpec(
        "pixel",
        "Scale luminance: mean luminance × (1 + amount), highlights protected.",
        {
            "amount": amount(0.15, -1, 3, "brighter", "+0.25 = 25% brighter, -0.2 = 20% darker"),
            "gain": Param(F, None, 0, 10, help="exact luminance gain, set by the executor", nullable=True),
        },
        main="amount",
        words=(
            W("brightness|luminosity|luminance|lightness|brightness level|overall brightness", 0, "n"),
            W("bright|luminous|brighter|radiant|airy|sunny", +1, "a"),
            W(
                "brighten|lighten|brighten up|lighten up|light up|more light|lift the exposure|whiten|"
                "brighter setting|visible|more visible",
                +1,
                "v",
            ),
            W("dark|dim|gloomy|murky|shadowy|darkish|dingy|shady|gloom|darkness|dimness", -1, "a"),
            W("darken|dim down|tone down the brightness|less light", -1, "v"),
            W("light", +1, "n", trigger="light"),  # resolved per clause: brightness, relight or a level
        ),
    ),
    "exposure": OpSpec(
        "pixel",
        "Exposure in stops, in linear light.",
        {"stops": Param(F, 0.5, -5, 5, positive="brighter", help="+1 = twice the light")},
        main="stops",
        words=(
            W("exposure|exp|exposure compensation|ev", 0, "n"),
            W(
                "overexpose|overexposed|over expose|over exposed|overexposure|over exposure|blown|blown out|"
                "too much exposure",
                +1,
                "v",
            ),
            W("underexpose|underexposed|under expose|under exposed|underexposure|under exposure", -1, "v"),
            W("expose|exposed|more exposed", +1, "a"),  # "it needs to be more exposed": a wish, with "more"
        ),
    ),
    "contrast": OpSpec(
        "pixel",
        "Scale the spread of luminance around its mean: std × (1 + amount).",
        {
            "amount": amount(0.2, -1, 3, "more contrast"),
            "pivot": Param(F, None, 0, 1, help="set by the executor (mean luminance)", nullable=True),
        },
        main="amount",
        words=(
            W("contrast|dynamic range|tonal range", 0, "n"),
            W(
                "punchy|contrasty|contrasted|high contrast|punch|more punch|crunchy|snappy|striking|dramatic|"
                "drama|moody|bold|harsh",
                +1,
                "a",
            ),
            W("flat|flatten|low contrast|washed out|wash out|washout|dull|muddy|lifeless", -1, "a"),
        ),
    ),
    "gamma": OpSpec(
        "pixel",
        "Gamma curve out = in ** (1/gamma); gamma > 1 brightens midtones.",
        {"gamma": Param(F, 1.25, 0.1, 10, positive="above 1: brighter midtones")},
        main="gamma",
        words=(W("gamma|midtone|mid tone|mids|middle tone|gamma correction|midtones|mid tones|middle tones", 0, "n"),),
    ),
    "highlights": OpSpec(
        "pixel",
        "Lift (+) or recover (-) highlights only.",
        {"amount": amount(-0.3, -1, 1, "lifts the highlights")},
        main="amount",
        words=(
            W(
                "highlights|highlight|highlight detail|highlight tone|bright area|bright part|brights|highlight area|"
                "whites|sky detail|highlight value",
                0,
                "n",
            ),
            W("blown highlights|clipped highlights|burnt out|burned out|glary", -1, "v"),
            # a property whose removal is the wish: "reduce the glare", "tone down the shine" (sign of the
            # thing itself; removal and "less" flip it)
            W("glare|shine|sheen|shininess|hotspot|hot spot|specular", 1, "n"),
        ),
    ),
    "shadows": OpSpec(
        "pixel",
        "Lift (+) or deepen (-) shadows only.",
        {"amount": amount(0.3, -1, 1, "lifts the shadows")},
        main="amount",
        words=(
            W(
                "shadows|shadow detail|shadow tone|shadow area|dark area|dark part|darks|blacks|shadow region|"
                "low lights|lowlights|shadow percentage|dark spot|dark spots|shadow|in shadow|in the shadow|"
                "shadowed",
                0,
                "n",
            ),
        ),
    ),
    "auto_levels": OpSpec(
        "image",
        "Stretch levels so the clip/100-clip percentiles map to black/white.",
        {"clip": Param(F, 0.5, 0, 10, help="percent clipped at each end")},
        words=(
            W(
                "auto levels|auto level|autolevel|autolevels|levels|auto contrast|normalize|equalize|auto tone|"
                "auto color|stretch the histogram|histogram|exposure correction|auto exposure",
                0,
                "v",
                trigger="auto",
            ),
            W(
                "enhance|improve|auto enhance|auto fix|auto correct|auto adjust|auto|optimize|touch up|polish|"
                "better|nicer|good|great|professional|pro|fix|correct|retouch|beautify|quick fix|one click|"
                "magic|enhancement|improvement|correction|touchup|quality|awesome|appealing|prettier|pretty|"
                "beautiful|gorgeous|stunning|appetizing|presentable|cleaner|natural|normal|look normal|"
                "less weird|look right",
                0,
                "v",
                trigger="enhance",
            ),
        ),
    ),
    # ---- colour
    "saturation": OpSpec(
        "pixel",
        "Scale saturation by (1 + amount); only inside a hue band, or everywhere except one (colour splash).",
        {
            "amount": amount(0.25, -1, 3, "more saturated"),
            "band": band(),
            "except_band": band("a hue band left untouched while the rest changes"),
        },
        main="amount",
        words=(
            W(
                "saturation|sat|color saturation|chroma|color intensity|colorfulness|vividness|"
                "saturation level|intensity of the color|intensity",
                0,
                "n",
            ),
            W(
                "saturate|saturated|vivid|vibrant|colorful|rich|richer|lively|juicy|pop|popping|oversaturate|"
                "oversaturated|over saturate|over saturated|intense color|bold color|strong color|deep color|"
                "bright color|more color|more colorful|full of color|intensify the color|enrich",
                +1,
                "a",
            ),
            W(
                "desaturate|desaturated|de saturate|muted|mute|unsaturated|undersaturated|subdued|less color|"
                "less colorful|pale|pastel|washed|drab|understated|tone down the color|calm|calm down",
                -1,
                "a",
            ),
            W("color|colour|hue and saturation|color tone|palette", 0, "n", trigger="color"),
        ),
    ),
    "vibrance": OpSpec(
        "pixel",
        "Saturation boost weighted toward muted colours, protecting skin.",
        {"amount": amount(0.3, -1, 2, "more vibrant")},
        main="amount",
        words=(W("vibrance|vibrancy|natural saturation|smart saturation", 0, "n"),),
    ),
    "hue_shift": OpSpec(
        "pixel",
        "Rotate hue by degrees; optional hue band.",
        {"degrees": Param(F, 30.0, -180, 180, positive="red toward yellow and green"), "band": band()},
        main="degrees",
        words=(W("hue|hues|hue shift|hue rotation|hue angle|color wheel", 0, "n", trigger="hue"),),
    ),
    "temperature": OpSpec(
        "pixel",
        "White balance: + warmer (amber), - cooler (blue), luminance kept.",
        {"amount": amount(0.25, -1, 1, "warmer", "0.3 ≈ clearly warmer")},
        main="amount",
        words=(
            W("temperature|temp|color temperature|colour temperature|kelvin|white point", 0, "n"),
            W(
                "warm|warm up|warmth|warmer|golden|sunny warm|toasty|cozy|cosy|sunkissed|sun kissed|amber tone|"
                "warm tone|warmer tone",
                +1,
                "a",
            ),
            W(
                "cool|cool down|cold|colder|icy|chilly|frosty|coolness|chill|cool tone|cold tone|wintry|arctic|"
                "clinical|cooler toned|cool toned",
                -1,
                "a",
            ),
        ),
    ),
    "tint": OpSpec(
        "pixel",
        "Green (-) / magenta (+) tint.",
        {"amount": amount(0.2, -1, 1, "magenta")},
        main="amount",
        words=(W("tint|tinge|cast|color cast|colour cast|tinted", 0, "n"),),
    ),
    "white_balance": OpSpec(
        "pixel",
        "Neutralise a colour cast: automatically (illuminant by gray edge, gains in linear light), or only "
        "the part along a named cast; neutral luminance kept.",
        {
            "cast": Param(
                PType.CHOICE,
                None,
                choices=(
                    "red", "orange", "yellow", "green", "cyan", "blue", "purple", "magenta",
                    "pink", "violet", "teal", "amber",
                ),
                help="the cast to remove; None = find it automatically",
                nullable=True,
            ),
            "amount": amount(1.0, 0, 1, help="how much of the cast is removed"),
        },
        main="amount",
        words=(
            W(
                "white balance|auto white balance|awb|color correct|color correction|colour correct|"
                "color balance|balance the color|neutral|neutralize the color|natural color|more natural color|"
                "true color|true to life|realistic color|accurate color|colorization",
                0,
                "v",
            ),
        ),
    ),
    "grayscale": OpSpec(
        "pixel",
        "Black and white (luminance), amount 1 = fully gray.",
        {"amount": amount(1.0, 0, 1, help="1 = fully gray")},
        main="amount",
        words=(
            W(
                "grayscale|gray scale|black and white|black white|monochrome|monochromatic|mono|bw|colorless|"
                "decolorize|no color|without color|desaturate completely|desaturate fully|desaturate entirely|"
                "fully desaturate|completely desaturate|totally desaturate|all the color|gray tone|grey tone|"
                "shades of gray|remove the color|remove all color|strip the color|drain the color|"
                "noir and white|b and w|gray out|grey out",
                +1,
                "a",
            ),
        ),
    ),
    "sepia": OpSpec(
        "pixel",
        "Warm brown monochrome toning.",
        {"amount": amount(1.0, 0, 1, help="1 = full sepia")},
        main="amount",
        words=(
            W(
                "sepia|sepia tone|sepia toned|sepiatone|old photo|old photograph|old timey|old time|antique|"
                "vintage brown|daguerreotype|tintype|old fashioned|aged photo",
                +1,
                "a",
            ),
        ),
    ),
    "colorize": OpSpec(
        "pixel",
        "Monochrome toned with a colour (duotone-like).",
        {"color": Param(PType.COLOR, [112, 66, 20]), "amount": amount(0.6, 0, 1, help="1 = fully toned")},
        main="amount",
        words=(W("colorize|duotone|tone it|color wash|wash of|split tone|split toning|tritone", +1, "v"),),
    ),
    "replace_color": OpSpec(
        "pixel",
        "Recolour one hue band: its mean colour becomes `color`; shading and texture kept, other hues untouched.",
        {
            "band": Param(PType.CHOICE, None, choices=BANDS[:-1], help="the hue band to change"),
            "color": Param(PType.COLOR, None, help="the colour its mean becomes"),
            "amount": amount(1.0, 0, 1, help="1 = all the way"),
        },
        main="amount",
        words=(W("replace color|swap color|recolor|recolour|change the color", 0, "v"),),
    ),
    "look": OpSpec(
        "pixel",
        "A named colour look.",
        {"name": Param(PType.CHOICE, "cinematic", choices=LOOKS), "amount": amount(1.0, 0, 1)},
        main="amount",
        words=(
            W(
                "look|filter|grade|grading|color grade|color grading|style|aesthetic|vibe|feel|mood|effect|"
                "finish|treatment|preset|tone|tones|appearance|atmosphere|color scheme|lut",
                0,
                "n",
            ),
        ),
    ),
    "match_color": OpSpec(
        "image",
        "Match the colour statistics (Lab mean/std) of reference image `ref`.",
        {"ref": Param(PType.REF, 1, 1, 15, help="index into the images (1 = the second)"), "amount": amount(1.0, 0, 1)},
        main="amount",
        refs=True,
        words=(
            W(
                "match|matching|copy|transfer|borrow|same|harmonize|replicate|mimic|apply the look|blend|"
                "grade like|look like|like|similar",
                0,
                "v",
                trigger="match",
            ),
        ),
    ),
    "invert": OpSpec(
        "pixel",
        "Negative image.",
        {},
        words=(W("invert|inverse|negative|inverted|invert the color|reverse the color|photo negative", +1, "v"),),
    ),
    # ---- detail and effects
    "sharpen": OpSpec(
        "image",
        "Unsharp mask.",
        {
            "amount": amount(0.6, 0, 3, help="strength"),
            "radius": Param(F, None, 0.1, 50, help="px; None = from the image size", nullable=True),
        },
        main="amount",
        words=(
            W("sharpness|definition|acutance|detail|details|texture|focus", 0, "n"),
            W(
                "sharpen|sharp|sharper|crisp|crispen|crisper|unblur|deblur|de blur|in focus|focused|sharpen up|"
                "enhance detail|bring out detail|bring out the detail|more detail|more detailed|detailed|"
                "clear up|tack sharp|razor sharp|defined|refine",
                +1,
                "v",
            ),
        ),
    ),
    "clarity": OpSpec(
        "image",
        "Local (midtone) contrast, as Lightroom's Clarity: + crisper structure, - softer; edge-aware (no halos).",
        {"amount": amount(0.4, -1, 2, "more local contrast")},
        main="amount",
        words=(
            W("clarity|micro contrast|local contrast|structure|midtone contrast", 0, "n"),
            W("clear|clearer|clearly", +1, "a"),
        ),
    ),
    "dehaze": OpSpec(
        "image",
        "Remove (+) or add (-) atmospheric haze (dark channel prior).",
        {"amount": amount(0.5, -1, 1, "less haze", "the share of the estimated haze removed (dark channel prior)")},
        main="amount",
        words=(
            W("dehaze|de haze|haze removal|remove haze", +1, "v"),
            W("haze|hazy|haziness|fog|foggy|mist|misty|overcast|smog|smoggy", -1, "a"),
        ),
    ),
    "blur": OpSpec(
        "image",
        "Gaussian blur; radius relative to image size.",
        {"amount": amount(1.0, 0, 3, help="1: σ ≈ 0.4% of the diagonal")},
        main="amount",
        words=(
            W(
                "blur|blurry|blurred|blurriness|gaussian|gaussian blur|soften|soft|softer|smooth|smoothen|"
                "dreamy|out of focus|unfocused|defocus|defocused|fuzzy|soft focus|hazy glow|glow|gauzy|"
                "motion blur|lens blur|box blur|smudge|unsharp|diffuse|diffusion|mistify|blurriness",
                +1,
                "v",
            ),
        ),
    ),
    "denoise": OpSpec(
        "image",
        "Edge-preserving noise reduction.",
        {"amount": amount(1.0, 0, 2, help="strength")},
        main="amount",
        words=(
            W(
                "denoise|de noise|noise reduction|reduce noise|despeckle|noiseless|noise free|"
                "clean up the noise|remove noise|reduce the noise|remove the noise|grain reduction|"
                "noise removal|smooth out the noise",
                +1,
                "v",
            ),
            W("noise|noisy|noisiness|speckle|speckles|digital noise|sensor noise", 0, "n", trigger="noise"),
        ),
    ),
    "vignette": OpSpec(
        "pixel",
        "Darken (+) or lighten (-) toward the corners; corners × (1 - amount).",
        {"amount": amount(0.35, -1, 1, "darker corners")},
        main="amount",
        words=(
            W(
                "vignette|vignetting|vignet|edge darkening|darken the edge|darken the corner|dark edge|"
                "dark corner|darker edge|darker corner|burn the edge|burned edge|burnt edge",
                0,
                "n",
            ),
        ),
    ),
    "grain": OpSpec(
        "pixel",
        "Film grain (seeded).",
        {"amount": amount(0.3, 0, 1), "seed": Param(PType.INT, 0, 0, 2**31 - 1)},
        main="amount",
        words=(W("grain|film grain|grainy|graininess|grit|gritty|analog grain|film noise", 0, "n"),),
    ),
    "pixelate": OpSpec(
        "image",
        "Mosaic blocks (e.g. to hide faces/plates).",
        {"amount": amount(0.5, 0, 1, help="block size, relative")},
        main="amount",
        words=(
            W(
                "pixelate|pixelated|pixelize|pixelise|pixelation|mosaic|censor|censored|anonymize|anonymise|"
                "anonymous|obscure|pixel|pixels out|blocky|8 bit|8bit",
                +1,
                "v",
            ),
            W("hide|conceal|cover up|blank out|black out|blot out|redact", 0, "v", trigger="hide"),
        ),
    ),
    # ---- geometry (not regional)
    "rotate": OpSpec(
        "geometry",
        "Rotate counter-clockwise by degrees (90/180/270 exact; others expand the canvas).",
        {
            "degrees": Param(F, -90.0, -180, 180, positive="counter-clockwise"),
            "fill": Param(PType.COLOR, "transparent", choices=("transparent",), help="for non-right angles"),
        },
        main="degrees",
        regional=False,
        words=(
            W(
                "rotate|rotation|spin|tilt|rotated|turn|turn it|turn the image|turn the photo|quarter turn|"
                "half turn|turn around|degree turn",
                0,
                "v",
            ),
        ),
    ),
    "straighten": OpSpec(
        "geometry",
        "Level a small tilt and crop to the largest rectangle inside (no empty corners).",
        {
            "angle": Param(
                F,
                None,
                -15,
                15,
                positive="counter-clockwise",
                help="degrees; None = level the horizon or dominant straight lines, detected (refused when "
                "there are none); larger turns are rotations",
                nullable=True,
            ),
            "keep_aspect": Param(
                PType.BOOL, True, help="crop at the image's own aspect ratio; false = the largest area of any aspect"
            ),
        },
        main="angle",
        regional=False,
        words=(
            W(
                "straighten|level the horizon|fix the horizon|deskew|horizon|crooked|fix the tilt|level|"
                "tilted|skewed|not straight|askew|uneven|straight",
                0,
                "v",
            ),
        ),
    ),
    "flip": OpSpec(
        "geometry",
        "Mirror.",
        {"axis": Param(PType.CHOICE, "horizontal", choices=("horizontal", "vertical"), help="horizontal = left-right")},
        regional=False,
        words=(W("flip|mirror|flop|flipped|mirrored|reflect|mirror image|reverse|reversed", 0, "v"),),
    ),
    "crop_aspect": OpSpec(
        "geometry",
        "Largest crop with aspect w:h, centred on the subject when known.",
        {
            "ratio": Param(PType.RATIO, [1, 1]),
            "anchor": Param(PType.CHOICE, "subject", choices=("center", "subject", "left", "right", "top", "bottom")),
        },
        regional=False,
        words=(
            W(
                "crop|crop to|trim|cut off|chop off|crop out|crop off|trim off|recrop|re crop|reframe|cropped|"
                "zoom|zoom in|close up|closer|tighter|tight|aspect|aspect ratio|ratio|format|frame it as",
                0,
                "v",
                trigger="crop",
            ),
        ),
    ),
    "crop_box": OpSpec(
        "geometry",
        "Crop to a box in fractions of the image.",
        {"box": Param(PType.BOX, [0.0, 0.0, 1.0, 1.0], 0, 1)},
        regional=False,
    ),
    "resize": OpSpec(
        "geometry",
        "Resize to exact size, one side (keep ratio) or by scale.",
        {
            "width": Param(PType.INT, None, 1, 16384, nullable=True),
            "height": Param(PType.INT, None, 1, 16384, nullable=True),
            "scale": Param(F, None, 0.01, 8, positive="above 1: larger", nullable=True),
            "fit": Param(PType.CHOICE, "cover", choices=("stretch", "cover", "contain")),
            "anchor": Param(PType.CHOICE, "center", choices=("center", "subject", "left", "right", "top", "bottom")),
        },
        main="scale",
        regional=False,
        words=(
            W(
                "resize|scale|rescale|downscale|downsize|upscale|upsize|enlarge|shrink|size|resolution|"
                "dimension|dimensions|resample|make it smaller|make it bigger|make it larger|reduce the size|"
                "thumbnail|megapixel|blow up",
                0,
                "v",
            ),
        ),
    ),
    "extend_canvas": OpSpec(
        "geometry",
        "Add space around the image (padding) in a colour or transparent.",
        {
            "top": Param(PType.INT, 0, 0, 16384, help="px"),
            "bottom": Param(PType.INT, 0, 0, 16384, help="px"),
            "left": Param(PType.INT, 0, 0, 16384, help="px"),
            "right": Param(PType.INT, 0, 0, 16384, help="px"),
            "ratio": Param(PType.RATIO, None, help="pad to this aspect instead", nullable=True),
            "color": Param(PType.COLOR, [255, 255, 255], choices=("transparent", "edge")),
        },
        regional=False,
        words=(
            W(
                "pad|padding|extend the canvas|canvas|canvas size|margin|margins|letterbox|letterboxing|"
                "pillarbox|whitespace|white space|breathing room|empty space|space around|extend|"
                "expand the canvas|enlarge the canvas|bars|black bars|extra space|expand",
                0,
                "v",
                trigger="pad",
            ),
        ),
    ),
    # ---- subject / background
    "background_color": OpSpec(
        "image",
        "Replace the background with a flat colour.",
        {"color": Param(PType.COLOR, [255, 255, 255])},
        regional=False,
    ),
    "background_gradient": OpSpec(
        "image",
        "Replace the background with a gradient.",
        {
            "colors": Param(PType.COLORS, [[235, 235, 235], [160, 160, 160]], help="two or more evenly spaced stops"),
            "direction": Param(PType.CHOICE, "vertical", choices=("vertical", "horizontal", "radial", "diagonal")),
        },
        regional=False,
        words=(W("gradient|ombre|fade from|gradation|graduated", 0, "n", trigger="gradient"),),
    ),
    "background_image": OpSpec(
        "image",
        "Replace the background with reference image `ref` (cover-fit).",
        {"ref": Param(PType.REF, 1, 1, 15)},
        regional=False,
        refs=True,
    ),
    "background_blur": OpSpec(
        "image",
        "Blur the background (portrait / bokeh look).",
        {"amount": amount(1.0, 0, 3)},
        main="amount",
        regional=False,
        words=(
            W(
                "bokeh|portrait mode|portrait effect|depth of field|shallow depth of field|shallow dof|dof|"
                "background blur|blurred background|blurry background|defocused background|subject pop|"
                "fake depth|lens bokeh|dslr",
                +1,
                "v",
                trigger="bg_blur",
            ),
        ),
    ),
    "remove_background": OpSpec(
        "image",
        "Make the background transparent (adds alpha).",
        {},
        regional=False,
        words=(
            W(
                "transparent|transparency|alpha|alpha channel|see through|clear background|no background|"
                "without background|without a background|png with alpha|see-through",
                +1,
                "a",
                trigger="transparent",
            ),
            W(
                "cut out|cutout|isolate|isolated|knock out|knockout|extract|mask out|clip out|"
                "background removal|remove bg|bg removal|cut it out|separate|lift the subject",
                +1,
                "v",
                trigger="remove_bg",
            ),
        ),
    ),
    "remove_object": OpSpec(
        "image",
        "Fill the masked area (inpainting) from its surroundings.",
        {
            "method": Param(
                PType.CHOICE, "auto", choices=("auto", "telea", "ns", "patchmatch", "patch", "fsr_fast", "fsr_best")
            )
        },
        words=(
            W(
                "remove|erase|delete|get rid of|eliminate|take out|take away|wipe out|wipe|clone out|heal|"
                "clean up|clean|retouch out|edit out|paint out|removing|disappear|vanish|lose|drop|cut|fill in|"
                "inpaint|content aware fill|patch|patch up|clone|fill the hole|fill the gap|photoshop out",
                -1,
                "v",
                trigger="remove",
            ),
        ),
    ),
    "relight": OpSpec(
        "image",
        "Directional light on the subject or face.",
        {
            "direction": Param(PType.CHOICE, "front", choices=("left", "right", "top", "bottom", "front")),
            "amount": amount(0.35, 0, 1),
            "target": Param(PType.CHOICE, "subject", choices=("face", "subject", "all")),
        },
        main="amount",
        regional=False,
        words=(
            W(
                "relight|re light|lighting|illuminate|illumination|lit|key light|rim light|fill light|"
                "side light|side lighting|spotlight|spot light|light source|studio light|studio lighting|"
                "backlight|back light|catchlight|light up from|kicker|beauty light|sunlight|light direction",
                +1,
                "v",
            ),
        ),
    ),
    # ---- overlays
    "text": OpSpec(
        "image",
        "Draw text (caption/title/watermark), legible on any background.",
        {
            "text": Param(PType.TEXT, ""),
            "position": Param(PType.CHOICE, None, choices=POSITIONS, help="None = by style", nullable=True),
            "size": Param(F, None, 0.005, 0.5, help="fraction of the image height; None = by style", nullable=True),
            "color": Param(PType.COLOR, None, help="None = automatic contrast", nullable=True),
            "opacity": Param(F, None, 0, 1, help="None = by style (watermarks 0.5)", nullable=True),
            "style": Param(PType.CHOICE, "caption", choices=("caption", "watermark", "title")),
        },
        regional=False,
        words=(
            W(
                "caption|text|title|heading|headline|label|subtitle|tagline|word|words|lettering|inscription|"
                "slogan|write|writing|written|type|typed|say|saying|says|that say|that read|reading|read|"
                "signature|sign it|quote|credit|byline|overlay text|text overlay|message|note",
                0,
                "n",
            ),
            W("watermark|watermarked|copyright|copyright notice|©", 0, "n", trigger="watermark"),
        ),
    ),
    "border": OpSpec(
        "geometry",
        "Frame around the image (adds width outside by default).",
        {
            "width": Param(F, 0.02, 0.001, 0.5, help="fraction of the shorter side"),
            "color": Param(PType.COLOR, [255, 255, 255]),
            "inside": Param(PType.BOOL, False, help="draw over the edge instead of extending"),
        },
        main="width",
        regional=False,
        words=(
            W("border|frame|framed|outline|stroke|mat|matting|passe partout|polaroid|keyline|rim", 0, "n"),
        ),
    ),
    "place_image": OpSpec(
        "image",
        "Overlay reference image `ref` (a logo) at a position.",
        {
            "ref": Param(PType.REF, 1, 1, 15),
            "position": Param(PType.CHOICE, "bottom-right", choices=POSITIONS),
            "scale": Param(F, 0.2, 0.01, 1, help="fraction of the width"),
            "opacity": Param(F, 1.0, 0, 1),
            "knockout": Param(PType.BOOL, None, help="drop a flat backdrop; None = automatic", nullable=True),
        },
        regional=False,
        refs=True,
        words=(
            W(
                "logo|place|overlay|stamp|insert|paste|superimpose|composite|sticker|badge|emblem|icon|"
                "brand mark|overlaid|layer",
                0,
                "v",
                trigger="place",
            ),
        ),
    ),
}


def spec(op: str) -> OpSpec:
    """The spec of `op`, or a KeyError that names it."""
    try:
        return CATALOG[op]
    except KeyError:
        raise KeyError(f"unknown op {op!r}") from None


def ready(op: str) -> bool:
    """True when the op has an implementation the builtin engine can run."""
    return CATALOG[op].status == "ready"


def triggers() -> Iterable[tuple[str, Words]]:
    """(trigger name, words) for every op's words, in catalogue order: the planner's op vocabulary."""
    for name, s in CATALOG.items():
        for w in s.words:
            yield (w.trigger or name), w


# ---------------------------------------------------------------- validation


class PlanInvalid(ValueError):
    """A step of a plan breaks the spec: names the step (1-based), op and parameter."""

    def __init__(self, message: str, *, step: int, op: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.step = step
        self.op = op
        self.param = param


def _is_rgb(v: Any) -> bool:
    return isinstance(v, list | tuple) and len(v) in (3, 4) and all(
        isinstance(c, int | float) and not isinstance(c, bool) and 0 <= c <= 255 for c in v
    )


def _check_value(p: Param, v: Any) -> str | None:
    """Why `v` does not fit `p`, or None."""
    if v is None:
        return None if p.nullable or p.default is None else "must not be empty"
    t = p.type
    if t is PType.ANY:
        return None
    if t in (PType.FLOAT, PType.INT, PType.REF):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            return "must be a number"
        if t in (PType.INT, PType.REF) and float(v) != int(v):
            return "must be a whole number"
        if (p.min is not None and v < p.min) or (p.max is not None and v > p.max):
            return f"must be between {p.min:g} and {p.max:g}"
        return None
    if t is PType.BOOL:
        return None if isinstance(v, bool) else "must be true or false"
    if t is PType.CHOICE:
        return None if v in p.choices else "must be one of " + ", ".join(p.choices)
    if t is PType.TEXT:
        return None if isinstance(v, str) else "must be text"
    if t is PType.COLOR:
        return None if _is_rgb(v) or v in p.choices else "must be [r, g, b] with values 0..255"
    if t is PType.COLORS:
        ok = isinstance(v, list | tuple) and len(v) >= 2 and all(_is_rgb(c) for c in v)
        return None if ok else "must be two or more [r, g, b] colours"
    if t is PType.RATIO:
        ok = isinstance(v, list | tuple) and len(v) == 2 and all(isinstance(x, int | float) and x > 0 for x in v)
        return None if ok else "must be [width, height] with positive numbers"
    if t is PType.BOX:
        ok = (
            isinstance(v, list | tuple)
            and len(v) == 4
            and all(isinstance(x, int | float) and 0 <= x <= 1 for x in v)
            and v[0] < v[2]
            and v[1] < v[3]
        )
        return None if ok else "must be [x0, y0, x1, y1] fractions with x0 < x1 and y0 < y1"
    return None


def validate_step(index: int, op: str, params: Mapping[str, Any], region: str = "all") -> None:
    """Raise PlanInvalid naming step `index` (1-based), its op and param when it breaks the spec."""
    if op not in CATALOG:
        raise PlanInvalid(f"step {index}: unknown op {op!r}", step=index, op=op)
    s = CATALOG[op]
    for name, value in params.items():
        if name not in s.params:
            known = ", ".join(s.params) or "none"
            raise PlanInvalid(
                f"step {index} ({op}): unknown parameter {name!r} (known: {known})", step=index, op=op, param=name
            )
        why = _check_value(s.params[name], value)
        if why is not None:
            raise PlanInvalid(f"step {index} ({op}): {name} {why}", step=index, op=op, param=name)
    if region not in REGIONS:
        raise PlanInvalid(f"step {index} ({op}): unknown region {region!r}", step=index, op=op, param="region")
    if region not in ("all", "mask") and not s.regional:
        raise PlanInvalid(f"step {index} ({op}): cannot be limited to the {region}", step=index, op=op, param="region")


def validate_plan(plan: Any) -> None:
    """Check every step of an EditPlan (or a list of step dicts) against the spec; PlanInvalid on the first error."""
    steps = plan.steps if hasattr(plan, "steps") else plan
    for i, st in enumerate(steps, 1):
        if isinstance(st, Mapping):
            validate_step(i, str(st.get("op")), st.get("params") or {}, str(st.get("region") or "all"))
        else:
            validate_step(i, st.op, st.params, st.region)
