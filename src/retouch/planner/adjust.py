"""Tone, colour, detail and look steps; colour matching; object removal."""

from __future__ import annotations

import math
from typing import Any

from retouch.errors import UnsupportedInstruction
from retouch.schema import PlanStep

from .amounts import DEFAULT_AMOUNTS, clamp
from .casts import (
    CAST_NOUNS,
    PALING_VERBS,
    blamed_cast,
    colours_by_region,
    has_state,
    light_source_steps,
    paled_casts,
    stated,
    stated_at,
    subject_of_story,
    without_tonal_destinations,
)
from .clause import Clause, OpHit
from .colors import HUE_OF, band_name, cast_name, hue_of
from .common import Ctx, Steps, make_step, needs_generation
from .enhance import recipe_for, recipe_steps
from .items import Item
from .lexicon import Sense, SenseKind
from .refusals import GENERATIVE_HINT, cannot_locate, needs_mask
from .regions import refs_in, regions_in, resolve_ref
from .slots import amount_of, inverted, sign_of, unit_amount


def build_match(cl: Clause, ctx: Ctx) -> Steps | None:
    """Colour-grade matching to a reference input."""
    hit = cl.op("match")
    refs = [r for r in refs_in(cl) if r != "logo"]
    grade_words = cl.has_op("look", "color") and not cl.has("lookname")
    if hit is None and not ([r for r in refs if r != 0] and grade_words and not cl.has("bg")):
        return None  # "apply image 2's colour grade" matches without the verb; "this picture" is the edited one
    if hit is None and ctx.n_images < 2 and (cl.has("copula") or cl.has_word("been")):
        return None  # "the second image has been made darker with a blue tone": the result described
    word = cl.items[hit.index].lemmas[0] if hit is not None else "match"
    strong_verb = word in (
        "match",
        "matching",
        "copy",
        "transfer",
        "borrow",
        "replicate",
        "mimic",
        "harmonize",
        "blend",
    )
    about_color = cl.has_op("color", "look", "temperature", "brightness", "saturation") or cl.has_word(
        "grade", "grading", "palette", "tone", "tones", "style", "mood", "lighting", "color", "colors"
    )
    if not refs and not (strong_verb and (about_color or ctx.n_images >= 2)):
        return None
    if 0 in refs and any(r != 0 for r in refs[refs.index(0) + 1 :]):
        # "make the first image's colours match image 2", "match image 1 to image 2": the first image
        # named is the one being edited (the subject); the reference is the other one, named after it
        refs = [r for r in refs if r != 0]
    ref = resolve_ref(refs[0] if refs else "other", ctx.n_images, cl.text)
    if ref == 0:
        raise UnsupportedInstruction(
            f'"{cl.text}" refers to the image being edited (the first one); '
            "name a reference image, e.g. image 2",
            fragment=cl.text,
        )
    return [make_step("match_color", {"ref": ref, "amount": unit_amount(cl, "match_color")}, cl, ctx)]


#: Words that name the thing a removal verb acts on as a location, not as the object ("in the background").
_PLACE_PREPS = frozenset({"in", "from", "of", "behind", "at", "on", "near", "by", "off", "against", "out"})


def removal_object(cl: Clause) -> str | None:
    """What a removal verb ("remove", "get rid of", "take out") acts on: "thing", "background", "property".

    The object is the first content word after the verb, past articles, numbers, colours and size words:
    a person or an unknown/generative noun is a thing (object removal, never the background), the
    background noun is the background, an op word ("the haze", "the yellow tone") a property. None when
    the clause has no removal verb.
    """
    hit = cl.op("remove")
    if hit is None:
        return None
    for it in cl.items[hit.index + 1 :]:
        if it.kind == "punct":
            break
        if it.kind in ("num", "quote"):
            continue
        if it.text in _PLACE_PREPS:
            return None
        if it.has("region", "subject") or it.has("region", "face") or it.generative or it.unknown:
            return "thing"
        if it.text in ("everything", "everyone", "everybody", "anything", "all", "object", "objects", "thing"):
            return "thing"
        if it.has("bg"):
            nxt = cl.next_content(cl.items.index(it))
            after = cl.items[nxt] if nxt is not None else None
            if after is not None and (after.has("region", "subject") or after.unknown or after.generative):
                return "thing"  # "erase the background people", "remove the background tourists"
            return "background"
        if it.kind == "color" and not it.plural:
            continue  # "the white car", "the black line": look at the noun after it
        if any(s.kind == "op" for s in it.senses) or it.kind == "color":
            return "property"
    return None


#: Removal verbs that, with nothing named, mean tidying the photo ("clean it up").
_CLEANING = frozenset({"clean", "clean up", "tidy", "tidy up"})


def build_remove(cl: Clause, ctx: Ctx) -> Steps | None:
    """Remove an object: inpaint under the mask; without a mask it cannot be found, so refuse."""
    hit = cl.op("remove")
    hide = cl.op("hide")
    if hide is not None and cl.has("region", "face"):
        return [make_step("pixelate", {"amount": amount_of(cl, "pixelate", 1)}, cl, ctx, "face")]
    if hit is None:
        return None
    adjust = [
        h for h in cl.ops() if h.op in ADJUST_OPS and h.op not in ("look", "enhance", "light", "match")
    ]
    if removal_object(cl) != "thing" and (adjust or cl.colors() or cl.has("lookname")):
        return None
    if ctx.has_mask:
        return [PlanStep(op="remove_object", params={"method": "auto"}, region="mask", text=cl.text)]
    named = [it.text for it in cl.items[hit.index + 1 :] if it.unknown or it.generative or it.has("region")]
    if not named and cl.items[hit.index].lemmas[0] in _CLEANING and not cl.has("region", "mask"):
        return enhance_steps(cl, ctx, "clean")  # "can someone clean it up": a cleaner photo, not a removal
    if not named or all(w in ("it", "this", "that", "here") for w in named) or cl.has("region", "mask"):
        raise needs_mask(cl.text, "needs a mask marking what to remove")
    raise cannot_locate(cl.text, " ".join(named), "removing an object")


