"""Per-image plans: the consistency corrections as ordinary plan steps, then the instruction.

Order of every image's plan (docs/cli.md, "Consistent sets"):

1. **framing** — crop_box → resize → extend_canvas to the set's window and size (it replaces
   the instruction's "crop to a square": a crop after framing would cut the aligned frame);
2. **exposure and white balance** — exposure, temperature, tint, solved together so the anchor
   (the plain backdrop, else the gray-world mean) gets the target colour;
3. **contrast** — only without a backdrop: on a studio set it is a property of each product;
4. **background** — the target backdrop colour, when asked for and the instruction does not set one;
5. **the instruction's steps**, on images that now look alike, so its look lands the same way.

The corrections are solved on each image's sample by running the very ops the plan will run,
so clipping and the soft shoulder of the exposure op are accounted for.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import OptionError, RetouchError
from ..ops.registry import Frame, OpContext, get_op
from ..schema import EditPlan, PlanStep
from .framing import framing_steps
from .stats import LUMA, ImageStats, anchor_colour, framed_sample
from .target import SetTarget, set_target, window_for
from .words import ConsistencyRequest

_L = LUMA
#: Tint's red/blue gain per unit of green gain (the op keeps neutral luma).
_TINT_RB = float(_L[1] / (_L[0] + _L[2]))
#: Corrections smaller than these are left out of the plan.
MIN_STOPS, MIN_AMOUNT, MIN_CONTRAST = 0.01, 0.005, 0.04
#: Limits of what the pass will do to one image.
MAX_STOPS, MAX_CONTRAST = 2.5, 0.5


def image_plan(
    stats: ImageStats,
    target: SetTarget,
    request: ConsistencyRequest,
    instruction: EditPlan,
    *,
    words: str,
) -> EditPlan:
    """The plan for one image of the set: corrections, then the instruction (crops absorbed)."""
    steps: list[PlanStep] = []
    aspects = request.aspects
    frame = None
    if "framing" in aspects:
        win = window_for(stats, target.aspect, target.fill, target.centre)
        steps += framing_steps(stats.width, stats.height, win, target.size, f"{words} (framing)")
        frame = (win.x0, win.y0, win.x1, win.y1)
    # a cut-out has no backdrop: its pixels are the product's own colours, not a cast to correct
    if ("tone" in aspects or "color" in aspects) and not stats.transparent:
        steps += tone_steps(stats, target, frame, tone="tone" in aspects, color="color" in aspects, text=words)
    own_background = any(s.op.startswith("background_") or s.op == "remove_background" for s in instruction.steps)
    if "background" in aspects and not own_background:
        colour = target.background or stats.background
        if colour is not None:
            rgb = [round(255 * c) for c in colour]
            steps.append(PlanStep(op="background_color", params={"color": rgb}, text=f"{words} (background)"))
    rest = [s for s in instruction.steps if not ("framing" in aspects and s.op == "crop_aspect")]
    return EditPlan(prompt=instruction.prompt, steps=steps + rest)


def check_request(request: ConsistencyRequest, *, engine: str, has_mask: bool) -> None:
    """Refuse what a consistent set cannot be combined with, before any work."""
    if engine != "builtin":
        raise OptionError(
            f"a consistent batch runs on the builtin engine (its corrections are exact ops); "
            f"engine {engine!r} cannot take part",
            param="engine",
        )
    if has_mask and "framing" in request.aspects:
        raise OptionError(
            "a mask cannot be combined with consistent framing (it changes every image's size); "
            "drop the mask or ask only for the same exposure and colours",
            param="mask",
        )


def reference_index(reference: str | int, n: int) -> int | None:
    """0-based index of the reference input (1-based number, -1 = last), None for the median."""
    if reference == "median":
        return None
    k = int(reference)
    idx = n - 1 if k == -1 else k - 1
    if not 0 <= idx < n:
        raise OptionError(f"there is no image {k} to match in a set of {n}", param="reference")
    return idx


def plan_set(
    stats: Sequence[ImageStats | None],
    request: ConsistencyRequest,
    instruction: EditPlan,
    *,
    reference: ImageStats | None = None,
    reference_index: int | None = None,
    size: tuple[int, int] | None = None,
) -> tuple[SetTarget | None, list[EditPlan | None]]:
    """The set's target and every image's plan (None where the image could not be measured)."""
    good = [s for s in stats if s is not None]
    if not good:
        return None, [None] * len(stats)
    if reference is None and reference_index is not None:
        reference = stats[reference_index]
        if reference is None:
            raise RetouchError(f"the reference image {reference_index + 1} could not be read", param="reference")
    target = set_target(
        good,
        reference=reference,
        reference_index=reference_index,
        aspect=absorbed_aspect(instruction),
        size=size,
        framing="framing" in request.aspects,
    )
    words = "; ".join(request.text) or "--consistent"
    return target, [None if s is None else image_plan(s, target, request, instruction, words=words) for s in stats]


def absorbed_aspect(instruction: EditPlan) -> float | None:
    """The aspect ratio the instruction crops to (its last crop_aspect), which framing takes over."""
    from ..ops.geometry import _ratio

    ratio = None
    for s in instruction.steps:
        if s.op == "crop_aspect":
            ratio = _ratio(s.params.get("ratio", (1, 1)))
    return ratio


# --------------------------------------------------------------------------- exposure and colour


def tone_steps(
    stats: ImageStats,
    target: SetTarget,
    frame: tuple[float, float, float, float] | None,
    *,
    tone: bool,
    color: bool,
    text: str,
) -> list[PlanStep]:
    """exposure / temperature / tint (and contrast) steps that bring what `frame` shows to the target."""
    backdrop = target.anchor == "background" and target.background is not None and stats.background is not None
    want = np.asarray(target.background if backdrop else target.gray, np.float64)
    sample, opaque, back = framed_sample(stats, frame)
    mask = back if backdrop and back.sum() >= 16 else opaque
    params = (0.0, 0.0, 0.0)
    for _ in range(5):
        now = np.asarray(anchor_colour(apply_gains(sample, params), mask, median=backdrop), np.float64)
        k = want / np.maximum(now, 1e-4)
        if not color:  # exposure only: one gain that moves the anchor's luminance
            k = np.full(3, float(_L @ want) / max(float(_L @ now), 1e-4))
        elif not tone:  # colour only: the same luminance, other proportions
            k = k * float(_L @ now) / max(float(_L @ (now * k)), 1e-4)
        if np.abs(k - 1).max() < 1e-3:
            break
        params = params_for_gains(gains_of(*params) * k, exposure=tone)
    stops, temp, tint = params
    steps = []
    if tone and abs(stops) >= MIN_STOPS:
        steps.append(PlanStep(op="exposure", params={"stops": round(stops, 3)}, text=text))
    if color and abs(temp) >= MIN_AMOUNT:
        steps.append(PlanStep(op="temperature", params={"amount": round(temp, 3)}, text=text))
    if color and abs(tint) >= MIN_AMOUNT:
        steps.append(PlanStep(op="tint", params={"amount": round(tint, 3)}, text=text))
    if tone and not backdrop:
        after = apply_gains(sample, params)
        lum = after[..., :3][opaque] @ _L.astype(np.float32)
        std = float(lum.std())
        want_std = target.contrast_ratio * float(lum.mean())
        amount = float(np.clip(want_std / max(std, 1e-4) - 1.0, -MAX_CONTRAST, MAX_CONTRAST))
        if abs(amount) >= MIN_CONTRAST:
            steps.append(PlanStep(op="contrast", params={"amount": round(amount, 3)}, text=text))
    return steps


def apply_gains(img: np.ndarray, params: tuple[float, float, float]) -> np.ndarray:
    """The exposure, temperature and tint ops run on a (small, float) image."""
    stops, temp, tint = params
    ctx = OpContext(frame=Frame(0, img.shape[0], img.shape[1]))
    out = img
    if stops:
        out = get_op("exposure").fn(out, ctx, stops=stops)
    if temp:
        out = get_op("temperature").fn(out, ctx, amount=temp)
    if tint:
        out = get_op("tint").fn(out, ctx, amount=tint)
    return out


def gains_of(stops: float, temp: float, tint: float) -> np.ndarray:
    """The channel gains the three ops apply together (before clipping)."""
    from ..ops.color import temperature_matrix

    e = 2.0 ** (stops / 2.2)
    t = np.diag(temperature_matrix(temp)).astype(np.float64)
    g = 1.0 - 0.15 * tint
    rb = 1.0 + 0.15 * tint * _TINT_RB
    return e * t * np.array([rb, g, rb])


def params_for_gains(k: np.ndarray, *, exposure: bool = True) -> tuple[float, float, float]:
    """(stops, temperature, tint) whose gains are proportional to k (equal to it with exposure)."""
    from ..ops.color import temperature_matrix

    kr, kg, kb = (max(float(v), 1e-4) for v in k)
    q = kr / kb  # temperature alone sets red/blue: (1 + a/4) / (1 - a/2) = q
    temp = float(np.clip((q - 1) / (0.25 + 0.5 * q), -1, 1))
    t = np.diag(temperature_matrix(temp)).astype(np.float64)
    # tint sets the red-and-blue to green balance: rb(tint)/g(tint) = Q
    big_q = (np.sqrt(kr * kb) / kg) * t[1] / np.sqrt(t[0] * t[2])
    tint = float(np.clip((big_q - 1) / (0.15 * _TINT_RB + 0.15 * big_q), -1, 1))
    g = 1.0 - 0.15 * tint
    stops = float(np.clip(2.2 * np.log2(kg / (t[1] * g)), -MAX_STOPS, MAX_STOPS)) if exposure else 0.0
    return stops, temp, tint
