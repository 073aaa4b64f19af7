"""Who is asking: the caller's principal, roles and how it authenticated."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.deps import AuthenticationDep, require_principal
from api.schemas import ErrorResponse, Me

router = APIRouter(
    tags=["auth"],
    dependencies=[Depends(require_principal)],
    responses={401: {"model": ErrorResponse}},
)


@router.get("/me")
async def me(authentication: AuthenticationDep) -> Me:
    """The caller: `local` and `auth: none` while no credentials are configured."""
    return Me(
        principal=authentication.principal.id,
        roles=sorted(authentication.principal.roles),
        auth=authentication.method,
    )
