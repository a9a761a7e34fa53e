"""InstructPix2Pix (Stable Diffusion 1.5 based): instruction edits at 512², small and fast."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .base import Call, PipelineFamily, decode_sd


class InstructPix2Pix(PipelineFamily):
    name = "instruct-pix2pix"
    aliases = ("pix2pix", "timbrooks/instruct-pix2pix")
    pipeline_class = "StableDiffusionInstructPix2PixPipeline"
    repo_id = "timbrooks/instruct-pix2pix"
    task = "instruct"
    multiple = 8
    pixels = 512 * 512
    steps: ClassVar[dict[str, int]] = {"low": 10, "medium": 20, "high": 50}
    guidance_scale = 7.5
    image_guidance_scale = 1.5
    # Its denoising loop has no `interrupt` check: cancellation raises from the callback.
    interrupt = False
    inpaint_partner = "sdxl-inpaint"
    vram_gb = 4.0
    offload_vram_gb = 3.0
    summary = "instruction edits, SD 1.5 based; ~4 GB VRAM fp16; weak on large changes"

    def kwargs(self, call: Call) -> dict[str, Any]:
        # The output size follows the input image's size, which is already the working size.
        return dict(
            prompt=call.prompt,
            image=call.images[0],
            negative_prompt=call.negative_prompt,
            num_inference_steps=call.steps,
            guidance_scale=call.guidance_scale or self.guidance_scale,
            image_guidance_scale=self.image_guidance_scale,
            generator=call.generator,
        )

    def decode(self, pipe: Any, latents: Any, width: int, height: int) -> np.ndarray:
        return decode_sd(pipe, latents)
