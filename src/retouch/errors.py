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


class UnsupportedInstruction(RetouchError):
    """Part of the instruction cannot be done by the chosen engine.

    `fragment` is the part of the prompt that was not understood or needs another kind
    of engine; `engine_hint` names the kind of engine that could do it (or None).
    """

    code = "unsupported_instruction"
    param = "prompt"

    def __init__(self, message: str, *, fragment: str = "", engine_hint: str | None = None) -> None:
        super().__init__(message)
        self.fragment = fragment
        self.engine_hint = engine_hint


class EngineError(RetouchError):
    """An engine failed to produce an image for a reason outside the user's input."""

    code = "engine_error"
