"""Clause roles: an edit, a constraint, or words that are not an edit (politeness, backstory, purpose).

Real requests wrap the edit in a story ("my grandpa had a heart attack last night… this picture is
too blurry"). A clause that names no edit (no op word, colour, quote, amount or place) and has no
verb that asks for a change to the picture is backstory or a purpose: it is shown as ignored in
`explain`, never planned and never a reason to refuse — unless nothing else in the request is an edit.
Gibberish is not backstory: an ignorable clause must read as English (it has a narrative word).
"""

from __future__ import annotations

from enum import StrEnum

from .clause import Clause
from .lexicon import _words


class Role(StrEnum):
    """What a clause is for."""

    EDIT = "edit"
    CONSTRAINT = "constraint"  # "keep the face sharp", "without changing the colours"
    POLITENESS = "politeness"  # "please", "thanks in advance"
    BACKSTORY = "backstory"  # "my dad loves this picture", "it was taken last summer"
    PURPOSE = "purpose"  # "so my daughter can be seen", "for my etsy shop"
    BATCH = "batch"  # "make them consistent": a wish about a batch, read by the batch reader


#: Verbs (lemmas) that ask for a change to the picture: with them a clause is an ask, never backstory.
EDIT_VERBS = frozenset(
    _words(
        """add put place insert replace swap change turn make give draw paint remove erase delete create
        generate wear open close fill photoshop edit colour color colorize restore move extend distort
        convert transform recolor recolour crop rotate flip resize"""
    )
)
#: Words that make a clause read as English narrative (so gibberish is never taken for backstory).
NARRATIVE = frozenset(
    _words(
        """i me my mine we us our he him his she her they them their it its this that the a an of to in
        for after before when with was were is are had has have been would could will be am"""
    )
)
#: "make them consistent", "same look", "match them to the first": a batch-level wish.
_BATCH_WORDS = frozenset({"consistent", "uniform", "consistently", "uniformly", "cohesive", "coherent"})


def _edit_content(cl: Clause) -> bool:
    """Anything an edit could be made of: an op word, a colour, a quote, an amount, a look, a place."""
    if cl.kinds("quote") or cl.colors() or cl.quantities or cl.kinds("size") or cl.kinds("ratio"):
        return True
    return any(
        s.kind in ("op", "lookname", "aspect", "bg", "region", "ref", "updown", "rotdir")
        for it in cl.items
        for s in it.senses
    )


def _asks(cl: Clause) -> bool:
    """A verb that asks for a change to the picture ("add", "make", "remove", "turn into")."""
    lemmas = [lem for it in cl.items for lem in it.lemmas]
    for i, lem in enumerate(lemmas):
        if lem not in EDIT_VERBS:
            continue
        nxt = lemmas[i + 1 : i + 3]
        if lem == "give" and any(w in ("photo", "picture", "image", "pic", "copy", "print") for w in nxt):
            continue  # "give a photo of my sister to my mother": the photo is a present, not an edit
        return True
    return False


def is_batch_wish(cl: Clause) -> bool:
    """ "make them consistent", "give them the same look": a wish about a batch as a whole."""
    words = {lem for it in cl.items for lem in it.lemmas}
    return bool(words & _BATCH_WORDS) or ({"same", "look"} <= words and bool(words & {"them", "all"}))


def ignorable_role(cl: Clause) -> Role | None:
    """The role of a clause that is not an edit and may be left out (backstory, purpose), else None."""
    if _edit_content(cl) or _asks(cl):
        return None
    words = {w for it in cl.items for w in it.text.split()}
    if not words & NARRATIVE:
        return None  # "qwzx plorb": not understood, not a story
    if cl.after_for() == 0 or words & {"so", "because", "since"}:
        return Role.PURPOSE
    return Role.BACKSTORY
