"""The settings each engine takes, declared as typed models (what `configure_engine` and the
service's `[engines.NAME]` tables accept), so that a typo is an error at start, not a silent
default. Unset fields (None) fall back to the engine's environment defaults, which is how the
CLI configures engines.

    [engines.diffusers]            # config.toml of a GPU worker
    model = "flux-kontext"
    device = "cuda:0"
    dtype = "bfloat16"
    weights = { flux-kontext = "/models/flux-kontext" }
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class BuiltinOptions(_Options):
    """The builtin engine takes no settings."""


class OpenAIOptions(_Options):
    model: str | None = Field(default=None, description="default model (env RETOUCH_OPENAI_MODEL; gpt-image-2)")
    api_key: str | None = Field(default=None, description="the operator's key (env OPENAI_API_KEY)")
    base_url: str | None = Field(default=None, description="a proxy or compatible server (env OPENAI_BASE_URL)")
    organization: str | None = None
    project: str | None = None
    timeout_s: float | None = Field(default=None, gt=0)
    max_retries: int | None = Field(default=None, ge=0, le=10)
    max_pixels: int | None = Field(default=None, gt=0, description="largest free size asked of gpt-image-2+")


class DiffusersOptions(_Options):
    model: str | None = Field(default=None, description="instruction model (env RETOUCH_DIFFUSERS_MODEL)")
    inpaint_model: str | None = None
    weights: dict[str, str] | None = Field(default=None, description="model name -> local weights folder")
    device: str | None = Field(default=None, description="auto, cuda, cuda:1, mps, cpu")
    dtype: str | None = Field(default=None, pattern="^(auto|bfloat16|float16|float32)$")
    offload: str | None = Field(default=None, pattern="^(auto|none|model|sequential)$")
    allow_download: bool | None = None
    resolution: int | None = Field(default=None, ge=64, le=4096)
    low_memory: bool | None = None


class AutoOptions(_Options):
    generative: str | None = Field(
        default=None, description="openai, diffusers, diffusers:MODEL or none (env RETOUCH_GENERATIVE_ENGINE)"
    )
