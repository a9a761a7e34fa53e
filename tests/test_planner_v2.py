"""Planner v2: the op spec is the one source, refusal hints fit the surface, roles, removal, held-out set."""

from __future__ import annotations

import ast
import json
import runpy
from pathlib import Path
from typing import Any

import pytest

from retouch.cli import main
from retouch.errors import RetouchError, UnsupportedInstruction, with_hint
from retouch.ops.catalog import CATALOG, PlanInvalid, validate_plan
from retouch.planner import plan_from_text

ROOT = Path(__file__).resolve().parents[1]
PLANNER = ROOT / "src" / "retouch" / "planner"
HELDOUT = ROOT / "tests" / "data" / "requests_heldout.jsonl"
HELDOUT2 = ROOT / "tests" / "data" / "requests_heldout2.jsonl"


# ---------------------------------------------------------------- the spec is the one source


def _step_calls() -> list[tuple[str, int, str, list[str]]]:
    """(file, line, op, literal param names) of every make_step("op", {...}) in the planner's source."""
    found = []
    for path in PLANNER.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "make_step" and node.args):
                continue
            op = node.args[0]
            if isinstance(op, ast.Constant) and isinstance(op.value, str):
                keys = []
                if len(node.args) > 1 and isinstance(node.args[1], ast.Dict):
                    keys = [k.value for k in node.args[1].keys if isinstance(k, ast.Constant)]
                found.append((path.name, node.lineno, op.value, keys))
    return found


def test_planner_source_names_only_spec_ops_and_params() -> None:
    calls = _step_calls()
    assert len(calls) > 30
    for file, line, op, keys in calls:
        assert op in CATALOG, f"{file}:{line} names op {op!r}, which the spec does not"
        for k in keys:
            assert k in CATALOG[op].params, f"{file}:{line} gives {op} parameter {k!r}, which the spec does not"


def test_planner_has_no_default_table_of_its_own() -> None:
    """Defaults are read from the spec: no module of the planner maps op names to numbers."""
    for path in PLANNER.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict) and len(node.keys) >= 3:
                keys = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
                nums = [v for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, float)]
                assert not (len(set(keys) & set(CATALOG)) >= 3 and len(nums) >= 3), f"{path.name}:{node.lineno}"


@pytest.mark.parametrize(
    ("prompt", "op", "param", "sign"),
    [
        ("brighten it", "brightness", "amount", 1),
        ("darken it", "brightness", "amount", -1),
        ("more contrast", "contrast", "amount", 1),
        ("more saturated", "saturation", "amount", 1),
        ("warmer", "temperature", "amount", 1),
        ("add a magenta tint", "tint", "amount", 1),
        ("add vibrance", "vibrance", "amount", 1),
        ("lift the shadows", "shadows", "amount", 1),
        ("sharpen it", "sharpen", "amount", 1),
        ("blur it", "blur", "amount", 1),
        ("denoise", "denoise", "amount", 1),
        ("add a vignette", "vignette", "amount", 1),
        ("add grain", "grain", "amount", 1),
        ("increase the exposure", "exposure", "stops", 1),
        ("shift the hue", "hue_shift", "degrees", 1),
    ],
)
def test_unsaid_amounts_are_the_spec_default(prompt: str, op: str, param: str, sign: int) -> None:
    (step,) = plan_from_text(prompt).steps
    assert step.op == op
    assert step.params[param] == pytest.approx(sign * abs(CATALOG[op].default(param)))


def test_every_plan_validates_against_the_spec() -> None:
    from tests.test_planner import CASES, FIXES

    rows = [json.loads(line) for line in HELDOUT.read_text(encoding="utf-8").splitlines()]
    prompts = [(p, kw) for p, kw, _ in CASES + FIXES] + [(r["text"], {}) for r in rows]
    planned = 0
    for prompt, kwargs in prompts:
        try:
            plan = plan_from_text(prompt, **kwargs)
        except RetouchError:
            continue
        validate_plan(plan)
        planned += 1
    assert planned > 300


