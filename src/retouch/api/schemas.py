"""Response models: they document the API (OpenAPI at /openapi.json) and check what we send."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


class InputTokensDetails(BaseModel):
    image_tokens: int
    text_tokens: int


class ImageUsage(BaseModel):
    input_tokens: int
    input_tokens_details: InputTokensDetails
    output_tokens: int
    total_tokens: int


class ImageData(BaseModel):
    b64_json: str | None = None
    url: str | None = Field(default=None, description="Signed, expiring URL (response_format=url)")
    revised_prompt: str | None = None


class ImagesResponse(BaseModel):
    """OpenAI's ImagesResponse."""

    created: int
    data: list[ImageData]
    background: Literal["transparent", "opaque"] | None = None
    output_format: Literal["png", "webp", "jpeg"] | None = None
    quality: Literal["low", "medium", "high"] | None = None
    size: str | None = None
    usage: ImageUsage | None = None


class JobView(BaseModel):
    id: str
    object: Literal["job"] = "job"
    status: Literal["queued", "running", "succeeded", "failed", "canceled"]
    mode: str
    model: str
    created_at: int
    started_at: int | None = None
    finished_at: int | None = None
    queue_position: int | None = None
    progress: float
    stage: str
    attempts: int
    timings: dict[str, float]
    estimate: dict[str, int]
    charged_credits: int
    usage: dict[str, Any] | None = None
    params: dict[str, Any]
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    webhook_url: str | None = None
    metadata: dict[str, Any]


class JobList(BaseModel):
    object: Literal["list"] = "list"
    data: list[JobView]
    has_more: bool
    first_id: str | None = None
    last_id: str | None = None


class FileView(BaseModel):
    id: str
    object: Literal["file"] = "file"
    bytes: int
    created_at: int
    expires_at: int | None = None
    filename: str
    purpose: str
    content_type: str


class FileList(BaseModel):
    object: Literal["list"] = "list"
    data: list[FileView]


class DeletedFile(BaseModel):
    id: str
    object: Literal["file"] = "file"
    deleted: bool


class Estimate(BaseModel):
    object: Literal["estimate"] = "estimate"
    model: str
    usage: ImageUsage
    credits: int
    balance: int
    sufficient: bool
    output_size: str


class Balance(BaseModel):
    object: Literal["balance"] = "balance"
    account_id: str
    available: int
    held: int


class KeyView(BaseModel):
    id: str
    object: Literal["api_key"] = "api_key"
    name: str
    prefix: str
    scopes: list[str]
    account_id: str
    tier: str | None = None
    created_at: int
    last_used_at: int | None = None
    revoked: bool


class CreatedKeyView(KeyView):
    key: str = Field(description="The full key: shown only in this response")
    webhook_secret: str


class KeyList(BaseModel):
    object: Literal["list"] = "list"
    data: list[KeyView]


class Me(BaseModel):
    key: KeyView
    balance: Balance
    webhook_secret: str
