"""Follow-ups in context: an instruction read against the plan that made the version being edited.

`follow_up("a bit less", previous)` returns the revised *full* plan, to be run on the original input
of that version (not stacked on its output): "a bit less" after "contrast +0.40" is contrast +0.20 of
the original. Each change is said in the plan's notes ("contrast +0.40 → +0.20 (“a bit less”)").

Rules (also in docs/cli.md):

* Relative words without an op ("less", "a bit more", "too much", "tone it down", "not enough") scale
  every step that has an amount: its deviation from neutral × the factor of `FACTORS` (clamped to the
  op's range). Geometry and steps without an amount stay as they were.
* With an op named ("stronger vignette", "less contrast", "reduce the blur") only that step scales.
  For a quantity moved below neutral ("contrast -0.30"), "less contrast" lowers it further.
* "undo/remove/drop/without/no more the X" drops the step named X; "undo"/"go back" drops the last step;
  "start over"/"undo everything"/"back to the original" gives the empty plan (the original).
* Anything else is a new instruction: its steps are added; one of an op already in the plan composes
  into that step (amounts add: "warmer" after "warmer" doubles it; an amount back at neutral drops the
  step), and a crop, resize, background, look or border replaces the previous one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retouch.errors import UnsupportedInstruction
from retouch.ops.catalog import CATALOG, PType
from retouch.schema import EditPlan, PlanStep

#: Multipliers of a step's deviation from neutral, by the words that say how much.
FACTORS = {
    ("less", "slight"): 0.75,
    ("less", ""): 0.5,
    ("less", "much"): 0.25,
    ("more", "slight"): 1.25,
    ("more", ""): 1.5,
    ("more", "much"): 2.0,
}

#: What "no change" is for a main parameter (amounts and angles: 0).
NEUTRAL = {"gamma": 1.0, "scale": 1.0}

#: Ops whose new step replaces the previous one instead of composing with it or adding a second.
REPLACES = {
    "crop_aspect": "crop",
    "crop_box": "crop",
    "resize": "resize",
    "extend_canvas": "pad",
    "background_color": "background",
    "background_gradient": "background",
    "background_image": "background",
    "remove_background": "background",
    "look": "look",
    "border": "border",
    "straighten": "straighten",
    "white_balance": "white_balance",
    "colorize": "colorize",
}

#: Ops whose named noun is the effect itself: "less vignette" is always a weaker effect.
EFFECTS = {"vignette", "hue_shift", "rotate", "straighten", "blur", "grain", "sharpen", "denoise", "pixelate"}

#: Words each surface may use for an op beyond the catalog's own (families and everyday names).
EXTRA_NAMES = {
    "blur": ("background_blur",),
    "background": (
        "background_color",
        "background_gradient",
        "background_image",
        "background_blur",
        "remove_background",
    ),
    "crop": ("crop_aspect", "crop_box"),
    "cropping": ("crop_aspect", "crop_box"),
    "color": ("saturation", "vibrance", "colorize"),
    "warmth": ("temperature",),
    "warm": ("temperature",),
    "cool": ("temperature",),
    "coolness": ("temperature",),
    "black and white": ("grayscale",),
    "b&w": ("grayscale",),
    "bw": ("grayscale",),
    "gray": ("grayscale",),
    "filter": ("look", "sepia", "grayscale"),
    "effect": ("look",),
    "caption": ("text",),
    "watermark": ("text",),
    "logo": ("place_image",),
    "padding": ("extend_canvas",),
    "brightening": ("brightness", "exposure"),
    "darkening": ("brightness", "exposure"),
    "sharpening": ("sharpen",),
    "grain": ("grain",),
}

_MOD_SLIGHT = (
    r"(?:a\s+(?:tiny|little|wee)\s+bit|a\s+touch|a\s+tad|slightly|just\s+a\s+(?:bit|little|touch|tad)|"
    r"a\s+smidge|marginally)"
)
_MOD_PLAIN = r"(?:a\s+bit|a\s+little|somewhat|bit|little|some)"
_MOD_MUCH = r"(?:much|a\s+lot|way|far|lots|significantly|considerably|even|a\s+great\s+deal)"


def _mod(tag: str = "") -> str:
    """An amount word ("a bit", "slightly", "much"), with named groups for the size it says."""
    return rf"(?:(?P<slight{tag}>{_MOD_SLIGHT})|(?P<much{tag}>{_MOD_MUCH})|{_MOD_PLAIN})"


_MOD = _mod()
_MOD2 = _mod("2")
_LESS = (
    r"(?:less|weaker|subtler|more\s+subtle|milder|gentler|fainter|lower|smaller|toned\s+down|reduced|lighter\s+touch|"
    r"not\s+(?:so|as|that|quite\s+(?:so|as)))"
)
_MORE = r"(?:more|stronger|heavier|bolder|intenser|more\s+intense|harsher|bigger|higher|further|more\s+pronounced)"
_TOO_MUCH = (
    r"(?:too\s+(?:much|strong|heavy|intense|harsh|extreme|obvious|overdone|far|aggressive|big)|overdone|"
    r"over\s+the\s+top|excessive|overkill|a\s+bit\s+much)"
)
_TOO_LITTLE = (
    r"(?:not\s+enough|too\s+(?:subtle|weak|faint|little|mild|small|gentle)|barely\s+(?:visible|noticeable)|"
    r"hardly\s+(?:visible|noticeable)|(?:i\s+)?can'?t\s+(?:really\s+)?see\s+(?:it|the\s+(?:difference|change|effect)))"
)
_DOWN_VERB = (
    r"(?:reduce|lower|decrease|soften|weaken|lessen|tone\s+down|dial\s+(?:back|down)|turn\s+down|"
    r"pull\s+back|scale\s+back|back\s+off|ease\s+off|ease\s+up\s+on|cut\s+back(?:\s+on)?|calm\s+down|minimi[sz]e)"
)
_UP_VERB = (
    r"(?:increase|boost|raise|strengthen|intensify|amplify|push|pump\s+up|turn\s+up|crank\s+up|amp\s+up|"
    r"bump\s+up|enhance|emphasi[sz]e|maximi[sz]e|exaggerate)"
)
_DOWN_PARTICLE = r"(?:tone|dial|turn|pull|scale|bring|knock|take|ease|calm|back|rein)"
_UP_PARTICLE = r"(?:turn|crank|pump|amp|bump|ramp|dial|kick|jack|ratchet)"
_DROP_VERB = (
    r"(?:undo|revert|remove|drop|lose|get\s+rid\s+of|take\s+(?:out|away|off)|delete|cancel|skip|ditch|"
    r"forget|kill|no\s+more|no|without|leave\s+out|turn\s+off|switch\s+off|scrap|lose|strip|cut)"
)
#: Drop verbs that only make sense against a previous edit (the others are also fresh instructions).
_UNDO_VERB = re.compile(r"^(?:undo|revert|cancel|forget|scrap|skip|ditch)\b")
_IT = r"(?:it|that|this|the\s+(?:effect|edit|change|changes|edits|adjustments?|whole\s+thing)|everything|all\s+of\s+it)"

_UNDO_ALL = re.compile(
    r"^(?:undo\s+(?:everything|all(?:\s+of\s+it)?|all\s+(?:the\s+)?(?:edits|changes|steps))|start\s+(?:over|again|afresh)|"
    r"reset(?:\s+(?:it|everything|all))?|(?:go\s+)?back\s+to\s+(?:the\s+)?original|restore\s+the\s+original|"
    r"(?:remove|drop|revert|discard)\s+(?:all|every)\s+(?:the\s+)?(?:edits|changes|effects|steps)|"
    r"revert\s+(?:everything|to\s+(?:the\s+)?original)|the\s+original(?:\s+again)?)$"
)
_UNDO_LAST = re.compile(
    r"^(?:undo(?:\s+(?:it|that|this|the\s+last\s+(?:step|change|edit|one|thing)))?|go\s+back(?:\s+a\s+step)?|step\s+back|"
    r"take\s+(?:it|that)\s+back|revert(?:\s+(?:it|that|this|the\s+last\s+(?:step|change|edit|one)))?|"
    r"(?:remove|drop|lose)\s+the\s+last\s+(?:step|change|edit|one|thing)|previous\s+version)$"
)
_FILLER_START = re.compile(
    r"^(?:(?:ok(?:ay)?|hmm+|yes|yeah|great|nice|good|perfect|cool\s+but|thanks|now|also|then|and|but|so|just|maybe|"
    r"actually|please|can\s+you|could\s+you|would\s+you|i\s+(?:think|feel)|same(?:\s+(?:thing|again|as\s+before))?|"
    r"like\s+before|as\s+before|keep\s+(?:everything|the\s+rest)|otherwise\s+the\s+same|same\s+but)\b[\s,]*)+"
)
_FILLER_END = re.compile(
    r"(?:[\s,]*\b(?:please|thanks|thank\s+you|though|then|again|instead|now|overall|this\s+time))+$"
)
_FILLER_ONLY = re.compile(r"^(?:same|same\s+again|same\s+thing|keep\s+it|keep\s+the\s+rest|the\s+rest\s+is\s+fine|)$")
_SPLIT = re.compile(
    r"\s*(?:[,;!]|\.(?!\d)|\band\s+then\b|\bthen\b|\bbut\b|\band\s+also\b|\band\b)\s*", re.IGNORECASE
)
#: Kept whole when splitting (and given to the planner as the user wrote them): quotes, "black and white".
_WHOLE = re.compile(r'"[^"]*"|“[^”]*”|‘[^’]*’|(?<!\w)\'[^\']*\'(?!\w)|\bblack\s*(?:and|&|n)\s*white\b', re.IGNORECASE)


@dataclass
class _Reading:
    """What one clause of a follow-up asks: a kind and, for scales, the factor and the op words."""

    kind: str  # scale | drop | undo_last | undo_all | new | filler
    text: str
    factor: float = 1.0
    direction: str = ""  # less | more (for a named quantity below neutral the two swap)
    size: str = ""  # slight | "" | much
    target: str = ""  # the words naming an op ("" = every step)
    context_only: bool = False  # meaningless without a previous edit


def follow_up(
    prompt: str, after: EditPlan, *, n_images: int = 1, has_mask: bool = False, before: EditPlan | None = None
) -> EditPlan:
    """The revised full plan for `prompt` read against `after` (the plan of the version edited).

    `before`, when known, is the plan `after` was itself revised from (a chain of follow-ups):
    "undo"/"go back" then return to it instead of dropping the last step.
    """
    from .plan import plan_from_text

    if prompt is None or not prompt.strip():
        raise UnsupportedInstruction("the prompt is empty: say what to change about the previous edit")
    steps = [s.model_copy(deep=True) for s in after.steps]
    notes: list[str] = []
    ignored = []
    for reading in _read(prompt):
        if reading.kind == "filler":
            continue
        if reading.kind == "undo_all":
            if steps:
                notes.append(f"every step removed (“{reading.text}”): back to the original")
            steps = []
        elif reading.kind == "undo_last" and before is not None:
            steps = [s.model_copy(deep=True) for s in before.steps]
            shown = "; ".join(s.describe() for s in steps) or "no steps: the original"
            notes.append(f"back to the plan before the last follow-up (“{reading.text}”): {shown}")
        elif reading.kind == "undo_last":
            if not steps:
                raise _nothing(reading, "there is nothing to undo: the previous edit had no steps")
            gone = steps.pop()
            notes.append(f"{gone.describe()} removed (“{reading.text}”)")
        elif reading.kind == "drop":
            hit = _named(reading.target, steps)
            if hit:
                for i in sorted(hit, reverse=True):
                    notes.append(f"{steps[i].describe()} removed (“{reading.text}”)")
                    del steps[i]
            elif reading.context_only:
                raise _nothing(reading, f"the previous edit has no {reading.target} step ({_listing(steps)})")
            else:
                fresh = plan_from_text(reading.text, n_images=n_images, has_mask=has_mask)
                steps = _merge(steps, fresh.steps, reading.text, notes)
                ignored += fresh.ignored
        elif reading.kind == "scale":
            hit = _named(reading.target, steps) if reading.target else _scalable(steps)
            if reading.target and not hit:
                fresh = plan_from_text(reading.text, n_images=n_images, has_mask=has_mask)
                steps = _merge(steps, fresh.steps, reading.text, notes)
                ignored += fresh.ignored
                continue
            changed = [i for i in hit if _scale(steps, i, reading, notes)]
            if not changed and hit:
                limits = "; ".join(steps[i].describe() for i in hit)
                raise _nothing(reading, f"already as far as it goes within the op's range ({limits})")
            if not changed:
                raise _nothing(reading, f"the previous edit has no step with an amount to change ({_listing(steps)})")
        else:
            fresh = plan_from_text(reading.text, n_images=n_images, has_mask=has_mask)
            steps = _merge(steps, fresh.steps, reading.text, notes)
            ignored += fresh.ignored
    if not notes:
        notes.append(f"nothing changed (“{prompt.strip()}”)")
    return EditPlan(prompt=prompt, steps=steps, ignored=ignored, notes=notes)


def context_only(prompt: str) -> bool:
    """Whether the instruction only makes sense against a previous edit ("a bit less", "undo")."""
    readings = [r for r in _read(prompt) if r.kind != "filler"]
    return bool(readings) and all(r.context_only for r in readings)


def undoes(prompt: str) -> bool:
    """Whether the instruction drops or undoes something ("undo the vignette"): never read on its own."""
    return any(r.kind in ("drop", "undo_all", "undo_last") for r in _read(prompt))


def needs_previous(prompt: str) -> UnsupportedInstruction:
    """The refusal of a follow-up given without the edit it follows."""
    text = prompt.strip()
    return UnsupportedInstruction(
        f"“{text}” is relative to a previous edit, and there is none here: it changes the plan that made "
        "the version being edited",
        fragment=text,
        kind="needs_previous",
        hint="previous",
    )


# ---- reading the words


def _clean(text: str) -> str:
    t = text.lower().replace("’", "'").replace("colour", "color").replace("grey", "gray")
    return re.sub(r"\s+", " ", t).strip()


def _read(prompt: str) -> list[_Reading]:
    """One reading per clause; consecutive new instructions are one reading, in the user's own words
    (so that the planner sees "darken and blur the background" whole, and quotes keep their case)."""
    kept: list[str] = []

    def hide(m: re.Match[str]) -> str:
        kept.append(m.group(0))
        return f"\x00{len(kept) - 1}\x00"

    def restore(text: str) -> str:
        return re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], text)

    masked = _WHOLE.sub(hide, prompt)
    spans, pos = [], 0
    for m in [*_SPLIT.finditer(masked), None]:
        end = m.start() if m is not None else len(masked)
        if masked[pos:end].strip():
            spans.append((pos, end))
        pos = m.end() if m is not None else end
    out: list[_Reading] = []
    group: tuple[int, int] | None = None
    for start, end in spans:
        original = restore(masked[start:end]).strip()
        reading = _read_clause(_clean(original).strip(" '\""))
        reading.text = original
        if reading.kind == "new" and out and out[-1].kind == "new" and group is not None:
            group = (group[0], end)
            out[-1].text = restore(masked[group[0] : group[1]]).strip()
            continue
        group = (start, end) if reading.kind == "new" else None
        out.append(reading)
    return out


def _read_clause(clause: str) -> _Reading:
    core = _FILLER_END.sub("", _FILLER_START.sub("", clause)).strip()
    if _FILLER_ONLY.match(core):
        return _Reading("filler", clause)
    if _UNDO_ALL.match(core):
        return _Reading("undo_all", clause, context_only=True)
    if _UNDO_LAST.match(core):
        return _Reading("undo_last", clause, context_only=True)
    kept = re.match(r"^(?:keep|leave)\s+(?:the\s+)?(?P<x>[a-z&' -]+?)(?:\s+(?:as\s+it\s+is|as\s+is|alone))?$", core)
    if kept and _names_op(kept.group("x")):
        return _Reading("filler", clause)  # "keep the contrast (but ...)": that step stays as it is
    core = re.sub(r"^(?:make|have|keep|go|get(?!\s+rid)|let'?s\s+(?:go|have)|i\s+want|i'?d\s+like)\s+", "", core)
    core = re.sub(r"^(?:it'?s|that'?s|this\s+is|it\s+is|that\s+is|it\s+looks|looks)\s+", "", core)
    scale = _scale_reading(core, clause)
    if scale is not None:
        return scale
    m = re.match(rf"^{_DROP_VERB}\s+(?:the\s+|that\s+|this\s+|my\s+)?(?P<x>.+)$", core)
    if m and not re.match(rf"^{_IT}$", m.group("x")):
        target = m.group("x")
        if re.match(r"^last\s+(?:step|change|edit|one|thing)$", target):
            return _Reading("undo_last", clause, context_only=True)
        if re.match(r"^(?:all|everything|all\s+(?:the\s+)?(?:edits|changes|effects|steps|of\s+it))$", target):
            return _Reading("undo_all", clause, context_only=True)
        # "undo the vignette" needs the edit it undoes; "undo the yellow tint from the lamps" is a cast to fix
        undoes_step = bool(_UNDO_VERB.match(core)) and _names_op(target)
        return _Reading("drop", clause, target=target, context_only=undoes_step)
    m = re.match(r"^(?:the\s+)?(?P<x>.+?)\s+off$", core)
    if m:
        return _Reading("drop", clause, target=m.group("x"))
    m = re.match(r"^(?:i\s+)?(?:don'?t|do\s+not)\s+(?:want|like|need)\s+(?:the\s+|that\s+)?(?P<x>.+)$", core)
    if m:
        return _Reading("drop", clause, target=m.group("x"))
    return _Reading("new", clause)


def _size(m: re.Match[str]) -> str:
    said = {k.rstrip("2") for k, v in m.groupdict().items() if v and k.startswith(("slight", "much"))}
    return "slight" if "slight" in said else "much" if "much" in said else ""


def _scale_reading(core: str, clause: str) -> _Reading | None:
    """ "a bit less", "too much", "stronger vignette", "the blur is too strong", "reduce the grain"."""
    x = r"(?:the\s+|that\s+|this\s+)?(?P<x>[a-z&' -]+?)"
    tail = r"(?:\s+(?:of\s+(?:it|that|this))|\s+please)?"
    for direction, word, too, verb, particle, off in (
        ("less", _LESS, _TOO_MUCH, _DOWN_VERB, _DOWN_PARTICLE, r"(?:down|back|off)"),
        ("more", _MORE, _TOO_LITTLE, _UP_VERB, _UP_PARTICLE, r"(?:up)"),
    ):
        forms = (
            rf"^(?:{_IT}\s+)?(?:{_MOD}\s+)?{word}{tail}$",  # "a bit less", "make it stronger"
            # "too much", "it's a bit too strong"
            rf"^(?:{_IT}\s+(?:is\s+|was\s+|looks\s+)?)?(?:{_MOD}\s+)?{too}{tail}$",
            rf"^(?:{_MOD}\s+)?{verb}\s+(?:{_IT})(?:\s+{_MOD2})?$",  # "tone it down a bit"
            rf"^{particle}\s+{_IT}\s+{off}(?:\s+{_MOD})?$",  # "dial it back", "crank it up"
            rf"^(?:{_MOD}\s+)?(?:half|twice)\s+as\s+(?:much|strong)$",
        )
        for form in forms:
            m = re.match(form, core)
            if m:
                f = FACTORS[(direction, _size(m))]
                if "half as" in core:
                    f = 0.5
                elif "twice as" in core:
                    f = 2.0
                return _Reading("scale", clause, factor=f, direction=direction, size=_size(m), context_only=True)
        named = (
            rf"^(?:{_MOD}\s+)?{word}\s+{x}{tail}$",  # "a bit stronger vignette", "less contrast"
            rf"^{x}\s+(?:{_MOD}\s+)?{word}{tail}$",  # "the vignette a bit stronger"
            rf"^{x}\s+(?:is\s+|was\s+|looks\s+)?(?:{_MOD}\s+)?{too}$",  # "the blur is too strong"
            rf"^(?:{_MOD}\s+)?{too}\s+(?:of\s+)?{x}$",  # "too much vignette", "not enough contrast"
            rf"^(?:{_MOD}\s+)?{verb}\s+{x}(?:\s+{_MOD2})?$",  # "reduce the grain a bit"
        )
        for form in named:
            m = re.match(form, core)
            if m and not re.match(rf"^{_IT}$", m.group("x")) and _names_op(m.group("x")):
                size = _size(m)
                return _Reading(
                    "scale",
                    clause,
                    factor=FACTORS[(direction, size)],
                    direction=direction,
                    size=size,
                    target=m.group("x"),
                )
    return None


# ---- matching words to steps


def _words(text: str) -> list[str]:
    return [
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in re.findall(r"[a-z&]+", text)
    ]


def _op_names(op: str) -> set[str]:
    spec = CATALOG.get(op)
    names = {op.replace("_", " ")}
    if spec is not None:
        for w in spec.words:
            names.update(p.strip() for p in w.phrases.split("|"))
    names.update(k for k, ops in EXTRA_NAMES.items() if op in ops)
    return {" ".join(_words(n)) for n in names if n}


def _names_op(target: str) -> bool:
    """Whether the words name some op (so "less contrast" is about a step, "less of the sky" is not)."""
    phrase = " ".join(w for w in _words(target) if w not in ("the", "a", "an", "my"))
    return any(phrase in _op_names(op) for op in CATALOG)


def _named(target: str, steps: list[PlanStep]) -> list[int]:
    """Indices of the steps `target` names: by the op's words, else by the words the step came from."""
    phrase = " ".join(w for w in _words(target) if w not in ("the", "a", "an", "my", "that", "this"))
    if not phrase:
        return []
    hit = [i for i, s in enumerate(steps) if phrase in _op_names(s.op)]
    if hit:
        return hit
    return [i for i, s in enumerate(steps) if s.text and re.search(rf"\b{re.escape(phrase)}\b", _clean(s.text))]


