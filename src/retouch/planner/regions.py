"""Where an edit applies (regions, positions, directions) and which input image a phrase refers to."""

from __future__ import annotations

from retouch.errors import UnsupportedInstruction

from .clause import Clause
from .refusals import needs_mask

#: Regions a regional step may name (mirrors retouch.ops.catalog.REGIONS).
REGION_WORDS_DOC = {
    "background": "the background, backdrop, bg, behind her",
    "subject": "the subject, product, person, model, him, her, the foreground",
    "face": "her face, his face, the face, faces, skin",
    "sky": "the sky, the clouds",
    "mask": "the masked/selected area, this area, here, the selection (needs a mask)",
    "left/right/top/bottom": "the left side, the right half, the top, the bottom part",
    "top-left/...": "the top right corner, upper left, lower right",
    "center": "the centre, the middle",
    "edges": "the edges, the corners, the periphery",
}
_CORNER_OF = {
    ("top", "left"): "top-left",
    ("top", "right"): "top-right",
    ("bottom", "left"): "bottom-left",
    ("bottom", "right"): "bottom-right",
}


#: "X against/from/over/off the background": the background is where X stands, not a target.
_LANDMARK_PREPS = frozenset({"against", "from", "over", "off", "in front of"})


def regions_in(cl: Clause, *, has_mask: bool, exclude_from: bool = True) -> list[str]:
    """Regions the clause names for tone/colour/detail ops, in order, without duplicates."""
    found: list[str] = []
    landmarks: set[int] = set()
    for i, it in enumerate(cl.items):
        if it.has("bg") and it.text in ("behind", "in back of", "back of"):
            nxt = cl.next_content(i)
            if nxt is not None and (cl.items[nxt].has("region", "subject") or cl.items[nxt].has("region", "face")):
                landmarks.add(nxt)  # "behind her", "behind the subject": she is where, not what, to edit
        if it.has("bg") and any(x.has("region") for x in cl.items[:i]):
            prev = cl.prev_content(i)
            if prev is not None and cl.items[prev].text in _LANDMARK_PREPS:
                landmarks.add(i)  # "make the product pop against the background": the product only
    for i, it in enumerate(cl.items):
        for s in it.senses:
            if s.kind in ("region", "bg") and i in landmarks:
                continue
            if s.kind in ("region", "bg") and hedged(cl, i):
                continue  # "more colour, with possibly an evening sky": a wish about the scene, not a place
            if s.kind in ("region", "bg") and _emphasised(cl, i) and "all" not in found:
                found.append("all")  # "brighten the photo, especially the faces": all of it, and more there
            if s.kind == "region" and s.value in ("face", "subject") and _surrounding(cl, i):
                found.append("background")  # "blur around the face": the surroundings, not the face
            elif s.kind == "region":
                found.append(str(s.value))
            elif s.kind == "bg" and it.text not in ("setting",):
                found.append("background")
    found += _side_regions(cl, exclude_from)
    if "face" in found and "subject" in found:
        found = [r for r in found if r != "subject"]  # "the model's face": the face, not the whole model
    if "mask" in found and not has_mask:
        raise needs_mask(cl.text, "refers to a masked or selected area")
    out: list[str] = []
    for r in found:
        if r not in out:
            out.append(r)
    return out


#: Words that make a region its surroundings ("around her face", "the area surrounding him").
_AROUND = frozenset({"around", "round", "surrounding", "surround", "outside"})


def _surrounding(cl: Clause, i: int) -> bool:
    """The region word at i follows "around"/"surrounding" (past articles and possessives)."""
    prev = cl.prev_content(i)
    return prev is not None and cl.items[prev].text in _AROUND


