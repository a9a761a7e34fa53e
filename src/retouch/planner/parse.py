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
"""

from __future__ import annotations

import colorsys
import dataclasses
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from retouch.errors import UnsupportedInstruction
from retouch.ops.catalog import CATALOG
from retouch.schema import EditPlan, PlanStep

from .amounts import DEFAULT_AMOUNTS, RANGES, STRENGTH_OPS, clamp, level_amount
from .clause import DETERMINERS, Clause, OpHit, Quantity, is_head, is_modifier, ratio_ints
from .colors import HUE_OF
from .items import Item, chunk
from .lexicon import GENERATIVE_PHRASES, Sense
from .regions import light_direction, position_in, refs_in, regions_in, resolve_ref
from .text import Token, extract_quotes, normalise, tokenize

GENERATIVE_HINT = "try the openai or diffusers engine, or model=auto to route"
EXAMPLES = (
    '"make it brighter", "crop to 16:9", "blur the background", "add the caption \'Hello\' at the bottom"'
)


@dataclass
class Ctx:
    """What the planner knows besides the words: how many images, whether a mask was given."""

    n_images: int
    has_mask: bool
    prompt: str = ""
    last_family: str = ""
    original: str = ""
    notes: list[str] = field(default_factory=list)
    no_crop: bool = False


Steps = list[PlanStep]


# ================================================================ entry point


def plan_from_text(prompt: str, *, n_images: int = 1, has_mask: bool = False) -> EditPlan:
    """Read an instruction into a plan of steps, or raise UnsupportedInstruction naming what it cannot do."""
    if prompt is None or not prompt.strip():
        raise UnsupportedInstruction(f"the prompt is empty: say what to change, e.g. {EXAMPLES}")
    ctx = Ctx(n_images=max(1, n_images), has_mask=has_mask, prompt=prompt)
    stripped, quotes = extract_quotes(prompt)
    ctx.original = stripped
    items = _chunk_joining_adjectives(tokenize(normalise(stripped), quotes))
    clauses = [Clause(seg, fragment_text(seg)) for seg in split_clauses(items)]
    steps: Steps = []
    vague_fix = False
    for cl in clauses:
        if _is_vague_fix(cl):
            vague_fix = True  # "…, fix it": the complaint before it says what to fix
            continue
        got = interpret(cl, ctx)
        _check_no_dropped_verb(cl, got)
        steps += got
    if ctx.no_crop:
        for st in steps:
            if st.op == "resize" and st.params.get("fit") == "cover":
                st.params["fit"] = "contain"
    if not steps and vague_fix:
        steps = _enhance_steps(clauses[-1], ctx)
    if not steps:
        raise UnsupportedInstruction(
            f'found no edit in "{prompt.strip()}": say what to change, e.g. {EXAMPLES}',
            fragment=prompt.strip(),
        )
    return EditPlan(prompt=prompt, steps=_dedupe(steps))


def _check_no_dropped_verb(cl: Clause, steps: Steps) -> None:
    """A recognised edit verb ("darken", "blur") that produced no step is refused by name, never dropped."""
    if steps or cl.has("neg"):
        return
    verbs = [h for h in cl.ops() if h.pos == "v" and h.sign != 0 and h.op in _ADJUST_OPS - {"look", "match"}]
    if verbs:
        word = cl.items[verbs[0].index].text
        raise UnsupportedInstruction(
            f'understood "{word}" in "{cl.text}" but could not tell what to apply it to; '
            f'say it as its own edit, e.g. "{word} the background"',
            fragment=cl.text,
        )


# ================================================================ clauses


def _is_separator(it: Item) -> bool:
    """Punctuation between clauses, or a word whose only sense is a clause separator ("and", "then")."""
    if it.kind == "punct":
        return it.text in (",", ";", ".", "!", "?", ":")
    return bool(it.senses) and all(s.kind == "sep" for s in it.senses)


_STANDING = {
    "dir",
    "recover",
    "deepen",
    "fixverb",
    "verb",
    "too",
    "copula",
    "neg",
    "enough",
    "lookname",
    "rotdir",
    "updown",
}
_HARMLESS = {"polite", "stop", "filler", "copula", "imgnoun", "for", "sep", "enough"}


def _self_standing(seg: list[Item]) -> bool:
    """A segment with its own verb, direction or adjective can stand as a clause."""
    if seg and seg[0].unknown and any(s.kind == "op" for it in seg for s in it.senses):
        return True  # "bump contrast 20%": an unknown first word is most likely a verb
    for it in seg:
        for s in it.senses:
            if s.kind in _STANDING or (s.kind == "op" and s.pos in ("a", "v")):
                return True
        if it.kind in ("quote",) or (it.kind == "color" and it.comparative):
            return True
    return False


def _shares(prev: list[Item], seg: list[Item]) -> bool:
    """Whether a verbless fragment borrows the previous clause's verb.

    "reduce the contrast and saturation" shares "reduce"; "warm it up, then a gentle vignette" does not:
    a fragment naming its own op only borrows a generic direction ("add", "reduce", "more").
    """
    own_op = any(
        s.kind == "op" and s.value not in ("color", "look", "light") for it in seg for s in it.senses
    )
    if not own_op:
        return True  # colours, regions, amounts: "from white and gray", "the sky and the background"
    return any(s.kind in ("dir", "verb") for it in prev for s in it.senses)


def _known_content(seg: list[Item]) -> bool:
    """At least one item that means something to an edit (so "qwzx plorb" is not swallowed by a merge)."""
    return any(
        it.kind != "word" or any(s.kind not in _HARMLESS for s in it.senses)
        for it in seg
        if it.kind != "punct"
    )


def _empty(seg: list[Item]) -> bool:
    """Only politeness and filler ("please", "thanks")."""
    return all(
        it.kind == "punct" or (it.senses and all(s.kind in _HARMLESS for s in it.senses)) for it in seg
    )


def _verbs_only(seg: list[Item]) -> bool:
    """Only op verbs/adjectives and glue: "darken and blur the background" shares its object."""
    has_op = False
    for it in seg:
        if any(s.kind == "op" and s.pos in ("a", "v") for s in it.senses):
            has_op = True
        elif not (it.senses and all(s.kind in ("polite", "level", "dir") for s in it.senses)):
            return False
    return has_op


_NP_ARTICLES = frozenset({"a", "an", "the", "some"})


def _chunk_joining_adjectives(tokens: list[Token]) -> list[Item]:
    """Chunk the tokens, dropping commas between coordinate adjectives ("a soft, dark vignette").

    Such a comma is not a clause separator: the phrase is read exactly as without it, so that
    multi-word colours ("soft gray") chunk as they would.
    """
    items = chunk(tokens)
    drop: set[int] = set()
    pos = 0  # token index of the current item
    start = 0  # first item of the current clause
    for k, it in enumerate(items):
        if _is_separator(it):
            if it.text == "," and _inside_noun_phrase(items[start:k], items[k + 1 :]):
                drop.add(pos)
            else:
                start = k + 1
        pos += len(it.lemmas) if it.kind in ("phrase", "color") else 1
    if not drop:
        return items
    return chunk([t for n, t in enumerate(tokens) if n not in drop])


def _inside_noun_phrase(before: list[Item], after: list[Item]) -> bool:
    """A comma between modifiers of one op noun: "a soft, dark vignette", "a subtle, warm tone".

    Before it: an article then only modifiers; after it: only modifiers then the op head noun.
    """
    k = len(before)
    while k > 0 and (is_modifier(before[k - 1]) or before[k - 1].text == ","):
        k -= 1
    if not any(is_modifier(it) for it in before[k:]) or k == 0 or before[k - 1].text not in _NP_ARTICLES:
        return False
    for it in after:
        if is_head(it):
            return True
        if not (is_modifier(it) or it.text == ","):
            return False
    return False


def split_clauses(items: list[Item]) -> list[list[Item]]:
    """Split at separators, then re-join fragments that cannot stand alone (shared verbs, colour pairs)."""
    segs: list[list[Item]] = []
    cur: list[Item] = []
    for it in items:
        if _is_separator(it):
            if cur:
                segs.append(cur)
            cur = []
            continue
        cur.append(it)
    if cur:
        segs.append(cur)
    segs = [s for s in segs if not _empty(s)] or segs
    merged: list[list[Item]] = []
    for seg in segs:
        if merged and _amount_only(seg):
            # "more saturation, like +40%", "brighten it, say 15%": the amount of the previous step
            merged[-1] = merged[-1] + [it for it in seg if it.text not in _AMOUNT_FILLER]
            continue
        if (
            merged
            and not _self_standing(seg)
            and not _empty(seg)
            and _known_content(seg)
            and _shares(merged[-1], seg)
        ):
            # "increase the contrast and saturation", "a gradient from white and gray": one clause
            merged[-1] = merged[-1] + [_AND] + seg
        else:
            merged.append(seg)
    if len(merged) > 1 and not _self_standing(merged[0]) and not _empty(merged[0]):
        merged[1] = merged[0] + [_AND] + merged[1]
        merged = merged[1:]
    out: list[list[Item]] = []
    i = 0
    while i < len(merged):
        # "darken and blur the background", "sharpen, brighten and warm her face": verbs with no object
        # of their own share the object of the first following clause that names a place; each verb
        # becomes its own clause on that object, so that none of them is lost to the other.
        j = i
        while j < len(merged) and _verbs_only(merged[j]):
            j += 1
        if j > i and j < len(merged) and any(it.has("region") or it.has("bg") for it in merged[j]):
            obj = _object_of(merged[j])
            if obj:
                out += [[*seg, *obj] for seg in merged[i:j]]
                out.append(merged[j])
                i = j + 1
                continue
        out.append(merged[i])
        i += 1
    return [s for s in out if not _empty(s)]


#: Hedges around a bare amount ("like +40%", "say 15%", "around 30 percent", "e.g. 20%"): dropped.
_AMOUNT_FILLER = frozenset(
    {
        "like",
        "say",
        "about",
        "around",
        "maybe",
        "perhaps",
        "roughly",
        "approximately",
        "approx",
        "eg",
        "circa",
        "ca",
        "something like",
        "or so",
        "ish",
        "give or take",
        "let s say",
        "let",
        "just",
    }
)


def _amount_only(seg: list[Item]) -> bool:
    """A fragment that is only an amount, perhaps hedged: "like +40%", "say 15%", "around 30 percent"."""
    if not any(it.kind == "num" for it in seg):
        return False
    return all(
        it.kind in ("num", "punct")
        or it.has("unit")
        or it.text in _AMOUNT_FILLER
        or (it.senses and all(s.kind in ("stop", "polite", "to", "by") for s in it.senses))
        for it in seg
    )


def _object_of(seg: list[Item]) -> list[Item]:
    """What follows a clause's leading verbs ("blur the background" → "the background")."""
    k = 0
    while k < len(seg) and (
        any(s.kind == "op" and s.pos in ("a", "v") for s in seg[k].senses)
        or (seg[k].senses and all(s.kind in ("polite", "level", "dir") for s in seg[k].senses))
    ):
        k += 1
    return seg[k:] if 0 < k < len(seg) else []


