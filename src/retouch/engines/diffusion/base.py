"""What a pipeline family declares, and the helpers its files share.

A family is one kind of diffusers pipeline: its class, default weights, the task it
does (an instruction edit of whole images, or inpainting under a mask), the sizes it
prefers, steps per quality tier, how to call it, and how to decode a preview from the
latents that `callback_on_step_end` sees. Everything here is plain data and small
functions; torch is imported by the functions that need it, never at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

Task = Literal["instruct", "inpaint"]


@dataclass
class Call:
    """One pipeline call: prepared inputs at the working size."""

    prompt: str
    images: list[Any]  # PIL images, the first is edited; already at (width, height)
    mask: Any | None  # PIL "L" image at (width, height), white = edit; inpaint families only
    width: int
    height: int
    steps: int
    guidance_scale: float | None  # None: the family's default
    negative_prompt: str | None
    generator: Any  # torch.Generator
    extra: dict[str, Any] = field(default_factory=dict)


class PipelineFamily:
    """Base class: subclasses set the class attributes and override `kwargs` and `decode`."""

    name: ClassVar[str]  # the model name users give, e.g. "flux-kontext"
    aliases: ClassVar[tuple[str, ...]] = ()
    pipeline_class: ClassVar[str]  # the diffusers class that loads and runs it
    repo_id: ClassVar[str]  # default weights on the Hugging Face Hub
    task: ClassVar[Task] = "instruct"
    multiple: ClassVar[int] = 16  # width and height must be multiples of this
    pixels: ClassVar[int] = 1024 * 1024  # the working area the model was trained around
    max_images: ClassVar[int] = 1  # inputs it takes (first edited, the rest references)
    steps: ClassVar[dict[str, int]] = {"low": 14, "medium": 28, "high": 50}
    guidance_scale: ClassVar[float] = 3.5
    interrupt: ClassVar[bool] = True  # the pipeline honours `pipe._interrupt`
    inpaint_partner: ClassVar[str | None] = None  # the family used for masked edits
    offload_vram_gb: ClassVar[float] = 16.0  # peak with model CPU offload (its largest component)
    vram_gb: ClassVar[float] = 24.0  # bf16 weights resident (for offload=auto and the docs)
    summary: ClassVar[str] = ""

    def kwargs(self, call: Call) -> dict[str, Any]:
        """Keyword arguments for `pipe(...)` (without callbacks and output_type)."""
        raise NotImplementedError

    def decode(self, pipe: Any, latents: Any, width: int, height: int) -> np.ndarray:
        """Latents seen by `callback_on_step_end` → uint8 HxWx3 (previews)."""
        raise NotImplementedError


def to_uint8(pipe: Any, image: Any) -> np.ndarray:
    """A decoded image tensor in [-1, 1] → uint8 HxWx3 via the pipeline's own image processor."""
    arr = pipe.image_processor.postprocess(image.float(), output_type="np")[0]
    return (np.clip(arr, 0, 1) * 255 + 0.5).astype(np.uint8)


def decode_sd(pipe: Any, latents: Any) -> np.ndarray:
    """Stable Diffusion / SDXL latents (B, 4, h, w) → image, as those pipelines decode them."""
    import torch

    vae = pipe.vae
    with torch.no_grad():
        z = latents[:1].to(vae.dtype) / vae.config.scaling_factor
        return to_uint8(pipe, vae.decode(z, return_dict=False)[0])


def decode_packed(pipe: Any, latents: Any, width: int, height: int) -> np.ndarray:
    """FLUX latents, packed 2x2 into a sequence → image, as the FLUX pipelines decode them."""
    import torch

    vae = pipe.vae
    with torch.no_grad():
        z = pipe._unpack_latents(latents[:1], height, width, pipe.vae_scale_factor)
        z = (z / vae.config.scaling_factor) + vae.config.shift_factor
        return to_uint8(pipe, vae.decode(z.to(vae.dtype), return_dict=False)[0])
