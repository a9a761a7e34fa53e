"""Consistent sets: make a batch of photos look like one shoot.

words   — read "make them consistent", "match them to the first" out of an instruction
stats   — per-image statistics from a small copy (exposure, colour, contrast, subject, backdrop)
target  — the set's robust centre (medians) or a reference image's look
framing — the window per image that gives the subject the same size and place
plan    — each image's plan: framing, exposure/white balance, contrast, then the instruction

`retouch.batches.run_batch` runs it; `retouch.batch(...)` and `retouch batch --consistent` call that.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .words import ASPECTS, DEFAULT_ASPECTS, ConsistencyRequest, read_consistency

if TYPE_CHECKING:
    from .plan import absorbed_aspect, check_request, image_plan, plan_set, reference_index
    from .stats import ImageStats, measure, measure_file
    from .target import SetTarget, set_target

#: The numeric parts load on first use: `retouch explain` reads the words without numpy.
_LAZY = {
    "absorbed_aspect": ".plan",
    "check_request": ".plan",
    "image_plan": ".plan",
    "plan_set": ".plan",
    "reference_index": ".plan",
    "ImageStats": ".stats",
    "measure": ".stats",
    "measure_file": ".stats",
    "SetTarget": ".target",
    "set_target": ".target",
}


def __getattr__(name: str) -> Any:
    """Load a numeric part of the package when it is first used."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "ASPECTS",
    "DEFAULT_ASPECTS",
    "ConsistencyRequest",
    "ImageStats",
    "SetTarget",
    "absorbed_aspect",
    "check_request",
    "image_plan",
    "measure",
    "measure_file",
    "plan_set",
    "read_consistency",
    "reference_index",
    "set_target",
]
