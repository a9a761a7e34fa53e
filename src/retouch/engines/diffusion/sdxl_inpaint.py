"""Stable Diffusion XL inpainting: fills the masked area as the prompt says, at 1024²."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .base import Call, PipelineFamily, decode_sd


class SDXLInpaint(PipelineFamily):
    name = "sdxl-inpaint"
    aliases = ("stable-diffusion-xl-inpaint", "diffusers/stable-diffusion-xl-1.0-inpainting-0.1")
    pipeline_class = "StableDiffusionXLInpaintPipeline"
    repo_id = "diffusers/stable-diffusion-xl-1.0-inpainting-0.1"
    task = "inpaint"
    multiple = 8
    pixels = 1024 * 1024
    steps: ClassVar[dict[str, int]] = {"low": 15, "medium": 25, "high": 40}
    guidance_scale = 7.5
    # strength < 1 keeps some of the original under the mask; 0.99 is the model card's advice.
    strength = 0.99
    vram_gb = 8.0
    offload_vram_gb = 6.0
    summary = "masked edits (inpainting), SDXL based; ~8 GB VRAM fp16"

    def kwargs(self, call: Call) -> dict[str, Any]:
        return dict(
            prompt=call.prompt,
            image=call.images[0],
            mask_image=call.mask,
            height=call.height,
            width=call.width,
            strength=self.strength,
            negative_prompt=call.negative_prompt,
            num_inference_steps=call.steps,
            guidance_scale=call.guidance_scale or self.guidance_scale,
            generator=call.generator,
        )

    def decode(self, pipe: Any, latents: Any, width: int, height: int) -> np.ndarray:
        import torch

        if pipe.vae.dtype == torch.float16 and pipe.vae.config.force_upcast:
            # SDXL's VAE overflows in fp16; the pipeline upcasts it for the final decode only,
            # so previews (which must not touch the resident weights) are skipped.
            raise RuntimeError("no preview for an fp16 SDXL VAE")
        return decode_sd(pipe, latents)
