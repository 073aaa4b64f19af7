"""OpenAI-compatible model list: `GET /v1/models`, `GET /v1/models/{id}`.

Each target of the run service is a model: `router` (the default: it picks the agent for each
message) and every registered agent under its own name. Open WebUI and LibreChat read `data[].id`
to fill their model picker.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import Path
from openai.types import Model

from agents_core.runs import RunService, RunTarget
from api.deps import RunServiceDep
from api.errors import ApiError
from api.limits import MAX_NAME_CHARS
from api.openai_errors import openai_router

OWNER = "agents-core"
"""`owned_by` of every model."""
_STARTED = int(time.time())
"""`created` of every model: when the process started (the agents are registered at import)."""

router = openai_router((400, 401, 404))


def model_target(service: RunService, model: str) -> RunTarget:
    """The target a model id names; 404 `model_not_found` (param `model`) listing the ids."""
    targets = service.targets()
    for target in targets:
        if target.name == model:
            return target
    known = ", ".join(target.name for target in targets)
    raise ApiError(
        404,
        "model_not_found",
        f"The model {model!r} does not exist; the models are: {known} (GET /v1/models).",
        {"param": "model"},
    )


def _model(target: RunTarget) -> dict[str, Any]:
    return Model(id=target.name, created=_STARTED, object="model", owned_by=OWNER).model_dump()


@router.get("/models")
async def list_models(service: RunServiceDep) -> dict[str, Any]:
    """The models: `router` first, then each agent (`{"object": "list", "data": [...]}`)."""
    return {"object": "list", "data": [_model(target) for target in service.targets()]}


@router.get("/models/{model}")
async def get_model(
    model: Annotated[str, Path(max_length=MAX_NAME_CHARS)], service: RunServiceDep
) -> dict[str, Any]:
    """One model; 404 `model_not_found` in the OpenAI error shape when there is none."""
    return _model(model_target(service, model))
