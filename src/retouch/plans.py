"""Plans as input: read an EditPlan (what `retouch explain --json` prints) and check it against the op spec.

Every surface that takes a plan (`retouch edit --plan`, `retouch.edit(plan=...)`, the HTTP `plan`
field) reads it here, so a bad plan gets the same message everywhere: the step (1-based), its op
and the parameter at fault.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from .errors import RetouchError
from .ops.catalog import CATALOG, PlanInvalid, PType, validate_plan
from .schema import EditPlan

PlanInput = EditPlan | Mapping[str, Any] | list[Any] | str | bytes


class PlanError(RetouchError):
    """A plan given as input is malformed or breaks the op spec; the message names step, op and param."""

    code = "invalid_plan"
    param = "plan"

    def __init__(self, message: str, *, step: int | None = None, op: str | None = None, field: str | None = None):
        super().__init__(message)
        self.step = step
        self.op = op
        self.field = field


def load_plan(value: PlanInput, *, n_images: int | None = None, has_mask: bool | None = None) -> EditPlan:
    """An EditPlan from a model, a dict, a list of steps or JSON text; PlanError when it is not a valid plan.

    `n_images` and `has_mask`, when given, also check that reference steps name an image that was
    given and that `region: mask` steps have a mask.
    """
    raw: Any = value
    if isinstance(raw, bytes | str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError) as e:
            raise PlanError(f"the plan is not valid JSON: {e}") from None
    if isinstance(raw, list):  # just the steps
        raw = {"prompt": "", "steps": raw}
    if isinstance(raw, EditPlan):
        plan = raw
    elif isinstance(raw, Mapping):
        raw = {"prompt": "", **raw}
        try:
            plan = EditPlan.model_validate(raw)
        except ValidationError as e:
            raise PlanError(_structure_message(e)) from None
    else:
        raise PlanError(
            "the plan must be a JSON object with 'steps' (as `retouch explain --json` prints), "
            f"not {type(raw).__name__}"
        )
    try:
        validate_plan(plan)
    except PlanInvalid as e:
        raise PlanError(f"plan {e.message}", step=e.step, op=e.op, field=e.param) from None
    for i, step in enumerate(plan.steps, 1):
        spec = CATALOG[step.op]
        if spec.status != "ready":
            raise PlanError(f"plan step {i} ({step.op}): this op is not available yet", step=i, op=step.op)
        if has_mask is False and step.region == "mask":
            raise PlanError(
                f"plan step {i} ({step.op}): region 'mask' needs a mask", step=i, op=step.op, field="region"
            )
        if n_images is None:
            continue
        for name, p in spec.params.items():
            if getattr(p, "type", None) is not PType.REF:
                continue
            ref = step.params.get(name, getattr(p, "default", None))
            if isinstance(ref, int | float) and ref >= n_images:
                raise PlanError(
                    f"plan step {i} ({step.op}): {name} {ref:g} names image {int(ref) + 1} but "
                    f"{n_images} image{'s were' if n_images != 1 else ' was'} given",
                    step=i,
                    op=step.op,
                    field=name,
                )
    return plan


def _structure_message(e: ValidationError) -> str:
    """One line for the first structural problem, naming the step when it is inside one."""
    err = e.errors()[0]
    loc = list(err.get("loc", ()))
    msg = err.get("msg", "invalid value")
    if err.get("type") == "extra_forbidden":
        msg = "unknown field"
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        where = f"plan step {loc[1] + 1}"
        rest = ".".join(str(x) for x in loc[2:])
        return f"{where}: {rest}: {msg}" if rest else f"{where}: {msg}"
    field = ".".join(str(x) for x in loc) or "plan"
    return f"the plan's {field}: {msg}"
