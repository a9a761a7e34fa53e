"""The background (replace, remove, blur, confine edits to it) and directional light."""

from __future__ import annotations

from retouch.errors import UnsupportedInstruction

from .adjust import build_adjust, build_remove, enhance_steps, removal_object
from .amounts import clamp, level_amount
from .casts import CAST_NOUNS
from .clause import Clause
from .common import Ctx, Steps, check_targets, make_step, needs_generation
from .items import Item
from .refusals import cannot_locate
from .regions import light_direction, refs_in, resolve_ref
from .slots import amount_of, sign_of


def _new_colors(cl: Clause, colors: list[tuple[int, Item]]) -> list[tuple[int, Item]]:
    """The colours the background should become: a colour right before the background noun describes the
    old one ("replace the black background with a white one"; "remove the white background") when the
    clause also names a colour after it, or when a removal verb acts on that background."""
    bg = next((i for i, it in enumerate(cl.items) if it.has("bg")), None)
    if bg is None:
        return colors
    before = [(i, it) for i, it in colors if i < bg and cl.next_content(i) == bg]
    after = [(i, it) for i, it in colors if i > bg]
    if before and (after or removal_object(cl) == "background" or removed_after(cl, bg)):
        return after
    return colors


#: A background described as a distraction: blurring it is the builtin answer ("the background is too busy").
_CLUTTER = frozenset({"busy", "distracting", "cluttered", "messy", "clutter", "distraction", "chaotic"})

#: Verbs that ask for a new background ("add a beach background", "put a city behind me").
_GIVING = frozenset(
    {"add", "put", "give", "use", "want", "make", "change", "replace", "swap", "insert", "place", "set"}
)


def _scene_background(cl: Clause) -> str:
    """The scene named for a new background ("beach" in "add beach background"), else ""."""
    for b, it in enumerate(cl.items):
        if not it.has("bg") or b == 0:
            continue
        prev = cl.items[b - 1]
        if not prev.generative:
            continue  # only a known scene noun ("beach", "sunset"); "a new background" may be a given image
        for j in range(b - 2, -1, -1):
            lem = cl.items[j].lemmas[0] if cl.items[j].lemmas else ""
            if lem in _GIVING:
                return prev.text
            if cl.items[j].has("op") or cl.items[j].has("bg"):
                break
    return ""


def _property_of_background(cl: Clause) -> bool:
    """ "the background noise", "the background blur": an op noun right after the background noun."""
    for i, it in enumerate(cl.items[:-1]):
        if it.has("bg"):
            nxt = cl.items[i + 1]
            return any(s.kind == "op" and s.pos == "n" for s in nxt.senses)
    return False


#: Words that turn "the background is white" into a wish ("so it is all white") or a described result.
_WISHED = frozenset(
    {"should", "must", "needs", "need", "could", "would", "will", "to", "now", "want", "wants", "like", "so"}
)


def _colour_it_has(cl: Clause, colors: list[tuple[int, Item]]) -> bool:
    """A colour the photo is said to have, not one to paint the backdrop: replacing it would destroy the photo.

    Complained of ("the background looks too green", "the wall has a green tint"), blamed on something
    ("the lamp made the wall orange"), taken out ("remove the blue tint / the yellow from the background"),
    or told after a copula with no verb, direction, wish or result word ("the wall behind me looks yellow").
    """
    from .casts import blamed_cast, has_state

    first = colors[0][0]
    before = cl.items[:first]
    # "the lamp made the wall orange": a past-tense verb after its subject blames the colour on something
    blamed = next((i for i, it in enumerate(before) if it.text in ("made", "turned", "gave") and i > 0), None)
    if blamed is not None and not any(it.has("verb") or it.has("dir") or it.has("polite") for it in before[:blamed]):
        return True
    asked = any(it.has("dir") or it.has("verb") for it in before)
    if (cl.has("too") or not asked) and (cl.has("too") or has_state(cl, first) or blamed_cast(cl) is not None):
        return True
    removing = cl.op("remove") is not None or cl.has("fixverb")
    for i, _colour in colors:
        nxt = cl.items[i + 1] if i + 1 < len(cl.items) else None
        if removing and nxt is not None and nxt.text in CAST_NOUNS:
            return True
        if removing and nxt is not None and nxt.text in ("from", "in", "on", "out of"):
            return True  # "remove the yellow from the background": the colour taken out, the backdrop kept
    words = {w for it in cl.items for w in it.text.split()}
    if words & _WISHED:
        return False
    cop = next((k for k, it in enumerate(cl.items) if it.has("copula")), None)
    if cop is None or any(it.has("verb") or it.has("dir") for it in cl.items[:cop]):
        return False
    return any(i > cop for i, _ in colors)