_AND = Item("phrase", "and", None, [], ("and",))


def fragment_text(items: list[Item]) -> str:
    """The clause as text, quotes restored, for step.text and error messages."""
    words: list[str] = []
    for it in items:
        if it.kind == "quote":
            words.append(f'"{it.value}"')
        elif it.kind == "punct" and words and it.text == "%":
            words[-1] += "%"
        else:
            words.append(it.text)
    return re.sub(r"\s+", " ", " ".join(words)).strip()


def _is_vague_fix(cl: Clause) -> bool:
    """ "fix it", "correct that": a fix with no object, whose meaning comes from another clause."""
    content = [
        it for it in cl.items if not (it.senses and all(s.kind in ("polite", "stop") for s in it.senses))
    ]
    return bool(content) and all(it.has("fixverb") and it.has("op", "enhance") for it in content)


# ================================================================ one clause


def interpret(cl: Clause, ctx: Ctx) -> Steps:
    """Steps for one clause (possibly none for filler), or UnsupportedInstruction."""
    if _harmless(cl):
        return []
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
    if _vague_request(cl):
        return _enhance_steps(cl, ctx)  # "do something cool", "make it look better": an automatic fix
    if cl.has("neg") and not cl.has("enough") and not geometry:
        return _negated(cl, ctx)
    if _crop_refused(cl) and not cl.kinds("size") and _ratio(cl) is None:
        ctx.no_crop = True  # "…, but don't crop": a constraint on the resize (see plan_from_text)
        return []
    for family, builder in BUILDERS:
        steps = builder(cl, ctx)
        if steps is not None:
            if family not in ("text", "place", "background", "match"):
                _check_targets(cl)  # "make the cup bigger", "brighten the car": a thing it cannot find
            ctx.last_family = family
            return steps
    raise _refusal(cl)


_SOCIAL = frozenset({"instagram", "insta", "ig"})
_FORMAT_WORDS = frozenset(
    {"post", "size", "sized", "format", "portrait", "square", "story", "feed", "profile", "upload", "ratio"}
)
_VINTAGE = Sense("lookname", "vintage")


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


_VAGUE_OBJECTS = frozenset({"something", "anything", "stuff", "magic"})
_PRAISE = frozenset({"cool", "nice", "interesting", "amazing", "awesome", "great", "good", "fun", "special"})


def _vague_request(cl: Clause) -> bool:
    """ "do something cool/nice/interesting", "make it better looking": no edit named, only praise.

    "cool" is praise here (not a temperature) because it describes "something"; the temperature reading
    needs it to describe the colours, tones, the look or the image, or to be the verb ("cool it down").
    """
    if cl.kinds("quote") or cl.colors() or cl.quantities or cl.has("lookname") or refs_in(cl):
        return False
    if any(it.generative for it in cl.items):
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
        it.kind == "punct" or (it.senses and all(s.kind in _HARMLESS | {"verb", "op"} for s in it.senses))
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
        raise _generative(cl)  # restoring an old photo means inventing lost detail
    if {"colorize", "recolor", "recolour"} & set(lem) and not cl.colors():
        raise _generative(cl)  # colourising without a colour to tone with means guessing real colours
    joined = " " + " ".join(lem) + " "
    for phrase in GENERATIVE_PHRASES:
        if " " + " ".join(phrase) + " " in joined:
            tail = [it for it in cl.items if it.unknown or it.generative]
            if tail and not refs_in(cl):
                raise _generative(cl)


_EXCEPT = frozenset({"except", "excluding", "apart from", "other than", "but not", "save for", "besides"})


def _colour_splash(cl: Clause, ctx: Ctx) -> Steps | None:
    """ "desaturate everything except the reds", "keep only the red", "colour splash on the red".

    An exclusion of a hue band (not of a region) can be done: saturation on every band but that one
    (amount -1 unless the clause gives one). Other ops next to the exclusion are left to the refusal.
    """
    colors = cl.colors()
    if not colors:
        return None
    idx, item = colors[0]
    band = _band_name(item)
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
        amount = -abs(_amount(cl, "saturation", -1))
    return [_step("saturation", {"amount": amount, "except_band": band}, cl, ctx)]


def _negated(cl: Clause, ctx: Ctx) -> Steps:
    """Constraints ("keep the colours natural") are harmless; exclusions of a region cannot be done."""
    regions = [s.value for _, s in cl.senses("region")] + (["background"] if cl.has("bg") else [])
    if regions or cl.sides():
        named = [it.text for it in cl.items if it.has("region") or it.has("bg") or it.has("side")]
        excl = next((it.text for it in cl.items if it.has("neg")), "except")
        raise UnsupportedInstruction(
            f'cannot do "{cl.text}" with the builtin engine: it cannot leave out part of the image by name '
            f'("{excl} {" ".join(named)}"); mark the area to edit with a mask (--mask) instead',
            fragment=cl.text,
        )
    return []


def _refusal(cl: Clause) -> UnsupportedInstruction:
    """Nothing here is an edit the builtin engine knows: generative if it reads as English, else unknown."""
    glue = {"stop", "polite", "unit", "to", "by", "sep", "filler"}
    known = [
        it
        for it in cl.items
        if any(s.kind not in glue for s in it.senses) or it.generative or it.kind in ("color", "quote")
    ]
    if not known:
        return UnsupportedInstruction(
            f'could not understand "{cl.text}": the builtin engine knows edits like {EXAMPLES}',
            fragment=cl.text,
        )
    return _generative(cl)


