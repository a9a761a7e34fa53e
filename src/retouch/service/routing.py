"""Which engine runs a request, and the model name it is priced and reported under.

The API's `model` field goes through the engine registry (`retouch.engines.resolve`):
engine names and aliases, models an engine knows by name (`gpt-image-1.5`, `flux-kontext`,
...), `engine:model`. A client names models, never places: local weights folders are the
operator's to configure (the engines' settings), so a path is refused here, unread.
"""

from __future__ import annotations

from ..engines import Engine, get_engine, resolve
from ..errors import OptionError
from .errors import ApiError, invalid

DEFAULT_MODEL = "retouch-builtin"
#: Longest model name (the jobs table keeps 100 characters).
MAX_MODEL_CHARS = 100


def resolve_model(model: str | None) -> tuple[Engine, str]:
    """(engine, model name for pricing and usage) of a client's `model`; 400 with param `model`
    when it is not a model this server offers by name."""
    name = (model or DEFAULT_MODEL).strip()
    if len(name) > MAX_MODEL_CHARS or not name.isprintable():
        raise invalid(
            f"Invalid value for 'model': a model id has at most {MAX_MODEL_CHARS} printable characters "
            "(see GET /v1/models).",
            "model",
        )
    try:
        engine_name, engine_model = resolve(name, paths=False)
        engine = get_engine(name, paths=False)
    except OptionError as e:
        if "/" in name or "\\" in name or name.startswith((".", "~")):
            raise invalid(
                f"Invalid value for 'model': {name!r} is not a model id (see GET /v1/models); local "
                "weights are configured by the server's operator.",
                "model",
                code="model_not_found",
            ) from None
        raise invalid(
            f"Invalid value for 'model': {name!r}. {e.message}", "model", code="model_not_found"
        ) from None
    canonical = DEFAULT_MODEL if engine_name == "builtin" else (engine_model or engine_name)
    return engine, canonical


def takes_options(engine: Engine) -> bool:
    """Whether an engine takes per-request `options` (it declares which: `request_options`)."""
    return bool(getattr(engine, "request_options", None))


def takes_plan(engine: Engine) -> bool:
    """Whether an engine runs a given plan (`edit(..., plan=)`; it declares so: `runs_plans`)."""
    return bool(getattr(engine, "runs_plans", False))


def check_ready(engine: Engine, model: str) -> None:
    """503 engine_unavailable when the engine cannot run here now (its package is not installed,
    no weights or API key are configured): a server-side condition no retry of the request
    will change, so the SDKs are told not to retry."""
    ok, why = engine.ready()
    if not ok:
        raise ApiError(
            503,
            f"The model '{model}' cannot run on this server now: {why}.",
            code="engine_unavailable",
            param="model",
            headers={"x-should-retry": "false"},
        )
