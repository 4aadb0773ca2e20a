"""What the FastAPI service serves and accepts (its routes and its request-body limit)."""

from __future__ import annotations

from dataclasses import dataclass

from infra import limits
from infra.config.fields import Group, setting
from service import contract


@dataclass(frozen=True, kw_only=True)
class ServiceSettings(Group):
    """The service's own switches: closed by default, as a cautious production runs it."""

    diagnostics: bool = setting(
        default=False,
        key="diagnostics",
        doc="Serve `GET /debug/request`, which echoes request headers; only to debug a deployment.",
    )
    demo_routes: bool = setting(
        default=False,
        key="demoRoutes",
        doc="Serve `/api/boom` and `/api/slow`, which fail or stall on purpose.",
    )
    api_docs: bool = setting(
        default=False,
        key="apiDocs",
        doc="Serve the OpenAPI schema and docs pages (`/docs`, `/redoc`, `/openapi.json`).",
    )
    max_body_bytes: int = setting(
        default=contract.DEFAULT_MAX_BODY_BYTES,
        key="maxBodyBytes",
        doc="Largest request body the service reads; a larger one is refused with 413.",
        bounds=(limits.MIN_BODY_BYTES, contract.MAX_BODY_BYTES_LIMIT),
        unit=" bytes",
        why="API Gateway forwards at most 10 MiB",
    )