def _generative(cl: Clause) -> UnsupportedInstruction:
    """The standard refusal for edits that need a generative model."""
    return UnsupportedInstruction(
        f'cannot do "{cl.text}" with the builtin engine: it needs a generative model ({GENERATIVE_HINT})',
        fragment=cl.text,
        engine_hint="generative",
    )


def _check_targets(cl: Clause) -> None:
    """Refuse when the edit is aimed at a thing the engine cannot find ("brighten the car", "her eyes")."""
    end = cl.after_for()
    for i, it in enumerate(cl.items[:end]):
        if not (it.unknown or it.generative):
            continue
        prev = cl.items[i - 1] if i > 0 else None
        if prev is None:
            continue
        prev_words = prev.text.split()
        verb_object = any(s.kind == "op" and s.pos == "v" for s in prev.senses) and it.unknown
        if (
            (prev_words and prev_words[-1] in DETERMINERS)
            or prev.has("region", "subject")
            or prev.kind == "color"
            or verb_object
        ):
            thing = it.text if verb_object else f"{prev.text} {it.text}"
            raise UnsupportedInstruction(
                f'cannot do "{cl.text}" with the builtin engine: it cannot find "{thing}" in the image; '
                f"mark it with a mask (--mask), or use a generative model ({GENERATIVE_HINT})",
                fragment=cl.text,
                engine_hint="generative",
            )


def _step(op: str, params: dict[str, Any], cl: Clause, ctx: Ctx, region: str | None = None) -> PlanStep:
    """A PlanStep with the default region rule: regional ops go to the mask when there is one."""
    info = CATALOG[op]
    if not info.regional:
        region = "all"
    elif region is None or region == "all":
        region = "mask" if ctx.has_mask else "all"
    return PlanStep(op=op, params=params, region=region, text=cl.text)


# ================================================================ amounts


def _amount(cl: Clause, op: str, sign: int) -> float:
    """The amount for `op`: a percentage, fraction or multiple if given, else the default × intensity."""
    pct = cl.quantity("percent")
    if pct is not None:
        v = pct.value / 100
        if pct.target:
            return clamp(op, v - 1) if op not in STRENGTH_OPS | _UNIPOLAR else clamp(op, v)
        if pct.signed:
            return clamp(op, v)
        return clamp(op, sign * abs(v))
    mult = cl.first("mult")
    times = cl.quantity("times")
    if mult is not None or (times is not None and times.value > 0):
        # "twice as bright", "2x brighter", "three times as saturated": a factor on the quantity itself
        m = float(mult[1].value) if mult is not None else times.value  # type: ignore[union-attr]
        if op in _FRACTION_OPS:
            return clamp(op, m - 1 if sign > 0 or m < 1 else 1 / m - 1)
        return clamp(op, sign * DEFAULT_AMOUNTS.get(op, 1.0) * m)
    frac = cl.first("frac")
    if frac is not None and not cl.sides():
        return clamp(op, sign * float(frac[1].value))
    bare = cl.quantity("bare")
    if bare is not None:
        v = bare.value
        hi = RANGES.get(op, (-1.0, 1.0))[1]
        if op in STRENGTH_OPS and abs(v) <= hi:
            return clamp(op, abs(v))
        scaled = v if abs(v) <= 1 else v / 100
        return clamp(op, scaled if bare.signed else sign * abs(scaled))
    lvl = cl.level()
    return level_amount(op, sign, lvl if lvl is not None else 1.0)


_FRACTION_OPS = frozenset({"brightness", "contrast", "saturation", "vibrance"})
_UNIPOLAR = frozenset(
    {"grayscale", "sepia", "look", "colorize", "match_color", "grain", "pixelate", "relight"}
)


def _unit_amount(cl: Clause, op: str) -> float:
    """An amount in 0..1 for "how much of the effect" ops (looks, grayscale, match): 1 unless softened."""
    pct = cl.quantity("percent")
    if pct is not None:
        return clamp(op, pct.value / 100)
    lvl = cl.level()
    if cl.has_word("partially", "partly", "half", "halfway", "partial"):
        return 0.5
    return clamp(op, min(1.0, lvl if lvl is not None else 1.0))


def _sign(cl: Clause, hit: OpHit) -> int:
    """Direction of an op trigger: its own sign × the clause's direction, inverted by "too"/"is"/"fix"."""
    base = hit.sign or 1
    d = cl.direction_near(hit.index)
    if d is not None and hit.sign != 0 and cl.items[d[0]].text in ("up", "down"):
        d = None  # "cool it down", "warm it up": the particle belongs to the verb
    s = base * (d[1] if d else 1)
    if hit.sign == 0:
        q = next(
            (q for q in cl.quantities if q.signed and q.unit in ("percent", "bare", "stops", "degrees")), None
        )
        if q is not None and d is None:
            s = 1 if q.value >= 0 else -1
        removal = cl.op("remove")
        if removal is not None and d is None:
            s = -1
    if _inverted(cl, hit.index, hit.pos):
        s = -s
    return s


def _inverted(cl: Clause, index: int, pos: str) -> bool:
    """ "too dark", "it is washed out", "fix the yellow cast": the wish is the opposite of the word."""
    if cl.has("enough"):
        return False
    if pos == "n":
        # "the colours are too strong", "the contrast is too high": a state after the noun
        after = cl.items[index + 1 : index + 4]
        if any(it.has("copula") for it in after) and any(it.has("too") for it in after):
            return True
    for i in range(index - 1, -1, -1):
        it = cl.items[i]
        if it.has("too"):
            return True
        if it.has("copula") and pos in ("a", "v", "c"):
            return not any(x.has("verb") and x.text in ("make", "get", "want", "need") for x in cl.items[:i])
        if it.has("fixverb") and pos in ("a", "c"):
            return True
    return False


# ================================================================ builders


def build_text(cl: Clause, ctx: Ctx) -> Steps | None:
    """Captions, titles and watermarks: quoted (or "saying …") text with position, size, colour, opacity."""
    quotes = cl.kinds("quote")
    trig = cl.op("text") or cl.op("watermark")
    if not quotes and trig is None:
        return None
    if not quotes and cl.op("watermark") and refs_in(cl):
        return None  # "add image 2 as a watermark": a placed image
    if not quotes and not (
        trig and (cl.has("dir", 1) or cl.has("verb") or cl.has_word("write", "say", "saying"))
    ):
        return None
    text = " ".join(str(it.value) for _, it in quotes) if quotes else _unquoted_text(cl, ctx)
    if (
        not text
        and trig is not None
        and trig.index > 0
        and cl.items[trig.index - 1].text in ("the", "this", "that")
    ):
        raise _generative(cl)  # "make the text bigger": editing text already in the photo
    if not text:
        raise UnsupportedInstruction(
            f'"{cl.text}": say the text to add in quotes, e.g. add the caption "Summer sale" at the bottom',
            fragment=cl.text,
        )
    style = (
        "watermark"
        if cl.op("watermark")
        else ("title" if cl.has_word("title", "heading", "headline") else "caption")
    )
    params: dict[str, Any] = {"text": text}
    params["position"] = (
        "tiled"
        if _TILED.search(cl.text)
        else position_in(cl) or {"watermark": "bottom-right", "title": "top"}.get(style, "bottom")
    )
    size = _text_size(cl)
    if size is not None:
        params["size"] = size
    colors = cl.colors()
    if colors:
        params["color"] = list(colors[0][1].value)
    opacity = _opacity(cl)
    if opacity is None and style == "watermark":
        opacity = 0.5
    if opacity is not None:
        params["opacity"] = opacity
    params["style"] = style
    return [_step("text", params, cl, ctx)]


#: Repeating the text over the image: "tiled", "repeated", "all over", "across the whole image".
_TILED = re.compile(
    r"\b(?:tiled?|tiling|repeat(?:ed|ing)?|all over|everywhere|"
    r"(?:across|over|covering) (?:the )?(?:whole|entire|full)(?: \w+)?)\b"
)


_STOP_TEXT = {
    "side",
    "to",
    "on",
    "from",
    "sizeword",
    "opacity",
    "opacityword",
    "level",
    "thick",
    "sep",
    "axis",
    "dim",
    "part",
    "gradient_dir",
}


_TEXT_LEADERS = frozenset(
    {
        "the",
        "a",
        "an",
        "that",
        "which",
        "saying",
        "says",
        "say",
        "reading",
        "reads",
        "read",
        "with",
        "of",
        "words",
        "text",
        "caption",
        "title",
        "is",
    }
)


