"""Errors every surface turns into a clear message (CLI: one `error:` line; HTTP: OpenAI's shape)."""

from __future__ import annotations


class RetouchError(Exception):
    """Base class: a problem with what the user asked for, never a crash."""

    code = "invalid_request"
    param: str | None = None

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if param is not None:
            self.param = param


class InputError(RetouchError):
    """An input image cannot be read (corrupt, unsupported, too large)."""

    code = "invalid_image"
    param = "image"


class ImageTooLargeError(InputError):
    """An input declares more pixels than the configured limit (decompression bomb guard)."""

    code = "image_too_large"


class MaskError(RetouchError):
    """The mask is unreadable or does not fit the first image."""

    code = "invalid_mask"
    param = "mask"


class OptionError(RetouchError):
    """An option (size, quality, format, compression, background, n) is invalid or inconsistent."""

    code = "invalid_value"


#: How each surface says a structured hint (the message itself stays surface-neutral).
HINTS: dict[str, dict[str, str]] = {
    "mask": {
        "cli": "pass a mask with --mask PATH (its transparent or white pixels mark the area)",
        "http": "paint or upload a mask (its transparent or white pixels mark the area)",
    },
    "previous": {
        "cli": "pass the plan of that edit with --after PLAN.json (what 'retouch explain --json' printed "
        "or 'retouch edit --save-plan' saved)",
        "http": "send the id of the job whose output you are editing as 'after' (in the editor: select "
        "that version in the history first)",
    },
    "reference": {
        "cli": "add the reference as another input image",
        "http": "upload the reference as another image",
    },
}


class UnsupportedInstruction(RetouchError):
    """Part of the instruction cannot be done by the chosen engine.

    `fragment` is the part of the prompt that was not understood or needs another kind
    of engine; `engine_hint` names the kind of engine that could do it (or None).
    `kind` says why: "not_understood" (words it does not know), "cannot_locate" (a thing it
    cannot find in the image), "generative" (needs a generative model), or "" (incomplete or
    inconsistent). `hint` is a structured suggestion ("mask", "reference") that each surface
    renders in its own terms (`with_hint`): the CLI names its flag, HTTP and the web say "upload".
    """

    code = "unsupported_instruction"
    param = "prompt"

    def __init__(
        self,
        message: str,
        *,
        fragment: str = "",
        engine_hint: str | None = None,
        kind: str = "",
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.fragment = fragment
        self.engine_hint = engine_hint
        self.kind = kind
        self.hint = hint


def with_hint(e: RetouchError, surface: str) -> str:
    """The error's message with its structured hint said for `surface` ("cli" or "http")."""
    hint = getattr(e, "hint", None)
    if hint and hint in HINTS:
        return f"{e.message}: {HINTS[hint][surface]}"
    return e.message


class EngineError(RetouchError):
    """An engine failed to produce an image for a reason outside the user's input."""

    code = "engine_error"