def _main(step: PlanStep) -> tuple[str, float] | None:
    """The step's main numeric parameter and its value (None: nothing "less"/"more" can change)."""
    spec = CATALOG.get(step.op)
    if spec is None or spec.kind == "geometry" or spec.main is None:
        return None
    p = spec.param(spec.main)
    if p.type is not PType.FLOAT:
        return None
    value = step.params.get(spec.main, p.default)
    if not isinstance(value, int | float):
        return None
    return spec.main, float(value)


def _scalable(steps: list[PlanStep]) -> list[int]:
    return [i for i, s in enumerate(steps) if _main(s) is not None]


def _scale(steps: list[PlanStep], i: int, reading: _Reading, notes: list[str]) -> bool:
    step = steps[i]
    got = _main(step)
    if got is None:
        return False
    name, value = got
    neutral = NEUTRAL.get(name, 0.0)
    factor = reading.factor
    if reading.target and step.op not in EFFECTS and value < neutral:
        # "less contrast" of a flattened image: flatter still
        factor = FACTORS[("more" if reading.direction == "less" else "less", reading.size)]
    new = round(CATALOG[step.op].clamp(name, neutral + factor * (value - neutral)), 4)
    if new == value:
        return False
    step.params[name] = new
    step.params.pop("gain", None)  # an exact gain fixed by an earlier run would override the amount
    step.text = f"{step.text} · {reading.text}" if step.text else reading.text
    notes.append(f"{step.op} {_fmt(value)} → {_fmt(new)} (“{reading.text}”)")
    return True


