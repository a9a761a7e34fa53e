"""Colours named as casts and the clauses around them: paling verbs, states, blame, sides, light sources.

"lighten the magenta", "the picture has a weird green tint", "the camera made everything orange"
ask for less of a cast; "yellow tones in the lower half and a hint of blue at the top" sends each
colour to its side; "add blue to the shadows" names where a colour goes, not a shadows move;
"Color/Lighting Correction" lists what to correct; "the sun needs to pop" is reached by the
highlights. The adjust builder (adjust.py) and the plan reader (plan.py) call these.
"""

from __future__ import annotations

from .amounts import DEFAULT_AMOUNTS, clamp
from .clause import Clause, OpHit
from .colors import cast_name, hue_of
from .common import Ctx, Steps, make_step
from .items import Item
from .regions import is_light_source
from .slots import amount_of, sign_of, unit_amount

#: Nouns after a single colour that make it a cast of the whole picture ("a green tint", "the yellow tone").
CAST_NOUNS = frozenset({"tone", "tint", "tinge", "hue", "cast", "color cast", "colour cast", "channel", "shade"})


#: Past verbs that, after a subject, blame it for a colour ("the camera made everything orange").
_BLAMING_VERBS = frozenset({"made", "turned", "became", "went", "got", "gave"})


#: Past verbs of a story: the noun before them is who or what did it, not an edit.
_STORY_VERBS = frozenset({"made", "took", "ruined", "turned", "came", "caused", "gave", "shot", "did"})


#: Participles of taking the photo: what follows them is when and where it was taken.
_TAKEN = frozenset({"taken", "took", "shot", "captured", "photographed", "snapped"})


def subject_of_story(cl: Clause, index: int) -> bool:
    """An op word inside a story: the subject of a story verb ("the street lights made everything look
    weird") or the circumstances of the shot ("it was taken on a sunny day")."""
    for j in range(index - 1, -1, -1):
        prev = cl.items[j]
        if prev.has("dir") and j == index - 1:
            continue  # "taken in low light": the adjective of the circumstance
        if prev.has("dir") or (prev.has("verb") and prev.text not in _TAKEN) or prev.has("polite"):
            break
        if prev.text in _TAKEN:
            # "make it look like it was taken by a pro": a wished look, not the story of the shot
            return not any(x.has("verb") or x.has("op") or x.has("dir") for x in cl.items[:j])
    it = cl.items[index]
    if not any(s.kind == "op" and s.pos == "n" for s in it.senses):
        return False
    nxt = cl.next_content(index)
    return nxt is not None and cl.items[nxt].text in _STORY_VERBS


def blamed_cast(cl: Clause) -> Item | None:
    """The colour a subject is blamed for: "<subject> made/turned everything <colour>" (not the passive
    "the image was made more blue", which describes an edit, nor an imperative "make it blue")."""
    colors = [it for _, it in cl.colors() if hue_of(it.value) is not None and not it.plural]
    if len(colors) != 1 or any(not subject_of_story(cl, h.index) for h in cl.ops()):
        return None
    for i, it in enumerate(cl.items):
        if it.text not in _BLAMING_VERBS or i == 0:
            continue
        prev = cl.items[i - 1]
        if prev.has("copula") or prev.text in ("been", "be", "being", "was", "were", "is", "are", "has", "have"):
            return None
        if cl.items.index(colors[0]) > i and not any(x.has("dir") for x in cl.items[i:]):
            return colors[0]
    return None


def stated(cl: Clause, kind: str) -> bool:
    """An item of this sense kind follows a copula ("it's really faded", "the photo looks faded"): a state."""
    for i, it in enumerate(cl.items):
        if it.has(kind):
            return stated_at(cl, i)
    return False


def stated_at(cl: Clause, index: int) -> bool:
    """The item at `index` follows a copula with no verb or direction before it: a state, not a wish."""
    j = index - 1
    while j >= 0 and (cl.items[j].has("level") or cl.items[j].has("stop")):
        j -= 1
    return j >= 0 and cl.items[j].has("copula") and not any(x.has("verb") or x.has("dir") for x in cl.items[:j])


#: Words that state what the photo has ("it has a green tint", "there is a yellow cast"): a complaint.
_STATE_WORDS = frozenset({"has", "have", "had", "got", "there is", "there are", "there's"})


