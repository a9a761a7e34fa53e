"""Overlays: captions, titles and watermarks; placed images (logos); borders."""

from __future__ import annotations

import re
from typing import Any

from retouch.errors import UnsupportedInstruction

from .amounts import DEFAULT_AMOUNTS
from .clause import Clause
from .common import Ctx, Steps, make_step, near, needs_generation, print_medium
from .refusals import cannot_locate
from .regions import position_in, refs_in, resolve_ref

#: Participles that say quoted text was taken out of the photo ("the words 'SALE' were removed").
_REMOVED = ("removed", "erased", "deleted", "gone", "taken out", "cleaned", "hidden")


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
    start = _existing_text(cl, trig.index) if not quotes and trig is not None else 0
    if trig is not None and start and ctx.has_mask:
        return None  # "make the red text darker" with a mask: the text is the masked area (an adjustment)
    if trig is not None and start:
        # "make the red text darker": text already in the photo, which the engine cannot find
        raise cannot_locate(cl.text, " ".join(it.text for it in cl.items[start : trig.index + 1]))
    if quotes and (cl.op("remove") is not None or cl.has_word(*_REMOVED)):
        # "remove the words 'SALE' from the sign", "the word 'Exit' was erased": text in the photo, taken out
        raise needs_generation(cl)
    text = " ".join(str(it.value) for _, it in quotes) if quotes else _unquoted_text(cl, ctx)
    if (
        not text
        and trig is not None
        and trig.index > 0
        and cl.items[trig.index - 1].text in ("the", "this", "that")
    ):
        raise needs_generation(cl)  # "make the text bigger": editing text already in the photo
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
    size = text_size(cl)
    if size is not None:
        params["size"] = size
    colors = cl.colors()
    if colors:
        params["color"] = list(colors[0][1].value)
    opacity = opacity_in(cl)
    if opacity is None and style == "watermark":
        opacity = 0.5
    if opacity is not None:
        params["opacity"] = opacity
    params["style"] = style
    return [make_step("text", params, cl, ctx)]


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


def text_size(cl: Clause) -> float | None:
    """Text height as a fraction of the image height: small 0.04, large 0.1, huge 0.15, or "10%"."""
    pct = cl.quantity("percent")
    if pct is not None and not near(cl, pct.index, "opacityword") and not near(cl, pct.index, "opacity"):
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


def opacity_in(cl: Clause) -> float | None:
    """Opacity 0..1: "50% opacity", "30% transparent" (→ 0.7), "semi-transparent" (0.5), "solid" (1)."""
    pct = cl.quantity("percent")
    if pct is not None:
        word = near(cl, pct.index, "opacityword")
        if word is not None:
            v = pct.value / 100
            return round(1 - v, 4) if cl.items[word].text in ("transparent", "transparency") else round(v, 4)
    for it in cl.items:
        s = it.sense("opacity")
        if s is not None and (cl.op("watermark") or it.text not in ("light", "subtle", "faded")):
            return float(s.value) if it.text not in ("faint", "barely visible", "ghosted") else 0.3
    return None


def build_place(cl: Clause, ctx: Ctx) -> Steps | None:
    """Overlay another input (a logo) at a position and scale."""
    refs = refs_in(cl)
    place = cl.op("place")
    placing_verb = cl.has_word("put", "add", "place", "insert", "overlay", "stamp", "paste")
    if place is None and not (refs and placing_verb and (cl.sides() or cl.op("watermark"))):
        return None
    if cl.has("bg") or (cl.has("on") and not cl.sides() and not _onto_the_photo(cl)):
        return None  # "put her on image 2" is a background, handled there
    named_only = all(r == "logo" for r in refs)
    if named_only and not placing_verb and place is not None and cl.items[place.index].text not in ("watermark",):
        before = cl.items[place.index - 1].text if place.index else ""
        if before in ("", "this", "these", "that", "my", "our", "the", "of"):
            return None  # "double the size of this logo": the logo is the photo being edited
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
    spec = next((r for r in refs if r not in ("logo", 0)), "logo" if "logo" in refs else refs[0])
    ref = resolve_ref(spec, ctx.n_images, cl.text)
    if ref == 0:
        return None  # "this picture" is the image being edited: nothing to place
    params: dict[str, Any] = {"ref": ref, "position": position_in(cl) or "bottom-right"}
    pct = cl.quantity("percent")
    opacity = opacity_in(cl)
    if pct is not None and not (near(cl, pct.index, "opacityword")):
        params["scale"] = round(pct.value / 100, 4)
    else:
        size = text_size(cl)
        if size is not None:
            params["scale"] = {0.03: 0.08, 0.04: 0.12, 0.1: 0.35, 0.15: 0.5}.get(size, 0.2)
    if opacity is None and cl.op("watermark"):
        opacity = 0.5
    if opacity is not None:
        params["opacity"] = opacity
    return [make_step("place_image", params, cl, ctx)]


