"""Clause roles, refusals and targets: what a clause is for decides whether it is planned, ignored or refused.

Each group holds phrasings of one pattern, written before the rules (tests/data/requests_heldout3a.jsonl
holds more, scored at the end).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retouch.cli import main
from retouch.errors import UnsupportedInstruction
from retouch.planner import plan_from_text
from retouch.planner.refusals import CANNOT_LOCATE, GENERATIVE, NOT_UNDERSTOOD
from retouch.schema import EditPlan
from tests.test_planner_v2 import _passes

HELDOUT3A = Path(__file__).resolve().parent / "data" / "requests_heldout3a.jsonl"


def _ops(plan: EditPlan) -> list[tuple[str, int]]:
    """(op, sign of its main value) per step; sign 0 when the op has no signed value."""
    out = []
    for s in plan.steps:
        p = s.params
        v = p.get("amount", p.get("stops", p.get("degrees", (p.get("scale") or 1) - 1)))
        out.append((s.op, (v > 0) - (v < 0) if isinstance(v, int | float) else 0))
    return out


def _refusal(prompt: str) -> UnsupportedInstruction:
    with pytest.raises(UnsupportedInstruction) as e:
        plan_from_text(prompt)
    return e.value


# ---------------------------------------------------------------- conditions, backstory, purpose


@pytest.mark.parametrize(
    ("prompt", "op"),
    [
        ("It would be great if somebody could brighten this photo of my grandpa", "brightness"),
        ("is this picture possible to brighten if such a thing can be done", "brightness"),
        ("If you could brighten the picture of my nephew that would be awesome", "brightness"),
        ("whoever can sharpen this picture of my late grandmother, thank you so much", "sharpen"),
        ("I chose this one but it is not very sharp or a great resolution, would you be able to fix it", "sharpen"),
        ("My little brother took this at his graduation, could anyone brighten it?", "brightness"),
        ("It'd be really cool if someone could make this photo of my grandparents less dark", "brightness"),
        ("I'm printing this as a poster, can you make it sharper?", "sharpen"),
        ("I'd like to put this on a canvas, could you increase the contrast", "contrast"),
        ("I'm framing this for my office, could you boost the contrast", "contrast"),
        ("this is my youtube thumbnail, make it more vibrant", "saturation"),
        ("it's my profile picture, brighten it", "brightness"),
        ("Can someone make this less blurry? It was taken on an old phone", "sharpen"),
        ("Hoping someone can brighten this one of my granddad from the 80s, if that's possible", "brightness"),
        ("Could someone make this photo look less washed out? It's from my wedding in 2015.", "contrast"),
        ("My grandma just passed and this is one of the few photos we have of her. Can you sharpen it?", "sharpen"),
        ("Is it possible to brighten up the shadows in this picture? My sister's face is hidden", "shadows"),
    ],
)
def test_conditions_and_backstory_are_not_targets(prompt: str, op: str) -> None:
    """An "if …" wrapper, a photo "of my grandpa" or a story is never a thing to find or a size."""
    assert (op, 1) in _ops(plan_from_text(prompt))
    assert not any(o in ("resize", "gradient") for o, _ in _ops(plan_from_text(prompt)))


@pytest.mark.parametrize(
    "prompt",
    [
        "The difference between the two pictures is that the input picture has a lot more shadows in it, "
        "while the desired picture is clear and colorful",
        "the original is dull and flat, the target picture is colourful",
        "the after picture is vivid and colorful",
        "the original looks washed out; the edited version is punchy and saturated",
        "The input image is dull compared to the desired one, which is bright and saturated",
    ],
)
def test_a_before_after_description_plans_the_desired_state(prompt: str) -> None:
    """The desired picture's adjectives are the goal: more colour, never less; the frame is no target."""
    ops = _ops(plan_from_text(prompt))
    assert ("saturation", 1) in ops or ("vibrance", 1) in ops
    assert ("saturation", -1) not in ops


def test_the_target_having_more_of_something_adds_it() -> None:
    assert ("contrast", 1) in _ops(plan_from_text("the target image has more contrast than the source"))


@pytest.mark.parametrize("prompt", ["the result is too dark", "the final image is not bright enough"])
def test_a_complaint_about_the_result_is_still_a_complaint(prompt: str) -> None:
    assert ("brightness", 1) in _ops(plan_from_text(prompt))


