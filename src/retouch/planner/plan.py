"""Instruction → EditPlan: split into clauses, read each clause into steps, refuse what cannot be done.

Decisions worth knowing (also in the docs):

* Steps keep the user's order; duplicates of the same op, region and direction ("cooler, bluer")
  are merged into one.
* With a mask, regional ops default to region "mask"; geometry, background and overlays stay global.
* "rotate" without a direction turns clockwise (degrees -90); a bare signed angle is clockwise-positive.
* "enhance"/"improve"/"fix it" alone → auto_levels plus vibrance +0.15; "auto levels" → auto_levels only.
* Exact sizes ("300x200") resize with fit "cover" (no distortion); "without cropping", "keep the aspect
  ratio", "fit inside", "letterbox" → "contain"; "stretch", "squash", "ignore the aspect ratio" → "stretch".
* "tiled", "repeated", "all over", "across the whole image" put text at position "tiled".
* Padding without pixels becomes a border (a fraction of the shorter side); a pixel border becomes
  padding (extend_canvas) so that it is exact.
* Verbs sharing one object ("darken and blur the background") become one clause per verb on that object;
  a recognised edit verb that yields no step is refused by name, never dropped.
* "behind her/him/the subject" is the background only (the person is a landmark, not a target).
* A percentage of a hue shift is that fraction of the colour wheel: "shift the hue by 20%" → 72°.
* "2x brighter", "three times as saturated": ×N of the quantity (brightness +1.0 for ×2), clamped.
* A white/light/bright vignette lightens the corners (negative amount); black/dark darkens them.
* Exclusion of a hue band ("everything except the reds", "keep only the red", "colour splash on the
  blue") → saturation -1 with except_band; exclusion of a region is refused, naming it, asking for a mask.
* Vague requests ("do something cool/nice", "make it better looking") → the automatic enhance.
* A fragment that is only an amount, perhaps hedged ("like +40%", "say 15%", "around 30 percent",
  "e.g. 20%") is the amount of the clause before it; "around N%" alone is a change, "to around N%" a target.
* Removing colour ("take the colour out", "strip/drain/kill/lose the colour", "remove all colour",
  "without colour") → grayscale; removing part of it ("take out some of the colour") → saturation < 0.
* "X against/from/over/off/in front of the background": the background is a landmark, X is the target.
* Matching: the first image named before another ("make image 1's colours match image 2", "match image 1
  to image 2") is the image being edited; the reference is the other one.
* "an Instagram(-style) filter/look/vibe" is the "vintage" look; Instagram is a 4:5 / 1:1 crop only
  with crop/format/size/post words or no look word ("crop for instagram", "instagram portrait size").
* "motion blur" (and "lens blur") is read as the plain gaussian blur: the builtin engine has no
  directional blur.
* In "a/an/the [modifiers] HEAD" with an op noun as HEAD ("a soft, dark vignette", "a subtle, warm tone"),
  level words are HEAD's intensity and colour/op adjectives its parameters, not steps of their own; a
  comma between such modifiers is dropped before chunking (so "soft, gray" reads as "soft gray").
* Any clause that names something the builtin engine cannot find or make ("the car", "sunglasses")
  makes the whole instruction fail with the fragment named: never a partial edit.
* Clause roles (roles.py): conditions ("it would be great if …"), backstory, print purposes ("on a
  canvas"), constraints ("without it getting pixelated") and batch wishes are shown as ignored; a
  removal that a new background does ("put him on white", "the black line") is shown as subsumed.
* The photo named by what it shows ("this logo", "this egg sandwich", "this black and white image")
  is the image being edited, not a second input, a target or a request for grayscale.
* A list of topics with no change ("Colors, background, face color") is refused as naming no change.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from retouch.errors import UnsupportedInstruction
from retouch.schema import EditPlan, IgnoredText, PlanStep

from .adjust import (
    ADJUST_OPS,
    band_name,
    build_adjust,
    build_match,
    build_recolor,
    build_remove,
    enhance_steps,
    removal_object,
)
from .background import build_background, build_relight
from .casts import correction_label, negated_cast
from .clause import Clause
from .clauses import chunk_joining_adjectives, fragment_text, is_vague_fix, split_clauses
from .common import HARMLESS, Ctx, Steps, check_targets, make_step, needs_generation, refusal_for
from .geometry import (
    build_crop,
    build_flip,
    build_pad,
    build_resize,
    build_rotate,
    build_straighten,
    crop_refused,
    ratio_in,
)
from .lexicon import GENERATIVE_PHRASES, Sense, SenseKind
from .overlay import build_border, build_place, build_text
from .purpose import split_purpose
from .refusals import CANNOT_LOCATE, EXAMPLES, no_change_named
from .regions import refs_in
from .roles import (
    Role,
    batch_wish,
    describe_clauses,
    ignorable_role,
    is_batch_wish,
    is_constraint_tail,
    is_story_statement,
    shown_in_photo,
    subsumed,
    topics_only,
)
from .slots import amount_of, not_so_as_less, without_limit_tail
from .text import extract_quotes, normalise, strip_markup, tokenize

if TYPE_CHECKING:
    from . import sliders


def plan_from_text(
    prompt: str, *, n_images: int = 1, has_mask: bool = False, after: EditPlan | None = None
) -> EditPlan:
    """Read an instruction into a plan of steps, or raise UnsupportedInstruction naming what it cannot do.

    `after` is the plan that made the version being edited: the instruction is then a follow-up read
    against it ("a bit less", "undo the vignette"; see followup.py), and the result is the revised full plan.
    """
    from .followup import context_only, follow_up, needs_previous, undoes

    if after is not None:
        return follow_up(prompt, after, n_images=n_images, has_mask=has_mask)
    if prompt is None or not prompt.strip():
        raise UnsupportedInstruction(f"the prompt is empty: say what to change, e.g. {EXAMPLES}")
    if context_only(prompt):
        # "calm it down a bit" reads on its own too (less saturation and contrast); "a bit less" does not
        fresh = None
        if not undoes(prompt):
            with contextlib.suppress(UnsupportedInstruction):
                fresh = _plan_new(prompt, n_images=n_images, has_mask=has_mask)
        if fresh is None or not fresh.steps:
            raise needs_previous(prompt)
        return fresh
    return _plan_new(prompt, n_images=n_images, has_mask=has_mask)


def _plan_new(prompt: str, *, n_images: int, has_mask: bool) -> EditPlan:
    """The plan of an instruction read on its own (no previous edit)."""
    ctx = Ctx(n_images=max(1, n_images), has_mask=has_mask, prompt=prompt)
    if any(ch.isdigit() for ch in prompt):  # slider settings have numbers; the reader loads only then
        from .sliders import read_sliders

        recipe, rest, recipe_notes = read_sliders(prompt)
        if recipe or recipe_notes:
            return _plan_recipe(prompt, recipe, rest, recipe_notes, n_images=n_images, has_mask=has_mask, ctx=ctx)
    wish, text = batch_wish(prompt, ctx.n_images)
    ignored: list[IgnoredText] = []
    if wish is not None:
        # "…, and make them consistent": the batch reader's words, shown as what it will do
        ctx.notes.append(f"{wish.describe()} (a wish about the whole set: `retouch batch` does it)")
        ignored += [IgnoredText(text=w, role=Role.BATCH) for w in wish.text]
        if not text.strip(" ,.;!?"):
            raise UnsupportedInstruction(
                f'"{prompt.strip()}" asks for a consistent set of photos ({wish.describe()}), which the batch '
                f"edit does; for one image, say what to change, e.g. {EXAMPLES}",
                fragment=prompt.strip(),
            )
    stripped, quotes = extract_quotes(strip_markup(text))
    stripped, quotes = _scare_quotes(stripped, quotes)
    ctx.original = stripped
    items = chunk_joining_adjectives(tokenize(normalise(stripped), quotes))
    clauses = describe_clauses([Clause(seg, fragment_text(seg)) for seg in split_clauses(items)])
    steps: Steps = []
    refused: list[UnsupportedInstruction] = []
    vague_fix = False
    topics = topics_only(clauses, items)
    if topics:
        raise no_change_named(prompt.strip(), topics)
    done_by_background = subsumed(clauses)
    for k, cl in enumerate(clauses):
        if k in done_by_background:
            ctx.notes.append(done_by_background[k])
            ignored.append(IgnoredText(text=cl.text, role=Role.SUBSUMED))
            continue
        if is_vague_fix(cl):
            vague_fix = True  # "…, fix it": the complaint before it says what to fix
            continue
        if is_story_statement(cl):
            ignored.append(IgnoredText(text=cl.text, role=Role.BACKSTORY))  # "it was taken on an old phone"
            continue
        if is_constraint_tail(cl):
            ignored.append(IgnoredText(text=cl.text, role=Role.CONSTRAINT))
            continue
        if is_batch_wish(cl):
            ignored.append(IgnoredText(text=cl.text, role=Role.BATCH))
            continue
        cl = not_so_as_less(without_limit_tail(cl))
        cl, purpose = split_purpose(cl)
        if purpose:
            ignored.append(IgnoredText(text=purpose, role=Role.PURPOSE))
        try:
            got = interpret(cl, ctx)
            _check_no_dropped_verb(cl, got)
        except UnsupportedInstruction as e:
            role = ignorable_role(cl)
            if role is None:
                raise
            refused.append(e)  # backstory or a purpose: left out, unless nothing else is an edit
            ignored.append(IgnoredText(text=cl.text, role=role))
            continue
        if not got:
            ignored.append(IgnoredText(text=cl.text, role=Role.CONSTRAINT if cl.has("neg") else Role.POLITENESS))
        steps += got
    if any(st.op == "straighten" and st.params.get("angle") is None for st in steps):
        ctx.notes.append(
            "straighten: the angle is measured from the horizon or straight lines when the photo is read "
            '(refused if there are none); give one to set it, e.g. "straighten by 2 degrees"'
        )
    kept = [band for cl in clauses if (band := _kept_colour(cl)) is not None]
    if kept:
        # "make it black and white but keep the red rose in colour": a colour splash on that band
        for k, st in enumerate(steps):
            if st.op == "grayscale":
                steps[k] = make_step("saturation", {"amount": -1.0, "except_band": kept[0]}, Clause([], st.text), ctx)
    if ctx.no_crop:
        for st in steps:
            if st.op == "resize" and st.params.get("fit") == "cover":
                st.params["fit"] = "contain"
    if not steps and vague_fix:
        steps = enhance_steps(clauses[-1], ctx)
    if not steps and refused:
        raise refused[0]
    if not steps:
        raise UnsupportedInstruction(
            f'found no edit in "{prompt.strip()}": say what to change, e.g. {EXAMPLES}',
            fragment=prompt.strip(),
        )
    return EditPlan(prompt=prompt, steps=_dedupe(steps, ctx.notes), ignored=ignored, notes=ctx.notes)


def _plan_recipe(
    prompt: str,
    recipe: list[sliders.SliderStep],
    rest: str,
    notes: list[str],
    *,
    n_images: int,
    has_mask: bool,
    ctx: Ctx,
) -> EditPlan:
    """Slider settings pasted from an editor (sliders.py), plus whatever else the text asks for."""
    from .sliders import expand

    steps: Steps = []
    for rs in recipe:
        cl = Clause([], rs.text)
        steps += [make_step(op, params, cl, ctx) for op, params in expand(rs)]
    ignored: list[IgnoredText] = []
    leftover = re.sub(r"\b(?:image|then|and|step|layer|levels?|hue\s*/\s*saturation|curves)\b", "", rest, flags=re.I)
    if re.search(r"[a-z]{3}", leftover):
        try:
            more = plan_from_text(rest, n_images=n_images, has_mask=has_mask)
        except UnsupportedInstruction:
            if _asks_for_more(rest):
                raise  # "Exposure +0.3, and add a party hat": the rest is an edit it cannot do
            # "Photoshop steps:", "can you do the same": words around the settings, not edits
            words = " ".join(re.sub(r"[,:;.]+", " ", rest).split())
            ignored.append(IgnoredText(text=words, role=Role.POLITENESS))
        else:
            steps += more.steps
            ignored += more.ignored
            notes += more.notes
    if not steps:
        raise UnsupportedInstruction(
            f'found no edit in "{prompt.strip()}": {"; ".join(notes)} (a ±100 slider needs a move of 3 or more)',
            fragment=prompt.strip(),
        )
    return EditPlan(prompt=prompt, steps=steps, ignored=ignored, notes=ctx.notes + notes)


def _asks_for_more(text: str) -> bool:
    """Text beside a recipe names an edit of its own: an op word, a colour, or something to generate."""
    items = chunk_joining_adjectives(tokenize(normalise(text), []))
    asks = [s for it in items for s in it.senses if s.kind == "op" and s.value not in ("match", "look", "enhance")]
    return bool(asks) or any(it.generative or it.kind == "color" for it in items)


#: Words that make a quoted string text to draw ("add the caption 'Sale'"), not scare quotes ("deblur").
_TEXT_CONTEXT = re.compile(
    r"\b(?:caption|text|title|heading|headline|watermark|write|writing|written|say|says|saying|read|reads|"
    r"reading|label|slogan|tagline|words?|lettering|sign(?:ature)?|add|put|place|stamp|type|print|overlay|"
    r"quote|message|credit|font)\b",
    re.IGNORECASE,
)


def _scare_quotes(text: str, quotes: list[str]) -> tuple[str, list[str]]:
    """Quotes with no text to draw near them ("is it possible to "deblur"") are read as plain words."""
    kept: list[str] = []

    def put_back(m: re.Match[str]) -> str:
        n = int(m.group(1))
        start = max(0, m.start() - 60)
        # only the words of the same clause count: "add a white background, rotate them into an "x" sign"
        before = re.split(r"[.,;!?]|\band\b", text[start : m.start()])[-1]
        after = text[m.end() : m.end() + 25]
        if _TEXT_CONTEXT.search(before) or re.match(r"\s*(?:text|caption|title|watermark)\b", after, re.I):
            kept.append(quotes[n])
            return f"\x00{len(kept) - 1}\x00"
        return quotes[n]

    return re.sub("\x00(\\d+)\x00", put_back, text), kept


def _check_no_dropped_verb(cl: Clause, steps: Steps) -> None:
    """A recognised edit verb ("darken", "blur") that produced no step is refused by name, never dropped."""
    if steps or cl.has("neg"):
        return
    verbs = [h for h in cl.ops() if h.pos == "v" and h.sign != 0 and h.op in ADJUST_OPS - {"look", "match"}]
    if verbs:
        word = cl.items[verbs[0].index].text
        raise UnsupportedInstruction(
            f'understood "{word}" in "{cl.text}" but could not tell what to apply it to; '
            f'say it as its own edit, e.g. "{word} the background"',
            fragment=cl.text,
        )


def interpret(cl: Clause, ctx: Ctx) -> Steps:
    """Steps for one clause (possibly none for filler), or UnsupportedInstruction."""
    if cl.has_word("fit") and not cl.ops() and not cl.kinds("size"):
        ctx.no_crop = True  # "…, and fit it inside": a constraint on the resize
        return []
    if _harmless(cl) or is_constraint_tail(cl):
        return []  # filler, or "without it getting pixelated": a constraint on the edit before it
    _check_generative_phrases(cl, ctx)
    _social_look(cl)
    geometry = (
        cl.has_op("crop", "resize", "pad", "rotate", "flip")
        or cl.has("aspect")
        or (
            cl.has_word("keep")
            and cl.sides()
            and any(p in ("half", "third", "quarter") for _, p in cl.parts())
        )
    )
    splash = _colour_splash(cl, ctx)
    if splash is not None:
        return splash
    labelled = correction_label(cl, ctx)
    if labelled is not None:
        return labelled  # "Color/Lighting Correction": a correction of each property named
    if _vague_request(cl):
        return enhance_steps(cl, ctx)  # "do something cool", "make it look better": an automatic fix
    if cl.has("neg") and not cl.has("enough") and not geometry:
        return _negated(cl, ctx)
    if crop_refused(cl) and not cl.kinds("size") and ratio_in(cl) is None:
        ctx.no_crop = True  # "…, but don't crop": a constraint on the resize (see plan_from_text)
        return []
    if removal_object(cl) == "thing":
        steps = build_remove(cl, ctx)  # "remove the people behind her": object removal, never the background
        if steps:
            return steps
    for family, builder in BUILDERS:
        steps = builder(cl, ctx)
        if steps is not None:
            if family not in ("text", "place", "background", "match"):
                check_targets(cl, ctx)  # "make the cup bigger", "brighten the car": a thing it cannot find
            ctx.last_family = family
            return steps
    raise refusal_for(cl)


_SOCIAL = frozenset({"instagram", "insta", "ig"})


_FORMAT_WORDS = frozenset(
    {"post", "size", "sized", "format", "portrait", "square", "story", "feed", "profile", "upload", "ratio"}
)


_VINTAGE = Sense(SenseKind.LOOKNAME, "vintage")


def _social_look(cl: Clause) -> None:
    """ "an Instagram-style filter", "an insta vibe": a look (vintage), not the 4:5 crop.

    The platform name means its post shape with crop/format/size words ("crop for instagram",
    "instagram portrait size"); next to a look word (filter, look, style, vibe, aesthetic) and with
    no geometry it is the platform's typical look, read as "vintage" (as "instagram filter" already is).
    """
    if not cl.has_op("look") or cl.has_op("crop", "resize", "pad") or cl.has_word(*_FORMAT_WORDS):
        return
    for i, it in enumerate(cl.items):
        if it.text in _SOCIAL and it.has("aspect"):
            cl.items[i] = dataclasses.replace(it, senses=[_VINTAGE])


_VAGUE_OBJECTS = frozenset({"something", "anything", "stuff", "magic", "whatever"})


_PRAISE = frozenset({"cool", "nice", "interesting", "amazing", "awesome", "great", "good", "fun", "special"})


def _vague_request(cl: Clause) -> bool:
    """ "do something cool/nice/interesting", "make it better looking": no edit named, only praise.

    "cool" is praise here (not a temperature) because it describes "something"; the temperature reading
    needs it to describe the colours, tones, the look or the image, or to be the verb ("cool it down").
    """
    if cl.kinds("quote") or cl.colors() or cl.quantities or cl.has("lookname") or any(r != 0 for r in refs_in(cl)):
        return False  # (ref 0 is "this photo": the image being edited)
    if any(it.generative and not shown_in_photo(cl, i) for i, it in enumerate(cl.items)):
        return False
    surface = [it.text for it in cl.items]
    vague = next((i for i, w in enumerate(surface) if w in _VAGUE_OBJECTS), None)
    if vague is None:
        return False
    for h in cl.ops():
        word = cl.items[h.index].text
        if h.op in ("enhance", "look"):
            continue
        if word in _PRAISE and h.index > vague:
            continue
        return False
    return True


def _harmless(cl: Clause) -> bool:
    """No edit in it: politeness, filler, a purpose ("for my shop") or "make it look nice"."""
    if cl.kinds("quote") or cl.colors() or cl.has("lookname") or cl.quantities:
        return False
    if any(h.op != "look" for h in cl.ops()):
        return False
    head = cl.items[: cl.after_for()]
    return all(
        it.kind == "punct" or (it.senses and all(s.kind in HARMLESS | {"verb", "op"} for s in it.senses))
        for it in head
    )


def _check_generative_phrases(cl: Clause, ctx: Ctx) -> None:
    """ "in the style of Van Gogh", "turn it into a cartoon": generative even next to an op word."""
    lem = [lemma for it in cl.items for lemma in it.lemmas]
    if {"restore", "repair"} & set(lem) and {
        "old",
        "damage",
        "damaged",
        "scratch",
        "scratched",
        "torn",
    } & set(lem):
        raise needs_generation(cl)  # restoring an old photo means inventing lost detail
    if {"colorize", "recolor", "recolour"} & set(lem) and not cl.colors():
        raise needs_generation(cl)  # colourising without a colour to tone with means guessing real colours
    if _colourise(cl):
        raise needs_generation(cl, "colouring a photo means guessing its real colours")
    if {"swap", "replace", "exchange", "substitute"} & set(lem) and cl.has("region", "sky"):
        raise needs_generation(cl, "a new sky has to be made or given as a second image")
    if _UNDISTORT & set(lem):
        raise needs_generation(cl, "lens or perspective correction is not a builtin operation")
    joined = " " + " ".join(lem) + " "
    for phrase in GENERATIVE_PHRASES:
        if " " + " ".join(phrase) + " " in joined:
            tail = [it for it in cl.items if it.unknown or it.generative]
            if (tail or phrase in _ALWAYS_GENERATIVE) and not refs_in(cl):
                raise needs_generation(cl)


_COLOUR_VERBS = frozenset({"colour", "color", "colourise", "colorise", "colour in", "color in"})


def _colourise(cl: Clause) -> bool:
    """ "colour the picture", "colour this old photo": colourising, with no colour named to tone with."""
    content = [it for it in cl.items if not (it.senses and all(s.kind in ("polite", "stop") for s in it.senses))]
    if not content or content[0].text not in _COLOUR_VERBS or cl.colors():
        return False
    others = {h.op for h in cl.ops()} - {"color", "grayscale", "look", "enhance"}
    return not others and any(it.has("imgnoun") or it.text == "it" for it in cl.items)


#: Lens and perspective correction words: no builtin op straightens lines or flattens a bulge.
_UNDISTORT = frozenset(
    {"undistort", "distortion", "distorted", "fisheye", "keystone", "perspective", "dewarp", "unwarp", "warped"}
)


#: Phrases that are generative whatever follows them (their words are also op words: "shadow").
_ALWAYS_GENERATIVE = frozenset({("drop", "shadow"), ("swap", "face"), ("face", "swap")})


_EXCEPT = frozenset({"except", "excluding", "apart from", "other than", "but not", "save for", "besides"})


def _kept_colour(cl: Clause) -> str | None:
    """The hue band of "keep the red rose in colour" (a thing kept in colour, named by its colour), else None."""
    keeps = cl.has_word("keep", "leave", "retain", "preserve")
    if not keeps or not cl.has_word("colour", "color", "colored", "coloured"):
        return None
    colors = [(i, it) for i, it in cl.colors() if it.text not in ("colour", "color")]
    band = band_name(colors[0][1]) if colors else None
    return None if band in (None, "skin") else band


def _colour_splash(cl: Clause, ctx: Ctx) -> Steps | None:
    """ "desaturate everything except the reds", "keep only the red", "colour splash on the red".

    An exclusion of a hue band (not of a region) can be done: saturation on every band but that one
    (amount -1 unless the clause gives one). Other ops next to the exclusion are left to the refusal.
    """
    colors = cl.colors()
    if not colors:
        return None
    idx, item = colors[0]
    band = band_name(item)
    if band is None or band == "skin":
        return None
    before = cl.items[:idx]
    excluded = any(it.text in _EXCEPT for it in before)
    only = any(it.text == "only" for it in before) and cl.has_word("keep", "leave", "retain", "preserve", "only")
    splash = cl.has_word("splash", "pop", "selective")
    if not (excluded or only or splash):
        return None
    others = [h for h in cl.ops() if h.op not in ("saturation", "grayscale", "color", "look")]
    if others or cl.has("region") or cl.has("bg"):
        return None
    amount = -1.0
    sat = cl.op("saturation")
    if sat is not None and (cl.quantity("percent") is not None or cl.level() is not None):
        cl.focus = sat.index
        amount = -abs(amount_of(cl, "saturation", -1))
    return [make_step("saturation", {"amount": amount, "except_band": band}, cl, ctx)]


def _negated(cl: Clause, ctx: Ctx) -> Steps:
    """Constraints ("keep the colours natural") are harmless; exclusions of a region cannot be done."""
    cast = negated_cast(cl, ctx)
    if cast is not None:
        return cast
    if cl.has_word("centered", "center", "middle", "visible", "framed", "in frame", "sharp", "same", "intact"):
        return []  # "keep my face centered", "keep her face sharp": a constraint, not an exclusion
    everything = cl.op("remove") is not None and cl.has_word("everything", "all")
    if removal_object(cl) == "background" or everything or (cl.has("bg") and cl.has_op("remove_bg", "transparent")):
        kept = _kept_after_except(cl)
        if kept is not None:
            # "remove the background except the two girls": what is kept is the subject, as always
            ctx.notes.append(f"“{cl.text}”: {kept} read as the subject that the background removal keeps")
            return [make_step("remove_background", {}, cl, ctx)]
    regions = [s.value for _, s in cl.senses("region")] + (["background"] if cl.has("bg") else [])
    if regions or cl.sides():
        named = [it.text for it in cl.items if it.has("region") or it.has("bg") or it.has("side")]
        excl = next((it.text for it in cl.items if it.has("neg")), "except")
        raise UnsupportedInstruction(
            f'cannot do "{cl.text}" with the builtin engine: it cannot leave out part of the image by name '
            f'("{excl} {" ".join(named)}"); mark the area to edit with a mask instead',
            fragment=cl.text,
            kind=CANNOT_LOCATE,
            hint="mask",
        )
    return []


def _kept_after_except(cl: Clause) -> str | None:
    """The words after "except"/"but" in a background removal ("except the two girls"), if any."""
    for i, it in enumerate(cl.items):
        if it.text in _EXCEPT or it.text in ("but", "exept", "excpet"):
            rest = [x.text for x in cl.items[i + 1 :] if x.kind != "punct"]
            return " ".join(rest) or None
    return None


BUILDERS: list[tuple[str, Callable[[Clause, Ctx], Steps | None]]] = [
    ("text", build_text),
    ("place", build_place),
    ("relight", build_relight),
    ("background", build_background),
    ("pad", build_pad),
    ("border", build_border),
    ("crop", build_crop),
    ("resize", build_resize),
    ("rotate", build_rotate),
    ("flip", build_flip),
    ("straighten", build_straighten),
    ("match", build_match),
    ("remove", build_remove),
    ("recolor", build_recolor),
    ("adjust", build_adjust),
]


def _dedupe(steps: Steps, notes: list[str] | None = None) -> Steps:
    """Merge exact repeats of a step ("cooler, bluer, colder"); repeats with other amounts compose.

    "brighten by 10%, then brighten by 30%" keeps both steps (the executor applies both, in order);
    a merge is recorded in `notes` so that nothing is dropped silently.
    """
    out: Steps = []
    for step in steps:
        twin = next((s for s in out if _same_request(s, step) and s.params == step.params), None)
        if twin is None:
            out.append(step)
        elif notes is not None:
            notes.append(f"“{step.text}” repeats “{twin.text}” ({twin.op}): planned once")
    return out


def _same_request(a: PlanStep, b: PlanStep) -> bool:
    """Same op, region, non-amount params and direction."""
    if a.op != b.op or a.region != b.region:
        return False
    pa = {k: v for k, v in a.params.items() if k not in ("amount",)}
    pb = {k: v for k, v in b.params.items() if k not in ("amount",)}
    if pa != pb:
        return False
    if a.op in ("rotate", "text", "place_image", "extend_canvas", "border", "crop_box", "resize"):
        return a.params == b.params and a.text == b.text
    sa = math.copysign(1, a.params.get("amount", 1.0))
    sb = math.copysign(1, b.params.get("amount", 1.0))
    return sa == sb
