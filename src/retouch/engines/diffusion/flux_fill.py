"""FLUX.1 Fill [dev]: inpainting (and outpainting) under a mask as the prompt says."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .base import Call, PipelineFamily, decode_packed


class FluxFill(PipelineFamily):
    name = "flux-fill"
    aliases = ("flux.1-fill", "flux-fill-dev", "black-forest-labs/FLUX.1-Fill-dev")
    pipeline_class = "FluxFillPipeline"
    repo_id = "black-forest-labs/FLUX.1-Fill-dev"
    task = "inpaint"
    multiple = 16
    pixels = 1024 * 1024
    steps: ClassVar[dict[str, int]] = {"low": 20, "medium": 30, "high": 50}
    guidance_scale = 30.0
    vram_gb = 34.0
    offload_vram_gb = 24.0
    summary = "masked edits (inpainting), 12B; ~34 GB VRAM bf16 resident, ~24 GB with model offload"

    def kwargs(self, call: Call) -> dict[str, Any]:
        return dict(
            prompt=call.prompt,
            image=call.images[0],
            mask_image=call.mask,
            height=call.height,
            width=call.width,
            num_inference_steps=call.steps,
            guidance_scale=call.guidance_scale or self.guidance_scale,
            generator=call.generator,
            max_sequence_length=call.extra.get("max_sequence_length", 512),
        )

    def decode(self, pipe: Any, latents: Any, width: int, height: int) -> np.ndarray:
        return decode_packed(pipe, latents, width, height)
