"""The engine interface: every engine takes an `EditRequest` and returns an `EditResult`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ..errors import EngineError
from ..schema import EditPlan, EditRequest, EditResult

#: progress(fraction 0..1, stage name, optional partial image as encoded bytes)
ProgressFn = Callable[[float, str, bytes | None], None]


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do; the registry and the API use this to route and validate."""

    instruction_edit: bool = True
    mask_inpaint: bool = False
    max_images: int = 16
    transparency: bool = False
    streaming: bool = False
    generative: bool = False
    models: tuple[str, ...] = field(default_factory=tuple)
    sizes: str = "any"  # what the engine makes natively; others are fitted

    def features(self) -> list[str]:
        """The yes/no capabilities that are on, by field name (`mask_inpaint`, ...)."""
        return [f for f in _FEATURES if getattr(self, f)]


_FEATURES = ("instruction_edit", "mask_inpaint", "transparency", "streaming", "generative")


class Engine(Protocol):
    """An engine: a name, capabilities, a planner view and the edit itself.

    `request_options` names the `EditOptions` fields the engine reads per request; an engine
    that names any takes them as `edit(..., options=EditOptions(...))`; one with `runs_plans`
    set takes `edit(..., plan=EditPlan)`. (Its settings, the ones fixed at start, are declared
    by its registry entry: `EngineSpec.options`.)
    """

    name: str
    capabilities: Capabilities
    request_options: frozenset[str]

    def plan(self, prompt: str, *, n_images: int = 1, has_mask: bool = False) -> EditPlan:
        """What the engine would do, without running it (raises UnsupportedInstruction)."""
        ...

    def ready(self) -> tuple[bool, str]:
        """Whether the engine can run here now, and why not."""
        ...

    def edit(self, request: EditRequest, *, progress: ProgressFn | None = None) -> EditResult:
        """Run the edit; raises RetouchError subclasses for bad input."""
        ...


@dataclass(frozen=True, kw_only=True)
class EditOptions:
    """Per-request knobs of the generative engines that `EditRequest` does not carry (yet).

    Engines read the fields they understand and ignore the rest, so one object can be
    handed to `model=auto` routing. Secrets (`api_key`) live here and never in the
    request, which is persisted with jobs.
    """

    api_key: str | None = None  # openai: bring-your-own-key for this request
    input_fidelity: str | None = None  # openai: "low" | "high" (model rules apply)
    partial_images: int = 0  # 0-3 previews through progress (openai: streamed; diffusers: decoded)
    user: str | None = None  # openai: safety_identifier of the end user
    seed: int | None = None  # diffusers: output i uses seed + i
    steps: int | None = None  # diffusers: overrides the quality tier's step count
    guidance_scale: float | None = None  # diffusers: overrides the model's default guidance
    negative_prompt: str | None = None  # diffusers: for the models that take one
    cancel: threading.Event | None = None  # set it to stop a running edit (EditCancelled is raised)


class EditCancelled(EngineError):
    """The edit was stopped on request (EditOptions.cancel) before it finished."""

    code = "canceled"


class EngineUnavailable(EngineError):
    """The engine cannot run here: SDK or extra not installed, no key, no weights."""

    code = "engine_unavailable"
    status = 503


class UpstreamError(EngineError):
    """A remote engine (the OpenAI API) refused or failed the request.

    `status` is the HTTP status retouch should answer with (400 when the upstream
    blamed the request, 401 for a rejected per-request key, 429 with `retry_after`
    seconds when rate limited, 502/504 when it failed or timed out); `code` and
    `param` are the upstream's own when it gave them.
    """

    code = "upstream_error"

    def __init__(
        self,
        message: str,
        *,
        status: int = 502,
        code: str | None = None,
        param: str | None = None,
        retry_after: float | None = None,
        upstream_status: int | None = None,
    ) -> None:
        super().__init__(message, param=param)
        self.status = status
        if code:
            self.code = code
        self.retry_after = retry_after
        self.upstream_status = upstream_status
