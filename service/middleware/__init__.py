"""Pure-ASGI middleware, one concern per module; service.app stacks them in order."""

from service.middleware.body_limit import BodyLimitMiddleware
from service.middleware.errors import UnhandledErrorMiddleware
from service.middleware.request_id import RequestIdMiddleware

__all__ = [
    "BodyLimitMiddleware",
    "RequestIdMiddleware",
    "UnhandledErrorMiddleware",
]
