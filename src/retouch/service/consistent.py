"""Consistent batch jobs (a retouch extension of /v1/jobs in batch mode): the set is measured
first, then every image is edited with its own plan (framing, exposure and white balance, then
the instruction), as `retouch batch --consistent` does.

Asked for with the `consistency` field or with words in the prompt ("make them consistent",
"match them to the first"); see docs/api.md.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..consistency import (
    ASPECTS,
    ConsistencyRequest,
    ImageStats,
    check_request,
    measure_file,
    plan_set,
    read_consistency,
    reference_index,
)
from ..engines import ProgressFn
from ..engines.builtin import BuiltinEngine
from ..errors import RetouchError
from ..schema import EditPlan, EditRequest, EditResult
from .errors import invalid
from .params import EditOptions

#: Share of a consistent job's progress spent measuring the set.
MEASURING = 0.2
_REFERENCES: dict[str, str | int] = {"median": "median", "first": 1, "last": -1}


def read_request(
    options: EditOptions, mode: str, *, images: int, has_mask: bool, engine: str
) -> tuple[ConsistencyRequest | None, str]:
    """(the consistency request of a batch, or None; the prompt without its consistency words).

    The `consistency` field wins over the words where both say something. In edit mode the field
    is an error and the words are left to the planner."""
    field = options.consistency
    if mode != "batch":
        if field is not None:
            raise invalid("'consistency' makes a set of images uniform: it needs mode 'batch'.", "consistency")
        return None, options.prompt  # one image: its words are the planner's to read
    said, rest = read_consistency(options.prompt)
    if field is None and said is None:
        return None, options.prompt
    aspects = said.aspects if said is not None else ConsistencyRequest().aspects
    reference: str | int = said.reference if said is not None else "median"
    if field is not None:
        if "aspects" in field.model_fields_set:
            aspects = tuple(a for a in ASPECTS if a in field.aspects)
        if "reference" in field.model_fields_set:
            ref = field.reference
            reference = _REFERENCES[ref] if isinstance(ref, str) else ref
    request = ConsistencyRequest(aspects, reference, said.text if said is not None else ("consistency",))
    try:
        check_request(request, engine=engine, has_mask=has_mask)
        reference_index(request.reference, images)
    except RetouchError as e:
        raise invalid(e.message, "consistency" if e.param == "reference" else e.param or "consistency") from None
    return request, rest


def run_consistent(
    request: ConsistencyRequest,
    instruction: str,
    requests: list[EditRequest],
    progress: ProgressFn | None,
    cancel: threading.Event | None,
    cancelled: Callable[[], Exception],
) -> list[EditResult | Exception]:
    """Measure every image, plan the set, then edit each with its plan; one result or error per image.

    `cancelled()` is raised when `cancel` is set between images.
    """
    engine = BuiltinEngine()
    n = len(requests)
    has_mask = requests[0].mask is not None if requests else False
    plan = engine.plan(instruction, n_images=1, has_mask=has_mask) if instruction.strip() else EditPlan(prompt="")
    stats: list[ImageStats | None] = []
    errors: dict[int, Exception] = {}
    for i, req in enumerate(requests):
        if cancel is not None and cancel.is_set():
            raise cancelled()
        try:
            stats.append(measure_file(req.images[0], what=f"image {i + 1}"))
        except RetouchError as e:
            stats.append(None)
            errors[i] = e
        if progress is not None:
            progress(MEASURING * (i + 1) / n, f"measuring {i + 1}/{n}", None)
    ref = reference_index(request.reference, n)
    if ref is not None and ref in errors:
        raise errors[ref]
    _, plans = plan_set(stats, request, plan, reference_index=ref, size=_size(requests))
    stats.clear()
    out: list[EditResult | Exception] = []
    for i, (req, image_plan) in enumerate(zip(requests, plans, strict=True)):
        if cancel is not None and cancel.is_set():
            raise cancelled()
        if image_plan is None:
            out.append(errors.get(i) or RetouchError(f"image {i + 1} could not be measured"))
            continue

        def sub(f: float, stage: str, partial: bytes | None, _i: int = i) -> None:
            if progress is not None:
                progress(MEASURING + (1 - MEASURING) * (_i + f) / n, f"image {_i + 1}/{n}: {stage}", partial)

        try:
            out.append(engine.edit(req, progress=sub, plan=image_plan))
        except RetouchError as e:
            out.append(e)
    return out


def _size(requests: list[EditRequest]) -> tuple[int, int] | None:
    """The size option of the batch (the same on every request), parsed."""
    from ..imaging import parse_size

    return parse_size(requests[0].size) if requests else None
