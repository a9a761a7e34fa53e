"""Slots of a step: its direction (sign) and amount, read from the clause against the op spec."""

from __future__ import annotations

from .amounts import DEFAULT_AMOUNTS, RANGES, STRENGTH_OPS, clamp, level_amount
from .clause import Clause, OpHit
from .items import Item
from .lexicon import Sense, SenseKind

#: Words after "not" that cap an edit's strength ("but not overdone").
_OVERDONE = frozenset({"overdone", "overboard", "excessive", "extreme", "over the top", "exaggerated", "crazy"})
_SLIGHTLY = Item("phrase", "slightly", None, [Sense(SenseKind.LEVEL, 0.5)], ("slightly",))


_LESS = Item("phrase", "less", None, [Sense(SenseKind.DIR, -1)], ("less",))


def not_so_as_less(cl: Clause) -> Clause:
    """ "make it not so blurry", "so it's not as dark": "not so/as" before a property is "less" of it."""
    items = cl.items
    for i in range(len(items) - 2):
        if items[i].has("neg") and items[i + 1].text in ("so", "as") and items[i + 2].has("op"):
            return Clause([*items[:i], _LESS, *items[i + 2 :]], cl.text)
    return cl


def without_limit_tail(cl: Clause) -> Clause:
    """ "add more light but not too much": the trailing limit is a small amount, not a constraint."""
    items = cl.items
    for i in range(len(items) - 1, 0, -1):
        capped = items[i].has("neg") and i + 1 < len(items) and items[i + 1].text in _OVERDONE
        if capped and any(it.has("op") or it.has("dir") for it in items[:i]):
            return Clause([*items[:i], _SLIGHTLY], cl.text)  # "sharper but not overdone"
        if items[i].has("neg") and i + 1 < len(items) and items[i + 1].has("too"):
            rest = items[i + 2 :]
            only_limit = all(it.has("level") or it.has("stop") or it.kind == "punct" or it.has("op") for it in rest)
            if only_limit and any(it.has("op") or it.has("dir") for it in items[:i]):
                return Clause([*items[:i], _SLIGHTLY], cl.text)
            return cl
    return cl


def amount_of(cl: Clause, op: str, sign: int) -> float:
    """The amount for `op`: a percentage, fraction or multiple if given, else the default × intensity."""
    pct = cl.quantity("percent")
    if pct is not None:
        v = pct.value / 100
        if pct.target:
            return clamp(op, v - 1) if op not in STRENGTH_OPS | UNIPOLAR else clamp(op, v)
        if pct.signed:
            return clamp(op, v)
        return clamp(op, sign * abs(v))
    mult = cl.first("mult")
    times = cl.quantity("times")
    if mult is not None or (times is not None and times.value > 0):
        # "twice as bright", "2x brighter", "three times as saturated": a factor on the quantity itself
        m = float(mult[1].value) if mult is not None else times.value  # type: ignore[union-attr]
        if op in FRACTION_OPS:
            return clamp(op, m - 1 if sign > 0 or m < 1 else 1 / m - 1)
        return clamp(op, sign * DEFAULT_AMOUNTS.get(op, 1.0) * m)
    frac = cl.first("frac")
    if frac is not None and not cl.sides():
        return clamp(op, sign * float(frac[1].value))
    bare = cl.quantity("bare")
    if bare is not None:
        v = bare.value
        hi = RANGES.get(op, (-1.0, 1.0))[1]
        if op in STRENGTH_OPS and abs(v) <= hi:
            return clamp(op, abs(v))
        scaled = v if abs(v) <= 1 else v / 100
        return clamp(op, scaled if bare.signed else sign * abs(scaled))
    lvl = cl.level()
    return level_amount(op, sign, lvl if lvl is not None else 1.0)


FRACTION_OPS = frozenset({"brightness", "contrast", "saturation", "vibrance"})


UNIPOLAR = frozenset(
    {"grayscale", "sepia", "look", "colorize", "match_color", "grain", "pixelate", "relight"}
)


def unit_amount(cl: Clause, op: str) -> float:
    """An amount in 0..1 for "how much of the effect" ops (looks, grayscale, match): 1 unless softened."""
    pct = cl.quantity("percent")
    if pct is not None:
        return clamp(op, pct.value / 100)
    lvl = cl.level()
    if cl.has_word("partially", "partly", "half", "halfway", "partial"):
        return 0.5
    return clamp(op, min(1.0, lvl if lvl is not None else 1.0))


#: Property nouns whose removal means lifting them ("remove the shadows" opens them up).
_LIFTED_WHEN_REMOVED = frozenset({"shadows"})


