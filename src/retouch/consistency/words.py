"""Read the consistency clauses of an instruction: "make them consistent", "match them to the first".

`read_consistency(prompt)` finds the clauses that ask for a uniform set, turns them into a
`ConsistencyRequest` and returns the rest of the prompt (the edit each image gets), with its
own words and separators untouched. A clause is matched whole or not at all, so "black and
white" or "a uniform gray background" never lose a word.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

#: What the pass can make the same across the set (see docs/cli.md).
ASPECTS = ("tone", "color", "framing", "background")
#: What "make them consistent" means without more words.
DEFAULT_ASPECTS = ("tone", "color", "framing")

_ORDINALS = {
    "first": 1, "1st": 1, "one": 1, "second": 2, "2nd": 2, "two": 2, "third": 3, "3rd": 3, "three": 3,
    "fourth": 4, "4th": 4, "four": 4, "fifth": 5, "5th": 5, "five": 5, "sixth": 6, "6th": 6,
    "seventh": 7, "7th": 7, "eighth": 8, "8th": 8, "ninth": 9, "9th": 9, "tenth": 10, "10th": 10,
    "last": -1, "final": -1,
}  # fmt: skip


@dataclass(frozen=True)
class ConsistencyRequest:
    """A request for a uniform set: what to make the same, and to what.

    `reference` is "median" (the set's robust centre) or a 1-based input number (-1 = the
    last input).
    """

    aspects: tuple[str, ...] = DEFAULT_ASPECTS
    reference: str | int = "median"
    text: tuple[str, ...] = field(default=(), compare=False)  # the words it came from

    def describe(self) -> str:
        """One line: `consistency: tone, color, framing → the set's median`."""
        ref = self.reference
        to = (
            "the set's median"
            if ref == "median"
            else "the last image"
            if ref == -1
            else f"image {ref}"
        )
        return f"consistency: {', '.join(self.aspects)} → {to}"


# --------------------------------------------------------------------------- the phrases

_SET = r"(?:them|they|these|those|all|everything|every(?:one|thing)|the (?:whole )?(?:set|batch|series|lot)|" \
       r"(?:all )?(?:of )?(?:the |these |those |my )?(?:photos|images|pictures|pics|shots|products|ones)|" \
       r"(?:all )?of them|each(?: one)?|every (?:photo|image|picture|shot))"
_VERB = r"(?:make|get|keep|render|bring|turn|have|let)"
_UNIFORM = r"(?:consistent|uniform|cohesive|coherent|homogeneous|even|matching|matched|alike|the same)"
_IMAGE = r"(?:one|image|photo|picture|shot|pic|input|frame)"
_REF = (
    r"(?:the |that |this )?(?P<ord>first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|6th|"
    r"seventh|7th|eighth|8th|ninth|9th|tenth|10th|last|final)(?: " + _IMAGE + r")?"
    r"|(?:image|photo|picture|shot|number|no\.?|#) ?(?P<num>\d{1,3})"
)
_LOOK = r"(?:look|style|feel|treatment|grade|edit|appearance)"
_FILLER = r"(?:please |also |then |and |now |just |finally )*"
_TAIL = r"(?: please| too| as well| across the (?:set|batch|board|series)| throughout| overall)*"

_ASPECT_WORDS: dict[str, str] = {
    "tone": r"exposure|brightness|lightness|tones?|contrast|levels",
    "color": r"colou?rs?|colou?r balance|white balance|wb|tint|colou?r temperature|grading|colou?r grade",
    "framing": r"framing|crop(?:ping)?|size|sizes|scale|position|placement|composition|zoom|alignment",
    "background": r"background|backdrop|backgrounds|backdrops",
}

_WHOLE: list[re.Pattern[str]] = [
    # "make them consistent", "make all the photos look uniform", "keep the set cohesive"
    re.compile(_VERB + r" " + _SET + r"(?: (?:all|both))?(?: look| appear| feel)?"
               r"(?: (?:more|very|fully|all))? " + _UNIFORM + r"(?: with (?:each other|one another))?"),
    # "consistent", "uniform look", "a consistent look across the set", "consistency"
    re.compile(r"(?:(?:a|an|one|the) )?(?:consistent|uniform|cohesive|coherent|unified|matching)(?: " + _LOOK
               + r")?(?: for (?:all|them|the set|every(?:one|thing)))?"),
    re.compile(r"(?:(?:make|keep|ensure|with) )?(?:consistency|uniformity)"
               r"(?: (?:across|between|among) " + _SET + r")?"),
    # "same look for all", "give them all the same look", "the same look throughout"
    re.compile(r"(?:(?:give|apply) " + _SET + r"(?: all)? )?(?:the )?same " + _LOOK
               + r"(?: (?:for|on|across|to) (?:all|them|each|every(?:one|thing)|" + _SET + r"))?"),
    re.compile(r"(?:make |have )?" + _SET + r"(?: all)? (?:share|have|get) (?:the same|one|a common) " + _LOOK),
    # "make them look like one shoot", "as if shot in one session"
    re.compile(r"(?:make )?(?:" + _SET + r" )?(?:look )?(?:like|as if (?:they were )?(?:shot|taken) (?:in|at)) "
               r"(?:one|a single|the same) (?:shoot|session|series|set|photo ?shoot)"),
    # "match them to each other", "make them match"
    re.compile(r"(?:make )?" + _SET + r" match(?: each other| one another)?"),
    re.compile(r"match (?:" + _SET + r" )?(?:to )?(?:each other|one another)"),
]

_TO_REFERENCE: list[re.Pattern[str]] = [
    # "match them all to the first one", "match everything to image 3", "match to the first"
    re.compile(r"(?:match|align|conform|adjust|correct|normali[sz]e)(?: " + _SET + r")?(?: all)?(?: up)? "
               r"(?:to|with|against) (?:" + _REF + r")"),
    # "make them consistent with the first one", "make all look like image 2"
    re.compile(r"(?:" + _VERB + r" " + _SET + r"(?: all)? )?(?:look )?(?:consistent|uniform|in line|matching) "
               r"(?:with|to) (?:" + _REF + r")"),
    re.compile(r"(?:" + _VERB + r" )?" + _SET + r"(?: all)? (?:look )?(?:like|the same as|as) (?:" + _REF + r")"),
    re.compile(r"(?:use )?(?:" + _REF + r") as (?:the )?(?:reference|template|model|master|target|guide)"),
    re.compile(r"(?:the )?same (?:" + _LOOK + r" )?as (?:" + _REF + r")"),
]

# "same exposure and colours", "the same framing for all", "consistent white balance"
_ASPECT_LIST = r"(?:" + "|".join(_ASPECT_WORDS.values()) + r")"
_SOME_ASPECTS = re.compile(
    r"(?:(?:" + _VERB + r"|give|use|keep) (?:" + _SET + r" )?(?:all )?)?(?:(?:the )?same|consistent|uniform|"
    r"matching|one|a common|even) (?P<list>" + _ASPECT_LIST + r"(?:(?:,| and|, and|/| &) " + _ASPECT_LIST + r")*)"
    r"(?: (?:for|across|on|in|throughout) (?:all|them|each|every(?:one|thing)|" + _SET + r"))?"
    r"(?: (?:as|to|like) (?:" + _REF + r"))?"
)

_EVEN_ASPECTS = re.compile(
    r"(?:even(?: out)?|equali[sz]e|normali[sz]e|unify|harmoni[sz]e|align|match) (?:up |out )?(?:the )?"
    r"(?P<list>" + _ASPECT_LIST + r"(?:(?:,| and|, and|/| &) " + _ASPECT_LIST + r")*)"
    r"(?: (?:of|for|across|between|among|in) (?:all|them|each|every(?:one|thing)|" + _SET + r"))?"
)
_EVEN_SET = re.compile(r"(?:even out|equali[sz]e|normali[sz]e|unify|harmoni[sz]e) " + _SET)

#: Clause separators: commas, semicolons, colons, sentence ends, "and", "then", "also".
_SEPARATOR = re.compile(r"(\s*(?:[,;:]|\.(?=\s|$)|!|\band then\b|\bthen\b|\band also\b|\balso\b|\band\b)\s*)",
                        re.IGNORECASE)


def read_consistency(prompt: str) -> tuple[ConsistencyRequest | None, str]:
    """(the consistency request the prompt makes, or None; the prompt without those clauses)."""
    parts = _SEPARATOR.split(prompt)
    clauses = parts[0::2]
    found: list[tuple[int, tuple[str, ...] | None, str | int | None]] = []
    i = 0
    while i < len(clauses):
        got = _read_clause(clauses[i])
        if got is not None:
            found.append((i, *got))
            # "the same exposure and colours": the list goes on past the separator
            while got[0] and i + 1 < len(clauses) and (more := _bare_aspects(clauses[i + 1])):
                i += 1
                found.append((i, more, None))
        i += 1
    if not found:
        return None, prompt
    aspects: list[str] = []
    reference: str | int = "median"
    for _, asp, ref in found:
        for a in asp or DEFAULT_ASPECTS:
            if a not in aspects:
                aspects.append(a)
        if ref is not None:
            reference = ref
    drop = {i for i, _, _ in found}
    words = tuple(clauses[i].strip() for i in sorted(drop))
    request = ConsistencyRequest(tuple(a for a in ASPECTS if a in aspects), reference, words)
    return request, _join_rest(parts, drop)


def _read_clause(clause: str) -> tuple[tuple[str, ...] | None, str | int | None] | None:
    """(aspects or None for the default, reference or None) when the clause is all about consistency."""
    text = " ".join(clause.lower().replace("’", "'").split())
    text = re.sub(r"^" + _FILLER, "", text).rstrip(".!? ")
    text = re.sub(_TAIL + r"$", "", text)
    if not text:
        return None
    for pat in _TO_REFERENCE:
        if m := pat.fullmatch(text):
            return None, _reference(m)
    for pat in (*_WHOLE, _EVEN_SET):
        if pat.fullmatch(text):
            return None, None
    if m := _EVEN_ASPECTS.fullmatch(text):
        return _aspects_in(m.group("list")), None
    if m := _SOME_ASPECTS.fullmatch(text):
        ref = _reference(m) if m.group("ord") or m.group("num") else None
        return _aspects_in(m.group("list")), ref
    return None


def _aspects_in(listed: str) -> tuple[str, ...]:
    """The aspects named in a list of aspect words ("exposure and white balance")."""
    return tuple(a for a, words in _ASPECT_WORDS.items() if re.search(r"\b(?:" + words + r")\b", listed))


def _bare_aspects(clause: str) -> tuple[str, ...] | None:
    """The aspects a clause that is nothing but aspect words names ("colours", "the same framing")."""
    text = re.sub(r"^(?:the )?(?:same )?", "", " ".join(clause.lower().split())).rstrip(".!? ")
    text = re.sub(_TAIL + r"$", "", text)
    if not re.fullmatch(_ASPECT_LIST, text):
        return None
    return _aspects_in(text)


def _reference(m: re.Match[str]) -> int | None:
    """The 1-based input number a match names (-1 = last)."""
    if m.group("num"):
        return max(1, int(m.group("num")))
    if m.group("ord"):
        return _ORDINALS[m.group("ord")]
    return None


def _join_rest(parts: list[str], drop: set[int]) -> str:
    """The prompt without the dropped clauses and one separator next to each of them."""
    clauses = parts[0::2]
    seps = parts[1::2]
    keep = [i for i in range(len(clauses)) if i not in drop and clauses[i].strip()]
    if not keep:
        return ""
    out = clauses[keep[0]]
    for prev, nxt in itertools.pairwise(keep):
        # the separator that followed the previous kept clause, unless it led into a dropped one:
        # then the one just before the next kept clause ("a, consistent, b" -> "a, b")
        sep = seps[nxt - 1] if nxt - 1 > prev else seps[prev]
        out += sep + clauses[nxt]
    return out.strip()