def has_state(cl: Clause, index: int) -> bool:
    """A cast the photo is said to have ("the picture has a weird green tint"), with no verb asking for it."""
    before = cl.items[:index]
    if any(it.has("dir") or it.has("verb") or it.has("op") or it.text == "now" for it in before):
        return False  # "give it a green tint", "make it have a warm tone", "it now has a pink tinge" (a result)
    if any(w in _RESULT_MARKS for it in cl.items[index + 1 :] for w in it.text.split()):
        return False  # "it has a blue tint added to it", "it has a pinkish hue now": the result described
    return any(it.text in _STATE_WORDS or it.text.startswith(("has ", "there is", "there's")) for it in before)


#: Words after a cast that make "has a … tint" the edit's result, not a complaint about the photo.
_RESULT_MARKS = frozenset({"now", "added", "applied", "introduced"})


#: Verbs that, aimed at a single colour, ask for less of it: "lighten the magenta", "whiten the yellow".
PALING_VERBS = frozenset({"lighten", "whiten", "pale", "bleach"})


def paled_casts(cl: Clause, hits: list[OpHit], colors: list[tuple[int, Item]]) -> tuple[list[OpHit], list[Item]]:
    """A paling verb whose object is a single colour ("lighten the magenta in this image") removes that cast.

    The verb is then a direction, not a brightness step; a colour that describes a thing after it
    ("lighten the blue sky") or a band ("lighten the blues") is left to the other readers.
    "whiten the hue/tone" (no colour named) becomes an automatic white balance (see _plan_hit).
    """
    verbs = [h for h in hits if h.op == "brightness" and h.pos == "v" and cl.items[h.index].lemmas[0] in PALING_VERBS]
    if not verbs:
        return hits, []
    verb = verbs[0]
    paled: list[Item] = []
    for i, it in colors:
        if i <= verb.index or it.plural or hue_of(it.value) is None or "skin" in it.text:
            continue
        if cl.prev_content(i) != verb.index:
            continue
        after = cl.items[i + 1] if i + 1 < len(cl.items) else None
        if after is None or after.kind == "punct" or after.text in ("in", "of", "from", "on", "a lot") or (
            after.has("level") or after.text in CAST_NOUNS
        ):
            paled.append(it)
    if paled:
        return [h for h in hits if h is not verb], paled
    return hits, []


#: Op words that ask a light source to stand out (or calm down): tone and "pop" words.
_LIGHT_OPS = frozenset({"brightness", "light", "saturation", "contrast", "highlights", "exposure", "vibrance"})


def names_light_source(cl: Clause) -> bool:
    """The clause names a light source ("the sun", "the moon", "the lamps")."""
    return any(is_light_source(cl, i) for i in range(len(cl.items)))


def light_source_steps(cl: Clause, ctx: Ctx, hits: list[OpHit]) -> Steps | None:
    """ "the sun needs to pop out of the background", "brighten the moon": the brightest thing in the frame
    is reached by the highlights (plus contrast to make it pop), so it needs no locating."""
    if ctx.has_mask or not names_light_source(cl) or not hits or any(h.op not in _LIGHT_OPS for h in hits):
        return None
    hit = hits[0]
    sign = sign_of(cl, hit) if hit.op in ("brightness", "light", "highlights", "exposure") else 1
    level = cl.level() or 1.0
    lift = clamp("highlights", sign * abs(DEFAULT_AMOUNTS["highlights"]) * level)
    steps = [make_step("highlights", {"amount": lift}, cl, ctx)]
    if sign > 0 and any(h.op in ("saturation", "contrast", "vibrance") for h in hits):
        steps.append(make_step("contrast", {"amount": amount_of(cl, "contrast", 1)}, cl, ctx))  # "make it pop"
    return steps


def colours_by_region(cl: Clause, colors: list[tuple[int, Item]]) -> list[tuple[Item, str]]:
    """Colours each sent to its own side ("orange at the bottom and blue at the top"), paired in order.

    Only when there are as many hued colours as sides (two or more) and each colour comes before its
    side or right after it ("the top half has a hint of blue").
    """
    hued = [(i, it) for i, it in colors if hue_of(it.value) is not None and "skin" not in it.text]
    sides = [(i, side) for i, side in cl.sides() if side not in ("front", "center")]
    if len(hued) < 2 or len(hued) != len(sides) or len({s for _, s in sides}) != len(sides):
        return []
    pairs = []
    for (ci, it), (si, side) in zip(hued, sides, strict=True):
        between = cl.items[min(ci, si) + 1 : max(ci, si)]
        if any(x.kind == "color" or x.has("side") or x.has("op", "saturation") for x in between):
            return []
        pairs.append((it, side))
    return pairs