#: Verbs that change one colour into another ("change the red to blue", "replace red with blue").
_RECOLOR_VERBS = frozenset(
    {"change", "replace", "turn", "swap", "make", "recolor", "convert", "switch", "substitute", "exchange"}
)
#: Words that link the colour being changed to the colour it becomes.
_RECOLOR_LINKS = frozenset({"to", "into", "with", "for", "by"})


def build_recolor(cl: Clause, ctx: Ctx) -> Steps | None:
    """A hue band becomes another colour: "change the red to blue", "replace red colour with blue and
    yellow with white", "make it red instead of blue" (replace_color, once per pair)."""
    colors = cl.colors()
    if len(colors) < 2 or not cl.has_word(*_RECOLOR_VERBS):
        return None
    if any(
        h.op not in ("color", "hue", "look", "replace_color") and cl.items[h.index].text not in _RECOLOR_VERBS
        for h in cl.ops()
    ):
        return None  # "turn" names rotate too; any other op makes it another kind of edit
    pairs: list[tuple[Item, Item]] = []
    k = 0
    while k + 1 < len(colors):
        (i, a), (j, b) = colors[k], colors[k + 1]
        between = {it.text for it in cl.items[i + 1 : j]}
        if "instead" in between:
            pairs.append((b, a))  # "red instead of blue": blue is what changes
        elif between & _RECOLOR_LINKS:
            pairs.append((a, b))
        else:
            return None
        k += 2
    regions = regions_in(cl, has_mask=ctx.has_mask) or ["all"]
    steps: Steps = []
    for source, target in pairs:
        band = band_name(source)
        if band is None or band == "skin":
            return None  # white/gray/black are not hue bands
        params = {"band": band, "color": list(target.value), "amount": unit_amount(cl, "replace_color")}
        steps += [make_step("replace_color", params, cl, ctx, region) for region in regions]
    return steps or None


ADJUST_OPS = frozenset(
    {
        "brightness",
        "light",
        "exposure",
        "contrast",
        "gamma",
        "highlights",
        "shadows",
        "auto",
        "enhance",
        "saturation",
        "color",
        "vibrance",
        "hue",
        "temperature",
        "tint",
        "grayscale",
        "sepia",
        "colorize",
        "look",
        "invert",
        "sharpen",
        "blur",
        "denoise",
        "noise",
        "vignette",
        "grain",
        "pixelate",
        "match",
        "white_balance",
        "clarity",
        "dehaze",
    }
)


_REMOVAL_WORDS = ("strip", "drain", "kill", "lose", "suck", "bleed", "zap", "wash out")


def _removes_colour(cl: Clause, op: str) -> bool:
    """A verb of removal applied to colour/saturation: "take the colour out", "strip the saturation".

    Removing colour means reducing it to nothing (grayscale); see _partial for "some of the colour".
    """
    if cl.op("remove") is not None or cl.has_word(*_REMOVAL_WORDS):
        return True
    lem = [it.text for it in cl.items]
    if "take" in lem and any(w in ("out", "away", "off") for w in lem[lem.index("take") + 1 :]):
        return True  # "take the colour out", "take all the saturation away"
    return op == "color" and cl.has_word("no", "without")


def _partial(cl: Clause) -> bool:
    """Only part of something: "some of", "a bit of", a level word or a number."""
    if cl.quantities or cl.first("frac") is not None:
        return True
    if cl.has_word("all", "completely", "fully", "entirely", "totally", "every"):
        return False
    return cl.level() is not None or cl.has_word("some", "part", "partly", "partially", "bit", "little")


_TONAL = frozenset({"highlights", "shadows", "gamma", "color"})
#: Words that ask colours to look right rather than stronger: a colour correction.
_NATURAL = frozenset({"natural", "realistic", "normal", "accurate", "neutral", "true to life"})


_DIRECTORS = {"brightness": None, "light": None, "blur": -1}


