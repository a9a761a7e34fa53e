"""Planner: colours and looks that a sentence complains about or tells as a story are not wishes, real
words are never "repaired" into keywords, and relative words read alone only where they make sense alone."""

from __future__ import annotations

import pytest

from retouch.errors import UnsupportedInstruction
from retouch.planner import plan_from_text
from retouch.planner.text import fuzzy, is_english_word


def _ops(prompt: str) -> list[str]:
    return [s.op for s in plan_from_text(prompt).steps]


@pytest.mark.parametrize(
    "prompt",
    [
        "the wall has a green tint",
        "the background looks too green",
        "the backdrop is way too yellow, can you fix it",
        "the lamp made the wall orange",
        "the background has an ugly blue cast",
    ],
)
def test_a_colour_complained_of_is_a_cast_never_a_new_backdrop(prompt: str) -> None:
    ops = _ops(prompt)
    assert not {"background_color", "background_gradient", "remove_background"} & set(ops), ops
    assert {"white_balance", "temperature", "tint", "saturation"} & set(ops), ops


@pytest.mark.parametrize(
    "prompt", ["make the background green", "please make the background orange", "i want the background made white"]
)
def test_a_colour_asked_for_still_replaces_the_backdrop(prompt: str) -> None:
    assert _ops(prompt) == ["background_color"]


@pytest.mark.parametrize(
    ("prompt", "cast"),
    [("undo the yellowish tint from the indoor lighting", "yellow"), ("revert the green cast", "green")],
)
def test_undoing_a_cast_neutralises_it(prompt: str, cast: str) -> None:
    (step,) = plan_from_text(prompt).steps
    assert step.op == "white_balance" and step.params["cast"] == cast


def test_a_look_in_the_story_of_the_shot_is_not_applied() -> None:
    plan = plan_from_text("I took this at golden hour but it came out flat, can anyone bring back the warmth?")
    assert "look" not in [s.op for s in plan.steps]
    assert {"contrast", "temperature"} <= {s.op for s in plan.steps}
    assert _ops("give it a golden hour look") == ["look"]


def test_common_words_are_not_repaired_into_keywords() -> None:
    assert is_english_word("concert") and not is_english_word("exposre")
    assert fuzzy("concert") is None  # not "convert"
    assert fuzzy("exposre") in ("expose", "exposure")  # a misspelling is still repaired
    plan = plan_from_text("brighten it, it was taken at night at a concert")
    assert [s.op for s in plan.steps] == ["brightness"]
    assert any(i.role == "backstory" for i in plan.ignored)


def test_relative_words_read_alone_only_where_they_mean_something_alone() -> None:
    calm = plan_from_text("calm it down a bit").steps
    assert calm and all(s.op in ("saturation", "contrast") and s.params["amount"] < 0 for s in calm)
    for prompt in ("a bit less", "undo the vignette", "more"):
        with pytest.raises(UnsupportedInstruction, match="relative to a previous edit"):
            plan_from_text(prompt)


@pytest.mark.parametrize(
    "prompt", ["the photo looks black and white almost, make the colors pop", "it looks nearly black and white"]
)
def test_a_photo_said_to_look_almost_black_and_white_gets_colour_not_grayscale(prompt: str) -> None:
    steps = plan_from_text(prompt).steps
    assert "grayscale" not in [s.op for s in steps]
    assert any(s.op in ("vibrance", "saturation") and s.params["amount"] > 0 for s in steps)


@pytest.mark.parametrize(
    "prompt", ["make it black and white", "the image is black and white", "add a black and white effect"]
)
def test_black_and_white_asked_for_or_described_as_the_result_is_grayscale(prompt: str) -> None:
    assert _ops(prompt) == ["grayscale"]