def without_tonal_destinations(cl: Clause, hits: list[OpHit], colors: list[tuple[int, Item]]) -> list[OpHit]:
    """ "add blue and green to the shadows", "warmth in the highlights", "cool the shadows": the tonal range
    is where a colour goes (the builtin engine tints the whole image), not a shadows/highlights move."""
    casting = [h.index for h in hits if h.op in ("temperature", "tint")]
    casting += [i for i, it in colors if not it.plural and hue_of(it.value) is not None]
    if not casting:
        return hits
    out = []
    for h in hits:
        prev = h.index - 1
        while prev >= 0 and cl.items[prev].text in ("the", "its", "their", "his", "her", "my", "all"):
            prev -= 1  # the preposition before the noun phrase ("to the shadows", "in the highlights")
        destination = prev >= 0 and (
            cl.items[prev].text in ("to", "in", "into", "on") or prev in casting  # "cool the shadows"
        )
        undirected = h.sign == 0 and cl.direction_near(h.index) is None and not cl.has_op("brightness", "light")
        if h.op in ("highlights", "shadows") and h.pos == "n" and (
            (destination and min(casting) < h.index) or undirected  # "make the shadows warmer"
        ):
            continue
        out.append(h)
    return out


#: Property nouns in a correction label and the correction each one gets ("Color/Lighting Correction").
_CORRECTION_OF = {
    "color": "white_balance",
    "saturation": "white_balance",
    "hue": "white_balance",
    "temperature": "white_balance",
    "tint": "white_balance",
    "white_balance": "white_balance",
    "brightness": "auto_levels",
    "light": "auto_levels",
    "relight": "auto_levels",
    "exposure": "auto_levels",
    "contrast": "auto_levels",
    "gamma": "auto_levels",
    "highlights": "auto_levels",
    "shadows": "auto_levels",
    "auto": "auto_levels",
    "look": "auto_levels",
}


_CORRECTION_NOUNS = frozenset({"correction", "correct", "fix", "adjustment", "adjust", "fixing", "balance", "repair"})


def correction_label(cl: Clause, ctx: Ctx) -> Steps | None:
    """A label listing what to correct ("Color/Lighting Correction", "exposure and colour fix"): the
    automatic correction of each property (white balance for colour, levels for light and tone)."""
    content = [it for it in cl.items if it.kind != "punct" and it.text not in ("and", "&", "/", "+", "please")]
    glue = ("stop", "polite", "imgnoun", "filler")
    content = [it for it in content if not (it.senses and all(s.kind in glue for s in it.senses))]
    if len(content) < 2 or not content[-1].lemmas:
        return None
    if content[-1].lemmas[-1] not in _CORRECTION_NOUNS and not content[-1].has("op", "auto"):
        return None
    ops: list[str] = []
    for it in content if content[-1].has("op", "auto") else content[:-1]:
        props = [s.value for s in it.senses if s.kind == "op" and s.pos in ("n", "v") and s.sign in (0, 1)]
        fixed = [_CORRECTION_OF[p] for p in props if p in _CORRECTION_OF]
        if not fixed:
            return None
        if fixed[0] not in ops:
            ops.append(fixed[0])
    if len(ops) < 2 and len(content) < 3:
        return None  # "colour correction", "lighting correction": the enhance recipes say more
    params = {"auto_levels": {"clip": DEFAULT_AMOUNTS["auto_levels"]}, "white_balance": {}}
    return [make_step(op, params[op], cl, ctx) for op in ops]


_NEGATED_CAST_GLUE = frozenset({"neg", "stop", "level", "too", "dir", "copula", "imgnoun", "filler", "polite", "sep"})


def negated_cast(cl: Clause, ctx: Ctx) -> Steps | None:
    """ "…, not yellow", "no pink please": a colour negated on its own is a cast to remove, not a constraint."""
    colors = [it for _, it in cl.colors()]
    if len(colors) != 1 or hue_of(colors[0].value) is None or cl.ops() or cl.has("region") or cl.has("bg"):
        return None
    for it in cl.items:
        if it is colors[0] or it.kind == "punct":
            continue
        if not it.senses or any(sense.kind not in _NEGATED_CAST_GLUE for sense in it.senses):
            return None
    params = {"cast": cast_name(colors[0]), "amount": unit_amount(cl, "white_balance")}
    return [make_step("white_balance", params, cl, ctx)]
