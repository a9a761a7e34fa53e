"""Pipeline families of the `diffusers` engine, one file each (diffusers-style).

`FAMILIES` maps a model name to its family; `find_family` also accepts aliases, Hugging
Face repo ids and the diffusers class name written in a weights folder's model_index.json.
"""

from __future__ import annotations

import json
from pathlib import Path

from .base import Call, PipelineFamily
from .flux_fill import FluxFill
from .flux_kontext import FluxKontext
from .pix2pix import InstructPix2Pix
from .qwen_image import QwenImageEdit, QwenImageEditInpaint, QwenImageEditPlus
from .sdxl_inpaint import SDXLInpaint

__all__ = ["FAMILIES", "Call", "PipelineFamily", "family_for_weights", "find_family", "is_diffusers_model"]

FAMILIES: dict[str, PipelineFamily] = {
    f.name: f
    for f in (
        QwenImageEdit(),
        QwenImageEditPlus(),
        QwenImageEditInpaint(),
        FluxKontext(),
        FluxFill(),
        InstructPix2Pix(),
        SDXLInpaint(),
    )
}


def find_family(name: str) -> PipelineFamily | None:
    """The family for a model name, alias or repo id (case-insensitive), else None."""
    n = name.strip().lower()
    for fam in FAMILIES.values():
        if n == fam.name or n in fam.aliases or n == fam.repo_id.lower():
            return fam
    return None


def family_for_weights(path: str | Path) -> PipelineFamily | None:
    """The family of a local diffusers weights folder, from its model_index.json's `_class_name`."""
    try:
        index = Path(path) / "model_index.json"
        if not index.is_file():
            return None
        doc = json.loads(index.read_text())
        cls = doc.get("_class_name") if isinstance(doc, dict) else None
    except (OSError, ValueError):  # a name too long for a path, unreadable or not JSON
        return None
    return next((f for f in FAMILIES.values() if f.pipeline_class == cls), None)


def is_diffusers_model(name: str) -> bool:
    """Whether the registry should route this model name to the diffusers engine."""
    return find_family(name) is not None or family_for_weights(name) is not None