def test_validate_plan_names_step_and_param() -> None:
    plan = plan_from_text("brighten by 20%, then add a vignette")
    validate_plan(plan)
    bad = plan.model_dump()["steps"]
    bad[1]["params"]["amount"] = 7
    with pytest.raises(PlanInvalid) as err:
        validate_plan(bad)
    assert (err.value.step, err.value.op, err.value.param) == (2, "vignette", "amount")
    assert "step 2 (vignette): amount must be between -1 and 1" in str(err.value)
    with pytest.raises(PlanInvalid, match="unknown parameter 'strength'"):
        validate_plan([{"op": "blur", "params": {"strength": 1}}])
    with pytest.raises(PlanInvalid, match="band must be one of"):
        validate_plan([{"op": "saturation", "params": {"amount": 0.2, "band": "teal"}}])
    with pytest.raises(PlanInvalid, match="cannot be limited"):
        validate_plan([{"op": "rotate", "params": {"degrees": 90}, "region": "sky"}])


def test_spec_exposes_what_a_control_needs() -> None:
    p = CATALOG["saturation"].param("amount")
    assert (p.type, p.default, p.min, p.max, p.positive) == ("float", 0.25, -1, 3, "more saturated")
    for name in ("white_balance", "dehaze", "clarity", "straighten", "replace_color"):
        assert name in CATALOG and CATALOG[name].help


def test_docs_tables_are_generated_from_the_spec() -> None:
    gen = runpy.run_path(str(ROOT / "docs" / "make_builtin_tables.py"))
    page = (ROOT / "docs" / "builtin.md").read_text(encoding="utf-8")
    assert gen["updated"](page) == page, "docs/builtin.md is stale: run docs/make_builtin_tables.py"


# ---------------------------------------------------------------- refusals and their hints


def test_refusal_kinds() -> None:
    cases = {
        "qwzx plorb vrang": "not_understood",
        "brighten the car": "cannot_locate",
        "remove the man on the left": "cannot_locate",
        "add sunglasses": "generative",
    }
    for prompt, kind in cases.items():
        with pytest.raises(UnsupportedInstruction) as err:
            plan_from_text(prompt)
        assert err.value.kind == kind, (prompt, err.value.message)


def test_mask_hint_fits_the_surface(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UnsupportedInstruction) as err:
        plan_from_text("brighten the car")
    assert "--mask" not in err.value.message and err.value.hint == "mask"
    assert "paint or upload a mask" in with_hint(err.value, "http")
    assert main(["explain", "-p", "brighten the car"]) != 0
    assert "--mask PATH" in capsys.readouterr().err


def test_with_a_mask_a_named_thing_is_the_masked_area() -> None:
    assert [(s.op, s.region) for s in plan_from_text("remove the spoon", has_mask=True).steps] == [
        ("remove_object", "mask")
    ]
    assert [(s.op, s.region) for s in plan_from_text("brighten the car", has_mask=True).steps] == [
        ("brightness", "mask")
    ]


# ---------------------------------------------------------------- roles, removal, composition


@pytest.mark.parametrize(
    "prompt",
    [
        "remove the people behind her",
        "remove the guy in the background",
        "please remove the two tourists from the background",
        "get rid of the man in white",
    ],
)
def test_removing_a_person_never_removes_the_background(prompt: str) -> None:
    with pytest.raises(UnsupportedInstruction) as err:
        plan_from_text(prompt)
    assert err.value.kind == "cannot_locate"


def test_removing_the_background_itself() -> None:
    assert [s.op for s in plan_from_text("remove the white background").steps] == ["remove_background"]


def test_backstory_is_ignored_and_shown() -> None:
    plan = plan_from_text("brighten it, this was my grandmother's favourite photo")
    assert [s.op for s in plan.steps] == ["brightness"]
    assert [g.role for g in plan.ignored] == ["backstory"]
    assert "ignored" in plan.describe()


