"""The caller's own usage and limits (`GET /usage`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from agents_core.limits import usage_of
from api.deps import PrincipalDep, require_principal
from api.schemas import UsageResponse

router = APIRouter(prefix="/usage", tags=["usage"], dependencies=[Depends(require_principal)])


@router.get("")
async def read_usage(principal: PrincipalDep) -> UsageResponse:
    """Runs this minute and model tokens today of the principal asking, with the limits
    (null: unlimited) and when each window resets. Reading it counts as no request."""
    usage = await usage_of(principal)
    return UsageResponse.model_validate(usage.to_dict())