#: Subjects of a statement about the photo ("we framed it"): the verb after them is not an edit.
_PRONOUNS = frozenset({"i", "we", "they", "he", "she", "you", "i am", "we are"})


def names_a_thing(cl: Clause, index: int) -> bool:
    """ "the border of Canada", "the border collie", "we framed the picture": the word names no border to add."""
    it = cl.items[index]
    nxt = cl.items[index + 1] if index + 1 < len(cl.items) else None
    if nxt is not None and (nxt.unknown or nxt.generative):
        return True  # a compound noun: "border collie", "frame shop"
    if nxt is not None and nxt.text == "of" and not any(q.index > index for q in cl.quantities):
        return True  # "the border of Canada" (but "a border of 20 px" is one)
    prev = cl.items[index - 1].text if index else ""
    return it.text.endswith("ed") and prev in _PRONOUNS  # "we framed the picture": a statement


def _onto_the_photo(cl: Clause) -> bool:
    """ "put my logo on it", "on this photo": placed onto the image being edited, not a new background."""
    for i, it in enumerate(cl.items):
        if it.has("on"):
            nxt = cl.items[i + 1] if i + 1 < len(cl.items) else None
            if nxt is not None and (nxt.text in ("it", "this", "top") or nxt.has("imgnoun") or nxt.has("ordinal", 1)):
                return True
    return False


def build_border(cl: Clause, ctx: Ctx) -> Steps | None:
    """A frame around the image: thickness words or a percentage, a colour; pixels become padding."""
    # "I'm framing this for my office" is a purpose and "this picture frame" a thing in the photo: not borders
    hit = next(
        (
            h
            for h in cl.ops()
            if h.op == "border"
            and not print_medium(cl, h.index)
            and not names_a_thing(cl, h.index)
            and not (cl.items[h.index].text in ("frame", "frames") and _frame_in_scene(cl, h.index))
        ),
        None,
    )
    if hit is None or cl.has_op("crop", "resize"):
        return None
    if cl.items[hit.index].text == "frame" and not (_adds(cl) or cl.prev_content(hit.index) is None):
        return None  # "frame" needs an adding word, or to be the verb ("frame the photo")
    colors = cl.colors()
    color = list(colors[0][1].value) if colors else [255, 255, 255]
    px = cl.quantity("px") or (
        cl.quantity("bare") if cl.quantity("bare") and cl.quantity("bare").value >= 2 else None  # type: ignore[union-attr]
    )
    if px is not None:
        n = round(px.value)
        return [
            make_step("extend_canvas", {"top": n, "bottom": n, "left": n, "right": n, "color": color}, cl, ctx)
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
    return [make_step("border", params, cl, ctx)]


#: Words that point at something already in the photo ("the red text", "his shirt's text").
_EXISTING = frozenset({"the", "this", "that", "these", "those", "his", "her", "its", "their", "my", "your"})


def _existing_text(cl: Clause, index: int) -> int:
    """Where "the [red] text" starts when it names text already in the photo (no "saying …"); else 0."""
    words = {w for k, it in enumerate(cl.items) if k != index for w in it.text.split()}
    if words & {"saying", "says", "say", "reading", "reads", "write", "caption", "add", "put", "that"}:
        return 0
    j = index - 1
    while j >= 0 and (cl.items[j].kind == "color" or cl.items[j].has("level") or cl.items[j].has("sizeword")):
        j -= 1
    return j if j >= 0 and cl.items[j].text in _EXISTING else 0


def _frame_in_scene(cl: Clause, index: int) -> bool:
    """ "in this picture frame", "remove the frame": a frame that is a thing in the photo."""
    prev = cl.items[index - 1] if index else None
    if prev is not None and (prev.has("imgnoun") or prev.text in ("window", "door", "bed", "mirror")):
        return True  # "picture frame", "photo frame", "window frame"
    j = index - 1
    while j >= 0 and (cl.items[j].text in _EXISTING or cl.items[j].kind == "color"):
        j -= 1
    if j >= 0 and cl.items[j].text in ("in", "inside", "on", "of", "from"):
        return True
    return cl.has_op("remove") or cl.has("fixverb")


def _adds(cl: Clause) -> bool:
    """An adding verb or a describing word is present ("add a frame", "a thin white frame")."""
    return cl.has("dir", 1) or cl.has("verb") or bool(cl.colors()) or cl.has("thick")
