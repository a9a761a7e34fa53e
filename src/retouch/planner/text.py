"""Text handling: quotes kept verbatim, normalisation, tokens, lemmas and fuzzy repair of misspellings."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .colors import NAMED
from .lexicon import GENERATIVE_CUES, PHRASES, SINGLES, VOCAB, _words
from .typos import near_words, repair_cast_nouns

# Opening quote must not follow a letter (so "I'd" and "it's" are not quotes); the closing one must not
# precede a letter (so "Tom's Diner" inside quotes survives).
_QUOTE_RE = re.compile(
    r'"([^"]+)"|“([^”]+)”|„([^“”]+)[“”]|«([^»]+)»|`([^`]+)`|‘(.+?)’(?![a-zA-Z])|(?<![\w])\'(.+?)\'(?![\w])'
)


@dataclass(frozen=True)
class Token:
    """One unit of the instruction: kind word|num|size|ratio|color|quote|punct|ref, its text and value."""

    kind: str
    text: str
    value: Any = None
    lemma: str = ""
    signed: bool = False


def extract_quotes(prompt: str) -> tuple[str, list[str]]:
    """Replace quoted strings with placeholders (\x00N\x00) so that nothing inside them is parsed."""
    quotes: list[str] = []

    def keep(m: re.Match[str]) -> str:
        quotes.append(next(g for g in m.groups() if g is not None).strip())
        return f" \x00{len(quotes) - 1}\x00 "

    return _QUOTE_RE.sub(keep, prompt), quotes


_REPLACEMENTS = (
    (re.compile(r"[’`´]"), "'"),
    (re.compile(r"\be\.\s?g\.?"), " eg "),  # "e.g. 20%": not two sentences
    (re.compile(r"[–—−]"), "-"),
    (re.compile(r"×"), "x"),
    (re.compile(r"°"), " degrees "),
    (re.compile(r"©"), " copyright "),
    (re.compile(r"\bb\s*[&/+]\s*w\b|\bb\s*'?\s*n\s*'?\s*w\b|\bbnw\b"), " black and white "),
    (re.compile(r"\bw/o\b"), " without "),
    (re.compile(r"\bw/"), " with "),
    (re.compile(r"<3+|:\)|:-\)|;\)|:d\b"), " "),  # hearts and smileys
    (re.compile(r"\b(tone|calm|dial|turn|warm|cool|brighten|lighten|darken|liven|punch|spice) (it|this|that|them) "
                r"(down|up)\b"), r"\1 \3 \2"),  # "tone it down" = "tone down it"
    (re.compile(r"&"), " and "),
    (re.compile(r"(?<=[a-z])\s*/\s*(?=[a-z])"), " and "),  # "Color/Lighting Correction", "overexposure/focus"
    (re.compile(r"(?<=[a-z])-(?=[a-z])"), " "),  # off-white, top-right, teal-and-orange
    (re.compile(r"(?<=\d)(?=[a-z%])(?!x\d)(?!st\b|nd\b|rd\b|th\b|k\b|p\b|x\b|s\b)"), " "),  # 20px, 50%
)
_HEX_RE = re.compile(r"(#(?:[0-9a-f]{6}|[0-9a-f]{3})(?![0-9a-z]))")
_CONTRACTIONS = {"n't": " not", "'d": " would", "'ll": " will", "'re": " are", "'ve": " have", "'m": " am"}
_SUBJECT_S = {"it", "that", "what", "there", "here", "he", "she", "who", "where", "how"}


#: Forum post tags and markup that carry no edit: "[Specific]", "[Random]", "Request:", **bold**.
_TAGS = re.compile(r"^\s*(?:\[[^\]]{0,30}\]\s*|\(?request\)?\s*:\s*)+|\*\*|__")
#: Print sizes in inches: 24.5" x 14.5", 8x10 in → a ratio (pixels would need a resolution).
_INCHES = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:\"|”|''|in\b|inch(?:es)?\b)?\s*(?:x|by|×)\s*(\d+(?:\.\d+)?)\s*(?:\"|”|''|in\b|inch(?:es)?\b)"
)


def strip_markup(text: str) -> str:
    """Drop post tags and bold markers; print sizes in inches become ratios (before quotes are read)."""
    text = _TAGS.sub(" ", text)
    return _INCHES.sub(lambda m: f" {m.group(1)}:{m.group(2)} ", text)


def normalise(text: str) -> str:
    """Lower-case, unify punctuation and symbols, expand contractions and b&w; quotes already removed."""
    text = unicodedata.normalize("NFKC", text).lower()
    # Colour codes (#1e90ff, #fff) are kept whole: the digit/letter split below would break them apart.
    parts = _HEX_RE.split(text)
    for k in range(0, len(parts), 2):
        for pattern, repl in _REPLACEMENTS:
            parts[k] = pattern.sub(repl, parts[k])
    text = "".join(parts)
    for short, full in _CONTRACTIONS.items():
        text = text.replace(short, full)
    text = text.replace("can not", "cannot").replace("cannot", "can not").replace("won not", "will not")

    def apostrophe_s(m: re.Match[str]) -> str:
        # "it's" = "it is"; "the model's face" = "the model face" (a possessive).
        return f"{m.group(1)} is" if m.group(1) in _SUBJECT_S else m.group(1)

    text = re.sub(r"\b([a-z]+)'s\b", apostrophe_s, text)
    text = re.sub(r"(\d)'s\b", r"\1", text)  # "image 2's colours"
    text = _ITS_IS.sub("it is ", text)  # "its so dark": the missing apostrophe of "it's", never a possessive
    text = _TURNING_AGE.sub(" had a birthday", text)  # "grandma is turning 90": an age, not a rotation
    text = _YEARS_OLD.sub(r"\1 from long ago", text)  # "the photo is 50 years old": its age, not a vintage look
    text = _HERE_INTRO.sub(r"\1", text)  # "newbie here!": the forum, not a place in the photo
    text = _CONSTRAINT_TAIL.sub(r", \1", text)
    text = _EXCEPT_TYPO.sub(r"\1 except", text)
    text = re.sub(r"\b(everything|anything|all) but\b", r"\1 except", text)  # "everything but the subject"
    text = _COLOUR_OUT.sub(r"\1 background removed", text)
    text = _EDIT_OUT.sub(_edit_out, text)
    return text.replace("let us", "let s")


#: "its" before an intensifier or a state word is "it's" typed without the apostrophe ("its so dark",
#: "its too blurry", "its sideways"); before a noun ("its colours") it stays a possessive.
_ITS_IS = re.compile(
    r"\bits\s+(?=(?:so|too|very|really|way|super|kinda|kind of|sort of|quite|pretty|extremely|a bit|a little|"
    r"not|just|all|also|still|rather|slightly|totally|completely|overly|a tad|sideways|upside|crooked|"
    r"blurry|blurred|grainy|dark|darker|bright|brighter|dull|faded|washed|overexposed|underexposed|noisy|"
    r"pixelated|tilted|yellow|orange|green|blue|red|pink|purple)\b)"
)
#: "is turning 90", "just turned 50": a birthday in the story; "turn it 90", "it was turned 90" are rotations.
_TURNING_AGE = re.compile(
    r"\s+(?:(?:is|are|will be)\s+turning|just\s+turned|turns)\s+\d{1,3}\b(?!\s*(?:degrees?|deg|°|%))"
)
#: "my son is 5 years old", "the photo is over 50 years old": an age after a be-verb.
_YEARS_OLD = re.compile(
    r"\b(is|was|are|were|am)\s+(?:about\s+|almost\s+|over\s+|nearly\s+)?\d{1,3}\s*(?:years?|yrs?)\s+old\b"
)
#: "here" closing a self-introduction ("newbie here!", "first time posting here, …") names the forum.
_HERE_INTRO = re.compile(
    r"\b(post|posting|poster|newbie|noob|new|lurker|member|user|redditor|beginner)\s+here\b"
    r"(?=\s*(?:[!.,;:?)]|$|and\b|but\b|so\b))"
)
#: "remove background expect the girls": "except" mistyped after the background.
_EXCEPT_TYPO = re.compile(r"\b(background|backround|backdrop|bg|everything)\s+(?:expect|exept|excpet|accept)\b")
#: "with the black taken out": a plain colour taken out of a graphic is its background.
_COLOUR_OUT = re.compile(
    r"\b(the (?:black|white|gr[ae]y|green|blue|red|yellow|pink|solid|plain) ?(?:colou?r)?)\s+"
    r"(?:taken out|removed|cut out|knocked out|gone|deleted|erased)\b"
)
#: "photoshop the onlooker out of the photo", "edit my ex out": object removal, said as "remove … from".
_EDIT_OUT = re.compile(
    r"\b(photoshop|photoshopped|edit|airbrush|erase|clone|shop|cut|get|take|lift|pull)\s+"
    r"((?:the|my|this|that|these|those|his|her|their|a|an)\s+[a-z' ]{1,60}?|me|him|her|them|us)\s+out\s+of\b"
    r"|\b(photoshop|edit|airbrush|clone|shop)\s+((?:the|my|this|that|his|her|a|an)\s+[a-z' ]{1,60}?)\s+out\b"
)
#: Verbs whose "… out" is itself a removal trigger ("photoshop out"): kept, so the refusal quotes the user's verb.
_OUT_VERBS = frozenset({"photoshop", "edit", "clone"})


def _edit_out(m: re.Match[str]) -> str:
    """ "photoshop the onlooker out of the photo" → "photoshop out the onlooker from the photo"."""
    verb = m.group(1) or m.group(3)
    verb = verb if verb in _OUT_VERBS else "remove"
    verb = f"{verb} out" if verb != "remove" else verb
    return f"{verb} {m.group(2)} from" if m.group(2) else f"{verb} {m.group(4)}"


#: "… without losing quality", "… without it getting pixelated": a constraint of its own, split off so that
#: its verb ("losing") is not read as part of the edit before it.
_CONSTRAINT_TAIL = re.compile(
    r"\s+(without (?:it |them )?(?:losing|getting|becoming|looking|going|loss|any loss|quality loss|pixelat))"
)


_NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}
_TOKEN_RE = re.compile(
    r"(?P<quote>\x00\d+\x00)"
    r"|(?P<hex>#(?:[0-9a-f]{6}|[0-9a-f]{3})(?![0-9a-z]))"
    r"|(?P<rgb>rgba?\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*(?:,\s*[\d.]+\s*)?\))"
    r"|(?P<size>\d{1,5}\s*(?:x|\*|by)\s*\d{1,5})(?![\d.%:]|\s*(?:%|percent|per\s+cent))"
    r"|(?P<ratio>\d+(?:\.\d+)?\s*:\s*\d+(?:\.\d+)?)"
    r"|(?P<times>\d+(?:\.\d+)?x\b|\bx\d+(?:\.\d+)?\b)"
    r"|(?P<res>\b(?:4k|8k|2k|5k|\d{3,4}p)\b)"
    r"|(?P<ordnum>\b\d+(?:st|nd|rd|th)\b|\b(?:19)?[2-9]0s\b)"
    r"|(?P<imgref>\b(?:img|image|photo|pic|picture|input|file)\s*#?\s*\d{1,2}\b"
    r"(?!\s*(?:px|pix|%|x\s*\d|by\s*\d+(?![\d.]|\s*(?:%|percent|per\s+cent))|wide|tall|high|deg|percent|:))"
    r"|#\d\b)"
    r"|(?P<num>(?<![\w.])[+-]?\d+(?:,\d{3})*(?:\.\d+)?|(?<![\w.])[+-]?\.\d+)"
    r"|(?P<word>[a-z]+)"
    r"|(?P<punct>[%,;.!?:])"
)
_RES = {
    "4k": (3840, 2160),
    "8k": (7680, 4320),
    "2k": (2560, 1440),
    "5k": (5120, 2880),
    "720p": (1280, 720),
    "1080p": (1920, 1080),
    "1440p": (2560, 1440),
    "2160p": (3840, 2160),
    "480p": (854, 480),
}


def tokenize(text: str, quotes: list[str]) -> list[Token]:
    """Tokens of a normalised instruction; words carry their lemma."""
    out: list[Token] = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup or "punct"
        raw = m.group(0)
        if kind == "quote":
            out.append(Token("quote", raw, quotes[int(raw.strip("\x00"))]))
        elif kind == "hex":
            out.append(Token("color", raw, _hex(raw)))
        elif kind == "rgb":
            nums = [min(255, int(v)) for v in re.findall(r"\d+", raw)[:3]]
            out.append(Token("color", raw, tuple(nums)))
        elif kind == "size":
            a, b = re.split(r"\s*(?:x|\*|by)\s*", raw)
            out.append(Token("size", raw, (int(a), int(b))))
        elif kind == "ratio":
            a, b = (float(v) for v in raw.split(":"))
            out.append(Token("ratio", raw, (a, b)))
        elif kind == "times":
            out.append(Token("times", raw, float(raw.strip("x"))))
        elif kind == "res":
            out.append(Token("size", raw, _RES.get(raw, (3840, 2160))))
        elif kind == "ordnum":
            out.append(Token("word", raw, None, lemma=raw))
        elif kind == "imgref":
            out.append(Token("ref", raw, int(re.findall(r"\d+", raw)[0]) - 1))
        elif kind == "num":
            out.append(Token("num", raw, float(raw.replace(",", "")), signed=raw[0] in "+-"))
        elif kind == "word":
            out.append(Token("word", raw, None, lemma=lemma(raw)))
        else:
            out.append(Token("punct", raw, None, lemma=raw))
    return repair_cast_nouns(_number_words(out), NAMED)


def _hex(raw: str) -> tuple[int, int, int]:
    """#rgb / #rrggbb → RGB."""
    h = raw[1:]
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))


