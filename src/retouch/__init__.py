"""retouch: self-hosted natural-language image editing.

import retouch
result = retouch.edit("photo.jpg", "make it warmer and add a subtle vignette", output="out.png")
print(result.plan.describe())
"""

from __future__ import annotations

from .editing import batch, edit, explain
from .errors import RetouchError, UnsupportedInstruction
from .schema import EditPlan, EditRequest, EditResult, PlanStep, Usage

__version__ = "0.1.0"
__all__ = [
    "EditPlan",
    "EditRequest",
    "EditResult",
    "PlanStep",
    "RetouchError",
    "UnsupportedInstruction",
    "Usage",
    "__version__",
    "batch",
    "edit",
    "explain",
]
