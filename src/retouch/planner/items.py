"""Chunking tokens into items (phrases with senses, colours, numbers) and clauses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .colors import match_color, name_to_rgb
from .lexicon import GENERATIVE_CUES, PHRASES, Sense
from .text import Token

_MAX_PHRASE = 6


@dataclass
class Item:
    """A span of tokens read as one unit: its kind, value, senses and surface text."""

    kind: str  # phrase | color | num | size | ratio | times | quote | ref | punct | word
    text: str
    value: Any = None
    senses: list[Sense] = field(default_factory=list)
    lemmas: tuple[str, ...] = ()
    signed: bool = False
    comparative: bool = False  # "bluer", "more purple"-style colour target
    plural: bool = False  # "the blues": a hue band

    def has(self, kind: str, value: Any = None) -> bool:
        """True when one of the senses has this kind (and value, if given)."""
        return any(s.kind == kind and (value is None or s.value == value) for s in self.senses)

    def sense(self, kind: str) -> Sense | None:
        """The first sense of this kind, or None."""
        return next((s for s in self.senses if s.kind == kind), None)

    @property
    def unknown(self) -> bool:
        """A word the lexicon does not know at all."""
        return self.kind == "word" and not self.senses

    @property
    def generative(self) -> bool:
        """A word that names something only a generative model could add or change."""
        return self.kind == "word" and any(lem in GENERATIVE_CUES for lem in self.lemmas)


def chunk(tokens: list[Token]) -> list[Item]:
    """Greedy longest-match of phrases and colour names over the tokens, left to right."""
    items: list[Item] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.kind != "word":
            items.append(_non_word(t))
            i += 1
            continue
        phrase_len, senses = _match_phrase(tokens, i)
        color = _match_color(tokens, i)
        if color is not None and color[1] > phrase_len:
            rgb, n = color
            words = tokens[i : i + n]
            surface = " ".join(w.text for w in words)
            last = words[-1]
            items.append(
                Item(
                    "color",
                    surface,
                    rgb,
                    lemmas=tuple(w.lemma for w in words),
                    comparative=last.text != last.lemma and last.text.endswith(("er", "ier")),
                    plural=last.text.endswith("s")
                    and not last.text.endswith("ss")
                    and name_to_rgb(last.text[:-1]) is not None,
                )
            )
            i += n
            continue
        if phrase_len:
            words = tokens[i : i + phrase_len]
            items.append(
                Item(
                    "phrase",
                    " ".join(w.text for w in words),
                    None,
                    list(senses),
                    tuple(w.lemma for w in words),
                )
            )
            i += phrase_len
            continue
        items.append(Item("word", t.text, None, [], (t.lemma,)))
        i += 1
    return items


def _non_word(t: Token) -> Item:
    """An item for a number, size, ratio, colour code, quote, image reference or punctuation."""
    if t.kind == "punct":
        senses = PHRASES.get((t.text,), [])
        return Item("punct", t.text, None, list(senses), (t.text,))
    return Item(t.kind, t.text, t.value, signed=t.signed)


def _match_phrase(tokens: list[Token], i: int) -> tuple[int, list[Sense]]:
    """Longest lexicon phrase starting at token i (by lemma, or by surface form): (length, senses)."""
    for n in range(min(_MAX_PHRASE, len(tokens) - i), 0, -1):
        span = tokens[i : i + n]
        if any(t.kind not in ("word", "punct") for t in span):
            continue
        senses: list[Sense] = []
        for key in (tuple(t.lemma or t.text for t in span), tuple(t.text for t in span)):
            # Both readings count: "looks" is the noun "look" and the copula "looks".
            senses += [s for s in PHRASES.get(key, []) if s not in senses]
        if senses:
            return n, senses
    return 0, []


def _match_color(tokens: list[Token], i: int) -> tuple[Any, int] | None:
    """A colour name (with modifiers) at token i, tried on surface words then on lemmas ("bluer")."""
    n = 0
    while i + n < len(tokens) and tokens[i + n].kind == "word" and n < 5:
        n += 1
    if n == 0:
        return None
    surface = [t.text for t in tokens[i : i + n]]
    found = match_color(surface, 0)
    if found is None:
        found = match_color([t.lemma for t in tokens[i : i + n]], 0)
    if found is None and surface[0].endswith("s"):
        found = match_color([surface[0][:-1]], 0)  # "blues", "reds": hue bands
        if found is not None:
            found = (found[0], 1)
    return found
