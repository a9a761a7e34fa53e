"""The common target of a set: its robust centre (medians), or one reference image's look.

Colours are combined in log space (a median of ln R, ln G, ln B per channel), so a target is
a colour some image could have had; framing targets are measured in each image's *natural*
window of the set's aspect (the crop "crop to that aspect" would keep), so a set that is
already uniform gets an empty plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import OptionError
from ..imaging.sizes import MAX_SIDE, MIN_SIDE
from .framing import ALIGNED_METHODS, MAX_FILL, Window, natural_window, placement, subject_window
from .stats import LUMA, RGB, ImageStats, framed_colours

#: At least this share of the set must stand on a plain backdrop for the backdrop to anchor colour.
BACKDROP_SHARE = 0.5


@dataclass(frozen=True)
class SetTarget:
    """What every image is brought to."""

    anchor: str  # "background": plain backdrops match; "image": gray-world means match
    background: RGB | None  # the backdrop colour (median of backdrops, or the reference's)
    gray: RGB  # the gray-world colour
    contrast_ratio: float  # luma std / mean luminance
    aspect: float  # output width / height
    size: tuple[int, int]  # output (width, height)
    fill: float | None  # share of the frame the subject's box fills (limiting dimension)
    centre: tuple[float, float] | None  # subject box centre, fractions of the frame
    reference: int | None  # the input the set matches (0-based), None for the median


def _log_median(colors: Sequence[RGB]) -> RGB:
    c = np.log(np.maximum(np.asarray(colors, np.float64), 1e-4))
    return tuple(float(v) for v in np.exp(np.median(c, axis=0)))  # type: ignore[return-value]


def set_target(
    stats: Sequence[ImageStats],
    *,
    reference: ImageStats | None = None,
    reference_index: int | None = None,
    aspect: float | None = None,
    size: tuple[int, int] | None = None,
    framing: bool = True,
) -> SetTarget:
    """The target for `stats`: the medians, or `reference`'s own look when one is given.

    `aspect`/`size` come from the instruction ("crop to a square") or the size option; without
    them the reference's aspect, else the median aspect of the set, is used. Colours are measured
    on what each image's output frame will show (its framing window, or the whole image).
    """
    if not stats:
        raise OptionError("a consistent batch needs at least one readable image", param="images")
    ref = reference
    if size is not None:
        aspect = size[0] / size[1]
    if aspect is None:
        aspect = ref.aspect if ref is not None else float(np.median([s.aspect for s in stats]))

    # framing first: fill and centre as shot, seen through each image's central window of the aspect
    framed = [s for s in stats if aligned(s)]
    fill: float | None = None
    centre: tuple[float, float] | None = None
    if ref is not None and aligned(ref):
        fill, centre = composition(ref, aspect)
    elif framed:
        places = [composition(s, aspect) for s in framed]
        fill = float(np.median([p[0] for p in places]))
        centre = (float(np.median([p[1][0] for p in places])), float(np.median([p[1][1] for p in places])))
    if fill is not None:
        fill = min(fill, MAX_FILL)
    if size is None:
        size = _output_size(stats if ref is None else [ref], aspect, fill, centre)
    aspect = size[0] / size[1]

    # then colour, on what each output will show
    def colours(s: ImageStats) -> tuple[RGB, RGB | None, float]:
        return framed_colours(s, frame_box(s, aspect, fill, centre) if framing else None)

    with_backdrop = [s for s in stats if s.plain and s.background is not None]
    if ref is not None:
        gray, background, contrast = colours(ref)
        use_backdrop = ref.plain and background is not None
        ratio = contrast / max(luma(gray), 1e-3)
    else:
        # cut-outs are left out of the colour target: they show only their product
        opaque = [s for s in stats if not s.transparent] or list(stats)
        measured = [colours(s) for s in opaque]
        use_backdrop = len(with_backdrop) >= BACKDROP_SHARE * len(opaque) and bool(with_backdrop)
        gray = _log_median([m[0] for m in measured])
        backs = [m[1] for s, m in zip(opaque, measured, strict=True) if s.plain and m[1] is not None]
        background = _log_median(backs) if use_backdrop and backs else None
        ratio = float(np.median([m[2] / max(luma(m[0]), 1e-3) for m in measured]))
    return SetTarget(
        anchor="background" if use_backdrop and background is not None else "image",
        background=background if use_backdrop else None,
        gray=gray,
        contrast_ratio=ratio,
        aspect=aspect,
        size=size,
        fill=fill,
        centre=centre,
        reference=reference_index,
    )


def luma(c: RGB) -> float:
    """Rec.709 luma of a colour."""
    return float(np.dot(LUMA, c))


def frame_box(
    s: ImageStats, aspect: float, fill: float | None, centre: tuple[float, float] | None
) -> tuple[float, float, float, float]:
    """The part of image `s` its output will show, (x0, y0, x1, y1) in full-size pixels."""
    win = window_for(s, aspect, fill, centre)
    return (win.x0, win.y0, win.x1, win.y1)


def aligned(s: ImageStats) -> bool:
    """Whether the subject of `s` was found reliably enough to align it (plain backdrop, cut-out, person)."""
    return s.subject is not None and s.method in ALIGNED_METHODS


def composition(s: ImageStats, aspect: float) -> tuple[float, tuple[float, float]]:
    """(fill, centre) of the subject as shot, seen through the frame's central window of `aspect`."""
    assert s.subject is not None
    fill, (cx, cy) = placement(s.subject, s.width, s.height, natural_window(s.width, s.height, aspect, None))
    return fill, (min(max(cx, 0.0), 1.0), min(max(cy, 0.0), 1.0))


def window_for(
    s: ImageStats, aspect: float, fill: float | None, centre: tuple[float, float] | None
) -> Window:
    """The window image `s` gets for these targets (natural window without a subject or target)."""
    if not aligned(s) or s.subject is None or fill is None or centre is None:
        return natural_window(s.width, s.height, aspect, s.subject)
    pad = s.plain or s.transparent
    return subject_window(s.width, s.height, s.subject, aspect, fill, centre, pad=pad)


def _output_size(
    stats: Sequence[ImageStats], aspect: float, fill: float | None, centre: tuple[float, float] | None
) -> tuple[int, int]:
    """The median window height over the set, so a typical image is resampled about 1:1."""
    heights = [window_for(s, aspect, fill, centre).h for s in stats]
    h = float(np.median(heights))
    w = h * aspect
    scale = min(1.0, MAX_SIDE / max(w, h))
    w, h = w * scale, h * scale
    return max(MIN_SIDE, round(w / 2) * 2), max(MIN_SIDE, round(h / 2) * 2)