def removed_after(cl: Clause, bg: int | None = None) -> bool:
    """ "with the black background removed": a removal verb after the background noun acts on it."""
    if bg is None:
        bg = next((i for i, it in enumerate(cl.items) if it.has("bg")), None)
    hit = cl.op("remove")
    return bg is not None and hit is not None and hit.index > bg and removal_object(cl) is None


def build_background(cl: Clause, ctx: Ctx) -> Steps | None:
    """Replace, remove or blur the background; or confine tone/colour edits to it."""
    if cl.has_op("pad"):
        return None
    bg = cl.has("bg")
    colors = [(i, it) for i, it in cl.colors() if not it.comparative]
    # "this picture" is the image being edited and "this logo" the photo itself: neither is a new background
    refs = [r for r in refs_in(cl) if r not in (0, "logo")]
    on = cl.has("on")
    subject_or_put = cl.has("region", "subject") or cl.has_word(
        "put", "place", "set", "show", "present", "pose"
    )
    anaphora = ctx.last_family == "background" and not cl.has("region") and colors and not cl.ops()
    # "the background is too busy, blur it": "it" is the background just named
    blur_it = ctx.last_family == "background" and not bg and not cl.has("region") and cl.has_op("blur")
    blur_it = blur_it and cl.has_word("it", "that") and not cl.has_word("image", "photo", "picture", "whole")
    trig = (
        bg
        or cl.has_op("transparent", "remove_bg", "bg_blur")
        or anaphora
        or blur_it
        or (cl.has_op("gradient") and colors)
        or (on and (colors or refs) and subject_or_put)
    )
    if not trig:
        return None
    if removal_object(cl) == "background":
        verb = cl.items[cl.op("remove").index].text  # type: ignore[union-attr]
        if verb.split()[0] in ("clean", "tidy", "declutter") and ctx.has_mask:
            return build_remove(cl, ctx)  # the mask marks the clutter to remove
        if verb.split()[0] in ("clean", "tidy", "declutter"):
            # "clean up the background": removing the clutter in it, not the background itself
            raise cannot_locate(cl.text, "the clutter in the background", "removing objects")
        if _property_of_background(cl):
            return None  # "remove the background noise": a property of the background (denoise there)
    if removal_object(cl) in ("thing", "property"):
        check_targets(cl, ctx)  # "remove the glare on the window behind him": the window is the target
    scene = _scene_background(cl) if not refs else ""
    if scene:
        raise needs_generation(cl, f'a "{scene}" background has to be made or given as a second image')
    if cl.has_op("bg_blur") and (cl.has_op("remove") or cl.has("fixverb")):
        # "remove the background blur": the background made sharper (blur cannot be undone exactly)
        return [make_step("sharpen", {}, cl, ctx, region="background")]
    clutter = bg and cl.has_word(*_CLUTTER) and not colors and not refs
    blurs = (bg or blur_it) and cl.has_op("blur") and sign_of(cl, cl.op("blur")) > 0  # type: ignore[arg-type]
    if clutter or cl.has_op("bg_blur") or blurs:
        amount = amount_of(cl, "background_blur", 1)
        return [make_step("background_blur", {"amount": amount}, cl, ctx)]
    if refs and (bg or on or cl.has_word("behind", "scene", "backdrop", "setting", "into")):
        ref = resolve_ref(refs[0], ctx.n_images, cl.text)
        return [make_step("background_image", {"ref": ref}, cl, ctx)]
    wants_transparent = cl.has_op("transparent")
    if colors and not wants_transparent and _colour_it_has(cl, colors):
        return None  # "the background looks too green", "the wall has a green tint": a cast to fix, not a new backdrop
    colors = _new_colors(cl, colors)
    if removal_object(cl) == "background" and colors and not wants_transparent:
        # "remove the background so it's all white": the colour named after the background is the new one
        return [make_step("background_color", {"color": list(colors[-1][1].value)}, cl, ctx)]
    if (removal_object(cl) == "background" or removed_after(cl)) and not cl.has_word("to", "into", "instead"):
        return [make_step("remove_background", {}, cl, ctx)]  # "remove the white background": the colour is its own
    if not wants_transparent and (cl.has_op("gradient") or len(colors) >= 2):
        rgbs = [list(it.value) for _, it in colors] or [[235, 235, 235], [160, 160, 160]]
        if not colors and any(it.text == "black and white" for it in cl.items):
            rgbs = [[0, 0, 0], [255, 255, 255]]  # "a black and white gradient": two colours, not grayscale
        if len(rgbs) == 1:
            c = rgbs[0]
            # One colour: a gentle gradient from a lighter tint of it to the colour itself.
            rgbs = [[round(v + (255 - v) * 0.45) for v in c], c]
        direction = next((str(s.value) for _, s in cl.senses("gradient_dir")), "vertical")
        return [make_step("background_gradient", {"colors": rgbs, "direction": direction}, cl, ctx)]
    if colors and not wants_transparent:
        return [make_step("background_color", {"color": list(colors[0][1].value)}, cl, ctx)]
    removal = (cl.op("remove") if removal_object(cl) == "background" else None) or cl.op("remove_bg")
    if wants_transparent or cl.has_op("remove_bg") or (removal is not None and bg):
        return [make_step("remove_background", {}, cl, ctx)]
    if bg:
        steps = build_adjust(cl, ctx)
        if steps:
            return steps
        if refs_in(cl) == [] and ctx.n_images >= 2 and cl.has_word("use", "replace", "swap", "change"):
            ref = resolve_ref("other", ctx.n_images, cl.text)
            return [make_step("background_image", {"ref": ref}, cl, ctx)]
        if any(it.unknown or it.generative for it in cl.items):
            raise needs_generation(cl)
        raise UnsupportedInstruction(
            f'"{cl.text}": say what the background should become, e.g. "white", "a light gray gradient", '
            '"transparent", "blurred" or "the second image"',
            fragment=cl.text,
        )
    return None


#: Words that name the light in a scene; a light is added only when a verb asks for it.
_LIGHT_NOUNS = frozenset({"lighting", "illumination", "light source", "sunlight"})


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
    if direction is None and (cl.has_op("temperature", "tint") or cl.colors()):
        return None  # "make the lighting warmer", "the lighting is too yellow": the light's colour (adjust)
    asked = cl.has("verb") or cl.has("dir") or any(h.pos == "v" and h.op != "relight" for h in cl.ops())
    if relight is not None and direction is None and cl.items[relight.index].text in _LIGHT_NOUNS and not asked:
        # "bad lighting", "taken with terrible lighting": a lighting correction, not a light to add
        return enhance_steps(cl, ctx, "light")
    target = "face" if cl.has("region", "face") else "subject"
    if not cl.has("region") and not relight:
        target = "all"
    pct = cl.quantity("percent")
    amount = clamp("relight", pct.value / 100) if pct else level_amount("relight", 1, cl.level() or 1.0)
    return [
        make_step("relight", {"direction": direction or "front", "amount": amount, "target": target}, cl, ctx)
    ]
