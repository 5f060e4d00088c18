"""API endpoints of the platform itself (who am I), mounted under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from granica.api.deps import CurrentPrincipal

router = APIRouter(tags=["account"])


class Me(BaseModel):
    """The authenticated user or machine client, as the services see it."""

    username: str
    display_name: str
    agency: str
    roles: list[str]
    permissions: list[str]
    language: str
    via: str
    station: str | None = None


@router.get("/me", response_model=Me, summary="Who am I")
def me(principal: CurrentPrincipal) -> Me:
    """Tells a client which user its token belongs to, that user's agency, roles and
    permissions. Use it to check a newly issued token.

    Example:
    `curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/api/v1/me`
    """
    return Me(
        username=principal.username, display_name=principal.display_name,
        agency=principal.agency, roles=sorted(principal.roles),
        permissions=sorted(principal.permissions), language=principal.language,
        via=principal.via, station=principal.station,
    )
