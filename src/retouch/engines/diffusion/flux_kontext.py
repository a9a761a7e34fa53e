"""FLUX.1 Kontext [dev]: instruction edits that keep the rest of the image, at about 1 MP."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .base import Call, PipelineFamily, decode_packed


class FluxKontext(PipelineFamily):
    name = "flux-kontext"
    aliases = ("flux.1-kontext", "flux-kontext-dev", "black-forest-labs/FLUX.1-Kontext-dev")
    pipeline_class = "FluxKontextPipeline"
    repo_id = "black-forest-labs/FLUX.1-Kontext-dev"
    task = "instruct"
    multiple = 16
    pixels = 1024 * 1024
    steps: ClassVar[dict[str, int]] = {"low": 14, "medium": 28, "high": 40}
    guidance_scale = 2.5
    inpaint_partner = "flux-fill"
    vram_gb = 34.0
    offload_vram_gb = 24.0
    summary = "instruction edits, 12B; ~34 GB VRAM bf16 resident, ~24 GB with model offload"

    def kwargs(self, call: Call) -> dict[str, Any]:
        # `_auto_resize=False` and `max_area` = the working area: retouch already chose a size
        # near 1 MP in the input's aspect; the pipeline would otherwise rescale to its own.
        return dict(
            image=call.images[0],
            prompt=call.prompt,
            height=call.height,
            width=call.width,
            max_area=call.width * call.height,
            num_inference_steps=call.steps,
            guidance_scale=call.guidance_scale or self.guidance_scale,
            generator=call.generator,
            _auto_resize=False,
            max_sequence_length=call.extra.get("max_sequence_length", 512),
        )

    def decode(self, pipe: Any, latents: Any, width: int, height: int) -> np.ndarray:
        return decode_packed(pipe, latents, width, height)
