"""Typed options of an edit, shared by /v1/images/edits, /v1/jobs and estimates."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import ApiError

Mode = Literal["edit", "batch"]


class Consistency(BaseModel):
    """retouch extension, batch mode: make the set look like one shoot (docs/api.md)."""

    model_config = ConfigDict(extra="forbid")

    aspects: list[Literal["tone", "color", "framing", "background"]] = Field(
        default=["tone", "color", "framing"], min_length=1, description="What to make the same across the set"
    )
    reference: int | Literal["median", "first", "last"] = Field(
        default="median", description="Match the set's median, or one input (1-based number, first, last)"
    )


class EditOptions(BaseModel):
    """OpenAI's image edit fields (less the images and mask)."""

    model_config = ConfigDict(extra="ignore")

    prompt: str = Field(description="The instruction, up to 32000 characters")
    model: str | None = Field(default=None, description="Engine/model; default retouch-builtin")
    n: int = Field(default=1, ge=1, le=10)
    size: str = Field(default="auto", description="auto | WxH | 1:1 | 2:3 | 3:2")
    quality: Literal["low", "medium", "high", "auto"] = "auto"
    background: Literal["auto", "transparent", "opaque"] = "auto"
    output_format: Literal["png", "jpeg", "webp"] = "png"
    output_compression: int | None = Field(default=None, ge=0, le=100)
    input_fidelity: Literal["high", "low"] | None = None
    partial_images: int = Field(default=0, ge=0, le=3)
    stream: bool = False
    response_format: Literal["b64_json", "url"] = "b64_json"
    user: str | None = Field(default=None, max_length=500)
    consistency: Consistency | None = Field(default=None, description="retouch extension (batch mode)")
    plan: Any = Field(
        default=None,
        description="retouch extension: an EditPlan (JSON text in multipart) run instead of the prompt's plan",
    )

    after: str | None = Field(
        default=None,
        max_length=100,
        description="retouch extension: the id of the job whose output is being edited; the prompt is read "
        "as a follow-up to its plan ('a bit less', 'undo the vignette') and the revised plan runs on its inputs",
    )

    _prompt_optional_with_plan = model_validator(mode="before")(lambda data: prompt_optional_with_plan(data))


def prompt_optional_with_plan(data: Any) -> Any:
    """With a `plan`, the prompt may be omitted (the engine check in EditService.prepare decides);
    an empty `plan` form field is no plan."""
    if not isinstance(data, dict):
        return data
    for name in ("plan", "after"):
        if isinstance(data.get(name), str) and not data[name].strip():
            data = {k: v for k, v in data.items() if k != name}
    if data.get("plan") is not None and "prompt" not in data:
        return {**data, "prompt": ""}
    return data


def parse_options(raw: dict, model: type[BaseModel] = EditOptions) -> BaseModel:
    """Validate into `model`, turning the first problem into a 400 with OpenAI's `param`."""
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        raise validation_error(e) from None


def validation_error(e: ValidationError) -> ApiError:
    err = e.errors()[0]
    loc = [str(x) for x in err.get("loc", ()) if not isinstance(x, int)]
    param = loc[0] if loc else None
    if err.get("type") == "missing":
        return ApiError(
            400, f"Missing required parameter: '{param}'.", code="missing_required_parameter", param=param
        )
    value = err.get("input")
    shown = (
        repr(value) if isinstance(value, str | int | float | bool) and len(repr(value)) < 80 else "the value"
    )
    return ApiError(
        400,
        f"Invalid value for '{'.'.join(loc) or param}': {shown}. {err.get('msg', '')}.",
        code="invalid_value",
        param=param,
    )
