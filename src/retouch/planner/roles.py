"""Clause roles: an edit, a constraint, or words that are not an edit (politeness, backstory, purpose).

Real requests wrap the edit in a story ("my grandpa had a heart attack last night… this picture is
too blurry"). A clause that names no edit (no op word, colour, quote, amount or place) and has no
verb that asks for a change to the picture is backstory or a purpose: it is shown as ignored in
`explain`, never planned and never a reason to refuse — unless nothing else in the request is an edit.
Gibberish is not backstory: an ignorable clause must read as English (it has a narrative word).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING

from .clause import Clause
from .items import Item
from .lexicon import _words

if TYPE_CHECKING:
    from retouch.consistency.words import ConsistencyRequest


class Role(StrEnum):
    """What a clause is for."""

    EDIT = "edit"
    CONSTRAINT = "constraint"  # "keep the face sharp", "without changing the colours"
    POLITENESS = "politeness"  # "please", "thanks in advance"
    BACKSTORY = "backstory"  # "my dad loves this picture", "it was taken last summer"
    PURPOSE = "purpose"  # "so my daughter can be seen", "for my etsy shop"
    BATCH = "batch"  # "make them consistent": a wish about a batch, read by the batch reader
    SUBSUMED = "subsumed"  # "remove the black line" when the background is replaced: that step does it


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
    from .common import print_medium

    return any(
        s.kind in ("op", "lookname", "aspect", "bg", "region", "ref", "updown", "rotdir")
        and not (s.kind == "op" and print_medium(cl, i))  # "on a canvas": where it is printed
        for i, it in enumerate(cl.items)
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


#: Verbs that ask for a change only together with an edit word ("make it brighter"); alone with a person
#: ("make this photo of my mom") they carry no edit.
GENERIC_ASKS = frozenset({"make", "give", "get"})
#: People and pets named in backstory ("this photo of my mom"): never something to add or change by themselves.
PEOPLE = frozenset(
    _words(
        """mom mum mother dad father wife husband friend friends sister brother son daughter grandma grandpa
        grandmother grandfather grandparents parents kids kid child children baby family uncle aunt cousin
        boyfriend girlfriend fiance fiancee partner me us him her them dog cat pet puppy man woman people person
        someone somebody anyone anybody guys everyone i"""
    )
)
#: Past-tense statement verbs: "the sun was behind me", "indoor lighting ruined it".
_PAST = frozenset({"was", "were", "took", "came", "made", "ruined", "had", "got", "shot", "passed", "looked"})


#: Things a story mentions about how the photo was taken ("the sun was behind me", "on her phone").
_SCENE = frozenset({"sun", "sky", "light", "lighting", "camera", "phone", "flash", "night", "day", "beach", "window"})


def _story_only(cl: Clause) -> bool:
    """A clause that only tells the story: a generic verb with people ("make this photo of my mom"), or a
    past-tense statement with no op word ("the sun was behind me")."""
    lemmas = [lem for it in cl.items for lem in it.lemmas]
    if cl.kinds("quote") or cl.colors() or cl.quantities or cl.has("lookname"):
        return False
    things = {it.text for it in cl.items if it.unknown or it.generative}
    past = next((i for i, it in enumerate(cl.items) if it.text in _PAST), None)
    if past is not None and not any(lem in EDIT_VERBS - GENERIC_ASKS for lem in lemmas):
        # "the sun was behind me", "indoor lighting ruined it": op words only as the subject, before the verb
        from .overlay import names_a_thing

        if any(
            s.kind == "op" and not (s.value == "border" and names_a_thing(cl, k))
            for k, it in enumerate(cl.items)
            if k >= past and it.text not in _SCENE
            for s in it.senses
        ):
            return False
        if cl.items[past].text in ("took", "shot") and not cl.has("too") and not cl.has_word("out", "off", "away"):
            return True  # "my wife took this of me and the kids at the lake": who took it, where, of whom
        cues = {it.text for it in cl.items if it.generative}
        return not (cues - PEOPLE - _SCENE)
    if any(s.kind == "op" for it in cl.items for s in it.senses):
        return False
    asks = {lem for lem in lemmas if lem in EDIT_VERBS}
    return bool(asks) and asks <= GENERIC_ASKS and not (things - PEOPLE) and not _edit_content(cl)


def _identifies_photo(cl: Clause) -> bool:
    """ "this is my youtube thumbnail", "it's my profile picture": a statement naming what the photo is."""
    if not cl.items or cl.items[0].text not in ("this is", "it is", "that is", "this s", "it s"):
        return False
    rest = cl.items[1:]
    if any(q.value < 1900 or q.unit != "bare" for q in cl.quantities):
        return False  # a year ("from my wedding in 2015") is story; other numbers are amounts
    if cl.colors() or any(lem in EDIT_VERBS for it in rest for lem in it.lemmas):
        return False
    return bool(rest) and all(
        it.unknown
        or it.generative
        or it.kind == "num"
        or (it.senses and all(s.kind in _IDENTIFYING for s in it.senses))
        or (k > 0 and rest[k - 1].text == "of")  # "… photos we have of her": who it shows
        for k, it in enumerate(rest)
    )


#: Senses a statement naming the photo may hold ("it's from my wedding", "one of the few photos we have").
_IDENTIFYING = frozenset(
    {"aspect", "imgnoun", "filler", "stop", "polite", "from", "to", "ordinal", "for", "verb", "ref"}
)


def _print_purpose(cl: Clause) -> bool:
    """A clause about printing or hanging the photo ("put this on a canvas", "printing it as a poster")."""
    from .common import print_medium

    if cl.kinds("quote") or cl.colors() or cl.quantities or not any(print_medium(cl, i) for i in range(len(cl.items))):
        return False
    return not any(s.kind == "op" and not print_medium(cl, i) for i, it in enumerate(cl.items) for s in it.senses)


#: Verbs of having or using the photo as something ("wants this as her profile pic", "use it as my wallpaper").
_USE_VERBS = frozenset({"want", "use", "need", "like", "love", "set", "have", "keep", "print", "post", "frame"})
#: The photo itself, before "as" ("use this picture as …").
_THIS_PHOTO = frozenset({"this", "it", "this photo", "this picture", "this pic", "this image"})


#: Words for editing as an activity the user talks about ("bad at editing", "no idea how to use photoshop").
_EDITING = frozenset({"edit", "editing", "photoshop", "photoshopping", "lightroom", "gimp", "retouching"})


#: What may follow the activity in a remark about skill ("how to edit photos lol").
_SKILL_TAIL = frozenset({"photos", "pictures", "pics", "images", "photo", "picture", "lol", "stuff", "much", "haha"})


def _own_skill(cl: Clause) -> bool:
    """ "i'm terrible at editing lol", "i have no idea how to edit photos": the user's skill, not an ask.

    The clause starts with "i"; editing is named after "at/to/with/how" and followed by nothing but
    photo nouns and filler, so "i want someone to edit out my ex" stays an ask.
    """
    words = [w for it in cl.items for w in it.text.split()]
    if not words or words[0] not in ("i", "im") or cl.colors() or cl.kinds("quote"):
        return False
    if any(s.kind == "op" for it in cl.items for s in it.senses):
        return False
    for k, w in enumerate(words):
        if w in _EDITING and k > 0 and words[k - 1] in ("at", "to", "with", "how", "using", "use"):
            rest = words[k + 1 :]
            return all(x in _SKILL_TAIL for x in rest)
    return False


#: Words that make "can see" a complaint: "you can barely / can't / can hardly see the clouds".
_HARDLY = frozenset({"barely", "hardly", "not", "never", "t", "scarcely"})


def _cannot_see(cl: Clause) -> bool:
    """ "you can barely see the clouds", "i can't see his face": what a fault hides, told with no op word."""
    if any(s.kind == "op" for it in cl.items for s in it.senses) or cl.colors() or cl.kinds("quote"):
        return False
    words = [w for it in cl.items for w in it.text.split()]
    if "see" not in words:
        return False
    k = words.index("see")
    return bool({"can", "ca", "could", "cannot", "couldn", "cant"} & set(words[:k])) and bool(
        _HARDLY & set(words[max(0, k - 3) : k]) or {"cannot", "cant", "couldn"} & set(words[:k])
    )


def _used_as(cl: Clause) -> bool:
    """ "my sister wants this as her profile pic": the photo's use (want/use … this/it as …), no edit named."""
    if cl.kinds("quote") or cl.colors() or cl.quantities or cl.has("lookname"):
        return False
    if any(s.kind == "op" for it in cl.items for s in it.senses):
        return False
    for k in range(2, len(cl.items)):
        if cl.items[k].text == "as" and cl.items[k - 1].text in _THIS_PHOTO:
            return any(lem in _USE_VERBS for it in cl.items[: k - 1] for lem in it.lemmas)
    return False


