"""Geometry: crops, resizes, padding, rotation, flips, straightening."""

from __future__ import annotations

from typing import Any

from retouch.errors import UnsupportedInstruction
from retouch.ops.catalog import CATALOG

from .clause import Clause, ratio_ints
from .common import Ctx, Steps, is_glue, make_step, print_medium
from .refusals import GENERATIVE_HINT


def build_pad(cl: Clause, ctx: Ctx) -> Steps | None:
    """Padding / canvas extension: pixels per side, or to an aspect ratio, in a colour or transparent."""
    if not cl.has_op("pad"):
        return None
    if all(print_medium(cl, h.index) for h in cl.ops() if h.op == "pad"):
        return None  # "print it on a canvas": the print medium, not padding
    sizes = [it.value for _, it in cl.kinds("size") if max(it.value) > 50]
    if sizes:
        # "resize to 800x600 with letterboxing": an exact size, met by padding rather than cropping
        w, h = sizes[0]
        return [make_step("resize", {"width": int(w), "height": int(h), "fit": "contain"}, cl, ctx)]
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
    ratio = ratio_in(cl)
    if ratio is not None:
        return [make_step("extend_canvas", {"ratio": ratio, "color": color}, cl, ctx)]
    px = cl.quantity("px") or cl.quantity("bare")
    if px is not None:
        n = round(px.value)
        sides = _pad_sides(cl)
        params: dict[str, Any] = {s: (n if s in sides else 0) for s in ("top", "bottom", "left", "right")}
        params["color"] = color
        return [make_step("extend_canvas", params, cl, ctx)]
    if color == "transparent" or color == "edge":
        raise UnsupportedInstruction(
            f'"{cl.text}": say how much to add in pixels, e.g. "add 100 px of transparent padding" '
            f"(extending the scene itself needs a generative model: {GENERATIVE_HINT})",
            fragment=cl.text,
        )
    pct = cl.quantity("percent")
    width = pct.value / 100 if pct is not None else 0.05 * (cl.level() or 1.0)
    return [make_step("border", {"width": round(width, 4), "color": color}, cl, ctx)]


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


def ratio_in(cl: Clause) -> list[int] | None:
    """An aspect ratio in the clause: "16:9", "4 by 5", "square", "for instagram"; None if none."""
    for _i, it in cl.kinds("ratio"):
        return ratio_ints(*it.value)
    for _i, it in cl.kinds("size"):
        w, h = it.value
        if w <= 50 and h <= 50:
            return ratio_ints(w, h)
    for i, s in cl.senses("aspect"):
        if i > 0 and cl.items[i - 1].text in ("this", "my", "our"):
            continue  # "double the size of this banner": the photo itself, not a shape to crop to
        return list(s.value)
    return None