def _merge(steps: list[PlanStep], new: list[PlanStep], text: str, notes: list[str]) -> list[PlanStep]:
    """The previous steps with `new` ones composed in, replacing or added (see the module's rules)."""
    out = list(steps)
    for step in new:
        family = REPLACES.get(step.op)
        same = next(
            (
                i
                for i, s in enumerate(out)
                if (family is not None and REPLACES.get(s.op) == family and s.region == step.region)
                or (family is None and _composes(s, step))
            ),
            None,
        )
        if same is None:
            out.append(step)
            notes.append(f"added {step.describe()} (“{text}”)")
        elif family is not None:
            notes.append(f"{out[same].describe()} → {step.describe()} (“{text}”)")
            out[same] = step
        else:
            old = out[same]
            name, before = _main(old) or ("", 0.0)
            after = _main(step)
            assert after is not None
            neutral = NEUTRAL.get(name, 0.0)
            total = round(CATALOG[old.op].clamp(name, before + after[1] - neutral), 4)
            if abs(total - neutral) < 1e-6:
                notes.append(f"{old.describe()} removed: “{text}” cancels it")
                del out[same]
                continue
            notes.append(f"{old.op} {_fmt(before)} → {_fmt(total)} (“{text}”)")
            merged = old.model_copy(deep=True)
            merged.params[name] = total
            merged.params.pop("gain", None)
            merged.text = f"{old.text} · {step.text or text}" if old.text else step.text or text
            out[same] = merged
    return out


def _composes(old: PlanStep, new: PlanStep) -> bool:
    """Same op, region and other parameters, with a main amount: the two add into one step."""
    if old.op != new.op or old.region != new.region or _main(old) is None or _main(new) is None:
        return False
    main = CATALOG[old.op].main
    rest = {k: v for k, v in old.params.items() if k not in (main, "gain")}
    return rest == {k: v for k, v in new.params.items() if k not in (main, "gain")}


def _fmt(v: float) -> str:
    return f"{v:+.2f}" if -10 < v < 10 else f"{v:+g}"


def _listing(steps: list[PlanStep]) -> str:
    return "it has: " + "; ".join(s.describe() for s in steps) if steps else "it had no steps"


def _nothing(reading: _Reading, why: str) -> UnsupportedInstruction:
    return UnsupportedInstruction(f"cannot do “{reading.text}”: {why}", fragment=reading.text)
