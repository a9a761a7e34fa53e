"""Engines behind one interface; `get_engine(name)` picks one ("builtin" is the default).

The registry (see `registry.py`) maps engine names, aliases and model names to engines:
`builtin` (exact, offline), `openai` (GPT Image), `diffusers` (local open-weight models) and
`auto` (routing: builtin-doable parts run there, the rest on a generative engine).
"""

from __future__ import annotations

from typing import Any

from .base import (
    Capabilities,
    EditCancelled,
    EditOptions,
    Engine,
    EngineUnavailable,
    ProgressFn,
    UpstreamError,
)
from .options import AutoOptions, BuiltinOptions, DiffusersOptions, OpenAIOptions
from .registry import (
    EngineSpec,
    available_engines,
    configure_engine,
    engine_settings,
    get_engine,
    register_engine,
    reset_engines,
    resolve,
    unregister_engine,
)

__all__ = [
    "BUILTIN_NAMES",
    "Capabilities",
    "EditCancelled",
    "EditOptions",
    "Engine",
    "EngineSpec",
    "EngineUnavailable",
    "ProgressFn",
    "UpstreamError",
    "available_engines",
    "configure_engine",
    "engine_settings",
    "get_engine",
    "register_engine",
    "reset_engines",
    "resolve",
    "unregister_engine",
]

#: Accepted names for the builtin engine (the API's `model` field uses the long ones).
#: ("auto" now means routing, which runs on the builtin engine alone when it can.)
BUILTIN_NAMES = ("builtin", "retouch-builtin", "retouch")


def _builtin(model: str | None = None, **_: Any) -> Engine:
    from .builtin import BuiltinEngine

    return BuiltinEngine()


def _openai(model: str | None = None, **settings: Any) -> Engine:
    from .openai_engine import OpenAIEngine

    return OpenAIEngine(model=model, **settings)


def _diffusers(model: str | None = None, **settings: Any) -> Engine:
    from .diffusers_engine import DiffusersEngine

    return DiffusersEngine(model=model, **settings)


def _auto(model: str | None = None, **settings: Any) -> Engine:
    from .routing import RoutingEngine

    return RoutingEngine(**settings)


def _claims_openai(name: str) -> bool:
    from .openai_engine import is_openai_model

    return is_openai_model(name)


def _claims_diffusers(name: str) -> bool:
    from .diffusion import find_family

    return find_family(name) is not None


def _claims_diffusers_weights(path: str) -> bool:
    from .diffusion import family_for_weights

    return family_for_weights(path) is not None


register_engine(
    EngineSpec(
        "builtin",
        _builtin,
        "exact edits on the CPU, offline",
        aliases=BUILTIN_NAMES[1:],
        options=BuiltinOptions,
    )
)
register_engine(
    EngineSpec(
        "openai",
        _openai,
        "GPT Image models through the OpenAI API",
        claims_model=_claims_openai,
        options=OpenAIOptions,
    )
)
register_engine(
    EngineSpec(
        "diffusers",
        _diffusers,
        "open-weight models on a local GPU (or slowly on the CPU)",
        claims_model=_claims_diffusers,
        options=DiffusersOptions,
        claims_path=_claims_diffusers_weights,
    )
)
register_engine(
    EngineSpec(
        "auto",
        _auto,
        "routing: builtin where exact, a generative engine for the rest",
        aliases=("route", "routing"),
        options=AutoOptions,
    )
)
