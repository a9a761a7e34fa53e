"""The engine registry: engine names, aliases and model names → engine instances.

Names the API's `model` field and the CLI's `--engine/--model` accept:

- an engine name or alias: `builtin` (`retouch-builtin`, `retouch`), `openai`, `diffusers`, `auto`;
- a model an engine claims: `gpt-image-2`, `gpt-image-1.5`, ... (openai); `qwen-image-edit`,
  `flux-kontext`, `instruct-pix2pix`, a Hugging Face repo id `owner/name` ... (diffusers);
- `engine:model`, explicit: `openai:gpt-image-1-mini`, `diffusers:/models/flux-kontext`.

Local weights folders are addressable only where the caller is trusted (the CLI, the
operator's settings): `resolve(name, paths=False)`, as the HTTP API resolves a client's
`model`, accepts names alone and never looks at the filesystem.

Registering an engine imports nothing heavy: factories import their SDKs when called,
and engines import torch or openai only when they run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import OptionError
from .base import Engine

#: factory(model, **settings) -> Engine; `model` is None for the engine's default model.
EngineFactory = Callable[..., Engine]


@dataclass(frozen=True)
class EngineSpec:
    """How to build an engine, and which names lead to it."""

    name: str
    factory: EngineFactory
    summary: str = ""
    aliases: tuple[str, ...] = ()
    claims_model: Callable[[str], bool] | None = None  # does this engine serve a model of this name?
    #: the settings the factory takes (a pydantic model); `configure_engine` checks against it
    options: type[BaseModel] | None = None
    claims_path: Callable[[str], bool] | None = None  # ... of the weights in this local folder?


_specs: dict[str, EngineSpec] = {}
_settings: dict[str, dict[str, Any]] = {}
_instances: dict[tuple[str, str | None], Engine] = {}
_lock = threading.RLock()


def register_engine(spec: EngineSpec) -> None:
    """Add (or replace) an engine; its cached instances are dropped."""
    with _lock:
        _specs[spec.name] = spec
        _drop(spec.name)


def unregister_engine(name: str) -> None:
    """Remove an engine added with `register_engine` (plugins, tests)."""
    with _lock:
        _specs.pop(name, None)
        _settings.pop(name, None)
        _drop(name)


def available_engines() -> list[str]:
    """Engine names, in registration order (builtin first); each may or may not be ready."""
    return list(_specs)


def engine_spec(name: str) -> EngineSpec:
    return _specs[resolve(name)[0]]


def resolve(name: str | None, *, paths: bool = True) -> tuple[str, str | None]:
    """(engine name, model or None) for a name the API or CLI was given; OptionError if unknown.
    With `paths=False` a model must be known by its name (no local weights folders)."""
    raw = (name or "builtin").strip()
    low = raw.lower()
    engine, sep, model = raw.partition(":")
    if sep and engine.lower() in _specs:
        spec = _specs[engine.lower()]
        model = model.strip()
        if model and not paths and not _known_name(spec, model):
            raise OptionError(f"unknown {spec.name} model {model!r} (see `retouch engines`)", param="model")
        return spec.name, model or None
    for spec in _specs.values():
        if low == spec.name or low in spec.aliases:
            return spec.name, None
    for spec in _specs.values():
        if spec.claims_model is not None and spec.claims_model(raw):
            return spec.name, raw
    for spec in _specs.values():
        if paths and spec.claims_path is not None and spec.claims_path(raw):
            return spec.name, raw
    raise OptionError(
        f"unknown engine or model {raw!r}; engines: {', '.join(available_engines())} (see `retouch engines`)",
        param="model",
    )


def _known_name(spec: EngineSpec, model: str) -> bool:
    if spec.claims_model is not None:
        return spec.claims_model(model)
    return model.lower() in (spec.name, *spec.aliases)


def get_engine(name: str | None = None, *, paths: bool = True) -> Engine:
    """The engine for `name` (default builtin), built once per (engine, model) and cached;
    `paths` as in `resolve`."""
    engine, model = resolve(name, paths=paths)
    with _lock:
        key = (engine, model)
        if key not in _instances:
            spec = _specs[engine]
            _instances[key] = spec.factory(model, **_settings.get(engine, {}))
        return _instances[key]


def configure_engine(name: str, **settings: Any) -> None:
    """Settings for an engine's future instances (e.g. `openai`: api_key, base_url, timeout_s).

    The service calls this at start-up from its own settings (`[engines.NAME]`); None values
    are left out so that the engine's environment defaults apply. Settings the engine does not
    declare (`EngineSpec.options`) raise OptionError naming them.
    """
    engine = resolve(name)[0]
    model = _specs[engine].options
    if model is not None:
        try:
            settings = model(**settings).model_dump(exclude_none=True)
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(x) for x in err["loc"]) or "settings"
            known = ", ".join(model.model_fields) or "none"
            raise OptionError(
                f"engines.{engine}.{where}: {err['msg']} (options of {engine}: {known})", param="engines"
            ) from None
    with _lock:
        _settings[engine] = {
            **_settings.get(engine, {}),
            **{k: v for k, v in settings.items() if v is not None},
        }
        _drop(engine)


def engine_settings(name: str) -> dict[str, Any]:
    """The settings configured for an engine (empty: environment defaults)."""
    return dict(_settings.get(resolve(name)[0], {}))


def reset_engines() -> None:
    """Forget settings and instances (tests; a configuration reload)."""
    with _lock:
        _settings.clear()
        _instances.clear()


def _drop(engine: str) -> None:
    for key in [k for k in _instances if k[0] == engine]:
        del _instances[key]
