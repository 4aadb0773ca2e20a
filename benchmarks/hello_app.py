"""A bare ASGI hello-world: the reference line for what the server itself costs."""

from __future__ import annotations

from starlette.types import Receive, Scope, Send


async def _hello(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": b"ok"})


def create_app() -> object:
    """Factory, so it starts with exactly the service's command-line flags (--factory)."""
    return _hello
