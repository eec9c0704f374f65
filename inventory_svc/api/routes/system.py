"""Liveness and readiness: no API key needed, for load balancers and orchestrators."""

from __future__ import annotations

from litestar import MediaType, get
from litestar.datastructures import State
from sqlalchemy import text

from inventory_svc.api.openapi import problems
from inventory_svc.api.schemas import Health
from inventory_svc.domain.errors import DatabaseUnavailable


@get(
    "/health",
    media_type=MediaType.JSON,
    tags=["system"],
    summary="Process is up",
    operation_id="getHealth",
)
async def health() -> Health:
    return Health(status="ok")


@get(
    "/ready",
    media_type=MediaType.JSON,
    tags=["system"],
    summary="Database is reachable",
    operation_id="getReady",
    responses=problems(503, s503="database_unavailable: the database does not answer"),
)
async def ready(state: State) -> Health:
    try:
        async with state.read_sessions() as session:
            await session.execute(text("SELECT 1"))
    except Exception as error:
        raise DatabaseUnavailable(f"Database check failed: {type(error).__name__}.") from error
    return Health(status="ready")
