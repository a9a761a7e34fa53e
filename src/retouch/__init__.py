"""retouch: self-hosted natural-language image editing.

import retouch
result = retouch.edit("photo.jpg", "make it warmer and add a subtle vignette", output="out.png")
print(result.plan.describe())
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import RetouchError, UnsupportedInstruction

if TYPE_CHECKING:
    from .editing import batch, edit, explain
    from .schema import EditPlan, EditRequest, EditResult, PlanStep, Usage
    from .selecting import mask_png, select

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
    "mask_png",
    "select",
]

#: Public names imported on first use: `import retouch` (and every `retouch ...` command, which
#: imports this package first) then costs no NumPy, pydantic or OpenCV until something needs them.
_LAZY = {
    "batch": "editing",
    "edit": "editing",
    "explain": "editing",
    "EditPlan": "schema",
    "EditRequest": "schema",
    "EditResult": "schema",
    "PlanStep": "schema",
    "Usage": "schema",
    "mask_png": "selecting",
    "select": "selecting",
}


def __getattr__(name: str) -> Any:
    """Import a public name's module when the name is first used (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'retouch' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