#: Participles of how the photo was made ("it was taken on an old phone"): a statement, not an ask.
_MADE = frozenset({"taken", "shot", "captured", "snapped", "photographed", "made", "filmed", "scanned", "printed"})


def shown_in_photo(cl: Clause, index: int) -> bool:
    """ "this photo of my cat": the word at `index` is what the photo shows (after "photo of")."""
    j = index - 1
    while j >= 0 and cl.items[j].senses and all(s.kind in ("stop", "polite") for s in cl.items[j].senses):
        if cl.items[j].text == "of":
            prev = cl.items[j - 1] if j > 0 else None
            return prev is not None and (prev.has("imgnoun") or prev.has("ordinal", 1) or prev.has("filler"))
        j -= 1
    return False


def is_story_statement(cl: Clause) -> bool:
    """ "it was taken on an old phone", "this was shot at night": how the photo was made, never an edit.

    A past "was/were" + a making participle, with no edit verb or direction anywhere in the clause.
    """
    words = [w for it in cl.items for w in it.text.split()]
    for k in range(len(words) - 1):
        if words[k] in ("was", "were") and words[k + 1] in _MADE:
            return not any(
                it.has("dir") or it.has("verb") or it.has("fixverb") or it.has("too") or it.has("op") for it in cl.items
            )
    return False


