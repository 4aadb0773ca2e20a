"""Health check for the ALB target group, the NLB and the container: no dependencies."""

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from service.contract import HEALTH_PATH
from service.validation import StrictJSONRoute

router = APIRouter(tags=["health"], route_class=StrictJSONRoute)


@router.get(HEALTH_PATH, response_class=PlainTextResponse, include_in_schema=False)
async def healthz() -> str:
    return "ok"
