"""Follow-ups in context: an instruction read against the plan of the version being edited.

The planner's revisions are checked as amounts; the CLI's as pixels (the revised plan runs on the
original input, so "a bit less" after "+40% contrast" is exactly "+20% contrast" of the original).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import retouch
from retouch.cli import main
from retouch.errors import UnsupportedInstruction
from retouch.planner import plan_from_text
from retouch.schema import EditPlan

from .conftest import photo_array
from .test_cli_errors import assert_refused


def amounts(plan: EditPlan) -> dict[str, float]:
    return {s.op: s.params.get("amount", s.params.get("degrees")) for s in plan.steps}


@pytest.fixture(scope="module")
def graded() -> EditPlan:
    return plan_from_text("increase the contrast by 40%, make it warmer and add a vignette")


def test_graded_fixture_is_what_the_tests_assume(graded):
    assert amounts(graded) == pytest.approx({"contrast": 0.4, "temperature": 0.25, "vignette": 0.35})


@pytest.mark.parametrize(
    ("said", "factor"),
    [
        ("a bit less", 0.5),
        ("less", 0.5),
        ("too much", 0.5),
        ("tone it down", 0.5),
        ("it's a bit too strong", 0.5),
        ("dial it back please", 0.5),
        ("slightly less", 0.75),
        ("much less", 0.25),
        ("more", 1.5),
        ("a bit more", 1.5),
        ("not enough", 1.5),
        ("make it stronger", 1.5),
        ("much more", 2.0),
        ("half as much", 0.5),
    ],
)
def test_relative_words_scale_every_step_with_an_amount(graded, said, factor):
    got = plan_from_text(said, after=graded)
    want = {op: round(v * factor, 4) for op, v in amounts(graded).items()}
    assert amounts(got) == pytest.approx(want, abs=1e-4)
    assert any("→" in n and said in n for n in got.notes)


@pytest.mark.parametrize(
    ("said", "op", "factor"),
    [
        ("stronger vignette", "vignette", 1.5),
        ("less contrast", "contrast", 0.5),
        ("the vignette is too strong", "vignette", 0.5),
        ("reduce the contrast a bit", "contrast", 0.5),
        ("too much vignette", "vignette", 0.5),
        ("a bit less warm", "temperature", 0.5),
        ("boost the vignette", "vignette", 1.5),
        ("not so warm", "temperature", 0.5),
        ("make it less contrasty", "contrast", 0.5),
        ("the vignette is barely visible", "vignette", 1.5),
    ],
)
def test_a_named_step_scales_alone(graded, said, op, factor):
    got = amounts(plan_from_text(said, after=graded))
    for name, v in amounts(graded).items():
        assert got[name] == pytest.approx(v * factor if name == op else v, abs=1e-4), name


def test_the_explanation_says_what_changed_and_why(graded):
    plan = plan_from_text("a bit less", after=graded)
    assert "contrast +0.40 → +0.20 (“a bit less”)" in plan.notes
    assert "note: contrast +0.40 → +0.20" in plan.describe()


def test_less_of_a_lowered_quantity_lowers_it_further():
    flat = plan_from_text("lower the contrast by 30%")
    assert amounts(plan_from_text("less contrast", after=flat))["contrast"] == pytest.approx(-0.45)
    assert amounts(plan_from_text("a bit less", after=flat))["contrast"] == pytest.approx(-0.15)  # a smaller edit


def test_scaling_stays_within_the_ops_range():
    twice = plan_from_text("much more", after=plan_from_text("add a vignette"))
    most = plan_from_text("much more", after=twice)
    assert amounts(twice)["vignette"] == pytest.approx(0.7)
    assert amounts(most)["vignette"] == pytest.approx(1.0)  # the op spec's maximum
    with pytest.raises(UnsupportedInstruction, match="as far as it goes"):
        plan_from_text("more", after=most)


@pytest.mark.parametrize(
    ("said", "gone"),
    [
        ("undo the vignette", "vignette"),
        ("remove the vignette", "vignette"),
        ("without the vignette", "vignette"),
        ("vignette off", "vignette"),
        ("remove the warmth", "temperature"),
        ("lose the warm tone", "temperature"),
        ("get rid of the warmth", "temperature"),
        ("i don't like the vignette", "vignette"),
        ("keep the contrast but remove the vignette", "vignette"),
        ("undo", "vignette"),  # the last step
        ("go back", "vignette"),
    ],
)
def test_dropping_a_step_keeps_the_others_as_they_were(graded, said, gone):
    got = plan_from_text(said, after=graded)
    want = {op: v for op, v in amounts(graded).items() if op != gone}
    assert amounts(got) == want
    assert any("removed" in n for n in got.notes)


def test_start_over_is_the_empty_plan(graded):
    for said in ("start over", "undo everything", "back to the original"):
        assert plan_from_text(said, after=graded).steps == []


def test_a_change_composes_into_the_existing_step_or_is_added(graded):
    warmer = amounts(plan_from_text("same but warmer", after=graded))
    assert warmer == pytest.approx({"contrast": 0.4, "temperature": 0.5, "vignette": 0.35})
    cooler = plan_from_text("make it cooler", after=graded)
    assert "temperature" not in amounts(cooler)  # +0.25 - 0.25: back to neutral, the step goes
    added = plan_from_text("now also brighten it by 10%", after=graded)
    assert amounts(added) == pytest.approx({**amounts(graded), "brightness": 0.1})
    assert [s.op for s in added.steps][-1] == "brightness"


def test_a_new_crop_replaces_the_previous_crop():
    wide = plan_from_text("crop to 16:9 and add a vignette")
    square = plan_from_text("crop to a square instead", after=wide)
    crops = [s for s in square.steps if s.op == "crop_aspect"]
    assert len(crops) == 1 and crops[0].params["ratio"] == [1, 1]


def test_follow_ups_that_name_nothing_there_are_refused_accurately(graded):
    with pytest.raises(UnsupportedInstruction, match="no blur step"):
        plan_from_text("undo the blur", after=graded)
    crop = plan_from_text("crop to a square")
    with pytest.raises(UnsupportedInstruction, match="no step with an amount"):
        plan_from_text("a bit less", after=crop)
    with pytest.raises(UnsupportedInstruction, match="nothing to undo"):
        plan_from_text("undo", after=EditPlan(prompt=""))


@pytest.mark.parametrize(
    "said", ["a bit less", "more", "too much", "undo", "go back", "undo the vignette", "slightly stronger"]
)
def test_without_a_previous_edit_a_follow_up_says_it_needs_one(said):
    with pytest.raises(UnsupportedInstruction, match="relative to a previous edit") as e:
        plan_from_text(said)
    assert e.value.hint == "previous"


def test_a_calming_follow_up_without_a_previous_edit_calms_the_photo():
    """ "tone it down" means something on its own too: less saturation and contrast."""
    steps = plan_from_text("tone it down").steps
    assert {s.op for s in steps} == {"saturation", "contrast"} and all(s.params["amount"] < 0 for s in steps)


def test_ordinary_instructions_still_plan_without_context():
    assert amounts(plan_from_text("less contrast")) == {"contrast": pytest.approx(-0.2)}
    assert plan_from_text("remove the background").steps[0].op == "remove_background"


# ---- the CLI and the Python API: pixels


def luminance_std(path: Path) -> float:
    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)
    return float((rgb @ [0.299, 0.587, 0.114]).std())


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    p = tmp_path / "photo.png"
    Image.fromarray(photo_array(96, 64)).save(p)
    return p


def test_cli_a_bit_less_runs_half_the_contrast_on_the_original(tmp_path, photo, capsys):
    v1, v2, typed = tmp_path / "v1.png", tmp_path / "v2.png", tmp_path / "typed.png"
    plan1 = tmp_path / "v1.json"
    assert (
        main(["edit", str(photo), "-p", "increase the contrast by 40%", "-o", str(v1), "--save-plan", str(plan1)]) == 0
    )
    assert main(["edit", str(photo), "--after", str(plan1), "-p", "a bit less", "-o", str(v2), "--show-plan"]) == 0
    assert "contrast +0.40 → +0.20" in capsys.readouterr().out
    assert main(["edit", str(photo), "-p", "increase the contrast by 20%", "-o", str(typed)]) == 0
    s0, s1, s2 = luminance_std(photo), luminance_std(v1), luminance_std(v2)
    assert s0 < s2 < s1
    assert (s2 - s0) < 0.7 * (s1 - s0)  # a smaller step than the 40% one
    assert np.array_equal(np.asarray(Image.open(v2)), np.asarray(Image.open(typed)))  # not stacked on v1


def test_cli_explain_after_prints_the_revised_plan_as_json(tmp_path, capsys):
    assert main(["explain", "--json", "-p", "add a vignette and make it warmer"]) == 0
    plan1 = tmp_path / "p.json"
    plan1.write_text(capsys.readouterr().out)
    assert main(["explain", "--json", "--after", str(plan1), "-p", "undo the vignette"]) == 0
    revised = json.loads(capsys.readouterr().out)
    assert [s["op"] for s in revised["steps"]] == ["temperature"]
    assert any("removed" in n for n in revised["notes"])


def test_cli_follow_up_errors_are_one_line(tmp_path, photo, capsys):
    out = tmp_path / "out.png"
    rc = main(["edit", str(photo), "-p", "a bit less", "-o", str(out)])
    assert_refused(rc, capsys.readouterr().err, out, "relative to a previous edit", "--after")
    rc = main(["edit", str(photo), "--after", str(tmp_path / "nope.json"), "-p", "less", "-o", str(out)])
    assert_refused(rc, capsys.readouterr().err, out, "--after", "not found")
    bad = tmp_path / "bad.json"
    bad.write_text('{"steps": [{"op": "contrast", "params": {"amount": 9}}]}')
    rc = main(["edit", str(photo), "--after", str(bad), "-p", "less", "-o", str(out)])
    assert_refused(rc, capsys.readouterr().err, out, "--after", "step 1", "between")
    bad.write_text("{not json")
    rc = main(["explain", "--after", str(bad), "-p", "less"])
    assert rc != 0 and "valid JSON" in capsys.readouterr().err


def test_python_api_after_and_batch_plan(tmp_path, photo):
    img = photo_array(80, 60, seed=2)
    v1 = retouch.edit(img, "add a strong vignette")
    undone = retouch.edit(img, "undo the vignette", after=v1.plan)
    assert undone.plan.steps == []
    assert np.array_equal(np.asarray(Image.open(__import__("io").BytesIO(undone.images[0]))), img)
    plan = retouch.explain("increase the contrast by 40%").model_dump_json()
    res = retouch.batch([photo, photo], plan=plan, out_dir=tmp_path / "b")
    assert all(it.ok and it.plan.steps[0].params["amount"] == pytest.approx(0.4) for it in res.items)


def test_cli_batch_plan(tmp_path, photo, capsys):
    plan1 = tmp_path / "p.json"
    assert main(["explain", "--json", "-p", "make it black and white"]) == 0
    plan1.write_text(capsys.readouterr().out)
    assert main(["batch", str(photo), "--plan", str(plan1), "--out-dir", str(tmp_path / "o")]) == 0
    rgb = np.asarray(Image.open(tmp_path / "o" / "photo.png").convert("RGB")).astype(int)
    assert np.abs(rgb[..., 0] - rgb[..., 1]).max() <= 1  # gray
    rc = main(["batch", str(photo), "--plan", str(plan1), "-p", "brighten", "--out-dir", str(tmp_path / "x")])
    assert rc != 0 and "not both" in capsys.readouterr().err


def test_new_instructions_keep_the_users_words(graded):
    captioned = plan_from_text("same but add the caption 'Salt and Pepper, Inc.' at the bottom", after=graded)
    assert captioned.steps[-1].op == "text" and captioned.steps[-1].params["text"] == "Salt and Pepper, Inc."
    shared = plan_from_text("now darken and blur the background", after=graded)
    assert [(s.op, s.region) for s in shared.steps[3:]] == [("brightness", "background"), ("background_blur", "all")]
    mixed = plan_from_text("A bit less, and make it black and white", after=graded)
    assert amounts(mixed)["contrast"] == pytest.approx(0.2) and mixed.steps[-1].op == "grayscale"


def test_undo_with_the_plan_before_goes_back_to_it(graded):
    from retouch.planner.followup import follow_up

    less = plan_from_text("a bit less", after=graded)
    back = follow_up("go back", less, before=graded)
    assert amounts(back) == amounts(graded)
    assert amounts(follow_up("go back", less)) == pytest.approx({"contrast": 0.2, "temperature": 0.125})