def _hidden_state(cl: Clause) -> bool:
    """ "my sister's face is hidden": a thing's state told as a complaint, with no op word (backstory)."""
    cop = next((i for i, it in enumerate(cl.items) if it.has("copula")), None)
    if cop is None or cop == 0 or any(s.kind == "op" for it in cl.items for s in it.senses):
        return False
    glue = ("stop", "polite")
    rest = [it for it in cl.items[cop + 1 :] if not (it.senses and all(s.kind in glue for s in it.senses))]
    return bool(rest) and all(it.unknown and it.text.endswith(("ed", "en")) for it in rest)


def ignorable_role(cl: Clause) -> Role | None:
    """The role of a clause that is not an edit and may be left out (backstory, purpose), else None."""
    if _hidden_state(cl):
        return Role.BACKSTORY
    if _story_only(cl):
        return Role.BACKSTORY
    if _identifies_photo(cl):
        return Role.BACKSTORY  # "this is my youtube thumbnail": what the photo is
    if _print_purpose(cl):
        return Role.PURPOSE  # "I'd like to put this on a canvas": where the photo will go
    if _own_skill(cl):
        return Role.BACKSTORY  # "i'm terrible at editing lol", "i have no idea how to edit photos"
    if _cannot_see(cl):
        return Role.BACKSTORY  # "you can barely see the clouds": what the fault hides; another clause fixes it
    if _used_as(cl):
        return Role.PURPOSE  # "my sister wants this as her profile pic": what the photo will be
    start = cl.after_for()
    if 0 < start < len(cl.items) and all(
        it.senses and all(s.kind in ("polite", "stop", "verb", "filler", "imgnoun") for s in it.senses)
        for it in cl.items[:start]
    ):
        return Role.PURPOSE  # "need it for a logo", "use it for my etsy shop": what the photo is for
    if _edit_content(cl) or _asks(cl):
        return None
    words = {w for it in cl.items for w in it.text.split()}
    if not words & NARRATIVE:
        return None  # "qwzx plorb": not understood, not a story
    if cl.after_for() == 0 or words & {"so", "because", "since"}:
        return Role.PURPOSE
    return Role.BACKSTORY


#: Modal glue between a described image and its verb ("the after should look crisp").
_MODALS = frozenset({"should", "would", "must", "needs to", "need to", "has to", "ought to", "will", "can"})
#: "has"/"have": the before-image's faults follow ("the input has more shadows").
_HAVE = frozenset({"has", "have", "had", "contains", "shows"})