def build_adjust(cl: Clause, ctx: Ctx, forced_region: str | None = None) -> Steps | None:
    """Tone, colour, detail and look steps, one per op and region."""
    hits = [h for h in cl.ops() if h.op in ADJUST_OPS]
    # "I took this at golden hour": a look named in the story of the shot is its circumstance, not a wish
    named_looks = cl.senses("lookname")
    looknames = [str(s.value) for i, s in named_looks if not subject_of_story(cl, i)]
    if named_looks and not looknames and not hits and not cl.colors():
        return []  # only the story of the shot: nothing to edit (shown as backstory)
    aging = any(it.has("lookname") and it.lemmas[0] in ("old", "older") for it in cl.items)
    if aging and (cl.has("region", "subject") or cl.has("region", "face")):
        raise needs_generation(cl)  # "make him look older" changes a person, not the photo
    colors = cl.colors()
    if not hits and not looknames and not colors and any(it.text in _CALMING for it in cl.items):
        # "tone it down", "calm it down": less intense, so less saturation and contrast
        return [
            make_step(op, {"amount": amount_of(cl, op, -1)}, cl, ctx, region)
            for op in ("saturation", "contrast")
            for region in (regions_in(cl, has_mask=ctx.has_mask) or ["all"])
        ]
    if (
        not hits
        and not looknames
        and not colors
        and not (cl.has("recover") or cl.has("deepen") or cl.quantity("stops"))
    ):
        return None
    blamed = blamed_cast(cl)
    if blamed is not None:
        # "the camera made everything orange", "my phone turned it yellow": the cast to remove
        params = {"cast": cast_name(blamed), "amount": unit_amount(cl, "white_balance")}
        return [make_step("white_balance", params, cl, ctx)]
    if not hits and not looknames and any(it.unknown or it.generative for it in cl.items[: cl.after_for()]):
        raise needs_generation(cl)  # "give the cat a red hat": a colour word, but nothing to apply it to
    told = [h for h in hits if subject_of_story(cl, h.index)]
    hits = [h for h in _resolve_hits(cl, hits) if h not in told and not subject_of_story(cl, h.index)]
    if told and not hits and not colors and not looknames:
        return []  # "the street lights made everything look weird": a story, nothing to edit
    lit = light_source_steps(cl, ctx, hits)
    if lit is not None:
        return lit
    if any(hue_of(it.value) is not None and not it.plural for _, it in colors):
        # "adjust the colour temperature to be more blue": the colour says which way the noun goes
        hits = [h for h in hits if not (h.op in ("temperature", "tint") and h.sign == 0 and h.pos == "n")]
    hits, paled = paled_casts(cl, hits, colors)
    hits = without_tonal_destinations(cl, hits, colors)
    toning = any(h.op == "colorize" for h in hits)
    casts = [] if toning else [it for _, it in colors if _is_cast(cl, it) or it in paled]
    cast_nouns = {cl.items.index(it) + 1 for it in casts}
    hits = [h for h in hits if h.index not in cast_nouns or h.op in ("tint", "hue", "colorize", "sepia")]
    bands = [
        it
        for _, it in colors
        if it not in casts and (it.plural or _followed_by_tone_noun(cl, it) or _colour_made_stronger(cl, it))
    ]
    if cl.has_word("skin") and cl.has_word("tone", "tones"):
        bands.append(Item("color", "skin", (224, 172, 105)))
    targets = [(i, it) for i, it in colors if it not in bands and it not in casts]
    regions = [forced_region] if forced_region else regions_in(cl, has_mask=ctx.has_mask)
    planned: list[tuple[str, dict[str, Any], str | None]] = []  # (op, params, region override)
    paired = [] if forced_region or ctx.has_mask else colours_by_region(cl, colors)
    if paired:
        # "yellow tones in the lower half and a hint of blue at the top": one cast per region
        for it, region in paired:
            planned += [(op, p, region) for op, p, _ in _toward_hue(cl, hue_of(it.value) or 0.0, 1, it)]
        used = {id(it) for it, _ in paired}
        bands = [b for b in bands if id(b) not in used]
        casts = [c for c in casts if id(c) not in used]
        targets = [(i, t) for i, t in targets if id(t) not in used]
        hits = [h for h in hits if not (h.op == "look" or (h.op in ("hue", "tint") and h.pos == "n"))]
        regions = [r for r in regions if r not in {region for _, region in paired}]
    for hit, sign, grey in _tonal_greys(cl, hits, targets):
        # "make the whites whiter", "make the blacks blacker": the tonal range, in the colour's direction
        planned.append((hit.op, {"amount": amount_of(cl, hit.op, sign)}, None))
        hits = [h for h in hits if h is not hit]
        targets = [(i, t) for i, t in targets if t is not grey]
    if not regions:
        regions = ["all"]
    # edges: "darken the edges" is a vignette
    edges_only = regions == ["edges"]
    for hit in hits:
        planned += _plan_hit(cl, ctx, hit, hits, bands, targets + [(-1, c) for c in casts], edges_only)
    cl.focus = None
    for it in casts:
        planned += _cast(cl, it)
    for name in looknames:
        if name == "faded" and stated(cl, "lookname"):
            # "it's really faded": a complaint, so the opposite of the look: back the contrast and colour
            planned.append(("contrast", {"amount": amount_of(cl, "contrast", 1)}, None))
            planned.append(("saturation", {"amount": amount_of(cl, "saturation", 1)}, None))
            continue
        planned.append(("look", {"name": name, "amount": unit_amount(cl, "look")}, None))
    tonal = {h.op for h in hits} & {"highlights", "shadows"}
    if cl.has("recover") and not tonal and not planned:
        # "bring back the detail (in the sky)": recover highlights, and open shadows unless it is the sky
        planned.append(("highlights", {"amount": -DEFAULT_AMOUNTS["highlights"] * (cl.level() or 1.0)}, None))
        if "sky" not in regions:
            planned.append(("shadows", {"amount": DEFAULT_AMOUNTS["shadows"] * (cl.level() or 1.0)}, None))
    stops = cl.quantity("stops")
    if not planned and stops is not None and not hits:
        planned.append(("exposure", {"stops": clamp("exposure", stops.value)}, None))
    if not any(
        op in ("hue_shift", "saturation", "temperature", "tint", "colorize", "grayscale", "brightness")
        and p.get("_from_color")
        for op, p, _ in planned
    ):
        planned += _color_targets(cl, hits, bands, targets, regions)
    if not planned and not colors and not looknames and _tones_only(cl):
        # "adjust the tones", "balance the tones", "more even tones": a tonal correction
        planned.append(("auto_levels", {"clip": DEFAULT_AMOUNTS["auto_levels"]}, None))
    if not planned:
        return None
    steps: Steps = []
    for op, params, region_override in planned:
        params = {k: v for k, v in params.items() if not k.startswith("_")}
        if region_override is not None:
            steps.append(make_step(op, params, cl, ctx, region_override))
            continue
        for region in regions:
            if op == "vignette" and region == "edges":
                region = "all"
            if op == "blur" and region == "background" and not ctx.has_mask:
                steps.append(make_step("background_blur", params, cl, ctx))  # the bokeh op blurs around the subject
                continue
            steps.append(make_step(op, params, cl, ctx, region))
    return steps