def test_a_purpose_naming_a_thing_is_not_a_target() -> None:
    assert [s.op for s in plan_from_text("brighten it so you can see my cat").steps] == ["brightness"]


def test_gibberish_next_to_an_edit_is_still_refused() -> None:
    with pytest.raises(UnsupportedInstruction, match="qwzx plorb"):
        plan_from_text("brighten it and qwzx plorb")


def test_repeated_steps_compose_and_both_are_shown() -> None:
    plan = plan_from_text("brighten by 10%, then brighten by 30%")
    assert [s.params["amount"] for s in plan.steps] == [pytest.approx(0.1), pytest.approx(0.3)]


def test_an_exact_repeat_is_planned_once_with_a_note() -> None:
    plan = plan_from_text("make it cooler, bluer and colder")
    assert [s.op for s in plan.steps] == ["temperature"] and len(plan.notes) == 2


def test_vague_wishes_plan_an_enhance_recipe() -> None:
    for prompt in ("improve quality", "make it look awesome", "Basic photo touch up", "make it pop"):
        ops = {s.op for s in plan_from_text(prompt).steps}
        assert ops & {"auto_levels", "vibrance", "contrast", "saturation"}, prompt


# ---------------------------------------------------------------- the held-out request set

_SIGNED = {
    "brightness": "amount", "contrast": "amount", "saturation": "amount", "vibrance": "amount",
    "highlights": "amount", "shadows": "amount", "temperature": "amount", "tint": "amount",
    "vignette": "amount", "exposure": "stops", "hue_shift": "degrees", "rotate": "degrees",
    "dehaze": "amount", "clarity": "amount", "straighten": "angle",
}  # fmt: skip


def _value(step: dict[str, Any]) -> float | None:
    """The step's main value as the request scorer reads it (None: the op has none)."""
    op, p = step["op"], step["params"]
    if op in _SIGNED:
        return p.get(_SIGNED[op])
    if op == "gamma":
        return p["gamma"] - 1
    if op == "resize":
        return None if p.get("scale") is None else p["scale"] - 1
    if "amount" in p:
        return p["amount"]
    return None


def _meets(need: dict[str, Any], step: dict[str, Any]) -> bool:
    if "any" in need:
        return any(_meets(n, step) for n in need["any"])
    if step["op"] not in need["ops"]:
        return False
    v = _value(step)
    sign = need.get("sign") if v is not None else None
    if (sign == "+" and not v > 0) or (sign == "-" and not v < 0):  # type: ignore[operator]
        return False
    if v is not None and ("max_abs" in need and abs(v) > need["max_abs"]):
        return False
    region = need.get("region")
    if region is not None and step["region"] not in ([region] if isinstance(region, str) else region):
        return False
    if "band" in need and step["params"].get("band") not in need["band"]:
        return False
    for name, allowed in (need.get("params") or {}).items():
        got = step["params"].get(name)
        if not any(str(got).strip().lower() == str(a).strip().lower() for a in allowed):
            return False
    return True


def _passes(row: dict[str, Any]) -> bool:
    try:
        steps = [s.model_dump() for s in plan_from_text(row["text"]).steps]
    except RetouchError:
        return row["expect"] in ("refuse", "either")
    if row["expect"] == "refuse":
        return False
    if any(s["op"] in row["forbid"] for s in steps):
        return False
    return all(any(_meets(n, s) for s in steps) for n in row["need"])


@pytest.mark.parametrize(
    ("path", "bar"),
    [
        # set 1: written before planner v2 (68.8% then); set 2: before the second pass of issue 9 (80.0% then)
        (HELDOUT, 0.80),
        (HELDOUT2, 0.80),
    ],
    ids=["heldout1", "heldout2"],
)
def test_heldout_requests_score(path: Path, bar: float) -> None:
    """Our own held-out sets, each written before the planner was tuned against it, stay above their bar."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    passed = [r["id"] for r in rows if _passes(r)]
    assert len(rows) >= 120
    assert len(passed) / len(rows) >= bar, f"{len(passed)}/{len(rows)}"