def _glue_item(words: str) -> list[Item]:
    """Items for a few glue words ("make it", "it"), read as the user would have typed them."""
    from .items import chunk
    from .text import tokenize

    return chunk(tokenize(words, []))


def describe_clauses(clauses: list[Clause]) -> list[Clause]:
    """Each clause read by `described_images`; "…the desired one, which is bright" continues the desired one."""
    out: list[Clause] = []
    for cl in clauses:
        first = cl.items[0].text if cl.items else ""
        if out and first in ("which", "that") and out[-1].items and _ends_with_after(out[-1]):
            cl = Clause(_glue_item("the desired picture") + cl.items[1:], cl.text)
        out.append(described_images(cl))
    return out


def _ends_with_after(cl: Clause) -> bool:
    """The clause ends on the desired picture ("… compared to the desired one")."""
    tail = [it for it in cl.items if it.kind != "punct"][-2:]
    return any(it.has("after_img") for it in tail)


def described_images(cl: Clause) -> Clause:
    """A before/after description read as an edit: the desired picture's state is the goal.

    "the desired picture is clear and colorful" → "make it clear and colorful"; "the input picture
    has more shadows" / "the original is dull" → "it has more shadows" / "it is dull" (a complaint,
    read as the usual complaint: its faults are what to undo). Other clauses come back unchanged.
    """
    cl = _monochrome_described(cl)
    for i, it in enumerate(cl.items):
        role = "after" if it.has("after_img") else "before" if it.has("before_img") else None
        if role is None or (it.has("ref") and not it.has("after_img")):
            continue
        j = i + 1
        while j < len(cl.items) and (cl.items[j].has("imgnoun") or cl.items[j].text in _MODALS):
            j += 1  # "the input picture", "the desired image", "the after should look …"
        if j >= len(cl.items):
            return cl
        verb = cl.items[j]
        is_verb = verb.has("copula") or verb.text in _HAVE
        if not is_verb:
            continue
        start = i - 1 if i > 0 and cl.items[i - 1].text in ("the", "this", "that", "which", "my") else i
        rest = cl.items[j + 1 :]
        if role == "after" and rest and (rest[0].has("too") or rest[0].has("neg") or rest[0].has("enough")):
            return cl  # "the result is too dark": a complaint, read as one
        if role == "after" and verb.has("copula"):
            new = _glue_item("make it") + cl.items[j + 1 :]
        elif role == "after":
            new = _glue_item("add") + cl.items[j + 1 :]  # "the target has more contrast": add more contrast
        elif role == "before":
            new = _glue_item("it") + cl.items[j:]
        else:
            return cl
        head = cl.items[:start]
        if any(s.kind == "op" for h in head for s in h.senses):
            new = head + new
        return Clause(new, cl.text)  # "the difference between the two pictures is that …": a frame only
    return cl


#: Marks that sit on a plain background and vanish when it is replaced ("the black line", "the stains").
_BACKGROUND_MARKS = frozenset(
    _words(
        """line lines mark marks stain stains spot spots smudge smudges dust speck specks dirt crease creases
        wrinkle wrinkles scratch scratches seam seams shadow shadows lint fold folds streak streaks"""
    )
)
#: The subject named by a pronoun: removing "me" onto a new background is a cut-out of the subject.
_SELF = frozenset({"me", "us", "him", "her", "them", "myself", "ourselves"})
#: Marks that are also op words ("shadows"): a mark only next to another mark noun ("the shadow line").
_OP_MARKS = frozenset({"shadow", "shadows"})
#: Pronouns that point back at the person a cut-out clause removed ("put him on white").
_PRONOUNS = frozenset({"him", "her", "them", "it", "he", "she", "they"})


def _new_background(cl: Clause) -> bool:
    """A clause that gives the photo a new plain background ("make the background white", "on all white")."""
    from .adjust import removal_object

    if not cl.has("bg"):
        return False
    return bool(cl.colors()) or cl.has_op("transparent", "remove_bg") or removal_object(cl) == "background"


