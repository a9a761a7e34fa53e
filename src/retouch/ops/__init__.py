"""Pure functions on float32 arrays in [0, 1] (HxWx3, or HxWx4 with alpha), one module per family."""

from __future__ import annotations

import importlib

MODULES = ("tone", "color", "balance", "detail", "haze", "geometry", "background", "inpaint", "light", "overlay")


def load_all() -> None:
    """Import every op module so that their `@register` decorators run."""
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")
