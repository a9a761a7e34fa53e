"""GET /v1/models: the models this server can run, as OpenAI lists them, with readiness."""

from __future__ import annotations

import time
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ...engines import available_engines, get_engine
from ...service.errors import ApiError
from ...service.routing import resolve_model
from ..deps import EditKey
from ..jsontext import StrictJSONRoute
from ..schemas import ErrorResponse

router = APIRouter(tags=["models"], route_class=StrictJSONRoute)
ERRORS: dict[int | str, dict[str, Any]] = {c: {"model": ErrorResponse} for c in (401, 404)}
_STARTED = int(time.time())


class ModelView(BaseModel):
    """OpenAI's Model object, with what retouch knows about it."""

    id: str = Field(description="The value to give as `model` in edits and jobs")
    object: Literal["model"] = "model"
    created: int
    owned_by: str = Field(description="The engine that runs it")
    ready: bool = Field(description="Whether an edit with this model can run here now")
    status: str = Field(description="Why (not) ready, e.g. the missing API key or weights")
    capabilities: list[str]


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelView]


def model_views() -> list[ModelView]:
    """Every model of every registered engine, under the id that `model` accepts."""
    views: list[ModelView] = []
    for name in available_engines():
        engine = get_engine(name)
        caps = engine.capabilities
        for model in caps.models or (name,):
            runs_it, model_id = resolve_model(model)  # (readiness can differ by model: weights)
            ready, status = runs_it.ready()
            views.append(
                ModelView(
                    id=model_id,
                    created=_STARTED,
                    owned_by=name,
                    ready=ready,
                    status=status,
                    capabilities=caps.features(),
                )
            )
    return views


@router.get("/v1/models", response_model=ModelList, responses=ERRORS, summary="List models (OpenAI-compatible)")
def list_models(_: EditKey) -> dict[str, Any]:
    return {"object": "list", "data": model_views()}


@router.get("/v1/models/{model_id}", response_model=ModelView, responses=ERRORS, summary="Retrieve a model")
def retrieve_model(model_id: str, _: EditKey) -> ModelView:
    for view in model_views():
        if view.id == model_id:
            return view
    raise ApiError(404, f"The model '{model_id}' does not exist.", code="model_not_found", param="model")