@pytest.mark.parametrize(
    "prompt",
    [
        "I want to blow this picture up on a canvas. Is there any way to make it pop a little more?",
        "Going to hang this on a canvas in the hallway, could you make it more vivid",
        "please make it more colourful, I want to print it on canvas",
    ],
)
def test_a_canvas_print_is_a_purpose_not_padding(prompt: str) -> None:
    plan = plan_from_text(prompt)
    assert [o for o, _ in _ops(plan)] and not {"extend_canvas", "border"} & {o for o, _ in _ops(plan)}
    assert ("saturation", 1) in _ops(plan)


def test_canvas_as_an_edit_still_extends_it() -> None:
    step = plan_from_text("add 200 px of canvas on the right").steps[0]
    assert (step.op, step.params["right"], step.params["left"]) == ("extend_canvas", 200, 0)


# ---------------------------------------------------------------- the photo named by what it shows


@pytest.mark.parametrize(
    ("prompt", "scale"),
    [
        ("Could somebody just double the size of this logo without it getting too pixelated", 2.0),
        ("Triple the size of this icon please", 3.0),
        ("could you make this graphic twice as big without losing quality", 2.0),
        ("Please make this logo bigger", 2.0),
        ("double the size of this banner", 2.0),
    ],
)
def test_this_logo_is_the_photo_itself(prompt: str, scale: float) -> None:
    """With one image, "this logo" is the image: resize it, and "without losing …" is a constraint."""
    plan = plan_from_text(prompt)
    assert [(s.op, s.params.get("scale")) for s in plan.steps] == [("resize", scale)]
    assert any(i.role == "constraint" for i in plan.ignored) or "without" not in prompt


@pytest.mark.parametrize(
    "prompt", ["add this logo in the bottom right corner", "put my logo on it", "put my logo on this photo"]
)
def test_a_logo_to_add_is_placed_never_a_background(prompt: str) -> None:
    """With one image it asks for the logo; with two it places it (not a background)."""
    assert "logo image" in str(_refusal(prompt))
    assert plan_from_text(prompt, n_images=2).steps[0].op == "place_image"


def test_do_whatever_with_this_photo_of_my_cat_is_an_enhance() -> None:
    assert "auto_levels" in [o for o, _ in _ops(plan_from_text("Do whatever you want with this photo of my cat!"))]


@pytest.mark.parametrize(
    "prompt",
    [
        "Can you make this egg sandwich look appetizing like a McDonald's commercial?",
        "make this pizza look more delicious",
        "Can you make this burger look tasty for our menu?",
    ],
)
def test_food_made_appetizing_is_an_enhance(prompt: str) -> None:
    ops = {o for o, s in _ops(plan_from_text(prompt)) if s >= 0}
    assert ops & {"auto_levels", "vibrance", "saturation", "contrast"}


@pytest.mark.parametrize("prompt", ["brighten this car", "sharpen this flower", "make this dress red"])
def test_a_specific_edit_on_this_thing_still_needs_it_located(prompt: str) -> None:
    """Only whole-photo or vague asks read "this X" as the photo; a tone edit on "this car" is targeted."""
    assert _refusal(prompt).kind in (CANNOT_LOCATE, GENERATIVE)


# ---------------------------------------------------------------- removals and keyword traps refuse


@pytest.mark.parametrize(
    "prompt",
    [
        "Can you help photoshop the onlooker in the background out of the Graduation photo?",
        "please photoshop my ex out of this one",
        "could someone edit the guy on the left out of the photo",
        "Can you photoshop the stranger in the background out of this picture?",
    ],
)
def test_editing_a_person_out_is_object_removal(prompt: str) -> None:
    """Never a background op: the person cannot be found without a mask."""
    assert _refusal(prompt).kind == CANNOT_LOCATE


@pytest.mark.parametrize(
    ("prompt", "kind"),
    [
        ("remove the reflection of the blue sky in this picture frame", CANNOT_LOCATE),
        ("remove the glare on the glass of this picture frame", CANNOT_LOCATE),
        ("Please make the **red** text darker", CANNOT_LOCATE),
        ("make the blue text bigger", CANNOT_LOCATE),
        ("make the writing on the sign bigger", CANNOT_LOCATE),
        ("rotate the guitars to make the \"x\" sign with their ends", CANNOT_LOCATE),
        ("turn the two swords to form an x", CANNOT_LOCATE),
        ("I want the lighting on my arm in the picture to be less bright", CANNOT_LOCATE),
        ("Could someone remove the glare from my glasses?", CANNOT_LOCATE),
        ("remove the glare on the window behind him", CANNOT_LOCATE),
        ("Undistort this image/make it flat", GENERATIVE),
        ("remove the fisheye distortion", GENERATIVE),
        ("Add beach background", GENERATIVE),
        ("Delete background Crop bottom of image Add a sunset background", GENERATIVE),
        ("can someone swap the sky for a blue one?", GENERATIVE),
        ("Colour the picture (restoration", GENERATIVE),
        ("Colour this old black and white picture", GENERATIVE),
        ("Colors,background,face color", NOT_UNDERSTOOD),
        ("Background, hair, skin tone", NOT_UNDERSTOOD),
        ("Two focus points...", NOT_UNDERSTOOD),
    ],
)
def test_keyword_traps_and_removals_refuse(prompt: str, kind: str) -> None:
    """Frame, text, x, flat, background, colour: ordinary words that trigger an op only as an edit."""
    e = _refusal(prompt)
    assert e.kind == kind, str(e)
    assert "--mask" not in str(e)  # each surface words the mask hint itself