_UNIT_AFTER = {"degree", "degrees", "percent", "px", "pixel", "pixels", "stop", "stops", "times", "ev"}


def _number_words(tokens: list[Token]) -> list[Token]:
    """Turn number words ("ninety", "forty five") into numbers; "one" only before a unit ("one stop")."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.kind == "word" and t.text in _NUMBER_WORDS:
            value = _NUMBER_WORDS[t.text]
            j = i + 1
            if (
                value >= 20
                and j < len(tokens)
                and tokens[j].text in _NUMBER_WORDS
                and _NUMBER_WORDS[tokens[j].text] < 10
            ):
                value += _NUMBER_WORDS[tokens[j].text]
                j += 1
            nxt = tokens[j].text if j < len(tokens) else ""
            if t.text != "one" or nxt in _UNIT_AFTER:
                out.append(Token("num", t.text, float(value)))
                i = j
                continue
        out.append(t)
        i += 1
    return out


# ---------------------------------------------------------------- lemmas

_BRITISH = (
    ("colour", "color"),
    ("grey", "gray"),
    ("centre", "center"),
    ("isation", "ization"),
    ("ise", "ize"),
    ("ised", "ized"),
    ("ising", "izing"),
    ("yse", "yze"),
    ("favour", "favor"),
    ("metre", "meter"),
    ("vigne", "vigne"),
)
_ALWAYS_US = (("colour", "color"), ("grey", "gray"), ("centre", "center"), ("centred", "centered"))
_SUFFIXES = (
    ("ies", "y"),
    ("ied", "y"),
    ("ier", "y"),
    ("iest", "y"),
    ("ily", "y"),
    ("es", ""),
    ("s", ""),
    ("ed", ""),
    ("ed", "e"),
    ("d", ""),
    ("ing", ""),
    ("ing", "e"),
    ("er", ""),
    ("er", "e"),
    ("r", ""),
    ("est", ""),
    ("est", "e"),
    ("st", ""),
    ("ly", ""),
    ("ness", ""),
    ("ish", ""),
    ("ish", "e"),
    ("en", ""),
    ("ment", ""),
    ("ation", "ate"),
    ("ation", "e"),
    ("ation", ""),
    ("y", ""),
    ("ally", ""),
)
#: Common English words one typo away from a vocabulary word: never "repaired" into it.
_PROTECTED = frozenset(
    _words(
        """