def _is_cast(cl: Clause, it: Item) -> bool:
    """A single colour naming a cast: "remove the green tone", "a pink hue", "add a yellow tint"."""
    if it.plural or hue_of(it.value) is None:
        return False
    idx = cl.items.index(it)
    nxt = cl.items[idx + 1] if idx + 1 < len(cl.items) else None
    if nxt is None:
        return False
    if nxt.text in ("light", "lighting", "lights", "glow"):
        # "correct the bluish light", "less of the orange lighting": the light's colour is the cast
        return cl.has("fixverb") or cl.op("remove") is not None or cl.has("dir", -1)
    return nxt.text in CAST_NOUNS


def _cast(cl: Clause, it: Item) -> list[tuple[str, dict[str, Any], str | None]]:
    """A named cast: removed ("remove the green tone", "less of the yellow tint") or added ("a blue tone")."""
    paling = any(cl.items[h.index].lemmas[0] in PALING_VERBS for h in cl.ops() if h.op == "brightness")
    at = cl.items.index(it)
    noun = cl.items[at + 1].text if at + 1 < len(cl.items) else ""
    # "a cast" is a fault: with no verb that adds it ("reduse the yelow cast"), it is one to remove
    faulty = noun in ("cast", "color cast", "colour cast") and not cl.has("dir", 1) and not cl.has("verb")
    if paling or faulty or cl.op("remove") is not None or has_state(cl, at):
        sign = -1
    else:
        sign = sign_of(cl, OpHit(cl.items.index(it), "color-target", 1, "c"))
    if sign < 0:
        return [("white_balance", {"cast": cast_name(it), "amount": unit_amount(cl, "white_balance")}, None)]
    if cast_name(it) in ("pink", "magenta", "purple", "violet"):
        return [("tint", {"amount": amount_of(cl, "tint", 1), "_from_color": True}, None)]
    hue = hue_of(it.value)
    return _toward_hue(cl, hue, 1, it) if hue is not None else []


def _toward_hue(
    cl: Clause, hue: float, sign: int, it: Item | None = None
) -> list[tuple[str, dict[str, Any], str | None]]:
    """A global shift toward (sign +1) or away from (-1) a hue: warm/cool for reds-yellows/blues, tint for
    greens/magentas (pink and purple are magenta casts, whatever their exact hue)."""
    if it is not None and cast_name(it) in ("pink", "magenta", "purple", "violet"):
        return [("tint", {"amount": amount_of(cl, "tint", sign), "_from_color": True}, None)]
    if 15 <= hue < 75 or hue >= 345 or hue < 15:
        op, s = "temperature", 1
    elif 75 <= hue < 165:
        op, s = "tint", -1
    elif 165 <= hue < 260:
        op, s = "temperature", -1
    else:
        op, s = "tint", 1
    return [(op, {"amount": amount_of(cl, op, s * sign), "_from_color": True}, None)]


#: Particle verbs that, with no property named, ask for a less intense picture.
_CALMING = frozenset({"tone down", "tone it down", "calm down", "dial down", "dial it down"})


def _tonal_greys(
    cl: Clause, hits: list[OpHit], targets: list[tuple[int, Item]]
) -> list[tuple[OpHit, int, Item]]:
    """A tonal noun and a white/black comparative after it ("the whites whiter"): (hit, sign, colour)."""
    out = []
    for h in hits:
        if h.op not in ("highlights", "shadows") or h.pos != "n" or h.sign != 0:
            continue
        for i, it in targets:
            if i > h.index and hue_of(it.value) is None and it.comparative:
                luma = 0.299 * it.value[0] + 0.587 * it.value[1] + 0.114 * it.value[2]
                out.append((h, 1 if luma > 128 else -1, it))
                break
    return out


def _tones_only(cl: Clause) -> bool:
    """The only op word is the noun "tone(s)" ("increase the tone", "balance the tones")."""
    ops = cl.ops()
    return bool(ops) and all(h.op == "look" and cl.items[h.index].text in ("tone", "tones", "tonal") for h in ops)


def _colour_made_stronger(cl: Clause, it: Item) -> bool:
    """ "boost the blue colour", "make the red colour stronger": that hue band, more saturated (not a cast;
    "reduce the orange colour" and "add blue colour" are casts)."""
    idx = cl.items.index(it)
    nxt = cl.items[idx + 1] if idx + 1 < len(cl.items) else None
    if nxt is None or nxt.text not in ("color", "colour") or cl.has_word("add"):
        return False
    d = cl.direction_near(idx)
    return (d is not None and d[1] > 0) or cl.has_op("saturation", "vibrance")


def _followed_by_tone_noun(cl: Clause, it: Item) -> bool:
    """ "blue tones", "the red colours": a colour used as a hue band."""
    idx = cl.items.index(it)
    nxt = cl.items[idx + 1] if idx + 1 < len(cl.items) else None
    return nxt is not None and nxt.text in ("tones", "tone", "colors", "colours", "hues", "channel", "areas")


_DULL = frozenset({"dull", "flat", "washed out", "lifeless", "drab", "muddy", "wash out", "washout"})


