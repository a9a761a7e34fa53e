"""Engines behind one interface; `get_engine(name)` picks one ("builtin" is the default)."""

from __future__ import annotations

from ..errors import OptionError
from .base import Capabilities, Engine, ProgressFn

__all__ = ["Capabilities", "Engine", "ProgressFn", "available_engines", "get_engine"]

#: Accepted names for the builtin engine (the API's `model` field uses the long ones).
BUILTIN_NAMES = ("builtin", "retouch-builtin", "retouch", "auto")

_instances: dict[str, Engine] = {}


def available_engines() -> list[str]:
    """Engine names that can be asked for."""
    return ["builtin"]


def get_engine(name: str | None = None) -> Engine:
    """The engine called `name` (default builtin); OptionError for unknown names."""
    key = (name or "builtin").strip().lower()
    if key in BUILTIN_NAMES:
        key = "builtin"
    if key not in _instances:
        if key == "builtin":
            from .builtin import BuiltinEngine

            _instances[key] = BuiltinEngine()
        else:
            raise OptionError(
                f"unknown engine {name!r}; available: {', '.join(available_engines())}", param="model"
            )
    return _instances[key]
