"""The operations the builtin engine knows: names, parameters and their meaning.

This is the contract between the planner (which emits `PlanStep(op, params, region)`)
and the op implementations (registered with `retouch.ops.registry.register`). Amounts
are fractions: `+0.20` means "20% more", `-0.5` means "half as much".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

OpKind = Literal["pixel", "image", "geometry"]


@dataclass(frozen=True)
class OpInfo:
    kind: OpKind  # pixel: per-pixel (may run on strips); image: needs the whole image; geometry: changes size
    help: str
    params: dict[str, str] = field(default_factory=dict)  # name -> meaning (type, range, default)
    regional: bool = True  # can be confined to a region/mask


CATALOG: dict[str, OpInfo] = {
    # ---- tone
    "brightness": OpInfo(
        "pixel",
        "Scale luminance: mean luminance × (1 + amount), highlights protected.",
        {"amount": "float -1..3; +0.25 = 25% brighter, -0.2 = 20% darker"},
    ),
    "exposure": OpInfo("pixel", "Exposure in stops, in linear light.", {"stops": "float -5..5"}),
    "contrast": OpInfo(
        "pixel",
        "Scale the spread of luminance around its mean: std × (1 + amount).",
        {"amount": "float -1..3", "pivot": "float 0..1, set by prepare (mean luminance)"},
    ),
    "gamma": OpInfo(
        "pixel",
        "Gamma curve out = in ** (1/gamma); gamma > 1 brightens midtones.",
        {"gamma": "float 0.1..10"},
    ),
    "highlights": OpInfo("pixel", "Lift (+) or recover (-) highlights only.", {"amount": "float -1..1"}),
    "shadows": OpInfo("pixel", "Lift (+) or deepen (-) shadows only.", {"amount": "float -1..1"}),
    "auto_levels": OpInfo(
        "image",
        "Stretch levels so 0.5%/99.5% percentiles map to black/white.",
        {"clip": "float percent clipped each end, default 0.5"},
    ),
    # ---- colour
    "saturation": OpInfo(
        "pixel",
        "Scale saturation by (1 + amount); only inside a hue band, or everywhere except one (colour splash).",
        {
            "amount": "float -1..3",
            "band": "None | red|orange|yellow|green|cyan|blue|purple|magenta|skin",
            "except_band": "None | a hue band left untouched while the rest changes",
        },
    ),
    "vibrance": OpInfo(
        "pixel", "Saturation boost weighted toward muted colours, protecting skin.", {"amount": "float -1..2"}
    ),
    "hue_shift": OpInfo(
        "pixel",
        "Rotate hue by degrees; optional hue band.",
        {"degrees": "float -180..180", "band": "None | hue band name"},
    ),
    "temperature": OpInfo(
        "pixel",
        "White balance: + warmer (amber), - cooler (blue), luminance kept.",
        {"amount": "float -1..1; 0.3 ≈ clearly warmer"},
    ),
    "tint": OpInfo("pixel", "Green (-) / magenta (+) tint.", {"amount": "float -1..1"}),
    "grayscale": OpInfo(
        "pixel", "Black and white (luminance), amount 1 = fully gray.", {"amount": "float 0..1, default 1"}
    ),
    "sepia": OpInfo("pixel", "Warm brown monochrome toning.", {"amount": "float 0..1, default 1"}),
    "colorize": OpInfo(
        "pixel",
        "Monochrome toned with a colour (duotone-like).",
        {"color": "[r,g,b] 0..255", "amount": "float 0..1"},
    ),
    "look": OpInfo(
        "pixel",
        "A named colour look.",
        {
            "name": "vintage|faded|cinematic|teal_orange|noir|bleach_bypass|cross_process|golden_hour|matte",
            "amount": "float 0..1, default 1",
        },
    ),
    "match_color": OpInfo(
        "image",
        "Match the colour statistics (Lab mean/std) of reference image `ref`.",
        {"ref": "int index into images (1 = second image)", "amount": "float 0..1, default 1"},
    ),
    "invert": OpInfo("pixel", "Negative image.", {}),
    # ---- detail and effects
    "sharpen": OpInfo(
        "image", "Unsharp mask.", {"amount": "float 0..3, default 0.6", "radius": "float px, default auto"}
    ),
    "blur": OpInfo(
        "image",
        "Gaussian blur; radius relative to image size.",
        {"amount": "float 0..3, default 1 (σ≈0.4% of diagonal)"},
    ),
    "denoise": OpInfo("image", "Edge-preserving noise reduction.", {"amount": "float 0..2, default 1"}),
    "vignette": OpInfo(
        "pixel",
        "Darken (+) or lighten (-) toward the corners; corners × (1 - amount).",
        {"amount": "float -1..1, default 0.35"},
    ),
    "grain": OpInfo("pixel", "Film grain (seeded).", {"amount": "float 0..1, default 0.3", "seed": "int"}),
    "pixelate": OpInfo("image", "Mosaic blocks (e.g. to hide faces/plates).", {"amount": "float 0..1"}),
    # ---- geometry (not regional)
    "rotate": OpInfo(
        "geometry",
        "Rotate counter-clockwise by degrees (90/180/270 exact; others expand canvas).",
        {"degrees": "float; +90 = counterclockwise", "fill": "[r,g,b] or 'transparent' for non-right angles"},
        regional=False,
    ),
    "flip": OpInfo(
        "geometry", "Mirror.", {"axis": "horizontal (left-right) | vertical (upside down)"}, regional=False
    ),
    "crop_aspect": OpInfo(
        "geometry",
        "Largest crop with aspect w:h, centred on the subject when known.",
        {"ratio": "[w, h]", "anchor": "center|subject|left|right|top|bottom"},
        regional=False,
    ),
    "crop_box": OpInfo(
        "geometry",
        "Crop to a box in fractions of the image.",
        {"box": "[x0,y0,x1,y1] fractions"},
        regional=False,
    ),
    "resize": OpInfo(
        "geometry",
        "Resize to exact size, one side (keep ratio) or by scale.",
        {"width": "int|None", "height": "int|None", "scale": "float|None", "fit": "stretch|cover|contain"},
        regional=False,
    ),
    "extend_canvas": OpInfo(
        "geometry",
        "Add space around the image (padding) in a colour or transparent.",
        {
            "top": "px",
            "bottom": "px",
            "left": "px",
            "right": "px",
            "ratio": "[w,h] alternatively: pad to this aspect",
            "color": "[r,g,b] | 'transparent' | 'edge'",
        },
        regional=False,
    ),
    # ---- subject / background
    "background_color": OpInfo(
        "image", "Replace the background with a flat colour.", {"color": "[r,g,b]"}, regional=False
    ),
    "background_gradient": OpInfo(
        "image",
        "Replace the background with a gradient.",
        {"colors": "[[r,g,b], ...] two or more evenly spaced stops",
         "direction": "vertical|horizontal|radial|diagonal"},
        regional=False,
    ),
    "background_image": OpInfo(
        "image",
        "Replace the background with reference image `ref` (cover-fit).",
        {"ref": "int index into images"},
        regional=False,
    ),
    "background_blur": OpInfo(
        "image",
        "Blur the background (portrait / bokeh look).",
        {"amount": "float 0..3, default 1"},
        regional=False,
    ),
    "remove_background": OpInfo("image", "Make the background transparent (adds alpha).", {}, regional=False),
    "remove_object": OpInfo(
        "image",
        "Fill the masked area (inpainting) from its surroundings.",
        {"method": "auto|telea|ns|patchmatch|fsr_fast|fsr_best"},
    ),
    "relight": OpInfo(
        "image",
        "Directional light on the subject or face.",
        {
            "direction": "left|right|top|bottom|front",
            "amount": "float 0..1, default 0.35",
            "target": "face|subject|all",
        },
        regional=False,
    ),
    # ---- overlays
    "text": OpInfo(
        "image",
        "Draw text (caption/title/watermark), legible on any background.",
        {
            "text": "str",
            "position": "top|bottom|center|top-left|top-right|bottom-left|bottom-right|left|right",
            "size": "float fraction of image height, default 0.06",
            "color": "[r,g,b] | None = auto contrast",
            "opacity": "float 0..1, default 1",
            "style": "caption|watermark|title",
        },
        regional=False,
    ),
    "border": OpInfo(
        "geometry",
        "Frame around the image (adds width outside by default).",
        {
            "width": "float fraction of the shorter side, default 0.02",
            "color": "[r,g,b]",
            "inside": "bool, draw over the edge instead of extending",
        },
        regional=False,
    ),
    "place_image": OpInfo(
        "image",
        "Overlay reference image `ref` (a logo) at a position.",
        {
            "ref": "int",
            "position": "as for text",
            "scale": "fraction of width, default 0.2",
            "opacity": "float 0..1",
        },
        regional=False,
    ),
}

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
