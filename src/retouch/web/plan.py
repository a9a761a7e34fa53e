"""What an engine understood of an instruction, in words a person reads before paying."""

from __future__ import annotations

import time
from typing import Any

from ..engines import available_engines, get_engine
from ..engines.registry import engine_spec
from ..ops.catalog import CATALOG, Param
from ..ops.catalog import REGIONS as REGION_NAMES
from ..schema import EditPlan, PlanStep
from ..service.routing import resolve_model

#: How a step's region reads in a sentence.
REGIONS = {
    "all": "whole image",
    "mask": "painted area",
    "subject": "subject",
    "background": "background",
    "sky": "sky",
    "face": "faces",
    "edges": "edges",
    "center": "centre",
}


def _amount(name: str, v: Any) -> str:
    if isinstance(v, float) and name == "amount" and -10 < v < 10:
        return f"{v * 100:+.0f}%"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list) and v and all(isinstance(x, list) and len(x) == 3 for x in v):
        return " → ".join("#" + "".join(f"{int(c):02x}" for c in x) for x in v)
    if isinstance(v, list) and len(v) == 3 and all(isinstance(c, int) for c in v):
        return "#" + "".join(f"{int(c):02x}" for c in v)
    return str(v)


def step_view(step: PlanStep) -> dict[str, Any]:
    details = ", ".join(f"{k.replace('_', ' ')} {_amount(k, v)}" for k, v in step.params.items())
    return {
        "op": step.op,
        "label": step.op.replace("_", " ").capitalize(),
        "details": details,
        "region": step.region,
        "where": REGIONS.get(step.region, step.region.replace("-", " ")),
        "text": step.text,
        "describe": step.describe(),
        "params": step.params,
    }


def explain(
    prompt: str,
    *,
    model: str | None,
    n_images: int,
    has_mask: bool,
    after: EditPlan | None = None,
    before: EditPlan | None = None,
) -> dict[str, Any]:
    """The plan as the UI shows it; raises UnsupportedInstruction (a 400) when refused.

    With `after` (the plan of the version being edited) the prompt is a follow-up: the steps are the
    revised full plan and `changes` says what changed from `after` and why.
    """
    from ..consistency import read_consistency

    engine, canonical = resolve_model(model)
    if after is not None:
        from ..planner.followup import follow_up
        from ..service.errors import invalid

        if engine.name != "builtin":
            raise invalid(f"Follow-ups revise a retouch-builtin plan; model '{canonical}' follows the prompt.", "model")
        revised = follow_up(prompt, after, n_images=n_images, has_mask=has_mask, before=before)
        return {
            "object": "plan",
            "model": canonical,
            "engine": engine.name,
            "steps": [step_view(s) for s in revised.steps],
            "summary": revised.describe(),
            "consistency": None,
            "changes": revised.notes,
        }
    # "make them consistent" is a batch's pass across the set; the rest is each image's edit
    said, rest = read_consistency(prompt)
    plan: EditPlan = (
        engine.plan(rest, n_images=n_images, has_mask=has_mask) if rest.strip() or said is None else EditPlan(prompt="")
    )
    return {
        "object": "plan",
        "model": canonical,
        "engine": engine.name,
        "steps": [step_view(s) for s in plan.steps],
        "summary": plan.describe(),
        "consistency": said.describe() if said is not None else None,
    }


_engines_cache: tuple[float, list[dict[str, Any]]] = (0.0, [])


def engines(ttl_s: float = 30.0) -> list[dict[str, Any]]:
    """Every engine with whether it can run here (cached briefly: `ready` may look at disks)."""
    global _engines_cache
    at, cached = _engines_cache
    if cached and time.monotonic() - at < ttl_s:
        return cached
    out = []
    for name in available_engines():
        try:
            ok, why = get_engine(name).ready()
        except Exception as e:  # an engine that cannot even be built is just not ready
            ok, why = False, f"{type(e).__name__}: {e}"
        out.append({"name": name, "summary": engine_spec(name).summary, "ready": ok, "detail": why})
    _engines_cache = (time.monotonic(), out)
    return out


def _param(p: Param) -> dict[str, Any]:
    out: dict[str, Any] = {"type": str(p.type), "default": p.default}
    if p.min is not None:
        out |= {"min": p.min, "max": p.max}
    if p.choices:
        out["choices"] = list(p.choices)
    if p.nullable:
        out["nullable"] = True
    if p.help or p.positive:
        out["help"] = p.help or f"positive: {p.positive}"
    return out


def op_specs() -> dict[str, Any]:
    """Every op's parameters (type, default, range or choices) and the regions: one source of truth."""
    return {
        "object": "op_spec",
        "regions": list(REGION_NAMES),
        "ops": {
            name: {
                "help": s.help,
                "regional": s.regional,
                "main": s.main,
                "params": {k: _param(p) for k, p in s.params.items() if isinstance(p, Param)},
            }
            for name, s in CATALOG.items()
        },
    }