def _unquoted_text(cl: Clause, ctx: Ctx) -> str:
    """Text after "saying"/"that reads"/"caption" up to the next placement word, in its original case."""
    start = None
    for i, it in enumerate(cl.items):
        if it.has("op", "text") or it.has("op", "watermark"):
            start = i + 1
    if start is None:
        return ""
    words: list[str] = []
    for k, it in enumerate(cl.items[start:], start):
        if it.kind == "punct" or any(s.kind in _STOP_TEXT for s in it.senses) or it.kind == "color":
            if words:
                break
            continue
        if words and it.text in ("in", "at", "on", "with", "using", "near", "along", "across", "written"):
            nxt = cl.next_content(k)
            if nxt is not None and (
                cl.items[nxt].kind == "color" or any(s.kind in _STOP_TEXT for s in cl.items[nxt].senses)
            ):
                break
        if not words and it.text in _TEXT_LEADERS:
            continue
        words.append(it.text)
    if not words:
        return ""
    pattern = r"\W+".join(re.escape(w) for w in " ".join(words).split())
    m = re.search(pattern, ctx.original, flags=re.IGNORECASE)
    return m.group(0) if m else " ".join(words)


def _text_size(cl: Clause) -> float | None:
    """Text height as a fraction of the image height: small 0.04, large 0.1, huge 0.15, or "10%"."""
    pct = cl.quantity("percent")
    if pct is not None and not _near(cl, pct.index, "opacityword") and not _near(cl, pct.index, "opacity"):
        return round(pct.value / 100, 4)
    for _i, it in enumerate(cl.items):
        s = it.sense("sizeword")
        if s is None or it.has("opacity"):
            continue
        if it.text in ("huge", "giant", "massive", "enormous", "oversized"):
            return 0.15
        if it.text in ("tiny", "mini", "fine print"):
            return 0.03
        return 0.1 if s.value == "large" else 0.04
    return None


def _opacity(cl: Clause) -> float | None:
    """Opacity 0..1: "50% opacity", "30% transparent" (→ 0.7), "semi-transparent" (0.5), "solid" (1)."""
    pct = cl.quantity("percent")
    if pct is not None:
        word = _near(cl, pct.index, "opacityword")
        if word is not None:
            v = pct.value / 100
            return round(1 - v, 4) if cl.items[word].text in ("transparent", "transparency") else round(v, 4)
    for it in cl.items:
        s = it.sense("opacity")
        if s is not None and (cl.op("watermark") or it.text not in ("light", "subtle", "faded")):
            return float(s.value) if it.text not in ("faint", "barely visible", "ghosted") else 0.3
    return None


def _near(cl: Clause, index: int, kind: str, span: int = 3) -> int | None:
    """Index of an item with a sense of `kind` within `span` items of `index`."""
    for j in range(max(0, index - span), min(len(cl.items), index + span + 1)):
        if cl.items[j].has(kind):
            return j
    return None


def build_place(cl: Clause, ctx: Ctx) -> Steps | None:
    """Overlay another input (a logo) at a position and scale."""
    refs = refs_in(cl)
    place = cl.op("place")
    placing_verb = cl.has_word("put", "add", "place", "insert", "overlay", "stamp", "paste")
    if place is None and not (refs and placing_verb and (cl.sides() or cl.op("watermark"))):
        return None
    if cl.has("bg") or (cl.has("on") and not cl.sides()):
        return None  # "put her on image 2" is a background, handled there
    if not refs:
        if place is None or cl.items[place.index].lemmas[0] not in (
            "logo",
            "overlay",
            "stamp",
            "sticker",
            "badge",
            "emblem",
            "icon",
        ):
            return None
        refs = ["logo"]
    spec = next((r for r in refs if r != "logo"), refs[0])
    ref = resolve_ref(spec, ctx.n_images, cl.text)
    params: dict[str, Any] = {"ref": ref, "position": position_in(cl) or "bottom-right"}
    pct = cl.quantity("percent")
    opacity = _opacity(cl)
    if pct is not None and not (_near(cl, pct.index, "opacityword")):
        params["scale"] = round(pct.value / 100, 4)
    else:
        size = _text_size(cl)
        if size is not None:
            params["scale"] = {0.03: 0.08, 0.04: 0.12, 0.1: 0.35, 0.15: 0.5}.get(size, 0.2)
    if opacity is None and cl.op("watermark"):
        opacity = 0.5
    if opacity is not None:
        params["opacity"] = opacity
    return [_step("place_image", params, cl, ctx)]


def build_background(cl: Clause, ctx: Ctx) -> Steps | None:
    """Replace, remove or blur the background; or confine tone/colour edits to it."""
    if cl.has_op("pad"):
        return None
    bg = cl.has("bg")
    colors = [(i, it) for i, it in cl.colors() if not it.comparative]
    refs = refs_in(cl)
    on = cl.has("on")
    subject_or_put = cl.has("region", "subject") or cl.has_word(
        "put", "place", "set", "show", "present", "pose"
    )
    anaphora = ctx.last_family == "background" and not cl.has("region") and colors and not cl.ops()
    trig = (
        bg
        or cl.has_op("transparent", "remove_bg", "bg_blur")
        or anaphora
        or (cl.has_op("gradient") and colors)
        or (on and (colors or refs) and subject_or_put)
    )
    if not trig:
        return None
    if cl.has_op("bg_blur") or (bg and cl.has_op("blur") and _sign(cl, cl.op("blur")) > 0):  # type: ignore[arg-type]
        amount = _amount(cl, "background_blur", 1)
        return [_step("background_blur", {"amount": amount}, cl, ctx)]
    if refs and (bg or on or cl.has_word("behind", "scene", "backdrop", "setting", "into")):
        ref = resolve_ref(refs[0], ctx.n_images, cl.text)
        return [_step("background_image", {"ref": ref}, cl, ctx)]
    wants_transparent = cl.has_op("transparent")
    if not wants_transparent and (cl.has_op("gradient") or len(colors) >= 2):
        rgbs = [list(it.value) for _, it in colors] or [[235, 235, 235], [160, 160, 160]]
        if not colors and any(it.text == "black and white" for it in cl.items):
            rgbs = [[0, 0, 0], [255, 255, 255]]  # "a black and white gradient": two colours, not grayscale
        if len(rgbs) == 1:
            c = rgbs[0]
            # One colour: a gentle gradient from a lighter tint of it to the colour itself.
            rgbs = [[round(v + (255 - v) * 0.45) for v in c], c]
        direction = next((str(s.value) for _, s in cl.senses("gradient_dir")), "vertical")
        return [_step("background_gradient", {"colors": rgbs, "direction": direction}, cl, ctx)]
    if colors and not wants_transparent:
        return [_step("background_color", {"color": list(colors[0][1].value)}, cl, ctx)]
    removal = cl.op("remove") or cl.op("remove_bg")
    if wants_transparent or cl.has_op("remove_bg") or (removal is not None and bg):
        return [_step("remove_background", {}, cl, ctx)]
    if bg:
        steps = build_adjust(cl, ctx)
        if steps:
            return steps
        if refs_in(cl) == [] and ctx.n_images >= 2 and cl.has_word("use", "replace", "swap", "change"):
            ref = resolve_ref("other", ctx.n_images, cl.text)
            return [_step("background_image", {"ref": ref}, cl, ctx)]
        if any(it.unknown or it.generative for it in cl.items):
            raise _generative(cl)
        raise UnsupportedInstruction(
            f'"{cl.text}": say what the background should become, e.g. "white", "a light gray gradient", '
            '"transparent", "blurred" or "the second image"',
            fragment=cl.text,
        )
    return None


def build_border(cl: Clause, ctx: Ctx) -> Steps | None:
    """A frame around the image: thickness words or a percentage, a colour; pixels become padding."""
    hit = cl.op("border")
    if hit is None or cl.has_op("crop", "resize") or (cl.items[hit.index].text == "frame" and not _adds(cl)):
        return None
    colors = cl.colors()
    color = list(colors[0][1].value) if colors else [255, 255, 255]
    px = cl.quantity("px") or (
        cl.quantity("bare") if cl.quantity("bare") and cl.quantity("bare").value >= 2 else None
    )
    if px is not None:
        n = round(px.value)
        return [
            _step("extend_canvas", {"top": n, "bottom": n, "left": n, "right": n, "color": color}, cl, ctx)
        ]
    pct = cl.quantity("percent")
    if pct is not None:
        width = pct.value / 100
    else:
        thick = [float(s.value) for _, s in cl.senses("thick")]
        width = thick[0] if thick else (0.05 if cl.has_word("polaroid") else DEFAULT_AMOUNTS["border"])
    params: dict[str, Any] = {"width": round(width, 4), "color": color}
    if cl.has_word("inside", "inner", "overlay", "over"):
        params["inside"] = True
    return [_step("border", params, cl, ctx)]


