"""The plan as an input: `retouch edit --plan` and `retouch.edit(plan=...)`, checked against the op spec."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import retouch
from retouch.cli import main
from retouch.plans import PlanError, load_plan

from .conftest import photo_array
from .test_cli_errors import assert_refused

PROMPT = "increase the contrast by 20%, make it warmer and add a subtle vignette"


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    p = tmp_path / "photo.png"
    Image.fromarray(photo_array(96, 64)).save(p)
    return p


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path))


def explain_json(prompt: str, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main(["explain", "--json", "-p", prompt, *extra]) == 0
    return capsys.readouterr().out


def test_explain_json_fed_back_gives_the_same_pixels(tmp_path, photo, capsys):
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(explain_json(PROMPT, capsys))
    by_plan, by_prompt = tmp_path / "plan.png", tmp_path / "prompt.png"
    assert main(["edit", str(photo), "--plan", str(plan_file), "-o", str(by_plan), "--show-plan"]) == 0
    shown = capsys.readouterr().out
    assert main(["edit", str(photo), "-p", PROMPT, "-o", str(by_prompt)]) == 0
    assert "contrast" in shown and "vignette" in shown
    assert np.array_equal(pixels(by_plan), pixels(by_prompt))
    assert not np.array_equal(pixels(by_plan), pixels(photo))  # it really edited


def test_a_tweaked_amount_equals_the_typed_instruction(tmp_path, photo, capsys):
    plan = json.loads(explain_json("brighten by 20%", capsys))
    assert plan["steps"][0]["params"]["amount"] == pytest.approx(0.2)
    plan["steps"][0]["params"]["amount"] = 0.4  # the slider moved
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan))
    tweaked, typed, before = tmp_path / "tweaked.png", tmp_path / "typed.png", tmp_path / "before.png"
    assert main(["edit", str(photo), "--plan", str(plan_file), "-o", str(tweaked)]) == 0
    assert main(["edit", str(photo), "-p", "brighten by 40%", "-o", str(typed)]) == 0
    assert main(["edit", str(photo), "-p", "brighten by 20%", "-o", str(before)]) == 0
    assert np.array_equal(pixels(tweaked), pixels(typed))
    assert pixels(tweaked).mean() > pixels(before).mean() + 5


def _bad_plans() -> list[tuple[object, tuple[str, ...]]]:
    ok = {"op": "brightness", "params": {"amount": 0.2}}
    return [
        ({"steps": [ok, {"op": "contrast", "params": {"amount": 7}}]}, ("step 2", "contrast", "amount", "between")),
        ({"steps": [{"op": "brightnes", "params": {}}]}, ("step 1", "unknown op", "brightnes")),
        ({"steps": [{"op": "brightness", "params": {"amt": 1}}]}, ("step 1", "brightness", "'amt'")),
        ({"steps": [{"op": "brightness", "params": {"amount": "lots"}}]}, ("step 1", "amount", "number")),
        ({"steps": [{"op": "saturation", "params": {"amount": 0.2}, "region": "moon"}]}, ("step 1", "region")),
        ({"steps": [{"op": "brightness", "region": "mask"}]}, ("step 1", "mask")),
        ({"steps": [ok, {"op": "blur", "strength": 2}]}, ("step 2", "strength", "unknown field")),
        ({"steps": "brighten"}, ("steps",)),
        ("[1, 2", ("not valid json",)),
        ('"brighten"', ("json object",)),
    ]


@pytest.mark.parametrize(("plan", "mentions"), _bad_plans())
def test_a_bad_plan_is_one_error_line_and_no_output(tmp_path, photo, capsys, plan, mentions):
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan if isinstance(plan, str) else json.dumps(plan))
    out = tmp_path / "out.png"
    rc = main(["edit", str(photo), "--plan", str(plan_file), "-o", str(out)])
    assert_refused(rc, capsys.readouterr().err, out, *mentions)


def test_plan_and_prompt_are_exclusive_and_the_file_must_exist(tmp_path, photo, capsys):
    out = tmp_path / "out.png"
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(explain_json("brighten by 20%", capsys))
    rc = main(["edit", str(photo), "--plan", str(plan_file), "-p", "brighten", "-o", str(out)])
    assert_refused(rc, capsys.readouterr().err, out, "--plan", "--prompt")
    rc = main(["edit", str(photo), "--plan", str(tmp_path / "nope.json"), "-o", str(out)])
    assert_refused(rc, capsys.readouterr().err, out, "plan file not found")
    rc = main(["edit", str(photo), "-o", str(out)])
    assert_refused(rc, capsys.readouterr().err, out, "--plan", "--prompt")


def test_python_api_takes_a_plan_model_dict_or_json():
    img = photo_array(80, 60, seed=3)
    typed = retouch.edit(img, PROMPT)
    plan = retouch.explain(PROMPT)
    for given in (plan, plan.model_dump(), plan.model_dump_json()):
        res = retouch.edit(img, plan=given)
        assert res.images[0] == typed.images[0]
        assert res.plan.steps == typed.plan.steps


def test_python_api_refuses_a_reference_that_was_not_given():
    plan = {"steps": [{"op": "match_color", "params": {"ref": 1}}]}
    with pytest.raises(PlanError, match=r"step 1 \(match_color\): ref 1 names image 2 but 1 image was given") as e:
        retouch.edit(photo_array(40, 30), plan=plan)
    assert e.value.param == "plan" and e.value.field == "ref"
    ref = io.BytesIO()
    Image.fromarray(photo_array(40, 30, seed=5)).save(ref, "PNG")
    res = retouch.edit([photo_array(40, 30), ref.getvalue()], plan=plan)
    assert res.plan.steps[0].op == "match_color"


def test_python_api_plan_needs_the_builtin_engine():
    with pytest.raises(retouch.errors.OptionError, match="builtin"):
        retouch.edit(photo_array(40, 30), plan={"steps": []}, engine="gpt-image-1")


def test_load_plan_accepts_a_bare_list_of_steps():
    plan = load_plan([{"op": "brightness", "params": {"amount": 0.1}}])
    assert plan.prompt == "" and plan.steps[0].describe() == "brightness amount=+0.10"
