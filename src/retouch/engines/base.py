"""The engine interface: every engine takes an `EditRequest` and returns an `EditResult`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

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


class Engine(Protocol):
    """An engine: a name, capabilities, a planner view and the edit itself."""

    name: str
    capabilities: Capabilities

    def plan(self, prompt: str, *, n_images: int = 1, has_mask: bool = False) -> EditPlan:
        """What the engine would do, without running it (raises UnsupportedInstruction)."""
        ...

    def ready(self) -> tuple[bool, str]:
        """Whether the engine can run here now, and why not."""
        ...

    def edit(self, request: EditRequest, *, progress: ProgressFn | None = None) -> EditResult:
        """Run the edit; raises RetouchError subclasses for bad input."""
        ...
