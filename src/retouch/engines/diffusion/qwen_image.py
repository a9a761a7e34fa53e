"""Qwen-Image-Edit: instruction edits (-Plus: with up to 3 input images) and masked edits.

The three pipelines share one set of weights per release: `Qwen/Qwen-Image-Edit` for the
single-image and inpaint pipelines, `Qwen/Qwen-Image-Edit-2509` for -Plus.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .base import Call, PipelineFamily, to_uint8


class QwenImageEdit(PipelineFamily):
    name = "qwen-image-edit"
    aliases = ("qwen-edit", "qwen/qwen-image-edit")
    pipeline_class = "QwenImageEditPipeline"
    repo_id = "Qwen/Qwen-Image-Edit"
    task = "instruct"
    multiple = 16
    pixels = 1024 * 1024
    steps: ClassVar[dict[str, int]] = {"low": 20, "medium": 30, "high": 50}
    # Qwen uses true classifier-free guidance (a negative pass), not a distilled guidance input.
    guidance_scale = 4.0
    inpaint_partner = "qwen-image-edit-inpaint"
    vram_gb = 58.0
    offload_vram_gb = 42.0
    summary = "instruction edits incl. text in images, 20B; ~58 GB VRAM bf16 resident, ~42 GB with model offload"

    def kwargs(self, call: Call) -> dict[str, Any]:
        return dict(
            image=call.images[0],
            prompt=call.prompt,
            negative_prompt=call.negative_prompt or " ",
            true_cfg_scale=call.guidance_scale or self.guidance_scale,
            height=call.height,
            width=call.width,
            num_inference_steps=call.steps,
            generator=call.generator,
        )

    def decode(self, pipe: Any, latents: Any, width: int, height: int) -> np.ndarray:
        import torch

        vae = pipe.vae
        with torch.no_grad():
            z = pipe._unpack_latents(latents[:1], height, width, pipe.vae_scale_factor).to(vae.dtype)
            shape = (1, vae.config.z_dim, 1, 1, 1)
            mean = torch.tensor(vae.config.latents_mean).view(shape).to(z.device, z.dtype)
            std = torch.tensor(vae.config.latents_std).view(shape).to(z.device, z.dtype)
            z = z * std + mean
            return to_uint8(pipe, vae.decode(z, return_dict=False)[0][:, :, 0])


class QwenImageEditPlus(QwenImageEdit):
    name = "qwen-image-edit-plus"
    aliases = ("qwen-image-edit-2509", "qwen/qwen-image-edit-2509")
    pipeline_class = "QwenImageEditPlusPipeline"
    repo_id = "Qwen/Qwen-Image-Edit-2509"
    max_images = 3
    inpaint_partner = None
    summary = "instruction edits with up to 3 input images (e.g. put the product of image 2 in image 1), 20B"

    def kwargs(self, call: Call) -> dict[str, Any]:
        return {**super().kwargs(call), "image": list(call.images)}


class QwenImageEditInpaint(QwenImageEdit):
    name = "qwen-image-edit-inpaint"
    aliases = ()
    pipeline_class = "QwenImageEditInpaintPipeline"
    repo_id = "Qwen/Qwen-Image-Edit"
    task = "inpaint"
    inpaint_partner = None
    strength = 1.0
    summary = "masked edits with the Qwen-Image-Edit weights (no extra download)"

    def kwargs(self, call: Call) -> dict[str, Any]:
        return {**super().kwargs(call), "mask_image": call.mask, "strength": self.strength}