def build_crop(cl: Clause, ctx: Ctx) -> Steps | None:
    """Crops: to an aspect ratio (subject-aware), to a part ("the left half"), or away a part."""
    hit = cl.op("crop")
    ratio = ratio_in(cl)
    other_ops = [h for h in cl.ops() if h.op not in ("crop", "look", "color", "resize", "remove")]
    bare_ratio = ratio is not None and all(
        it.kind in ("ratio", "size", "punct") or it.has("aspect") or is_glue(it) for it in cl.items
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
        return [make_step("resize", {"width": int(w), "height": int(h), "fit": _fit(cl)}, cl, ctx)]
    if ratio is not None and crop_refused(cl):
        # "make it 16:9 without cropping": reach the ratio by adding bars instead
        return [make_step("extend_canvas", {"ratio": ratio, "color": [0, 0, 0]}, cl, ctx)]
    if ratio is not None:
        params: dict[str, Any] = {"ratio": ratio}
        anchor = _anchor(cl)
        if anchor:
            params["anchor"] = anchor
        return [make_step("crop_aspect", params, cl, ctx)]
    box = _crop_box(cl)
    if box is not None:
        return [make_step("crop_box", {"box": box}, cl, ctx)]
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
        return [make_step("crop_box", {"box": [m, m, round(1 - m, 4), round(1 - m, 4)]}, cl, ctx)]
    raise UnsupportedInstruction(
        f'"{cl.text}": say how to crop, e.g. "crop to a square", "crop to 16:9" or "crop the left half"',
        fragment=cl.text,
    )


def _anchor(cl: Clause) -> str | None:
    """Where a ratio crop keeps its window: a side, the centre, or the subject."""
    for _i, s in cl.sides():
        if s in ("left", "right", "top", "bottom", "center"):
            return s
    if cl.has("region", "subject") or cl.has("region", "face"):
        return "subject"
    return None


#: The share of the frame a crop at a named side trims when no amount is said ("crop the left side").
SIDE_TRIM = 0.2


def _towards_side(cl: Clause) -> bool:
    """ "crop to the left side": the side is where the crop goes (kept), not what it trims."""
    for i, _side in cl.sides():
        j = i - 1
        while j >= 0 and cl.items[j].text in ("the", "its", "their"):
            j -= 1
        if j >= 0 and cl.items[j].text.split()[-1] in ("to", "towards", "toward", "onto"):  # "crop to" is one item
            return True
    return False


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
    removing = cl.has_word(
        "off", "out", "away", "remove", "trim", "chop", "cut", "delete", "lose", "drop"
    ) or (cl.op("remove") is not None)
    if frac is None:
        if cl.quantity("px"):
            raise UnsupportedInstruction(
                f'"{cl.text}": give the crop as a fraction or percentage (e.g. "trim 10% from the top")',
                fragment=cl.text,
            )
        if cl.op("crop") is None or any(it.unknown or it.generative for it in cl.items):
            return None  # "remove the watermark in the bottom corner": a thing there, not a crop
        if "center" in sides or cl.has_word("keep", "only", "just") or _towards_side(cl):
            return None  # "keep only the left side", "crop to the left": how much to keep is not said
        # "crop the left side", "crop out the top part", "cropped on the right": a trim of that edge
        frac, removing = SIDE_TRIM, True
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
    if bigger is not None and _describes_thing(cl, bigger[0]):
        bigger = None  # "my little brother", "the big tree": an adjective of a thing, not a size
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
        return [make_step("resize", {"width": int(w), "height": int(h), "fit": _fit(cl)}, cl, ctx)]
    if dims:
        params: dict[str, Any] = {"width": None, "height": None}
        for q in dims:
            params[q.dim or "width"] = round(q.value)
        if params["width"] is not None and params["height"] is not None:
            params["fit"] = _fit(cl)
        return [make_step("resize", params, cl, ctx)]
    ratio = ratio_in(cl)
    if ratio is not None:
        return [make_step("crop_aspect", {"ratio": ratio}, cl, ctx)]
    px = cl.quantity("px")
    if px is not None:
        return [make_step("resize", {"width": round(px.value), "height": None}, cl, ctx)]
    scale = _scale(cl)
    if scale is None and trig is not None and cl.items[trig.index].text in _QUALITY_NOUNS and _other_family(cl):
        # "not very sharp or a great resolution": a complaint about detail, met by the other op (sharpen)
        ctx.notes.append(f"“{cl.text}”: the resolution complaint is read as a request for detail, not a size")
        return None
    if scale is None:
        raise UnsupportedInstruction(
            f'"{cl.text}": say the new size, e.g. "resize to 800x600", "make it 1024 px wide" '
            'or "half the size"',
            fragment=cl.text,
        )
    return [make_step("resize", {"scale": round(scale, 4)}, cl, ctx)]


#: Nouns for the image's detail: a complaint about them with another op is not a resize.
_QUALITY_NOUNS = frozenset({"resolution", "res", "quality", "definition"})

def _describes_thing(cl: Clause, index: int) -> bool:
    """A size word right before a noun that names a person or thing ("little brother")."""
    nxt = cl.items[index + 1] if index + 1 < len(cl.items) else None
    return nxt is not None and (nxt.unknown or nxt.generative or nxt.has("region", "subject"))


def _other_family(cl: Clause) -> bool:
    """Another op (not resize) is in the clause, so "bigger"/"smaller" describe it, not the image."""
    return any(h.op not in ("resize", "look", "color", "place") for h in cl.ops())


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
        or crop_refused(cl)
        or (
            cl.has_word("keep", "keeping", "preserve", "maintain", "retain", "same")
            and cl.has_word("aspect", "ratio", "proportion", "proportions")
        )
    ):
        return "contain"
    if cl.has_word("exactly"):
        return "stretch"
    return "cover"


def crop_refused(cl: Clause) -> bool:
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
        return [make_step("rotate", {"degrees": 180.0}, cl, ctx)]
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
        return [make_step("rotate", {"degrees": 180.0 if raw == -180 else float(raw)}, cl, ctx)]
    if cl.has_word("half"):
        return [make_step("rotate", {"degrees": 180.0}, cl, ctx)]
    level = cl.level()
    if (level is not None and level < 1) or cl.has_op("straighten"):
        # "rotate it a little (to the left)", "rotate it so the building is straight": a small tilt, not a
        # quarter turn: a third of the straighten range per unit of intensity ("a little": 2.5 degrees)
        spec = CATALOG["straighten"].param("angle")
        small = round((spec.max or 15.0) / 3 * (level if level is not None else 1.0), 2)
        if direction == 0 and cl.has_op("straighten"):
            return [make_step("straighten", {}, cl, ctx)]
        return [make_step("straighten", {"angle": float(small * (direction or -1))}, cl, ctx)]
    return [make_step("rotate", {"degrees": float(90 * (direction or -1))}, cl, ctx)]


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
    return [make_step("flip", {"axis": axis}, cl, ctx)]


#: Straighten words that are also ordinary words ("uneven lighting", "the brightness level"): a tilt only
#: when no other op is named next to them.
_WEAK_STRAIGHTEN = frozenset({"level", "uneven", "straight", "horizon"})


def build_straighten(cl: Clause, ctx: Ctx) -> Steps | None:
    """Level a small tilt: by the angle given, else automatically (the horizon / dominant lines).

    Angles beyond straighten's range are a rotation; without a direction a bare angle turns clockwise.
    """
    hit = cl.op("straighten")
    if hit is None:
        return None
    if cl.items[hit.index].text in _WEAK_STRAIGHTEN and any(h.op != "straighten" for h in cl.ops()):
        return None
    q = cl.quantity("degrees") or cl.quantity("bare")
    if q is None:
        return [make_step("straighten", {}, cl, ctx)]
    rot = cl.first("rotdir")
    d = q.value if q.signed else (int(rot[1].value) if rot else -1) * abs(q.value)
    spec = CATALOG["straighten"].param("angle")
    if spec.min is not None and spec.max is not None and spec.min <= d <= spec.max:
        return [make_step("straighten", {"angle": float(d)}, cl, ctx)]
    return [make_step("rotate", {"degrees": float(d)}, cl, ctx)]