def subsumed(clauses: list[Clause]) -> dict[int, str]:
    """Removal clauses that another clause's new background already does, with the reason (for notes).

    * a cut-out: "remove guy from the image and put him on all white background" — the removal is
      the cut-out of the new-background clause, not an object removal;
    * a mark on the background: "get rid of the black line and make the background white" — the
      new background covers it (a mark, stain or line, never a person or a named object).
    """
    from .adjust import removal_object

    out: dict[int, str] = {}
    new_bg = [j for j, cl in enumerate(clauses) if _new_background(cl)]
    if not new_bg:
        return out
    for i, cl in enumerate(clauses):
        what = removal_object(cl)
        words = {w for it in cl.items for w in it.text.split()}
        later = [clauses[j] for j in new_bg if j > i]
        hit = cl.op("remove")
        obj = cl.items[hit.index + 1].text if hit is not None and hit.index + 1 < len(cl.items) else ""
        if later and obj in _SELF:
            out[i] = f"“{cl.text}”: read as cutting the subject out onto the new background"
            continue  # "cut me out of this picture and make the background transparent"
        if i in new_bg or not (what == "thing" or (what == "property" and words & _BACKGROUND_MARKS - _OP_MARKS)):
            continue
        placed = any(
            c.has_word("put", "place", "set", "paste", "onto", "on") and {w for it in c.items for w in it.text.split()}
            & _PRONOUNS
            for c in later
        )
        if placed and cl.has("region", "subject"):
            out[i] = f"“{cl.text}”: read as cutting the subject out onto the new background"
        elif words & _BACKGROUND_MARKS and not cl.has("region", "subject") and not cl.has("region", "face"):
            out[i] = f"“{cl.text}”: the new background covers it"
    return out


#: Words before "black and white" that make it describe the photo as it is ("fix this black and white image").
_DESCRIBING = frozenset({"this", "my", "the", "our", "that", "these", "old", "his", "her", "their"})


_PHOTO_WORDS = frozenset(
    {"photo", "picture", "image", "pic", "shot", "photograph", "one", "version", "portrait", "headshot", "selfie"}
)


def _monochrome_described(cl: Clause) -> Clause:
    """ "fix this black and white image": the photo is already monochrome; "black and white" describes it.

    Only with another edit in the clause and an image noun right after: "make this photo black and
    white" and "a black and white version" still ask for grayscale.
    """
    from .lexicon import Sense, SenseKind

    items = list(cl.items)
    for i, it in enumerate(items):
        if not (it.has("op", "grayscale") or it.has("op", "sepia")) or i == 0 or items[i - 1].text not in _DESCRIBING:
            continue
        photo = it.text.split()[-1] in _PHOTO_WORDS
        nxt = items[i + 1] if i + 1 < len(items) else None
        if not (photo or (nxt is not None and (nxt.has("imgnoun") or nxt.text.split()[0] in _PHOTO_WORDS))):
            continue  # "this old photo", "this black and white image": the photo as it is
        if not any(s.kind == "op" and s.value not in ("grayscale", "sepia") for x in items for s in x.senses):
            continue
        items[i] = Item("phrase", it.text, None, [Sense(SenseKind.FILLER, 0)], it.lemmas)
    for i, it in enumerate(items):
        if it.has("lookname") and _era_described(items, i):
            items[i] = Item("phrase", it.text, None, [Sense(SenseKind.FILLER, 0)], it.lemmas)
    return Clause(items, cl.text) if items != cl.items else cl


#: Words that ask for a look ("an 80s look", "a vintage feel"): with them an era word is a look.
_LOOK_WORDS = frozenset({"look", "style", "feel", "vibe", "aesthetic", "effect", "filter", "like"})


def _era_described(items: list[Item], i: int) -> bool:
    """ "my granddad from the 80s", "an old phone", "this old black and white portrait": an era or age
    that describes a thing or the photo, not a look to apply."""
    words = {w for it in items for w in it.text.split()}
    if words & _LOOK_WORDS or len(items[i].text.split()) > 1:
        return False
    nxt = items[i + 1] if i + 1 < len(items) else None
    if nxt is not None and (nxt.unknown or nxt.generative):
        return True  # "an old phone", "a vintage car"
    prev = items[i - 1].text if i else ""
    if prev == "the" and i > 1 and items[i - 2].text in ("from", "in"):
        return True  # "from the 80s", "taken in the 90s"
    k = i + 1
    while k < len(items) and (items[k].has("op", "grayscale") or items[k].has("op", "sepia") or items[k].has("filler")):
        k += 1
    photo = k < len(items) and (items[k].has("imgnoun") or items[k].text.split()[0] in _PHOTO_WORDS)
    return prev in _DESCRIBING and photo  # "this old black and white portrait"


