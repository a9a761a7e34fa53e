"""A clause: the items of one instruction fragment, with the queries the op builders need."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .items import Item
from .lexicon import Sense

#: Determiners and possessives after which an unknown noun is the thing being edited ("the car").
DETERMINERS = frozenset(
    {
        "the",
        "his",
        "her",
        "its",
        "their",
        "my",
        "your",
        "our",
        "this",
        "that",
        "these",
        "those",
        "a",
        "an",
        "some",
    }
)


@dataclass(frozen=True)
class Quantity:
    """A number in the clause with its unit: percent, degrees, px, stops, times, bare."""

    value: float
    unit: str
    index: int
    signed: bool = False
    target: bool = False  # "to 80%" (a level to reach) rather than "by 20%" (a change)
    dim: str | None = None  # "256 pixels wide" → width


@dataclass(frozen=True)
class OpHit:
    """An op trigger in the clause: where, which op, its own sign and part of speech."""

    index: int
    op: str
    sign: int
    pos: str


@dataclass
class Clause:
    """Items of one clause plus derived facts (quantities, sides, colours)."""

    items: list[Item]
    text: str
    quantities: list[Quantity] = field(default_factory=list)
    #: The op being planned: with several numbers, each op takes the one nearest it
    #: ("contrast 10%, saturation 15%").
    focus: int | None = None

    def __post_init__(self) -> None:
        self.quantities = _quantities(self.items)

    # ---- generic queries
    def has(self, kind: str, value: object = None) -> bool:
        """True when any item has a sense of this kind (and value)."""
        return any(it.has(kind, value) for it in self.items)

    def senses(self, kind: str) -> list[tuple[int, Sense]]:
        """(item index, sense) for every sense of this kind."""
        return [(i, s) for i, it in enumerate(self.items) for s in it.senses if s.kind == kind]

    def first(self, kind: str) -> tuple[int, Sense] | None:
        """The first (index, sense) of this kind, or None."""
        found = self.senses(kind)
        return found[0] if found else None

    def kinds(self, kind: str) -> list[tuple[int, Item]]:
        """(index, item) for items of this item kind (color, quote, size, ...)."""
        return [(i, it) for i, it in enumerate(self.items) if it.kind == kind]

    def ops(self) -> list[OpHit]:
        """Every op trigger sense in the clause."""
        return [OpHit(i, s.value, s.sign, s.pos) for i, s in self.senses("op")]

    def op(self, name: str) -> OpHit | None:
        """The first trigger of op `name`, or None."""
        return next((h for h in self.ops() if h.op == name), None)

    def has_op(self, *names: str) -> bool:
        """True when any of these op triggers occurs."""
        return any(h.op in names for h in self.ops())

    def lemma_set(self) -> set[str]:
        """All lemmas of the clause."""
        return {lem for it in self.items for lem in it.lemmas}

    def has_word(self, *words: str) -> bool:
        """True when one of these lemmas or surface words occurs."""
        lem = self.lemma_set()
        surf = {w for it in self.items for w in it.text.split()}
        return any(w in lem or w in surf for w in words)

    def quantity(self, *units: str) -> Quantity | None:
        """The quantity with one of these units (the one nearest the focused op when there are several)."""
        found = [q for q in self.quantities if q.unit in units]
        if len(found) > 1 and self.focus is not None:
            ops_at = sorted(h.index for h in self.ops())
            focus = self.focus
            # the number that follows this op and precedes the next op, else the closest one
            nxt = next((i for i in ops_at if i > focus), len(self.items))
            after = [q for q in found if focus < q.index < nxt]
            if after:
                return after[0]
            return min(found, key=lambda q: abs(q.index - focus))
        return found[0] if found else None

    # ---- places
    def sides(self) -> list[tuple[int, str]]:
        """Side words in order: left, right, top, bottom, center, front, top-left, ..."""
        out = []
        for i, s in self.senses("side"):
            it = self.items[i]
            if it.has("dir") or it.has("level"):
                # "lower the brightness" is a direction; "the lower half" a side
                prev = self.items[i - 1].text if i > 0 else ""
                nxt = self.items[i + 1] if i + 1 < len(self.items) else None
                if prev not in ("the", "in", "on", "at", "to") and not (nxt is not None and nxt.has("part")):
                    continue
            out.append((i, s.value))
        return out

    def parts(self) -> list[tuple[int, str]]:
        """Part words in order: half, third, quarter, side, corner, edge, all."""
        return [(i, s.value) for i, s in self.senses("part")]

    def colors(self) -> list[tuple[int, Item]]:
        """Colour items (names with modifiers, #hex, rgb())."""
        return self.kinds("color")

    def direction_near(self, index: int) -> tuple[int, int] | None:
        """The generic direction closest to item `index` (preferring one before it): (index, sign)."""
        dirs = [(i, s.value) for i, s in self.senses("dir") if s.value != 0]
        dirs += [(i, s.value) for i, s in self.senses("enough")]
        if not dirs:
            return None
        before = [d for d in dirs if d[0] < index]
        if before:
            return before[-1]
        return min(dirs, key=lambda d: abs(d[0] - index))

    def level(self) -> float | None:
        """The intensity multiplier of the clause, from its first unambiguous level word.

        A level word right before an op noun ("a gentle vignette") belongs to that op only; other
        level words ("slightly", "a lot") apply to every op of the clause.
        """
        for i, it in enumerate(self.items):
            sense = it.sense("level")
            if sense is None:
                continue
            owner = self._attributive_owner(i)
            if owner is not None and self.focus is not None and owner != self.focus:
                continue
            if i > 0 and self.items[i - 1].has("too") and not it.has("too"):
                continue  # "too strong" describes the problem, not how much to change
            if len(it.senses) > 1 and not it.has("too") and not self._level_context(i):
                continue
            return float(sense.value)
        return None

    def _attributive_owner(self, i: int) -> int | None:
        """Index of the op noun a level word describes ("gentle vignette", "soft dark vignette"), else None."""
        nxt = self._next_content(i)
        if nxt is None or nxt > i + 1:
            return None
        return self.np_head(i)

    def np_head(self, i: int) -> int | None:
        """The op head noun that item i modifies across a run of modifiers ("soft [dark] vignette"), or None.

        Only the modifiers named by `is_modifier` may stand between them: colours, level words, op
        adjectives. "a subtle warm tone" has the head "warm tone" (a phrase ending in a noun).
        """
        j = i + 1
        while j < len(self.items):
            it = self.items[j]
            if is_head(it):
                return j
            if not is_modifier(it):
                return None
            j += 1
        return None

    def _level_context(self, i: int) -> bool:
        """An ambiguous level word ("light", "soft", "deep") is a level only before an op noun or "more"."""
        nxt = self._next_content(i)
        if nxt is None:
            return False
        if nxt == i + 1 and self.np_head(i) is not None:
            return True  # "a soft dark vignette": a modifier run ending in an op noun
        it = self.items[nxt]
        while it.kind == "color" and self._next_content(nxt) is not None:
            nxt = self._next_content(nxt)  # "a subtle white vignette": the colour is another modifier
            it = self.items[nxt]  # type: ignore[index]
        if self.items[i].has("level", _STRONG) and _comparative(it):
            return True  # "way brighter", "much warmer", "far darker": an intensifier of the comparative
        return any(s.kind == "op" and s.pos == "n" for s in it.senses) or it.has("dir") or it.has("lookname")

    def _next_content(self, i: int) -> int | None:
        """Index of the next item that is not a stop/polite word."""
        for j in range(i + 1, len(self.items)):
            it = self.items[j]
            if it.senses and all(s.kind in ("stop", "polite") for s in it.senses):
                continue
            return j
        return None

    def next_content(self, i: int) -> int | None:
        """Public form of _next_content."""
        return self._next_content(i)

    def prev_content(self, i: int) -> int | None:
        """Index of the previous item that is not a stop/polite word."""
        for j in range(i - 1, -1, -1):
            it = self.items[j]
            if it.senses and all(s.kind in ("stop", "polite") for s in it.senses):
                continue
            return j
        return None

    def after_for(self) -> int:
        """Index where a purpose phrase ("for my shop", "because ...") starts; len(items) if none."""
        for i, it in enumerate(self.items):
            if it.has("for"):
                return i
        return len(self.items)


_STRONG = 1.7

#: Nouns that end an op phrase used as a noun phrase head ("warm tone", "vintage look").
_HEAD_WORDS = frozenset({"tone", "tones", "look", "feel", "vibe", "finish", "cast", "effect"})
#: Senses that make a word a noun-phrase modifier: an intensity, thickness, size or opacity.
_MODIFIER_KINDS = frozenset({"level", "thick", "sizeword", "opacity"})
#: Senses that make a word a verb, a direction or glue: never a modifier inside a noun phrase.
_NOT_MODIFIER = frozenset({"dir", "verb", "sep", "fixverb", "copula", "neg", "too", "recover", "deepen"})


def is_head(it: Item) -> bool:
    """An op noun that can head a noun phrase: "vignette", "gradient", "border", "warm tone"."""
    if any(s.kind == "op" and s.pos == "n" for s in it.senses):
        return True
    return (
        it.kind == "phrase"
        and len(it.lemmas) > 1
        and it.lemmas[-1] in _HEAD_WORDS
        and any(s.kind == "op" for s in it.senses)
    )


def is_modifier(it: Item) -> bool:
    """A word that can modify an op noun: a colour, a level word ("soft", "subtle"), an op adjective."""
    if it.kind == "color":
        return not it.comparative
    if it.kind != "phrase" or not it.senses or (is_head(it) and not it.has("level")):
        return False
    if any(s.kind in _NOT_MODIFIER for s in it.senses):
        return False
    if _comparative(it):
        return False  # "warmer", "brighter": a change of the image, not a description
    return any(s.kind in _MODIFIER_KINDS or (s.kind == "op" and s.pos == "a") for s in it.senses)


def _comparative(it: Item) -> bool:
    """An op adjective or colour in its comparative form: "brighter", "warmer", "bluer"."""
    words = it.text.split()
    if not words or len(words[-1]) < 5 or not words[-1].endswith("er"):
        return False
    return it.kind == "color" or any(s.kind == "op" and s.pos in ("a", "v") for s in it.senses)


def _quantities(items: list[Item]) -> list[Quantity]:
    """Numbers with their units, signs and whether they are targets ("to 80%") or changes."""
    out: list[Quantity] = []
    for i, it in enumerate(items):
        if it.kind == "times":
            out.append(Quantity(float(it.value), "times", i))
            continue
        if it.kind != "num":
            continue
        unit, dim = "bare", None
        nxt = items[i + 1] if i + 1 < len(items) else None
        nxt2 = items[i + 2] if i + 2 < len(items) else None
        if nxt is not None:
            u = nxt.sense("unit")
            if u is not None:
                unit = str(u.value)
                if nxt2 is not None and nxt2.has("dim"):
                    dim = str(nxt2.sense("dim").value)  # type: ignore[union-attr]
            elif nxt.has("dim") and (not nxt.has("level") or nxt.text in ("wide", "tall", "high")):
                unit, dim = "px", str(nxt.sense("dim").value)  # type: ignore[union-attr]
        if dim is None:
            # "a width of 1024", "width 1024", "height: 600"
            for j in (i - 1, i - 2):
                if j >= 0 and items[j].has("dim") and items[j].text in ("width", "height", "wide", "tall"):
                    dim = str(items[j].sense("dim").value)  # type: ignore[union-attr]
                    unit = "px" if unit == "bare" else unit
                    break
        prev = items[i - 1] if i > 0 else None
        target = prev is not None and prev.has("to") and not prev.has("by")
        if target and prev is not None and prev.text == "around" and not (i > 1 and items[i - 2].has("to")):
            target = False  # "around 30%" hedges a change; "to around 30%" is a target
        out.append(Quantity(float(it.value), unit, i, it.signed, target, dim))
    return out


def ratio_ints(a: float, b: float) -> list[int]:
    """A ratio as small integers: (16, 9) → [16, 9]; (2.39, 1) → [239, 100]."""
    if float(a).is_integer() and float(b).is_integer():
        ia, ib = int(a), int(b)
        g = math.gcd(ia, ib) or 1
        return [ia // g, ib // g]
    ia, ib = round(a * 100), round(b * 100)
    g = math.gcd(ia, ib) or 1
    return [ia // g, ib // g]