def _adds(cl: Clause) -> bool:
    """An adding verb or a describing word is present ("add a frame", "a thin white frame")."""
    return cl.has("dir", 1) or cl.has("verb") or bool(cl.colors()) or cl.has("thick")


def build_pad(cl: Clause, ctx: Ctx) -> Steps | None:
    """Padding / canvas extension: pixels per side, or to an aspect ratio, in a colour or transparent."""
    if not cl.has_op("pad"):
        return None
    sizes = [it.value for _, it in cl.kinds("size") if max(it.value) > 50]
    if sizes:
        # "resize to 800x600 with letterboxing": an exact size, met by padding rather than cropping
        w, h = sizes[0]
        return [_step("resize", {"width": int(w), "height": int(h), "fit": "contain"}, cl, ctx)]
    colors = cl.colors()
    if cl.has_op("transparent"):
        color: Any = "transparent"
    elif colors:
        color = list(colors[0][1].value)
    elif cl.has_word("letterbox", "letterboxing", "pillarbox", "bars"):
        color = [0, 0, 0]
    elif cl.has("bg") or cl.has_word("image", "photo", "picture", "scene", "edge", "edges"):
        color = "edge"
    else:
        color = [255, 255, 255]
    ratio = _ratio(cl)
    if ratio is not None:
        return [_step("extend_canvas", {"ratio": ratio, "color": color}, cl, ctx)]
    px = cl.quantity("px") or cl.quantity("bare")
    if px is not None:
        n = round(px.value)
        sides = _pad_sides(cl)
        params: dict[str, Any] = {s: (n if s in sides else 0) for s in ("top", "bottom", "left", "right")}
        params["color"] = color
        return [_step("extend_canvas", params, cl, ctx)]
    if color == "transparent" or color == "edge":
        raise UnsupportedInstruction(
            f'"{cl.text}": say how much to add in pixels, e.g. "add 100 px of transparent padding" '
            f"(extending the scene itself needs a generative model: {GENERATIVE_HINT})",
            fragment=cl.text,
        )
    pct = cl.quantity("percent")
    width = pct.value / 100 if pct is not None else 0.05 * (cl.level() or 1.0)
    return [_step("border", {"width": round(width, 4), "color": color}, cl, ctx)]


def _pad_sides(cl: Clause) -> set[str]:
    """Which sides padding goes on: named sides, or all four."""
    sides: set[str] = set()
    for _i, s in cl.sides():
        if s in ("top", "bottom", "left", "right"):
            sides.add(s)
        elif "-" in s:
            sides.update(s.split("-"))
    if cl.has_word("vertical", "vertically"):
        sides.update(("top", "bottom"))
    if cl.has_word("horizontal", "horizontally"):
        sides.update(("left", "right"))
    return sides or {"top", "bottom", "left", "right"}


def _ratio(cl: Clause) -> list[int] | None:
    """An aspect ratio in the clause: "16:9", "4 by 5", "square", "for instagram"; None if none."""
    for _i, it in cl.kinds("ratio"):
        return ratio_ints(*it.value)
    for _i, it in cl.kinds("size"):
        w, h = it.value
        if w <= 50 and h <= 50:
            return ratio_ints(w, h)
    for _i, s in cl.senses("aspect"):
        return list(s.value)
    return None


def build_crop(cl: Clause, ctx: Ctx) -> Steps | None:
    """Crops: to an aspect ratio (subject-aware), to a part ("the left half"), or away a part."""
    hit = cl.op("crop")
    ratio = _ratio(cl)
    other_ops = [h for h in cl.ops() if h.op not in ("crop", "look", "color", "resize", "remove")]
    bare_ratio = ratio is not None and all(
        it.kind in ("ratio", "size", "punct") or it.has("aspect") or _glue(it) for it in cl.items
    )
    implied = bare_ratio or (
        ratio is not None
        and not other_ops
        and not cl.has_op("resize")
        and (cl.has("verb") or cl.has("dir", 0))
    )
    # "remove the top 10%" and "keep only the top half" are crops too
    cutting = cl.op("remove") is not None or cl.has_word("keep")
    part_crop = cutting and bool(cl.sides()) and bool(cl.parts() or cl.quantity("percent"))
    if hit is None and not implied and not part_crop:
        return None
    if cl.has_op("pad") or (
        hit is not None
        and cl.items[hit.index].text in ("zoom", "closer", "tight")
        and cl.has("region")
        and ratio is None
        and not cl.has_word("in")
    ):
        return None
    sizes = [it.value for _, it in cl.kinds("size") if max(it.value) > 50]
    if sizes:
        w, h = sizes[0]
        return [_step("resize", {"width": int(w), "height": int(h), "fit": _fit(cl)}, cl, ctx)]
    if ratio is not None and _crop_refused(cl):
        # "make it 16:9 without cropping": reach the ratio by adding bars instead
        return [_step("extend_canvas", {"ratio": ratio, "color": [0, 0, 0]}, cl, ctx)]
    if ratio is not None:
        params: dict[str, Any] = {"ratio": ratio}
        anchor = _anchor(cl)
        if anchor:
            params["anchor"] = anchor
        return [_step("crop_aspect", params, cl, ctx)]
    box = _crop_box(cl)
    if box is not None:
        return [_step("crop_box", {"box": box}, cl, ctx)]
    if cl.has_word("zoom", "closer", "tighter", "tight", "close"):
        if cl.has("region") and not cl.has("region", "mask"):
            raise UnsupportedInstruction(
                f'cannot do "{cl.text}" with the builtin engine yet: a tight crop around the subject is not '
                'supported; crop to a ratio instead (e.g. "crop to 4:5"), which centres on the subject',
                fragment=cl.text,
            )
        t = cl.quantity("times")
        keep = (
            1 / t.value
            if t is not None and t.value > 1
            else {0.5: 0.9, 0.25: 0.95}.get(cl.level() or 1.0, 0.8 if (cl.level() or 1.0) <= 1 else 0.6)
        )
        m = round((1 - keep) / 2, 4)
        return [_step("crop_box", {"box": [m, m, round(1 - m, 4), round(1 - m, 4)]}, cl, ctx)]
    raise UnsupportedInstruction(
        f'"{cl.text}": say how to crop, e.g. "crop to a square", "crop to 16:9" or "crop the left half"',
        fragment=cl.text,
    )


def _glue(it: Item) -> bool:
    """Politeness, articles and filler: words that carry no edit."""
    return bool(it.senses) and all(s.kind in _HARMLESS for s in it.senses)


def _anchor(cl: Clause) -> str | None:
    """Where a ratio crop keeps its window: a side, the centre, or the subject."""
    for _i, s in cl.sides():
        if s in ("left", "right", "top", "bottom", "center"):
            return s
    if cl.has("region", "subject") or cl.has("region", "face"):
        return "subject"
    return None