#: Things that are the brightest in their frame: a highlights move reaches them without locating them.
LIGHT_SOURCES = frozenset(
    {
        "sun", "moon", "sunlight", "moonlight", "lamp", "lamps", "bulb", "bulbs", "candle", "candles", "star",
        "stars", "firework", "fireworks", "lantern", "lanterns", "streetlight", "streetlights", "neon",
        "sunburst", "sunrays",
    }
)  # fmt: skip
def is_light_source(cl: Clause, i: int) -> bool:
    """Item i is a light source noun, not a modifier of another noun ("a sun flare effect")."""
    it = cl.items[i]
    if it.kind != "word" or not it.lemmas or it.lemmas[0] not in LIGHT_SOURCES:
        return False
    nxt = cl.items[i + 1] if i + 1 < len(cl.items) else None
    if nxt is None:
        return True
    return not (nxt.unknown or nxt.generative or any(s.kind == "op" and s.pos == "n" for s in nxt.senses))


#: Words that put extra weight on a region after an edit of the whole picture.
_EMPHASIS = frozenset({"especially", "particularly", "mainly", "mostly", "primarily", "notably", "specially"})


def _emphasised(cl: Clause, i: int) -> bool:
    """An emphasis word stands in the noun phrase before the region word ("especially the faces")."""
    for it in reversed(cl.items[max(0, i - 3) : i]):
        if it.text in _EMPHASIS:
            return True
        if not (it.has("stop") or it.text in ("on", "in", "for", "to")):
            return False
    return False


#: Hedges that make the noun after them a possibility, not the place to edit.
_HEDGES = frozenset({"possibly", "maybe", "perhaps", "probably", "ideally"})


def hedged(cl: Clause, i: int) -> bool:
    """A hedge stands in the noun phrase before the region word ("possibly an evening sky")."""
    for it in reversed(cl.items[max(0, i - 4) : i]):
        if it.text in _HEDGES:
            return True
        praise = all(x.value in ("enhance", "look") for x in it.senses if x.kind == "op")
        if (it.has("op") and not praise) or it.has("dir") or it.has("verb") or it.kind == "punct":
            return False  # "maybe brighten the sky": the hedge is on the verb, the sky is still the place
    return False


_IMAGE_NOUNS = frozenset({"image", "images", "picture", "pictures", "photo", "photos", "pic", "one", "version"})


def _names_an_image(cl: Clause, i: int) -> bool:
    """A side word that picks one of two photos: after "than", or "the photo on the right"."""
    nxt = cl.items[i + 1] if i + 1 < len(cl.items) else None
    if nxt is not None and nxt.has("part"):
        return False  # "the photo on the left side": a part of this photo
    before = [it.text for it in cl.items[max(0, i - 3) : i]]
    if "than" in before:
        return True
    j = i - 1
    while j >= 0 and cl.items[j].text in ("the", "on", "to", "at"):
        j -= 1
    return j >= 0 and j < i - 1 and (cl.items[j].has("imgnoun") or cl.items[j].text.split()[-1] in _IMAGE_NOUNS)


def _side_regions(cl: Clause, exclude_from: bool) -> list[str]:
    """Side words read as regions: "the left side" → left, "top right corner" → top-right, "edges" → edges."""
    out: list[str] = []
    sides = cl.sides()
    parts = cl.parts()
    for i, side in sides:
        if side == "front":
            continue
        nxt = cl.items[i + 1] if i + 1 < len(cl.items) else None
        if nxt is not None and (nxt.has("imgnoun") or nxt.text.split()[0] in _IMAGE_NOUNS):
            continue  # "the left image is darker": which image, not a part of it
        if _names_an_image(cl, i):
            continue  # "more orange than the left", "the photo on the right looks warmer": the other image
        prev = cl.prev_content(i)
        if exclude_from and prev is not None and cl.items[prev].has("from"):
            continue  # "from the left" is a direction (light), not a region
        out.append(side)
    # "the top and left" → keep; "top" + "left" adjacent is already one phrase
    if not out:
        for _i, part in parts:
            if part in ("edge", "corner"):
                out.append("edges")
    elif any(p in ("corner",) for _, p in parts) and len(out) == 2 and tuple(out) in _CORNER_OF:
        out = [_CORNER_OF[(out[0], out[1])]]
    return out


