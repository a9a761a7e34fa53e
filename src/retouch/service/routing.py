"""Which engine runs a request, and the model name it is priced and reported under.

The API's `model` field goes through the engine registry (`retouch.engines.resolve`):
engine names and aliases, models an engine claims (`gpt-image-1.5`, ...), `engine:model`.
"""

from __future__ import annotations

from ..engines import Engine, get_engine, resolve
from ..errors import OptionError
from .errors import invalid

DEFAULT_MODEL = "retouch-builtin"


def resolve_model(model: str | None) -> tuple[Engine, str]:
    """(engine, model name for pricing and usage); 400 with param `model` when unknown."""
    name = (model or DEFAULT_MODEL).strip()
    try:
        engine_name, engine_model = resolve(name)
        engine = get_engine(name)
    except OptionError as e:
        raise invalid(
            f"Invalid value for 'model': {name!r}. {e.message}", "model", code="model_not_found"
        ) from None
    canonical = DEFAULT_MODEL if engine_name == "builtin" else (engine_model or engine_name)
    return engine, canonical


def takes_options(engine: Engine) -> bool:
    """Whether an engine takes per-request `options` (it declares which: `request_options`)."""
    return bool(getattr(engine, "request_options", None))