def _crop_box(cl: Clause) -> list[float] | None:
    """ "the left half" (keep) or "cut off the right third" / "trim 10% from the top" (remove) as a box."""
    sides = [s for _, s in cl.sides() if s in ("left", "right", "top", "bottom", "center")]
    if any(p == "all" for _, p in cl.parts()) and not sides:
        sides = ["left", "right", "top", "bottom"]
        if cl.quantity("percent") is not None:
            f = cl.quantity("percent").value / 100  # type: ignore[union-attr]
            return [round(f, 4), round(f, 4), round(1 - f, 4), round(1 - f, 4)]
    if not sides:
        return None
    frac = None
    for _i, p in cl.parts():
        frac = {"half": 0.5, "third": 1 / 3, "quarter": 0.25}.get(p, frac)
    fr = cl.first("frac")
    if frac is None and fr is not None:
        frac = float(fr[1].value)
    pct = cl.quantity("percent")
    if frac is None and pct is not None:
        frac = pct.value / 100
    if frac is None:
        if cl.quantity("px"):
            raise UnsupportedInstruction(
                f'"{cl.text}": give the crop as a fraction or percentage (e.g. "trim 10% from the top")',
                fragment=cl.text,
            )
        return None
    removing = cl.has_word(
        "off", "out", "away", "remove", "trim", "chop", "cut", "delete", "lose", "drop"
    ) or (cl.op("remove") is not None)
    box = [0.0, 0.0, 1.0, 1.0]
    if "center" in sides and not removing:
        m = (1 - frac) / 2
        return [round(m, 4), round(m, 4), round(1 - m, 4), round(1 - m, 4)]
    for side in sides:
        if side == "center":
            continue
        keep = 1 - frac if removing else frac
        if side == "left":
            box[2] = keep if not removing else 1.0
            box[0] = 0.0 if not removing else frac
        elif side == "right":
            box[0] = 1 - keep if not removing else 0.0
            box[2] = 1.0 if not removing else 1 - frac
        elif side == "top":
            box[3] = keep if not removing else 1.0
            box[1] = 0.0 if not removing else frac
        elif side == "bottom":
            box[1] = 1 - keep if not removing else 0.0
            box[3] = 1.0 if not removing else 1 - frac
    return [round(v, 4) for v in box]


def build_resize(cl: Clause, ctx: Ctx) -> Steps | None:
    """Resize to an exact size, to one side (keeping the ratio), or by a scale factor."""
    trig = cl.op("resize")
    bigger = cl.first("bigger")
    dims = [q for q in cl.quantities if q.dim and q.unit in ("px", "bare")]
    sizes = [it.value for _, it in cl.kinds("size") if max(it.value) > 50]
    times_only = cl.quantity("times") is not None and not cl.ops() and not cl.has("lookname")
    if (
        trig is None
        and not times_only
        and not dims
        and not (bigger and not _other_family(cl))
        and not (sizes and (cl.has("verb") or cl.has("to")))
    ):
        return None
    if cl.has_op("text", "watermark", "border", "pad"):
        return None
    if sizes:
        w, h = sizes[0]
        return [_step("resize", {"width": int(w), "height": int(h), "fit": _fit(cl)}, cl, ctx)]
    if dims:
        params: dict[str, Any] = {"width": None, "height": None}
        for q in dims:
            params[q.dim or "width"] = round(q.value)
        if params["width"] is not None and params["height"] is not None:
            params["fit"] = _fit(cl)
        return [_step("resize", params, cl, ctx)]
    ratio = _ratio(cl)
    if ratio is not None:
        return [_step("crop_aspect", {"ratio": ratio}, cl, ctx)]
    px = cl.quantity("px")
    if px is not None:
        return [_step("resize", {"width": round(px.value), "height": None}, cl, ctx)]
    scale = _scale(cl)
    if scale is None:
        raise UnsupportedInstruction(
            f'"{cl.text}": say the new size, e.g. "resize to 800x600", "make it 1024 px wide" '
            'or "half the size"',
            fragment=cl.text,
        )
    return [_step("resize", {"scale": round(scale, 4)}, cl, ctx)]


def _other_family(cl: Clause) -> bool:
    """Another op (not resize) is in the clause, so "bigger"/"smaller" describe it, not the image."""
    return any(h.op not in ("resize", "look", "color") for h in cl.ops())


_DOWN_WORDS = (
    "downscale",
    "downsize",
    "shrink",
    "smaller",
    "reduce",
    "decrease",
    "lower",
    "down",
    "compress",
    "thumbnail",
    "less",
)


def _scale(cl: Clause) -> float | None:
    """A scale factor from percentages, multiples, fractions or "bigger"/"smaller"."""
    down = cl.has_word(*_DOWN_WORDS) or cl.has("bigger", -1) or cl.has("dir", -1)
    up = cl.has_word("upscale", "enlarge", "upsize", "bigger", "larger", "increase", "up") or cl.has(
        "bigger", 1
    )
    pct = cl.quantity("percent")
    if pct is not None:
        v = pct.value / 100
        if pct.target or not (up or down) or (cl.has_word("scale", "resize") and not cl.has("by")):
            return v
        return 1 + v if up and not down else max(0.01, 1 - v)
    t = cl.quantity("times")
    mult = cl.first("mult")
    if t is not None or mult is not None:
        m = t.value if t is not None else float(mult[1].value)  # type: ignore[index]
        if m < 1:
            return m
        return 1 / m if down else m
    frac = cl.first("frac")
    if frac is not None:
        f = float(frac[1].value)
        return f if not up else 1 + f
    bare = cl.quantity("bare")
    if bare is not None and 0 < bare.value <= 8:
        return 1 / bare.value if down else bare.value
    if up or down:
        lvl = cl.level() or 1.0
        return 2 ** (lvl if up and not down else -lvl)
    return None


def _fit(cl: Clause) -> str:
    """How an exact size is met: cover (crop, default), stretch, or contain (pad).

    "stretch", "squash", "ignore the aspect ratio" → stretch; "without cropping", "keep the aspect
    ratio", "fit inside", "letterbox", "pad" → contain.
    """
    if cl.has_word(
        "stretch", "stretched", "stretching", "distort", "distorting", "squash", "squashing", "squish",
        "force", "ignore", "ignoring", "disregard", "disregarding",
    ):
        return "stretch"
    if (
        cl.has_word("fit", "contain", "within", "inside", "letterbox", "pad", "padding", "pillarbox")
        or _crop_refused(cl)
        or (
            cl.has_word("keep", "keeping", "preserve", "maintain", "retain", "same")
            and cl.has_word("aspect", "ratio", "proportion", "proportions")
        )
    ):
        return "contain"
    if cl.has_word("exactly"):
        return "stretch"
    return "cover"


def _crop_refused(cl: Clause) -> bool:
    """ "without cropping", "no crop", "don't crop anything": the user forbids cropping."""
    for h in cl.ops():
        if h.op != "crop" or not cl.items[h.index].text.startswith(("crop", "cut", "trim")):
            continue
        prev = cl.prev_content(h.index)
        if prev is not None and (
            cl.items[prev].text in ("without", "no", "not", "never") or cl.items[prev].has("neg")
        ):
            return True
    return False


def build_rotate(cl: Clause, ctx: Ctx) -> Steps | None:
    """Rotation: degrees (+ = counter-clockwise), clockwise by default; "upside down" = 180."""
    hit = cl.op("rotate")
    updown = cl.has("updown")
    if hit is None and not (updown and not cl.has_op("flip")):
        return None
    if cl.has_op("hue", "flip") or (
        hit is not None
        and cl.items[hit.index].text.startswith("turn")
        and not (
            updown
            or cl.has("rotdir")
            or cl.has("sideways")
            or cl.quantity("degrees", "bare")
            or cl.has_word("around", "over")
            or [s for _, s in cl.sides() if s in ("left", "right")]
        )
    ):
        return None
    if hit is not None and cl.items[hit.index].text == "tilt" and not cl.quantity("degrees", "bare"):
        return None
    deg = cl.quantity("degrees") or cl.quantity("bare")
    if updown or (cl.has_word("around") and deg is None):
        return [_step("rotate", {"degrees": 180.0}, cl, ctx)]
    rot = cl.first("rotdir")
    direction = int(rot[1].value) if rot else 0
    if not direction:
        for _i, s in cl.sides():
            if s == "left":
                direction = 1
            elif s == "right":
                direction = -1
    if deg is not None:
        # a bare signed angle turns clockwise when positive, like image viewers and CSS
        raw = direction * abs(deg.value) if direction else -deg.value
        raw = (raw + 180) % 360 - 180  # -270 ≡ +90
        return [_step("rotate", {"degrees": 180.0 if raw == -180 else float(raw)}, cl, ctx)]
    if cl.has_word("half"):
        return [_step("rotate", {"degrees": 180.0}, cl, ctx)]
    return [_step("rotate", {"degrees": float(90 * (direction or -1))}, cl, ctx)]


def build_flip(cl: Clause, ctx: Ctx) -> Steps | None:
    """Mirror: horizontal (left-right, default) or vertical ("upside down", "top to bottom")."""
    hit = cl.op("flip")
    if hit is None:
        return None
    if cl.items[hit.index].text in ("reverse", "reversed", "reflect") and not cl.has("axis"):
        return None
    axes = [str(s.value) for _, s in cl.senses("axis")]
    axis = axes[0] if axes else ("vertical" if cl.has("updown") else "horizontal")
    if cl.has("axisword") and axes:
        # "flip over the horizontal axis" mirrors top to bottom
        axis = "vertical" if axis == "horizontal" else "horizontal"
    return [_step("flip", {"axis": axis}, cl, ctx)]


