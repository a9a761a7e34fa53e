"""Pure functions on float32 arrays in [0, 1] (HxWx3, or HxWx4 with alpha), one module per family."""

from __future__ import annotations

import importlib
from typing import Any

MODULES = ("tone", "color", "balance", "detail", "haze", "geometry", "background", "inpaint", "light", "overlay")


def load_all() -> None:
    """Import every op module so that their `@register` decorators run."""
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")


def load_until(op: str, registered: Any) -> None:
    """Import op modules in order until `op` is in `registered`: a plan of tone and colour steps
    never imports the background, face and text modules (and the vision code behind them)."""
    for name in MODULES:
        if op in registered:
            return
        importlib.import_module(f"{__name__}.{name}")
