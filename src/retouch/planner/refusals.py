"""The three kinds of refusal, each with an accurate, surface-neutral message and a structured hint.

* not understood: quote the words, suggest a rephrase;
* cannot locate: a thing the builtin engine cannot find in the image: suggest a mask (hint "mask",
  which each surface says in its own terms) or a generative engine;
* generation: the edit needs a generative model: name the engine kinds that could.
"""

from __future__ import annotations

from retouch.errors import UnsupportedInstruction

GENERATIVE_HINT = "try the openai or diffusers engine, or model=auto to route"
EXAMPLES = '"make it brighter", "crop to 16:9", "blur the background", "add the caption \'Hello\' at the bottom"'

NOT_UNDERSTOOD = "not_understood"
CANNOT_LOCATE = "cannot_locate"
GENERATIVE = "generative"


def not_understood(fragment: str, words: str | None = None) -> UnsupportedInstruction:
    """Words the planner does not know: quote them and suggest phrasings it does."""
    what = f'"{words}" in "{fragment}"' if words and words != fragment else f'"{fragment}"'
    return UnsupportedInstruction(
        f"could not understand {what}: rephrase it as an edit, e.g. {EXAMPLES}",
        fragment=fragment,
        kind=NOT_UNDERSTOOD,
    )


def no_change_named(fragment: str, topics: str) -> UnsupportedInstruction:
    """Only topics ("colors, background, face color"): what to look at, but no change to make."""
    return UnsupportedInstruction(
        f'"{fragment}" names what to work on ({topics}) but not what to change: say the change, e.g. {EXAMPLES}',
        fragment=fragment,
        kind=NOT_UNDERSTOOD,
    )


def cannot_locate(fragment: str, thing: str, action: str = "") -> UnsupportedInstruction:
    """A thing the engine cannot find in the image: a mask marks it, a generative model can find it."""
    doing = f" ({action})" if action else ""
    return UnsupportedInstruction(
        f'cannot do "{fragment}" with the builtin engine{doing}: it cannot find "{thing}" in the image; '
        f"mark it with a mask, or use a generative model ({GENERATIVE_HINT})",
        fragment=fragment,
        engine_hint="generative",
        kind=CANNOT_LOCATE,
        hint="mask",
    )


def needs_mask(fragment: str, what: str) -> UnsupportedInstruction:
    """The words point at a painted area, but no mask came with the request."""
    return UnsupportedInstruction(
        f'"{fragment}" {what}, but no mask was given',
        fragment=fragment,
        kind=CANNOT_LOCATE,
        hint="mask",
    )


def needs_generation(fragment: str, why: str = "") -> UnsupportedInstruction:
    """An edit only a generative model can do (adding, restyling, replacing things)."""
    because = f": {why}" if why else ""
    return UnsupportedInstruction(
        f'cannot do "{fragment}" with the builtin engine{because}: it needs a generative model ({GENERATIVE_HINT})',
        fragment=fragment,
        engine_hint="generative",
        kind=GENERATIVE,
    )
