"""A small example API a browser can exercise with simple and preflighted requests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException
from pydantic import BaseModel, Field

from service.responses import EVERY_OPERATION, errors
from service.validation import StrictJSONRoute

router = APIRouter(
    prefix="/api", tags=["example"], route_class=StrictJSONRoute, responses=EVERY_OPERATION
)

_ITEMS: dict[int, str] = {1: "first", 2: "second"}


class Item(BaseModel):
    id: int
    name: str


class NewItem(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    quantity: int = Field(default=1, ge=1, le=1000)


class Created(BaseModel):
    name: str
    quantity: int
    received_at: datetime


class Greeting(BaseModel):
    message: str
    client_name: str | None


@router.get("/items")
async def list_items() -> list[Item]:
    """A simple (non-preflighted) GET."""
    return [Item(id=key, name=value) for key, value in sorted(_ITEMS.items())]


@router.get("/items/{item_id}", responses=errors(404))
async def get_item(item_id: int) -> Item:
    if item_id not in _ITEMS:
        raise HTTPException(status_code=404, detail=f"item {item_id} not found")
    return Item(id=item_id, name=_ITEMS[item_id])


@router.post("/items", status_code=201, responses=errors(400))
async def create_item(item: NewItem) -> Created:
    """A JSON POST: preflighted by browsers; 422 on invalid input. Nothing is stored."""
    return Created(name=item.name, quantity=item.quantity, received_at=datetime.now(UTC))


@router.get("/greeting")
async def greeting(
    x_client_name: Annotated[str | None, Header(max_length=64)] = None,
) -> Greeting:
    """Reads a custom request header, which makes the browser send a preflight."""
    who = x_client_name or "stranger"
    return Greeting(message=f"hello, {who}", client_name=x_client_name)
