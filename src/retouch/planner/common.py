"""What every part of the planner shares: the planning context, step construction, refusals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from retouch.errors import UnsupportedInstruction
from retouch.ops.catalog import CATALOG, validate_step
from retouch.schema import PlanStep

from .clause import DETERMINERS, Clause
from .items import Item
from .refusals import cannot_locate, not_understood
from .refusals import needs_generation as _needs_generation
from .regions import hedged, is_light_source


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


HARMLESS = {"polite", "stop", "filler", "copula", "imgnoun", "for", "sep", "enough"}


def make_step(op: str, params: dict[str, Any], cl: Clause, ctx: Ctx, region: str | None = None) -> PlanStep:
    """A PlanStep checked against the op spec, its main parameter filled from the spec when unsaid.

    Region rule: regional ops go to the mask when there is one. A step the spec does not allow is a
    planner bug: `validate_step` raises PlanInvalid naming the op and parameter.
    """
    info = CATALOG[op]
    if info.status != "ready":
        raise UnsupportedInstruction(
            f'cannot do "{cl.text}" with the builtin engine yet: {op} is planned, not implemented', fragment=cl.text
        )
    if not info.regional:
        region = "all"
    elif region is None or region == "all":
        region = "mask" if ctx.has_mask else "all"
    params = dict(params)
    if info.main is not None and info.main not in params and info.default() is not None:
        params[info.main] = info.default()
    validate_step(0, op, params, region)
    return PlanStep(op=op, params=params, region=region, text=cl.text)


def refusal_for(cl: Clause) -> UnsupportedInstruction:
    """Nothing here is an edit the builtin engine knows: generative if it reads as English, else unknown."""
    glue = {"stop", "polite", "unit", "to", "by", "sep", "filler"}
    known = [
        it
        for it in cl.items
        if any(s.kind not in glue for s in it.senses) or it.generative or it.kind in ("color", "quote")
    ]
    if not known:
        return not_understood(cl.text)
    return needs_generation(cl)


def needs_generation(cl: Clause, why: str = "") -> UnsupportedInstruction:
    """The standard refusal for edits that need a generative model."""
    return _needs_generation(cl.text, why)


#: Devices a story names as the tool ("on my phone", "with an old camera"), never a thing in the photo.
_DEVICES = frozenset(
    {"phone", "iphone", "smartphone", "camera", "laptop", "computer", "pc", "mac", "ipad", "tablet", "app"}
)


def _device_used(cl: Clause, i: int) -> bool:
    """ "on my phone", "with her old camera": a device after on/with/from/using and a possessive or article."""
    it = cl.items[i]
    if not it.lemmas or it.lemmas[-1] not in _DEVICES:
        return False
    words = [w for x in cl.items[max(0, i - 3) : i] for w in x.text.split()]
    if "on" not in words and "with" not in words and "from" not in words and "using" not in words:
        return False
    return any(w in ("my", "her", "his", "our", "their", "a", "an", "your") for w in words)


def check_targets(cl: Clause, ctx: Ctx) -> None:
    """Refuse when the edit is aimed at a thing the engine cannot find ("brighten the car", "her eyes").

    With a mask, a named thing is the masked area (the steps already default to it).
    """
    if ctx.has_mask:
        return
    end = cl.after_for()
    for i, it in enumerate(cl.items):
        if it.text == "so" and i > 0:
            end = min(end, i)  # "… so my daughter can be seen": a purpose, not a target
        names_photo = it.has("imgnoun") or it.has("ordinal", 1) or it.text.split()[-1] in _PHOTO_NOUNS
        if names_photo and i + 1 < len(cl.items) and cl.items[i + 1].text == "of":
            end = min(end, i)  # "this picture of my uncle and his deer": what the photo shows, not a target
    story = False
    for i, it in enumerate(cl.items[:end]):
        if it.text in STATEMENT_VERBS - {"is", "are", "has"} and not it.has("op"):
            story = True  # "my friend took this on her phone": what follows tells the story
        elif it.has("dir") or any(s.kind == "op" and s.pos in ("v", "a") for s in it.senses):
            story = False
        if story or not (it.unknown or it.generative) or is_statement_verb(it) or print_medium(cl, i):
            continue  # … "print it as a poster": where the photo goes, not a thing in it
        nxt = cl.next_content(i)
        if nxt == i + 1 and cl.items[nxt].has("imgnoun"):
            continue  # "the desired image", "this badass picture": a word describing the photo
        if it.lemmas and it.lemmas[0] in SCENE_NOUNS:
            continue  # "make the sunset more vibrant": the scene is the whole picture
        if _device_used(cl, i):
            continue  # "i can't do it on my phone", "taken with her camera": the tool, not a thing in the photo
        if nxt is not None and nxt == i + 1 and cl.items[nxt].kind == "color":
            continue  # "a weird green tint": a word describing the colour
        if nxt is not None and nxt == i + 1 and describes_place(cl.items[nxt]):
            continue  # "the night sky", "the evening sky": a word describing a region the engine finds
        if hedged(cl, i):
            continue  # "with maybe a sunset sky": a possibility, not a thing to find
        if is_light_source(cl, i) and cl.ops():
            continue  # "the sun", "the moon": the brightest thing, reached by a highlights move
        if nxt is not None and is_statement_verb(cl.items[nxt]):
            continue  # "my friend took this", "the camera made everything orange": a subject, not a target
        after = cl.next_content(nxt) if nxt is not None and not cl.items[nxt].has("dir") else None
        if after is not None and is_statement_verb(cl.items[after]) and not cl.items[after].has("copula"):
            continue  # "the street lights made everything orange": a compound subject of a statement
        prev = cl.items[i - 1] if i > 0 else None
        if prev is None:
            continue
        before = cl.prev_content(i - 1) if prev.text.split()[-1] in DETERMINERS else i - 1
        # "remove the glare from my glasses": a thing it cannot find is a place; "from the sun" a cause
        removing = (cl.has_op("remove") or cl.has("fixverb")) and it.generative
        cause = ("by", "because of", "due to") if removing else ("from", "by", "because of", "due to")
        if before is not None and before >= 0 and cl.items[before].text in cause:
            continue  # "washed out from the sun": a cause, not a target
        raw = i - 2 if prev.text.split()[-1] in DETERMINERS else i - 1
        if (before is not None and cl.items[before].text in _COMPARING) or (
            raw >= 0 and cl.items[raw].text in _COMPARING
        ):
            continue  # "look appetizing like a mcdonald commercial": a comparison, not a target
        # "brighten this car" still names a target; "make this cake pop" means the photo
        whole = all(h.op in _WHOLE_PHOTO_OPS or cl.items[h.index].text in _VAGUE_WORDS for h in cl.ops())
        if prev.text in ("this", "these") and ctx.n_images == 1 and whole and not cl.colors():
            continue  # "make this egg sandwich look appetizing": the photo itself, named by what it shows
        if prev.kind == "num" and i >= 2 and cl.items[i - 2].text.split()[-1] in DETERMINERS:
            raise cannot_locate(cl.text, f"{cl.items[i - 2].text} {prev.text} {it.text}")  # "the two swords"
        prev_words = prev.text.split()
        verb_object = any(s.kind == "op" and s.pos == "v" for s in prev.senses) and it.unknown
        if (
            (prev_words and prev_words[-1] in DETERMINERS)
            or prev.has("region", "subject")
            or prev.kind == "color"
            or verb_object
        ):
            thing = it.text if verb_object else f"{prev.text} {it.text}"
            raise cannot_locate(cl.text, thing)


def describes_place(it: Item) -> bool:
    """The sky or a background noun (not the preposition "behind"): what a word before it describes."""
    return it.has("region", "sky") or (it.has("bg") and it.text not in ("behind", "in back of", "back of"))


#: Nouns for the whole scene: an edit aimed at them is an edit of the whole picture.
SCENE_NOUNS = frozenset({"sunset", "sunrise", "scene", "scenery", "view", "landscape", "dusk", "dawn", "twilight"})

#: Ops that act on the photo as a whole: with them "this egg sandwich" is the photo, named by what it shows.
_WHOLE_PHOTO_OPS = frozenset({"enhance", "look", "match", "resize", "crop", "rotate", "flip", "straighten", "place"})


#: Vague aesthetic op words: with them "this X" is the photo as a whole ("make this sunset pop").
_VAGUE_WORDS = frozenset({"pop", "popping", "vibrant", "vivid", "lively", "stand out"})


#: Words before a noun that make it a comparison ("like a mcdonald commercial", "than the source").
_COMPARING = frozenset({"like", "as", "than"})


#: Nouns that name the photo ("this old photo of my dad": what follows "of" is what it shows).
_PHOTO_NOUNS = frozenset({"photo", "picture", "image", "pic", "shot", "photograph", "snap", "portrait", "selfie"})


#: Things a photo is printed or shown on: "on a canvas" names the medium, not padding or a target.
_MEDIA = frozenset({"canvas", "canvases", "poster", "posters", "print", "prints", "wall", "board", "mug", "shirt"})


#: Verbs for what happens to the photo after the edit, and the subjects that say the user will do it.
_HANGING = frozenset({"framing", "frame", "framed", "print", "printing", "printed", "hang", "hanging"})
_SOMEONE_WILL = frozenset({"i am", "i m", "we are", "going to", "want to", "i will", "we will", "gonna", "to"})


def print_medium(cl: Clause, index: int) -> bool:
    """Whether the word at `index` names a print medium ("blow it up on a canvas", "print it as a poster")."""
    word = cl.items[index].text
    if word in _HANGING and index > 0 and cl.items[index - 1].text in _SOMEONE_WILL:
        return True  # "I'm framing this for my office": what the user will do with the photo
    if word not in _MEDIA:
        return False
    nxt = cl.next_content(index)
    if nxt is not None and cl.items[nxt].text in ("print", "prints", "wrap", "printing"):
        return True
    j = index - 1
    while j >= 0 and cl.items[j].text in ("a", "an", "the", "this", "my", "big", "large", "huge", "small"):
        j -= 1
    return j >= 0 and (cl.items[j].has("on") or cl.items[j].text in ("as", "to", "for", "into", "onto"))


#: Verbs of a statement about the photo's story ("my friend took this", "the sun was behind me").
STATEMENT_VERBS = frozenset(
    {"took", "take", "was", "were", "is", "are", "made", "came", "ruined", "got", "had", "has", "shot", "did",
     "looked", "passed", "loves", "love", "likes", "wanted", "wants", "turned", "died", "said", "says"}
)


def is_statement_verb(it: Item) -> bool:
    """A verb that makes the noun before it the subject of a statement (backstory), not an edit's target."""
    word = it.text.split()[0] if it.text else ""
    return it.has("copula") or word in STATEMENT_VERBS or (it.unknown and word.endswith("ed") and len(word) > 4)


def is_glue(it: Item) -> bool:
    """Politeness, articles and filler: words that carry no edit."""
    return bool(it.senses) and all(s.kind in HARMLESS for s in it.senses)


def near(cl: Clause, index: int, kind: str, span: int = 3) -> int | None:
    """Index of an item with a sense of `kind` within `span` items of `index`."""
    for j in range(max(0, index - span), min(len(cl.items), index + span + 1)):
        if cl.items[j].has(kind):
            return j
    return None
