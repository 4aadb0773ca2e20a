"""Routes that misbehave on purpose, for tests and the demo page: off unless DEMO_ROUTES_ENABLED."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from service.responses import EVERY_OPERATION
from service.validation import StrictJSONRoute

router = APIRouter(
    prefix="/api", tags=["demo"], route_class=StrictJSONRoute, responses=EVERY_OPERATION
)


class Slept(BaseModel):
    slept_ms: int


@router.get("/slow")
async def slow(ms: Annotated[int, Query(ge=0, le=10_000)] = 500) -> Slept:
    """Answers after a delay: shows in-flight requests survive a graceful shutdown."""
    await asyncio.sleep(ms / 1000)
    return Slept(slept_ms=ms)


@router.get("/boom", include_in_schema=False)
async def boom() -> None:
    """Fails on purpose so tests and the demo page can show a 500 is still readable."""
    raise RuntimeError("deliberate failure for testing error responses")