def removal_before(cl: Clause, index: int) -> int | None:
    """Index of a removal verb ("remove", "get rid of", "lose", "take away", "fix") whose object is item
    `index`: the nearest verb or direction before it, with only its object's words in between."""
    for i in range(index - 1, -1, -1):
        it = cl.items[i]
        if it.has("op", "remove") or it.has("fixverb"):
            return i
        if it.has("dir") or it.has("verb") or any(s.kind == "op" and s.pos == "v" for s in it.senses):
            return None
    return None


def sign_of(cl: Clause, hit: OpHit) -> int:
    """Direction of an op trigger: its own sign × the clause's direction, inverted by "too"/"is"/"fix".

    Removing a property wants its opposite: "cut the haze" dehazes, "fix the blurriness" sharpens,
    "take away the gloom" brightens, "lose the shadows" lifts them.
    """
    if hit.op != "color-target" and removal_before(cl, hit.index) is not None:
        if hit.sign != 0:
            return -hit.sign
        return 1 if hit.op in _LIFTED_WHEN_REMOVED else -1
    base = hit.sign or 1
    d = cl.direction_near(hit.index)
    if d is not None and hit.sign != 0 and d[0] == hit.index:
        d = None  # "calm down": the phrase's own particle is part of its sign, not a second direction
    if d is not None and hit.sign != 0 and d[0] > hit.index and _governs_later(cl, d[0]):
        d = None  # "lighter with less red": the "less" belongs to the red, not to "lighter"
    if d is not None and hit.sign != 0 and cl.items[d[0]].text in ("up", "down"):
        d = None  # "cool it down", "warm it up": the particle belongs to the verb
    s = base * (d[1] if d else 1)
    if hit.sign == 0:
        q = next(
            (q for q in cl.quantities if q.signed and q.unit in ("percent", "bare", "stops", "degrees")), None
        )
        if q is not None and d is None:
            s = 1 if q.value >= 0 else -1
        removal = cl.op("remove")
        if removal is not None and d is None:
            s = -1
    if inverted(cl, hit.index, hit.pos):
        s = -s
    return s


def _look_noun(cl: Clause, i: int) -> bool:
    """ "a cinematic look with teal shadows": "look" as a noun after a look name or article, not "looks"."""
    prev = cl.items[i - 1] if i > 0 else None
    return cl.items[i].has("op", "look") and prev is not None and (prev.has("lookname") or prev.text in ("a", "the"))


def _governs_later(cl: Clause, index: int) -> bool:
    """A direction word followed by its own object: a colour or an op word after it."""
    return any(it.kind == "color" or it.has("op") for it in cl.items[index + 1 :])


def inverted(cl: Clause, index: int, pos: str) -> bool:
    """ "too dark", "it is washed out", "fix the yellow cast": the wish is the opposite of the word."""
    if cl.has("enough"):
        return False
    if pos in ("n", "c"):
        # "the colours are too strong", "the contrast is too high", "the red is too strong": a state after it
        after = cl.items[index + 1 : index + 4]
        if any(it.has("copula") for it in after) and any(it.has("too") for it in after):
            return True
    if _comparative_word(cl.items[index].text) or _result_participle(cl.items[index].text):
        return False  # "the image is brighter", "it was lightened": the result described, not a complaint
    for i in range(index - 1, -1, -1):
        it = cl.items[i]
        if it.has("too"):
            return True
        if pos == "c" and (it.has("deepen") or _comparative_word(it.text)):
            return False  # "the sky is now a deeper blue": a comparative colour is the result described
        if it.has("dir") and not it.has("copula"):
            return False  # "it is more saturated", "the photo looks less yellow": the result described
        if it.has("copula") and pos in ("a", "v", "c") and not _look_noun(cl, i):
            return not any(x.has("verb") and x.text in ("make", "get", "want", "need") for x in cl.items[:i])
        if it.has("fixverb") and pos in ("a", "c"):
            return True
    return False


#: Participles of edit actions: after "is/was/has been" they describe what was done ("the photo is
#: brightened"), unlike problem words that are participles too ("blurred", "overexposed", "washed out").
_RESULT_PARTICIPLES = frozenset(
    {
        "brightened", "lightened", "darkened", "sharpened", "softened", "whitened", "deepened", "cooled",
        "warmed", "boosted", "increased", "decreased", "reduced", "lowered", "raised", "enhanced", "adjusted",
        "lifted", "corrected", "saturated more", "desaturated", "toned down", "cooled down", "warmed up",
    }
)  # fmt: skip


def _result_participle(text: str) -> bool:
    """An edit verb's participle ("brightened", "cooled"): a result described after a copula."""
    return text in _RESULT_PARTICIPLES


def _comparative_word(text: str) -> bool:
    """An adjective in its comparative form ("brighter", "warmer", "clearer"), not "over"/"under"/"water"."""
    word = text.split()[-1] if text else ""
    return len(word) >= 6 and word.endswith("er") and word not in ("over", "under", "water", "filter", "border")
