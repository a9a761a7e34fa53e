"""The builtin engine: compile the instruction to an EditPlan, then run its ops on the CPU.

Exact and reproducible: the same request gives the same pixels. Pixel ops run on
horizontal strips (a few MB each, in parallel) so that a 4096² edit stays within a
small multiple of the decoded image's memory; the user's mask is applied to every
step and, at the end, pixels outside it are copied back bit for bit.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from ..errors import OptionError, RetouchError
from ..ops.catalog import CATALOG
from ..schema import EditPlan, EditRequest, EditResult, PlanStep, resolved_quality
from ..tokens import estimate_usage
from .base import Capabilities, ProgressFn

if TYPE_CHECKING:
    import numpy as np

    from ..ops.registry import RegisteredOp

# The pixel machinery (NumPy, OpenCV, the op modules) is imported by the functions that run a
# plan, not here: planning (`retouch explain`, the API's validation) must not pay for it.

#: Ops that read other inputs; only then are the references converted to float.
REF_OPS = frozenset({"match_color", "background_image", "place_image"})
#: Pixels per strip for pixel ops: 64K pixels keep float temporaries under 1 MB each (cache-friendly).
STRIP_PIXELS = 1 << 16
#: Long side of the copy on which pixel ops resolve their global statistics.
PREPARE_SIDE = 512
#: Geometry ops that only move pixels: run on the stored uint8 pixels (bit-identical to the float
#: path, without a float copy of the whole image; a consistent batch crops 12 MP photos).
INDEX_OPS = frozenset({"crop_box", "flip"})


class BuiltinEngine:
    """Exact edits compiled from the instruction (tone, colour, geometry, background, overlays)."""

    name = "builtin"
    request_options: frozenset[str] = frozenset()  # builtin edits take nothing beyond the request
    runs_plans = True  # edit(..., plan=EditPlan) runs that plan instead of planning the prompt
    capabilities = Capabilities(
        instruction_edit=True,
        mask_inpaint=True,
        max_images=16,
        transparency=True,
        streaming=False,
        generative=False,
        models=("retouch-builtin",),
    )

    def plan(self, prompt: str, *, n_images: int = 1, has_mask: bool = False) -> EditPlan:
        """Compile the instruction (raises UnsupportedInstruction for what it cannot do)."""
        from ..planner import plan_from_text

        return plan_from_text(prompt, n_images=n_images, has_mask=has_mask)

    def ready(self) -> tuple[bool, str]:
        """Always ready: no weights, no keys."""
        return True, "ready (CPU, no weights needed)"

    def edit(
        self, request: EditRequest, *, progress: ProgressFn | None = None, plan: EditPlan | None = None
    ) -> EditResult:
        """Run one edit request end to end: decode, plan, ops, size, encode.

        `plan` runs instead of the prompt's own plan (a consistent batch's per-image plan).
        """
        from ..imaging import decode_image, encode_image, load_mask, parse_size

        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        quality = resolved_quality(request.quality)
        check_options(request)
        target = parse_size(request.size)
        if plan is None:
            plan = self.plan(request.prompt, n_images=len(request.images), has_mask=request.mask is not None)
        check_plan_format(plan, request.output_format)
        timings["plan"] = _ms(t0)

        t = time.perf_counter()
        images = [decode_image(data, what=f"image {i + 1}") for i, data in enumerate(request.images)]
        first = images[0]
        mask = load_mask(request.mask, (first.shape[1], first.shape[0])) if request.mask is not None else None
        timings["decode"] = _ms(t)
        _report(progress, 0.1, "decoded")

        t = time.perf_counter()
        out = run_plan(first, plan, images, mask=mask, quality=quality, progress=progress)
        out = apply_background_option(out, request.background, quality)
        if target is not None and (out.shape[1], out.shape[0]) != target:
            out = fit_output(out, target, quality)
        timings["ops"] = _ms(t)
        _report(progress, 0.9, "edited")

        t = time.perf_counter()
        encoded = encode_image(
            out, request.output_format, compression=request.output_compression, quality=quality
        )
        timings["encode"] = _ms(t)
        timings["total"] = _ms(t0)
        h, w = out.shape[:2]
        usage = estimate_usage(
            [(im.shape[1], im.shape[0]) for im in images], request.prompt, (w, h), quality, request.n
        )
        _report(progress, 1.0, "done")
        return EditResult(
            images=[encoded] * request.n,
            output_format=request.output_format,
            width=w,
            height=h,
            quality=quality,
            background="transparent" if out.shape[2] == 4 else "opaque",
            plan=plan,
            usage=usage,
            timings_ms=timings,
            engine=self.name,
        )


def check_options(request: EditRequest) -> None:
    """Refuse inconsistent options before any work is done."""
    if request.background == "transparent" and request.output_format == "jpeg":
        raise OptionError(
            "background=transparent needs output format png or webp (jpeg has no alpha)", param="background"
        )


def check_plan_format(plan: EditPlan, output_format: str) -> None:
    """A transparent result cannot be stored as JPEG: refuse rather than silently flatten it."""
    if output_format == "jpeg":
        for step in plan.steps:
            if step.op == "remove_background":
                raise OptionError(
                    f"“{step.text}” makes a transparent image, which jpeg cannot store: "
                    "write png or webp, or ask for a background colour instead", param="output_format")


def run_plan(
    first: np.ndarray,
    plan: EditPlan,
    images: list[np.ndarray],
    *,
    mask: np.ndarray | None = None,
    quality: str = "medium",
    progress: ProgressFn | None = None,
) -> np.ndarray:
    """Apply every step of `plan` to `first` (uint8 RGB/RGBA); returns uint8."""
    from ..imaging.convert import to_float
    from ..ops.registry import get_op

    if mask is not None:
        geometry = [s.op for s in plan.steps if get_op(s.op).info.kind == "geometry"]
        if geometry:
            raise RetouchError(
                f"'{geometry[0]}' changes the image's size and cannot be confined to a mask; "
                "run it as a separate edit without the mask",
                param="mask",
            )
    refs = [to_float(im) for im in images] if any(s.op in REF_OPS for s in plan.steps) else []
    cur = first
    steps = plan.steps
    i = 0
    while i < len(steps):
        op = get_op(steps[i].op)
        if op.info.kind == "pixel":
            j = i
            while j < len(steps) and get_op(steps[j].op).info.kind == "pixel":
                j += 1
            cur = run_pixel_steps(cur, steps[i:j], mask=mask, quality=quality)
        else:
            j = i + 1
            cur = run_image_step(cur, steps[i], op, refs=refs, mask=mask, quality=quality)
        i = j
        _report(progress, 0.1 + 0.8 * i / max(len(steps), 1), f"step {i}/{len(steps)}")
    if mask is not None:
        cur = restore_outside_mask(cur, first, mask)
    return cur


def step_params(step: PlanStep) -> dict:
    """The step's parameters with the op spec's defaults for those it leaves out (one source of defaults)."""
    return {**CATALOG[step.op].defaults(), **step.params} if step.op in CATALOG else dict(step.params)


def step_weight(step: PlanStep, rgb: np.ndarray, mask: np.ndarray | None, quality: str) -> np.ndarray | None:
    """Where a step applies, 0..1 per pixel (None = everywhere): its region times the user's mask."""
    from ..ops.registry import get_op

    region = step.region
    weight: np.ndarray | None = None
    if region not in ("all", "mask"):
        if not get_op(step.op).info.regional:
            raise RetouchError(f"'{step.op}' cannot be limited to the {region}", param="prompt")
        from ..vision.regions import region_weight

        weight = region_weight(region, rgb[..., :3], quality=quality, fragment=step.text)
    elif region == "mask" and mask is None:
        raise RetouchError(f"“{step.text}” refers to a masked area, but no mask was given", param="mask")
    if mask is not None:
        weight = mask if weight is None else weight * mask
    return weight