@pytest.mark.parametrize(
    ("prompt", "op"),
    [
        ("make the red text darker", "brightness"),
        ("clean up the background", "remove_object"),
        ("photoshop the onlooker out of the photo", "remove_object"),
    ],
)
def test_with_a_mask_the_named_thing_is_the_masked_area(prompt: str, op: str) -> None:
    assert [(s.op, s.region) for s in plan_from_text(prompt, has_mask=True).steps] == [(op, "mask")]


@pytest.mark.parametrize(
    ("prompt", "op"),
    [
        ("add a thin black frame", "border"),
        ("put a frame around it", "border"),
        ("I want to frame it, add a black border", "border"),
        ("frame the photo", "border"),
        ("add a border of 20 px", "extend_canvas"),
        ("add the text 'Happy Birthday' at the top", "text"),
        ("add text saying hello", "text"),
        ("rotate it 90 degrees to the left", "rotate"),
        ("contrast, saturation", "saturation"),
        ("colour it blue", "temperature"),
    ],
)
def test_the_same_words_as_edits_still_plan(prompt: str, op: str) -> None:
    assert op in [o for o, _ in _ops(plan_from_text(prompt))]


@pytest.mark.parametrize(
    "prompt",
    [
        "I took this at the border of Canada, can you make it more vibrant?",
        "we framed the picture but it needs more vibrant colours",
        "the border collie looks washed out, make it more vibrant",
    ],
)
def test_border_and_frame_as_ordinary_words_add_nothing(prompt: str) -> None:
    ops = [o for o, _ in _ops(plan_from_text(prompt))]
    assert "saturation" in ops and not {"border", "extend_canvas"} & set(ops)


def test_topics_message_names_them() -> None:
    e = _refusal("Colors, background, face color")
    assert "background" in str(e) and "not what to change" in str(e)


# ---------------------------------------------------------------- background and cut-outs plan


@pytest.mark.parametrize(
    ("prompt", "color"),
    [
        ("remove guy from the image and put him on all white background", [255, 255, 255]),
        ("take the girl out of the photo and put her on a plain white background", [255, 255, 255]),
        ("cut him out and place him on a black background", [0, 0, 0]),
        ("Please get rid of the black line and make the backround completely white", [255, 255, 255]),
        ("remove the marks on the wall and make the backdrop white", [255, 255, 255]),
    ],
)
def test_a_new_background_subsumes_the_cut_out_or_the_mark(prompt: str, color: list[int]) -> None:
    """The removal is done by the new background: shown as subsumed, with a note saying why."""
    plan = plan_from_text(prompt)
    assert [(s.op, s.params["color"]) for s in plan.steps] == [("background_color", color)]
    assert [i.role for i in plan.ignored] == ["subsumed"]
    assert plan.notes


@pytest.mark.parametrize(
    "prompt",
    [
        "remove the person on the left and make the background white",
        "remove the car and make the background white",
    ],
)
def test_a_new_background_never_excuses_removing_a_thing(prompt: str) -> None:
    assert _refusal(prompt).kind == CANNOT_LOCATE


@pytest.mark.parametrize(
    "prompt",
    [
        "Remove background expect the two girls kissing",
        "Remove the background except the dog",
        "remove backround exept the man",
        "Remove everything except the bride",
        "delete everything but the subject",
        "thia image with the black taken out in a png format.",
        "this logo with the white taken out as a png",
        "Could someone cut me out of this picture and make the background transparent? need a png",
    ],
)
def test_background_removal_phrasings(prompt: str) -> None:
    assert [s.op for s in plan_from_text(prompt).steps] == ["remove_background"]


@pytest.mark.parametrize(
    ("prompt", "op", "region"),
    [
        ("remove the background noise", "denoise", "background"),
        ("remove the background blur", "sharpen", "background"),
        ("fix the blurry background", "sharpen", "background"),
    ],
)
def test_a_property_of_the_background_is_not_the_background(prompt: str, op: str, region: str) -> None:
    """Never remove_background (a destroyed photo) nor more blur for "remove the background noise/blur"."""
    assert [(s.op, s.region) for s in plan_from_text(prompt).steps] == [(op, region)]