def _describes_noun(cl: Clause, hit: OpHit) -> bool:
    """An op adjective before another op's noun ("dark vignette", "warm grain") only describes it.

    Other modifiers may stand between them ("a dark, soft vignette").
    """
    nxt = cl.np_head(hit.index)
    if nxt is None:
        return False
    if cl.items[nxt].text in ("glow", "glows") and hit.op in ("temperature", "brightness", "light"):
        return False  # "a warm golden glow": the warmth is the edit, the glow its look
    return any(
        s.kind == "op"
        and s.pos == "n"
        and s.value != hit.op
        and s.value not in _TONAL | {"look", "match", "light"}
        for s in cl.items[nxt].senses
    )


def _resolve_hits(cl: Clause, hits: list[OpHit]) -> list[OpHit]:
    """Drop words that only modify others ("light vignette", "the look", "warm up the colours")."""
    out: list[OpHit] = []
    names = {h.op for h in hits}
    signed = {h.op for h in hits if h.sign != 0}
    for h in hits:
        it = cl.items[h.index]
        if it.has("level") and h.pos == "a" and cl._level_context(h.index):
            continue  # "a dramatic vignette", "bold colours": an intensity, not an op
        if h.op == "auto" and names - {"auto", "enhance", "look", "match", "color"}:
            continue  # "a warmer white balance": the other op says what to do with it
        if h.pos == "a" and h.sign != 0 and _describes_noun(cl, h):
            continue  # "a dark vignette": the adjective describes the effect
        if h.sign == 0 and h.pos == "n" and h.op in signed:
            continue  # "flatten the contrast": the noun is the object of the verb
        if h.op == "light":
            if cl._level_context(h.index) and it.text in ("light", "lightly"):
                continue
            if h.pos == "n" and _coloured_state_after(cl, h.index):
                continue  # "the light is too yellow", "the light looks blue": the light's colour is the edit
            if _describes_noun(cl, h):
                continue  # "a lighter vignette": the word describes the effect
            out.append(
                OpHit(
                    h.index,
                    "brightness",
                    1 if h.pos != "n" or it.text != "light" else 0,
                    "a" if it.text != "light" or not cl.has("dir") else "n",
                )
            )
            continue
        if h.op == "blur" and it.text == "soft" and cl._level_context(h.index):
            continue
        if h.op == "blur" and it.text in ("glow", "glows") and (names & {"temperature"} or cl.colors()):
            continue  # "a warm golden glow": a warm cast, not a soft-focus blur
        if h.op in ("look", "match"):
            continue
        if h.op == "sharpen" and h.pos == "n" and (names & {"highlights", "shadows"} or cl.has("recover")):
            continue  # "bring back detail in the shadows"
        if h.op == "contrast" and h.sign < 0 and "color" in names and it.text in _DULL:
            out.append(OpHit(h.index, "saturation", -1, h.pos))  # "dull colours": a saturation complaint
            continue
        if h.op == "color" and (
            names - {"color", "look", "light", "match", "enhance", "auto"} or cl.has("lookname")
        ):
            continue
        if h.op == "color" and h.index > 0 and cl.items[h.index - 1].kind == "color":
            continue  # "the orange colour of the image": the colour's own noun, not a saturation request
        if h.op == "brightness" and h.pos != "n" and names & _TONAL - {"color"} and not _own_verb_between(cl, h, hits):
            continue  # "brighten the shadows": brightness gives the direction only
        if h.op == "brightness" and h.pos != "n" and "color" in names and len(names - {"look"}) == 2:
            if it.lemmas and it.lemmas[0] in PALING_VERBS | {"darken"} and _about_skin(cl):
                out.append(h)  # "lighten the colour of his skin": a lighter face, not more saturated
                continue
            out.append(OpHit(h.index, "saturation", 1, "a"))  # "brighten the colours", "brighter colours"
            continue
        if h.op == "blur" and names & {"contrast", "shadows", "highlights", "color", "saturation"}:
            continue  # "soften the contrast": a direction
        if h.op == "exposure" and h.pos == "v" and names & {"highlights"}:
            continue
        out.append(h)
    return out


def _coloured_state_after(cl: Clause, index: int) -> bool:
    """A copula and then a colour or a warmth word follow item `index` ("… is too yellow", "… looks cold")."""
    after = cl.items[index + 1 : index + 5]
    return any(it.has("copula") for it in after) and any(
        it.kind == "color" or it.has("op", "temperature") or it.has("op", "tint") for it in after
    )


def _about_skin(cl: Clause) -> bool:
    """The clause is about skin or a face ("the colour of the man's skin", "her complexion")."""
    return cl.has("region", "face") or cl.has_word("skin", "complexion")


def _own_verb_between(cl: Clause, verb: OpHit, hits: list[OpHit]) -> bool:
    """Another verb stands between a brightening verb and the tonal noun after it ("Lighten the whole image
    Remove glare"): the noun has its own verb, so the brightening is an edit of its own."""
    tonal = [h.index for h in hits if h.op in _TONAL - {"color"} and h.index > verb.index]
    if not tonal:
        return False
    between = cl.items[verb.index + 1 : tonal[0]]
    return any(it.has("op", "remove") or it.has("fixverb") or it.has("dir") or it.has("verb") for it in between)


def _director_sign(cl: Clause, hits: list[OpHit]) -> int | None:
    """The sign given by a brightening/darkening/softening word used as a direction for a tonal noun."""
    for h in cl.ops():
        it = cl.items[h.index]
        if h.op in ("brightness", "light") and h.pos != "n":
            return h.sign or 1
        if h.op == "blur" and it.text in ("soften", "soft", "softer", "smooth"):
            return -1
    return None


#: Words that say colours are wrong without saying how: a colour correction.
_WRONG = frozenset(
    {"off", "wrong", "weird", "strange", "odd", "funny", "bad", "unnatural", "fake", "messed up", "wonky"}
)


