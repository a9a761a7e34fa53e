"""Typed request, plan and result models shared by every surface (CLI, Python, HTTP, jobs)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Quality = Literal["low", "medium", "high", "auto"]
OutputFormat = Literal["png", "jpeg", "webp"]
Background = Literal["auto", "transparent", "opaque"]

def resolved_quality(quality: str) -> str:
    """`auto` means medium, for every engine."""
    return "medium" if quality == "auto" else quality


#: Aspect aliases of the size option (OpenAI's sizes).
SIZE_ALIASES = {"1:1": "1024x1024", "2:3": "1024x1536", "3:2": "1536x1024"}


class PlanStep(BaseModel):
    """One operation of a plan: what to do, how much, where, and the words it came from."""

    model_config = ConfigDict(extra="forbid")

    op: str = Field(description="Operation name, see retouch.ops.catalog.CATALOG")
    params: dict[str, Any] = Field(default_factory=dict)
    region: str = Field(
        default="all",
        description="all | mask | subject | background | sky | face | left | right | top | bottom | "
        "top-left | top-right | bottom-left | bottom-right | center | edges",
    )
    text: str = Field(default="", description="The fragment of the instruction this step came from")

    def describe(self) -> str:
        """A one-line human description, e.g. `saturation amount=+0.20 on background`."""
        args = " ".join(f"{k}={_fmt(v)}" for k, v in self.params.items())
        where = "" if self.region == "all" else f" on {self.region}"
        return f"{self.op}{(' ' + args) if args else ''}{where}"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:+.2f}" if -10 < v < 10 else f"{v:g}"
    return str(v)


class IgnoredText(BaseModel):
    """A part of the instruction that is not an edit, and why it was left out."""

    model_config = ConfigDict(extra="forbid")

    text: str
    role: str = Field(description="politeness | backstory | purpose | constraint | batch | subsumed")


class EditPlan(BaseModel):
    """The typed, serialisable result of reading an instruction: run it, show it, store it."""

    model_config = ConfigDict(extra="forbid")

    prompt: str
    steps: list[PlanStep] = Field(default_factory=list)
    ignored: list[IgnoredText] = Field(default_factory=list, description="Parts read as not being edits")
    notes: list[str] = Field(default_factory=list, description="How the plan was read (merges, stand-ins)")

    def describe(self) -> str:
        lines = [f"{i + 1}. {s.describe()}   ← “{s.text}”" for i, s in enumerate(self.steps)]
        lines += [f"   (ignored, {g.role}: “{g.text}”)" for g in self.ignored]
        lines += [f"   note: {n}" for n in self.notes]
        return "\n".join(lines)


class EditRequest(BaseModel):
    """Everything an engine needs for one edit. Images are encoded files (bytes)."""

    model_config = ConfigDict(extra="forbid")

    images: list[bytes] = Field(
        min_length=1, max_length=16, description="First is edited, rest are references"
    )
    prompt: str
    mask: bytes | None = None
    size: str = "auto"
    quality: Quality = "auto"
    output_format: OutputFormat = "png"
    output_compression: int | None = Field(default=None, ge=0, le=100)
    background: Background = "auto"
    n: int = Field(default=1, ge=1, le=10)
    engine: str = "builtin"
    model: str | None = None


class Usage(BaseModel):
    """Token usage in the shape of OpenAI's Images API."""

    input_tokens: int = 0
    input_image_tokens: int = 0
    input_text_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class EditResult(BaseModel):
    """Encoded output images with the plan that ran, usage and timings (milliseconds)."""

    images: list[bytes]
    output_format: OutputFormat
    width: int
    height: int
    quality: Literal["low", "medium", "high"]
    background: Literal["transparent", "opaque"]
    plan: EditPlan
    usage: Usage = Field(default_factory=Usage)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    engine: str = "builtin"

    def save(self, path: str, index: int = 0) -> None:
        """Write output `index` to `path`."""
        from pathlib import Path

        Path(path).write_bytes(self.images[index])