def run_pixel_steps(
    cur: np.ndarray, steps: list[PlanStep], *, mask: np.ndarray | None, quality: str
) -> np.ndarray:
    """Run consecutive pixel ops strip by strip, in parallel, resolving global statistics first."""
    from concurrent.futures import ThreadPoolExecutor

    import cv2
    import numpy as np

    from ..imaging.convert import to_float, to_uint8
    from ..ops.registry import Frame, OpContext, get_op

    h, w = cur.shape[:2]
    scale = min(1.0, PREPARE_SIDE / max(h, w))
    small = to_float(
        cv2.resize(cur, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        if scale < 1
        else cur
    )
    small_ctx = OpContext(frame=Frame(0, small.shape[0], small.shape[1]), quality=quality)
    resolved: list[tuple[RegisteredOp, dict, np.ndarray | None]] = []
    for step in steps:
        op = get_op(step.op)
        params = step_params(step)
        if op.prepare is not None:
            params = op.prepare(small, small_ctx, **params)
        small = op.fn(small, small_ctx, **params)
        resolved.append((op, params, step_weight(step, cur, mask, quality)))

    out = np.empty_like(cur)
    rows = max(8, STRIP_PIXELS // max(w, 1))
    base_ctx = OpContext(frame=Frame(0, h, w), quality=quality)

    def strip(y0: int) -> None:
        y1 = min(h, y0 + rows)
        ctx = replace(base_ctx, frame=Frame(y0, h, w))
        x = to_float(cur[y0:y1])
        for op, params, weight in resolved:
            y = op.fn(x, ctx, **params)
            x = y if weight is None else blend(x, y, weight[y0:y1])
        out[y0:y1] = to_uint8(x)

    starts = range(0, h, rows)
    if len(starts) > 1 and (os.cpu_count() or 1) > 1:
        with ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, 8)) as pool:
            list(pool.map(strip, starts))
    else:
        for y0 in starts:
            strip(y0)
    return out


