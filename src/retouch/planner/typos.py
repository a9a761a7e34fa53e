"""Typo repair against the planner's vocabulary: rapidfuzz's OSA distance, never into another valid word.

Two uses:

* `near_words`: vocabulary words within a small edit distance of a misspelling (text.fuzzy filters
  them: first letter kept, ambiguity refused). rapidfuzz's C matcher does this in ~0.1 ms per word;
  the pure-Python OSA loop it replaces took ~3 ms (bench/bench_planner.py prints both).
* `repair_cast_nouns`: a short word right after a colour name that is a cast noun with one letter
  dropped or two swapped ("a brown ton", "a blue tnt") is that noun. Short words are otherwise never
  repaired (too many real words are one letter apart); here the slot after a colour only takes a
  tone/tint/hue/cast noun, and real words that fit the slot too ("a brown toe", "a ton of contrast")
  are left alone.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .text import Token

#: Nouns that follow a colour to name a cast or toning ("a brown tone", "a green tint").
CAST_NOUNS = ("tone", "tones", "tint", "tints", "hue", "hues", "cast", "casts", "shade", "tinge")
#: Real short words one dropped letter from a cast noun: a colour before them is not a cast.
_REAL_SHORT_WORDS = frozenset(
    {"one", "ones", "he", "toe", "toes", "tin", "tins", "tine", "tit", "cat", "cats", "case", "shad", "tie"}
)


def near_words(word: str, targets: Sequence[str], limit: int) -> list[tuple[str, int]]:
    """(target, distance) for every target within `limit` OSA edits of `word` (a swap counts 1)."""
    from rapidfuzz import process  # imported on first typo only: keeps `retouch explain` cold start fast
    from rapidfuzz.distance import OSA

    found = process.extract(word, targets, scorer=OSA.distance, score_cutoff=limit, limit=None)
    return [(cand, int(dist)) for cand, dist, _ in found]


def _cast_noun_for(word: str) -> str | None:
    """The cast noun a short misspelling stands for: one dropped letter or one swap, never a substitution."""
    if word in _REAL_SHORT_WORDS or word in CAST_NOUNS or not word.isalpha():
        return None
    hits = [cand for cand, _ in near_words(word, CAST_NOUNS, 1) if len(cand) == len(word) + 1 or _is_swap(word, cand)]
    return hits[0] if len(hits) == 1 else None


def _is_swap(a: str, b: str) -> bool:
    """True when b is a with two adjacent letters swapped."""
    if len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def repair_cast_nouns(tokens: list[Token], is_colour: Container[str]) -> list[Token]:
    """Tokens with a misspelt cast noun after a colour name repaired ("brown ton" → "brown tone")."""
    from dataclasses import replace

    out = list(tokens)
    for i in range(1, len(out)):
        tok, prev = out[i], out[i - 1]
        if tok.kind != "word" or prev.kind != "word" or prev.lemma not in is_colour or len(tok.text) > 5:
            continue
        nxt = out[i + 1].text if i + 1 < len(out) else ""
        if nxt == "of":
            continue  # "a ton of contrast" is an amount
        noun = _cast_noun_for(tok.text)
        if noun is not None:
            out[i] = replace(tok, text=noun, lemma=noun)
    return out