def build_straighten(cl: Clause, ctx: Ctx) -> Steps | None:
    """Automatic straightening needs horizon detection: refused with the manual alternative."""
    if not cl.has_op("straighten") or cl.quantity("degrees", "bare"):
        if cl.has_op("straighten") and cl.quantity("degrees", "bare"):
            d = (cl.quantity("degrees") or cl.quantity("bare")).value  # type: ignore[union-attr]
            rot = cl.first("rotdir")
            sign = int(rot[1].value) if rot else -1
            return [_step("rotate", {"degrees": float(sign * abs(d))}, cl, ctx)]
        return None
    raise UnsupportedInstruction(
        f'cannot do "{cl.text}" with the builtin engine: it cannot detect the horizon; '
        'say the angle instead, e.g. "rotate 2 degrees clockwise"',
        fragment=cl.text,
    )


def build_relight(cl: Clause, ctx: Ctx) -> Steps | None:
    """Directional light on the face or subject: "light from the left", "add a key light on the right"."""
    relight = cl.op("relight")
    lightish = cl.op("light") or cl.op("brightness")
    from_side = any(cl.items[p].has("from") for i, _s in cl.sides() if (p := cl.prev_content(i)) is not None)
    if relight is None and not (lightish and from_side):
        return None
    direction = light_direction(cl)
    if relight is not None and direction is None and cl.has_op("enhance"):
        return None  # "improve the lighting" is an overall fix
    target = "face" if cl.has("region", "face") else "subject"
    if not cl.has("region") and not relight:
        target = "all"
    pct = cl.quantity("percent")
    amount = clamp("relight", pct.value / 100) if pct else level_amount("relight", 1, cl.level() or 1.0)
    return [
        _step("relight", {"direction": direction or "front", "amount": amount, "target": target}, cl, ctx)
    ]


def build_match(cl: Clause, ctx: Ctx) -> Steps | None:
    """Colour-grade matching to a reference input."""
    hit = cl.op("match")
    refs = [r for r in refs_in(cl) if r != "logo"]
    grade_words = cl.has_op("look", "color") and not cl.has("lookname")
    if hit is None and not (refs and grade_words and not cl.has("bg")):
        return None  # "apply image 2's colour grade" matches without the verb
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
    return [_step("match_color", {"ref": ref, "amount": _unit_amount(cl, "match_color")}, cl, ctx)]


def build_remove(cl: Clause, ctx: Ctx) -> Steps | None:
    """Remove an object: inpaint under the mask; without a mask it cannot be found, so refuse."""
    hit = cl.op("remove")
    hide = cl.op("hide")
    if hide is not None and cl.has("region", "face"):
        return [_step("pixelate", {"amount": _amount(cl, "pixelate", 1)}, cl, ctx, "face")]
    if hit is None:
        return None
    adjust = [
        h for h in cl.ops() if h.op in _ADJUST_OPS and h.op not in ("look", "enhance", "light", "match")
    ]
    if adjust or cl.colors() or cl.has("lookname"):
        return None
    if ctx.has_mask:
        return [PlanStep(op="remove_object", params={"method": "auto"}, region="mask", text=cl.text)]
    named = [it.text for it in cl.items if it.unknown or it.generative or it.has("region")]
    if not named or all(w in ("it", "this", "that", "here") for w in named) or cl.has("region", "mask"):
        raise UnsupportedInstruction(
            f'"{cl.text}" needs a mask marking what to remove: pass --mask (transparent or white = remove)',
            fragment=cl.text,
        )
    raise UnsupportedInstruction(
        f'cannot do "{cl.text}" with the builtin engine: removing an object needs a mask marking it '
        f"(--mask), or a generative model that can find it ({GENERATIVE_HINT})",
        fragment=cl.text,
        engine_hint="generative",
    )


# ---------------------------------------------------------------- tone, colour, detail