def run_image_step(
    cur: np.ndarray,
    step: PlanStep,
    op: RegisteredOp,
    *,
    refs: list[np.ndarray],
    mask: np.ndarray | None,
    quality: str,
) -> np.ndarray:
    """Run one whole-image or geometry op; blend by region and mask."""
    import numpy as np

    from ..imaging.convert import to_float, to_uint8
    from ..ops.registry import Frame, OpContext

    h, w = cur.shape[:2]
    ctx = OpContext(frame=Frame(0, h, w), refs=refs, quality=quality, mask=mask)
    if moves_pixels_only(step):
        return np.ascontiguousarray(op.fn(cur, ctx, **step_params(step)))
    x = to_float(cur)
    y = op.fn(x, ctx, **step_params(step))
    if op.info.kind != "geometry":
        weight = step_weight(step, cur, mask, quality) if op.name != "remove_object" else mask
        if weight is not None:
            y = blend(x, y, weight)
    return to_uint8(y)


def moves_pixels_only(step: PlanStep) -> bool:
    """Whether a step copies pixels without computing new ones (crops, flips, right-angle turns, edge padding)."""
    if step.op in INDEX_OPS:
        return True
    params = step_params(step)
    if step.op == "rotate":
        d = float(params.get("degrees", 90.0)) % 360.0
        return abs(d - 90.0 * round(d / 90.0)) < 1e-6
    return step.op == "extend_canvas" and str(params.get("color", "")).lower() == "edge"


def blend(x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """x where weight is 0, y where it is 1; adds an opaque alpha to x if y gained one."""
    if y.shape[2] != x.shape[2]:
        x = add_alpha(x) if y.shape[2] == 4 else x
        y = add_alpha(y) if x.shape[2] == 4 else y
    out = y - x
    out *= weight[..., None]
    out += x
    return out


def add_alpha(x: np.ndarray) -> np.ndarray:
    """Append an opaque alpha channel (float or uint8)."""
    import numpy as np

    one = 255 if x.dtype == np.uint8 else 1.0
    return np.concatenate([x, np.full((*x.shape[:2], 1), one, x.dtype)], axis=2)


def restore_outside_mask(out: np.ndarray, original: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Copy the original's pixels back wherever the mask is 0: bit-exact outside the mask."""
    if out.shape[:2] != original.shape[:2]:
        return out
    if out.shape[2] != original.shape[2]:
        original = add_alpha(original) if out.shape[2] == 4 else original[..., :3]
    keep = mask <= 0
    out[keep] = original[keep]
    return out


def apply_background_option(out: np.ndarray, background: str, quality: str) -> np.ndarray:
    """`transparent`: cut the subject out if the plan left no alpha; `opaque`: flatten onto white."""
    if background == "transparent" and out.shape[2] == 3:
        from ..imaging.convert import to_float, to_uint8
        from ..ops.registry import Frame, OpContext, get_op

        op = get_op("remove_background")
        ctx = OpContext(frame=Frame(0, out.shape[0], out.shape[1]), quality=quality)
        return to_uint8(op.fn(to_float(out), ctx))
    if background == "opaque" and out.shape[2] == 4:
        return flatten_alpha(out)
    return out


def flatten_alpha(rgba: np.ndarray, color: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """Composite RGBA onto a solid colour."""
    import numpy as np

    a = rgba[..., 3:4].astype(np.float32) / 255.0
    rgb = rgba[..., :3].astype(np.float32) * a + np.array(color, np.float32) * (1 - a)
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


def fit_output(out: np.ndarray, target: tuple[int, int], quality: str) -> np.ndarray:
    """Cover-crop to the requested size, centred on the subject when one is found."""
    from ..imaging import fit_to_size

    h, w = out.shape[:2]
    center = None
    if abs(w / h - target[0] / target[1]) > 0.01:
        from ..vision.subject import subject_center

        center = subject_center(out[..., :3])
    return fit_to_size(out, target[0], target[1], center=center, quality=quality)


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)


def _report(progress: ProgressFn | None, fraction: float, stage: str) -> None:
    if progress is not None:
        progress(fraction, stage, None)