def position_in(cl: Clause) -> str | None:
    """A placement for text or a logo: top, bottom-left, center, ... (None when not given)."""
    sides = [s for _, s in cl.sides() if s != "front"]
    if len(sides) > 1 and "center" in sides:
        sides = [s for s in sides if s != "center"]  # "centred at the top": the top, centred across
    if not sides:
        return None
    if len(sides) >= 2:
        pair = (sides[0], sides[1]) if sides[0] in ("top", "bottom") else (sides[1], sides[0])
        if pair in _CORNER_OF:
            return _CORNER_OF[pair]
    pos = sides[0]
    if cl.has_word("corner", "corners") and pos in ("top", "bottom"):
        return f"{pos}-right"
    if cl.has_word("corner", "corners") and pos in ("left", "right"):
        return f"bottom-{pos}"
    return pos


def light_direction(cl: Clause) -> str | None:
    """Where light comes from: "from the left" → left, "from above" → top, "from the front" → front."""
    for _i, side in cl.sides():
        if side in ("left", "right", "top", "bottom", "front"):
            return side
        if "-" in side:
            # "from the top left" → the dominant side for a single-direction light
            return side.split("-")[1]
    return None


# ---------------------------------------------------------------- references to other images

_ORDINAL_WORDS = {
    "first": 0,
    "second": 1,
    "third": 2,
    "fourth": 3,
    "fifth": 4,
    "sixth": 5,
    "seventh": 6,
    "eighth": 7,
    "ninth": 8,
    "tenth": 9,
    "1st": 0,
    "2nd": 1,
    "3rd": 2,
    "4th": 3,
    "5th": 4,
}


def refs_in(cl: Clause) -> list[int | str]:
    """Image references in the clause: 0-based indices, or "other"/"last"/"logo" to resolve later."""
    out: list[int | str] = []
    items = cl.items
    for i, it in enumerate(items):
        if it.kind == "ref":
            out.append(int(it.value))
            continue
        nxt = cl.next_content(i)
        if it.has("ordinal"):
            idx = int(it.sense("ordinal").value) - 1  # type: ignore[union-attr]
            if len(it.lemmas) > 1 or (nxt is not None and items[nxt].has("imgnoun")):
                out.append(idx)
            continue
        word = it.text.split()[0] if it.text else ""
        if word in _ORDINAL_WORDS and nxt is not None and items[nxt].has("imgnoun"):
            out.append(_ORDINAL_WORDS[word])
            continue
        if it.has("imgnoun") and nxt is not None and items[nxt].kind == "num" and nxt == i + 1:
            value = float(items[nxt].value)
            if value.is_integer() and 1 <= value <= 16:
                out.append(int(value) - 1)
            continue
        ref = it.sense("ref")
        if ref is not None:
            out.append(str(ref.value))
        elif it.has("op", "place") and it.lemmas and it.lemmas[0] == "logo":
            out.append("logo")
    return out


def resolve_ref(spec: int | str, n_images: int, fragment: str) -> int:
    """A reference → a valid 0-based input index, or a clear error naming what is missing."""
    if isinstance(spec, int):
        if spec >= n_images:
            given = f"only {n_images} images were given" if n_images != 1 else "only 1 image was given"
            raise UnsupportedInstruction(
                f'"{fragment}" refers to image {spec + 1}, but {given}', fragment=fragment
            )
        return spec
    if n_images < 2:
        what = {"logo": "a logo image", "last": "the last image"}.get(spec, "another image (a reference)")
        raise UnsupportedInstruction(
            f'"{fragment}" refers to {what}, but only 1 image was given: add it as a second input image',
            fragment=fragment,
        )
    if spec == "last" or n_images == 2:
        return n_images - 1
    raise UnsupportedInstruction(
        f'"{fragment}" refers to {"the logo" if spec == "logo" else "the other image"}, '
        f'but {n_images} images were given: say which one, e.g. "image 2" or "the third image"',
        fragment=fragment,
    )