@pytest.mark.parametrize("prompt", ["clean up the background", "remove the background clutter"])
def test_cleaning_the_background_is_object_removal(prompt: str) -> None:
    assert _refusal(prompt).kind == CANNOT_LOCATE


@pytest.mark.parametrize(
    ("prompt", "ops"),
    [
        ("Please, zoom in and remove the background", ["crop_box", "remove_background"]),
        ("zoom in a bit and make the background white", ["crop_box", "background_color"]),
        ("white background, crop to a square", ["background_color", "crop_aspect"]),
        ("blue background, then crop it square", ["background_color", "crop_aspect"]),
    ],
)
def test_geometry_next_to_a_background_keeps_both(prompt: str, ops: list[str]) -> None:
    assert [s.op for s in plan_from_text(prompt).steps] == ops


@pytest.mark.parametrize(
    "prompt",
    [
        "Could some one fix this black and white image for me?",
        "please improve this black & white shot",
        "Can someone please enhance this old photo of my Dad?",
        "Please touch up this old black and white portrait",
    ],
)
def test_a_black_and_white_photo_described_is_not_made_grayscale(prompt: str) -> None:
    ops = [o for o, _ in _ops(plan_from_text(prompt))]
    assert "auto_levels" in ops and not {"grayscale", "sepia", "look"} & set(ops)


@pytest.mark.parametrize(
    "prompt",
    ["the background is too busy, blur it", "the background is distracting", "make the background less cluttered"],
)
def test_a_busy_background_is_blurred_not_the_photo(prompt: str) -> None:
    assert [s.op for s in plan_from_text(prompt).steps] == ["background_blur"]


@pytest.mark.parametrize(
    "prompt", ["blur around the face, add a green tone", "blur around her", "blur around the subject"]
)
def test_blurring_around_the_subject_is_a_background_blur(prompt: str) -> None:
    assert plan_from_text(prompt).steps[0].op == "background_blur"


def test_her_body_is_the_person_not_a_thing_to_make() -> None:
    plan = plan_from_text("bring the colors out of her face and body")
    assert {s.op for s in plan.steps} == {"saturation"}
    assert _refusal("make her body thinner").kind == GENERATIVE


@pytest.mark.parametrize(
    "prompt",
    [
        "Can someone make this pic black and white but keep the red rose in colour?",
        "turn this into a black and white photo but keep the red umbrella in color",
    ],
)
def test_black_and_white_keeping_a_coloured_thing_is_a_colour_splash(prompt: str) -> None:
    steps = plan_from_text(prompt).steps
    assert [(s.op, s.params.get("except_band")) for s in steps] == [("saturation", "red")]


def test_asking_for_black_and_white_still_does_it() -> None:
    assert plan_from_text("make this photo black and white").steps[0].op == "grayscale"


@pytest.mark.parametrize("prompt", ["give it an 80s look", "make it vintage", "a retro feel please", "make it old"])
def test_asking_for_an_era_look_still_does_it(prompt: str) -> None:
    assert [s.op for s in plan_from_text(prompt).steps] == ["look"]


# ---------------------------------------------------------------- batch wishes


def test_explain_shows_a_batch_wish_as_the_batch_reader_reads_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "-p", "sharpen them and make them consistent"]) == 0
    out = capsys.readouterr().out
    assert "sharpen" in out and "batch: “make them consistent”" in out
    assert "consistency: tone, color, framing" in out


def test_a_batch_wish_alone_is_refused_for_one_image() -> None:
    e = _refusal("make all the photos look the same")
    assert "consistent set" in str(e)


def test_keep_the_same_colours_on_one_image_is_a_constraint() -> None:
    plan = plan_from_text("keep the same colours, brighten")
    assert [s.op for s in plan.steps] == ["brightness"]
    assert [i.role for i in plan.ignored] == ["constraint"]


# ---------------------------------------------------------------- held-out set


def test_heldout3a_scores_above_its_bar() -> None:
    """Part 1 written before these rules (40/66 = 60.6% then), part 2 after the first pass (27/30 then)."""
    rows = [json.loads(line) for line in HELDOUT3A.read_text(encoding="utf-8").splitlines() if line.strip()]
    passed = [r["id"] for r in rows if _passes(r)]
    assert len(rows) >= 60
    assert len(passed) / len(rows) >= 0.80, f"{len(passed)}/{len(rows)}"