def _said_wrong(cl: Clause, index: int) -> bool:
    """A copula and a "wrong" word follow the colour noun ("the colours are off", "colours look weird")."""
    after = cl.items[index + 1 : index + 5]
    return any(it.has("copula") for it in after) and any(it.text in _WRONG for it in after)


def _director_index(cl: Clause) -> int | None:
    """Where the brightening/darkening word of _director_sign stands."""
    for h in cl.ops():
        if h.op in ("brightness", "light") and h.pos != "n":
            return h.index
    return None


def _softening(cl: Clause) -> bool:
    """A softening verb is present ("soften", "smooth")."""
    return any(
        cl.items[h.index].text in ("soften", "soft", "softer", "smooth") for h in cl.ops() if h.op == "blur"
    )


def _plan_hit(
    cl: Clause,
    ctx: Ctx,
    hit: OpHit,
    hits: list[OpHit],
    bands: list[Item],
    targets: list[tuple[int, Item]],
    edges_only: bool,
) -> list[tuple[str, dict[str, Any], str | None]]:
    """The planned op(s) for one trigger."""
    cl.focus = hit.index
    op = hit.op
    sign = sign_of(cl, hit)
    director = _director_sign(cl, hits)
    if op in _TONAL and director is not None and cl.direction_near(hit.index) is None:
        at = _director_index(cl)
        complaint = inverted(cl, hit.index, "a") or (at is not None and at > hit.index and inverted(cl, at, "a"))
        sign = director * (-1 if complaint else 1)  # "the shadows are too dark": lift them
    elif op in ("contrast", "saturation") and director == -1 and hit.sign == 0 and _softening(cl):
        sign = -1  # "soften the contrast"
    if cl.has("recover") and op in ("highlights", "shadows"):
        sign = -1 if op == "highlights" else 1
    if op == "highlights" and cl.has_word("blown", "clipped", "burnt", "burned", "overexposed", "blow"):
        sign = -1  # "the highlights are blown": recover them
    if cl.has("deepen") and op == "shadows":
        sign = -1
    band = band_name(bands[0]) if bands else None
    if (
        hit.sign == 0
        and hit.pos == "n"
        and cl.has("fixverb")
        and not cl.quantities
        and cl.level() is None
        and not targets
        and cl.direction_near(hit.index) is None
        and op in ("exposure", "contrast", "color", "brightness", "saturation", "temperature", "tint")
        and not (op in ("color", "saturation") and _removes_colour(cl, op))  # "remove colour": grayscale
    ):
        # "fix the exposure", "correct the colours": no direction given, so an automatic correction
        if op in ("color", "temperature", "tint"):
            return [("white_balance", {}, None)]
        return [("auto_levels", {"clip": DEFAULT_AMOUNTS["auto_levels"]}, None)]
    if op == "brightness" and edges_only:
        return [("vignette", {"amount": amount_of(cl, "vignette", -sign)}, "all")]
    if op == "brightness":
        stops = cl.quantity("stops")
        if stops is not None:
            return [("exposure", {"stops": clamp("exposure", sign * abs(stops.value))}, None)]
        return [("brightness", {"amount": amount_of(cl, "brightness", sign)}, None)]
    if op == "exposure":
        stops = cl.quantity("stops") or cl.quantity("bare")
        pct = cl.quantity("percent")
        if stops is not None:
            value = stops.value if stops.signed else sign * abs(stops.value)
        elif pct is not None:
            value = sign * math.log2(1 + abs(pct.value) / 100)
        elif cl.first("frac") is not None:
            value = sign * float(cl.first("frac")[1].value)  # type: ignore[index]
        else:
            value = sign * DEFAULT_AMOUNTS["exposure"] * (cl.level() or 1.0)
        return [("exposure", {"stops": round(clamp("exposure", value), 4)}, None)]
    if op in ("contrast", "highlights", "shadows", "vibrance", "temperature"):
        return [(op, {"amount": amount_of(cl, op, sign)}, None)]
    if op == "tint":
        if targets:
            return []  # the colour words carry it (see _color_targets, _cast)
        if cl.has_word("cast", "tinge") or cl.has("fixverb") or cl.op("remove") or (sign < 0 and hit.sign == 0):
            return [("white_balance", {}, None)]  # "fix the colour cast", "less tint"
        return [("tint", {"amount": amount_of(cl, "tint", sign)}, None)]
    if op == "gamma":
        bare = cl.quantity("bare")
        if bare is not None and 0.1 <= bare.value <= 10 and cl.has_word("gamma"):
            return [("gamma", {"gamma": bare.value}, None)]
        dev = abs(amount_of(cl, "gamma", 1))
        g = 1 + dev if sign > 0 else 1 / (1 + dev)
        return [("gamma", {"gamma": round(g, 4)}, None)]
    if op in ("saturation", "color"):
        if op == "color" and hit.sign == 0 and cl.has_word(*_NATURAL) and not bands:
            return [("white_balance", {}, None)]  # "make the colours look more natural"
        if op == "color" and hit.sign == 0 and not bands and _said_wrong(cl, hit.index):
            return [("white_balance", {}, None)]  # "the colours are off", "the colours look weird"
        if _removes_colour(cl, op):
            if _partial(cl):
                # "take out some of the colour", "drain a bit of the saturation": less, not none
                return [("saturation", {"amount": -abs(amount_of(cl, "saturation", -1))}, None)]
            return [("grayscale", {"amount": 1.0}, None)]
        if (
            op == "saturation"
            and sign < 0
            and cl.has_word("completely", "fully", "entirely", "totally", "all")
        ):
            return [("grayscale", {"amount": 1.0}, None)]
        amount = amount_of(cl, "saturation", sign)
        if len(bands) > 1:
            return [("saturation", {"amount": amount, "band": band_name(b)}, None) for b in bands]
        params: dict[str, Any] = {"amount": amount}
        if band:
            params["band"] = band
        return [("saturation", params, None)]
    if op == "hue":
        if any(i < 0 for i, _ in targets):
            return []  # "a pink hue": a cast (see _cast)
        if (cl.has("fixverb") or cl.has_word(*PALING_VERBS)) and not cl.quantities:
            return [("white_balance", {}, None)]  # "fix the hue", "whiten the hue": a colour correction
        deg = cl.quantity("degrees") or cl.quantity("bare")
        pct = cl.quantity("percent")
        if deg is not None:
            value = deg.value
        elif pct is not None:
            # a percentage of a hue shift is that fraction of the colour wheel: 20% → 72°
            value = pct.value / 100 * 360 if pct.signed else sign * abs(pct.value) / 100 * 360
            value = (value + 180) % 360 - 180 if abs(value) > 180 else value
        else:
            value = sign * DEFAULT_AMOUNTS["hue_shift"] * (cl.level() or 1.0)
        params = {"degrees": clamp("hue_shift", float(value))}
        if band:
            params["band"] = band
        return [("hue_shift", params, None)]
    if op == "grayscale":
        hedged = cl.has_word("almost", "nearly", "practically", "basically", "virtually") or cl.has("too")
        if hedged and stated_at(cl, hit.index) and not cl.has_word("now") and not cl.has("fixverb"):
            # "the photo looks black and white almost": too little colour, a complaint; a plain
            # "the image is black and white" describes the result wanted (as "the image is brighter")
            return [("vibrance", {"amount": amount_of(cl, "vibrance", 1)}, None)]
        return [("grayscale", {"amount": unit_amount(cl, "grayscale")}, None)]
    if op == "sepia":
        described = cl.has_word("now") and cl.op("remove") is None and not cl.has("fixverb") and not cl.has("too")
        if sign < 0 and not described:  # "the image is now in sepia": the result described, not a complaint
            return [("white_balance", {}, None)]  # "remove the sepia tone": neutralise the brown
        return [("sepia", {"amount": unit_amount(cl, "sepia")}, None)]
    if op == "colorize":
        if not targets and {h.op for h in hits} & {"sepia", "grayscale"}:
            return []  # "tone it sepia": the named toning is the op
        if not targets:
            raise UnsupportedInstruction(
                f'cannot do "{cl.text}" with the builtin engine: colourising needs a colour to tone with '
                f'(e.g. "tone it blue"); real colourisation needs a generative model ({GENERATIVE_HINT})',
                fragment=cl.text,
                engine_hint="generative",
            )
        rgb = list(targets[0][1].value)
        return [("colorize", {"color": rgb, "amount": amount_of(cl, "colorize", 1)}, None)]
    if op == "invert":
        return [("invert", {}, None)]
    if op in ("sharpen", "blur"):
        real = op if sign > 0 else ("blur" if op == "sharpen" else "sharpen")
        return [(real, {"amount": amount_of(cl, real, 1)}, None)]
    if op in ("denoise",):
        return [("denoise", {"amount": amount_of(cl, "denoise", 1)}, None)]
    if op in ("noise", "grain"):
        # "the photo is really grainy": a complaint about grain (the adjective after a copula)
        complaint = inverted(cl, hit.index, "a") and not cl.has("dir", 1)
        if sign < 0 or complaint or cl.has_word("clean", "despeckle", "remove", "reduce"):
            return [("denoise", {"amount": amount_of(cl, "denoise", 1)}, None)]
        return [("grain", {"amount": amount_of(cl, "grain", 1)}, None)]
    if op == "vignette":
        tone, by_level = _vignette_tone(cl, hit.index)
        if tone is None:
            return [("vignette", {"amount": amount_of(cl, "vignette", sign)}, "all")]
        # "a white/light/bright vignette" lightens the corners (negative amount), "black/dark" darkens
        amount = abs(amount_of(cl, "vignette", 1))
        if by_level:
            amount = abs(amount_of(_without(cl, by_level), "vignette", 1))
        return [("vignette", {"amount": clamp("vignette", tone * amount)}, "all")]
    if op == "pixelate":
        # "it's very pixelated", "less pixelated", "fix the pixelation": smooth the blocks, never add more
        complaint = inverted(cl, hit.index, "a") and not cl.has("dir", 1)
        if sign < 0 or complaint or cl.has("fixverb") or cl.has_word("clean", "remove", "reduce", "fix"):
            return [("denoise", {"amount": amount_of(cl, "denoise", 1)}, None)]
        return [("pixelate", {"amount": amount_of(cl, "pixelate", 1)}, None)]
    if op == "auto":
        return [("auto_levels", {"clip": DEFAULT_AMOUNTS["auto_levels"]}, None)]
    if op == "white_balance":
        return [("white_balance", {}, None)]
    if op in ("clarity", "dehaze"):
        return [(op, {"amount": amount_of(cl, op, sign)}, None)]
    if op == "enhance":
        others = [h for h in hits if h.op not in ("enhance", "auto", "look", "match")]
        if bands and not others and band == "skin" and (cl.has_word(*_NATURAL) or cl.has("fixverb")):
            return [("white_balance", {}, "face")]  # "correct the skin tones", "more natural skin tone"
        if bands and not others:
            # "enhance the green tones": more of that band
            more = amount_of(cl, "saturation", 1)
            return [("saturation", {"amount": more, "band": band_name(b)}, None) for b in bands]
        if others or cl.has("lookname") or targets:
            return []  # "enhance the colours": a direction for the other op
        words = " ".join(lem for it in cl.items for lem in it.lemmas)
        return [(o, p, None) for o, p in recipe_steps(recipe_for(words))]
    return []