night right sight tight fight might light bright rainy brain later latest grainy grain plain flat flash
fish wish dish shop shape sharp harp stop step top tip dip drip crop prop flop floop slip clip
blue glue clue true
wear pear bear near dear hear fear year rear tear gear smile mile tile while white write quite quiet
sunny funny bunny shade shadow meadow window widow wider width wild mild hold cold bold gold told fold
warm worm farm harm storm form from frame flame blame blame slam dark bark park mark lark
graduation wedding birthday funeral party ceremony prom vacation holiday anniversary
"""
    )
)


def _variants(word: str) -> list[str]:
    """Candidate base forms: British → American, then suffixes stripped (with consonant undoubling)."""
    forms = [word]
    for uk, us in _BRITISH:
        if uk in word:
            forms.append(word.replace(uk, us))
    out: list[str] = []
    for form in forms:
        out.append(form)
        for suffix, repl in _SUFFIXES:
            if form.endswith(suffix) and len(form) - len(suffix) >= 2:
                stem = form[: -len(suffix)]
                cand = stem + repl
                if suffix not in _COMPARATIVE or _adjective_like(cand):
                    out.append(cand)  # but "later" is not late+er here, nor "letter" let+er
                undoubled = stem[:-1] + repl
                doubled = len(stem) >= 3 and stem[-1] == stem[-2] and stem[-1] not in "aeiousl"
                if doubled and (suffix not in _COMPARATIVE or _adjective_like(undoubled)):
                    out.append(undoubled)  # bigger → big, cropped → crop, blurred → blur
    return out


_COMPARATIVE = frozenset({"er", "r", "est", "st", "ier", "iest"})
_ADJECTIVE_KINDS = frozenset({"level", "thick", "bigger", "sizeword", "opacity", "dir"})


def _adjective_like(word: str) -> bool:
    """True for words that take -er/-est: op adjectives ("flat", "dim") and size/intensity words."""
    for sense in PHRASES.get((word,), []):
        if (sense.kind == "op" and sense.pos == "a") or sense.kind in _ADJECTIVE_KINDS:
            return True
    return word in NAMED  # "bluer", "redder"


@lru_cache(maxsize=4096)
def lemma(word: str) -> str:
    """Base form of `word` in the lexicon (inflections, British spellings, misspellings), else itself."""
    for uk, us in _ALWAYS_US:
        word = word.replace(uk, us)
    if word in SINGLES:
        return word
    variants = _variants(word)
    for cand in variants:
        if cand in SINGLES:
            return cand
    if word in VOCAB or word in GENERATIVE_CUES or word in NAMED:
        return word
    for cand in variants:
        if cand in VOCAB:
            return cand
    for cand in variants:
        if cand in GENERATIVE_CUES or cand in NAMED:
            return cand
    if word in _PROTECTED:
        return word
    return fuzzy(word) or word


_FUZZY_TARGETS = tuple(sorted(w for w in VOCAB | set(NAMED) if len(w) >= 5 and w.isalpha()))


def fuzzy(word: str) -> str | None:
    """The vocabulary word a misspelling most likely meant, or None when unsure.

    Short words are left alone (too many real words are one letter apart); 5–6 letters allow one
    insertion, deletion or swap; 7+ letters also allow one substitution; 10+ allow two edits.
    """
    if len(word) < 5 or not word.isalpha():
        return None
    limit = 2 if len(word) >= 10 else 1
    best: list[str] = []
    best_d = limit + 1
    for cand, d in near_words(word, _FUZZY_TARGETS, limit):
        if d == 1 and len(word) < 7 and len(cand) == len(word) and not _is_swap(word, cand):
            continue  # a substitution in a short word is more likely another word ("night" vs "light")
        if len(word) < 7 and cand[0] != word[0]:
            continue  # short words keep their first letter when mistyped ("fright" is not "right")
        if d < best_d:
            best, best_d = [cand], d
        elif d == best_d:
            best.append(cand)
    if not best or is_english_word(word):
        return None  # "concert" is not a misspelt "convert": a word people use is left as it is
    if len(best) > 1 and any(c in SINGLES or c in NAMED for c in best):
        # "exposre": "exposure" is a word of its own, "expose" only part of "over expose"
        best = [c for c in best if c in SINGLES or c in NAMED]
    if len(best) > 1:
        same_start = [c for c in best if c[0] == word[0]]
        meanings = {_meaning(c) for c in same_start}
        if len(same_start) != 1 and (len(meanings) != 1 or None in meanings):
            return None  # ambiguous between words that mean different things
        best = same_start
    return _variants_lemma(best[0])


#: How often a word must occur in pyspellchecker's English frequency list (OpenSubtitles counts) to be
#: taken as a real word; misspellings people make ("exposre", "backround") are 0 there.
_ENGLISH_MIN_COUNT = 50


@lru_cache(maxsize=1)
def _english_counts() -> dict[str, int]:
    """pyspellchecker's English word counts, loaded on the first repair only (~170 ms)."""
    from spellchecker import SpellChecker

    return dict(SpellChecker(language="en", distance=1).word_frequency.dictionary)


def is_english_word(word: str) -> bool:
    """Whether `word` is a common English word (so never a typo to repair into another one)."""
    return _english_counts().get(word, 0) >= _ENGLISH_MIN_COUNT


def _meaning(word: str) -> str | None:
    """The op a single word triggers ("sharp" and "sharpen" both mean sharpen), or None."""
    senses = PHRASES.get((word,), [])
    ops = {s.value for s in senses if s.kind == "op"}
    return ops.pop() if len(ops) == 1 else None


def _variants_lemma(cand: str) -> str:
    """A fuzzy target is already a vocabulary word; hook kept separate for clarity."""
    return cand


def _is_swap(a: str, b: str) -> bool:
    """True when b is a with two adjacent letters swapped."""
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