_ADJUST_OPS = frozenset(
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
_DIRECTORS = {"brightness": None, "light": None, "blur": -1}


def build_adjust(cl: Clause, ctx: Ctx, forced_region: str | None = None) -> Steps | None:
    """Tone, colour, detail and look steps, one per op and region."""
    hits = [h for h in cl.ops() if h.op in _ADJUST_OPS]
    looknames = [str(s.value) for _, s in cl.senses("lookname")]
    aging = any(it.has("lookname") and it.lemmas[0] in ("old", "older") for it in cl.items)
    if aging and (cl.has("region", "subject") or cl.has("region", "face")):
        raise _generative(cl)  # "make him look older" changes a person, not the photo
    colors = cl.colors()
    if (
        not hits
        and not looknames
        and not colors
        and not (cl.has("recover") or cl.has("deepen") or cl.quantity("stops"))
    ):
        return None
    if not hits and not looknames and any(it.unknown or it.generative for it in cl.items):
        raise _generative(cl)  # "give the cat a red hat": a colour word, but nothing to apply it to
    hits = _resolve_hits(cl, hits)
    bands = [it for _, it in colors if it.plural or _followed_by_tone_noun(cl, it)]
    if cl.has_word("skin") and cl.has_word("tone", "tones"):
        bands.append(Item("color", "skin", (224, 172, 105)))
    targets = [(i, it) for i, it in colors if it not in bands]
    regions = [forced_region] if forced_region else regions_in(cl, has_mask=ctx.has_mask)
    if not regions:
        regions = ["all"]
    planned: list[tuple[str, dict[str, Any], str | None]] = []  # (op, params, region override)
    # edges: "darken the edges" is a vignette
    edges_only = regions == ["edges"]
    for hit in hits:
        planned += _plan_hit(cl, ctx, hit, hits, bands, targets, edges_only)
    cl.focus = None
    for name in looknames:
        planned.append(("look", {"name": name, "amount": _unit_amount(cl, "look")}, None))
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
    if not planned:
        return None
    steps: Steps = []
    for op, params, region_override in planned:
        params = {k: v for k, v in params.items() if not k.startswith("_")}
        if region_override is not None:
            steps.append(_step(op, params, cl, ctx, region_override))
            continue
        for region in regions:
            if op == "vignette" and region == "edges":
                region = "all"
            steps.append(_step(op, params, cl, ctx, region))
    return steps


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
        if h.op == "brightness" and h.pos != "n" and names & _TONAL - {"color"}:
            continue  # "brighten the shadows": brightness gives the direction only
        if h.op == "brightness" and h.pos != "n" and "color" in names and len(names - {"look"}) == 2:
            continue  # "bright colours" → more saturated
        if h.op == "blur" and names & {"contrast", "shadows", "highlights", "color", "saturation"}:
            continue  # "soften the contrast": a direction
        if h.op == "exposure" and h.pos == "v" and names & {"highlights"}:
            continue
        out.append(h)
    return out


def _director_sign(cl: Clause, hits: list[OpHit]) -> int | None:
    """The sign given by a brightening/darkening/softening word used as a direction for a tonal noun."""
    for h in cl.ops():
        it = cl.items[h.index]
        if h.op in ("brightness", "light") and h.pos != "n":
            return h.sign or 1
        if h.op == "blur" and it.text in ("soften", "soft", "softer", "smooth"):
            return -1
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
    sign = _sign(cl, hit)
    director = _director_sign(cl, hits)
    if op in _TONAL and director is not None and cl.direction_near(hit.index) is None:
        sign = director * (-1 if _inverted(cl, hit.index, "a") else 1)
    elif op in ("contrast", "saturation") and director == -1 and hit.sign == 0 and _softening(cl):
        sign = -1  # "soften the contrast"
    if cl.has("recover") and op in ("highlights", "shadows"):
        sign = -1 if op == "highlights" else 1
    if cl.has("deepen") and op == "shadows":
        sign = -1
    band = _band_name(bands[0]) if bands else None
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
        return [("auto_levels", {"clip": DEFAULT_AMOUNTS["auto_levels"]}, None)]
    if op == "brightness" and edges_only:
        return [("vignette", {"amount": _amount(cl, "vignette", -sign)}, "all")]
    if op == "brightness":
        stops = cl.quantity("stops")
        if stops is not None:
            return [("exposure", {"stops": clamp("exposure", sign * abs(stops.value))}, None)]
        return [("brightness", {"amount": _amount(cl, "brightness", sign)}, None)]
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
        return [(op, {"amount": _amount(cl, op, sign)}, None)]
    if op == "tint":
        if targets:
            return []  # the colour words carry it (see _color_targets)
        if cl.has_word("cast", "tinge") or cl.has("fixverb") or cl.op("remove"):
            return [("auto_levels", {"clip": DEFAULT_AMOUNTS["auto_levels"]}, None)]  # "fix the colour cast"
        return [("tint", {"amount": _amount(cl, "tint", sign)}, None)]
    if op == "gamma":
        bare = cl.quantity("bare")
        if bare is not None and 0.1 <= bare.value <= 10 and cl.has_word("gamma"):
            return [("gamma", {"gamma": bare.value}, None)]
        dev = abs(_amount(cl, "gamma", 1))
        g = 1 + dev if sign > 0 else 1 / (1 + dev)
        return [("gamma", {"gamma": round(g, 4)}, None)]
    if op in ("saturation", "color"):
        if _removes_colour(cl, op):
            if _partial(cl):
                # "take out some of the colour", "drain a bit of the saturation": less, not none
                return [("saturation", {"amount": -abs(_amount(cl, "saturation", -1))}, None)]
            return [("grayscale", {"amount": 1.0}, None)]
        if (
            op == "saturation"
            and sign < 0
            and cl.has_word("completely", "fully", "entirely", "totally", "all")
        ):
            return [("grayscale", {"amount": 1.0}, None)]
        amount = _amount(cl, "saturation", sign)
        if len(bands) > 1:
            return [("saturation", {"amount": amount, "band": _band_name(b)}, None) for b in bands]
        params: dict[str, Any] = {"amount": amount}
        if band:
            params["band"] = band
        return [("saturation", params, None)]
    if op == "hue":
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
        return [("grayscale", {"amount": _unit_amount(cl, "grayscale")}, None)]
    if op == "sepia":
        return [("sepia", {"amount": _unit_amount(cl, "sepia")}, None)]
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
        return [("colorize", {"color": rgb, "amount": _amount(cl, "colorize", 1)}, None)]
    if op == "invert":
        return [("invert", {}, None)]
    if op in ("sharpen", "blur"):
        real = op if sign > 0 else ("blur" if op == "sharpen" else "sharpen")
        return [(real, {"amount": _amount(cl, real, 1)}, None)]
    if op in ("denoise",):
        return [("denoise", {"amount": _amount(cl, "denoise", 1)}, None)]
    if op in ("noise", "grain"):
        if sign < 0 or cl.has_word("clean", "despeckle", "remove", "reduce"):
            return [("denoise", {"amount": _amount(cl, "denoise", 1)}, None)]
        return [("grain", {"amount": _amount(cl, "grain", 1)}, None)]
    if op == "vignette":
        tone, by_level = _vignette_tone(cl, hit.index)
        if tone is None:
            return [("vignette", {"amount": _amount(cl, "vignette", sign)}, "all")]
        # "a white/light/bright vignette" lightens the corners (negative amount), "black/dark" darkens
        amount = abs(_amount(cl, "vignette", 1))
        if by_level:
            amount = abs(_amount(_without(cl, by_level), "vignette", 1))
        return [("vignette", {"amount": clamp("vignette", tone * amount)}, "all")]
    if op == "pixelate":
        return [("pixelate", {"amount": _amount(cl, "pixelate", 1)}, None)]
    if op == "auto":
        return [("auto_levels", {"clip": DEFAULT_AMOUNTS["auto_levels"]}, None)]
    if op == "enhance":
        others = [h for h in hits if h.op not in ("enhance", "auto", "look", "match")]
        if others or cl.has("lookname") or targets:
            return []  # "enhance the colours": a direction for the other op
        if cl.has_word("fix", "correct", "balance") and cl.has_word("exposure", "lighting", "white", "color"):
            return [("auto_levels", {"clip": DEFAULT_AMOUNTS["auto_levels"]}, None)]
        return [
            ("auto_levels", {"clip": DEFAULT_AMOUNTS["auto_levels"]}, None),
            ("vibrance", {"amount": 0.15}, None),
        ]
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
    items[index] = Item("phrase", it.text, None, [Sense("stop")], it.lemmas)
    out = Clause(items, cl.text)
    out.focus = cl.focus
    return out


def _band_name(it: Item) -> str | None:
    """A colour item → the catalog hue band it names."""
    if it.text == "skin":
        return "skin"
    word = it.text.split()[-1].rstrip("s")
    if word in ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "magenta"):
        return word
    h = _hue_of(it.value)
    if h is None:
        return None
    names = ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "magenta")
    centers = (0, 30, 60, 120, 180, 230, 275, 300)
    return min(zip(names, centers, strict=True), key=lambda nc: min(abs(h - nc[1]), 360 - abs(h - nc[1])))[0]


def _hue_of(rgb: tuple[int, int, int]) -> float | None:
    """Hue in degrees of an RGB colour, None for grays."""
    h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in rgb))
    if s < 0.15 or v < 0.08:
        return None
    return h * 360


def _color_targets(
    cl: Clause, hits: list[OpHit], bands: list[Item], targets: list[tuple[int, Item]], regions: list[str]
) -> list[tuple[str, dict[str, Any], str | None]]:
    """Colour words as goals: "bluer" (cooler), "more green" (tint), "the blues more purple" (hue shift)."""
    if not targets:
        if bands and not hits:
            d = cl.direction_near(len(cl.items))
            sign = d[1] if d else 1
            return [
                (
                    "saturation",
                    {"amount": _amount(cl, "saturation", sign), "band": _band_name(b), "_from_color": True},
                    None,
                )
                for b in bands
            ]
        return []
    if any(h.op in ("colorize", "tint") for h in hits) and not any(h.op == "tint" for h in hits):
        return []
    idx, it = targets[0]
    hit = OpHit(idx, "color-target", 1, "c")
    sign = _sign(cl, hit)
    out: list[tuple[str, dict[str, Any], str | None]] = []
    hue = _hue_of(it.value)
    if bands:
        band = _band_name(bands[0])
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
    if hits and any(h.op not in ("tint", "look", "color", "match", "enhance") for h in hits):
        return []  # colours here describe something else ("a warm orange glow" is handled by its op)
    if "sky" in regions and hue is not None:
        band = _band_name(it)
        return [
            (
                "saturation",
                {"amount": _amount(cl, "saturation", sign), "band": band, "_from_color": True},
                None,
            )
        ]
    if hue is None:
        r, g, b = it.value
        y = 0.299 * r + 0.587 * g + 0.114 * b
        if y > 215:
            return [("brightness", {"amount": _amount(cl, "brightness", sign), "_from_color": True}, None)]
        if y < 40:
            return [("brightness", {"amount": _amount(cl, "brightness", -sign), "_from_color": True}, None)]
        return [("grayscale", {"amount": 1.0, "_from_color": True}, None)]
    if 15 <= hue < 75 or hue >= 345 or hue < 15:
        op, s = "temperature", 1
    elif 75 <= hue < 165:
        op, s = "tint", -1
    elif 165 <= hue < 260:
        op, s = "temperature", -1
    else:
        op, s = "tint", 1
    return [(op, {"amount": _amount(cl, op, s * sign), "_from_color": True}, None)]


def _enhance_steps(cl: Clause, ctx: Ctx) -> Steps:
    """The sensible automatic improvement: stretch levels, then a touch of vibrance."""
    return [
        _step("auto_levels", {"clip": DEFAULT_AMOUNTS["auto_levels"]}, cl, ctx),
        _step("vibrance", {"amount": 0.15}, cl, ctx),
    ]


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
    ("adjust", build_adjust),
]


# ================================================================ plan


def _dedupe(steps: Steps) -> Steps:
    """Merge repeated requests for the same op, region and direction ("cooler, bluer")."""
    out: Steps = []
    for step in steps:
        twin = next((s for s in out if _same_request(s, step)), None)
        if twin is None:
            out.append(step)
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


def quantity_doc(q: Quantity) -> str:
    """Readable form of a quantity (for debugging and explain)."""
    return f"{q.value:g} {q.unit}" + (" (target)" if q.target else "")
