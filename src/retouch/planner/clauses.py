"""Splitting an instruction into clauses: separators, shared verbs and objects, amount-only fragments."""

from __future__ import annotations

import re

from .clause import Clause, is_head, is_modifier
from .common import HARMLESS, STATEMENT_VERBS
from .items import Item, chunk
from .text import Token


def is_separator(it: Item) -> bool:
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


#: Senses of the glue a bare adjective may carry ("very blurry", "a bit grainy").
_STATE_GLUE = frozenset({"level", "stop", "polite", "filler"})


def _adjective(it: Item) -> bool:
    """An op word used as an adjective; "blurry", "grainy" carry their stem's sense, their form says adjective."""
    return any(s.kind == "op" and (s.pos == "a" or it.text.endswith(("y", "ed"))) for s in it.senses)


def _continues_state(prev: list[Item], seg: list[Item]) -> bool:
    """A bare adjective after a complaint ("it is so grainy" + "blurry"): one state, read together."""
    words = [it for it in prev if it.kind != "punct"]
    if not words or not any(it.has("copula") or it.has("too") for it in words):
        return False
    if not _adjective(words[-1]):
        return False
    adjectives = 0
    for it in seg:
        if it.kind == "punct":
            continue
        if _adjective(it):
            adjectives += 1
        elif adjectives or not (it.senses and all(s.kind in _STATE_GLUE for s in it.senses)):
            return False  # "warm it", "brighten this": a word after the adjective makes it a verb with an object
    prev_ops = {s.value for it in words for s in it.senses if s.kind == "op"}
    if any(s.kind == "op" and s.value in prev_ops for it in seg for s in it.senses):
        return False  # "it is too cold, warm": the same property named again is the wish, not the complaint
    return adjectives > 0


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
        it.kind not in ("word", "phrase") or any(s.kind not in HARMLESS for s in it.senses)
        for it in seg
        if it.kind != "punct"
    )


def _empty(seg: list[Item]) -> bool:
    """Only politeness and filler ("please", "thanks")."""
    return all(
        it.kind == "punct" or (it.senses and all(s.kind in HARMLESS for s in it.senses)) for it in seg
    )


#: Op triggers that act on the whole frame: they never share a following clause's object.
_WHOLE_IMAGE_OPS = frozenset({"crop", "resize", "rotate", "flip", "pad", "straighten"})


def _verbs_only(seg: list[Item]) -> bool:
    """Only op verbs/adjectives and glue: "darken and blur the background" shares its object."""
    has_op = False
    for it in seg:
        if any(s.kind == "op" and s.value in _WHOLE_IMAGE_OPS for s in it.senses):
            return False  # "zoom in and remove the background": geometry acts on the whole image, no object
        if any(s.kind == "op" and s.pos in ("a", "v") for s in it.senses):
            has_op = True
        elif not (it.senses and all(s.kind in ("polite", "level", "dir") for s in it.senses)):
            return False
    return has_op


_NP_ARTICLES = frozenset({"a", "an", "the", "some"})


def chunk_joining_adjectives(tokens: list[Token]) -> list[Item]:
    """Chunk the tokens, dropping commas between coordinate adjectives ("a soft, dark vignette").

    Such a comma is not a clause separator: the phrase is read exactly as without it, so that
    multi-word colours ("soft gray") chunk as they would.
    """
    items = chunk(tokens)
    drop: set[int] = set()
    pos = 0  # token index of the current item
    start = 0  # first item of the current clause
    for k, it in enumerate(items):
        if is_separator(it):
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
        if is_separator(it):
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
        if merged and _continues_state(merged[-1], seg):
            # "it's so grainy and blurry", "too dark and grainy": the second adjective is the same complaint
            merged[-1] = merged[-1] + [_AND] + seg
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
    if (
        len(merged) > 1
        and not _self_standing(merged[0])
        and not _empty(merged[0])
        and not any(it.text in STATEMENT_VERBS for it in merged[0])  # "my friend took this, and ..."
        and not _coloured_background(merged[0])  # "white background, crop to a square": two edits
    ):
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


def _coloured_background(seg: list[Item]) -> bool:
    """A verbless background request that stands alone: "white background", "a plain blue backdrop"."""
    return any(it.has("bg") for it in seg) and any(it.kind == "color" for it in seg)


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


def is_vague_fix(cl: Clause) -> bool:
    """ "fix it", "correct that": a fix with no object, whose meaning comes from another clause."""
    content = [
        it for it in cl.items if not (it.senses and all(s.kind in ("polite", "stop") for s in it.senses))
    ]
    return bool(content) and all(it.has("fixverb") and it.has("op", "enhance") for it in content)