def _vignette_tone(cl: Clause, index: int) -> tuple[int | None, int | None]:
    """The tone a vignette's modifiers ask for: +1 dark corners, -1 light corners, None unsaid.

    Also returns the index of a modifier that doubles as an intensity word ("light"), so that it is not
    read as "slight" as well. Modifiers are the words between the article/verb and the noun.
    """
    tone: int | None = None
    level_word: int | None = None
    j = index - 1
    while j >= 0:
        it = cl.items[j]
        if it.kind == "color":
            r, g, b = it.value
            y = 0.299 * r + 0.587 * g + 0.114 * b
            if y >= 180:
                tone = -1
            elif y <= 60:
                tone = 1
        elif it.has("level") and it.text.lower() in ("light", "lightly"):
            pass  # "a light vignette" is a subtle one (photographers' usage); "white/bright" set the tone
        elif any(
            s.kind == "op" and (s.value == "light" or (s.value == "brightness" and s.pos != "n"))
            for s in it.senses
        ):
            sign = next(s.sign for s in it.senses if s.kind == "op" and s.value in ("brightness", "light"))
            tone = -1 if sign > 0 else 1
            if it.has("level"):
                level_word = j
        elif not (it.has("level") or it.has("thick") or it.has("sizeword") or it.has("opacity")):
            break
        j -= 1
    return tone, level_word