#: Senses that say what to do (a change, an amount, a state): a clause with one is not a bare topic.
_ACTING = frozenset(
    {"dir", "level", "verb", "too", "enough", "copula", "fixverb", "neg", "lookname", "recover", "deepen",
     "aspect", "rotdir", "updown", "sideways", "axis", "bigger", "mult", "frac", "ref", "polite"}
)


#: Nouns after a number that make it an amount ("2 points", "3 notches"), not a count of things.
_AMOUNT_NOUNS = frozenset({"point", "points", "pt", "pts", "notch", "notches", "step", "steps", "level", "levels"})


def topics_only(clauses: list[Clause], items: list[Item]) -> str:
    """The topics of a request that only lists them ("Colors, background, face color", "Two focus points"),
    else "". Bare op nouns alone ("contrast, saturation") still read as "more of them"; a list that also
    names a place or a thing, or a counted noun, names no change."""
    topics: list[str] = []
    counted = False
    places = False
    for cl in clauses:
        if any(q.unit != "bare" or q.dim or q.target or q.value > 10 for q in cl.quantities):
            return ""  # "800 px tall", "by 20": an amount
        for i, it in enumerate(cl.items):
            if it.kind in ("quote", "size", "ratio", "times", "ref"):
                return ""
            if it.kind == "num":
                nxt = cl.items[i + 1] if i + 1 < len(cl.items) else None
                if nxt is None or nxt.has("unit") or it.signed or nxt.text in _AMOUNT_NOUNS:
                    return ""
                if nxt.kind != "phrase" and not nxt.unknown:
                    return ""
                counted = True  # "two focus points": a count of things, not an amount
                continue
            if it.kind == "punct" or it.text == "and":
                continue
            if it.senses and all(s.kind in ("stop", "filler", "imgnoun", "sep") for s in it.senses):
                continue
            if any(s.kind in _ACTING for s in it.senses) or (it.kind == "color" and it.comparative):
                return ""
            if any(s.kind == "op" and (s.pos != "n" or s.sign != 0) for s in it.senses):
                return ""
            places = places or not any(s.kind == "op" for s in it.senses)
            topics.append(it.text)
    parts = sum(1 for it in items if it.kind == "punct" and it.text in (",", ";", "/")) + 1
    listed = parts >= 2 and len(topics) >= 2 and places
    return ", ".join(topics) if topics and (counted or listed) else ""


#: Words without which no clause can be a consistency wish (so the batch reader loads only when needed).
_CONSISTENCY_CUE = re.compile(
    r"\b(?:consistent|consistently|uniform|cohesive|coherent|homogeneous|alike|same|match|matching|matched|even)\b",
    re.IGNORECASE,
)


def batch_wish(prompt: str, n_images: int) -> tuple[ConsistencyRequest | None, str]:
    """The consistency wish the batch reader (`retouch.consistency.words`) finds, and the rest of the prompt.

    With one image, a wish must name the set ("make them consistent"): "keep the same colours" alone is
    a constraint on this edit.
    """
    if not _CONSISTENCY_CUE.search(prompt):
        return None, prompt
    from retouch.consistency.words import read_consistency

    wish, rest = read_consistency(prompt)
    if wish is not None and n_images == 1 and not any(_SET_WORDS.search(w) for w in wish.text):
        return None, prompt
    return wish, rest


#: Words naming a set of photos.
_SET_WORDS = re.compile(
    r"\b(?:them|they|these|those|all|set|batch|series|lot|photos|images|pictures|pics|shots|each|every)\b", re.I
)


#: "without losing quality", "without it getting blurry": a constraint, not an edit (see text.normalise).
_CONSTRAINT = re.compile(r"without (?:it |them )?\w+ing\b")


def is_constraint_tail(cl: Clause) -> bool:
    """ "without it getting pixelated": a constraint on the edit before it (split off by text.normalise)."""
    return bool(_CONSTRAINT.match(cl.text))
