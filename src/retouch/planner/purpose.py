"""Purpose tails of an edit: "add more contrast to simulate more white hue" → the contrast only.

An infinitive of purpose ("to simulate …", "to make the subject stand out", "in order to …", "so that
…") after an edit says why, not what: the words after it are not edited, located or refused, and
`explain` lists them as ignored (role purpose). Only a tail after an edit is cut: "I want to make
it brighter" has no edit before "to", and "change the red to blue" has no purpose verb after it.
"""

from __future__ import annotations

from .clause import Clause
from .items import Item
from .lexicon import _words

#: Verbs (lemmas) that start a purpose after "to": what the edit is for, not another edit.
PURPOSE_VERBS = frozenset(
    _words(
        """simulate mimic emulate imitate resemble evoke convey suggest create give make get bring show help
        achieve emphasize emphasise highlight draw let allow see reveal stand look feel fit suit
        capture set hide mask compensate recreate replicate render represent indicate enhance improve
        accentuate separate attract catch grab focus"""
    )
)


#: Ops whose argument may read like a purpose ("crop it to show the left half", "resize to fit").
_GEOMETRY = ("crop", "resize", "pad", "rotate", "flip", "straighten", "place", "text", "border")


def split_purpose(cl: Clause) -> tuple[Clause, str]:
    """The clause without a purpose tail after its edit, and the tail's text ("" when there is none)."""
    for i in range(len(cl.items)):
        start = _purpose_start(cl, i)
        if start is None:
            continue
        head = cl.items[:start]
        if not any(x.has("op") or x.has("dir") or x.kind == "color" for x in head):
            return cl, ""  # "I want to make it brighter": nothing edited before "to"
        if not any(x.has("op") and not x.has("verb") for x in head) and not any(x.kind == "color" for x in head):
            return cl, ""
        asked = [s for x in head for s in x.senses if s.kind == "op" and (s.pos == "v" or (s.pos == "a" and s.sign))]
        if not any(x.has("dir") for x in head) and not asked:
            return cl, ""  # "I'd like a framed copy to give to my grandma": no edit asked before "to"
        if not _directed(head):
            tail_items = cl.items[start + 1 :]
            if _directed(tail_items) and not any(x.has("op") and x.unknown for x in tail_items):
                # "adjust the exposure to make it darker": the tail is the edit, the head only its means
                return Clause(list(tail_items), " ".join(x.text for x in tail_items)), " ".join(x.text for x in head)
            if not any(s.kind == "op" and s.value not in ("look", "match") for x in head for s in x.senses):
                return cl, ""
            # "adjust the white balance so the whites are neutral": neither says a direction; the head is the edit
        if any(x.has("op", g) for x in head for g in _GEOMETRY):
            return cl, ""  # "crop the image to show only the left half": the crop's own argument
        rest = cl.items[start:]
        if any(x.kind == "ref" or x.has("ordinal") or x.has("ref") for x in rest):
            return cl, ""  # "… to look like the second image": the reference is the edit
        tail = " ".join(x.text for x in cl.items[start:])
        head_text = " ".join(x.text for x in head)
        return Clause(list(head), head_text), tail
    return cl, ""


def _directed(items: list[Item]) -> bool:
    """The edit before a purpose says its own direction: a more/less word or a signed op word."""
    for it in items:
        if any(s.kind == "dir" and s.value != 0 for s in it.senses):
            return True
        if any(s.kind == "op" and s.sign != 0 and s.value not in ("enhance", "look", "match") for s in it.senses):
            return True
        if it.kind == "color":
            return True
    return False


def _purpose_start(cl: Clause, i: int) -> int | None:
    """Index where a purpose begins at item i ("to" + purpose verb, "in order to", "so that"), else None."""
    it = cl.items[i]
    words = it.text.split()
    if i == 0 or not words:
        return None
    nxt = cl.items[i + 1] if i + 1 < len(cl.items) else None
    if words == ["so", "that"] or words == ["in", "order", "to"] or words == ["in", "order"]:
        return i
    if words[-1] == "to" and nxt is not None and nxt.lemmas and nxt.lemmas[0] in PURPOSE_VERBS:
        return i if len(words) == 1 else None
    if words == ["so"] and nxt is not None and nxt.text in ("that", "it", "the", "i", "we", "you", "she", "he", "they"):
        return i
    return None