def _without(cl: Clause, index: int) -> Clause:
    """The clause with one modifier made inert (a word used as a colour, not as an amount)."""
    items = list(cl.items)
    it = items[index]
    items[index] = Item("phrase", it.text, None, [Sense(SenseKind.STOP)], it.lemmas)
    out = Clause(items, cl.text)
    out.focus = cl.focus
    return out


def _color_targets(
    cl: Clause, hits: list[OpHit], bands: list[Item], targets: list[tuple[int, Item]], regions: list[str]
) -> list[tuple[str, dict[str, Any], str | None]]:
    """Colour words as goals: "bluer" (cooler), "more green" (tint), "the blues more purple" (hue shift)."""
    if not targets:
        if bands and not hits:
            d = cl.direction_near(len(cl.items))
            sign = d[1] if d else 1
            at = next((i for i, it in enumerate(cl.items) if it is bands[0]), None)
            if at is not None and inverted(cl, at, "n"):
                sign = -sign  # "the reds are too strong"
            return [
                (
                    "saturation",
                    {"amount": amount_of(cl, "saturation", sign), "band": band_name(b), "_from_color": True},
                    None,
                )
                for b in bands
            ]
        return []
    if any(h.op in ("colorize", "tint") for h in hits) and not any(h.op == "tint" for h in hits):
        return []
    idx, it = targets[0]
    hit = OpHit(idx, "color-target", 1, "c")
    sign = sign_of(cl, hit)
    out: list[tuple[str, dict[str, Any], str | None]] = []
    hue = hue_of(it.value)
    if bands:
        band = band_name(bands[0])
        band_hue = HUE_OF.get(band or "", None)
        if hue is not None and band_hue is not None:
            delta = (hue - band_hue + 180) % 360 - 180
            partial = it.comparative or cl.has("dir", 1)
            out.append(
                (
                    "hue_shift",
                    {
                        "degrees": round(delta * (0.5 if partial else 1.0), 1),
                        "band": band,
                        "_from_color": True,
                    },
                    None,
                )
            )
        return out
    prev = cl.prev_content(idx)
    own_direction = (
        prev is not None
        and cl.items[prev].has("dir")
        and cl.items[prev].text not in ("up", "down")
        and cl.np_head(idx) is None  # "add a white vignette": the colour describes the vignette
    ) or (hue_of(it.value) is not None and cl.has("copula") and inverted(cl, idx, "c"))  # "dark and a bit yellow"
    if hits and any(h.op not in ("tint", "look", "color", "match", "enhance") for h in hits) and not own_direction:
        return []  # colours here describe something else ("a warm orange glow" is handled by its op)
    if "sky" in regions and hue is not None:
        band = band_name(it)
        return [
            (
                "saturation",
                {"amount": amount_of(cl, "saturation", sign), "band": band, "_from_color": True},
                None,
            )
        ]
    if hue is None:
        r, g, b = it.value
        y = 0.299 * r + 0.587 * g + 0.114 * b
        if y > 215:
            return [("brightness", {"amount": amount_of(cl, "brightness", sign), "_from_color": True}, None)]
        if y < 40:
            return [("brightness", {"amount": amount_of(cl, "brightness", -sign), "_from_color": True}, None)]
        if sign < 0:
            # "it looked so grey", "less grey": a dull picture, so more colour (never black and white)
            return [("saturation", {"amount": amount_of(cl, "saturation", 1), "_from_color": True}, None)]
        return [("grayscale", {"amount": 1.0, "_from_color": True}, None)]
    out = _toward_hue(cl, hue, sign, it)
    for _, other in targets[1:]:
        other_hue = hue_of(other.value)
        if other_hue is None:
            continue
        more = _toward_hue(cl, other_hue, sign, other)
        if all(op != more[0][0] for op, _, _ in out):
            out += more  # "add blue and green": a cool and a green shift, one step each
    return out


def enhance_steps(cl: Clause, ctx: Ctx, recipe: str | None = None) -> Steps:
    """An automatic improvement from the enhance family (the recipe the clause's words ask for)."""
    name = recipe or recipe_for(" ".join(lem for it in cl.items for lem in it.lemmas))
    return [make_step(op, params, cl, ctx) for op, params in recipe_steps(name)]
