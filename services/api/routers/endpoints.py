"""Generator endpoints runs may name (configured by the platform admin; read-only here)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from services.api.deps import SettingsDep, UserDep
from services.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/v1", tags=["endpoints"], responses=ERROR_RESPONSES)


class EndpointOut(BaseModel):
    name: str
    model: str | None


@router.get("/generator-endpoints", response_model=list[EndpointOut], summary="Generator endpoints runs may name")
async def list_endpoints(settings: SettingsDep, _: UserDep) -> list[EndpointOut]:
    """Names to put in a run spec's ``generator.endpoint`` (hosts and secrets stay server-side)."""
    return [EndpointOut(name=name, model=ep.model) for name, ep in sorted(settings.generator_endpoints.items())]
